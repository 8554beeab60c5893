//! paved-yaml (OWNER: yaml helper).
