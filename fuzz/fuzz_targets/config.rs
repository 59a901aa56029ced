//! The configuration loader: TOML text through shape checks and validation.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = leaksoak::fuzz_api::config(text);
});
