//! Secrets (API keys, bearer tokens): read from an environment variable or a file, never printed.

use super::problems::Problems;
use std::fmt;

/// A secret value. `Debug` and `Display` print `[redacted]`; only [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value, trimming the trailing newline files usually carry.
    pub fn new(value: &str) -> Self {
        Self(value.trim_end_matches(['\n', '\r']).to_owned())
    }

    /// The value, for the one place that sends it (an HTTP header) or compares it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Reads a secret from a file named in the config, at most [`MAX_SECRET_BYTES`](super::secret_text::MAX_SECRET_BYTES)
/// and checked to be one word on one line; an empty name means no secret.
pub fn secret_file(p: &mut Problems, key: &str, path: &str) -> Option<Secret> {
    if path.is_empty() {
        return None;
    }
    let read = super::secret_text::read_capped(path).map(|text| Secret::new(&text));
    match read.and_then(|s| super::secret_text::check(s.expose(), &format!("the file {path:?}")).map(|()| s)) {
        Ok(secret) => Some(secret),
        Err(e) => {
            p.push(key, e);
            None
        }
    }
}

/// Header names whose values are credentials; their values are redacted wherever settings are shown.
pub const SENSITIVE_HEADERS: &[&str] =
    &["authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "x-auth-token"];

/// Whether a header's value must be treated as a secret.
pub fn is_sensitive_header(name: &str) -> bool {
    SENSITIVE_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("sk-very-secret\n");
        assert_eq!(s.expose(), "sk-very-secret");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
    }
}
