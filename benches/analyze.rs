//! Cost of analysing one cycle: the default cycle (10 measured batches) and a long one (100). Goal < 1 ms.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use leaksoak::analyze::{self, Sample};
use leaksoak::settings::Analysis;
use std::hint::black_box;

/// A 50 MiB process leaking 1 KiB per request, with a deterministic page-sized wobble.
fn samples(batches: u64) -> Vec<Sample> {
    (1..=batches)
        .map(|b| {
            let wobble = ((b * 7919) % 13) as f64 * 4096.0;
            Sample::new(50.0 * 1_048_576.0 + b as f64 * 100.0 * 1024.0 + wobble, 100, b % 3)
        })
        .collect()
}

fn cycle(c: &mut Criterion) {
    let settings = Analysis::default();
    let mut group = c.benchmark_group("analyze_cycle");
    for batches in [10u64, 100] {
        let input = samples(batches);
        group.bench_with_input(BenchmarkId::from_parameter(batches), &input, |b, input| {
            b.iter(|| analyze::cycle(black_box(input), black_box(&settings)))
        });
    }
    group.finish();
}

criterion_group!(benches, cycle);
criterion_main!(benches);
