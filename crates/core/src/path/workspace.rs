//! The workspace a run writes into, and the rules that keep every file of
//! it inside: a path is relative, `/`-separated, with no `..`, no absolute
//! root and no symlink on the way (an existing symlink in the workspace or
//! in a skeleton is refused, never followed).
//!
//! While a run is planned, the workspace is virtual: files written by
//! earlier steps live in an overlay over the real directory, so a later
//! step (`fs:rename`, `catalog:register`) sees them and nothing touches the
//! disk. Executing a plan writes the same files for real with [`write`],
//! [`remove`] and [`rename`].

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

/// The largest file a skeleton may hold or a step may write.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// A workspace path checked against the rules: relative, normalised
/// (`./a//b` → `a/b`), with no `..`. `what` names it in the error.
pub fn clean(path: &str, what: &str) -> Result<String, String> {
    if path.contains('\0') {
        return Err(format!("{what} '{path}' contains a NUL byte"));
    }
    let p = Path::new(path);
    if p.is_absolute() || path.starts_with('\\') {
        return Err(format!(
            "{what} '{path}' is absolute: every file a run writes stays inside its workspace, give a relative path"
        ));
    }
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!(
                    "{what} '{path}' goes up with '..': every file a run writes stays inside its workspace"
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("{what} '{path}' is absolute"));
            }
        }
    }
    Ok(parts.join("/"))
}

/// `rel` joined under `root`, after checking that no existing part of the
/// way is a symlink (the root itself may be one: it is the user's choice).
pub fn resolve(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let mut at = root.to_path_buf();
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "'{rel}' passes through a symlink ({}): refused, a run never follows links",
                    at.display()
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot inspect {}: {e}", at.display())),
        }
    }
    Ok(at)
}

