//! The expression engine used by golden-path templates
//! (`scaffolder.backstage.io/v1beta3`).
//!
//! Templates write expressions the way Backstage's scaffolder does: Nunjucks
//! syntax with the variable delimiters changed to `${{ … }}`; blocks are
//! `{% … %}` and comments `{# … #}`.  A plain `{{ … }}` (GitHub Actions and
//! friends) is ordinary text.  This module evaluates them with [`minijinja`],
//! adapted so that the observable behaviour follows Backstage.  The Backstage
//! sources each rule was taken from are named where the rule is implemented.
//!
//! # Evaluating template values ([`Expressions::evaluate`])
//!
//! Backstage (`plugins/scaffolder-backend/src/scaffolder/tasks/NunjucksWorkflowRunner.ts`,
//! `render()`) walks the value with a `JSON.parse` reviver and, for every string:
//!
//! * if the string is a *single template node* (Nunjucks parses it to exactly
//!   one top-level node that is not plain text; typically exactly one
//!   `${{ … }}`), it renders `${{ (expr) | dump }}` and `JSON.parse`s the
//!   result, so the expression's type is kept: numbers stay numbers, booleans
//!   booleans, objects objects, and a string stays a string even if it looks
//!   like a number (`"42"` stays `"42"`);
//! * otherwise it renders the string as text (so `"v${{ 1 }}"` is `"v1"`);
//! * whenever the rendered text is empty, the value becomes `undefined`:
//!   the key is dropped from its object.  That covers a single expression
//!   whose value is undefined (`${{ parameters.nmae }}`, a typo: no error,
//!   the key disappears), a mixed string that renders to nothing, and even a
//!   literal `""`.  A single expression that yields an empty *string*
//!   (`${{ '' }}`) keeps it, because `dump` gives `""`.
//!
//! This module does the same, with these representation choices:
//! an undefined array element becomes `null` (what `JSON.stringify` makes of
//! the hole Backstage leaves), and an undefined top-level value is returned as
//! `null`.  Non-string JSON values pass through unchanged.
//!
//! Where Backstage swallows a rendering error and leaves the raw string in
//! place, this module reports the error with its JSON path instead.
//!
//! Object keys: Backstage never renders keys.  Keys without template markers
//! pass through unchanged here too; a key that does contain `${{`, `{%` or
//! `{#` is rendered as text (an extension; [`Expressions::check`] checks such
//! keys as well).  A key that renders empty, or to the same text as another
//! key, is an error.
//!
//! # Text rendering
//!
//! Mixed text follows Nunjucks' output rules (with `autoescape: false`):
//! undefined and `null` render as the empty string, booleans as
//! `true`/`false`, numbers as JavaScript prints them (`2`, not `2.0`),
//! arrays as JavaScript's `Array.prototype.toString` (`a,b`).  Objects render
//! as compact JSON (Nunjucks would print `[object Object]`, which is never
//! what a template author wants).
//!
//! # Nunjucks idioms supported on top of minijinja
//!
//! Before compiling, tag contents are lightly rewritten so that Nunjucks
//! spellings mean what they mean in Backstage: unquoted object-literal keys
//! (`{ defaultKind: 'group' }`), `===`/`!==`, `{% elseif %}`,
//! `{% for k, v in object %}`, the JavaScript `.length` property, and common
//! JavaScript string/array methods (`.split()`, `.toLowerCase()`,
//! `.startsWith()`, `.join()`, …).  `null` is an alias of `none`.
//!
//! # Safety
//!
//! Templates are treated as hostile: the environment has no template loader
//! (`{% include %}`, `{% import %}`, `{% from %}`, `{% extends %}` fail with a
//! clear error, and [`Expressions::check`] reports them), no access to the
//! process environment, files or network, no `debug()` global; every render
//! or evaluation has a fuel budget of [`FUEL`] instructions; the rendered
//! output, and the total text produced by `${{ … }}` outputs during a render,
//! is capped at [`MAX_OUTPUT_BYTES`]; minijinja's default recursion limit
//! applies.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::value::{Enumerator, Object, ObjectExt, ObjectRepr, ValueKind};
use minijinja::{AutoEscape, Environment, ErrorKind, Output, State, UndefinedBehavior, Value};
use serde_json::Value as Json;

mod filters;
#[cfg(test)]
mod tests;

/// Instruction budget of one render or one expression evaluation.
pub const FUEL: u64 = 2_000_000;

/// Largest output one render may produce.
pub const MAX_OUTPUT_BYTES: usize = 10 * 1024 * 1024;

const VAR_START: &str = "${{";
const VAR_END: &str = "}}";
const BLOCK_START: &str = "{%";
const BLOCK_END: &str = "%}";
const COMMENT_START: &str = "{#";
const COMMENT_END: &str = "#}";

const OUTPUT_LIMIT_DETAIL: &str = "paved: output limit exceeded";
const TOO_MUCH_WORK: &str = "the template does too much work";
const DEPTH_LIMIT: usize = 256;

/// A problem with an expression: where (JSON path within the value checked,
/// e.g. `input.values.name`; empty for a bare string) and what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ExprError {
    pub path: String,
    pub message: String,
}

