//! The exposition as a scrape sees it.

use super::*;
use crate::analyze::Phase;
use crate::engine::{BatchRecord, Observer};
use crate::failure::ErrorKind;
use crate::load::{BatchStats, Outcome};

fn value(text: &str, series: &str) -> f64 {
    let line = text.lines().find(|l| l.starts_with(series)).unwrap_or_else(|| panic!("{series} missing"));
    line.rsplit(' ').next().and_then(|v| v.parse().ok()).expect("a number")
}

#[test]
fn a_scrape_never_sees_half_a_batch() {
    let metrics = Metrics::new("test", "test");
    metrics.configured(&["s".to_owned()]);
    let mut stats = BatchStats::new();
    let latency = Duration::from_millis(1);
    stats.record(&Outcome {
        latency,
        time_to_first_token: None,
        bytes: 1,
        result: Err(ErrorKind::Connect),
        expected: None,
    });
    let record = BatchRecord::new(Phase::Measure, 1, stats.requests, &stats.errors);
    let writer = metrics.clone();
    let updates = std::thread::spawn(move || (0..3_000).for_each(|_| writer.batch("s", &record, &stats)));
    while !updates.is_finished() {
        let text = String::from_utf8(metrics.render()).expect("utf-8");
        let failed = value(&text, "leaksoak_requests_total{outcome=\"error\",scenario=\"s\"}");
        let connect = value(&text, "leaksoak_request_errors_total{kind=\"connect\",scenario=\"s\"}");
        assert_eq!(failed, connect, "requests counted without their errors");
    }
    updates.join().expect("updates");
}

/// Ten measured batches of 100 requests, memory from `memory(i)`.
fn records(memory: impl Fn(u64) -> u64) -> Vec<BatchRecord> {
    let stats = BatchStats::new();
    (0..10).map(|i| BatchRecord::new(Phase::Measure, memory(i), 100, &stats.errors)).collect()
}

#[test]
fn how_sure_and_since_when_follow_the_judge() {
    use crate::engine::{CycleEnd, Judge};
    use crate::settings::Analysis;
    let metrics = Metrics::new("test", "test");
    metrics.configured(&["s".to_owned()]);
    metrics.analysis(&Analysis::default());
    let (settings, mut judge) = (Analysis::default(), Judge::new("s"));
    let leak = |n: u64| records(move |i| (50 << 20) + (i + 10 * n) * (2 << 20));
    let text = |m: &Metrics| String::from_utf8(m.render()).expect("utf-8");
    metrics.cycle(&judge.judge(100, &settings, leak(0), CycleEnd::Completed));
    let first = text(&metrics);
    assert_eq!(value(&first, "leaksoak_leak_streak{rule=\"slope\",scenario=\"s\"}"), 1.0);
    assert_eq!(value(&first, "leaksoak_leak_raised_timestamp_seconds{scenario=\"s\"}"), 0.0, "not confirmed yet");
    assert!(value(&first, "leaksoak_cycle_p_value{scenario=\"s\"}") < 0.01);
    assert_eq!(value(&first, "leaksoak_analysis_threshold{setting=\"confirm_cycles\"}"), 2.0);
    metrics.cycle(&judge.judge(100, &settings, leak(1), CycleEnd::Completed));
    let second = text(&metrics);
    assert_eq!(value(&second, "leaksoak_leak_streak{rule=\"slope\",scenario=\"s\"}"), 2.0);
    assert!(value(&second, "leaksoak_leak_raised_timestamp_seconds{scenario=\"s\"}") > 1.7e9, "raised now");
    // Memory stopped rising (below the last cycle's level): the gauge does not hold.
    let flat = records(|_| 80 << 20);
    metrics.cycle(&judge.judge(100, &settings, flat, CycleEnd::Completed));
    let third = text(&metrics);
    assert_eq!(value(&third, "leaksoak_leak_streak{rule=\"slope\",scenario=\"s\"}"), 0.0);
    assert_eq!(value(&third, "leaksoak_leak_raised_timestamp_seconds{scenario=\"s\"}"), 0.0, "down again");
}

#[test]
fn a_cycle_the_recorder_could_not_append_is_counted() {
    let metrics = Metrics::new("test", "test");
    let text = |m: &Metrics| String::from_utf8(m.render()).expect("utf-8");
    assert_eq!(value(&text(&metrics), "leaksoak_record_write_failures_total"), 0.0);
    metrics.record_write_failed();
    metrics.record_write_failed();
    assert_eq!(value(&text(&metrics), "leaksoak_record_write_failures_total"), 2.0);
}
