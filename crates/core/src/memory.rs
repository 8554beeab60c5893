//! Giving memory back to the operating system after a large batch.
//!
//! A bulk import holds every entity of its batch (about 3.0 GB parsed at
//! 1,000,000 entities) and, while it commits, SQLite's bulk page cache. When it
//! returns, that memory is free but glibc's allocator keeps most of it in
//! its arenas (one per thread that allocated), so the process stays that
//! large and the page cache the store's reads need is squeezed out (at
//! 1,000,000 entities on SQLite, a query by owner went from 2 to 11 ms).
//! [`release_free_memory`] asks the allocator to return what it holds free,
//! after a batch of [`crate::store::BULK`] changes or more.

/// Return the allocator's free memory to the operating system (glibc's
/// `malloc_trim`; a no-op with other allocators). Takes milliseconds per
/// gigabyte: call it after a large batch, not per request.
#[allow(unsafe_code)]
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only walks the allocator's own free lists; it
    // takes no pointers from us and is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
