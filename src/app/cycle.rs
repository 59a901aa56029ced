//! One cycle of one scenario: warmup and measured batches, each followed by a memory sample, then the
//! judgement (analysis, trend, gauge) and the report.

use super::observer::{Activity, Observer};
use super::record::{BatchRecord, CycleEnd, Judged, measured_samples};
use crate::analyze::{self, CycleAnalysis, Gauge, Phase, Rule, Trend};
use crate::load::{self, Client};
use crate::memory::Sampler;
use crate::settings::{Analysis, Cycle, Scenario};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tracing::Instrument as _;

/// A scenario and the state it keeps across cycles.
#[derive(Debug)]
pub struct Lane {
    /// What load to send where.
    pub scenario: Scenario,
    /// Its connection pool, reused by every batch of every cycle.
    pub client: Arc<Client>,
    /// Final averages of its recent cycles, for the trend rule.
    pub trend: Trend,
    /// Its leak gauge (confirmation and latch).
    pub gauge: Gauge,
}

impl Lane {
    pub fn new(scenario: Scenario, client: Client) -> Self {
        Self { scenario, client: Arc::new(client), trend: Trend::new(), gauge: Gauge::new() }
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
) -> Judged {
    let span = tracing::info_span!(
        "cycle",
        scenario = %lane.scenario.name,
        verdict = tracing::field::Empty,
        growth_bytes = tracing::field::Empty,
        slope_bytes_per_request = tracing::field::Empty,
    );
    let started = Instant::now();
    let (batches, end) = run_batches(lane, cycle, sampler, observer).instrument(span.clone()).await;
    observer.activity(lane.scenario.name.as_str(), Activity::Idle, 0);
    let mut judged = judge(lane, cycle, analysis, batches, end);
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
    sampler: &mut Sampler,
    observer: &dyn Observer,
) -> (Vec<BatchRecord>, CycleEnd) {
    let plan = [
        (Phase::Warmup, Activity::Warmup, cycle.warmup_batches),
        (Phase::Measure, Activity::Measure, cycle.measure_batches),
    ];
    let mut batches = Vec::with_capacity((cycle.warmup_batches + cycle.measure_batches) as usize);
    for (phase, activity, count) in plan {
        for index in 0..count {
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
    let name = lane.scenario.name.as_str();
    let stats = load::run_batch(&lane.client, cycle.batch_size, lane.scenario.concurrency).await;
    match sampler.sample().await {
        Ok(reading) if reading.restarted => {
            observer.restart(name);
            Err(CycleEnd::Restarted)
        }
        Ok(reading) => {
            observer.source(name, Ok(()));
            let record = BatchRecord::new(phase, reading.bytes, stats.requests, &stats.errors);
            observer.batch(name, &record, &stats);
            Ok(record)
        }
        Err(e) => {
            let reason = e.to_string();
            observer.source(name, Err(&reason));
            Err(CycleEnd::SourceFailed(reason))
        }
    }
}

/// Analysis, trend and gauge for a finished cycle. A discarded cycle (restart, failed source) is judged
/// `error`; a restart also forgets the trend history, so a restart is never read as a memory drop.
pub fn judge(lane: &mut Lane, cycle: &Cycle, settings: &Analysis, batches: Vec<BatchRecord>, end: CycleEnd) -> Judged {
    let samples = measured_samples(&batches);
    let mut analysis = match &end {
        CycleEnd::Completed => analyze::cycle(&samples, settings),
        CycleEnd::SourceFailed(reason) => CycleAnalysis::error(&samples, &format!("memory source failed: {reason}")),
        CycleEnd::Restarted => {
            lane.trend.reset();
            CycleAnalysis::error(&samples, "the soaked target restarted; trend history starts over")
        }
    };
    let trend = if end == CycleEnd::Completed {
        lane.trend.push(&analysis);
        lane.trend.check(settings)
    } else {
        None
    };
    analysis.findings = lane.gauge.observe(&analysis, trend.as_ref(), settings);
    let name = lane.scenario.name.to_string();
    let report = analyze::render(&name, &analysis, &samples);
    Judged {
        scenario: name,
        batch_size: cycle.batch_size,
        batches,
        end,
        analysis,
        trend,
        raised: Rule::ALL.map(|r| lane.gauge.is_raised(r)),
        duration: std::time::Duration::ZERO,
        finished_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64()),
        report,
    }
}
