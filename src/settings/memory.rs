//! `[memory]`: what leaksoak measures after every batch, and how.

use super::duration::{HumaneDuration, MAX_DURATION};
use super::memory_http::{self, HttpOptions, PROMQL_ALLOW_UNLABELED, TLS_INSECURE_SKIP_VERIFY};
use super::metric_selector::MetricSelector;
use super::problems::Problems;
use super::resources::{self, Resources};
use super::secret::shown_url_text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Measure leaksoak's own resident set: the embedded default soaks the in-process fake endpoint.
pub const SOURCE: &str = "self";
/// The names `memory.source` accepts.
pub const SOURCES: &[&str] = &["self", "self-heap", "process", "cgroup", "scrape", "promql"];
/// The metric most exporters publish for a process's resident set.
pub const METRIC: &str = "process_resident_memory_bytes";
/// What the `cgroup` source measures: the cgroup's usage, the default (page cache included).
pub const CGROUP_METRIC: &str = "usage";
/// The names `memory.cgroup_metric` accepts.
pub const CGROUP_METRICS: &[&str] = &["usage", "working_set", "anon"];
/// Median of 3 reads per batch: one outlier (a GC pause, a page-cache blip) cannot move the sample.
pub const SAMPLES_PER_BATCH: u64 = 3;
/// The most reads per batch. Three already out-vote one outlier; reads are 50 ms apart, so a hundred add
/// 5 s after every batch, and the reads of a batch are kept to take their median.
pub const MAX_SAMPLES_PER_BATCH: u64 = 100;
/// Wait after a batch before reading, so freed memory is returned and in-flight responses are dropped.
pub const SETTLE: HumaneDuration = HumaneDuration::from_millis(200);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawMemory {
    pub source: String,
    pub pid: u32,
    pub pid_file: String,
    pub process_name: String,
    pub process_tree: bool,
    pub cgroup_path: String,
    pub cgroup_metric: String,
    pub url: String,
    pub metric: String,
    pub query: String,
    pub samples_per_batch: u64,
    pub settle: HumaneDuration,
    pub resources: bool,
    pub resource_metrics: BTreeMap<String, String>,
    // The sources that read over HTTP (`scrape`, `promql`): credentials, headers, TLS (memory_http.rs),
    // and what a PromQL result must carry.
    pub bearer_token_file: String,
    pub basic_auth_user: String,
    pub basic_auth_password_file: String,
    pub ca_file: String,
    pub tls_insecure_skip_verify: bool,
    pub promql_allow_unlabeled: bool,
    pub headers: BTreeMap<String, String>,
}

impl Default for RawMemory {
    fn default() -> Self {
        Self {
            source: SOURCE.into(),
            pid: 0,
            pid_file: String::new(),
            process_name: String::new(),
            process_tree: false,
            cgroup_path: String::new(),
            cgroup_metric: CGROUP_METRIC.into(),
            url: String::new(),
            metric: METRIC.into(),
            query: String::new(),
            samples_per_batch: SAMPLES_PER_BATCH,
            settle: SETTLE,
            resources: resources::RESOURCES,
            resource_metrics: resources::default_metrics(),
            bearer_token_file: String::new(),
            basic_auth_user: String::new(),
            basic_auth_password_file: String::new(),
            ca_file: String::new(),
            tls_insecure_skip_verify: TLS_INSECURE_SKIP_VERIFY,
            promql_allow_unlabeled: PROMQL_ALLOW_UNLABELED,
            headers: BTreeMap::new(),
        }
    }
}

impl RawMemory {
    /// The keys of the sources that read over HTTP, for [`memory_http::validate`].
    fn http_keys(&self) -> memory_http::Keys<'_> {
        memory_http::Keys {
            bearer_token_file: &self.bearer_token_file,
            basic_auth_user: &self.basic_auth_user,
            basic_auth_password_file: &self.basic_auth_password_file,
            headers: &self.headers,
            ca_file: &self.ca_file,
            tls_insecure_skip_verify: self.tls_insecure_skip_verify,
        }
    }
}

/// How the soaked process is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessSelector {
    Pid(u32),
    /// A file holding the pid, read again before every batch (a restarted target writes a new one).
    PidFile(PathBuf),
    /// Matched against the process name or its command line; more than one match is an error.
    Name(String),
}

/// Which figure of a cgroup the `cgroup` source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupMetric {
    /// `memory.current` (v2) or `memory.usage_in_bytes` (v1): everything charged, page cache included.
    Usage,
    /// Usage minus inactive file pages, as the kubelet and cAdvisor count it
    /// (`container_memory_working_set_bytes`): what the OOM killer and eviction look at.
    WorkingSet,
    /// Anonymous memory only (`anon` in v2 `memory.stat`, `total_rss` in v1): heaps and stacks, no page
    /// cache, so a target writing logs or reading files does not look like a leak.
    Anon,
}

impl CgroupMetric {
    /// The name `memory.cgroup_metric` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Usage => "usage",
            Self::WorkingSet => "working_set",
            Self::Anon => "anon",
        }
    }
}

