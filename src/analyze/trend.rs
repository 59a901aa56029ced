//! The trend rule across cycles (SPEC §4.3): a per-scenario history of final averages, fitted with the same
//! Theil–Sen + Mann–Kendall test as the slope rule, catches leaks too slow for any single cycle.

use super::cycle::CycleAnalysis;
use super::finding::{Finding, Rule};
use super::report::mib;
use super::stats;
use crate::settings::Analysis;
use std::collections::VecDeque;

/// The most cycles kept; a `trend_cycles` above it is judged over this many.
pub const MAX_HISTORY: usize = 256;

/// Final averages of the last judged cycles of one scenario since the target last (re)started.
#[derive(Debug, Clone, Default)]
pub struct Trend {
    /// Final rolling averages in bytes, oldest first, at most [`MAX_HISTORY`].
    history: VecDeque<f64>,
}

impl Trend {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a cycle's final average. Cycles that were not judged (`error`, `insufficient`) are skipped:
    /// their figures are zeros, not memory.
    pub fn push(&mut self, analysis: &CycleAnalysis) {
        if !analysis.verdict.is_judged() {
            return;
        }
        if self.history.len() == MAX_HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(analysis.final_avg);
    }

    /// Forgets the history: the target restarted, so older memory figures belong to another process.
    pub fn reset(&mut self) {
        self.history.clear();
    }

    /// Cycles in the history.
    pub fn len(&self) -> usize {
        self.history.len()
    }

    /// Whether no cycle is in the history.
    pub fn is_empty(&self) -> bool {
        self.history.is_empty()
    }

    /// The `trend` finding: over the last `trend_cycles` final averages (None until there are that many),
    /// the one-sided Mann–Kendall p is below `trend_alpha` and the Theil–Sen growth across the window
    /// exceeds `trend_min_growth_bytes`.
    pub fn check(&self, settings: &Analysis) -> Option<Finding> {
        let k = settings.trend_cycles.min(MAX_HISTORY);
        if k < 2 || self.history.len() < k {
            return None;
        }
        let y: Vec<f64> = self.history.iter().skip(self.history.len() - k).copied().collect();
        let x: Vec<f64> = (0..k).map(|i| i as f64).collect();
        let slope = stats::theil_sen(&x, &y).slope;
        let growth = slope * (k - 1) as f64;
        let p = stats::mann_kendall(&x, &y);
        (p < settings.trend_alpha && growth > settings.trend_min_growth_bytes).then(|| {
            let message = format!(
                "Final averages rose by {:.2} MiB over the last {k} cycles (>{:.2} MiB threshold, p = {p:.4}) \
                 — slow leak",
                mib(growth),
                mib(settings.trend_min_growth_bytes)
            );
            Finding::new(Rule::Trend, message)
        })
    }
}
