//! Filters and JavaScript-compatibility helpers registered in the expression
//! environment (used by both template values and skeleton files).
//!
//! Backstage's default filters (`createDefaultFilters`, sources under
//! `plugins/scaffolder-backend/src/lib/templating/filters/`) are
//! `parseRepoUrl`, `parseEntityRef`, `pick` and `projectSlug`; Nunjucks adds
//! `dump`.  The other common Nunjucks filters (`lower`, `upper`, `replace`,
//! `trim`, `default`/`d`, `join`, `first`, `last`, …) are minijinja builtins;
//! `length` is replaced by a Nunjucks-compatible version (undefined has
//! length 0, strings count UTF-16 units like JavaScript).

use minijinja::value::ValueKind;
use minijinja::{Environment, Error, ErrorKind, State, Value};
use serde::Serialize;
use url::Url;

use super::{MAX_OUTPUT_BYTES, OrderedMap, js_display, value_to_json};

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("parseRepoUrl", |v: &Value| {
        named("parseRepoUrl", parse_repo_url(v))
    });
    env.add_filter("parseEntityRef", |v: &Value, c: Option<Value>| {
        named("parseEntityRef", parse_entity_ref(v, c))
    });
    env.add_filter("pick", |v: &Value, p: &Value| named("pick", pick(v, p)));
    env.add_filter("projectSlug", |v: &Value| {
        named("projectSlug", project_slug(v))
    });
    env.add_filter("dump", |v: &Value, s: Option<Value>| {
        named("dump", dump(v, s))
    });
    env.add_filter("length", length);
    // targets of the source rewrites in `super::rewrite_tag`
    env.add_filter("__jslength", js_length);
    env.add_filter("__jsentries", js_entries);
    env.set_unknown_method_callback(js_method);
}

/// Name the filter in its error messages.
fn named(filter: &str, result: Result<Value, Error>) -> Result<Value, Error> {
    result.map_err(|e| match e.kind() {
        ErrorKind::InvalidOperation => invalid(format!("{filter}: {}", e.detail().unwrap_or(""))),
        _ => e,
    })
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// `JSON.stringify` of a value, for messages.
fn json_text(value: &Value) -> String {
    match value_to_json(value) {
        Ok(Some(json)) => serde_json::to_string(&json).unwrap_or_default(),
        _ => "undefined".to_string(),
    }
}

/// JavaScript's `!!value`.
fn js_truthy(value: &Value) -> bool {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => false,
        ValueKind::Bool => value.is_true(),
        ValueKind::Number => f64::try_from(value.clone()).is_ok_and(|f| f != 0.0 && !f.is_nan()),
        ValueKind::String => !value.as_str().unwrap_or_default().is_empty(),
        _ => true,
    }
}

/// `value[key]` the JavaScript way: undefined when absent.
fn member(value: &Value, key: &str) -> Value {
    match value.kind() {
        ValueKind::Map | ValueKind::Plain => value.get_attr(key).unwrap_or(Value::UNDEFINED),
        _ => Value::UNDEFINED,
    }
}

// ----- parseRepoUrl / projectSlug ------------------------------------------
//
// Backstage: `parseRepoUrl` in `plugins/scaffolder-node/src/actions/util.ts`.
// The input is what the RepoUrlPicker produces, `host?owner=…&repo=…`; it is
// parsed as `https://<input>`, the query parameters owner, organization,
// workspace, project and repo are read (with leading/trailing `/` trimmed)
// and, depending on the kind of SCM at that host, some are required.

struct RepoSpec {
    host: String,
    owner: Option<String>,
    repo: Option<String>,
    organization: Option<String>,
    workspace: Option<String>,
    project: Option<String>,
}

/// Backstage looks the host up in the configured SCM integrations (and fails
/// for unknown hosts).  Without that configuration the kind is inferred from
/// the host name: the default integrations (github.com, gitlab.com,
/// bitbucket.org, dev.azure.com), then names containing gitlab, gitea,
/// gerrit, bitbucket or azure; anything else is treated like GitHub.
fn integration_type(host: &str) -> &'static str {
    let name = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    match name.as_str() {
        "github.com" => "github",
        "gitlab.com" => "gitlab",
        "bitbucket.org" | "www.bitbucket.org" => "bitbucketCloud",
        "dev.azure.com" => "azure",
        n if n.ends_with(".visualstudio.com") || n.contains("azure") => "azure",
        n if n.contains("gitlab") => "gitlab",
        n if n.contains("gitea") => "gitea",
        n if n.contains("gerrit") => "gerrit",
        n if n.contains("bitbucket") => "bitbucketServer",
        _ => "github",
    }
}

