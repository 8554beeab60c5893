//! Typed specs of the built-in kinds, and the JSON Schemas generated from them.
//!
//! Each built-in kind (Component, API, Resource, System, Domain, Group, User,
//! Location and the scaffolder's Template) has a `*Spec` struct here that
//! mirrors Backstage's own schema for that kind (`@backstage/catalog-model`
//! 1.10 and `@backstage/plugin-scaffolder-common` 2.4): the same required
//! fields, the same types, `minLength: 1` where Backstage has it, and unknown
//! spec fields allowed and kept (`extra`).
//!
//! These structs are the single source of truth for the built-in spec schemas:
//! [`BuiltinKind::spec_schema`] derives the JSON Schema (draft-07, like
//! Backstage's) with `schemars`, and [`super::schema::KindRegistry`] compiles
//! it once for validation and writes it out for editors. Code that needs a
//! typed view of an entity's spec (a golden-path runner reading a Template's
//! steps) uses [`spec_as`].

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use super::entity::Entity;

/// The apiVersions Backstage accepts for its catalogue kinds.
pub const BACKSTAGE_API_VERSIONS: &[&str] = &["backstage.io/v1alpha1", "backstage.io/v1beta1"];
/// The apiVersion of scaffolder templates (golden paths).
pub const TEMPLATE_API_VERSIONS: &[&str] = &["scaffolder.backstage.io/v1beta3"];

/// A string that must not be empty (`{"type": "string", "minLength": 1}`),
/// which is what Backstage requires of almost every spec field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NonEmptyString(pub String);

impl NonEmptyString {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for NonEmptyString {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NonEmptyString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for NonEmptyString {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NonEmptyString".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({"type": "string", "minLength": 1})
    }
}

/// `spec` of a Component: a piece of software, usually with its own deployable artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentSpec {
    /// The type of component, e.g. `service`, `website`, `library`.
    #[serde(rename = "type")]
    pub type_: NonEmptyString,
    /// The lifecycle state, e.g. `experimental`, `production`, `deprecated`.
    pub lifecycle: NonEmptyString,
    /// Entity ref of the owner (a Group unless a kind is given).
    pub owner: NonEmptyString,
    /// Entity ref of the System this component belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<NonEmptyString>,
    /// Entity ref of the Component this one is a part of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcomponent_of: Option<NonEmptyString>,
    /// Entity refs of the APIs this component provides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provides_apis: Option<Vec<NonEmptyString>>,
    /// Entity refs of the APIs this component consumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumes_apis: Option<Vec<NonEmptyString>>,
    /// Entity refs (with kind) of what this component needs to function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<NonEmptyString>>,
    /// Entity refs (with kind) of what needs this component to function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependency_of: Option<Vec<NonEmptyString>>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `spec` of an API: an interface a component provides or consumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiSpec {
    /// The format of the definition, e.g. `openapi`, `asyncapi`, `graphql`, `grpc`.
    #[serde(rename = "type")]
    pub type_: NonEmptyString,
    /// The lifecycle state, e.g. `experimental`, `production`, `deprecated`.
    pub lifecycle: NonEmptyString,
    /// Entity ref of the owner (a Group unless a kind is given).
    pub owner: NonEmptyString,
    /// Entity ref of the System this API belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<NonEmptyString>,
    /// The definition itself, in the format named by `type`.
    pub definition: NonEmptyString,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `spec` of a Resource: infrastructure a system needs (databases, buckets, queues).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpec {
    /// The type of resource, e.g. `database`, `s3-bucket`, `cluster`.
    #[serde(rename = "type")]
    pub type_: NonEmptyString,
    /// Entity ref of the owner (a Group unless a kind is given).
    pub owner: NonEmptyString,
    /// Entity refs (with kind) of what this resource needs to function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<NonEmptyString>>,
    /// Entity refs (with kind) of what needs this resource to function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependency_of: Option<Vec<NonEmptyString>>,
    /// Entity ref of the System this resource belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<NonEmptyString>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `spec` of a System: components, APIs and resources that form one offering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemSpec {
    /// Entity ref of the owner (a Group unless a kind is given).
    pub owner: NonEmptyString,
    /// Entity ref of the Domain this system belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<NonEmptyString>,
    /// The type of system, free-form (e.g. `product`, `feature-set`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<NonEmptyString>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `spec` of a Domain: systems that share a bounded context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomainSpec {
    /// Entity ref of the owner (a Group unless a kind is given).
    pub owner: NonEmptyString,
    /// Entity ref of the Domain this one is a part of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdomain_of: Option<NonEmptyString>,
    /// The type of domain, free-form (e.g. `product-group`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<NonEmptyString>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Display information of a Group or a User; every field is optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// A name to show instead of the entity name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<NonEmptyString>,
    /// An email address to reach the group or user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<NonEmptyString>,
    /// The URL of a picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<NonEmptyString>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `spec` of a Group: a team, business unit or other set of people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupSpec {
    /// The type of group, free-form (e.g. `team`, `business-unit`).
    #[serde(rename = "type")]
    pub type_: NonEmptyString,
    /// Display information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Entity ref of the parent Group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<NonEmptyString>,
    /// Entity refs of the child Groups; required, may be empty.
    pub children: Vec<NonEmptyString>,
    /// Entity refs of the member Users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<NonEmptyString>>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `spec` of a User: a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserSpec {
    /// Display information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Entity refs of the Groups this user is a direct member of; required, may be empty.
    pub member_of: Vec<NonEmptyString>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Whether a Location's targets must exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    Required,
    Optional,
}

/// `spec` of a Location: a pointer to more catalogue files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocationSpec {
    /// The type of all targets (e.g. `url`, `file`); inherited from the reading location when absent.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<NonEmptyString>,
    /// One target; relative paths are resolved against this Location's own file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<NonEmptyString>,
    /// Several targets; relative paths are resolved against this Location's own file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<NonEmptyString>>,
    /// Whether a missing target is an error (`required`, the default) or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<Presence>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A templated condition: a boolean, or an expression such as `${{ parameters.x }}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Condition {
    Bool(bool),
    Expression(String),
}

