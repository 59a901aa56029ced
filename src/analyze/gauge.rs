//! From verdicts to the leak gauge (docs/analysis.md#the-leak-gauge): per-scenario confirmation and latch state, so that
//! `leaksoak_leak_detected{rule}` does not flap under noise.
//!
//! * Streaks are per rule: a `leak` cycle extends the streak of each rule that fired in it and ends the
//!   others; `stable`, `noisy` and `insufficient` cycles end them all. An `error` cycle (discarded)
//!   neither counts nor breaks them, and leaves the gauge as it was.
//! * A leak never gives memory back: while the latest cycle sits clearly below a level memory held in the
//!   cycles before ([`crate::analyze::Trend::came_back`]), `growth`, `tail` and `slope` findings do not
//!   count toward confirmation ([`Gauge::observe_across`]): a bounded cache refilling rises like a leak.
//! * A leak keeps its rate: a `growth`, `tail` or `slope` streak goes on only while the cycle's fitted
//!   slope stays within [`RATE_AGREEMENT`] of the previous cycle's in the streak; otherwise it starts over
//!   at this cycle (a warm-up whose rate jumps around does not confirm), with a note for the report.
//! * `growth`, `tail` and `slope` findings are confirmed once their rule's streak reaches
//!   `confirm_cycles`: `leak_detected{rule="tail"}` means the tail rule itself fired in that many
//!   consecutive cycles. Per rule rather than "any leak rule", because under noise the rules err
//!   independently (tail ≈ 1/175, slope ≈ 1/230 cycles at 2 % noise): requiring the same rule halves the
//!   false raises, and a real leak keeps firing the same rule. An error spike with too few batches after it
//!   (unconfirmed within its cycle) is confirmed the same way.
//! * Significance for confirmation: a `growth` or `tail` finding counts toward its streak only when the
//!   cycle's one-sided Mann–Kendall p is below [`PYTEST_CONFIRM_ALPHA`] (a real leak rises significantly
//!   across the cycle; five noisy samples that happen to rise in order, ≈ 1 clean cycle in 120, usually
//!   do not), and a `slope` finding only when p is below [`SLOPE_CONFIRM_ALPHA`] (two chance p < 0.01
//!   cycles in a row otherwise raise the gauge ≈ 0.2–0.6 times per 10,000 clean cycles). Such a finding
//!   is returned unconfirmed and ends its rule's streak. The verdict and `once` are untouched (seed
//!   semantics): only the gauge's confirmation is stricter.
//! * A confirmed `error_spike` (an episode) raises the gauge at once. A `trend` finding is confirmed like
//!   the per-cycle rules, once the trend rule fired after `confirm_cycles` consecutive judged cycles: a
//!   chance pattern of allocator steps that looks steady in one window rarely does in the next, while a
//!   leak keeps the rule firing.
//! * Findings of a `noisy` cycle are not significant: they are returned unconfirmed and raise nothing.
//! * A confirmed `drowning` finding (a cycle whose requests mostly failed while memory rose far above its
//!   settled level, [`crate::analyze::drowning`]) raises the gauge at once: the target may not answer
//!   again. The `error` cycles that follow leave it raised; once cycles are judged again it holds while
//!   memory stays far above the level the drowning rose from ([`Across::drowned`]).
//! * Nor do those of a cycle during which something besides the soak grew the measured memory
//!   ([`Across::disturbed`]: leaksoak's own endpoints under heavy traffic, measured by a `self` source);
//!   every streak ends there, as at a `stable` cycle.
//! * `once` judges a single cycle with the pytest suite's semantics ([`Gauge::single_cycle`]): every finding of a
//!   leak cycle is confirmed at once, with no streak and no significance gate.
//! * A raised rule holds while memory keeps rising ([`Across::rising`], from
//!   [`crate::analyze::Trend::rising`]) and has not come back, even when this cycle's own finding was not
//!   significant, its rate per request wandered (a real allocator does not grow at one rate per cycle), or
//!   no rule fired: a steady leak's gauge does not dip. It falls once memory stops rising or comes back.
//! * Without `latch` the gauge shows the confirmed findings of the last judged cycle and the holds; with
//!   `latch` a raised rule stays raised until the process restarts.

use super::cycle::CycleAnalysis;
use super::finding::{Finding, Over, Progress, Rule};
use super::verdict::Verdict;
use crate::settings::Analysis;

/// A `growth` or `tail` finding counts toward the gauge's confirmation only when the cycle's one-sided
/// Mann–Kendall p is below this. A 1 KiB/request leak at low noise has p ≈ 1e-4; a clean cycle whose
/// tail rose by chance has p < 0.05 about once in four. Lower: fewer false raises from the pytest suite rules,
/// but a leak hidden in heavy noise confirms later (the slope and trend rules still see it).
pub const PYTEST_CONFIRM_ALPHA: f64 = 0.05;

