//! The drowning rule (docs/analysis.md#a-target-drowning-in-its-memory): a cycle whose requests mostly
//! failed is not judged by the other rules, but memory read while requests fail is still memory. A target
//! that stopped answering while its memory rose far above its settled level is drowning in a leak: the
//! loudest case of all, raised at once.
//!
//! A cycle drowns when all of these hold:
//! * **It stopped answering**: the cycle's failed share is above `max_error_ratio` (the caller's trigger,
//!   [`crate::analyze::too_many_failures`]) and so is its last batch's: it did not recover.
//! * **It answered before**: a judged cycle set the settled level, or some request of this cycle
//!   succeeded. A target still loading, which never answered, is `error` as before.
//! * **Far above its level**: the final average of the cycle's batches (as a cycle's) is above the settled
//!   level by more than `drowning_growth_percent` and by at least [`MIN_RISE_BYTES`].
//! * **While it failed**: memory rose across the cycle's batches, warm-up included (one-sided
//!   Mann–Kendall p below `trend_alpha`). A target that fails with flat memory, however high, is `error`.
//!
//! The settled level is the final average of the last judged cycle before the drowning began, else the
//! memory read before the cycle's first request (after the idle pause), else its first sample.

use super::failures::kinds_in_words;
use super::finding::{Finding, Rule};
use super::rolling::{endpoints, rolling_average};
use super::sample::Sample;
use super::stats;
use super::units::mib;
use crate::settings::Analysis;
use std::collections::BTreeMap;

/// No target is said to drown in less than 16 MiB, whatever its level: a 20 MiB process that gains 10 MiB
/// of buffers while it times out is +50 % but not drowning.
pub const MIN_RISE_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

/// Where memory stood before the cycle, for the drowning rule.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Level {
    /// Final average of the last judged cycle (since start or the last restart) before the drowning.
    pub settled: Option<f64>,
    /// Memory read just before this cycle's first request (the end of the idle pause).
    pub before: Option<f64>,
}

impl Level {
    /// The level the rise is measured from, if the target ever answered: the settled level, else the
    /// reading before the cycle, else the first sample, provided some request of the cycle succeeded.
    fn baseline(&self, batches: &[Sample]) -> Option<f64> {
        if let Some(settled) = self.settled {
            return Some(settled);
        }
        let answered = batches.iter().any(|b| b.errors < b.requests);
        answered.then(|| self.before.or(batches.first().map(|b| b.memory_bytes))).flatten()
    }
}

/// A cycle that drowned: its finding, and the level its memory rose from (what a raised rule holds against).
#[derive(Debug, Clone, PartialEq)]
pub struct Drowned {
    /// The `drowning` finding, with the report's sentence.
    pub finding: Finding,
    /// The baseline the rise was measured from, bytes.
    pub from: f64,
}

/// The drowning of a cycle whose requests mostly failed, when it drowned (see the module doc). `batches`
/// are all of the cycle's batches in order, warm-up included; `kinds` counts the failures by kind for the
/// message.
pub fn assess(level: Level, batches: &[Sample], kinds: &BTreeMap<String, u64>, settings: &Analysis) -> Option<Drowned> {
    let last = batches.last()?;
    let failing = last.requests > 0 && last.errors as f64 > settings.max_error_ratio * last.requests as f64;
    let baseline = level.baseline(batches)?;
    if !failing || batches.len() < 3 || !baseline.is_finite() {
        return None;
    }
    let now = final_level(batches, settings);
    if !far_above(baseline, now, settings) {
        return None;
    }
    let memory: Vec<f64> = batches.iter().map(|b| b.memory_bytes).collect();
    let x: Vec<f64> = (0..memory.len()).map(|i| i as f64).collect();
    if stats::mann_kendall(&x, &memory) >= settings.trend_alpha {
        return None;
    }
    let finding = Finding::new(Rule::Drowning, message(baseline, now, batches, kinds));
    Some(Drowned { finding, from: baseline })
}

/// Whether memory still sits far above `baseline`, at half the threshold and half the floor (hysteresis):
/// a raised drowning rule holds while it does, through cycles that are judged again.
pub fn still_above(baseline: f64, now: f64, settings: &Analysis) -> bool {
    rose_by(baseline, now, settings.drowning_growth_percent / 2.0, MIN_RISE_BYTES / 2.0)
}

/// The final average of the batches, as a cycle's is computed (the mean of the last rolling averages).
pub fn final_level(batches: &[Sample], settings: &Analysis) -> f64 {
    let memory: Vec<f64> = batches.iter().map(|b| b.memory_bytes).collect();
    let window = settings.rolling_window.clamp(1, (memory.len() / 2).max(1));
    endpoints(&rolling_average(&memory, window), window).final_avg
}

fn far_above(baseline: f64, now: f64, settings: &Analysis) -> bool {
    rose_by(baseline, now, settings.drowning_growth_percent, MIN_RISE_BYTES)
}

