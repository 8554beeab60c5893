//! Reading regorus' error text: where a problem is and what it is.
//!
//! regorus reports parse and evaluation errors as `anyhow` errors whose text
//! is a rendered snippet:
//!
//! ```text
//!
//! --> policy/main.rego:5:12
//!   |
//! 5 |   msg := = "no owner"
//!   |          ^
//! error: unexpected `=`
//! ```
//!
//! It has no structured location, so the `-->` line is parsed here.

/// A problem and where it is, when regorus said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The location and message of a regorus error, or `None` when its text has
/// no `--> file:line:col` line.
pub(crate) fn locate(text: &str) -> Option<Located> {
    let arrow = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))?;
    let mut parts = arrow.rsplitn(3, ':');
    let column = parts.next()?.trim().parse().ok()?;
    let line = parts.next()?.trim().parse().ok()?;
    let file = parts.next()?.to_string();
    Some(Located {
        file,
        line,
        column,
        message: message(text),
    })
}

/// The message of a regorus error without its rendered snippet: the text
/// after the last `error: ` marker (with anything before the snippet kept
/// as context), or the whole text on one line.
pub(crate) fn message(text: &str) -> String {
    let before_snippet = text.split("\n-->").next().unwrap_or("").trim();
    let after = match text.rfind("error: ") {
        Some(i) if text.contains("-->") => text[i + "error: ".len()..].trim(),
        _ => text.trim(),
    };
    let after = after.split_whitespace().collect::<Vec<_>>().join(" ");
    let before = before_snippet
        .trim_end_matches(':')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if before.is_empty() || before == after || !text.contains("-->") {
        after
    } else {
        format!("{before}: {after}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_arrow_line() {
        let text = "\n--> dir/a:b.rego:5:12\n  |\n5 |   msg := = \"x\"\n  |          ^\nerror: unexpected `=`";
        let l = locate(text).unwrap();
        assert_eq!(l.file, "dir/a:b.rego");
        assert_eq!((l.line, l.column), (5, 12));
        assert_eq!(l.message, "unexpected `=`");
    }

    #[test]
    fn no_arrow_no_location() {
        assert_eq!(locate("data must be object"), None);
        assert_eq!(message("data must be\nobject"), "data must be object");
    }

    #[test]
    fn context_before_the_snippet_is_kept() {
        let text = "while evaluating deny:\n--> p.rego:3:1\n  |\n3 | x\n  | ^\nerror: boom";
        assert_eq!(message(text), "while evaluating deny: boom");
    }
}
