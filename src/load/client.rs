//! One scenario's HTTP client: long-lived connections and a prepared request, reused across batches as a
//! long-running SDK client would be. Every URL, `http://` or `https://`, goes over the one transport
//! ([`super::transport`]): connections owned by each batch worker, TLS set up once per client.

use super::body::{self, Read};
use super::deadline::{Alarm, deadline};
use super::outcome::{Expected, Outcome};
use super::path;
use super::request::{self, Shape};
use super::tls;
use super::transport::{Conns, Endpoint, Idle, Sender};
use crate::failure::ErrorKind;
use crate::settings::{Api, Path, Scenario, Target};
use bytes::Bytes;
use futures_util::Stream;
use http_body_util::BodyExt;
use rustls::pki_types::CertificateDer;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;
use url::Url;

/// Setup failures (the only `Err`s of this module: request failures are [`Outcome`]s).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("scenario {scenario}: cannot build the HTTP client: {source}")]
    Build { scenario: String, source: tls::Error },
    #[error("scenario {scenario}: cannot form the request URL from {base}: {detail}")]
    Url { scenario: String, base: String, detail: String },
    #[error(
        "scenario {scenario}: the API key cannot be sent in an Authorization header (it must be one word of visible ASCII)"
    )]
    ApiKey { scenario: String },
    #[error(
        "scenario {scenario} targets the built-in fake endpoint, which is not running in this process: it starts \
         only at start-up (a change of fake_llm.enabled applies at restart); restart leaksoak, or give the scenario a url"
    )]
    NoFakeEndpoint { scenario: String },
}

/// One kind of request the scenario sends, prepared for every URL.
#[derive(Debug)]
struct Variant {
    /// One per URL, in the client's URL order: where requests go and their unchanging parts.
    endpoints: Vec<Endpoint>,
    /// The request body, serialized once (empty for `api = "http"`).
    body: Bytes,
    /// For a request the target must refuse (the `rejected` path): the outcome its refusal counts as.
    rejection: Option<Expected>,
}

/// Sends one scenario's requests.
#[derive(Debug)]
pub struct Client {
    /// The kinds of request sent in turn: one, or the `rejected` path's three refusals.
    variants: Vec<Variant>,
    /// Number of URLs: requests go round-robin over them, and over the variants.
    urls: usize,
    /// Index of the next request, which picks its endpoint and its variant.
    next: AtomicUsize,
    /// Workers' connections between batches.
    idle: Idle,
    /// What the scenario asks for.
    api: Api,
    /// Which path the scenario drives: which failures are its expected outcomes.
    path: Path,
    /// Whether responses are SSE streams.
    stream: bool,
    /// Whole-request timeout.
    timeout: std::time::Duration,
    /// Bodies beyond this are cut and counted as errors.
    max_response_bytes: u64,
    /// Where the first redirect since [`Client::take_redirect`] pointed (`301 Moved Permanently to URL`):
    /// the load does not follow redirects, and the cycle's judgement names the address.
    redirect: Mutex<Option<String>>,
}

impl Client {
    /// Builds the client of `scenario`; `fake` is the base URL of the built-in endpoint, when it runs.
    pub fn new(scenario: &Scenario, fake: Option<&Url>) -> Result<Self, Error> {
        Self::with_extra_roots(scenario, fake, &[])
    }

