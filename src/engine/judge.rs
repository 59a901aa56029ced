//! The judgement of a finished cycle: analysis, the trend history and the leak gauge of its scenario, and
//! the report. The daemon, `once` and `analyze` (replaying recorded cycles) all judge through this.

use super::record::{
    BatchRecord, Context, CycleEnd, Judged, error_kinds, measured_error_kinds, measured_samples, warmup_samples,
};
use crate::analyze::drowning::{self, Level};
use crate::analyze::{
    self, Across, Assessment, Count, CycleAnalysis, Forecast, Gauge, ResourceCycle, ResourceGauge, Rule, Trend, Verdict,
};
use crate::settings::Analysis;
use std::collections::BTreeMap;
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
    /// When the gauge last rose from all rules down (Unix seconds), 0 while it is down.
    raised_since: f64,
    /// True at start and after a target restart until a cycle completes: that cycle's warm-up waits for
    /// memory to settle ([`analyze::settle`]), and its report says how long that took.
    settling: bool,
    /// The leak gauges of the resources read beside memory (fds, sockets, threads, tasks), apart from
    /// the memory gauge.
    resources: ResourceGauge,
    /// Requests the target had received when this scenario's last cycle ended, from every scenario when
    /// the caller counts them ([`Judge::judge_after`]), else from this one: the long trend window's x.
    sent: u64,
    /// Final average of the last judged cycle while the drowning rule was down (since start or the last
    /// restart): the settled level a drowning target's memory is measured from ([`drowning`]).
    settled: Option<f64>,
    /// While the drowning rule is raised, the level its drowning rose from: it holds while memory stays
    /// far above it.
    drowned_from: Option<f64>,
}

impl Judge {
    pub fn new(scenario: &str) -> Self {
        Self {
            scenario: scenario.to_owned(),
            trend: Trend::new(),
            gauge: Gauge::new(),
            raised_since: 0.0,
            settling: true,
            resources: ResourceGauge::new(),
            sent: 0,
            settled: None,
            drowned_from: None,
        }
    }

    /// The judge of `once`: a single cycle, with the pytest suite's semantics ([`Gauge::single_cycle`]).
    pub fn single_cycle(scenario: &str) -> Self {
        Self { gauge: Gauge::single_cycle(), resources: ResourceGauge::single_cycle(), ..Self::new(scenario) }
    }

    /// Judges a finished cycle. A discarded cycle (restart, failed source) is `error`; a restart also
    /// forgets the trend history, so a restart is never read as a memory drop. A completed cycle whose
    /// requests mostly failed (`max_error_ratio`) is `error` too, and leaves the trend history and the
    /// gauge as they were.
    pub fn judge(&mut self, batch_size: u64, settings: &Analysis, batches: Vec<BatchRecord>, end: CycleEnd) -> Judged {
        self.judge_after(Context::default(), batch_size, settings, batches, end)
    }

