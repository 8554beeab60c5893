//! Per-plugin configuration: where the component is, which world it
//! implements, its settings, the capabilities granted to it and its limits.
//! Deserializable with serde so the facade's config file can embed it:
//!
//! ```yaml
//! plugins:
//!   - name: require-owner
//!     path: plugins/require_owner.wasm
//!     kind: guardrail
//!     settings: { allowedKinds: [group] }
//!     grants: { catalogue: true }
//!     limits: { timeoutMs: 500 }
//! ```
//!
//! Everything not granted is denied: no network, no directories, no secrets,
//! no catalogue.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    Provider,
    Guardrail,
    /// Provides golden-path actions (`paved:plugin/action`).
    Action,
}

impl PluginKind {
    /// The WIT world name.
    pub fn world(self) -> &'static str {
        match self {
            Self::Provider => "paved:plugin/provider",
            Self::Guardrail => "paved:plugin/guardrail",
            Self::Action => "paved:plugin/action",
        }
    }
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Provider => "provider",
            Self::Guardrail => "guardrail",
            Self::Action => "action",
        })
    }
}

/// One plugin as configured by the operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginConfig {
    /// Name used in logs, errors and audit records.
    pub name: String,
    /// Path of the `.wasm` component.
    pub path: PathBuf,
    /// Which world it implements.
    pub kind: PluginKind,
    /// Settings (a JSON object), validated once at load by `validate-settings`.
    #[serde(default = "empty_object")]
    pub settings: Value,
    /// Capabilities granted (none by default).
    #[serde(default)]
    pub grants: Grants,
    /// Limits (defaults depend on the kind).
    #[serde(default)]
    pub limits: Limits,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

impl PluginConfig {
    /// A plugin with no settings, no grants and default limits.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>, kind: PluginKind) -> Self {
        Self {
            name: name.into(),
            path: path.into(),
            kind,
            settings: empty_object(),
            grants: Grants::default(),
            limits: Limits::default(),
        }
    }

    /// Replace the settings.
    pub fn settings(mut self, settings: Value) -> Self {
        self.settings = settings;
        self
    }

    /// Replace the grants.
    pub fn grants(mut self, grants: Grants) -> Self {
        self.grants = grants;
        self
    }

    /// Replace the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// Capabilities granted to one plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Grants {
    /// Outbound TCP (and so HTTP) to these `host:port` pairs only.
    #[serde(default)]
    pub network: Vec<String>,
    /// Host directories made visible to the guest.
    #[serde(default)]
    pub dirs: Vec<DirGrant>,
    /// Names of secrets the plugin may read.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Read-only catalogue lookups.
    #[serde(default)]
    pub catalogue: bool,
}

/// A host directory preopened for the guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirGrant {
    /// Directory on the host.
    pub host: PathBuf,
    /// Path the guest sees it under, e.g. `/data`.
    pub guest: String,
    /// Read-only unless `rw`.
    #[serde(default)]
    pub mode: DirMode,
}

/// Access to a preopened directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirMode {
    #[default]
    Ro,
    Rw,
}

/// Per-call limits; `None` takes the default for the plugin's kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    /// Deadline of one call in milliseconds (default 1 s for guardrails,
    /// 10 s for actions, 5 min for providers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Linear-memory cap in MiB (default 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u64>,
    /// Cap on the bytes of one answer (default 1 MiB for guardrails, 16 MiB
    /// for providers and actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_bytes: Option<usize>,
    /// Cap on host calls (log, config, secrets, catalogue) per call (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_host_calls: Option<u32>,
}

/// Limits with every default filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedLimits {
    pub timeout: Duration,
    pub memory_bytes: usize,
    pub max_output_bytes: usize,
    pub max_host_calls: u32,
}

/// Largest memory cap a plugin may be given (the pooling allocator reserves
/// this much address space per slot).
pub const MAX_MEMORY_MIB: u64 = 1024;

/// Longest deadline a call may be given (one day): beyond it the epoch
/// arithmetic would overflow and the call would time out at once.
pub const MAX_TIMEOUT_MS: u64 = 24 * 60 * 60 * 1000;