/// `backstage:permissions` of a step or parameter page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Permissions {
    /// Permission tags that authorize the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `parameters` of a Template given as one JSON Schema object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ParameterSchema {
    /// Authorization of the parameters.
    #[serde(
        rename = "backstage:permissions",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub permissions: Option<Permissions>,
    /// The JSON Schema of the inputs (`properties`, `required`, ...).
    #[serde(flatten)]
    pub schema: Map<String, Value>,
}

/// One page of a Template's parameter form: a JSON Schema object, optionally conditional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ParameterPage {
    /// Show this page only when the condition holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// Authorization of the page.
    #[serde(
        rename = "backstage:permissions",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub permissions: Option<Permissions>,
    /// The JSON Schema of the page's inputs (`title`, `properties`, `required`, ...).
    #[serde(flatten)]
    pub schema: Map<String, Value>,
}

/// A Template's parameters: one JSON Schema, or a list of form pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TemplateParameters {
    Pages(Vec<ParameterPage>),
    Single(ParameterSchema),
}

/// One step of a Template: an action run with templated input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TemplateStep {
    /// Id other steps and the output use to refer to this step's outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name shown while the step runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The action to run, e.g. `fetch:template`, `publish:github`.
    pub action: String,
    /// Templated input of the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Map<String, Value>>,
    /// Run the step only when this condition is true.
    #[serde(rename = "if", default, skip_serializing_if = "Option::is_none")]
    pub if_: Option<Condition>,
    /// Run the step once per item of this (templated) list or mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<Value>,
    /// Authorization of the step.
    #[serde(
        rename = "backstage:permissions",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub permissions: Option<Permissions>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A link in a Template's output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutputLink {
    /// Include the link only when this condition is true.
    #[serde(rename = "if", default, skip_serializing_if = "Option::is_none")]
    pub if_: Option<Condition>,
    /// Where the link goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<NonEmptyString>,
    /// An entity the link points at, instead of a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_ref: Option<NonEmptyString>,
    /// Text of the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<NonEmptyString>,
    /// Icon key of the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<NonEmptyString>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Markdown text blob in a Template's output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct OutputText {
    /// Include the text only when this condition is true.
    #[serde(rename = "if", default, skip_serializing_if = "Option::is_none")]
    pub if_: Option<Condition>,
    /// Heading of the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<NonEmptyString>,
    /// Icon key of the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<NonEmptyString>,
    /// The Markdown content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a Template run reports when it finishes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct TemplateOutput {
    /// Links to what was created or changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<OutputLink>>,
    /// Text blobs to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Vec<OutputText>>,
    /// Any other outputs: templated strings.
    #[serde(flatten)]
    pub values: BTreeMap<String, String>,
}

