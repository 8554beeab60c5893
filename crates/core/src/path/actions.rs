//! The built-in actions a Template's steps run, and what each would do.
//!
//! Every action is planned before it runs: [`plan`] turns a step's
//! evaluated input into [`StepEffect`]s (files, entities, resources, log lines)
//! against the run's [`Workspace`] as earlier steps left it, and into the
//! step's output. A dry run stops there; a run performs the effects. Each
//! action declares its input as a JSON Schema ([`ActionSpec::input`]),
//! checked when the Template is loaded (what is written literally) and
//! again before the step runs (everything, once evaluated).

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::{Map, Value, json};

use super::StepEffect;
use super::expr::Expressions;
use super::workspace::{self, Workspace};
use crate::diagnostic::Diagnostic;
use crate::ingest::{self, Limits, Reading};
use crate::model::schema::{KindDef, KindRegistry};
use crate::resource::state::KNOWN_AFTER_APPLY;

/// The most files one fetch may copy.
const MAX_SKELETON_FILES: usize = 10_000;
/// The most a debug:wait may wait.
const MAX_WAIT_MS: u64 = 10 * 60 * 1000;

/// An action: its name, what it does, its input schema and what it
/// outputs. Built in ([`builtin`]) or provided by a plugin
/// ([`ActionSpec::provided`]).
#[derive(Debug, Clone)]
pub struct ActionSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the input.
    pub input: Value,
    /// What the step's output holds, for people.
    pub output: String,
    /// The plugin that provides it; `None` when built in.
    pub plugin: Option<String>,
    /// Whether the host added `targetPath` to a plugin's input schema (it is
    /// then the host's, and taken out of the input the plugin sees).
    pub host_target: bool,
    validator: KindDef,
}

