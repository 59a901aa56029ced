//! What one request yields: a value, failure included.

use std::time::Duration;

/// Why a request failed. Bounded: it is a Prometheus label (`leaksoak_request_errors_total{kind}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No response at all: connection refused or reset, DNS failure, closed before a response.
    Connect,
    /// The whole-request timeout elapsed (before or during the body).
    Timeout,
    /// The response status was not 2xx, nor a redirect.
    Status,
    /// A non-streamed body could not be read or was not the expected JSON, or exceeded the size cap.
    Decode,
    /// A streamed response broke: cut before `[DONE]`, an event that is not a JSON chunk, or over the cap.
    Stream,
    /// The response was a redirect (3xx), which the load generator does not follow: the scenario's URL
    /// is not the address that answers.
    Redirect,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Status,
        ErrorKind::Decode,
        ErrorKind::Stream,
        ErrorKind::Redirect,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Status => "status",
            ErrorKind::Decode => "decode",
            ErrorKind::Stream => "stream",
            ErrorKind::Redirect => "redirect",
        }
    }
}

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
