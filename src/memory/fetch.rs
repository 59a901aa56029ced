//! One bounded HTTP GET for the `scrape` and `promql` sources: a timeout, and a body read chunk by chunk
//! up to a cap, so a slow or huge endpoint cannot stall or bloat the daemon.

use super::Error;
use std::time::Duration;
use url::Url;

/// Whole-request timeout: a memory read taking longer than this is a failed read, not a late one.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Largest body read. A big exporter page is a few hundred KiB; 8 MiB leaves room without letting a
/// wrong URL (a file download, an endless stream) eat memory in the process that measures memory.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// The HTTP client of one sampler.
pub fn client() -> Result<reqwest::Client, Error> {
    crate::http_client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .build()
        .map_err(|e| Error::Client { detail: e.to_string() })
}

/// A response: its status and its (capped) body.
#[derive(Debug)]
pub struct Fetched {
    /// HTTP status code; the caller decides which are acceptable.
    pub status: u16,
    /// The whole body, at most [`MAX_BODY`] bytes.
    pub body: Vec<u8>,
}

/// GETs `url` with `accept` as the `Accept` header.
pub async fn get(client: &reqwest::Client, url: &Url, accept: &str) -> Result<Fetched, Error> {
    let transport = |e: reqwest::Error| Error::Http { url: shown(url), detail: error_chain(e) };
    let mut response =
        client.get(url.clone()).header(reqwest::header::ACCEPT, accept).send().await.map_err(transport)?;
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

/// `url` for logs and errors, without its password or the values of secret query parameters.
pub fn shown(url: &Url) -> String {
    crate::settings::shown_url(url)
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