/// Write `bytes` to `rel` under `root` (directories created as needed).
pub fn write(root: &Path, rel: &str, bytes: &[u8]) -> Result<(), String> {
    let path = resolve(root, rel)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    // Checked again now the directories exist: nothing swapped in a link.
    let path = resolve(root, rel)?;
    std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Remove the file or directory `rel` under `root` (missing: nothing to do).
pub fn remove(root: &Path, rel: &str) -> Result<(), String> {
    let path = resolve(root, rel)?;
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
        Ok(_) => std::fs::remove_file(&path),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
    .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    prune_empty_parents(root, &path);
    Ok(())
}

/// Move `from` to `to` under `root`.
pub fn rename(root: &Path, from: &str, to: &str) -> Result<(), String> {
    let (src, dst) = (resolve(root, from)?, resolve(root, to)?);
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::rename(&src, &dst)
        .map_err(|e| format!("cannot rename {} to {}: {e}", src.display(), dst.display()))?;
    prune_empty_parents(root, &src);
    Ok(())
}

/// Remove the directories a removed file leaves empty, up to `root`.
fn prune_empty_parents(root: &Path, removed: &Path) {
    let mut dir = removed.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// The content of a real file under `root`, or none if missing. Anything
/// else there (a directory) is an error: a run only writes files, and
/// never takes what it cannot put back.
pub fn read(root: &Path, rel: &str) -> Result<Option<Vec<u8>>, String> {
    let path = resolve(root, rel)?;
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => Err(format!(
            "'{rel}' is a directory in the workspace ({}): a run writes files only",
            path.display()
        )),
        Ok(m) if m.is_file() => {
            if m.len() as usize > MAX_FILE_BYTES {
                return Err(format!(
                    "{} is larger than {MAX_FILE_BYTES} bytes",
                    path.display()
                ));
            }
            std::fs::read(&path)
                .map(Some)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        }
        Ok(_) => Ok(None),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Every regular file under `dir`, as sorted `/`-separated paths relative
/// to it; a symlink anywhere is refused (`what` names the tree in errors).
pub fn files_under(dir: &Path, what: &str) -> Result<Vec<String>, String> {
    fn walk(base: &Path, dir: &Path, what: &str, out: &mut Vec<String>) -> Result<(), String> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {what} {}: {e}", dir.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("cannot read {what} {}: {e}", dir.display()))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| format!("cannot inspect {}: {e}", path.display()))?;
            let rel = path
                .strip_prefix(base)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if kind.is_symlink() {
                return Err(format!(
                    "{what} holds a symlink, {rel}: refused, a run never follows links"
                ));
            } else if kind.is_dir() {
                walk(base, &path, what, out)?;
            } else if kind.is_file() {
                out.push(rel);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, what, &mut out)?;
    Ok(out)
}

/// A path a plan changes: its new content (none: removed) and whether it exists now.
pub type Change = (String, Option<Vec<u8>>, bool);

/// The workspace as a run's plan sees it: the real directory (which may
/// not exist yet) under an overlay of what earlier steps wrote or removed.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    /// Written (`Some`) or removed (`None`) by the plan so far.
    overlay: BTreeMap<String, Option<Vec<u8>>>,
}

impl Workspace {
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            overlay: BTreeMap::new(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The content of `rel` as the plan stands.
    pub fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        match self.overlay.get(rel) {
            Some(v) => Ok(v.clone()),
            None => read(&self.root, rel),
        }
    }

    /// Whether `rel` is a file as the plan stands.
    pub fn exists(&self, rel: &str) -> Result<bool, String> {
        Ok(self.get(rel)?.is_some())
    }

    pub fn put(&mut self, rel: &str, bytes: Vec<u8>) -> Result<(), String> {
        resolve(&self.root, rel)?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(format!(
                "'{rel}' would be larger than {MAX_FILE_BYTES} bytes"
            ));
        }
        self.overlay.insert(rel.to_string(), Some(bytes));
        Ok(())
    }

    /// Remove `rel`: a file, or every file under it as a directory.
    /// Returns the files removed.
    pub fn delete(&mut self, rel: &str) -> Result<Vec<String>, String> {
        let gone: Vec<String> = self
            .files()?
            .into_iter()
            .filter(|f| f == rel || f.starts_with(&format!("{rel}/")) || rel.is_empty())
            .collect();
        for f in &gone {
            self.overlay.insert(f.clone(), None);
        }
        Ok(gone)
    }

    /// Take `rel` to be as given, whatever the disk holds now (a resumed
    /// step is planned against the workspace as it was before it began).
    pub fn assume(&mut self, rel: &str, content: Option<Vec<u8>>) {
        self.overlay.insert(rel.to_string(), content);
    }

    /// What the plan changes: each path with its new content (none:
    /// removed) and whether it exists now. Paths it leaves as they are
    /// are left out.
    pub fn changes(&self) -> Result<Vec<Change>, String> {
        let mut out = Vec::new();
        for (path, content) in &self.overlay {
            let now = read(&self.root, path)?;
            if now == *content {
                continue;
            }
            out.push((path.clone(), content.clone(), now.is_some()));
        }
        Ok(out)
    }

    /// Every file as the plan stands, sorted.
    pub fn files(&self) -> Result<Vec<String>, String> {
        let mut all: std::collections::BTreeSet<String> = if self.root.is_dir() {
            files_under(&self.root, "the workspace")?
                .into_iter()
                .collect()
        } else {
            Default::default()
        };
        for (path, content) in &self.overlay {
            if content.is_some() {
                all.insert(path.clone());
            } else {
                all.remove(path);
            }
        }
        Ok(all.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        assert_eq!(clean("./a//b/c.txt", "path").unwrap(), "a/b/c.txt");
        assert!(clean("../x", "path").unwrap_err().contains("'..'"));
        assert!(clean("a/../../x", "path").unwrap_err().contains("'..'"));
        assert!(
            clean("/etc/passwd", "path")
                .unwrap_err()
                .contains("absolute")
        );
        assert!(clean("a\0b", "path").unwrap_err().contains("NUL"));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let err = write(dir.path(), "link/x.txt", b"hi").unwrap_err();
        assert!(err.contains("symlink"), "{err}");
        assert!(!outside.path().join("x.txt").exists());
        let err = files_under(dir.path(), "the skeleton").unwrap_err();
        assert!(err.contains("symlink, link"), "{err}");
    }

    #[test]
    fn the_overlay_sees_planned_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("real.txt"), "real").unwrap();
        let mut ws = Workspace::new(dir.path().to_path_buf());
        ws.put("src/a.rs", b"a".to_vec()).unwrap();
        assert_eq!(ws.files().unwrap(), ["real.txt", "src/a.rs"]);
        assert_eq!(ws.delete("src").unwrap(), ["src/a.rs"]);
        assert_eq!(ws.files().unwrap(), ["real.txt"]);
        assert_eq!(ws.get("real.txt").unwrap().unwrap(), b"real");
        // Nothing touched the disk.
        assert!(!dir.path().join("src").exists());
    }
}
