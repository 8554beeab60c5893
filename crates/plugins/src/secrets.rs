//! Where secret values come from. A plugin reads a secret by name through the
//! `secret` host import, and only names listed in its grants are looked up.

use std::collections::HashMap;

/// A source of secret values, supplied by the platform.
pub trait SecretStore: Send + Sync {
    /// The value of the secret `name`, if there is one.
    fn secret(&self, name: &str) -> Option<String>;
}

impl SecretStore for HashMap<String, String> {
    fn secret(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Secrets from environment variables: `name` is read from
/// `PAVED_SECRET_<NAME>` (upper case, `-` and `.` as `_`).
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvSecrets;

impl EnvSecrets {
    /// The variable a secret name is read from.
    pub fn variable(name: &str) -> String {
        let mut var = String::from("PAVED_SECRET_");
        var.extend(name.chars().map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        }));
        var
    }
}

impl SecretStore for EnvSecrets {
    fn secret(&self, name: &str) -> Option<String> {
        std::env::var(Self::variable(name)).ok()
    }
}

/// No secrets at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSecrets;

impl SecretStore for NoSecrets {
    fn secret(&self, _name: &str) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_variable_names() {
        assert_eq!(
            EnvSecrets::variable("db-token.v2"),
            "PAVED_SECRET_DB_TOKEN_V2"
        );
    }
}
