//! The Prometheus metrics (docs/metrics.md): every family defined in one typed struct, [`Metrics`], and
//! registered once; the daemon serves them on `/metrics`. Label values come from enums and configured
//! scenario names only: no URLs, prompts or error strings.
//!
//! Layout: [`Metrics`] here, with the helpers that define a family (`family`); the series of each scenario
//! (`scenarios`); the engine's events setting them (`observe`); the groups of families kept apart by concept
//! (`confidence`: how sure and since when, `forecast`: how long until it falls over, `resources`: resource
//! counts and the memory breakdown, `paths`: how requests ended, `lifecycle`: the soak's own life); the
//! process collector (`process`, `process_*`); and the generated reference (`reference`).

mod confidence;
mod family;
mod forecast;
pub mod lifecycle;
mod observe;
mod paths;
pub mod process;
pub mod reference;
mod resources;
mod scenarios;

use bytes::Bytes;
use confidence::Confidence;
use family::{counter, gauge, histogram, register};
use forecast::ForecastMetrics;
use lifecycle::Lifecycle;
use paths::PathMetrics;
use prometheus::{Encoder, Gauge, GaugeVec, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};
use resources::ResourceMetrics;
use std::time::{Duration, Instant};

/// The metric families; cheap to clone (handles to shared series).
#[derive(Clone)]
pub struct Metrics {
    /// Owns every family below plus leaksoak's own process metrics; rendered on `/metrics`.
    registry: Registry,
    batch_memory: GaugeVec,
    batch_errors: GaugeVec,
    requests: IntCounterVec,
    request_errors: IntCounterVec,
    request_duration: HistogramVec,
    time_to_first_token: HistogramVec,
    cycle_initial: GaugeVec,
    cycle_final: GaugeVec,
    cycle_growth: GaugeVec,
    cycle_growth_ratio: GaugeVec,
    cycle_noise: GaugeVec,
    cycle_slope: GaugeVec,
    /// `leaksoak_idle_growth_bytes_per_second`: memory gained per second during the idle pause before the
    /// scenario's last cycle (growth that follows the clock, not requests).
    idle_growth: GaugeVec,
    cycle_errors: GaugeVec,
    cycle_duration: GaugeVec,
    cycle_verdict: GaugeVec,
    cycle_phase: GaugeVec,
    leak_detected: GaugeVec,
    cycles: IntCounterVec,
    last_cycle: GaugeVec,
    source_up: GaugeVec,
    target_restarts: IntCounterVec,
    /// `leaksoak_target_churn_total`: workers of a soaked process tree that ended (not restarts).
    target_churn: IntCounterVec,
    /// How sure and since when: streaks, p-value, raised-since, thresholds.
    confidence: Confidence,
    /// How long until it falls over: the leak's rate, growth per day, time to the memory limit.
    forecast: ForecastMetrics,
    /// Open fds, sockets, threads and tasks per batch, their leak gauges, the memory breakdown.
    resources: ResourceMetrics,
    /// How each scenario's requests ended, by kind: its failure path's expected outcomes among them.
    paths: PathMetrics,
    /// Whether the configuration runs, and the expected round time.
    lifecycle: Lifecycle,
    /// `leaksoak_record_write_failures_total`: cycles `run --record` could not append (a full disk).
    record_write_failures: IntCounter,
    /// `leaksoak_record_unreadable_total`: record files that could not be read to resume and were moved aside.
    record_unreadable: IntCounter,
    /// `leaksoak_config_last_reload_successful`: 1 when the last reload (or the start) succeeded.
    reload_ok: Gauge,
    /// `leaksoak_config_last_reload_success_timestamp_seconds`.
    reload_timestamp: Gauge,
    /// Scenarios whose series exist, so a reload can drop those no longer configured.
    scenarios: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Makes a scrape a consistent snapshot: updates (one batch's counters, one cycle's verdict gauges) hold
    /// it shared, a render holds it alone, so no scrape sees requests counted but their errors not yet.
    snapshot: std::sync::Arc<std::sync::RwLock<()>>,
    /// The last rendered exposition and when it was rendered (see [`Metrics::scrape`]).
    cache: std::sync::Arc<std::sync::Mutex<Option<(Instant, Bytes)>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// Defines and registers every family; `version` and `revision` go into `leaksoak_build_info`.
    pub fn new(version: &str, revision: &str) -> Self {
        let r = Registry::new();
        let s = &["scenario"][..];
        let m = Self {
            batch_memory: gauge(&r, "batch_memory_bytes", "Memory after the latest batch", &["scenario", "phase"]),
            batch_errors: gauge(&r, "batch_errors", "Failed requests in the latest batch", &["scenario", "phase"]),
            requests: counter(&r, "requests_total", "Requests sent", &["scenario", "outcome"]),
            request_errors: counter(&r, "request_errors_total", "Failed requests by kind", &["scenario", "kind"]),
            request_duration: histogram(&r, "request_duration_seconds", "Request latency (full stream)"),
            time_to_first_token: histogram(&r, "time_to_first_token_seconds", "Time to the first streamed event"),
            cycle_initial: gauge(&r, "cycle_initial_memory_bytes", "Initial rolling average of the last cycle", s),
            cycle_final: gauge(&r, "cycle_final_memory_bytes", "Final rolling average of the last cycle", s),
            cycle_growth: gauge(&r, "cycle_growth_bytes", "Final minus initial average of the last cycle", s),
            cycle_growth_ratio: gauge(&r, "cycle_growth_ratio", "Growth over the initial average (0.37 = 37 %)", s),
            cycle_noise: gauge(&r, "cycle_noise_cv_ratio", "Detrended coefficient of variation of the last cycle", s),
            cycle_slope: gauge(&r, "cycle_slope_bytes_per_request", "Theil-Sen slope of memory per request", s),
            idle_growth: gauge(
                &r,
                "idle_growth_bytes_per_second",
                "Memory gained per second during the idle pause before the last cycle",
                s,
            ),
            cycle_errors: gauge(&r, "cycle_errors", "Failed requests in the measured batches of the last cycle", s),
            cycle_duration: gauge(&r, "cycle_duration_seconds", "Wall time of the last cycle", s),
            cycle_verdict: gauge(&r, "cycle_verdict", "1 for the last cycle's verdict", &["scenario", "verdict"]),
            cycle_phase: gauge(&r, "cycle_phase", "1 for the current phase", &["scenario", "phase"]),
            leak_detected: gauge(
                &r,
                "leak_detected",
                "The leak gauge: 1 when the rule raised it",
                &["scenario", "rule"],
            ),
            cycles: counter(&r, "cycles_total", "Cycles finished", &["scenario", "verdict"]),
            last_cycle: gauge(&r, "last_cycle_timestamp_seconds", "End of the last cycle (Unix seconds)", s),
            source_up: gauge(&r, "memory_source_up", "1 when the last memory read succeeded", s),
            target_restarts: counter(&r, "target_restarts_total", RESTARTS_HELP, s),
            target_churn: counter(
                &r,
                "target_churn_total",
                "Processes of a soaked process tree that ended, not restarts",
                s,
            ),
            record_write_failures: register(
                &r,
                IntCounter::with_opts(
                    Opts::new("record_write_failures_total", "Cycles that could not be appended to the --record file")
                        .namespace("leaksoak"),
                ),
            ),
            record_unreadable: register(
                &r,
                IntCounter::with_opts(
                    Opts::new(
                        "record_unreadable_total",
                        "Record files that could not be read as a recording at start-up, moved aside",
                    )
                    .namespace("leaksoak"),
                ),
            ),
            reload_ok: register(
                &r,
                Gauge::with_opts(
                    Opts::new("config_last_reload_successful", "1 when the last config load succeeded")
                        .namespace("leaksoak"),
                ),
            ),
            reload_timestamp: register(
                &r,
                Gauge::with_opts(
                    Opts::new(
                        "config_last_reload_success_timestamp_seconds",
                        "Time of the last successful config load",
                    )
                    .namespace("leaksoak"),
                ),
            ),
            scenarios: Default::default(),
            confidence: Confidence::new(&r),
            forecast: ForecastMetrics::new(&r),
            resources: ResourceMetrics::new(&r),
            paths: PathMetrics::new(&r),
            lifecycle: Lifecycle::new(&r),
            snapshot: Default::default(),
            cache: Default::default(),
            registry: r,
        };
        let info = "Always 1; the labels say which build runs";
        gauge(&m.registry, "build_info", info, &["version", "revision"])
            .with_label_values(&[version, revision])
            .set(1.0);
        let _ = m.registry.register(Box::new(process::ProcessCollector::new()));
        m
    }

