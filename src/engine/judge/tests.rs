//! The judge on hand-made cycles: failures, the trend history, and the shapes of real memory over many
//! cycles (warm-ups, plateaus, steps, a cache that releases, slow and hidden leaks).

use super::*;
use crate::analyze::Phase;
use crate::engine::EndpointTraffic;
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
    assert_eq!(failed.raised, [false; Rule::COUNT]);
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

/// Ten measured batches of 100 requests that all timed out, memory from `memory(i)`.
fn timing_out(memory: impl Fn(u64) -> u64) -> Vec<BatchRecord> {
    let mut batches = cycle(memory, 100);
    for b in &mut batches {
        b.errors_by_kind = [("timeout".to_owned(), 100)].into_iter().collect();
    }
    batches
}

/// A healthy cycle at 320 MiB: the settled level.
fn healthy_at(level: u64) -> Vec<BatchRecord> {
    cycle(move |i| level + (i % 2) * 4096, 0)
}

#[test]
fn a_target_drowning_in_its_memory_raises_the_gauge_at_once_and_holds_it_while_memory_stays_up() {
    let s = Analysis::default();
    let mut judge = Judge::new("s");
    assert_eq!(judge.judge(100, &s, healthy_at(320 * MIB), CycleEnd::Completed).analysis.verdict, Verdict::Stable);
    let drowning = judge.judge(100, &s, timing_out(|i| 580 * MIB + 30 * MIB * i), CycleEnd::Completed);
    assert_eq!(drowning.analysis.verdict, Verdict::Leak, "{}", drowning.report);
    assert!(drowning.raised[Rule::Drowning.index()], "{}", drowning.report);
    assert!(
        drowning.report.contains(
            "Memory 320 → 775 MiB while 1000 of 1000 requests failed (timeout: 1000): the target is drowning in its memory"
        ),
        "{}",
        drowning.report
    );
    assert!(drowning.analysis.growth_bytes > 100.0 * MIB as f64, "its growth is reported: {}", drowning.report);
    let flat_high = judge.judge(100, &s, timing_out(|i| 890 * MIB + (i % 2) * 4096), CycleEnd::Completed);
    assert_eq!(flat_high.analysis.verdict, Verdict::Error);
    assert!(flat_high.raised[Rule::Drowning.index()], "an error cycle leaves the gauge raised");
    let answering_high = judge.judge(100, &s, healthy_at(880 * MIB), CycleEnd::Completed);
    assert!(answering_high.raised[Rule::Drowning.index()], "memory still far above 320 MiB: {}", answering_high.report);
    assert!(answering_high.report.contains("the level the target drowned from"), "{}", answering_high.report);
    let recovered = judge.judge(100, &s, healthy_at(330 * MIB), CycleEnd::Completed);
    assert!(!recovered.raised[Rule::Drowning.index()], "memory came back: {}", recovered.report);
}

#[test]
fn a_failing_target_with_flat_memory_stays_error_with_nothing_raised() {
    let s = Analysis::default();
    let mut judge = Judge::new("s");
    judge.judge(100, &s, healthy_at(320 * MIB), CycleEnd::Completed);
    for _ in 0..3 {
        let failed = judge.judge(100, &s, timing_out(|i| 321 * MIB + (i % 2) * 4096), CycleEnd::Completed);
        assert_eq!(failed.analysis.verdict, Verdict::Error, "{}", failed.report);
        assert_eq!(failed.raised, [false; Rule::COUNT]);
        assert!(failed.report.contains("does not answer in time"), "{}", failed.report);
    }
}

#[test]
fn a_target_that_drowns_in_its_first_cycle_is_measured_from_its_first_sample() {
    let mut first = timing_out(|i| 100 * MIB + 40 * MIB * i);
    // It answered a few requests before it drowned.
    first[0].errors = 80;
    let mut judge = Judge::new("s");
    let judged = judge.judge(100, &Analysis::default(), first, CycleEnd::Completed);
    assert!(judged.raised[Rule::Drowning.index()], "{}", judged.report);
    assert!(judged.report.contains("Memory 100 → "), "{}", judged.report);
}

mod series;

#[test]
fn an_error_cycle_reports_the_memory_it_measured() {
    // Issue 26: an error cycle said `Initial avg: 0.00 MiB` while its batches showed 9 MiB.
    let s = Analysis::default();
    let mut judge = Judge::new("s");
    let rising = |i: u64| 9 * MIB + i * MIB / 10;
    let failed = judge.judge(100, &s, cycle(rising, 100), CycleEnd::Completed);
    assert_eq!(failed.analysis.verdict, Verdict::Error);
    for line in ["Initial avg: 9.05 MiB", "Final avg:   9.85 MiB", "Growth:      0.80 MiB (8.8%)"] {
        assert!(failed.report.contains(line), "{line}: {}", failed.report);
    }
    // Cut short by a restart after three batches: their first and last, one sample each.
    let cut: Vec<BatchRecord> = cycle(rising, 0).into_iter().take(3).collect();
    let restarted = judge.judge(100, &s, cut, CycleEnd::Restarted);
    assert_eq!((restarted.analysis.initial_avg, restarted.analysis.final_avg), (rising(0) as f64, rising(2) as f64));
    assert!(restarted.report.contains("Initial avg: 9.00 MiB"), "{}", restarted.report);
    let none = judge.judge(100, &s, Vec::new(), CycleEnd::SourceFailed("gone".into()));
    assert_eq!((none.analysis.initial_avg, none.analysis.final_avg), (0.0, 0.0), "nothing measured, nothing shown");
}

#[test]
fn a_cycle_under_heavy_endpoint_traffic_says_so_and_confirms_nothing() {
    // Issue 26, case 9: with a `self` source a scrape flood grows the measured process; its cycles leak by
    // themselves (here a real 2 MiB-per-batch leak) but never raise the gauge.
    let s = Analysis::default();
    let mut judge = Judge::new("s");
    let traffic =
        |requests| Context { endpoints: Some(EndpointTraffic { requests, seconds: 4.0 }), ..Context::default() };
    for n in 0..3 {
        let j = judge.judge_after(traffic(9412), 100, &s, leaking(n), CycleEnd::Completed);
        assert_eq!(j.analysis.verdict, Verdict::Leak, "the cycle's own verdict stays");
        assert!(j.analysis.findings.iter().all(|f| !f.confirmed), "{:?}", j.analysis.findings);
        assert_eq!((j.raised, j.streaks), ([false; Rule::COUNT], [0; Rule::COUNT]), "{}", j.report);
        assert!(j.report.contains("Note: leaksoak's own endpoints (/metrics, /status, /, …) answered 9412 requests"));
        assert_eq!(j.endpoints.map(|e| e.requests), Some(9412));
    }
    // Ordinary monitoring (21 a second): no note, and the leak confirms as usual.
    let first = judge.judge_after(traffic(84), 100, &s, leaking(3), CycleEnd::Completed);
    assert!(!first.report.contains("own endpoints") && first.raised == [false; Rule::COUNT], "{}", first.report);
    let second = judge.judge_after(traffic(84), 100, &s, leaking(4), CycleEnd::Completed);
    assert!(second.raised[Rule::Slope.index()], "{}", second.report);
}
