//! plugin-sdk (to be filled).