    /// `leaksoak_configured` and `leaksoak_expected_round_seconds`.
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// Records the outcome of a configuration load (start or reload).
    pub fn reloaded(&self, ok: bool) {
        let _update = self.updating();
        self.reload_ok.set(f64::from(ok));
        if ok {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
            self.reload_timestamp.set(now);
        }
    }

    /// The record file could not be read to resume from and was moved aside.
    pub fn record_unreadable(&self) {
        self.record_unreadable.inc();
    }

    /// Every metric family as gathered now (the reference in `docs/metrics.md` is generated from these).
    pub fn families(&self) -> Vec<prometheus::proto::MetricFamily> {
        let _alone = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        self.registry.gather()
    }

    /// Held while one update (several series that belong together) is written; see `snapshot`.
    fn updating(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.snapshot.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The text exposition (format 0.0.4), rendered now.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 * 1024);
        // Writing to a Vec cannot fail, and every family is well formed: registered through this struct.
        let _ = TextEncoder::new().encode(&self.families(), &mut out);
        out
    }

    /// The exposition as `/metrics` serves it: rendered at most once per [`SCRAPE_CACHE_TTL`], shared by
    /// every scrape in between (a clone of the bytes, no copy).
    pub fn scrape(&self) -> Bytes {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match &*cache {
            Some((at, body)) if at.elapsed() < SCRAPE_CACHE_TTL => body.clone(),
            _ => {
                let body = Bytes::from(self.render());
                *cache = Some((Instant::now(), body.clone()));
                body
            }
        }
    }
}

/// Each restart is counted once, on one scenario: the target's restarts are the sum over scenarios.
const RESTARTS_HELP: &str = "Times the soaked process changed, counted once, on the scenario whose cycle saw it (sum over scenarios: the target's restarts)";

/// How long a rendered `/metrics` body is served again. A render costs a few hundred microseconds; a
/// scrape storm then costs one render per period, not one per scrape. Prometheus scrapes every 15 s or
/// more, so a body up to one second old changes nothing for it.
pub const SCRAPE_CACHE_TTL: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests;
