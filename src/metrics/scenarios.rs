//! The series of each configured scenario: created at zero when it is configured, so dashboards and alerts
//! see them before its first cycle, and dropped when a reload removes it.

use super::Metrics;
use crate::analyze::{Phase, Rule, Verdict};
use crate::engine::Activity;
use crate::failure::ErrorKind;

impl Metrics {
    /// Creates every series of `scenarios` at zero, so dashboards and alerts see them before the first
    /// cycle, and drops the series of scenarios no longer configured.
    pub(super) fn set_scenarios(&self, scenarios: &[String]) {
        let _update = self.updating();
        let mut known = self.scenarios.lock().unwrap_or_else(|e| e.into_inner());
        for gone in known.iter().filter(|k| !scenarios.contains(k)) {
            self.remove_scenario(gone);
        }
        *known = scenarios.to_vec();
        for s in scenarios.iter().map(String::as_str) {
            for v in Verdict::ALL {
                self.cycle_verdict.with_label_values(&[s, v.as_str()]);
                self.cycles.with_label_values(&[s, v.as_str()]);
            }
            for r in Rule::ALL {
                self.leak_detected.with_label_values(&[s, r.as_str()]);
            }
            for k in ErrorKind::ALL {
                self.request_errors.with_label_values(&[s, k.as_str()]);
            }
            for o in ["success", "error"] {
                self.requests.with_label_values(&[s, o]);
            }
            for a in Activity::ALL {
                self.cycle_phase.with_label_values(&[s, a.as_str()]).set(f64::from(a == Activity::Idle));
            }
            self.target_restarts.with_label_values(&[s]);
            self.target_churn.with_label_values(&[s]);
            self.source_up.with_label_values(&[s]);
            self.confidence.add(s);
            self.forecast.add(s);
            self.paths.add(s);
        }
    }

    fn remove_scenario(&self, s: &str) {
        for family in [
            &self.cycle_initial,
            &self.cycle_final,
            &self.cycle_growth,
            &self.cycle_growth_ratio,
            &self.cycle_noise,
            &self.cycle_slope,
            &self.idle_growth,
            &self.cycle_errors,
            &self.cycle_duration,
            &self.last_cycle,
            &self.source_up,
        ] {
            let _ = family.remove_label_values(&[s]);
        }
        for v in Verdict::ALL {
            let _ = self.cycle_verdict.remove_label_values(&[s, v.as_str()]);
            let _ = self.cycles.remove_label_values(&[s, v.as_str()]);
        }
        for r in Rule::ALL {
            let _ = self.leak_detected.remove_label_values(&[s, r.as_str()]);
        }
        for a in Activity::ALL {
            let _ = self.cycle_phase.remove_label_values(&[s, a.as_str()]);
        }
        for p in Phase::ALL {
            let _ = self.batch_memory.remove_label_values(&[s, p.as_str()]);
            let _ = self.batch_errors.remove_label_values(&[s, p.as_str()]);
        }
        for o in ["success", "error"] {
            let _ = self.requests.remove_label_values(&[s, o]);
        }
        for k in ErrorKind::ALL {
            let _ = self.request_errors.remove_label_values(&[s, k.as_str()]);
        }
        let _ = self.request_duration.remove_label_values(&[s]);
        let _ = self.time_to_first_token.remove_label_values(&[s]);
        let _ = self.target_restarts.remove_label_values(&[s]);
        let _ = self.target_churn.remove_label_values(&[s]);
        self.confidence.remove(s);
        self.forecast.remove(s);
        self.resources.remove(s);
        self.paths.remove(s);
    }
}
