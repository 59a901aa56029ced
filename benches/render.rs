//! Cost of rendering `/metrics` (`Metrics::render`, the whole text exposition) with the four default
//! scenarios after realistic traffic: every scenario has been through warmup and measured batches of 100
//! requests (latency and, for streaming scenarios, time-to-first-token histograms of ~100 values each) and a
//! judged cycle. Goal < 100 µs per render.
//!
//! Besides the full render, a few parts are timed on their own, to show where the time goes:
//! - `process_collector`: gathering only leaksoak's own `process_*` metrics (the collector `Metrics::new`
//!   registers, `leaksoak::export::process`), which reads `/proc/self/stat` and `/proc/self/fd` on every
//!   render;
//! - `no_scenarios`: the render before any scenario is configured (process metrics + build info + reload);
//! - `text_encode_only`: leaksoak's encoder (`leaksoak::export::encode`) alone on the gathered families of an
//!   equivalent registry, and `text_encode_only_crate_encoder` the `prometheus` crate's `TextEncoder` on
//!   the same families (both write the same bytes).

use criterion::{Criterion, criterion_group, criterion_main};
use leaksoak::analyze::{Phase, Rule, Verdict};
use leaksoak::engine::{Activity, BatchRecord, CycleEnd, Judge, Observer};
use leaksoak::export::Metrics;
use leaksoak::load::{BatchStats, ErrorKind, Outcome};
use leaksoak::settings::Analysis;
use prometheus::{Encoder, Registry, TextEncoder};
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
        stats.record(&Outcome { latency, time_to_first_token, bytes: 600, result });
    }
    stats
}

/// A 50 MiB process leaking ~1 KiB per request, with a page-sized wobble.
fn memory(batch: u64) -> u64 {
    50 * 1_048_576 + batch * BATCH * 1024 + (batch * 7919 % 13) * 4096
}

/// `Metrics` as the daemon has it after one default cycle of every default scenario.
fn fed_metrics() -> Metrics {
    let m = Metrics::new("0.1.0-bench");
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

    let empty = Metrics::new("0.1.0-bench");
    empty.configured(&[]);
    group.bench_function("no_scenarios", |b| b.iter(|| black_box(empty.render())));

    let process = Registry::new();
    process.register(Box::new(leaksoak::export::process::ProcessCollector::new())).unwrap();
    group.bench_function("process_collector_gather", |b| b.iter(|| black_box(process.gather())));

    // The same families as the full render, minus the process collector, re-created from the text so the
    // encoder alone can be timed: a registry of identical shape (names, label sets, histogram buckets).
    let families = fed_registry_without_process().gather();
    let twin: usize = families.iter().map(|f| f.get_metric().len()).sum();
    eprintln!("twin registry (no process metrics): {} families, {twin} metrics", families.len());
    group.bench_function("text_encode_only", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(16 * 1024);
            leaksoak::export::encode::encode(black_box(&families), &mut out);
            black_box(out)
        })
    });
    group.bench_function("text_encode_only_crate_encoder", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(16 * 1024);
            TextEncoder::new().encode(black_box(&families), &mut out).unwrap();
            black_box(out)
        })
    });
    group.bench_function("gather_only_without_process", |b| {
        let r = fed_registry_without_process();
        b.iter(|| black_box(r.gather()))
    });
    group.finish();
}

