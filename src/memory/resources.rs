//! The series read beside memory, at the same sample point: counts of resources a leak holds without
//! (yet) growing the resident set, and where the memory is (anonymous, file-backed, shared).
//!
//! * `self`, `self-heap`, `process` (summed over the tree with `process_tree`): `open_fds` and `sockets`
//!   from `/proc/<pid>/fd`, `threads` from `/proc/<pid>/status`, the breakdown from
//!   `/proc/<pid>/smaps_rollup` (`Pss_Anon`, `Pss_File`, `Pss_Shmem`).
//! * `cgroup`: `tasks` (`pids.current`, else the lines of `tasks` or `cgroup.threads`), the breakdown
//!   from `memory.stat` (`anon`/`file`/`shmem` on v2, `total_rss`/`total_cache`/`total_shmem` on v1).
//! * `scrape`: the metrics `memory.resource_metrics` names, from the same page as memory.
//!
//! A series that cannot be read (another user's `/proc/<pid>/fd`, a kernel without `smaps_rollup`) is
//! left out of the sample and logged once ([`Unreadable`]); it never fails the sample.

use crate::files::{MAX_LIST_FILE_BYTES, MAX_SMALL_FILE_BYTES, read_text_capped};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Resource names of the process sources.
pub const OPEN_FDS: &str = "open_fds";
pub const SOCKETS: &str = "sockets";
pub const THREADS: &str = "threads";
/// Resource name of the cgroup source.
pub const TASKS: &str = "tasks";

/// Where the memory of a sample is: the contract of a recording's `memory_breakdown` field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(expecting = "an object")]
pub struct Breakdown {
    /// Anonymous memory (heaps, stacks): where a per-request object kept alive grows.
    pub anon_bytes: u64,
    /// File-backed pages (mapped code and files, page cache in a cgroup): growth here is rarely a leak.
    pub file_bytes: u64,
    /// Shared memory (tmpfs, shm segments).
    pub shmem_bytes: u64,
}

impl Breakdown {
    /// Component-wise sum (a process tree).
    pub fn plus(self, other: Self) -> Self {
        Self {
            anon_bytes: self.anon_bytes.saturating_add(other.anon_bytes),
            file_bytes: self.file_bytes.saturating_add(other.file_bytes),
            shmem_bytes: self.shmem_bytes.saturating_add(other.shmem_bytes),
        }
    }
}

/// What one sample read beside memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extras {
    /// Counts by resource name; series that could not be read are left out.
    pub resources: BTreeMap<String, u64>,
    /// Where the memory is, when the source can tell and it was readable.
    pub breakdown: Option<Breakdown>,
}

/// The series already reported as unreadable: each is logged once, not after every batch.
#[derive(Debug, Default)]
pub struct Unreadable(BTreeSet<String>);

impl Unreadable {
    /// Logs that `series` of `target` cannot be read, the first time only.
    pub fn report(&mut self, series: &str, target: &str, detail: &str) {
        if self.0.insert(format!("{target}/{series}")) {
            tracing::warn!(
                series,
                target,
                detail,
                "cannot read this series: it is left out of every sample (memory is still judged)"
            );
        }
    }
}

/// The series of one process: fds and sockets, threads, breakdown (each `Err` with why it was unreadable).
#[derive(Debug)]
pub struct ProcessSeries {
    /// Open descriptors and how many of them are sockets.
    pub fds: Result<(u64, u64), String>,
    /// The `Threads:` line of `status`.
    pub threads: Result<u64, String>,
    /// From `smaps_rollup`.
    pub breakdown: Result<Breakdown, String>,
}

/// Reads the series of process `pid`.
pub fn process_series(pid: u32) -> ProcessSeries {
    let dir = Path::new("/proc").join(pid.to_string());
    let text = |name: &str| small_text(&dir.join(name), name);
    ProcessSeries {
        fds: count_fds(&dir.join("fd")),
        threads: text("status").and_then(|t| field(&t, "Threads:").ok_or_else(|| "status: no Threads line".into())),
        breakdown: text("smaps_rollup").and_then(|t| smaps_breakdown(&t)),
    }
}

