//! On-disk cache of precompiled components.
//!
//! Key: SHA-256 of the component bytes plus SHA-256 of
//! `Engine::precompile_compatibility_hash` (wasmtime version, target, and the
//! settings that affect code). Entry: `PAVEDCW1` magic, SHA-256 of the payload,
//! payload. An entry whose checksum does not match, or that wasmtime refuses,
//! is recompiled and overwritten: cached code is never trusted blindly.
//! Writes go to a temporary file renamed into place, so readers never see a
//! half-written entry.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 8] = b"PAVEDCW1";

/// How a component was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Compiled; no cache configured.
    Compiled,
    /// Loaded from a valid cache entry.
    Hit,
    /// Not in the cache; compiled and stored.
    Miss,
    /// The entry was corrupt or foreign; compiled again and overwritten.
    Recompiled { reason: String },
}

/// Feeds `Hash` output into SHA-256 (stable, unlike `DefaultHasher`).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// The precompiled-component cache in one directory.
#[derive(Debug, Clone)]
pub(crate) struct ComponentCache {
    dir: PathBuf,
    engine_key: String,
}

impl ComponentCache {
    pub fn new(dir: PathBuf, engine: &Engine) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let mut h = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        let engine_key = hex::encode(&h.0.finalize()[..12]);
        Ok(Self { dir, engine_key })
    }

    /// Where the entry for `bytes` lives.
    pub fn entry_path(&self, bytes: &[u8]) -> PathBuf {
        let content = hex::encode(Sha256::digest(bytes));
        self.dir
            .join(format!("{content}-{}.cwasm", self.engine_key))
    }

    /// Load `bytes` from the cache, or compile and store them.
    pub fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let path = self.entry_path(bytes);
        let reason = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => Some(format!("unreadable entry: {e}")),
            Ok(entry) => match verified_payload(&entry) {
                Err(why) => Some(why),
                Ok(payload) => match deserialize(engine, payload) {
                    Ok(component) => return Ok((component, CacheOutcome::Hit)),
                    Err(e) => Some(format!("rejected by wasmtime: {e}")),
                },
            },
        };
        if let Some(reason) = &reason {
            tracing::warn!(path = %path.display(), %reason, "recompiling a bad cache entry");
        }
        let payload = engine.precompile_component(bytes)?;
        if let Err(e) = write_entry(&path, &payload) {
            tracing::warn!(path = %path.display(), error = %e, "could not write the component cache");
        }
        let component = deserialize(engine, &payload)?;
        Ok((
            component,
            match reason {
                None => CacheOutcome::Miss,
                Some(reason) => CacheOutcome::Recompiled { reason },
            },
        ))
    }
}

fn verified_payload(entry: &[u8]) -> Result<&[u8], String> {
    let header = MAGIC.len() + 32;
    if entry.len() < header || &entry[..MAGIC.len()] != MAGIC {
        return Err("not a paved cache entry".into());
    }
    let (sum, payload) = entry[MAGIC.len()..].split_at(32);
    if Sha256::digest(payload).as_slice() != sum {
        return Err("checksum mismatch (corrupt entry)".into());
    }
    Ok(payload)
}

// The payload was produced by `Engine::precompile_component` of an engine with
// the same compatibility hash and its SHA-256 checksum was verified, which is
// what `Component::deserialize` requires of its input.
#[allow(unsafe_code)]
fn deserialize(engine: &Engine, payload: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: see above; the bytes are our own precompiled output, checksummed.
    unsafe { Component::deserialize(engine, payload) }
}

fn write_entry(path: &Path, payload: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!(
        "tmp.{}.{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let mut entry = Vec::with_capacity(MAGIC.len() + 32 + payload.len());
    entry.extend_from_slice(MAGIC);
    entry.extend_from_slice(&Sha256::digest(payload));
    entry.extend_from_slice(payload);
    std::fs::write(&tmp, &entry)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