impl Limits {
    /// Refuse values out of range (each message names the field): a zero
    /// or over-a-day deadline, a memory cap of zero or over
    /// [`MAX_MEMORY_MIB`], a zero output cap or one over 1 GiB, zero host
    /// calls. Loading a plugin checks this first.
    pub fn check(&self) -> Result<(), String> {
        let out_of_range = |field: &str, value: u64, min: u64, max: u64| {
            format!("limits.{field}: {value} is out of range (from {min} to {max})")
        };
        if let Some(t) = self.timeout_ms
            && !(1..=MAX_TIMEOUT_MS).contains(&t)
        {
            return Err(out_of_range("timeoutMs", t, 1, MAX_TIMEOUT_MS));
        }
        if let Some(m) = self.memory_mib
            && !(1..=MAX_MEMORY_MIB).contains(&m)
        {
            return Err(out_of_range("memoryMib", m, 1, MAX_MEMORY_MIB));
        }
        if let Some(o) = self.max_output_bytes
            && !(1..=1 << 30).contains(&o)
        {
            return Err(out_of_range("maxOutputBytes", o as u64, 1, 1 << 30));
        }
        if self.max_host_calls == Some(0) {
            return Err(out_of_range("maxHostCalls", 0, 1, u32::MAX as u64));
        }
        Ok(())
    }

    /// Fill in the defaults for `kind`.
    pub fn resolve(&self, kind: PluginKind) -> ResolvedLimits {
        let (timeout, output) = match kind {
            PluginKind::Guardrail => (Duration::from_secs(1), 1 << 20),
            PluginKind::Provider => (Duration::from_secs(300), 16 << 20),
            PluginKind::Action => (Duration::from_secs(10), 16 << 20),
        };
        ResolvedLimits {
            timeout: self
                .timeout_ms
                .map(Duration::from_millis)
                .unwrap_or(timeout),
            memory_bytes: (self.memory_mib.unwrap_or(64).min(MAX_MEMORY_MIB) as usize) << 20,
            max_output_bytes: self.max_output_bytes.unwrap_or(output),
            max_host_calls: self.max_host_calls.unwrap_or(1000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_from_the_facade_file_shape() {
        let c: PluginConfig = serde_json::from_value(json!({
            "name": "dirs", "path": "p.wasm", "kind": "provider",
            "grants": {"dirs": [{"host": "/tmp/x", "guest": "/data", "mode": "rw"}],
                       "network": ["db.internal:5432"], "secrets": ["token"]},
            "limits": {"timeoutMs": 250, "memoryMib": 16}
        }))
        .unwrap();
        assert_eq!(c.grants.dirs[0].mode, DirMode::Rw);
        assert!(!c.grants.catalogue);
        let l = c.limits.resolve(c.kind);
        assert_eq!(l.timeout, Duration::from_millis(250));
        assert_eq!(l.memory_bytes, 16 << 20);
        assert_eq!(l.max_output_bytes, 16 << 20);
    }

    #[test]
    fn unknown_grant_is_an_error() {
        let err = serde_json::from_value::<PluginConfig>(json!({
            "name": "x", "path": "p.wasm", "kind": "guardrail", "grants": {"filesystem": true}
        }))
        .unwrap_err();
        assert!(err.to_string().contains("filesystem"), "{err}");
    }

    #[test]
    fn out_of_range_limits_are_refused() {
        for (limits, field) in [
            (json!({"timeoutMs": 0}), "timeoutMs"),
            (json!({"timeoutMs": u64::MAX}), "timeoutMs"),
            (json!({"memoryMib": 4096}), "memoryMib"),
            (json!({"maxOutputBytes": 0}), "maxOutputBytes"),
            (json!({"maxHostCalls": 0}), "maxHostCalls"),
        ] {
            let l: Limits = serde_json::from_value(limits).unwrap();
            let err = l.check().unwrap_err();
            assert!(err.contains(field), "{err}");
        }
        Limits::default().check().unwrap();
        let l: Limits = serde_json::from_value(json!({"timeoutMs": 86_400_000})).unwrap();
        l.check().unwrap();
    }

    #[test]
    fn guardrail_defaults() {
        let l = Limits::default().resolve(PluginKind::Guardrail);
        assert_eq!(l.timeout, Duration::from_secs(1));
        assert_eq!(l.memory_bytes, 64 << 20);
    }
}
