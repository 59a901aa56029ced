//! `[cycle]`: the shape of one warmup-plus-measurement cycle. Defaults follow the pytest suite.

use super::duration::HumaneDuration;
use super::problems::Problems;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The pytest suite warms up with 3 batches so that caches and pools settle before anything is judged.
pub const WARMUP_BATCHES: u64 = 3;
/// The pytest suite measures 10 batches: enough for two full rolling windows of 5.
pub const MEASURE_BATCHES: u64 = 10;
/// The pytest suite's batch: 100 requests. Larger batches make per-request leaks more visible, cycles longer.
pub const BATCH_SIZE: u64 = 100;
/// Idle time between cycles: lets the target collect garbage, keeps the load a soak rather than a stress test.
pub const PAUSE: HumaneDuration = HumaneDuration::from_secs(10);
/// Scenarios take turns; they never overlap because they share one memory source.
pub const SCENARIO_ORDER: &str = "round-robin";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawCycle {
    pub warmup_batches: u64,
    pub measure_batches: u64,
    pub batch_size: u64,
    pub pause: HumaneDuration,
    pub scenario_order: String,
}

impl Default for RawCycle {
    fn default() -> Self {
        Self {
            warmup_batches: WARMUP_BATCHES,
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
    /// Batches whose memory samples are analysed.
    pub measure_batches: u64,
    /// Requests per batch.
    pub batch_size: u64,
    /// Idle time between cycles.
    pub pause: Duration,
    /// How scenarios take turns.
    pub scenario_order: ScenarioOrder,
}

/// Validates `[cycle]`; `rolling_window` comes from `[analysis]`, since a cycle too short to fill two
/// windows could never be judged.
pub fn validate(raw: &RawCycle, rolling_window: u64, p: &mut Problems) -> Cycle {
    let need = 2 * rolling_window.max(1);
    if raw.measure_batches < need {
        p.push(
            "cycle.measure_batches",
            format!(
                "must be at least 2 × analysis.rolling_window ({need}) or no cycle can be judged, got {}",
                raw.measure_batches
            ),
        );
    }
    p.one_of("cycle.scenario_order", &raw.scenario_order, &["round-robin"]);
    Cycle {
        warmup_batches: raw.warmup_batches,
        measure_batches: raw.measure_batches,
        batch_size: p.at_least("cycle.batch_size", raw.batch_size, 1),
        pause: raw.pause.0,
        scenario_order: ScenarioOrder::RoundRobin,
    }
}
