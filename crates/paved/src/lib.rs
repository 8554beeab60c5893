//! paved (to be filled).
