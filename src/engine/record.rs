//! What a cycle leaves behind: one record per batch and the judged cycle, in the shape `once --json`
//! writes and `analyze` reads (docs/recording.md).

use crate::analyze::{CycleAnalysis, Finding, Forecast, Phase, ResourceCycle, Rule, Sample};
use crate::load::{ErrorCounts, ExpectedCounts};
use crate::memory::Breakdown;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

mod fields;

/// One batch of a cycle, warmup or measured: as written and read in recordings (the field rules in
/// `record/fields.rs`; the checks across fields, such as `errors` at most `requests`, in `recording`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "an object")]
pub struct BatchRecord {
    /// Warm-up or measured: only measured batches are analysed.
    #[serde(default = "fields::measure", deserialize_with = "fields::phase")]
    pub phase: Phase,
    /// Memory after the batch (the median of the sampler's reads), bytes.
    #[serde(deserialize_with = "fields::bytes")]
    pub memory_bytes: u64,
    /// Requests sent.
    #[serde(deserialize_with = "fields::at_least_one")]
    pub requests: u64,
    /// Requests that failed.
    #[serde(default, deserialize_with = "fields::whole")]
    pub errors: u64,
    /// Failures by kind (`connect`, `timeout`, …); kinds with no failure are left out.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "fields::lenient_counts")]
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Requests that ended as the scenario's failure path expects (a rejection, a deliberate disconnect,
    /// the proxy's timeout answer), by kind: not failures, so not in `errors` (docs/failure-paths.md);
    /// left out when there is none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "fields::lenient_counts")]
    pub expected_by_kind: BTreeMap<String, u64>,
    /// Resource counts read at the same sample point as memory (`open_fds`, `sockets`, `threads`, `tasks`,
    /// a scraped page's extra metrics); left out when the source has none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "fields::counts")]
    pub resources: BTreeMap<String, u64>,
    /// Where the memory is (anonymous, file-backed, shared), when the source can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_breakdown: Option<Breakdown>,
}

impl BatchRecord {
    pub fn new(phase: Phase, memory_bytes: u64, requests: u64, errors: &ErrorCounts) -> Self {
        let errors_by_kind = errors.iter().filter(|(_, n)| *n > 0).map(|(k, n)| (k.as_str().to_owned(), n)).collect();
        Self {
            phase,
            memory_bytes,
            requests,
            errors: errors.total(),
            errors_by_kind,
            expected_by_kind: BTreeMap::new(),
            resources: BTreeMap::new(),
            memory_breakdown: None,
        }
    }

    /// The record with the outcomes its scenario's failure path expected (kinds with none left out).
    pub fn with_expected(self, expected: &ExpectedCounts) -> Self {
        let expected_by_kind =
            expected.iter().filter(|(_, n)| *n > 0).map(|(k, n)| (k.as_str().to_owned(), n)).collect();
        Self { expected_by_kind, ..self }
    }

    /// Requests answered: neither failed nor ended in an expected failure.
    pub fn answered(&self) -> u64 {
        self.requests.saturating_sub(self.errors.saturating_add(self.expected_by_kind.values().sum()))
    }

    /// The record with what the sample read beside memory.
    pub fn with_extras(self, resources: BTreeMap<String, u64>, memory_breakdown: Option<Breakdown>) -> Self {
        Self { resources, memory_breakdown, ..self }
    }

    /// The analysis input of a batch.
    pub fn sample(&self) -> Sample {
        Sample { memory_bytes: self.memory_bytes as f64, requests: self.requests, errors: self.errors }
    }
}

/// The measured batches of a cycle as analysis samples (warmup batches left out).
pub fn measured_samples(batches: &[BatchRecord]) -> Vec<Sample> {
    batches.iter().filter(|b| b.phase == Phase::Measure).map(BatchRecord::sample).collect()
}

/// The warm-up batches of a cycle as analysis samples (what the settle test reads).
pub fn warmup_samples(batches: &[BatchRecord]) -> Vec<Sample> {
    batches.iter().filter(|b| b.phase == Phase::Warmup).map(BatchRecord::sample).collect()
}

/// Failures by kind over the measured batches of a cycle (what the error-ratio rule names).
pub fn measured_error_kinds(batches: &[BatchRecord]) -> BTreeMap<String, u64> {
    error_kinds(batches.iter().filter(|b| b.phase == Phase::Measure))
}

