//! The operations of the facade, and the name each front gives them.
//!
//! This table is the contract the parity tests check: `crates/cli/tests`
//! runs `paved <cli> --help` for each row, the Python and Node suites look up
//! each name on their objects (`paved._native.surface()`,
//! `require('paved').surface()`), and `tests/one_door.rs` proves every row
//! that writes goes through the pipeline. Defaults are not repeated per
//! front: every front passes "not given" through and core applies the
//! default (`pipeline::DEFAULT_ACTOR`, `audit::DEFAULT_LIMIT`,
//! `graph::DEFAULT_DEPTH`, `graph::DEFAULT_LIMIT`, `query::DEFAULT_LIMIT`),
//! listed here for the README. Where a front differs, `why` says why.

use serde::Serialize;

/// One operation of the facade.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Operation {
    /// The Rust name: a method of a handle (`catalog.query`) or a function.
    pub name: &'static str,
    /// Whether it changes anything (and so goes through the pipeline).
    pub writes: bool,
    /// `paved` subcommand, or `None` where the CLI has no such command.
    pub cli: Option<&'static str>,
    /// Attribute path from `paved` / a `Platform` object.
    pub python: &'static str,
    /// Property path from the `paved` module / a `Platform` object.
    pub node: &'static str,
    /// Defaults core applies when the caller leaves a parameter out.
    pub defaults: &'static [(&'static str, &'static str)],
    /// Why a front differs, when one does.
    pub why: Option<&'static str>,
}

const fn op(
    name: &'static str,
    writes: bool,
    cli: Option<&'static str>,
    python: &'static str,
    node: &'static str,
) -> Operation {
    Operation {
        name,
        writes,
        cli,
        python,
        node,
        defaults: &[],
        why: None,
    }
}

const WRITE_DEFAULTS: &[(&str, &str)] = &[("actor", "the platform's actor"), ("dry_run", "false")];

/// Defaults of resource operations that change resources.
const RESOURCE_DEFAULTS: &[(&str, &str)] = &[
    ("actor", "the platform's actor"),
    ("dry_run", "false"),
    ("parallelism", "paved.yaml's resources.parallelism, 8"),
];

/// Defaults of resource operations that only read resources.
const RESOURCE_READ_DEFAULTS: &[(&str, &str)] = &[
    ("actor", "the platform's actor"),
    ("parallelism", "paved.yaml's resources.parallelism, 8"),
];

/// Defaults of a golden-path run and its dry run.
const PATH_DEFAULTS: &[(&str, &str)] = &[
    ("actor", "the platform's actor"),
    ("workspace", ".paved/workspaces/RUN-ID"),
    ("secrets", "none"),
];

/// `catalog.refresh`'s defaults: every location, then a write's.
const REFRESH_DEFAULTS: &[(&str, &str)] = &[
    ("location", "every registered location"),
    ("actor", "the platform's actor"),
    ("dry_run", "false"),
];

/// `catalog.refreshes`' defaults: once, unless an interval or watching.
const REFRESHES_DEFAULTS: &[(&str, &str)] = &[
    ("location", "every registered location"),
    ("interval", "none"),
    ("watch", "false"),
    ("actor", "the platform's actor"),
    ("dry_run", "false"),
];

/// `catalog.import`'s defaults: the mode (`ingest::ImportMode::default`), then a write's.
const IMPORT_DEFAULTS: &[(&str, &str)] = &[
    ("mode", "per-entity (or all-or-nothing)"),
    ("actor", "the platform's actor"),
    ("dry_run", "false"),
];

