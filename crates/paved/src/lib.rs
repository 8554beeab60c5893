//! paved: an embeddable internal-developer-platform engine.
//!
//! This is the crate a Rust user adds, and the only one the CLI, the Python
//! and Node bindings and the benchmarks depend on. It opens a platform from
//! options and `paved.yaml` ([`open`]), wires the plugin host into it, and
//! exports a curated surface: the platform and its handles, the request and
//! result types they take and return, and the errors. The store is not part
//! of it: every write goes through the platform's pipeline.
//!
//! ```no_run
//! # async fn demo() -> paved::Result<()> {
//! let platform = paved::open(paved::OpenOptions::default().store("sqlite::memory:")).await?;
//! let set = platform
//!     .catalog()
//!     .import(&["examples/catalog".into()], None, &paved::WriteOptions::default())
//!     .await?;
//! println!("{} entities imported", set.changes.len());
//! # Ok(()) }
//! ```
//!
//! [`surface::OPERATIONS`] lists every operation with the name each front
//! gives it.

pub mod config;
mod open;
mod plugin_tools;
mod rego;
pub mod surface;

pub use config::{Config, CustomKind};

/// The allocator paved's programs use (the CLI, the benchmarks): mimalloc. The engine allocates many
/// small values (parsed YAML, JSON documents, index rows) from several
/// threads; with glibc's malloc, allocating and freeing them was over a
/// third of `catalog validate`, which reads 1.88× as many entities a second
/// with this one (BENCHMARKS.md, "A million entities"). A library does not
/// choose for its program: an embedding program opts in the same way, from
/// its `main` crate. Not from an extension module loaded with `dlopen`
/// (the Python and Node packages): this build keeps its thread-locals in
/// static TLS, which such a module cannot allocate ("cannot allocate
/// memory in static TLS block").
///
/// ```no_run
/// #[global_allocator]
/// static ALLOCATOR: paved::Allocator = paved::Allocator;
/// # fn main() {}
/// ```
pub use mimalloc::MiMalloc as Allocator;
pub use open::{DEFAULT_CONFIG, OpenOptions, open, validate};
pub use plugin_tools::{check_plugin, inspect_plugin, plugin_kind};

// The platform and its handles.
pub use paved_core::platform::{
    ApprovalFilter, Approvals, Audit, Catalog, DecisionFilter, Explained, Metrics, MetricsOptions,
    Paths, Platform, PluginInfo, PluginSummary, Plugins, Policies, Resources, Scorecards,
    StoreSpec, parse_decision_id,
};
// Golden paths: Templates previewed, run, rolled back, resumed and measured.
pub use paved_core::path::{
    EntityChange, FileChange, PathOptions, PathPlan, PlannedStep, Progress, RunOutput, RunRecord,
    RunStatus, RunSummary, SnapshotReport, StepEffect, StepRecord, StepStatus, TemplateSummary,
};
// Resources: requests in the catalogue, plans, state, leases, journal.
pub use paved_core::resource::state::{LeaseInfo, SENSITIVE};
pub use paved_core::resource::{
    Action, ApplyReport, DeletionPolicy, DriftItem, DriftReport, ImportReport, PlannedResource,
    Recovered, ResourceOptions, ResourcePlan, ResourceResult, ResourceSettings, ResourceState,
    ResourceSummary, ResultStatus, StateStatus,
};
// Approvals: changes held by the policies that ask for them.
pub use paved_core::approval::{
    Approval, ApprovalChange, ApprovalRule, ApprovalStatus, Requirement,
};
// Policies: bindings in, decisions out.
pub use paved_core::policy::{
    Binding, DECISION_ACTION, Decision, Failure, InlineRego, Match, Mode, POLICY_API_VERSIONS,
    POLICY_KIND, Point, PolicyCaseResult, PolicySpec, PolicyTestReport, RegoSource,
};
// Scorecards: levels of policies, scores of entities and teams over time.
pub use paved_core::scorecard::{
    EntityLevel, Level as ScorecardLevel, LevelCount, RuleScore, RuleStatus, SNAPSHOT_ACTION,
    Score, Scorecard, Snapshot, TeamScore,
};
// Access control: who may make which change.
pub use paved_core::access::{AccessEffect, AccessRules, Rule as AccessRule};
// Writes: options in, change sets out.
pub use paved_core::pipeline::{
    ChangeSet, DEFAULT_ACTOR, Effect, Outcome, PlannedChange, WriteOptions,
};
// Input, validation and where problems are.
pub use paved_core::ingest::{
    ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION, ImportMode, Loaded, Reading, ReadingAllow,
    ReadingConfig, SourcedEntity, Validated, typed_document,
};
// Locations: the roots imports started from, refreshed and watched.
pub use paved_core::locations::{
    ANNOTATION_ORPHAN, CatalogSettings, LocationRead, LocationRefresh, LocationStatus,
    OrphanStrategy, RefreshEvent, RefreshReport, RefreshSchedule,
};
pub use paved_core::model::{Entity, EntityRef, Link, Metadata, Relation, StringMap};
pub use paved_core::{Diagnostic, Severity, SourceLocation};
// Reads.
pub use paved_core::audit::{AuditRecord, ChainBreak, VerifyReport};
pub use paved_core::events::{Event, Subscription};
pub use paved_core::graph::{Graph, GraphEdge, GraphNode, Traversal};
pub use paved_core::query::{FacetCount, Page, QuerySpec};
// Errors.
pub use paved_core::{ERROR_CODES, Error, PluginErrorKind, Result};

