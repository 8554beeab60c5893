//! What the host sees of a guest's use of WASI, so that reaching past the
//! grants is a `CapabilityDenied` (not a guest's "file not found"), and so
//! that no call can hold more host resources than its share.
//!
//! The host replaces ("shadows") some WASI imports with its own, which check
//! and record, then pass what is allowed to wasmtime-wasi:
//!
//! Files. A guest's libc resolves a path against the directories preopened
//! for it, without asking the host. So:
//!
//! - a plugin granted **no** directory: `get-directories` records a denial
//!   (libc asks for the preopens the first time it resolves any path);
//! - a plugin granted directories: an empty directory of the host's
//!   ([`crate::sandbox::EmptyDir`]) is preopened read-only at `/` as well, so
//!   libc resolves any path outside the grants against it (the longest
//!   matching preopen wins: `/data/x` still goes to a grant at `/data`);
//!   `open-at` and `stat-at` refuse, and record, any use of that directory;
//! - `open-at` refuses what is not a regular file or a directory (a FIFO, a
//!   socket, a device): opening a FIFO blocks a host thread in `open(2)`
//!   until a writer comes, which no deadline can interrupt and which would
//!   hold up the host's shutdown;
//! - `symlink-at` refuses absolute targets and targets that climb with `..`,
//!   and `link-at` refuses links between two different descriptors, so that
//!   nothing a guest leaves behind in a writable grant points outside it;
//! - every descriptor opened counts against `state::MAX_DESCRIPTORS` per call.
//!
//! Sockets. Without a network grant a guest cannot create a socket at all
//! (each attempt is a recorded denial, and no host descriptor is made); with
//! one, sockets count against the same cap and `resolve-addresses`
//! answers only for the granted host names.

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::filesystem::WasiFilesystemView;
use wasmtime_wasi::p2::bindings::filesystem::preopens::Host as _;
use wasmtime_wasi::p2::bindings::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorStat, DescriptorType, ErrorCode, Host as _,
    HostDescriptor as _, OpenFlags, PathFlags,
};
use wasmtime_wasi::p2::bindings::sockets::ip_name_lookup::{Host as _, ResolveAddressStream};
use wasmtime_wasi::p2::bindings::sockets::network::{
    ErrorCode as NetError, Host as _, IpAddressFamily, Network,
};
use wasmtime_wasi::p2::bindings::sockets::tcp_create_socket::Host as _;
use wasmtime_wasi::p2::{TcpSocket, UdpSocket};
use wasmtime_wasi::sockets::WasiSocketsView;

use crate::state::CallState;

/// The WASI version of `wasi:filesystem` and `wasi:sockets` that
/// wasmtime-wasi defines (guests importing any 0.2.x version are linked to
/// it).
const WASI: &str = "@0.2.12";

/// Shadow WASI's filesystem and socket imports (see the module docs).
pub(crate) fn watch(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let r = shadow_files(linker).and_then(|()| shadow_sockets(linker));
    linker.allow_shadowing(false);
    r
}

/// A second borrow of the descriptor `fd` (borrows are plain handles).
fn again(fd: &Resource<Descriptor>) -> Resource<Descriptor> {
    Resource::new_borrow(fd.rep())
}

/// Whether a symlink target could resolve outside the directory it is in.
fn climbs_out(target: &str) -> bool {
    target.starts_with('/') || target.split('/').any(|part| part == "..")
}

