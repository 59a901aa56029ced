//! The judgement of a finished cycle: analysis, the trend history and the leak gauge of its scenario, and
//! the report. The daemon, `once` and `analyze` (replaying recorded cycles) all judge through this.

use super::record::{BatchRecord, CycleEnd, Judged, measured_samples};
use crate::analyze::{self, CycleAnalysis, Gauge, Rule, Trend, Verdict};
use crate::settings::Analysis;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The summary of a cycle that is fine by itself while the trend rule fires across cycles.
pub const TREND_SUMMARY: &str =
    "No leak within this cycle, but memory keeps rising across cycles — possible slow leak (trend rule)";

/// What one scenario remembers across cycles.
#[derive(Debug, Clone)]
pub struct Judge {
    /// Scenario name, for reports.
    scenario: String,
    /// Final averages of its recent cycles, for the trend rule.
    trend: Trend,
    /// Its leak gauge (confirmation and latch).
    gauge: Gauge,
}

impl Judge {
    pub fn new(scenario: &str) -> Self {
        Self { scenario: scenario.to_owned(), trend: Trend::new(), gauge: Gauge::new() }
    }

    /// The judge of `once`: a single cycle, with the pytest suite's semantics ([`Gauge::single_cycle`]).
    pub fn single_cycle(scenario: &str) -> Self {
        Self { gauge: Gauge::single_cycle(), ..Self::new(scenario) }
    }

    /// Judges a finished cycle. A discarded cycle (restart, failed source) is `error`; a restart also
    /// forgets the trend history, so a restart is never read as a memory drop.
    pub fn judge(&mut self, batch_size: u64, settings: &Analysis, batches: Vec<BatchRecord>, end: CycleEnd) -> Judged {
        let samples = measured_samples(&batches);
        let mut analysis = match &end {
            CycleEnd::Completed => analyze::cycle(&samples, settings),
            CycleEnd::SourceFailed(reason) => {
                CycleAnalysis::error(&samples, &format!("memory source failed: {reason}"))
            }
            CycleEnd::Restarted => {
                self.trend.reset();
                CycleAnalysis::error(&samples, "the soaked target restarted; trend history starts over")
            }
        };
        let trend = if end == CycleEnd::Completed {
            self.trend.push(&analysis);
            self.trend.check(settings)
        } else {
            None
        };
        analysis.findings = self.gauge.observe(&analysis, trend.as_ref(), settings);
        if trend.is_some() && analysis.verdict != Verdict::Leak {
            // The verdict stays this cycle's own (docs/analysis.md#the-leak-gauge), but the summary must not say "no leak".
            analysis.summary = TREND_SUMMARY.to_owned();
        }
        let report = analyze::render(&self.scenario, &analysis, &samples);
        Judged {
            scenario: self.scenario.clone(),
            batch_size,
            batches,
            end,
            analysis,
            trend,
            raised: self.raised(),
            duration: Duration::ZERO,
            finished_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64()),
            report,
        }
    }

    /// The leak gauge per rule, indexed by [`Rule::index`].
    pub fn raised(&self) -> [bool; 5] {
        Rule::ALL.map(|r| self.gauge.is_raised(r))
    }
}
