//! How long until it falls over, as metrics (docs/metrics.md, docs/analysis.md#how-long-until-it-falls-over):
//! while a scenario's memory gauge is raised, the leak's rate per request, its growth per day at the
//! production request rate, and the seconds until the target's memory limit is reached.

use super::family::gauge;
use crate::engine::Judged;
use prometheus::{GaugeVec, Registry};

/// The forecast families, registered in the daemon's registry.
#[derive(Clone)]
pub struct ForecastMetrics {
    /// `leaksoak_leak_rate_bytes_per_request{scenario}`: memory kept per request to the target while the
    /// gauge is raised; 0 while it is down.
    rate: GaugeVec,
    /// `leaksoak_leak_growth_bytes_per_day{scenario}`: that rate at `analysis.forecast_requests_per_second`;
    /// 0 while the gauge is down or the production rate is not set.
    per_day: GaugeVec,
    /// `leaksoak_leak_time_to_limit_seconds{scenario}`: seconds until the memory limit is reached at that
    /// growth; absent while it cannot be told (gauge down, no production rate or no limit known).
    time_to_limit: GaugeVec,
}

impl ForecastMetrics {
    pub fn new(r: &Registry) -> Self {
        let s = &["scenario"];
        Self {
            rate: gauge(r, "leak_rate_bytes_per_request", "Memory kept per request while the leak gauge is raised", s),
            per_day: gauge(
                r,
                "leak_growth_bytes_per_day",
                "Growth per day at analysis.forecast_requests_per_second while the leak gauge is raised",
                s,
            ),
            time_to_limit: gauge(
                r,
                "leak_time_to_limit_seconds",
                "Seconds until the target's memory limit is reached at that growth (absent when unknown)",
                s,
            ),
        }
    }

    /// Creates a scenario's series before its first cycle.
    pub fn add(&self, s: &str) {
        self.rate.with_label_values(&[s]);
        self.per_day.with_label_values(&[s]);
    }

    /// Drops a scenario that is no longer configured.
    pub fn remove(&self, s: &str) {
        let _ = self.rate.remove_label_values(&[s]);
        let _ = self.per_day.remove_label_values(&[s]);
        let _ = self.time_to_limit.remove_label_values(&[s]);
    }

    /// After a cycle; an `error` cycle leaves them as they were, as it leaves the gauge.
    pub fn cycle(&self, j: &Judged) {
        if !j.analysis.verdict.is_judged() {
            return;
        }
        let s = j.scenario.as_str();
        let f = j.forecast.as_ref();
        self.rate.with_label_values(&[s]).set(f.map_or(0.0, |f| f.bytes_per_request));
        self.per_day.with_label_values(&[s]).set(f.and_then(|f| f.bytes_per_day).unwrap_or(0.0));
        match f.and_then(|f| f.seconds_to_limit) {
            Some(seconds) => self.time_to_limit.with_label_values(&[s]).set(seconds),
            None => {
                let _ = self.time_to_limit.remove_label_values(&[s]);
            }
        }
    }
}
