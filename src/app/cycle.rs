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
pub async fn run(
    lane: &mut Lane,
    cycle: &Cycle,
    analysis: &Analysis,
    sampler: &mut Sampler,
    observer: &dyn Observer,
) -> Judged {
    let started = Instant::now();
    let (batches, end) = run_batches(lane, cycle, sampler, observer).await;
    observer.activity(lane.scenario.name.as_str(), Activity::Idle, 0);
    let mut judged = judge(lane, cycle, analysis, batches, end);
    judged.duration = started.elapsed();
    observer.cycle(&judged);
    judged
}

async fn run_batches(
    lane: &Lane,
    cycle: &Cycle,
    sampler: &mut Sampler,
    observer: &dyn Observer,
) -> (Vec<BatchRecord>, CycleEnd) {
    let name = lane.scenario.name.as_str();
    let plan = [
        (Phase::Warmup, Activity::Warmup, cycle.warmup_batches),
        (Phase::Measure, Activity::Measure, cycle.measure_batches),
    ];
    let mut batches = Vec::with_capacity((cycle.warmup_batches + cycle.measure_batches) as usize);
    for (phase, activity, count) in plan {
        for index in 0..count {
            observer.activity(name, activity, index);
            let stats = load::run_batch(&lane.client, cycle.batch_size, lane.scenario.concurrency).await;
            match sampler.sample().await {
                Ok(reading) if reading.restarted => {
                    observer.restart(name);
                    return (batches, CycleEnd::Restarted);
                }
                Ok(reading) => {
                    observer.source(name, Ok(()));
                    let record = BatchRecord::new(phase, reading.bytes, stats.requests, &stats.errors);
                    observer.batch(name, &record, &stats);
                    batches.push(record);
                }
                Err(e) => {
                    let reason = e.to_string();
                    observer.source(name, Err(&reason));
                    return (batches, CycleEnd::SourceFailed(reason));
                }
            }
        }
    }
    (batches, CycleEnd::Completed)
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
