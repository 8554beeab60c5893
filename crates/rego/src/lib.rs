//! paved-rego: a built-in guardrail that runs Rego policies (OPA, conftest,
//! Gatekeeper conventions) with [regorus], Microsoft's Rego interpreter.
//!
//! [`RegoGuardrail`] implements [`paved_core::plugin::Guardrail`]: each
//! review evaluates the policy's `deny`, `warn` and `violation` rules with
//! the change as `input`, and turns their results into a [`Review`].
//!
//! # Loading
//!
//! [`RegoGuardrail::load`] reads [`RegoSource`]:
//!
//! - **policies**: files or directories. A directory contributes its
//!   `*.rego` files, recursively and in name order, except `*_test.rego`
//!   (OPA unit tests); a file named directly is loaded whatever its name.
//!   Each file is parsed as Rego v1 (OPA 1.0's default: `deny contains msg
//!   if { ... }`) and, when that fails, as Rego v0 (`deny[msg] { ... }`,
//!   with `import future.keywords...` or `import rego.v1` as OPA 0.x
//!   accepts), so old conftest policies and new ones load side by side.
//!   When both fail, the error of the parse that got furthest is reported.
//! - **data**: JSON (`*.json`) or YAML (`*.yaml`, `*.yml`, one document)
//!   files or directories, merged into `data` as OPA's loader does: a file
//!   named directly is merged at the root of `data` (its top level must be
//!   an object); a file found in a directory is merged under its directory's
//!   path relative to the directory named (`data/k8s/data.yaml` loaded from
//!   `data/` lands at `data.k8s`; its file name is not part of the path).
//!   Two files that give one path different values are an error.
//! - **query**: the package to read rules from (`main`, `kubernetes.admission`;
//!   a leading `data.` is accepted). Default: every loaded package that
//!   defines a rule the conventions below name.
//!
//! [`RegoGuardrail::load_text`] does the same from in-memory policies and a
//! JSON data document (tests, inline policies).
//!
//! Loading fails with:
//! - [`paved_core::Error::Invalid`] (one [`Diagnostic`] with the file, line and
//!   column) when a policy does not parse or compile, or a data file is not
//!   valid JSON/YAML;
//! - [`paved_core::Error::Io`] when a file cannot be read;
//! - [`paved_core::Error::Plugin`] of kind [`PluginErrorKind::Load`] when the
//!   selected packages define no `deny`, `warn` or `violation` rule, the
//!   query names no loaded package, or data documents conflict.
//!
//! # Rules
//!
//! In each selected package, rules named `deny`, `violation` and `warn`, or
//! starting with `deny_`, `violation_` or `warn_` (conftest's convention),
//! are evaluated. Each may be a set or array of:
//! - strings: the message (`deny[msg]`, `deny contains msg if`);
//! - objects with `msg` (conftest's structured results, Gatekeeper's
//!   `violation[{"msg": m, "details": d}]`): `msg` is the message, and a
//!   `path` or `details` field that is a string becomes the violation's path;
//!   other values are shown as JSON.
//!
//! A complete rule works too: `true` denies (warns) with a message naming the
//! rule, a string or a `{"msg": ...}` object is one result, `false` or
//! undefined is none.
//!
//! The verdict is `deny` when any `deny`/`violation` rule produced a result,
//! else `warn` when any `warn` rule did, else `allow`. Violations are sorted
//! (by path, then message) and deduplicated; under a `deny` verdict the
//! `warn` results follow the denials with their message prefixed
//! `warning: `. The path is empty when the policy gave none.
//!
//! # Input
//!
//! `input` is the [`Change`] as its JSON (camelCase) plus the settings:
//!
//! ```json
//! {
//!   "subject": {"entity": "component:default/orders"},
//!   "operation": "create",
//!   "before": null,
//!   "after": {"kind": "Component", "metadata": {...}, "spec": {...}},
//!   "diff": [{"path": "spec.owner", "before": "a", "after": "b", "requiresReplace": false}],
//!   "monthlyCost": 12.5,
//!   "actor": "user:default/alice",
//!   "settings": {...}
//! }
//! ```
//!
//! Absent fields (`before` on create, `after` on delete, an empty `diff`,
//! no cost, no actor) are absent, so `not input.before` works. For a
//! resource, `subject` is `{"resource": {"resourceType", "name",
//! "environment", "owner"}}` and `after` is the resource's params.
//! `input.settings` is the settings a policy binding passed to the review,
//! else the ones given with [`RegoGuardrail::with_settings`], else `{}`.
//!
//! # Concurrency and cost
//!
//! Policies are parsed, analysed and scheduled once, at load, into a template
//! engine. Each review clones the template (a handful of reference-count
//! increments: the modules, schedule and data are shared), sets the input and
//! evaluates the rules; nothing is locked, so any number of reviews run at
//! once. Evaluation is synchronous and short (microseconds for ordinary
//! policies); it runs on the calling task.
//!
//! Measured (release, 2 loaded cores): cloning the template costs about
//! 0.2 µs, against 5 µs to evaluate a one-rule `deny[msg]` policy, so a pool
//! of reused engines (measured at the same cost within noise) would save
//! nothing worth its lock. A whole review of that policy (converting the
//! change to `input`, about 5 µs, included) has a median of about 17 µs.
//! Each rule is evaluated on its own, so the cost grows with the number of
//! rules (the four example rules in three packages: about 85 µs).
//!
//! # Limits
//!
//! Policies are trusted configuration; the input is user data. What bounds
//! an evaluation:
//! - **time**: regorus' cooperative execution timer, on by default at
//!   [`RegoGuardrail::DEFAULT_TIMEOUT`] ([`RegoGuardrail::with_timeout`]). A
//!   review past it fails with [`PluginErrorKind::Timeout`]. The timer is
//!   checked between evaluation steps, so a single builtin call is not
//!   interrupted (e.g. `numbers.range(0, n)` materialises all `n` numbers).
//! - **recursion**: Rego forbids recursion; regorus detects a rule that
//!   depends on itself when it is evaluated and fails the review
//!   ([`PluginErrorKind::Trap`]). Rego has no unbounded loops: iteration is
//!   over values, which are finite. **Not covered**: a recursive *function*
//!   (`f(x) := f(x + 1)`), which OPA refuses at compile time, is neither
//!   refused by regorus 0.14 at load nor caught when evaluated: it overflows
//!   the stack and aborts the process. Such a policy is not valid Rego (so no
//!   existing OPA policy has one), but check new policies with `opa check`
//!   before deploying them.
//! - **input depth**: inputs nested deeper than [`MAX_INPUT_DEPTH`] levels
//!   are refused before evaluation ([`paved_core::Error::Invalid`]), so the
//!   (recursive) conversion and evaluation of the input cannot exhaust the
//!   stack.
//! - **panics** in the interpreter are caught and reported as
//!   [`PluginErrorKind::Trap`].
//! - **memory** is not bounded: regorus' memory limits need its
//!   `allocator-memory-limits` feature, which requires installing its
//!   mimalloc fork as the process's global allocator, which a library cannot
//!   impose on its host. A policy that builds huge values from input (e.g.
//!   `numbers.range(0, input.after.spec.count)`) can exhaust memory; review
//!   policies for such patterns.
//! - **policy size**: regorus refuses policy files over 1 MiB, 20,000 lines
//!   or 1,024 columns.
//! - `http.send` is not available (the `http` builtins are not compiled in):
//!   a policy calling it fails to load instead of silently never matching,
//!   as does a call to any function that exists nowhere. The interpreter
//!   only finds those when a review reaches the call, so at load regorus'
//!   bytecode compiler resolves every call reachable from the rules; it
//!   stops at the first `with` keyword (which it does not support yet), so
//!   in a policy using `with` calls after it are found at review time only
//!   ([`PluginErrorKind::Trap`]).
//!
//! [regorus]: https://crates.io/crates/regorus

