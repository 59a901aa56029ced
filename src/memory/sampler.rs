//! The sampler the cycle engine calls after every batch: settle, read a few times, take the median, and
//! say whether the target restarted since the previous sample.

use super::Error;
use super::read::{Identity, Read};
use super::resources::{Breakdown, Unreadable};
use super::source::Source;
use std::collections::BTreeMap;
use std::time::Duration;

/// Pause between the reads of one sample, so that one transient (a GC pause, an allocation burst) lands
/// in one read, which the median then discards. Short enough to add nothing noticeable to a batch.
pub const READ_GAP: Duration = Duration::from_millis(50);

/// The one memory sampler of a daemon; owns the configured source.
#[derive(Debug)]
pub struct Sampler {
    /// What is read, with its state (process table, HTTP client, resolved pid).
    source: Source,
    /// Reads per sample; the median is the sample.
    samples_per_batch: usize,
    /// Wait before the first read.
    settle: Duration,
    /// Identity seen by the previous completed sample; a different one now is a restart.
    identity: Option<Identity>,
    /// Whether the series beside memory are read (`memory.resources`).
    resources: bool,
    /// Those series already reported unreadable, each logged once.
    unreadable: Unreadable,
}

/// One sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Median of the reads, in bytes.
    pub bytes: u64,
    /// The target is not the one measured by the previous sample (new pid or start time, recreated
    /// cgroup, new start time on the scraped page, new PromQL series). The engine discards the cycle.
    pub restarted: bool,
    /// Processes of a measured process tree that ended since the previous sample, the root excepted:
    /// workers the server recycled. Counted and logged, never a restart; 0 for other sources.
    pub churned: u32,
    /// Resource counts read at the same sample point (once, after the last read), by name; series that
    /// could not be read are left out.
    pub resources: BTreeMap<String, u64>,
    /// Where the memory is, when the source can tell.
    pub breakdown: Option<Breakdown>,
}

impl Sampler {
    /// A sampler for `settings`. Cheap: no I/O happens before the first [`Sampler::sample`].
    pub fn new(settings: &crate::settings::Memory) -> Result<Self, Error> {
        Ok(Self {
            source: Source::new(&settings.source, settings.settle, &settings.resources)?,
            samples_per_batch: settings.samples_per_batch.max(1),
            settle: settings.settle,
            identity: None,
            resources: settings.resources.enabled,
            unreadable: Unreadable::default(),
        })
    }

    /// The memory limit of what is measured (the cgroup's `memory.max`), when the source has one: the
    /// forecast's limit when `analysis.forecast_memory_limit_bytes` is not set.
    pub fn memory_limit(&self) -> Option<u64> {
        self.source.memory_limit()
    }

    /// Waits `settle`, takes `samples_per_batch` reads, and returns their median.
    ///
    /// Cancel-safe: dropped mid-way (by a `tokio::select!`), it leaves the remembered identity as it was,
    /// so a restart seen by a cancelled sample is still reported by the next one. The first failed read
    /// fails the sample.
    pub async fn sample(&mut self) -> Result<Reading, Error> {
        tokio::time::sleep(self.settle).await;
        self.sample_at_rest().await
    }

    /// [`Sampler::sample`] without the `settle` wait, for a target that has had no request for a while
    /// (the end of the idle pause between cycles): nothing is left to settle. Cancel-safe the same way.
    pub async fn sample_at_rest(&mut self) -> Result<Reading, Error> {
        let mut reads = Vec::with_capacity(self.samples_per_batch);
        for i in 0..self.samples_per_batch {
            if i > 0 {
                tokio::time::sleep(READ_GAP).await;
            }
            reads.push(self.source.read().await?);
        }
        let mut reading = self.conclude(reads);
        if self.resources {
            let extras = self.source.extras(&mut self.unreadable);
            reading.resources = extras.resources;
            reading.breakdown = extras.breakdown;
        }
        Ok(reading)
    }

    /// Whether what is measured is leaksoak's own process (`self`, `self-heap`), which also serves its
    /// endpoints.
    pub fn measures_itself(&self) -> bool {
        matches!(self.source, Source::OwnRss(_) | Source::OwnHeap)
    }

    /// What is measured, for logs: "process 1234 (litellm)".
    pub fn describe(&self) -> String {
        self.source.describe()
    }