fn spec(
    name: &'static str,
    description: &'static str,
    input: Value,
    output: &'static str,
) -> ActionSpec {
    let validator = KindDef::for_document(name, input.clone())
        .unwrap_or_else(|e| panic!("the input schema of {name} is not valid: {e}"));
    ActionSpec {
        name: name.into(),
        description: description.into(),
        input,
        output: output.into(),
        plugin: None,
        host_target: false,
        validator,
    }
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

static BUILTIN: LazyLock<Vec<ActionSpec>> = LazyLock::new(|| {
    let fetch = |render: bool| {
        let mut props = json!({
            "url": {"type": "string", "minLength": 1, "description": "The skeleton directory, relative to the template's file."},
            "targetPath": {"type": "string", "description": "Where in the workspace to put it (default: the workspace itself)."},
        });
        if render {
            let p = props.as_object_mut().expect("an object");
            p.insert(
                "values".into(),
                json!({"type": "object", "description": "Bound as `values` in the skeleton."}),
            );
            p.insert("copyWithoutTemplating".into(), strings());
            p.insert("copyWithoutRender".into(), strings());
            p.insert(
                "templateFileExtension".into(),
                json!({"type": ["boolean", "string"]}),
            );
            p.insert("replace".into(), json!({"type": "boolean"}));
            p.insert(
                "cookiecutterCompat".into(),
                json!({"type": "boolean", "const": false}),
            );
        }
        json!({"type": "object", "required": ["url"], "additionalProperties": false, "properties": props})
    };
    vec![
        spec(
            "fetch:template",
            "Render a skeleton directory (Nunjucks syntax, `${{ values.x }}`) into the workspace.",
            fetch(true),
            "nothing",
        ),
        spec(
            "fetch:plain",
            "Copy a directory into the workspace as it is.",
            fetch(false),
            "nothing",
        ),
        spec(
            "fetch:plain:file",
            "Copy one file into the workspace as it is.",
            json!({"type": "object", "required": ["url", "targetPath"], "additionalProperties": false, "properties": {
                "url": {"type": "string", "minLength": 1},
                "targetPath": {"type": "string", "minLength": 1}}}),
            "nothing",
        ),
        spec(
            "fs:rename",
            "Rename files of the workspace.",
            json!({"type": "object", "required": ["files"], "additionalProperties": false, "properties": {
                "files": {"type": "array", "items": {"type": "object", "required": ["from", "to"], "additionalProperties": false, "properties": {
                    "from": {"type": "string", "minLength": 1}, "to": {"type": "string", "minLength": 1}, "overwrite": {"type": "boolean"}}}}}}),
            "nothing",
        ),
        spec(
            "fs:delete",
            "Delete files of the workspace (paths or globs).",
            json!({"type": "object", "required": ["files"], "additionalProperties": false, "properties": {"files": strings()}}),
            "nothing",
        ),
        spec(
            "catalog:write",
            "Write an entity as a catalogue file in the workspace.",
            json!({"type": "object", "required": ["entity"], "additionalProperties": false, "properties": {
                "filePath": {"type": "string", "minLength": 1},
                "entity": {"type": "object"}}}),
            "nothing",
        ),
        spec(
            "catalog:register",
            "Register the entities of a catalogue file of the workspace in this platform's catalogue.",
            json!({"type": "object", "additionalProperties": false, "properties": {
                "catalogInfoPath": {"type": "string", "minLength": 1},
                "catalogInfoUrl": {"type": "string"},
                "repoContentsUrl": {"type": "string"},
                "optional": {"type": "boolean"}}}),
            "entityRef (the first entity registered), catalogInfoUrl",
        ),
        spec(
            "resource:apply",
            "Declare a Resource and provision it through its provider (the plan reviewed by the policy bindings).",
            json!({"type": "object", "required": ["name", "type", "owner", "params"], "additionalProperties": false, "properties": {
                "name": {"type": "string", "minLength": 1},
                "namespace": {"type": "string", "minLength": 1},
                "type": {"type": "string", "minLength": 1},
                "owner": {"type": "string", "minLength": 1},
                "system": {"type": "string", "minLength": 1},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "environment": {"type": "string", "minLength": 1},
                "provider": {"type": "string", "minLength": 1},
                "deletionPolicy": {"enum": ["delete", "orphan"]},
                "dependsOn": strings(),
                "params": {"type": "object"}}}),
            "entityRef, outputs (the provider's outputs; sensitive ones as `(sensitive)`)",
        ),
        spec(
            "debug:log",
            "Write a message (and optionally the workspace's files) to the run's log.",
            json!({"type": "object", "additionalProperties": false, "properties": {
                "message": {"type": "string"},
                "listWorkspace": {"oneOf": [{"type": "boolean"}, {"enum": ["with-filenames", "with-contents"]}]}}}),
            "nothing",
        ),
        spec(
            "debug:wait",
            "Wait a while (at most 10 minutes).",
            json!({"type": "object", "additionalProperties": false, "properties": {
                "minutes": {"type": "number", "minimum": 0},
                "seconds": {"type": "number", "minimum": 0},
                "milliseconds": {"type": "number", "minimum": 0}}}),
            "nothing",
        ),
    ]
});

/// Every built-in action.
pub fn builtin() -> &'static [ActionSpec] {
    &BUILTIN
}

/// The built-in action called `name`.
pub fn find(name: &str) -> Option<&'static ActionSpec> {
    BUILTIN.iter().find(|a| a.name == name)
}

impl ActionSpec {
    /// An action provided by plugin `plugin`, as its `describe` gave it.
    /// Its input schema must be a valid JSON Schema of an object; unless it
    /// declares `targetPath` itself, the host adds it (a relative directory
    /// of the workspace the generated files go under).
    pub fn provided(
        plugin: &str,
        name: &str,
        description: &str,
        input: &Value,
        output: Option<&Value>,
    ) -> Result<Self, String> {
        if find(name).is_some() {
            return Err(format!(
                "plugin '{plugin}' provides action '{name}', which is built in; give it another name"
            ));
        }
        if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
            return Err(format!(
                "plugin '{plugin}' provides an action named '{name}': a name is one word, e.g. acme:service-files"
            ));
        }
        let mut input = input.clone();
        let Some(root) = input.as_object_mut() else {
            return Err(format!(
                "the input schema of action '{name}' (plugin '{plugin}') is not a JSON object"
            ));
        };
        let mut host_target = false;
        let props = root
            .entry("properties")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| {
                format!("the input schema of action '{name}' (plugin '{plugin}'): properties is not an object")
            })?;
        if !props.contains_key("targetPath") {
            props.insert(
                "targetPath".into(),
                json!({"type": "string", "description": "Where in the workspace the generated files go (default: the workspace itself)."}),
            );
            host_target = true;
        }
        let validator = KindDef::for_document(name, input.clone()).map_err(|e| {
            format!("the input schema of action '{name}' (plugin '{plugin}') is not valid: {e}")
        })?;
        Ok(Self {
            name: name.to_string(),
            description: description.to_string(),
            input,
            output: match output {
                Some(schema) => format!("as the plugin's output schema says: {schema}"),
                None => "what the plugin returns".into(),
            },
            plugin: Some(plugin.to_string()),
            host_target,
            validator,
        })
    }
}

