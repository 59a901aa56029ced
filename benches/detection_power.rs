//! Detection power of the analysis on synthetic soaks whose noise is shaped like real RSS readings, printed
//! as markdown tables. Deterministic (seeded); `cargo bench --bench detection_power`.
//!
//! Noise: a 50 MiB baseline; every reading rounded to 4 KiB pages with Gaussian-ish jitter of σ = 192 KiB;
//! an allocator step of ±1 MiB in 1 % of batches that persists; a ±3 MiB outlier in 0.5 % of readings.
//! A cycle is 3 warmup + 10 measured batches of 100 requests; the leak grows with every request.
//!
//! Before the gauge's significance guards and the trend's noise floor and step guard (commit adb56bf),
//! the false-raise table read 0.10 / 0.40 / 0.70 / 6.90 per 10,000 cycles at σ = 0.33 / 0.67 / 1 / 2 %
//! (defaults), and RSS-shaped noise 49.80 (trend 49.30, slope 0.70).

use leaksoak::analyze::{self, Phase, Rule, Sample, Trend, Verdict};
use leaksoak::engine::{BatchRecord, CycleEnd, Judge};
use leaksoak::settings::Analysis;

const MIB: f64 = 1_048_576.0;
const BASELINE: f64 = 50.0 * MIB;
const BATCH: u64 = 100;
const WARMUP: u64 = 3;
const MEASURE: u64 = 10;
const LEAKS: [f64; 5] = [0.0, 256.0, 1024.0, 4096.0, 16384.0];
/// Cycles per leak size for the per-cycle rates (one continuous soak).
const RATE_CYCLES: usize = 5_000;
/// Independent soaks per leak size for the gauge, each at most `SOAK_CYCLES` long.
const SOAKS: u64 = 50;
const SOAK_CYCLES: usize = 200;

/// Gaussian-ish noise with mean 0 and standard deviation 1: the sum of twelve uniforms minus 6.
fn gaussian(rng: &mut fastrand::Rng) -> f64 {
    (0..12).map(|_| rng.f64()).sum::<f64>() - 6.0
}

/// -1 or 1, evenly.
fn sign(rng: &mut fastrand::Rng) -> f64 {
    if rng.bool() { -1.0 } else { 1.0 }
}

/// Requests per cycle (warm-up included): a staircase's pace in cycles is in these.
const CYCLE_REQUESTS: u64 = BATCH * (WARMUP + MEASURE);

/// A leak that reaches memory only in chunks: `bytes` every `every` requests, `chunks` of them at most.
#[derive(Clone, Copy)]
struct Steps {
    bytes: f64,
    every: u64,
    chunks: u64,
}

/// A soaked process: its leak, its persistent allocator level, and the requests so far.
struct Target {
    rng: fastrand::Rng,
    leak_per_request: f64,
    /// A leak in chunks on top, if any.
    steps: Option<Steps>,
    /// Gaussian jitter of i.i.d. readings; with `realistic` false only this (no steps, outliers, pages).
    sigma: f64,
    realistic: bool,
    level: f64,
    requests: u64,
    /// Failing stretches, if any: the target stops answering for a cycle now and then.
    failures: Option<Failures>,
    /// Batches into the current failing cycle (0 while answering): its overload rise grows with them.
    failing_for: u64,
}

/// A target that stops answering now and then (an overloaded or restarting backend, not a leak): a cycle in
/// `every` fails `share` of its requests, and memory rises by `rise` per batch while it does (buffers of
/// queued requests), given back when it answers again.
#[derive(Clone, Copy)]
struct Failures {
    every: f64,
    share: f64,
    rise: f64,
}

impl Target {
    fn new(seed: u64, leak_per_request: f64) -> Self {
        let rng = fastrand::Rng::with_seed(seed);
        Self {
            rng,
            leak_per_request,
            steps: None,
            sigma: 192.0 * 1024.0,
            realistic: true,
            level: BASELINE,
            requests: 0,
            failures: None,
            failing_for: 0,
        }
    }

    fn iid(seed: u64, sigma: f64) -> Self {
        Self { sigma, realistic: false, ..Self::new(seed, 0.0) }
    }

