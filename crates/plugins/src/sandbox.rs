//! Turns a plugin's [`Grants`] into the WASI context of one call: preopened
//! directories with their permissions, a socket check that lets TCP reach
//! only the granted `host:port` pairs (and records every refused attempt),
//! and stdout/stderr captured per call and forwarded to `tracing`.

use std::collections::HashSet;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder};

use crate::config::{DirMode, Grants};
use crate::error::{PluginError, Result};

/// Bytes of stdout and of stderr kept per call; the rest is dropped.
const STDIO_CAPTURE_BYTES: usize = 64 * 1024;

/// Grants checked and resolved once, at load.
#[derive(Debug)]
pub(crate) struct Sandbox {
    grants: Grants,
    /// Addresses the granted `host:port` pairs resolved to.
    allowed: Arc<HashSet<SocketAddr>>,
    pub(crate) secrets: HashSet<String>,
}

/// Refused capability uses recorded during one call.
pub(crate) type Denials = Arc<Mutex<Vec<String>>>;

/// Guest output captured in one store (one call, or the calls of one
/// change's review).
#[derive(Clone)]
pub(crate) struct Stdio {
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
    /// Bytes of stdout and stderr already forwarded.
    forwarded: [usize; 2],
}

impl Stdio {
    fn new() -> Self {
        Self {
            stdout: MemoryOutputPipe::new(STDIO_CAPTURE_BYTES),
            stderr: MemoryOutputPipe::new(STDIO_CAPTURE_BYTES),
            forwarded: [0, 0],
        }
    }

    /// Send output captured since the last call of this to `tracing` under
    /// the plugin's name.
    pub fn forward(&mut self, plugin: &str) {
        let out = self.stdout.contents();
        let new = out.get(self.forwarded[0]..).unwrap_or_default();
        for line in String::from_utf8_lossy(new).lines() {
            let line = crate::display::sanitize_line(line);
            tracing::info!(target: "paved_plugins::guest", plugin, stream = "stdout", "{line}");
        }
        let err = self.stderr.contents();
        let new = err.get(self.forwarded[1]..).unwrap_or_default();
        for line in String::from_utf8_lossy(new).lines() {
            let line = crate::display::sanitize_line(line);
            tracing::warn!(target: "paved_plugins::guest", plugin, stream = "stderr", "{line}");
        }
        self.forwarded = [out.len(), err.len()];
    }

    /// The last lines of stderr (e.g. a Rust panic message), for error reports.
    pub fn stderr_tail(&self) -> String {
        let text = String::from_utf8_lossy(&self.stderr.contents()).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    }
}

impl Sandbox {
    /// Check the grants of plugin `name`: directories must exist, network
    /// grants must be `host:port` and resolve.
    pub fn new(name: &str, grants: &Grants) -> Result<Self> {
        let settings_err = |message: String| PluginError::Settings {
            plugin: name.to_owned(),
            message,
        };
        for (i, dir) in grants.dirs.iter().enumerate() {
            if !dir.host.is_dir() {
                return Err(settings_err(format!(
                    "grants.dirs[{i}].host: {} is not a directory",
                    dir.host.display()
                )));
            }
            if !dir.guest.starts_with('/') {
                return Err(settings_err(format!(
                    "grants.dirs[{i}].guest: '{}' must be an absolute guest path like /data",
                    dir.guest
                )));
            }
        }
        let mut allowed = HashSet::new();
        for (i, pair) in grants.network.iter().enumerate() {
            let addrs = pair.to_socket_addrs().map_err(|e| {
                settings_err(format!(
                    "grants.network[{i}]: '{pair}' is not a reachable host:port ({e})"
                ))
            })?;
            allowed.extend(addrs);
        }
        Ok(Self {
            grants: grants.clone(),
            allowed: Arc::new(allowed),
            secrets: grants.secrets.iter().cloned().collect(),
        })
    }

    /// Whether any directory is granted.
    pub fn has_dirs(&self) -> bool {
        !self.grants.dirs.is_empty()
    }

    /// Whether paths outside the granted directories are caught by an empty
    /// directory preopened at `/` (directories are granted, none at `/`).
    pub fn watches_outside(&self) -> bool {
        self.has_dirs()
            && !self
                .grants
                .dirs
                .iter()
                .any(|d| d.guest == OUTSIDE_GUEST_PATH)
    }

    /// Whether any network address is granted.
    pub fn network_granted(&self) -> bool {
        !self.grants.network.is_empty()
    }

    /// Whether `name` is the host of a granted `host:port` pair.
    pub fn may_resolve(&self, name: &str) -> bool {
        self.grants.network.iter().any(|pair| {
            let host = pair.rsplit_once(':').map_or(pair.as_str(), |(h, _)| h);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host.eq_ignore_ascii_case(name.trim_end_matches('.'))
        })
    }

    /// Whether catalogue lookups are granted.
    pub fn catalogue(&self) -> bool {
        self.grants.catalogue
    }

