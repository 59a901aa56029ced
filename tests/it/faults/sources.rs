//! Memory sources that fail: a `process` source whose pid file vanishes and comes back, a target restarted
//! mid-cycle, a `promql` server answering errors, empty results, several series, no labels, stale samples
//! and 401, a `promql` target restarted as a new pod, and a `scrape` URL answered by two processes. Each
//! failure ends its cycle as `error`, `/report` says why, and soaking goes on.

use super::{cycles, judged, scenario};
use crate::helpers::{Daemon, FakeProcess, sample_value, spawn_daemon, spawn_fake_process};
use crate::helpers::{wait_for, wait_for_metrics};
use crate::memory::server::{Server, now, vector, vector_at};
use std::path::Path;

fn up(m: &str, scenario: &str) -> Option<f64> {
    sample_value(m, &format!("leaksoak_memory_source_up{{scenario=\"{scenario}\"}}"))
}

/// A daemon measuring the process named in `pid_file`, soaking it through `port`.
async fn process_daemon(pid_file: &Path, port: u16, settle: &str) -> Daemon {
    let config = format!(
        "[cycle]\nwarmup_batches = 0\nbatch_size = 5\npause = \"100ms\"\n[fake_llm]\nenabled = false\n\
         [memory]\nsource = \"process\"\npid_file = {:?}\nsettle = \"{settle}\"\nsamples_per_batch = 1\n{}",
        pid_file.display(),
        scenario("target", port, "")
    );
    spawn_daemon(&config, "").await
}

#[tokio::test]
async fn a_memory_source_that_vanishes_and_comes_back() {
    let fake = spawn_fake_process(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("target.pid");
    std::fs::write(&pid_file, fake.child.id().to_string()).expect("write pid file");
    let d = process_daemon(&pid_file, fake.addr.port(), "0ms").await;
    wait_for_metrics(&d, 30, |m| judged(m, "target") >= 1.0).await;
    std::fs::remove_file(&pid_file).expect("remove pid file");
    let m = wait_for_metrics(&d, 30, |m| cycles(m, "target", "error") >= 1.0).await;
    assert_eq!(up(&m, "target"), Some(0.0));
    wait_for(&d, "/report", 30, |r| r.contains("target.pid")).await;
    let before = judged(&m, "target");
    std::fs::write(&pid_file, fake.child.id().to_string()).expect("restore pid file");
    let m = wait_for_metrics(&d, 30, |m| judged(m, "target") > before).await;
    assert_eq!(up(&m, "target"), Some(1.0));
    let restarts = sample_value(&m, "leaksoak_target_restarts_total{scenario=\"target\"}");
    assert_eq!(restarts, Some(0.0), "same pid: no restart");
}

/// A fake endpoint on `port`, written into `pid_file`.
fn start_target(port: u16, pid_file: &Path) -> FakeProcess {
    let fake = spawn_fake_process(&["--listen", &format!("127.0.0.1:{port}")]);
    std::fs::write(pid_file, fake.child.id().to_string()).expect("write pid file");
    fake
}

/// Whether `/status` shows the scenario past the first batch of a measured phase, after a whole cycle.
fn mid_cycle(status: &str) -> bool {
    let status: serde_json::Value = serde_json::from_str(status).expect("/status is JSON");
    let s = &status["scenarios"][0];
    s["phase"] == "measure" && s["batch"].as_u64() >= Some(2) && s["cycles"].as_u64() >= Some(1)
}

#[tokio::test]
async fn a_target_restarted_mid_cycle_discards_the_cycle_and_resets_the_trend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("target.pid");
    let first = start_target(0, &pid_file);
    let port = first.addr.port();
    let d = process_daemon(&pid_file, port, "150ms").await;
    wait_for(&d, "/status", 30, mid_cycle).await;
    drop(first);
    let _second = start_target(port, &pid_file);
    let restarted = |m: &str| sample_value(m, "leaksoak_target_restarts_total{scenario=\"target\"}") >= Some(1.0);
    let m = wait_for_metrics(&d, 30, restarted).await;
    let before = judged(&m, "target");
    let m = wait_for_metrics(&d, 30, |m| judged(m, "target") > before).await;
    assert_eq!(sample_value(&m, "leaksoak_target_restarts_total{scenario=\"target\"}"), Some(1.0));
    assert_eq!(up(&m, "target"), Some(1.0), "the new process is measured");
    let recorded = d.recorded_cycles();
    let at = recorded.iter().position(|(_, c)| c["end"] == "restarted").expect("a restarted cycle is recorded");
    let cycle = &recorded[at].1;
    assert_eq!(cycle["verdict"], "error");
    assert!(cycle["summary"].as_str().is_some_and(|s| s.contains("trend history starts over")), "{cycle}");
    assert!(recorded[at + 1..].iter().any(|(_, c)| c["end"] == "completed"), "soaking goes on after the restart");
}

