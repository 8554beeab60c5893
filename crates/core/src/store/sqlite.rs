//! The embedded SQLite store (OWNER: store helper).
