//! What one request yields: a value, failure included.

use std::time::Duration;

/// Why a request failed. Bounded: it is a Prometheus label (`leaksoak_request_errors_total{kind}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No response at all: connection refused or reset, DNS failure, closed before a response.
    Connect,
    /// The whole-request timeout elapsed (before or during the body).
    Timeout,
    /// The response status was not 2xx.
    Status,
    /// A non-streamed body could not be read or was not the expected JSON, or exceeded the size cap.
    Decode,
    /// A streamed response broke: cut before `[DONE]`, an event that is not a JSON chunk, or over the cap.
    Stream,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 5] =
        [ErrorKind::Connect, ErrorKind::Timeout, ErrorKind::Status, ErrorKind::Decode, ErrorKind::Stream];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Status => "status",
            ErrorKind::Decode => "decode",
            ErrorKind::Stream => "stream",
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
    /// `Err` carries why it failed; the request still counts.
    pub result: Result<(), ErrorKind>,
}
