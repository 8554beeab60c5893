//! What `paved plugin inspect | check | run` do, as library functions so the
//! CLI stays thin: [`inspect`] lists a component's world, version, imports,
//! exports, declared and implied capabilities; [`check`] loads it exactly as
//! the engine would (settings validated); [`run`] makes one call and times it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use paved_core::plugin::{
    ApplyRequest, Capability, Change, Guardrail, ImportRequest, PlanRequest, Provider,
    ResourceRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasmtime::component::types::ComponentItem;

use crate::action::WasmAction;
use crate::config::{DirGrant, DirMode, Grants, PluginConfig, PluginKind};
use crate::engine::Runtime;
use crate::error::{PluginError, Result};
use crate::guardrail::WasmGuardrail;
use crate::host::PluginHost;
use crate::plugin::Plugin;
use crate::provider::WasmProvider;

/// What a component is and asks for.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    pub path: PathBuf,
    pub size_bytes: u64,
    /// `guardrail`, `provider` or `action`; `None` when it exports no world's API.
    pub world: Option<PluginKind>,
    /// Version of `paved:plugin` it was built against.
    pub version: Option<String>,
    /// Exported interfaces with their functions, e.g. `paved:plugin/guardrail-api@0.1.2#review`.
    pub exports: Vec<String>,
    /// Imported interfaces.
    pub imports: Vec<String>,
    /// Capabilities the plugin declares in `describe`.
    pub declared_capabilities: Vec<Capability>,
    /// What its imports let it try (always subject to grants).
    pub implied_capabilities: Vec<String>,
    /// The plugin's `describe` answer.
    pub describe: Option<Value>,
}

impl Inspection {
    /// The human-readable report `paved plugin inspect` prints, with every
    /// text the plugin chose (its `describe` answer, export and import
    /// names) escaped for a terminal ([`crate::display`]): one line per
    /// field, so a description cannot hide the lines after it (the
    /// capabilities the plugin may try among them).
    pub fn to_text(&self) -> String {
        use crate::display::sanitize_line as line;
        use std::fmt::Write as _;
        let mut out = String::new();
        let world = self
            .world
            .map(|k| k.to_string())
            .unwrap_or_else(|| "none (not a paved plugin)".into());
        let path = self.path.display().to_string();
        let _ = writeln!(out, "{}  ({} bytes)", line(&path), self.size_bytes);
        let _ = writeln!(out, "world:    {world}");
        let version = self.version.as_deref().unwrap_or("?");
        let _ = writeln!(out, "version:  paved:plugin@{}", line(version));
        if let Some(d) = &self.describe {
            let field = |k: &str| d[k].as_str().unwrap_or("?").to_owned();
            let _ = writeln!(
                out,
                "plugin:   {} {} - {}",
                line(&field("name")),
                line(&field("version")),
                line(d["description"].as_str().unwrap_or(""))
            );
        }
        let _ = writeln!(out, "exports:");
        for e in &self.exports {
            let _ = writeln!(out, "  {}", line(e));
        }
        let _ = writeln!(out, "imports:");
        for i in &self.imports {
            let _ = writeln!(out, "  {}", line(i));
        }
        // JSON text escapes control characters; bidi marks are escaped here.
        let declared = serde_json::to_string(&self.declared_capabilities).unwrap_or_default();
        let _ = writeln!(out, "capabilities it asks for: {}", line(&declared));
        for c in &self.implied_capabilities {
            let _ = writeln!(out, "  may try: {c}");
        }
        out
    }
}