/// `secrets` of a Template.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct TemplateSecrets {
    /// JSON Schema the secrets passed to a run must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Map<String, Value>>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Button labels of the template form.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ButtonLabels {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_button_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_button_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_button_text: Option<String>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `presentation` of a Template.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Presentation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_labels: Option<ButtonLabels>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `EXPERIMENTAL_recovery` of a Template.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Recovery {
    /// `none` (default) or `startOver`.
    #[serde(
        rename = "EXPERIMENTAL_strategy",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub strategy: Option<String>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A form decorator run before a Template's form is submitted.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct FormDecorator {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Map<String, Value>>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `spec` of a Template (`scaffolder.backstage.io/v1beta3`): a golden path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSpec {
    /// The type of what the template creates, e.g. `service`, `website`.
    #[serde(rename = "type")]
    pub type_: NonEmptyString,
    /// Entity ref of the owner (a Group unless a kind is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<NonEmptyString>,
    /// The lifecycle state of the template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<NonEmptyString>,
    /// The inputs, as a JSON Schema or a list of form pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<TemplateParameters>,
    /// Secrets passed when a run is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<TemplateSecrets>,
    /// How the form is presented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation: Option<Presentation>,
    /// Task recovery settings.
    #[serde(
        rename = "EXPERIMENTAL_recovery",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub experimental_recovery: Option<Recovery>,
    /// Decorators run on the form input before the run starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_decorators: Option<Vec<FormDecorator>>,
    /// Deprecated spelling of `formDecorators`.
    #[serde(
        rename = "EXPERIMENTAL_formDecorators",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub experimental_form_decorators: Option<Vec<FormDecorator>>,
    /// The steps, run in order.
    pub steps: Vec<TemplateStep>,
    /// What the run reports when it finishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<TemplateOutput>,
    /// Any other fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The built-in kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinKind {
    Component,
    Api,
    Resource,
    System,
    Domain,
    Group,
    User,
    Location,
    Template,
    Policy,
}

impl BuiltinKind {
    /// Every built-in kind.
    pub const ALL: [BuiltinKind; 10] = [
        Self::Api,
        Self::Component,
        Self::Domain,
        Self::Group,
        Self::Location,
        Self::Policy,
        Self::Resource,
        Self::System,
        Self::Template,
        Self::User,
    ];

