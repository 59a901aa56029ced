//! Per-batch aggregates of request outcomes, in bounded memory (histograms, never lists).

use super::outcome::{Expected, Outcome};
use crate::failure::ErrorKind;
use hdrhistogram::Histogram;
use std::marker::PhantomData;

/// Longest latency a histogram tracks: one hour, in microseconds. Longer values are clamped.
const MAX_MICROS: u64 = 3_600_000_000;
/// Two significant digits: 1 % resolution at every scale, ~25 KiB per histogram.
const SIGFIG: u8 = 2;

/// A kind that is counted per batch: the variants of a fieldless enum, in the order of [`Kind::ALL`].
pub trait Kind: Copy + 'static {
    /// Every variant, each at its own index.
    const ALL: &'static [Self];
    /// The variant's position in [`Kind::ALL`].
    fn index(self) -> usize;
}

impl Kind for ErrorKind {
    const ALL: &'static [Self] = &ErrorKind::ALL;
    fn index(self) -> usize {
        self as usize
    }
}

impl Kind for Expected {
    const ALL: &'static [Self] = &Expected::ALL;
    fn index(self) -> usize {
        self as usize
    }
}

/// Counts by kind, one slot per variant of `K`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts<K, const N: usize> {
    /// The count of each kind, at its [`Kind::index`].
    counts: [u64; N],
    /// Which enum the slots are for.
    kind: PhantomData<K>,
}

/// Counts of failures by kind.
pub type ErrorCounts = Counts<ErrorKind, { ErrorKind::ALL.len() }>;

/// Counts of the outcomes a scenario's failure path expects, by kind (docs/failure-paths.md).
pub type ExpectedCounts = Counts<Expected, { Expected::ALL.len() }>;

impl<K, const N: usize> Default for Counts<K, N> {
    fn default() -> Self {
        Self { counts: [0; N], kind: PhantomData }
    }
}

impl<K: Kind, const N: usize> Counts<K, N> {
    pub fn get(&self, kind: K) -> u64 {
        self.counts[kind.index()]
    }

    pub fn add(&mut self, kind: K, n: u64) {
        self.counts[kind.index()] += n;
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `(kind, count)` for every kind, zero counts included.
    pub fn iter(&self) -> impl Iterator<Item = (K, u64)> + '_ {
        K::ALL.iter().map(|k| (*k, self.get(*k)))
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

    #[test]
    fn every_kind_counts_in_its_own_slot() {
        fn each<K: Kind + std::fmt::Debug, const N: usize>() {
            let mut counts = Counts::<K, N>::default();
            for (i, k) in K::ALL.iter().enumerate() {
                assert_eq!(k.index(), i, "{k:?} is at its place in ALL");
                counts.add(*k, i as u64 + 1);
            }
            let got: Vec<u64> = counts.iter().map(|(_, n)| n).collect();
            assert_eq!(got, (1..=N as u64).collect::<Vec<_>>());
            assert_eq!(counts.total(), (1..=N as u64).sum::<u64>());
        }
        each::<ErrorKind, { ErrorKind::ALL.len() }>();
        each::<Expected, { Expected::ALL.len() }>();
    }
}
