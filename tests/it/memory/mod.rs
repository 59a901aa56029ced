//! Memory sources against real processes, cgroup-like directories and tiny local HTTP servers.
//! Network: 127.0.0.1 only. Helpers are self-contained (the module `memory` of the one integration binary).

mod cgroup;
mod process;
mod promql;
mod scrape;
mod tree;
pub mod server;

use leaksoak::memory::Sampler;
use leaksoak::settings::{Memory, MemorySource};
use std::time::Duration;

pub const MIB: u64 = 1024 * 1024;

/// A sampler taking one read per sample, without settling.
pub fn sampler(source: MemorySource) -> Sampler {
    let settings = Memory { source, samples_per_batch: 1, settle: Duration::ZERO, resources: Default::default() };
    Sampler::new(&settings).expect("a sampler")
}
