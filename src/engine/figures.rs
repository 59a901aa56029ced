//! What a judged cycle concluded, in the shape recordings and `/status` show it.

use super::record::{CycleEnd, Judged};
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// What the judgement across cycles added (a dismissed rise, a changed rate, how the warm-up went).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Warm-up batches of the cycle: `warmup_batches`, or more when it waited for memory to settle.
    pub warmup_batches: usize,
    pub initial_avg_bytes: f64,
    pub final_avg_bytes: f64,
    pub growth_bytes: f64,
    pub growth_ratio: f64,
    pub noise_cv_ratio: f64,
    pub slope_bytes_per_request: f64,
    pub slope_p_value: f64,
    pub errors: u64,
    /// How the measured requests ended, by kind (`answered`, the outcomes the scenario's failure path
    /// expects, `failed`), when the path expected any (docs/failure-paths.md); left out otherwise.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub outcomes: BTreeMap<String, u64>,
    /// Failed share of the measured requests (0 when none were sent); above `max_error_ratio` the cycle
    /// was not judged, and `summary` says why.
    pub error_ratio: f64,
    pub duration_seconds: f64,
    pub finished_at: f64,
    /// What the cycle concluded about each resource read beside memory; left out when none was judged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceFigures>,
}

/// One resource of a judged cycle (docs/recording.md#what-writers-add).
#[derive(Debug, Clone, Serialize)]
pub struct ResourceFigures {
    /// `open_fds`, `sockets`, `threads`, `tasks`, or a name of `memory.resource_metrics`.
    pub resource: String,
    /// The count after the first and the last measured batch.
    pub first: f64,
    pub last: f64,
    /// Theil–Sen slope against cumulative requests, and its one-sided Mann–Kendall p.
    pub slope_per_request: f64,
    pub p_value: f64,
    /// The rules that fired for it (`slope`, `tail`, `trend`), with their messages.
    pub findings: Vec<FindingRecord>,
    /// The resource's leak gauge after the cycle.
    pub leak_detected: bool,
}

/// A rule that fired, with its message.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRecord {
    pub rule: &'static str,
    pub message: String,
    /// Whether it counts for the leak gauge yet (confirmation, docs/analysis.md#the-leak-gauge).
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
            notes: a.notes.clone(),
            warmup_batches: j.batches.iter().filter(|b| b.phase == crate::analyze::Phase::Warmup).count(),
            initial_avg_bytes: a.initial_avg,
            final_avg_bytes: a.final_avg,
            growth_bytes: a.growth_bytes,
            growth_ratio: a.growth_ratio,
            noise_cv_ratio: a.noise_cv,
            slope_bytes_per_request: a.slope_bytes_per_request,
            slope_p_value: a.slope_p_value,
            errors: a.errors,
            outcomes: super::record::measured_outcomes(&j.batches),
            error_ratio: if a.requests == 0 { 0.0 } else { a.errors as f64 / a.requests as f64 },
            duration_seconds: j.duration.as_secs_f64(),
            finished_at: j.finished_at,
            resources: j.resources.iter().map(|c| resource_figures(j, c)).collect(),
        }
    }
}

fn resource_figures(j: &Judged, c: &crate::analyze::ResourceCycle) -> ResourceFigures {
    ResourceFigures {
        resource: c.resource.clone(),
        first: c.first,
        last: c.last,
        slope_per_request: c.slope_per_request,
        p_value: c.p_value,
        findings: c
            .findings
            .iter()
            .map(|f| FindingRecord { rule: f.rule.as_str(), message: f.message.clone(), confirmed: f.confirmed })
            .collect(),
        leak_detected: j.resources_raised.get(&c.resource).copied().unwrap_or(false),
    }
}
