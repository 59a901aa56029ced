//! The cycle engine: scenarios take turns (they share one memory source), cycle after cycle, with a pause
//! between cycles, until shutdown.

use super::cycle::{self, Lane};
use super::observer::Observer;
use super::record::Judged;
use crate::load::Client;
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
    #[error("cannot start the built-in fake endpoint on {addr}: {source}")]
    FakeEndpoint { addr: std::net::SocketAddr, source: std::io::Error },
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
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("lanes", &self.lanes).field("sampler", &self.sampler).finish()
    }
}

impl Engine {
    /// Builds clients and the sampler; `fake` is the base URL of the in-process fake endpoint, if it runs.
    pub fn new(settings: Arc<Settings>, fake: Option<&Url>, observer: Arc<dyn Observer>) -> Result<Self, Error> {
        let lanes = settings
            .scenarios
            .iter()
            .map(|s| Ok(Lane::new(s.clone(), Client::new(s, fake)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let sampler = Sampler::new(&settings.memory)?;
        Ok(Self { settings, lanes, sampler, observer })
    }

    /// One cycle of every scenario, in order; `None` when shutdown came first.
    pub async fn once(&mut self, shutdown: &CancellationToken) -> Option<Vec<Judged>> {
        let mut out = Vec::with_capacity(self.lanes.len());
        for i in 0..self.lanes.len() {
            out.push(self.cycle(i, shutdown).await?);
        }
        Some(out)
    }

    /// Cycles forever, scenario after scenario, pausing `cycle.pause` after each cycle, until shutdown.
    pub async fn run(mut self, shutdown: CancellationToken) {
        tracing::info!(scenarios = self.lanes.len(), source = %self.sampler.describe(), "soak started");
        for i in (0..self.lanes.len()).cycle() {
            if self.cycle(i, &shutdown).await.is_none() {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(self.settings.cycle.pause) => {}
                () = shutdown.cancelled() => break,
            }
        }
        tracing::info!("soak stopped");
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
