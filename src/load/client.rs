//! One scenario's HTTP client: long-lived connections and a prepared request, reused across batches as a
//! long-running SDK client would be. `http://` URLs go over direct hyper connections owned by each batch
//! worker ([`super::direct`]); others (`https://`) through reqwest.

use super::body::{self, Read, TransportError};
use super::deadline::{Alarm, deadline};
use super::direct::{Conns, Endpoint, Idle, Sender};
use super::outcome::{ErrorKind, Outcome};
use crate::settings::{Api, Scenario, Target};
use bytes::Bytes;
use futures_util::Stream;
use http_body_util::BodyExt;
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

/// How requests to one URL travel.
#[derive(Debug)]
enum Route {
    /// `http://`: the worker's own hyper connection, request prepared once.
    Direct(Box<Endpoint>),
    /// Anything else (`https://`): reqwest, with its TLS and pool.
    Reqwest,
}

/// Sends one scenario's requests.
#[derive(Debug)]
pub struct Client {
    /// The pool of reqwest routes, shared by every request of every batch.
    http: reqwest::Client,
    /// The route of each URL, used round-robin.
    routes: Vec<Route>,
    /// Full request URLs, indexed like `routes`.
    urls: Vec<Url>,
    /// Index of the next URL.
    next: AtomicUsize,
    /// Direct connections between batches.
    idle: Idle,
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
        let headers = headers(scenario)?;
        let http = crate::http_client::builder()
            .default_headers(headers.clone())
            .pool_max_idle_per_host(scenario.concurrency)
            .build()
            .map_err(|source| Error::Build { scenario: name.clone(), source })?;
        let urls = urls(scenario, fake)?;
        let body = request_body(scenario);
        let routes = urls.iter().map(|url| route(url, scenario.api, &headers, &body)).collect();
        Ok(Self {
            http,
            routes,
            idle: Idle::new(urls.len(), scenario.concurrency.max(1)),
            urls,
            next: AtomicUsize::new(0),
            body,
            api: scenario.api,
            stream: scenario.stream,
            timeout: scenario.timeout,
            max_response_bytes: scenario.max_response_bytes,
        })
    }

    /// A sender for one batch worker, holding its own direct connections until dropped.
    pub fn worker(&self) -> Worker<'_> {
        Worker { client: self, conns: Some(self.idle.check_out()), alarm: Alarm::default() }
    }

    async fn send_reqwest(&self, url: &Url, started: Instant) -> Outcome {
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
        completed(started, self.read(response.bytes_stream(), ok_status, started).await)
    }

    /// Sends over the worker's connection in `slot`, all of it (connecting included) within the timeout,
    /// kept by the worker's `alarm`.
    async fn send_direct(
        &self,
        endpoint: &Endpoint,
        slot: &mut Option<Sender>,
        alarm: &mut Alarm,
        started: Instant,
    ) -> Outcome {
        let exchange = std::pin::pin!(async {
            let response = endpoint.respond(slot, &self.body).await?;
            let ok_status = response.status().is_success();
            Ok(self.read(response.into_body().into_data_stream(), ok_status, started).await)
        });
        match alarm.within(deadline(started, self.timeout), exchange).await {
            Ok(Ok(read)) => completed(started, read),
            Ok(Err(kind)) => failed(started, 0, kind),
            Err(_) => failed(started, 0, ErrorKind::Timeout),
        }
    }

    async fn read<E: TransportError>(
        &self,
        chunks: impl Stream<Item = Result<Bytes, E>>,
        ok_status: bool,
        started: Instant,
    ) -> Read {
        if self.stream && ok_status {
            body::read_stream(chunks, self.max_response_bytes, started).await
        } else {
            body::read_whole(chunks, self.max_response_bytes, self.api, ok_status).await
        }
    }

    /// The body of every request (empty for `api = "http"`), so other tools can send the same one.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// One batch worker's sender: requests go one at a time, over connections no other worker uses.
#[derive(Debug)]
pub struct Worker<'a> {
    /// The client whose requests this worker sends.
    client: &'a Client,
    /// The worker's direct connections; back to the client's idle stack on drop.
    conns: Option<Conns>,
    /// The timer of the worker's direct requests, one for all of them.
    alarm: Alarm,
}

impl Worker<'_> {
    /// Sends one request and reads the response to its end. Never panics, never returns early on failure.
    pub async fn send(&mut self) -> Outcome {
        let client = self.client;
        let started = Instant::now();
        let index = client.next.fetch_add(1, Ordering::Relaxed) % client.routes.len();
        match (&client.routes[index], self.conns.as_mut()) {
            (Route::Direct(endpoint), Some(conns)) => {
                client.send_direct(endpoint, &mut conns.slots[index], &mut self.alarm, started).await
            }
            _ => client.send_reqwest(&client.urls[index], started).await,
        }
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        if let Some(conns) = self.conns.take() {
            self.client.idle.check_in(conns);
        }
    }
}

/// The scenario's extra headers and its API key, as a bearer token marked sensitive.
fn headers(scenario: &Scenario) -> Result<http::HeaderMap, Error> {
    let mut headers = scenario.headers.clone();
    if let Some(key) = &scenario.api_key {
        let mut v = http::HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| Error::Url {
            scenario: scenario.name.to_string(),
            base: "api key".into(),
            detail: "not a valid header value".into(),
        })?;
        v.set_sensitive(true);
        headers.insert(http::header::AUTHORIZATION, v);
    }
    Ok(headers)
}

/// Direct for `http://` URLs, reqwest for the rest.
fn route(url: &Url, api: Api, headers: &http::HeaderMap, body: &Bytes) -> Route {
    let method = if api == Api::Http { http::Method::GET } else { http::Method::POST };
    match Endpoint::new(url, method, headers, api != Api::Http, body) {
        Ok(endpoint) => Route::Direct(Box::new(endpoint)),
        Err(_) => Route::Reqwest,
    }
}

fn completed(started: Instant, read: Read) -> Outcome {
    Outcome {
        latency: started.elapsed(),
        time_to_first_token: read.first_event,
        bytes: read.bytes,
        result: read.result,
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
