//! What can go wrong while reading memory: one variant per failure kind, each naming what failed and where.

use std::path::PathBuf;
use std::time::Duration;

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
    /// The server refused the request for want of (valid, sufficient) credentials: 401 or 403.
    #[error("GET {url}: HTTP status {status} {}", auth_hint(*.status, *.credentials))]
    AuthRefused {
        /// The URL requested, without user information.
        url: String,
        /// 401 or 403.
        status: u16,
        /// Whether credentials were sent (the auth keys), for the hint.
        credentials: bool,
    },
    /// The TLS handshake failed: a certificate not trusted or not for this host, a server that does not
    /// speak TLS.
    #[error(
        "GET {url}: TLS failure: {detail} (the server's certificate must chain to the system's roots or to \
         memory.ca_file, and name the URL's host)"
    )]
    Tls {
        /// The URL requested, without user information.
        url: String,
        /// rustls' error, through reqwest's.
        detail: String,
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
    /// The result carries no labels, so a restarted target could not be told from a drop in memory.
    #[error(
        "promql {query:?}: the result carries no labels, and its labels are what tells a restarted target \
         (a new pod) from a drop in memory; keep the identifying labels, e.g. \
         max by (namespace, pod, container) (...), or set memory.promql_allow_unlabeled = true to read it \
         with restart detection off"
    )]
    PromqlUnlabeled {
        /// The configured query.
        query: String,
    },
    /// The sample's timestamp is older than the query by more than the sample may be.
    #[error(
        "promql {query:?}: stale sample, {:.1} s older than the query (at most {:.1} s: memory.settle + \
         {:.0} s); a cached or stalled answer is not a reading",
        age.as_secs_f64(),
        limit.as_secs_f64(),
        limit.saturating_sub(*settle).as_secs_f64()
    )]
    PromqlStale {
        /// The configured query.
        query: String,
        /// How much older than the query the sample is.
        age: Duration,
        /// The most it may be.
        limit: Duration,
        /// `memory.settle`, the part of `limit` the configuration sets.
        settle: Duration,
    },
    /// The response is not a Prometheus API answer leaksoak understands.
    #[error("promql {query:?}: unexpected response: {detail}")]
    PromqlResponse {
        /// The configured query.
        query: String,
        /// What was wrong with it.
        detail: String,
    },
    /// `process_start_time_seconds` came back to a value seen before: several processes answer the URL.
    #[error(
        "{url}: process_start_time_seconds alternates ({}): several processes answer this URL, such as the \
         replicas behind a Service, and each change would count as a restart; point memory.url at one pod \
         (its pod IP, or the pod's own name under a headless Service)",
        start_times.join(", ")
    )]
    SeveralProcesses {
        /// The URL scraped, without user information.
        url: String,
        /// The start times seen lately, in the order they were last seen.
        start_times: Vec<String>,
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
            Self::AuthRefused { .. } => "auth_refused",
            Self::Tls { .. } => "tls",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::NotExposition { .. } => "not_exposition",
            Self::MetricMissing { .. } => "metric_missing",
            Self::MetricAmbiguous { .. } => "metric_ambiguous",
            Self::BadValue { .. } => "bad_value",
            Self::PromqlError { .. } => "promql_error",
            Self::PromqlCount { .. } => "promql_count",
            Self::PromqlUnlabeled { .. } => "promql_unlabeled",
            Self::PromqlStale { .. } => "promql_stale",
            Self::PromqlResponse { .. } => "promql_response",
            Self::SeveralProcesses { .. } => "several_processes",
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

fn auth_hint(status: u16, credentials: bool) -> &'static str {
    match (status, credentials) {
        (401, true) => {
            "Unauthorized: the credentials sent were refused (memory.bearer_token_file, memory.basic_auth_user \
             and memory.basic_auth_password_file); Mimir and Cortex answer 401 too when the tenant header \
             (memory.headers, X-Scope-OrgID) is missing"
        }
        (401, false) => {
            "Unauthorized: the server wants credentials and none are configured (memory.bearer_token_file, or \
             memory.basic_auth_user and memory.basic_auth_password_file; for Mimir or Cortex, the tenant \
             header X-Scope-OrgID in memory.headers)"
        }
        _ => {
            "Forbidden: the credentials are known but not allowed to read this (the token's or user's \
              permissions, or the tenant in memory.headers)"
        }
    }
}

fn count_hint(count: usize) -> &'static str {
    if count == 0 {
        " (is the target scraped, and are the label values right?)"
    } else {
        "; aggregate (sum, max) or add label matchers"
    }
}
