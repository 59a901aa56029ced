//! The `--record` file and log rotation: on SIGHUP the recorder opens its path again, so cycles go to
//! the new file once the old one was moved away. Beside the configuration reload of [`super::reload`],
//! which listens to the same signal.

use crate::recording::Recorder;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Reopens the record file on every SIGHUP until `shutdown`.
pub async fn reopen_on_sighup(recorder: Arc<Recorder>, shutdown: CancellationToken) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; the record file will not follow a rotation");
        return;
    };
    loop {
        tokio::select! {
            received = hup.recv() => match received {
                Some(()) => match recorder.reopen() {
                    Ok(()) => tracing::info!("record file reopened"),
                    Err(e) => tracing::error!(error = %e, "cannot reopen the record file; still writing to the old one"),
                },
                None => break,
            },
            () = shutdown.cancelled() => break,
        }
    }
}
