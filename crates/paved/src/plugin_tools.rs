//! Store-less plugin tools: look inside a component, and load one with its
//! settings and grants to see whether it would load. Neither calls a
//! provider's side effects (those go through `Platform::plugins()`, audited).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use paved_core::Result;
use paved_core::platform::PluginInfo;
use paved_plugins::inspect::{self, Inspection};
use paved_plugins::{EnvSecrets, LoadedPlugin, PluginConfig, PluginHost, PluginKind};

fn host(cache: Option<PathBuf>) -> Result<PluginHost> {
    let mut builder = PluginHost::builder().secrets(Arc::new(EnvSecrets));
    if let Some(dir) = cache {
        builder = builder.cache_dir(dir);
    }
    Ok(builder.build()?)
}

/// What a component is, exports, imports and asks for, without running its
/// settings check (`cache`: a directory for precompiled components).
pub async fn inspect_plugin(path: &Path, cache: Option<PathBuf>) -> Result<Inspection> {
    Ok(inspect::inspect(&host(cache)?, path).await?)
}

/// Which world the component at `path` implements, read from its exports
/// (for a plugin configured without a `kind`). A component that exports
/// neither world's API is a `PLUGIN` error of kind `load` naming its exports.
pub async fn plugin_kind(path: &Path, cache: Option<PathBuf>) -> Result<PluginKind> {
    Ok(inspect::detect_kind(&host(cache)?, path).await?)
}

/// Load a plugin as configured (its settings validated, its grants applied)
/// and return what it says of itself.
pub async fn check_plugin(config: PluginConfig, cache: Option<PathBuf>) -> Result<PluginInfo> {
    Ok(match host(cache)?.load(config).await? {
        LoadedPlugin::Guardrail(g) => PluginInfo::Guardrail(g.info().clone()),
        LoadedPlugin::Provider(p) => PluginInfo::Provider(p.info().clone()),
        LoadedPlugin::Action(a) => {
            use paved_core::plugin::ActionPlugin;
            PluginInfo::Action {
                name: a.name().to_string(),
                actions: a.actions().to_vec(),
            }
        }
    })
}
