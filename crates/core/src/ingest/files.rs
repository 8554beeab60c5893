//! Finding files: directory walks, Location targets (plain and glob), path tidying.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

/// Whether a directory walk picks this file up (`*.yaml` / `*.yml`).
fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// Every `*.yaml`/`*.yml` file under `dir`, depth first, sorted by name at each
/// level. Hidden entries (`.git`, `.github`, …) are skipped; symlinked
/// directories are followed once. Directories that cannot be read are returned
/// as `(path, error)` instead of stopping the walk.
pub(crate) fn yaml_files(dir: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, std::io::Error)>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    let mut seen_dirs = HashSet::new();
    walk(dir, &mut files, &mut failures, &mut seen_dirs);
    (files, failures)
}

fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    failures: &mut Vec<(PathBuf, std::io::Error)>,
    seen_dirs: &mut HashSet<PathBuf>,
) {
    if let Ok(canonical) = dir.canonicalize()
        && !seen_dirs.insert(canonical)
    {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            failures.push((dir.to_path_buf(), e));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| !is_hidden(p))
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, files, failures, seen_dirs);
        } else if is_yaml(&path) {
            files.push(path);
        }
    }
}

/// `path` with `.` removed and `..` folded into the component before it,
/// without touching the file system (so it reads like what the user wrote).
pub(crate) fn tidy(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// Whether a Location target is a glob pattern.
pub(crate) fn is_glob(target: &str) -> bool {
    target.contains(['*', '?'])
}

/// Files matching a glob pattern, sorted. `*` and `?` match within one path
/// component; a whole component `**` matches any number of directories.
/// Hidden entries only match a pattern component that starts with `.`.
pub(crate) fn glob(pattern: &Path) -> Vec<PathBuf> {
    let components: Vec<String> = pattern
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let split = components
        .iter()
        .position(|c| is_glob(c))
        .unwrap_or(components.len());
    let base: PathBuf = pattern.components().take(split).collect();
    let mut out = Vec::new();
    expand(&base, &components[split..], &mut out);
    out.sort();
    out.dedup();
    out
}

fn expand(base: &Path, rest: &[String], out: &mut Vec<PathBuf>) {
    let Some((first, tail)) = rest.split_first() else {
        if base.is_file() {
            out.push(base.to_path_buf());
        }
        return;
    };
    let dir = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    if first == "**" {
        // Zero directories, then one more level of `**` in each subdirectory.
        expand(base, tail, out);
        for sub in children(dir, first).into_iter().filter(|p| p.is_dir()) {
            expand(&sub, rest, out);
        }
        return;
    }
    if !is_glob(first) {
        expand(&base.join(first), tail, out);
        return;
    }
    for child in children(dir, first) {
        let name = child.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| matches(first, &n)) {
            expand(&base.join(child.file_name().unwrap_or_default()), tail, out);
        }
    }
}

fn children(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| pattern.starts_with('.') || !is_hidden(p))
        .collect();
    paths.sort();
    paths
}

/// Match one path component against a pattern with `*` and `?`.
fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative wildcard matching with backtracking to the last `*`.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matching() {
        assert!(matches("*.yaml", "a.yaml"));
        assert!(matches("*.yaml", ".yaml"));
        assert!(!matches("*.yaml", "a.yml"));
        assert!(matches("svc-?.y*ml", "svc-1.yaml"));
        assert!(matches("*", "anything"));
        assert!(matches("a*b*c", "aXbYbZc"));
        assert!(!matches("a*b*c", "aXbYbZ"));
    }

    #[test]
    fn tidy_paths() {
        assert_eq!(
            tidy(Path::new("a/./b/../c.yaml")),
            PathBuf::from("a/c.yaml")
        );
        assert_eq!(tidy(Path::new("./x.yaml")), PathBuf::from("x.yaml"));
        assert_eq!(tidy(Path::new("../x.yaml")), PathBuf::from("../x.yaml"));
        assert_eq!(tidy(Path::new("/a/../../b")), PathBuf::from("/b"));
    }

    #[test]
    fn walks_and_globs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "b.yaml",
            "a.yml",
            "c.txt",
            "sub/z.yaml",
            "sub/deep/y.YAML",
            ".hidden/h.yaml",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        }
        let (files, failures) = yaml_files(root);
        assert!(failures.is_empty());
        let rel: Vec<_> = files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        let expected = ["a.yml", "b.yaml", "sub/deep/y.YAML", "sub/z.yaml"];
        assert_eq!(rel, expected.iter().map(PathBuf::from).collect::<Vec<_>>());

        let rel = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter()
                .map(|f| f.strip_prefix(root).unwrap().display().to_string())
                .collect()
        };
        assert_eq!(rel(glob(&root.join("*.yaml"))), ["b.yaml"]);
        assert_eq!(rel(glob(&root.join("sub/*.yaml"))), ["sub/z.yaml"]);
        assert_eq!(rel(glob(&root.join("**/*.yaml"))), ["b.yaml", "sub/z.yaml"]);
        assert_eq!(rel(glob(&root.join("*/*/y.*"))), ["sub/deep/y.YAML"]);
        assert!(glob(&root.join("nothing/*.yaml")).is_empty());
    }
}