mod located;
mod sources;

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use async_trait::async_trait;
use paved_core::plugin::{Change, GuardrailInfo, Review, Verdict, Violation};
use paved_core::{Diagnostic, Error, PluginErrorKind, Result, SourceLocation};
use regorus::Engine;
use regorus::utils::limits::ExecutionTimerConfig;
use serde_json::{Value, json};

use located::{Located, locate};

/// Deepest nesting of `input` accepted for a review (`input.after.spec.x` is
/// depth 3): beyond it the review is refused.
pub const MAX_INPUT_DEPTH: usize = 128;

/// Where a Rego guardrail's policies and data come from: the `rego:` of a
/// policy binding (core's type, so a binding is loaded as it is declared).
/// Policy directories are searched recursively for `*.rego` (except
/// `*_test.rego`); see the crate docs for where data files land under `data`.
pub use paved_core::policy::RegoSource;

/// How a rule's results count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Deny,
    Warn,
}

/// One rule to evaluate per review.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rule {
    /// `data.main.deny`, as regorus' `eval_rule` takes it.
    path: String,
    level: Level,
}

/// A guardrail made of Rego policies. See the crate docs.
pub struct RegoGuardrail {
    name: String,
    files: Vec<String>,
    rules: Vec<Rule>,
    /// Parsed, analysed and scheduled; cloned for each review.
    template: Engine,
    /// [`paved_core::plugin::code_digest`] of the modules and data.
    digest: String,
    /// The configured settings, as JSON (for `input.settings`).
    settings: Value,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for RegoGuardrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoGuardrail")
            .field("name", &self.name)
            .field("files", &self.files)
            .field("rules", &self.rules())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn plugin_error(plugin: &str, kind: PluginErrorKind, message: impl Into<String>) -> Error {
    Error::Plugin {
        plugin: plugin.to_string(),
        kind,
        message: message.into(),
    }
}

/// A regorus error at load: a [`Diagnostic`] at its place when regorus gave
/// one, else a plugin load error.
fn load_error(plugin: &str, err: &anyhow_like::Error) -> Error {
    located_error(plugin, &err.text())
}

/// `text` (a regorus error's) as a [`Diagnostic`] at the place it names, or
/// a plugin load error when it names none.
fn located_error(plugin: &str, text: &str) -> Error {
    match locate(text) {
        Some(Located {
            file,
            line,
            column,
            message,
        }) => Error::invalid(
            Diagnostic::error("", format!("rego guardrail '{plugin}': {message}")).at(
                SourceLocation {
                    file,
                    document: 0,
                    line,
                    column,
                },
            ),
        ),
        None => plugin_error(plugin, PluginErrorKind::Load, located::message(text)),
    }
}

/// What this crate reads of a regorus error: its text and whether a limit
/// stopped the evaluation.
mod anyhow_like {
    pub(crate) struct Error {
        text: String,
        limit: Option<regorus::LimitError>,
    }

