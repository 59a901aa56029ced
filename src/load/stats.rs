//! Per-batch aggregates of request outcomes, in bounded memory (histograms, never lists).

use super::outcome::{Expected, Outcome};
use crate::failure::ErrorKind;
use hdrhistogram::Histogram;

/// Longest latency a histogram tracks: one hour, in microseconds. Longer values are clamped.
const MAX_MICROS: u64 = 3_600_000_000;
/// Two significant digits: 1 % resolution at every scale, ~25 KiB per histogram.
const SIGFIG: u8 = 2;

/// Counts of failures by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorCounts([u64; ErrorKind::ALL.len()]);

impl ErrorCounts {
    pub fn get(&self, kind: ErrorKind) -> u64 {
        self.0[kind as usize]
    }

    pub fn add(&mut self, kind: ErrorKind, n: u64) {
        self.0[kind as usize] += n;
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// `(kind, count)` for every kind, zero counts included.
    pub fn iter(&self) -> impl Iterator<Item = (ErrorKind, u64)> + '_ {
        ErrorKind::ALL.into_iter().map(|k| (k, self.get(k)))
    }
}

/// Counts of the outcomes a scenario's failure path expects, by kind (docs/failure-paths.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpectedCounts([u64; Expected::ALL.len()]);

impl ExpectedCounts {
    pub fn get(&self, kind: Expected) -> u64 {
        self.0[kind as usize]
    }

    pub fn add(&mut self, kind: Expected, n: u64) {
        self.0[kind as usize] += n;
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// `(kind, count)` for every kind, zero counts included.
    pub fn iter(&self) -> impl Iterator<Item = (Expected, u64)> + '_ {
        Expected::ALL.into_iter().map(|k| (k, self.get(k)))
    }
}

/// What one batch did.
#[derive(Debug, Clone)]
pub struct BatchStats {
    /// Requests finished (successful or not).
    pub requests: u64,
    /// Failed requests by kind.
    pub errors: ErrorCounts,
    /// Requests that ended as the scenario's failure path expects, by kind: not failures.
    pub expected: ExpectedCounts,
    /// Body bytes received.
    pub bytes: u64,
    /// Request latency in microseconds.
    pub latency: Histogram<u64>,
    /// Time to first token in microseconds, streaming requests only.
    pub time_to_first_token: Histogram<u64>,
}

impl BatchStats {
    pub fn new() -> Self {
        Self {
            requests: 0,
            errors: ErrorCounts::default(),
            expected: ExpectedCounts::default(),
            bytes: 0,
            latency: histogram(),
            time_to_first_token: histogram(),
        }
    }

    pub fn record(&mut self, o: &Outcome) {
        self.requests += 1;
        self.bytes += o.bytes;
        if let Err(kind) = o.result {
            self.errors.add(kind, 1);
        }
        if let Some(kind) = o.expected {
            self.expected.add(kind, 1);
        }
        self.latency.saturating_record(micros(o.latency));
        if let Some(t) = o.time_to_first_token {
            self.time_to_first_token.saturating_record(micros(t));
        }
    }

    pub fn merge(&mut self, other: &BatchStats) {
        self.requests += other.requests;
        self.bytes += other.bytes;
        for (kind, n) in other.errors.iter() {
            self.errors.add(kind, n);
        }
        for (kind, n) in other.expected.iter() {
            self.expected.add(kind, n);
        }
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        let _ = self.time_to_first_token.add(&other.time_to_first_token);
    }

    /// Failed requests.
    pub fn failed(&self) -> u64 {
        self.errors.total()
    }

    /// Requests answered: neither failed nor ended in an expected failure.
    pub fn answered(&self) -> u64 {
        self.requests.saturating_sub(self.failed() + self.expected.total())
    }
}

impl Default for BatchStats {
    fn default() -> Self {
        Self::new()
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, SIGFIG).expect("constant bounds are valid")
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).clamp(1, MAX_MICROS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn outcome(ms: u64, result: Result<(), ErrorKind>) -> Outcome {
        Outcome { latency: Duration::from_millis(ms), time_to_first_token: None, bytes: 10, result, expected: None }
    }

    #[test]
    fn records_and_merges() {
        let mut a = BatchStats::new();
        a.record(&outcome(5, Ok(())));
        a.record(&outcome(7, Err(ErrorKind::Status)));
        let mut b = BatchStats::new();
        b.record(&outcome(2 * 3_600_000 + 1, Err(ErrorKind::Timeout)));
        b.record(&Outcome { expected: Some(Expected::Disconnected), ..outcome(3, Ok(())) });
        a.merge(&b);
        assert_eq!((a.requests, a.failed(), a.bytes), (4, 2, 40));
        assert_eq!((a.expected.get(Expected::Disconnected), a.expected.total(), a.answered()), (1, 1, 1));
        assert_eq!(a.errors.get(ErrorKind::Status), 1);
        assert_eq!(a.errors.get(ErrorKind::Timeout), 1);
        assert_eq!(a.latency.len(), 4);
        assert!(a.latency.max() >= 3_500_000_000, "clamped, not dropped");
    }
}
