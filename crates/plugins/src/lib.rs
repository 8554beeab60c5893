//! plugins (to be filled).