#[tokio::test]
async fn a_failing_promql_server_marks_cycles_error_with_the_reason() {
    let prometheus = Server::start(200, &vector(&[("proxy-1", "104857600")])).await;
    let config = format!(
        "[cycle]\nwarmup_batches = 0\nbatch_size = 5\npause = \"0s\"\n\
         [memory]\nsource = \"promql\"\nurl = \"{}\"\nquery = \"proxy_memory_bytes\"\nsettle = \"0ms\"\n\
         samples_per_batch = 1\n[[scenario]]\nname = \"proxy\"\n",
        prometheus.url("/prom")
    );
    let d = spawn_daemon(&config, "").await;
    wait_for_metrics(&d, 30, |m| judged(m, "proxy") >= 1.0).await;
    let answers = [
        (400, r#"{"status":"error","errorType":"bad_data","error":"1:3: parse error: unexpected"}"#.to_owned()),
        (200, vector(&[])),
        (200, vector(&[("a", "1"), ("b", "2"), ("c", "3")])),
        (502, "<html>Bad Gateway</html>".to_owned()),
        (200, "garbage".to_owned()),
        (200, vector(&[("", "1")]).replace(r#"{"pod":""}"#, "{}")),
        (200, vector_at(&[("proxy-1", "1")], now() - 600.0)),
        (401, "Unauthorized\n".to_owned()),
    ];
    let reasons = [
        "parse error",
        "returned 0 samples",
        "returned 3 samples",
        "HTTP status 502",
        "unexpected response",
        "memory.promql_allow_unlabeled = true",
        "stale sample",
        "HTTP status 401 Unauthorized",
    ];
    for ((status, body), reason) in answers.iter().zip(reasons) {
        prometheus.set(*status, body);
        wait_for(&d, "/report", 30, |r| r.contains(reason)).await;
        wait_for_metrics(&d, 10, |m| up(m, "proxy") == Some(0.0)).await;
    }
    let m = wait_for_metrics(&d, 10, |m| cycles(m, "proxy", "error") >= reasons.len() as f64).await;
    let before = judged(&m, "proxy");
    prometheus.set(200, &vector(&[("proxy-1", "104857600")]));
    let m = wait_for_metrics(&d, 30, |m| judged(m, "proxy") > before).await;
    assert_eq!(up(&m, "proxy"), Some(1.0));
    assert_eq!(
        sample_value(&m, "leaksoak_batch_memory_bytes{phase=\"measure\",scenario=\"proxy\"}"),
        Some(104857600.0)
    );
}

/// A daemon soaking the built-in fake endpoint, its memory read from `source` (a `[memory]` body).
async fn http_source_daemon(source: &str) -> Daemon {
    let config = format!(
        "[cycle]\nwarmup_batches = 0\nbatch_size = 5\npause = \"0s\"\n\
         [memory]\n{source}\nsettle = \"0ms\"\nsamples_per_batch = 1\n[[scenario]]\nname = \"proxy\"\n"
    );
    spawn_daemon(&config, "").await
}

#[tokio::test]
async fn a_promql_target_restarted_as_a_new_pod_is_a_restart_not_a_drop() {
    let prometheus = Server::start(200, &vector(&[("proxy-7d9-a", "524288000")])).await;
    let url = prometheus.url("/prom");
    let d = http_source_daemon(&format!("source = \"promql\"\nurl = \"{url}\"\nquery = \"m\"")).await;
    wait_for_metrics(&d, 30, |m| judged(m, "proxy") >= 1.0).await;
    // OOM-killed and restarted: a new pod name, 500 MiB down to 50 MiB.
    prometheus.set(200, &vector(&[("proxy-7d9-b", "52428800")]));
    let restarted = |m: &str| sample_value(m, "leaksoak_target_restarts_total{scenario=\"proxy\"}") >= Some(1.0);
    let m = wait_for_metrics(&d, 30, restarted).await;
    let before = judged(&m, "proxy");
    let m = wait_for_metrics(&d, 30, |m| judged(m, "proxy") > before).await;
    assert_eq!(sample_value(&m, "leaksoak_target_restarts_total{scenario=\"proxy\"}"), Some(1.0), "once");
    let recorded = d.recorded_cycles();
    assert!(recorded.iter().any(|(_, c)| c["end"] == "restarted"), "the cycle is discarded as a restart");
}

#[tokio::test]
async fn a_scrape_url_answered_by_two_processes_says_to_point_at_one_pod() {
    let page = |start: &str| format!("process_resident_memory_bytes 5e7\nprocess_start_time_seconds {start}\n");
    let (a, b) = (page("1.7e9"), page("1.7000003e9"));
    let service = Server::start(200, &a).await;
    service.set_in_turn(&[(200, &a), (200, &b)]);
    let url = service.url("/metrics");
    let d = http_source_daemon(&format!("source = \"scrape\"\nurl = \"{url}\"")).await;
    let report = wait_for(&d, "/report", 30, |r| r.contains("several processes answer this URL")).await;
    assert!(report.contains("point memory.url at one pod"), "{report}");
    let m = wait_for_metrics(&d, 10, |m| cycles(m, "proxy", "error") >= 2.0).await;
    let restarts = sample_value(&m, "leaksoak_target_restarts_total{scenario=\"proxy\"}").unwrap_or(0.0);
    assert!(restarts <= 1.0, "at most the first change counts as a restart, not every cycle: {restarts}");
}
