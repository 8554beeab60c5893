//! The catalogue model: Backstage-compatible entities, refs and relations.
//!
//! Data flows in as raw JSON (from YAML, a binding's dict, or an API call),
//! is checked by [`validate`] against Backstage's rules and the kind's schema,
//! and comes out as an [`Entity`]. [`relations`] derives the relation pairs
//! from spec fields; [`index`] flattens an entity into the key/value rows the
//! stores filter on.

pub mod entity;
pub mod index;
pub mod kinds;
pub mod refs;
pub mod relations;
pub mod schema;
pub mod string_map;
pub mod validate;

pub use entity::{Entity, Link, Metadata, Relation};
pub use refs::EntityRef;
pub use relations::RelationType;
pub use string_map::StringMap;
