//! Recorded samples (SPEC §4.6): the JSON `once --json` writes, one object per scenario, every batch of
//! every cycle, with the analysis of each cycle beside the samples.

use crate::app::{BatchRecord, Judged};
use serde::Serialize;

/// One scenario's recorded cycles.
#[derive(Debug, Serialize)]
pub struct Recording<'a> {
    pub scenario: &'a str,
    pub batch_size: u64,
    pub cycles: Vec<RecordedCycle<'a>>,
}

/// One cycle: its batches and what the analysis concluded.
#[derive(Debug, Serialize)]
pub struct RecordedCycle<'a> {
    pub batches: &'a [BatchRecord],
    pub verdict: &'static str,
    pub rules: Vec<&'static str>,
    pub findings: Vec<RecordedFinding<'a>>,
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
#[derive(Debug, Serialize)]
pub struct RecordedFinding<'a> {
    pub rule: &'static str,
    pub message: &'a str,
    pub confirmed: bool,
}

impl<'a> RecordedCycle<'a> {
    pub fn new(j: &'a Judged) -> Self {
        let a = &j.analysis;
        Self {
            batches: &j.batches,
            verdict: a.verdict.as_str(),
            rules: a.findings.iter().map(|f| f.rule.as_str()).collect(),
            findings: a
                .findings
                .iter()
                .map(|f| RecordedFinding { rule: f.rule.as_str(), message: &f.message, confirmed: f.confirmed })
                .collect(),
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

/// The `once --json` document: a list with one object per scenario, each holding its one cycle.
pub fn once_json(judged: &[Judged]) -> String {
    let doc: Vec<Recording<'_>> = judged
        .iter()
        .map(|j| Recording { scenario: &j.scenario, batch_size: j.batch_size, cycles: vec![RecordedCycle::new(j)] })
        .collect();
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
