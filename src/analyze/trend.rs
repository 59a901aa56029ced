//! The trend rule across cycles (docs/analysis.md#trend-rule): a per-scenario history of final averages, fitted with the same
//! Theil–Sen + Mann–Kendall test as the slope rule, catches leaks too slow for any single cycle.
//!
//! Two guards keep it from calling chance a trend (measured by `cargo bench --bench detection_power`):
//! * A noise-scaled floor: the fitted growth must also exceed [`NOISE_FLOOR_FACTOR`] times the typical
//!   per-cycle noise. Six noisy final averages fall in rising order once in 720 windows, and at 2 % noise
//!   their fitted growth often passes the fixed `trend_min_growth_bytes` of 1 MiB.
//! * Spread: no single rise between consecutive final averages may carry more than
//!   [`MAX_STEP_SHARE`] of the fitted growth. An allocator step that persists lifts every later final
//!   average once; a leak keeps rising.

use super::cycle::CycleAnalysis;
use super::finding::{Finding, Rule};
use super::stats;
use super::units::mib;
use crate::settings::Analysis;
use std::collections::VecDeque;

/// The most cycles kept: the largest `trend_cycles` a configuration may set.
pub const MAX_HISTORY: usize = crate::settings::MAX_TREND_CYCLES as usize;

/// The fitted growth across the window must exceed this many times the median per-cycle noise (residual
/// stdev of the raw samples, bytes). A final average is a mean of overlapping rolling averages, its own
/// noise ≈ 0.42 × that of a sample; six of them in chance rising order span ≈ 1 sample stdev, rarely 2.
/// Measured over 10⁶ clean cycles at σ = 2 % of 50 MiB: 5.9 chance trends per 10,000 cycles at 0, 0.26
/// at 2, none at 3. Higher: fewer false trends at high noise, but a slow leak under high noise takes
/// more cycles. At 3, 256 B/request (≈ 1.6 MiB over six default cycles) is unaffected while the noise
/// stays under ≈ 0.5 MiB (1 % of a 50 MiB process).
pub const NOISE_FLOOR_FACTOR: f64 = 3.0;

/// The largest rise between two consecutive final averages may be at most this share of the fitted
/// growth. One persistent step inside the window carries ≈ 80–100 % of it; a steady leak spread over six
/// cycles ≈ 20–35 %. Under RSS-shaped noise (±1 MiB steps that persist) it cut chance trends from 72 to
/// 48 per 10,000 clean cycles (0.5: 34) while 256 B/request was still caught within 8 cycles in 159 of
/// 200 soaks (161 without; 0.5: 153). Lower: steps are rejected more surely, but a leak under noise,
/// whose rises are uneven, is caught later. A step split across two cycles, or two steps, still passes.
pub const MAX_STEP_SHARE: f64 = 0.6;

/// One judged cycle as the trend sees it.
#[derive(Debug, Clone, Copy)]
struct Point {
    /// The cycle's final rolling average, bytes.
    final_avg: f64,
    /// The cycle's residual noise in bytes (`noise_cv` × memory): scales the growth floor.
    noise: f64,
}

/// Final averages of the last judged cycles of one scenario since the target last (re)started.
#[derive(Debug, Clone, Default)]
pub struct Trend {
    /// Oldest first, at most [`MAX_HISTORY`].
    history: VecDeque<Point>,
}

impl Trend {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a cycle's final average and noise. Cycles that were not judged (`error`, `insufficient`) are
    /// skipped: their figures are zeros, not memory.
    pub fn push(&mut self, analysis: &CycleAnalysis) {
        if !analysis.verdict.is_judged() {
            return;
        }
        if self.history.len() == MAX_HISTORY {
            self.history.pop_front();
        }
        let noise = analysis.noise_cv * analysis.final_avg;
        self.history.push_back(Point { final_avg: analysis.final_avg, noise });
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
    /// the one-sided Mann–Kendall p is below `trend_alpha`, the Theil–Sen growth across the window exceeds
    /// both `trend_min_growth_bytes` and [`NOISE_FLOOR_FACTOR`] × the median cycle noise, and no single
    /// rise carries more than [`MAX_STEP_SHARE`] of it.
    pub fn check(&self, settings: &Analysis) -> Option<Finding> {
        let k = settings.trend_cycles.min(MAX_HISTORY);
        if k < 2 || self.history.len() < k {
            return None;
        }
        let window: Vec<Point> = self.history.iter().skip(self.history.len() - k).copied().collect();
        let y: Vec<f64> = window.iter().map(|p| p.final_avg).collect();
        let x: Vec<f64> = (0..k).map(|i| i as f64).collect();
        let growth = stats::theil_sen(&x, &y).slope * (k - 1) as f64;
        let p = stats::mann_kendall(&x, &y);
        let noise = stats::median(&window.iter().map(|p| p.noise).collect::<Vec<_>>());
        let floor = settings.trend_min_growth_bytes.max(NOISE_FLOOR_FACTOR * noise);
        let spread = largest_rise(&y) <= MAX_STEP_SHARE * growth;
        (p < settings.trend_alpha && growth > floor && spread).then(|| {
            let message = format!(
                "Final averages rose by {:.2} MiB over the last {k} cycles (>{:.2} MiB threshold, p = {p:.4}) \
                 — slow leak",
                mib(growth),
                mib(floor)
            );
            Finding::new(Rule::Trend, message)
        })
    }
}

/// The largest rise between consecutive values (0 when none rises).
fn largest_rise(y: &[f64]) -> f64 {
    y.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max)
}
