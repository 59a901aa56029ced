//! Rendering settings as TOML: `config/default.toml` (every key, its default and a comment) and
//! `print-config` (the effective settings, secrets redacted).

use super::RawSettings;
use std::fmt::Write;

/// What each key means, one line each. A test fails when a key lacks a comment.
const COMMENTS: &[(&str, &str)] = &[
    ("server.listen", "/metrics, /healthz, /readyz, /status, /report"),
    ("server.enable_lifecycle", "serve POST /-/reload"),
    ("server.bearer_token_file", "when set, every endpoint but /healthz requires this token"),
    ("cycle.warmup_batches", "batches sent and exported, not analysed (at most 1000)"),
    ("cycle.max_settle_batches", "at start and after a restart, more warm-up until memory settles (0: off)"),
    ("cycle.measure_batches", "batches analysed (2 x analysis.rolling_window to 1000)"),
    ("cycle.batch_size", "requests per batch (at most 1000000)"),
    ("cycle.pause", "idle time between cycles (at most a day)"),
    ("cycle.scenario_order", "scenarios never overlap: they share one memory source"),
    ("analysis.rolling_window", "the pytest suite's rolling-average window (at most 500)"),
    ("analysis.max_growth_percent", "the pytest suite's growth rule"),
    ("analysis.tail_samples", "the pytest suite's \"continuous growth in final batches\" rule"),
    ("analysis.tail_tolerance_bytes", "0.05 MiB: smaller rises do not count"),
    ("analysis.max_noise_cv_percent", "noise guard (detrended coefficient of variation)"),
    ("analysis.error_spike_percent", "the pytest suite's error-induced rule: jump of a batch with errors"),
    ("analysis.error_spike_tolerance_percent", "later batches within this of the spike: not recovered"),
    ("analysis.error_spike_min_stable_batches", "batches after the spike that must stay up"),
    ("analysis.slope_min_bytes_per_request", "slope rule: Theil-Sen slope floor"),
    ("analysis.slope_min_growth_bytes", "slope rule: fitted growth over the measured batches"),
    ("analysis.trend_cycles", "trend rule: cycles fitted together (3 to 256)"),
    ("analysis.trend_min_growth_bytes", "trend rule: fitted growth across the window"),
    ("analysis.trend_min_bytes_per_request", "trend rule, long window: rate floor (a healthy process's creep)"),
    ("analysis.trend_alpha", "one-sided Mann-Kendall significance (slope and trend rules)"),
    ("analysis.confirm_cycles", "growth/tail/slope must fire in N consecutive cycles to raise the gauge"),
    ("analysis.latch", "true: the leak gauge stays 1 until restart once raised"),
    ("analysis.max_error_ratio", "above this failed share of requests a cycle is not judged (error)"),
    ("analysis.drowning_growth_percent", "drowning rule: memory this far above its settled level while failing"),
    ("analysis.resource_min_per_request", "fds, sockets, threads: slope floor in units per request (0.01: 1 per 100)"),
    ("analysis.resource_min_growth", "fds, sockets, threads: fitted growth over a cycle or the trend window"),
    (
        "analysis.forecast_requests_per_second",
        "the target's production request rate, for the leak forecast (0: unknown)",
    ),
    ("analysis.forecast_memory_limit_bytes", "the target's memory limit for the forecast (0: the cgroup's memory.max)"),
    ("memory.source", "self | self-heap | process | cgroup | scrape | promql"),
    ("memory.pid", "process: one of pid / pid_file / process_name"),
    ("memory.pid_file", "process: a file holding the pid, read before every batch"),
    ("memory.process_name", "process: matched against the name or command line"),
    ("memory.process_tree", "process: add every descendant (a server's workers)"),
    ("memory.cgroup_path", "cgroup: a directory; v2 memory.current or v1 memory.usage_in_bytes"),
    ("memory.cgroup_metric", "cgroup: usage | working_set (usage - inactive file) | anon (no page cache)"),
    ("memory.url", "scrape: a /metrics URL; promql: a Prometheus base URL"),
    ("memory.metric", "scrape: metric name, optional {label=\"v\"} matchers"),
    ("memory.query", "promql: instant query returning one sample"),
    ("memory.samples_per_batch", "median of N reads after each batch (at most 100)"),
    ("memory.settle", "wait after a batch before reading"),
    ("memory.resources", "also read open fds, sockets, threads (cgroup: tasks) and the memory breakdown"),
    ("memory.resource_metrics", "scrape: resource name = metric counting it on the same page (at most 16)"),
    ("memory.bearer_token_file", "scrape, promql: a file holding a token sent as Authorization: Bearer"),
    ("memory.basic_auth_user", "scrape, promql: basic auth user (with basic_auth_password_file)"),
    ("memory.basic_auth_password_file", "scrape, promql: a file holding the basic auth password"),
    ("memory.ca_file", "scrape, promql: PEM certificates trusted besides the system's roots"),
    ("memory.tls_insecure_skip_verify", "scrape, promql: UNSAFE, accept any server certificate"),
    ("memory.promql_allow_unlabeled", "promql: read a result without labels (restart detection off)"),
    ("memory.headers", "scrape, promql: extra headers (X-Scope-OrgID); credential-like names are secrets"),
    ("fake_llm.enabled", "start the built-in endpoint in-process; scenarios default to it"),
    ("fake_llm.listen", "port 0: a free port"),
    ("fake_llm.latency", "delay before each response"),
    ("fake_llm.stream_chunks", "content chunks per streamed response"),
    ("fake_llm.error_rate", "fraction answered with HTTP 500 or 429"),
    ("fake_llm.leak_bytes_per_request", "deliberate leak, to prove detection end to end"),
    ("fake_llm.leak_bytes_per_error", "deliberate leak on the error path (injected errors, rejected requests)"),
    ("fake_llm.leak_bytes_per_cancelled", "deliberate leak per request whose client went away before the end"),
    ("fake_llm.fail_model", "this model fails upstream at fail_model_rate (500 or 429); empty: none"),
    ("fake_llm.fail_model_rate", "fraction of fail_model's requests that fail"),
    ("fake_llm.slow_model", "this model waits slow_model_latency, then answers 504; empty: none"),
    ("fake_llm.slow_model_latency", "set it beyond the proxy's timeout"),
    ("fake_llm.stream_chunk_delay", "pause before each streamed event after the first"),
    ("fake_llm.drowning_bytes_per_request", "drowning mode: kept per request, answered or not (0: off)"),
    ("fake_llm.drowning_delay_per_mib", "drowning mode: each answer waits this long per MiB kept"),
    ("fake_llm.leak_fds_every", "keep an open file per N successful requests (0: off)"),
    ("fake_llm.leak_sockets_every", "keep an open connection (a socket) per N successful requests (0: off)"),
    ("fake_llm.leak_threads_every", "keep a parked thread per N successful requests (0: off)"),
    (
        "fake_llm.plateau",
        "memory in chunks on purpose: off | working_set (grows, stops) | cache (fills, released) | staircase (never stops)",
    ),
    ("fake_llm.plateau_bytes_per_request", "how fast the plateau grows, in chunks of plateau_chunk_bytes"),
    (
        "fake_llm.plateau_chunk_bytes",
        "a chunk every plateau_chunk_bytes / plateau_bytes_per_request requests (4 KiB to 256 MiB)",
    ),
    ("fake_llm.plateau_limit_bytes", "where the working set stops and the cache is released (1 MiB to 4 GiB)"),
    ("telemetry.log_format", "text | json"),
    ("telemetry.otlp_endpoint", "when set, spans per cycle and batch go out over OTLP/HTTP"),
    ("record.rotate_bytes", "run --record FILE: past this size FILE becomes FILE.000001, ... (0: never)"),
    ("record.keep_rotated", "rotated files kept beside FILE, the oldest deleted (1 to 100)"),
    ("scenario.name", "label value; [a-z0-9_-]+, unique"),
    ("scenario.url", "OpenAI base URL (http://host:4000/v1); empty: the built-in fake endpoint"),
    ("scenario.urls", "instead of url: several backends, requests spread round-robin"),
    ("scenario.api", "chat | completions | embeddings | http (GET of the full URL)"),
    ("scenario.model", "model name sent in each request"),
    ("scenario.stream", "ask for SSE streaming (chat and completions)"),
    ("scenario.concurrency", "requests in flight; 1 = the pytest suite's sequential (\"sync\") mode"),
    ("scenario.timeout", "whole-request timeout, stream included (at most 1h)"),
    ("scenario.api_key_env", "environment variable holding the API key"),
    ("scenario.api_key_file", "or a file holding it"),
    ("scenario.max_response_bytes", "larger bodies are cut and counted as errors"),
    ("scenario.headers", "extra request headers; credential-like names (key, token, auth, …) are secrets"),
    ("scenario.secret_headers", "more header names whose values are secrets (redacted wherever shown)"),
    ("scenario.path", "happy | upstream_failure | disconnect | timeout | rejected (docs/failure-paths.md)"),
    ("scenario.disconnect_after_chunks", "path = disconnect: stream events read before the client goes away"),
    ("scenario.oversized_body_bytes", "path = rejected: size of the body over the target's limit (1 KiB to 64 MiB)"),
    ("scenario.prompt_bytes", "prompt (or embeddings input) padded to this size; 0: a short prompt (at most 16 MiB)"),
];