/// Whether a value holds a `${{ … }}` expression anywhere.
pub fn templated(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("${{"),
        Value::Array(a) => a.iter().any(templated),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains("${{") || templated(v)),
        _ => false,
    }
}

impl ActionSpec {
    /// Problems of an input as written in a Template (`path`: where it is,
    /// e.g. `spec.steps[0].input`): a required field missing, a field the
    /// action does not take, a literal value of the wrong shape. Values
    /// with expressions are checked once evaluated.
    pub fn check_written(&self, input: Option<&Map<String, Value>>, path: &str) -> Vec<Diagnostic> {
        let empty = Map::new();
        let input = input.unwrap_or(&empty);
        let mut problems = Vec::new();
        let props = self.input.get("properties").and_then(Value::as_object);
        for name in self
            .input
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !input.contains_key(name) {
                problems.push(Diagnostic::error(
                    format!("{path}.{name}"),
                    format!("missing input '{name}' of action {}", self.name),
                ));
            }
        }
        for (key, value) in input {
            let at = format!("{path}.{key}");
            let Some(schema) = props.and_then(|p| p.get(key)) else {
                let closed = self.input.get("additionalProperties") == Some(&Value::Bool(false));
                if closed && !key.contains("${{") {
                    let known: Vec<&str> = props
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    problems.push(Diagnostic::error(
                        at,
                        format!(
                            "action {} takes no input '{key}'; it takes {}",
                            self.name,
                            if known.is_empty() {
                                "none".into()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                }
                continue;
            };
            if templated(value) {
                continue;
            }
            if let Ok(def) = KindDef::for_document(&self.name, schema.clone()) {
                def.check_document(value, &at, &mut problems);
            }
        }
        problems
    }

    /// Problems of an evaluated input, under `path`.
    pub fn check_evaluated(&self, input: &Value, path: &str) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        self.validator.check_document(input, path, &mut problems);
        problems
    }
}

/// The annotations a run puts on what it creates.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub annotations: Vec<(String, String)>,
}

impl Provenance {
    /// Put the annotations on an entity given as JSON (kept if the entity sets them).
    pub fn annotate(&self, entity: &mut Value) {
        let Some(root) = entity.as_object_mut() else {
            return;
        };
        let metadata = root.entry("metadata").or_insert_with(|| json!({}));
        let Some(metadata) = metadata.as_object_mut() else {
            return;
        };
        let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
        if let Some(a) = annotations.as_object_mut() {
            for (k, v) in &self.annotations {
                a.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
}

/// What a step's planning needs besides its input.
pub struct StepContext<'a> {
    /// The directory of the Template's file (skeletons are relative to it).
    pub template_dir: Option<&'a Path>,
    pub expressions: &'a Expressions,
    pub provenance: &'a Provenance,
    pub kinds: &'a KindRegistry,
    pub limits: &'a Limits,
    /// Which URLs a catalogue file of the workspace may name.
    pub reading: &'a Reading,
}

/// What a step would do: its effects and its output.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub effects: Vec<StepEffect>,
    pub output: Value,
}

fn nothing(effects: Vec<StepEffect>) -> Planned {
    Planned {
        effects,
        output: json!({}),
    }
}

fn str_of<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

fn bool_of(input: &Value, key: &str) -> bool {
    input.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Plan `action` with its evaluated `input` against `ws`; the workspace
/// is updated with what the step writes. Errors are messages for people.
pub fn plan(
    action: &str,
    input: &Value,
    cx: &StepContext<'_>,
    ws: &mut Workspace,
) -> Result<Planned, String> {
    match action {
        "fetch:template" => fetch(input, cx, ws, true),
        "fetch:plain" => fetch(input, cx, ws, false),
        "fetch:plain:file" => fetch_file(input, cx, ws),
        "fs:rename" => rename(input, ws),
        "fs:delete" => delete(input, ws),
        "catalog:write" => catalog_write(input, cx, ws),
        "catalog:register" => catalog_register(input, cx, ws),
        "resource:apply" => resource_apply(input, cx),
        "debug:log" => debug_log(input, ws),
        "debug:wait" => {
            let n = |k: &str| input.get(k).and_then(Value::as_f64).unwrap_or(0.0);
            let ms = (n("minutes") * 60_000.0 + n("seconds") * 1000.0 + n("milliseconds")) as u64;
            if ms > MAX_WAIT_MS {
                return Err(format!(
                    "debug:wait waits at most 10 minutes, asked for {ms} ms"
                ));
            }
            Ok(nothing(vec![StepEffect::Wait { milliseconds: ms }]))
        }
        other => Err(format!("unknown action '{other}'")),
    }
}

/// A skeleton path relative to the Template's directory, which it must not leave.
fn source(cx: &StepContext<'_>, url: &str) -> Result<PathBuf, String> {
    if url.contains("://") {
        return Err(format!(
            "'{url}' is a URL: skeletons are read from paths relative to the template's file"
        ));
    }
    let rel = workspace::clean(url, "the skeleton url")?;
    let base = cx.template_dir.ok_or_else(|| {
        "this template was not read from a file, so it has no directory to fetch a skeleton from"
            .to_string()
    })?;
    workspace::resolve(base, &rel)
}

fn globs(input: &Value) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for key in ["copyWithoutTemplating", "copyWithoutRender"] {
        for pattern in input
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let p = pattern.as_str().unwrap_or_default();
            let p = p.strip_prefix("./").unwrap_or(p);
            builder.add(Glob::new(p).map_err(|e| format!("{key}: bad glob '{p}': {e}"))?);
        }
    }
    builder.build().map_err(|e| e.to_string())
}

fn read_source(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.file_type().is_symlink() {
        return Err(format!("{} is a symlink: refused", path.display()));
    }
    if meta.len() as usize > workspace::MAX_FILE_BYTES {
        return Err(format!(
            "{} is larger than {} bytes",
            path.display(),
            workspace::MAX_FILE_BYTES
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn join(target: &str, rel: &str) -> String {
    if target.is_empty() {
        rel.to_string()
    } else {
        format!("{target}/{rel}")
    }
}

fn fetch(
    input: &Value,
    cx: &StepContext<'_>,
    ws: &mut Workspace,
    render: bool,
) -> Result<Planned, String> {
    let url = str_of(input, "url").unwrap_or_default();
    let dir = source(cx, url)?;
    if !dir.is_dir() {
        return Err(format!(
            "the skeleton '{url}' is not a directory ({})",
            dir.display()
        ));
    }
    let target = workspace::clean(str_of(input, "targetPath").unwrap_or("./"), "targetPath")?;
    let values = input.get("values").cloned().unwrap_or_else(|| json!({}));
    let verbatim = globs(input)?;
    let extension = match input.get("templateFileExtension") {
        Some(Value::Bool(true)) => Some(".njk".to_string()),
        Some(Value::String(s)) if !s.is_empty() => Some(if s.starts_with('.') {
            s.clone()
        } else {
            format!(".{s}")
        }),
        _ => None,
    };
    let replace = bool_of(input, "replace");
    let files = workspace::files_under(&dir, "the skeleton")?;
    if files.len() > MAX_SKELETON_FILES {
        return Err(format!(
            "the skeleton '{url}' holds more than {MAX_SKELETON_FILES} files"
        ));
    }
    let mut effects = Vec::new();
    for rel in files {
        let bytes = read_source(&dir.join(&rel))?;
        let mut out_rel = rel.clone();
        let mut render_content = render && !verbatim.is_match(&rel);
        if let Some(ext) = &extension {
            match rel.strip_suffix(ext.as_str()) {
                Some(stripped) => out_rel = stripped.to_string(),
                None => render_content = false,
            }
        }
        if render {
            out_rel = cx
                .expressions
                .render_skeleton(&out_rel, &values, &rel)
                .map_err(|e| format!("the file name {rel}: {}", e.message))?;
        }
        // A name rendered empty leaves the file out, as in Backstage.
        if out_rel.split('/').any(str::is_empty) {
            continue;
        }
        let out_rel = workspace::clean(&out_rel, "the rendered file name")?;
        let dest = join(&target, &out_rel);
        if !replace && ws.exists(&dest)? {
            continue;
        }
        let bytes = match (render_content, String::from_utf8(bytes)) {
            (true, Ok(text)) => cx
                .expressions
                .render_skeleton(&text, &values, &rel)
                .map_err(|e| format!("{rel}: {}", e.message))?
                .into_bytes(),
            (_, Ok(text)) => text.into_bytes(),
            (_, Err(e)) => e.into_bytes(),
        };
        ws.put(&dest, bytes.clone())?;
        effects.push(StepEffect::write(&dest, bytes));
    }
    Ok(nothing(effects))
}

fn fetch_file(input: &Value, cx: &StepContext<'_>, ws: &mut Workspace) -> Result<Planned, String> {
    let url = str_of(input, "url").unwrap_or_default();
    let file = source(cx, url)?;
    let dest = workspace::clean(
        str_of(input, "targetPath").unwrap_or_default(),
        "targetPath",
    )?;
    let bytes = read_source(&file)?;
    ws.put(&dest, bytes.clone())?;
    Ok(nothing(vec![StepEffect::write(&dest, bytes)]))
}

fn rename(input: &Value, ws: &mut Workspace) -> Result<Planned, String> {
    let mut effects = Vec::new();
    for f in input
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let from = workspace::clean(str_of(f, "from").unwrap_or_default(), "from")?;
        let to = workspace::clean(str_of(f, "to").unwrap_or_default(), "to")?;
        let content = ws.get(&from)?.ok_or_else(|| {
            format!("cannot rename {from}: there is no such file in the workspace")
        })?;
        if ws.exists(&to)? && !bool_of(f, "overwrite") {
            return Err(format!(
                "cannot rename {from} to {to}: {to} exists (set overwrite: true)"
            ));
        }
        ws.delete(&from)?;
        ws.put(&to, content)?;
        effects.push(StepEffect::RenameFile { from, to });
    }
    Ok(nothing(effects))
}

fn delete(input: &Value, ws: &mut Workspace) -> Result<Planned, String> {
    let mut effects = Vec::new();
    for f in input
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let pattern = workspace::clean(f.as_str().unwrap_or_default(), "a file to delete")?;
        let glob = Glob::new(&pattern)
            .map_err(|e| format!("bad glob '{pattern}': {e}"))?
            .compile_matcher();
        for file in ws.files()? {
            if file == pattern || file.starts_with(&format!("{pattern}/")) || glob.is_match(&file) {
                ws.delete(&file)?;
                effects.push(StepEffect::DeleteFile { path: file });
            }
        }
    }
    Ok(nothing(effects))
}

fn catalog_write(
    input: &Value,
    cx: &StepContext<'_>,
    ws: &mut Workspace,
) -> Result<Planned, String> {
    let path = workspace::clean(
        str_of(input, "filePath").unwrap_or("catalog-info.yaml"),
        "filePath",
    )?;
    let mut entity = input.get("entity").cloned().unwrap_or_default();
    cx.provenance.annotate(&mut entity);
    let text = yaml(&entity);
    ws.put(&path, text.clone().into_bytes())?;
    Ok(nothing(vec![StepEffect::write(&path, text.into_bytes())]))
}

fn catalog_register(
    input: &Value,
    cx: &StepContext<'_>,
    ws: &mut Workspace,
) -> Result<Planned, String> {
    for key in ["catalogInfoUrl", "repoContentsUrl"] {
        if input.get(key).is_some() {
            return Err(format!(
                "catalog:register registers a file of the run's workspace: give catalogInfoPath, not {key}"
            ));
        }
    }
    let written = str_of(input, "catalogInfoPath").unwrap_or("catalog-info.yaml");
    let path = workspace::clean(written.trim_start_matches('/'), "catalogInfoPath")?;
    let Some(bytes) = ws.get(&path)? else {
        if bool_of(input, "optional") {
            return Ok(nothing(Vec::new()));
        }
        return Err(format!(
            "{path} is not in the workspace: write it first (fetch:template, catalog:write)"
        ));
    };
    let text = String::from_utf8(bytes).map_err(|_| format!("{path} is not UTF-8 text"))?;
    let loaded = ingest::load_text(&path, &text, cx.kinds, cx.limits, cx.reading);
    let errors: Vec<String> = loaded
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "{path} does not hold valid entities: {}",
            errors.join("; ")
        ));
    }
    let location = format!("file:{}", ws.root().join(&path).display());
    let mut effects = Vec::new();
    let mut first = None;
    for sourced in loaded.entities() {
        let mut entity = sourced.entity.to_value();
        cx.provenance.annotate(&mut entity);
        Provenance {
            annotations: vec![
                (ingest::ANNOTATION_LOCATION.into(), location.clone()),
                (ingest::ANNOTATION_ORIGIN_LOCATION.into(), location.clone()),
            ],
        }
        .annotate(&mut entity);
        first.get_or_insert_with(|| sourced.entity.entity_ref().to_string());
        effects.push(StepEffect::Register { entity });
    }
    if effects.is_empty() {
        return Err(format!("{path} holds no entity"));
    }
    Ok(Planned {
        effects,
        output: json!({"entityRef": first, "catalogInfoUrl": location}),
    })
}

