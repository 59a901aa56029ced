//! The long window on shaped series: small leaks, staircases, pools that stop, sawing heaps, holds.

use super::*;

const MIB: f64 = 1_048_576.0;
/// Requests to the target per cycle of one scenario (two scenarios of 550 requests taking turns).
const PER_CYCLE: f64 = 1100.0;

fn points(memory: impl Fn(usize) -> f64, n: usize, noise: f64) -> Vec<Point> {
    (0..n).map(|i| Point { final_avg: 400.0 * MIB + memory(i), sent: PER_CYCLE * (i + 1) as f64, noise }).collect()
}

/// A small deterministic wobble (±`amplitude`), so fits are not of perfect lines.
fn wobble(i: usize, amplitude: f64) -> f64 {
    amplitude * [0.0, 0.7, -0.4, 0.9, -0.8, 0.2, -0.6, 0.5][i % 8]
}

fn settings() -> Analysis {
    Analysis::default()
}

#[test]
fn a_small_steady_leak_rises_in_every_part() {
    let leak = points(|i| 256.0 * PER_CYCLE * i as f64 + wobble(i, 64.0 * 1024.0), 24, 64.0 * 1024.0);
    let long = assess(&leak, &settings());
    assert!(matches!(&long, Long::Rising(m) if m.contains("256 bytes/request")), "{long:?}");
}

#[test]
fn a_creep_below_the_floor_is_named_not_raised() {
    let creep = points(|i| 40.0 * PER_CYCLE * i as f64 + wobble(i, 4096.0), 24, 4096.0);
    let long = assess(&creep, &Analysis { trend_min_growth_bytes: 0.0, ..settings() });
    assert!(matches!(&long, Long::Bounded(m) if m.contains("trend_min_bytes_per_request")), "{long:?}");
}

#[test]
fn a_staircase_is_raised_once_every_part_holds_a_step() {
    // 2 MiB every 4 cycles: raised once each of the 6 parts of the window holds a step.
    let stairs = |i: usize| 2.0 * MIB * (i / 4) as f64 + wobble(i, 32.0 * 1024.0);
    assert!(!matches!(assess(&points(stairs, 16, 32.0 * 1024.0), &settings()), Long::Rising(_)));
    let long = assess(&points(stairs, 24, 32.0 * 1024.0), &settings());
    assert!(matches!(long, Long::Rising(_)), "{long:?}");
}

#[test]
fn staircases_every_two_to_five_cycles_rise_within_six_steps_and_stay_raised() {
    for pace in 2..=5 {
        let stairs = |i: usize| 2.0 * MIB * (i / pace) as f64 + wobble(i, 32.0 * 1024.0);
        let rising = |n: usize| matches!(assess(&points(stairs, n, 32.0 * 1024.0), &settings()), Long::Rising(_));
        let first = (12..=80).find(|n| rising(*n)).unwrap_or_else(|| panic!("every {pace}: never rising"));
        assert!(first / pace <= 6, "every {pace} cycles: first rising at cycle {first}, {} steps", first / pace);
        // Confirmed on the next cycle or the one after, and from there on rising.
        assert!(rising(first + 1) || rising(first + 2), "every {pace}: confirmed soon after {first}");
        let later: Vec<usize> = (first + 3..=80).filter(|n| !rising(*n)).collect();
        assert!(later.is_empty(), "every {pace}: not rising at {later:?}");
    }
}

