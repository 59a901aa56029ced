//! The load generator's answer scanner, differentially: on every input it must decide what the serde_json
//! decoding it replaced decides (bodies from raw bytes; SSE events after a lossy UTF-8 decoding), except
//! that an answer must be an object (serde also read a two-element array as the struct).
#![no_main]
use serde::de::IgnoredAny;

/// The decoding the scanner replaced.
#[derive(serde::Deserialize)]
struct Envelope {
    choices: Option<IgnoredAny>,
    data: Option<IgnoredAny>,
}

fn verdicts(e: Option<Envelope>) -> [bool; 2] {
    e.map_or([false, false], |e| [e.choices.is_some(), e.data.is_some()])
}

libfuzzer_sys::fuzz_target!(|text: &[u8]| {
    if text.trim_ascii_start().first() != Some(&b'{') {
        assert_eq!(leaksoak::fuzz_api::answer(text), [false; 4], "on {:?}", String::from_utf8_lossy(text));
        return;
    }
    let [choices, data] = verdicts(serde_json::from_slice(text).ok());
    let [lossy_choices, lossy_data] = verdicts(serde_json::from_str(&String::from_utf8_lossy(text)).ok());
    let expected = [choices, data, lossy_choices, lossy_data];
    assert_eq!(leaksoak::fuzz_api::answer(text), expected, "on {:?}", String::from_utf8_lossy(text));
});
