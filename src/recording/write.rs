//! Writing recorded soaks: the `once --json` document and the `run --record` JSON lines.

use crate::app::{BatchRecord, CycleEnd, Judged, Observer};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// One scenario's recorded cycles.
#[derive(Debug, Serialize)]
struct Recording<'a> {
    scenario: &'a str,
    batch_size: u64,
    cycles: Vec<Cycle<'a>>,
}

/// One cycle: its batches and what was concluded.
#[derive(Debug, Serialize)]
struct Cycle<'a> {
    batches: &'a [BatchRecord],
    #[serde(flatten)]
    figures: Figures,
}

/// What a judged cycle concluded, as recordings and `/status` show it.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// `completed`, `source_failed` or `restarted`.
    pub end: &'static str,
    pub verdict: &'static str,
    /// The rules that fired.
    pub rules: Vec<&'static str>,
    /// The rules that fired, with their messages and whether they count for the gauge yet.
    pub findings: Vec<FindingRecord>,
    /// One line saying what the verdict means.
    pub summary: String,
    pub initial_avg_bytes: f64,
    pub final_avg_bytes: f64,
    pub growth_bytes: f64,
    pub growth_ratio: f64,
    pub noise_cv_ratio: f64,
    pub slope_bytes_per_request: f64,
    pub slope_p_value: f64,
    pub errors: u64,
    pub duration_seconds: f64,
    pub finished_at: f64,
}

/// A rule that fired, with its message.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRecord {
    pub rule: &'static str,
    pub message: String,
    /// Whether it counts for the leak gauge yet (confirmation, SPEC §4.5).
    pub confirmed: bool,
}

/// The spelling of a cycle's end in recordings.
fn end_name(end: &CycleEnd) -> &'static str {
    match end {
        CycleEnd::Completed => "completed",
        CycleEnd::SourceFailed(_) => "source_failed",
        CycleEnd::Restarted => "restarted",
    }
}

impl Figures {
    pub fn new(j: &Judged) -> Self {
        let a = &j.analysis;
        Self {
            end: end_name(&j.end),
            verdict: a.verdict.as_str(),
            rules: a.findings.iter().map(|f| f.rule.as_str()).collect(),
            findings: a
                .findings
                .iter()
                .map(|f| FindingRecord { rule: f.rule.as_str(), message: f.message.clone(), confirmed: f.confirmed })
                .collect(),
            summary: a.summary.clone(),
            initial_avg_bytes: a.initial_avg,
            final_avg_bytes: a.final_avg,
            growth_bytes: a.growth_bytes,
            growth_ratio: a.growth_ratio,
            noise_cv_ratio: a.noise_cv,
            slope_bytes_per_request: a.slope_bytes_per_request,
            slope_p_value: a.slope_p_value,
            errors: a.errors,
            duration_seconds: j.duration.as_secs_f64(),
            finished_at: j.finished_at,
        }
    }
}

fn recording(j: &Judged) -> Recording<'_> {
    Recording {
        scenario: &j.scenario,
        batch_size: j.batch_size,
        cycles: vec![Cycle { batches: &j.batches, figures: Figures::new(j) }],
    }
}

/// The `once --json` document: a list with one object per scenario, each holding its one cycle.
pub fn once_json(judged: &[Judged]) -> String {
    let doc: Vec<Recording<'_>> = judged.iter().map(recording).collect();
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// One `run --record` line: the object of one scenario with one cycle, newline-terminated.
fn line(j: &Judged) -> String {
    let mut text = serde_json::to_string(&recording(j)).unwrap_or_default();
    text.push('\n');
    text
}

/// `run --record FILE`: appends every finished cycle as one JSON line, flushed at once, never rewriting
/// what is there (a week-long soak can be replayed with `analyze`).
#[derive(Debug)]
pub struct Recorder {
    /// The file, opened for appending.
    file: Mutex<std::fs::File>,
}

impl Recorder {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self { file: Mutex::new(file) })
    }
}

impl Observer for Recorder {
    fn cycle(&self, j: &Judged) {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = file.write_all(line(j).as_bytes()).and_then(|()| file.flush()) {
            tracing::error!(error = %e, "cannot append the cycle to the record file");
        }
    }
}
