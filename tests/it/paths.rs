//! Failure-path scenarios end to end (docs/failure-paths.md): each path drives its path through the fake
//! endpoint, its outcomes are counted by kind (not as failed requests), and a leak placed only on that
//! path is raised by that scenario alone, beside a happy-path scenario on the same leaky endpoint.

use crate::helpers::{bin, get_text, sample_value, spawn_daemon, spawn_fake, wait_for};
use leaksoak::settings::FakeLlm;
use serde_json::Value;
use std::time::Duration;

/// Quick cycles of two scenarios against the in-process fake endpoint, memory read from leaksoak's own heap
/// (where the fake endpoint's leaks live): `happy` first, then `path` (its `[[scenario]]` keys given).
fn config(fake: &str, path: &str) -> String {
    format!(
        "[cycle]\nwarmup_batches = 2\nmax_settle_batches = 0\nbatch_size = 40\npause = \"0s\"\n\
         [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [fake_llm]\n{fake}\n\
         [[scenario]]\nname = \"happy\"\nstream = true\nconcurrency = 4\n\
         [[scenario]]\nname = \"path\"\nconcurrency = 4\n{path}\n"
    )
}

/// `leaksoak once` on `config`: stdout, and the recorded cycle of each scenario by name.
fn once(config: &str) -> (String, Value, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (file, json) = (dir.path().join("leaksoak.toml"), dir.path().join("cycles.json"));
    std::fs::write(&file, config).expect("write config");
    let out = bin().arg("once").arg("--config").arg(&file).arg("--json").arg(&json).output().expect("run once");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let doc: Value = serde_json::from_slice(&std::fs::read(&json).expect("json written"))
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    let cycle = |name: &str| {
        let list = doc.as_array().expect("a list of scenarios");
        let s = list.iter().find(|s| s["scenario"] == name).unwrap_or_else(|| panic!("{name} missing: {doc}"));
        s["cycles"][0].clone()
    };
    (stdout, cycle("happy"), cycle("path"))
}

/// The measured outcome `kind` of a recorded cycle.
fn outcome(cycle: &Value, kind: &str) -> u64 {
    cycle["outcomes"][kind].as_u64().unwrap_or(0)
}

/// The path scenario is a leak (never `error`: its expected outcomes are no failures) and the happy one
/// is not; returns the path's cycle.
fn raised_by_the_path_alone(config: &str) -> (String, Value) {
    let (stdout, happy, path) = once(config);
    assert_eq!(path["verdict"], "leak", "the path's own leak: {path}\n{stdout}");
    assert_eq!(path["errors"], 0, "expected outcomes are not failures: {path}");
    assert_eq!(happy["verdict"], "stable", "the happy path never reaches the leak: {happy}\n{stdout}");
    assert_eq!(happy.get("outcomes"), None, "the happy path expects no failure: {happy}");
    (stdout, path)
}

#[test]
fn upstream_failures_behind_retries_leak_on_the_error_path_alone() {
    let fake = "fail_model = \"flaky\"\nfail_model_rate = 0.5\nleak_bytes_per_error = 16384";
    let (stdout, path) = raised_by_the_path_alone(&config(fake, "path = \"upstream_failure\"\nmodel = \"flaky\""));
    let (failed, answered) = (outcome(&path, "upstream_error"), outcome(&path, "answered"));
    assert_eq!(failed + answered, 400, "10 measured batches of 40: {path}");
    assert!((120..280).contains(&failed), "about half fail upstream: {failed} of 400");
    assert!(
        stdout.contains(&format!("Outcomes:    {answered} answered, {failed} upstream_error, 0 failed")),
        "{stdout}"
    );
}

#[test]
fn client_disconnects_in_mid_stream_leak_on_cancelled_streams_alone() {
    let fake = "stream_chunk_delay = \"2ms\"\nleak_bytes_per_cancelled = 16384";
    let path = "path = \"disconnect\"\nstream = true\ndisconnect_after_chunks = 3";
    let (_, path) = raised_by_the_path_alone(&config(fake, path));
    assert_eq!(outcome(&path, "disconnected"), 400, "{path}");
}

#[test]
fn requests_timing_out_at_the_proxy_leak_on_the_timeout_path_alone() {
    let fake = "slow_model = \"slow\"\nslow_model_latency = \"20ms\"\nleak_bytes_per_error = 16384";
    let (_, path) = raised_by_the_path_alone(&config(fake, "path = \"timeout\"\nmodel = \"slow\"\nstream = false"));
    assert_eq!(outcome(&path, "timed_out"), 400, "the 504 of a slow upstream: {path}");
}

