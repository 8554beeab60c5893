//! Provider `local-directory`: manages resources of type `local.directory`, a
//! directory tree of text files under a preopened directory the operator
//! granted (read-write), by default at guest path `/data`.
//!
//! Params: `{"files": {"README.md": "hello", "conf/app.toml": "x = 1"}}`.
//! State: the directory's guest path and a digest of each managed file, so
//! `read` reports drift when a file changes behind paved's back.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use paved_plugin_sdk::prelude::*;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Guest path of the granted directory resources are created in.
    #[serde(default = "default_root")]
    root: String,
}

fn default_root() -> String {
    "/data".into()
}

/// What a user asks for.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Relative file path -> text content.
    #[serde(default)]
    files: BTreeMap<String, String>,
}

/// What paved records.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct State {
    /// Guest path of the directory.
    path: String,
    /// Relative file path -> FNV-1a digest of its content.
    files: BTreeMap<String, String>,
}

fn digest(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty()
        || name.len() > 200
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || name.starts_with('.')
    {
        return Err(Error::invalid(
            "name",
            format!("'{name}' must be 1-200 characters of [A-Za-z0-9._-], not starting with '.'"),
        ));
    }
    Ok(())
}

fn check_files(params: &Params) -> Result<(), Error> {
    let bad: Vec<Violation> = params
        .files
        .keys()
        .filter(|f| {
            let p = Path::new(f.as_str());
            f.is_empty() || p.components().any(|c| !matches!(c, Component::Normal(_)))
        })
        .map(|f| {
            Violation::new(
                format!("params.files.{f}"),
                "must be a relative path without '..'",
            )
        })
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(bad))
    }
}

fn dir_of(settings: &Settings, address: &ResourceAddress) -> Result<PathBuf, Error> {
    check_name(&address.name)?;
    Ok(Path::new(&settings.root).join(&address.name))
}

/// Files under `dir` (relative path -> digest); `None` when `dir` is missing.
fn scan(dir: &Path) -> Result<Option<BTreeMap<String, String>>, Error> {
    if !dir.exists() {
        return Ok(None);
    }
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .map_err(Error::failed)?
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, digest(&std::fs::read(&path)?));
            }
        }
    }
    Ok(Some(out))
}

fn wanted(params: &Params) -> BTreeMap<String, String> {
    params
        .files
        .iter()
        .map(|(k, v)| (k.clone(), digest(v.as_bytes())))
        .collect()
}

struct LocalDirectory;

impl Provider for LocalDirectory {
    type Settings = Settings;
    type Params = Params;
    type State = State;
    const DESCRIPTION: &'static str = "Directory trees of text files under a granted directory";

    fn resource_types() -> Vec<ResourceType> {
        vec![ResourceType::new(
            "local.directory",
            "A directory of text files",
        )]
    }

    fn capabilities() -> Vec<Capability> {
        vec![Capability::Directory("/data".into())]
    }

    fn check_settings(settings: &Settings) -> Result<(), Error> {
        if !settings.root.starts_with('/') {
            return Err(Error::invalid(
                "root",
                "must be an absolute guest path like /data",
            ));
        }
        Ok(())
    }

    fn plan(settings: &Settings, request: PlanRequest<Params, State>) -> Result<Plan, Error> {
        check_files(&request.params)?;
        let dir = dir_of(settings, &request.address)?;
        let want = wanted(&request.params);
        let Some(have) = scan(&dir)? else {
            let mut plan = Plan::new(Operation::Create);
            plan.diff = want
                .keys()
                .map(|f| {
                    FieldDiff::new(
                        format!("files.{f}"),
                        None,
                        Some(json!(request.params.files[f])),
                    )
                })
                .collect();
            plan.notes.push(format!("creates {}", dir.display()));
            return Ok(plan);
        };
        let managed: Vec<String> = request
            .prior_state
            .map(|s| s.files.into_keys().collect())
            .unwrap_or_default();
        let mut diff = Vec::new();
        for (f, d) in &want {
            if have.get(f) != Some(d) {
                diff.push(FieldDiff::new(
                    format!("files.{f}"),
                    have.get(f).map(|_| json!("<changed on disk or in params>")),
                    Some(json!(request.params.files[f])),
                ));
            }
        }
        for f in managed
            .iter()
            .filter(|f| !want.contains_key(*f) && have.contains_key(*f))
        {
            diff.push(FieldDiff::new(
                format!("files.{f}"),
                Some(json!("<managed file>")),
                None,
            ));
        }
        let mut plan = Plan::new(if diff.is_empty() {
            Operation::NoOp
        } else {
            Operation::Update
        });
        plan.diff = diff;
        Ok(plan)
    }

    fn apply(
        settings: &Settings,
        request: ApplyRequest<Params, State>,
    ) -> Result<Applied<State>, Error> {
        check_files(&request.params)?;
        let dir = dir_of(settings, &request.address)?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::failed(format!("{}: {e}", dir.display())))?;
        for (f, content) in &request.params.files {
            let path = dir.join(f);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, content)
                .map_err(|e| Error::failed(format!("{}: {e}", path.display())))?;
        }
        if let Some(prior) = &request.prior_state {
            for f in prior
                .files
                .keys()
                .filter(|f| !request.params.files.contains_key(*f))
            {
                let _ = std::fs::remove_file(dir.join(f));
            }
        }
        host::info(&format!(
            "applied {} ({} files)",
            dir.display(),
            request.params.files.len()
        ));
        let path = dir.to_string_lossy().into_owned();
        Ok(Applied {
            outputs: json!({"path": path}),
            state: State {
                path,
                files: wanted(&request.params),
            },
            sensitive: Vec::new(),
        })
    }

    fn read(settings: &Settings, request: ResourceRequest<State>) -> Result<Option<State>, Error> {
        let dir = dir_of(settings, &request.address)?;
        Ok(scan(&dir)?.map(|files| State {
            path: dir.to_string_lossy().into_owned(),
            files,
        }))
    }

    fn delete(settings: &Settings, request: ResourceRequest<State>) -> Result<(), Error> {
        let dir = dir_of(settings, &request.address)?;
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::failed(format!("{}: {e}", dir.display()))),
        }
    }

    fn import(
        settings: &Settings,
        request: ImportRequest,
    ) -> Result<Imported<Params, State>, Error> {
        let mut address = request.address.clone();
        address.name = request.external_id.clone();
        let dir = dir_of(settings, &address)?;
        let files = scan(&dir)?
            .ok_or_else(|| Error::NotFound(format!("{} does not exist", dir.display())))?;
        let mut contents = BTreeMap::new();
        for f in files.keys() {
            contents.insert(f.clone(), std::fs::read_to_string(dir.join(f))?);
        }
        let path = dir.to_string_lossy().into_owned();
        Ok(Imported {
            params: Params { files: contents },
            applied: Applied {
                outputs: json!({"path": path}),
                state: State { path, files },
                sensitive: Vec::new(),
            },
        })
    }
}

paved_plugin_sdk::export_provider!(LocalDirectory);
