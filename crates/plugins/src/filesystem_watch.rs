//! What the host sees of a guest's filesystem use, so that reaching past the
//! granted directories is a `CapabilityDenied`, not a guest's "file not
//! found".
//!
//! A guest's libc resolves a path against the directories preopened for it,
//! without asking the host. So:
//!
//! - a plugin granted **no** directory: the host replaces WASI's
//!   `get-directories` with one that records a denial (libc asks for the
//!   preopens the first time it resolves any path);
//! - a plugin granted directories: an empty directory of the host's
//!   ([`EmptyDir`]) is preopened read-only at `/` as well, so libc resolves
//!   any path outside the grants against it (the longest matching preopen
//!   wins: `/data/x` still goes to a grant at `/data`); the host replaces
//!   `open-at` and `stat-at` with ones that refuse, and record, any use of
//!   that directory, and pass everything else to WASI.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::filesystem::WasiFilesystemView;
use wasmtime_wasi::p2::bindings::filesystem::preopens::Host as _;
use wasmtime_wasi::p2::bindings::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorStat, ErrorCode, Host as _, HostDescriptor as _,
    OpenFlags, PathFlags,
};

use crate::state::CallState;

/// The WASI version of `wasi:filesystem` that wasmtime-wasi defines (guests
/// importing any 0.2.x version are linked to it).
const WASI_FILESYSTEM: &str = "@0.2.12";

/// Where the empty directory is preopened for plugins with directory grants.
pub(crate) const OUTSIDE_GUEST_PATH: &str = "/";

/// An empty directory of the host's, removed when the host goes.
#[derive(Debug)]
pub(crate) struct EmptyDir(PathBuf);

impl EmptyDir {
    pub fn new() -> std::io::Result<Self> {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "paved-plugins-outside-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&path)?;
        Ok(Self(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for EmptyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Shadow WASI's `get-directories`, `open-at` and `stat-at` (see the module
/// docs).
pub(crate) fn watch(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let r = shadow(linker);
    linker.allow_shadowing(false);
    r
}

fn shadow(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker
        .instance(&format!("wasi:filesystem/preopens{WASI_FILESYSTEM}"))?
        .func_wrap(
            "get-directories",
            |mut store: StoreContextMut<'_, CallState>, (): ()| {
                let state = store.data_mut();
                let dirs = state.filesystem().get_directories()?;
                state.note_preopens(dirs.iter().map(|(fd, name)| (fd.rep(), name.as_str())));
                Ok((dirs,))
            },
        )?;
    let mut types = linker.instance(&format!("wasi:filesystem/types{WASI_FILESYSTEM}"))?;
    types.func_wrap_async(
        "[method]descriptor.open-at",
        |mut store: StoreContextMut<'_, CallState>,
         (fd, path_flags, path, open_flags, flags): (
            Resource<Descriptor>,
            PathFlags,
            String,
            OpenFlags,
            DescriptorFlags,
        )| {
            Box::new(async move {
                let state = store.data_mut();
                if state.refuse_outside(fd.rep(), &path) {
                    return Ok((Err(ErrorCode::NotPermitted),));
                }
                let mut fs = state.filesystem();
                Ok((
                    match fs.open_at(fd, path_flags, path, open_flags, flags).await {
                        Ok(fd) => Ok(fd),
                        Err(e) => Err(fs.convert_error_code(e)?),
                    },
                ))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.stat-at",
        |mut store: StoreContextMut<'_, CallState>,
         (fd, path_flags, path): (Resource<Descriptor>, PathFlags, String)| {
            Box::new(async move {
                let state = store.data_mut();
                if state.refuse_outside(fd.rep(), &path) {
                    return Ok((Err::<DescriptorStat, _>(ErrorCode::NotPermitted),));
                }
                let mut fs = state.filesystem();
                Ok((match fs.stat_at(fd, path_flags, path).await {
                    Ok(stat) => Ok(stat),
                    Err(e) => Err(fs.convert_error_code(e)?),
                },))
            })
        },
    )?;
    Ok(())
}
