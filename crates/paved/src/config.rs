//! `paved.yaml`: the platform's configuration file.
//!
//! ```yaml
//! store: sqlite:.paved/paved.db        # or postgres://user@host:5432/db
//! actor: user:default/platform-bot     # who writes when a call names no actor
//! kinds:                               # custom kinds, validated by a JSON Schema
//!   - kind: ServiceLevel
//!     apiVersions: [acme.example/v1]
//!     schema: schemas/service-level.json   # relative to this file
//! pluginCache: .paved/plugin-cache     # precompiled components (relative to this file)
//! plugins:                             # guardrails, providers, actions (WebAssembly components)
//!   - name: require-owner
//!     path: plugins/require_owner.wasm # relative to this file
//!     kind: guardrail
//!     settings: { allowedKinds: [group] }
//!     grants: { catalogue: true }
//!     limits: { timeoutMs: 500 }
//!   - name: service-files              # golden-path actions (e.g. acme:service-files)
//!     path: plugins/service_files.wasm
//!     kind: action
//! policies:                            # guardrails bound to the writes they review
//!   - name: components-need-owners
//!     guardrail: require-owner         # a plugin above, or:
//!     # rego: { policies: [policies/owner.rego], data: [policies/data.json], query: main }
//!     match: { operations: [entity.create, entity.update], kinds: [Component] }
//!     mode: enforce                    # enforce | warn | audit | off
//!     failure: closed                  # closed (a failing guardrail denies) | open
//! access:                              # who may make which change (before the policies)
//!   unknown: deny                      # actors not in the catalogue: deny | allow
//!   default: deny                      # changes no rule allows: deny | allow
//!   rules:
//!     - name: owners-change-what-they-own
//!       actors: [owners]               # user/group refs, system, owners, *
//!       match: { operations: [entity.update, entity.delete] }
//!       effect: allow                  # allow | deny (deny rules win)
//! resources:                           # how resources are applied
//!   parallelism: 8                     # independent resources at once
//!   leaseTtl: 30s                      # a crashed holder's lease lapses after this
//!   stateKey: { env: PAVED_STATE_KEY } # or { file: state.key }: seals outputs
//! reading:                             # which URLs imports may read (Backstage's reading.allow)
//!   allow:
//!     - host: raw.githubusercontent.com
//!       paths: [/acme/catalog/]        # optional path prefixes
//!     - host: "*.internal.example"     # subdomains
//!   maxBytes: 4194304                  # per URL
//!   timeout: 10s                       # per URL: connect, redirects, body
//!   maxRedirects: 5                    # each hop must be allowed too
//! catalog:                             # keeping the catalogue in sync with its locations
//!   orphanStrategy: keep               # entities a location no longer provides:
//!                                      # keep (marked backstage.io/orphan) | delete
//! scorecards:                          # levels of policies entities are scored on
//!   - name: production-readiness
//!     filter: [kind=component]         # catalogue filter strings (OR); none: all
//!     levels:                          # lowest first; rules name policies
//!       - { name: bronze, rules: [components-need-owners] }
//! ```
//!
//! The file is parsed with the same hardened YAML loader as catalogue files,
//! and every error names the file, the line and the field: the shape errors
//! of parsing, and the checks [`crate::open`] runs on what the file names
//! (unknown guardrails, bad actors, duplicate names, a scorecard rule naming
//! no policy, a bad custom kind…), whose diagnostics `Config::locate`
//! points at the line of their field — `paved.yaml:14:5: policies[2].guardrail: …`.

use std::path::{Path, PathBuf};

use paved_core::access::AccessRules;
use paved_core::ingest::{Positions, Reading, ReadingConfig};
use paved_core::locations::CatalogSettings;
use paved_core::model::schema::KindRegistry;
use paved_core::policy::Binding;
use paved_core::resource::{ResourceConfig, ResourceSettings};
use paved_core::scorecard::Scorecard;
use paved_core::{Diagnostic, Error, Result, SourceLocation, StoreSpec};
use paved_plugins::PluginConfig;
use serde::{Deserialize, Serialize};

