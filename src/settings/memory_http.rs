//! The `[memory]` keys of the sources that read over HTTP (`scrape`, `promql`): credentials, extra headers
//! and TLS trust, for a Prometheus (or Mimir, Cortex, Thanos) behind authentication. The token and the
//! password are read through [`secret_file`], the path every secret file takes.

use super::problems::Problems;
use super::secret::{Secret, is_sensitive_header, secret_file};
use base64::Engine;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::collections::BTreeMap;

/// Certificates are verified unless the configuration opts out, which is unsafe.
pub const TLS_INSECURE_SKIP_VERIFY: bool = false;
/// A PromQL result without labels is refused: without them a restarted target reads as a memory drop.
pub const PROMQL_ALLOW_UNLABELED: bool = false;
/// The largest `ca_file` read: a whole system bundle is about 200 KiB.
pub const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// The keys of this file as written in `[memory]` (they live in `RawMemory`, listed together).
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    pub bearer_token_file: &'a str,
    pub basic_auth_user: &'a str,
    pub basic_auth_password_file: &'a str,
    pub headers: &'a BTreeMap<String, String>,
    pub ca_file: &'a str,
    pub tls_insecure_skip_verify: bool,
}

/// How the `scrape` and `promql` sources reach their server, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpOptions {
    /// Sent as `Authorization` with every request; `None`: no credentials.
    pub authorization: Option<Authorization>,
    /// Extra request headers (a tenant's `X-Scope-OrgID`); credential-like names are marked sensitive.
    pub headers: http::HeaderMap,
    /// Trusted besides the platform's root certificates (`ca_file`).
    pub ca_certificates: Vec<CertificateDer<'static>>,
    /// Server certificates are not verified at all (`tls_insecure_skip_verify`): unsafe, for a lab only.
    pub tls_insecure_skip_verify: bool,
}

/// An `Authorization` header made from a bearer token or basic-auth credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The header value, marked sensitive.
    pub value: http::HeaderValue,
    /// What the value is made of, for scrubbing: the token, or the password and the encoded pair.
    secrets: Vec<Secret>,
}

impl HttpOptions {
    /// Every secret value these options hold: the token, the password and its encoded form, and the values
    /// of headers with credential-like names.
    pub fn secrets(&self) -> Vec<String> {
        let auth = self.authorization.iter().flat_map(|a| a.secrets.iter().map(|s| s.expose().to_owned()));
        let sensitive = self.headers.values().filter(|v| v.is_sensitive()).filter_map(|v| v.to_str().ok());
        auth.chain(sensitive.map(str::to_owned)).collect()
    }
}

/// Checks the keys and reads the token, the password and the CA file; every problem names its key.
pub fn validate(keys: Keys<'_>, p: &mut Problems) -> HttpOptions {
    let authorization = authorization(keys, p);
    let headers = headers(keys.headers, authorization.is_some(), p);
    let ca_certificates = ca_certificates(p, keys.ca_file);
    if keys.tls_insecure_skip_verify && !keys.ca_file.is_empty() {
        p.push("memory.tls_insecure_skip_verify", "set either ca_file or tls_insecure_skip_verify, not both");
    }
    HttpOptions { authorization, headers, ca_certificates, tls_insecure_skip_verify: keys.tls_insecure_skip_verify }
}

