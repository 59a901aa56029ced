//! From verdicts to the leak gauge (SPEC §4.5): per-scenario confirmation and latch state, so that
//! `leaksoak_leak_detected{rule}` does not flap under noise.
//!
//! * A `leak` cycle extends the streak of consecutive leak cycles; `stable`, `noisy` and `insufficient`
//!   cycles end it. An `error` cycle (discarded) neither counts nor breaks it, and leaves the gauge as it
//!   was.
//! * `growth`, `tail` and `slope` findings are confirmed once the streak reaches `confirm_cycles` (the
//!   streak counts leak cycles, whichever rules fired in each). So is an error spike with too few batches
//!   after it (unconfirmed within its cycle).
//! * A confirmed `error_spike` (an episode) and `trend` (already many cycles) raise the gauge at once.
//! * Findings of a `noisy` cycle are not significant: they are returned unconfirmed and raise nothing.
//! * Without `latch` the gauge shows the confirmed findings of the last judged cycle; with `latch` a
//!   raised rule stays raised until the process restarts.

use super::cycle::CycleAnalysis;
use super::finding::{Finding, Over, Progress, Rule};
use super::verdict::Verdict;
use crate::settings::Analysis;

/// The leak gauge of one scenario.
#[derive(Debug, Clone, Default)]
pub struct Gauge {
    /// Consecutive leak cycles so far: what confirms growth, tail and slope.
    streak: u32,
    /// Raised state per rule, indexed by [`Rule::index`]: `leaksoak_leak_detected{rule}`.
    raised: [bool; 5],
}

impl Gauge {
    /// A gauge with nothing raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one cycle (and the trend finding checked after it, if any) and returns the cycle's findings
    /// plus the trend one, each marked confirmed or not as the gauge sees them.
    pub fn observe(&mut self, a: &CycleAnalysis, trend: Option<&Finding>, settings: &Analysis) -> Vec<Finding> {
        if a.verdict == Verdict::Error {
            return a.findings.clone();
        }
        let leak = a.verdict == Verdict::Leak;
        self.streak = if leak { self.streak.saturating_add(1) } else { 0 };
        let mut findings: Vec<Finding> = a.findings.iter().map(|f| self.confirm(f, leak, settings)).collect();
        findings.extend(trend.cloned());
        let mut now = [false; 5];
        for f in findings.iter().filter(|f| f.confirmed) {
            now[f.rule.index()] = true;
        }
        for (raised, now) in self.raised.iter_mut().zip(now) {
            *raised = now || (settings.latch && *raised);
        }
        findings
    }

    fn confirm(&self, finding: &Finding, leak: bool, settings: &Analysis) -> Finding {
        let mut f = finding.clone();
        if !leak {
            f.confirmed = false;
            f.progress = None;
            return f;
        }
        let needs_streak = matches!(f.rule, Rule::Growth | Rule::Tail | Rule::Slope) || !f.confirmed;
        if needs_streak {
            let needed = settings.confirm_cycles.max(1);
            f.confirmed = self.streak >= needed;
            f.progress =
                (!f.confirmed).then_some(Progress { seen: self.streak, needed, over: Over::Cycles });
        }
        f
    }

    /// Whether `leaksoak_leak_detected{rule}` is 1.
    pub fn is_raised(&self, rule: Rule) -> bool {
        self.raised[rule.index()]
    }

    /// Whether any rule is raised (`analyze` exits 1).
    pub fn any_raised(&self) -> bool {
        self.raised.iter().any(|r| *r)
    }

    /// Consecutive leak cycles so far.
    pub fn streak(&self) -> u32 {
        self.streak
    }
}
