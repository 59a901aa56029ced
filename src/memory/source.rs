//! The sources behind one interface: each read gives bytes and, when the source can tell, the identity
//! of what was measured, so that a restarted target is noticed.

use super::cgroup::Cgroup;
use super::process::Process;
use super::promql::Promql;
use super::scrape::Scrape;
use super::{Error, fetch, heap};
use crate::settings::{MemorySource, ProcessSelector};

/// One read of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// Memory in bytes.
    pub bytes: u64,
    /// What was measured; `None` when the source cannot tell (own memory, a scalar query).
    pub identity: Option<Identity>,
}

/// What a source measured. Two reads with different identities measured different incarnations of the
/// target: a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A process: pids are reused, so with its start time (seconds since the epoch).
    Process { pid: u32, start_time: u64 },
    /// A cgroup directory: a recreated cgroup (restarted container) gets a new inode.
    Inode { dev: u64, ino: u64 },
    /// `process_start_time_seconds` on a scraped page, as `f64` bits.
    StartTime(u64),
    /// The label set of a PromQL result series (a new pod name is a new target).
    Labels(Vec<(String, String)>),
}

/// A configured source with its state (process table, HTTP client).
#[derive(Debug)]
pub enum Source {
    OwnRss(Box<Process>),
    OwnHeap,
    Process(Box<Process>),
    Cgroup(Cgroup),
    Scrape(Scrape),
    Promql(Promql),
}

impl Source {
    pub fn new(source: &MemorySource) -> Result<Self, Error> {
        Ok(match source {
            MemorySource::OwnRss => Self::OwnRss(Box::new(Process::own())),
            MemorySource::OwnHeap => Self::OwnHeap,
            MemorySource::Process(selector) => Self::Process(Box::new(Process::new(selector.clone()))),
            MemorySource::Cgroup { path, metric } => Self::Cgroup(Cgroup::new(path.clone(), *metric)),
            MemorySource::Scrape { url, metric } => {
                Self::Scrape(Scrape::new(fetch::client()?, url.clone(), metric.clone()))
            }
            MemorySource::Promql { url, query } => {
                Self::Promql(Promql::new(fetch::client()?, url.clone(), query.clone()))
            }
        })
    }

    pub async fn read(&mut self) -> Result<Read, Error> {
        match self {
            Self::OwnRss(p) => p.read().map(|r| Read { identity: None, ..r }),
            Self::OwnHeap => heap::live_heap_bytes().map(|bytes| Read { bytes, identity: None }),
            Self::Process(p) => p.read(),
            Self::Cgroup(c) => c.read(),
            Self::Scrape(s) => s.read().await,
            Self::Promql(q) => q.read().await,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::OwnRss(p) => format!("self: {}", p.describe()),
            Self::OwnHeap => "self-heap (live heap bytes)".into(),
            Self::Process(p) => p.describe(),
            Self::Cgroup(c) => c.describe(),
            Self::Scrape(s) => s.describe(),
            Self::Promql(q) => q.describe(),
        }
    }
}

/// How a process is selected, for `describe` and errors: "pid file /run/x.pid".
pub fn selector_text(selector: &ProcessSelector) -> String {
    match selector {
        ProcessSelector::Pid(pid) => format!("pid {pid}"),
        ProcessSelector::PidFile(path) => format!("pid file {}", path.display()),
        ProcessSelector::Name(name) => format!("process_name {name:?}"),
    }
}

/// A sample value as bytes: finite and not negative, rounded. `what` names the series for the error.
pub fn to_bytes(value: f64, what: impl FnOnce() -> String) -> Result<u64, Error> {
    if value.is_finite() && value >= 0.0 {
        // `as` saturates at u64::MAX, which no real memory reaches.
        Ok(value.round() as u64)
    } else {
        Err(Error::BadValue { source_name: what(), value: value.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_to_bytes() {
        assert_eq!(to_bytes(1.2345e7, String::new), Ok(12_345_000));
        assert_eq!(to_bytes(0.6, String::new), Ok(1));
        for bad in [f64::NAN, f64::INFINITY, -1.0] {
            assert_eq!(to_bytes(bad, || "m".into()).map_err(|e| e.kind()), Err("bad_value"));
        }
    }
}