/// A `slope` finding (already p < `trend_alpha`) counts toward the gauge's confirmation only when p is
/// below this. A 1 KiB/request leak at noise up to 0.1 % has p ≈ 1e-4 in every cycle; chance slopes
/// pass 0.002 rarely enough that two in a row were seen ≈ 0.01–0.04 times per 10,000 clean cycles
/// (`detection_power`). Lower: fewer false raises, but a leak under more noise (≥ 0.2 %, or RSS-shaped
/// steps) is confirmed by the slope rule later or not at all, and is left to the trend rule.
pub const SLOPE_CONFIRM_ALPHA: f64 = 0.002;

/// A `growth`, `tail` or `slope` streak goes on only while the cycle's fitted slope stays within this
/// factor of the slope of the cycle before in the streak. A leak keeps its rate per request from cycle
/// to cycle (1 KiB/request under page-rounded noise: within ±25 %); a warm-up does not (a healthy
/// LiteLLM proxy's first cycles: 21 KB, 0.6 KB, 11 KB, 1 KB per request; a working set approached
/// exponentially halves its rate every cycle or two). At 2, `detection_power` detects as at 4 (the
/// rates of a leak under its noise model stay within 1.5× of each other). Lower: warm-ups confirm less
/// often, but a leak measured under heavy noise, whose fitted slope wobbles, confirms later.
pub const RATE_AGREEMENT: f64 = 2.0;

/// What the trend history says of memory beyond this cycle, for the gauge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Across {
    /// Memory sits clearly below a level it held in the recent cycles ([`crate::analyze::Trend::came_back`]):
    /// `growth`, `tail` and `slope` findings do not count, and nothing is held.
    pub came_back: bool,
    /// Memory is still rising across cycles ([`crate::analyze::Trend::rising`]): a raised rule holds.
    pub rising: bool,
    /// The long trend window still sees the leak at half its floor ([`crate::analyze::Trend::still_leaking`]):
    /// a raised `trend` rule holds even while memory saws back down.
    pub still_leaking: bool,
    /// Memory still sits far above the level a drowning rose from ([`crate::analyze::drowning::still_above`]):
    /// a raised `drowning` rule holds through cycles that are judged again.
    pub drowned: bool,
    /// Something besides the soak's requests grew the measured memory during the cycle (leaksoak's own
    /// endpoints under heavy traffic, with a `self` source: [`crate::analyze::own_traffic`]): no finding
    /// counts toward confirmation, every streak ends; a raised rule holds as it would otherwise.
    pub disturbed: bool,
}

/// The leak gauge of one scenario.
#[derive(Debug, Clone, Default)]
pub struct Gauge {
    /// Per rule (indexed by [`Rule::index`]), consecutive leak cycles in which it fired: what confirms
    /// growth, tail, slope and an in-cycle unconfirmed error spike.
    streaks: [u32; Rule::COUNT],
    /// Raised state per rule, indexed by [`Rule::index`]: `leaksoak_leak_detected{rule}`.
    raised: [bool; Rule::COUNT],
    /// Per rule, the fitted slope (bytes/request) of the last cycle that extended its streak: the next
    /// cycle's must agree within [`RATE_AGREEMENT`].
    rates: [f64; Rule::COUNT],
    /// What the last observed cycle did to a streak beyond the findings (a rate that changed), for the report.
    note: Option<String>,
    /// `once`: a single cycle, judged as the pytest suite judges it; nothing waits for confirmation.
    single: bool,
}

impl Gauge {
    /// A gauge with nothing raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// The gauge of a single cycle (`once`): every finding of a leak cycle is confirmed, whatever
    /// `confirm_cycles` and the cycle's p-value, so the report agrees with the exit code.
    pub fn single_cycle() -> Self {
        Self { single: true, ..Self::default() }
    }

    /// Takes one cycle (and the trend finding checked after it, if any) and returns the cycle's findings
    /// plus the trend one, each marked confirmed or not as the gauge sees them.
    pub fn observe(&mut self, a: &CycleAnalysis, trend: Option<&Finding>, settings: &Analysis) -> Vec<Finding> {
        self.observe_across(a, trend, settings, Across::default())
    }

    /// [`Gauge::observe`] with what the trend history says: when memory came back the cycle's `growth`,
    /// `tail` and `slope` findings do not count toward confirmation, as in a noisy cycle; while it is
    /// still rising a raised rule holds.
    pub fn observe_across(
        &mut self,
        a: &CycleAnalysis,
        trend: Option<&Finding>,
        settings: &Analysis,
        across: Across,
    ) -> Vec<Finding> {
        if a.verdict == Verdict::Error {
            return a.findings.clone();
        }
        let held = across.came_back;
        let leak = a.verdict == Verdict::Leak;
        let mut fired = [false; Rule::COUNT];
        let held = |rule| (held && matches!(rule, Rule::Growth | Rule::Tail | Rule::Slope)) || across.disturbed;
        let single = self.single;
        let counts = |rule| !held(rule) && (single || counts(rule, a));
        for f in a.findings.iter().filter(|f| leak && counts(f.rule)) {
            fired[f.rule.index()] = true;
        }
        fired[Rule::Trend.index()] = trend.is_some() && !across.disturbed;
        self.note = None;
        for rule in Rule::ALL {
            self.extend_streak(rule, fired[rule.index()], a.slope_bytes_per_request);
        }
        let mut findings: Vec<Finding> =
            a.findings.iter().map(|f| self.confirm(f, leak && counts(f.rule), settings)).collect();
        findings.extend(trend.map(|f| self.confirm(f, !across.disturbed, settings)));
        let mut now = [false; Rule::COUNT];
        for f in findings.iter().filter(|f| f.confirmed) {
            now[f.rule.index()] = true;
        }
        self.raise(now, across, settings);
        findings
    }

