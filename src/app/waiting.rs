//! What the daemon waits out instead of exiting: secrets it cannot read yet, and secrets that change.
//!
//! A configuration valid in itself whose secret files are missing or empty (a Kubernetes Secret not created
//! yet, mounted `optional`) is not a reason to exit: a sidecar that exits takes its application's pod out of
//! its Service (docs/kubernetes.md). [`until_configured`] serves `/healthz`, `/metrics`
//! (`leaksoak_configured 0`) and `/status` (`not_configured`: why) and loads the configuration again every
//! [`POLL`] until it can run it. Once running, [`watch_secrets`] reloads when a secret changes (a mounted
//! Secret is updated in place).

use super::Error;
use super::reload::Reloader;
use crate::metrics::Metrics;
use crate::serve::{Board, Endpoints, Reload};
use crate::settings::{self, Secret, Settings, SettingsError};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often a configuration waiting for its secrets is loaded again. Short, so a soak starts within
/// seconds of its Secret; a load reads a few small files.
pub const POLL: Duration = Duration::from_secs(2);

/// How often the secrets of the running configuration are read again to see whether they changed. The
/// kubelet updates a mounted Secret within about a minute; a change reloads as SIGHUP does.
pub const WATCH: Duration = Duration::from_secs(10);

/// Serves the waiting endpoints on `listener` and loads `file` every [`POLL`] until its configuration
/// loads (`Some`), or `shutdown` completes first (`None`). `why` is the first load's error;
/// `bearer_configured`: `server.bearer_token` is set, so every endpoint but `/healthz` stays closed while
/// its value is not known.
pub async fn until_configured(
    listener: &std::net::TcpListener,
    file: Option<&Path>,
    why: &SettingsError,
    bearer_configured: bool,
    shutdown: impl Future<Output = ()>,
) -> Result<Option<Settings>, Error> {
    let addr = listener.local_addr().map_err(|source| Error::Listen { addr: ([0, 0, 0, 0], 0).into(), source })?;
    let metrics = Metrics::new(crate::build_info::VERSION, crate::build_info::REVISION);
    metrics.lifecycle().configured(false);
    let board = Arc::new(Board::default());
    board.set_not_configured(Some(one_line(why)));
    tracing::warn!(%addr, "the configuration cannot run yet; serving /healthz, /metrics and /status while waiting\n{why}");
    let endpoints = Endpoints {
        metrics,
        board: Arc::clone(&board),
        page: Arc::default(),
        // No value is known yet: a token no request can carry keeps the endpoints closed, as they will be.
        bearer: bearer_configured.then(unmatchable),
        reload: None,
        served: Arc::default(),
    };
    let token = CancellationToken::new();
    let cloned = listener.try_clone().map_err(|source| Error::Listen { addr, source })?;
    let stopped = crate::serve::server::spawn_thread(cloned, Arc::new(endpoints), token.clone())
        .map_err(|source| Error::Listen { addr, source })?;
    let loaded = tokio::select! {
        settings = poll(file, &board) => Some(settings),
        () = shutdown => None,
    };
    token.cancel();
    // The daemon's own server takes the listener over only once this one has let it go.
    let _ = stopped.await;
    Ok(loaded)
}

/// Loads `file` every [`POLL`] until it loads, telling `board` (and the log, when it changes) why not.
async fn poll(file: Option<&Path>, board: &Board) -> Settings {
    let mut last = board.not_configured();
    loop {
        tokio::time::sleep(POLL).await;
        match settings::load(file) {
            Ok(settings) => {
                tracing::info!("the configuration can run now; starting");
                return settings;
            }
            Err(e) => {
                let why = Some(one_line(&e));
                if why != last {
                    tracing::warn!("the configuration still cannot run\n{e}");
                    board.set_not_configured(why.clone());
                    last = why;
                }
            }
        }
    }
}

/// Every [`WATCH`] until `shutdown`, reads the configuration's secrets again; when they differ from the
/// ones in force, reloads (as SIGHUP does). A file that cannot be loaded now changes nothing: the running
/// configuration keeps its secrets, and a reload would say the same.
pub async fn watch_secrets(
    reloader: Arc<Reloader>,
    file: Option<PathBuf>,
    mut secrets: Vec<String>,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(WATCH) => {}
            () = shutdown.cancelled() => break,
        }
        let Ok(now) = settings::load(file.as_deref()) else { continue };
        let now = now.secrets();
        if now != secrets {
            tracing::info!("a secret of the configuration changed; reloading");
            if reloader.reload().is_ok() {
                secrets = now;
            }
        }
    }
}

/// The problems of `e` on one line each, joined by "; ", as `/status` shows them.
fn one_line(e: &SettingsError) -> String {
    e.problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// A bearer token no request can match: an HTTP header value cannot hold a NUL byte (the parser refuses it).
fn unmatchable() -> Secret {
    Secret::new("\0")
}
