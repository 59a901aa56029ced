//! `[fake_llm]`: the built-in OpenAI-compatible endpoint and its fault knobs (docs/fake-endpoint.md).

use super::duration::{HumaneDuration, MAX_DURATION};
use super::problems::Problems;
use super::server::socket_addr;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

/// Start the fake endpoint in-process, so the embedded default works with no other setup.
pub const ENABLED: bool = true;
/// A free loopback port: nothing outside the machine can reach it.
pub const LISTEN: &str = "127.0.0.1:0";
/// No added latency: the fake endpoint should never be the bottleneck.
pub const LATENCY: HumaneDuration = HumaneDuration::from_millis(0);
/// The drowning mode is off: set `drowning_bytes_per_request` to keep that much per completion request
/// (answered or not) and slow every answer as memory grows (docs/fake-endpoint.md#drowning).
pub const DROWNING_BYTES_PER_REQUEST: u64 = 0;
/// In the drowning mode, each answer waits this long per MiB kept so far: at 10 ms, 100 MiB kept make a
/// 1 s answer.
pub const DROWNING_DELAY_PER_MIB: HumaneDuration = HumaneDuration::from_millis(10);
/// Chunks per streamed completion, before the final `finish_reason: "stop"` chunk.
pub const STREAM_CHUNKS: u64 = 10;
/// Fraction of requests answered with HTTP 500 or 429.
pub const ERROR_RATE: f64 = 0.0;
/// Deliberate leaks are off: set them to prove detection end to end.
pub const LEAK_BYTES_PER_REQUEST: u64 = 0;
/// Bytes kept alive for every failed request (an error path that copies the request).
pub const LEAK_BYTES_PER_ERROR: u64 = 0;
/// Bytes kept alive for every request whose client went away before the answer's end: a stream cut in
/// mid-way, a slow answer given up on (docs/fake-endpoint.md#failure-paths).
pub const LEAK_BYTES_PER_CANCELLED: u64 = 0;
/// The model that fails upstream a share of the time (`fail_model_rate`), for the `upstream_failure`
/// path behind a proxy's retries and fallbacks; no other model is affected.
pub const FAIL_MODEL: &str = "flaky";
/// Half of `fail_model`'s requests fail (half of those 500, half 429): retries and fallbacks both run.
pub const FAIL_MODEL_RATE: f64 = 0.5;
/// The model whose answers are slow (`slow_model_latency`), for the `timeout` path.
pub const SLOW_MODEL: &str = "slow";
/// How long `slow_model` takes before answering 504: beyond a proxy's timeout as the docs set it (5 s),
/// within leaksoak's default request timeout (30 s), so soaked directly it still answers.
pub const SLOW_MODEL_LATENCY: HumaneDuration = HumaneDuration::from_secs(20);
/// No pause between streamed events: the whole stream goes out at once. A pause lets a client's
/// disconnect in mid-stream reach the endpoint before the stream is all sent.
pub const STREAM_CHUNK_DELAY: HumaneDuration = HumaneDuration::from_millis(0);
/// Deliberate leaks of file descriptors, sockets and threads are off (`0`): set one to keep one of them
/// per that many successful requests (docs/fake-endpoint.md#leaks-that-are-not-bytes).
pub const LEAK_EVERY_OFF: u64 = 0;
/// Bounded memory on purpose is off: `working_set` grows to `plateau_limit_bytes` and stops; `cache`
/// fills to it and is released, again and again; `staircase` grows in chunks and never stops (a leak that
/// reaches memory only in steps) (docs/fake-endpoint.md#plateaus).
pub const PLATEAU: &str = "off";
/// The plateau knobs grow by this much per successful request, in chunks of `plateau_chunk_bytes`.
pub const PLATEAU_BYTES_PER_REQUEST: u64 = 4096;
/// The plateau knobs take memory in chunks of this size (1 MiB, as an allocator arena grows): a chunk
/// every `plateau_chunk_bytes / plateau_bytes_per_request` requests.
pub const PLATEAU_CHUNK_BYTES: u64 = 1024 * 1024;
/// The smallest chunk: a page.
pub const MIN_PLATEAU_CHUNK_BYTES: u64 = 4096;
/// The largest chunk: 256 MiB at once is a test of the machine.
pub const MAX_PLATEAU_CHUNK_BYTES: u64 = 256 * 1024 * 1024;
/// Where a working set stops and a cache is released: 16 MiB, reached after 4,096 requests at the
/// default rate (about three default cycles).
pub const PLATEAU_LIMIT_BYTES: u64 = 16 * 1024 * 1024;
/// The largest plateau: a few GiB of bounded memory is a test of the machine, not of leaksoak.
pub const MAX_PLATEAU_LIMIT_BYTES: u64 = 4 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawFakeLlm {
    pub enabled: bool,
    pub listen: String,
    pub latency: HumaneDuration,
    pub drowning_bytes_per_request: u64,
    pub drowning_delay_per_mib: HumaneDuration,
    pub stream_chunks: u64,
    pub error_rate: f64,
    pub leak_bytes_per_request: u64,
    pub leak_bytes_per_error: u64,
    pub leak_bytes_per_cancelled: u64,
    pub fail_model: String,
    pub fail_model_rate: f64,
    pub slow_model: String,
    pub slow_model_latency: HumaneDuration,
    pub stream_chunk_delay: HumaneDuration,
    pub leak_fds_every: u64,
    pub leak_sockets_every: u64,
    pub leak_threads_every: u64,
    pub plateau: String,
    pub plateau_bytes_per_request: u64,
    pub plateau_chunk_bytes: u64,
    pub plateau_limit_bytes: u64,
}

