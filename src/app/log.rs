//! The log as an observer: a line per cycle with its report, source state changes once per change.

use crate::engine::{Activity, Observer};
use crate::engine::{BatchRecord, Judged};
use crate::load::BatchStats;
use std::sync::Mutex;

/// Logs what the engine does. Per-batch lines are `debug` in the daemon and `info` in `once` without a
/// terminal (its progress "bar" in logs).
#[derive(Debug, Default)]
pub struct LogObserver {
    /// Log every batch at info level.
    batches_at_info: bool,
    /// Include each cycle's report in its log line (the daemon); `once` prints reports on stdout instead.
    reports: bool,
    /// Whether the last memory read failed, so the state is logged once per change, not per batch.
    source_down: Mutex<Option<bool>>,
}

impl LogObserver {
    pub fn new(batches_at_info: bool, reports: bool) -> Self {
        Self { batches_at_info, reports, source_down: Mutex::new(None) }
    }
}

impl Observer for LogObserver {
    fn activity(&self, scenario: &str, activity: Activity, batch: u64) {
        tracing::trace!(scenario, phase = activity.as_str(), batch, "phase");
    }

    fn batch(&self, scenario: &str, r: &BatchRecord, stats: &BatchStats) {
        let p50_ms = stats.latency.value_at_quantile(0.5) as f64 / 1000.0;
        // A tracing level is part of an event's static metadata, hence one call per level.
        macro_rules! batch_line {
            ($level:expr) => {
                tracing::event!(
                    $level,
                    scenario,
                    phase = r.phase.as_str(),
                    memory_bytes = r.memory_bytes,
                    requests = r.requests,
                    errors = r.errors,
                    p50_ms,
                    "batch"
                )
            };
        }
        if self.batches_at_info {
            batch_line!(tracing::Level::INFO);
        } else {
            batch_line!(tracing::Level::DEBUG);
        }
    }

    fn source(&self, scenario: &str, result: Result<(), &str>) {
        let down = result.is_err();
        let mut last = self.source_down.lock().unwrap_or_else(|e| e.into_inner());
        if *last == Some(down) {
            return;
        }
        let was_known = last.is_some();
        *last = Some(down);
        match result {
            Err(reason) => {
                tracing::warn!(scenario, %reason, "memory source down: cycles end as `error` until it is back")
            }
            Ok(()) if was_known => tracing::info!(scenario, "memory source back up"),
            Ok(()) => {}
        }
    }

    fn restart(&self, scenario: &str) {
        tracing::warn!(scenario, "the soaked target restarted: cycle discarded, trend history starts over");
    }

    fn cycle(&self, j: &Judged) {
        let a = &j.analysis;
        tracing::info!(
            scenario = %j.scenario,
            verdict = a.verdict.as_str(),
            growth_bytes = a.growth_bytes,
            slope_bytes_per_request = a.slope_bytes_per_request,
            duration_s = j.duration.as_secs_f64(),
            "cycle finished{}{}",
            if self.reports { "\n" } else { "" },
            if self.reports { j.report.as_str() } else { "" }
        );
    }
}