/// Sums the series of `pids` (a process tree) into `extras`; a series unreadable for any of them is left
/// out and reported once. `target` names the process for the log.
pub fn of_processes(pids: &[u32], target: &str, unreadable: &mut Unreadable) -> Extras {
    let mut fds = Some((0u64, 0u64));
    let mut threads = Some(0u64);
    let mut breakdown = Some(Breakdown::default());
    for pid in pids {
        let s = process_series(*pid);
        fds = merge(fds, s.fds, |(a, b), (c, d)| (a + c, b + d), OPEN_FDS, target, unreadable);
        threads = merge(threads, s.threads, |a, b| a + b, THREADS, target, unreadable);
        breakdown = merge(breakdown, s.breakdown, Breakdown::plus, "memory_breakdown", target, unreadable);
    }
    let mut resources = BTreeMap::new();
    if let Some((open, sockets)) = fds {
        resources.insert(OPEN_FDS.to_owned(), open);
        resources.insert(SOCKETS.to_owned(), sockets);
    }
    if let Some(n) = threads {
        resources.insert(THREADS.to_owned(), n);
    }
    Extras { resources, breakdown: breakdown.filter(|_| !pids.is_empty()) }
}

/// `sum` plus `next`, or `None` (reported) once one part could not be read.
fn merge<T>(
    sum: Option<T>,
    next: Result<T, String>,
    add: impl FnOnce(T, T) -> T,
    series: &str,
    target: &str,
    unreadable: &mut Unreadable,
) -> Option<T> {
    match (sum, next) {
        (Some(sum), Ok(next)) => Some(add(sum, next)),
        (_, Err(detail)) => {
            unreadable.report(series, target, &detail);
            None
        }
        (None, Ok(_)) => None,
    }
}

/// Open descriptors in a `/proc/<pid>/fd` directory, and how many are sockets (link `socket:[inode]`).
/// A descriptor closed while the directory is listed is not counted.
pub fn count_fds(dir: &Path) -> Result<(u64, u64), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (mut open, mut sockets) = (0u64, 0u64);
    for entry in entries.flatten() {
        let Ok(target) = std::fs::read_link(entry.path()) else { continue };
        open += 1;
        sockets += u64::from(target.as_os_str().as_encoded_bytes().starts_with(b"socket:"));
    }
    Ok((open, sockets))
}

/// The text of one small `/proc` or cgroup file, at most [`MAX_SMALL_FILE_BYTES`]; the error starts with
/// `name`.
fn small_text(path: &Path, name: &str) -> Result<String, String> {
    read_text_capped(path, MAX_SMALL_FILE_BYTES).map_err(|e| format!("{name}: {}", e.detail()))
}

/// The number after `key` on its line (`Threads:\t9`, `Pss_Anon:   112 kB`); `None` when absent.
pub fn field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok())
}

/// The breakdown in an `smaps_rollup` (kB figures; proportional, so a tree's shared pages count once).
pub fn smaps_breakdown(text: &str) -> Result<Breakdown, String> {
    let kib = |key: &str| {
        field(text, key).map(|k| k.saturating_mul(1024)).ok_or_else(|| format!("smaps_rollup: no {key} line"))
    };
    Ok(Breakdown { anon_bytes: kib("Pss_Anon:")?, file_bytes: kib("Pss_File:")?, shmem_bytes: kib("Pss_Shmem:")? })
}

/// The `memory.stat` keys of the breakdown on v2 and v1 (the v1 `total_` keys include descendants).
const STAT_KEYS: [[&str; 3]; 2] = [["anon", "file", "shmem"], ["total_rss", "total_cache", "total_shmem"]];

/// A cgroup's breakdown from its `memory.stat` text.
pub fn stat_breakdown(text: &str) -> Result<Breakdown, String> {
    let value = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok());
    for [anon, file, shmem] in STAT_KEYS {
        if let (Some(anon_bytes), Some(file_bytes), Some(shmem_bytes)) = (value(anon), value(file), value(shmem)) {
            return Ok(Breakdown { anon_bytes, file_bytes, shmem_bytes });
        }
    }
    Err("memory.stat: neither anon/file/shmem (v2) nor total_rss/total_cache/total_shmem (v1)".into())
}

