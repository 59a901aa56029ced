//! `leaksoak analyze`: recorded cycles judged again with the same code the daemon runs, confirmation and
//! the trend rule across cycles included, under the `[analysis]` settings given now. Cycles are judged as
//! they are read, in file order; each scenario keeps only its judge (trend history and gauge), so a
//! recording of any length is replayed in bounded memory.

use crate::analyze::{Rule, Verdict};
use crate::engine::{Context, Judge, Judged};
use crate::recording::{Entry, ReadError, RecordedCycle};
use crate::report::html::{Keep, Soak};
use crate::settings::Analysis;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The scenarios replayed so far, in the order they first appeared.
#[derive(Debug)]
pub struct Replay {
    /// The `[analysis]` settings given now.
    settings: Analysis,
    scenarios: Vec<Replayed>,
    /// Scenario name to its index in `scenarios`.
    index: HashMap<String, usize>,
    /// Requests sent to the target by every scenario so far, in file order: as the daemon counts them.
    sent: u64,
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
    /// Runs of consecutive cycles with the gauge raised, oldest first, at most [`MAX_EPISODES`].
    episodes: Vec<Episode>,
    /// Runs after the first [`MAX_EPISODES`], counted only.
    more_episodes: usize,
}

/// The most gauge episodes a scenario keeps for the history line; later ones are counted, not listed.
pub const MAX_EPISODES: usize = 100;

/// Consecutive cycles (numbered from 1) during which the gauge was raised, and the rules raised in any.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub first: usize,
    pub last: usize,
    pub rules: [bool; Rule::COUNT],
}

impl Replay {
    pub fn new(settings: Analysis) -> Self {
        Self { settings, scenarios: Vec::new(), index: HashMap::new(), sent: 0 }
    }

    /// Judges the next recorded cycle of `scenario`; returns its number among the scenario's cycles (from
    /// 1) and the judged cycle.
    pub fn judge(&mut self, scenario: String, batch_size: u64, cycle: RecordedCycle) -> (usize, Judged) {
        let i = match self.index.get(&scenario) {
            Some(i) => *i,
            None => {
                let judge = Judge::new(&scenario);
                self.index.insert(scenario.clone(), self.scenarios.len());
                let r =
                    Replayed { scenario, judge, cycles: 0, judged_any: false, episodes: Vec::new(), more_episodes: 0 };
                self.scenarios.push(r);
                self.scenarios.len() - 1
            }
        };
        let r = &mut self.scenarios[i];
        self.sent = self.sent.saturating_add(cycle.batches.iter().map(|b| b.requests).sum());
        let context =
            Context { idle: cycle.idle, sent: Some(self.sent), endpoints: cycle.endpoints, ..Context::default() };
        let judged = r.judge.judge_after(context, batch_size, &self.settings, cycle.batches, cycle.end);
        r.cycles += 1;
        r.judged_any |= !matches!(judged.analysis.verdict, Verdict::Insufficient | Verdict::Error);
        r.note_gauge(judged.raised);
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
    pub fn raised(&self) -> [bool; Rule::COUNT] {
        self.judge.raised()
    }

    /// Whether the memory gauge (any rule) or a resource gauge is raised after the last cycle.
    pub fn any_raised(&self) -> bool {
        self.raised().iter().any(|r| *r) || self.judge.resources_raised().values().any(|r| *r)
    }

    /// Extends the current episode or starts one when the gauge is raised after the latest cycle.
    fn note_gauge(&mut self, raised: [bool; Rule::COUNT]) {
        if !raised.iter().any(|r| *r) {
            return;
        }
        let n = self.cycles;
        let full = self.episodes.len() >= MAX_EPISODES;
        match self.episodes.last_mut() {
            Some(e) if e.last + 1 == n => {
                e.last = n;
                for (any, now) in e.rules.iter_mut().zip(raised) {
                    *any |= now;
                }
            }
            _ if !full => self.episodes.push(Episode { first: n, last: n, rules: raised }),
            _ => self.more_episodes += 1,
        }
    }

    /// When the gauge was raised: `raised on cycles 3-4 (slope), 12 (trend)`, or `never raised`.
    pub fn history_line(&self) -> String {
        if self.episodes.is_empty() {
            return "never raised".to_owned();
        }
        let runs: Vec<String> = self
            .episodes
            .iter()
            .map(|e| {
                let rules: Vec<&str> = Rule::ALL.iter().filter(|r| e.rules[r.index()]).map(|r| r.as_str()).collect();
                let cycles = if e.first == e.last { e.first.to_string() } else { format!("{}-{}", e.first, e.last) };
                format!("{cycles} ({})", rules.join(", "))
            })
            .collect();
        let more =
            if self.more_episodes > 0 { format!(" and {} more runs", self.more_episodes) } else { String::new() };
        format!("raised on cycles {}{more}", runs.join(", "))
    }

    /// `growth=0 tail=0 error_spike=0 slope=1 trend=0 drowning=0`, then the resources' (`open_fds=0 sockets=1`)
    pub fn gauge_line(&self) -> String {
        let raised = self.raised();
        let mut rules: Vec<String> =
            Rule::ALL.iter().map(|r| format!("{}={}", r.as_str(), u8::from(raised[r.index()]))).collect();
        // The resource gauges (docs/analysis.md#resources), by resource name.
        rules.extend(self.judge.resources_raised().iter().map(|(name, r)| format!("{name}={}", u8::from(*r))));
        rules.join(" ")
    }
}

/// The recording before a fix (`analyze --baseline`), judged whole under the same settings before the
/// main recording is read. Its cycles' reports are not printed: the main recording's are.
#[derive(Debug)]
pub struct Baseline {
    /// Its file, named in the text output.
    pub path: std::path::PathBuf,
    /// Its scenarios replayed: their gauges for the text output.
    pub replay: Replay,
    /// Its page model, drawn beside the main recording's.
    pub soak: Soak,
    /// JSON-lines lines that are not recorded cycles (cut short, too long, a bad value), skipped.
    pub skipped: usize,
}

impl Baseline {
    /// Reads and judges the recording at `path` under `settings`.
    pub fn read(path: &std::path::Path, settings: &Analysis) -> Result<Self, ReadError> {
        let mut replay = Replay::new(settings.clone());
        let mut soak = Soak::new(settings.clone(), Keep::Thinned);
        let mut skipped = 0;
        crate::recording::read_path(path, |entry| match entry {
            Entry::Cycle { scenario, batch_size, cycle } => soak.push(&replay.judge(scenario, batch_size, cycle).1),
            Entry::Skipped(_) => skipped += 1,
        })?;
        Ok(Self { path: path.to_owned(), replay, soak, skipped })
    }

