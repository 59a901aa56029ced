//! Cost of one memory read of the local sources, as a sidecar pays it after every batch (times
//! `samples_per_batch`): `process` (one process: only its own memory is refreshed) against `process_tree`
//! (the whole process table is listed again and the tree walked at every read, so recycled workers are
//! followed). The tree is timed twice: rooted at the bench's parent (cargo: a tree of one, since leaksoak
//! never measures itself, so the cost is the table pass alone) and rooted at pid 1 (every process of the
//! machine or container: the worst case).
//! Ratios against `process` in the same run are in docs/benchmarks.md.

use criterion::{Criterion, criterion_group, criterion_main};
use leaksoak::memory::Sampler;
use leaksoak::settings::{Memory, MemorySource, ProcessSelector};
use std::time::Duration;

fn sampler(source: MemorySource) -> Sampler {
    Sampler::new(&Memory { source, samples_per_batch: 1, settle: Duration::ZERO, resources: Default::default() })
        .expect("a sampler")
}

fn reads(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
    let own = std::process::id();
    let processes = std::fs::read_dir("/proc")
        .map(|d| d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok()).count())
        .unwrap_or(0);
    eprintln!("processes on this machine: {processes}");
    let mut group = c.benchmark_group("memory_read");
    for (name, source) in [
        ("process", MemorySource::Process(ProcessSelector::Pid(own))),
        ("process_tree_of_one", MemorySource::ProcessTree(ProcessSelector::Pid(std::os::unix::process::parent_id()))),
        ("process_tree_of_everything", MemorySource::ProcessTree(ProcessSelector::Pid(1))),
    ] {
        let mut s = sampler(source);
        rt.block_on(s.sample_at_rest()).expect("a first read");
        group.bench_function(name, |b| b.iter(|| rt.block_on(s.sample_at_rest()).expect("a read")));
    }
    group.finish();
}

criterion_group!(benches, reads);
criterion_main!(benches);
