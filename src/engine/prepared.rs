//! A configuration checked all the way before anyone is told it is accepted: its settings validated, and
//! every part the engine builds from them (a client per scenario, the memory sampler) already built. The
//! engine then switches to it between cycles without anything left that could fail, so a reload that
//! answered "reloaded" is the configuration that runs.

use super::Error;
use crate::load::Client;
use crate::memory::Sampler;
use crate::settings::Settings;
use std::sync::Mutex;
use tokio::sync::Notify;
use url::Url;

/// Settings with the parts built from them.
#[derive(Debug)]
pub struct Prepared {
    /// The validated settings.
    pub settings: Settings,
    /// A client per scenario, in the order of `settings.scenarios`; the engine keeps the old client (and
    /// the trend history) of a scenario that did not change, and drops the new one.
    pub clients: Vec<Client>,
    /// The sampler of `settings.memory`; the engine keeps the old one when `[memory]` did not change.
    pub sampler: Sampler,
}

impl Prepared {
    /// Builds every client and the sampler; `fake` is the base URL of the in-process fake endpoint.
    pub fn new(settings: Settings, fake: Option<&Url>) -> Result<Self, Error> {
        let (clients, sampler) = build(&settings, fake)?;
        Ok(Self { settings, clients, sampler })
    }
}

/// A client per scenario of `settings` (in order) and its sampler.
pub fn build(settings: &Settings, fake: Option<&Url>) -> Result<(Vec<Client>, Sampler), Error> {
    let clients = settings.scenarios.iter().map(|s| Client::new(s, fake)).collect::<Result<Vec<_>, _>>()?;
    Ok((clients, Sampler::new(&settings.memory)?))
}

/// The newest accepted configuration not yet in force. Reloads that arrive faster than cycles end
/// coalesce: each replaces the one waiting, and the engine takes the last.
#[derive(Debug, Default)]
pub struct Pending {
    /// The configuration waiting for the end of the cycle.
    slot: Mutex<Option<Prepared>>,
    /// Wakes the engine while it pauses between cycles.
    arrived: Notify,
}

impl Pending {
    /// Queues `prepared` for the next pause between cycles; `true` when it replaced one still waiting.
    pub fn put(&self, prepared: Prepared) -> bool {
        let replaced = self.slot.lock().unwrap_or_else(|e| e.into_inner()).replace(prepared).is_some();
        self.arrived.notify_one();
        replaced
    }

    /// The configuration waiting, if any.
    pub fn take(&self) -> Option<Prepared> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Completes when a configuration has been put (at once if one arrived since the last wait).
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }
}