impl Default for RawFakeLlm {
    fn default() -> Self {
        Self {
            enabled: ENABLED,
            listen: LISTEN.into(),
            latency: LATENCY,
            drowning_bytes_per_request: DROWNING_BYTES_PER_REQUEST,
            drowning_delay_per_mib: DROWNING_DELAY_PER_MIB,
            stream_chunks: STREAM_CHUNKS,
            error_rate: ERROR_RATE,
            leak_bytes_per_request: LEAK_BYTES_PER_REQUEST,
            leak_bytes_per_error: LEAK_BYTES_PER_ERROR,
            leak_bytes_per_cancelled: LEAK_BYTES_PER_CANCELLED,
            fail_model: FAIL_MODEL.into(),
            fail_model_rate: FAIL_MODEL_RATE,
            slow_model: SLOW_MODEL.into(),
            slow_model_latency: SLOW_MODEL_LATENCY,
            stream_chunk_delay: STREAM_CHUNK_DELAY,
            leak_fds_every: LEAK_EVERY_OFF,
            leak_sockets_every: LEAK_EVERY_OFF,
            leak_threads_every: LEAK_EVERY_OFF,
            plateau: PLATEAU.into(),
            plateau_bytes_per_request: PLATEAU_BYTES_PER_REQUEST,
            plateau_chunk_bytes: PLATEAU_CHUNK_BYTES,
            plateau_limit_bytes: PLATEAU_LIMIT_BYTES,
        }
    }
}

/// The validated `[fake_llm]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeLlm {
    /// Whether `run` and `once` start the endpoint in-process.
    pub enabled: bool,
    /// Where it listens; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Delay before each response starts.
    pub latency: Duration,
    /// The drowning mode: bytes kept per completion request before it is answered (0: off).
    pub drowning_bytes_per_request: usize,
    /// The drowning mode: each answer waits this long per MiB it has kept so far.
    pub drowning_delay_per_mib: Duration,
    /// Content chunks per streamed response.
    pub stream_chunks: usize,
    /// Probability in `0..=1` that a request fails with 500 or 429.
    pub error_rate: f64,
    /// Bytes kept alive (and touched) per successful request.
    pub leak_bytes_per_request: usize,
    /// Bytes kept alive (and touched) per failed request: injected errors and rejected requests.
    pub leak_bytes_per_error: usize,
    /// Bytes kept alive (and touched) per request whose client went away before the answer's end.
    pub leak_bytes_per_cancelled: usize,
    /// Requests naming this model fail with probability `fail_model_rate` (the `upstream_failure`
    /// path); empty: none.
    pub fail_model: String,
    /// Probability in `0..=1` that a request naming `fail_model` fails with 500 or 429.
    pub fail_model_rate: f64,
    /// Requests naming this model wait `slow_model_latency`, then are answered 504 (the `timeout`
    /// path); empty: none.
    pub slow_model: String,
    /// How long `slow_model`'s requests wait.
    pub slow_model_latency: Duration,
    /// Pause before each streamed event after the first, so a client's disconnect reaches the endpoint
    /// in mid-stream.
    pub stream_chunk_delay: Duration,
    /// Keep an open file descriptor per this many successful requests; 0: never.
    pub leak_fds_every: u64,
    /// Keep an open connection (one socket) per this many successful requests; 0: never.
    pub leak_sockets_every: u64,
    /// Keep a parked thread per this many successful requests; 0: never.
    pub leak_threads_every: u64,
    /// Bounded memory on purpose: off, a working set, or a cache that is released.
    pub plateau: Plateau,
    /// Bytes the plateau grows by per successful request.
    pub plateau_bytes_per_request: usize,
    /// The plateau takes memory in chunks of this many bytes.
    pub plateau_chunk_bytes: usize,
    /// Where the working set stops or the cache is released.
    pub plateau_limit_bytes: usize,
}

