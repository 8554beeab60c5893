//! Where each value of a parsed document is in the source text.

use std::collections::HashMap;

use crate::path::parent_path;

/// Maps JSON paths (as built by [`push_key`](crate::push_key) /
/// [`push_index`](crate::push_index)) to 1-based `(line, column)`.
///
/// A mapping entry points at its key; a sequence item and the document
/// itself (path `""`) at the value. Values produced by an alias are only
/// recorded at the alias; [`Positions::locate`] falls back to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Positions {
    map: HashMap<String, (usize, usize)>,
    /// Where the text of each literal block scalar (`key: |`) starts: its
    /// first line and its indentation's column.
    text: HashMap<String, (usize, usize)>,
}

impl Positions {
    /// No positions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record the position of `path` (keeps the first one recorded).
    pub fn insert(&mut self, path: String, line: usize, column: usize) {
        self.map.entry(path).or_insert((line, column));
    }

    /// Record where the text of the literal block scalar at `path` starts.
    pub fn insert_text_start(&mut self, path: String, line: usize, column: usize) {
        self.text.entry(path).or_insert((line, column));
    }

    /// Where the text of the literal block scalar at `path` starts, 1-based:
    /// line `n` of the string is line `line + n - 1` of the source, and its
    /// column `c` is column `column + c - 1`. None for other values.
    pub fn text_start(&self, path: &str) -> Option<(usize, usize)> {
        self.text.get(path).copied()
    }

    /// The position recorded for exactly `path`.
    pub fn get(&self, path: &str) -> Option<(usize, usize)> {
        self.map.get(path).copied()
    }

    /// The position of `path`, or of its nearest ancestor that has one
    /// (a missing field points at the mapping that lacks it); `(0, 0)` when
    /// nothing is known.
    pub fn locate(&self, path: &str) -> (usize, usize) {
        if let Some(pos) = self.get(path) {
            return pos;
        }
        let mut current = parent_path(path);
        while let Some(p) = current {
            if let Some(pos) = self.get(&p) {
                return pos;
            }
            current = parent_path(&p);
        }
        (0, 0)
    }

    /// How many paths have a position.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no path has a position.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// All recorded `(path, (line, column))` pairs, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, (usize, usize))> {
        self.map.iter().map(|(k, v)| (k.as_str(), *v))
    }
}
