//! Memory shaped like real targets over many cycles, judged as the engine feeds the judge (warm-up that
//! waits at start, then fixed cycles): the gauge must stay down for bounded growth and rise for leaks.

use super::super::Judge;
use crate::analyze::{Phase, settle};
use crate::engine::{BatchRecord, Context, CycleEnd, Idle, Judged};
use crate::settings::Analysis;

const MIB: f64 = 1_048_576.0;
const BATCH: u64 = 100;
const WARMUP: u64 = 3;
const MEASURE: u64 = 10;
const MAX_SETTLE: u64 = 20;

/// Where a batch falls: what the memory model of a test is a function of.
#[derive(Debug, Clone, Copy)]
struct At {
    /// Requests sent so far, this batch's included.
    requests: u64,
    /// The cycle, from 0.
    cycle: usize,
    /// Whether the batch is a warm-up batch.
    warmup: bool,
    /// Whether this is the sample at the end of the idle pause before the cycle (no requests sent).
    idle: bool,
}

/// The idle pause between cycles, seconds.
const PAUSE: f64 = 10.0;

/// Runs `cycles` cycles against `memory` and returns every judged cycle.
fn soak(cycles: usize, mut memory: impl FnMut(At) -> f64) -> Vec<Judged> {
    let settings = Analysis::default();
    let mut judge = Judge::new("series");
    let mut requests = 0;
    let mut last: Option<u64> = None;
    let mut sample = |at: At| (memory(at) / 4096.0).round() as u64 * 4096;
    let mut batch = |phase: Phase, cycle: usize, idle: bool| {
        if !idle {
            requests += BATCH;
        }
        let bytes = sample(At { requests, cycle, warmup: phase == Phase::Warmup, idle }) as f64;
        BatchRecord {
            phase,
            memory_bytes: (bytes / 4096.0).round() as u64 * 4096,
            requests: BATCH,
            errors: 0,
            errors_by_kind: Default::default(),
            expected_by_kind: Default::default(),
            resources: Default::default(),
            memory_breakdown: None,
        }
    };
    (0..cycles)
        .map(|c| {
            let idle = last.map(|from| Idle {
                from_bytes: from,
                to_bytes: batch(Phase::Warmup, c, true).memory_bytes,
                seconds: PAUSE,
            });
            let mut batches: Vec<BatchRecord> = (0..WARMUP).map(|_| batch(Phase::Warmup, c, false)).collect();
            let mut extension = if judge.settling() { MAX_SETTLE } else { 0 };
            loop {
                let from = batches.len();
                batches.extend((0..MEASURE).map(|_| batch(Phase::Measure, c, false)));
                let samples = |b: &[BatchRecord]| b.iter().map(BatchRecord::sample).collect::<Vec<_>>();
                let (warm, block) = batches.split_at(from);
                if extension == 0 || !settle::still_settling(&samples(warm), &samples(block), &settings) {
                    break;
                }
                batches[from..].iter_mut().for_each(|b| b.phase = Phase::Warmup);
                extension = extension.saturating_sub(MEASURE);
            }
            last = batches.last().map(|b| b.memory_bytes);
            judge.judge_after(Context { idle, ..Context::default() }, BATCH, &settings, batches, CycleEnd::Completed)
        })
        .collect()
}

/// The cycles (from 1) after which the gauge was raised.
fn raised(judged: &[Judged]) -> Vec<usize> {
    judged.iter().enumerate().filter(|(_, j)| j.raised.iter().any(|r| *r)).map(|(i, _)| i + 1).collect()
}

/// Page-sized jitter, the same for every run: ±64 KiB.
fn jitter(rng: &mut fastrand::Rng) -> f64 {
    (rng.f64() - 0.5) * 128.0 * 1024.0
}

const BASE: f64 = 300.0 * MIB;

#[test]
fn a_warm_up_curve_raises_nothing() {
    let mut rng = fastrand::Rng::with_seed(1);
    // 20 MiB filled over the first thousands of requests, as a proxy's caches and pools do.
    let judged = soak(40, |at| BASE + 20.0 * MIB * (1.0 - (-(at.requests as f64) / 1500.0).exp()) + jitter(&mut rng));
    assert_eq!(raised(&judged), Vec::<usize>::new(), "{}", judged[1].report);
    // Within one set of measured batches this curve slows by less than half: judged at once, and said so;
    // the rate agreement across cycles keeps it from confirming.
    assert!(judged[0].report.contains("judged at once"), "{}", judged[0].report);
}

#[test]
fn a_bounded_cache_that_fills_in_chunks_and_releases_raises_nothing() {
    let mut rng = fastrand::Rng::with_seed(2);
    // 4 KiB per request, in 1 MiB chunks, emptied at 16 MiB: a sawtooth with a period of about 3 cycles.
    let cache = |requests: u64| ((requests * 4096) % (16 << 20)) / (1 << 20) * (1 << 20);
    let judged = soak(40, |at| BASE + cache(at.requests) as f64 + jitter(&mut rng));
    assert_eq!(
        raised(&judged),
        Vec::<usize>::new(),
        "{}",
        judged.iter().map(|j| j.report.as_str()).collect::<String>()
    );
    assert!(judged.iter().any(|j| j.report.contains("growth that comes back is not a leak")));
}