/// The configuration file's content.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    /// Store URL: `sqlite:PATH`, `sqlite::memory:` or `postgres://…`.
    /// Default: `sqlite:.paved/paved.db` under the working directory.
    #[serde(default)]
    pub store: Option<String>,
    /// The actor writes are recorded under when they name none
    /// (`user:default/jane`, or `system`, the default).
    #[serde(default)]
    pub actor: Option<String>,
    /// Custom kinds.
    #[serde(default)]
    pub kinds: Vec<CustomKind>,
    /// Directory for precompiled plugin components (relative to this file).
    #[serde(default)]
    pub plugin_cache: Option<PathBuf>,
    /// Guardrail and provider plugins: name, path (relative to this file),
    /// kind, settings, grants, limits.
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub plugins: Vec<PluginConfig>,
    /// Policy bindings: which guardrail reviews which writes, in which
    /// mode (see `paved_core::policy`).
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub policies: Vec<Binding>,
    /// Access rules: who may make which change (see `paved_core::access`);
    /// none: no access control.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub access: Option<AccessRules>,
    /// Scorecards: levels of policies entities are scored on (see
    /// `paved_core::scorecard`).
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub scorecards: Vec<Scorecard>,
    /// How resources are applied: parallelism, lease lifetime, state key
    /// (see `paved_core::resource::ResourceConfig`).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub resources: Option<ResourceConfig>,
    /// How the catalogue keeps in sync with its locations: the orphan
    /// strategy (see `paved_core::locations`).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub catalog: Option<CatalogSettings>,
    /// Which URLs catalogue imports may read (see
    /// `paved_core::ingest::ReadingConfig`); none: no URL is read.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub reading: Option<ReadingConfig>,
    /// Where the file was read from (set by [`Config::load`]).
    #[serde(skip)]
    pub path: Option<PathBuf>,
    /// Where each of the file's values is (set by [`Config::load`]), for
    /// `Config::locate`.
    #[serde(skip)]
    #[schemars(skip)]
    positions: Positions,
}

/// A custom kind and the JSON Schema its `spec` must match.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomKind {
    pub kind: String,
    pub api_versions: Vec<String>,
    /// Path of a JSON Schema file (relative to the config file) or an inline schema.
    pub schema: serde_json::Value,
}

