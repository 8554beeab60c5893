//! Outputs at rest: sealed with XChaCha20-Poly1305 (RustCrypto's
//! `chacha20poly1305`), a random 24-byte nonce per seal, and the resource's
//! key as associated data, so a sealed value moved to another resource's
//! row does not open. Stored as `v1:` + base64(nonce ‖ ciphertext).
//!
//! The key is 32 bytes: given in configuration, or `PAVED_STATE_KEY`
//! (base64 or 64 hex digits), or, for a SQLite file store, `state.key`
//! beside the database file (created on first use, mode 0600). A memory
//! store gets a random key for its lifetime. A PostgreSQL store with no key
//! cannot seal: applying a resource is refused with how to set one.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::platform::StoreSpec;

/// The environment variable a state key is read from.
pub const KEY_ENV: &str = "PAVED_STATE_KEY";
/// The key file's name beside a SQLite store.
pub const KEY_FILE: &str = "state.key";
const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;

/// Where the key comes from.
#[derive(Debug, Clone)]
enum Source {
    Key([u8; 32]),
    /// A key file, read (or created) on first use, so opening a platform
    /// that never seals writes nothing.
    File(PathBuf),
    /// No key: why, and what to do.
    Missing(String),
}

/// Seals and opens outputs with the platform's key.
pub struct Sealer {
    source: Source,
    key: std::sync::OnceLock<std::result::Result<[u8; 32], String>>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field(
                "source",
                &match &self.source {
                    Source::Key(_) => "key".to_string(),
                    Source::File(p) => p.display().to_string(),
                    Source::Missing(_) => "none".to_string(),
                },
            )
            .finish()
    }
}

fn key_error(why: impl Into<String>) -> Error {
    Error::invalid(Diagnostic::error("resources.stateKey", why))
}

/// Parse a key given as base64 (32 bytes) or 64 hex digits.
pub fn parse_key(text: &str) -> Result<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        hex::decode(text).map_err(|e| key_error(e.to_string()))?
    } else {
        STANDARD.decode(text).map_err(|e| {
            key_error(format!(
                "the state key is neither base64 nor 64 hex digits ({e}); make one with `openssl rand -base64 32`"
            ))
        })?
    };
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        key_error(format!(
            "the state key is {} bytes, expected 32; make one with `openssl rand -base64 32`",
            bytes.len()
        ))
    })
}

fn random_key() -> [u8; 32] {
    XChaCha20Poly1305::generate_key(&mut OsRng).into()
}

/// The key file of a SQLite store at `db`.
pub fn key_file(db: &Path) -> PathBuf {
    db.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(KEY_FILE)
}

fn load_or_create(path: &Path) -> Result<[u8; 32]> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    match std::fs::read_to_string(path) {
        Ok(text) => return parse_key(&text),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        Err(_) => {}
    }
    let key = random_key();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(STANDARD.encode(key).as_bytes())
                .map_err(io)?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            parse_key(&std::fs::read_to_string(path).map_err(io)?)
        }
        Err(e) => Err(io(e)),
    }
}

impl Sealer {
    /// The sealer of a platform on `spec`, with the configured key if any.
    pub fn for_store(configured: Option<[u8; 32]>, spec: &StoreSpec) -> Result<Self> {
        let source = if let Some(key) = configured {
            Source::Key(key)
        } else if let Ok(text) = std::env::var(KEY_ENV) {
            Source::Key(parse_key(&text).map_err(|e| key_error(format!("{KEY_ENV}: {e}")))?)
        } else {
            match spec {
                StoreSpec::Memory => Source::Key(random_key()),
                StoreSpec::Sqlite(path) => Source::File(key_file(path)),
                StoreSpec::Postgres(_) => Source::Missing(format!(
                    "no key to seal resource outputs with: a PostgreSQL store needs one, \
                     in paved.yaml (resources.stateKey) or in {KEY_ENV} (32 bytes, base64; \
                     make one with `openssl rand -base64 32`)"
                )),
            }
        };
        Ok(Self {
            source,
            key: std::sync::OnceLock::new(),
        })
    }

    fn cipher(&self) -> Result<XChaCha20Poly1305> {
        let key = self.key.get_or_init(|| match &self.source {
            Source::Key(k) => Ok(*k),
            Source::File(path) => load_or_create(path).map_err(|e| e.to_string()),
            Source::Missing(why) => Err(why.clone()),
        });
        let key = key.as_ref().map_err(|why| key_error(why.clone()))?;
        XChaCha20Poly1305::new_from_slice(key).map_err(|e| key_error(e.to_string()))
    }

    /// Seal `value` for the resource `aad`.
    pub fn seal(&self, aad: &str, value: &Value) -> Result<String> {
        let cipher = self.cipher()?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let plain = serde_json::to_vec(value).unwrap_or_default();
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| key_error("sealing failed"))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
    }

    /// Open what [`Sealer::seal`] sealed for the resource `aad`.
    pub fn open(&self, aad: &str, sealed: &str) -> Result<Value> {
        let cipher = self.cipher()?;
        let unreadable = |why: &str| {
            key_error(format!(
                "the sealed outputs of {aad} cannot be opened ({why}): the state key is not the one they were sealed with"
            ))
        };
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(|| unreadable("not a sealed value"))?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| unreadable("authentication failed"))?;
        serde_json::from_slice(&plain).map_err(|_| unreadable("not JSON"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sealer() -> Sealer {
        Sealer::for_store(Some([7; 32]), &StoreSpec::Memory).unwrap()
    }

    #[test]
    fn sealed_outputs_open_only_for_their_resource_and_key() {
        let s = sealer();
        let value = json!({"password": "hunter2-very-secret"});
        let sealed = s.seal("resource:default/db", &value).unwrap();
        assert!(!sealed.contains("hunter2"), "{sealed}");
        assert_eq!(s.open("resource:default/db", &sealed).unwrap(), value);
        assert!(s.open("resource:default/other", &sealed).is_err());
        let other = Sealer::for_store(Some([8; 32]), &StoreSpec::Memory).unwrap();
        let err = other.open("resource:default/db", &sealed).unwrap_err();
        assert!(err.to_string().contains("cannot be opened"), "{err}");
    }

    #[test]
    fn keys_parse_from_base64_or_hex_and_bad_ones_say_how_to_make_one() {
        assert_eq!(parse_key(&STANDARD.encode([1u8; 32])).unwrap(), [1; 32]);
        assert_eq!(parse_key(&"ab".repeat(32)).unwrap(), [0xab; 32]);
        let err = parse_key("c2hvcnQ=").unwrap_err().to_string();
        assert!(
            err.contains("5 bytes, expected 32") && err.contains("openssl"),
            "{err}"
        );
    }

    #[test]
    fn a_sqlite_store_gets_a_private_key_file_used_again_after() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("paved.db");
        let spec = StoreSpec::Sqlite(db.clone());
        if std::env::var_os(KEY_ENV).is_some() {
            return; // the environment's key wins; nothing to check here
        }
        let a = Sealer::for_store(None, &spec).unwrap();
        let sealed = a.seal("r", &json!(1)).unwrap();
        let b = Sealer::for_store(None, &spec).unwrap();
        assert_eq!(b.open("r", &sealed).unwrap(), json!(1));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_file(&db))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
