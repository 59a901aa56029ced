//! Secrets (API keys, bearer tokens): read from an environment variable or a file, never printed.

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

impl super::Settings {
    /// Every secret value these settings hold (API keys, credential headers, the bearer token, passwords in
    /// URLs), for scrubbing text that is not built from settings, such as panic messages.
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self.server.bearer_token.iter().map(|t| t.expose().to_owned()).collect();
        let mut urls: Vec<&url::Url> = vec![];
        for s in &self.scenarios {
            out.extend(s.api_key.iter().map(|k| k.expose().to_owned()));
            let sensitive = s.headers.values().filter(|v| v.is_sensitive());
            out.extend(sensitive.filter_map(|v| v.to_str().ok()).map(str::to_owned));
            if let super::scenario::Target::Urls(list) = &s.target {
                urls.extend(list);
            }
        }
        if let super::memory::MemorySource::Scrape { url, .. } | super::memory::MemorySource::Promql { url, .. } =
            &self.memory.source
        {
            urls.push(url);
        }
        out.extend(urls.iter().filter_map(|u| u.password()).map(str::to_owned));
        out.retain(|s| !s.is_empty());
        out
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
