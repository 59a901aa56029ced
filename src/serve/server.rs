//! The HTTP server of the daemon (docs/endpoints.md), on hyper: `/` (the live HTML report), `/metrics`,
//! `/healthz`, `/readyz`, `/status`, `/report` and `POST /-/reload`.

use super::auth::authorized;
use super::connections::{Registry, Watched};
use super::status::Board;
use crate::engine::EndpointCounter;
use crate::metrics::Metrics;
use crate::settings::Secret;
use bytes::Bytes;
use http::{Method, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The request read buffer's limit: a head still incomplete once this much is buffered is refused with 431,
/// so the server's memory stays bounded. One read may overshoot it: heads up to twice this size can pass.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// A client must send its request head within this time (slow-loris protection).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
pub use super::connections::MAX_CONNECTIONS;
/// In-flight scrapes get this long to finish at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Applies a reload request; returns a message for the client.
pub trait Reload: Send + Sync {
    fn reload(&self) -> Result<String, String>;
}

/// What the endpoints read.
pub struct Endpoints {
    /// Rendered on `/metrics`.
    pub metrics: Metrics,
    /// `/status`, `/report`, `/readyz`.
    pub board: Arc<Board>,
    /// `/`: the recent cycles of every scenario as the HTML report.
    pub page: Arc<crate::report::html::Live>,
    /// When set, every endpoint but `/healthz` requires `Authorization: Bearer <token>`.
    pub bearer: Option<Secret>,
    /// `POST /-/reload`, when `server.enable_lifecycle` is set.
    pub reload: Option<Arc<dyn Reload>>,
    /// Counts every request answered, whatever its path: with a `self` source the engine tells a cycle
    /// under heavy endpoint traffic by it.
    pub served: Arc<EndpointCounter>,
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoints").field("lifecycle", &self.reload.is_some()).finish()
    }
}

/// Niceness of the server's thread: scrapes yield the CPU to the load, so a scrape storm cannot slow the
/// soak (the load's timing is part of what is measured). Probes and scrapes still get a time slice within
/// milliseconds when the load keeps the CPU busy.
pub const THREAD_NICENESS: i32 = 19;

/// Serves on a thread of its own, with its own single-threaded runtime at [`THREAD_NICENESS`], until
/// `shutdown` is cancelled. The returned receiver completes when the server has stopped.
pub fn spawn_thread(
    listener: std::net::TcpListener,
    endpoints: Arc<Endpoints>,
    shutdown: tokio_util::sync::CancellationToken,
) -> std::io::Result<tokio::sync::oneshot::Receiver<()>> {
    listener.set_nonblocking(true)?;
    let (done, stopped) = tokio::sync::oneshot::channel();
    std::thread::Builder::new().name("leaksoak-http".into()).spawn(move || {
        super::priority::lower_current_thread(THREAD_NICENESS);
        let served = tokio::runtime::Builder::new_current_thread().enable_all().build().and_then(|rt| {
            rt.block_on(async {
                let listener = TcpListener::from_std(listener)?;
                serve(listener, endpoints, shutdown.clone().cancelled_owned()).await;
                Ok::<_, std::io::Error>(())
            })
        });
        if let Err(e) = served {
            tracing::error!(error = %e, "the metrics server stopped");
            shutdown.cancel();
        }
        let _ = done.send(());
    })?;
    Ok(stopped)
}

/// Serves until `shutdown` completes, then gives in-flight requests [`SHUTDOWN_GRACE`] to finish. Every
/// connection is accepted at once; past [`MAX_CONNECTIONS`], the longest-idle one is closed for it
/// ([`Registry`]), so a flood of idle connections never keeps a scrape waiting.
pub async fn serve(listener: TcpListener, endpoints: Arc<Endpoints>, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HEAD_TIMEOUT).max_buf_size(MAX_HEAD_BYTES);
    let registry = Arc::new(Registry::default());
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let conn = registry.admit();
                    let answered = Arc::clone(&conn);
                    let endpoints = Arc::clone(&endpoints);
                    let service = service_fn(move |req| {
                        let answered = Arc::clone(&answered);
                        let endpoints = Arc::clone(&endpoints);
                        async move {
                            endpoints.served.count();
                            let response = route(endpoints, req).await;
                            answered.answered();
                            response
                        }
                    });
                    let io = TokioIo::new(Watched::new(stream, Arc::clone(&conn)));
                    let connection = graceful.watch(http.serve_connection(io, service));
                    let registry = Arc::clone(&registry);
                    tokio::spawn(async move {
                        tokio::select! {
                            _ = connection => {}
                            () = conn.evicted() => {}
                        }
                        registry.remove(&conn);
                    });
                    // Let the new connection read its request before the next accept can evict it.
                    tokio::task::yield_now().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics server: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

type Response = http::Response<Full<Bytes>>;

async fn route(e: Arc<Endpoints>, req: http::Request<Incoming>) -> Result<Response, Infallible> {
    let path = req.uri().path();
    let method = req.method();
    let expected = match path {
        "/" | "/healthz" | "/metrics" | "/readyz" | "/status" | "/report" => Method::GET,
        "/-/reload" => Method::POST,
        _ => return Ok(text(StatusCode::NOT_FOUND, "not found\n")),
    };
    if path != "/healthz" && !allowed(&e, &req) {
        let mut resp = text(StatusCode::UNAUTHORIZED, "unauthorized\n");
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        return Ok(resp);
    }
    if *method != expected && !(expected == Method::GET && *method == Method::HEAD) {
        return Ok(text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"));
    }
    Ok(match path {
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/metrics" => body(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", e.metrics.scrape()),
        "/readyz" if e.board.is_ready() => text(StatusCode::OK, "ready\n"),
        "/readyz" => text(StatusCode::SERVICE_UNAVAILABLE, "not ready: no batch attempted yet\n"),
        "/status" => status(&e),
        "/report" => text(StatusCode::OK, &e.board.reports()),
        "/" => body(StatusCode::OK, "text/html; charset=utf-8", e.page.render()),
        _ => reload(&e),
    })
}

fn allowed(e: &Endpoints, req: &http::Request<Incoming>) -> bool {
    match &e.bearer {
        None => true,
        Some(token) => authorized(req.headers().get(header::AUTHORIZATION).map(|v| v.as_bytes()), token),
    }
}

fn status(e: &Endpoints) -> Response {
    let doc = serde_json::json!({
        "version": crate::build_info::VERSION,
        "revision": crate::build_info::REVISION,
        "ready": e.board.is_ready(),
        "resumed": e.board.resumed(),
        "not_configured": e.board.not_configured(),
        "scenarios": e.board.snapshot(),
    });
    body(StatusCode::OK, "application/json", serde_json::to_vec_pretty(&doc).unwrap_or_default())
}

fn reload(e: &Endpoints) -> Response {
    match &e.reload {
        None => text(StatusCode::FORBIDDEN, "lifecycle API is not enabled (server.enable_lifecycle = false)\n"),
        Some(r) => match r.reload() {
            Ok(msg) => text(StatusCode::OK, &msg),
            Err(msg) => text(StatusCode::BAD_REQUEST, &msg),
        },
    }
}

fn text(status: StatusCode, msg: &str) -> Response {
    body(status, "text/plain; charset=utf-8", msg.as_bytes().to_vec())
}

fn body(status: StatusCode, content_type: &'static str, bytes: impl Into<Bytes>) -> Response {
    let mut resp = http::Response::new(Full::new(bytes.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    resp
}