    fn batch(&mut self) -> Sample {
        self.requests += BATCH;
        let mut memory = self.level + self.leak_per_request * self.requests as f64;
        if let Some(s) = self.steps {
            memory += s.bytes * (self.requests / s.every).min(s.chunks) as f64;
        }
        memory += self.sigma * gaussian(&mut self.rng);
        let errors = match self.failures {
            Some(f) if self.failing_for > 0 => {
                memory += f.rise * self.failing_for as f64;
                self.failing_for += 1;
                (f.share * BATCH as f64).round() as u64
            }
            _ => 0,
        };
        if self.realistic {
            if self.rng.f64() < 0.01 {
                self.level += sign(&mut self.rng) * MIB;
            }
            if self.rng.f64() < 0.005 {
                memory += sign(&mut self.rng) * 3.0 * MIB;
            }
            memory = (memory / 4096.0).round() * 4096.0;
        }
        Sample::new(memory, BATCH, errors)
    }

    /// One cycle's measured samples (warmup batches run, and leak, but are not analysed).
    fn cycle(&mut self) -> Vec<Sample> {
        for _ in 0..WARMUP {
            self.batch();
        }
        (0..MEASURE).map(|_| self.batch()).collect()
    }

    /// One cycle's batches, warm-up included, as the daemon records them for its judge.
    fn batches(&mut self) -> Vec<BatchRecord> {
        let record = |phase, s: Sample| BatchRecord {
            phase,
            memory_bytes: s.memory_bytes.max(0.0) as u64,
            requests: s.requests,
            errors: s.errors,
            errors_by_kind: Default::default(),
            expected_by_kind: Default::default(),
            resources: Default::default(),
            memory_breakdown: None,
        };
        self.failing_for = match self.failures {
            Some(f) if self.rng.f64() < 1.0 / f.every => 1,
            _ => 0,
        };
        let warmup: Vec<BatchRecord> = (0..WARMUP).map(|_| record(Phase::Warmup, self.batch())).collect();
        warmup.into_iter().chain((0..MEASURE).map(|_| record(Phase::Measure, self.batch()))).collect()
    }
}

fn fired_any(a: &analyze::CycleAnalysis, rules: &[Rule]) -> bool {
    a.verdict == Verdict::Leak && a.findings.iter().any(|f| rules.contains(&f.rule))
}

/// Per-cycle detection rates over one long soak: pytest rules, all cycle rules, and the trend rule.
fn rates(leak: f64, s: &Analysis) -> (f64, f64, f64) {
    let (mut target, mut trend) = (Target::new(7, leak), Trend::new());
    let (mut pytest, mut all, mut trends) = (0usize, 0usize, 0usize);
    for _ in 0..RATE_CYCLES {
        let a = analyze::cycle(&target.cycle(), s);
        pytest += usize::from(fired_any(&a, &[Rule::Growth, Rule::Tail, Rule::ErrorSpike]));
        all += usize::from(a.verdict == Verdict::Leak);
        trend.push(&a);
        trends += usize::from(trend.check(s).is_some());
    }
    let pct = |n: usize| n as f64 / RATE_CYCLES as f64 * 100.0;
    (pct(pytest), pct(all), pct(trends))
}

/// Runs a soak through trend and gauge as the daemon does; the 1-based cycle the gauge first rose on.
fn first_raise(target: &mut Target, s: &Analysis, cycles: usize) -> Option<usize> {
    raise(target, s, cycles).map(|(c, _)| c)
}

/// The first raise of a soak, with the rules raised then: every cycle through the daemon's own judge
/// (trend, shape, gauge, rate agreement, memory-came-back hold).
fn raise(target: &mut Target, s: &Analysis, cycles: usize) -> Option<(usize, Vec<Rule>)> {
    let mut judge = Judge::new("simulated");
    (0..cycles).find_map(|c| {
        let judged = judge.judge(BATCH, s, target.batches(), CycleEnd::Completed);
        let raised: Vec<Rule> = Rule::ALL.into_iter().filter(|r| judged.raised[r.index()]).collect();
        (!raised.is_empty()).then_some((c + 1, raised))
    })
}

fn median(mut v: Vec<usize>) -> String {
    if v.is_empty() {
        return "never".into();
    }
    v.sort_unstable();
    v[v.len() / 2].to_string()
}

fn detection_table(s: &Analysis) {
    println!(
        "| leak (B/request) | pytest rules fire (% cycles) | all cycle rules (% cycles) | trend fires (% cycles) | gauge raised (soaks) | cycles until raised (median) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for leak in LEAKS {
        let (pytest, all, trend) = rates(leak, s);
        let raised: Vec<usize> =
            (0..SOAKS).filter_map(|k| first_raise(&mut Target::new(1000 + k, leak), s, SOAK_CYCLES)).collect();
        let within8 = raised.iter().filter(|c| **c <= 8).count();
        println!(
            "| {leak:.0} | {pytest:.2} | {all:.2} | {trend:.2} | {}/{SOAKS} ({within8} within 8) | {} |",
            raised.len(),
            median(raised)
        );
    }
}