fn authorization(keys: Keys<'_>, p: &mut Problems) -> Option<Authorization> {
    let basic = !keys.basic_auth_user.is_empty() || !keys.basic_auth_password_file.is_empty();
    if !keys.bearer_token_file.is_empty() && basic {
        p.push(
            "memory.bearer_token_file",
            "set either bearer_token_file or basic_auth_user and its password, not both",
        );
        return None;
    }
    if let Some(token) = secret_file(p, "memory.bearer_token_file", keys.bearer_token_file) {
        let value = format!("Bearer {}", token.expose());
        return sensitive(p, "memory.bearer_token_file", &value)
            .map(|value| Authorization { value, secrets: vec![token] });
    }
    if !basic {
        return None;
    }
    let user = keys.basic_auth_user;
    match (user.is_empty(), keys.basic_auth_password_file.is_empty()) {
        (true, _) => p.push("memory.basic_auth_user", "required when memory.basic_auth_password_file is set"),
        (_, true) => p.push("memory.basic_auth_password_file", "required when memory.basic_auth_user is set"),
        _ if user.contains(':') || user.chars().any(char::is_control) => {
            p.push("memory.basic_auth_user", "must not contain ':' or a control character")
        }
        _ => {}
    }
    let password = secret_file(p, "memory.basic_auth_password_file", keys.basic_auth_password_file)?;
    let encoded =
        Secret::new(&base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.expose())));
    let value = sensitive(p, "memory.basic_auth_password_file", &format!("Basic {}", encoded.expose()))?;
    Some(Authorization { value, secrets: vec![password, encoded] })
}

/// A header value marked sensitive; the problem never quotes it.
fn sensitive(p: &mut Problems, key: &str, text: &str) -> Option<http::HeaderValue> {
    match http::HeaderValue::from_str(text) {
        Ok(mut value) => {
            value.set_sensitive(true);
            Some(value)
        }
        Err(_) => {
            p.push(key, "holds a character an HTTP header cannot carry");
            None
        }
    }
}

fn headers(raw: &BTreeMap<String, String>, has_authorization: bool, p: &mut Problems) -> http::HeaderMap {
    let mut out = http::HeaderMap::new();
    for (k, v) in raw {
        let key = format!("memory.headers.{k}");
        match (http::HeaderName::from_bytes(k.as_bytes()), http::HeaderValue::from_str(v)) {
            (Ok(name), _) if name == http::header::AUTHORIZATION && has_authorization => {
                p.push(key, "set by memory.bearer_token_file or memory.basic_auth_user already; keep one of them")
            }
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(is_sensitive_header(k));
                out.insert(name, value);
            }
            (Err(_), _) => p.push(key, "not a valid HTTP header name"),
            (_, Err(_)) => p.push(key, "not a valid HTTP header value"),
        }
    }
    out
}

/// The certificates of a PEM file, at most [`MAX_CA_FILE_BYTES`]; an empty name means none.
fn ca_certificates(p: &mut Problems, path: &str) -> Vec<CertificateDer<'static>> {
    if path.is_empty() {
        return vec![];
    }
    match read_pem_certificates(path) {
        Ok(certificates) => certificates,
        Err(e) => {
            p.push("memory.ca_file", e);
            vec![]
        }
    }
}