fn resource_apply(input: &Value, cx: &StepContext<'_>) -> Result<Planned, String> {
    let mut metadata = Map::new();
    for key in ["name", "namespace", "title", "description"] {
        if let Some(v) = input.get(key) {
            metadata.insert(key.into(), v.clone());
        }
    }
    let mut spec = Map::new();
    for key in [
        "type",
        "owner",
        "system",
        "environment",
        "provider",
        "deletionPolicy",
        "dependsOn",
        "params",
    ] {
        if let Some(v) = input.get(key) {
            spec.insert(key.into(), v.clone());
        }
    }
    let mut entity = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Resource",
        "metadata": metadata,
        "spec": spec,
    });
    cx.provenance.annotate(&mut entity);
    let (checked, _) = ingest::load_one(entity.clone(), cx.kinds).map_err(|e| e.to_string())?;
    Ok(Planned {
        effects: vec![StepEffect::ApplyResource { entity }],
        output: json!({
            "entityRef": checked.entity_ref().to_string(),
            "outputs": KNOWN_AFTER_APPLY,
        }),
    })
}

fn debug_log(input: &Value, ws: &Workspace) -> Result<Planned, String> {
    let mut effects = Vec::new();
    if let Some(m) = str_of(input, "message") {
        effects.push(StepEffect::Log {
            message: m.to_string(),
        });
    }
    let list = match input.get("listWorkspace") {
        Some(Value::Bool(true)) => Some(false),
        Some(Value::String(s)) => Some(s == "with-contents"),
        _ => None,
    };
    if let Some(contents) = list {
        for f in ws.files()? {
            let message = match (contents, ws.get(&f)?) {
                (true, Some(bytes)) => format!("{f}:\n{}", String::from_utf8_lossy(&bytes)),
                _ => f,
            };
            effects.push(StepEffect::Log { message });
        }
    }
    Ok(nothing(effects))
}

