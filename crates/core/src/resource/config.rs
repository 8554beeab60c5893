//! The `resources:` section of `paved.yaml`.
//!
//! ```yaml
//! resources:
//!   parallelism: 8          # independent resources applied at once
//!   leaseTtl: 30s           # a lease lapses this long after its last renewal
//!   stateKey:               # the key outputs are sealed with (32 bytes, base64)
//!     env: PAVED_STATE_KEY  # read from this variable, or:
//!     # file: secrets/state.key   (relative to paved.yaml)
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ResourceSettings;
use super::seal::parse_key;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};

/// Where the state key comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeySource {
    /// An environment variable holding the key.
    #[serde(default)]
    pub env: Option<String>,
    /// A file holding the key (relative to the configuration file).
    #[serde(default)]
    pub file: Option<PathBuf>,
}

/// How resources are applied, as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceConfig {
    /// Independent resources applied at once (default 8).
    #[serde(default)]
    pub parallelism: Option<usize>,
    /// Lease lifetime: a number and a unit s, m, h or d (default 30s).
    #[serde(default)]
    pub lease_ttl: Option<String>,
    /// The key outputs are sealed with.
    #[serde(default)]
    pub state_key: Option<KeySource>,
}

fn problem(path: &str, message: String) -> Error {
    Error::invalid(Diagnostic::error(path, message))
}

impl ResourceConfig {
    /// The settings this section asks for; paths are relative to `base`.
    /// Errors name the field (`resources.leaseTtl`).
    pub fn settings(&self, base: &Path) -> Result<ResourceSettings> {
        let mut settings = ResourceSettings::default();
        if let Some(n) = self.parallelism {
            if n == 0 {
                return Err(problem(
                    "resources.parallelism",
                    "expected at least 1 (resources applied at once)".into(),
                ));
            }
            settings.parallelism = n;
        }
        if let Some(ttl) = &self.lease_ttl {
            let d = crate::approval::parse_ttl(ttl)
                .map_err(|why| problem("resources.leaseTtl", why))?;
            settings.lease_ttl = d
                .to_std()
                .map_err(|_| problem("resources.leaseTtl", format!("'{ttl}' is not a duration")))?;
        }
        if let Some(source) = &self.state_key {
            let text = match (&source.env, &source.file) {
                (Some(var), None) => std::env::var(var).map_err(|_| {
                    problem(
                        "resources.stateKey.env",
                        format!("the environment variable {var} is not set (it should hold a 32-byte key, base64)"),
                    )
                })?,
                (None, Some(file)) => {
                    let path = base.join(file);
                    std::fs::read_to_string(&path).map_err(|source| Error::Io {
                        path: path.display().to_string(),
                        source,
                    })?
                }
                _ => {
                    return Err(problem(
                        "resources.stateKey",
                        "expected exactly one of env or file".into(),
                    ));
                }
            };
            let key = parse_key(&text).map_err(|e| match e {
                Error::Invalid { mut diagnostics } => {
                    for d in &mut diagnostics {
                        d.path = "resources.stateKey".into();
                    }
                    Error::Invalid { diagnostics }
                }
                other => other,
            })?;
            settings.state_key = Some(key);
        }
        Ok(settings)
    }
}
