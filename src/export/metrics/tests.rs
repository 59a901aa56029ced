//! The exposition as a scrape sees it.

use super::*;
use crate::load::Outcome;

fn value(text: &str, series: &str) -> f64 {
    let line = text.lines().find(|l| l.starts_with(series)).unwrap_or_else(|| panic!("{series} missing"));
    line.rsplit(' ').next().and_then(|v| v.parse().ok()).expect("a number")
}

#[test]
fn a_scrape_never_sees_half_a_batch() {
    let metrics = Metrics::new("test");
    metrics.configured(&["s".to_owned()]);
    let mut stats = BatchStats::new();
    let latency = Duration::from_millis(1);
    stats.record(&Outcome { latency, time_to_first_token: None, bytes: 1, result: Err(ErrorKind::Connect) });
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
