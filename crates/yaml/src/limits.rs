//! Hard limits applied while parsing, so hostile input fails fast and small.

/// Limits for one call of [`parse_documents`](crate::parse_documents).
///
/// Every limit is checked before the work it guards is done: the size before
/// parsing starts, the depth when a collection opens, and alias expansion
/// before an anchored value is copied. A "billion laughs" document therefore
/// fails after producing at most `max_alias_expansions` nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of mappings and sequences (the document's root collection is depth 1).
    pub max_depth: usize,
    /// Total nodes that aliases (`*name`) may produce, summed over the input.
    pub max_alias_expansions: usize,
    /// Most documents (`---`) in one input.
    pub max_documents: usize,
    /// Most nodes (scalars, mappings, sequences, including alias copies) in one input.
    pub max_nodes: usize,
}

impl Limits {
    /// 4 MiB.
    pub const DEFAULT_MAX_BYTES: usize = 4 * 1024 * 1024;
    /// 64 levels.
    pub const DEFAULT_MAX_DEPTH: usize = 64;
    /// 10,000 nodes.
    pub const DEFAULT_MAX_ALIAS_EXPANSIONS: usize = 10_000;
    /// 10,000 documents.
    pub const DEFAULT_MAX_DOCUMENTS: usize = 10_000;
    /// 1,000,000 nodes.
    pub const DEFAULT_MAX_NODES: usize = 1_000_000;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_alias_expansions: Self::DEFAULT_MAX_ALIAS_EXPANSIONS,
            max_documents: Self::DEFAULT_MAX_DOCUMENTS,
            max_nodes: Self::DEFAULT_MAX_NODES,
        }
    }
}
