//! Differential test: paved's entity validation against Backstage's own.
//!
//! A corpus of tricky entities (names, namespaces, label and annotation keys
//! and values, tags, links, apiVersions, kinds, root fields, spec fields of
//! every built-in kind with wrong types or missing, entity refs, templates) is
//! generated here and judged by both `paved_core::model::validate::validate_entity`
//! and `tools/backstage/validate.mjs`, which runs `@backstage/catalog-model`'s
//! validators the way Backstage's catalogue does when it reads a file. Every
//! case must get the same valid/invalid verdict, except the few listed in
//! [`KNOWN_DEVIATIONS`], which must still differ in the listed direction
//! (so that the list stays true).
//!
//! Needs `node` and `tools/backstage/node_modules` (`npm ci --prefix tools/backstage`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use paved_core::model::schema::KindRegistry;
use paved_core::model::validate::validate_entity;
use serde_json::{Value, json};

/// Cases where paved and Backstage knowingly disagree: label prefix, and why.
/// paved rejects all of these; Backstage accepts them.
const KNOWN_DEVIATIONS: &[(&str, &str)] = &[
    (
        "ref with whitespace",
        "refs.rs rejects refs with leading/trailing whitespace; Backstage's parseEntityRef keeps the spaces in the name (a ref no entity can have)",
    ),
    (
        "ref with extra separator",
        "refs.rs rejects ':' or '/' in the name part; Backstage's parseEntityRef puts them into the name (a ref no entity can have)",
    ),
    (
        "undeclared dependencyOf not a list",
        "Backstage's schemas do not declare dependencyOf (its processor reads a string as one ref and skips falsy values); paved types it as a list of refs like dependsOn",
    ),
];

struct Case {
    label: String,
    entity: Value,
}

#[derive(Default)]
struct Corpus {
    cases: Vec<Case>,
}

impl Corpus {
    fn add(&mut self, label: impl Into<String>, entity: Value) {
        self.cases.push(Case {
            label: label.into(),
            entity,
        });
    }
}

fn base(kind: &str) -> Value {
    let (api_version, spec) = match kind {
        "Component" => (
            "backstage.io/v1alpha1",
            json!({"type": "service", "lifecycle": "production", "owner": "team-a"}),
        ),
        "API" => (
            "backstage.io/v1alpha1",
            json!({"type": "openapi", "lifecycle": "production", "owner": "team-a", "definition": "openapi: 3.0.0"}),
        ),
        "Resource" => (
            "backstage.io/v1alpha1",
            json!({"type": "database", "owner": "team-a"}),
        ),
        "System" => ("backstage.io/v1alpha1", json!({"owner": "team-a"})),
        "Domain" => ("backstage.io/v1alpha1", json!({"owner": "team-a"})),
        "Group" => (
            "backstage.io/v1alpha1",
            json!({"type": "team", "children": []}),
        ),
        "User" => ("backstage.io/v1alpha1", json!({"memberOf": []})),
        "Location" => (
            "backstage.io/v1alpha1",
            json!({"type": "url", "target": "./catalog-info.yaml"}),
        ),
        "Template" => (
            "scaffolder.backstage.io/v1beta3",
            json!({"type": "service", "steps": [{"action": "fetch:template"}]}),
        ),
        other => panic!("no base for {other}"),
    };
    json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "sample"}, "spec": spec})
}

const KINDS: [&str; 9] = [
    "Component",
    "API",
    "Resource",
    "System",
    "Domain",
    "Group",
    "User",
    "Location",
    "Template",
];

/// Values of every JSON type, and some strings.
fn wrong_values() -> Vec<Value> {
    vec![
        json!(null),
        json!(1),
        json!(0),
        json!(true),
        json!(false),
        json!(""),
        json!(" "),
        json!("x"),
        json!("component:default/x"),
        json!([]),
        json!(["x"]),
        json!(["component:x"]),
        json!([""]),
        json!([1]),
        json!({}),
        json!({"a": 1}),
    ]
}

