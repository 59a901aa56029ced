//! The trend rule across cycles (docs/analysis.md#trend-rule): a per-scenario history of final averages, fitted with the same
//! Theil–Sen + Mann–Kendall test as the slope rule, catches leaks too slow for any single cycle.
//!
//! Two guards keep it from calling chance or a plateau a trend (measured by `cargo bench --bench
//! detection_power` and on recorded real targets):
//! * A noise-scaled floor: the fitted growth must also exceed [`NOISE_FLOOR_FACTOR`] times the typical
//!   per-cycle noise. Six noisy final averages fall in rising order once in 720 windows, and at 2 % noise
//!   their fitted growth often passes the fixed `trend_min_growth_bytes` of 1 MiB.
//! * Shape ([`super::shape`]): a rise that fell back, that is carried by a few steps between flat cycles,
//!   or that is slowing down is bounded growth, not a leak; it is reported as such ([`Assessment::Bounded`]).

use super::cycle::CycleAnalysis;
use super::finding::{Finding, Rule};
pub use super::floors::{HOLD_ALPHA, HOLD_MIN_RISE_BYTES, NOISE_FLOOR_FACTOR};
use super::long_trend::{self, Long};
use super::shape;
use super::stats;
use super::units::mib;
use crate::settings::Analysis;
use std::collections::VecDeque;

/// The most cycles kept: the largest `trend_cycles` a configuration may set.
pub const MAX_HISTORY: usize = crate::settings::MAX_TREND_CYCLES as usize;

