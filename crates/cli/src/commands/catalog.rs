//! `paved catalog …`: validate, import, read, query, search, facets, graph.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use futures::StreamExt;
use paved::{
    ChangeSet, Diagnostic, Error, Graph, ImportMode, Loaded, LocationRead, LocationStatus, Outcome,
    Page, QuerySpec, RefreshEvent, RefreshSchedule, Traversal,
};
use serde::Serialize;
use serde_json::Value;

use crate::output::{Ctx, print_diagnostics, print_json, print_json_line, table};

/// `paved catalog` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum CatalogCommand {
    /// Check catalogue files, directories and the locations they name. Needs no store.
    /// Exit code 1 on any error.
    Validate {
        /// Files or directories (YAML, multi-document).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Load catalogue files into the store.
    ///
    /// Per entity by default, as Backstage does: every entity that passes is
    /// stored, every one that fails is reported (file, line, JSON path) and
    /// kept out, and a ref another location defined first stays with it (a
    /// conflict). Exit code 3 when the import was partial, 1 when nothing
    /// could be imported. `--mode all-or-nothing` writes nothing on any
    /// problem (exit 1), for CI gates.
    Import {
        /// Files, directories or Location files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// per-entity or all-or-nothing [default: paved's import mode, per-entity].
        #[arg(long, value_parser = parse_mode)]
        mode: Option<ImportMode>,
    },
    /// Re-read registered locations (the roots imports started from) and
    /// apply what changed, per entity. Unchanged entities are not rewritten;
    /// entities a location no longer provides are kept and marked
    /// `backstage.io/orphan`, or deleted (`catalog.orphanStrategy` in
    /// paved.yaml). Exit code 3 when something was refused, 1 when a
    /// location could not be read.
    Refresh {
        /// One location: a path, a URL or a ref (`file:/abs/path`); all when omitted.
        location: Option<String>,
        /// Keep running: refresh again whenever a file read changes.
        #[arg(long)]
        watch: bool,
        /// Keep running: refresh again this often (e.g. 30s, 5m, 1h).
        #[arg(long, value_parser = parse_interval)]
        interval: Option<std::time::Duration>,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List registered locations: entities stored from each, the last
    /// import or refresh, and what it refused.
    Locations {
        /// Only this location: a path, a URL or a ref (`file:/abs/path`).
        location: Option<String>,
    },
    /// Create or update one entity from a YAML or JSON file.
    Upsert {
        /// A file with exactly one entity.
        file: PathBuf,
        /// Only write if the stored etag is this one ("" = must not exist yet).
        #[arg(long)]
        etag: Option<String>,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete one entity.
    Delete {
        /// Entity ref, e.g. component:default/orders.
        entity_ref: String,
        /// Only delete if the stored etag is this one.
        #[arg(long)]
        etag: Option<String>,
        /// Check access rules and policies; delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show one entity with its relations.
    Get {
        /// Entity ref, e.g. component:default/orders.
        entity_ref: String,
    },
    /// Query with Backstage filters: `kind=component,spec.owner=team-a` (comma = AND;
    /// several filters = OR; a key alone tests existence). With `--predicate`
    /// too, an entity must match both.
    ///
    /// One page by default (`--limit`, `--cursor`). `--all` streams every
    /// match across pages; with `-o json` it prints one JSON object per line
    /// (JSON lines), not a page.
    Query {
        /// Filters; none lists everything.
        filters: Vec<String>,
        /// A predicate tree as JSON, ANDed with the filters:
        /// {"$all":[{"kind":"component"},{"spec.type":{"$in":["service"]}}]}
        #[arg(long)]
        predicate: Option<String>,
        /// Comma-separated fields to return, e.g. metadata.name,spec.owner.
        #[arg(long, value_delimiter = ',')]
        fields: Vec<String>,
        /// Order by fields, comma-separated or repeated; prefix a field with -
        /// for descending: kind,-metadata.name.
        #[arg(long, allow_hyphen_values = true)]
        order: Vec<String>,
        /// Page size [default: paved's query limit, 100].
        #[arg(long)]
        limit: Option<usize>,
        /// Cursor from the previous page.
        #[arg(long, conflicts_with = "all")]
        cursor: Option<String>,
        /// Every match, page after page (JSON lines with `-o json`).
        #[arg(long)]
        all: bool,
    },
    /// Full-text search over name, title, description and tags.
    Search {
        /// Words to find (each matches as a prefix).
        text: String,
        /// At most this many [default: paved's query limit, 100].
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Count entities per value of a field, e.g. spec.type.
    Facets {
        /// Dotted field, e.g. spec.type, kind, metadata.tags.
        field: String,
        /// Only among entities matching these filters.
        #[arg(long)]
        filter: Vec<String>,
        /// And this predicate tree (JSON), as for `catalog query`.
        #[arg(long)]
        predicate: Option<String>,
        /// Only this many values, the most frequent [default: every value].
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Walk relations from an entity.
    Graph {
        /// Entity ref to start from.
        entity_ref: String,
        /// How many hops [default: paved's graph depth, 2].
        #[arg(long)]
        depth: Option<usize>,
        /// dependencies, dependents, owned, ancestry or all [default: dependencies].
        #[arg(long)]
        traversal: Option<String>,
        /// Stop at this many entities, the root among them [default: paved's
        /// graph limit, 1000].
        #[arg(long)]
        limit: Option<usize>,
    },
}

/// The exit code of an import that stored some entities and kept others out.
pub const EXIT_PARTIAL: u8 = 3;

/// `--mode`, by the names core gives the modes.
fn parse_mode(name: &str) -> Result<ImportMode, String> {
    ImportMode::parse(name).map_err(|e| e.to_string())
}

/// `--predicate` as JSON.
fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    RefreshSchedule::parse_interval(text).map_err(|e| e.to_string())
}

fn predicate_json(predicate: Option<String>) -> paved::Result<Option<Value>> {
    predicate
        .map(|p| {
            serde_json::from_str(&p).map_err(|e| {
                Error::invalid(Diagnostic::error(
                    "--predicate",
                    format!("not valid JSON: {e}"),
                ))
            })
        })
        .transpose()
}

/// Run one `paved catalog` subcommand.
pub async fn run(cmd: CatalogCommand, ctx: &Ctx) -> anyhow::Result<ExitCode> {
    match cmd {
        CatalogCommand::Validate { paths } => validate(ctx, &paths),
        CatalogCommand::Import {
            paths,
            dry_run,
            mode,
        } => {
            // Validate before opening the store: a rejected import leaves
            // nothing behind, not even a new store file.
            let validated =
                paved::validate(&paths, &ctx.options)?.into_import(mode.unwrap_or_default())?;
            let platform = ctx.platform().await?;
            let set = platform
                .catalog()
                .import_validated(validated, &ctx.write_options(dry_run))
                .await?;
            print_change_set(ctx, &set);
            Ok(if set.partial {
                ExitCode::from(EXIT_PARTIAL)
            } else {
                ExitCode::SUCCESS
            })
        }
        CatalogCommand::Refresh {
            location,
            watch,
            interval,
            dry_run,
        } => refresh(ctx, location, watch, interval, dry_run).await,
        CatalogCommand::Locations { location } => {
            let platform = ctx.platform().await?;
            let locations = match location {
                Some(l) => vec![platform.catalog().location(&l).await?],
                None => platform.catalog().locations().await?,
            };
            print_locations(ctx, &locations);
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Upsert {
            file,
            etag,
            dry_run,
        } => {
            let platform = ctx.platform().await?;
            let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
                path: file.display().to_string(),
                source,
            })?;
            let validated = platform
                .catalog()
                .validate_text(&text, Some(&file.display().to_string()))
                .into_validated()?;
            let [one] = validated.entities() else {
                return Err(Error::invalid(Diagnostic::error(
                    "",
                    format!(
                        "{} holds {} entities; upsert takes exactly one (use `catalog import` for many)",
                        file.display(),
                        validated.entities().len()
                    ),
                ))
                .into());
            };
            let set = platform
                .catalog()
                .upsert(one.entity.to_value(), etag, &ctx.write_options(dry_run))
                .await?;
            print_change_set(ctx, &set);
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Delete {
            entity_ref,
            etag,
            dry_run,
        } => {
            let platform = ctx.platform().await?;
            let set = platform
                .catalog()
                .delete(&entity_ref, etag, &ctx.write_options(dry_run))
                .await?;
            print_change_set(ctx, &set);
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Get { entity_ref } => {
            let platform = ctx.platform().await?;
            let entity = platform.catalog().get(&entity_ref).await?;
            if ctx.json() {
                print_json(&entity);
            } else {
                print_entity(&entity);
            }
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Query {
            filters,
            predicate,
            fields,
            order,
            limit,
            cursor,
            all,
        } => {
            let spec = QuerySpec {
                filter: filters,
                predicate: predicate_json(predicate)?,
                fields,
                order,
                limit,
                cursor,
                ..QuerySpec::default()
            };
            // Refuse a bad filter before opening (or creating) a store.
            spec.build()?;
            let platform = ctx.platform().await?;
            if all {
                let mut items = platform.catalog().query_all(&spec);
                let mut rows = Vec::new();
                while let Some(item) = items.next().await {
                    let item = item?;
                    if ctx.json() {
                        print_json_line(&item);
                    } else {
                        rows.push(item);
                    }
                }
                if !ctx.json() {
                    let total = rows.len() as u64;
                    print_page(
                        ctx,
                        &Page {
                            items: rows,
                            next_cursor: None,
                            total,
                        },
                        &spec.fields,
                    );
                }
            } else {
                let page = platform.catalog().query(&spec).await?;
                print_page(ctx, &page, &spec.fields);
            }
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Search { text, limit } => {
            let platform = ctx.platform().await?;
            let page = platform.catalog().search(&text, limit).await?;
            print_page(ctx, &page, &[]);
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Facets {
            field,
            filter,
            predicate,
            limit,
        } => {
            let spec = QuerySpec {
                filter,
                predicate: predicate_json(predicate)?,
                limit,
                ..QuerySpec::default()
            };
            spec.build()?;
            let platform = ctx.platform().await?;
            let facets = platform.catalog().facets(&field, &spec).await?;
            if ctx.json() {
                print_json(&serde_json::json!({ "field": field, "facets": facets }));
            } else {
                println!(
                    "{}",
                    table(
                        &[field.as_str(), "count"],
                        facets
                            .iter()
                            .map(|f| vec![f.value.clone(), f.count.to_string()])
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CatalogCommand::Graph {
            entity_ref,
            depth,
            traversal,
            limit,
        } => {
            let traversal = match traversal {
                Some(t) => Traversal::parse(&t)?,
                None => Traversal::default(),
            };
            let platform = ctx.platform().await?;
            let graph = platform
                .catalog()
                .graph(&entity_ref, traversal, depth, limit)
                .await?;
            if ctx.json() {
                print_json(&graph);
            } else {
                print_graph(&graph);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One line of `catalog validate --output json`.
#[derive(Debug, Serialize)]
struct ValidationRecord {
    #[serde(rename = "ref")]
    entity_ref: Option<String>,
    file: String,
    document: usize,
    line: usize,
    valid: bool,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

fn validation_records(loaded: &Loaded) -> Vec<ValidationRecord> {
    let mut records: BTreeMap<(String, usize), ValidationRecord> = BTreeMap::new();
    for s in loaded.entities() {
        records.insert(
            (s.source.file.clone(), s.source.document),
            ValidationRecord {
                entity_ref: Some(s.entity.entity_ref().to_string()),
                file: s.source.file.clone(),
                document: s.source.document,
                line: s.source.line,
                valid: true,
                errors: vec![],
                warnings: vec![],
            },
        );
    }
    for d in loaded.diagnostics() {
        let loc = d.location.clone().unwrap_or_default();
        let rec = records
            .entry((loc.file.clone(), loc.document))
            .or_insert_with(|| ValidationRecord {
                entity_ref: d.entity.clone(),
                file: loc.file.clone(),
                document: loc.document,
                line: loc.line,
                valid: true,
                errors: vec![],
                warnings: vec![],
            });
        if rec.entity_ref.is_none() {
            rec.entity_ref = d.entity.clone();
        }
        if d.is_error() {
            rec.valid = false;
            if rec.line == 0 || (loc.line > 0 && loc.line < rec.line) {
                rec.line = loc.line;
            }
            rec.errors.push(d.clone());
        } else {
            rec.warnings.push(d.clone());
        }
    }
    records.into_values().collect()
}

fn validate(ctx: &Ctx, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let loaded = paved::validate(paths, &ctx.options)?;
    let errors = loaded.error_count();
    if ctx.json() {
        print_json(&validation_records(&loaded));
    } else {
        print_diagnostics(loaded.diagnostics());
        if errors == 0 {
            println!(
                "ok: {} entities in {} files are valid",
                loaded.entities().len(),
                loaded.files().len()
            );
        } else {
            eprintln!(
                "error: {errors} problem{} in {} files",
                if errors == 1 { "" } else { "s" },
                loaded.files().len()
            );
        }
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_change_set(ctx: &Ctx, set: &ChangeSet) {
    if ctx.json() {
        print_json(set);
        return;
    }
    print_diagnostics(&set.warnings);
    let verb = if set.dry_run { "would be " } else { "" };
    let mut parts = Vec::new();
    for outcome in [
        Outcome::Created,
        Outcome::Updated,
        Outcome::Unchanged,
        Outcome::Deleted,
    ] {
        let n = set.count(outcome);
        if n > 0 {
            parts.push(format!("{n} {verb}{}", outcome.as_str()));
        }
    }
    if set.changes.len() <= 20 {
        for c in set
            .changes
            .iter()
            .filter(|c| c.outcome != Outcome::Unchanged)
        {
            println!("  {:?}: {}", c.outcome, c.entity_ref);
        }
    }
    println!(
        "{}{}",
        if set.dry_run { "dry run: " } else { "" },
        if parts.is_empty() {
            "nothing to do".to_string()
        } else {
            parts.join(", ")
        }
    );
    if !set.orphans.is_empty() {
        println!("{} orphaned entities (see the warnings)", set.orphans.len());
    }
    print_findings(set);
    if set.partial {
        print_diagnostics(&set.refused);
        print_diagnostics(&set.conflicts);
        eprintln!(
            "partial import: {} refused, {} in conflict (another location keeps them); \
             those {} written",
            set.refused.len(),
            set.conflicts.len(),
            if set.dry_run {
                "would not be"
            } else {
                "were not"
            }
        );
    }
}

/// `paved catalog refresh`: once (exit 0, 3 partial, 1 a location failed),
/// or on and on with `--watch` / `--interval` (until interrupted).
async fn refresh(
    ctx: &Ctx,
    location: Option<String>,
    watch: bool,
    interval: Option<std::time::Duration>,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let platform = ctx.platform().await?;
    let schedule = RefreshSchedule {
        location,
        interval,
        watch,
    };
    let repeats = schedule.repeats();
    let mut events = platform
        .catalog()
        .refreshes(schedule, ctx.write_options(dry_run));
    let mut code = ExitCode::SUCCESS;
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(e) if repeats && !matches!(e, Error::NotFound { .. }) => {
                eprintln!("refresh failed: {e}");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if ctx.json() {
            if repeats {
                print_json_line(&event);
            } else if let RefreshEvent::Done(report) = &event {
                print_json(report);
            }
        } else {
            print_refresh_event(&event);
        }
        if let RefreshEvent::Done(report) = &event {
            code = if report.has_failures() {
                ExitCode::FAILURE
            } else if report.is_partial() {
                ExitCode::from(EXIT_PARTIAL)
            } else {
                ExitCode::SUCCESS
            };
        }
    }
    Ok(code)
}

fn read_summary(read: &LocationRead, dry_run: bool) -> String {
    let verb = if dry_run { "would be " } else { "" };
    let mut parts: Vec<String> = [
        (read.created, "created"),
        (read.updated, "updated"),
        (read.unchanged, "unchanged"),
        (read.deleted, "deleted"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {verb}{what}"))
    .collect();
    for (n, what) in [
        (read.orphans.len(), "orphaned"),
        (read.refused.len(), "refused"),
        (read.conflicts.len(), "in conflict"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if parts.is_empty() {
        "nothing".to_string()
    } else {
        parts.join(", ")
    }
}

fn print_refresh_event(event: &RefreshEvent) {
    match event {
        RefreshEvent::Location(l) => {
            for c in l.changes.iter().take(20) {
                println!("  {:?}: {}", c.outcome, c.entity_ref);
            }
            print_diagnostics(&l.read.refused);
            print_diagnostics(&l.read.conflicts);
            println!(
                "{}: {}",
                l.location,
                read_summary(&l.read, l.read.at.is_empty())
            );
            if let Some(error) = &l.read.error {
                eprintln!("{}: {error}", l.location);
            }
        }
        RefreshEvent::Done(report) => {
            let written = report.written();
            println!(
                "{}refreshed {} location{} ({}) in {} ms: {} entit{} {}written",
                if report.dry_run { "dry run: " } else { "" },
                report.locations.len(),
                if report.locations.len() == 1 { "" } else { "s" },
                report.trigger,
                report.millis,
                written,
                if written == 1 { "y" } else { "ies" },
                if report.dry_run { "would be " } else { "" },
            );
        }
    }
}

fn print_locations(ctx: &Ctx, locations: &[LocationStatus]) {
    if ctx.json() {
        print_json(&locations);
        return;
    }
    if locations.is_empty() {
        println!("no locations: import files, directories or URLs with `paved catalog import`");
        return;
    }
    let rows: Vec<Vec<String>> = locations
        .iter()
        .map(|l| {
            let (last, summary) = match &l.last_read {
                Some(r) => (
                    format!("{} {} by {}", r.action, r.at, r.actor),
                    r.error.clone().unwrap_or_else(|| read_summary(r, false)),
                ),
                None => ("-".to_string(), "-".to_string()),
            };
            vec![l.location.clone(), l.entities.to_string(), last, summary]
        })
        .collect();
    println!(
        "{}",
        table(&["location", "entities", "last read", "result"], rows)
    );
    for l in locations {
        if let Some(r) = &l.last_read {
            print_diagnostics(&r.refused);
            print_diagnostics(&r.conflicts);
        }
    }
}

/// How many policy findings a write prints in full; the rest are counted.
const FINDINGS_SHOWN: usize = 10;

/// What the policies said of a write that went through (warnings, denials
/// not enforced, audit findings, patches, failures), each as `paved policy
/// why` explains it, on stderr.
fn print_findings(set: &ChangeSet) {
    for d in set.decisions.iter().take(FINDINGS_SHOWN) {
        eprintln!("{}", d.explain());
        if let Some(id) = d.id {
            eprintln!("(decision {id}; `paved policy why {id}` explains it again)");
        }
    }
    if set.decisions.len() > FINDINGS_SHOWN {
        eprintln!(
            "… and {} more policy findings (`paved policy decisions` lists them)",
            set.decisions.len() - FINDINGS_SHOWN
        );
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        match cur.get(p) {
            Some(next) => cur = next,
            None => return "",
        }
    }
    cur.as_str().unwrap_or("")
}

fn entity_ref_of(v: &Value) -> String {
    let kind = str_at(v, &["kind"]).to_lowercase();
    let ns = match str_at(v, &["metadata", "namespace"]) {
        "" => "default",
        ns => ns,
    };
    format!("{kind}:{ns}/{}", str_at(v, &["metadata", "name"]))
}

fn print_page(ctx: &Ctx, page: &Page, fields: &[String]) {
    if ctx.json() {
        print_json(page);
        return;
    }
    if fields.is_empty() {
        println!(
            "{}",
            table(
                &["ref", "title", "type", "owner", "lifecycle"],
                page.items.iter().map(|v| {
                    vec![
                        entity_ref_of(v),
                        str_at(v, &["metadata", "title"]).to_string(),
                        str_at(v, &["spec", "type"]).to_string(),
                        str_at(v, &["spec", "owner"]).to_string(),
                        str_at(v, &["spec", "lifecycle"]).to_string(),
                    ]
                })
            )
        );
    } else {
        let headers: Vec<&str> = fields.iter().map(String::as_str).collect();
        println!(
            "{}",
            table(
                &headers,
                page.items.iter().map(|v| {
                    fields
                        .iter()
                        .map(|f| {
                            let path: Vec<&str> = f.split('.').collect();
                            let mut cur = v;
                            for p in &path {
                                cur = cur.get(p).unwrap_or(&Value::Null);
                            }
                            match cur {
                                Value::String(s) => s.clone(),
                                Value::Null => String::new(),
                                other => other.to_string(),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            )
        );
    }
    println!(
        "{} of {} shown{}",
        page.items.len(),
        page.total,
        page.next_cursor
            .as_deref()
            .map(|c| format!("; next page: --cursor {c}"))
            .unwrap_or_default()
    );
}

fn print_entity(e: &paved::Entity) {
    let md = &e.metadata;
    println!("{}", e.entity_ref());
    if let Some(t) = &md.title {
        println!("  title:       {t}");
    }
    if let Some(d) = &md.description {
        println!("  description: {d}");
    }
    for key in ["type", "lifecycle", "owner", "system", "domain"] {
        if let Some(v) = e.spec_str(key) {
            println!("  {key:<12} {v}");
        }
    }
    if !md.tags.is_empty() {
        println!("  tags:        {}", md.tags.join(", "));
    }
    for (k, v) in &md.labels {
        println!("  label:       {k}={v}");
    }
    for l in &md.links {
        println!(
            "  link:        {} {}",
            l.title.as_deref().unwrap_or(""),
            l.url
        );
    }
    if let Some(etag) = &md.etag {
        println!("  etag:        {etag}");
    }
    if !e.relations.is_empty() {
        println!(
            "{}",
            table(
                &["relation", "target"],
                e.relations
                    .iter()
                    .map(|r| vec![r.r#type.clone(), r.target_ref.clone()])
            )
        );
    }
}

fn print_graph(g: &Graph) {
    println!("{} ({:?}, depth {})", g.root, g.traversal, g.depth);
    let mut children: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for e in &g.edges {
        children
            .entry(e.source.as_str())
            .or_default()
            .push((e.r#type.as_str(), e.target.as_str()));
    }
    let missing: std::collections::HashSet<&str> = g
        .nodes
        .iter()
        .filter(|n| !n.exists)
        .map(|n| n.entity_ref.as_str())
        .collect();
    let mut seen = std::collections::HashSet::new();
    fn walk<'a>(
        node: &'a str,
        indent: usize,
        max: usize,
        children: &BTreeMap<&'a str, Vec<(&'a str, &'a str)>>,
        missing: &std::collections::HashSet<&str>,
        seen: &mut std::collections::HashSet<&'a str>,
    ) {
        if indent >= max || !seen.insert(node) {
            return;
        }
        for (ty, target) in children.get(node).into_iter().flatten() {
            let note = if missing.contains(target) {
                " (not in catalogue)"
            } else {
                ""
            };
            println!("{}└─ {ty} → {target}{note}", "   ".repeat(indent));
            walk(target, indent + 1, max, children, missing, seen);
        }
    }
    walk(&g.root, 0, g.depth, &children, &missing, &mut seen);
    println!("{} entities, {} relations", g.nodes.len(), g.edges.len());
    if g.truncated {
        println!(
            "stopped at {} entities (--limit); more are reachable within depth {}",
            g.limit, g.depth
        );
    }
}