    /// [`Judge::judge`] with what the engine knows beyond the batches: the idle pause before the cycle
    /// (whose growth the trend attributes to the clock rather than to requests), the requests the target
    /// had received from every scenario, and its memory limit (for the forecast).
    pub fn judge_after(
        &mut self,
        context: Context,
        batch_size: u64,
        settings: &Analysis,
        batches: Vec<BatchRecord>,
        end: CycleEnd,
    ) -> Judged {
        let samples = measured_samples(&batches);
        let own: u64 = batches.iter().map(|b| b.requests).sum();
        self.sent = context.sent.unwrap_or(self.sent.saturating_add(own));
        let idle = context.idle;
        let mut analysis = self.analyse(&context, settings, &batches, &samples, &end);
        let drowned = analysis.finding(Rule::Drowning).is_some();
        let judged_now = end == CycleEnd::Completed && analysis.verdict.is_judged() && !drowned;
        if self.settling && judged_now {
            // A cycle that was not judged (most requests failed: a target still loading) keeps the next
            // cycle's warm-up waiting.
            self.settling = false;
            analysis.notes.push(analyze::settle::note(&warmup_samples(&batches), &samples, settings));
        }
        let memory: Vec<f64> = batches.iter().map(|b| b.memory_bytes as f64).collect();
        let trend = if judged_now {
            let idle_growth = idle.map(|i| (i.growth(), i.seconds));
            self.trend.push_with(&analysis, analyze::level_peak(&memory), idle_growth, self.sent as f64);
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
        let came_back = if judged_now { self.trend.came_back(settings) } else { None };
        if let Some((peak, now)) = came_back {
            analysis.notes.push(format!(
                "Memory ({:.1} MiB) is {:.2} MiB below a level it held in the last {} cycles ({:.1} MiB): growth \
                 that comes back is not a leak, so this cycle's findings do not count toward confirmation.",
                analyze::mib(now),
                analyze::mib(peak - now),
                settings.trend_cycles,
                analyze::mib(peak)
            ));
        }
        // With a `self` source, heavy traffic to leaksoak's own endpoints grew the measured process too.
        let busy = context.endpoints.and_then(|e| analyze::own_traffic::busy_note(e.requests, e.seconds));
        analysis.notes.extend(busy.clone());
        let across = Across {
            came_back: came_back.is_some(),
            rising: judged_now && self.trend.rising(settings),
            still_leaking: judged_now && self.trend.still_leaking(settings),
            drowned: judged_now
                && self.drowned_from.is_some_and(|from| drowning::still_above(from, analysis.final_avg, settings)),
            disturbed: busy.is_some(),
        };
        analysis.findings = self.gauge.observe_across(&analysis, trend.as_ref(), settings, across);
        // A level the endpoints' traffic lifted is not the target's settled level.
        self.follow_drowning(&analysis, judged_now && busy.is_none());
        analysis.notes.extend(self.gauge.note().map(str::to_owned));
        if trend.is_some() && analysis.verdict != Verdict::Leak {
            // The verdict stays this cycle's own (docs/analysis.md#the-leak-gauge), but the summary must not say "no leak".
            analysis.summary = TREND_SUMMARY.to_owned();
        }
        let resources = if end == CycleEnd::Completed && analysis.verdict != Verdict::Error && busy.is_none() {
            self.resources.observe(&resource_series(&batches), settings)
        } else {
            Vec::new()
        };
        let forecast = self.forecast(&analysis, settings, context.limit_bytes);
        let mut report = self.report(&analysis, &samples, &batches, &resources);
        if let Some(f) = &forecast {
            report.push('\n');
            report.push_str(&f.line());
            report.push('\n');
        }
        let finished_at = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        self.raised_since = match (self.gauge.any_raised(), self.raised_since) {
            (false, _) => 0.0,
            (true, 0.0) => finished_at,
            (true, since) => since,
        };
        Judged {
            scenario: self.scenario.clone(),
            batch_size,
            batches,
            end,
            idle,
            endpoints: context.endpoints,
            analysis,
            trend,
            raised: self.raised(),
            streaks: Rule::ALL.map(|r| self.gauge.streak(r)),
            raised_since: self.raised_since,
            duration: Duration::ZERO,
            finished_at,
            report,
            resources,
            resources_raised: self.resources.raised(),
            forecast,
        }
    }

    /// The cycle's own analysis: judged by the per-cycle rules when it completed and most requests were
    /// answered; otherwise `error`, unless the target drowned in its memory while it stopped answering.
    fn analyse(
        &mut self,
        context: &Context,
        settings: &Analysis,
        batches: &[BatchRecord],
        samples: &[analyze::Sample],
        end: &CycleEnd,
    ) -> CycleAnalysis {
        let failed = match end {
            CycleEnd::Completed => {
                let redirect = context.redirect.as_deref();
                analyze::too_many_failures(samples, &measured_error_kinds(batches), redirect, settings)
            }
            _ => None,
        };
        match (end, failed) {
            (CycleEnd::Completed, None) => analyze::cycle(samples, settings),
            (CycleEnd::Completed, Some(reason)) => {
                let all: Vec<analyze::Sample> = batches.iter().map(BatchRecord::sample).collect();
                match drowning::assess(self.level(context), &all, &error_kinds(batches.iter()), settings) {
                    Some(drowned) => {
                        self.drowned_from = self.drowned_from.or(Some(drowned.from));
                        CycleAnalysis::drowned(samples, drowned.finding, settings)
                    }
                    None => CycleAnalysis::error(samples, &reason),
                }
            }
            (CycleEnd::SourceFailed(reason), _) => {
                CycleAnalysis::error(samples, &format!("memory source failed: {reason}"))
            }
            (CycleEnd::Restarted, _) => {
                self.target_restarted();
                CycleAnalysis::error(samples, "the soaked target restarted; trend history starts over")
            }
        }
    }

    /// Where memory stood before this cycle, for the drowning rule.
    fn level(&self, context: &Context) -> Level {
        Level { settled: self.settled, before: context.idle.map(|i| i.to_bytes as f64) }
    }

    /// After the gauge saw a cycle: a judged cycle sets the settled level while the drowning rule is down,
    /// and a drowning that is over forgets the level it rose from.
    fn follow_drowning(&mut self, analysis: &CycleAnalysis, judged_now: bool) {
        if self.gauge.is_raised(Rule::Drowning) {
            return;
        }
        self.drowned_from = None;
        if judged_now {
            self.settled = Some(analysis.final_avg);
        }
    }

    /// While the memory gauge is raised: the leak's rate per request across the recent cycles (the
    /// cycle's own slope when there are fewer than two) and what it means at the production request rate
    /// and memory limit (the settings, else the limit the source read).
    fn forecast(&self, analysis: &CycleAnalysis, settings: &Analysis, limit: Option<u64>) -> Option<Forecast> {
        if !self.gauge.any_raised() || !analysis.verdict.is_judged() {
            return None;
        }
        let rate = self.trend.rate_per_request(settings).unwrap_or(analysis.slope_bytes_per_request);
        let limit = (settings.forecast_memory_limit_bytes > 0)
            .then_some(settings.forecast_memory_limit_bytes)
            .or(limit)
            .map(|l| l as f64);
        Some(Forecast::new(rate, analysis.final_avg, Some(settings.forecast_requests_per_second), limit))
    }

    /// The cycle's report: memory's, then a line per resource and where the memory grew.
    fn report(
        &self,
        analysis: &CycleAnalysis,
        samples: &[analyze::Sample],
        batches: &[BatchRecord],
        resources: &[ResourceCycle],
    ) -> String {
        let mut report = super::record::with_outcomes(analyze::render(&self.scenario, analysis, samples), batches);
        report.push_str(&analyze::resources::render(resources, |r| self.resources.is_raised(r)));
        let mut split =
            batches.iter().filter(|b| b.phase == analyze::Phase::Measure).filter_map(|b| b.memory_breakdown);
        let parts = |b: crate::memory::Breakdown| [b.anon_bytes as f64, b.file_bytes as f64, b.shmem_bytes as f64];
        if let (Some(first), Some(last)) = (split.next(), split.next_back())
            && analysis.growth_bytes > 0.0
            && let Some(line) = analyze::resources::breakdown_line(parts(first), parts(last))
        {
            report.push('\n');
            report.push_str(&line);
            report.push('\n');
        }
        report
    }

    /// The target restarted (during this scenario's cycle, or another's: they share it): forget the trend
    /// history and wait for the target to settle again.
    pub fn target_restarted(&mut self) {
        self.trend.reset();
        self.settled = None;
        self.drowned_from = None;
        self.resources.target_restarted();
        self.settling = true;
    }

    /// Whether the next cycle's warm-up waits for memory to settle (at start, after a restart).
    pub fn settling(&self) -> bool {
        self.settling
    }

    /// Judged cycles in the trend history (fewer after a target restart).
    pub fn trend_len(&self) -> usize {
        self.trend.len()
    }

    /// The resource leak gauges, by resource name (resources never read are absent).
    pub fn resources_raised(&self) -> BTreeMap<String, bool> {
        self.resources.raised()
    }

    /// The leak gauge per rule, indexed by [`Rule::index`].
    pub fn raised(&self) -> [bool; Rule::COUNT] {
        Rule::ALL.map(|r| self.gauge.is_raised(r))
    }
}

/// Each resource's counts over the measured batches that carry it.
fn resource_series(batches: &[BatchRecord]) -> BTreeMap<String, Vec<Count>> {
    let mut series: BTreeMap<String, Vec<Count>> = BTreeMap::new();
    for b in batches.iter().filter(|b| b.phase == analyze::Phase::Measure) {
        for (name, n) in &b.resources {
            series.entry(name.clone()).or_default().push(Count { value: *n as f64, requests: b.requests });
        }
    }
    series
}

#[cfg(test)]
mod tests;
