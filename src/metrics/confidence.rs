//! "How sure" and "since when" (docs/metrics.md): per scenario and rule the confirmation streak, the last
//! judged cycle's p-value, when the gauge last rose, and the `[analysis]` thresholds in force, so a
//! dashboard can say how close a finding is to raising the gauge and draw the real threshold lines.

use super::family::gauge;
use crate::analyze::Rule;
use crate::engine::Judged;
use crate::settings::Analysis;
use prometheus::{GaugeVec, Registry};

/// The confidence families, registered in the daemon's registry.
#[derive(Clone)]
pub struct Confidence {
    /// `leaksoak_leak_streak{scenario, rule}`: consecutive cycles the rule fired, up to the last one.
    streak: GaugeVec,
    /// `leaksoak_cycle_p_value{scenario}`: the one-sided Mann–Kendall p of the last judged cycle's rise.
    p_value: GaugeVec,
    /// `leaksoak_leak_raised_timestamp_seconds{scenario}`: when the gauge last rose; 0 while it is down.
    raised_since: GaugeVec,
    /// `leaksoak_analysis_threshold{setting}`: the numeric `[analysis]` settings in force.
    threshold: GaugeVec,
}

impl Confidence {
    pub fn new(r: &Registry) -> Self {
        let s = &["scenario"];
        Self {
            streak: gauge(
                r,
                "leak_streak",
                "Consecutive cycles the rule fired (its confirmation streak)",
                &["scenario", "rule"],
            ),
            p_value: gauge(r, "cycle_p_value", "One-sided Mann-Kendall p of the last judged cycle's rise", s),
            raised_since: gauge(
                r,
                "leak_raised_timestamp_seconds",
                "When the leak gauge last rose (Unix seconds); 0 while it is down",
                s,
            ),
            threshold: gauge(r, "analysis_threshold", "The [analysis] settings in force", &["setting"]),
        }
    }

    /// Creates a scenario's series before its first cycle.
    pub fn add(&self, s: &str) {
        for r in Rule::ALL {
            self.streak.with_label_values(&[s, r.as_str()]);
        }
        self.raised_since.with_label_values(&[s]);
    }

    /// Drops a scenario that is no longer configured.
    pub fn remove(&self, s: &str) {
        for r in Rule::ALL {
            let _ = self.streak.remove_label_values(&[s, r.as_str()]);
        }
        let _ = self.p_value.remove_label_values(&[s]);
        let _ = self.raised_since.remove_label_values(&[s]);
    }

    /// After a judged cycle (an `error` cycle leaves the p-value as it was).
    pub fn cycle(&self, j: &Judged) {
        let s = j.scenario.as_str();
        for r in Rule::ALL {
            self.streak.with_label_values(&[s, r.as_str()]).set(f64::from(j.streaks[r.index()]));
        }
        if j.analysis.verdict.is_judged() {
            self.p_value.with_label_values(&[s]).set(j.analysis.slope_p_value);
        }
        self.raised_since.with_label_values(&[s]).set(j.raised_since);
    }

    /// The thresholds in force.
    pub fn analysis(&self, a: &Analysis) {
        for (setting, value) in [
            ("max_growth_percent", a.max_growth_percent),
            ("tail_samples", a.tail_samples as f64),
            ("tail_tolerance_bytes", a.tail_tolerance_bytes),
            ("max_noise_cv_percent", a.max_noise_cv_percent),
            ("error_spike_percent", a.error_spike_percent),
            ("slope_min_bytes_per_request", a.slope_min_bytes_per_request),
            ("slope_min_growth_bytes", a.slope_min_growth_bytes),
            ("trend_cycles", a.trend_cycles as f64),
            ("trend_min_growth_bytes", a.trend_min_growth_bytes),
            ("trend_min_bytes_per_request", a.trend_min_bytes_per_request),
            ("trend_alpha", a.trend_alpha),
            ("confirm_cycles", f64::from(a.confirm_cycles)),
            ("max_error_ratio", a.max_error_ratio),
            ("drowning_growth_percent", a.drowning_growth_percent),
            ("resource_min_per_request", a.resource_min_per_request),
            ("resource_min_growth", a.resource_min_growth),
        ] {
            self.threshold.with_label_values(&[setting]).set(value);
        }
    }
}
