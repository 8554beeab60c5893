//! Field projection (OWNER: store helper).
