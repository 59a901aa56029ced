//! The SSE stream reader of the load generator: arbitrary bytes, cut into chunks of a fuzzed size.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: (u8, &[u8])| {
    let (chunk, data) = input;
    let _ = leaksoak::fuzz_api::sse(data, usize::from(chunk).max(1));
});