/// `fake_llm.plateau`: the shape of the fake endpoint's bounded memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plateau {
    Off,
    /// Grows with requests up to the limit, then holds it.
    WorkingSet,
    /// Grows with requests up to the limit, then releases everything and starts over.
    Cache,
    /// Grows in chunks with requests and never stops (up to [`MAX_PLATEAU_LIMIT_BYTES`]): a leak that
    /// reaches memory only in steps.
    Staircase,
}

impl Default for FakeLlm {
    fn default() -> Self {
        validate(&RawFakeLlm::default(), &mut Problems::default())
    }
}

/// Leaks beyond this per request would exhaust memory within seconds; they are a typo, not a test.
pub const MAX_LEAK_BYTES: u64 = 64 * 1024 * 1024;

/// The most chunks per streamed response: a hundred thousand SSE events is already a stress test of the
/// client's parser, not a completion.
pub const MAX_STREAM_CHUNKS: u64 = 100_000;

pub fn validate(raw: &RawFakeLlm, p: &mut Problems) -> FakeLlm {
    for (key, v) in [
        ("fake_llm.leak_bytes_per_request", raw.leak_bytes_per_request),
        ("fake_llm.leak_bytes_per_error", raw.leak_bytes_per_error),
        ("fake_llm.drowning_bytes_per_request", raw.drowning_bytes_per_request),
        ("fake_llm.leak_bytes_per_cancelled", raw.leak_bytes_per_cancelled),
    ] {
        if v > MAX_LEAK_BYTES {
            p.push(key, format!("must be at most {MAX_LEAK_BYTES} (64 MiB), got {v}"));
        }
    }
    FakeLlm {
        enabled: raw.enabled,
        listen: socket_addr(p, "fake_llm.listen", &raw.listen),
        latency: p.duration_at_most("fake_llm.latency", raw.latency.0, MAX_DURATION),
        drowning_bytes_per_request: raw.drowning_bytes_per_request.min(MAX_LEAK_BYTES) as usize,
        drowning_delay_per_mib: p.duration_at_most(
            "fake_llm.drowning_delay_per_mib",
            raw.drowning_delay_per_mib.0,
            MAX_DURATION,
        ),
        stream_chunks: p.between("fake_llm.stream_chunks", raw.stream_chunks, 1, MAX_STREAM_CHUNKS) as usize,
        error_rate: p.within("fake_llm.error_rate", raw.error_rate, 0.0, 1.0),
        leak_bytes_per_request: raw.leak_bytes_per_request.min(MAX_LEAK_BYTES) as usize,
        leak_bytes_per_error: raw.leak_bytes_per_error.min(MAX_LEAK_BYTES) as usize,
        leak_bytes_per_cancelled: raw.leak_bytes_per_cancelled.min(MAX_LEAK_BYTES) as usize,
        fail_model: raw.fail_model.clone(),
        fail_model_rate: p.within("fake_llm.fail_model_rate", raw.fail_model_rate, 0.0, 1.0),
        slow_model: raw.slow_model.clone(),
        slow_model_latency: p.duration_at_most("fake_llm.slow_model_latency", raw.slow_model_latency.0, MAX_DURATION),
        stream_chunk_delay: p.duration_at_most("fake_llm.stream_chunk_delay", raw.stream_chunk_delay.0, MAX_DURATION),
        leak_fds_every: raw.leak_fds_every,
        leak_sockets_every: raw.leak_sockets_every,
        leak_threads_every: raw.leak_threads_every,
        plateau: match raw.plateau.as_str() {
            "working_set" => Plateau::WorkingSet,
            "cache" => Plateau::Cache,
            "staircase" => Plateau::Staircase,
            other => {
                p.one_of("fake_llm.plateau", other, &["off", "working_set", "cache", "staircase"]);
                Plateau::Off
            }
        },
        plateau_bytes_per_request: p.between(
            "fake_llm.plateau_bytes_per_request",
            raw.plateau_bytes_per_request,
            0,
            MAX_LEAK_BYTES,
        ) as usize,
        plateau_chunk_bytes: p.between(
            "fake_llm.plateau_chunk_bytes",
            raw.plateau_chunk_bytes,
            MIN_PLATEAU_CHUNK_BYTES,
            MAX_PLATEAU_CHUNK_BYTES,
        ) as usize,
        plateau_limit_bytes: p.between(
            "fake_llm.plateau_limit_bytes",
            raw.plateau_limit_bytes,
            1024 * 1024,
            MAX_PLATEAU_LIMIT_BYTES,
        ) as usize,
    }
}