    /// Its gauge per scenario, in the shape of the main recording's.
    pub fn summary(&self, out: &mut impl std::io::Write) {
        let _ = writeln!(out, "Baseline {} (before), leak gauge after its last cycle:", self.path.display());
        for r in self.replay.scenarios() {
            let state = if r.raised().iter().any(|x| *x) { "RAISED" } else { "down" };
            let _ = writeln!(out, "  {} ({} cycles): {} -> {state}", r.scenario, r.cycles, r.gauge_line());
        }
    }
}

/// What `analyze` made of its recordings.
#[derive(Debug)]
pub struct Analyzed {
    /// The scenarios replayed, in the order they first appeared.
    pub replay: Replay,
    /// The page model, when `--html` asked for one.
    pub soak: Option<Soak>,
    /// JSON-lines lines that are not recorded cycles (cut short, too long, a bad value), skipped.
    pub skipped: usize,
}

/// `analyze FILE…`: replays `files` in the order given as one soak (each scenario's cycles go on from file
/// to file), writing each cycle's report to `out` as it is judged (`out` closed early, `| head`, is not an
/// error). A skipped line goes to `skipped_line` once `out` is flushed. `Err` is the first file that
/// cannot be read as a recording, with its path.
pub fn replay_files(
    files: &[PathBuf],
    settings: Analysis,
    html: bool,
    out: &mut impl Write,
    mut skipped_line: impl FnMut(&Path, ReadError),
) -> Result<Analyzed, (PathBuf, ReadError)> {
    let mut soak = html.then(|| Soak::new(settings.clone(), Keep::Thinned));
    let mut replay = Replay::new(settings);
    let mut skipped = 0usize;
    for file in files {
        let read = crate::recording::read_path(file, |entry| match entry {
            Entry::Cycle { scenario, batch_size, cycle } => {
                let (n, judged) = replay.judge(scenario, batch_size, cycle);
                let _ = writeln!(out, "=== {} cycle {n}\n{}", judged.scenario, judged.report);
                if let Some(soak) = soak.as_mut() {
                    soak.push(&judged);
                }
            }
            Entry::Skipped(e) => {
                skipped += 1;
                let _ = out.flush();
                skipped_line(file, e);
            }
        });
        read.map_err(|e| (file.clone(), e))?;
    }
    Ok(Analyzed { replay, soak, skipped })
}

impl Analyzed {
    /// The text after the cycles' reports: each scenario's gauge after the last cycle and its history, the
    /// lines skipped, and the baseline's gauges when there is one.
    pub fn summary(&self, out: &mut impl Write, baseline: Option<&Baseline>) {
        let replayed = self.replay.scenarios();
        let _ = writeln!(out, "Leak gauge after the last cycle:");
        for r in replayed {
            let state = if r.any_raised() { "RAISED" } else { "down" };
            let _ = writeln!(out, "  {} ({} cycles): {} -> {state}", r.scenario, r.cycles, r.gauge_line());
        }
        let _ = writeln!(out, "Leak gauge history:");
        for r in replayed {
            let _ = writeln!(out, "  {}: {}", r.scenario, r.history_line());
        }
        if self.skipped > 0 {
            let _ = writeln!(
                out,
                "Skipped {} line(s) that are not recorded cycles (cut short, too long or a bad value); see the warnings on stderr",
                self.skipped
            );
        }
        if let Some(before) = baseline {
            before.summary(out);
        }
    }
}