fn repo_spec(value: &Value) -> Result<RepoSpec, Error> {
    let Some(input) = value.as_str() else {
        return Err(invalid(format!(
            "expected a repository URL string such as `github.com?owner=o&repo=r`, got {}",
            json_text(value)
        )));
    };
    let url = Url::parse(&format!("https://{input}")).map_err(|e| {
        invalid(format!(
            "Invalid repo URL passed to publisher, got {input}, {e}"
        ))
    })?;
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => {
            return Err(invalid(format!(
                "Invalid repo URL passed to publisher, got {input}, no host"
            )));
        }
    };
    let get = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let require = |names: &[&str]| -> Result<(), Error> {
        for name in names {
            if get(name).is_none_or(|v| v.is_empty()) {
                return Err(invalid(format!(
                    "Invalid repo URL passed to publisher: {url}, missing {name}"
                )));
            }
        }
        Ok(())
    };
    let trimmed = |name: &str| get(name).map(|v| v.trim_matches('/').to_string());
    let spec = RepoSpec {
        owner: trimmed("owner"),
        repo: trimmed("repo"),
        organization: trimmed("organization"),
        workspace: trimmed("workspace"),
        project: trimmed("project"),
        host,
    };
    match integration_type(&spec.host) {
        "bitbucketCloud" => require(&["workspace", "project", "repo"])?,
        "bitbucketServer" | "azure" => require(&["project", "repo"])?,
        // a GitLab project id makes owner and repo unnecessary
        "gitlab" if spec.project.as_deref().is_some_and(|p| !p.is_empty()) => {}
        "gitlab" => require(&["owner", "repo"])?,
        "gitea" | "gerrit" => require(&["repo"])?,
        _ => require(&["repo", "owner"])?,
    }
    Ok(spec)
}

/// `repoUrl | parseRepoUrl` → `{ host, owner, repo, organization, workspace,
/// project }`, absent parts left out (as `JSON.stringify` leaves out
/// Backstage's undefined ones).
fn parse_repo_url(value: &Value) -> Result<Value, Error> {
    let spec = repo_spec(value)?;
    let opt = |v: Option<String>| v.map_or(Value::UNDEFINED, Value::from);
    Ok(OrderedMap::value(vec![
        ("host", Value::from(spec.host)),
        ("owner", opt(spec.owner)),
        ("repo", opt(spec.repo)),
        ("organization", opt(spec.organization)),
        ("workspace", opt(spec.workspace)),
        ("project", opt(spec.project)),
    ]))
}

/// `repoUrl | projectSlug` → `owner/repo` (Backstage interpolates both, so a
/// missing part prints as `undefined`, e.g. for a GitLab project id).
fn project_slug(value: &Value) -> Result<Value, Error> {
    let spec = repo_spec(value)?;
    let part = |v: Option<String>| v.unwrap_or_else(|| "undefined".to_string());
    Ok(Value::from(format!(
        "{}/{}",
        part(spec.owner),
        part(spec.repo)
    )))
}

// ----- parseEntityRef ---------------------------------------------------------
//
// Backstage: `parseEntityRef` in `packages/catalog-model/src/entity/ref.ts`,
// exposed as a filter by `filters/parseEntityRef/filter.ts`.

