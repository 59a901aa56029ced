//! The load generator: one batch of one scenario's requests at a time.
//!
//! A [`Client`] per scenario holds the prepared requests and its workers' connections; [`run_batch`]
//! sends a batch and returns [`BatchStats`]. There is one transport for every target: HTTP/1.1 over
//! hyper, each worker on its own keep-alive connections, wrapped in TLS (rustls, ALPN `http/1.1`) for
//! `https://`, so a scenario behaves the same whatever the scheme. Failures are data: every request
//! yields an [`Outcome`] with an [`ErrorKind`] (the kinds of [`crate::failure`]) when it failed, and the
//! batch always runs to its end.
//! Memory is bounded whatever the target does: bodies are capped, latencies go into fixed-size histograms.
//!
//! Layout, in the order a request takes: `batch` (workers claiming requests) → `client` (the scenario's
//! endpoints and the `request`s it sends in turn, a worker's send under its `deadline` alarm) →
//! `transport` (connections, plain or through `tls`) → `body` (reading within the cap: whole bodies judged
//! by `answer`, streams by `sse` events) → `path` (whether the ending is what the scenario's path drives
//! to) → `outcome` → `stats`.

mod answer;
mod batch;
mod body;
mod client;
mod deadline;
mod outcome;
mod path;
mod request;
mod sse;
mod stats;
mod tls;
mod transport;

pub use batch::run as run_batch;
pub use client::{Client, Error, Worker};
pub use outcome::{Expected, Outcome};
pub use stats::ExpectedCounts;
pub use stats::{BatchStats, ErrorCounts};

use crate::failure::ErrorKind;

#[cfg(test)]
mod tests;

/// Runs the SSE reader over `data` in chunks of `chunk` bytes (see [`crate::fuzz_api::sse`]).
#[doc(hidden)]
pub fn read_sse_for_fuzzing(data: &[u8], chunk: usize) -> Result<(), ErrorKind> {
    use futures_util::FutureExt as _;
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
        data.chunks(chunk.max(1)).map(|c| Ok(bytes::Bytes::copy_from_slice(c))).collect();
    let read = body::read_stream(futures_util::stream::iter(chunks), 1 << 20, std::time::Instant::now(), None);
    // Every chunk is ready, so the reader never waits: one poll runs it to the end.
    read.now_or_never().map_or(Err(ErrorKind::Stream), |r| r.result)
}