    impl Error {
        pub(crate) fn new(e: anyhow::Error) -> Self {
            let limit = e
                .downcast_ref::<regorus::LimitError>()
                .copied()
                .or_else(|| {
                    e.chain()
                        .find_map(|s| s.downcast_ref::<regorus::LimitError>().copied())
                });
            Self {
                text: format!("{e:#}"),
                limit,
            }
        }

        pub(crate) fn text(&self) -> String {
            self.text.clone()
        }

        pub(crate) fn limit(&self) -> Option<regorus::LimitError> {
            self.limit
        }
    }
}

/// Is `name` a rule the conventions evaluate, and how do its results count?
fn rule_level(name: &str) -> Option<Level> {
    let head = |prefix: &str| {
        name == prefix
            || name
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('_'))
    };
    if head("deny") || head("violation") {
        Some(Level::Deny)
    } else if head("warn") {
        Some(Level::Warn)
    } else {
        None
    }
}

/// Names in `text` that may be rule heads of the conventions: the leading
/// identifier of each line (after `default `). regorus confirms each with
/// `has_declared_rule_rooted_at`, so false candidates cost nothing.
fn candidate_rules(text: &str) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = ["deny", "warn", "violation"]
        .into_iter()
        .map(String::from)
        .collect();
    for line in text.lines() {
        let line = line.trim_start();
        let line = line.strip_prefix("default ").unwrap_or(line).trim_start();
        let ident: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if rule_level(&ident).is_some() {
            names.insert(ident);
        }
    }
    names
}