/// `ref | parseEntityRef` or `ref | parseEntityRef({ defaultKind, defaultNamespace })`
/// → `{ kind, namespace, name }`.  `ref` is `[<kind>:][<namespace>/]<name>`
/// or an object with `kind`, `namespace`, `name`.  The namespace defaults to
/// `default`; a missing kind without `defaultKind` is an error.
fn parse_entity_ref(reference: &Value, context: Option<Value>) -> Result<Value, Error> {
    if !js_truthy(reference) {
        return Err(invalid("Entity reference must not be empty"));
    }
    let context = context.unwrap_or(Value::UNDEFINED);
    let default_kind = member(&context, "defaultKind");
    let default_namespace = Some(member(&context, "defaultNamespace"))
        .filter(js_truthy)
        .unwrap_or_else(|| Value::from("default"));
    let or_default = |v: Value, default: &Value| {
        if v.is_undefined() || v.is_none() {
            default.clone()
        } else {
            v
        }
    };

    let (kind, namespace, name) = if let Some(text) = reference.as_str() {
        let mut colon = text.find(':');
        let slash = text.find('/');
        if let (Some(s), Some(c)) = (slash, colon)
            && s < c
        {
            colon = None;
        }
        let kind = colon.map(|c| &text[..c]);
        let namespace = slash.map(|s| &text[colon.map_or(0, |c| c + 1)..s]);
        let name_start = colon.map_or(0, |c| c + 1).max(slash.map_or(0, |s| s + 1));
        let name = &text[name_start..];
        if kind == Some("") || namespace == Some("") || name.is_empty() {
            return Err(invalid(format!(
                "Entity reference \"{text}\" was not on the form [<kind>:][<namespace>/]<name>"
            )));
        }
        (
            kind.map_or_else(|| default_kind.clone(), Value::from),
            namespace.map_or_else(|| default_namespace.clone(), Value::from),
            Value::from(name),
        )
    } else {
        (
            or_default(member(reference, "kind"), &default_kind),
            or_default(member(reference, "namespace"), &default_namespace),
            member(reference, "name"),
        )
    };

    let textual = json_text(reference);
    if !js_truthy(&kind) {
        return Err(invalid(format!(
            "Entity reference {textual} had missing or empty kind (e.g. did not start with \"component:\" or similar)"
        )));
    }
    if !js_truthy(&namespace) {
        return Err(invalid(format!(
            "Entity reference {textual} had missing or empty namespace"
        )));
    }
    if !js_truthy(&name) {
        return Err(invalid(format!(
            "Entity reference {textual} had missing or empty name"
        )));
    }
    Ok(OrderedMap::value(vec![
        ("kind", kind),
        ("namespace", namespace),
        ("name", name),
    ]))
}

// ----- pick -------------------------------------------------------------------
//
// Backstage: `filters/pick/filter.ts` is lodash's `get(object, path)`.

/// `object | pick('a.b[0].c')`: the value at a lodash-style path (a plain
/// key, a dotted path with `[index]` / `["key"]` parts, or an array of keys);
/// undefined when any part is missing.
fn pick(object: &Value, path: &Value) -> Result<Value, Error> {
    let keys: Vec<String> = match path.kind() {
        ValueKind::Seq | ValueKind::Iterable => path.try_iter()?.map(|k| key_text(&k)).collect(),
        ValueKind::String => {
            let p = path.as_str().unwrap_or_default();
            if has_own_key(object, p) || p.chars().all(|c| c.is_alphanumeric() || c == '_') {
                vec![p.to_string()]
            } else {
                lodash_path(p)
            }
        }
        _ => vec![key_text(path)],
    };
    if keys.is_empty() {
        return Ok(Value::UNDEFINED);
    }
    let mut current = object.clone();
    for key in keys {
        if current.is_undefined() || current.is_none() {
            return Ok(Value::UNDEFINED);
        }
        current = js_index(&current, &key);
    }
    Ok(current)
}

fn key_text(key: &Value) -> String {
    match key.as_str() {
        Some(s) => s.to_string(),
        None if key.is_undefined() => "undefined".to_string(),
        None if key.is_none() => "null".to_string(),
        None => js_display(key).unwrap_or_default(),
    }
}

fn has_own_key(object: &Value, key: &str) -> bool {
    object.kind() == ValueKind::Map && object.get_attr(key).is_ok_and(|v| !v.is_undefined())
}