fn names(item: &ComponentItem, engine: &wasmtime::Engine, prefix: &str, out: &mut Vec<String>) {
    match item {
        ComponentItem::ComponentInstance(inst) => {
            for (name, _) in inst.exports(engine) {
                out.push(format!("{prefix}#{name}"));
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

/// Inspect the component at `path` without validating any settings.
pub async fn inspect(host: &PluginHost, path: &Path) -> Result<Inspection> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = Runtime::read(&name, path).await?;
    let size_bytes = bytes.len() as u64;
    let (component, outcome) = host.runtime().compile_bytes(&name, bytes).await?;
    let engine = host.engine();
    let ty = component.component_type();
    let mut exports = Vec::new();
    let mut world = None;
    let mut version = None;
    for (export, item) in ty.exports(engine) {
        names(&item.ty, engine, export, &mut exports);
        for (api, kind) in [
            ("paved:plugin/guardrail-api", PluginKind::Guardrail),
            ("paved:plugin/provider-api", PluginKind::Provider),
            ("paved:plugin/action-api", PluginKind::Action),
        ] {
            if let Some(rest) = export.strip_prefix(api) {
                world = Some(kind);
                version = rest.strip_prefix('@').map(String::from);
            }
        }
    }
    let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_owned()).collect();
    let mut implied = Vec::new();
    for (needle, what) in [
        (
            "wasi:sockets/",
            "network sockets (only granted host:port pairs connect)",
        ),
        (
            "wasi:filesystem/",
            "files (only granted directories are visible)",
        ),
        (
            "paved:plugin/host",
            "paved host: log, settings, secrets (granted names), catalogue (if granted)",
        ),
    ] {
        if imports.iter().any(|i| i.starts_with(needle)) {
            implied.push(what.to_owned());
        }
    }
    let (describe, declared) = match world {
        None => (None, Vec::new()),
        Some(kind) => {
            let config = PluginConfig::new(name, path, kind);
            let plugin = Plugin::new(host.runtime().clone(), config, component, outcome)?;
            match kind {
                PluginKind::Guardrail => {
                    let g = WasmGuardrail::open(plugin).await?;
                    (
                        Some(serde_json::to_value(g.info()).unwrap_or_default()),
                        g.info().capabilities.clone(),
                    )
                }
                PluginKind::Provider => {
                    let p = WasmProvider::open(plugin).await?;
                    (
                        Some(serde_json::to_value(p.info()).unwrap_or_default()),
                        p.info().capabilities.clone(),
                    )
                }
                PluginKind::Action => {
                    let a = WasmAction::open(plugin).await?;
                    (
                        Some(serde_json::json!({"actions": a.actions()})),
                        Vec::new(),
                    )
                }
            }
        }
    };
    Ok(Inspection {
        path: path.to_path_buf(),
        size_bytes,
        world,
        version,
        exports,
        imports,
        declared_capabilities: declared,
        implied_capabilities: implied,
        describe,
    })
}

/// The kind a component implements, from its exports.
pub async fn detect_kind(host: &PluginHost, path: &Path) -> Result<PluginKind> {
    let i = inspect(host, path).await?;
    i.world.ok_or_else(|| {
        PluginError::load(
            &path.display().to_string(),
            format!(
                "exports none of paved:plugin/guardrail-api, paved:plugin/provider-api, paved:plugin/action-api (it exports: {})",
                i.exports.join(", ")
            ),
        )
    })
}

/// Load as the engine would (settings validated); returns the `describe` answer.
pub async fn check(host: &PluginHost, config: PluginConfig) -> Result<Value> {
    Ok(match host.load(config).await? {
        crate::LoadedPlugin::Guardrail(g) => serde_json::to_value(g.info()).unwrap_or_default(),
        crate::LoadedPlugin::Provider(p) => serde_json::to_value(p.info()).unwrap_or_default(),
        crate::LoadedPlugin::Action(a) => serde_json::json!({"actions": a.actions()}),
    })
}

/// One call for `paved plugin run`, written as `{"<operation>": request}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum RunRequest {
    /// Guardrails: review one change.
    Review(Change),
    /// Providers.
    Plan(PlanRequest),
    Apply(ApplyRequest),
    Read(ResourceRequest),
    Delete(ResourceRequest),
    Import(ImportRequest),
    /// Action plugins: run one action.
    Run(paved_core::plugin::ActionRequest),
}

/// The answer of [`run`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunOutcome {
    pub result: Value,
    /// Time to load (compile or cache, link, describe, validate settings).
    #[serde(with = "micros")]
    pub load_time: Duration,
    /// Time of the call itself (fresh instance + export call).
    #[serde(with = "micros")]
    pub call_time: Duration,
}

mod micros {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u128(d.as_micros())
    }
}

/// Load the plugin and make one call.
pub async fn run(
    host: &PluginHost,
    config: PluginConfig,
    request: RunRequest,
) -> paved_core::Result<RunOutcome> {
    let start = Instant::now();
    let plugin = host.load(config).await?;
    let load_time = start.elapsed();
    let start = Instant::now();
    let to_json = |v: &dyn erased::ToJson| v.to_json();
    let result = match (&plugin, &request) {
        (crate::LoadedPlugin::Guardrail(g), RunRequest::Review(c)) => {
            to_json(&g.review(c, None).await?)
        }
        (crate::LoadedPlugin::Provider(p), RunRequest::Plan(r)) => to_json(&p.plan(r).await?),
        (crate::LoadedPlugin::Provider(p), RunRequest::Apply(r)) => to_json(&p.apply(r).await?),
        (crate::LoadedPlugin::Provider(p), RunRequest::Read(r)) => to_json(&p.read(r).await?),
        (crate::LoadedPlugin::Provider(p), RunRequest::Delete(r)) => {
            p.delete(r).await?;
            Value::Null
        }
        (crate::LoadedPlugin::Provider(p), RunRequest::Import(r)) => to_json(&p.import(r).await?),
        (crate::LoadedPlugin::Action(a), RunRequest::Run(r)) => {
            use paved_core::plugin::ActionPlugin;
            to_json(&a.run(r).await?)
        }
        (crate::LoadedPlugin::Action(_), _) => {
            return Err(paved_core::Error::invalid(paved_core::Diagnostic::error(
                "",
                "an action plugin only answers {\"run\": {\"action\": …, \"input\": …}}",
            )));
        }
        (crate::LoadedPlugin::Guardrail(_), _) => {
            return Err(paved_core::Error::invalid(paved_core::Diagnostic::error(
                "",
                "a guardrail only answers {\"review\": <change>}",
            )));
        }
        (crate::LoadedPlugin::Provider(_), RunRequest::Review(_) | RunRequest::Run(_)) => {
            return Err(paved_core::Error::invalid(paved_core::Diagnostic::error(
                "",
                "a provider answers plan, apply, read, delete or import",
            )));
        }
    };
    Ok(RunOutcome {
        result,
        load_time,
        call_time: start.elapsed(),
    })
}

