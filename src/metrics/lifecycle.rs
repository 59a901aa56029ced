//! The soak's own life (docs/metrics.md): whether the daemon runs its configuration or waits for what it
//! cannot use yet, and how long a round over every scenario is expected to take, so the alerts can tell a
//! soak that is waiting or pausing from one that is stuck.

use super::family::register;
use prometheus::{Gauge, Opts, Registry};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The lifecycle families, registered in the daemon's registry.
#[derive(Clone)]
pub struct Lifecycle {
    /// `leaksoak_configured`: 1 while the configuration runs; 0 while the daemon waits for something it
    /// cannot use yet (a secret file missing or empty; `/status` says which).
    configured: Gauge,
    /// `leaksoak_expected_round_seconds`: the time between two cycles of one scenario, as the soak is
    /// configured and has run: the last duration of each scenario's cycle plus one pause per scenario.
    expected_round: Gauge,
    /// What the expected round is made of.
    round: Arc<Mutex<Round>>,
}

/// The parts of a round: scenarios take turns, each cycle followed by the pause.
#[derive(Debug, Default)]
struct Round {
    /// `cycle.pause`, seconds.
    pause: f64,
    /// The last cycle duration of each configured scenario (0 until its first cycle), seconds.
    cycles: BTreeMap<String, f64>,
}

impl Round {
    fn seconds(&self) -> f64 {
        self.cycles.values().sum::<f64>() + self.pause * self.cycles.len() as f64
    }
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lifecycle")
    }
}

impl Lifecycle {
    pub fn new(r: &Registry) -> Self {
        let gauge = |name: &str, help: &str| register(r, Gauge::with_opts(Opts::new(name, help).namespace("leaksoak")));
        Self {
            configured: gauge(
                "configured",
                "1 when the configuration runs; 0 while waiting for what it cannot use yet (a missing or empty secret file; see /status)",
            ),
            expected_round: gauge(
                "expected_round_seconds",
                "Expected time between two cycles of one scenario: the last cycle of every scenario plus one pause each",
            ),
            round: Arc::default(),
        }
    }

    /// Says whether the configuration runs.
    pub fn configured(&self, runs: bool) {
        self.configured.set(f64::from(runs));
    }

    /// The configured pause between cycles.
    pub fn pause(&self, pause: Duration) {
        self.update(|round| round.pause = pause.as_secs_f64());
    }

    /// The scenarios configured now; the durations of those that stay are kept.
    pub fn scenarios(&self, names: &[String]) {
        self.update(|round| {
            round.cycles.retain(|name, _| names.contains(name));
            for name in names {
                round.cycles.entry(name.clone()).or_default();
            }
        });
    }

    /// A cycle of `scenario` took `seconds`.
    pub fn cycle(&self, scenario: &str, seconds: f64) {
        self.update(|round| {
            if let Some(last) = round.cycles.get_mut(scenario) {
                *last = seconds;
            }
        });
    }

    fn update(&self, f: impl FnOnce(&mut Round)) {
        let mut round = self.round.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut round);
        self.expected_round.set(round.seconds());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_is_every_scenarios_last_cycle_plus_a_pause_each() {
        let life = Lifecycle::new(&Registry::new());
        life.pause(Duration::from_secs(600));
        life.scenarios(&["chat".into(), "embed".into()]);
        assert_eq!(life.expected_round.get(), 1200.0);
        life.cycle("chat", 64.0);
        life.cycle("embed", 60.0);
        life.cycle("gone", 1e6);
        assert_eq!(life.expected_round.get(), 1324.0);
        life.scenarios(&["chat".into()]);
        assert_eq!(life.expected_round.get(), 664.0);
    }
}
