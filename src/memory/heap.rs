//! `self-heap`: live heap bytes, counted by a thin wrapper around the system allocator.
//!
//! The library never installs it; the `leaksoak` binary does, in `main.rs`:
//!
//! ```
//! #[global_allocator]
//! static ALLOC: leaksoak::memory::CountingAlloc = leaksoak::memory::CountingAlloc::new();
//!
//! fn main() {
//!     let block = vec![0u8; 1 << 20];
//!     assert!(leaksoak::memory::live_heap_bytes().is_ok_and(|live| live >= 1 << 20));
//!     drop(block);
//! }
//! ```
//!
//! Binaries that do not (unit tests, other tools) get [`Error::HeapNotCounted`] from [`live_heap_bytes`]
//! rather than a misleading 0.
// Implementing `GlobalAlloc` is unsafe by nature. The crate denies `unsafe_code`; the few modules that need it
// (this one, and the libc calls of `limits`, `metrics/process.rs`, `serve/priority.rs`) allow it one by one.
#![allow(unsafe_code)]

use super::Error;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

/// Bytes currently allocated through [`CountingAlloc`], process-wide.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// Set by the first allocation through [`CountingAlloc`]: proof that it is the global allocator.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The system allocator, counting live bytes with relaxed atomics (one `fetch_add`/`fetch_sub` per call).
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

impl CountingAlloc {
    /// A counting allocator, for a `#[global_allocator]` static.
    pub const fn new() -> Self {
        Self
    }
}

fn added(bytes: usize) {
    LIVE.fetch_add(bytes, Relaxed);
    if !INSTALLED.load(Relaxed) {
        INSTALLED.store(true, Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's own arguments, so `System`'s guarantees hold
// unchanged; the counting beside it touches only atomics and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract (non-zero size), which is `System`'s.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            added(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as `alloc`, forwarded unchanged.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            added(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, i.e. by `System`, with this `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` and `layout` come from this allocator (i.e. `System`); the caller guarantees
        // `new_size` is valid for `layout.align()`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            // On failure the old block stays allocated and the count stays right.
            LIVE.fetch_sub(layout.size(), Relaxed);
            added(new_size);
        }
        new
    }
}

/// Live heap bytes of this process, if [`CountingAlloc`] is its global allocator.
pub fn live_heap_bytes() -> Result<u64, Error> {
    if !INSTALLED.load(Relaxed) {
        return Err(Error::HeapNotCounted);
    }
    Ok(LIVE.load(Relaxed) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_installed_in_unit_tests_is_an_error_not_zero() {
        assert_eq!(live_heap_bytes(), Err(Error::HeapNotCounted));
    }
}
