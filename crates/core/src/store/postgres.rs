//! The PostgreSQL store (OWNER: store helper).