/// Column at which comments start, so the file reads as a table.
const COMMENT_COLUMN: usize = 40;

/// The text of `config/default.toml`, generated from the defaults in code.
pub fn default_toml() -> String {
    let mut out = String::from(
        "# leaksoak: every configuration key with its default (generated from the code; a test keeps it in sync).\n\
         # Override in your own file (leaksoak run --config FILE) or with LEAKSOAK__SECTION__KEY variables.\n",
    );
    let table = toml::Table::try_from(RawSettings::default()).expect("defaults serialize");
    for (section, value) in &table {
        match value {
            toml::Value::Table(keys) => {
                let _ = write!(out, "\n[{section}]\n");
                write_keys(&mut out, section, keys);
            }
            toml::Value::Array(items) => {
                for item in items.iter().filter_map(toml::Value::as_table) {
                    let _ = write!(out, "\n[[{section}]]\n");
                    write_keys(&mut out, section, item);
                }
            }
            _ => {}
        }
    }
    out
}

fn write_keys(out: &mut String, section: &str, keys: &toml::Table) {
    for (key, value) in keys {
        let line = format!("{key} = {value}");
        let comment = comment(&format!("{section}.{key}")).unwrap_or("");
        let pad = COMMENT_COLUMN.saturating_sub(line.len()).max(1);
        let _ = writeln!(out, "{line}{:pad$}# {comment}", "");
    }
}