impl ExprError {
    fn new(path: &str, message: impl Into<String>) -> Self {
        ExprError {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// The expression engine: one configured minijinja Environment, shared
/// (Send + Sync, cheap to clone or put in an Arc).
#[derive(Clone)]
pub struct Expressions {
    env: Arc<Environment<'static>>,
}

impl fmt::Debug for Expressions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expressions").finish_non_exhaustive()
    }
}

impl Default for Expressions {
    fn default() -> Self {
        Self::new()
    }
}

impl Expressions {
    pub fn new() -> Self {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .variable_delimiters(VAR_START, VAR_END)
            .block_delimiters(BLOCK_START, BLOCK_END)
            .comment_delimiters(COMMENT_START, COMMENT_END)
            .build()
            .expect("static delimiters are valid");
        env.set_syntax(syntax);
        // Nunjucks (autoescape: false) neither escapes nor drops the final newline.
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_keep_trailing_newline(true);
        // Nunjucks: looking up a member of undefined/null yields undefined.
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_fuel(Some(FUEL));
        env.set_formatter(format_output);
        // `debug()` would print the whole context (secrets included).
        env.remove_global("debug");
        env.add_global("null", Value::from(()));
        filters::register(&mut env);
        Expressions { env: Arc::new(env) }
    }

    /// Compile-check every templated string inside `value` (recursively through
    /// objects/arrays; object keys too), without evaluating.  Returns every
    /// problem, each with its JSON path appended to `path` (e.g. path
    /// `spec.steps[0].input` + `.values.name`; array indexes as `[2]`).
    ///
    /// Reported: syntax errors, unknown filters and tests (minijinja only
    /// notices those at run time, so they are looked up here), and
    /// `{% include %}`/`{% import %}`/`{% from %}`/`{% extends %}`, which can
    /// never work.
    pub fn check(&self, value: &serde_json::Value, path: &str) -> Vec<ExprError> {
        let mut errors = Vec::new();
        self.check_node(value, path, &mut errors);
        errors
    }

    /// Evaluate every templated string inside `value` against `context` (a
    /// JSON object with keys such as `parameters`, `steps`, `user`, `each`,
    /// `secrets`, `context`).
    ///
    /// Backstage's rules (`NunjucksWorkflowRunner.render`, see the module
    /// docs): a string that is exactly one `${{ … }}` yields the expression's
    /// value with its type; any other templated string renders to a string;
    /// a string whose result is undefined or renders empty is dropped from its
    /// object (becomes `null` in an array, and `null` when it is `value`
    /// itself); non-string values pass through.  Errors carry the JSON path.
    pub fn evaluate(
        &self,
        value: &serde_json::Value,
        context: &serde_json::Value,
        path: &str,
    ) -> Result<serde_json::Value, ExprError> {
        let ctx = json_to_value(context);
        Ok(self.eval_node(value, &ctx, path)?.unwrap_or(Json::Null))
    }

    /// A step's or output's `if`.
    ///
    /// Backstage (`NunjucksWorkflowRunner.executeStep`) skips a step when `if`
    /// is `false`, or is a string whose rendered value is falsy by
    /// `isTruthy` (`plugins/scaffolder-backend/src/scaffolder/tasks/helper.ts`):
    /// `false`, undefined, `null`, `""`, `0` and `[]` are falsy, everything
    /// else, including the *string* `"false"`, is truthy.  So:
    /// a bool passes through; a string is evaluated as in
    /// [`evaluate`](Self::evaluate) (`${{ parameters.flag }}` gives the
    /// parameter's boolean) and judged by that rule; any other value (`null`,
    /// numbers, arrays, objects) is `true`, as Backstage runs the step then.
    pub fn condition(
        &self,
        cond: &serde_json::Value,
        context: &serde_json::Value,
        path: &str,
    ) -> Result<bool, ExprError> {
        match cond {
            Json::Bool(b) => Ok(*b),
            Json::String(s) => {
                let ctx = json_to_value(context);
                let result = self.eval_string(s, &ctx, path)?;
                Ok(is_truthy(result.as_ref()))
            }
            _ => Ok(true),
        }
    }

    /// Render skeleton text (a file's content or a file/dir path) as
    /// Backstage's `fetch:template` does
    /// (`plugins/scaffolder-backend/src/scaffolder/actions/builtin/fetch/templateActionHandler.ts`):
    /// the context is `{ values }`, variables are written `${{ values.x }}`,
    /// blocks and comments as usual, `{{ x }}` is left untouched, undefined
    /// renders as the empty string.  `name` (the skeleton file's path) is the
    /// path of any error, whose message gives the line within `text`.
    pub fn render_skeleton(
        &self,
        text: &str,
        values: &serde_json::Value,
        name: &str,
    ) -> Result<String, ExprError> {
        if !has_markers(text) {
            return Ok(text.to_string());
        }
        let ctx = Value::from_object(OrderedMap::from_entries(vec![(
            "values".to_string(),
            json_to_value(values),
        )]));
        let segs = scan(text);
        let source = rewrite(text, &segs, false);
        self.render_source(name, &source, &ctx)
            .map_err(|e| ExprError::new(name, describe(&e, true)))
    }

    // ----- checking --------------------------------------------------------

