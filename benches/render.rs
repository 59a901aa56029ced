//! Cost of rendering `/metrics` (`Metrics::render`, the whole text exposition) with the four default
//! scenarios after realistic traffic: every scenario has been through warmup and measured batches of 100
//! requests (latency and, for streaming scenarios, time-to-first-token histograms of ~100 values each) and a
//! judged cycle. Goal < 100 µs per render.
//!
//! Besides the full render, a few parts are timed on their own, to show where the time goes:
//! - `process_collector`: gathering only leaksoak's own `process_*` metrics (the collector `Metrics::new`
//!   registers, `leaksoak::metrics::process`), which reads `/proc/self/stat` and `/proc/self/fd` on every
//!   render;
//! - `no_scenarios`: the render before any scenario is configured (process metrics + build info + reload).

use criterion::{Criterion, criterion_group, criterion_main};
use leaksoak::analyze::Phase;
use leaksoak::engine::{Activity, BatchRecord, CycleEnd, Judge, Observer};
use leaksoak::failure::ErrorKind;
use leaksoak::load::{BatchStats, Outcome};
use leaksoak::metrics::Metrics;
use leaksoak::settings::Analysis;
use prometheus::Registry;
use std::hint::black_box;
use std::time::Duration;

const SCENARIOS: [(&str, bool); 4] = [
    ("sync-non-streaming", false),
    ("sync-streaming", true),
    ("async-non-streaming", false),
    ("async-streaming", true),
];
const BATCH: u64 = 100;

/// One batch of `BATCH` requests: latencies spread over 2–60 ms (deterministic), 2 % failures.
fn batch_stats(stream: bool, seed: u64) -> BatchStats {
    let mut stats = BatchStats::new();
    for i in 0..BATCH {
        let jitter = (i * 7919 + seed * 104_729) % 1000;
        let latency = Duration::from_micros(2_000 + jitter * 58);
        let result = match i % 50 {
            7 => Err(ErrorKind::Status),
            31 => Err(ErrorKind::Timeout),
            _ => Ok(()),
        };
        let time_to_first_token = stream.then(|| latency / 5);
        stats.record(&Outcome { latency, time_to_first_token, bytes: 600, result, expected: None });
    }
    stats
}

/// A 50 MiB process leaking ~1 KiB per request, with a page-sized wobble.
fn memory(batch: u64) -> u64 {
    50 * 1_048_576 + batch * BATCH * 1024 + (batch * 7919 % 13) * 4096
}

/// `Metrics` as the daemon has it after one default cycle of every default scenario.
fn fed_metrics() -> Metrics {
    let m = Metrics::new("0.1.0-bench", "bench");
    let names: Vec<String> = SCENARIOS.iter().map(|(n, _)| (*n).to_owned()).collect();
    m.configured(&names);
    m.reloaded(true);
    let settings = Analysis::default();
    for (name, stream) in SCENARIOS {
        let mut judge = Judge::new(name);
        let mut records = Vec::new();
        for (phase, activity, count) in
            [(Phase::Warmup, Activity::Warmup, 3u64), (Phase::Measure, Activity::Measure, 10)]
        {
            for b in 0..count {
                m.activity(name, activity, b);
                let stats = batch_stats(stream, records.len() as u64);
                let record = BatchRecord::new(phase, memory(records.len() as u64), stats.requests, &stats.errors);
                m.source(name, Ok(()));
                m.batch(name, &record, &stats);
                records.push(record);
            }
        }
        let mut judged = judge.judge(BATCH, &settings, records, CycleEnd::Completed);
        judged.duration = Duration::from_millis(1234);
        m.cycle(&judged);
        m.activity(name, Activity::Idle, 0);
    }
    m
}

fn render(c: &mut Criterion) {
    let metrics = fed_metrics();
    let text = metrics.render();
    let text_str = String::from_utf8_lossy(&text);
    let families = text_str.lines().filter(|l| l.starts_with("# TYPE")).count();
    let process = text_str.lines().filter(|l| l.starts_with("process_")).count();
    eprintln!("render: {families} families, {process} process_* lines");
    let series = text.split(|&b| b == b'\n').filter(|l| !l.is_empty() && l[0] != b'#').count();
    eprintln!("render: {} bytes, {series} series (4 default scenarios, one judged cycle each)", text.len());

    let mut group = c.benchmark_group("metrics_render");
    group.bench_function("four_scenarios", |b| b.iter(|| black_box(metrics.render())));
    // What a `/metrics` request costs: the body rendered at most once per SCRAPE_CACHE_TTL.
    group.bench_function("scrape_cached", |b| b.iter(|| black_box(metrics.scrape())));

    let empty = Metrics::new("0.1.0-bench", "bench");
    empty.configured(&[]);
    group.bench_function("no_scenarios", |b| b.iter(|| black_box(empty.render())));

    let process = Registry::new();
    process.register(Box::new(leaksoak::metrics::process::ProcessCollector::new())).unwrap();
    group.bench_function("process_collector_gather", |b| b.iter(|| black_box(process.gather())));

    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
