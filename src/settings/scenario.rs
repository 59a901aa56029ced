//! `[[scenario]]`: what load is sent, to which target. The defaults are the pytest suite's four variants.

use super::duration::HumaneDuration;
use super::memory::http_url;
use super::path::{self, Path};
use super::problems::Problems;
use super::secret::{Secret, is_sensitive_header};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::time::Duration;
use url::Url;

/// The model name OpenAI's SDK examples (and the pytest suite) use.
pub const MODEL: &str = "gpt-3.5-turbo";
/// The pytest suite's "async" mode: several requests in flight.
pub const CONCURRENCY: u64 = 8;
/// A generous per-request timeout: real LLM calls are slow, a stuck one must still end.
pub const TIMEOUT: HumaneDuration = HumaneDuration::from_secs(30);
/// Response bodies beyond 16 MiB are cut and counted as errors: leaksoak's own memory must stay bounded.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// The largest `max_response_bytes`: 1 GiB. A body is held in memory up to this size while it is read, so
/// leaksoak's own memory is bounded by concurrency × this.
pub const MAX_MAX_RESPONSE_BYTES: u64 = 1024 * 1024 * 1024;
/// The longest per-request timeout: an hour, the longest latency the load generator's histogram tracks
/// (longer ones would be recorded as an hour).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// The most requests in flight, whatever the open-file limit: ten thousand connections to one target is a
/// load test, not a soak.
pub const MAX_CONCURRENCY: u64 = 10_000;
/// Open files kept for leaksoak itself when `concurrency` is checked against the open-file limit: its
/// listeners, scrapes, idle pooled connections of the other scenarios, the record file, the memory source.
/// Past the limit, requests would fail to connect and be counted as the target's errors.
pub const OWN_FILES_MARGIN: u64 = 256;
/// The most scenarios. Each keeps its own connection pool, trend history and series on `/metrics`, and
/// they take turns: a round of a hundred cycles already takes hours.
pub const MAX_SCENARIOS: usize = 100;
/// The kinds of request `api` accepts.
pub const APIS: &[&str] = &["chat", "completions", "embeddings", "http"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawScenario {
    pub name: String,
    pub url: String,
    pub urls: Vec<String>,
    pub api: String,
    pub model: String,
    pub stream: bool,
    pub concurrency: u64,
    pub timeout: HumaneDuration,
    pub api_key_env: String,
    pub api_key_file: String,
    pub max_response_bytes: u64,
    pub headers: BTreeMap<String, String>,
    pub secret_headers: Vec<String>,
    pub path: String,
    pub disconnect_after_chunks: u64,
    pub oversized_body_bytes: u64,
    pub prompt_bytes: u64,
}

impl Default for RawScenario {
    fn default() -> Self {
        Self::variant("async-streaming", CONCURRENCY, true)
    }
}

impl RawScenario {
    /// One of the pytest suite's variants against the built-in fake endpoint.
    pub fn variant(name: &str, concurrency: u64, stream: bool) -> Self {
        Self {
            name: name.into(),
            url: String::new(),
            urls: vec![],
            api: "chat".into(),
            model: MODEL.into(),
            stream,
            concurrency,
            timeout: TIMEOUT,
            api_key_env: String::new(),
            api_key_file: String::new(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            headers: BTreeMap::new(),
            secret_headers: vec![],
            path: path::HAPPY.into(),
            disconnect_after_chunks: path::DISCONNECT_AFTER_CHUNKS,
            oversized_body_bytes: path::OVERSIZED_BODY_BYTES,
            prompt_bytes: path::PROMPT_BYTES,
        }
    }

    /// Whether the value of header `name` is a secret: a credential-like name ([`is_sensitive_header`]) or
    /// one listed in `secret_headers`.
    pub fn is_secret_header(&self, name: &str) -> bool {
        is_sensitive_header(name) || self.secret_headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// The pytest suite's four variants: sync (one request at a time) and async, each streaming and not.
    pub fn pytest_variants() -> Vec<Self> {
        vec![
            Self::variant("sync-non-streaming", 1, false),
            Self::variant("sync-streaming", 1, true),
            Self::variant("async-non-streaming", CONCURRENCY, false),
            Self::variant("async-streaming", CONCURRENCY, true),
        ]
    }
}

/// A scenario name: `[a-z0-9_-]+`, unique. It is a Prometheus label value, so it stays short and tame.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScenarioName(String);

impl ScenarioName {
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok { Ok(Self(text.to_owned())) } else { Err(format!("must match [a-z0-9_-]{{1,64}}, got {text:?}")) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ScenarioName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of request a scenario sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `POST {url}/chat/completions`
    Chat,
    /// `POST {url}/completions`
    Completions,
    /// `POST {url}/embeddings` (never streams)
    Embeddings,
    /// `GET {url}`: any 2xx is a success
    Http,
}

impl Api {
    /// The path appended to an OpenAI-style base URL.
    pub fn path(self) -> &'static str {
        match self {
            Api::Chat => "chat/completions",
            Api::Completions => "completions",
            Api::Embeddings => "embeddings",
            Api::Http => "",
        }
    }
}

/// Where a scenario sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The built-in fake endpoint, started in-process.
    Fake,
    /// Base URLs (or full URLs for `api = "http"`), used round-robin.
    Urls(Vec<Url>),
}

/// A validated `[[scenario]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Label value in every metric of this scenario.
    pub name: ScenarioName,
    pub target: Target,
    pub api: Api,
    pub model: String,
    /// Whether requests ask for SSE streaming (ignored for embeddings and http).
    pub stream: bool,
    /// Requests in flight at once; 1 is the pytest suite's sequential "sync" mode.
    pub concurrency: usize,
    /// Whole-request timeout, streaming included.
    pub timeout: Duration,
    /// Sent as `Authorization: Bearer`; read from `api_key_env` or `api_key_file`.
    pub api_key: Option<Secret>,
    /// Extra request headers; credential-like ones are marked sensitive.
    pub headers: http::HeaderMap,
    /// Larger bodies are cut and counted as errors.
    pub max_response_bytes: u64,
    /// The path through the target the scenario drives, and which outcomes it expects
    /// (docs/failure-paths.md).
    pub path: Path,
    /// Size of the prompt (or embeddings input) sent; 0: the short prompt.
    pub prompt_bytes: usize,
}

pub fn validate_all(raw: &[RawScenario], fake_enabled: bool, p: &mut Problems) -> Vec<Scenario> {
    if raw.is_empty() {
        p.push("scenario", "at least one [[scenario]] is required");
    }
    if raw.len() > MAX_SCENARIOS {
        p.push("scenario", format!("at most {MAX_SCENARIOS} [[scenario]] tables, got {}", raw.len()));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let s = validate(r, &format!("scenario[{i}]"), fake_enabled, p);
        if !seen.insert(r.name.clone()) {
            p.push(format!("scenario[{i}].name"), format!("{:?} is used by an earlier scenario", r.name));
        }
        out.push(s);
    }
    out
}

fn validate(raw: &RawScenario, at: &str, fake_enabled: bool, p: &mut Problems) -> Scenario {
    let name = ScenarioName::parse(&raw.name).unwrap_or_else(|e| {
        p.push(format!("{at}.name"), e);
        ScenarioName("invalid".into())
    });
    let api = match p.one_of(&format!("{at}.api"), &raw.api, APIS) {
        Some(1) => Api::Completions,
        Some(2) => Api::Embeddings,
        Some(3) => Api::Http,
        _ => Api::Chat,
    };
    if raw.model.is_empty() && api != Api::Http {
        p.push(format!("{at}.model"), "must not be empty");
    }
    Scenario {
        name,
        target: target(raw, at, fake_enabled, api, p),
        api,
        model: raw.model.clone(),
        stream: raw.stream && matches!(api, Api::Chat | Api::Completions),
        concurrency: concurrency(raw, at, p),
        timeout: timeout(p, &format!("{at}.timeout"), raw.timeout.0),
        api_key: api_key(raw, at, p),
        headers: headers(raw, at, p),
        max_response_bytes: p.between(
            &format!("{at}.max_response_bytes"),
            raw.max_response_bytes,
            1024,
            MAX_MAX_RESPONSE_BYTES,
        ),
        path: path::validate(path_keys(raw, api), at, p),
        prompt_bytes: p.between(&format!("{at}.prompt_bytes"), raw.prompt_bytes, 0, path::MAX_PROMPT_BYTES) as usize,
    }
}

/// The keys [`path::validate`] reads.
fn path_keys(raw: &RawScenario, api: Api) -> path::Keys<'_> {
    path::Keys {
        path: &raw.path,
        disconnect_after_chunks: raw.disconnect_after_chunks,
        oversized_body_bytes: raw.oversized_body_bytes,
        streams: raw.stream && matches!(api, Api::Chat | Api::Completions),
        bodiless: api == Api::Http,
    }
}