/// `data.a.b` for package components `[a, b]`, with brackets for components
/// that are not identifiers (`data.graph["1.0.0"]`).
fn package_path(components: &[String]) -> String {
    let mut path = String::from("data");
    for c in components {
        let ident = !c.is_empty()
            && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            && !c.starts_with(|ch: char| ch.is_ascii_digit());
        if ident {
            path.push('.');
            path.push_str(c);
        } else {
            path.push('[');
            path.push_str(&Value::String(c.clone()).to_string());
            path.push(']');
        }
    }
    path
}

/// Parse `text` as Rego v1, else v0; on failure, the error of the dialect
/// that parsed furthest (v1 on a tie). A module that uses `if` or
/// `contains` with no `future.keywords` import is v1: it is not parsed as
/// v0 (regorus would print a warning about each such keyword to stderr,
/// and fail anyway).
fn add_module(engine: &mut Engine, label: &str, text: &str) -> Result<(), anyhow_like::Error> {
    engine.set_rego_v0(false);
    let v1 = match engine.add_policy(label.to_string(), text.to_string()) {
        Ok(_) => return Ok(()),
        Err(e) => anyhow_like::Error::new(e),
    };
    if uses_v1_keywords(text) {
        return Err(v1);
    }
    engine.set_rego_v0(true);
    let v0 = engine.add_policy(label.to_string(), text.to_string());
    engine.set_rego_v0(false);
    let v0 = match v0 {
        Ok(_) => return Ok(()),
        Err(e) => anyhow_like::Error::new(e),
    };
    let at = |e: &anyhow_like::Error| locate(&e.text()).map(|l| (l.line, l.column));
    Err(if at(&v0) > at(&v1) { v0 } else { v1 })
}

/// Whether `text` uses `if` or `contains` as words outside strings and
/// comments without importing `future.keywords` (only v1 reads it so).
fn uses_v1_keywords(text: &str) -> bool {
    if text.contains("future.keywords") {
        return false;
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '`' => {
                for c in chars.by_ref() {
                    if c == '`' {
                        break;
                    }
                }
            }
            c if c.is_alphanumeric() || c == '_' => {
                word.push(c);
                continue;
            }
            _ => {}
        }
        words.push(std::mem::take(&mut word));
    }
    words.push(word);
    words.iter().any(|w| w == "if" || w == "contains")
}

impl RegoGuardrail {
    /// The time an evaluation may take unless [`RegoGuardrail::with_timeout`]
    /// says otherwise (the same as a wasm guardrail's default deadline).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

    /// Load policies and data from files and the inline module and data
    /// document (see the crate docs).
    pub fn load(name: &str, sources: &RegoSource) -> Result<Self> {
        let files = sources::policy_files(&sources.policies)?;
        let mut policies = Vec::with_capacity(files.len());
        for file in &files {
            policies.push((file.display().to_string(), sources::read_text(file)?));
        }
        if let Some(module) = &sources.module {
            policies.push((format!("{name}.rego"), module.clone()));
        }
        let mut data = Vec::new();
        for file in sources::data_files(&sources.data)? {
            let label = file.file.display().to_string();
            data.push((label, file.rooted()));
        }
        if let Some(document) = &sources.document {
            data.push(("<data>".to_string(), document.clone()));
        }
        Self::build(name, policies, data, sources.query.as_deref())
    }

