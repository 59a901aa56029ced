//! The verdict of one cycle (docs/analysis.md#the-leak-gauge): the values of the `verdict` metric label.

use std::fmt;

/// What one cycle concluded. `leaksoak_cycle_verdict` always shows the verdict of the last cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// No rule fired and the data was quiet enough to say so.
    Stable,
    /// At least one rule fired (and, above the noise threshold, significantly).
    Leak,
    /// The samples vary too much around their trend to judge, and no rule fired significantly.
    Noisy,
    /// Fewer samples than two rolling windows (or unusable values): nothing can be judged.
    Insufficient,
    /// The cycle was discarded (target restart, memory source failure); set by the daemon, never by
    /// [`crate::analyze::cycle`].
    Error,
}

impl Verdict {
    /// Every verdict: the label values of `leaksoak_cycle_verdict` and `leaksoak_cycles_total`.
    pub const ALL: [Verdict; 5] =
        [Verdict::Stable, Verdict::Leak, Verdict::Noisy, Verdict::Insufficient, Verdict::Error];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Stable => "stable",
            Verdict::Leak => "leak",
            Verdict::Noisy => "noisy",
            Verdict::Insufficient => "insufficient",
            Verdict::Error => "error",
        }
    }

    /// Whether the cycle was judged (stable, leak or noisy): only those enter the trend history.
    pub fn is_judged(self) -> bool {
        matches!(self, Verdict::Stable | Verdict::Leak | Verdict::Noisy)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
