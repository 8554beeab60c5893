//! The event-driven loader: saphyr-parser events in, JSON documents out.
//!
//! Values are built bottom-up on an explicit stack (no recursion, so deep
//! input cannot overflow the call stack). Every limit is checked at the event
//! that would exceed it, before any work for it is done: the depth when a
//! collection opens, node counts as nodes are produced, and alias expansion
//! before an anchored value is copied.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Span};
use serde_json::{Map, Value};

use crate::error::{YamlError, YamlErrorKind};
use crate::limits::Limits;
use crate::path::{push_index, push_key};
use crate::positions::Positions;
use crate::scalar;

/// One YAML document of an input, as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 0-based index of the document in the input, counting empty ones.
    pub index: usize,
    /// The content; `Value::Null` for an empty document.
    pub value: Value,
    /// Where each value is in the input text.
    pub positions: Positions,
    /// 1-based line where the document's content starts (or its `---`).
    pub line: usize,
}

/// Parse every document of `text` to JSON, refusing input that breaks `limits`.
///
/// Positions are absolute in `text` (lines count from the first line of the
/// input, not of the document). The first problem found stops parsing.
pub fn parse_documents(text: &str, limits: &Limits) -> Result<Vec<Document>, YamlError> {
    if text.len() > limits.max_bytes {
        return Err(YamlError {
            document: 0,
            line: 0,
            column: 0,
            path: String::new(),
            kind: YamlErrorKind::TooLarge,
            message: format!(
                "the input is {} bytes, more than the limit of {} bytes; split it into several files",
                text.len(),
                limits.max_bytes
            ),
        });
    }
    Loader::new(text, limits).run()
}

/// A value that an anchor (`&name`) points at.
struct Anchored {
    value: Value,
    /// Nodes in the value (what one alias to it produces).
    nodes: usize,
    /// Nesting levels of collections in the value (0 for a scalar).
    height: usize,
}

enum Body {
    Map {
        map: Map<String, Value>,
        /// The key whose value is being read; `None` while expecting a key.
        key: Option<String>,
    },
    Seq(Vec<Value>),
}

/// A mapping or sequence being built.
struct Frame {
    body: Body,
    path: String,
    anchor: usize,
    /// `Loader::nodes` right after this collection was counted.
    nodes_at_start: usize,
    /// Greatest height among the children so far.
    child_height: usize,
}

struct Loader<'a> {
    text: &'a str,
    limits: &'a Limits,
    documents: Vec<Document>,
    in_document: bool,
    document_line: usize,
    root: Option<Value>,
    positions: Positions,
    anchors: HashMap<usize, Anchored>,
    stack: Vec<Frame>,
    nodes: usize,
    expanded: usize,
}

impl<'a> Loader<'a> {
    fn new(text: &'a str, limits: &'a Limits) -> Self {
        Self {
            text,
            limits,
            documents: Vec::new(),
            in_document: false,
            document_line: 0,
            root: None,
            positions: Positions::new(),
            anchors: HashMap::new(),
            stack: Vec::new(),
            nodes: 0,
            expanded: 0,
        }
    }

