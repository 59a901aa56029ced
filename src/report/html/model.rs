//! What the report draws, gathered from judged cycles as they come, in bounded memory: per scenario the
//! latest cycle in full and one point per cycle for the across-cycles charts.

use crate::analyze::{CycleAnalysis, Rule, Verdict};
use crate::engine::{BatchRecord, CycleEnd, Judged};
use crate::settings::{Analysis, MAX_TREND_CYCLES};
use std::collections::VecDeque;

/// The most points an across-cycles chart of a recording keeps: past it, neighbouring points are merged
/// in pairs (a point then stands for two cycles, then four, …), so a recording of any length renders in
/// bounded memory and time. 2,048 points are more than a 760-unit wide chart can show apart.
pub const MAX_POINTS: usize = 2048;

/// The recent cycles the daemon's live page keeps per scenario: 120 cycles of a default scenario (four
/// scenarios of about 4 s each) are the last half hour, enough to see a trend form, at about 50 bytes a
/// cycle. Older cycles leave the page; Prometheus keeps the long history.
pub const LIVE_CYCLES: usize = 120;

/// What a long series keeps when it is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// A recording: every cycle, neighbours merged in pairs past [`MAX_POINTS`].
    Thinned,
    /// The daemon: the last [`LIVE_CYCLES`] cycles, older ones dropped.
    Recent,
}

/// One cycle as the detail chart draws it.
#[derive(Debug, Clone)]
pub struct CycleView {
    /// Its number among the scenario's cycles, from 1: the chart's caption.
    pub number: usize,
    /// Every batch, warm-up first: one point each.
    pub batches: Vec<BatchRecord>,
    /// The figures, findings and verdict.
    pub analysis: CycleAnalysis,
    /// How it ended: a restart or a failed read is said in words.
    pub end: CycleEnd,
    /// The gauge after it, per rule: the confirmation state.
    pub raised: [bool; Rule::COUNT],
    /// Per rule, consecutive cycles it fired: the confirmation state.
    pub streaks: [u32; Rule::COUNT],
    /// The requests leaksoak's own endpoints answered meanwhile, when the source measures leaksoak.
    pub endpoints: Option<crate::engine::EndpointTraffic>,
}

/// One point of the across-cycles charts: one cycle, or several merged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CyclePoint {
    /// The first cycle it stands for, from 1.
    pub first: usize,
    /// The last cycle it stands for: where it is drawn.
    pub last: usize,
    /// The final average of its last judged cycle, bytes; `None` when none of its cycles was judged.
    pub final_avg: Option<f64>,
    /// Whether the gauge was raised after any of its cycles.
    pub raised: bool,
}

impl CyclePoint {
    fn merge(self, next: CyclePoint) -> CyclePoint {
        CyclePoint {
            first: self.first,
            last: next.last,
            final_avg: next.final_avg.or(self.final_avg),
            raised: self.raised || next.raised,
        }
    }
}

/// One scenario's cycles, as far as the report keeps them.
#[derive(Debug, Clone)]
pub struct ScenarioView {
    /// Its name: the section's heading.
    pub name: String,
    /// Cycles seen.
    pub cycles: usize,
    /// The latest cycle, in full.
    pub last: Option<CycleView>,
    /// One point per cycle (or per merged run of cycles), oldest first.
    pub points: VecDeque<CyclePoint>,
    /// The final averages since the last restart, at most [`MAX_TREND_CYCLES`]: the trend fit's input.
    pub recent_finals: VecDeque<(usize, f64)>,
}

impl ScenarioView {
    fn new(name: &str) -> Self {
        Self { name: name.to_owned(), cycles: 0, last: None, points: VecDeque::new(), recent_finals: VecDeque::new() }
    }

