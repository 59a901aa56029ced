//! Warm-up that waits for the target to settle (docs/analysis.md#warm-up-that-waits): at start and after a
//! restart, warm-up batches go on until memory stops rising, so the caches, pools and imports that fill
//! during a target's first thousand requests are not judged as a leak.

use super::cycle::cumulative_requests;
use super::sample::Sample;
use super::stats;
use super::units::mib;
use crate::settings::Analysis;

/// The settle test looks at this many of the last warm-up batches: enough for a Theil–Sen slope that one
/// odd reading does not move, few enough that a target that settled is recognised within a few batches.
pub const SETTLE_WINDOW: usize = 5;

/// Whether memory has settled: over the last [`SETTLE_WINDOW`] warm-up batches, the Theil–Sen slope
/// against requests is at most `slope_min_bytes_per_request` (the slope rule's floor, so a target judged
/// settled does not fire the slope rule at the rate it warmed up at). Never with fewer batches.
pub fn settled(warmup: &[Sample], settings: &Analysis) -> bool {
    warmup_slope(warmup).is_some_and(|slope| slope <= settings.slope_min_bytes_per_request)
}

/// The Theil–Sen slope (bytes/request) over the last [`SETTLE_WINDOW`] samples, if there are that many.
fn warmup_slope(warmup: &[Sample]) -> Option<f64> {
    let window = warmup.get(warmup.len().checked_sub(SETTLE_WINDOW)?..)?;
    let y: Vec<f64> = window.iter().map(|s| s.memory_bytes).collect();
    let slope = stats::theil_sen(&cumulative_requests(window), &y).slope;
    slope.is_finite().then_some(slope)
}

/// The report's line about a warm-up that waited: how long it took and how far memory rose, or that it
/// never settled (and the cycles are judged from here on regardless).
pub fn note(warmup: &[Sample], settings: &Analysis) -> String {
    let requests: u64 = warmup.iter().map(|s| s.requests).sum();
    let (first, last) = match (warmup.first(), warmup.last()) {
        (Some(f), Some(l)) => (f.memory_bytes, l.memory_bytes),
        _ => return "Warm-up: no warm-up batches; judged from the first cycle.".to_owned(),
    };
    let span = format!("{} batches, {requests} requests, {:.1} → {:.1} MiB", warmup.len(), mib(first), mib(last));
    if warmup.len() < SETTLE_WINDOW {
        return format!(
            "Warm-up: {span}; too few batches to tell whether memory settled (the test reads the last \
             {SETTLE_WINDOW}; cycle.max_settle_batches = 0, or a recording made without it)."
        );
    }
    if settled(warmup, settings) {
        format!("Warm-up waited for memory to settle: {span}.")
    } else {
        let slope = warmup_slope(warmup).map_or("unknown".to_owned(), |s| format!("{s:.0}"));
        format!(
            "Warm-up ended before memory settled ({span}; still {slope} bytes/request over the last \
             {SETTLE_WINDOW} batches): the target did not settle within cycle.max_settle_batches and is judged \
             from here on."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1_048_576.0;

    fn batches(memory: impl Fn(usize) -> f64, n: usize) -> Vec<Sample> {
        (0..n).map(|i| Sample::new(memory(i), 50, 0)).collect()
    }

    #[test]
    fn a_warm_up_curve_settles_once_it_flattens() {
        let s = Analysis::default();
        // 20 MiB approached exponentially, half the remaining way every two batches.
        let curve = |i: usize| 370.0 * MIB + 20.0 * MIB * (1.0 - 0.5f64.powf(i as f64 / 2.0));
        let first_settled = (1..=40).find(|n| settled(&batches(curve, *n), &s)).expect("settles");
        assert!((10..=25).contains(&first_settled), "settled after {first_settled} batches");
        assert!(note(&batches(curve, first_settled), &s).starts_with("Warm-up waited for memory to settle"));
    }

    #[test]
    fn a_warm_up_too_short_to_test_says_so() {
        let text = note(&batches(|_| 100.0 * MIB, 1), &Analysis::default());
        assert!(text.contains("too few batches to tell"), "{text}");
    }

    #[test]
    fn a_leak_never_settles_and_says_so() {
        let s = Analysis::default();
        let leak = batches(|i| 100.0 * MIB + 1024.0 * 50.0 * i as f64, 30);
        assert!(!settled(&leak, &s));
        let text = note(&leak, &s);
        assert!(text.contains("did not settle") && text.contains("1024 bytes/request"), "{text}");
    }

    #[test]
    fn flat_memory_settles_after_a_full_window_and_one_odd_reading_does_not_matter() {
        let s = Analysis::default();
        assert!(!settled(&batches(|_| 100.0 * MIB, SETTLE_WINDOW - 1), &s), "too few batches to tell");
        assert!(settled(&batches(|_| 100.0 * MIB, SETTLE_WINDOW), &s));
        assert!(settled(&batches(|i| 100.0 * MIB + if i == 3 { 2.0 * MIB } else { 0.0 }, 8), &s));
    }
}