    /// The median of the reads of the latest target, and whether it differs from the previous sample's.
    fn conclude(&mut self, reads: Vec<Read>) -> Reading {
        let latest = reads.iter().rev().find_map(|r| r.identity.clone());
        let restarted = match (&self.identity, &latest) {
            (Some(before), Some(now)) => before != now,
            _ => false,
        } || reads.iter().any(|r| r.identity.is_some() && r.identity != latest);
        // A restart mid-sample: only the reads of the new target count.
        let mut bytes: Vec<u64> =
            reads.iter().filter(|r| r.identity.is_none() || r.identity == latest).map(|r| r.bytes).collect();
        if latest.is_some() {
            self.identity = latest;
        }
        Reading {
            bytes: median(&mut bytes),
            restarted,
            churned: self.source.take_churn(),
            resources: BTreeMap::new(),
            breakdown: None,
        }
    }
}

/// The median; for an even count, the mean of the two middle values (rounded down). 0 for no values.
pub fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    let mid = values.len() / 2;
    match values.len() {
        0 => 0,
        n if n % 2 == 1 => values[mid],
        _ => {
            let (a, b) = (values[mid - 1], values[mid]);
            a / 2 + b / 2 + (a % 2 + b % 2) / 2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Memory, MemorySource};

    fn read(bytes: u64, pid: Option<u32>) -> Read {
        Read { bytes, identity: pid.map(|pid| Identity::Process { pid, start_time: 1 }) }
    }

    fn sampler() -> Sampler {
        let settings = Memory {
            source: MemorySource::OwnHeap,
            samples_per_batch: 3,
            settle: Duration::ZERO,
            resources: Default::default(),
        };
        Sampler::new(&settings).expect("no I/O, no failure")
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), 0);
        assert_eq!(median(&mut [7]), 7);
        assert_eq!(median(&mut [9, 1, 5]), 5);
        assert_eq!(median(&mut [4, 1, 3, 2]), 2);
        assert_eq!(median(&mut [u64::MAX, u64::MAX]), u64::MAX);
        assert_eq!(median(&mut [3, 1_000_000, 2]), 3);
    }

    #[test]
    fn restart_is_a_change_of_identity_between_samples() {
        let mut s = sampler();
        assert_eq!(
            s.conclude(vec![read(10, Some(1)), read(30, Some(1)), read(20, Some(1))]),
            Reading { bytes: 20, restarted: false, churned: 0, resources: BTreeMap::new(), breakdown: None }
        );
        assert!(!s.conclude(vec![read(10, Some(1))]).restarted);
        assert!(s.conclude(vec![read(10, Some(2))]).restarted);
        assert!(!s.conclude(vec![read(10, Some(2))]).restarted);
        // No identity (own memory, a scalar): never a restart, and the last known one is kept.
        assert!(!s.conclude(vec![read(10, None)]).restarted);
        assert!(s.conclude(vec![read(10, Some(4))]).restarted);
    }

    #[test]
    fn restart_within_a_sample_keeps_only_the_new_target() {
        let mut s = sampler();
        let got = s.conclude(vec![read(900, Some(1)), read(100, Some(2)), read(120, Some(2))]);
        assert_eq!((got.bytes, got.restarted, got.churned), (110, true, 0));
    }

    #[tokio::test]
    async fn only_a_sample_after_a_batch_waits_to_settle() {
        let settings = Memory {
            source: MemorySource::OwnRss,
            samples_per_batch: 1,
            settle: Duration::from_secs(60),
            resources: Default::default(),
        };
        let mut s = Sampler::new(&settings).expect("no I/O, no failure");
        let at_rest = tokio::time::timeout(Duration::from_secs(5), s.sample_at_rest()).await;
        assert!(at_rest.is_ok_and(|r| r.is_ok()), "the end of an idle pause reads at once");
        let after_batch = tokio::time::timeout(Duration::from_millis(300), s.sample()).await;
        assert!(after_batch.is_err(), "after a batch, the 60 s settle comes first");
    }

    #[tokio::test]
    async fn self_heap_without_the_allocator_is_an_error() {
        let err = sampler().sample().await.expect_err("not installed in unit tests");
        assert_eq!(err, Error::HeapNotCounted);
        assert!(err.to_string().contains("global_allocator"), "{err}");
    }
}