/// lodash's `stringToPath`: `a.b[0]["c.d"]` → `a`, `b`, `0`, `c.d`.
fn lodash_path(path: &str) -> Vec<String> {
    let chars: Vec<char> = path.chars().collect();
    let mut keys = Vec::new();
    let mut i = 0;
    if chars.first() == Some(&'.') {
        keys.push(String::new());
    }
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                if i == chars.len() || chars[i] == '.' {
                    keys.push(String::new());
                }
            }
            '[' => {
                i += 1;
                let mut key = String::new();
                if let Some(&q) = chars.get(i).filter(|c| **c == '"' || **c == '\'') {
                    i += 1;
                    while i < chars.len() && chars[i] != q {
                        if chars[i] == '\\' && i + 1 < chars.len() {
                            i += 1;
                        }
                        key.push(chars[i]);
                        i += 1;
                    }
                    i += 1; // closing quote
                    while i < chars.len() && chars[i] != ']' {
                        i += 1;
                    }
                } else {
                    while i < chars.len() && chars[i] != ']' {
                        key.push(chars[i]);
                        i += 1;
                    }
                }
                i += 1; // `]`
                keys.push(key);
            }
            _ => {
                let mut key = String::new();
                while i < chars.len() && !matches!(chars[i], '.' | '[') {
                    key.push(chars[i]);
                    i += 1;
                }
                keys.push(key);
            }
        }
    }
    keys
}

/// `value[key]` with JavaScript's rules for arrays and strings.
fn js_index(value: &Value, key: &str) -> Value {
    match value.kind() {
        ValueKind::Seq | ValueKind::Iterable => {
            if key == "length" {
                return value.len().map_or(Value::UNDEFINED, Value::from);
            }
            match key.parse::<usize>() {
                Ok(i) if i.to_string() == key => {
                    value.get_item_by_index(i).unwrap_or(Value::UNDEFINED)
                }
                _ => Value::UNDEFINED,
            }
        }
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            if key == "length" {
                return Value::from(s.encode_utf16().count());
            }
            match key.parse::<usize>() {
                Ok(i) if i.to_string() == key => {
                    s.chars().nth(i).map_or(Value::UNDEFINED, Value::from)
                }
                _ => Value::UNDEFINED,
            }
        }
        _ => member(value, key),
    }
}

// ----- dump, length and the rewrite targets -------------------------------------

/// Nunjucks' `dump`: `JSON.stringify(value, null, spaces)`.  Undefined stays
/// undefined (prints as nothing).
fn dump(value: &Value, spaces: Option<Value>) -> Result<Value, Error> {
    let Some(json) = value_to_json(value)? else {
        return Ok(Value::UNDEFINED);
    };
    let indent: Option<String> = match &spaces {
        Some(v) if v.kind() == ValueKind::Number => {
            let n = f64::try_from(v.clone()).unwrap_or(0.0).clamp(0.0, 10.0) as usize;
            (n > 0).then(|| " ".repeat(n))
        }
        Some(v) if v.kind() == ValueKind::String => {
            let s: String = v.as_str().unwrap_or_default().chars().take(10).collect();
            (!s.is_empty()).then_some(s)
        }
        _ => None,
    };
    let text = match indent {
        None => serde_json::to_string(&json),
        Some(indent) => {
            let mut buf = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
            json.serialize(&mut ser)
                .map(|_| String::from_utf8(buf).unwrap_or_default())
        }
    }
    .map_err(|e| invalid(e.to_string()))?;
    Ok(Value::from(text))
}

/// Nunjucks' `length`: undefined and null have length 0, objects count their
/// keys, strings count UTF-16 units; numbers and booleans have none.
fn length(value: &Value) -> Result<Value, Error> {
    Ok(match value.kind() {
        ValueKind::Undefined | ValueKind::None => Value::from(0),
        ValueKind::String => Value::from(value.as_str().unwrap_or_default().encode_utf16().count()),
        ValueKind::Seq | ValueKind::Map => value.len().map_or(Value::UNDEFINED, Value::from),
        ValueKind::Iterable => Value::from(value.try_iter()?.count()),
        _ => Value::UNDEFINED,
    })
}

/// JavaScript's `x.length` (source rewrite of `.length`).
fn js_length(value: &Value) -> Result<Value, Error> {
    Ok(match value.kind() {
        ValueKind::String => Value::from(value.as_str().unwrap_or_default().encode_utf16().count()),
        ValueKind::Seq => value.len().map_or(Value::UNDEFINED, Value::from),
        ValueKind::Iterable => Value::from(value.try_iter()?.count()),
        ValueKind::Undefined | ValueKind::None => Value::UNDEFINED,
        _ => value.get_attr("length").unwrap_or(Value::UNDEFINED),
    })
}

