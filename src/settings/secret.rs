//! Secrets (API keys, bearer tokens): read from an environment variable or a file, never printed.
//!
//! Every secret a configuration names is read here, by [`secret_file`] or [`secret_env`], which is also where
//! `check-config --skip-secrets` ([`SecretReading::Skip`]) takes effect.

use super::problems::{Problems, SecretReading};
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

/// What a secret holds when it was not read ([`SecretReading::Skip`]): a value that passes every check a
/// read one must pass, so the rest of the configuration is judged as if the secret were there.
pub const NOT_READ: &str = "secret-not-read";

/// Reads a secret from a file named in the config, at most [`MAX_SECRET_BYTES`](super::secret_text::MAX_SECRET_BYTES)
/// and checked to be one word on one line; an empty name means no secret. Under [`SecretReading::Skip`]
/// the file is not opened and the secret is [`NOT_READ`].
pub fn secret_file(p: &mut Problems, key: &str, path: &str) -> Option<Secret> {
    if path.is_empty() {
        return None;
    }
    if p.secret_reading() == SecretReading::Skip {
        return Some(Secret::new(NOT_READ));
    }
    checked(p, key, &format!("the file {path:?}"), super::secret_text::read_capped(path))
}

/// Reads a secret from the environment variable `name` (named in the config under `key`): set, UTF-8, and
/// one word on one line; an empty name means no secret. Under [`SecretReading::Skip`] the environment is
/// not looked at and the secret is [`NOT_READ`].
pub fn secret_env(p: &mut Problems, key: &str, name: &str) -> Option<Secret> {
    if name.is_empty() {
        return None;
    }
    if p.secret_reading() == SecretReading::Skip {
        return Some(Secret::new(NOT_READ));
    }
    let origin = format!("environment variable {name}");
    let read = std::env::var(name).map_err(|e| match e {
        std::env::VarError::NotPresent => format!("{origin} is not set"),
        std::env::VarError::NotUnicode(_) => format!("{origin} is not UTF-8 text"),
    });
    checked(p, key, &origin, read)
}

/// The secret read from `origin`, if it was read and is one word on one line; otherwise a problem at `key`.
fn checked(p: &mut Problems, key: &str, origin: &str, read: Result<String, String>) -> Option<Secret> {
    let secret = read.map(|text| Secret::new(&text));
    match secret.and_then(|s| super::secret_text::check(s.expose(), origin).map(|()| s)) {
        Ok(secret) => Some(secret),
        Err(e) => {
            p.push(key, e);
            None
        }
    }
}

/// Parts of a header or URL query parameter name that mark its value as a credential (`X-Goog-Api-Key`,
/// `anthropic-api-key`, `Ocp-Apim-Subscription-Key`, `X-Amz-Security-Token`, `?api_key=`, `?token=`,
/// `Authorization`, `Cookie`, `X-Jwt`, `X-Pass`, `X-Cred`, `X-Client-Cert`, `Bearer`, `?code=`, …). Matched case-insensitively anywhere in the name: a harmless header
/// redacted by mistake costs nothing, a credential printed costs a rotation. Headers that carry a secret
/// under another name are listed in a scenario's `secret_headers`.
pub const SECRET_NAME_PARTS: &[&str] = &[
    "key",
    "token",
    "secret",
    "auth",
    "pass",
    "cred",
    "signature",
    "cookie",
    "session",
    "sig",
    "jwt",
    "bearer",
    "cert",
    "code",
    "nonce",
    "otp",
];

/// Whether a header or query parameter named `name` holds a secret.
pub fn is_sensitive_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_NAME_PARTS.iter().any(|part| name.contains(part))
}

