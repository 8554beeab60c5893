//! [`paved::Platform`] for JS: `open()`, store-less `validate()`, `surface()`,
//! and the platform's handles `catalog`, `audit`, `plugins`, `policies`,
//! `scorecards`, `approvals`, `resources`, `paths`, `subscribe()`.
//!
//! Options cross as they are: a missing option is `None` for
//! [`paved::open`], which resolves store, config, actor and plugins the
//! same way for every front.

use std::path::PathBuf;

use napi::Env;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::approvals::Approvals;
use crate::audit::Audit;
use crate::catalog::Catalog;
use crate::error::{blocking, promise};
use crate::events::Subscription;
use crate::ingest::ValidationReport;
use crate::paths::Paths;
use crate::plugins::{PluginOptions, Plugins};
use crate::policies::Policies;
use crate::resources::Resources;
use crate::scorecards::Scorecards;

/// Which platform to open. Every option is optional: `open()` reads
/// `$PAVED_STORE`, `$PAVED_CONFIG`, `$PAVED_ACTOR` and `./paved.yaml`, and
/// falls back to the SQLite file `.paved/paved.db`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// `sqlite:PATH`, `sqlite::memory:` or `postgres://user@host:port/database`;
    /// overrides `$PAVED_STORE` and the config file's store.
    pub store: Option<String>,
    /// Path of a `paved.yaml` (store, actor, custom kinds, plugins).
    pub config: Option<String>,
    /// Who writes when a call names no actor (`user:default/ada`, `system`).
    pub actor: Option<String>,
    /// Plugins to load besides the config file's.
    pub plugins: Option<Vec<PluginOptions>>,
    /// Directory for precompiled plugin components.
    pub plugin_cache: Option<String>,
    /// Snapshot each guardrail after it validated its settings, so reviews start warm.
    pub prepare_guardrails: Option<bool>,
}

impl OpenOptions {
    fn core(o: Option<Self>) -> paved::Result<paved::OpenOptions> {
        let o = o.unwrap_or_default();
        Ok(paved::OpenOptions {
            store: o.store,
            config: o.config.map(PathBuf::from),
            actor: o.actor,
            plugins: o
                .plugins
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, p)| p.config(&format!("plugins[{i}]")))
                .collect::<paved::Result<_>>()?,
            plugin_cache: o.plugin_cache.map(PathBuf::from),
            prepare_guardrails: o.prepare_guardrails.unwrap_or_default(),
        })
    }
}

/// Open a platform (creating the SQLite file and its schema if needed) and
/// load its plugins.
///
/// ```js
/// const platform = await open()    // $PAVED_STORE, ./paved.yaml, or .paved/paved.db
/// const shared = await open({ store: 'postgres://postgres@127.0.0.1:5432/idp' })
/// const configured = await open({ config: 'paved.yaml', actor: 'user:default/ada' })
/// ```
#[napi]
pub fn open(env: &Env, options: Option<OpenOptions>) -> Result<AsyncBlock<Platform>> {
    promise(env, async move {
        let inner = paved::open(OpenOptions::core(options)?).await?;
        Ok(Platform { inner })
    })
}

/// Options of store-less validation.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// A `paved.yaml` whose custom kinds apply (default: `$PAVED_CONFIG`, `./paved.yaml`).
    pub config: Option<String>,
}

/// Check catalogue files and directories (and the locations they name)
/// without a store: the checks an import runs first. Writes nothing.
#[napi]
pub fn validate(
    env: &Env,
    paths: Vec<String>,
    options: Option<ValidateOptions>,
) -> Result<AsyncBlock<ValidationReport>> {
    let options = paved::OpenOptions {
        config: options.and_then(|o| o.config).map(PathBuf::from),
        ..paved::OpenOptions::default()
    };
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    blocking(env, move || Ok(paved::validate(&paths, &options)?.into()))
}

/// The operations of the engine and the name each front gives them
/// (`paved::surface::OPERATIONS`): what the parity tests check.
#[napi(
    ts_return_type = "Array<{ name: string; writes: boolean; cli: string | null; python: string; node: string; defaults: Array<[string, string]>; why: string | null }>"
)]
pub fn surface() -> Value {
    paved::surface::surface()
}

/// An open platform: a store, the kind registry, the event bus and the
/// plugins. Get one with `open()`.
#[napi]
pub struct Platform {
    inner: paved::Platform,
}

#[napi]
impl Platform {
    /// The catalogue: validate, import, upsert, delete, get, query, search, facets, graph.
    #[napi(getter)]
    pub fn catalog(&self) -> Catalog {
        Catalog {
            inner: self.inner.catalog(),
        }
    }

    /// The audit log.
    #[napi(getter)]
    pub fn audit(&self) -> Audit {
        Audit {
            inner: self.inner.audit(),
        }
    }

    /// The guardrails and providers the platform was opened with.
    #[napi(getter)]
    pub fn plugins(&self) -> Plugins {
        Plugins {
            inner: self.inner.plugins(),
        }
    }

    /// The policy bindings, their decisions, and trying an entity on them.
    #[napi(getter)]
    pub fn policies(&self) -> Policies {
        Policies {
            inner: self.inner.policies(),
        }
    }

    /// The scorecards: entities and teams scored on the platform's levels.
    #[napi(getter)]
    pub fn scorecards(&self) -> Scorecards {
        Scorecards {
            inner: self.inner.scorecards(),
        }
    }

    /// Changes held by policies that ask for approval: list, approve, reject.
    #[napi(getter)]
    pub fn approvals(&self) -> Approvals {
        Approvals {
            inner: self.inner.approvals(),
        }
    }

    /// Resources provisioned through the providers: plan, apply, destroy,
    /// drift, import; their state, history, outputs and leases.
    #[napi(getter)]
    pub fn resources(&self) -> Resources {
        Resources {
            inner: self.inner.resources(),
        }
    }

    /// The golden paths: the catalogue's Templates listed, previewed
    /// (`dryRun`), run, resumed, tested against snapshots and measured.
    #[napi(getter)]
    pub fn paths(&self) -> Paths {
        Paths {
            inner: self.inner.paths(),
        }
    }

    /// Subscribe to events from now on: this process's and, on a PostgreSQL
    /// store, every other process's too.
    #[napi]
    pub fn subscribe(&self) -> Subscription {
        Subscription::new(self.inner.subscribe())
    }

    /// The store, e.g. `sqlite:.paved/paved.db` or `postgres://127.0.0.1:5432/idp`.
    #[napi(getter)]
    pub fn store_description(&self) -> String {
        self.inner.store_description()
    }

    /// This instance's origin id, carried by the events it causes.
    #[napi(getter)]
    pub fn origin(&self) -> String {
        self.inner.origin().to_string()
    }

    /// The actor writes are recorded under when they name none.
    #[napi(getter)]
    pub fn actor(&self) -> String {
        self.inner.actor().to_string()
    }
}