/// Defaults core applies when a caller leaves a parameter out.
pub mod defaults {
    /// The blocking threads a front's tokio runtime should allow
    /// (`max_blocking_threads`). The engine's blocking work is SQLite calls,
    /// serialized on the store's two connections, so more threads only wait;
    /// and each thread that allocates gets its own glibc arena: with tokio's
    /// default (512) an apply of 10,000 resources peaked at 487 MiB RSS,
    /// with 4 at 334 MiB, and ran faster (BENCHMARKS.md, Resources). The
    /// CLI uses it; the Python binding keeps tokio's default, as it settles
    /// asyncio futures on blocking threads that wait for the GIL.
    pub const BLOCKING_THREADS: usize = 4;
    pub use paved_core::approval::DEFAULT_TTL as APPROVAL_TTL;
    pub use paved_core::audit::DEFAULT_LIMIT as AUDIT_LIMIT;
    pub use paved_core::graph::DEFAULT_DEPTH as GRAPH_DEPTH;
    pub use paved_core::graph::DEFAULT_LIMIT as GRAPH_LIMIT;
    pub use paved_core::graph::MAX_DEPTH as GRAPH_MAX_DEPTH;
    pub use paved_core::pipeline::DEFAULT_ACTOR as ACTOR;
    pub use paved_core::platform::DEFAULT_APPROVALS as APPROVALS_LIMIT;
    pub use paved_core::platform::DEFAULT_HISTORY as RESOURCE_HISTORY;
    pub use paved_core::platform::DEFAULT_RUNS as PATH_RUNS;
    pub use paved_core::query::{DEFAULT_LIMIT as QUERY_LIMIT, MAX_LIMIT as QUERY_MAX_LIMIT};
    pub use paved_core::resource::journal::{CRASH_ENV, CRASH_POINTS, PAUSE_ENV};
    pub use paved_core::resource::seal::KEY_ENV as STATE_KEY_ENV;
    pub use paved_core::resource::{
        DEFAULT_LEASE_TTL as RESOURCE_LEASE_TTL, DEFAULT_PARALLELISM as RESOURCE_PARALLELISM,
    };
}

/// The plugin contract's types (requests and answers of guardrails,
/// providers and action plugins) and the plugin configuration.
pub mod plugins {
    /// How a plugin reads a catalogue (the `catalogue` grant); implemented
    /// by `Platform::catalogue_lookup()`, and by benchmarks that host plugins.
    pub use paved_core::plugin::CatalogueLookup;
    /// Golden-path actions a plugin provides.
    pub use paved_core::plugin::{
        ActionInfo, ActionPlugin, ActionRequest, ActionResult, GeneratedFile,
    };
    pub use paved_core::plugin::{
        Applied, ApplyRequest, Capability, Change, FieldDiff, GuardrailInfo, ImportRequest,
        Imported, Operation, Plan, PlanRequest, ProviderInfo, ResourceAddress, ResourceRequest,
        ResourceTypeInfo, Review, Subject, Verdict, Violation, default_name,
    };
    /// The traits a native (Rust) guardrail or provider implements, and
    /// what a guardrail may return to review one change for several
    /// bindings (`Guardrail::change_reviews`).
    pub use paved_core::plugin::{ChangeReviews, Guardrail, Provider};
    pub use paved_plugins::inspect::{Inspection, parse_grant};
    pub use paved_plugins::{DirGrant, DirMode, Grants, Limits, PluginConfig, PluginKind};
}

/// Checks between plan and commit, before the policies (access rules).
pub mod checks {
    pub use paved_core::pipeline::Check;
    pub use paved_core::platform::PlatformBuilder;
}

/// Text from plugins made safe for a terminal: control characters, escape
/// sequences and bidi overrides shown as visible escapes. Every human-readable
/// output of a front passes plugin text through it; JSON output stays exact.
pub mod display {
    pub use paved_plugins::display::{sanitize, sanitize_line};
}

/// Schemas for editors: entities and `paved.yaml`.
pub mod schema {
    pub use paved_core::model::schema::{KindRegistry, export};
}
