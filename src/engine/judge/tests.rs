//! The judge on hand-made cycles: failures, the trend history, and the shapes of real memory over many
//! cycles (warm-ups, plateaus, steps, a cache that releases, slow and hidden leaks).

use super::*;
use crate::analyze::Phase;
use std::collections::BTreeMap;

const MIB: u64 = 1 << 20;

/// Ten measured batches of 100 requests: memory from `memory(i)`, `failed` connect errors each.
fn cycle(memory: impl Fn(u64) -> u64, failed: u64) -> Vec<BatchRecord> {
    let kinds: BTreeMap<String, u64> = [("connect".to_owned(), failed)].into_iter().filter(|(_, n)| *n > 0).collect();
    (0..10)
        .map(|i| BatchRecord {
            phase: Phase::Measure,
            memory_bytes: memory(i),
            requests: 100,
            errors: failed,
            errors_by_kind: kinds.clone(),
            expected_by_kind: Default::default(),
            resources: Default::default(),
            memory_breakdown: None,
        })
        .collect()
}

/// The `n`th cycle (from 0) of a 2 MiB-per-batch leak: memory goes on from where the last one ended.
fn leaking(n: u64) -> Vec<BatchRecord> {
    cycle(move |i| 50 * MIB + 2 * MIB * (i + 10 * n), 0)
}

fn dead_target() -> Vec<BatchRecord> {
    cycle(|i| 50 * MIB + (i % 2) * 4096, 100)
}

#[test]
fn a_cycle_of_failed_requests_is_error_and_leaves_the_gauge_as_it_was() {
    let s = Analysis::default();
    let mut judge = Judge::new("s");
    assert_eq!(judge.judge(100, &s, leaking(0), CycleEnd::Completed).analysis.verdict, Verdict::Leak);
    let failed = judge.judge(100, &s, dead_target(), CycleEnd::Completed);
    assert_eq!(failed.analysis.verdict, Verdict::Error);
    assert!(failed.analysis.findings.is_empty(), "not judged: {:?}", failed.analysis.findings);
    let reason = "1000 of 1000 requests failed (connect: 1000): the target is not answering; is the URL right?";
    assert!(failed.analysis.summary.contains(reason), "{}", failed.analysis.summary);
    assert!(failed.report.contains(reason), "{}", failed.report);
    assert_eq!(failed.raised, [false; 5]);
    let second = judge.judge(100, &s, leaking(1), CycleEnd::Completed);
    assert!(second.raised[Rule::Slope.index()], "the failed cycle did not break the streak: {}", second.report);
    let again = judge.judge(100, &s, dead_target(), CycleEnd::Completed);
    assert_eq!(again.raised, second.raised, "nor lowers the raised gauge");
}

#[test]
fn a_cycle_of_failed_requests_leaves_the_trend_history_as_it_was() {
    let s = Analysis { trend_cycles: 3, trend_alpha: 0.3, ..Analysis::default() };
    let mut judge = Judge::new("s");
    // Flat cycles, each a step higher: the trend rule fires once three are in its window.
    let step = |n: u64| cycle(move |i| 50 * MIB + n * 4 * MIB + (i % 2) * 4096, 0);
    let trend_fired = |j: &Judged| j.trend.is_some();
    assert!(!trend_fired(&judge.judge(100, &s, step(0), CycleEnd::Completed)));
    assert!(!trend_fired(&judge.judge(100, &s, step(1), CycleEnd::Completed)));
    let failed = judge.judge(100, &s, dead_target(), CycleEnd::Completed);
    assert!(failed.trend.is_none() && failed.analysis.summary.contains("requests failed"), "{}", failed.report);
    let third = judge.judge(100, &s, step(2), CycleEnd::Completed);
    assert!(trend_fired(&third), "the failed cycle neither entered nor broke the history: {}", third.report);
}

#[test]
fn the_warm_up_waits_until_a_cycle_is_judged_and_again_after_any_restart() {
    let s = Analysis::default();
    let mut judge = Judge::new("s");
    assert!(judge.settling());
    judge.judge(100, &s, dead_target(), CycleEnd::Completed);
    assert!(judge.settling(), "a target still failing its requests has not warmed up");
    judge.judge(100, &s, leaking(0), CycleEnd::Completed);
    assert!(!judge.settling());
    judge.target_restarted();
    assert!(judge.settling(), "another scenario saw the shared target restart");
    judge.judge(100, &s, leaking(1), CycleEnd::Completed);
    judge.judge(100, &s, cycle(|_| 50 * MIB, 0), CycleEnd::Restarted);
    assert!(judge.settling(), "this scenario saw it");
}

mod series;
