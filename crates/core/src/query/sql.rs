//! SQL for predicates, shared by both stores (OWNER: store helper).
