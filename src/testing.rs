//! Helpers for the unit tests of several modules.

use std::path::PathBuf;

/// Fails when the checked-in file `relative` (to the crate root) differs from `generated`, the text the
/// code produces now; with `LEAKSOAK_BLESS` set, writes it first. `test` is the name of the calling test,
/// for the message that says how to regenerate the file.
pub fn assert_generated(relative: &str, generated: &str, test: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("LEAKSOAK_BLESS").is_some() {
        std::fs::write(&path, generated).unwrap_or_else(|e| panic!("write {relative}: {e}"));
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{relative} drifted from the code; regenerate it with `LEAKSOAK_BLESS=1 cargo test --lib {test}`"
    );
}