    /// Raises the rules confirmed now and keeps raised those a hold (or the latch) keeps, with a note for
    /// the report when a hold kept one.
    fn raise(&mut self, now: [bool; Rule::COUNT], across: Across, settings: &Analysis) {
        let mut holding = Vec::new();
        for rule in Rule::ALL {
            let (i, raised) = (rule.index(), self.raised[rule.index()]);
            let hold = !self.single && holds(rule, across);
            if !now[i] && hold && raised && !settings.latch {
                holding.push(rule.as_str());
            }
            self.raised[i] = now[i] || ((settings.latch || hold) && raised);
        }
        if holding.is_empty() {
            return;
        }
        let why = if holding == [Rule::Drowning.as_str()] && (!across.rising || across.came_back) {
            "memory still sits far above the level the target drowned from"
        } else {
            "memory is still rising across cycles"
        };
        let note = format!(
            "The leak gauge stays raised ({}): {why}, although this cycle did not confirm it again.",
            holding.join(", ")
        );
        self.note = Some(self.note.take().map_or(note.clone(), |n| format!("{n} {note}")));
    }

    /// Extends or ends the streak of `rule`; a streak of a per-cycle rule whose rate changed by more than
    /// [`RATE_AGREEMENT`] starts over at this cycle.
    fn extend_streak(&mut self, rule: Rule, fired: bool, rate: f64) {
        let i = rule.index();
        let per_cycle = matches!(rule, Rule::Growth | Rule::Tail | Rule::Slope) && !self.single;
        let previous = self.rates[i];
        self.streaks[i] = match (fired, self.streaks[i]) {
            (false, _) => 0,
            (true, 0) => 1,
            (true, n) if !per_cycle || agrees(previous, rate) => n.saturating_add(1),
            (true, _) => {
                self.note = Some(format!(
                    "The {rule} rule fired again, but memory now grows {rate:.0} bytes/request against \
                     {previous:.0} in the cycle before: not the steady rate of a leak, so its confirmation \
                     starts over."
                ));
                1
            }
        };
        self.rates[i] = rate;
    }

    /// What the last cycle did to a streak beyond its findings (a changed rate), for the report.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// `finding` as the gauge sees it; `counts` is false for a finding of a noisy cycle or a pytest-rule finding
    /// that was not significant.
    fn confirm(&self, finding: &Finding, counts: bool, settings: &Analysis) -> Finding {
        let mut f = finding.clone();
        if !counts {
            f.confirmed = false;
            f.progress = None;
            return f;
        }
        let needs_streak = matches!(f.rule, Rule::Growth | Rule::Tail | Rule::Slope | Rule::Trend) || !f.confirmed;
        if needs_streak {
            let needed = if self.single { 1 } else { settings.confirm_cycles.max(1) };
            let seen = self.streaks[f.rule.index()];
            f.confirmed = seen >= needed;
            f.progress = (!f.confirmed).then_some(Progress { seen, needed, over: Over::Cycles });
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

    /// Consecutive leak cycles in which `rule` fired, up to the last judged cycle.
    pub fn streak(&self, rule: Rule) -> u32 {
        self.streaks[rule.index()]
    }
}

/// Whether what the trend history says keeps a raised `rule` raised although this cycle did not confirm it.
fn holds(rule: Rule, across: Across) -> bool {
    (across.rising && !across.came_back)
        || (rule == Rule::Trend && across.still_leaking)
        || (rule == Rule::Drowning && across.drowned)
}

/// Whether two fitted slopes (bytes/request) are within [`RATE_AGREEMENT`] of each other, both rising.
fn agrees(previous: f64, now: f64) -> bool {
    previous > 0.0 && now > 0.0 && now <= previous * RATE_AGREEMENT && previous <= now * RATE_AGREEMENT
}

/// Whether a finding of `rule` in a leak cycle counts toward the gauge: `growth`, `tail` and `slope` only
/// when the cycle's rise is significant enough (see the module doc).
fn counts(rule: Rule, a: &CycleAnalysis) -> bool {
    match rule {
        Rule::Growth | Rule::Tail => a.slope_p_value < PYTEST_CONFIRM_ALPHA,
        Rule::Slope => a.slope_p_value < SLOPE_CONFIRM_ALPHA,
        Rule::ErrorSpike | Rule::Trend | Rule::Drowning => true,
    }
}
