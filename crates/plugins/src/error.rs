//! The host's error type. Every failure of loading or calling a plugin is one
//! [`PluginError`] naming the plugin and a [`PluginErrorKind`]; it converts to
//! [`paved_core::Error::Plugin`] (or [`paved_core::Error::Invalid`] when the
//! plugin rejected its input with JSON paths).

pub use paved_core::PluginErrorKind;
use paved_core::plugin::Violation;

/// Result with [`PluginError`].
pub type Result<T, E = PluginError> = std::result::Result<T, E>;

/// A plugin could not be loaded or a call to it failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PluginError {
    /// The call ran past its deadline and was interrupted.
    #[error("plugin '{plugin}' timed out after {elapsed_ms} ms (deadline {deadline_ms} ms)")]
    Timeout {
        plugin: String,
        deadline_ms: u64,
        elapsed_ms: u64,
    },
    /// The guest tried to grow its memory past the cap.
    #[error(
        "plugin '{plugin}' ran out of memory: it asked for {desired} bytes, the cap is {limit} bytes"
    )]
    OutOfMemory {
        plugin: String,
        desired: usize,
        limit: usize,
    },
    /// The guest trapped (panic, unreachable, stack overflow, host-call cap);
    /// `message` includes the guest backtrace when there is one.
    #[error("plugin '{plugin}' trapped: {message}")]
    Trap { plugin: String, message: String },
    /// The guest's answer was too large or malformed.
    #[error("plugin '{plugin}' returned bad output: {message}")]
    BadOutput { plugin: String, message: String },
    /// The guest used, or reported needing, a capability it was not granted.
    #[error("plugin '{plugin}' was denied a capability: {message}")]
    CapabilityDenied { plugin: String, message: String },
    /// The component could not be read, compiled or linked (wrong world,
    /// missing export or import).
    #[error("plugin '{plugin}' could not be loaded: {message}")]
    Load { plugin: String, message: String },
    /// The plugin's settings or grants were rejected.
    #[error("plugin '{plugin}' settings are invalid: {message}")]
    Settings { plugin: String, message: String },
    /// The plugin rejected its input; each violation has a JSON path.
    #[error("plugin '{plugin}' rejected the input: {}", summary(violations))]
    Invalid {
        plugin: String,
        violations: Vec<Violation>,
    },
    /// The plugin returned an error on purpose (not found, unsupported, failed).
    #[error("plugin '{plugin}' failed: {message}")]
    Guest { plugin: String, message: String },
}

fn summary(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| {
            if v.path.is_empty() {
                v.message.clone()
            } else {
                format!("{}: {}", v.path, v.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl PluginError {
    /// The stable kind of this error.
    pub fn kind(&self) -> PluginErrorKind {
        match self {
            Self::Timeout { .. } => PluginErrorKind::Timeout,
            Self::OutOfMemory { .. } => PluginErrorKind::OutOfMemory,
            Self::Trap { .. } => PluginErrorKind::Trap,
            Self::BadOutput { .. } => PluginErrorKind::BadOutput,
            Self::CapabilityDenied { .. } => PluginErrorKind::CapabilityDenied,
            Self::Load { .. } => PluginErrorKind::Load,
            Self::Settings { .. } => PluginErrorKind::Settings,
            Self::Invalid { .. } | Self::Guest { .. } => PluginErrorKind::Guest,
        }
    }

    /// The plugin's configured name.
    pub fn plugin(&self) -> &str {
        match self {
            Self::Timeout { plugin, .. }
            | Self::OutOfMemory { plugin, .. }
            | Self::Trap { plugin, .. }
            | Self::BadOutput { plugin, .. }
            | Self::CapabilityDenied { plugin, .. }
            | Self::Load { plugin, .. }
            | Self::Settings { plugin, .. }
            | Self::Invalid { plugin, .. }
            | Self::Guest { plugin, .. } => plugin,
        }
    }

    /// What went wrong, without the plugin's name (for
    /// [`paved_core::Error::Plugin`], which carries the name itself).
    pub fn detail(&self) -> String {
        match self {
            Self::Timeout {
                deadline_ms,
                elapsed_ms,
                ..
            } => format!("timed out after {elapsed_ms} ms (deadline {deadline_ms} ms)"),
            Self::OutOfMemory { desired, limit, .. } => {
                format!("asked for {desired} bytes of memory, the cap is {limit} bytes")
            }
            Self::Invalid { violations, .. } => summary(violations),
            Self::Trap { message, .. }
            | Self::BadOutput { message, .. }
            | Self::CapabilityDenied { message, .. }
            | Self::Load { message, .. }
            | Self::Settings { message, .. }
            | Self::Guest { message, .. } => message.clone(),
        }
    }

    pub(crate) fn load(plugin: &str, message: impl Into<String>) -> Self {
        Self::Load {
            plugin: plugin.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn bad_output(plugin: &str, message: impl Into<String>) -> Self {
        Self::BadOutput {
            plugin: plugin.to_owned(),
            message: message.into(),
        }
    }
}

impl From<PluginError> for paved_core::Error {
    fn from(e: PluginError) -> Self {
        match e {
            PluginError::Invalid { plugin, violations } => paved_core::Error::Invalid {
                diagnostics: violations
                    .into_iter()
                    .map(|v| {
                        paved_core::Diagnostic::error(
                            v.path,
                            format!("{} (plugin '{plugin}')", v.message),
                        )
                    })
                    .collect(),
            },
            other => paved_core::Error::Plugin {
                kind: other.kind(),
                plugin: other.plugin().to_owned(),
                message: other.detail(),
            },
        }
    }
}
