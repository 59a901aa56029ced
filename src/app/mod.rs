//! Wiring: the one place where settings, the cycle engine and the outputs meet. [`run`] is the daemon, [`once`] one cycle per scenario; both take shutdown as a future so
//! tests (and signals) stop them deterministically.

mod log;
mod progress;
mod reload;
mod replay;
mod resume;
mod waiting;

pub use log::LogObserver;
pub use progress::Progress;
pub use replay::{Analyzed, Baseline, Replay, Replayed, replay_files};
pub use resume::Resumed;
pub(crate) use resume::resume;
pub use waiting::{POLL as SECRET_POLL, WATCH as SECRET_WATCH};

use crate::engine::{EndpointCounter, Engine, Fanout, Judged, Observer, Pending};
use crate::metrics::Metrics;
use crate::panic_log::Scrubber;
use crate::recording::Recorder;
use crate::serve::{Board, Endpoints};
use crate::settings::{FakeLlm, Settings, SettingsError};
use reload::Reloader;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use url::Url;

/// Why the daemon or `once` could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Engine(#[from] crate::engine::Error),
    #[error("cannot start the built-in fake endpoint on {addr}: {source}")]
    FakeEndpoint { addr: SocketAddr, source: std::io::Error },
    #[error("cannot open the record file {path}: {source}")]
    Record { path: PathBuf, source: std::io::Error },
    #[error("cannot listen on {addr} (server.listen): {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

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

/// What the daemon starts with.
#[derive(Debug)]
pub enum Start {
    /// A configuration it can run.
    Ready(Settings),
    /// A configuration valid in itself whose secrets cannot be read yet (a secret file missing or empty):
    /// waited out, never an exit (docs/operating.md#fatal-at-start-or-waited-out).
    Waiting {
        /// The configuration with its secrets not read: where to listen, whether a bearer token is set.
        sketch: Settings,
        /// Why it cannot run yet.
        why: SettingsError,
    },
}

impl Start {
    /// Loads `file`: the configuration, or one valid in itself whose secrets cannot be read yet (checked
    /// with its secrets skipped, as `check-config --skip-secrets` does). `Err` is a configuration wrong in
    /// itself, fatal at start.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, SettingsError> {
        let why = match crate::settings::load(file) {
            Ok(settings) => return Ok(Self::Ready(settings)),
            Err(why) => why,
        };
        match crate::settings::load_with(file, crate::settings::SecretReading::Skip) {
            Ok(sketch) => Ok(Self::Waiting { sketch, why }),
            Err(_) => Err(why),
        }
    }

    /// The settings to log and listen by: the configuration, or while waiting its sketch.
    pub fn settings(&self) -> &Settings {
        match self {
            Self::Ready(settings) => settings,
            Self::Waiting { sketch, .. } => sketch,
        }
    }
}

/// The daemon: binds `server.listen`, waits for the secrets a [`Start::Waiting`] configuration lacks
/// (serving `/healthz`, `/metrics` and `/status` meanwhile), then serves the endpoints and cycles until
/// `shutdown` completes (see [`run_on`]).
pub async fn run(start: Start, options: Options, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
    let listen = start.settings().server.listen;
    let listener = std::net::TcpListener::bind(listen).map_err(|source| Error::Listen { addr: listen, source })?;
    tokio::pin!(shutdown);
    let settings = match start {
        Start::Ready(settings) => settings,
        Start::Waiting { sketch, why } => {
            let bearer = sketch.server.bearer_token.is_some();
            let file = options.config.clone();
            match waiting::until_configured(&listener, file.as_deref(), &why, bearer, &mut shutdown).await? {
                Some(settings) => {
                    options.scrubber.add(settings.secrets());
                    settings
                }
                None => return Ok(()),
            }
        }
    };
    run_on(listener, settings, options, shutdown).await
}