/// False raises in clean soaks, counted per rule raised (`[Rule::index]`, total last); the gauge and trend
/// start over after each.
fn false_raises(target: &mut Target, s: &Analysis, cycles: usize) -> [usize; Rule::COUNT + 1] {
    let mut raises = [0; Rule::COUNT + 1];
    let mut done = 0;
    while done < cycles {
        let Some((c, rules)) = raise(target, s, cycles - done) else {
            break;
        };
        for r in rules {
            raises[r.index()] += 1;
        }
        raises[Rule::COUNT] += 1;
        done += c;
    }
    raises
}

/// At low i.i.d. noise (σ = 0.1 % of 50 MiB): how many soaks raise the gauge within 2 and within 8 cycles.
fn low_noise_table(s: &Analysis) {
    println!("\nLow noise (i.i.d. σ = 0.1 % of 50 MiB), {SOAKS} soaks per leak:\n");
    println!("| leak (B/request) | raised within 2 cycles | within 8 cycles | cycles until raised (median) |");
    println!("|---:|---:|---:|---:|");
    for leak in [256.0, 1024.0] {
        let raised: Vec<usize> = (0..SOAKS)
            .filter_map(|k| {
                let mut target = Target { leak_per_request: leak, ..Target::iid(2000 + k, 0.001 * BASELINE) };
                first_raise(&mut target, s, 50)
            })
            .collect();
        let within = |n: usize| raised.iter().filter(|c| **c <= n).count();
        println!("| {leak:.0} | {}/{SOAKS} | {}/{SOAKS} | {} |", within(2), within(8), median(raised.clone()));
    }
}

/// The 1-based cycles after which the gauge was up, over a soak of `cycles` cycles.
fn raised_cycles(target: &mut Target, s: &Analysis, cycles: usize) -> Vec<usize> {
    let mut judge = Judge::new("simulated");
    (1..=cycles)
        .filter(|_| judge.judge(BATCH, s, target.batches(), CycleEnd::Completed).raised.iter().any(|r| *r))
        .collect()
}

/// Leaks in regular steps (2 MiB every 2, 3 or 5 cycles, without end) and steps that stop (a pool of 3 or
/// 6 chunks), under the same noise: soaks raised, the median cycle and step count at the first raise, and
/// for the pools the soaks still raised 20 or more cycles after their last chunk (the long window holds a
/// raise for up to half its 36 cycles).
fn staircase_table(s: &Analysis) {
    println!("\nStaircases: 2 MiB chunks under the same noise, {SOAKS} soaks of {SOAK_CYCLES} cycles each:\n");
    println!(
        "| chunks | gauge raised (soaks) | cycles until raised (median) | steps until raised (median) | raised 20+ cycles after the last chunk (soaks) |"
    );
    println!("|---|---:|---:|---:|---:|");
    let rows: [(&str, u64, u64); 5] = [
        ("every 2 cycles, no end", 2, u64::MAX),
        ("every 3 cycles, no end", 3, u64::MAX),
        ("every 5 cycles, no end", 5, u64::MAX),
        ("every 3 cycles, 3 chunks then none", 3, 3),
        ("every 3 cycles, 6 chunks then none", 3, 6),
    ];
    for (name, pace, chunks) in rows {
        let steps = Steps { bytes: 2.0 * MIB, every: pace * CYCLE_REQUESTS, chunks };
        let soaks: Vec<Vec<usize>> = (0..SOAKS)
            .map(|k| raised_cycles(&mut Target { steps: Some(steps), ..Target::new(3000 + k, 0.0) }, s, SOAK_CYCLES))
            .collect();
        let first: Vec<usize> = soaks.iter().filter_map(|r| r.first().copied()).collect();
        let steps_at: Vec<usize> =
            first.iter().map(|c| (*c as u64 * CYCLE_REQUESTS / steps.every).min(chunks) as usize).collect();
        let after = match chunks {
            u64::MAX => "—".to_owned(),
            n => {
                let last = (n * pace) as usize;
                format!("{}/{SOAKS}", soaks.iter().filter(|r| r.iter().any(|c| *c >= last + 20)).count())
            }
        };
        println!("| {name} | {}/{SOAKS} | {} | {} | {after} |", first.len(), median(first.clone()), median(steps_at));
    }
}

