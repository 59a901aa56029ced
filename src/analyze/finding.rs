//! A rule that fired: which one, the pytest suite-style message, and whether it is confirmed yet.

use std::fmt;

/// The leak rules (docs/analysis.md): the values of the `rule` label of `leaksoak_leak_detected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Pytest suite's rule: final rolling average above the initial one by more than `max_growth_percent`.
    Growth,
    /// Pytest suite's rule: the last `tail_samples` raw samples each rose.
    Tail,
    /// Pytest suite's rule: memory jumped in a batch with errors and did not come back down.
    ErrorSpike,
    /// Memory against cumulative requests: a significant robust slope.
    Slope,
    /// Final averages across cycles: a significant robust trend.
    Trend,
    /// A target that stopped answering while its memory rose far above its settled level: the loudest
    /// leak, read from a cycle whose requests mostly failed ([`crate::analyze::drowning`]).
    Drowning,
}

impl Rule {
    /// How many rules there are: the length of per-rule arrays.
    pub const COUNT: usize = 6;

    /// Every rule, in label order.
    pub const ALL: [Rule; Rule::COUNT] =
        [Rule::Growth, Rule::Tail, Rule::ErrorSpike, Rule::Slope, Rule::Trend, Rule::Drowning];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Growth => "growth",
            Rule::Tail => "tail",
            Rule::ErrorSpike => "error_spike",
            Rule::Slope => "slope",
            Rule::Trend => "trend",
            Rule::Drowning => "drowning",
        }
    }

    /// Position in [`Rule::ALL`], for per-rule arrays.
    pub fn index(self) -> usize {
        match self {
            Rule::Growth => 0,
            Rule::Tail => 1,
            Rule::ErrorSpike => 2,
            Rule::Slope => 3,
            Rule::Trend => 4,
            Rule::Drowning => 5,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a pending confirmation counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// Batches after an error spike (in-cycle confirmation).
    Batches,
    /// Consecutive leak cycles (the gauge's confirmation).
    Cycles,
}

/// How far an unconfirmed finding is from confirmation, so the report can say "1 of 2 cycles".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Evidence seen so far.
    pub seen: u32,
    /// Evidence needed for confirmation.
    pub needed: u32,
    /// What is being counted.
    pub over: Over,
}

/// One rule that fired on a cycle (or across cycles, for [`Rule::Trend`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Which rule: the `rule` label.
    pub rule: Rule,
    /// The pytest suite-style sentence for the report, e.g. `Memory grew by 37.0% (>25% threshold) — possible leak`.
    pub message: String,
    /// Whether the finding counts for the gauge yet. Findings from [`crate::analyze::cycle`] are
    /// confirmed except an error spike with too few batches after it; [`crate::analyze::Gauge::observe`]
    /// then applies the cross-cycle confirmation of docs/analysis.md#the-leak-gauge.
    pub confirmed: bool,
    /// For an unconfirmed finding, how far it is from confirmation (None when not counted).
    pub progress: Option<Progress>,
}

impl Finding {
    /// A confirmed finding.
    pub fn new(rule: Rule, message: String) -> Self {
        Self { rule, message, confirmed: true, progress: None }
    }

    /// `unconfirmed (1 of 2 cycles)` for an unconfirmed finding, None for a confirmed one.
    pub fn status(&self) -> Option<String> {
        if self.confirmed {
            return None;
        }
        Some(match self.progress {
            Some(p) => {
                let unit = match p.over {
                    Over::Batches => "batches after the spike",
                    Over::Cycles => "cycles",
                };
                format!("unconfirmed ({} of {} {unit})", p.seen, p.needed)
            }
            None => "unconfirmed".to_string(),
        })
    }
}