    /// The WASI context of one call; `outside` is the host's empty directory
    /// (see `src/wasi_watch.rs`).
    pub fn wasi(
        &self,
        plugin: &str,
        denials: &Denials,
        outside: &Path,
    ) -> Result<(WasiCtx, Stdio)> {
        let stdio = Stdio::new();
        let mut b = WasiCtxBuilder::new();
        b.stdout(stdio.stdout.clone()).stderr(stdio.stderr.clone());
        for dir in &self.grants.dirs {
            let perms = match dir.mode {
                DirMode::Ro => FsPerms::ReadOnly,
                DirMode::Rw => FsPerms::ReadWrite,
            };
            b.preopened_dir(&dir.host, &dir.guest, perms).map_err(|e| {
                PluginError::CapabilityDenied {
                    plugin: plugin.to_owned(),
                    message: format!("cannot open granted directory {}: {e}", dir.host.display()),
                }
            })?;
        }
        if self.watches_outside() {
            b.preopened_dir(outside, OUTSIDE_GUEST_PATH, FsPerms::ReadOnly)
                .map_err(|e| PluginError::CapabilityDenied {
                    plugin: plugin.to_owned(),
                    message: format!("cannot open {}: {e}", outside.display()),
                })?;
        }
        // TCP is on only with a network grant; without one the host's
        // `create-tcp-socket` (src/wasi_watch.rs) refuses before any host
        // socket exists. With one, the check below allows nothing but
        // connections to granted addresses (and the implicit wildcard bind a
        // connect performs), and records every refused attempt.
        let allowed = self.allowed.clone();
        let denials = denials.clone();
        b.allow_tcp(self.network_granted())
            .allow_udp(false)
            .allow_ip_name_lookup(self.network_granted())
            .socket_addr_check(move |addr, usage| {
                let ok = match usage {
                    SocketAddrUse::TcpConnect => allowed.contains(&addr),
                    SocketAddrUse::TcpBind => addr.ip().is_unspecified() && addr.port() == 0,
                    _ => false,
                };
                if !ok {
                    let mut d = denials.lock().unwrap_or_else(|p| p.into_inner());
                    d.push(format!("network {usage:?} {addr} is not granted"));
                }
                Box::pin(async move { ok })
            });
        Ok((b.build(), stdio))
    }
}

/// Where the empty directory is preopened for plugins with directory grants.
pub(crate) const OUTSIDE_GUEST_PATH: &str = "/";

/// An empty directory of the host's, for plugins' `/`.
///
/// On Linux it is made, opened and removed at once, and reached through
/// `/proc/self/fd`: nothing is left in the temporary directory whatever
/// becomes of the process (a test harness that never drops its host, a
/// killed process), and nothing can be created in it (a removed directory
/// takes no entries). Elsewhere, or without `/proc`, the named directory
/// stays until the host is dropped.
#[derive(Debug)]
pub(crate) struct EmptyDir {
    /// What a plugin's `/` is opened from.
    path: PathBuf,
    held: Held,
}

/// What keeps an [`EmptyDir`] there.
#[derive(Debug)]
enum Held {
    /// Removed, and reached through this open directory.
    Removed(#[allow(dead_code)] std::fs::File),
    /// The named directory, removed on drop.
    Named,
}

impl EmptyDir {
    pub fn new() -> std::io::Result<Self> {
        let named = Self::make()?;
        Ok(match Self::open_and_remove(&named) {
            Some((path, open)) => Self {
                path,
                held: Held::Removed(open),
            },
            None => Self {
                path: named,
                held: Held::Named,
            },
        })
    }

    /// A new directory under the temporary directory.
    fn make() -> std::io::Result<PathBuf> {
        static N: AtomicU32 = AtomicU32::new(0);
        // A process killed before its drop may leave a named directory
        // behind, and a later process may get the same pid: take the next
        // free name.
        let mut last = None;
        for _ in 0..64 {
            let path = std::env::temp_dir().join(format!(
                "paved-plugins-outside-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free directory name")))
    }

    /// The directory opened, removed, and its `/proc/self/fd` path; `None`
    /// (the directory left as it is) where that path does not reach it.
    #[cfg(target_os = "linux")]
    fn open_and_remove(named: &Path) -> Option<(PathBuf, std::fs::File)> {
        use std::os::fd::AsRawFd;
        let open = std::fs::File::open(named).ok()?;
        let path = PathBuf::from(format!("/proc/self/fd/{}", open.as_raw_fd()));
        if !std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            return None;
        }
        std::fs::remove_dir(named).ok()?;
        Some((path, open))
    }

    #[cfg(not(target_os = "linux"))]
    fn open_and_remove(_named: &Path) -> Option<(PathBuf, std::fs::File)> {
        None
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for EmptyDir {
    fn drop(&mut self) {
        if let Held::Named = self.held {
            let _ = std::fs::remove_dir(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_empty_directory_leaves_nothing_behind_and_takes_no_entries() {
        let prefix = format!("paved-plugins-outside-{}-", std::process::id());
        let named =
            |p: &Path| p.starts_with(std::env::temp_dir()) && p.to_string_lossy().contains(&prefix);
        let dir = EmptyDir::new().unwrap();
        assert!(!named(dir.path()), "{}", dir.path().display());
        assert!(dir.path().is_dir(), "{}", dir.path().display());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // What wasmtime does to preopen it: open the path again.
        let again = std::fs::File::open(dir.path()).unwrap();
        assert!(again.metadata().unwrap().is_dir());
        let err = std::fs::write(dir.path().join("x"), b"x").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
        assert!(std::fs::create_dir(dir.path().join("d")).is_err());
    }
}