/// The daemon on a listener already bound (tests bind port 0 and read the address back): serves the
/// endpoints and cycles until `shutdown` completes, then stops the batch in flight, lets in-flight scrapes
/// finish and returns. `options.config` is the file reloads read again.
pub async fn run_on(
    listener: std::net::TcpListener,
    settings: Settings,
    options: Options,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let token = CancellationToken::new();
    // Whatever way this returns, every task started here is told to stop.
    let _stop_all = token.clone().drop_guard();
    let tracker = TaskTracker::new();
    let settings = Arc::new(settings);
    let metrics = Metrics::new(crate::build_info::VERSION, crate::build_info::REVISION);
    metrics.reloaded(true);
    metrics.lifecycle().configured(true);
    metrics.lifecycle().pause(settings.cycle.pause);
    let board = Arc::new(Board::default());
    let page = Arc::new(crate::report::html::Live::default());
    let fake = start_fake(&settings.fake_llm, &tracker, &token).await?;
    let pending = Arc::new(Pending::default());
    // The requests the endpoints answer, which a `self` source measures along with the soak.
    let served = Arc::new(EndpointCounter::default());
    let base = fake.as_ref().map(|f| f.base.clone());
    let watched = options.config.clone();
    let reloader =
        Arc::new(Reloader::new(options.config, options.scrubber, metrics.clone(), base, Arc::clone(&pending)));
    let endpoints = Endpoints {
        metrics: metrics.clone(),
        board: Arc::clone(&board),
        page: Arc::clone(&page),
        bearer: settings.server.bearer_token.clone(),
        reload: settings.server.enable_lifecycle.then(|| Arc::clone(&reloader) as Arc<dyn crate::serve::Reload>),
        served: Arc::clone(&served),
    };
    let mut observers: Vec<Arc<dyn Observer>> = vec![
        Arc::new(LogObserver::new(false, true)),
        Arc::new(metrics.clone()),
        Arc::clone(&board) as Arc<dyn Observer>,
        Arc::clone(&page) as Arc<dyn Observer>,
    ];
    // The resumed cycles are told to the metrics and `/status`, not appended again nor logged one by one.
    let quiet: Arc<dyn Observer> = Arc::new(Fanout(vec![
        Arc::new(metrics.clone()),
        Arc::clone(&board) as Arc<dyn Observer>,
        Arc::clone(&page) as Arc<dyn Observer>,
    ]));
    let mut engine = Engine::new(Arc::clone(&settings), fake.as_ref().map(|f| &f.base), Arc::clone(&quiet))?;
    engine.count_endpoints(served);
    if let Some(path) = &options.record {
        crate::recording::check_path(path).map_err(|source| Error::Record { path: path.clone(), source })?;
        let (resumed, aside) = resume::resume(&mut engine, path, quiet.as_ref());
        if aside.is_some() {
            metrics.record_unreadable();
        }
        if resumed.cycles > 0 || resumed.unknown > 0 || resumed.skipped > 0 {
            tracing::info!(
                path = %path.display(),
                not_configured = resumed.unknown,
                skipped_lines = resumed.skipped,
                "{}",
                resumed.line()
            );
            board.set_resumed(resumed.line());
        }
    }
    serve(listener, endpoints, &tracker, &token)?;
    let recorder = match &options.record {
        Some(path) => {
            let recorder = Recorder::open(path).map_err(|source| Error::Record { path: path.clone(), source })?;
            Some(Arc::new(recorder.counting_failures(Arc::new(metrics.clone())).rotating(settings.record)))
        }
        None => None,
    };
    observers.extend(recorder.iter().map(|r| Arc::clone(r) as Arc<dyn Observer>));
    tracker.spawn(waiting::watch_secrets(Arc::clone(&reloader), watched, settings.secrets(), token.clone()));
    tracker.spawn(reload::on_sighup(reloader, recorder, token.clone()));
    engine.set_observer(Arc::new(Fanout(observers)));
    let engine_done = tracker.spawn(engine.run(token.clone(), pending));
    tracker.close();
    tokio::select! {
        () = shutdown => {}
        _ = engine_done => {}
    }
    token.cancel();
    tracker.wait().await;
    Ok(())
}

/// Serves the endpoints on `listener`, on a thread of their own, until `token` is cancelled.
fn serve(
    listener: std::net::TcpListener,
    endpoints: Endpoints,
    tracker: &TaskTracker,
    token: &CancellationToken,
) -> Result<(), Error> {
    let addr = listener.local_addr().map_err(|source| Error::Listen { addr: ([0, 0, 0, 0], 0).into(), source })?;
    tracing::info!(%addr, "serving /metrics, /healthz, /readyz, /status, /report");
    let server = crate::serve::server::spawn_thread(listener, Arc::new(endpoints), token.clone())
        .map_err(|source| Error::Listen { addr, source })?;
    tracker.spawn(server);
    Ok(())
}

/// What the daemon takes besides its settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The `--config` file, read again on reload.
    pub config: Option<PathBuf>,
    /// `--record`: every finished cycle is appended here as a JSON line.
    pub record: Option<PathBuf>,
    /// The panic hook's secrets; reloads add the secrets of each new configuration.
    pub scrubber: Scrubber,
}

/// One cycle per scenario; `None` when `shutdown` came first. `progress` draws bars (on a terminal).
pub async fn once(
    settings: Settings,
    progress: bool,
    shutdown: impl Future<Output = ()>,
) -> Result<Option<Vec<Judged>>, Error> {
    let token = CancellationToken::new();
    let tracker = TaskTracker::new();
    let settings = Arc::new(settings);
    let fake = start_fake(&settings.fake_llm, &tracker, &token).await?;
    let observer: Arc<dyn Observer> = if progress {
        let batches = settings.cycle.warmup_batches + settings.cycle.measure_batches;
        Arc::new(Progress::new(settings.scenarios.iter().map(|s| s.name.as_str()), batches))
    } else {
        Arc::new(LogObserver::new(true, false))
    };
    // `once` keeps the pytest suite's semantics: a rule that fires on its single cycle counts.
    let mut engine = Engine::new(Arc::clone(&settings), fake.as_ref().map(|f| &f.base), observer)?.single_cycle();
    let judged = tokio::select! {
        judged = engine.once(&token) => judged,
        () = shutdown => None,
    };
    token.cancel();
    tracker.close();
    tracker.wait().await;
    Ok(judged)
}
