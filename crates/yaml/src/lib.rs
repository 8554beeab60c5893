//! paved-yaml: YAML text to JSON values, with source positions and hard limits.
//!
//! Catalogue files come from people and from generators, and sometimes from
//! attackers: this crate turns YAML into [`serde_json::Value`]s with the
//! YAML 1.2 core schema, remembers where every value came from
//! ([`Positions`], keyed by the same JSON paths paved's diagnostics use — see
//! [`push_key`]), and refuses hostile input before it costs memory or time
//! ([`Limits`]: size, depth, alias expansion, node and document counts).
//!
//! Data flow: text → size check → saphyr-parser events → the loader builds
//! each document bottom-up on an explicit stack, resolving scalars
//! (YAML 1.2 core schema) and recording positions → `Vec<`[`Document`]`>`, or the
//! first [`YamlError`].
//!
//! ```
//! use paved_yaml::{parse_documents, Limits};
//! let docs = parse_documents("a: 1\n---\nb: [x, true]\n", &Limits::default()).unwrap();
//! assert_eq!(docs[1].value["b"][1], serde_json::json!(true));
//! assert_eq!(docs[1].positions.get("b[1]"), Some((3, 8)));
//! ```

mod error;
mod limits;
mod loader;
pub mod path;
mod positions;
mod scalar;

pub use error::{YamlError, YamlErrorKind};
pub use limits::Limits;
pub use loader::{Document, parse_documents};
pub use path::{PathSegment, format_path, parent_path, parse_path, push_index, push_key};
pub use positions::Positions;
pub use scalar::resolve_plain;