/// Failures by kind over `batches`.
pub fn error_kinds<'a>(batches: impl Iterator<Item = &'a BatchRecord>) -> BTreeMap<String, u64> {
    let mut kinds = BTreeMap::new();
    for (kind, n) in batches.flat_map(|b| &b.errors_by_kind) {
        let total: &mut u64 = kinds.entry(kind.clone()).or_default();
        *total = total.saturating_add(*n);
    }
    kinds
}

/// How the measured requests of a cycle ended, by kind: `answered`, each outcome its scenario's failure
/// path expects (`upstream_error`, `disconnected`, …) and `failed`; empty when the path expected none
/// (the happy path, or no expected outcome came).
pub fn measured_outcomes(batches: &[BatchRecord]) -> BTreeMap<String, u64> {
    let measured = || batches.iter().filter(|b| b.phase == Phase::Measure);
    let mut outcomes = BTreeMap::new();
    for (kind, n) in measured().flat_map(|b| &b.expected_by_kind) {
        let total: &mut u64 = outcomes.entry(kind.clone()).or_default();
        *total = total.saturating_add(*n);
    }
    if outcomes.is_empty() {
        return outcomes;
    }
    outcomes.insert("answered".to_owned(), measured().map(BatchRecord::answered).sum());
    outcomes.insert("failed".to_owned(), measured().map(|b| b.errors).sum());
    outcomes
}

/// The report's line of [`measured_outcomes`] (`Outcomes:    812 answered, 188 upstream_error, 0 failed`);
/// empty when there are none.
pub fn outcomes_line(batches: &[BatchRecord]) -> String {
    let outcomes = measured_outcomes(batches);
    if outcomes.is_empty() {
        return String::new();
    }
    let order = |k: &str| match k {
        "answered" => 0,
        "failed" => 2,
        _ => 1,
    };
    let mut kinds: Vec<(&String, &u64)> = outcomes.iter().collect();
    kinds.sort_by_key(|(k, _)| order(k));
    let parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!("Outcomes:    {} (expected outcomes of the path are not failures)\n", parts.join(", "))
}

/// `report` (a cycle's text report) with [`outcomes_line`] after its `Requests:` line (at its end when it
/// has none).
pub fn with_outcomes(mut report: String, batches: &[BatchRecord]) -> String {
    let line = outcomes_line(batches);
    let at = report.find("\nRequests:").and_then(|i| report[i + 1..].find('\n').map(|j| i + j + 2));
    report.insert_str(at.unwrap_or(report.len()), &line);
    report
}

/// The idle pause before a cycle, sampled at both ends: memory after the last batch of the cycle before
/// (whichever scenario ran it) and just before this cycle's first batch, with no request in between.
/// Growth here follows the clock, not requests (docs/analysis.md#requests-or-the-clock).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "an object")]
pub struct Idle {
    /// Memory when the pause began, bytes.
    #[serde(deserialize_with = "fields::bytes")]
    pub from_bytes: u64,
    /// Memory when it ended, bytes.
    #[serde(deserialize_with = "fields::bytes")]
    pub to_bytes: u64,
    /// Its length, seconds.
    #[serde(deserialize_with = "fields::number")]
    pub seconds: f64,
}

impl Idle {
    /// Memory gained during the pause (negative when some was given back), bytes.
    pub fn growth(&self) -> f64 {
        self.to_bytes as f64 - self.from_bytes as f64
    }

    /// [`Idle::growth`] per second (0 for a pause too short to tell).
    pub fn growth_per_second(&self) -> f64 {
        if self.seconds > 0.001 { self.growth() / self.seconds } else { 0.0 }
    }
}

/// The requests leaksoak's own endpoints answered during one cycle, counted when the memory source measures
/// leaksoak itself (`self`, `self-heap`), whose process serves them ([`super::EndpointCounter`]); recorded
/// with the cycle as `endpoints` (docs/recording.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "an object")]
pub struct EndpointTraffic {
    /// Requests answered from the cycle's start to its last sample.
    #[serde(deserialize_with = "fields::whole")]
    pub requests: u64,
    /// That span, seconds.
    #[serde(deserialize_with = "fields::number")]
    pub seconds: f64,
}

impl EndpointTraffic {
    /// Requests a second over the span (0 for a span too short to tell).
    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.requests as f64 / self.seconds } else { 0.0 }
    }
}

