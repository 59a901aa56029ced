//! One cycle of one scenario: warmup and measured batches, each followed by a memory sample, then the
//! judgement ([`Judge`]).

use super::judge::Judge;
use super::observer::{Activity, Observer};
use super::record::{BatchRecord, CycleEnd, Idle, Judged, warmup_samples};
use crate::analyze::Phase;
use crate::load::{self, Client};
use crate::memory::{self, Reading, Sampler};
use crate::settings::{Analysis, Cycle, Scenario};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument as _;

/// A scenario and the state it keeps across cycles.
#[derive(Debug)]
pub struct Lane {
    /// What load to send where.
    pub scenario: Scenario,
    /// Its connection pool, reused by every batch of every cycle.
    pub client: Arc<Client>,
    /// Its trend history and leak gauge.
    pub judge: Judge,
}

impl Lane {
    pub fn new(scenario: Scenario, client: Client) -> Self {
        let judge = Judge::new(scenario.name.as_str());
        Self { scenario, client: Arc::new(client), judge }
    }
}

/// Runs one cycle of `lane` and judges it. Dropping the future (on shutdown) stops the batch in flight.
///
/// Traced as a `cycle` span (scenario, verdict, growth, slope) holding one `batch` span per batch (phase,
/// index, requests, errors, memory): with `telemetry.otlp_endpoint` set they go out over OTLP.
pub async fn run(
    lane: &mut Lane,
    cycle: &Cycle,
    analysis: &Analysis,
    sampler: &mut Sampler,
    observer: &dyn Observer,
    last_sample: &mut Option<(u64, Instant)>,
) -> Judged {
    let span = tracing::info_span!(
        "cycle",
        scenario = %lane.scenario.name,
        verdict = tracing::field::Empty,
        growth_bytes = tracing::field::Empty,
        slope_bytes_per_request = tracing::field::Empty,
    );
    let started = Instant::now();
    let idle = match last_sample.take() {
        Some(from) => sample_idle(lane, sampler, observer, from).await,
        None => Ok(None),
    };
    let (idle, (batches, end)) = match idle {
        Ok(idle) => (idle, run_batches(lane, cycle, analysis, sampler, observer).instrument(span.clone()).await),
        Err(end) => (None, (Vec::new(), end)),
    };
    if end == CycleEnd::Completed {
        *last_sample = batches.last().map(|b| (b.memory_bytes, Instant::now()));
    }
    observer.activity(lane.scenario.name.as_str(), Activity::Idle, 0);
    let mut judged = lane.judge.judge_after(idle, cycle.batch_size, analysis, batches, end);
    judged.duration = started.elapsed();
    span.record("verdict", judged.analysis.verdict.as_str());
    span.record("growth_bytes", judged.analysis.growth_bytes);
    span.record("slope_bytes_per_request", judged.analysis.slope_bytes_per_request);
    observer.cycle(&judged);
    judged
}

async fn run_batches(
    lane: &Lane,
    cycle: &Cycle,
    analysis: &Analysis,
    sampler: &mut Sampler,
    observer: &dyn Observer,
) -> (Vec<BatchRecord>, CycleEnd) {
    let settle = if lane.judge.settling() { cycle.max_settle_batches } else { 0 };
    let plan = [
        (Phase::Warmup, Activity::Warmup, cycle.warmup_batches + settle),
        (Phase::Measure, Activity::Measure, cycle.measure_batches),
    ];
    let mut batches = Vec::with_capacity((cycle.warmup_batches + cycle.measure_batches) as usize);
    for (phase, activity, count) in plan {
        for index in 0..count {
            if phase == Phase::Warmup && index >= cycle.warmup_batches && settled(&batches, analysis) {
                break;
            }
            let span = tracing::info_span!(
                "batch",
                scenario = %lane.scenario.name,
                phase = phase.as_str(),
                batch = as_attribute(index),
                requests = tracing::field::Empty,
                errors = tracing::field::Empty,
                memory_bytes = tracing::field::Empty,
            );
            observer.activity(lane.scenario.name.as_str(), activity, index);
            match run_batch(lane, cycle, sampler, observer, phase).instrument(span.clone()).await {
                Ok(record) => {
                    // Signed: OTLP has no unsigned integer, and u64 attributes would be sent as strings.
                    span.record("requests", as_attribute(record.requests));
                    span.record("errors", as_attribute(record.errors));
                    span.record("memory_bytes", as_attribute(record.memory_bytes));
                    batches.push(record);
                }
                Err(end) => return (batches, end),
            }
        }
    }
    (batches, CycleEnd::Completed)
}

/// Samples memory at the end of the idle pause that began at `from` (memory, time of the last sample of the
/// cycle before). `Err` ends the cycle before its first batch (restart or failed source).
async fn sample_idle(
    lane: &Lane,
    sampler: &mut Sampler,
    observer: &dyn Observer,
    from: (u64, Instant),
) -> Result<Option<Idle>, CycleEnd> {
    // The target has been at rest for the whole pause: no settle wait before reading.
    let to_bytes = outcome(lane, observer, sampler.sample_at_rest().await)?.bytes;
    Ok(Some(Idle { from_bytes: from.0, to_bytes, seconds: from.1.elapsed().as_secs_f64() }))
}

/// A sample as the cycle sees it: the memory, or the end of the cycle (a restart, a failed read), told to
/// the observer either way.
fn outcome(lane: &Lane, observer: &dyn Observer, sample: Result<Reading, memory::Error>) -> Result<Reading, CycleEnd> {
    let name = lane.scenario.name.as_str();
    if let Ok(reading) = &sample
        && reading.churned > 0
    {
        observer.churn(name, reading.churned);
    }
    match sample {
        Ok(reading) if reading.restarted => {
            observer.restart(name);
            Err(CycleEnd::Restarted)
        }
        Ok(reading) => {
            observer.source(name, Ok(()));
            Ok(reading)
        }
        Err(e) => {
            let reason = e.to_string();
            observer.source(name, Err(&reason));
            Err(CycleEnd::SourceFailed(reason))
        }
    }
}

/// Whether the warm-up so far has settled (the batches are all warm-up batches here).
fn settled(batches: &[BatchRecord], analysis: &Analysis) -> bool {
    crate::analyze::settle::settled(&warmup_samples(batches), analysis)
}

fn as_attribute(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One batch: load, then a memory sample. `Err` ends the cycle (restart or failed source).
async fn run_batch(
    lane: &Lane,
    cycle: &Cycle,
    sampler: &mut Sampler,
    observer: &dyn Observer,
    phase: Phase,
) -> Result<BatchRecord, CycleEnd> {
    let stats = load::run_batch(&lane.client, cycle.batch_size, lane.scenario.concurrency).await;
    let reading = outcome(lane, observer, sampler.sample().await)?;
    let record = BatchRecord::new(phase, reading.bytes, stats.requests, &stats.errors)
        .with_extras(reading.resources, reading.breakdown);
    observer.batch(lane.scenario.name.as_str(), &record, &stats);
    Ok(record)
}
