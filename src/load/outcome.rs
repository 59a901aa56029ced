//! What one request yields: a value, failure included (its kind from [`crate::failure`]).

use crate::failure::ErrorKind;
use std::time::Duration;

/// How a request ended when it ended the way its scenario's failure path drives it to (docs/failure-paths.md):
/// not a failed request, so not counted against `analysis.max_error_ratio`. Bounded: it is a Prometheus
/// label (`leaksoak_path_outcomes_total{outcome}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expected {
    /// `upstream_failure`: an error passed on by the proxy once its retries and fallbacks gave up (429, 5xx).
    UpstreamError,
    /// `disconnect`: the client went away in mid-stream on purpose.
    Disconnected,
    /// `timeout`: the proxy's timeout answer (408, 504).
    TimedOut,
    /// `rejected`: a malformed body refused (4xx).
    RejectedMalformed,
    /// `rejected`: a wrong API key refused (4xx).
    RejectedKey,
    /// `rejected`: a body over the size limit refused (4xx).
    RejectedOversized,
}

impl Expected {
    pub const ALL: [Expected; 6] = [
        Expected::UpstreamError,
        Expected::Disconnected,
        Expected::TimedOut,
        Expected::RejectedMalformed,
        Expected::RejectedKey,
        Expected::RejectedOversized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Expected::UpstreamError => "upstream_error",
            Expected::Disconnected => "disconnected",
            Expected::TimedOut => "timed_out",
            Expected::RejectedMalformed => "rejected_malformed",
            Expected::RejectedKey => "rejected_key",
            Expected::RejectedOversized => "rejected_oversized",
        }
    }
}

/// The result of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Send to the end of the body (the full stream when streaming).
    pub latency: Duration,
    /// Send to the first event of a stream; `None` when not streaming or no event arrived.
    pub time_to_first_token: Option<Duration>,
    /// Body bytes received.
    pub bytes: u64,
    /// `Err` carries why it failed; the request still counts. `Ok` for an answer, and for the failure its
    /// scenario's path expects (`expected`).
    pub result: Result<(), ErrorKind>,
    /// Set when the request ended the way its scenario's failure path drives it to; `result` is then `Ok`.
    pub expected: Option<Expected>,
}