/// What is measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemorySource {
    /// leaksoak's own resident set size.
    OwnRss,
    /// leaksoak's live heap bytes, counted by its allocator.
    OwnHeap,
    /// Another process's resident set size.
    Process(ProcessSelector),
    /// A process and all its descendants (a server's master and its workers): the sum of their resident
    /// sets, the tree walked again at every read.
    ProcessTree(ProcessSelector),
    /// A cgroup's memory (v2 or v1, detected at the first read), as `metric` says.
    Cgroup { path: PathBuf, metric: CgroupMetric },
    /// One sample of a metric on a Prometheus text endpoint.
    Scrape { url: Url, metric: MetricSelector, http: HttpOptions },
    /// An instant PromQL query that returns exactly one sample. `allow_unlabeled`: a result without labels
    /// is read, with restart detection off, instead of refused.
    Promql { url: Url, query: String, http: HttpOptions, allow_unlabeled: bool },
}

/// The validated `[memory]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Memory {
    pub source: MemorySource,
    /// Reads per batch; the median is the batch's sample.
    pub samples_per_batch: usize,
    /// Wait after a batch before the first read.
    pub settle: Duration,
    /// The series read beside memory at every sample (fds, sockets, threads, tasks, the breakdown).
    pub resources: Resources,
}

pub fn validate(raw: &RawMemory, p: &mut Problems) -> Memory {
    // Checked whatever the source, so a typo is caught before the source is switched to `cgroup`.
    let cgroup_metric = match p.one_of("memory.cgroup_metric", &raw.cgroup_metric, CGROUP_METRICS) {
        Some(1) => CgroupMetric::WorkingSet,
        Some(2) => CgroupMetric::Anon,
        _ => CgroupMetric::Usage,
    };
    // Checked whatever the source too: the secret files are read like every other secret.
    let http = memory_http::validate(raw.http_keys(), p);
    let source = match p.one_of("memory.source", &raw.source, SOURCES) {
        Some(0) | None => MemorySource::OwnRss,
        Some(1) => MemorySource::OwnHeap,
        Some(2) if raw.process_tree => MemorySource::ProcessTree(process_selector(raw, p)),
        Some(2) => MemorySource::Process(process_selector(raw, p)),
        Some(3) => MemorySource::Cgroup { path: cgroup_path(raw, p), metric: cgroup_metric },
        Some(4) => MemorySource::Scrape {
            url: source_url(p, &raw.url, &http),
            metric: MetricSelector::parse(&raw.metric).unwrap_or_else(|e| {
                p.push("memory.metric", e);
                MetricSelector { name: METRIC.into(), labels: vec![] }
            }),
            http,
        },
        Some(_) => {
            if raw.query.trim().is_empty() {
                p.push("memory.query", "required when memory.source = \"promql\"");
            }
            let url = source_url(p, &raw.url, &http);
            MemorySource::Promql { url, query: raw.query.clone(), http, allow_unlabeled: raw.promql_allow_unlabeled }
        }
    };
    if raw.process_tree && !matches!(source, MemorySource::ProcessTree(_)) {
        p.push("memory.process_tree", "only with memory.source = \"process\"");
    }
    Memory {
        source,
        samples_per_batch: p.between("memory.samples_per_batch", raw.samples_per_batch, 1, MAX_SAMPLES_PER_BATCH)
            as usize,
        settle: p.duration_at_most("memory.settle", raw.settle.0, MAX_DURATION),
        resources: resources::validate(raw.resources, &raw.resource_metrics, p),
    }
}

/// `memory.url` of an HTTP source; credentials in it (`user:password@`) and in the auth keys would compete.
fn source_url(p: &mut Problems, text: &str, http: &HttpOptions) -> Url {
    let url = http_url(p, "memory.url", text);
    if http.authorization.is_some() && (!url.username().is_empty() || url.password().is_some()) {
        p.push("memory.url", "holds credentials (user:password@) and so do the auth keys; keep one of them");
    }
    url
}

fn process_selector(raw: &RawMemory, p: &mut Problems) -> ProcessSelector {
    let mut set = vec![];
    if raw.pid != 0 {
        set.push(ProcessSelector::Pid(raw.pid));
    }
    if !raw.pid_file.is_empty() {
        set.push(ProcessSelector::PidFile(raw.pid_file.clone().into()));
    }
    if !raw.process_name.is_empty() {
        set.push(ProcessSelector::Name(raw.process_name.clone()));
    }
    if set.len() != 1 {
        p.push(
            "memory.pid",
            format!("memory.source = \"process\" needs exactly one of pid, pid_file, process_name; {} set", set.len()),
        );
    }
    set.into_iter().next().unwrap_or(ProcessSelector::Pid(0))
}

fn cgroup_path(raw: &RawMemory, p: &mut Problems) -> PathBuf {
    if raw.cgroup_path.is_empty() {
        p.push("memory.cgroup_path", "required when memory.source = \"cgroup\"");
    }
    raw.cgroup_path.clone().into()
}

/// An `http://` or `https://` URL.
pub fn http_url(p: &mut Problems, key: &str, text: &str) -> Url {
    match Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        Ok(_) => {
            p.push(key, format!("must be an http:// or https:// URL, got {:?}", shown_url_text(text)));
            placeholder_url()
        }
        Err(e) => {
            let shown = if text.is_empty() { "nothing".to_string() } else { format!("{:?}", shown_url_text(text)) };
            p.push(key, format!("must be an http:// or https:// URL, got {shown} ({e})"));
            placeholder_url()
        }
    }
}

fn placeholder_url() -> Url {
    Url::parse("http://127.0.0.1/").expect("a constant URL parses")
}