    /// [`Client::new`], trusting `extra_roots` besides the platform's root certificates for `https://`
    /// targets. No setting reaches it: it is how the tests trust their self-signed server.
    pub fn with_extra_roots(
        scenario: &Scenario,
        fake: Option<&Url>,
        extra_roots: &[CertificateDer<'static>],
    ) -> Result<Self, Error> {
        let name = scenario.name.to_string();
        let urls = urls(scenario, fake)?;
        // Only a client with an https:// URL needs roots: a plain one works where the platform has none.
        let tls = match urls.iter().any(|u| u.scheme() == "https") {
            true => Some(tls::config(extra_roots).map_err(|source| Error::Build { scenario: name, source })?),
            false => None,
        };
        let variants = request::shapes(scenario)
            .into_iter()
            .map(|shape| {
                let endpoints = endpoints(scenario, &urls, &shape, tls.as_ref())?;
                Ok(Variant { endpoints, body: shape.body, rejection: shape.rejection })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Self {
            idle: Idle::new(urls.len(), scenario.concurrency.max(1)),
            urls: urls.len(),
            variants,
            next: AtomicUsize::new(0),
            api: scenario.api,
            path: scenario.path,
            stream: scenario.stream,
            timeout: scenario.timeout,
            max_response_bytes: scenario.max_response_bytes,
            redirect: Mutex::new(None),
        })
    }

    /// Where the first redirect answered since the last call pointed (`301 Moved Permanently to URL`), and
    /// forgets it: the engine takes it at the end of every cycle.
    pub fn take_redirect(&self) -> Option<String> {
        self.redirect.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// Keeps where a redirect `response` from `endpoint` points, unless one is kept already.
    fn redirected(&self, endpoint: &Endpoint, response: &http::Response<hyper::body::Incoming>) {
        let mut kept = self.redirect.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.is_none() {
            let status = response.status();
            let to = endpoint.redirect_target(response.headers().get(http::header::LOCATION));
            *kept = Some(match to {
                Some(to) => format!("{status} to {to}"),
                None => format!("{status} without a Location"),
            });
        }
    }

    /// A sender for one batch worker, holding its own connections until dropped.
    pub fn worker(&self) -> Worker<'_> {
        Worker { client: self, conns: self.idle.check_out(), alarm: Alarm::default() }
    }

    /// Sends `variant` to its endpoint `index` over the worker's connection in `slot`, all of it
    /// (connecting and the TLS handshake included) within the timeout, kept by the worker's `alarm`.
    async fn send(
        &self,
        (variant, index): (&Variant, usize),
        slot: &mut Option<Sender>,
        alarm: &mut Alarm,
        started: Instant,
    ) -> Outcome {
        let exchange = std::pin::pin!(async {
            let response = variant.endpoints[index].respond(slot, &variant.body).await?;
            let status = response.status();
            if status.is_redirection() {
                self.redirected(&variant.endpoints[index], &response);
            }
            let read = self.read(response.into_body().into_data_stream(), status.is_success(), started).await;
            if read.disconnected {
                // The deliberate disconnect: the connection goes away with its stream.
                *slot = None;
            }
            Ok((status, read))
        });
        match alarm.within(deadline(started, self.timeout), exchange).await {
            Ok(Ok((status, read))) => self.completed(started, variant, status, read),
            Ok(Err(kind)) => failed(started, 0, kind),
            Err(_) => failed(started, 0, ErrorKind::Timeout),
        }
    }

    async fn read(
        &self,
        chunks: impl Stream<Item = Result<Bytes, hyper::Error>>,
        ok_status: bool,
        started: Instant,
    ) -> Read {
        if self.stream && ok_status {
            let stop_after = match self.path {
                Path::Disconnect { after_chunks } => Some(after_chunks),
                _ => None,
            };
            body::read_stream(chunks, self.max_response_bytes, started, stop_after).await
        } else {
            body::read_whole(chunks, self.max_response_bytes, self.api, ok_status).await
        }
    }

    /// A response read to its end (or cut on purpose), judged by the scenario's path.
    fn completed(&self, started: Instant, variant: &Variant, status: http::StatusCode, read: Read) -> Outcome {
        let ended = path::Ended { status: Some(status), result: read.result, disconnected: read.disconnected };
        let (result, expected) = path::judge(self.path, variant.rejection, ended);
        Outcome {
            latency: started.elapsed(),
            time_to_first_token: read.first_event,
            bytes: read.bytes,
            result,
            expected,
        }
    }

    /// The body of the first kind of request (empty for `api = "http"`), so other tools can send the same one.
    pub fn body(&self) -> &[u8] {
        &self.variants[0].body
    }
}

/// One batch worker's sender: requests go one at a time, over connections no other worker uses.
#[derive(Debug)]
pub struct Worker<'a> {
    /// The client whose requests this worker sends.
    client: &'a Client,
    /// The worker's connections, a slot per endpoint; back to the client's idle stack on drop.
    conns: Conns,
    /// The timer of the worker's requests, one for all of them.
    alarm: Alarm,
}

impl Worker<'_> {
    /// Sends one request and reads the response to its end. Never panics, never returns early on failure.
    pub async fn send(&mut self) -> Outcome {
        let client = self.client;
        let started = Instant::now();
        let n = client.next.fetch_add(1, Ordering::Relaxed);
        let index = n % client.urls;
        let variant = &client.variants[(n / client.urls) % client.variants.len()];
        client.send((variant, index), &mut self.conns.slots[index], &mut self.alarm, started).await
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        self.client.idle.check_in(std::mem::take(&mut self.conns));
    }
}

/// The scenario's extra headers and its API key (or the shape's wrong one), as a bearer token marked
/// sensitive.
fn headers(scenario: &Scenario, shape: &Shape) -> Result<http::HeaderMap, Error> {
    let mut headers = scenario.headers.clone();
    let key = shape.api_key.or(scenario.api_key.as_ref().map(|k| k.expose()));
    if let Some(key) = key {
        let mut v = http::HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| Error::ApiKey { scenario: scenario.name.to_string() })?;
        v.set_sensitive(true);
        headers.insert(http::header::AUTHORIZATION, v);
    }
    Ok(headers)
}

/// One endpoint per URL: `GET` for `api = "http"`, a JSON `POST` otherwise.
fn endpoints(
    scenario: &Scenario,
    urls: &[Url],
    shape: &Shape,
    tls: Option<&std::sync::Arc<rustls::ClientConfig>>,
) -> Result<Vec<Endpoint>, Error> {
    let (headers, body) = (headers(scenario, shape)?, &shape.body);
    let post = scenario.api != Api::Http;
    let method = if post { http::Method::POST } else { http::Method::GET };
    let endpoint = |url: &Url| {
        Endpoint::new(url, method.clone(), &headers, post, body, tls).map_err(|e| Error::Url {
            scenario: scenario.name.to_string(),
            base: crate::settings::shown_url(url),
            detail: e.to_string(),
        })
    };
    urls.iter().map(endpoint).collect()
}

fn failed(started: Instant, bytes: u64, kind: ErrorKind) -> Outcome {
    Outcome { latency: started.elapsed(), time_to_first_token: None, bytes, result: Err(kind), expected: None }
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
                base: crate::settings::shown_url(&base),
                detail: e.to_string(),
            })
        })
        .collect()
}