/// An entity (or any JSON) as block YAML. Strings are written as JSON
/// strings where plain YAML could misread them.
pub fn yaml(value: &Value) -> String {
    fn scalar(v: &Value) -> String {
        match v {
            Value::String(s) => {
                let plain = !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_./@ ".contains(c))
                    && !s.starts_with([' ', '-', '.', '@'])
                    && !s.ends_with(' ')
                    && s.parse::<f64>().is_err()
                    && !matches!(
                        s.to_ascii_lowercase().as_str(),
                        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
                    );
                if plain {
                    s.clone()
                } else {
                    Value::String(s.clone()).to_string()
                }
            }
            other => other.to_string(),
        }
    }
    fn key(k: &str) -> String {
        scalar(&Value::String(k.to_string()))
    }
    fn block(v: &Value, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match v {
                        Value::Object(inner) if !inner.is_empty() => {
                            out.push_str(&format!("{pad}{}:\n", key(k)));
                            block(v, indent + 2, out);
                        }
                        Value::Array(inner) if !inner.is_empty() => {
                            out.push_str(&format!("{pad}{}:\n", key(k)));
                            block(v, indent, out);
                        }
                        Value::Object(_) => out.push_str(&format!("{pad}{}: {{}}\n", key(k))),
                        Value::Array(_) => out.push_str(&format!("{pad}{}: []\n", key(k))),
                        _ => out.push_str(&format!("{pad}{}: {}\n", key(k), scalar(v))),
                    }
                }
            }
            Value::Array(a) => {
                for item in a {
                    match item {
                        Value::Object(m) if !m.is_empty() => {
                            let mut inner = String::new();
                            block(item, indent + 2, &mut inner);
                            out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
                        }
                        Value::Array(a) if !a.is_empty() => {
                            out.push_str(&format!("{pad}-\n"));
                            block(item, indent + 2, out);
                        }
                        _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                    }
                }
            }
            other => out.push_str(&format!("{pad}{}\n", scalar(other))),
        }
    }
    let mut out = String::new();
    block(value, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_reads_back_as_the_same_json() {
        let v = json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "shop", "annotations": {"a/b": "true", "c": "1.0", "d": "x: y"}, "tags": ["web", "no"]},
            "spec": {"type": "service", "owner": "group:default/team-a", "list": [{"a": 1, "b": [1, 2]}, [3]], "empty": {}}
        });
        let text = yaml(&v);
        let back = paved_yaml::parse_documents(&text, &Limits::default()).unwrap();
        assert_eq!(back[0].value, v, "{text}");
    }

    #[test]
    fn every_action_has_a_valid_schema() {
        for a in builtin() {
            assert!(a.input.get("properties").is_some(), "{}", a.name);
        }
        assert!(find("fetch:template").is_some());
        assert!(find("publish:github").is_none());
    }

    #[test]
    fn a_plugin_action_gets_target_path_and_keeps_its_own_rules() {
        let closed = json!({"type": "object", "required": ["name"], "additionalProperties": false,
            "properties": {"name": {"type": "string"}}});
        let a = ActionSpec::provided("p", "acme:x", "x", &closed, None).unwrap();
        assert!(a.host_target);
        let ok: Map<String, Value> =
            serde_json::from_value(json!({"name": "n", "targetPath": "svc"})).unwrap();
        assert!(a.check_written(Some(&ok), "in").is_empty());
        let bad: Map<String, Value> = serde_json::from_value(json!({"nam": "n"})).unwrap();
        let paths: Vec<String> = a
            .check_written(Some(&bad), "in")
            .into_iter()
            .map(|d| d.path)
            .collect();
        assert_eq!(paths, ["in.name", "in.nam"]);
        // An open schema takes fields it does not name.
        let open = json!({"type": "object", "properties": {"name": {"type": "string"}}});
        let b = ActionSpec::provided("p", "acme:y", "y", &open, None).unwrap();
        assert!(b.check_written(Some(&bad), "in").is_empty());
        // Built-in names and non-object schemas are refused.
        assert!(
            ActionSpec::provided("p", "debug:log", "", &open, None)
                .unwrap_err()
                .contains("built in")
        );
        assert!(ActionSpec::provided("p", "acme:z", "", &json!(true), None).is_err());
    }

    #[test]
    fn written_input_is_checked_before_running() {
        let a = find("fs:rename").unwrap();
        let input: Map<String, Value> = serde_json::from_value(json!({"file": []})).unwrap();
        let problems = a.check_written(Some(&input), "spec.steps[1].input");
        let paths: Vec<&str> = problems.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            ["spec.steps[1].input.files", "spec.steps[1].input.file"]
        );
        let ok: Map<String, Value> =
            serde_json::from_value(json!({"files": "${{ parameters.files }}"})).unwrap();
        assert!(a.check_written(Some(&ok), "x").is_empty());
    }
}
