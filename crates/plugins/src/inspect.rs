//! Inspect (placeholder while building).
