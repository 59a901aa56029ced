//! The cycle engine: scenarios take turns (they share one memory source), cycle after cycle, with a pause
//! between cycles, until shutdown. New settings from a reload are applied between cycles.
//!
//! This module owns the vocabulary every output speaks: a [`BatchRecord`] per batch, a [`Judged`] cycle
//! with its [`CycleEnd`] and [`Figures`], and the [`Observer`] trait through which the log, the progress
//! bars, the metrics, `/status` and the recording hear about the soak. The outputs import these from here;
//! the engine imports nothing from them.
//!
//! * [`cycle`]: one cycle of one scenario: warm-up and measured batches, each followed by a memory sample.
//! * [`judge`]: a scenario's judgement across cycles: the analysis, the trend history and the leak gauge.
//! * [`observer`]: what the engine tells the outside while it works.
//! * [`record`]: the records a cycle produces.
//! * [`figures`]: what a judged cycle concluded, as recordings and `/status` show it.

mod cycle;
mod figures;
mod judge;
mod observer;
mod record;

pub use cycle::Lane;
pub use figures::{Figures, FindingRecord};
pub use judge::Judge;
pub use observer::{Activity, Fanout, Observer};
pub use record::{BatchRecord, CycleEnd, Judged, measured_error_kinds, measured_samples};

use crate::load::Client;
use crate::memory::Sampler;
use crate::settings::Settings;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

/// Setup failures of the engine: the only `Err`s once settings are valid.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Client(#[from] crate::load::Error),
    #[error("memory source: {0}")]
    Memory(#[from] crate::memory::Error),
}

/// Runs cycles; one per daemon (or per `once`).
pub struct Engine {
    /// The configuration in force.
    settings: Arc<Settings>,
    /// One lane per scenario, in config order.
    lanes: Vec<Lane>,
    /// The one memory sampler all scenarios share.
    sampler: Sampler,
    /// Base URL of the in-process fake endpoint, for scenarios added by a reload.
    fake: Option<Url>,
    /// Who hears about phases, batches and cycles.
    observer: Arc<dyn Observer>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("lanes", &self.lanes).field("sampler", &self.sampler).finish()
    }
}

impl Engine {
    /// Builds clients and the sampler; `fake` is the base URL of the in-process fake endpoint, if it runs.
    pub fn new(settings: Arc<Settings>, fake: Option<&Url>, observer: Arc<dyn Observer>) -> Result<Self, Error> {
        let lanes = lanes(&settings, fake, &mut Vec::new())?;
        let sampler = Sampler::new(&settings.memory)?;
        observer.configured(&names(&settings));
        Ok(Self { settings, lanes, sampler, fake: fake.cloned(), observer })
    }

    /// For `leaksoak once`: every scenario judged as a single cycle with the pytest suite's semantics
    /// ([`Judge::single_cycle`]), so no finding waits for a confirmation that will never come.
    pub fn single_cycle(mut self) -> Self {
        for lane in &mut self.lanes {
            lane.judge = Judge::single_cycle(lane.scenario.name.as_str());
        }
        self
    }

    /// One cycle of every scenario, in order; `None` when shutdown came first.
    pub async fn once(&mut self, shutdown: &CancellationToken) -> Option<Vec<Judged>> {
        let mut out = Vec::with_capacity(self.lanes.len());
        for i in 0..self.lanes.len() {
            out.push(self.cycle(i, shutdown).await?);
        }
        Some(out)
    }

    /// Cycles until shutdown, scenario after scenario, pausing `cycle.pause` after each cycle. Settings
    /// arriving on `reloads` are applied before the next cycle.
    pub async fn run(mut self, shutdown: CancellationToken, mut reloads: mpsc::Receiver<Settings>) {
        tracing::info!(scenarios = self.lanes.len(), source = %self.sampler.describe(), "soak started");
        let mut next = 0;
        loop {
            if self.cycle(next, &shutdown).await.is_none() {
                break;
            }
            next += 1;
            tokio::select! {
                () = tokio::time::sleep(self.settings.cycle.pause) => {}
                Some(new) = reloads.recv() => self.apply(new),
                () = shutdown.cancelled() => break,
            }
            while let Ok(new) = reloads.try_recv() {
                self.apply(new);
            }
            next %= self.lanes.len().max(1);
        }
        tracing::info!("soak stopped");
    }

    /// Switches to `new` settings. Scenarios whose settings did not change keep their state (trend,
    /// gauge, connection pool); the sampler is rebuilt only when `[memory]` changed.
    pub fn apply(&mut self, new: Settings) {
        for (section, changed) in [
            ("server", new.server != self.settings.server),
            ("fake_llm", new.fake_llm != self.settings.fake_llm),
            ("telemetry", new.telemetry != self.settings.telemetry),
        ] {
            if changed {
                tracing::warn!(section, "this section changed but applies only at restart");
            }
        }
        let sampler = if new.memory == self.settings.memory {
            None
        } else {
            match Sampler::new(&new.memory) {
                Ok(sampler) => Some(sampler),
                Err(e) => return tracing::error!(error = %e, "cannot apply the new configuration; keeping the old"),
            }
        };
        match lanes(&new, self.fake.as_ref(), &mut self.lanes) {
            Ok(lanes) => self.lanes = lanes,
            Err(e) => return tracing::error!(error = %e, "cannot apply the new configuration; keeping the old"),
        }
        if let Some(sampler) = sampler {
            self.sampler = sampler;
        }
        self.observer.configured(&names(&new));
        self.settings = Arc::new(new);
        tracing::info!(scenarios = self.lanes.len(), "new configuration in force");
    }

    async fn cycle(&mut self, i: usize, shutdown: &CancellationToken) -> Option<Judged> {
        let settings = Arc::clone(&self.settings);
        let lane = &mut self.lanes[i];
        tokio::select! {
            judged = cycle::run(lane, &settings.cycle, &settings.analysis, &mut self.sampler, self.observer.as_ref()) => Some(judged),
            () = shutdown.cancelled() => None,
        }
    }
}

fn names(settings: &Settings) -> Vec<String> {
    settings.scenarios.iter().map(|s| s.name.to_string()).collect()
}

/// Lanes for `settings`, taking from `old` those whose scenario is unchanged. Fallible work (building
/// clients) happens first, so on error `old` is left untouched.
fn lanes(settings: &Settings, fake: Option<&Url>, old: &mut Vec<Lane>) -> Result<Vec<Lane>, Error> {
    let fresh = settings
        .scenarios
        .iter()
        .map(|s| match old.iter().any(|l| l.scenario == *s) {
            true => Ok(None),
            false => Client::new(s, fake).map(|c| Some(Lane::new(s.clone(), c))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(fresh.len());
    for (s, lane) in settings.scenarios.iter().zip(fresh) {
        match lane {
            Some(lane) => out.push(lane),
            None => {
                let i = old.iter().position(|l| l.scenario == *s).expect("present: checked above");
                out.push(old.swap_remove(i));
            }
        }
    }
    Ok(out)
}
