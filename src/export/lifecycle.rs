//! The soak's own life (docs/metrics.md): whether the daemon runs its configuration or waits for what it
//! cannot use yet, and how long a round over every scenario is expected to take, so the alerts can tell a
//! soak that is waiting or pausing from one that is stuck.

use super::family::register;
use prometheus::{Gauge, Opts, Registry};

/// The lifecycle families, registered in the daemon's registry.
#[derive(Clone)]
pub struct Lifecycle {
    /// `leaksoak_configured`: 1 while the configuration runs; 0 while the daemon waits for something it
    /// cannot use yet (a secret file missing or empty; `/status` says which).
    configured: Gauge,
}

impl Lifecycle {
    pub fn new(r: &Registry) -> Self {
        let configured = Opts::new(
            "configured",
            "1 when the configuration runs; 0 while waiting for what it cannot use yet (a missing or empty secret file; see /status)",
        );
        Self { configured: register(r, Gauge::with_opts(configured.namespace("leaksoak"))) }
    }

    /// Says whether the configuration runs.
    pub fn configured(&self, runs: bool) {
        self.configured.set(f64::from(runs));
    }
}
