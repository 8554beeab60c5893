//! Kind registry and JSON Schema export (OWNER: model helper).

/// The kinds the engine knows: built-in ones and registered custom kinds.
#[derive(Debug, Clone, Default)]
pub struct KindRegistry {}

impl KindRegistry {
    /// The built-in kinds only.
    pub fn builtin() -> Self {
        Self {}
    }
}
