//! The resource rules and gauge on synthetic count series: a pool that fills and stays, a socket kept per
//! 10 requests, threads wandering by ±2, a leak only the trend across cycles sees, a restart.

use super::*;
use crate::analyze::resources::breakdown_line;

/// Ten measured batches of 100 requests with counts `value(i)`.
fn batches(value: impl Fn(u64) -> f64) -> Vec<Count> {
    (0..10).map(|i| Count { value: value(i), requests: 100 }).collect()
}

/// Feeds `cycles` cycles of one resource (cycle index, batch index → count); returns, per cycle, whether
/// the gauge was raised after it.
fn soak(cycles: u64, value: impl Fn(u64, u64) -> f64) -> Vec<bool> {
    let settings = Analysis::default();
    let mut gauge = ResourceGauge::new();
    (0..cycles)
        .map(|c| {
            let series = BTreeMap::from([("sockets".to_owned(), batches(|i| value(c, i)))]);
            gauge.observe(&series, &settings);
            gauge.is_raised("sockets")
        })
        .collect()
}

#[test]
fn a_pool_that_fills_to_ten_and_stays_is_no_leak() {
    // The first cycle's batches fill a pool of 10 connections; it then stays at 10.
    let raised = soak(10, |c, i| if c == 0 { (2.0 * (i + 1) as f64).min(10.0) } else { 10.0 });
    assert!(raised.iter().all(|r| !r), "{raised:?}");
    // Filling slowly, one connection per batch over the whole first cycle: its tail rule fires, once.
    let raised = soak(10, |c, i| if c == 0 { (i + 1) as f64 } else { 10.0 });
    assert!(raised.iter().all(|r| !r), "{raised:?}");
    let first = resources::cycle("sockets", &batches(|i| (i + 1) as f64), &Analysis::default()).expect("judged");
    assert_eq!(first.findings.iter().map(|f| f.rule).collect::<Vec<_>>(), [ResourceRule::Tail]);
}

#[test]
fn one_socket_per_ten_requests_is_a_leak_confirmed_in_the_second_cycle() {
    let raised = soak(4, |c, i| 12.0 + 10.0 * (10 * c + i) as f64);
    assert_eq!(raised, [false, true, true, true]);
    let settings = Analysis::default();
    let c = resources::cycle("sockets", &batches(|i| 12.0 + 10.0 * i as f64), &settings).expect("judged");
    assert_eq!(c.slope_per_request, 0.1);
    let slope = &c.findings[0];
    assert!(
        slope
            .message
            .starts_with("sockets grow by 0.10 per request (p = 0.0000, 90 over the cycle): possible connection leak"),
        "{}",
        slope.message
    );
}

#[test]
fn threads_wandering_by_two_are_no_leak() {
    // A fixed pseudo-random walk-free noise in [-2, 2] around 9 threads, over 300 cycles.
    let noise = |c: u64, i: u64| {
        let h = (c * 10 + i).wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) >> 33;
        (h % 5) as f64 - 2.0
    };
    let raised = soak(300, |c, i| 9.0 + noise(c, i));
    assert!(raised.iter().all(|r| !r), "raised after cycle {:?}", raised.iter().position(|r| *r));
}

#[test]
fn a_leak_too_slow_for_one_cycle_is_caught_by_the_trend() {
    // One per 1000 requests: 0.001 per request, under the floor, but one more after every cycle.
    let raised = soak(9, |c, i| 20.0 + ((10 * c + i) / 10) as f64);
    let first = raised.iter().position(|r| *r).expect("the trend rule raises it");
    assert_eq!(first, 6, "fires from the 6th cycle (trend_cycles), confirmed in the 7th: {raised:?}");
}

#[test]
fn a_restart_forgets_the_trend_history_and_few_batches_are_not_judged() {
    let settings = Analysis::default();
    let mut gauge = ResourceGauge::new();
    for c in 0..5 {
        gauge.observe(&BTreeMap::from([("threads".to_owned(), batches(|_| 20.0 + c as f64))]), &settings);
    }
    gauge.target_restarted();
    let after = gauge.observe(&BTreeMap::from([("threads".to_owned(), batches(|_| 26.0))]), &settings);
    assert!(after[0].findings.is_empty(), "one cycle of history: no trend yet");
    let three: Vec<Count> = batches(|i| i as f64).into_iter().take(3).collect();
    assert!(gauge.observe(&BTreeMap::from([("threads".to_owned(), three)]), &settings).is_empty());
}

#[test]
fn the_breakdown_names_where_memory_grew() {
    let mib = 1_048_576.0;
    let line = breakdown_line([10.0 * mib, 5.0 * mib, 0.0], [14.8 * mib, 5.2 * mib, 0.0]).expect("grew");
    assert!(line.starts_with("Memory breakdown: growth is 96 % anonymous memory (anonymous +4.80 MiB"), "{line}");
    assert_eq!(breakdown_line([1.0, 1.0, 1.0], [1.0, 0.0, 1.0]), None, "nothing grew");
}
