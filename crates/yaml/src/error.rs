//! The one error type of this crate: what went wrong, in which document, where.

/// What kind of problem stopped parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum YamlErrorKind {
    /// The text is not well-formed YAML, or a tagged scalar does not match its tag.
    Syntax,
    /// The input is larger than [`Limits::max_bytes`](crate::Limits::max_bytes).
    TooLarge,
    /// Mappings/sequences nest deeper than [`Limits::max_depth`](crate::Limits::max_depth).
    TooDeep,
    /// Aliases would expand to more than
    /// [`Limits::max_alias_expansions`](crate::Limits::max_alias_expansions) nodes.
    AliasExpansion,
    /// More than [`Limits::max_nodes`](crate::Limits::max_nodes) nodes.
    TooManyNodes,
    /// More than [`Limits::max_documents`](crate::Limits::max_documents) documents.
    TooManyDocuments,
    /// A mapping has the same key twice.
    DuplicateKey,
    /// A mapping key is a mapping or a sequence (entities only have string keys).
    NonStringKey,
    /// An alias names an anchor that is not defined (earlier in the same document).
    UnknownAlias,
}

impl YamlErrorKind {
    /// A stable lower-case name, for JSON output and bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Syntax => "syntax",
            Self::TooLarge => "too_large",
            Self::TooDeep => "too_deep",
            Self::AliasExpansion => "alias_expansion",
            Self::TooManyNodes => "too_many_nodes",
            Self::TooManyDocuments => "too_many_documents",
            Self::DuplicateKey => "duplicate_key",
            Self::NonStringKey => "non_string_key",
            Self::UnknownAlias => "unknown_alias",
        }
    }
}

impl std::fmt::Display for YamlErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a YAML input was refused.
///
/// `line` and `column` are 1-based and point at the offending token (0 when
/// the problem concerns the whole input, e.g. [`YamlErrorKind::TooLarge`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct YamlError {
    /// 0-based index of the document the error is in.
    pub document: usize,
    /// 1-based line, 0 when not tied to a place.
    pub line: usize,
    /// 1-based column, 0 when not tied to a place.
    pub column: usize,
    /// JSON path of the value being read when the problem was found (the
    /// duplicated key, the alias, the innermost open mapping or sequence);
    /// empty for the document itself or the whole input.
    pub path: String,
    /// The category of problem.
    pub kind: YamlErrorKind,
    /// What is wrong and what to do about it.
    pub message: String,
}