    /// The `kind` value, spelled as Backstage matches it (case-sensitive).
    pub fn name(self) -> &'static str {
        match self {
            Self::Component => "Component",
            Self::Api => "API",
            Self::Resource => "Resource",
            Self::System => "System",
            Self::Domain => "Domain",
            Self::Group => "Group",
            Self::User => "User",
            Self::Location => "Location",
            Self::Template => "Template",
            Self::Policy => crate::policy::POLICY_KIND,
        }
    }

    /// The apiVersions Backstage accepts for this kind.
    pub fn api_versions(self) -> &'static [&'static str] {
        match self {
            Self::Template => TEMPLATE_API_VERSIONS,
            Self::Policy => crate::policy::POLICY_API_VERSIONS,
            _ => BACKSTAGE_API_VERSIONS,
        }
    }

    /// A one-line description, used in exported schemas.
    pub fn description(self) -> &'static str {
        match self {
            Self::Component => {
                "A piece of software, usually with its own deployable or linkable artifact."
            }
            Self::Api => {
                "An interface that components provide or consume (OpenAPI, AsyncAPI, GraphQL, gRPC, ...)."
            }
            Self::Resource => {
                "Infrastructure a system needs to operate: databases, buckets, queues, clusters."
            }
            Self::System => {
                "A collection of components, APIs and resources that form one offering."
            }
            Self::Domain => {
                "A group of systems that share terminology and purpose (a bounded context)."
            }
            Self::Group => "A team, business unit or other group of people.",
            Self::User => "A person.",
            Self::Location => "A pointer to more catalogue files.",
            Self::Template => "A golden path: parameters, steps that run actions, and outputs.",
            Self::Policy => "A policy binding: which guardrail reviews which changes, and how.",
        }
    }

    /// The kind whose name is exactly `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The JSON Schema (draft-07) of this kind's `spec`, self-contained
    /// (subschemas under `definitions`).
    pub fn spec_schema(self) -> Value {
        let generator = SchemaSettings::draft07().into_generator();
        let schema = match self {
            Self::Component => generator.into_root_schema_for::<ComponentSpec>(),
            Self::Api => generator.into_root_schema_for::<ApiSpec>(),
            Self::Resource => generator.into_root_schema_for::<ResourceSpec>(),
            Self::System => generator.into_root_schema_for::<SystemSpec>(),
            Self::Domain => generator.into_root_schema_for::<DomainSpec>(),
            Self::Group => generator.into_root_schema_for::<GroupSpec>(),
            Self::User => generator.into_root_schema_for::<UserSpec>(),
            Self::Location => generator.into_root_schema_for::<LocationSpec>(),
            Self::Template => generator.into_root_schema_for::<TemplateSpec>(),
            Self::Policy => generator.into_root_schema_for::<crate::policy::PolicySpec>(),
        };
        let mut value = schema.to_value();
        strip_null(&mut value);
        value
    }
}

