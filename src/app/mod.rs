//! Wiring: the one place where settings, the load generator, the memory sampler, the analysis and the
//! outputs meet. [`run`] is the daemon, [`once`] one cycle per scenario; both take shutdown as a future so
//! tests (and signals) stop them deterministically.

mod cycle;
mod engine;
mod log;
mod observer;
mod progress;
mod record;

pub use cycle::{Lane, judge};
pub use engine::{Engine, Error};
pub use log::LogObserver;
pub use observer::{Activity, Fanout, Observer};
pub use progress::Progress;
pub use record::{BatchRecord, CycleEnd, Judged, measured_samples};

use crate::settings::{FakeLlm, Settings};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use url::Url;

/// The built-in fake endpoint, running in this process.
#[derive(Debug, Clone)]
pub struct FakeEndpoint {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its OpenAI base URL, `http://ADDR/v1/`.
    pub base: Url,
}

/// Starts the fake endpoint when `[fake_llm] enabled`; it stops when `shutdown` is cancelled.
pub async fn start_fake(
    settings: &FakeLlm,
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
) -> Result<Option<FakeEndpoint>, Error> {
    if !settings.enabled {
        return Ok(None);
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|source| Error::FakeEndpoint { addr: settings.listen, source })?;
    let mut addr = listener.local_addr().map_err(|source| Error::FakeEndpoint { addr: settings.listen, source })?;
    tracker.spawn(crate::fake_llm::serve(listener, settings.clone(), shutdown.clone().cancelled_owned()));
    if addr.ip().is_unspecified() {
        addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let base = Url::parse(&format!("http://{addr}/v1/")).expect("a socket address makes a valid URL");
    tracing::info!(%addr, "built-in fake endpoint started");
    Ok(Some(FakeEndpoint { addr, base }))
}

/// The daemon: cycles forever until `shutdown` completes, then stops the batch in flight and returns.
pub async fn run(settings: Settings, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
    let token = CancellationToken::new();
    let tracker = TaskTracker::new();
    let settings = Arc::new(settings);
    let fake = start_fake(&settings.fake_llm, &tracker, &token).await?;
    let engine =
        Engine::new(Arc::clone(&settings), fake.as_ref().map(|f| &f.base), Arc::new(LogObserver::new(false, true)))?;
    tracker.spawn(engine.run(token.clone()));
    tracker.close();
    tokio::select! {
        () = shutdown => {}
        () = tracker.wait() => {}
    }
    token.cancel();
    tracker.wait().await;
    Ok(())
}

/// One cycle per scenario; `None` when `shutdown` came first. `progress` draws bars (on a terminal).
pub async fn once(
    settings: Settings,
    progress: bool,
    shutdown: impl Future<Output = ()>,
) -> Result<Option<Vec<Judged>>, Error> {
    let token = CancellationToken::new();
    let tracker = TaskTracker::new();
    let mut settings = settings;
    // `once` keeps the seed's semantics: a rule that fires on its single cycle counts, unconfirmed or not.
    settings.analysis.confirm_cycles = 1;
    let settings = Arc::new(settings);
    let fake = start_fake(&settings.fake_llm, &tracker, &token).await?;
    let observer: Arc<dyn Observer> = if progress {
        let batches = settings.cycle.warmup_batches + settings.cycle.measure_batches;
        Arc::new(Progress::new(settings.scenarios.iter().map(|s| s.name.as_str()), batches))
    } else {
        Arc::new(LogObserver::new(true, false))
    };
    let mut engine = Engine::new(Arc::clone(&settings), fake.as_ref().map(|f| &f.base), observer)?;
    let judged = tokio::select! {
        judged = engine.once(&token) => judged,
        () = shutdown => None,
    };
    token.cancel();
    tracker.close();
    tracker.wait().await;
    Ok(judged)
}