fn read_pem_certificates(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = crate::files::read_capped(std::path::Path::new(path), MAX_CA_FILE_BYTES).map_err(|e| match e {
        crate::files::FileError::TooLong { .. } => {
            format!("{path:?} is longer than {MAX_CA_FILE_BYTES} bytes, too long for a CA bundle")
        }
        other => other.to_string(),
    })?;
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{path:?} is not a PEM file of certificates ({e})"))?;
    if certificates.is_empty() {
        return Err(format!("{path:?} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(headers: &BTreeMap<String, String>) -> Keys<'_> {
        Keys {
            bearer_token_file: "",
            basic_auth_user: "",
            basic_auth_password_file: "",
            headers,
            ca_file: "",
            tls_insecure_skip_verify: false,
        }
    }

    fn problems(keys: Keys<'_>) -> (HttpOptions, Vec<String>) {
        let mut p = Problems::default();
        let options = validate(keys, &mut p);
        let listed = p.finish(()).err().map(|e| e.problems.iter().map(ToString::to_string).collect());
        (options, listed.unwrap_or_default())
    }

    #[test]
    fn nothing_set_sends_nothing_and_verifies_certificates() {
        let (options, found) = problems(keys(&BTreeMap::new()));
        assert_eq!((options, found), (HttpOptions::default(), vec![]));
    }

    #[test]
    fn bearer_and_basic_make_a_sensitive_authorization() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (token, password) = (dir.path().join("token"), dir.path().join("password"));
        std::fs::write(&token, "tok-1\n").expect("write");
        std::fs::write(&password, "pa55\n").expect("write");
        let none = BTreeMap::new();
        let token = token.to_str().expect("utf-8");
        let (options, found) = problems(Keys { bearer_token_file: token, ..keys(&none) });
        assert!(found.is_empty(), "{found:?}");
        let auth = options.authorization.clone().expect("a header");
        assert_eq!((auth.value.to_str().ok(), auth.value.is_sensitive()), (Some("Bearer tok-1"), true));
        assert_eq!(options.secrets(), ["tok-1"]);

        let password = password.to_str().expect("utf-8");
        let basic = Keys { basic_auth_user: "soak", basic_auth_password_file: password, ..keys(&none) };
        let (options, found) = problems(basic);
        assert!(found.is_empty(), "{found:?}");
        // base64("soak:pa55")
        let value = options.authorization.as_ref().map(|a| a.value.to_str().unwrap_or_default().to_owned());
        assert_eq!(value.as_deref(), Some("Basic c29hazpwYTU1"));
        assert_eq!(options.secrets(), ["pa55", "c29hazpwYTU1"]);
        assert!(!format!("{options:?}").contains("pa55") && !format!("{options:?}").contains("c29hazpwYTU1"));
    }

    #[test]
    fn every_problem_names_its_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "hello\n").expect("write");
        let not_pem = not_pem.to_str().expect("utf-8");
        let none = BTreeMap::new();
        let bad_headers: BTreeMap<String, String> =
            [("Authorization".into(), "Bearer x".into()), ("bad header".into(), "v".into())].into();
        for (keys, expected) in [
            (
                Keys { bearer_token_file: "/t", basic_auth_user: "u", ..keys(&none) },
                "memory.bearer_token_file: set either bearer_token_file or basic_auth_user and its password, not both",
            ),
            (
                Keys { basic_auth_user: "u", ..keys(&none) },
                "memory.basic_auth_password_file: required when memory.basic_auth_user is set",
            ),
            (
                Keys { basic_auth_password_file: "/p", ..keys(&none) },
                "memory.basic_auth_user: required when memory.basic_auth_password_file is set",
            ),
            (
                Keys { basic_auth_user: "a:b", basic_auth_password_file: "/p", ..keys(&none) },
                "memory.basic_auth_user: must not contain ':' or a control character",
            ),
            (Keys { bearer_token_file: "/nonexistent/t", ..keys(&none) }, "memory.bearer_token_file: cannot read"),
            (Keys { ca_file: "/nonexistent/ca.pem", ..keys(&none) }, "memory.ca_file: cannot read"),
            (Keys { ca_file: not_pem, ..keys(&none) }, "memory.ca_file: "),
            (
                Keys { ca_file: not_pem, tls_insecure_skip_verify: true, ..keys(&none) },
                "memory.tls_insecure_skip_verify: set either ca_file or tls_insecure_skip_verify, not both",
            ),
            (
                Keys { bearer_token_file: "/nonexistent/t", ..keys(&bad_headers) },
                "memory.headers.bad header: not a valid",
            ),
        ] {
            let (_, found) = problems(keys);
            assert!(found.iter().any(|f| f.starts_with(expected)), "expected {expected:?} in {found:#?}");
        }
        // An Authorization header alone is allowed; next to a token it is a conflict.
        let dir_token = dir.path().join("token");
        std::fs::write(&dir_token, "tok").expect("write");
        let (_, found) = problems(Keys { bearer_token_file: dir_token.to_str().expect("utf-8"), ..keys(&bad_headers) });
        assert!(found.iter().any(|f| f.starts_with("memory.headers.Authorization: set by")), "{found:?}");
    }

    #[test]
    fn headers_with_credential_names_are_secrets_and_a_tenant_header_is_not() {
        let headers: BTreeMap<String, String> =
            [("X-Scope-OrgID".into(), "staging".into()), ("X-Api-Key".into(), "hk-1".into())].into();
        let (options, found) = problems(keys(&headers));
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(options.headers.get("x-scope-orgid").map(|v| v.is_sensitive()), Some(false));
        assert_eq!(options.secrets(), ["hk-1"]);
    }
}
