//! Cost of the HTML report (`leaksoak analyze --html`) for a recording of 1,000 cycles of one scenario:
//! gathering the page's model from the judged cycles, and rendering the page from it. The cycles are
//! judged once, before timing (`cargo bench --bench analyze` times the judging). Goal: well under a second.

use criterion::{Criterion, criterion_group, criterion_main};
use leaksoak::analyze::Phase;
use leaksoak::engine::{BatchRecord, CycleEnd, Judge, Judged};
use leaksoak::report::html::{Keep, Page, Soak, render};
use leaksoak::settings::Analysis;
use std::hint::black_box;

const CYCLES: usize = 1000;

/// A default cycle (3 warm-up and 10 measured batches of 100 requests) of a target leaking 64 bytes per
/// request under a few KiB of deterministic noise, with a failed request here and there.
fn cycles() -> Vec<Judged> {
    let settings = Analysis::default();
    let mut judge = Judge::new("async-streaming");
    let mut requests = 0u64;
    (0..CYCLES)
        .map(|c| {
            let batches = (0..13)
                .map(|i| {
                    requests += 100;
                    let noise = ((c * 13 + i) * 7919 % 17) as u64 * 1024;
                    BatchRecord {
                        phase: if i < 3 { Phase::Warmup } else { Phase::Measure },
                        memory_bytes: 50_000_000 + requests * 64 + noise,
                        requests: 100,
                        errors: u64::from((c + i) % 37 == 0),
                        errors_by_kind: Default::default(),
                        expected_by_kind: Default::default(),
                        resources: Default::default(),
                        memory_breakdown: Default::default(),
                    }
                })
                .collect();
            judge.judge(100, &settings, batches, CycleEnd::Completed)
        })
        .collect()
}

fn soak(judged: &[Judged]) -> Soak {
    let mut soak = Soak::new(Analysis::default(), Keep::Thinned);
    judged.iter().for_each(|j| soak.push(j));
    soak
}

fn bench(c: &mut Criterion) {
    let judged = cycles();
    let model = soak(&judged);
    let page = |soak| Page { source: "bench", soak, baseline: None, across_cycles: true, refresh_seconds: None };
    let mut group = c.benchmark_group("html");
    group.bench_function("gather_1000_cycles", |b| b.iter(|| soak(black_box(&judged))));
    group.bench_function("render_1000_cycles", |b| b.iter(|| render(black_box(&page(&model)))));
    group.bench_function("render_1000_cycles_with_a_baseline", |b| {
        b.iter(|| render(black_box(&Page { baseline: Some(&model), ..page(&model) })))
    });
    group.finish();
    eprintln!("page size for {CYCLES} cycles: {} bytes", render(&page(&model)).len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
