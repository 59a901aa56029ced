//! `leaksoak_path_outcomes_total{scenario, outcome}` (docs/metrics.md, docs/failure-paths.md): how each
//! scenario's requests ended, by kind: answered, each outcome its failure path drives on purpose, failed.
//! The expected outcomes are not failures: `leaksoak_requests_total{outcome="error"}` and the error guard
//! count only `failed`.

use super::family::counter;
use crate::load::{BatchStats, Expected};
use prometheus::{IntCounterVec, Registry};

/// A request answered.
const ANSWERED: &str = "answered";
/// A request that failed (`leaksoak_request_errors_total` says how).
const FAILED: &str = "failed";

/// Every `outcome` label value, in the order a report lists them.
pub fn outcomes() -> impl Iterator<Item = &'static str> {
    std::iter::once(ANSWERED).chain(Expected::ALL.map(Expected::as_str)).chain(std::iter::once(FAILED))
}

/// The family, registered in the daemon's registry.
#[derive(Clone)]
pub struct PathMetrics {
    /// `leaksoak_path_outcomes_total{scenario, outcome}`.
    outcomes: IntCounterVec,
}

impl PathMetrics {
    pub fn new(r: &Registry) -> Self {
        let help = "Requests by how they ended: answered, an outcome the scenario's failure path expects, or failed";
        Self { outcomes: counter(r, "path_outcomes_total", help, &["scenario", "outcome"]) }
    }

    /// Creates the series of `scenario` at zero.
    pub fn add(&self, scenario: &str) {
        for o in outcomes() {
            self.outcomes.with_label_values(&[scenario, o]);
        }
    }

    /// Drops the series of a scenario no longer configured.
    pub fn remove(&self, scenario: &str) {
        for o in outcomes() {
            let _ = self.outcomes.remove_label_values(&[scenario, o]);
        }
    }

    /// Counts one batch's requests.
    pub fn batch(&self, scenario: &str, stats: &BatchStats) {
        self.outcomes.with_label_values(&[scenario, ANSWERED]).inc_by(stats.answered());
        for (kind, n) in stats.expected.iter() {
            self.outcomes.with_label_values(&[scenario, kind.as_str()]).inc_by(n);
        }
        self.outcomes.with_label_values(&[scenario, FAILED]).inc_by(stats.failed());
    }
}
