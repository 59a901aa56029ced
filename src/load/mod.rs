//! The load generator: one batch of one scenario's requests at a time.
//!
//! A [`Client`] per scenario holds the connection pool and the prepared request; [`run_batch`] sends a
//! batch and returns [`BatchStats`]. Failures are data: every request yields an [`Outcome`] with an
//! [`ErrorKind`] when it failed, and the batch always runs to its end. Memory is bounded whatever the
//! target does: bodies are capped, latencies go into fixed-size histograms.

mod batch;
mod body;
mod client;
mod direct;
mod outcome;
mod stats;

pub use batch::run as run_batch;
pub use client::{Client, Error, Worker};
pub use outcome::{ErrorKind, Outcome};
pub use stats::{BatchStats, ErrorCounts};

#[cfg(test)]
mod tests;
