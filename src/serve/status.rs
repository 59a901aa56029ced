//! The state behind `/status`, `/report` and `/readyz`: what each scenario is doing and how its last
//! cycle ended, kept up to date as an [`Observer`].

use crate::analyze::{Forecast, Phase, Rule};
use crate::engine::{Activity, BatchRecord, EndpointTraffic, Figures, Judged, Observer};
use crate::load::BatchStats;

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// How many samples of the last cycle `/status` lists.
pub const LAST_SAMPLES: usize = 10;

/// One scenario as `/status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioStatus {
    pub name: String,
    /// `warmup`, `measure` or `idle`.
    pub phase: &'static str,
    /// Index of the batch running (or last run) in the current phase, from 0.
    pub batch: u64,
    /// Cycles finished since start.
    pub cycles: u64,
    /// Verdict of the last cycle, `null` before the first.
    pub last_verdict: Option<&'static str>,
    /// The leak gauge per rule.
    pub leak_detected: BTreeMap<&'static str, bool>,
    /// The resource leak gauges, by resource name (empty until a resource was judged).
    pub resource_leak_detected: BTreeMap<String, bool>,
    /// While the memory gauge is raised: the leak's rate, growth per day and time to the memory limit
    /// (docs/analysis.md#how-long-until-it-falls-over); `null` while it is down.
    pub forecast: Option<ForecastStatus>,
    /// Figures, samples and rule messages of the last cycle.
    pub last_cycle: Option<LastCycle>,
    /// The report of the last cycle (`/report`); not in the JSON, which has the figures.
    #[serde(skip)]
    pub report: Option<String>,
}

/// The last finished cycle of a scenario: what it concluded (the figures of a recorded cycle) and its
/// last measured samples.
#[derive(Debug, Clone, Serialize)]
pub struct LastCycle {
    #[serde(flatten)]
    pub figures: Figures,
    /// The requests leaksoak's own endpoints answered during the cycle, with a `self` source (as recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<EndpointTraffic>,
    /// The last measured samples, oldest first.
    pub samples: Vec<BatchRecord>,
}

/// A confirmed leak in production terms, as `/status` shows it: the [`Forecast`]'s figures and its sentence.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastStatus {
    #[serde(flatten)]
    pub figures: Forecast,
    /// The report's sentence (`How fast: 312 B/request; at 50 requests/s, +1.3 GiB/day; …`).
    pub text: String,
}

/// Status of every scenario, shared by the engine (writer) and the HTTP server (readers).
#[derive(Debug, Default)]
pub struct Board {
    scenarios: Mutex<Vec<ScenarioStatus>>,
    /// Set when the first batch has been attempted: `/readyz` answers 200 from then on.
    ready: AtomicBool,
    /// What was resumed from the recording at start-up (`resumed 3 scenarios, 41 cycles, …`), if anything.
    resumed: Mutex<Option<String>>,
    /// Why the configuration cannot run yet (a secret file missing or empty), while the daemon waits.
    not_configured: Mutex<Option<String>>,
}

impl Board {
    /// Whether the first batch has been attempted.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Says what was resumed from the recording at start-up; `/status` shows it as `resumed`.
    pub fn set_resumed(&self, line: String) {
        *self.resumed.lock().unwrap_or_else(|e| e.into_inner()) = Some(line);
    }

    /// What was resumed from the recording at start-up, if anything.
    pub fn resumed(&self) -> Option<String> {
        self.resumed.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Says why the configuration cannot run yet (`None`: it runs); `/status` shows it as `not_configured`.
    pub fn set_not_configured(&self, why: Option<String>) {
        *self.not_configured.lock().unwrap_or_else(|e| e.into_inner()) = why;
    }

    /// Why the configuration cannot run yet, while the daemon waits.
    pub fn not_configured(&self) -> Option<String> {
        self.not_configured.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A copy of every scenario's status.
    pub fn snapshot(&self) -> Vec<ScenarioStatus> {
        self.lock().clone()
    }

    /// The last report of every scenario, separated by blank lines.
    pub fn reports(&self) -> String {
        let list = self.lock();
        let reports: Vec<String> = list
            .iter()
            .map(|s| s.report.clone().unwrap_or_else(|| format!("{}: no cycle finished yet\n", s.name)))
            .collect();
        reports.join("\n")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ScenarioStatus>> {
        self.scenarios.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, name: &str, f: impl FnOnce(&mut ScenarioStatus)) {
        if let Some(s) = self.lock().iter_mut().find(|s| s.name == name) {
            f(s);
        }
    }
}

fn fresh(name: &str) -> ScenarioStatus {
    ScenarioStatus {
        name: name.to_owned(),
        phase: Activity::Idle.as_str(),
        batch: 0,
        cycles: 0,
        last_verdict: None,
        leak_detected: Rule::ALL.iter().map(|r| (r.as_str(), false)).collect(),
        resource_leak_detected: BTreeMap::new(),
        forecast: None,
        last_cycle: None,
        report: None,
    }
}

impl Observer for Board {
    /// Lists the configured scenarios, keeping what is known of those that stay.
    fn configured(&self, names: &[String]) {
        let mut list = self.lock();
        let old = std::mem::take(&mut *list);
        *list = names.iter().map(|n| old.iter().find(|s| &s.name == n).cloned().unwrap_or_else(|| fresh(n))).collect();
    }

    fn activity(&self, scenario: &str, activity: Activity, batch: u64) {
        self.update(scenario, |s| {
            s.phase = activity.as_str();
            s.batch = batch;
        });
    }

    fn batch(&self, _scenario: &str, _record: &BatchRecord, _stats: &BatchStats) {
        self.ready.store(true, Ordering::Relaxed);
    }

    fn source(&self, _scenario: &str, _result: Result<(), &str>) {
        self.ready.store(true, Ordering::Relaxed);
    }

    fn cycle(&self, j: &Judged) {
        let a = &j.analysis;
        let measured: Vec<BatchRecord> = j.batches.iter().filter(|b| b.phase == Phase::Measure).cloned().collect();
        let last = LastCycle {
            figures: Figures::new(j),
            endpoints: j.endpoints,
            samples: measured[measured.len().saturating_sub(LAST_SAMPLES)..].to_vec(),
        };
        self.update(&j.scenario, |s| {
            s.cycles += 1;
            s.last_verdict = Some(a.verdict.as_str());
            s.leak_detected = Rule::ALL.iter().map(|r| (r.as_str(), j.raised[r.index()])).collect();
            s.resource_leak_detected = j.resources_raised.clone();
            if a.verdict.is_judged() {
                s.forecast = j.forecast.map(|f| ForecastStatus { figures: f, text: f.line() });
            }
            s.last_cycle = Some(last);
            s.report = Some(j.report.clone());
        });
    }
}