    fn check_node(&self, value: &Json, path: &str, errors: &mut Vec<ExprError>) {
        match value {
            Json::String(s) => self.check_string(s, path, "", errors),
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.check_node(item, &child_index(path, i), errors);
                }
            }
            Json::Object(map) => {
                for (k, v) in map {
                    let p = child_key(path, k);
                    self.check_string(k, &p, "object key: ", errors);
                    self.check_node(v, &p, errors);
                }
            }
            _ => {}
        }
    }

    fn check_string(&self, s: &str, path: &str, prefix: &str, errors: &mut Vec<ExprError>) {
        if !has_markers(s) {
            return;
        }
        let multi_line = s.contains('\n');
        let segs = scan(s);
        let source = rewrite(s, &segs, false);
        if let Err(e) = self.env.template_from_named_str("<string>", &source) {
            errors.push(ExprError::new(
                path,
                format!("{prefix}{}", describe(&e, multi_line)),
            ));
            return;
        }
        let line_suffix = |offset: usize| {
            if multi_line {
                format!(" (line {})", s[..offset].matches('\n').count() + 1)
            } else {
                String::new()
            }
        };
        let mut reported = HashSet::new();
        for seg in &segs {
            let Seg::Tag {
                kind,
                inner_start,
                inner,
                toks,
                ..
            } = seg
            else {
                continue;
            };
            let text = |t: &Tok| &inner[t.start..t.end];
            if *kind == TagKind::Block
                && let Some(first) = toks.first().filter(|t| t.kind == TokKind::Ident)
                && matches!(text(first), "include" | "import" | "from" | "extends")
            {
                errors.push(ExprError::new(
                    path,
                    format!(
                        "{prefix}{{% {} %}} is not supported: templates cannot load other templates{}",
                        text(first),
                        line_suffix(inner_start + first.start)
                    ),
                ));
            }
            for (i, t) in toks.iter().enumerate() {
                let next_ident = |j: usize| toks.get(j).filter(|t| t.kind == TokKind::Ident);
                let filter_name = if text(t) == "|" && t.kind == TokKind::Punct {
                    next_ident(i + 1)
                } else if i == 0 && *kind == TagKind::Block && text(t) == "filter" {
                    next_ident(1)
                } else {
                    None
                };
                if let Some(f) = filter_name {
                    let name = text(f);
                    if reported.insert(("filter", name)) && !self.filter_exists(name) {
                        errors.push(ExprError::new(
                            path,
                            format!(
                                "{prefix}unknown filter `{name}`{}",
                                line_suffix(inner_start + f.start)
                            ),
                        ));
                    }
                }
                if t.kind == TokKind::Ident && text(t) == "is" {
                    let mut j = i + 1;
                    if next_ident(j).is_some_and(|n| text(n) == "not") {
                        j += 1;
                    }
                    if let Some(tt) = next_ident(j) {
                        let name = text(tt);
                        if reported.insert(("test", name)) && !self.test_exists(name) {
                            errors.push(ExprError::new(
                                path,
                                format!(
                                    "{prefix}unknown test `{name}`{}",
                                    line_suffix(inner_start + tt.start)
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }

    /// minijinja resolves filters when they run; ask the environment by
    /// running the filter on `none` and looking only for "unknown filter".
    fn filter_exists(&self, name: &str) -> bool {
        match self.env.compile_expression_owned(format!("none | {name}")) {
            Ok(expr) => !matches!(expr.eval(()), Err(e) if e.kind() == ErrorKind::UnknownFilter),
            Err(_) => true,
        }
    }

    fn test_exists(&self, name: &str) -> bool {
        match self.env.compile_expression_owned(format!("none is {name}")) {
            Ok(expr) => !matches!(expr.eval(()), Err(e) if e.kind() == ErrorKind::UnknownTest),
            Err(_) => true,
        }
    }

    // ----- evaluation ------------------------------------------------------

    fn eval_node(&self, value: &Json, ctx: &Value, path: &str) -> Result<Option<Json>, ExprError> {
        match value {
            Json::String(s) => self.eval_string(s, ctx, path),
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(
                        self.eval_node(item, ctx, &child_index(path, i))?
                            .unwrap_or(Json::Null),
                    );
                }
                Ok(Some(Json::Array(out)))
            }
            Json::Object(map) => {
                let mut out = serde_json::Map::with_capacity(map.len());
                for (k, v) in map {
                    let p = child_key(path, k);
                    let key = if has_markers(k) {
                        let rendered = self.render_text(k, ctx).map_err(|e| {
                            ExprError::new(
                                &p,
                                format!("object key: {}", describe(&e, k.contains('\n'))),
                            )
                        })?;
                        if rendered.is_empty() {
                            return Err(ExprError::new(
                                &p,
                                "object key renders to an empty string",
                            ));
                        }
                        if map.contains_key(&rendered) || out.contains_key(&rendered) {
                            return Err(ExprError::new(
                                &p,
                                format!(
                                    "object key renders to `{rendered}`, which is already a key of this object"
                                ),
                            ));
                        }
                        rendered
                    } else {
                        k.clone()
                    };
                    if let Some(v) = self.eval_node(v, ctx, &p)? {
                        out.insert(key, v);
                    }
                }
                Ok(Some(Json::Object(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// One string, Backstage's way; `None` is JavaScript's `undefined`.
    fn eval_string(&self, s: &str, ctx: &Value, path: &str) -> Result<Option<Json>, ExprError> {
        if !has_markers(s) {
            return Ok((!s.is_empty()).then(|| Json::String(s.to_string())));
        }
        let multi_line = s.contains('\n');
        let fail = |e: minijinja::Error| ExprError::new(path, describe(&e, multi_line));
        let segs = scan(s);
        match single_node(&segs) {
            Some(SingleNode::Var(idx)) => {
                let Seg::Tag { inner, toks, .. } = &segs[idx] else {
                    unreachable!("single_node returns the index of a tag")
                };
                let source = rewrite_tag(inner, toks, TagKind::Var);
                let expr = self.env.compile_expression_owned(source).map_err(fail)?;
                let value = expr.eval(ctx).map_err(fail)?;
                let json = value_to_json(&value).map_err(fail)?;
                if let Some(j) = &json {
                    check_size(j).map_err(fail)?;
                }
                Ok(json)
            }
            Some(SingleNode::Block) => {
                // Backstage wraps the expressions in `| dump` and tries JSON.parse
                // on the whole output, falling back to plain text rendering.
                let dumped = rewrite(s, &segs, true);
                if let Ok(out) = self.render_source("<string>", &dumped, ctx) {
                    if out.is_empty() {
                        return Ok(None);
                    }
                    if let Ok(json) = serde_json::from_str::<Json>(&out) {
                        return Ok(Some(json));
                    }
                }
                let out = self
                    .render_source("<string>", &rewrite(s, &segs, false), ctx)
                    .map_err(fail)?;
                Ok((!out.is_empty()).then_some(Json::String(out)))
            }
            None => {
                let out = self
                    .render_source("<string>", &rewrite(s, &segs, false), ctx)
                    .map_err(fail)?;
                Ok((!out.is_empty()).then_some(Json::String(out)))
            }
        }
    }

    fn render_text(&self, s: &str, ctx: &Value) -> Result<String, minijinja::Error> {
        let segs = scan(s);
        self.render_source("<string>", &rewrite(s, &segs, false), ctx)
    }

    fn render_source(
        &self,
        name: &str,
        source: &str,
        ctx: &Value,
    ) -> Result<String, minijinja::Error> {
        let tmpl = self.env.template_from_named_str(name, source)?;
        let mut w = CappedWriter::default();
        match tmpl.render_captured_to(ctx, &mut w) {
            Ok(_) => String::from_utf8(w.buf).map_err(|_| {
                minijinja::Error::new(ErrorKind::InvalidOperation, "rendered output is not UTF-8")
            }),
            Err(_) if w.exceeded => Err(output_limit_error()),
            Err(e) => Err(e),
        }
    }
}

// ----- errors ---------------------------------------------------------------

fn output_limit_error() -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, OUTPUT_LIMIT_DETAIL)
}

/// A readable message for a minijinja error.
fn describe(err: &minijinja::Error, with_line: bool) -> String {
    let detail = err.detail().unwrap_or("");
    let mut msg = match err.kind() {
        ErrorKind::OutOfFuel => {
            format!("{TOO_MUCH_WORK} (more than {FUEL} evaluation steps)")
        }
        ErrorKind::InvalidOperation if detail == "range has too many elements" => {
            format!("{TOO_MUCH_WORK} (range() has too many elements)")
        }
        _ if detail == OUTPUT_LIMIT_DETAIL => {
            format!(
                "the template produces too much output (more than {} MiB)",
                MAX_OUTPUT_BYTES / (1024 * 1024)
            )
        }
        ErrorKind::TemplateNotFound => format!(
            "templates cannot load other templates ({{% include %}}, {{% import %}}, {{% from %}} and {{% extends %}} are not supported): {detail}"
        ),
        ErrorKind::InvalidOperation if !detail.is_empty() => detail.to_string(),
        kind if detail.is_empty() => kind.to_string(),
        kind => format!("{kind}: {detail}"),
    };
    if with_line && let Some(line) = err.line() {
        msg.push_str(&format!(" (line {line})"));
    }
    msg
}

fn check_size(json: &Json) -> Result<(), minijinja::Error> {
    struct Counter(usize);
    impl io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += buf.len();
            if self.0 > MAX_OUTPUT_BYTES {
                return Err(io::Error::other("too large"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    serde_json::to_writer(Counter(0), json).map_err(|_| output_limit_error())
}

// ----- output ---------------------------------------------------------------

/// Collects the rendered text, refusing to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct CappedWriter {
    buf: Vec<u8>,
    exceeded: bool,
}

impl io::Write for CappedWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > MAX_OUTPUT_BYTES {
            self.exceeded = true;
            return Err(io::Error::other("output limit exceeded"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Bytes produced by `${{ … }}` outputs during one render (captured output,
/// e.g. `{% set x %}…{% endset %}`, included), so that building a huge string
/// in a capture is stopped too.
#[derive(Debug, Default)]
struct OutputBudget(AtomicUsize);

impl Object for OutputBudget {}

fn format_output(out: &mut Output, state: &State, value: &Value) -> Result<(), minijinja::Error> {
    let text = js_display(value)?;
    let budget = state.get_or_set_temp_object("paved_output_budget", OutputBudget::default);
    let used = budget.0.fetch_add(text.len(), Ordering::Relaxed) + text.len();
    if used > MAX_OUTPUT_BYTES {
        return Err(output_limit_error());
    }
    out.write_str(&text)
        .map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "failed to write output"))
}

/// How a value prints in text, Nunjucks-style (JavaScript's `String(x)`,
/// except that objects print as JSON).
fn js_display(value: &Value) -> Result<String, minijinja::Error> {
    Ok(match value.kind() {
        ValueKind::Undefined | ValueKind::None => String::new(),
        ValueKind::Bool => if value.is_true() { "true" } else { "false" }.to_string(),
        ValueKind::Number => js_number(value),
        ValueKind::String => value.as_str().unwrap_or_default().to_string(),
        ValueKind::Bytes => {
            String::from_utf8_lossy(value.as_bytes().unwrap_or_default()).into_owned()
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let mut parts = Vec::new();
            for item in value.try_iter()? {
                parts.push(js_display(&item)?);
            }
            parts.join(",")
        }
        ValueKind::Map => match value_to_json(value)? {
            Some(json) => serde_json::to_string(&json).unwrap_or_default(),
            None => String::new(),
        },
        _ => value.to_string(),
    })
}

/// JavaScript's rendering of a number (`2.0` prints as `2`).
fn js_number(value: &Value) -> String {
    if value.is_integer() {
        return value.to_string();
    }
    match f64::try_from(value.clone()) {
        Ok(f) => js_float(f),
        Err(_) => value.to_string(),
    }
}

fn js_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if f == f.trunc() && f.abs() < 1e21 {
        format!("{}", f as i128)
    } else {
        format!("{f}")
    }
}

// ----- truthiness -------------------------------------------------------------

/// Backstage's `isTruthy` (`scaffolder/tasks/helper.ts`): arrays are truthy
/// when non-empty, everything else by JavaScript's `!!value`.
fn is_truthy(value: Option<&Json>) -> bool {
    match value {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(Json::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Json::String(s)) => !s.is_empty(),
        Some(Json::Array(a)) => !a.is_empty(),
        Some(Json::Object(_)) => true,
    }
}

// ----- JSON <-> minijinja values ----------------------------------------------

/// A JSON object as a minijinja map that keeps the key order (minijinja's own
/// maps are sorted).
#[derive(Debug)]
pub(super) struct OrderedMap {
    entries: Vec<(String, Value)>,
    index: HashMap<String, usize>,
}

impl OrderedMap {
    fn from_entries(entries: Vec<(String, Value)>) -> Self {
        let mut map = OrderedMap {
            entries: Vec::with_capacity(entries.len()),
            index: HashMap::with_capacity(entries.len()),
        };
        for (k, v) in entries {
            map.insert(k, v);
        }
        map
    }

    fn insert(&mut self, key: String, value: Value) {
        if let Some(&i) = self.index.get(&key) {
            self.entries[i].1 = value;
        } else {
            self.index.insert(key.clone(), self.entries.len());
            self.entries.push((key, value));
        }
    }

    /// Build a map value; entries whose value is undefined are left out.
    pub(super) fn value(entries: Vec<(&str, Value)>) -> Value {
        Value::from_object(OrderedMap::from_entries(
            entries
                .into_iter()
                .filter(|(_, v)| !v.is_undefined())
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ))
    }
}

impl Object for OrderedMap {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        self.index.get(key).map(|&i| self.entries[i].1.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.mapped_enumerator(|this| {
            Box::new(this.entries.iter().map(|(k, _)| Value::from(k.as_str())))
        })
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.entries.len())
    }
}

pub(super) fn json_to_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::from(items.iter().map(json_to_value).collect::<Vec<_>>()),
        Json::Object(map) => Value::from_object(OrderedMap::from_entries(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_value(v)))
                .collect(),
        )),
    }
}

/// A minijinja value as JSON, the way `JSON.stringify` treats a JavaScript
/// value: `None` for undefined (and for functions); undefined members of
/// maps are left out, undefined items of sequences become `null`;
/// non-finite numbers become `null`; whole floats become integers.
pub(super) fn value_to_json(value: &Value) -> Result<Option<Json>, minijinja::Error> {
    to_json_at(value, 0)
}

fn to_json_at(value: &Value, depth: usize) -> Result<Option<Json>, minijinja::Error> {
    if depth > DEPTH_LIMIT {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            "value is nested too deeply",
        ));
    }
    Ok(Some(match value.kind() {
        ValueKind::Undefined => return Ok(None),
        ValueKind::None => Json::Null,
        ValueKind::Bool => Json::Bool(value.is_true()),
        ValueKind::Number => number_to_json(value),
        ValueKind::String => Json::String(value.as_str().unwrap_or_default().to_string()),
        ValueKind::Bytes => {
            Json::String(String::from_utf8_lossy(value.as_bytes().unwrap_or_default()).into_owned())
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let mut items = Vec::new();
            for item in value.try_iter()? {
                items.push(to_json_at(&item, depth + 1)?.unwrap_or(Json::Null));
            }
            Json::Array(items)
        }
        ValueKind::Map => {
            let mut map = serde_json::Map::new();
            for key in value.try_iter()? {
                let item = value.get_item(&key)?;
                if let Some(j) = to_json_at(&item, depth + 1)? {
                    let key = match key.as_str() {
                        Some(s) => s.to_string(),
                        None => js_display(&key)?,
                    };
                    map.insert(key, j);
                }
            }
            Json::Object(map)
        }
        ValueKind::Invalid => {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                value.to_string(),
            ));
        }
        // functions, macros and other opaque objects: JSON.stringify drops them
        _ => return Ok(None),
    }))
}

fn number_to_json(value: &Value) -> Json {
    if value.is_integer() {
        if let Some(i) = value.as_i64() {
            return Json::from(i);
        }
        if let Ok(u) = u64::try_from(value.clone()) {
            return Json::from(u);
        }
    }
    match f64::try_from(value.clone()) {
        Ok(f) if f.is_finite() => {
            if f == f.trunc() && f.abs() <= 9_007_199_254_740_992.0 {
                Json::from(f as i64)
            } else {
                serde_json::Number::from_f64(f)
                    .map(Json::Number)
                    .unwrap_or(Json::Null)
            }
        }
        _ => Json::Null,
    }
}

// ----- JSON paths ---------------------------------------------------------------

fn child_key(path: &str, key: &str) -> String {
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | '@'));
    if !simple {
        let quoted = serde_json::to_string(key).unwrap_or_default();
        format!("{path}[{quoted}]")
    } else if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn child_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

// ----- scanning template text ------------------------------------------------
//
// The template text is split the way minijinja's lexer splits it (same
// delimiters, same rules for where a tag ends), so tag contents can be
// rewritten for Nunjucks compatibility and a string can be classified as a
// single expression the way Backstage classifies it.

fn has_markers(s: &str) -> bool {
    s.contains(VAR_START) || s.contains(BLOCK_START) || s.contains(COMMENT_START)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Var,
    Block,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokKind {
    Ident,
    Str,
    Num,
    Punct,
}

/// A token inside a tag; offsets are relative to the tag's `inner` text.
#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: TokKind,
    start: usize,
    end: usize,
}

#[derive(Debug)]
enum Seg<'a> {
    /// Text, a comment, a raw block or an unterminated remainder: kept as is.
    Verbatim { text: &'a str, is_data: bool },
    Tag {
        kind: TagKind,
        open: &'a str,
        inner_start: usize,
        inner: &'a str,
        close: &'a str,
        toks: Vec<Tok>,
    },
}

fn scan(src: &str) -> Vec<Seg<'_>> {
    let bytes = src.as_bytes();
    let mut segs = Vec::new();
    let mut data_start = 0;
    let mut pos = 0;
    fn push_data<'a>(segs: &mut Vec<Seg<'a>>, text: &'a str) {
        if !text.is_empty() {
            segs.push(Seg::Verbatim {
                text,
                is_data: true,
            });
        }
    }
    loop {
        let Some((m, marker)) = find_marker(src, pos) else {
            push_data(&mut segs, &src[data_start..]);
            break;
        };
        match marker {
            Marker::Comment => {
                let Some(end) = src[m + COMMENT_START.len()..].find(COMMENT_END) else {
                    push_data(&mut segs, &src[data_start..]);
                    break;
                };
                let end = m + COMMENT_START.len() + end + COMMENT_END.len();
                push_data(&mut segs, &src[data_start..m]);
                segs.push(Seg::Verbatim {
                    text: &src[m..end],
                    is_data: false,
                });
                pos = end;
                data_start = end;
            }
            Marker::Var | Marker::Block => {
                let (kind, start, end_marker) = match marker {
                    Marker::Var => (TagKind::Var, VAR_START, VAR_END),
                    _ => (TagKind::Block, BLOCK_START, BLOCK_END),
                };
                let mut open_end = m + start.len();
                if matches!(bytes.get(open_end), Some(b'-' | b'+')) {
                    open_end += 1;
                }
                let Some((inner_end, close_end, toks)) = lex_tag(src, open_end, end_marker) else {
                    push_data(&mut segs, &src[data_start..]);
                    break;
                };
                let inner = &src[open_end..inner_end];
                let is_raw = kind == TagKind::Block
                    && toks.len() == 1
                    && &inner[toks[0].start..toks[0].end] == "raw";
                push_data(&mut segs, &src[data_start..m]);
                if is_raw {
                    let Some(raw_end) = find_endraw(src, close_end) else {
                        segs.push(Seg::Verbatim {
                            text: &src[m..],
                            is_data: true,
                        });
                        break;
                    };
                    segs.push(Seg::Verbatim {
                        text: &src[m..raw_end],
                        is_data: true,
                    });
                    pos = raw_end;
                } else {
                    segs.push(Seg::Tag {
                        kind,
                        open: &src[m..open_end],
                        inner_start: open_end,
                        inner,
                        close: &src[inner_end..close_end],
                        toks,
                    });
                    pos = close_end;
                }
                data_start = pos;
            }
        }
    }
    segs
}

