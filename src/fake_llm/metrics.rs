//! The fake endpoint's own request counters, served on its `/metrics`.

use super::handles::Counts;
use prometheus::{Encoder, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

/// Which route a request took; a bounded label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Chat,
    Completions,
    Embeddings,
    Models,
    Other,
}

impl Route {
    const ALL: [Route; 5] = [Route::Chat, Route::Completions, Route::Embeddings, Route::Models, Route::Other];

    fn as_str(self) -> &'static str {
        match self {
            Route::Chat => "chat",
            Route::Completions => "completions",
            Route::Embeddings => "embeddings",
            Route::Models => "models",
            Route::Other => "other",
        }
    }
}

/// Counters registered once; the per-request handles are resolved up front so the hot path is one atomic add.
#[derive(Debug)]
pub struct Metrics {
    /// Owns every metric below; rendered on `/metrics`.
    registry: Registry,
    /// `fake_llm_requests_total{route, outcome}`, indexed `[route][failed as usize]`.
    requests: [[IntCounter; 2]; 5],
    /// `fake_llm_leaked_bytes`: memory kept alive by the leak knobs.
    leaked: IntGauge,
    /// `fake_llm_plateau_bytes`: memory held by the plateau knobs now.
    plateau: IntGauge,
    /// `fake_llm_kept_handles{kind}`: file descriptors, sockets and threads kept by the leak knobs.
    kept: IntGaugeVec,
    /// `fake_llm_cancelled_total`: requests whose client went away before the answer's end (a stream cut
    /// in mid-way, a slow answer given up on): what the disconnect and timeout paths drive.
    cancelled: IntCounter,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let vec = IntCounterVec::new(
            Opts::new("fake_llm_requests_total", "Requests answered by the fake OpenAI endpoint"),
            &["route", "outcome"],
        )
        .expect("valid metric definition");
        let leaked = IntGauge::new("fake_llm_leaked_bytes", "Bytes kept alive by the deliberate leak knobs")
            .expect("valid metric definition");
        registry.register(Box::new(vec.clone())).expect("registered once");
        let plateau = IntGauge::new("fake_llm_plateau_bytes", "Bytes held now by the bounded-memory plateau knobs")
            .expect("valid metric definition");
        registry.register(Box::new(leaked.clone())).expect("registered once");
        registry.register(Box::new(plateau.clone())).expect("registered once");
        let kept = IntGaugeVec::new(
            Opts::new(
                "fake_llm_kept_handles",
                "File descriptors, sockets and threads kept by the deliberate leak knobs",
            ),
            &["kind"],
        )
        .expect("valid metric definition");
        registry.register(Box::new(kept.clone())).expect("registered once");
        let cancelled =
            IntCounter::new("fake_llm_cancelled_total", "Requests whose client went away before the answer's end")
                .expect("valid metric definition");
        registry.register(Box::new(cancelled.clone())).expect("registered once");
        let requests = Route::ALL.map(|r| ["success", "error"].map(|o| vec.with_label_values(&[r.as_str(), o])));
        Self { registry, requests, leaked, plateau, kept, cancelled }
    }

    pub fn count(&self, route: Route, failed: bool) {
        self.requests[route as usize][usize::from(failed)].inc();
    }

    /// A request whose client went away before the answer's end.
    pub fn cancelled(&self) {
        self.cancelled.inc();
    }

    /// The text exposition, with the leak, plateau and kept-handle gauges brought up to date.
    pub fn render(&self, leaked_bytes: u64, plateau_bytes: usize, kept: Counts) -> Vec<u8> {
        for (kind, n) in [("fds", kept.fds), ("sockets", kept.sockets), ("threads", kept.threads)] {
            self.kept.with_label_values(&[kind]).set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        self.leaked.set(i64::try_from(leaked_bytes).unwrap_or(i64::MAX));
        self.plateau.set(i64::try_from(plateau_bytes).unwrap_or(i64::MAX));
        let mut out = Vec::with_capacity(1024);
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