/// One judged cycle as the trend sees it.
#[derive(Debug, Clone, Copy)]
struct Point {
    /// The cycle's final rolling average, bytes.
    final_avg: f64,
    /// The cycle's residual noise in bytes (`noise_cv` × memory): scales the growth floor.
    noise: f64,
    /// The highest level memory held during the cycle, warm-up included (see [`level_peak`]), bytes.
    peak: f64,
    /// Memory gained during the idle pause before the cycle (bytes) and its length (seconds), if sampled.
    idle: Option<(f64, f64)>,
    /// Requests the target had received from every scenario when the cycle ended: the long window's x.
    sent: f64,
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
        let sent = self.history.back().map_or(0.0, |p| p.sent) + analysis.requests as f64;
        self.push_with(analysis, analysis.final_avg, None, sent);
    }

    /// [`Trend::push`], with the highest level memory held during the cycle ([`level_peak`] of all its
    /// batches), which [`Trend::came_back`] compares later cycles with, and the growth (bytes) and length
    /// (seconds) of the idle pause before it, which tell a timer leak from a per-request one, and the
    /// requests the target had received from every scenario when it ended (`sent`), which the long window
    /// fits against.
    pub fn push_with(&mut self, analysis: &CycleAnalysis, peak: f64, idle: Option<(f64, f64)>, sent: f64) {
        if !analysis.verdict.is_judged() {
            return;
        }
        if self.history.len() == MAX_HISTORY {
            self.history.pop_front();
        }
        let noise = analysis.noise_cv * analysis.final_avg;
        self.history.push_back(Point {
            final_avg: analysis.final_avg,
            noise,
            peak: peak.max(analysis.final_avg),
            idle,
            sent,
        });
    }

    /// Whether memory came back: the latest cycle's final average is clearly below the highest level of
    /// the `trend_cycles − 1` cycles before it (by 3 × their median noise, and by the trend floor's share
    /// of one cycle). Returns that peak and the latest final average. A leak never gives memory back, so
    /// the gauge does not confirm per-cycle findings while this holds (a bounded cache refilling).
    pub fn came_back(&self, settings: &Analysis) -> Option<(f64, f64)> {
        let (latest, before) = self.history.back().zip(self.history.len().checked_sub(1))?;
        let k = settings.trend_cycles.clamp(2, MAX_HISTORY);
        let window: Vec<Point> = self.history.iter().take(before).skip(before.saturating_sub(k - 1)).copied().collect();
        let peak = window.iter().map(|p| p.peak).fold(f64::MIN, f64::max);
        let noise = stats::median(&window.iter().map(|p| p.noise).collect::<Vec<_>>());
        let margin = (3.0 * noise).max(settings.trend_min_growth_bytes / (k - 1) as f64);
        (!window.is_empty() && peak - latest.final_avg > margin).then_some((peak, latest.final_avg))
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

    /// Whether memory is still rising, for the gauge to hold a confirmed raise ([`crate::analyze::Gauge`]):
    /// over the last `trend_cycles` cycles (at least 3), the Theil–Sen growth exceeds the median noise (and
    /// [`HOLD_MIN_RISE_BYTES`]) with a one-sided Mann–Kendall p below [`HOLD_ALPHA`], or, while there are
    /// fewer cycles than that, the latest cycle is a new high above the others by more than that. Memory that
    /// stopped rising fails within a few cycles.
    pub fn rising(&self, settings: &Analysis) -> bool {
        let k = settings.trend_cycles.clamp(3, MAX_HISTORY).min(self.history.len());
        if k < 3 {
            return false;
        }
        let window: Vec<Point> = self.history.iter().skip(self.history.len() - k).copied().collect();
        let y: Vec<f64> = window.iter().map(|p| p.final_avg).collect();
        let x: Vec<f64> = (0..k).map(|i| i as f64).collect();
        let noise = stats::median(&window.iter().map(|p| p.noise).collect::<Vec<_>>());
        let growth = stats::theil_sen(&x, &y).slope * (k - 1) as f64;
        let before = y[..k - 1].iter().copied().fold(f64::MIN, f64::max);
        let margin = noise.max(HOLD_MIN_RISE_BYTES);
        let steady = growth > margin && stats::mann_kendall(&x, &y) < HOLD_ALPHA;
        // A new high stands in for the test only while the window is too short for it (3 cycles cannot
        // reach p < 0.1); in a full window one step up of a wandering level must not hold a raise.
        steady || (k < settings.trend_cycles && y[k - 1] - before > margin)
    }

    /// Memory kept per request to the target across the recent cycles (the long window, up to
    /// `LONG_WINDOW_FACTOR × trend_cycles` of them): the Theil–Sen slope of final averages against the
    /// requests every scenario sent. None with fewer than two cycles.
    pub fn rate_per_request(&self, settings: &Analysis) -> Option<f64> {
        let n = self.history.len().min(long_trend::LONG_WINDOW_FACTOR * settings.trend_cycles);
        if n < 2 {
            return None;
        }
        let window: Vec<&Point> = self.history.iter().skip(self.history.len() - n).collect();
        let x: Vec<f64> = window.iter().map(|p| p.sent).collect();
        let y: Vec<f64> = window.iter().map(|p| p.final_avg).collect();
        let slope = stats::theil_sen(&x, &y).slope;
        slope.is_finite().then_some(slope)
    }

    /// Whether a leak the long window raised is still going on ([`long_trend::holds`]): what holds a raised
    /// `trend` rule even while memory saws back down.
    pub fn still_leaking(&self, settings: &Analysis) -> bool {
        long_trend::holds(&self.long_points(), settings)
    }

    /// The history as the long window sees it.
    fn long_points(&self) -> Vec<long_trend::Point> {
        self.history
            .iter()
            .map(|p| long_trend::Point { final_avg: p.final_avg, sent: p.sent, noise: p.noise })
            .collect()
    }

    /// The `trend` finding, if the rule fires now (see [`Trend::assess`]).
    pub fn check(&self, settings: &Analysis) -> Option<Finding> {
        match self.assess(settings) {
            Assessment::Rising(finding) => Some(finding),
            Assessment::Quiet | Assessment::Bounded(_) => None,
        }
    }

    /// Over the last `trend_cycles` final averages (quiet until there are that many): a rise is significant
    /// when the one-sided Mann–Kendall p is below `trend_alpha` and the Theil–Sen growth across the window
    /// exceeds both `trend_min_growth_bytes` and [`NOISE_FLOOR_FACTOR`] × the median cycle noise. A
    /// significant rise is a `trend` finding unless its shape says bounded growth ([`shape::judge`]).
    /// When the short window does not fire, the long window ([`long_trend`]) may: a small leak under large
    /// steps, or a leak in regular steps.
    pub fn assess(&self, settings: &Analysis) -> Assessment {
        let short = self.assess_short(settings);
        if matches!(short, Assessment::Rising(_)) {
            return short;
        }
        match (long_trend::assess(&self.long_points(), settings), short) {
            (Long::Rising(message), _) => Assessment::Rising(Finding::new(Rule::Trend, message)),
            (Long::Bounded(long), Assessment::Bounded(short)) => Assessment::Bounded(format!("{short} {long}")),
            (Long::Bounded(long), _) => Assessment::Bounded(long),
            (Long::Quiet, short) => short,
        }
    }

    /// The short window: the last `trend_cycles` final averages against the cycle index.
    fn assess_short(&self, settings: &Analysis) -> Assessment {
        let k = settings.trend_cycles.min(MAX_HISTORY);
        if k < 2 || self.history.len() < k {
            return Assessment::Quiet;
        }
        let window: Vec<Point> = self.history.iter().skip(self.history.len() - k).copied().collect();
        let y: Vec<f64> = window.iter().map(|p| p.final_avg).collect();
        let x: Vec<f64> = (0..k).map(|i| i as f64).collect();
        let growth = stats::theil_sen(&x, &y).slope * (k - 1) as f64;
        let p = stats::mann_kendall(&x, &y);
        let noise = stats::median(&window.iter().map(|p| p.noise).collect::<Vec<_>>());
        let floor = settings.trend_min_growth_bytes.max(NOISE_FLOOR_FACTOR * noise);
        if !(p < settings.trend_alpha && growth > floor) {
            return Assessment::Quiet;
        }
        if let Some(bounded) = shape::judge(&y, floor, noise) {
            return Assessment::Bounded(bounded.explain(&y));
        }
        let message = format!(
            "Final averages rose by {:.2} MiB over the last {k} cycles (>{:.2} MiB threshold, p = {p:.4}), \
             steadily from cycle to cycle — slow leak{}",
            mib(growth),
            mib(floor),
            clock_or_requests(&window[1..], y[k - 1] - y[0])
        );
        Assessment::Rising(Finding::new(Rule::Trend, message))
    }
}