#[test]
fn steps_that_stop_are_not_raised() {
    // Pools filling in 2 MiB chunks, 3 chunks at a pace of one every 2 to 6 cycles, then full: never
    // a leak, at any window length.
    for pace in 2..=6 {
        let pool = |i: usize| 2.0 * MIB * (i / pace).min(3) as f64 + wobble(i, 32.0 * 1024.0);
        for n in 12..=60 {
            let long = assess(&points(pool, n, 32.0 * 1024.0), &settings());
            assert!(!matches!(long, Long::Rising(_)), "3 chunks every {pace}, {n} cycles: {long:?}");
        }
    }
    let small = |i: usize| 2.0 * MIB * (i / 3).min(2) as f64 + wobble(i, 32.0 * 1024.0);
    // 6 chunks (the last at cycle 18): like a leak while it fills, not once it stopped for 14 cycles.
    let large = |i: usize| 2.0 * MIB * (i / 3).min(6) as f64 + wobble(i, 32.0 * 1024.0);
    for n in 12..=60 {
        let long = assess(&points(small, n, 32.0 * 1024.0), &settings());
        assert!(!matches!(long, Long::Rising(_)), "2 chunks, {n} cycles: {long:?}");
        if n >= 32 {
            let long = assess(&points(large, n, 32.0 * 1024.0), &settings());
            assert!(!matches!(long, Long::Rising(_)), "6 chunks, {n} cycles: {long:?}");
        }
    }
}

#[test]
fn one_large_step_between_flat_runs_is_not_a_leak() {
    let step = points(|i| if i >= 10 { 7.0 * MIB } else { 0.0 } + wobble(i, 32.0 * 1024.0), 24, 32.0 * 1024.0);
    assert!(matches!(assess(&step, &settings()), Long::Bounded(_) | Long::Quiet));
}

#[test]
fn memory_that_came_back_is_not_a_leak() {
    let saw = points(|i| 300.0 * PER_CYCLE * (i % 16) as f64, 24, 32.0 * 1024.0);
    assert!(!matches!(assess(&saw, &settings()), Long::Rising(_)));
}

#[test]
fn a_leak_under_a_heap_that_gives_memory_back_rises_by_its_highs_and_a_released_cache_does_not() {
    // 300 B/request kept, with 12 MiB given back every 10 cycles and regrown over the next 5.
    let saw = |i: usize| {
        let back = match i % 10 {
            0..=4 => 12.0 - 2.4 * (i % 10) as f64,
            _ => 0.0,
        };
        300.0 * PER_CYCLE * i as f64 - if i >= 10 { back * MIB } else { 0.0 }
    };
    let long = assess(&points(saw, 36, 64.0 * 1024.0), &settings());
    assert!(matches!(&long, Long::Rising(m) if m.contains("its highs rose from")), "{long:?}");
    // A cache filled to 16 MiB over 8 cycles and released, again and again: the same high every time.
    let cache = |i: usize| 2.0 * MIB * (i % 8) as f64;
    let long = assess(&points(cache, 36, 64.0 * 1024.0), &settings());
    assert!(!matches!(long, Long::Rising(_)), "{long:?}");
}

#[test]
fn a_raise_holds_while_the_envelope_lifts_and_falls_once_memory_stops() {
    // 300 B/request under a heap that gives 12 MiB back every 10 cycles: held at every window.
    let saw = |i: usize| {
        let back = if i >= 10 && i % 10 < 5 { 12.0 - 2.4 * (i % 10) as f64 } else { 0.0 };
        300.0 * PER_CYCLE * i as f64 - back * MIB
    };
    let history = points(saw, 80, 64.0 * 1024.0);
    let dropped: Vec<usize> = (36..=80).filter(|n| !holds(&history[..*n], &settings())).collect();
    assert!(dropped.is_empty(), "held from a full window on: {dropped:?}");
    // The same leak stopping at cycle 40: no longer held within half a window (18 cycles) of the stop.
    let stopped = points(|i| saw(i.min(40)) + wobble(i, 32.0 * 1024.0), 80, 64.0 * 1024.0);
    assert!((40 + 18..=80).all(|n| !holds(&stopped[..n], &settings())), "falls once memory stops");
    // A cache filled and released to the same level never holds once each half holds a fill.
    let cache = points(|i| 2.0 * MIB * (i % 8) as f64, 80, 64.0 * 1024.0);
    assert!((16..=80).all(|n| !holds(&cache[..n], &settings())));
}

#[test]
fn a_curve_slowing_toward_a_working_size_is_not_a_leak() {
    let curve = points(|i| 30.0 * MIB * (1.0 - (-(i as f64) / 8.0).exp()), 24, 32.0 * 1024.0);
    assert!(!matches!(assess(&curve, &settings()), Long::Rising(_)));
}
