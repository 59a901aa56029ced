//! The sources behind one interface: each read gives bytes and, when the source can tell, the identity
//! of what was measured, so that a restarted target is noticed.

use super::cgroup::Cgroup;
use super::process::Process;
use super::promql::{Promql, Query};
use super::read::Read;
use super::resources::{self, Extras, Unreadable};
use super::scrape::Scrape;
use super::tree::Tree;
use super::{Error, fetch, heap};
use crate::settings::{HttpOptions, MemorySource, Resources};
use std::time::Duration;

/// A configured source with its state (process table, HTTP client).
#[derive(Debug)]
pub enum Source {
    OwnRss(Box<Process>),
    OwnHeap,
    Process(Box<Process>),
    ProcessTree(Box<Tree>),
    Cgroup(Cgroup),
    Scrape(Scrape),
    Promql(Promql),
}

impl Source {
    /// The source `source` names; `settle` bounds how old a PromQL sample may be.
    pub fn new(source: &MemorySource, settle: Duration, extra: &Resources) -> Result<Self, Error> {
        Ok(match source {
            MemorySource::OwnRss => Self::OwnRss(Box::new(Process::own())),
            MemorySource::OwnHeap => Self::OwnHeap,
            MemorySource::Process(selector) => Self::Process(Box::new(Process::new(selector.clone()))),
            MemorySource::ProcessTree(selector) => Self::ProcessTree(Box::new(Tree::new(selector.clone()))),
            MemorySource::Cgroup { path, metric } => Self::Cgroup(Cgroup::new(path.clone(), *metric)),
            MemorySource::Scrape { url, metric, http } => {
                let credentials = sends_credentials(url, http);
                let scrape = Scrape::new(fetch::client(http)?, url.clone(), metric.clone(), credentials);
                Self::Scrape(scrape.with_extra(extra.scrape_metrics.clone()))
            }
            MemorySource::Promql { url, query, http, allow_unlabeled } => {
                let query = Query {
                    base: url.clone(),
                    query: query.clone(),
                    credentials: sends_credentials(url, http),
                    allow_unlabeled: *allow_unlabeled,
                    settle,
                };
                Self::Promql(Promql::new(fetch::client(http)?, query))
            }
        })
    }

    pub async fn read(&mut self) -> Result<Read, Error> {
        match self {
            Self::OwnRss(p) => p.read().map(|r| Read { identity: None, ..r }),
            Self::OwnHeap => heap::live_heap_bytes().map(|bytes| Read { bytes, identity: None }),
            Self::Process(p) => p.read(),
            Self::ProcessTree(t) => t.read(),
            Self::Cgroup(c) => c.read(),
            Self::Scrape(s) => s.read().await,
            Self::Promql(q) => q.read().await,
        }
    }

    /// The series beside memory (docs/memory-sources.md#resources), read now for the processes and the
    /// cgroup, taken from the last page read for `scrape`; none for `promql`.
    pub fn extras(&self, unreadable: &mut Unreadable) -> Extras {
        match self {
            Self::OwnRss(_) | Self::OwnHeap => resources::of_processes(&[std::process::id()], "self", unreadable),
            Self::Process(p) => match p.last_pid() {
                Some(pid) => resources::of_processes(&[pid], &p.describe(), unreadable),
                None => Extras::default(),
            },
            Self::ProcessTree(t) => resources::of_processes(&t.pids(), &t.describe(), unreadable),
            Self::Cgroup(c) => resources::of_cgroup(c.dir(), unreadable),
            Self::Scrape(s) => Extras { resources: s.extras(), breakdown: None },
            Self::Promql(_) => Extras::default(),
        }
    }

    /// Processes of a measured tree that ended since the last call (worker churn); 0 for other sources.
    pub fn take_churn(&mut self) -> u32 {
        match self {
            Self::ProcessTree(t) => t.take_churn(),
            _ => 0,
        }
    }

    /// The memory limit of what is measured (the cgroup's `memory.max`), when the source has one.
    pub fn memory_limit(&self) -> Option<u64> {
        match self {
            Self::OwnRss(_) | Self::OwnHeap => super::limit::of_process(std::process::id()),
            Self::Process(p) => p.last_pid().and_then(super::limit::of_process),
            Self::ProcessTree(t) => t.pids().first().copied().and_then(super::limit::of_process),
            Self::Cgroup(c) => super::limit::of_cgroup(c.dir()),
            Self::Scrape(_) | Self::Promql(_) => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::OwnRss(p) => format!("self: {}", p.describe()),
            Self::OwnHeap => "self-heap (live heap bytes)".into(),
            Self::Process(p) => p.describe(),
            Self::ProcessTree(t) => t.describe(),
            Self::Cgroup(c) => c.describe(),
            Self::Scrape(s) => s.describe(),
            Self::Promql(q) => q.describe(),
        }
    }
}

/// Whether requests carry credentials: the auth keys', or the URL's own `user:password@`.
fn sends_credentials(url: &url::Url, http: &HttpOptions) -> bool {
    http.authorization.is_some() || !url.username().is_empty() || url.password().is_some()
}