fn target(raw: &RawScenario, at: &str, fake_enabled: bool, api: Api, p: &mut Problems) -> Target {
    if !raw.url.is_empty() && !raw.urls.is_empty() {
        p.push(format!("{at}.urls"), "set either url or urls, not both");
    }
    let listed: Vec<(String, &String)> = if raw.urls.is_empty() {
        (!raw.url.is_empty()).then(|| (format!("{at}.url"), &raw.url)).into_iter().collect()
    } else {
        raw.urls.iter().enumerate().map(|(j, u)| (format!("{at}.urls[{j}]"), u)).collect()
    };
    if listed.is_empty() {
        if !fake_enabled {
            p.push(format!("{at}.url"), "required when fake_llm.enabled = false");
        }
        if api == Api::Http {
            p.push(format!("{at}.url"), "api = \"http\" needs a full URL");
        }
        return Target::Fake;
    }
    Target::Urls(listed.into_iter().map(|(key, u)| http_url(p, &key, u)).collect())
}

/// At least 1, at most [`MAX_CONCURRENCY`], and within the open-file limit: each request in flight holds a
/// connection, two when the target is the built-in fake endpoint in this same process.
fn concurrency(raw: &RawScenario, at: &str, p: &mut Problems) -> usize {
    let key = format!("{at}.concurrency");
    let value = p.between(&key, raw.concurrency, 1, MAX_CONCURRENCY);
    let per_request = if raw.url.is_empty() && raw.urls.is_empty() { 2 } else { 1 };
    let limit = open_file_limit();
    let max = limit.saturating_sub(OWN_FILES_MARGIN) / per_request;
    if raw.concurrency <= MAX_CONCURRENCY && raw.concurrency > max {
        let why = if per_request == 2 { "; each request to the built-in fake endpoint holds two" } else { "" };
        p.push(
            key,
            format!(
                "must be at most {max}: the open-file limit (ulimit -n) is {limit}, {OWN_FILES_MARGIN} kept for \
                 leaksoak itself{why}; got {}",
                raw.concurrency
            ),
        );
    }
    value.min(max.max(1)) as usize
}

