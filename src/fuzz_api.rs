//! Entry points for the fuzz targets under `fuzz/` (not a stable API): each feeds untrusted bytes to one of
//! leaksoak's parsers the way the daemon does, and must return, never panic.

use crate::load::ErrorKind;

/// The SSE stream reader, over `data` cut into chunks of `chunk` bytes: the verdict it reaches.
pub fn sse(data: &[u8], chunk: usize) -> Result<(), ErrorKind> {
    crate::load::read_sse_for_fuzzing(data, chunk)
}

/// The Prometheus text-format parser of the `scrape` source: every line parsed.
pub fn exposition(text: &str) -> usize {
    crate::memory::exposition::samples(text).filter(|(_, r)| r.is_ok()).count()
}

/// The PromQL response decoder of the `promql` source.
pub fn promql(body: &[u8]) -> bool {
    crate::memory::decode_promql_for_fuzzing(body)
}

/// The configuration loader, from TOML text through validation: the problems found (0 when valid).
pub fn config(text: &str) -> usize {
    match crate::settings::from_toml_str(text) {
        Ok(_) => 0,
        Err(e) => e.problems.len(),
    }
}