/// Whether `now` is above `baseline` by more than `percent` of it and by at least `floor` bytes.
fn rose_by(baseline: f64, now: f64, percent: f64, floor: f64) -> bool {
    let rise = now - baseline;
    rise >= floor && rise > baseline.max(0.0) * percent / 100.0
}

/// `Memory 320 → 890 MiB while 80 of 80 requests failed (timeout: 80): the target is drowning in its
/// memory`.
fn message(baseline: f64, now: f64, batches: &[Sample], kinds: &BTreeMap<String, u64>) -> String {
    let requests = batches.iter().fold(0u64, |n, b| n.saturating_add(b.requests));
    let failed = batches.iter().fold(0u64, |n, b| n.saturating_add(b.errors));
    format!(
        "Memory {:.0} → {:.0} MiB while {failed} of {requests} requests failed{}: the target is drowning in its \
         memory",
        mib(baseline),
        mib(now),
        kinds_in_words(kinds)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1_048_576.0;

    /// Batches at the given MiB, each of 40 requests with `errors` failed.
    fn batches(memory_mib: &[f64], errors: u64) -> Vec<Sample> {
        memory_mib.iter().map(|m| Sample::new(m * MIB, 40, errors)).collect()
    }

    fn timeouts(n: u64) -> BTreeMap<String, u64> {
        [("timeout".to_owned(), n)].into_iter().collect()
    }

    #[test]
    fn a_target_whose_memory_climbs_while_every_request_times_out_is_drowning() {
        let climbing: Vec<f64> = (0..11).map(|i| 580.0 + 30.0 * f64::from(i)).collect();
        let level = Level { settled: Some(320.0 * MIB), before: None };
        let found = assess(level, &batches(&climbing, 40), &timeouts(440), &Analysis::default()).expect("drowning");
        assert_eq!(found.finding.rule, Rule::Drowning);
        assert_eq!(found.from, 320.0 * MIB, "measured from the settled level");
        assert!(found.finding.confirmed);
        assert_eq!(
            found.finding.message,
            "Memory 320 → 805 MiB while 440 of 440 requests failed (timeout: 440): the target is drowning in its memory"
        );
    }

    #[test]
    fn a_failing_target_with_flat_memory_is_not_drowning_however_high_it_sits() {
        let flat: Vec<f64> = (0..11).map(|i| 900.0 + if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let level = Level { settled: Some(320.0 * MIB), before: None };
        assert_eq!(assess(level, &batches(&flat, 40), &timeouts(440), &Analysis::default()), None);
        let at_level: Vec<f64> = (0..11).map(|i| 320.0 + 0.1 * f64::from(i)).collect();
        assert_eq!(assess(level, &batches(&at_level, 40), &timeouts(440), &Analysis::default()), None);
    }

    #[test]
    fn a_rise_below_the_threshold_or_the_floor_is_not_drowning() {
        let s = Analysis::default();
        let to = |top: f64| (0..11).map(|i| 100.0 + (top - 100.0) * f64::from(i) / 10.0).collect::<Vec<_>>();
        let level = Level { settled: Some(100.0 * MIB), before: None };
        assert_eq!(assess(level, &batches(&to(140.0), 40), &timeouts(440), &s), None, "+40 % < 50 %");
        assert!(assess(level, &batches(&to(200.0), 40), &timeouts(440), &s).is_some(), "+100 %");
        let small = Level { settled: Some(10.0 * MIB), before: None };
        let tiny: Vec<f64> = (0..11).map(|i| 10.0 + 1.2 * f64::from(i)).collect();
        assert_eq!(assess(small, &batches(&tiny, 40), &timeouts(440), &s), None, "+12 MiB is under the floor");
    }

    #[test]
    fn a_target_that_never_answered_or_recovered_is_not_drowning() {
        let climbing: Vec<f64> = (0..11).map(|i| 100.0 + 30.0 * f64::from(i)).collect();
        let never = Level { settled: None, before: Some(100.0 * MIB) };
        assert_eq!(assess(never, &batches(&climbing, 40), &timeouts(440), &Analysis::default()), None);
        let mut answered = batches(&climbing, 40);
        answered[0].errors = 10;
        assert!(assess(never, &answered, &timeouts(430), &Analysis::default()).is_some());
        let mut recovered = batches(&climbing, 40);
        recovered.last_mut().expect("batches").errors = 0;
        let settled = Level { settled: Some(100.0 * MIB), before: None };
        assert_eq!(assess(settled, &recovered, &timeouts(400), &Analysis::default()), None, "last batch answered");
    }

    #[test]
    fn memory_still_above_holds_at_half_the_threshold() {
        let s = Analysis::default();
        assert!(still_above(320.0 * MIB, 500.0 * MIB, &s), "+56 %");
        assert!(!still_above(320.0 * MIB, 380.0 * MIB, &s), "+19 % < 25 %");
        assert!(!still_above(10.0 * MIB, 16.0 * MIB, &s), "+6 MiB < 8 MiB floor");
    }
}
