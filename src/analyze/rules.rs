//! The per-cycle leak rules besides the error spike: the pytest suite's growth and tail rules (docs/analysis.md#the-pytest-rules) and the
//! slope rule (docs/analysis.md#slope-rule). Each returns the finding it raises, or None.

use super::finding::{Finding, Rule};
use super::rolling::Endpoints;
use super::units::mib;
use crate::settings::Analysis;

/// A robust trend fit with its significance: what the slope and trend rules judge.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Fit {
    /// Theil–Sen slope (bytes per request for the slope rule, bytes per cycle for the trend rule).
    pub slope: f64,
    /// One-sided Mann–Kendall p-value for an increase.
    pub p_value: f64,
    /// The slope times the x span of the data: the growth the line predicts across it, in bytes.
    pub growth_bytes: f64,
}

/// Growth rule: the final rolling average is above the initial one by more than `max_growth_percent`.
pub fn growth(ends: &Endpoints, settings: &Analysis) -> Option<Finding> {
    let percent = ends.growth_ratio * 100.0;
    (percent > settings.max_growth_percent).then(|| {
        let message =
            format!("Memory grew by {percent:.1}% (>{}% threshold) — possible leak", settings.max_growth_percent);
        Finding::new(Rule::Growth, message)
    })
}

/// Tail rule: the last `tail_samples` raw samples each rise over the previous one by more than
/// `tail_tolerance_bytes` (five samples, four rises, with the defaults).
pub fn tail(memory: &[f64], settings: &Analysis) -> Option<Finding> {
    let t = settings.tail_samples;
    if t < 2 || memory.len() < t {
        return None;
    }
    let last = &memory[memory.len() - t..];
    let rising = last.windows(2).all(|w| w[1] - w[0] > settings.tail_tolerance_bytes);
    rising.then(|| {
        let message = format!(
            "Memory rose in each of the last {t} batches (by more than {:.2} MiB each, {:.2} MiB in all) \
             — possible leak",
            mib(settings.tail_tolerance_bytes),
            mib(last[t - 1] - last[0])
        );
        Finding::new(Rule::Tail, message)
    })
}

/// Slope rule: memory against cumulative requests rises faster than `slope_min_bytes_per_request`, the
/// Mann–Kendall p is below `trend_alpha`, and the fitted growth over the cycle exceeds
/// `slope_min_growth_bytes`.
pub fn slope(fit: &Fit, settings: &Analysis) -> Option<Finding> {
    let fires = fit.slope > settings.slope_min_bytes_per_request
        && fit.p_value < settings.trend_alpha
        && fit.growth_bytes > settings.slope_min_growth_bytes;
    fires.then(|| {
        let message = format!(
            "Memory grows by {:.0} bytes/request (>{} threshold, p = {:.4}), {:.2} MiB fitted over the \
             cycle — possible leak",
            fit.slope,
            settings.slope_min_bytes_per_request,
            fit.p_value,
            mib(fit.growth_bytes)
        );
        Finding::new(Rule::Slope, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::tests::fixtures::{MIB, mib_series};

    fn ends(initial: f64, growth_ratio: f64) -> Endpoints {
        let growth_bytes = initial * growth_ratio;
        Endpoints { initial_avg: initial, final_avg: initial + growth_bytes, growth_bytes, growth_ratio }
    }

    #[test]
    fn growth_fires_above_the_threshold_only() {
        let s = Analysis::default();
        let f = growth(&ends(15.23 * MIB, 0.370), &s).expect("37 % fires");
        assert_eq!(f.message, "Memory grew by 37.0% (>25% threshold) — possible leak");
        assert!(growth(&ends(15.23 * MIB, 0.25), &s).is_none(), "exactly 25 % is not above");
        assert!(growth(&ends(15.23 * MIB, -0.5), &s).is_none());
    }

    #[test]
    fn tail_fires_on_five_rising_samples() {
        let s = Analysis::default();
        let rising = mib_series(&[20.0, 20.0, 20.0, 20.0, 20.0, 20.1, 20.2, 20.3, 20.4, 20.5]);
        let f = tail(&rising, &s).expect("four rises of 0.1 MiB");
        assert!(f.message.starts_with("Memory rose in each of the last 5 batches"), "{}", f.message);
    }

    #[test]
    fn tail_does_not_fire_on_small_rises_or_a_dip() {
        let s = Analysis::default();
        let small = mib_series(&[20.0, 20.0, 20.0, 20.0, 20.0, 20.04, 20.08, 20.12, 20.16, 20.2]);
        assert!(tail(&small, &s).is_none(), "rises of 0.04 MiB are below the 0.05 MiB tolerance");
        let dip = mib_series(&[20.0, 20.0, 20.0, 20.0, 20.0, 20.1, 20.2, 20.15, 20.4, 20.5]);
        assert!(tail(&dip, &s).is_none());
        assert!(tail(&mib_series(&[1.0, 2.0]), &s).is_none(), "too few samples");
    }

    #[test]
    fn slope_needs_size_significance_and_growth() {
        let s = Analysis::default();
        let leak = Fit { slope: 1024.0, p_value: 0.0001, growth_bytes: 921_600.0 };
        let f = slope(&leak, &s).expect("1 KiB/request fires");
        assert!(f.message.starts_with("Memory grows by 1024 bytes/request (>512 threshold, p = 0.0001)"));
        assert!(slope(&Fit { slope: 500.0, ..leak }, &s).is_none(), "below the 512 floor");
        assert!(slope(&Fit { p_value: 0.02, ..leak }, &s).is_none(), "not significant");
        assert!(slope(&Fit { growth_bytes: 200_000.0, ..leak }, &s).is_none(), "too little growth");
    }
}