fn comment(key: &str) -> Option<&'static str> {
    COMMENTS.iter().find(|(k, _)| *k == key).map(|(_, c)| *c)
}

/// The effective settings as TOML with credentials replaced by `[redacted]`.
pub fn redacted_toml(raw: &RawSettings) -> String {
    let mut raw = raw.clone();
    for s in &mut raw.scenario {
        let secret: Vec<String> = s.headers.keys().filter(|name| s.is_secret_header(name)).cloned().collect();
        for name in secret {
            s.headers.insert(name, "[redacted]".into());
        }
        s.url = redact_url(&s.url);
        s.urls = s.urls.iter().map(|u| redact_url(u)).collect();
    }
    raw.memory.url = redact_url(&raw.memory.url);
    for (name, value) in &mut raw.memory.headers {
        if super::secret::is_sensitive_header(name) {
            *value = "[redacted]".into();
        }
    }
    raw.telemetry.otlp_endpoint = redact_url(&raw.telemetry.otlp_endpoint);
    toml::to_string(&raw).unwrap_or_else(|e| format!("# cannot render the settings: {e}\n"))
}

/// Hides the password of `http://user:password@host/` and the values of secret query parameters.
fn redact_url(text: &str) -> String {
    super::secret::shown_url_text(text)
}

#[cfg(test)]
pub(super) fn keys_without_comment() -> Vec<String> {
    let table = toml::Table::try_from(RawSettings::default()).expect("defaults serialize");
    let mut missing = vec![];
    for (section, value) in &table {
        let keys = match value {
            toml::Value::Table(t) => Some(t),
            toml::Value::Array(a) => a.first().and_then(toml::Value::as_table),
            _ => None,
        };
        for key in keys.into_iter().flat_map(|t| t.keys()) {
            let full = format!("{section}.{key}");
            if comment(&full).is_none() {
                missing.push(full);
            }
        }
    }
    missing
}
