//! The PromQL HTTP API response decoder of the `promql` memory source.
#![no_main]
libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    let _ = leaksoak::fuzz_api::promql(body);
});