#[derive(Debug, Clone, Copy)]
enum Marker {
    Var,
    Block,
    Comment,
}

fn find_marker(src: &str, from: usize) -> Option<(usize, Marker)> {
    let bytes = src.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if src[i..].starts_with(VAR_START) => return Some((i, Marker::Var)),
            b'{' if src[i..].starts_with(BLOCK_START) => return Some((i, Marker::Block)),
            b'{' if src[i..].starts_with(COMMENT_START) => return Some((i, Marker::Comment)),
            _ => i += 1,
        }
    }
    None
}

/// End of the `{% endraw %}` tag closing a raw block that starts at `from`.
fn find_endraw(src: &str, from: usize) -> Option<usize> {
    let mut pos = from;
    while let Some(i) = src[pos..].find(BLOCK_START) {
        let start = pos + i + BLOCK_START.len();
        let rest = &src[start..];
        let rest = rest.strip_prefix(['-', '+']).unwrap_or(rest);
        let rest = rest.trim_start();
        if let Some(rest) = rest.strip_prefix("endraw") {
            let rest = rest.trim_start();
            let rest = rest.strip_prefix(['-', '+']).unwrap_or(rest);
            if let Some(rest) = rest.strip_prefix(BLOCK_END) {
                return Some(src.len() - rest.len());
            }
        }
        pos = start;
    }
    None
}

