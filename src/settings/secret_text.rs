//! The text of a secret (an API key, a bearer token) as it is read: bounded, and checked to be one token
//! that can be sent in an `Authorization` header as it is.

use crate::files::{FileError, read_capped as read_file};
use std::path::Path;

/// The longest secret read, file or environment variable: 8 KiB. API keys and tokens are well under 2 KiB,
/// and nginx (like most proxies) refuses a request header line over 8 KiB by default, so a longer one could
/// not be sent anyway. The cap keeps `api_key_file = "/dev/zero"` from being read until memory runs out.
pub const MAX_SECRET_BYTES: u64 = 8 * 1024;

/// The text of a secret file, a regular file read up to [`MAX_SECRET_BYTES`] (a FIFO is refused without
/// waiting for a writer); the error says what is wrong with it.
pub fn read_capped(path: &str) -> Result<String, String> {
    let bytes = read_file(Path::new(path), MAX_SECRET_BYTES).map_err(|e| match e {
        FileError::Io { detail, .. } => format!("cannot read {path:?}: {detail}"),
        FileError::NotRegular { kind, .. } => format!("the file {path:?} is {kind}, not a regular file"),
        FileError::TooLong { .. } | FileError::NotText { .. } => {
            format!("the file {path:?} is longer than {MAX_SECRET_BYTES} bytes, too long for a key")
        }
    })?;
    String::from_utf8(bytes).map_err(|_| format!("the file {path:?} is not UTF-8 text"))
}

/// Checks a secret's value (its trailing newline already dropped) from `origin` (`the file "key"`,
/// `environment variable X`): not empty, and no whitespace or control character inside, which would
/// break or silently change the header it is sent in. The error never quotes the value.
pub fn check(value: &str, origin: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{origin} is empty"));
    }
    if value.len() as u64 > MAX_SECRET_BYTES {
        return Err(format!("{origin} is longer than {MAX_SECRET_BYTES} bytes, too long for a key"));
    }
    match value.chars().position(|c| c.is_whitespace() || c.is_control()) {
        Some(at) => Err(format!(
            "{origin} holds whitespace or a control character (character {} of the value); a key is one \
             word on one line",
            at + 1
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_at_most_the_cap() {
        let err = read_capped("/dev/zero").expect_err("endless");
        assert_eq!(err, "the file \"/dev/zero\" is a character device, not a regular file");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big");
        std::fs::write(&path, "x".repeat(MAX_SECRET_BYTES as usize + 1)).expect("write");
        let err = read_capped(path.to_str().expect("utf-8")).expect_err("too long");
        assert!(err.contains("longer than 8192 bytes"), "{err}");
        let path = dir.path().join("key");
        std::fs::write(&path, "x".repeat(MAX_SECRET_BYTES as usize)).expect("write");
        assert_eq!(read_capped(path.to_str().expect("utf-8")).map(|t| t.len()), Ok(8192));
        std::fs::write(&path, [0xff, 0xfe]).expect("write");
        assert!(read_capped(path.to_str().expect("utf-8")).expect_err("binary").contains("not UTF-8"));
    }

    #[test]
    fn a_key_is_one_word_on_one_line() {
        assert_eq!(check("sk-abc.DEF_123", "it"), Ok(()));
        for (bad, expected) in [
            ("sk-abc\ndef", "it holds whitespace or a control character (character 7 of the value)"),
            ("sk abc", "character 3"),
            ("\tsk", "character 1"),
            ("sk\u{7f}", "character 3"),
            ("  ", "it is empty"),
            ("", "it is empty"),
        ] {
            let err = check(bad, "it").expect_err(bad);
            assert!(err.contains(expected), "{bad:?}: {err}");
            assert!(!err.contains("sk"), "the value is never quoted: {err}");
        }
    }
}