impl Config {
    /// Read and check a configuration file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let file = path.display().to_string();
        let Some((mut config, positions)) =
            paved_core::ingest::typed_document::<Config>(&text, &file)?
        else {
            return Ok(Self {
                path: Some(path.to_path_buf()),
                ..Self::default()
            });
        };
        config.path = Some(path.to_path_buf());
        config.positions = positions;
        Ok(config)
    }

    /// `e` pointed at this file: each of its diagnostics that has no
    /// location yet and whose path lies under one of `sections` (top-level
    /// fields of this file, e.g. `policies`) gets this file and the line and
    /// column of the field its path names, or of the nearest enclosing one
    /// present (a missing field points at the entry that lacks it). The
    /// code, paths and messages stay as they are.
    ///
    /// `sections` says which diagnostics are about this file: a check may
    /// also see values from elsewhere (an actor or a store from options or
    /// the environment), whose paths must not be read against the file.
    /// A configuration not read from a file returns `e` unchanged.
    pub(crate) fn locate(&self, e: Error, sections: &[&str]) -> Error {
        let Some(file) = &self.path else { return e };
        let Error::Invalid { mut diagnostics } = e else {
            return e;
        };
        let file = file.display().to_string();
        for d in &mut diagnostics {
            let section = d.path.split(['.', '[']).next().unwrap_or_default();
            if d.location.is_none() && sections.contains(&section) {
                let (line, column) = self.positions.locate(&d.path);
                d.location = Some(SourceLocation {
                    file: file.clone(),
                    document: 0,
                    line,
                    column,
                });
            }
        }
        Error::Invalid { diagnostics }
    }

    /// A plugin error of the file's `plugins[i]` (it does not load, or
    /// its settings are refused), with where that entry is: `file:line:col:
    /// plugins[i]: …`. The error keeps its code (`PLUGIN`) and kind.
    pub(crate) fn locate_plugin(&self, e: Error, i: usize) -> Error {
        let Some(file) = &self.path else { return e };
        let Error::Plugin {
            plugin,
            kind,
            message,
        } = e
        else {
            return e;
        };
        let path = format!("plugins[{i}]");
        let (line, column) = self.positions.locate(&path);
        Error::Plugin {
            plugin,
            kind,
            message: format!("{}:{line}:{column}: {path}: {message}", file.display()),
        }
    }

    /// The JSON Schema of this file, for editors.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default()
    }

    fn base_dir(&self) -> PathBuf {
        self.path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The kind registry: built-in kinds plus this file's custom kinds.
    /// Errors name the kind's field in this file (`kinds[1].apiVersions[0]`).
    pub fn kinds(&self) -> Result<KindRegistry> {
        let mut kinds = KindRegistry::builtin();
        for (i, k) in self.kinds.iter().enumerate() {
            let schema = match &k.schema {
                serde_json::Value::String(rel) => {
                    let p = self.base_dir().join(rel);
                    let text = std::fs::read_to_string(&p).map_err(|source| Error::Io {
                        path: p.display().to_string(),
                        source,
                    })?;
                    serde_json::from_str(&text).map_err(|e| {
                        Error::invalid(Diagnostic::error(
                            format!("kinds[{i}].schema"),
                            format!("{} is not valid JSON: {e}", p.display()),
                        ))
                    })
                }
                inline => Ok(inline.clone()),
            };
            let versions: Vec<&str> = k.api_versions.iter().map(String::as_str).collect();
            schema
                .and_then(|schema| {
                    kinds
                        .register(&k.kind, &versions, schema)
                        .map_err(|e| in_kind(e, i))
                })
                .map_err(|e| self.locate(e, &["kinds"]))?;
        }
        Ok(kinds)
    }

    /// The configured plugins, with paths resolved against this file's
    /// directory (component files and granted host directories).
    pub fn plugins(&self) -> Vec<PluginConfig> {
        let base = self.base_dir();
        self.plugins
            .iter()
            .cloned()
            .map(|mut p| {
                p.path = base.join(&p.path);
                for dir in &mut p.grants.dirs {
                    dir.host = base.join(&dir.host);
                }
                p
            })
            .collect()
    }

    /// The policy bindings, with Rego paths resolved against this file's
    /// directory.
    pub fn policies(&self) -> Vec<Binding> {
        let base = self.base_dir();
        self.policies
            .iter()
            .cloned()
            .map(|mut b| {
                if let Some(rego) = &mut b.rego {
                    for p in rego.policies.iter_mut().chain(rego.data.iter_mut()) {
                        *p = base.join(&*p);
                    }
                }
                b
            })
            .collect()
    }

    /// How resources are applied (defaults where the file says nothing).
    /// Errors name the field and its line (`resources.leaseTtl`).
    pub fn resource_settings(&self) -> Result<ResourceSettings> {
        match &self.resources {
            Some(r) => r
                .settings(&self.base_dir())
                .map_err(|e| self.locate(e, &["resources"])),
            None => Ok(ResourceSettings::default()),
        }
    }

    /// Which URLs imports may read (nothing where the file says nothing).
    /// Errors name the field and its line (`reading.allow[0].host`).
    pub fn reading(&self) -> Result<Reading> {
        match &self.reading {
            Some(r) => r.settings().map_err(|e| self.locate(e, &["reading"])),
            None => Ok(Reading::default()),
        }
    }

    /// The plugin cache directory, resolved against this file's directory.
    pub fn plugin_cache(&self) -> Option<PathBuf> {
        self.plugin_cache.as_ref().map(|p| self.base_dir().join(p))
    }

    /// The store this file names, if any.
    pub fn store_spec(&self) -> Result<Option<StoreSpec>> {
        self.store
            .as_deref()
            .map(StoreSpec::parse)
            .transpose()
            .map_err(|e| self.locate(e, &["store"]))
    }

    /// The actor this file names, if any, checked (`system` or an entity
    /// ref, written as [`paved_core::pipeline::check_actor`] returns it).
    pub(crate) fn checked_actor(&self) -> Result<Option<String>> {
        self.actor
            .as_deref()
            .map(paved_core::pipeline::check_actor)
            .transpose()
            .map_err(|e| self.locate(e, &["actor"]))
    }

    /// Refuse, before anything loads, the names the platform would refuse
    /// without knowing which entry of this file is at fault: two plugins
    /// with one name, and a Rego policy named like a plugin (its guardrail
    /// takes the policy's name). Duplicate policy names are the platform's
    /// to report.
    pub(crate) fn check_plugin_names(&self) -> Result<()> {
        let refuse = |path: String, message: String| {
            Err(self.locate(
                Error::invalid(Diagnostic::error(path, message)),
                &["plugins", "policies"],
            ))
        };
        let mut seen = std::collections::HashSet::new();
        for (i, p) in self.plugins.iter().enumerate() {
            if !seen.insert(p.name.as_str()) {
                return refuse(
                    format!("plugins[{i}].name"),
                    format!(
                        "two plugins are named '{}'; give each plugin its own name",
                        p.name
                    ),
                );
            }
        }
        for (i, b) in self.policies.iter().enumerate() {
            if b.rego.is_some() && seen.contains(b.name.as_str()) {
                return refuse(
                    format!("policies[{i}].name"),
                    format!(
                        "policy '{0}' gives `rego:`, so its guardrail is named '{0}', like a plugin; rename one",
                        b.name
                    ),
                );
            }
        }
        Ok(())
    }
}

/// `e` with its diagnostics, which name the fields of one kind as
/// [`KindRegistry::register`] does (`kind`, `apiVersion[1]`, `schema…`),
/// moved to entry `i` of `kinds` (whose versions field is `apiVersions`).
fn in_kind(e: Error, i: usize) -> Error {
    let Error::Invalid { mut diagnostics } = e else {
        return e;
    };
    for d in &mut diagnostics {
        let field = match d.path.strip_prefix("apiVersion") {
            Some(rest) => format!("apiVersions{rest}"),
            None => std::mem::take(&mut d.path),
        };
        d.path = if field.is_empty() {
            format!("kinds[{i}]")
        } else {
            format!("kinds[{i}].{field}")
        };
    }
    Error::Invalid { diagnostics }
}
