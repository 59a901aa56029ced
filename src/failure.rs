//! The kinds of failed request (connect, timeout, status, …): one vocabulary, low in the map, that the load
//! generator classifies a failure into, the analysis names in a verdict's hint (`analyze::failures`), a
//! recording keeps by name and the metrics use as a label. It lives in neither the load generator nor the
//! analysis, so the pure analysis does not depend on the code that sends requests.

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
