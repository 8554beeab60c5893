//! Making text a plugin wrote safe to show on a terminal.
//!
//! A guest chooses its descriptions, messages, violation texts and log
//! lines. Printed raw, an ESC sequence in them can clear the screen, set the
//! window title or move the cursor up and overwrite a line with a fake "ok";
//! a bidi override can reorder what a reader sees; a carriage return can hide
//! the start of a line. [`sanitize`] (multi-line text) and [`sanitize_line`]
//! (one-line fields: names, table cells, log lines) make every such
//! character visible as a Rust-style escape (`\u{1b}`), and leave ordinary
//! text, including any script and emoji, untouched and unallocated.
//!
//! Use them for every human-readable rendering of what a plugin returned;
//! JSON output needs none (JSON escapes control characters itself, and its
//! strings must stay exact).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal raw. `newline`: whether `\n` is
/// allowed through.
fn hidden(c: char, newline: bool) -> bool {
    match c {
        '\n' => !newline,
        '\t' => false,
        // C0 controls (ESC among them), DEL and C1 controls (0x80..=0x9f,
        // which some terminals take as CSI/OSC introducers).
        c if c.is_control() => true,
        // Bidi embeddings, overrides and isolates, and the marks.
        '\u{061c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => true,
        // Line and paragraph separators; zero-width space and word joiner;
        // byte-order mark.
        '\u{2028}' | '\u{2029}' | '\u{200b}' | '\u{2060}' | '\u{feff}' => true,
        _ => false,
    }
}

fn escape(s: &str, newline: bool) -> Cow<'_, str> {
    let Some(first) = s.find(|c| hidden(c, newline)) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if hidden(c, newline) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` with every character that could control a terminal made visible as
/// an escape (`\u{1b}`, `\r`); newlines and tabs are kept. For multi-line
/// text such as an error message with a guest backtrace.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// Like [`sanitize`], and newlines are shown as `\n` too: for a field that
/// must stay on one line (a name, a description in a one-line summary, a
/// table cell, a log line), so that text after it cannot be pushed out of
/// view or faked.
pub fn sanitize_line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        for s in ["", "hello", "naïve — 日本語 🚀 x\ty", "👩‍💻 works"] {
            assert!(matches!(sanitize_line(s), Cow::Borrowed(_)), "{s}");
        }
        assert!(matches!(sanitize("two\nlines"), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_controls_become_visible() {
        // clear screen, set title, cursor up + fake ok
        let evil = "\x1b[2J\x1b]0;pwned\x07\x1b[1A\rok";
        let shown = sanitize(evil);
        assert_eq!(shown, "\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{1b}[1A\\rok");
        assert!(!shown.chars().any(|c| c.is_control()));
        // C1 CSI, DEL, bidi override, line separator
        assert_eq!(
            sanitize("a\u{9b}b\u{7f}c\u{202e}d\u{2028}e"),
            "a\\u{9b}b\\u{7f}c\\u{202e}d\\u{2028}e"
        );
    }

    #[test]
    fn newlines_are_kept_or_shown() {
        assert_eq!(sanitize("a\nb"), "a\nb");
        assert_eq!(sanitize_line("a\nb\r\nc"), "a\\nb\\r\\nc");
    }
}