    /// Load policies given as `(file name, Rego text)` pairs, with `data` (a
    /// JSON object, or `null` for none) as the data document. File names are
    /// what errors name; they must be distinct.
    pub fn load_text<F, T>(
        name: &str,
        policies: impl IntoIterator<Item = (F, T)>,
        data: Value,
        query: Option<&str>,
    ) -> Result<Self>
    where
        F: Into<String>,
        T: Into<String>,
    {
        let policies: Vec<(String, String)> = policies
            .into_iter()
            .map(|(f, t)| (f.into(), t.into()))
            .collect();
        let data = match data {
            Value::Null => Vec::new(),
            data => vec![("<data>".to_string(), data)],
        };
        Self::build(name, policies, data, query)
    }

    fn build(
        name: &str,
        policies: Vec<(String, String)>,
        data: Vec<(String, Value)>,
        query: Option<&str>,
    ) -> Result<Self> {
        if policies.is_empty() {
            return Err(plugin_error(
                name,
                PluginErrorKind::Load,
                "no Rego policy files were found",
            ));
        }
        let data_text: Vec<(String, String)> = data
            .iter()
            .map(|(label, value)| (label.clone(), value.to_string()))
            .collect();
        let digest = paved_core::plugin::code_digest(
            policies
                .iter()
                .chain(&data_text)
                .flat_map(|(label, text)| [label.as_bytes(), text.as_bytes()]),
        );
        let mut engine = Engine::new();
        let mut labels = BTreeSet::new();
        for (label, text) in &policies {
            if !labels.insert(label.as_str()) {
                return Err(plugin_error(
                    name,
                    PluginErrorKind::Load,
                    format!("two policies are named '{label}'; give each its own file name"),
                ));
            }
            add_module(&mut engine, label, text).map_err(|e| load_error(name, &e))?;
        }
        for (label, value) in data {
            if !value.is_object() {
                return Err(plugin_error(
                    name,
                    PluginErrorKind::Load,
                    format!("{label}: the data document must be a JSON object"),
                ));
            }
            let value: regorus::Value = serde_json::from_value(value)
                .map_err(|e| plugin_error(name, PluginErrorKind::Load, format!("{label}: {e}")))?;
            engine.add_data(value).map_err(|e| {
                let e = anyhow_like::Error::new(e);
                plugin_error(
                    name,
                    PluginErrorKind::Load,
                    format!(
                        "{label}: cannot merge into data: {}",
                        located::message(&e.text())
                    ),
                )
            })?;
        }

        let rules = Self::select_rules(name, &engine, &policies, query)?;

        // Analyse and schedule now (and find unknown functions and the like),
        // so that reviews clone a prepared engine.
        let first: regorus::Rc<str> = rules[0].path.as_str().into();
        let compiled = engine
            .compile_with_entrypoint(&first)
            .map_err(|e| load_error(name, &anyhow_like::Error::new(e)))?;
        check_functions(name, &compiled, &rules)?;

        let mut g = Self {
            name: name.to_string(),
            files: policies.into_iter().map(|(label, _)| label).collect(),
            rules,
            template: engine,
            digest,
            settings: json!({}),
            timeout: None,
        };
        g = g.with_timeout(Self::DEFAULT_TIMEOUT);
        Ok(g)
    }