/// `{% for k, v in object %}` (source rewrite): an object's `[key, value]`
/// pairs; anything else unchanged.
fn js_entries(value: &Value) -> Result<Value, Error> {
    if value.kind() != ValueKind::Map {
        return Ok(value.clone());
    }
    let mut pairs = Vec::new();
    for key in value.try_iter()? {
        let item = value.get_item(&key)?;
        pairs.push(Value::from(vec![key, item]));
    }
    Ok(Value::from(pairs))
}

// ----- JavaScript methods ------------------------------------------------------
//
// Nunjucks templates can call JavaScript methods on strings and arrays
// (`parameters.name.toLowerCase()`, `parameters.url.split('/')`); the common
// ones are provided here.  Indexes count characters.

fn js_method(_state: &State, value: &Value, name: &str, args: &[Value]) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => string_method(value.as_str().unwrap_or_default(), name, args),
        ValueKind::Seq | ValueKind::Iterable => array_method(value, name, args),
        ValueKind::Number | ValueKind::Bool if name == "toString" => {
            Ok(Value::from(js_display(value)?))
        }
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

fn str_arg<'a>(args: &'a [Value], i: usize, method: &str) -> Result<&'a str, Error> {
    args.get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("{method}() expects a string as argument {}", i + 1)))
}

fn int_arg(args: &[Value], i: usize) -> Option<i64> {
    let v = args.get(i)?;
    if v.is_undefined() || v.is_none() {
        return None;
    }
    f64::try_from(v.clone()).ok().map(|f| f.trunc() as i64)
}

/// A relative index as `slice` resolves it.
fn rel_index(i: i64, len: usize) -> usize {
    if i < 0 {
        len.saturating_sub(i.unsigned_abs() as usize)
    } else {
        (i as usize).min(len)
    }
}

fn char_index(s: &str, byte: usize) -> i64 {
    s[..byte].chars().count() as i64
}

