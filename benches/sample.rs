//! Cost of one memory read of the local sources, as a sidecar pays it after every batch (times
//! `samples_per_batch`): `process` (one process: only its own memory is refreshed) against `process_tree`
//! (the whole process table is listed again and the tree walked at every read, so recycled workers are
//! followed). The tree is timed twice: rooted at the bench's parent (cargo: a tree of one, since leaksoak
//! never measures itself, so the cost is the table pass alone) and rooted at pid 1 (every process of the
//! machine or container: the worst case).
//! Ratios against `process` in the same run are in docs/benchmarks.md.
//!
//! `sample_resources` times one whole sample (one read) with and without the series read beside memory
//! (`memory.resources`: open fds, sockets, threads, the smaps_rollup breakdown), for this process and for
//! a child holding 10,000 open file descriptors (each one is listed and its link read). Figures in the
//! README, "Resources".

use criterion::{Criterion, criterion_group, criterion_main};
use leaksoak::memory::Sampler;
use leaksoak::settings::{Memory, MemorySource, ProcessSelector, Resources};
use std::time::Duration;

fn sampler(source: MemorySource) -> Sampler {
    with_resources(source, Resources::off())
}

fn with_resources(source: MemorySource, resources: Resources) -> Sampler {
    Sampler::new(&Memory { source, samples_per_batch: 1, settle: Duration::ZERO, resources }).expect("a sampler")
}

/// A child process holding `n` open descriptors of `/dev/null`, killed when dropped.
struct ManyFds(std::process::Child);

impl ManyFds {
    fn spawn(n: usize) -> Self {
        let script = format!(
            "import resource, sys, time\nresource.setrlimit(resource.RLIMIT_NOFILE, ({m}, {m}))\n\
             held = [open('/dev/null') for _ in range({n})]\nprint('ready', flush=True)\ntime.sleep(600)\n",
            m = n + 64
        );
        let mut child = std::process::Command::new("python3")
            .args(["-c", &script])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("ready");
        Self(child)
    }
}

impl Drop for ManyFds {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn resources(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
    let many = ManyFds::spawn(10_000);
    let mut group = c.benchmark_group("sample_resources");
    for (name, pid) in [("self", std::process::id()), ("10000_fds", many.0.id())] {
        for (with, extra) in [("without", Resources::off()), ("with", Resources::default())] {
            let mut s = with_resources(MemorySource::Process(ProcessSelector::Pid(pid)), extra);
            let first = rt.block_on(s.sample_at_rest()).expect("a first read");
            eprintln!("{name} {with}: {:?}", first.resources);
            group.bench_function(format!("{name}/{with}"), |b| {
                b.iter(|| rt.block_on(s.sample_at_rest()).expect("a read"))
            });
        }
    }
    group.finish();
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

criterion_group!(benches, reads, resources);
criterion_main!(benches);