    fn run(mut self) -> Result<Vec<Document>, YamlError> {
        let mut parser = Parser::new_from_str(self.text);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| self.scan_error(&e))?;
            match event {
                Event::Nothing | Event::StreamStart => {}
                Event::StreamEnd => break,
                Event::DocumentStart(_) => self.start_document(span)?,
                Event::DocumentEnd => self.end_document(),
                Event::Scalar(text, style, anchor, tag) => {
                    let value =
                        scalar::resolve(&text, style, tag.as_deref()).map_err(|message| {
                            let path = self.value_path();
                            self.error_at(YamlErrorKind::Syntax, span.start, path, message)
                        })?;
                    self.count_nodes(1, span.start)?;
                    if anchor > 0 {
                        self.anchor(anchor, value.clone(), 1, 0, span.start)?;
                    }
                    if self.expecting_key() {
                        self.set_key(scalar::key_string(&value), span.start)?;
                    } else {
                        if style == ScalarStyle::Literal {
                            self.mark_text_start();
                        }
                        self.mark_position(span.start);
                        self.attach(value, 0);
                    }
                }
                Event::Alias(id) => self.alias(id, span)?,
                Event::SequenceStart(anchor, _) => {
                    self.open(Body::Seq(Vec::new()), anchor, span)?
                }
                Event::MappingStart(anchor, _) => {
                    let body = Body::Map {
                        map: Map::new(),
                        key: None,
                    };
                    self.open(body, anchor, span)?;
                }
                Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
            }
        }
        Ok(self.documents)
    }

    fn start_document(&mut self, span: Span) -> Result<(), YamlError> {
        if self.documents.len() >= self.limits.max_documents {
            return Err(self.error(
                YamlErrorKind::TooManyDocuments,
                span.start,
                format!(
                    "more than {} documents in one input; split it into several files",
                    self.limits.max_documents
                ),
            ));
        }
        self.in_document = true;
        self.document_line = span.start.line();
        self.root = None;
        self.positions = Positions::new();
        self.anchors.clear();
        self.stack.clear();
        Ok(())
    }

    fn end_document(&mut self) {
        let positions = std::mem::take(&mut self.positions);
        let line = positions
            .get("")
            .map_or(self.document_line, |(line, _)| line);
        self.documents.push(Document {
            index: self.documents.len(),
            value: self.root.take().unwrap_or(Value::Null),
            positions,
            line,
        });
        self.in_document = false;
    }

    fn document_index(&self) -> usize {
        // Between documents, an error belongs to the one about to start.
        self.documents.len()
    }

    /// An error inside the innermost open mapping or sequence.
    fn error(&self, kind: YamlErrorKind, mark: Marker, message: String) -> YamlError {
        let path = self
            .stack
            .last()
            .map(|f| f.path.clone())
            .unwrap_or_default();
        self.error_at(kind, mark, path, message)
    }

    fn error_at(
        &self,
        kind: YamlErrorKind,
        mark: Marker,
        path: String,
        message: String,
    ) -> YamlError {
        YamlError {
            document: self.document_index(),
            line: mark.line(),
            column: mark.col() + 1,
            path,
            kind,
            message,
        }
    }

    fn scan_error(&self, e: &ScanError) -> YamlError {
        let (kind, message) = if e.info().contains("recursion limit exceeded") {
            // The scanner reads ahead through flow collections and has its own
            // cap (255 levels), which it may reach before we see the events.
            (
                YamlErrorKind::TooDeep,
                format!(
                    "mappings and sequences nest deeper than {} levels here; flatten the document",
                    self.limits.max_depth
                ),
            )
        } else if e.info().contains("unknown anchor") {
            (
                YamlErrorKind::UnknownAlias,
                "this alias names an anchor that is not defined; define `&name` on a value before using `*name`"
                    .to_string(),
            )
        } else {
            (YamlErrorKind::Syntax, format!("invalid YAML: {}", e.info()))
        };
        self.error(kind, *e.marker(), message)
    }

    /// The source text of a span (for messages).
    fn snippet(&self, span: Span) -> String {
        self.text
            .chars()
            .skip(span.start.index())
            .take(span.len().min(80))
            .collect()
    }

    fn count_nodes(&mut self, n: usize, mark: Marker) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(self.error(
                YamlErrorKind::TooManyNodes,
                mark,
                format!(
                    "the input has more than {} YAML nodes (counting alias copies); split it into several files",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn expecting_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                body: Body::Map { key: None, .. },
                ..
            })
        )
    }

    /// The path of the value about to be read.
    fn child_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(frame) => match &frame.body {
                Body::Seq(items) => push_index(&frame.path, items.len()),
                Body::Map { key, .. } => push_key(&frame.path, key.as_deref().unwrap_or_default()),
            },
        }
    }

    /// The path of the value about to be read, or of the mapping when a key is expected.
    fn value_path(&self) -> String {
        if self.expecting_key() {
            self.stack
                .last()
                .map(|f| f.path.clone())
                .unwrap_or_default()
        } else {
            self.child_path()
        }
    }

    /// Record where the text of the literal block scalar about to be read
    /// starts, when it is a mapping value whose `|` header is on its key's
    /// line (`module: |`, the usual form): the next line, at the indentation
    /// of its first line that is not blank.
    fn mark_text_start(&mut self) {
        if !self.in_mapping() {
            return;
        }
        let path = self.child_path();
        let Some((key_line, _)) = self.positions.get(&path) else {
            return;
        };
        let mut lines = self.text.lines();
        let header_here = lines
            .nth(key_line - 1)
            .and_then(|l| l.split_once(':'))
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('|'));
        let Some(indent) = lines
            .find(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start_matches(' ').len())
        else {
            return;
        };
        if header_here {
            self.positions
                .insert_text_start(path, key_line + 1, indent + 1);
        }
    }

    /// Record where the value about to be read is (a mapping value keeps its key's position).
    fn mark_position(&mut self, mark: Marker) {
        if !self.in_mapping() {
            let path = self.child_path();
            self.positions.insert(path, mark.line(), mark.col() + 1);
        }
    }

    /// Whether the innermost open collection is a mapping (whose values are
    /// located at their keys, recorded already).
    fn in_mapping(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                body: Body::Map { .. },
                ..
            })
        )
    }

    fn set_key(&mut self, key: String, mark: Marker) -> Result<(), YamlError> {
        let Some(frame) = self.stack.last_mut() else {
            return Ok(());
        };
        let path = push_key(&frame.path, &key);
        if let Body::Map { map, key: slot } = &mut frame.body {
            if map.contains_key(&key) {
                let first = self
                    .positions
                    .get(&path)
                    .map_or_else(String::new, |(line, _)| format!(" (first on line {line})"));
                let message =
                    format!("duplicate key '{key}' in this mapping{first}; remove one of them");
                return Err(self.error_at(YamlErrorKind::DuplicateKey, mark, path, message));
            }
            *slot = Some(key);
        }
        self.positions.insert(path, mark.line(), mark.col() + 1);
        Ok(())
    }

    /// Put a finished value into its parent (or make it the document's root).
    fn attach(&mut self, value: Value, height: usize) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(frame) => {
                frame.child_height = frame.child_height.max(height);
                match &mut frame.body {
                    Body::Seq(items) => items.push(value),
                    Body::Map { map, key } => {
                        if let Some(key) = key.take() {
                            map.insert(key, value);
                        }
                    }
                }
            }
        }
    }

    fn anchor(
        &mut self,
        id: usize,
        value: Value,
        nodes: usize,
        height: usize,
        mark: Marker,
    ) -> Result<(), YamlError> {
        // The copy kept for aliases costs memory like any other node.
        if nodes > 1 {
            self.count_nodes(nodes, mark)?;
        }
        self.anchors.insert(
            id,
            Anchored {
                value,
                nodes,
                height,
            },
        );
        Ok(())
    }

    fn check_depth(&self, depth: usize, mark: Marker) -> Result<(), YamlError> {
        if depth > self.limits.max_depth {
            return Err(self.error_at(
                YamlErrorKind::TooDeep,
                mark,
                self.value_path(),
                format!(
                    "mappings and sequences nest deeper than {} levels here; flatten the document",
                    self.limits.max_depth
                ),
            ));
        }
        Ok(())
    }

    fn open(&mut self, body: Body, anchor: usize, span: Span) -> Result<(), YamlError> {
        if self.expecting_key() {
            let what = if matches!(body, Body::Seq(_)) {
                "sequence"
            } else {
                "mapping"
            };
            return Err(self.error(
                YamlErrorKind::NonStringKey,
                span.start,
                format!("a mapping key must be a string, not a {what}; entity fields only have string keys"),
            ));
        }
        self.check_depth(self.stack.len() + 1, span.start)?;
        self.count_nodes(1, span.start)?;
        let path = self.child_path();
        if !self.in_mapping() {
            let (line, column) = (span.start.line(), span.start.col() + 1);
            self.positions.insert(path.clone(), line, column);
        }
        self.stack.push(Frame {
            body,
            path,
            anchor,
            nodes_at_start: self.nodes,
            child_height: 0,
        });
        Ok(())
    }

    fn close(&mut self, span: Span) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let value = match frame.body {
            Body::Map { map, .. } => Value::Object(map),
            Body::Seq(items) => Value::Array(items),
        };
        let height = frame.child_height + 1;
        if frame.anchor > 0 {
            let nodes = self.nodes - frame.nodes_at_start + 1;
            self.anchor(frame.anchor, value.clone(), nodes, height, span.start)?;
        }
        self.attach(value, height);
        Ok(())
    }

    fn alias(&mut self, id: usize, span: Span) -> Result<(), YamlError> {
        let Some(anchored) = self.anchors.get(&id) else {
            let name = self.snippet(span);
            let open = self.stack.iter().any(|f| f.anchor == id);
            let message = if open {
                format!("alias '{name}' refers to a value that contains it (a recursive alias)")
            } else {
                format!(
                    "alias '{name}' refers to an anchor that is not defined earlier in this document"
                )
            };
            let path = self.value_path();
            return Err(self.error_at(YamlErrorKind::UnknownAlias, span.start, path, message));
        };
        let (nodes, height) = (anchored.nodes, anchored.height);
        let path = self.value_path();
        if self.expanded.saturating_add(nodes) > self.limits.max_alias_expansions {
            return Err(self.error_at(
                YamlErrorKind::AliasExpansion,
                span.start,
                path,
                format!(
                    "aliases in this input expand to more than {} nodes (an alias bomb?); \
                     write the values out or use fewer aliases",
                    self.limits.max_alias_expansions
                ),
            ));
        }
        self.check_depth(self.stack.len() + height, span.start)?;
        self.count_nodes(nodes, span.start)?;
        self.expanded += nodes;
        let value = self
            .anchors
            .get(&id)
            .map(|a| a.value.clone())
            .unwrap_or_default();
        if self.expecting_key() {
            let key = match value {
                Value::Array(_) | Value::Object(_) => {
                    return Err(self.error(
                        YamlErrorKind::NonStringKey,
                        span.start,
                        format!(
                            "a mapping key must be a string, but alias '{}' is a collection",
                            self.snippet(span)
                        ),
                    ));
                }
                scalar => scalar::key_string(&scalar),
            };
            return self.set_key(key, span.start);
        }
        self.mark_position(span.start);
        self.attach(value, height);
        Ok(())
    }
}