/// The tasks (threads) of a cgroup: `pids.current`, else the lines of `tasks` (v1) or `cgroup.threads`.
pub fn cgroup_tasks(dir: &Path) -> Result<u64, String> {
    if let Ok(text) = small_text(&dir.join("pids.current"), "pids.current") {
        return text.trim().parse().map_err(|_| format!("pids.current holds {:?}", text.trim()));
    }
    for name in ["tasks", "cgroup.threads"] {
        if let Ok(text) = read_text_capped(&dir.join(name), MAX_LIST_FILE_BYTES) {
            return Ok(text.lines().filter(|l| !l.trim().is_empty()).count() as u64);
        }
    }
    Err(format!("{}: none of pids.current, tasks, cgroup.threads is readable", dir.display()))
}

/// The cgroup series of `dir`, unreadable ones reported once.
pub fn of_cgroup(dir: &Path, unreadable: &mut Unreadable) -> Extras {
    let target = dir.display().to_string();
    let mut resources = BTreeMap::new();
    match cgroup_tasks(dir) {
        Ok(n) => drop(resources.insert(TASKS.to_owned(), n)),
        Err(detail) => unreadable.report(TASKS, &target, &detail),
    }
    let stat = small_text(&dir.join("memory.stat"), "memory.stat");
    let breakdown = match stat.and_then(|t| stat_breakdown(&t)) {
        Ok(b) => Some(b),
        Err(detail) => {
            unreadable.report("memory_breakdown", &target, &detail);
            None
        }
    };
    Extras { resources, breakdown }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smaps_rollup_and_status_fields() {
        let smaps = "55-7f ---p 0 00:00 0 [rollup]\nRss: 1624 kB\nPss_Anon:   112 kB\nPss_File:  161 kB\n\
                     Pss_Shmem:  0 kB\nAnonymous: 112 kB\n";
        let b = smaps_breakdown(smaps).expect("a breakdown");
        assert_eq!(b, Breakdown { anon_bytes: 112 * 1024, file_bytes: 161 * 1024, shmem_bytes: 0 });
        assert!(smaps_breakdown("Rss: 4 kB\n").expect_err("an old kernel").contains("Pss_Anon"));
        assert_eq!(field("Name:\tx\nThreads:\t9\n", "Threads:"), Some(9));
        assert_eq!(field("Name:\tx\n", "Threads:"), None);
    }

    #[test]
    fn memory_stat_v2_and_v1() {
        let v2 = "anon 4096\nfile 8192\nkernel 1\nshmem 0\nfile_mapped 3\n";
        assert_eq!(
            stat_breakdown(v2),
            Ok(Breakdown { anon_bytes: 4096, file_bytes: 8192, shmem_bytes: 0 }),
            "shmem is not confused with shmem_thp, nor file with file_mapped"
        );
        let v1 = "cache 1\nrss 2\nshmem 3\ntotal_cache 10\ntotal_rss 20\ntotal_shmem 30\n";
        assert_eq!(stat_breakdown(v1), Ok(Breakdown { anon_bytes: 20, file_bytes: 10, shmem_bytes: 30 }));
        assert!(stat_breakdown("anon 1\n").is_err());
    }

    #[test]
    fn own_descriptors_threads_and_breakdown() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a socket");
        let s = process_series(std::process::id());
        let (open, sockets) = s.fds.expect("own fds are readable");
        assert!(open >= 4 && sockets >= 1, "{open} fds, {sockets} sockets");
        assert!(s.threads.expect("status") >= 1);
        assert!(s.breakdown.expect("smaps_rollup").anon_bytes > 0);
        drop(listener);
    }

    #[test]
    fn an_unreadable_series_is_left_out_and_reported_once() {
        let mut unreadable = Unreadable::default();
        let gone = of_processes(&[u32::MAX], "process 4294967295", &mut unreadable);
        assert_eq!(gone, Extras::default());
        assert_eq!(unreadable.0.len(), 3, "{:?}", unreadable.0);
        of_processes(&[u32::MAX], "process 4294967295", &mut unreadable);
        assert_eq!(unreadable.0.len(), 3, "reported once each");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("tasks"), "1\n2\n3\n").expect("write");
        let got = of_cgroup(dir.path(), &mut unreadable);
        assert_eq!(got.resources, BTreeMap::from([(TASKS.to_owned(), 3)]));
        assert_eq!(got.breakdown, None, "no memory.stat");
    }
}
