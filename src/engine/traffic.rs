//! The daemon's own endpoints as the engine sees them: with the `self` and `self-heap` sources the process
//! measured also serves `/metrics`, `/status`, `/` and the rest, so the requests they answered during a
//! cycle travel with it to the judge (docs/analysis.md#leaksoaks-own-endpoints).

use std::sync::atomic::{AtomicU64, Ordering};

/// Requests leaksoak's own HTTP endpoints answered since start: the server counts, the engine reads it at
/// the start and the end of every cycle.
#[derive(Debug, Default)]
pub struct EndpointCounter(AtomicU64);

impl EndpointCounter {
    /// One more request answered.
    pub fn count(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests answered so far.
    pub fn total(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}