fn set(mut entity: Value, path: &[&str], value: Value) -> Value {
    let mut cur = &mut entity;
    for p in &path[..path.len() - 1] {
        cur = cur.get_mut(*p).unwrap();
    }
    cur[path[path.len() - 1]] = value;
    entity
}

fn remove(mut entity: Value, path: &[&str]) -> Value {
    let mut cur = &mut entity;
    for p in &path[..path.len() - 1] {
        cur = cur.get_mut(*p).unwrap();
    }
    cur.as_object_mut().unwrap().remove(path[path.len() - 1]);
    entity
}

/// Which known deviation a generated spec-field case belongs to, if any.
fn deviation_class(kind: &str, field: &str, v: &Value) -> Option<&'static str> {
    const SINGLE_REF_FIELDS: [&str; 6] = [
        "owner",
        "system",
        "subcomponentOf",
        "domain",
        "subdomainOf",
        "parent",
    ];
    if SINGLE_REF_FIELDS.contains(&field) && *v == json!(" ") {
        return Some("ref with whitespace");
    }
    // Backstage: falsy values are skipped and a string is one ref; paved wants a list.
    let skipped_or_one_ref = matches!(v, Value::Null | Value::Bool(false))
        || *v == json!(0)
        || *v == json!("")
        || *v == json!("component:default/x");
    if matches!(kind, "Component" | "Resource") && field == "dependencyOf" && skipped_or_one_ref {
        return Some("undeclared dependencyOf not a list");
    }
    None
}