#[test]
fn steps_between_flat_cycles_and_a_step_then_plateau_raise_nothing() {
    // Cycles flat but for a creep of 20 KiB each, as a healthy LiteLLM proxy's are: the rise is then
    // significant (every cycle a little higher), so the shape is what dismisses it.
    // Allocator arenas: +2 MiB before cycles 5, 9 and 10, +8 MiB in the middle of cycle 20, flat otherwise.
    let level = |at: At| {
        let steps = [5, 9, 10].iter().filter(|c| at.cycle >= **c).count() as f64 * 2.0 * MIB;
        let big =
            if at.cycle > 20 || (at.cycle == 20 && !at.warmup && at.requests % 1300 > 800) { 8.0 * MIB } else { 0.0 };
        steps + big
    };
    let judged = soak(40, |at| BASE + level(at) + 20.0 * 1024.0 * at.cycle as f64);
    assert_eq!(raised(&judged), Vec::<usize>::new());
    assert!(judged.iter().any(|j| j.report.contains("not a leak")), "the dismissal is explained");
}

#[test]
fn a_slow_steady_leak_is_raised_within_eight_cycles() {
    let mut rng = fastrand::Rng::with_seed(4);
    let judged = soak(20, |at| BASE + 256.0 * at.requests as f64 + jitter(&mut rng));
    let first = raised(&judged).first().copied();
    assert!(first.is_some_and(|c| c <= 8), "256 B/request raised after cycle {first:?}");
}

#[test]
fn a_leak_only_in_the_warm_up_batches_of_each_cycle_is_raised() {
    let mut rng = fastrand::Rng::with_seed(5);
    // Connections opened after the idle pause and never closed: 0.5 MiB per cycle, all in its warm-up.
    let mut grown = 0.0;
    let mut last_cycle = usize::MAX;
    let judged = soak(20, |at| {
        if at.warmup && !at.idle && at.cycle != last_cycle && at.cycle > 0 {
            grown += 0.5 * MIB;
            last_cycle = at.cycle;
        }
        BASE + grown + jitter(&mut rng)
    });
    let first = raised(&judged).first().copied();
    assert!(first.is_some_and(|c| c <= 10), "raised after cycle {first:?}");
    let trend = judged[first.unwrap_or(1) - 1].trend.as_ref().map(|f| f.message.clone()).unwrap_or_default();
    assert!(trend.contains("steadily") && trend.contains("memory follows requests"), "{trend}");
}

#[test]
fn a_timer_leak_growing_only_while_idle_is_raised_and_named() {
    let mut rng = fastrand::Rng::with_seed(6);
    // A background task keeping 0.5 MiB per pause; requests add nothing.
    let judged = soak(20, |at| BASE + 0.5 * MIB * at.cycle as f64 + jitter(&mut rng));
    let first = raised(&judged).first().copied();
    assert!(first.is_some_and(|c| c <= 10), "raised after cycle {first:?}");
    let trend = judged[first.unwrap_or(1) - 1].trend.as_ref().map(|f| f.message.clone()).unwrap_or_default();
    assert!(trend.contains("a leak on a timer"), "{trend}");
    assert!(judged[5].idle.is_some_and(|i| (i.growth_per_second() - 0.05 * MIB).abs() < 0.02 * MIB));
}

/// The cycles from the first raise to the last, when the gauge was up on every one of them.
fn raised_to_the_end(judged: &[Judged]) -> Option<usize> {
    let up = raised(judged);
    let first = *up.first()?;
    (up.len() == judged.len() - first + 1).then_some(first)
}

#[test]
fn a_steady_leak_whose_rate_wanders_stays_raised_from_its_first_raise() {
    // The LiteLLM proxy keeping every request: 23 KB per request, then 20, then 11 KB in the next, …
    let rates = [23_000.0, 20_000.0, 11_000.0, 23_000.0, 11_000.0, 24_000.0];
    let (mut kept, mut seen) = (0.0, 0);
    let judged = soak(12, |at| {
        if !at.idle {
            kept += rates[at.cycle % rates.len()] * (at.requests - seen) as f64;
            seen = at.requests;
        }
        BASE + kept
    });
    let first = raised_to_the_end(&judged);
    assert!(first.is_some_and(|c| c <= 3), "raised on {:?}", raised(&judged));
    // A leak of 1 KiB per request under ±200 KB of noise: raised, and still raised at the end.
    let mut rng = fastrand::Rng::with_seed(9);
    let judged = soak(12, |at| BASE + 1024.0 * at.requests as f64 + (rng.f64() - 0.5) * 400_000.0);
    assert!(raised_to_the_end(&judged).is_some(), "raised on {:?}", raised(&judged));
}

#[test]
fn the_gauge_falls_once_a_leak_stops() {
    let mut rng = fastrand::Rng::with_seed(10);
    let judged = soak(24, |at| BASE + 16_384.0 * at.requests.min(10 * 1300) as f64 + jitter(&mut rng));
    let up = raised(&judged);
    assert!(up.first().is_some_and(|c| *c <= 3), "raised on {up:?}");
    // Stopped after cycle 10: down within 2 × trend_cycles flat cycles.
    assert!(up.last().is_some_and(|c| *c <= 22), "still raised long after the leak stopped: {up:?}");
}
