//! The fault matrix at the daemon level (`leaksoak run` in its own process): whatever the target or the
//! memory source does, the daemon keeps serving `/metrics`, counts each failure by its kind, marks cycles it
//! cannot measure `error`, and its own memory stays bounded.
//!
//! - `targets`: hostile targets, from a refused connection to a 100 MiB body;
//! - `sources`: a memory source that vanishes, a target restarted mid-cycle, a failing PromQL server;
//! - `signals`: SIGHUP bursts;
//! - `inbound`: hostile clients of the daemon's own endpoints;
//! - `secrets`: a known secret set, looked for in everything the daemon writes.
//!
//! SIGTERM mid-batch and an invalid config on reload are in `export`.

mod inbound;
mod secrets;
mod signals;
mod sources;
mod targets;

use crate::helpers::sample_value;

/// Every verdict a cycle can end with.
const VERDICTS: [&str; 5] = ["stable", "leak", "noisy", "insufficient", "error"];

/// A `[[scenario]]` against `http://127.0.0.1:{port}/v1`. Unless `extra` sets them: not streamed,
/// concurrency 8, and a 300 ms timeout so hangs end quickly.
fn scenario(name: &str, port: u16, extra: &str) -> String {
    let mut text = format!("[[scenario]]\nname = \"{name}\"\nurl = \"http://127.0.0.1:{port}/v1\"\n{extra}\n");
    for (key, value) in [("stream", "false"), ("concurrency", "8"), ("timeout", "\"300ms\"")] {
        if !extra.contains(&format!("{key} =")) {
            text.push_str(&format!("{key} = {value}\n"));
        }
    }
    text
}

/// A daemon soaking itself (`self-heap`), so a scenario's batch memory is the daemon's own live heap: ten
/// measured batches of eight requests per cycle, no warm-up, no pause, no built-in fake.
fn self_soak(scenarios: &str) -> String {
    format!(
        "[cycle]\nwarmup_batches = 0\nbatch_size = 8\npause = \"0s\"\n[fake_llm]\nenabled = false\n\
         [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n{scenarios}"
    )
}

/// `leaksoak_request_errors_total` of one kind, 0 when absent.
fn errors(m: &str, scenario: &str, kind: &str) -> f64 {
    sample_value(m, &format!("leaksoak_request_errors_total{{kind=\"{kind}\",scenario=\"{scenario}\"}}")).unwrap_or(0.0)
}

/// `leaksoak_requests_total` of one outcome, 0 when absent.
fn requests(m: &str, scenario: &str, outcome: &str) -> f64 {
    sample_value(m, &format!("leaksoak_requests_total{{outcome=\"{outcome}\",scenario=\"{scenario}\"}}")).unwrap_or(0.0)
}

/// `leaksoak_cycles_total` of one verdict, 0 when absent.
fn cycles(m: &str, scenario: &str, verdict: &str) -> f64 {
    sample_value(m, &format!("leaksoak_cycles_total{{scenario=\"{scenario}\",verdict=\"{verdict}\"}}")).unwrap_or(0.0)
}

/// Cycles finished with any verdict.
fn finished(m: &str, scenario: &str) -> f64 {
    VERDICTS.iter().map(|v| cycles(m, scenario, v)).sum()
}

/// Cycles that were measured and judged (not `error`).
fn judged(m: &str, scenario: &str) -> f64 {
    finished(m, scenario) - cycles(m, scenario, "error")
}