/// A registry shaped like `Metrics` after `fed_metrics` (same families, label sets and histogram buckets),
/// without the process collector: `Metrics` keeps its registry private, so gather and encode are timed on
/// this twin.
fn fed_registry_without_process() -> Registry {
    use prometheus::{GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts};
    let r = Registry::new();
    let gauge = |name: &str, labels: &[&str]| {
        let g = GaugeVec::new(Opts::new(name, "help text of about this length").namespace("leaksoak"), labels).unwrap();
        r.register(Box::new(g.clone())).unwrap();
        g
    };
    let counter = |name: &str, labels: &[&str]| {
        let c = IntCounterVec::new(Opts::new(name, "help text of about this length").namespace("leaksoak"), labels)
            .unwrap();
        r.register(Box::new(c.clone())).unwrap();
        c
    };
    let histogram = |name: &str| {
        let opts = HistogramOpts::new(name, "help text of about this length")
            .namespace("leaksoak")
            .buckets(leaksoak::export::metrics::LATENCY_BUCKETS.to_vec());
        let h = HistogramVec::new(opts, &["scenario"]).unwrap();
        r.register(Box::new(h.clone())).unwrap();
        h
    };
    let phases = Phase::ALL.map(Phase::as_str);
    let verdicts = Verdict::ALL.map(Verdict::as_str);
    let rules = Rule::ALL.map(Rule::as_str);
    let kinds = ErrorKind::ALL.map(ErrorKind::as_str);
    let activities = Activity::ALL.map(Activity::as_str);
    let batch_memory = gauge("batch_memory_bytes", &["scenario", "phase"]);
    let batch_errors = gauge("batch_errors", &["scenario", "phase"]);
    let requests = counter("requests_total", &["scenario", "outcome"]);
    let request_errors = counter("request_errors_total", &["scenario", "kind"]);
    let duration = histogram("request_duration_seconds");
    let ttft = histogram("time_to_first_token_seconds");
    let per_scenario: Vec<GaugeVec> = [
        "cycle_initial_memory_bytes",
        "cycle_final_memory_bytes",
        "cycle_growth_bytes",
        "cycle_growth_ratio",
        "cycle_noise_cv_ratio",
        "cycle_slope_bytes_per_request",
        "cycle_errors",
        "cycle_duration_seconds",
        "last_cycle_timestamp_seconds",
        "memory_source_up",
    ]
    .iter()
    .map(|n| gauge(n, &["scenario"]))
    .collect();
    let cycle_verdict = gauge("cycle_verdict", &["scenario", "verdict"]);
    let cycle_phase = gauge("cycle_phase", &["scenario", "phase"]);
    let leak = gauge("leak_detected", &["scenario", "rule"]);
    let cycles = counter("cycles_total", &["scenario", "verdict"]);
    let restarts = counter("target_restarts_total", &["scenario"]);
    gauge("build_info", &["version"]).with_label_values(&["0.1.0-bench"]).set(1.0);
    gauge("config_last_reload_successful", &[]).with_label_values(&[] as &[&str]).set(1.0);
    gauge("config_last_reload_success_timestamp_seconds", &[]).with_label_values(&[] as &[&str]).set(1.7e9);
    for (s, stream) in SCENARIOS {
        for p in phases {
            batch_memory.with_label_values(&[s, p]).set(5.2e7);
            batch_errors.with_label_values(&[s, p]).set(2.0);
        }
        for o in ["success", "error"] {
            requests.with_label_values(&[s, o]).inc_by(1300);
        }
        for k in kinds {
            request_errors.with_label_values(&[s, k]).inc_by(13);
        }
        for stats in (0..13).map(|i| batch_stats(stream, i)) {
            for v in stats.latency.iter_recorded() {
                for _ in 0..v.count_since_last_iteration() {
                    duration.with_label_values(&[s]).observe(v.value_iterated_to() as f64 / 1e6);
                    if stream {
                        ttft.with_label_values(&[s]).observe(v.value_iterated_to() as f64 / 5e6);
                    }
                }
            }
        }
        if !stream {
            ttft.with_label_values(&[s]);
        }
        for g in &per_scenario {
            g.with_label_values(&[s]).set(12345.678);
        }
        for v in verdicts {
            cycle_verdict.with_label_values(&[s, v]).set(0.0);
            cycles.with_label_values(&[s, v]).inc();
        }
        for a in activities {
            cycle_phase.with_label_values(&[s, a]).set(1.0);
        }
        for rule in rules {
            leak.with_label_values(&[s, rule]).set(0.0);
        }
        restarts.with_label_values(&[s]);
    }
    r
}

criterion_group!(benches, render);
criterion_main!(benches);
