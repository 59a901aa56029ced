//! One cycle of one scenario: warmup and measured batches, each followed by a memory sample, then the
//! judgement ([`Judge`]).

use super::judge::Judge;
use super::observer::{Activity, Observer};
use super::record::{BatchRecord, Context, CycleEnd, EndpointTraffic, Idle, Judged};
use super::traffic::EndpointCounter;
use crate::analyze::Phase;
use crate::load::{self, Client};
use crate::memory::{self, Reading, Sampler};
use crate::settings::{Analysis, Cycle, Scenario, Settings};
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
    settings: &Settings,
    sampler: &mut Sampler,
    endpoints: Option<&EndpointCounter>,
    observer: &dyn Observer,
    last_sample: &mut Option<(u64, Instant)>,
    sent: &mut u64,
) -> Judged {
    let span = tracing::info_span!(
        "cycle",
        scenario = %lane.scenario.name,
        verdict = tracing::field::Empty,
        growth_bytes = tracing::field::Empty,
        slope_bytes_per_request = tracing::field::Empty,
    );
    let (cycle, analysis) = (&settings.cycle, &settings.analysis);
    let started = Instant::now();
    // With a `self` source the endpoints' serving is measured too: count what they answered meanwhile.
    let endpoints = endpoints.filter(|_| sampler.measures_itself()).map(|c| (c, c.total()));
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
    *sent = sent.saturating_add(batches.iter().map(|b| b.requests).sum());
    let redirect = lane.client.take_redirect();
    let endpoints = endpoints.map(|(counter, from)| EndpointTraffic {
        requests: counter.total().saturating_sub(from),
        seconds: started.elapsed().as_secs_f64(),
    });
    let context = Context { idle, sent: Some(*sent), limit_bytes: sampler.memory_limit(), redirect, endpoints };
    let mut judged = lane.judge.judge_after(context, cycle.batch_size, analysis, batches, end);
    judged.duration = started.elapsed();
    span.record("verdict", judged.analysis.verdict.as_str());
    span.record("growth_bytes", judged.analysis.growth_bytes);
    span.record("slope_bytes_per_request", judged.analysis.slope_bytes_per_request);
    observer.cycle(&judged);
    judged
}

/// The batches of one cycle: the fixed warm-up, then the measured batches. At start and after a restart
/// (the judge is settling), measured batches that caught the target still settling
/// ([`crate::analyze::settle::still_settling`]) become warm-up and another set is measured, up to
/// `cycle.max_settle_batches` more warm-up batches.
async fn run_batches(
    lane: &Lane,
    cycle: &Cycle,
    analysis: &Analysis,
    sampler: &mut Sampler,
    observer: &dyn Observer,
) -> (Vec<BatchRecord>, CycleEnd) {
    let mut extension = if lane.judge.settling() { cycle.max_settle_batches } else { 0 };
    let mut batches = Vec::with_capacity((cycle.warmup_batches + cycle.measure_batches) as usize);
    let mut step = (Phase::Warmup, Activity::Warmup, cycle.warmup_batches);
    loop {
        let from = batches.len();
        for index in 0..step.2 {
            match run_batch(lane, cycle, sampler, observer, step.0, step.1, index).await {
                Ok(record) => batches.push(record),
                Err(end) => return (batches, end),
            }
        }
        if step.0 == Phase::Warmup {
            step = (Phase::Measure, Activity::Measure, cycle.measure_batches);
            continue;
        }
        if extension == 0 || !still_settling(&batches, from, analysis) {
            return (batches, CycleEnd::Completed);
        }
        // Still settling: these batches were warm-up after all; measure another set.
        batches[from..].iter_mut().for_each(|b| b.phase = Phase::Warmup);
        extension = extension.saturating_sub(cycle.measure_batches);
    }
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

/// Whether the measured batches from `from` on caught the target still settling (the batches before are
/// the warm-up).
fn still_settling(batches: &[BatchRecord], from: usize, analysis: &Analysis) -> bool {
    let (warmup, block) = batches.split_at(from);
    let samples = |b: &[BatchRecord]| b.iter().map(BatchRecord::sample).collect::<Vec<_>>();
    crate::analyze::settle::still_settling(&samples(warmup), &samples(block), analysis)
}

fn as_attribute(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One batch: load, then a memory sample, traced as a `batch` span. `Err` ends the cycle (restart or
/// failed source).
async fn run_batch(
    lane: &Lane,
    cycle: &Cycle,
    sampler: &mut Sampler,
    observer: &dyn Observer,
    phase: Phase,
    activity: Activity,
    index: u64,
) -> Result<BatchRecord, CycleEnd> {
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
    let record = sample_batch(lane, cycle, sampler, observer, phase).instrument(span.clone()).await?;
    // Signed: OTLP has no unsigned integer, and u64 attributes would be sent as strings.
    span.record("requests", as_attribute(record.requests));
    span.record("errors", as_attribute(record.errors));
    span.record("memory_bytes", as_attribute(record.memory_bytes));
    Ok(record)
}

/// The load of one batch, then its memory sample.
async fn sample_batch(
    lane: &Lane,
    cycle: &Cycle,
    sampler: &mut Sampler,
    observer: &dyn Observer,
    phase: Phase,
) -> Result<BatchRecord, CycleEnd> {
    let stats = load::run_batch(&lane.client, cycle.batch_size, lane.scenario.concurrency).await;
    let reading = outcome(lane, observer, sampler.sample().await)?;
    let record = BatchRecord::new(phase, reading.bytes, stats.requests, &stats.errors)
        .with_expected(&stats.expected)
        .with_extras(reading.resources, reading.breakdown);
    observer.batch(lane.scenario.name.as_str(), &record, &stats);
    Ok(record)
}
