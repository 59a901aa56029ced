//! `self-heap` with the counting allocator installed, as the `leaksoak` binary installs it. Its own test
//! binary: the global allocator is per binary, and one test keeps other threads' allocations out.

use leaksoak::memory::{CountingAlloc, Sampler};
use leaksoak::settings::{Memory, MemorySource};
use std::time::Duration;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

const MIB: u64 = 1024 * 1024;

#[tokio::test]
async fn live_heap_rises_by_an_allocation_and_falls_back() {
    let settings = Memory {
        source: MemorySource::OwnHeap,
        samples_per_batch: 1,
        settle: Duration::ZERO,
        resources: Default::default(),
    };
    let mut sampler = Sampler::new(&settings).expect("a sampler");
    let before = sampler.sample().await.expect("counted").bytes;
    assert!(before > 0);
    let block = vec![1u8; 10 * MIB as usize];
    let during = sampler.sample().await.expect("counted").bytes;
    assert!(during >= before + 10 * MIB, "{before} -> {during}");
    drop(block);
    let after = sampler.sample().await.expect("counted").bytes;
    assert!(after < before + MIB, "{before} -> {during} -> {after}");
    let mut grown: Vec<u8> = Vec::with_capacity(1024);
    grown.resize(4 * MIB as usize, 2);
    assert!(sampler.sample().await.expect("counted").bytes >= before + 4 * MIB, "realloc is counted");
    drop(grown);
}