fn shadow_files(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker
        .instance(&format!("wasi:filesystem/preopens{WASI}"))?
        .func_wrap(
            "get-directories",
            |mut store: StoreContextMut<'_, CallState>, (): ()| {
                let state = store.data_mut();
                let dirs = state.filesystem().get_directories()?;
                state.note_preopens(dirs.iter().map(|(fd, name)| (fd.rep(), name.as_str())));
                Ok((dirs,))
            },
        )?;
    let mut types = linker.instance(&format!("wasi:filesystem/types{WASI}"))?;
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
                state.count_descriptor()?;
                let mut fs = state.filesystem();
                // What is there now: anything but a file or a directory is
                // refused before `open(2)` could block on it.
                if let Ok(stat) = fs.stat_at(again(&fd), path_flags, path.clone()).await
                    && !matches!(
                        stat.type_,
                        DescriptorType::RegularFile
                            | DescriptorType::Directory
                            | DescriptorType::SymbolicLink
                    )
                {
                    let what = format!("{:?}", stat.type_);
                    store.data_mut().record_denial(format!(
                        "opening '{path}' ({what}): only regular files and directories may be opened"
                    ));
                    return Ok((Err(ErrorCode::NotPermitted),));
                }
                let mut fs = store.data_mut().filesystem();
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
    types.func_wrap_async(
        "[method]descriptor.symlink-at",
        |mut store: StoreContextMut<'_, CallState>,
         (fd, target, link): (Resource<Descriptor>, String, String)| {
            Box::new(async move {
                let state = store.data_mut();
                if state.refuse_outside(fd.rep(), &link) {
                    return Ok((Err(ErrorCode::NotPermitted),));
                }
                if climbs_out(&target) {
                    state.record_denial(format!(
                        "symlink '{link}' -> '{target}': a link may not point outside its directory"
                    ));
                    return Ok((Err(ErrorCode::NotPermitted),));
                }
                let mut fs = state.filesystem();
                Ok((match fs.symlink_at(fd, target, link).await {
                    Ok(()) => Ok(()),
                    Err(e) => Err(fs.convert_error_code(e)?),
                },))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.link-at",
        |mut store: StoreContextMut<'_, CallState>,
         (fd, flags, old, new_fd, new): (
            Resource<Descriptor>,
            PathFlags,
            String,
            Resource<Descriptor>,
            String,
        )| {
            Box::new(async move {
                let state = store.data_mut();
                if state.refuse_outside(fd.rep(), &old) || state.refuse_outside(new_fd.rep(), &new)
                {
                    return Ok((Err(ErrorCode::NotPermitted),));
                }
                if fd.rep() != new_fd.rep() {
                    state.record_denial(format!(
                        "hard link '{new}' -> '{old}': links between two directories are not allowed"
                    ));
                    return Ok((Err(ErrorCode::NotPermitted),));
                }
                let mut fs = state.filesystem();
                Ok((match fs.link_at(fd, flags, old, new_fd, new).await {
                    Ok(()) => Ok(()),
                    Err(e) => Err(fs.convert_error_code(e)?),
                },))
            })
        },
    )?;
    Ok(())
}

fn shadow_sockets(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker
        .instance(&format!("wasi:sockets/tcp-create-socket{WASI}"))?
        .func_wrap(
            "create-tcp-socket",
            |mut store: StoreContextMut<'_, CallState>, (family,): (IpAddressFamily,)| {
                let state = store.data_mut();
                if !state.network_granted() {
                    state.record_denial(
                        "network access is not granted (the plugin tried to open a TCP socket)"
                            .into(),
                    );
                    return Ok((Err::<Resource<TcpSocket>, _>(NetError::AccessDenied),));
                }
                state.count_descriptor()?;
                let mut sockets = state.sockets();
                Ok((match sockets.create_tcp_socket(family) {
                    Ok(s) => Ok(s),
                    Err(e) => Err(sockets.convert_error_code(e)?),
                },))
            },
        )?;
    linker
        .instance(&format!("wasi:sockets/udp-create-socket{WASI}"))?
        .func_wrap(
            "create-udp-socket",
            |mut store: StoreContextMut<'_, CallState>, (_family,): (IpAddressFamily,)| {
                store.data_mut().record_denial(
                    "UDP is never granted (the plugin tried to open a UDP socket)".into(),
                );
                Ok((Err::<Resource<UdpSocket>, _>(NetError::AccessDenied),))
            },
        )?;
    linker
        .instance(&format!("wasi:sockets/ip-name-lookup{WASI}"))?
        .func_wrap(
            "resolve-addresses",
            |mut store: StoreContextMut<'_, CallState>,
             (network, name): (Resource<Network>, String)| {
                let state = store.data_mut();
                if !state.may_resolve(&name) {
                    state.record_denial(format!(
                        "name lookup of '{name}' is not granted (only granted hosts resolve)"
                    ));
                    return Ok((Err::<Resource<ResolveAddressStream>, _>(
                        NetError::PermanentResolverFailure,
                    ),));
                }
                let mut sockets = state.sockets();
                Ok((match sockets.resolve_addresses(network, name) {
                    Ok(s) => Ok(s),
                    Err(e) => Err(sockets.convert_error_code(e)?),
                },))
            },
        )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::climbs_out;

    #[test]
    fn symlink_targets_that_could_leave_the_directory() {
        for t in ["/etc/passwd", "../x", "a/../../b", "a/.."] {
            assert!(climbs_out(t), "{t}");
        }
        for t in ["x", "a/b", "..a", "a..b/c"] {
            assert!(!climbs_out(t), "{t}");
        }
    }
}
