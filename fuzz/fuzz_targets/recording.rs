//! The recording reader, as `analyze` judges a recording and as the daemon resumes from its record file.
#![no_main]
use std::cell::RefCell;

thread_local! {
    /// One engine for the whole run: building one per input would measure reqwest, not the reader.
    static RECORDING: RefCell<leaksoak::fuzz_api::Recording> = RefCell::new(leaksoak::fuzz_api::Recording::new(
        std::env::temp_dir().join(format!("leaksoak-fuzz-recording-{}", std::process::id())),
    ));
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    RECORDING.with(|r| r.borrow_mut().run(data));
});
