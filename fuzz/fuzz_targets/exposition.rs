//! The Prometheus text-format parser of the `scrape` memory source.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = leaksoak::fuzz_api::exposition(text);
});