/// Tokenize a tag's contents starting at `start` until `end_marker` at
/// bracket depth zero.  Returns (end of contents, end of closing delimiter,
/// tokens relative to `start`), or `None` if the tag never ends.
fn lex_tag(src: &str, start: usize, end_marker: &str) -> Option<(usize, usize, Vec<Tok>)> {
    let bytes = src.as_bytes();
    let mut i = start;
    let mut balance: isize = 0;
    let mut toks = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let rest = &src[i..];
        if balance == 0 {
            if rest.starts_with(end_marker) {
                return Some((i, i + end_marker.len(), toks));
            }
            if matches!(bytes[i], b'-' | b'+') && rest[1..].starts_with(end_marker) {
                return Some((i, i + 1 + end_marker.len(), toks));
            }
        }
        let c = bytes[i];
        let (kind, len) = if c == b'"' || c == b'\'' {
            let mut j = i + 1;
            let mut escaped = false;
            loop {
                let b = *bytes.get(j)?;
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == c {
                    break;
                }
                j += 1;
            }
            (TokKind::Str, j + 1 - i)
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let n = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            (TokKind::Ident, n)
        } else if c.is_ascii_digit() {
            let rb = rest.as_bytes();
            let mut n = 0;
            while n < rb.len() {
                let b = rb[n];
                let part_of_number = b.is_ascii_alphanumeric()
                    || b == b'_'
                    || (b == b'.' && rb.get(n + 1).is_some_and(u8::is_ascii_digit))
                    || (matches!(b, b'+' | b'-')
                        && matches!(rb[n - 1], b'e' | b'E')
                        && rb[0] != b'0');
                if !part_of_number {
                    break;
                }
                n += 1;
            }
            (TokKind::Num, n)
        } else {
            let n = if rest.starts_with("===") || rest.starts_with("!==") {
                3
            } else if ["==", "!=", "<=", ">=", "//", "**"]
                .iter()
                .any(|p| rest.starts_with(p))
            {
                2
            } else {
                rest.chars().next().map_or(1, char::len_utf8)
            };
            match c {
                b'(' | b'[' | b'{' => balance += 1,
                b')' | b']' | b'}' => balance -= 1,
                _ => {}
            }
            (TokKind::Punct, n)
        };
        toks.push(Tok {
            kind,
            start: i - start,
            end: i - start + len,
        });
        i += len;
    }
}

