//! The resource leak gauge (docs/analysis.md#resources): per resource of one scenario, the trend history
//! of final levels, each rule's confirmation streak and the raised state behind
//! `leaksoak_resource_leak_detected{resource}`, kept apart from the memory gauge.
//!
//! Confirmation follows memory's ([`super::gauge`]): a `slope` finding counts only when the cycle's p is
//! below [`SLOPE_CONFIRM_ALPHA`] and its rate stays within [`RATE_AGREEMENT`] of the cycle before in the
//! streak; a `tail` finding only when p is below [`PYTEST_CONFIRM_ALPHA`]; a rule raises the gauge once
//! it fired in `confirm_cycles` consecutive judged cycles. A cycle in which a resource was not read
//! leaves that resource's state as it was.

use super::floors::NOISE_FLOOR_FACTOR;
use super::gauge::{PYTEST_CONFIRM_ALPHA, RATE_AGREEMENT, SLOPE_CONFIRM_ALPHA};
use super::resources::{self, Count, ResourceCycle, ResourceFinding, ResourceRule};
use super::shape;
use super::stats;
use super::trend::MAX_HISTORY;
use crate::settings::Analysis;
use std::collections::{BTreeMap, VecDeque};

/// What one resource of one scenario remembers across cycles.
#[derive(Debug, Clone, Default)]
struct State {
    /// (final level, noise) of the last judged cycles, oldest first: the trend rule's input.
    history: VecDeque<(f64, f64)>,
    /// Consecutive cycles each rule fired and counted, indexed by [`ResourceRule::index`].
    streaks: [u32; 3],
    /// The slope (units per request) of the last cycle that extended the slope streak.
    rate: f64,
    /// `leaksoak_resource_leak_detected`.
    raised: bool,
}

/// The resource gauges of one scenario.
#[derive(Debug, Clone, Default)]
pub struct ResourceGauge {
    /// By resource name.
    states: BTreeMap<String, State>,
    /// `once`: a single cycle; a significant finding is confirmed at once, as memory's are.
    single: bool,
}

impl ResourceGauge {
    pub fn new() -> Self {
        Self::default()
    }

    /// The gauges of a single cycle (`once`): no streak to wait for.
    pub fn single_cycle() -> Self {
        Self { single: true, ..Self::default() }
    }

    /// Judges one cycle: `series` holds each resource's counts over the measured batches. Returns each
    /// judged resource's cycle with its findings (the trend's included) marked confirmed or not.
    pub fn observe(&mut self, series: &BTreeMap<String, Vec<Count>>, settings: &Analysis) -> Vec<ResourceCycle> {
        let mut out = Vec::new();
        for (name, counts) in series {
            let Some(mut c) = resources::cycle(name, counts, settings) else { continue };
            let state = self.states.entry(name.clone()).or_default();
            state.push(c.final_level, c.noise);
            c.findings.extend(state.trend(name, settings));
            let needed = if self.single { 1 } else { settings.confirm_cycles.max(1) };
            state.confirm(&mut c, needed, settings.latch);
            out.push(c);
        }
        out
    }

    /// The target restarted: forget every resource's trend history (its counts belong to another process).
    pub fn target_restarted(&mut self) {
        self.states.values_mut().for_each(|s| s.history.clear());
    }

    /// Whether the gauge of `resource` is raised.
    pub fn is_raised(&self, resource: &str) -> bool {
        self.states.get(resource).is_some_and(|s| s.raised)
    }

    /// Every resource seen, with its gauge.
    pub fn raised(&self) -> BTreeMap<String, bool> {
        self.states.iter().map(|(k, s)| (k.clone(), s.raised)).collect()
    }
}

impl State {
    fn push(&mut self, level: f64, noise: f64) {
        if self.history.len() == MAX_HISTORY {
            self.history.pop_front();
        }
        self.history.push_back((level, noise));
    }

    /// The trend finding over the last `trend_cycles` final levels, if they rise significantly, by more
    /// than the floor, and steadily.
    fn trend(&self, name: &str, settings: &Analysis) -> Option<ResourceFinding> {
        let k = settings.trend_cycles.min(MAX_HISTORY);
        if k < 3 || self.history.len() < k {
            return None;
        }
        let window: Vec<(f64, f64)> = self.history.iter().skip(self.history.len() - k).copied().collect();
        let y: Vec<f64> = window.iter().map(|w| w.0).collect();
        let x: Vec<f64> = (0..k).map(|i| i as f64).collect();
        let growth = stats::theil_sen(&x, &y).slope * (k - 1) as f64;
        let p = stats::mann_kendall(&x, &y);
        let noise = stats::median(&window.iter().map(|w| w.1).collect::<Vec<_>>());
        let floor = settings.resource_min_growth.max(NOISE_FLOOR_FACTOR * noise);
        if !(p < settings.trend_alpha && growth > floor) || shape::judge(&y, floor, noise).is_some() {
            return None;
        }
        let (what, cause) = resources::describe(name);
        let message = format!(
            "{what} rose by {growth:.0} over the last {k} cycles (p = {p:.4}), steadily from cycle to cycle: {cause}"
        );
        Some(ResourceFinding { rule: ResourceRule::Trend, message, confirmed: false })
    }

    /// Extends or ends each rule's streak with this cycle, marks its findings confirmed once the streak
    /// reaches `needed` (`confirm_cycles`), and sets the gauge (kept raised with `latch`).
    fn confirm(&mut self, c: &mut ResourceCycle, needed: u32, latch: bool) {
        let counts = |rule: ResourceRule| match rule {
            ResourceRule::Slope => c.p_value < SLOPE_CONFIRM_ALPHA,
            ResourceRule::Tail => c.p_value < PYTEST_CONFIRM_ALPHA,
            ResourceRule::Trend => true,
        };
        let fired: Vec<ResourceRule> = c.findings.iter().map(|f| f.rule).filter(|r| counts(*r)).collect();
        for rule in ResourceRule::ALL {
            let i = rule.index();
            self.streaks[i] = match (fired.contains(&rule), self.streaks[i]) {
                (false, _) => 0,
                (true, n) if rule == ResourceRule::Slope && n > 0 && !agrees(self.rate, c.slope_per_request) => 1,
                (true, n) => n.saturating_add(1),
            };
        }
        if fired.contains(&ResourceRule::Slope) {
            self.rate = c.slope_per_request;
        }
        for f in &mut c.findings {
            f.confirmed = counts(f.rule) && self.streaks[f.rule.index()] >= needed;
        }
        let now = c.findings.iter().any(|f| f.confirmed);
        self.raised = now || (latch && self.raised);
    }
}

/// Whether two slopes (units per request) agree within [`RATE_AGREEMENT`], both rising.
fn agrees(previous: f64, now: f64) -> bool {
    previous > 0.0 && now > 0.0 && now <= previous * RATE_AGREEMENT && previous <= now * RATE_AGREEMENT
}

#[cfg(test)]
#[path = "tests/resources.rs"]
mod tests;
