//! What can go wrong while reading memory: one variant per failure kind, each naming what failed and where.

use std::path::PathBuf;

/// A failed memory read. The cycle engine marks the source down and the cycle `error`, then goes on.
///
/// `Clone + PartialEq` so the engine can log a failure once per state change (compare with the previous
/// error, or its [`Error::kind`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `self-heap` was configured but the binary does not count its allocations.
    #[error(
        "self-heap: leaksoak's counting allocator is not installed as #[global_allocator] in this binary, \
         so live heap bytes are unknown (use memory.source = \"self\" for the resident set)"
    )]
    HeapNotCounted,
    /// The operating system's process table could not be opened (sysinfo).
    #[error("process table is not available on this system: {detail}")]
    ProcessTable {
        /// What sysinfo reported.
        detail: String,
    },
    /// The pid file could not be read or holds no pid.
    #[error("pid file {}: {detail}", path.display())]
    PidFile {
        /// The configured `memory.pid_file`.
        path: PathBuf,
        /// Why it gave no pid (missing, unreadable, not a number).
        detail: String,
    },
    /// The process to measure is not running (never was, exited, or is a zombie).
    #[error("process {pid} is not running{}", from_where(.selected_by))]
    ProcessGone {
        /// The pid that was looked for.
        pid: u32,
        /// How that pid was chosen (pid file, name), empty for a plain `memory.pid`.
        selected_by: String,
    },
    /// No process matches `memory.process_name`.
    #[error("no process named {name:?} (matched against process names and command lines)")]
    NoProcessNamed {
        /// The configured `memory.process_name`.
        name: String,
    },
    /// Several processes match `memory.process_name`.
    #[error(
        "process_name {name:?} matches {} processes: {}; use a more specific name or command-line \
         fragment, or memory.pid / memory.pid_file (a server and its workers: memory.process_tree = true \
         measures them together)",
        matches.len(),
        list_matches(matches)
    )]
    AmbiguousProcessName {
        /// The configured `memory.process_name`.
        name: String,
        /// Every match as (pid, process name), so the user can pick one; never the command line, which may
        /// carry secrets.
        matches: Vec<(u32, String)>,
    },
    /// A cgroup's memory usage could not be read.
    #[error("cgroup {}: {detail}", path.display())]
    Cgroup {
        /// The configured `memory.cgroup_path` (or the file in it that failed).
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The request did not complete (connection refused, timeout, broken body).
    #[error("GET {url}: {detail}")]
    Http {
        /// The URL requested, password removed.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// The server answered with a non-success status.
    #[error("GET {url}: HTTP status {status}")]
    HttpStatus {
        /// The URL requested, password removed.
        url: String,
        /// The status code received.
        status: u16,
    },
    /// The response body exceeded the cap, so it was not read to the end.
    #[error("GET {url}: response body larger than {limit} bytes")]
    BodyTooLarge {
        /// The URL requested, password removed.
        url: String,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The scraped body is not Prometheus text format at all.
    #[error("{url}: not Prometheus text format ({bad_lines} unparsable lines; first: {first})")]
    NotExposition {
        /// The URL scraped, password removed.
        url: String,
        /// How many lines failed to parse.
        bad_lines: usize,
        /// The first parse failure, with its line number.
        first: String,
    },
    /// The metric (with its label matchers) is not on the scraped page.
    #[error("{url}: no series {metric}")]
    MetricMissing {
        /// The URL scraped, password removed.
        url: String,
        /// The configured selector, as written in `memory.metric`.
        metric: String,
    },
    /// Several series match the metric selector; one sample is needed.
    #[error(
        "{url}: {count} series match {metric}; add label matchers to memory.metric, \
         e.g. name{{job=\"...\"}}, so that exactly one does"
    )]
    MetricAmbiguous {
        /// The URL scraped, password removed.
        url: String,
        /// The configured selector.
        metric: String,
        /// How many series matched.
        count: usize,
    },
    /// A value that is not a byte count (negative, NaN, infinite, not a number, beyond any real memory).
    #[error("{source_name}: value {value} is not a byte count (one between 0 and 1 PiB)")]
    BadValue {
        /// Which source and series or query produced it.
        source_name: String,
        /// The value as received.
        value: String,
    },
    /// Prometheus answered `status: "error"`.
    #[error("promql {query:?}: Prometheus error ({error_type}): {message}")]
    PromqlError {
        /// The configured query.
        query: String,
        /// Prometheus' `errorType` (`bad_data`, `timeout`, ...).
        error_type: String,
        /// Prometheus' `error` message.
        message: String,
    },
    /// The query returned zero or several samples; exactly one is needed.
    #[error("promql {query:?}: returned {count} samples, exactly one is needed{}", count_hint(*.count))]
    PromqlCount {
        /// The configured query.
        query: String,
        /// How many samples came back.
        count: usize,
    },
    /// The response is not a Prometheus API answer leaksoak understands.
    #[error("promql {query:?}: unexpected response: {detail}")]
    PromqlResponse {
        /// The configured query.
        query: String,
        /// What was wrong with it.
        detail: String,
    },
    /// The HTTP client could not be built (TLS setup).
    #[error("HTTP client: {detail}")]
    Client {
        /// reqwest's error.
        detail: String,
    },
}

impl Error {
    /// A stable, short name of the failure kind, for logs and metric labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::HeapNotCounted => "heap_not_counted",
            Self::ProcessTable { .. } => "process_table",
            Self::PidFile { .. } => "pid_file",
            Self::ProcessGone { .. } => "process_gone",
            Self::NoProcessNamed { .. } => "no_process_named",
            Self::AmbiguousProcessName { .. } => "ambiguous_process_name",
            Self::Cgroup { .. } => "cgroup",
            Self::Http { .. } => "http",
            Self::HttpStatus { .. } => "http_status",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::NotExposition { .. } => "not_exposition",
            Self::MetricMissing { .. } => "metric_missing",
            Self::MetricAmbiguous { .. } => "metric_ambiguous",
            Self::BadValue { .. } => "bad_value",
            Self::PromqlError { .. } => "promql_error",
            Self::PromqlCount { .. } => "promql_count",
            Self::PromqlResponse { .. } => "promql_response",
            Self::Client { .. } => "client",
        }
    }
}

fn from_where(selected_by: &str) -> String {
    if selected_by.is_empty() { String::new() } else { format!(" ({selected_by})") }
}

fn list_matches(matches: &[(u32, String)]) -> String {
    let shown: Vec<String> = matches.iter().map(|(pid, name)| format!("{pid} ({name})")).collect();
    shown.join(", ")
}

fn count_hint(count: usize) -> &'static str {
    if count == 0 {
        " (is the target scraped, and are the label values right?)"
    } else {
        "; aggregate (sum, max) or add label matchers"
    }
}
