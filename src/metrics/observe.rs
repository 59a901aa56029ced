//! The metrics as an [`Observer`] of the engine: each batch, cycle, phase and memory read sets its series.

use super::Metrics;
use crate::analyze::{Rule, Verdict};
use crate::engine::{Activity, BatchRecord, Judged, Observer};
use crate::load::BatchStats;
use crate::settings::Analysis;

/// Adds every latency recorded in an HDR histogram (microseconds) to a Prometheus histogram (seconds).
fn observe_all(target: &prometheus::Histogram, source: &hdrhistogram::Histogram<u64>) {
    for v in source.iter_recorded() {
        let seconds = v.value_iterated_to() as f64 / 1e6;
        for _ in 0..v.count_since_last_iteration() {
            target.observe(seconds);
        }
    }
}

impl Observer for Metrics {
    fn configured(&self, scenarios: &[String]) {
        self.set_scenarios(scenarios);
        self.lifecycle.scenarios(scenarios);
    }

    fn analysis(&self, settings: &Analysis) {
        let _update = self.updating();
        self.confidence.analysis(settings);
    }

    fn activity(&self, scenario: &str, activity: Activity, _batch: u64) {
        let _update = self.updating();
        for a in Activity::ALL {
            self.cycle_phase.with_label_values(&[scenario, a.as_str()]).set(f64::from(a == activity));
        }
    }

    fn batch(&self, scenario: &str, r: &BatchRecord, stats: &BatchStats) {
        let _update = self.updating();
        let phase = r.phase.as_str();
        self.batch_memory.with_label_values(&[scenario, phase]).set(r.memory_bytes as f64);
        self.batch_errors.with_label_values(&[scenario, phase]).set(r.errors as f64);
        self.requests.with_label_values(&[scenario, "success"]).inc_by(stats.requests - stats.failed());
        self.requests.with_label_values(&[scenario, "error"]).inc_by(stats.failed());
        for (kind, n) in stats.errors.iter() {
            self.request_errors.with_label_values(&[scenario, kind.as_str()]).inc_by(n);
        }
        self.resources.batch(scenario, r);
        self.paths.batch(scenario, stats);
        observe_all(&self.request_duration.with_label_values(&[scenario]), &stats.latency);
        observe_all(&self.time_to_first_token.with_label_values(&[scenario]), &stats.time_to_first_token);
    }

    fn source(&self, scenario: &str, result: Result<(), &str>) {
        self.source_up.with_label_values(&[scenario]).set(f64::from(result.is_ok()));
    }

    fn restart(&self, scenario: &str) {
        self.target_restarts.with_label_values(&[scenario]).inc();
    }

    fn churn(&self, scenario: &str, processes: u32) {
        self.target_churn.with_label_values(&[scenario]).inc_by(u64::from(processes));
    }

    fn cycle(&self, j: &Judged) {
        let _update = self.updating();
        let s = j.scenario.as_str();
        let a = &j.analysis;
        for (family, value) in [
            (&self.cycle_initial, a.initial_avg),
            (&self.cycle_final, a.final_avg),
            (&self.cycle_growth, a.growth_bytes),
            (&self.cycle_growth_ratio, a.growth_ratio),
            (&self.cycle_noise, a.noise_cv),
            (&self.cycle_slope, a.slope_bytes_per_request),
            (&self.cycle_errors, a.errors as f64),
            (&self.cycle_duration, j.duration.as_secs_f64()),
            (&self.last_cycle, j.finished_at),
        ] {
            family.with_label_values(&[s]).set(value);
        }
        match j.idle {
            Some(idle) => self.idle_growth.with_label_values(&[s]).set(idle.growth_per_second()),
            // No pause sampled (start, a restart, a failed read): no figure rather than an old one.
            None => drop(self.idle_growth.remove_label_values(&[s])),
        }
        for v in Verdict::ALL {
            self.cycle_verdict.with_label_values(&[s, v.as_str()]).set(f64::from(v == a.verdict));
        }
        self.cycles.with_label_values(&[s, a.verdict.as_str()]).inc();
        for r in Rule::ALL {
            self.leak_detected.with_label_values(&[s, r.as_str()]).set(f64::from(j.raised[r.index()]));
        }
        self.confidence.cycle(j);
        self.forecast.cycle(j);
        self.resources.cycle(j);
        self.lifecycle.cycle(s, j.duration.as_secs_f64());
    }

    fn record_write_failed(&self) {
        self.record_write_failures.inc();
    }
}
