//! On-disk cache of precompiled components.
//!
//! Key: SHA-256 of the component bytes plus SHA-256 of
//! `Engine::precompile_compatibility_hash` (wasmtime version, target, and the
//! settings that affect code). Entry: `PAVEDCW1` magic, SHA-256 of the payload,
//! payload. An entry whose checksum does not match, or that wasmtime refuses,
//! is recompiled and overwritten: cached code is never trusted blindly.
//! Writes go to a temporary file renamed into place, so readers never see a
//! half-written entry.
//!
//! Snapshots of prepared guardrails (`src/prepare.rs`) are kept beside the
//! compiled code: key SHA-256 of the component, of its settings and of the
//! snapshotter's version; entry `PAVEDSN1`, checksum, snapshot component. A
//! bad entry is ignored and the snapshot made again; a good one is compiled
//! (so validated) like any component, through the same cache.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 8] = b"PAVEDCW1";
/// Magic of a prepared-guardrail snapshot entry (see [`crate::prepare`]).
const SNAPSHOT_MAGIC: &[u8; 8] = b"PAVEDSN1";

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

    /// Where the snapshot of the component `bytes` prepared with `settings`
    /// lives (wizer's version is in the key: its output format is its own).
    pub fn snapshot_path(&self, bytes: &[u8], settings: &str) -> PathBuf {
        let mut h = Sha256::new();
        h.update(Sha256::digest(bytes));
        h.update(Sha256::digest(settings.as_bytes()));
        h.update(b"wasmtime-wizer 48");
        self.dir.join(format!(
            "{}-prepared.wasm",
            hex::encode(&h.finalize()[..24])
        ))
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
            Ok(entry) => match verified_payload(MAGIC, &entry) {
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
        if let Err(e) = write_entry(&path, MAGIC, &payload) {
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

/// The snapshot stored at `path` (see [`ComponentCache::snapshot_path`]),
/// if present and intact. It is compiled (and so validated) like any
/// component.
pub(crate) fn read_snapshot(path: &Path) -> Option<Vec<u8>> {
    let entry = std::fs::read(path).ok()?;
    match verified_payload(SNAPSHOT_MAGIC, &entry) {
        Ok(payload) => Some(payload.to_vec()),
        Err(why) => {
            tracing::warn!(path = %path.display(), %why, "ignoring a bad snapshot entry");
            None
        }
    }
}

/// Store a snapshot at `path`.
pub(crate) fn write_snapshot(path: &Path, snapshot: &[u8]) {
    if let Err(e) = write_entry(path, SNAPSHOT_MAGIC, snapshot) {
        tracing::warn!(path = %path.display(), error = %e, "could not write the snapshot cache");
    }
}

fn verified_payload<'a>(magic: &[u8; 8], entry: &'a [u8]) -> Result<&'a [u8], String> {
    let header = magic.len() + 32;
    if entry.len() < header || &entry[..magic.len()] != magic {
        return Err("not a paved cache entry".into());
    }
    let (sum, payload) = entry[magic.len()..].split_at(32);
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

fn write_entry(path: &Path, magic: &[u8; 8], payload: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!(
        "tmp.{}.{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let mut entry = Vec::with_capacity(magic.len() + 32 + payload.len());
    entry.extend_from_slice(magic);
    entry.extend_from_slice(&Sha256::digest(payload));
    entry.extend_from_slice(payload);
    std::fs::write(&tmp, &entry)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
