//! One bounded HTTP GET for the `scrape` and `promql` sources: a timeout, and a body read chunk by chunk
//! up to a cap, so a slow or huge endpoint cannot stall or bloat the daemon. The client carries the
//! configured credentials, headers and trust roots; a refused credential or a failed TLS handshake is an
//! error of its own kind.

use super::Error;
use crate::settings::HttpOptions;
use std::time::Duration;
use url::Url;

/// Whole-request timeout: a memory read taking longer than this is a failed read, not a late one.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Largest body read. A big exporter page is a few hundred KiB; 8 MiB leaves room without letting a
/// wrong URL (a file download, an endless stream) eat memory in the process that measures memory.
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// Redirects followed, as many as reqwest's default.
const MAX_REDIRECTS: usize = 10;

/// The HTTP client of one sampler: `Authorization` and the extra headers go with every request, the CA
/// file's certificates are trusted besides the platform's roots.
pub fn client(options: &HttpOptions) -> Result<reqwest::Client, Error> {
    let mut headers = options.headers.clone();
    if let Some(auth) = &options.authorization {
        headers.insert(reqwest::header::AUTHORIZATION, auth.value.clone());
    }
    let roots: Vec<reqwest::Certificate> = options
        .ca_certificates
        .iter()
        .map(|der| reqwest::Certificate::from_der(der))
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Client { detail: format!("memory.ca_file: {}", error_chain(e)) })?;
    let mut builder = crate::http_client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::custom(same_origin_only))
        .tls_danger_accept_invalid_certs(options.tls_insecure_skip_verify);
    if !roots.is_empty() {
        builder = builder.tls_certs_merge(roots);
    }
    builder.build().map_err(|e| Error::Client { detail: error_chain(e) })
}

/// Follows a redirect within the same origin (scheme, host and port) only. The credentials and headers go
/// with every request, and on the way to another origin reqwest drops `Authorization` but not a token in a
/// header of another name. A redirect not followed is the response: a 3xx status error that names the URL
/// to configure instead.
fn same_origin_only(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let same_origin = attempt.previous().first().is_some_and(|first| first.origin() == attempt.url().origin());
    if attempt.previous().len() > MAX_REDIRECTS {
        attempt.error("too many redirects")
    } else if same_origin {
        attempt.follow()
    } else {
        attempt.stop()
    }
}

/// A response: its status and its (capped) body.
#[derive(Debug)]
pub struct Fetched {
    /// HTTP status code; the caller decides which are acceptable.
    pub status: u16,
    /// The whole body, at most [`MAX_BODY`] bytes.
    pub body: Vec<u8>,
}

/// GETs `url` with `accept` as the `Accept` header. 401 and 403 are [`Error::AuthRefused`], whatever the
/// body; `credentials` says whether any were sent, for its hint.
pub async fn get(client: &reqwest::Client, url: &Url, accept: &str, credentials: bool) -> Result<Fetched, Error> {
    let transport = |e: reqwest::Error| transport_error(url, e);
    let mut response =
        client.get(url.clone()).header(reqwest::header::ACCEPT, accept).send().await.map_err(transport)?;
    let status = response.status().as_u16();
    if matches!(status, 401 | 403) {
        return Err(Error::AuthRefused { url: shown(url), status, credentials });
    }
    let too_large = || Error::BodyTooLarge { url: shown(url), limit: MAX_BODY };
    if response.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { status: response.status().as_u16(), body })
}

/// `url` for logs and errors: no user information at all (`user:password@`), and the values of secret query
/// parameters redacted.
pub fn shown(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    crate::settings::shown_url(&url)
}

/// A request that got no response: a TLS failure (a certificate not trusted, a plain-HTTP server behind an
/// `https://` URL) is told apart from the rest (refused, timed out, reset).
fn transport_error(url: &Url, e: reqwest::Error) -> Error {
    let tls = is_tls(&e);
    let detail = error_chain(e);
    if tls { Error::Tls { url: shown(url), detail } } else { Error::Http { url: shown(url), detail } }
}

/// Whether a rustls error is among the causes. rustls' error reaches reqwest wrapped in an `io::Error`, itself
/// in another, and `io::Error::source()` skips what it wraps, so each `io::Error` is opened too.
fn is_tls(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(cause) = source {
        let mut opened = cause;
        loop {
            if opened.is::<rustls::Error>() {
                return true;
            }
            match opened.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
                Some(inner) => opened = inner,
                None => break,
            }
        }
        source = cause.source();
    }
    false
}

/// reqwest's error with its causes ("error sending request: ... connection refused"), minus the URL it
/// repeats.
fn error_chain(e: reqwest::Error) -> String {
    let mut causes = vec![];
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let mut text = e.without_url().to_string();
    for cause in causes {
        text.push_str(": ");
        text.push_str(&cause);
    }
    text
}