enum SingleNode {
    /// The string is exactly one `${{ … }}` (plus comments): index of the tag.
    Var(usize),
    /// The string is exactly one block statement (`{% if %}…{% endif %}`).
    Block,
}

/// Does the text parse to a single top-level Nunjucks node that is not plain
/// text?  (`NunjucksWorkflowRunner.isSingleTemplateString`.)
fn single_node(segs: &[Seg<'_>]) -> Option<SingleNode> {
    let mut depth = 0usize;
    let mut count = 0usize;
    let mut first = None;
    for (idx, seg) in segs.iter().enumerate() {
        let node = match seg {
            Seg::Verbatim { is_data: false, .. } => continue,
            Seg::Verbatim { is_data: true, .. } => (depth == 0).then_some(None),
            Seg::Tag {
                kind: TagKind::Var, ..
            } => (depth == 0).then_some(Some(SingleNode::Var(idx))),
            Seg::Tag {
                kind: TagKind::Block,
                inner,
                toks,
                ..
            } => {
                let name = toks
                    .first()
                    .filter(|t| t.kind == TokKind::Ident)
                    .map_or("", |t| &inner[t.start..t.end]);
                let opens = match name {
                    "if" | "for" | "macro" | "call" | "filter" | "block" | "with"
                    | "autoescape" | "switch" | "asyncEach" | "asyncAll" => true,
                    "set" => !toks.iter().any(|t| &inner[t.start..t.end] == "="),
                    _ => false,
                };
                if name.starts_with("end") {
                    depth = depth.saturating_sub(1);
                    continue;
                }
                if matches!(name, "elif" | "elseif" | "else" | "case" | "default") {
                    continue;
                }
                let node = (depth == 0).then_some(Some(SingleNode::Block));
                if opens {
                    depth += 1;
                }
                node
            }
        };
        if let Some(node) = node {
            count += 1;
            first = node;
        }
    }
    if count == 1 { first } else { None }
}

/// The text with every tag rewritten for Nunjucks compatibility; with
/// `dump_vars`, every `${{ expr }}` becomes `${{ (expr) | dump }}`.
fn rewrite(src: &str, segs: &[Seg<'_>], dump_vars: bool) -> String {
    let mut out = String::with_capacity(src.len() + 16);
    for seg in segs {
        match seg {
            Seg::Verbatim { text, .. } => out.push_str(text),
            Seg::Tag {
                kind,
                open,
                inner,
                close,
                toks,
                ..
            } => {
                out.push_str(open);
                let body = rewrite_tag(inner, toks, *kind);
                if dump_vars && *kind == TagKind::Var {
                    out.push_str(" (");
                    out.push_str(&body);
                    out.push_str(") | dump ");
                } else {
                    out.push_str(&body);
                }
                out.push_str(close);
            }
        }
    }
    out
}

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "elif",
    "for",
    "recursive",
    "set",
    "with",
    "as",
    "import",
    "from",
    "include",
    "extends",
    "block",
    "macro",
    "call",
    "filter",
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
];

/// Rewrite a tag's contents so that Nunjucks spellings compile in minijinja
/// with the same meaning.
fn rewrite_tag(inner: &str, toks: &[Tok], kind: TagKind) -> String {
    let text = |i: usize| &inner[toks[i].start..toks[i].end];
    let is_punct =
        |i: usize, p: &str| toks.get(i).is_some_and(|t| t.kind == TokKind::Punct) && text(i) == p;
    // (position, end, replacement); insertions have position == end
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut stack: Vec<&str> = Vec::new();

    for i in 0..toks.len() {
        let t = toks[i];
        match (t.kind, text(i)) {
            (TokKind::Punct, p @ ("(" | "[" | "{")) => stack.push(p),
            (TokKind::Punct, ")" | "]" | "}") => {
                stack.pop();
            }
            (TokKind::Punct, "===") => edits.push((t.start, t.end, "==".into())),
            (TokKind::Punct, "!==") => edits.push((t.start, t.end, "!=".into())),
            // `{ key: value }`: Nunjucks reads a bare key as a string
            (TokKind::Ident, name)
                if stack.last() == Some(&"{")
                    && i > 0
                    && (is_punct(i - 1, "{") || is_punct(i - 1, ","))
                    && is_punct(i + 1, ":") =>
            {
                edits.push((t.start, t.end, format!("\"{name}\"")));
            }
            // JavaScript's `.length`
            (TokKind::Ident, "length")
                if i > 0 && is_punct(i - 1, ".") && !is_punct(i + 1, "(") =>
            {
                if let Some(s) = chain_start(inner, toks, i - 1) {
                    edits.push((toks[s].start, toks[s].start, "(".into()));
                    edits.push((toks[i - 1].start, t.end, "|__jslength)".into()));
                }
            }
            _ => {}
        }
    }

    if kind == TagKind::Block && !toks.is_empty() {
        if text(0) == "elseif" {
            edits.push((toks[0].start, toks[0].end, "elif".into()));
        }
        // `{% for k, v in object %}` iterates an object's entries in Nunjucks
        if text(0) == "for"
            && toks.len() > 5
            && toks[1].kind == TokKind::Ident
            && is_punct(2, ",")
            && toks[3].kind == TokKind::Ident
            && text(4) == "in"
        {
            let mut depth = 0isize;
            let mut last = toks.len() - 1;
            for (j, tok) in toks.iter().enumerate().skip(5) {
                let s = &inner[tok.start..tok.end];
                if tok.kind == TokKind::Punct {
                    match s {
                        "(" | "[" | "{" => depth += 1,
                        ")" | "]" | "}" => depth -= 1,
                        _ => {}
                    }
                } else if depth == 0
                    && tok.kind == TokKind::Ident
                    && matches!(s, "if" | "recursive")
                {
                    last = j - 1;
                    break;
                }
            }
            if last >= 5 {
                edits.push((toks[5].start, toks[5].start, "(".into()));
                edits.push((toks[last].end, toks[last].end, ")|__jsentries".into()));
            }
        }
    }

    if edits.is_empty() {
        return inner.to_string();
    }
    // insertions before replacements at the same position
    edits.sort_by_key(|(s, e, _)| (*s, *e != *s));
    let mut out = String::with_capacity(inner.len() + 32);
    let mut pos = 0;
    for (s, e, rep) in edits {
        if s < pos {
            continue; // overlapping edit; cannot happen with the rules above
        }
        out.push_str(&inner[pos..s]);
        out.push_str(&rep);
        pos = e;
    }
    out.push_str(&inner[pos..]);
    out
}

/// Index of the first token of the postfix chain (`a.b[0].c`, `f(x)`,
/// `'str'`, `(…)`, `[…]`) that ends right before token `dot`.
fn chain_start(inner: &str, toks: &[Tok], dot: usize) -> Option<usize> {
    let text = |i: usize| &inner[toks[i].start..toks[i].end];
    let is_operand_end = |i: usize| {
        let t = toks[i];
        match t.kind {
            TokKind::Ident => !KEYWORDS.contains(&text(i)),
            TokKind::Str | TokKind::Num => true,
            TokKind::Punct => matches!(text(i), ")" | "]" | "}"),
        }
    };
    let mut j = dot.checked_sub(1)?;
    loop {
        if !is_operand_end(j) {
            return None;
        }
        let t = toks[j];
        if t.kind == TokKind::Punct {
            // jump to the matching opening bracket
            let mut depth = 0isize;
            let mut k = j;
            loop {
                match text(k) {
                    ")" | "]" | "}" if toks[k].kind == TokKind::Punct => depth += 1,
                    "(" | "[" | "{" if toks[k].kind == TokKind::Punct => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                k = k.checked_sub(1)?;
            }
            if text(k) != "{" && k > 0 && is_operand_end(k - 1) {
                j = k - 1; // call or subscript of what comes before
                continue;
            }
            return Some(k);
        }
        // identifier, string or number
        if t.kind == TokKind::Ident
            && j >= 2
            && text(j - 1) == "."
            && toks[j - 1].kind == TokKind::Punct
        {
            j -= 2;
            continue;
        }
        return Some(j);
    }
}