/// Backstage's schemas never accept `null` for a spec field, while schemars
/// makes every `Option<T>` nullable; an absent field is what `Option` means
/// here, so remove the `null` alternatives.
fn strip_null(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".to_string(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(alternatives)) = map.get_mut(key) {
                    alternatives.retain(|a| a.get("type").and_then(Value::as_str) != Some("null"));
                    if alternatives.len() == 1 {
                        let only = alternatives.remove(0);
                        map.remove(key);
                        if let Value::Object(inner) = only {
                            for (k, v) in inner {
                                map.entry(k).or_insert(v);
                            }
                        }
                    }
                }
            }
            if map.get("const") == Some(&Value::Null) {
                map.remove("const");
            }
            if let Some(Value::Array(options)) = map.get_mut("enum") {
                options.retain(|o| !o.is_null());
            }
            for child in map.values_mut() {
                strip_null(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// Read an entity's `spec` as a typed struct, e.g. `spec_as::<TemplateSpec>(&entity)`.
///
/// The entity should have passed validation; for one that has not, the error
/// names the first field that does not fit.
pub fn spec_as<T: DeserializeOwned>(entity: &Entity) -> Result<T, serde_json::Error> {
    match &entity.spec {
        Some(spec) => T::deserialize(&Value::Object(spec.clone())),
        None => T::deserialize(&Value::Object(Map::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn required(kind: BuiltinKind) -> Vec<String> {
        let schema = kind.spec_schema();
        let mut r: Vec<String> = schema["required"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        r.sort();
        r
    }

    #[test]
    fn required_fields_match_backstage() {
        // From @backstage/catalog-model 1.10.3 and plugin-scaffolder-common 2.4.0.
        assert_eq!(
            required(BuiltinKind::Component),
            ["lifecycle", "owner", "type"]
        );
        assert_eq!(
            required(BuiltinKind::Api),
            ["definition", "lifecycle", "owner", "type"]
        );
        assert_eq!(required(BuiltinKind::Resource), ["owner", "type"]);
        assert_eq!(required(BuiltinKind::System), ["owner"]);
        assert_eq!(required(BuiltinKind::Domain), ["owner"]);
        assert_eq!(required(BuiltinKind::Group), ["children", "type"]);
        assert_eq!(required(BuiltinKind::User), ["memberOf"]);
        assert_eq!(required(BuiltinKind::Location), Vec::<String>::new());
        assert_eq!(required(BuiltinKind::Template), ["steps", "type"]);
    }

    #[test]
    fn optional_fields_are_not_nullable_and_strings_not_empty() {
        let schema = BuiltinKind::Component.spec_schema();
        assert_eq!(
            schema["properties"]["system"],
            json!({"type": "string", "minLength": 1, "description": "Entity ref of the System this component belongs to."})
        );
        assert_eq!(schema["properties"]["dependsOn"]["type"], json!("array"));
        assert_eq!(
            schema["properties"]["dependsOn"]["items"],
            json!({"type": "string", "minLength": 1})
        );
        assert_eq!(
            schema["$schema"],
            json!("http://json-schema.org/draft-07/schema#")
        );
        let text = serde_json::to_string(&BuiltinKind::Template.spec_schema()).unwrap();
        assert!(!text.contains("\"null\""), "{text}");
    }

    #[test]
    fn template_spec_reads_steps_and_parameters() {
        let spec: TemplateSpec = serde_json::from_value(json!({
            "type": "service",
            "owner": "platform",
            "parameters": [{"title": "Basics", "required": ["name"],
                            "properties": {"name": {"type": "string"}}}],
            "steps": [
                {"id": "fetch", "name": "Fetch", "action": "fetch:template",
                 "input": {"url": "./skeleton"}, "if": "${{ parameters.name }}"},
                {"action": "debug:log", "each": ["a", "b"], "if": false}
            ],
            "output": {"links": [{"title": "Repo", "url": "https://example.com"}],
                       "repoUrl": "${{ steps.publish.output.remoteUrl }}"}
        }))
        .unwrap();
        assert_eq!(spec.steps.len(), 2);
        assert_eq!(spec.steps[0].action, "fetch:template");
        assert_eq!(
            spec.steps[0].if_,
            Some(Condition::Expression("${{ parameters.name }}".into()))
        );
        assert_eq!(spec.steps[1].if_, Some(Condition::Bool(false)));
        assert_eq!(spec.steps[1].each, Some(json!(["a", "b"])));
        match spec.parameters.unwrap() {
            TemplateParameters::Pages(pages) => assert_eq!(pages[0].schema["title"], "Basics"),
            other => panic!("expected pages, got {other:?}"),
        }
        let output = spec.output.unwrap();
        assert_eq!(
            output.values["repoUrl"],
            "${{ steps.publish.output.remoteUrl }}"
        );
    }

    #[test]
    fn spec_as_reads_an_entity() {
        let entity: Entity = serde_json::from_value(json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Group",
            "metadata": {"name": "team-a"},
            "spec": {"type": "team", "children": [], "profile": {"displayName": "Team A"}, "x-extra": 1}
        }))
        .unwrap();
        let spec: GroupSpec = spec_as(&entity).unwrap();
        assert_eq!(spec.type_.as_str(), "team");
        assert_eq!(
            spec.profile.unwrap().display_name.unwrap().as_str(),
            "Team A"
        );
        assert_eq!(spec.extra["x-extra"], json!(1));
        let err = spec_as::<UserSpec>(&entity).unwrap_err();
        assert!(err.to_string().contains("memberOf"), "{err}");
    }

    #[test]
    fn names_round_trip() {
        for kind in BuiltinKind::ALL {
            assert_eq!(BuiltinKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(BuiltinKind::from_name("component"), None);
    }
}
