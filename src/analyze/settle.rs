//! Warm-up that waits for the target to settle (docs/analysis.md#warm-up-that-waits): at start and after a
//! restart, the first cycle's measured batches are judged only once memory has settled or rises steadily;
//! measured batches that show a curve still flattening become warm-up, and another set is measured, so the
//! caches, pools and imports that fill during a target's first thousand requests are not judged as a leak,
//! while a leak, which rises at one rate from the start, is judged at once.

use super::cycle::cumulative_requests;
use super::gauge::RATE_AGREEMENT;
use super::sample::Sample;
use super::stats;
use super::units::mib;
use crate::settings::Analysis;

/// The settle test looks at this many of the last batches: enough for a Theil–Sen slope that one odd
/// reading does not move, few enough that a target that settled is recognised within a few batches.
pub const SETTLE_WINDOW: usize = 5;

/// Whether memory has settled: over the last [`SETTLE_WINDOW`] batches, the Theil–Sen slope against
/// requests is at most `slope_min_bytes_per_request` (the slope rule's floor, so a target judged settled
/// does not fire the slope rule at the rate it warmed up at). Never with fewer batches.
pub fn settled(batches: &[Sample], settings: &Analysis) -> bool {
    last_slope(batches).is_some_and(|slope| slope <= settings.slope_min_bytes_per_request)
}

/// Whether the first cycle's measured batches `block`, after the warm-up batches `warmup`, caught the
/// target still settling, so they become warm-up and another set is measured: memory has not settled
/// ([`settled`]) and it is slowing down: the later half of the block rose at less than 1/[`RATE_AGREEMENT`]
/// of the rate of its earlier half, or the block as a whole at less than that share of the last warm-up
/// batches' rate. A leak rises at one rate throughout, so it is judged at once; so is memory that settled.
pub fn still_settling(warmup: &[Sample], block: &[Sample], settings: &Analysis) -> bool {
    let all: Vec<Sample> = warmup.iter().chain(block).copied().collect();
    if settled(&all, settings) || block.len() < 4 {
        return false;
    }
    let half = block.len() / 2;
    let (early, late, whole) = (slope(&block[..half]), slope(&block[block.len() - half..]), slope(block));
    let before = (warmup.len() >= 3).then(|| slope(&warmup[warmup.len().saturating_sub(SETTLE_WINDOW)..]));
    (early > 0.0 && late < early / RATE_AGREEMENT) || before.is_some_and(|b| b > 0.0 && whole < b / RATE_AGREEMENT)
}

/// The Theil–Sen slope (bytes/request) of `samples` against their cumulative requests; 0 when undefined.
fn slope(samples: &[Sample]) -> f64 {
    let y: Vec<f64> = samples.iter().map(|s| s.memory_bytes).collect();
    let slope = stats::theil_sen(&cumulative_requests(samples), &y).slope;
    if slope.is_finite() { slope } else { 0.0 }
}

/// The Theil–Sen slope (bytes/request) over the last [`SETTLE_WINDOW`] samples, if there are that many.
fn last_slope(samples: &[Sample]) -> Option<f64> {
    let window = samples.get(samples.len().checked_sub(SETTLE_WINDOW)?..)?;
    Some(slope(window))
}

/// The report's line about the first cycle's warm-up: how long it took and how far memory rose, and why
/// the measured batches were judged: memory settled, it rose steadily (a leak is not waited out), or the
/// most warm-up batches were reached with memory still settling.
pub fn note(warmup: &[Sample], measured: &[Sample], settings: &Analysis) -> String {
    let requests: u64 = warmup.iter().map(|s| s.requests).sum();
    let (first, last) = match (warmup.first(), warmup.last()) {
        (Some(f), Some(l)) => (f.memory_bytes, l.memory_bytes),
        _ => return "Warm-up: no warm-up batches; judged from the first cycle.".to_owned(),
    };
    let span = format!("{} batches, {requests} requests, {:.1} → {:.1} MiB", warmup.len(), mib(first), mib(last));
    let all: Vec<Sample> = warmup.iter().chain(measured).copied().collect();
    if settled(&all, settings) {
        format!("Warm-up waited for memory to settle: {span}.")
    } else if still_settling(warmup, measured, settings) {
        let rate = last_slope(&all).map_or("unknown".to_owned(), |s| format!("{s:.0}"));
        format!(
            "Warm-up ended before memory settled ({span}; still {rate} bytes/request over the last {SETTLE_WINDOW} \
             batches, and slowing): the target did not settle within cycle.max_settle_batches and is judged from \
             here on."
        )
    } else if measured.is_empty() {
        format!("Warm-up: {span}.")
    } else {
        format!(
            "Warm-up: {span}. Memory did not settle but rose steadily ({:.0} bytes/request through the measured \
             batches, not slowing down): not a warm-up that settles, so it is judged at once.",
            slope(measured)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1_048_576.0;

    fn batches(memory: impl Fn(usize) -> f64, from: usize, n: usize) -> Vec<Sample> {
        (from..from + n).map(|i| Sample::new(memory(i), 50, 0)).collect()
    }

    #[test]
    fn a_warm_up_curve_is_still_settling_until_it_flattens() {
        let s = Analysis::default();
        // 20 MiB approached exponentially, half the remaining way every two batches.
        let curve = |i: usize| 370.0 * MIB + 20.0 * MIB * (1.0 - 0.5f64.powf(i as f64 / 2.0));
        assert!(still_settling(&batches(curve, 0, 3), &batches(curve, 3, 10), &s), "first block");
        let judged_at = (1..=6)
            .find(|k| !still_settling(&batches(curve, 0, 3 + 10 * (k - 1)), &batches(curve, 3 + 10 * (k - 1), 10), &s));
        assert!(matches!(judged_at, Some(2..=3)), "judged at block {judged_at:?}");
    }

    #[test]
    fn a_leak_is_judged_at_once_and_says_so() {
        let s = Analysis::default();
        let leak = |i: usize| 100.0 * MIB + 1024.0 * 50.0 * i as f64;
        let (warm, measured) = (batches(leak, 0, 3), batches(leak, 3, 10));
        assert!(!still_settling(&warm, &measured, &s));
        let text = note(&warm, &measured, &s);
        assert!(text.contains("rose steadily") && text.contains("1024 bytes/request"), "{text}");
    }

    #[test]
    fn flat_memory_is_settled_and_one_odd_reading_does_not_matter() {
        let s = Analysis::default();
        let odd = |i: usize| 100.0 * MIB + if i == 5 { 2.0 * MIB } else { 0.0 };
        assert!(!still_settling(&batches(odd, 0, 3), &batches(odd, 3, 10), &s));
        assert!(note(&batches(odd, 0, 3), &batches(odd, 3, 10), &s).starts_with("Warm-up waited for memory to settle"));
    }

    #[test]
    fn a_warm_up_still_slowing_at_the_end_says_so() {
        let s = Analysis::default();
        let curve = |i: usize| 370.0 * MIB + 40.0 * MIB * (1.0 - 0.5f64.powf(i as f64 / 3.0));
        let text = note(&batches(curve, 0, 3), &batches(curve, 3, 10), &s);
        assert!(text.contains("did not settle within cycle.max_settle_batches"), "{text}");
    }

    #[test]
    fn no_warm_up_says_so() {
        let text = note(&[], &batches(|_| 100.0 * MIB, 0, 10), &Analysis::default());
        assert!(text.contains("no warm-up batches"), "{text}");
    }
}
