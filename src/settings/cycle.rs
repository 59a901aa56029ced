//! `[cycle]`: the shape of one warmup-plus-measurement cycle. Defaults follow the pytest suite.

use super::duration::{HumaneDuration, MAX_DURATION};
use super::problems::Problems;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The pytest suite warms up with 3 batches so that caches and pools settle before anything is judged.
pub const WARMUP_BATCHES: u64 = 3;
/// At start and after a target restart, warm-up goes on past `warmup_batches`, by up to this many batches,
/// until memory stops rising (docs/analysis.md#warm-up-that-waits): a healthy LiteLLM proxy grows by 20 MiB
/// over its first thousand requests, caches and pools filling, and judging that as a leak is a false
/// alarm. 20 batches of 100 requests cover it twice. A leak never settles, so the first verdict on a leak
/// waits for all of them (once only: later cycles use `warmup_batches`); 0 keeps the pytest suite's fixed
/// warm-up.
pub const DEFAULT_MAX_SETTLE_BATCHES: u64 = 20;
/// The pytest suite measures 10 batches: enough for two full rolling windows of 5.
pub const MEASURE_BATCHES: u64 = 10;
/// The pytest suite's batch: 100 requests. Larger batches make per-request leaks more visible, cycles longer.
pub const BATCH_SIZE: u64 = 100;
/// The most warm-up batches: more than the longest measurement (see [`MAX_MEASURE_BATCHES`]) is a soak of
/// its own, and every batch of a cycle is kept in memory until the cycle is judged.
pub const MAX_WARMUP_BATCHES: u64 = 1_000;
/// The most measured batches. The slope rule's Theil–Sen fit keeps every pair of batches' slopes, n²/2
/// values: 4 MB at 1,000 batches, 400 MB at 10,000. A thousand batches of the default 100 requests is
/// already 100,000 requests per cycle.
pub const MAX_MEASURE_BATCHES: u64 = 1_000;
/// The most requests per batch. Memory does not grow with it (outcomes are folded into a histogram as
/// they come), time does: a million requests at 1,000 per second is a 17-minute batch.
pub const MAX_BATCH_SIZE: u64 = 1_000_000;
/// Idle time between cycles: lets the target collect garbage, keeps the load a soak rather than a stress test.
pub const PAUSE: HumaneDuration = HumaneDuration::from_secs(10);
/// Scenarios take turns; they never overlap because they share one memory source.
pub const SCENARIO_ORDER: &str = "round-robin";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawCycle {
    pub warmup_batches: u64,
    pub max_settle_batches: u64,
    pub measure_batches: u64,
    pub batch_size: u64,
    pub pause: HumaneDuration,
    pub scenario_order: String,
}

impl Default for RawCycle {
    fn default() -> Self {
        Self {
            warmup_batches: WARMUP_BATCHES,
            max_settle_batches: DEFAULT_MAX_SETTLE_BATCHES,
            measure_batches: MEASURE_BATCHES,
            batch_size: BATCH_SIZE,
            pause: PAUSE,
            scenario_order: SCENARIO_ORDER.into(),
        }
    }
}

/// How scenarios take turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioOrder {
    /// One cycle of each scenario in config order, then again from the first.
    RoundRobin,
}

/// The validated `[cycle]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// Batches sent, measured and exported, but not analysed.
    pub warmup_batches: u64,
    /// More warm-up batches allowed at start and after a restart, until memory settles.
    pub max_settle_batches: u64,
    /// Batches whose memory samples are analysed.
    pub measure_batches: u64,
    /// Requests per batch.
    pub batch_size: u64,
    /// Idle time between cycles.
    pub pause: Duration,
    /// How scenarios take turns.
    pub scenario_order: ScenarioOrder,
}

/// Validates `[cycle]` alone; its relations to `[analysis]` are checked in [`super::relations`].
pub fn validate(raw: &RawCycle, p: &mut Problems) -> Cycle {
    p.one_of("cycle.scenario_order", &raw.scenario_order, &["round-robin"]);
    Cycle {
        warmup_batches: p.between("cycle.warmup_batches", raw.warmup_batches, 0, MAX_WARMUP_BATCHES),
        max_settle_batches: p.between("cycle.max_settle_batches", raw.max_settle_batches, 0, MAX_WARMUP_BATCHES),
        measure_batches: p.between("cycle.measure_batches", raw.measure_batches, 0, MAX_MEASURE_BATCHES),
        batch_size: p.between("cycle.batch_size", raw.batch_size, 1, MAX_BATCH_SIZE),
        pause: p.duration_at_most("cycle.pause", raw.pause.0, MAX_DURATION),
        scenario_order: ScenarioOrder::RoundRobin,
    }
}
