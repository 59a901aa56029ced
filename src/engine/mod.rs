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
//! * [`prepared`]: a configuration with its clients and sampler built, waiting for the next cycle.
//! * [`record`]: the records a cycle produces.
//! * [`figures`]: what a judged cycle concluded, as recordings and `/status` show it.
//! * [`traffic`]: the requests leaksoak's own endpoints answered, which `self` sources measure too.

mod cycle;
mod figures;
mod judge;
mod observer;
mod prepared;
mod record;
mod traffic;

pub use cycle::Lane;
pub use figures::{Figures, FindingRecord, ResourceFigures};
pub use judge::Judge;
pub use observer::{Activity, Fanout, Observer};
pub use prepared::{Pending, Prepared};
pub use record::{
    BatchRecord, Context, CycleEnd, EndpointTraffic, Idle, Judged, measured_error_kinds, measured_outcomes,
    measured_samples, outcomes_line,
};
pub use traffic::EndpointCounter;

use crate::memory::Sampler;
use crate::settings::Settings;
use std::sync::Arc;
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
    /// Who hears about phases, batches and cycles.
    observer: Arc<dyn Observer>,
    /// Memory and time of the last sample of the last completed cycle (any scenario): where the idle
    /// pause before the next cycle begins. None at start, after a restart or a failed read, and when the
    /// memory source changes.
    last_sample: Option<(u64, std::time::Instant)>,
    /// Requests sent to the target by every scenario so far (warm-up included, replayed cycles too): what
    /// the long trend window fits memory against, since every scenario's requests reach the one target.
    sent: u64,
    /// Requests the daemon's own endpoints answered, counted by its server; None where none serves (`once`).
    endpoints: Option<Arc<EndpointCounter>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("lanes", &self.lanes).field("sampler", &self.sampler).finish()
    }
}

impl Engine {
    /// Builds clients and the sampler; `fake` is the base URL of the in-process fake endpoint, if it runs.
    pub fn new(settings: Arc<Settings>, fake: Option<&Url>, observer: Arc<dyn Observer>) -> Result<Self, Error> {
        let (clients, sampler) = prepared::build(&settings, fake)?;
        let lanes = settings.scenarios.iter().zip(clients).map(|(s, c)| Lane::new(s.clone(), c)).collect();
        observer.configured(&names(&settings));
        observer.analysis(&settings.analysis);
        Ok(Self { settings, lanes, sampler, observer, last_sample: None, sent: 0, endpoints: None })
    }

    /// Who hears about the soak from now on (the recorder joins after resume has read the recording).
    pub fn set_observer(&mut self, observer: Arc<dyn Observer>) {
        observer.configured(&names(&self.settings));
        observer.analysis(&self.settings.analysis);
        self.observer = observer;
    }

