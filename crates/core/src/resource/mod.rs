//! Resources: what a developer asks a provider for, and what paved keeps
//! about it.
//!
//! A resource is declared as a catalogue `Resource` entity whose `spec`
//! carries, beside Backstage's fields (`type`, `owner`, `system`,
//! `dependsOn`), the request: `params` (checked against the provider's JSON
//! Schema for `type`), and optionally `environment`, `provider` and
//! `deletionPolicy` (`delete` | `orphan`). A Resource without `params` is
//! observed only (adopted with `import`, read for drift, never changed).
//! Params may use the outputs of other resources,
//! `${{ resources.orders-db.outputs.host }}`, which orders them after those
//! resources. The catalogue is the inventory; the store keeps, beside it,
//! each resource's versioned state, its lease and the journal of provider
//! calls ([`crate::store::ResourceStore`]).
//!
//! This module holds the parts that need no platform: reading a request
//! from an entity ([`desired`]), dependency order ([`order`]), sealing
//! outputs at rest ([`seal`]), the state document and what fronts see of it
//! ([`state`]), leases ([`lease`]) and the journal's crash points
//! ([`journal`]). The lifecycle (plan, apply, drift, destroy, import,
//! recovery) is `platform::resources`, reached by
//! [`crate::Platform::resources`].

pub mod config;
pub mod desired;
pub mod journal;
pub mod lease;
pub mod order;
pub mod seal;
pub mod state;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use config::{KeySource, ResourceConfig};
pub use desired::{DeletionPolicy, Desired};
pub use state::{
    Action, ApplyReport, DriftItem, DriftReport, ImportReport, PlannedResource, Recovered,
    ResourcePlan, ResourceResult, ResourceState, ResourceSummary, ResultStatus, StateStatus,
};

/// How many resources an apply works on at once by default.
pub const DEFAULT_PARALLELISM: usize = 8;
/// How long a lease lasts unless renewed.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(30);

/// How the platform runs resource operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSettings {
    /// Independent resources applied at once (default 8).
    pub parallelism: usize,
    /// Lease lifetime; renewed every third of it while working (default 30 s).
    pub lease_ttl: Duration,
    /// The 32-byte key outputs are sealed with. None: `PAVED_STATE_KEY`
    /// (base64), else a key file beside a SQLite store's file (created on
    /// first use, mode 0600), else (PostgreSQL) outputs cannot be stored.
    pub state_key: Option<[u8; 32]>,
}

impl Default for ResourceSettings {
    fn default() -> Self {
        Self {
            parallelism: DEFAULT_PARALLELISM,
            lease_ttl: DEFAULT_LEASE_TTL,
            state_key: None,
        }
    }
}

/// Options of a resource operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceOptions {
    /// Who acts (as [`crate::pipeline::WriteOptions::actor`]).
    pub actor: Option<String>,
    /// Plan only: return the plan and its policy decisions, change nothing.
    pub dry_run: bool,
    /// Independent resources worked on at once (none: the platform's).
    pub parallelism: Option<usize>,
}

impl ResourceOptions {
    pub(crate) fn write_options(&self) -> crate::pipeline::WriteOptions {
        crate::pipeline::WriteOptions {
            actor: self.actor.clone(),
            dry_run: self.dry_run,
        }
    }
}