fn corpus() -> Corpus {
    let mut c = Corpus::default();
    let component = || base("Component");

    for kind in KINDS {
        c.add(format!("valid {kind}"), base(kind));
        c.add(
            format!("valid {kind} at v1beta1"),
            set(base(kind), &["apiVersion"], json!("backstage.io/v1beta1")),
        );
    }

    // --- names
    let long63 = "a".repeat(63);
    let long64 = "a".repeat(64);
    for name in [
        "a",
        "A",
        "0",
        "orders",
        "Orders-Service",
        "orders_service",
        "orders.service",
        "a--b",
        "a__b",
        "a..b",
        "a-.b",
        "a1",
        "1a",
        long63.as_str(),
        long64.as_str(),
        "",
        " ",
        "-a",
        "a-",
        "_a",
        "a_",
        ".a",
        "a.",
        "a b",
        "Orders Service",
        "orders/x",
        "orders:x",
        "ä",
        "ørders",
        "a\tb",
        "a\n",
        "a#b",
        "a+b",
        "a@b",
        "a*",
        "a~b",
        "😀",
    ] {
        c.add(
            format!("name {name:?}"),
            set(component(), &["metadata", "name"], json!(name)),
        );
    }
    for v in [json!(null), json!(1), json!(true), json!([]), json!({})] {
        c.add(
            format!("name of type {v}"),
            set(component(), &["metadata", "name"], v),
        );
    }
    c.add("name missing", remove(component(), &["metadata", "name"]));

    // --- namespaces
    for ns in [
        "default",
        "a",
        "team-a",
        "team--a",
        "0",
        "9lives",
        "Team",
        "TEAM",
        "team_a",
        "team.a",
        "-a",
        "a-",
        "",
        " ",
        "a b",
        &"n".repeat(63),
        &"n".repeat(64),
        "ä",
    ] {
        c.add(
            format!("namespace {ns:?}"),
            set(component(), &["metadata", "namespace"], json!(ns)),
        );
    }
    for v in [json!(null), json!(1), json!(false), json!([])] {
        c.add(
            format!("namespace of type {v}"),
            set(component(), &["metadata", "namespace"], v),
        );
    }

    // --- label keys and values
    let long_prefix = format!("{}.com/a", "a".repeat(250));
    let long_label_in_prefix = format!("{}.com/a", "a".repeat(64));
    for key in [
        "team",
        "Team",
        "a",
        "backstage.io/team",
        "example.com/x_y.z",
        "a.b-c.d/x",
        "a--b.com/x",
        "a/b",
        "a/b/c",
        "/a",
        "a/",
        "",
        " ",
        "a b",
        "Example.com/x",
        "a..b/x",
        ".a/x",
        "a./x",
        "-a.com/x",
        "a-.com/x",
        "a_b.com/x",
        "a.com/-x",
        "a.com/x-",
        long_prefix.as_str(),
        long_label_in_prefix.as_str(),
        &"k".repeat(63),
        &"k".repeat(64),
        "ä",
    ] {
        c.add(
            format!("label key {key:?}"),
            set(component(), &["metadata", "labels"], json!({ key: "x" })),
        );
    }
    for value in [
        "",
        "x",
        "X",
        "gold",
        "a-b_c.d",
        "a b",
        "-a",
        "a-",
        "free text!",
        &"v".repeat(63),
        &"v".repeat(64),
    ] {
        c.add(
            format!("label value {value:?}"),
            set(
                component(),
                &["metadata", "labels"],
                json!({ "team": value }),
            ),
        );
    }
    for v in [json!(null), json!(1), json!(true), json!([]), json!({})] {
        c.add(
            format!("label value of type {v}"),
            set(component(), &["metadata", "labels"], json!({ "team": v })),
        );
    }
    for v in [
        json!(null),
        json!([]),
        json!("x"),
        json!({}),
        json!(0),
        json!(false),
    ] {
        c.add(
            format!("labels of type {v}"),
            set(component(), &["metadata", "labels"], v),
        );
    }

    // --- annotations
    for key in [
        "backstage.io/techdocs-ref",
        "github.com/project-slug",
        "x",
        "a/b/c",
        "Backstage.io/x",
        "backstage.io/",
        "/x",
        "a b",
        "",
        "example.com/x y",
        "sonarqube.org/project-key",
    ] {
        c.add(
            format!("annotation key {key:?}"),
            set(
                component(),
                &["metadata", "annotations"],
                json!({ key: "v" }),
            ),
        );
    }
    for v in [
        json!(""),
        json!("any text: at all / ok"),
        json!("multi\nline"),
        json!(8080),
        json!(true),
        json!(null),
        json!(["a"]),
        json!({"a": "b"}),
    ] {
        c.add(
            format!("annotation value {v}"),
            set(
                component(),
                &["metadata", "annotations"],
                json!({ "example.com/v": v }),
            ),
        );
    }
    for v in [
        json!(null),
        json!(false),
        json!(0),
        json!(""),
        json!({}),
        json!([]),
        json!("x"),
        json!(1),
        json!(true),
    ] {
        c.add(
            format!("annotations of type {v}"),
            set(component(), &["metadata", "annotations"], v),
        );
    }

    // --- tags
    for tag in [
        "java",
        "grpc-api",
        "c++",
        "c#",
        "k8s:prod",
        "a1",
        "1",
        "a-b-c",
        "Java",
        "spring boot",
        "a_b",
        "a.b",
        "a--b",
        "-a",
        "a-",
        "",
        " ",
        "ä",
        &"t".repeat(63),
        &"t".repeat(64),
        "a:b:c",
        "#",
        "+",
        "a/b",
    ] {
        c.add(
            format!("tag {tag:?}"),
            set(component(), &["metadata", "tags"], json!([tag])),
        );
    }
    for v in [json!(null), json!(1), json!([]), json!({})] {
        c.add(
            format!("tag of type {v}"),
            set(component(), &["metadata", "tags"], json!([v])),
        );
    }
    for v in [json!(null), json!("java"), json!({}), json!([])] {
        c.add(
            format!("tags of type {v}"),
            set(component(), &["metadata", "tags"], v),
        );
    }

    // --- links
    for url in [
        "https://example.com",
        "http://localhost:3000/x?y=1#z",
        "mailto:team@example.com",
        "slack://channel?id=1",
        "ftp://files.example.com",
        "file:///etc/hosts",
        "https://exa mple.com",
        "https://[::1]:8080/",
        "https://[::1",
        "http://",
        "https://",
        "not a url",
        "/relative/path",
        "example.com",
        "",
        " https://example.com",
        "javascript:alert(1)",
        "https://ex%41mple.com",
        "https://example.com:99999",
        "https://例え.jp",
        "a:",
    ] {
        c.add(
            format!("link url {url:?}"),
            set(component(), &["metadata", "links"], json!([{ "url": url }])),
        );
    }
    for (label, link) in [
        ("link without url", json!({"title": "t"})),
        ("link url null", json!({"url": null})),
        ("link url number", json!({"url": 1})),
        (
            "link title ok",
            json!({"url": "https://a.example", "title": "Dashboard"}),
        ),
        (
            "link title empty",
            json!({"url": "https://a.example", "title": ""}),
        ),
        (
            "link title blank",
            json!({"url": "https://a.example", "title": "   "}),
        ),
        (
            "link title nbsp",
            json!({"url": "https://a.example", "title": "\u{a0}"}),
        ),
        (
            "link title bom",
            json!({"url": "https://a.example", "title": "\u{feff}"}),
        ),
        (
            "link title nel",
            json!({"url": "https://a.example", "title": "\u{85}"}),
        ),
        (
            "link title null",
            json!({"url": "https://a.example", "title": null}),
        ),
        (
            "link title number",
            json!({"url": "https://a.example", "title": 3}),
        ),
        (
            "link icon ok",
            json!({"url": "https://a.example", "icon": "dashboard"}),
        ),
        (
            "link icon blank",
            json!({"url": "https://a.example", "icon": " "}),
        ),
        (
            "link icon null",
            json!({"url": "https://a.example", "icon": null}),
        ),
        (
            "link type ok",
            json!({"url": "https://a.example", "type": "runbook"}),
        ),
        (
            "link type empty",
            json!({"url": "https://a.example", "type": ""}),
        ),
        (
            "link type blank",
            json!({"url": "https://a.example", "type": " "}),
        ),
        (
            "link type number",
            json!({"url": "https://a.example", "type": 1}),
        ),
        (
            "link extra field",
            json!({"url": "https://a.example", "extra": [1]}),
        ),
        ("link string", json!("https://a.example")),
        ("link null", json!(null)),
        ("link list", json!([])),
    ] {
        c.add(
            label,
            set(component(), &["metadata", "links"], json!([link])),
        );
    }
    for v in [json!(null), json!({}), json!("https://a.example")] {
        c.add(
            format!("links of type {v}"),
            set(component(), &["metadata", "links"], v),
        );
    }

    // --- title, description, uid, etag, other metadata
    for (field, v) in [
        ("title", json!("Orders")),
        ("title", json!("")),
        ("title", json!(" ")),
        ("title", json!(1)),
        ("title", json!(null)),
        ("description", json!("")),
        ("description", json!("Long text.\nWith lines.")),
        ("description", json!(1)),
        ("description", json!(null)),
        ("description", json!(["a"])),
        ("uid", json!("abc")),
        ("uid", json!("")),
        ("uid", json!(1)),
        ("etag", json!("abc")),
        ("etag", json!("")),
        ("custom", json!({"anything": [1, null]})),
        ("generation", json!(1)),
    ] {
        c.add(
            format!("metadata.{field} = {v}"),
            set(component(), &["metadata", field], v),
        );
    }
    for v in [json!(null), json!([]), json!("x"), json!({})] {
        c.add(
            format!("metadata of type {v}"),
            set(component(), &["metadata"], v),
        );
    }
    c.add("metadata missing", remove(component(), &["metadata"]));

    // --- apiVersion
    for v in [
        "backstage.io/v1alpha1",
        "backstage.io/v1beta1",
        "backstage.io/v1beta2",
        "backstage.io/v1",
        "backstage.io/V1alpha1",
        "Backstage.io/v1alpha1",
        "v1alpha1",
        "backstage.io",
        "backstage.io/",
        "/v1alpha1",
        "backstage.io/v1alpha1/x",
        "backstage.io/v1-alpha1",
        "backstage.io/v1alpha1 ",
        "",
        "scaffolder.backstage.io/v1beta3",
        "my-company.net/v1",
    ] {
        c.add(
            format!("apiVersion {v:?} on Component"),
            set(component(), &["apiVersion"], json!(v)),
        );
    }
    for v in [
        "scaffolder.backstage.io/v1beta3",
        "scaffolder.backstage.io/v1beta2",
        "backstage.io/v1alpha1",
        "backstage.io/v1beta1",
    ] {
        c.add(
            format!("apiVersion {v:?} on Template"),
            set(base("Template"), &["apiVersion"], json!(v)),
        );
    }
    for v in [json!(null), json!(1), json!(["backstage.io/v1alpha1"])] {
        c.add(
            format!("apiVersion of type {v}"),
            set(component(), &["apiVersion"], v),
        );
    }
    c.add("apiVersion missing", remove(component(), &["apiVersion"]));

    // --- kinds
    for v in [
        "Component",
        "component",
        "COMPONENT",
        "Api",
        "api",
        "Service",
        "Foo",
        "My-Kind",
        "My Kind",
        "2Component",
        "",
        "Templates",
        "Users",
    ] {
        c.add(format!("kind {v:?}"), set(component(), &["kind"], json!(v)));
    }
    for v in [json!(null), json!(1), json!(["Component"])] {
        c.add(format!("kind of type {v}"), set(component(), &["kind"], v));
    }
    c.add("kind missing", remove(component(), &["kind"]));

    // --- root
    for field in ["relations", "status", "extra", "Spec", "apiversion"] {
        c.add(
            format!("root field {field}"),
            set(component(), &[field], json!([])),
        );
    }
    for v in [json!(null), json!([]), json!("x"), json!(1)] {
        c.add(format!("spec of type {v}"), set(component(), &["spec"], v));
    }
    for v in [
        json!(null),
        json!([1]),
        json!("entity"),
        json!(7),
        json!(true),
    ] {
        c.add(format!("root of type {v}"), v);
    }
    for kind in KINDS {
        c.add(
            format!("{kind} without spec"),
            remove(base(kind), &["spec"]),
        );
        c.add(
            format!("{kind} with empty spec"),
            set(base(kind), &["spec"], json!({})),
        );
    }

    // --- every declared spec field of every kind, with values of every type
    let registry = KindRegistry::builtin();
    for kind in KINDS {
        let def = registry.defs().iter().find(|d| d.kind() == kind).unwrap();
        let schema = def.spec_schema();
        let props: Vec<String> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        for prop in props {
            for v in wrong_values() {
                let label = deviation_class(kind, &prop, &v)
                    .map(|class| format!("{class}: {kind}.spec.{prop} = {v}"))
                    .unwrap_or_else(|| format!("{kind}.spec.{prop} = {v}"));
                c.add(label, set(base(kind), &["spec", &prop], v));
            }
            if def.required_fields().contains(&prop.as_str()) {
                c.add(
                    format!("{kind}.spec.{prop} missing"),
                    remove(base(kind), &["spec", &prop]),
                );
            }
        }
        c.add(
            format!("{kind}.spec with unknown field"),
            set(base(kind), &["spec", "x-custom"], json!({"a": [1]})),
        );
    }

    // --- entity refs in relation fields
    for r in [
        "team-a",
        "group:team-a",
        "user:jane",
        "group:default/team-a",
        "default/team-a",
        "Group:Ns/Team",
        "group:",
        ":team",
        "/team",
        "group:/team",
        "group:ns/",
        "ns/",
        "a:b/c",
        "group: team",
        "x:y",
    ] {
        c.add(
            format!("owner ref {r:?}"),
            set(component(), &["spec", "owner"], json!(r)),
        );
    }
    for r in [" team-a", "team-a "] {
        c.add(
            format!("ref with whitespace: owner {r:?}"),
            set(component(), &["spec", "owner"], json!(r)),
        );
    }
    for r in ["a:b:c", "a/b/c", "group:ns/a/b", "group:a:b"] {
        c.add(
            format!("ref with extra separator: owner {r:?}"),
            set(component(), &["spec", "owner"], json!(r)),
        );
    }
    for r in [
        "component:orders",
        "resource:default/db",
        "orders",
        "default/orders",
        "component:",
        ":x",
        "component:/x",
    ] {
        c.add(
            format!("dependsOn ref {r:?}"),
            set(component(), &["spec", "dependsOn"], json!([r])),
        );
        c.add(
            format!("Resource dependsOn ref {r:?}"),
            set(base("Resource"), &["spec", "dependsOn"], json!([r])),
        );
    }
    for (kind, field, v) in [
        ("Component", "providesApis", json!(["orders-api", "api:x"])),
        ("Component", "consumesApis", json!([":x"])),
        ("Component", "subcomponentOf", json!("orders")),
        ("Component", "system", json!("system:")),
        ("System", "domain", json!("commerce")),
        ("System", "domain", json!("/commerce")),
        ("Domain", "subdomainOf", json!("domain:")),
        ("Group", "parent", json!("org")),
        ("Group", "parent", json!("group:")),
        ("Group", "children", json!(["a", "group:"])),
        ("Group", "members", json!(["jane", "user:ns/"])),
        ("User", "memberOf", json!(["team-a", ":team"])),
        ("Template", "owner", json!("group:")),
        ("Template", "owner", json!("team-a")),
        ("API", "system", json!("x:")),
        ("Location", "owner", json!("team-a")),
    ] {
        c.add(
            format!("{kind} relation {field} = {v}"),
            set(base(kind), &["spec", field], v),
        );
    }

    // --- templates
    let template = || base("Template");
    for (label, path, v) in [
        (
            "parameters object",
            "parameters",
            json!({"properties": {"name": {"type": "string"}}}),
        ),
        (
            "parameters pages",
            "parameters",
            json!([{"title": "A"}, {"title": "B", "when": "${{ x }}"}]),
        ),
        (
            "parameters page when bool",
            "parameters",
            json!([{"when": false}]),
        ),
        (
            "parameters page when number",
            "parameters",
            json!([{"when": 1}]),
        ),
        (
            "parameters single when number",
            "parameters",
            json!({"when": 1}),
        ),
        ("parameters string", "parameters", json!("x")),
        ("parameters list of strings", "parameters", json!(["x"])),
        (
            "parameters permissions tags",
            "parameters",
            json!({"backstage:permissions": {"tags": ["a"]}}),
        ),
        (
            "parameters permissions bad tags",
            "parameters",
            json!({"backstage:permissions": {"tags": "a"}}),
        ),
        (
            "parameters page permissions bad",
            "parameters",
            json!([{"backstage:permissions": []}]),
        ),
        ("steps empty", "steps", json!([])),
        (
            "step full",
            "steps",
            json!([{"id": "a", "name": "A", "action": "x", "input": {"k": [1]}, "if": "${{ y }}", "each": ["a"]}]),
        ),
        ("step without action", "steps", json!([{"id": "a"}])),
        ("step action empty", "steps", json!([{"action": ""}])),
        ("step action number", "steps", json!([{"action": 1}])),
        ("step id number", "steps", json!([{"action": "a", "id": 1}])),
        (
            "step name null",
            "steps",
            json!([{"action": "a", "name": null}]),
        ),
        (
            "step input list",
            "steps",
            json!([{"action": "a", "input": []}]),
        ),
        (
            "step input string",
            "steps",
            json!([{"action": "a", "input": "x"}]),
        ),
        (
            "step if bool",
            "steps",
            json!([{"action": "a", "if": true}]),
        ),
        ("step if number", "steps", json!([{"action": "a", "if": 0}])),
        (
            "step if null",
            "steps",
            json!([{"action": "a", "if": null}]),
        ),
        (
            "step each object",
            "steps",
            json!([{"action": "a", "each": {"a": 1}}]),
        ),
        (
            "step each number",
            "steps",
            json!([{"action": "a", "each": 3}]),
        ),
        ("step string", "steps", json!(["fetch:template"])),
        (
            "step permissions",
            "steps",
            json!([{"action": "a", "backstage:permissions": {"tags": ["x"]}}]),
        ),
        (
            "step permissions bad",
            "steps",
            json!([{"action": "a", "backstage:permissions": {"tags": [1]}}]),
        ),
        (
            "output links",
            "output",
            json!({"links": [{"title": "Repo", "url": "https://x.example"}]}),
        ),
        (
            "output link entityRef",
            "output",
            json!({"links": [{"entityRef": "component:default/x", "icon": "catalog"}]}),
        ),
        (
            "output link empty url",
            "output",
            json!({"links": [{"url": ""}]}),
        ),
        (
            "output link if",
            "output",
            json!({"links": [{"url": "u", "if": 1}]}),
        ),
        (
            "output text",
            "output",
            json!({"text": [{"title": "T", "content": "**x**"}]}),
        ),
        (
            "output text content number",
            "output",
            json!({"text": [{"content": 1}]}),
        ),
        (
            "output extra string",
            "output",
            json!({"repoUrl": "${{ steps.x.output.url }}"}),
        ),
        ("output extra number", "output", json!({"count": 1})),
        ("output extra object", "output", json!({"data": {}})),
        ("output list", "output", json!([])),
        (
            "secrets schema",
            "secrets",
            json!({"schema": {"type": "object"}}),
        ),
        ("secrets schema string", "secrets", json!({"schema": "x"})),
        (
            "presentation labels",
            "presentation",
            json!({"buttonLabels": {"backButtonText": "Back"}}),
        ),
        (
            "presentation label number",
            "presentation",
            json!({"buttonLabels": {"createButtonText": 1}}),
        ),
        (
            "recovery",
            "EXPERIMENTAL_recovery",
            json!({"EXPERIMENTAL_strategy": "startOver"}),
        ),
        (
            "recovery bad",
            "EXPERIMENTAL_recovery",
            json!({"EXPERIMENTAL_strategy": 1}),
        ),
        (
            "form decorators",
            "formDecorators",
            json!([{"id": "a", "input": {}}]),
        ),
        (
            "form decorators bad input",
            "formDecorators",
            json!([{"id": "a", "input": "x"}]),
        ),
        (
            "experimental form decorators",
            "EXPERIMENTAL_formDecorators",
            json!([{"id": 1}]),
        ),
        ("lifecycle", "lifecycle", json!("experimental")),
    ] {
        c.add(
            format!("Template {label}"),
            set(template(), &["spec", path], v),
        );
    }

    // --- locations and groups, users
    for (label, path, v) in [
        ("Location presence optional", "presence", json!("optional")),
        ("Location presence bad", "presence", json!("sometimes")),
        ("Location presence case", "presence", json!("Required")),
        (
            "Location targets",
            "targets",
            json!(["./a.yaml", "https://x.example/b.yaml"]),
        ),
        ("Location targets empty item", "targets", json!([""])),
    ] {
        c.add(label, set(base("Location"), &["spec", path], v));
    }
    for (kind, v) in [
        (
            "Group",
            json!({"displayName": "Team A", "email": "a@example.com", "picture": "https://x"}),
        ),
        ("Group", json!({"displayName": ""})),
        ("Group", json!({"email": 1})),
        ("Group", json!({"other": 1})),
        ("User", json!({"displayName": "Jane"})),
        ("User", json!({"picture": null})),
        ("User", json!("Jane")),
    ] {
        c.add(
            format!("{kind} profile {v}"),
            set(base(kind), &["spec", "profile"], v),
        );
    }

    // --- several problems at once
    c.add(
        "many problems",
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": "Bad Name", "labels": {"a b": "c d"}, "tags": ["X"]},
               "spec": {"owner": 1}, "status": {}}),
    );
    c.add(
        "realistic component",
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": "orders-service", "namespace": "shop", "title": "Orders",
                            "description": "Takes orders.",
                            "labels": {"tier": "gold", "example.com/cost-center": "cc-42"},
                            "annotations": {"backstage.io/techdocs-ref": "dir:.",
                                            "github.com/project-slug": "acme/orders"},
                            "tags": ["java", "grpc"],
                            "links": [{"url": "https://grafana.example.com/d/orders", "title": "Dashboard", "icon": "dashboard"}]},
               "spec": {"type": "service", "lifecycle": "production", "owner": "group:shop/team-a",
                        "system": "commerce", "providesApis": ["orders-api"], "consumesApis": ["api:payments/pay"],
                        "dependsOn": ["resource:orders-db", "component:default/inventory"]}}),
    );
    c
}

fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/backstage")
}

/// Backstage's verdicts, one per input line.
fn backstage_verdicts(cases: &[Case]) -> Vec<(bool, Vec<String>)> {
    let dir = tools_dir();
    let setup = "run `npm ci --prefix tools/backstage` (from the repository root) first";
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        node_ok,
        "the Backstage differential test needs `node` on PATH; install Node.js, then {setup}"
    );
    assert!(
        dir.join("node_modules/@backstage/catalog-model/package.json")
            .exists(),
        "the Backstage differential test needs {}; {setup}",
        dir.join("node_modules").display()
    );
    let mut child = Command::new("node")
        .arg(dir.join("validate.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    let mut input = String::new();
    for case in cases {
        input.push_str(&serde_json::to_string(&case.entity).unwrap());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("run node");
    writer.join().unwrap().expect("write to node");
    assert!(
        output.status.success(),
        "validate.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts: Vec<(bool, Vec<String>)> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let errors = v["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_string())
                .collect();
            (v["valid"].as_bool().unwrap(), errors)
        })
        .collect();
    assert_eq!(verdicts.len(), cases.len(), "one verdict per case");
    verdicts
}

#[test]
fn paved_and_backstage_agree_on_every_case() {
    let corpus = corpus();
    let cases = &corpus.cases;
    let mut labels = BTreeMap::new();
    for case in cases {
        assert!(
            labels.insert(case.label.clone(), ()).is_none(),
            "duplicate case label {}",
            case.label
        );
    }
    assert!(cases.len() >= 300, "corpus too small: {}", cases.len());
    let backstage = backstage_verdicts(cases);
    let registry = KindRegistry::builtin();

    let mut unexpected = Vec::new();
    let mut deviations_seen = BTreeMap::<&str, usize>::new();
    let mut deviations_agreeing = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for (case, (bs_valid, bs_errors)) in cases.iter().zip(&backstage) {
        let ours = validate_entity(&case.entity, &registry);
        let our_valid = ours.is_ok();
        if *bs_valid {
            valid += 1;
        } else {
            invalid += 1;
        }
        let known = KNOWN_DEVIATIONS
            .iter()
            .find(|(prefix, _)| case.label.starts_with(prefix));
        let detail = || {
            format!(
                "  {}\n    entity: {}\n    paved: {}\n    backstage: {}",
                case.label,
                case.entity,
                match &ours {
                    Ok(_) => "valid".to_string(),
                    Err(d) => d
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" | "),
                },
                if *bs_valid {
                    "valid".to_string()
                } else {
                    bs_errors.join(" | ")
                }
            )
        };
        match known {
            Some((prefix, _)) => {
                if !our_valid && *bs_valid {
                    *deviations_seen.entry(prefix).or_default() += 1;
                } else {
                    deviations_agreeing.push(detail());
                }
            }
            None if our_valid != *bs_valid => unexpected.push(detail()),
            None => {}
        }
    }
    println!(
        "{} cases: Backstage says {valid} valid, {invalid} invalid; {} disagreements outside the known deviations; known deviations: {deviations_seen:?}",
        cases.len(),
        unexpected.len()
    );
    assert!(
        unexpected.is_empty(),
        "paved and Backstage disagree on {} of {} cases:\n{}",
        unexpected.len(),
        cases.len(),
        unexpected.join("\n")
    );
    assert!(
        deviations_agreeing.is_empty(),
        "these cases are listed in KNOWN_DEVIATIONS (paved rejects, Backstage accepts) but no longer deviate that way; update the list:\n{}",
        deviations_agreeing.join("\n")
    );
    for (prefix, why) in KNOWN_DEVIATIONS {
        assert!(
            deviations_seen.contains_key(prefix),
            "known deviation '{prefix}' ({why}) has no case in the corpus"
        );
    }
    assert!(
        valid >= 100 && invalid >= 100,
        "the corpus should hold both verdicts in number"
    );
}