mod erased {
    pub trait ToJson {
        fn to_json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> ToJson for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    }
}

/// Parse one `--grant` flag into `grants`:
/// `dir=HOST:GUEST[:ro|rw]`, `net=HOST:PORT`, `secret=NAME`, `catalogue`.
pub fn parse_grant(flag: &str, grants: &mut Grants) -> std::result::Result<(), String> {
    let (key, value) = flag.split_once('=').unwrap_or((flag, ""));
    match key {
        "catalogue" if value.is_empty() => grants.catalogue = true,
        "net"
            if value
                .rsplit_once(':')
                .is_some_and(|(_, p)| p.parse::<u16>().is_ok()) =>
        {
            grants.network.push(value.to_owned())
        }
        "secret" if !value.is_empty() => grants.secrets.push(value.to_owned()),
        "dir" => {
            let mut parts = value.split(':');
            let (Some(host), Some(guest)) = (parts.next(), parts.next()) else {
                return Err(format!("--grant {flag}: expected dir=HOST:GUEST[:ro|rw]"));
            };
            let mode = match parts.next() {
                None | Some("ro") => DirMode::Ro,
                Some("rw") => DirMode::Rw,
                Some(other) => {
                    return Err(format!("--grant {flag}: mode '{other}' is not ro or rw"));
                }
            };
            grants.dirs.push(DirGrant {
                host: host.into(),
                guest: guest.into(),
                mode,
            });
        }
        _ => {
            return Err(format!(
                "--grant {flag}: expected dir=HOST:GUEST[:ro|rw], net=HOST:PORT, secret=NAME or catalogue"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_parse() {
        let mut g = Grants::default();
        parse_grant("dir=/tmp/x:/data:rw", &mut g).unwrap();
        parse_grant("net=db.internal:5432", &mut g).unwrap();
        parse_grant("secret=token", &mut g).unwrap();
        parse_grant("catalogue", &mut g).unwrap();
        assert_eq!(g.dirs[0].mode, DirMode::Rw);
        assert_eq!(g.network, ["db.internal:5432"]);
        assert!(g.catalogue);
        let err = parse_grant("net=nohostport", &mut g).unwrap_err();
        assert!(err.contains("net=HOST:PORT"), "{err}");
        assert!(
            parse_grant("dir=/a:/b:rx", &mut g)
                .unwrap_err()
                .contains("rx")
        );
    }

    #[test]
    fn the_text_report_escapes_what_the_plugin_chose() {
        let i = Inspection {
            path: "evil.wasm".into(),
            size_bytes: 1,
            world: Some(PluginKind::Guardrail),
            version: Some("0.1.2".into()),
            exports: vec!["paved:plugin/guardrail-api@0.1.2#review".into()],
            imports: vec![],
            declared_capabilities: vec![Capability::Secret("\u{202e}x".into())],
            implied_capabilities: vec!["files (only granted directories are visible)".into()],
            describe: Some(serde_json::json!({
                "name": "evil", "version": "1",
                "description": "fine\n\x1b[8m\x1b]0;pwned\x07hidden\r"
            })),
        };
        let text = i.to_text();
        assert!(!text.contains('\x1b') && !text.contains('\r') && !text.contains('\u{202e}'));
        assert!(text.contains("fine\\n\\u{1b}[8m"), "{text}");
        // the description stays on its line; what follows is still shown
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[3].starts_with("plugin:   evil 1 - fine"), "{text}");
        assert!(lines.last().unwrap().contains("may try: files"), "{text}");
    }

    #[test]
    fn run_requests_are_tagged_by_operation() {
        let r: RunRequest = serde_json::from_str(
            r#"{"review": {"subject": {"entity": "component:default/a"}, "operation": "create"}}"#,
        )
        .unwrap();
        assert!(matches!(r, RunRequest::Review(_)));
        assert!(serde_json::from_str::<RunRequest>(r#"{"destroy": {}}"#).is_err());
    }
}
