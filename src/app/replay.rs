//! `leaksoak analyze`: recorded cycles judged again with the same code the daemon runs, confirmation and
//! the trend rule across cycles included, under the `[analysis]` settings given now. Cycles are judged as
//! they are read, in file order; each scenario keeps only its judge (trend history and gauge), so a
//! recording of any length is replayed in bounded memory.

use crate::analyze::{Rule, Verdict};
use crate::engine::{Judge, Judged};
use crate::recording::RecordedCycle;
use crate::settings::Analysis;
use std::collections::HashMap;

/// The scenarios replayed so far, in the order they first appeared.
#[derive(Debug)]
pub struct Replay {
    /// The `[analysis]` settings given now.
    settings: Analysis,
    scenarios: Vec<Replayed>,
    /// Scenario name to its index in `scenarios`.
    index: HashMap<String, usize>,
}

/// One scenario replayed.
#[derive(Debug)]
pub struct Replayed {
    pub scenario: String,
    /// Its trend history and leak gauge.
    judge: Judge,
    /// Cycles judged.
    pub cycles: usize,
    /// Whether any cycle could be judged (not `insufficient` or `error`).
    judged_any: bool,
}

impl Replay {
    pub fn new(settings: Analysis) -> Self {
        Self { settings, scenarios: Vec::new(), index: HashMap::new() }
    }

    /// Judges the next recorded cycle of `scenario`; returns its number among the scenario's cycles (from
    /// 1) and the judged cycle.
    pub fn judge(&mut self, scenario: String, batch_size: u64, cycle: RecordedCycle) -> (usize, Judged) {
        let i = match self.index.get(&scenario) {
            Some(i) => *i,
            None => {
                let judge = Judge::new(&scenario);
                self.index.insert(scenario.clone(), self.scenarios.len());
                self.scenarios.push(Replayed { scenario, judge, cycles: 0, judged_any: false });
                self.scenarios.len() - 1
            }
        };
        let r = &mut self.scenarios[i];
        let judged = r.judge.judge(batch_size, &self.settings, cycle.batches, cycle.end);
        r.cycles += 1;
        r.judged_any |= !matches!(judged.analysis.verdict, Verdict::Insufficient | Verdict::Error);
        (r.cycles, judged)
    }

    /// Every scenario replayed so far.
    pub fn scenarios(&self) -> &[Replayed] {
        &self.scenarios
    }
}

impl Replayed {
    /// Whether any cycle could be judged (not `insufficient` or `error`).
    pub fn judged_any(&self) -> bool {
        self.judged_any
    }

    /// The leak gauge after the last cycle, indexed by [`Rule::index`].
    pub fn raised(&self) -> [bool; 5] {
        self.judge.raised()
    }

    /// `growth=0 tail=0 error_spike=0 slope=1 trend=0`
    pub fn gauge_line(&self) -> String {
        let raised = self.raised();
        let rules: Vec<String> =
            Rule::ALL.iter().map(|r| format!("{}={}", r.as_str(), u8::from(raised[r.index()]))).collect();
        rules.join(" ")
    }
}
