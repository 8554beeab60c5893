//! JSON paths as paved's diagnostics write them — the one place that builds and reads them.
//!
//! A path is a chain of segments: a mapping key is written `.key` (no dot at
//! the start), a sequence index `[2]`. Keys that are not plain identifiers
//! (anything besides ASCII letters, digits, `_` and `-`, or the empty key) are
//! written as a quoted JSON string in brackets, so the path can be read back
//! unambiguously:
//!
//! ```
//! use paved_yaml::{push_index, push_key};
//! let p = push_key(&push_key("", "metadata"), "labels");
//! assert_eq!(push_key(&p, "team"), "metadata.labels.team");
//! assert_eq!(push_index(&push_key("", "spec"), 2), "spec[2]");
//! assert_eq!(
//!     push_key("metadata.annotations", "backstage.io/techdocs-ref"),
//!     r#"metadata.annotations["backstage.io/techdocs-ref"]"#
//! );
//! ```
//!
//! The empty string is the document itself.

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Whether `key` can be written bare after a dot.
fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The path of the value under `key` in the mapping at `path`.
pub fn push_key(path: &str, key: &str) -> String {
    let mut out = String::with_capacity(path.len() + key.len() + 4);
    out.push_str(path);
    if is_plain_key(key) {
        if !path.is_empty() {
            out.push('.');
        }
        out.push_str(key);
    } else {
        out.push('[');
        // A JSON string literal: quotes and escapes, so any key reads back exactly.
        out.push_str(&serde_json::Value::String(key.to_string()).to_string());
        out.push(']');
    }
    out
}

/// The path of item `index` of the sequence at `path`.
pub fn push_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// Build a path from segments (the inverse of [`parse_path`]).
pub fn format_path(segments: &[PathSegment]) -> String {
    let mut out = String::new();
    for segment in segments {
        out = match segment {
            PathSegment::Key(key) => push_key(&out, key),
            PathSegment::Index(index) => push_index(&out, *index),
        };
    }
    out
}

/// Read a path back into segments; `None` when it is not well-formed.
///
/// Bare keys are read up to the next `.` or `[`, so a path written by hand
/// such as `metadata.labels.team` parses too.
pub fn parse_path(path: &str) -> Option<Vec<PathSegment>> {
    let mut segments = Vec::new();
    let mut rest = path;
    let mut first = true;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            if after.starts_with('"') {
                // A JSON string: find its end honouring escapes.
                let bytes = after.as_bytes();
                let mut i = 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    return None;
                }
                let key: String = serde_json::from_str(&after[..=i]).ok()?;
                rest = after[i + 1..].strip_prefix(']')?;
                segments.push(PathSegment::Key(key));
            } else {
                let end = after.find(']')?;
                let index = after[..end].parse().ok()?;
                rest = &after[end + 1..];
                segments.push(PathSegment::Index(index));
            }
        } else {
            let body = if first { rest } else { rest.strip_prefix('.')? };
            let end = body.find(['.', '[']).unwrap_or(body.len());
            if end == 0 {
                return None;
            }
            segments.push(PathSegment::Key(body[..end].to_string()));
            rest = &body[end..];
        }
        first = false;
    }
    Some(segments)
}

/// The path one level up, or `None` for the document itself.
pub fn parent_path(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    match parse_path(path) {
        Some(mut segments) => {
            segments.pop();
            Some(format_path(&segments))
        }
        // Not well-formed: cut at the last separator.
        None => Some(path[..path.rfind(['.', '[']).unwrap_or(0)].to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_quoted_keys() {
        assert_eq!(push_key("", "metadata"), "metadata");
        assert_eq!(
            push_key("metadata.labels", "team-a_1"),
            "metadata.labels.team-a_1"
        );
        assert_eq!(push_key("", "a.b"), r#"["a.b"]"#);
        assert_eq!(push_key("x", ""), r#"x[""]"#);
        assert_eq!(push_key("x", "say \"hi\"]"), r#"x["say \"hi\"]"]"#);
        assert_eq!(push_index("spec.dependsOn", 2), "spec.dependsOn[2]");
        assert_eq!(push_index("", 0), "[0]");
    }

    #[test]
    fn round_trip() {
        let paths = [
            "",
            "metadata.labels.team",
            "spec.dependsOn[2]",
            r#"metadata.annotations["backstage.io/techdocs-ref"]"#,
            r#"a["x.y"][3].b["say \"hi\"]"][0][1]"#,
            r#"[""].z"#,
        ];
        for path in paths {
            let segments = parse_path(path).unwrap();
            assert_eq!(format_path(&segments), path, "{segments:?}");
        }
        assert_eq!(
            parse_path("spec.dependsOn[2]").unwrap(),
            vec![
                PathSegment::Key("spec".into()),
                PathSegment::Key("dependsOn".into()),
                PathSegment::Index(2)
            ]
        );
    }

    #[test]
    fn malformed_paths_are_refused() {
        for bad in ["a..b", "a[", "a[x]", r#"a["x"#, "a.", ".a", r#"a["x"b"#] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn parents() {
        assert_eq!(
            parent_path("spec.dependsOn[2]").as_deref(),
            Some("spec.dependsOn")
        );
        assert_eq!(
            parent_path(r#"metadata.annotations["backstage.io/x"]"#).as_deref(),
            Some("metadata.annotations")
        );
        assert_eq!(parent_path("metadata").as_deref(), Some(""));
        assert_eq!(parent_path(""), None);
        assert_eq!(parent_path("a..b").as_deref(), Some("a."));
    }
}
