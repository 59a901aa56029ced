//! `leaksoak analyze`: recorded cycles judged again with the same code the daemon runs, confirmation and
//! the trend rule across cycles included, under the `[analysis]` settings given now.

use crate::analyze::{Rule, Verdict};
use crate::engine::Judge;
use crate::engine::Judged;
use crate::recording::Recorded;
use crate::settings::Analysis;

/// One scenario replayed.
#[derive(Debug)]
pub struct Replayed {
    pub scenario: String,
    /// Every cycle, judged in file order.
    pub cycles: Vec<Judged>,
    /// The leak gauge after the last cycle, indexed by [`Rule::index`].
    pub raised: [bool; 5],
}

impl Replayed {
    /// Whether any cycle could be judged (not `insufficient` or `error`).
    pub fn judged_any(&self) -> bool {
        self.cycles.iter().any(|j| !matches!(j.analysis.verdict, Verdict::Insufficient | Verdict::Error))
    }

    /// `growth=0 tail=0 error_spike=0 slope=1 trend=0`
    pub fn gauge_line(&self) -> String {
        let rules: Vec<String> =
            Rule::ALL.iter().map(|r| format!("{}={}", r.as_str(), u8::from(self.raised[r.index()]))).collect();
        rules.join(" ")
    }
}

/// Judges every recorded cycle of every scenario, in order.
pub fn replay(recorded: Vec<Recorded>, settings: &Analysis) -> Vec<Replayed> {
    recorded
        .into_iter()
        .map(|rec| {
            let mut judge = Judge::new(&rec.scenario);
            let cycles: Vec<Judged> =
                rec.cycles.into_iter().map(|c| judge.judge(rec.batch_size, settings, c.batches, c.end)).collect();
            Replayed { scenario: rec.scenario, cycles, raised: judge.raised() }
        })
        .collect()
}