fn false_raise_table() {
    const CYCLES: usize = 100_000;
    let variants: [(&str, Analysis); 3] = [
        ("defaults", Analysis::default()),
        ("confirm_cycles = 3", Analysis { confirm_cycles: 3, ..Analysis::default() }),
        (
            "confirm_cycles = 3, trend_cycles = 8",
            Analysis { confirm_cycles: 3, trend_cycles: 8, ..Analysis::default() },
        ),
    ];
    println!("\nFalse gauge raises per 10,000 clean cycles ({CYCLES} cycles each, i.i.d. Gaussian-ish noise):\n");
    println!("| noise σ (% of 50 MiB) | {} | {} | {} |", variants[0].0, variants[1].0, variants[2].0);
    println!("|---:|---:|---:|---:|");
    for pct in [0.33, 0.67, 1.0, 2.0] {
        let cells: Vec<String> = variants
            .iter()
            .map(|(_, s)| {
                let raises = false_raises(&mut Target::iid(42, pct / 100.0 * BASELINE), s, CYCLES);
                format!("{:.2}", raises[Rule::COUNT] as f64 * 10_000.0 / CYCLES as f64)
            })
            .collect();
        println!("| {pct:.2} | {} |", cells.join(" | "));
    }
    let raises = false_raises(&mut Target::iid(43, 0.02 * BASELINE), &Analysis::default(), 10 * CYCLES);
    println!("\nσ = 2 %, defaults, {} cycles: {}.", 10 * CYCLES, by_rule(&raises, 10 * CYCLES));
    let mut realistic = Target::new(4242, 0.0);
    let raises = false_raises(&mut realistic, &Analysis::default(), CYCLES);
    println!("\nRealistic RSS-shaped noise, defaults: {}.", by_rule(&raises, CYCLES));
    failing_table();
}

/// Clean targets that stop answering in one cycle in 20 (90 % of the requests fail), with flat memory or
/// memory that rises while they fail (queued requests' buffers) and is given back after, beside the same
/// soaks never failing (the control). Fresh soaks of `SOAK_CYCLES` each, so the allocator level does not
/// wander far from its 50 MiB: the drowning rule's threshold is a share of that level. Memory that rises by
/// more than half of it while the target fails is what the rule raises, by design.
fn failing_table() {
    const FAILING_SOAKS: u64 = 500;
    let cycles = FAILING_SOAKS as usize * SOAK_CYCLES;
    println!(
        "\nClean targets failing one cycle in 20 (90 % of requests), RSS-shaped noise, defaults, {FAILING_SOAKS} soaks of {SOAK_CYCLES} cycles:\n"
    );
    println!("| memory while failing (given back after) | false raises per 10,000 cycles |");
    println!("|---|---|");
    let rises = [
        ("never fails (the control)", None),
        ("flat", Some(0.0)),
        ("+1 MiB per batch (up to +13 MiB, 26 %)", Some(MIB)),
        ("+3 MiB per batch (up to +39 MiB, 78 %)", Some(3.0 * MIB)),
    ];
    for (name, rise) in rises {
        let mut raises = [0; Rule::COUNT + 1];
        for soak in 0..FAILING_SOAKS {
            let failures = rise.map(|rise| Failures { every: 20.0, share: 0.9, rise });
            let mut target = Target { failures, ..Target::new(9000 + soak, 0.0) };
            let soaked = false_raises(&mut target, &Analysis::default(), SOAK_CYCLES);
            raises.iter_mut().zip(soaked).for_each(|(total, n)| *total += n);
        }
        println!("| {name} | {} |", by_rule(&raises, cycles));
    }
}

/// `1.23 false raises per 10,000 clean cycles (by rule: growth 0.00, …)`.
fn by_rule(raises: &[usize; Rule::COUNT + 1], cycles: usize) -> String {
    let per = |n: usize| n as f64 * 10_000.0 / cycles as f64;
    let by: Vec<String> = Rule::ALL.iter().map(|r| format!("{r} {:.2}", per(raises[r.index()]))).collect();
    format!("{:.2} false raises per 10,000 clean cycles (by rule: {})", per(raises[Rule::COUNT]), by.join(", "))
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let started = std::time::Instant::now();
    println!(
        "Detection power, default settings ({RATE_CYCLES} cycles per leak for rates, {SOAKS} soaks of at most {SOAK_CYCLES} cycles for the gauge):\n"
    );
    detection_table(&Analysis::default());
    low_noise_table(&Analysis::default());
    staircase_table(&Analysis::default());
    false_raise_table();
    println!("\n(took {:.1} s)", started.elapsed().as_secs_f64());
}
