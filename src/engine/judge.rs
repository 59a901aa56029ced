//! The judgement of a finished cycle: analysis, the trend history and the leak gauge of its scenario, and
//! the report. The daemon, `once` and `analyze` (replaying recorded cycles) all judge through this.

use super::record::{BatchRecord, CycleEnd, Judged, measured_error_kinds, measured_samples, warmup_samples};
use crate::analyze::{self, Assessment, CycleAnalysis, Gauge, Rule, Trend, Verdict};
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
    /// True at start and after a target restart until a cycle completes: that cycle's warm-up waits for
    /// memory to settle ([`analyze::settle`]), and its report says how long that took.
    settling: bool,
}

impl Judge {
    pub fn new(scenario: &str) -> Self {
        Self { scenario: scenario.to_owned(), trend: Trend::new(), gauge: Gauge::new(), settling: true }
    }

    /// The judge of `once`: a single cycle, with the pytest suite's semantics ([`Gauge::single_cycle`]).
    pub fn single_cycle(scenario: &str) -> Self {
        Self { gauge: Gauge::single_cycle(), ..Self::new(scenario) }
    }

    /// Judges a finished cycle. A discarded cycle (restart, failed source) is `error`; a restart also
    /// forgets the trend history, so a restart is never read as a memory drop. A completed cycle whose
    /// requests mostly failed (`max_error_ratio`) is `error` too, and leaves the trend history and the
    /// gauge as they were.
    pub fn judge(&mut self, batch_size: u64, settings: &Analysis, batches: Vec<BatchRecord>, end: CycleEnd) -> Judged {
        let samples = measured_samples(&batches);
        let failed = match end {
            CycleEnd::Completed => analyze::too_many_failures(&samples, &measured_error_kinds(&batches), settings),
            _ => None,
        };
        let settled_now = self.settling && end == CycleEnd::Completed;
        let mut analysis = match (&end, failed) {
            (CycleEnd::Completed, None) => analyze::cycle(&samples, settings),
            (CycleEnd::Completed, Some(reason)) => CycleAnalysis::error(&samples, &reason),
            (CycleEnd::SourceFailed(reason), _) => {
                CycleAnalysis::error(&samples, &format!("memory source failed: {reason}"))
            }
            (CycleEnd::Restarted, _) => {
                self.trend.reset();
                self.settling = true;
                CycleAnalysis::error(&samples, "the soaked target restarted; trend history starts over")
            }
        };
        if settled_now {
            self.settling = false;
            analysis.notes.push(analyze::settle::note(&warmup_samples(&batches), settings));
        }
        let trend = if end == CycleEnd::Completed && analysis.verdict != Verdict::Error {
            self.trend.push(&analysis);
            match self.trend.assess(settings) {
                Assessment::Rising(finding) => Some(finding),
                Assessment::Bounded(why) => {
                    analysis.notes.push(why);
                    None
                }
                Assessment::Quiet => None,
            }
        } else {
            None
        };
        analysis.findings = self.gauge.observe(&analysis, trend.as_ref(), settings);
        analysis.notes.extend(self.gauge.note().map(str::to_owned));
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

    /// Whether the next cycle's warm-up waits for memory to settle (at start, after a restart).
    pub fn settling(&self) -> bool {
        self.settling
    }

    /// The leak gauge per rule, indexed by [`Rule::index`].
    pub fn raised(&self) -> [bool; 5] {
        Rule::ALL.map(|r| self.gauge.is_raised(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Phase;
    use std::collections::BTreeMap;

    const MIB: u64 = 1 << 20;

    /// Ten measured batches of 100 requests: memory from `memory(i)`, `failed` connect errors each.
    fn cycle(memory: impl Fn(u64) -> u64, failed: u64) -> Vec<BatchRecord> {
        let kinds: BTreeMap<String, u64> =
            [("connect".to_owned(), failed)].into_iter().filter(|(_, n)| *n > 0).collect();
        (0..10)
            .map(|i| BatchRecord {
                phase: Phase::Measure,
                memory_bytes: memory(i),
                requests: 100,
                errors: failed,
                errors_by_kind: kinds.clone(),
            })
            .collect()
    }

    fn leaking() -> Vec<BatchRecord> {
        cycle(|i| 50 * MIB + 2 * MIB * i, 0)
    }

    fn dead_target() -> Vec<BatchRecord> {
        cycle(|i| 50 * MIB + (i % 2) * 4096, 100)
    }

    #[test]
    fn a_cycle_of_failed_requests_is_error_and_leaves_the_gauge_as_it_was() {
        let s = Analysis::default();
        let mut judge = Judge::new("s");
        assert_eq!(judge.judge(100, &s, leaking(), CycleEnd::Completed).analysis.verdict, Verdict::Leak);
        let failed = judge.judge(100, &s, dead_target(), CycleEnd::Completed);
        assert_eq!(failed.analysis.verdict, Verdict::Error);
        assert!(failed.analysis.findings.is_empty(), "not judged: {:?}", failed.analysis.findings);
        let reason = "1000 of 1000 requests failed (connect: 1000): the target is not answering; is the URL right?";
        assert!(failed.analysis.summary.contains(reason), "{}", failed.analysis.summary);
        assert!(failed.report.contains(reason), "{}", failed.report);
        assert_eq!(failed.raised, [false; 5]);
        let second = judge.judge(100, &s, leaking(), CycleEnd::Completed);
        assert!(second.raised[Rule::Slope.index()], "the failed cycle did not break the streak: {}", second.report);
        let again = judge.judge(100, &s, dead_target(), CycleEnd::Completed);
        assert_eq!(again.raised, second.raised, "nor lowers the raised gauge");
    }

    #[test]
    fn a_cycle_of_failed_requests_leaves_the_trend_history_as_it_was() {
        let s = Analysis { trend_cycles: 3, trend_alpha: 0.3, ..Analysis::default() };
        let mut judge = Judge::new("s");
        // Flat cycles, each a step higher: the trend rule fires once three are in its window.
        let step = |n: u64| cycle(move |i| 50 * MIB + n * 4 * MIB + (i % 2) * 4096, 0);
        let trend_fired = |j: &Judged| j.trend.is_some();
        assert!(!trend_fired(&judge.judge(100, &s, step(0), CycleEnd::Completed)));
        assert!(!trend_fired(&judge.judge(100, &s, step(1), CycleEnd::Completed)));
        let failed = judge.judge(100, &s, dead_target(), CycleEnd::Completed);
        assert!(failed.trend.is_none() && failed.analysis.summary.contains("requests failed"), "{}", failed.report);
        let third = judge.judge(100, &s, step(2), CycleEnd::Completed);
        assert!(trend_fired(&third), "the failed cycle neither entered nor broke the history: {}", third.report);
    }
}