    fn push(&mut self, judged: &Judged, keep: Keep) {
        self.cycles += 1;
        let n = self.cycles;
        let a = &judged.analysis;
        let judged_now = a.verdict.is_judged() && a.verdict != Verdict::Error;
        let final_avg = judged_now.then_some(a.final_avg);
        if judged.end == CycleEnd::Restarted {
            self.recent_finals.clear();
        }
        if let Some(v) = final_avg {
            if self.recent_finals.len() == MAX_TREND_CYCLES as usize {
                self.recent_finals.pop_front();
            }
            self.recent_finals.push_back((n, v));
        }
        self.points.push_back(CyclePoint { first: n, last: n, final_avg, raised: judged.raised.iter().any(|r| *r) });
        match keep {
            Keep::Recent if self.points.len() > LIVE_CYCLES => {
                self.points.pop_front();
            }
            Keep::Thinned if self.points.len() >= MAX_POINTS => self.halve(),
            _ => {}
        }
        self.last = Some(CycleView {
            number: n,
            batches: judged.batches.clone(),
            analysis: judged.analysis.clone(),
            end: judged.end.clone(),
            raised: judged.raised,
            streaks: judged.streaks,
            endpoints: judged.endpoints,
        });
    }

    /// Merges neighbouring points in pairs.
    fn halve(&mut self) {
        let old = std::mem::take(&mut self.points);
        let mut it = old.into_iter();
        while let Some(a) = it.next() {
            self.points.push_back(match it.next() {
                Some(b) => a.merge(b),
                None => a,
            });
        }
    }
}

/// The soak the report draws: the `[analysis]` settings that judged it and its scenarios in the order
/// they first appeared.
#[derive(Debug, Clone)]
pub struct Soak {
    /// The settings the cycles were judged under: the threshold, windows and trend length drawn.
    pub settings: Analysis,
    /// Its scenarios.
    pub scenarios: Vec<ScenarioView>,
    /// What the series keep when full.
    keep: Keep,
}

impl Soak {
    /// An empty soak whose series keep what `keep` says.
    pub fn new(settings: Analysis, keep: Keep) -> Self {
        Self { settings, scenarios: Vec::new(), keep }
    }

    /// Adds the next judged cycle of its scenario.
    pub fn push(&mut self, judged: &Judged) {
        let i = match self.scenarios.iter().position(|s| s.name == judged.scenario) {
            Some(i) => i,
            None => {
                self.scenarios.push(ScenarioView::new(&judged.scenario));
                self.scenarios.len() - 1
            }
        };
        self.scenarios[i].push(judged, self.keep);
    }

    /// The scenario named `name`, if it has a cycle.
    pub fn scenario(&self, name: &str) -> Option<&ScenarioView> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    /// Keeps only the scenarios named in `names` (the daemon's configuration after a reload).
    pub fn retain(&mut self, names: &[String]) {
        self.scenarios.retain(|s| names.contains(&s.name));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::judged_cycle;
    use super::*;

    #[test]
    fn a_recording_thins_its_points_and_keeps_every_cycle_counted() {
        let mut soak = Soak::new(Analysis::default(), Keep::Thinned);
        for i in 0..MAX_POINTS + 10 {
            soak.push(&judged_cycle("s", 50e6 + i as f64, i == 5));
        }
        let s = soak.scenario("s").expect("pushed");
        assert_eq!(s.cycles, MAX_POINTS + 10);
        assert!(s.points.len() < MAX_POINTS && s.points.len() > MAX_POINTS / 2);
        assert_eq!(s.points.front().map(|p| (p.first, p.last)), Some((1, 2)));
        assert_eq!(s.points.back().map(|p| p.last), Some(MAX_POINTS + 10));
        assert!(s.points.iter().any(|p| p.raised && p.first <= 6 && 6 <= p.last), "a raised cycle stays visible");
        assert_eq!(s.recent_finals.len(), MAX_TREND_CYCLES as usize);
        assert_eq!(s.last.as_ref().map(|c| c.number), Some(MAX_POINTS + 10));
    }

    #[test]
    fn the_daemon_keeps_the_recent_cycles_only() {
        let mut soak = Soak::new(Analysis::default(), Keep::Recent);
        for i in 0..LIVE_CYCLES + 5 {
            soak.push(&judged_cycle("s", 50e6 + i as f64, false));
        }
        let s = soak.scenario("s").expect("pushed");
        assert_eq!(s.points.len(), LIVE_CYCLES);
        assert_eq!(s.points.front().map(|p| p.first), Some(6));
        soak.retain(&["other".to_owned()]);
        assert!(soak.scenarios.is_empty());
    }
}