#[test]
fn rejected_requests_are_refused_in_turn_and_leak_on_the_rejection_path_alone() {
    let fake = "leak_bytes_per_error = 16384";
    let (_, path) = raised_by_the_path_alone(&config(fake, "path = \"rejected\"\noversized_body_bytes = 1100000"));
    for kind in ["rejected_malformed", "rejected_key", "rejected_oversized"] {
        assert!((130..=137).contains(&outcome(&path, kind)), "a third each: {kind} in {path}");
    }
    assert_eq!(outcome(&path, "answered"), 0, "{path}");
}

#[tokio::test]
async fn a_slow_answer_given_up_on_counts_as_cancelled_and_keeps_its_leak() {
    let settings = FakeLlm {
        slow_model: "slow".into(),
        slow_model_latency: Duration::from_secs(5),
        leak_bytes_per_cancelled: 4096,
        ..FakeLlm::default()
    };
    let app = spawn_fake(settings).await;
    let client = leaksoak::http_client::builder().timeout(Duration::from_millis(100)).build().expect("client");
    let url = format!("http://{}/v1/chat/completions", app.addr);
    for _ in 0..3 {
        let sent = client.post(&url).json(&serde_json::json!({"model": "slow"})).send().await;
        assert!(sent.is_err_and(|e| e.is_timeout()), "the client gives up first");
    }
    let metrics = format!("http://{}/metrics", app.addr);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let text = get_text(metrics.clone()).await;
        if sample_value(&text, "fake_llm_cancelled_total") == Some(3.0) {
            assert_eq!(sample_value(&text, "fake_llm_leaked_bytes"), Some(3.0 * 4096.0), "{text}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "3 cancelled requests not seen within 5 s:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn embeddings_with_a_large_prompt_reach_the_fake_endpoint() {
    let app = spawn_fake(FakeLlm::default()).await;
    let s = crate::helpers::settings(&format!(
        "[[scenario]]\nname = \"embed\"\napi = \"embeddings\"\nprompt_bytes = 65536\nurl = \"{}\"",
        app.base()
    ));
    let client = std::sync::Arc::new(leaksoak::load::Client::new(&s.scenarios[0], None).expect("client"));
    assert!(client.body().len() >= 65_536, "the prompt is padded: {} bytes", client.body().len());
    let stats = leaksoak::load::run_batch(&client, 20, 4).await;
    assert_eq!((stats.requests, stats.failed(), stats.answered()), (20, 0, 20), "{:?}", stats.errors);
    let text = get_text(format!("http://{}/metrics", app.addr)).await;
    let series = "fake_llm_requests_total{outcome=\"success\",route=\"embeddings\"}";
    assert_eq!(sample_value(&text, series), Some(20.0), "{text}");
}

#[tokio::test]
async fn path_outcomes_are_in_the_metrics_the_status_and_the_report() {
    let config = "[cycle]\nwarmup_batches = 1\nmax_settle_batches = 0\nmeasure_batches = 4\nbatch_size = 12\n\
                  pause = \"0s\"\n[memory]\nsource = \"self\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
                  [analysis]\nrolling_window = 2\ntail_samples = 3\n\
                  [[scenario]]\nname = \"refused\"\npath = \"rejected\"\noversized_body_bytes = 1100000\n";
    let daemon = spawn_daemon(config, "").await;
    let status = wait_for(&daemon, "/status", 20, |t| t.contains("\"outcomes\"")).await;
    let status: Value = serde_json::from_str(&status).expect("status json");
    let scenario = &status["scenarios"][0];
    let outcomes = &scenario["last_cycle"]["outcomes"];
    assert_eq!(outcomes["rejected_key"], 16, "48 measured requests, a third each: {outcomes}");
    assert_eq!((outcomes["failed"].as_u64(), scenario["last_cycle"]["errors"].as_u64()), (Some(0), Some(0)));
    let metrics = get_text(daemon.url("/metrics")).await;
    let series = |o: &str| format!("leaksoak_path_outcomes_total{{outcome=\"{o}\",scenario=\"refused\"}}");
    assert!(sample_value(&metrics, &series("rejected_oversized")).is_some_and(|n| n >= 16.0), "{metrics}");
    assert_eq!(sample_value(&metrics, &series("failed")), Some(0.0));
    assert_eq!(sample_value(&metrics, "leaksoak_requests_total{outcome=\"error\",scenario=\"refused\"}"), Some(0.0));
    let report = get_text(daemon.url("/report")).await;
    assert!(report.contains("Outcomes:    0 answered, 16 rejected_key"), "{report}");
}
