//! The built-in fake OpenAI-compatible endpoint (docs/fake-endpoint.md), on hyper.
//!
//! It is part of the product, not a mock: it speaks the real wire format (the official `openai` Python SDK
//! is tested against it) and has fault knobs (latency, error rate, error models) and deliberate leaks
//! (`leak_bytes_per_request`, `leak_bytes_per_error`) that keep real, touched memory alive, and real file
//! descriptors, sockets and threads (`leak_fds_every`, …), so the whole
//! pipeline can be proven end to end. [`serve`] runs it in-process; `leaksoak fake-llm` runs it alone.

mod cancel;
mod faults;
mod handles;
mod json_out;
mod metrics;
mod drowning;
mod plateau;
mod routes;
mod wire;

pub use faults::{MODEL_ERROR_429, MODEL_ERROR_500, WRONG_API_KEY};

use crate::settings::FakeLlm;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// Connections still open at shutdown get this long to finish their response.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The words of every completion, split into `stream_chunks` pieces when streaming.
const TEXT: &str = "This is a response from the leaksoak fake OpenAI-compatible endpoint, \
                    which answers every request the same way so that only leaks change memory.";

/// What every connection shares.
#[derive(Debug)]
struct State {
    /// The fault knobs.
    settings: FakeLlm,
    /// The full completion text.
    text: String,
    /// The same text in `stream_chunks` pieces.
    pieces: Vec<String>,
    /// Deliberately leaked memory.
    leaks: faults::LeakStore,
    /// Deliberately bounded memory (the plateau knobs).
    plateau: plateau::PlateauStore,
    /// The drowning mode's count of what it kept (the memory itself is in `leaks`).
    drowning: drowning::Drowning,
    /// Deliberately kept file descriptors, sockets and threads.
    handles: handles::HandleStore,
    /// Request counters for `/metrics`.
    metrics: metrics::Metrics,
    /// Source of response ids.
    serial: AtomicU64,
}

impl State {
    fn new(settings: FakeLlm) -> Self {
        let words: Vec<&str> = TEXT.split_whitespace().collect();
        let n = settings.stream_chunks.max(1);
        let pieces = (0..n)
            .map(|i| {
                let (lo, hi) = (i * words.len() / n, (i + 1) * words.len() / n);
                let piece = words[lo.min(words.len())..hi.min(words.len())].join(" ");
                if lo == 0 || piece.is_empty() { piece } else { format!(" {piece}") }
            })
            .collect();
        Self {
            settings,
            text: TEXT.split_whitespace().collect::<Vec<_>>().join(" "),
            pieces,
            leaks: faults::LeakStore::default(),
            plateau: plateau::PlateauStore::default(),
            drowning: drowning::Drowning::default(),
            handles: handles::HandleStore::default(),
            metrics: metrics::Metrics::new(),
            serial: AtomicU64::new(1),
        }
    }

    fn created(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }

    fn stamp(&self) -> wire::Stamp {
        wire::Stamp { serial: self.serial.fetch_add(1, Ordering::Relaxed), created: self.created() }
    }
}

/// Serves the fake endpoint on `listener` until `shutdown` completes, then lets open connections finish
/// for up to [`SHUTDOWN_GRACE`].
pub async fn serve(listener: TcpListener, settings: FakeLlm, shutdown: impl Future<Output = ()>) {
    let state = Arc::new(State::new(settings));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let state = Arc::clone(&state);
                    let service = service_fn(move |req| routes::handle(Arc::clone(&state), req));
                    let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                    tokio::spawn(conn);
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "fake endpoint: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::debug!("fake endpoint: connections still open after the grace period");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_rebuild_the_text() {
        for n in [1, 3, 10, 40] {
            let s = State::new(FakeLlm { stream_chunks: n, ..FakeLlm::default() });
            assert_eq!(s.pieces.len(), n);
            assert_eq!(s.pieces.concat().trim(), s.text);
        }
    }
}
