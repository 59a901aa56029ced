//! The daemon's live page (`GET /`): every scenario's recent cycles, gathered as the engine judges them.
//! Whatever a batch record carries is drawn, so resource counts appear here as soon as the engine records
//! them in its batches, as they do when read from a recording.

use super::model::{Keep, Soak};
use super::page::{Page, render};
use crate::engine::{Judged, Observer};
use crate::settings::Analysis;
use std::sync::Mutex;

/// How often the live page reloads itself: a default cycle of one scenario takes about 4 s, so a reload
/// every 10 s shows each new cycle soon without rendering for nobody.
pub const LIVE_REFRESH_SECONDS: u32 = 10;

/// The recent cycles of every configured scenario (at most [`super::LIVE_CYCLES`] each), for `GET /`.
#[derive(Debug)]
pub struct Live {
    /// Written by the engine's task on each cycle, read by the server's thread on each request.
    soak: Mutex<Soak>,
}

impl Default for Live {
    fn default() -> Self {
        Self { soak: Mutex::new(Soak::new(Analysis::default(), Keep::Recent)) }
    }
}

impl Live {
    /// The page as it stands.
    pub fn render(&self) -> String {
        let soak = self.soak.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let source = "leaksoak run: the recent cycles of every scenario";
        let page = Page {
            source,
            soak: &soak,
            baseline: None,
            across_cycles: true,
            refresh_seconds: Some(LIVE_REFRESH_SECONDS),
        };
        render(&page)
    }

    fn with(&self, f: impl FnOnce(&mut Soak)) {
        f(&mut self.soak.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    }
}

impl Observer for Live {
    fn configured(&self, scenarios: &[String]) {
        self.with(|s| s.retain(scenarios));
    }

    fn analysis(&self, settings: &Analysis) {
        self.with(|s| s.settings = settings.clone());
    }

    fn cycle(&self, judged: &Judged) {
        self.with(|s| s.push(judged));
    }
}