/// Every operation, in the order the README lists them.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        defaults: &[
            (
                "store",
                "$PAVED_STORE, the config's store, sqlite:.paved/paved.db",
            ),
            ("config", "$PAVED_CONFIG, ./paved.yaml when it exists"),
            ("actor", "$PAVED_ACTOR, the config's actor, system"),
        ],
        why: Some("the CLI opens a platform for every command, from --store, --config and --actor"),
        ..op("open", false, None, "Platform.open", "open")
    },
    op(
        "validate",
        false,
        Some("catalog validate"),
        "validate",
        "validate",
    ),
    Operation {
        why: Some("the CLI validates files without a store: `paved catalog validate`"),
        ..op(
            "catalog.validate",
            false,
            None,
            "catalog.validate",
            "catalog.validate",
        )
    },
    Operation {
        why: Some("the CLI reads files; pass a file to `paved catalog validate`"),
        ..op(
            "catalog.validate_text",
            false,
            None,
            "catalog.validate_text",
            "catalog.validateText",
        )
    },
    Operation {
        why: Some("the CLI reads files; pass a file to `paved catalog validate`"),
        ..op(
            "catalog.validate_values",
            false,
            None,
            "catalog.validate_values",
            "catalog.validateValues",
        )
    },
    Operation {
        defaults: IMPORT_DEFAULTS,
        why: Some(
            "`import` is a Python keyword; the CLI exits 3 when a per-entity import was partial",
        ),
        ..op(
            "catalog.import",
            true,
            Some("catalog import"),
            "catalog.import_files",
            "catalog.import",
        )
    },
    Operation {
        defaults: WRITE_DEFAULTS,
        ..op(
            "catalog.upsert",
            true,
            Some("catalog upsert"),
            "catalog.upsert",
            "catalog.upsert",
        )
    },
    Operation {
        defaults: WRITE_DEFAULTS,
        ..op(
            "catalog.delete",
            true,
            Some("catalog delete"),
            "catalog.delete",
            "catalog.delete",
        )
    },
    Operation {
        defaults: REFRESH_DEFAULTS,
        why: Some(
            "the CLI exits 3 when something was refused, 1 when a location could not be read",
        ),
        ..op(
            "catalog.refresh",
            true,
            Some("catalog refresh"),
            "catalog.refresh",
            "catalog.refresh",
        )
    },
    Operation {
        defaults: REFRESHES_DEFAULTS,
        why: Some("the CLI refreshes on and on with --watch or --interval, until interrupted"),
        ..op(
            "catalog.refreshes",
            true,
            Some("catalog refresh --watch"),
            "catalog.refreshes",
            "catalog.refreshes",
        )
    },
    op(
        "catalog.locations",
        false,
        Some("catalog locations"),
        "catalog.locations",
        "catalog.locations",
    ),
    op(
        "catalog.location",
        false,
        Some("catalog locations LOCATION"),
        "catalog.location",
        "catalog.location",
    ),
    op(
        "catalog.get",
        false,
        Some("catalog get"),
        "catalog.get",
        "catalog.get",
    ),
    Operation {
        defaults: &[("limit", "100")],
        ..op(
            "catalog.query",
            false,
            Some("catalog query"),
            "catalog.query",
            "catalog.query",
        )
    },
    Operation {
        defaults: &[("limit (page size)", "100")],
        ..op(
            "catalog.query_all",
            false,
            Some("catalog query --all"),
            "catalog.query_all",
            "catalog.queryAll",
        )
    },
    Operation {
        defaults: &[("limit", "100")],
        ..op(
            "catalog.search",
            false,
            Some("catalog search"),
            "catalog.search",
            "catalog.search",
        )
    },
    Operation {
        defaults: &[("limit", "every value")],
        ..op(
            "catalog.facets",
            false,
            Some("catalog facets"),
            "catalog.facets",
            "catalog.facets",
        )
    },
    Operation {
        defaults: &[
            ("traversal", "dependencies"),
            ("depth", "2"),
            ("limit", "1000"),
        ],
        ..op(
            "catalog.graph",
            false,
            Some("catalog graph"),
            "catalog.graph",
            "catalog.graph",
        )
    },
    Operation {
        defaults: &[("after", "0"), ("limit", "100")],
        ..op(
            "audit.list",
            false,
            Some("audit list"),
            "audit.list",
            "audit.list",
        )
    },
    Operation {
        defaults: &[("limit", "100")],
        ..op(
            "audit.for_entity",
            false,
            Some("audit list --entity"),
            "audit.for_entity",
            "audit.forEntity",
        )
    },
    op(
        "audit.verify",
        false,
        Some("audit verify"),
        "audit.verify",
        "audit.verify",
    ),
    op(
        "subscribe",
        false,
        Some("events watch"),
        "subscribe",
        "subscribe",
    ),
    op(
        "plugins.list",
        false,
        Some("plugin list"),
        "plugins.list",
        "plugins.list",
    ),
    op(
        "plugins.describe",
        false,
        Some("plugin describe"),
        "plugins.describe",
        "plugins.describe",
    ),
    Operation {
        defaults: &[("settings", "the configured settings")],
        ..op(
            "plugins.review",
            false,
            Some("plugin review"),
            "plugins.review",
            "plugins.review",
        )
    },
    op(
        "plugins.plan",
        false,
        Some("plugin plan"),
        "plugins.plan",
        "plugins.plan",
    ),
    op(
        "plugins.read",
        false,
        Some("plugin read"),
        "plugins.read",
        "plugins.read",
    ),
    Operation {
        defaults: WRITE_DEFAULTS,
        ..op(
            "plugins.apply",
            true,
            Some("plugin apply"),
            "plugins.apply",
            "plugins.apply",
        )
    },
    Operation {
        defaults: WRITE_DEFAULTS,
        ..op(
            "plugins.delete",
            true,
            Some("plugin delete"),
            "plugins.delete",
            "plugins.delete",
        )
    },
    Operation {
        defaults: WRITE_DEFAULTS,
        why: Some("`import` is a Python keyword"),
        ..op(
            "plugins.import",
            true,
            Some("plugin import"),
            "plugins.import_resource",
            "plugins.import",
        )
    },
    op(
        "policies.list",
        false,
        Some("policy list"),
        "policies.list",
        "policies.list",
    ),
    Operation {
        defaults: &[("actor", "the platform's actor")],
        ..op(
            "policies.evaluate",
            false,
            Some("policy eval"),
            "policies.evaluate",
            "policies.evaluate",
        )
    },
    op(
        "policies.test",
        false,
        Some("policy test"),
        "policies.test",
        "policies.test",
    ),
    op(
        "policies.why",
        false,
        Some("policy why"),
        "policies.why",
        "policies.why",
    ),
    Operation {
        defaults: &[("limit", "100 (audit::DEFAULT_LIMIT)")],
        ..op(
            "policies.decisions",
            false,
            Some("policy decisions"),
            "policies.decisions",
            "policies.decisions",
        )
    },
    Operation {
        defaults: &[
            ("status", "every status"),
            ("limit", "50 (platform::DEFAULT_APPROVALS)"),
        ],
        ..op(
            "approvals.list",
            false,
            Some("approval list"),
            "approvals.list",
            "approvals.list",
        )
    },
    op(
        "approvals.get",
        false,
        Some("approval show"),
        "approvals.get",
        "approvals.get",
    ),
    Operation {
        defaults: WRITE_DEFAULTS,
        ..op(
            "approvals.approve",
            true,
            Some("approval approve"),
            "approvals.approve",
            "approvals.approve",
        )
    },
    Operation {
        defaults: WRITE_DEFAULTS,
        ..op(
            "approvals.reject",
            true,
            Some("approval reject"),
            "approvals.reject",
            "approvals.reject",
        )
    },
    Operation {
        defaults: RESOURCE_READ_DEFAULTS,
        ..op(
            "resources.plan",
            false,
            Some("resource plan"),
            "resources.plan",
            "resources.plan",
        )
    },
    Operation {
        defaults: RESOURCE_DEFAULTS,
        ..op(
            "resources.apply",
            true,
            Some("resource apply"),
            "resources.apply",
            "resources.apply",
        )
    },
    Operation {
        defaults: RESOURCE_READ_DEFAULTS,
        ..op(
            "resources.drift",
            true,
            Some("resource drift"),
            "resources.drift",
            "resources.drift",
        )
    },
    Operation {
        defaults: RESOURCE_DEFAULTS,
        ..op(
            "resources.destroy",
            true,
            Some("resource destroy"),
            "resources.destroy",
            "resources.destroy",
        )
    },
    Operation {
        defaults: &[("actor", "the platform's actor")],
        why: Some("`import` is a Python keyword, so Python names it `import_`"),
        ..op(
            "resources.import",
            true,
            Some("resource import"),
            "resources.import_",
            "resources.import",
        )
    },
    op(
        "resources.list",
        false,
        Some("resource list"),
        "resources.list",
        "resources.list",
    ),
    op(
        "resources.state",
        false,
        Some("resource state"),
        "resources.state",
        "resources.state",
    ),
    Operation {
        defaults: &[("limit", "50 (platform::DEFAULT_HISTORY)")],
        ..op(
            "resources.history",
            false,
            Some("resource history"),
            "resources.history",
            "resources.history",
        )
    },
    Operation {
        defaults: &[("reveal", "false"), ("actor", "the platform's actor")],
        ..op(
            "resources.outputs",
            true,
            Some("resource outputs"),
            "resources.outputs",
            "resources.outputs",
        )
    },
    Operation {
        defaults: WRITE_DEFAULTS,
        ..op(
            "resources.unlock",
            true,
            Some("resource unlock"),
            "resources.unlock",
            "resources.unlock",
        )
    },
    op(
        "paths.list",
        false,
        Some("path list"),
        "paths.list",
        "paths.list",
    ),
    op(
        "paths.show",
        false,
        Some("path show"),
        "paths.show",
        "paths.show",
    ),
    Operation {
        defaults: PATH_DEFAULTS,
        ..op(
            "paths.dry_run",
            false,
            Some("path dry-run"),
            "paths.dry_run",
            "paths.dryRun",
        )
    },
    Operation {
        defaults: PATH_DEFAULTS,
        ..op(
            "paths.run",
            true,
            Some("path run"),
            "paths.run",
            "paths.run",
        )
    },
    Operation {
        defaults: &[("actor", "the run's actor")],
        ..op(
            "paths.resume",
            true,
            Some("path resume"),
            "paths.resume",
            "paths.resume",
        )
    },
    Operation {
        defaults: &[("limit", "50 (platform::DEFAULT_RUNS)")],
        ..op(
            "paths.runs",
            false,
            Some("path runs"),
            "paths.runs",
            "paths.runs",
        )
    },
    op(
        "paths.run_info",
        false,
        Some("path run-info"),
        "paths.run_info",
        "paths.runInfo",
    ),
    Operation {
        defaults: &[("update", "false")],
        ..op(
            "paths.test",
            false,
            Some("path test"),
            "paths.test",
            "paths.test",
        )
    },
    Operation {
        defaults: &[("since", "every run")],
        ..op(
            "paths.metrics",
            false,
            Some("metrics"),
            "paths.metrics",
            "paths.metrics",
        )
    },
    op(
        "scorecards.list",
        false,
        Some("scorecard list"),
        "scorecards.list",
        "scorecards.list",
    ),
    Operation {
        defaults: &[("scorecard", "every scorecard that selects the entity")],
        ..op(
            "scorecards.score",
            false,
            Some("scorecard show"),
            "scorecards.score",
            "scorecards.score",
        )
    },
    Operation {
        defaults: &[("scorecard", "every scorecard")],
        ..op(
            "scorecards.team",
            false,
            Some("scorecard show --team"),
            "scorecards.team",
            "scorecards.team",
        )
    },
    Operation {
        defaults: &[
            ("scorecard", "every scorecard"),
            ("actor", "the platform's actor"),
            ("dry_run", "false"),
        ],
        ..op(
            "scorecards.record",
            true,
            Some("scorecard record"),
            "scorecards.record",
            "scorecards.record",
        )
    },
    Operation {
        defaults: &[("scorecard", "every scorecard"), ("limit", "100")],
        ..op(
            "scorecards.history",
            false,
            Some("scorecard history"),
            "scorecards.history",
            "scorecards.history",
        )
    },
    op(
        "inspect_plugin",
        false,
        Some("plugin inspect"),
        "inspect_plugin",
        "inspectPlugin",
    ),
    op(
        "check_plugin",
        false,
        Some("plugin check"),
        "check_plugin",
        "checkPlugin",
    ),
    op(
        "error.code",
        false,
        Some("--output json (error.code)"),
        "PavedError.code",
        "PavedError.code",
    ),
];

/// [`OPERATIONS`] as JSON, for the bindings' parity tests.
pub fn surface() -> serde_json::Value {
    serde_json::to_value(OPERATIONS).expect("the operations table is plain data")
}