fn string_method(s: &str, name: &str, args: &[Value]) -> Result<Value, Error> {
    let chars = || s.chars().collect::<Vec<_>>();
    let v = match name {
        "toLowerCase" | "toLocaleLowerCase" => Value::from(s.to_lowercase()),
        "toUpperCase" | "toLocaleUpperCase" => Value::from(s.to_uppercase()),
        "trim" => Value::from(s.trim()),
        "trimStart" | "trimLeft" => Value::from(s.trim_start()),
        "trimEnd" | "trimRight" => Value::from(s.trim_end()),
        "toString" | "valueOf" => Value::from(s),
        "split" => {
            let limit = int_arg(args, 1).map_or(usize::MAX, |n| n.max(0) as usize);
            let parts: Vec<Value> = match args.first().filter(|a| !a.is_undefined()) {
                None => vec![Value::from(s)],
                Some(sep) => {
                    let sep = sep
                        .as_str()
                        .ok_or_else(|| invalid("split() expects a string separator"))?;
                    if sep.is_empty() {
                        s.chars().map(Value::from).take(limit).collect()
                    } else {
                        s.split(sep).map(Value::from).take(limit).collect()
                    }
                }
            };
            Value::from(parts)
        }
        "replace" => Value::from(s.replacen(str_arg(args, 0, name)?, str_arg(args, 1, name)?, 1)),
        "replaceAll" => Value::from(s.replace(str_arg(args, 0, name)?, str_arg(args, 1, name)?)),
        "startsWith" => Value::from(s.starts_with(str_arg(args, 0, name)?)),
        "endsWith" => Value::from(s.ends_with(str_arg(args, 0, name)?)),
        "includes" => Value::from(s.contains(str_arg(args, 0, name)?)),
        "indexOf" => Value::from(
            s.find(str_arg(args, 0, name)?)
                .map_or(-1, |b| char_index(s, b)),
        ),
        "lastIndexOf" => Value::from(
            s.rfind(str_arg(args, 0, name)?)
                .map_or(-1, |b| char_index(s, b)),
        ),
        "slice" => {
            let c = chars();
            let start = rel_index(int_arg(args, 0).unwrap_or(0), c.len());
            let end = int_arg(args, 1).map_or(c.len(), |e| rel_index(e, c.len()));
            Value::from(
                c.get(start..end.max(start))
                    .unwrap_or_default()
                    .iter()
                    .collect::<String>(),
            )
        }
        "substring" => {
            let c = chars();
            let clamp = |i: i64| (i.max(0) as usize).min(c.len());
            let a = clamp(int_arg(args, 0).unwrap_or(0));
            let b = int_arg(args, 1).map_or(c.len(), clamp);
            let (a, b) = if a > b { (b, a) } else { (a, b) };
            Value::from(c[a..b].iter().collect::<String>())
        }
        "charAt" => {
            let i = int_arg(args, 0).unwrap_or(0);
            let c = if i < 0 {
                None
            } else {
                s.chars().nth(i as usize)
            };
            Value::from(c.map(String::from).unwrap_or_default())
        }
        "at" => {
            let c = chars();
            let i = int_arg(args, 0).unwrap_or(0);
            let idx = if i < 0 { c.len() as i64 + i } else { i };
            if idx < 0 {
                Value::UNDEFINED
            } else {
                c.get(idx as usize)
                    .map_or(Value::UNDEFINED, |ch| Value::from(ch.to_string()))
            }
        }
        "concat" => {
            let mut out = s.to_string();
            for a in args {
                out.push_str(&js_display(a)?);
            }
            Value::from(out)
        }
        "padStart" | "padEnd" => {
            let target = int_arg(args, 0).unwrap_or(0).max(0) as usize;
            if target > MAX_OUTPUT_BYTES {
                return Err(invalid(format!("{name}() length is too large")));
            }
            let fill = match args.get(1).filter(|a| !a.is_undefined()) {
                Some(f) => js_display(f)?,
                None => " ".to_string(),
            };
            let len = s.chars().count();
            if target <= len || fill.is_empty() {
                Value::from(s)
            } else {
                let pad: String = fill.chars().cycle().take(target - len).collect();
                Value::from(if name == "padStart" {
                    pad + s
                } else {
                    s.to_string() + &pad
                })
            }
        }
        "repeat" => {
            let n = int_arg(args, 0).unwrap_or(0);
            if n < 0 {
                return Err(invalid("repeat() count must be non-negative"));
            }
            if (s.len() as u128) * (n as u128) > MAX_OUTPUT_BYTES as u128 {
                return Err(invalid("repeat() result is too large"));
            }
            Value::from(s.repeat(n as usize))
        }
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    };
    Ok(v)
}

fn array_method(value: &Value, name: &str, args: &[Value]) -> Result<Value, Error> {
    let items: Vec<Value> = value.try_iter()?.collect();
    let v = match name {
        "join" | "toString" => {
            let sep = match args.first().filter(|a| !a.is_undefined() && name == "join") {
                Some(a) => js_display(a)?,
                None => ",".to_string(),
            };
            let mut parts = Vec::with_capacity(items.len());
            for item in &items {
                parts.push(js_display(item)?);
            }
            Value::from(parts.join(&sep))
        }
        "includes" => Value::from(args.first().is_some_and(|x| items.contains(x))),
        "indexOf" => Value::from(
            args.first()
                .and_then(|x| items.iter().position(|i| i == x))
                .map_or(-1, |i| i as i64),
        ),
        "slice" => {
            let start = rel_index(int_arg(args, 0).unwrap_or(0), items.len());
            let end = int_arg(args, 1).map_or(items.len(), |e| rel_index(e, items.len()));
            Value::from(
                items
                    .get(start..end.max(start))
                    .unwrap_or_default()
                    .to_vec(),
            )
        }
        "at" => {
            let i = int_arg(args, 0).unwrap_or(0);
            let idx = if i < 0 { items.len() as i64 + i } else { i };
            if idx < 0 {
                Value::UNDEFINED
            } else {
                items.get(idx as usize).cloned().unwrap_or(Value::UNDEFINED)
            }
        }
        "concat" => {
            let mut out = items;
            for a in args {
                if matches!(a.kind(), ValueKind::Seq | ValueKind::Iterable) {
                    out.extend(a.try_iter()?);
                } else {
                    out.push(a.clone());
                }
            }
            Value::from(out)
        }
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    };
    Ok(v)
}