/// What the engine knows of the target beyond a cycle's batches, for its judge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// The idle pause before the cycle, when the cycle before it ended with a sample.
    pub idle: Option<Idle>,
    /// Requests the target had received from every scenario when the cycle ended (warm-up included);
    /// None: the judge counts its own scenario's only.
    pub sent: Option<u64>,
    /// The target's memory limit read from the source (the cgroup's `memory.max`), bytes; the
    /// `analysis.forecast_memory_limit_bytes` setting wins over it.
    pub limit_bytes: Option<u64>,
    /// Where the target redirected during the cycle (`301 Moved Permanently to URL`), which the load does
    /// not follow: a cycle of mostly redirects says so in its summary. None in a replay.
    pub redirect: Option<String>,
    /// The requests leaksoak's own endpoints answered during the cycle, when the source measures leaksoak
    /// itself: heavy traffic marks the cycle ([`crate::analyze::own_traffic`]).
    pub endpoints: Option<EndpointTraffic>,
}

/// How a cycle ended, before analysis.
#[derive(Debug, Clone, PartialEq)]
pub enum CycleEnd {
    /// Every batch ran and was sampled.
    Completed,
    /// A memory read failed; the cycle stopped at that batch.
    SourceFailed(String),
    /// The soaked target restarted; the cycle is discarded and the trend history starts over.
    Restarted,
}

/// One finished cycle of one scenario, judged.
#[derive(Debug, Clone)]
pub struct Judged {
    /// Scenario name.
    pub scenario: String,
    /// Requests per batch as configured.
    pub batch_size: u64,
    /// Every batch that ran, in order.
    pub batches: Vec<BatchRecord>,
    /// How the cycle ended.
    pub end: CycleEnd,
    /// The idle pause before the cycle, when the cycle before it ended with a sample.
    pub idle: Option<Idle>,
    /// The requests leaksoak's own endpoints answered during the cycle, when the source measures leaksoak.
    pub endpoints: Option<EndpointTraffic>,
    /// The analysis, with findings marked confirmed or not by the scenario's gauge.
    pub analysis: CycleAnalysis,
    /// The trend finding, when the trend rule fired after this cycle (also among `analysis.findings`).
    pub trend: Option<Finding>,
    /// The scenario's leak gauge after this cycle, per rule (indexed by `Rule::index`):
    /// `leaksoak_leak_detected{rule}`.
    pub raised: [bool; Rule::COUNT],
    /// Per rule, consecutive cycles it fired up to this one (its confirmation streak), indexed by
    /// `Rule::index`: `leaksoak_leak_streak{rule}`.
    pub streaks: [u32; Rule::COUNT],
    /// When the scenario's gauge last rose from all rules down (Unix seconds), 0 while it is down.
    pub raised_since: f64,
    /// Wall time of the cycle.
    pub duration: Duration,
    /// End of the cycle, seconds since the Unix epoch.
    pub finished_at: f64,
    /// The text report of the cycle (docs/analysis.md#the-report).
    pub report: String,
    /// What the cycle concluded about each resource read beside memory, its findings marked confirmed
    /// or not (empty when none was read, or the cycle was not judged).
    pub resources: Vec<ResourceCycle>,
    /// The scenario's resource leak gauges after this cycle: `leaksoak_resource_leak_detected{resource}`.
    pub resources_raised: BTreeMap<String, bool>,
    /// While the memory gauge is raised: the leak's rate per request and what it means in production
    /// (docs/analysis.md#how-long-until-it-falls-over).
    pub forecast: Option<Forecast>,
}

impl Judged {
    /// The resources whose leak gauge is raised after this cycle, by name: each a confirmed resource leak.
    pub fn leaking_resources(&self) -> Vec<&str> {
        self.resources_raised.iter().filter(|(_, raised)| **raised).map(|(name, _)| name.as_str()).collect()
    }

    /// Whether the cycle ends in a leak: memory's verdict is `leak`, or a resource's leak is confirmed.
    pub fn leaks(&self) -> bool {
        self.analysis.verdict == crate::analyze::Verdict::Leak || !self.leaking_resources().is_empty()
    }

    /// The verdict of memory and resources together, naming what leaks: `stable`, `leak (memory)`,
    /// `leak (memory, sockets)`, `leak (open file descriptors, sockets; memory stable)`. What `once` prints last for each scenario
    /// and its JUnit failure says.
    pub fn verdict_line(&self) -> String {
        let resources: Vec<String> =
            self.leaking_resources().into_iter().map(|r| crate::analyze::resources::describe(r).0).collect();
        let memory = self.analysis.verdict;
        match (memory == crate::analyze::Verdict::Leak, resources.is_empty()) {
            (true, true) => "leak (memory)".to_owned(),
            (false, true) => memory.to_string(),
            (true, false) => format!("leak (memory, {})", resources.join(", ")),
            (false, false) => format!("leak ({}; memory {memory})", resources.join(", ")),
        }
    }
}