    fn select_rules(
        name: &str,
        engine: &Engine,
        policies: &[(String, String)],
        query: Option<&str>,
    ) -> Result<Vec<Rule>> {
        let packages = engine
            .get_policy_package_components()
            .map_err(|e| load_error(name, &anyhow_like::Error::new(e)))?;
        let wanted: Option<Vec<String>> = query.map(|q| {
            let q = q.trim();
            let q = q.strip_prefix("data.").unwrap_or(q);
            q.split('.').map(str::to_string).collect()
        });
        let mut package_found = false;
        let mut rules = BTreeSet::new();
        for (package, (label, text)) in packages.iter().zip(policies) {
            if wanted.as_ref().is_some_and(|w| *w != package.components) {
                continue;
            }
            package_found = true;
            for rule in candidate_rules(text) {
                let declared = engine
                    .has_declared_rule_rooted_at(label, &rule)
                    .map_err(|e| load_error(name, &anyhow_like::Error::new(e)))?;
                if let (true, Some(level)) = (declared, rule_level(&rule)) {
                    rules.insert(Rule {
                        path: format!("{}.{rule}", package_path(&package.components)),
                        level,
                    });
                }
            }
        }
        let files = policies
            .iter()
            .map(|(l, _)| l.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        match (query, package_found, rules.is_empty()) {
            (Some(q), false, _) => Err(plugin_error(
                name,
                PluginErrorKind::Load,
                format!("no policy declares package '{q}' (in {files})"),
            )),
            (Some(q), true, true) => Err(plugin_error(
                name,
                PluginErrorKind::Load,
                format!("package '{q}' defines no deny, warn or violation rule (in {files})"),
            )),
            (None, _, true) => Err(plugin_error(
                name,
                PluginErrorKind::Load,
                format!("the policy defines no deny, warn or violation rule (in {files})"),
            )),
            _ => Ok(rules.into_iter().collect()),
        }
    }

    /// Use `settings` (a JSON object) as `input.settings` when a review is
    /// given none.
    pub fn with_settings(mut self, settings: Value) -> Result<Self> {
        expect_object(&self.name, &settings)?;
        self.settings = settings;
        Ok(self)
    }

    /// Bound each evaluation to `timeout` of wall-clock time (default
    /// [`RegoGuardrail::DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.template
            .set_execution_timer_config(ExecutionTimerConfig {
                limit: timeout,
                // The clock is read every 32 evaluation steps.
                check_interval: NonZeroU32::new(32).unwrap_or(NonZeroU32::MIN),
            });
        self.timeout = Some(timeout);
        self
    }

    /// The policy files (or names given to [`RegoGuardrail::load_text`]).
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The rules each review evaluates (`data.main.deny`), sorted.
    pub fn rules(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.path.as_str()).collect()
    }

    /// What [`paved_core::plugin::Guardrail::describe`] answers.
    pub fn info(&self) -> GuardrailInfo {
        GuardrailInfo {
            name: self.name.clone(),
            version: "rego".to_string(),
            description: format!(
                "Rego policy from {} (rules: {})",
                self.files.join(", "),
                self.rules().join(", ")
            ),
            settings_schema: json!({"type": "object"}),
            capabilities: Vec::new(),
        }
    }

    /// The `input` document of a review (see the crate docs).
    fn input(&self, change: &Change, settings: Option<&Value>) -> Result<regorus::Value> {
        let settings = match settings {
            Some(s) => {
                expect_object(&self.name, s)?;
                s
            }
            None => &self.settings,
        };
        let mut input = serde_json::to_value(change).map_err(|e| {
            plugin_error(
                &self.name,
                PluginErrorKind::BadOutput,
                format!("the change cannot be written as JSON: {e}"),
            )
        })?;
        if let Value::Object(fields) = &mut input {
            fields.insert("settings".to_string(), settings.clone());
        }
        let depth = sources::depth(&input);
        if depth > MAX_INPUT_DEPTH {
            return Err(Error::invalid(Diagnostic::error(
                "",
                format!(
                    "the change is nested {depth} levels deep; rego guardrail '{}' reviews \
                     documents up to {MAX_INPUT_DEPTH} levels",
                    self.name
                ),
            )));
        }
        serde_json::from_value(input).map_err(|e| {
            plugin_error(
                &self.name,
                PluginErrorKind::BadOutput,
                format!("the change cannot be given to Rego: {e}"),
            )
        })
    }

    /// Review `change` synchronously (what the async
    /// [`paved_core::plugin::Guardrail::review`] does, on the calling task).
    pub fn evaluate(&self, change: &Change, settings: Option<&Value>) -> Result<Review> {
        let input = self.input(change, settings)?;
        let mut engine = self.template.clone();
        engine.set_input(input);
        let mut results = Results::default();
        for rule in &self.rules {
            let outcome =
                std::panic::catch_unwind(AssertUnwindSafe(|| engine.eval_rule(rule.path.clone())));
            let value = match outcome {
                Ok(Ok(value)) => value,
                Ok(Err(e)) => return Err(self.eval_error(&rule.path, anyhow_like::Error::new(e))),
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".to_string());
                    return Err(plugin_error(
                        &self.name,
                        PluginErrorKind::Trap,
                        format!("evaluating {} panicked: {what}", rule.path),
                    ));
                }
            };
            results.add(rule, &value);
        }
        Ok(results.review())
    }

    fn eval_error(&self, rule: &str, e: anyhow_like::Error) -> Error {
        if let Some(regorus::LimitError::TimeLimitExceeded { limit, .. }) = e.limit() {
            return plugin_error(
                &self.name,
                PluginErrorKind::Timeout,
                format!(
                    "evaluating {rule} took longer than the limit of {} ms",
                    limit.as_millis()
                ),
            );
        }
        let text = e.text();
        let message = match locate(&text) {
            Some(l) => format!("{}:{}:{}: {}", l.file, l.line, l.column, l.message),
            None => located::message(&text),
        };
        plugin_error(
            &self.name,
            PluginErrorKind::Trap,
            format!("evaluating {rule} failed: {message}"),
        )
    }
}