/// Which one the rise of a window followed, from the idle pauses before its cycles (`after_first`: every
/// point but the first): a leak on a timer when the pauses carried more than half of `rise`; memory that
/// follows requests when they carried at most [`IDLE_NONE`] of it; otherwise only the figures, since with
/// several scenarios taking turns a scenario's own pauses are a small share of the time a timer runs.
/// Nothing when a pause was not sampled.
fn clock_or_requests(after_first: &[Point], rise: f64) -> String {
    let idle: Vec<(f64, f64)> = after_first.iter().filter_map(|p| p.idle).collect();
    if idle.len() < after_first.len() || rise <= 0.0 {
        return String::new();
    }
    let (grown, seconds) = idle.iter().fold((0.0, 0.0), |(g, s), (dg, ds)| (g + dg, s + ds));
    if seconds <= 0.0 {
        return String::new();
    }
    if grown > rise / 2.0 {
        format!(
            "; memory grew mostly while idle ({:.2} of {:.2} MiB, {:.0} bytes/second): a leak on a timer \
             (a background task), not per request",
            mib(grown),
            mib(rise),
            grown / seconds
        )
    } else if grown <= IDLE_NONE * rise {
        format!("; it did not grow during the idle pauses ({seconds:.0} s in all): memory follows requests")
    } else {
        format!(
            "; {:.2} of {:.2} MiB grew during the idle pauses ({:.0} bytes/second)",
            mib(grown),
            mib(rise),
            grown / seconds
        )
    }
}

/// Idle pauses that carried at most this share of a rise did not grow: memory follows requests.
pub const IDLE_NONE: f64 = 0.05;

/// The highest level memory held over `memory` (batch samples in order): the largest median of three
/// consecutive samples, so that one odd reading is not a level. The largest sample with fewer than three.
pub fn level_peak(memory: &[f64]) -> f64 {
    if memory.len() < 3 {
        return memory.iter().copied().fold(0.0, f64::max);
    }
    memory.windows(3).map(stats::median).fold(0.0, f64::max)
}

/// What the trend rule concluded after a cycle.
#[derive(Debug, Clone, PartialEq)]
pub enum Assessment {
    /// Too few cycles, or no significant rise.
    Quiet,
    /// A steady rise: the `trend` finding.
    Rising(Finding),
    /// A significant rise whose shape is bounded growth; the sentence says why (for the report).
    Bounded(String),
}
