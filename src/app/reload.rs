//! Configuration reloads (SIGHUP, `POST /-/reload`): the new file is loaded, validated and prepared (every
//! client and the sampler built) at once, so the answer and `leaksoak_config_last_reload_successful` say
//! whether the engine will run it; a prepared one waits for the end of the cycle, a newer one replacing it.
//! A rejected one is logged and counted, and the old configuration keeps running. Reloads are taken one at a
//! time. SIGHUP also reopens the `--record` file, for log rotation.

use crate::engine::{Pending, Prepared};
use crate::metrics::Metrics;
use crate::panic_log::Scrubber;
use crate::recording::Recorder;
use crate::serve::Reload;
use crate::settings;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use url::Url;

/// Loads the configuration again on request.
#[derive(Debug)]
pub struct Reloader {
    /// The `--config` file of the command line (none: defaults and environment only).
    path: Option<PathBuf>,
    /// Learns the secrets of every configuration loaded, so panic messages never show them.
    scrubber: Scrubber,
    /// `leaksoak_config_last_reload_successful` and its timestamp.
    metrics: Metrics,
    /// Base URL of the in-process fake endpoint, for the clients of new scenarios.
    fake: Option<Url>,
    /// To the engine; it switches to the newest prepared configuration between cycles.
    engine: Arc<Pending>,
    /// One reload at a time, so the metric ends on the answer of the last one.
    one_at_a_time: Mutex<()>,
}

impl Reloader {
    pub fn new(
        path: Option<PathBuf>,
        scrubber: Scrubber,
        metrics: Metrics,
        fake: Option<Url>,
        engine: Arc<Pending>,
    ) -> Self {
        Self { path, scrubber, metrics, fake, engine, one_at_a_time: Mutex::new(()) }
    }

    /// Why the configuration cannot run, or the configuration ready to run.
    fn prepare(&self) -> Result<Prepared, String> {
        let settings = settings::load(self.path.as_deref()).map_err(|e| e.to_string())?;
        self.scrubber.add(settings.secrets());
        Prepared::new(settings, self.fake.as_ref()).map_err(|e| format!("{e}\n"))
    }
}

impl Reload for Reloader {
    fn reload(&self) -> Result<String, String> {
        let _one = self.one_at_a_time.lock().unwrap_or_else(|e| e.into_inner());
        match self.prepare() {
            Ok(prepared) => {
                self.metrics.lifecycle().pause(prepared.settings.cycle.pause);
                let replaced = self.engine.put(prepared);
                self.metrics.reloaded(true);
                tracing::info!(replaced, "configuration reloaded; it applies from the next cycle");
                Ok("reloaded; the new configuration applies from the next cycle\n".into())
            }
            Err(e) => {
                self.metrics.reloaded(false);
                tracing::error!("configuration reload rejected, the old configuration keeps running\n{e}");
                Err(format!("rejected, the old configuration keeps running\n{e}"))
            }
        }
    }
}

/// On every SIGHUP until `shutdown`: reloads the configuration, and reopens the `--record` file (log
/// rotation: once the old file is moved away, cycles go to a new one at the path).
pub async fn on_sighup(reloader: Arc<Reloader>, recorder: Option<Arc<Recorder>>, shutdown: CancellationToken) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reload with POST /-/reload instead");
        return;
    };
    loop {
        tokio::select! {
            received = hup.recv() => match received {
                Some(()) => {
                    let _ = reloader.reload();
                    if let Some(recorder) = &recorder {
                        reopen(recorder);
                    }
                }
                None => break,
            },
            () = shutdown.cancelled() => break,
        }
    }
}

fn reopen(recorder: &Recorder) {
    match recorder.reopen() {
        Ok(()) => tracing::info!("record file reopened"),
        Err(e) => tracing::error!(error = %e, "cannot reopen the record file; still writing to the old one"),
    }
}