/// Refuse calls to functions that exist nowhere (a typo, a builtin regorus
/// lacks such as `http.send`). The interpreter only finds them when a review
/// reaches the call, so regorus' bytecode compiler is run over the rules
/// here, for its function resolution alone: its other refusals (it does not
/// support `with` yet, for one) are not errors of the policy and are
/// ignored, which also means a policy using `with` is checked only up to
/// the first `with`.
fn check_functions(plugin: &str, compiled: &regorus::CompiledPolicy, rules: &[Rule]) -> Result<()> {
    use regorus::languages::rego::compiler::{Compiler, CompilerError};
    let entry_points: Vec<&str> = rules.iter().map(|r| r.path.as_str()).collect();
    let Err(e) = Compiler::compile_from_policy(compiled, &entry_points) else {
        return Ok(());
    };
    let inner = match &e.error {
        CompilerError::UnknownFunction { .. } | CompilerError::UnknownBuiltinFunction { .. } => {
            e.to_string()
        }
        CompilerError::General { message } if message.contains("Unknown function") => {
            message.clone()
        }
        _ => return Ok(()),
    };
    Err(located_error(plugin, &inner))
}

fn expect_object(plugin: &str, settings: &Value) -> Result<()> {
    if settings.is_object() {
        return Ok(());
    }
    let kind = match settings {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    Err(plugin_error(
        plugin,
        PluginErrorKind::Settings,
        format!("settings must be a JSON object, not {kind}"),
    ))
}

/// Violations gathered from the rules' values.
#[derive(Default)]
struct Results {
    deny: BTreeSet<(String, String)>,
    warn: BTreeSet<(String, String)>,
}

impl Results {
    fn add(&mut self, rule: &Rule, value: &regorus::Value) {
        let into = match rule.level {
            Level::Deny => &mut self.deny,
            Level::Warn => &mut self.warn,
        };
        use regorus::Value as V;
        match value {
            V::Undefined | V::Bool(false) | V::Null => {}
            V::Bool(true) => {
                into.insert((String::new(), format!("{} is true", rule.path)));
            }
            V::Set(items) => into.extend(items.iter().map(violation)),
            V::Array(items) => into.extend(items.iter().map(violation)),
            V::Object(fields) if !fields.contains_key(&V::from("msg")) => {
                // A partial object rule (`deny[key] := value`): its values.
                into.extend(fields.values().map(violation));
            }
            other => {
                into.insert(violation(other));
            }
        }
    }

    fn review(self) -> Review {
        let verdict = if !self.deny.is_empty() {
            Verdict::Deny
        } else if !self.warn.is_empty() {
            Verdict::Warn
        } else {
            Verdict::Allow
        };
        let denied = verdict == Verdict::Deny;
        let mut violations: Vec<Violation> = self
            .deny
            .into_iter()
            .map(|(path, message)| Violation { path, message })
            .collect();
        violations.extend(self.warn.into_iter().map(|(path, message)| Violation {
            path,
            message: if denied {
                format!("warning: {message}")
            } else {
                message
            },
        }));
        Review {
            verdict,
            violations,
            patch: None,
        }
    }
}

/// `(path, message)` of one result: a string is the message; an object's
/// `msg` is, with `path` or `details` (when a string) as the path; anything
/// else is shown as JSON.
fn violation(value: &regorus::Value) -> (String, String) {
    use regorus::Value as V;
    let text = |v: &V| match v {
        V::String(s) => s.to_string(),
        other => other.to_json_str().unwrap_or_else(|_| format!("{other:?}")),
    };
    match value {
        V::String(s) => (String::new(), s.to_string()),
        V::Object(fields) => {
            let field = |k: &str| fields.get(&V::from(k));
            let path = [field("path"), field("details")]
                .into_iter()
                .flatten()
                .find_map(|v| match v {
                    V::String(s) => Some(s.to_string()),
                    _ => None,
                })
                .unwrap_or_default();
            let message = match field("msg") {
                Some(m) => text(m),
                None => text(value),
            };
            (path, message)
        }
        other => (String::new(), text(other)),
    }
}

#[async_trait]
impl paved_core::plugin::Guardrail for RegoGuardrail {
    fn name(&self) -> &str {
        &self.name
    }

    async fn describe(&self) -> Result<GuardrailInfo> {
        Ok(self.info())
    }

    async fn validate_settings(&self, settings: &Value) -> Result<()> {
        expect_object(&self.name, settings)
    }

    async fn review(&self, change: &Change, settings: Option<&Value>) -> Result<Review> {
        self.evaluate(change, settings)
    }

    fn digest(&self) -> Option<String> {
        Some(self.digest.clone())
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn v1_keywords_are_words_outside_strings_and_comments() {
        assert!(uses_v1_keywords("package p\ndeny contains msg if { true }"));
        assert!(uses_v1_keywords("package p\nallow if input.x"));
        // In a string or a comment, or with future keywords imported: not v1 only.
        assert!(!uses_v1_keywords(
            "package p\n# allow if x\ndeny[msg] { msg := \"fix it if \\\"you\\\" can\" }"
        ));
        assert!(!uses_v1_keywords("package p\nm := `if contains`"));
        assert!(!uses_v1_keywords(
            "package p\nimport future.keywords.if\nallow if { true }"
        ));
        assert!(!uses_v1_keywords("package p\nmotif := 1\ncontainsx := 2"));
    }

    use super::*;

    #[test]
    fn rule_levels_follow_conftest_names() {
        assert_eq!(rule_level("deny"), Some(Level::Deny));
        assert_eq!(rule_level("deny_no_owner"), Some(Level::Deny));
        assert_eq!(rule_level("violation"), Some(Level::Deny));
        assert_eq!(rule_level("warn_cost"), Some(Level::Warn));
        assert_eq!(rule_level("denylist"), None);
        assert_eq!(rule_level("allow"), None);
    }

    #[test]
    fn candidates_include_prefixed_heads() {
        let c = candidate_rules("package x\n  deny_a[msg] {\n}\ndefault warn_b := false\nx := 1\n");
        assert!(c.contains("deny_a") && c.contains("warn_b") && c.contains("deny"));
        assert!(!c.contains("x"));
    }

    #[test]
    fn package_paths_bracket_non_identifiers() {
        assert_eq!(
            package_path(&["kubernetes".into(), "admission".into()]),
            "data.kubernetes.admission"
        );
        assert_eq!(
            package_path(&["graph".into(), "1.0.0".into()]),
            "data.graph[\"1.0.0\"]"
        );
    }
}
