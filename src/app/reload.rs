//! Configuration reloads (SIGHUP, `POST /-/reload`): the new file is loaded and validated at once; a valid
//! one is handed to the engine, which applies it between cycles; an invalid one is rejected, logged and
//! counted, and the old configuration keeps running.

use crate::export::{Metrics, Reload};
use crate::panic_log::Scrubber;
use crate::settings::{self, Settings};
use std::path::PathBuf;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Loads the configuration again on request.
#[derive(Debug)]
pub struct Reloader {
    /// The `--config` file of the command line (none: defaults and environment only).
    path: Option<PathBuf>,
    /// Learns the secrets of every configuration loaded, so panic messages never show them.
    scrubber: Scrubber,
    /// `leaksoak_config_last_reload_successful` and its timestamp.
    metrics: Metrics,
    /// To the engine; it applies the newest settings between cycles.
    engine: mpsc::Sender<Settings>,
}

impl Reloader {
    pub fn new(path: Option<PathBuf>, scrubber: Scrubber, metrics: Metrics, engine: mpsc::Sender<Settings>) -> Self {
        Self { path, scrubber, metrics, engine }
    }
}

impl Reload for Reloader {
    fn reload(&self) -> Result<String, String> {
        let settings = settings::load(self.path.as_deref()).map_err(|e| {
            self.metrics.reloaded(false);
            tracing::error!("configuration reload rejected, the old configuration keeps running\n{e}");
            format!("rejected, the old configuration keeps running\n{e}")
        })?;
        self.scrubber.add(settings.secrets());
        self.engine.try_send(settings).map_err(|e| {
            self.metrics.reloaded(false);
            format!("rejected: the engine is not taking new configurations ({e})\n")
        })?;
        self.metrics.reloaded(true);
        tracing::info!("configuration reloaded; it applies from the next cycle");
        Ok("reloaded; the new configuration applies from the next cycle\n".into())
    }
}

/// Reloads on every SIGHUP until `shutdown`.
pub async fn on_sighup(reloader: std::sync::Arc<Reloader>, shutdown: CancellationToken) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reload with POST /-/reload instead");
        return;
    };
    loop {
        tokio::select! {
            received = hup.recv() => match received {
                Some(()) => { let _ = reloader.reload(); }
                None => break,
            },
            () = shutdown.cancelled() => break,
        }
    }
}
