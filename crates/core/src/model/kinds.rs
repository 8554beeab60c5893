//! Typed specs of the built-in kinds (OWNER: model helper).