    /// Reads the requests the daemon's own endpoints answer from `counter` (which its server counts), so
    /// that a cycle measured by a `self` source knows how busy they were.
    pub fn count_endpoints(&mut self, counter: Arc<EndpointCounter>) {
        self.endpoints = Some(counter);
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

    /// Cycles until shutdown, scenario after scenario, pausing `cycle.pause` after each cycle. A
    /// configuration put in `reloads` is switched to before the next cycle.
    pub async fn run(mut self, shutdown: CancellationToken, reloads: Arc<Pending>) {
        tracing::info!(scenarios = self.lanes.len(), source = %self.sampler.describe(), "soak started");
        let mut next = 0;
        loop {
            if self.cycle(next, &shutdown).await.is_none() {
                break;
            }
            next += 1;
            tokio::select! {
                () = tokio::time::sleep(self.settings.cycle.pause) => {}
                () = reloads.arrived() => {}
                () = shutdown.cancelled() => break,
            }
            if let Some(new) = reloads.take() {
                self.apply(new);
            }
            next %= self.lanes.len().max(1);
        }
        tracing::info!("soak stopped");
    }

    /// Switches to a prepared configuration; nothing here can fail. Scenarios whose settings did not
    /// change keep their state (trend, gauge, connection pool); the sampler changes only with `[memory]`.
    pub fn apply(&mut self, new: Prepared) {
        let Prepared { settings: new, clients, sampler } = new;
        for (section, changed) in [
            ("server", new.server != self.settings.server),
            ("fake_llm", new.fake_llm != self.settings.fake_llm),
            ("telemetry", new.telemetry != self.settings.telemetry),
            ("record", new.record != self.settings.record),
        ] {
            if changed {
                tracing::warn!(section, "this section changed but applies only at restart");
            }
        }
        if new.memory != self.settings.memory {
            self.sampler = sampler;
            self.last_sample = None;
        }
        let mut old = std::mem::take(&mut self.lanes);
        for (scenario, client) in new.scenarios.iter().zip(clients) {
            match old.iter().position(|l| l.scenario == *scenario) {
                Some(i) => self.lanes.push(old.swap_remove(i)),
                None => self.lanes.push(Lane::new(scenario.clone(), client)),
            }
        }
        self.observer.configured(&names(&new));
        self.observer.analysis(&new.analysis);
        self.settings = Arc::new(new);
        tracing::info!(scenarios = self.lanes.len(), "new configuration in force");
    }

    /// Judges a cycle recorded before this process started into the judge of the scenario of that name,
    /// as if it had just run (resume from a recording). A recorded restart resets every scenario's trend, as
    /// live. `None` when no configured scenario has that name: the cycle is not replayed.
    pub fn replay(
        &mut self,
        scenario: &str,
        idle: Option<Idle>,
        endpoints: Option<EndpointTraffic>,
        batches: Vec<BatchRecord>,
        end: CycleEnd,
    ) -> Option<Judged> {
        let i = self.lanes.iter().position(|l| l.scenario.name.as_str() == scenario)?;
        let batch_size = self.settings.cycle.batch_size;
        let restarted = end == CycleEnd::Restarted;
        self.sent = self.sent.saturating_add(batches.iter().map(|b| b.requests).sum());
        let context = Context { idle, sent: Some(self.sent), endpoints, ..Context::default() };
        let judged = self.lanes[i].judge.judge_after(context, batch_size, &self.settings.analysis, batches, end);
        if restarted {
            self.lanes.iter_mut().enumerate().filter(|(j, _)| *j != i).for_each(|(_, l)| l.judge.target_restarted());
        }
        Some(judged)
    }

    /// The longest trend history of any scenario, at most `trend_cycles` (what the trend rule looks at).
    pub fn trend_history(&self) -> usize {
        let k = self.settings.analysis.trend_cycles;
        self.lanes.iter().map(|l| l.judge.trend_len().min(k)).max().unwrap_or(0)
    }

    /// Forgets what every scenario's judge remembers (a recording that could not be read to the end).
    pub fn forget(&mut self) {
        self.lanes.iter_mut().for_each(|l| l.judge = Judge::new(l.scenario.name.as_str()));
    }

    async fn cycle(&mut self, i: usize, shutdown: &CancellationToken) -> Option<Judged> {
        let settings = Arc::clone(&self.settings);
        let lane = &mut self.lanes[i];
        let judged = tokio::select! {
            judged = cycle::run(
                lane,
                &settings,
                &mut self.sampler,
                self.endpoints.as_deref(),
                self.observer.as_ref(),
                &mut self.last_sample,
                &mut self.sent,
            ) => judged,
            () = shutdown.cancelled() => return None,
        };
        if judged.end == CycleEnd::Restarted {
            // Every scenario soaks the same target: all of them start over with it.
            self.lanes.iter_mut().enumerate().filter(|(j, _)| *j != i).for_each(|(_, l)| l.judge.target_restarted());
        }
        Some(judged)
    }
}

fn names(settings: &Settings) -> Vec<String> {
    settings.scenarios.iter().map(|s| s.name.to_string()).collect()
}
