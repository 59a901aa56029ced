//! One scenario's HTTP client: a long-lived connection pool and a prepared request, reused across
//! batches as a long-running SDK client would be.

use super::body;
use super::outcome::{ErrorKind, Outcome};
use crate::settings::{Api, Scenario, Target};
use bytes::Bytes;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use url::Url;

/// Setup failures (the only `Err`s of this module: request failures are [`Outcome`]s).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("scenario {scenario}: cannot build the HTTP client: {source}")]
    Build { scenario: String, source: reqwest::Error },
    #[error("scenario {scenario}: cannot form the request URL from {base}: {detail}")]
    Url { scenario: String, base: String, detail: String },
    #[error("scenario {scenario} targets the built-in fake endpoint, but it is not running (fake_llm.enabled = false)")]
    NoFakeEndpoint { scenario: String },
}

/// The prompt of every request: short, so the target's memory, not the payload, dominates.
const PROMPT: &str = "Say hello in one short sentence.";

/// Sends one scenario's requests.
#[derive(Debug)]
pub struct Client {
    /// The pool, shared by every request of every batch.
    http: reqwest::Client,
    /// Full request URLs, used round-robin.
    urls: Vec<Url>,
    /// Index of the next URL.
    next: AtomicUsize,
    /// The request body, serialized once (empty for `api = "http"`).
    body: Bytes,
    /// What the scenario asks for.
    api: Api,
    /// Whether responses are SSE streams.
    stream: bool,
    /// Whole-request timeout.
    timeout: std::time::Duration,
    /// Bodies beyond this are cut and counted as errors.
    max_response_bytes: u64,
}

impl Client {
    /// Builds the client of `scenario`; `fake` is the base URL of the built-in endpoint, when it runs.
    pub fn new(scenario: &Scenario, fake: Option<&Url>) -> Result<Self, Error> {
        let name = scenario.name.to_string();
        let mut headers = scenario.headers.clone();
        if let Some(key) = &scenario.api_key {
            let mut v = http::HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| Error::Url {
                scenario: name.clone(),
                base: "api key".into(),
                detail: "not a valid header value".into(),
            })?;
            v.set_sensitive(true);
            headers.insert(http::header::AUTHORIZATION, v);
        }
        let http = crate::http_client::builder()
            .default_headers(headers)
            .pool_max_idle_per_host(scenario.concurrency)
            .build()
            .map_err(|source| Error::Build { scenario: name.clone(), source })?;
        Ok(Self {
            http,
            urls: urls(scenario, fake)?,
            next: AtomicUsize::new(0),
            body: request_body(scenario),
            api: scenario.api,
            stream: scenario.stream,
            timeout: scenario.timeout,
            max_response_bytes: scenario.max_response_bytes,
        })
    }

    /// Sends one request and reads the response to its end. Never panics, never returns early on failure.
    pub async fn send(&self) -> Outcome {
        let started = Instant::now();
        let url = &self.urls[self.next.fetch_add(1, Ordering::Relaxed) % self.urls.len()];
        let request = match self.api {
            Api::Http => self.http.get(url.clone()),
            _ => self
                .http
                .post(url.clone())
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(self.body.clone()),
        };
        let response = match request.timeout(self.timeout).send().await {
            Ok(r) => r,
            Err(e) => return failed(started, 0, body::classify_send(&e)),
        };
        let ok_status = response.status().is_success();
        let read = if self.stream && ok_status {
            body::read_stream(response, self.max_response_bytes, started).await
        } else {
            body::read_whole(response, self.max_response_bytes, self.api, ok_status).await
        };
        Outcome {
            latency: started.elapsed(),
            time_to_first_token: read.first_event,
            bytes: read.bytes,
            result: read.result,
        }
    }

    /// The URLs this client sends to, for logs.
    pub fn urls(&self) -> &[Url] {
        &self.urls
    }

    /// The body of every request (empty for `api = "http"`), so other tools can send the same one.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

fn failed(started: Instant, bytes: u64, kind: ErrorKind) -> Outcome {
    Outcome { latency: started.elapsed(), time_to_first_token: None, bytes, result: Err(kind) }
}

fn urls(scenario: &Scenario, fake: Option<&Url>) -> Result<Vec<Url>, Error> {
    let name = scenario.name.to_string();
    let bases: Vec<Url> = match &scenario.target {
        Target::Fake => vec![fake.cloned().ok_or(Error::NoFakeEndpoint { scenario: name.clone() })?],
        Target::Urls(list) => list.clone(),
    };
    if scenario.api == Api::Http {
        return Ok(bases);
    }
    bases
        .into_iter()
        .map(|mut base| {
            if !base.path().ends_with('/') {
                base.set_path(&format!("{}/", base.path()));
            }
            base.join(scenario.api.path()).map_err(|e| Error::Url {
                scenario: name.clone(),
                base: base.to_string(),
                detail: e.to_string(),
            })
        })
        .collect()
}

fn request_body(scenario: &Scenario) -> Bytes {
    let model = &scenario.model;
    let body = match scenario.api {
        Api::Chat => json!({
            "model": model, "stream": scenario.stream, "max_tokens": 32,
            "messages": [{"role": "user", "content": PROMPT}],
        }),
        Api::Completions => {
            json!({"model": model, "stream": scenario.stream, "max_tokens": 32, "prompt": PROMPT})
        }
        Api::Embeddings => json!({"model": model, "input": PROMPT}),
        Api::Http => return Bytes::new(),
    };
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}
