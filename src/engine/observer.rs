//! What the engine tells the outside while it works: phases, batches, cycles, the memory source (and the
//! recorder, a cycle it could not append). The log, the progress bar of `once` and the Prometheus metrics
//! each listen through this one trait.

use super::record::{BatchRecord, Judged};
use crate::load::BatchStats;
use crate::settings::Analysis;

/// What a scenario is doing now (`leaksoak_cycle_phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Warmup,
    Measure,
    Idle,
}

impl Activity {
    pub const ALL: [Activity; 3] = [Activity::Warmup, Activity::Measure, Activity::Idle];

    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Warmup => "warmup",
            Activity::Measure => "measure",
            Activity::Idle => "idle",
        }
    }
}

/// Receives the engine's events. Every method has an empty default, so a listener implements what it uses.
/// Calls come from the engine's task, in order; they must not block.
pub trait Observer: Send + Sync {
    /// The configured scenarios, at start and after every reload that changes them.
    fn configured(&self, _scenarios: &[String]) {}
    /// The `[analysis]` settings in force, at start and after every reload.
    fn analysis(&self, _settings: &Analysis) {}
    /// A scenario entered `activity`; `batch` is the index of the batch about to run within that phase.
    fn activity(&self, _scenario: &str, _activity: Activity, _batch: u64) {}
    /// A batch finished and was sampled.
    fn batch(&self, _scenario: &str, _record: &BatchRecord, _stats: &BatchStats) {}
    /// A memory read succeeded (`Ok`) or failed (`Err` with the reason).
    fn source(&self, _scenario: &str, _result: Result<(), &str>) {}
    /// The soaked target restarted.
    fn restart(&self, _scenario: &str) {}
    /// `processes` of the soaked process tree ended since the previous sample (workers recycled by the
    /// server, not a restart).
    fn churn(&self, _scenario: &str, _processes: u32) {}
    /// A cycle finished and was judged.
    fn cycle(&self, _judged: &Judged) {}
    /// A judged cycle could not be appended to the `run --record` file (a full disk); the recorder says so.
    fn record_write_failed(&self) {}
}

/// Several observers as one.
pub struct Fanout(pub Vec<std::sync::Arc<dyn Observer>>);

impl std::fmt::Debug for Fanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fanout({} observers)", self.0.len())
    }
}

impl Observer for Fanout {
    fn configured(&self, scenarios: &[String]) {
        self.0.iter().for_each(|o| o.configured(scenarios));
    }
    fn analysis(&self, settings: &Analysis) {
        self.0.iter().for_each(|o| o.analysis(settings));
    }
    fn activity(&self, scenario: &str, activity: Activity, batch: u64) {
        self.0.iter().for_each(|o| o.activity(scenario, activity, batch));
    }
    fn batch(&self, scenario: &str, record: &BatchRecord, stats: &BatchStats) {
        self.0.iter().for_each(|o| o.batch(scenario, record, stats));
    }
    fn source(&self, scenario: &str, result: Result<(), &str>) {
        self.0.iter().for_each(|o| o.source(scenario, result));
    }
    fn restart(&self, scenario: &str) {
        self.0.iter().for_each(|o| o.restart(scenario));
    }
    fn churn(&self, scenario: &str, processes: u32) {
        self.0.iter().for_each(|o| o.churn(scenario, processes));
    }
    fn cycle(&self, judged: &Judged) {
        self.0.iter().for_each(|o| o.cycle(judged));
    }
    fn record_write_failed(&self) {
        self.0.iter().for_each(|o| o.record_write_failed());
    }
}
