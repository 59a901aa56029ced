//! Sources of memory readings: what leaksoak measures after every batch, and how.
//!
//! The cycle engine owns one [`Sampler`] built from the `[memory]` settings and calls
//! [`Sampler::sample`] after every batch. Each source is one file:
//!
//! * `self` and `process` ([`process`]): a process's resident set via sysinfo; identity (pid, start time).
//! * `process` with `process_tree` ([`tree`]): a process and its descendants (a server's workers), summed;
//!   identity the root's; workers that end are churn, not a restart.
//! * `self-heap` ([`heap`]): live heap bytes counted by [`CountingAlloc`], when the binary installs it.
//! * `cgroup` ([`cgroup`]): v2 `memory.current` or v1 `memory.usage_in_bytes`; identity the directory inode.
//! * `scrape` ([`scrape`], parsing in [`exposition`]): one series of a Prometheus text page; identity
//!   its `process_start_time_seconds` (one that comes back after another: several processes, an error).
//! * `promql` ([`promql`]): an instant query returning one fresh sample; identity the series' labels
//!   (none: an error unless accepted).
//!
//! Beside memory, at the same sample point, [`resources`] reads counts a leak holds (open file
//! descriptors, sockets, threads, cgroup tasks, a scraped page's extra metrics) and where the memory is
//! ([`Breakdown`]); what cannot be read is logged once and left out.
//!
//! The two HTTP sources share [`fetch`]: one bounded GET with the configured credentials, headers and
//! trust roots, where 401/403 and TLS failures are errors of their own kind.
//!
//! A changed identity between two samples is a target restart ([`Reading::restarted`]). Every failure is an
//! [`Error`] value; nothing here panics on what a target sends.

mod cgroup;
mod error;
pub mod exposition;
mod fetch;
mod heap;
mod limit;
mod process;
mod promql;
mod read;
mod resources;
mod sampler;
mod scrape;
mod source;
mod tree;

pub use error::Error;
pub use heap::{CountingAlloc, live_heap_bytes};
pub use read::MAX_MEMORY_BYTES;
pub use resources::{Breakdown, OPEN_FDS, SOCKETS, TASKS, THREADS};
pub use sampler::{READ_GAP, Reading, Sampler};

/// Reads the cgroup directory `dir` as the `cgroup` source does, once per metric, and its resource series
/// (see [`crate::fuzz_api::cgroup`]): how many reads succeeded.
#[doc(hidden)]
pub fn read_cgroup_for_fuzzing(dir: &std::path::Path) -> usize {
    use crate::settings::CgroupMetric;
    let metrics = [CgroupMetric::Usage, CgroupMetric::WorkingSet, CgroupMetric::Anon];
    let reads = metrics.into_iter().filter(|m| cgroup::Cgroup::new(dir.to_owned(), *m).read().is_ok()).count();
    let extras = resources::of_cgroup(dir, &mut resources::Unreadable::default());
    reads + extras.resources.len() + usize::from(extras.breakdown.is_some())
}

/// Parses `text` as each `/proc` file the resource series read (`status`, `smaps_rollup`) and as a cgroup's
/// `memory.stat` (see [`crate::fuzz_api::proc`]): how many parses succeeded.
#[doc(hidden)]
pub fn parse_proc_for_fuzzing(text: &str) -> usize {
    usize::from(resources::field(text, "Threads:").is_some())
        + usize::from(resources::smaps_breakdown(text).is_ok())
        + usize::from(resources::stat_breakdown(text).is_ok())
}

/// Decodes a PromQL HTTP API response (see [`crate::fuzz_api::promql`]); `true` when it holds one sample.
#[doc(hidden)]
pub fn decode_promql_for_fuzzing(body: &[u8]) -> bool {
    promql::decode("fuzz", body).is_ok()
}