/// The soft limit on open files of this process; unlimited when it cannot be read.
fn open_file_limit() -> u64 {
    crate::limits::open_files().unwrap_or(u64::MAX)
}

fn timeout(p: &mut Problems, key: &str, d: Duration) -> Duration {
    if d.is_zero() {
        p.push(key, "must be longer than 0s");
    }
    p.duration_at_most(key, d, MAX_TIMEOUT)
}

fn api_key(raw: &RawScenario, at: &str, p: &mut Problems) -> Option<Secret> {
    match (raw.api_key_env.is_empty(), raw.api_key_file.is_empty()) {
        (true, true) => None,
        (false, false) => {
            p.push(format!("{at}.api_key_file"), "set either api_key_env or api_key_file, not both");
            None
        }
        (false, true) => super::secret::secret_env(p, &format!("{at}.api_key_env"), &raw.api_key_env),
        (true, false) => super::secret::secret_file(p, &format!("{at}.api_key_file"), &raw.api_key_file),
    }
}

fn headers(raw: &RawScenario, at: &str, p: &mut Problems) -> http::HeaderMap {
    let mut out = http::HeaderMap::new();
    for (k, v) in &raw.headers {
        let key = format!("{at}.headers.{k}");
        let name = http::HeaderName::from_bytes(k.as_bytes());
        let value = http::HeaderValue::from_str(v);
        match (name, value) {
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(raw.is_secret_header(k));
                out.insert(name, value);
            }
            (Err(_), _) => p.push(key, "not a valid HTTP header name"),
            (_, Err(_)) => p.push(key, "not a valid HTTP header value"),
        }
    }
    out
}
