//! The parsers of the `/proc` files leaksoak reads (`status`, `smaps_rollup`, `/proc/self/stat`,
//! `/proc/stat`) and of a cgroup's `memory.stat`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = leaksoak::fuzz_api::proc(text);
    }
});