/// `url` as it may be shown: its password and the values of query parameters with secret names
/// ([`is_sensitive_header`]) replaced by `redacted`.
pub fn shown_url(url: &url::Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("redacted"));
    }
    if url.query_pairs().any(|(k, _)| is_sensitive_header(&k)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_sensitive_header(&k) { "redacted".into() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// `text`, a URL that may not parse, as it may be shown: a parsed URL with a host as [`shown_url`] shows it;
/// otherwise
/// whatever comes before an `@` in its authority (`user:password`) and the values of query parameters with
/// secret names are replaced by `redacted`. Every message that quotes a configured URL goes through this.
pub fn shown_url_text(text: &str) -> String {
    // `user:password@host/` parses, as a URL of scheme `user` without a host.
    if let Ok(url) = url::Url::parse(text).map_err(drop).and_then(|u| if u.has_host() { Ok(u) } else { Err(()) }) {
        return shown_url(&url);
    }
    let (head, query) = text.split_once('?').map_or((text, None), |(h, q)| (h, Some(q)));
    let (scheme, rest) = head.split_once("://").map_or(("", head), |(s, r)| (s, r));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let rest = match rest[..authority_end].rfind('@') {
        Some(at) => format!("redacted{}", &rest[at..]),
        None => rest.to_owned(),
    };
    let mut shown = if scheme.is_empty() && !head.contains("://") { rest } else { format!("{scheme}://{rest}") };
    if let Some(query) = query {
        let pairs = query.split('&').map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_sensitive_header(k) => format!("{k}=redacted"),
            _ => pair.to_owned(),
        });
        shown = format!("{shown}?{}", pairs.collect::<Vec<_>>().join("&"));
    }
    shown
}

/// The secret values in `url`: its password and the values of query parameters with secret names.
pub fn url_secrets(url: &url::Url) -> Vec<String> {
    let query = url.query_pairs().filter(|(k, v)| is_sensitive_header(k) && !v.is_empty()).map(|(_, v)| v.into_owned());
    url.password().map(str::to_owned).into_iter().chain(query).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_looking_names_are_matched_by_pattern() {
        for name in ["X-Jwt", "X-Pass", "X-Cred", "X-Client-Cert", "Bearer", "code", "X-Api-Key", "nonce"] {
            assert!(is_sensitive_header(name), "{name}");
        }
        for name in ["Content-Type", "X-Scope-OrgID", "model", "X-Request-Id"] {
            assert!(!is_sensitive_header(name), "{name}");
        }
        let url = url::Url::parse("https://h/cb?code=abc&state=s").expect("url");
        assert_eq!(shown_url(&url), "https://h/cb?code=redacted&state=s");
    }

    #[test]
    fn a_url_that_does_not_parse_is_shown_without_its_secrets() {
        for (text, shown) in [
            ("http://u:pw@[::1/v1?api_key=sk&model=m", "http://redacted@[::1/v1?api_key=redacted&model=m"),
            ("u:pw@host/v1?token=t", "redacted@host/v1?token=redacted"),
            ("http://u:pw@h/v1?key=k", "http://u:redacted@h/v1?key=redacted"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(shown_url_text(text), shown, "{text}");
        }
    }

    #[test]
    fn credential_headers_and_query_parameters_are_known_by_their_names() {
        for name in [
            "Authorization",
            "X-Goog-Api-Key",
            "anthropic-api-key",
            "x-portkey-api-key",
            "Ocp-Apim-Subscription-Key",
            "X-Access-Token",
            "X-Amz-Security-Token",
            "x-api-token",
            "X-Secret",
            "Cookie",
            "api_key",
            "token",
        ] {
            assert!(is_sensitive_header(name), "{name}");
        }
        for name in ["Content-Type", "X-Request-Id", "OpenAI-Organization", "X-Scope-OrgID", "model"] {
            assert!(!is_sensitive_header(name), "{name}");
        }
    }

    #[test]
    fn urls_are_shown_without_their_secrets() {
        let url = url::Url::parse("http://u:pw@h:1/m?api_key=sk-1&page=2&Token=t-2").expect("url");
        let shown = shown_url(&url);
        for secret in ["pw", "sk-1", "t-2"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("page=2"), "{shown}");
        assert_eq!(url_secrets(&url), ["pw", "sk-1", "t-2"]);
    }

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("sk-very-secret\n");
        assert_eq!(s.expose(), "sk-very-secret");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
    }
}
