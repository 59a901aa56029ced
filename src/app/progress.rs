//! `once` on a terminal: a progress bar per scenario.

use crate::engine::{Activity, Observer};
use crate::engine::{BatchRecord, Judged};
use crate::load::BatchStats;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;

/// One bar per scenario, advanced per batch, finished with the verdict.
#[derive(Debug)]
pub struct Progress {
    /// Draws the bars together on stderr.
    _multi: MultiProgress,
    /// The bar of each scenario.
    bars: HashMap<String, ProgressBar>,
}

impl Progress {
    /// Bars for `scenarios`, each `batches` long.
    pub fn new<'a>(scenarios: impl IntoIterator<Item = &'a str>, batches: u64) -> Self {
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bars = scenarios
            .into_iter()
            .map(|name| {
                let bar = multi.add(ProgressBar::new(batches).with_style(style.clone()).with_prefix(name.to_owned()));
                (name.to_owned(), bar)
            })
            .collect();
        Self { _multi: multi, bars }
    }
}

impl Observer for Progress {
    fn activity(&self, scenario: &str, activity: Activity, batch: u64) {
        if let (Some(bar), Activity::Warmup | Activity::Measure) = (self.bars.get(scenario), activity) {
            bar.set_message(format!("{} batch {}", activity.as_str(), batch + 1));
        }
    }

    fn batch(&self, scenario: &str, r: &BatchRecord, _stats: &BatchStats) {
        if let Some(bar) = self.bars.get(scenario) {
            bar.inc(1);
            bar.set_message(format!("{:.2} MiB, {} error(s)", r.memory_bytes as f64 / 1_048_576.0, r.errors));
        }
    }

    fn cycle(&self, j: &Judged) {
        if let Some(bar) = self.bars.get(&j.scenario) {
            bar.finish_with_message(j.analysis.verdict.as_str().to_owned());
        }
    }
}
