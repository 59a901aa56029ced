//! The `cgroup` source's reader over files holding the input (`memory.current`, `memory.stat`,
//! `pids.current`, `tasks`, split at NUL bytes).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("leaksoak-fuzz-cgroup-{}", std::process::id()));
    let _ = leaksoak::fuzz_api::cgroup(&dir, data);
});
