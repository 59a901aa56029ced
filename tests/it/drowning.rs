//! The drowning rule end to end (docs/analysis.md#a-target-drowning-in-its-memory): the fake endpoint in
//! its drowning mode, in its own process measured through the `process` source, climbs in memory while its
//! answers slow past the scenario's timeout; the cycle whose requests mostly time out raises the gauge's
//! `drowning` rule instead of being discarded. A target that fails as much with flat memory stays `error`.

use crate::helpers::{Daemon, get_text, sample_value, spawn_daemon, spawn_fake_process, wait_for_metrics};
use std::time::{Duration, Instant};

/// A daemon soaking the fake endpoint started with `args`: short cycles (1 warm-up and 6 measured
/// batches of 20 requests, 4 in flight), a 300 ms timeout.
async fn soak(args: &[&str]) -> (crate::helpers::FakeProcess, Daemon) {
    let fake = spawn_fake_process(args);
    let config = format!(
        "[cycle]\nwarmup_batches = 1\nmeasure_batches = 6\nmax_settle_batches = 0\nbatch_size = 20\npause = \"0s\"\n\
         [analysis]\nrolling_window = 3\n\
         [memory]\nsource = \"process\"\npid = {}\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [fake_llm]\nenabled = false\n\
         [[scenario]]\nname = \"drown\"\nurl = \"http://{}/v1\"\nstream = false\nconcurrency = 4\ntimeout = \"300ms\"\n",
        fake.child.id(),
        fake.addr
    );
    (fake, spawn_daemon(&config, "").await)
}

/// The recorded cycles once there are `n`, or a panic after 90 s.
async fn cycles(daemon: &Daemon, n: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let recorded = daemon.recorded_cycles();
        if recorded.len() >= n {
            return recorded.into_iter().map(|(_, c)| c).collect();
        }
        assert!(Instant::now() < deadline, "{} of {n} cycles after 90 s", recorded.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const DROWNED: &str = "leaksoak_leak_detected{rule=\"drowning\",scenario=\"drown\"}";

#[tokio::test]
async fn a_target_drowning_in_its_memory_raises_the_drowning_rule() {
    // 512 KiB kept per request, 10 ms of delay per MiB kept: past 30 MiB every answer outlasts 300 ms.
    let drowning = ["--drowning-bytes-per-request", "524288", "--drowning-delay-per-mib", "10ms"];
    let (_fake, daemon) = soak(&drowning).await;
    let metrics = wait_for_metrics(&daemon, 90, |m| sample_value(m, DROWNED) == Some(1.0)).await;
    let errors = sample_value(&metrics, "leaksoak_request_errors_total{kind=\"timeout\",scenario=\"drown\"}");
    assert!(errors.unwrap_or(0.0) > 0.0, "the requests timed out: {metrics}");
    let cycles = cycles(&daemon, 1).await;
    let drowned = cycles
        .iter()
        .find(|c| c["findings"].as_array().is_some_and(|f| f.iter().any(|f| f["rule"] == "drowning")))
        .unwrap_or_else(|| panic!("no cycle has the drowning finding: {cycles:?}"));
    assert_eq!(drowned["verdict"], "leak", "{drowned}");
    let finding = drowned["findings"].to_string();
    assert!(finding.contains("the target is drowning in its memory") && finding.contains("timeout: "), "{finding}");
    assert!(drowned["growth_bytes"].as_f64().unwrap_or(0.0) > 0.0, "its growth is reported: {drowned}");
    let status: serde_json::Value = serde_json::from_str(&get_text(daemon.url("/status")).await).expect("JSON");
    assert_eq!(status["scenarios"][0]["leak_detected"]["drowning"], true, "{status}");
    let html = get_text(daemon.url("/")).await;
    assert!(html.contains(r#"data-rule="drowning""#) && html.contains("drowning in its memory"), "{html}");
}

#[tokio::test]
async fn a_target_failing_with_flat_memory_stays_error_and_raises_nothing() {
    // 90 % of the answers are errors: it answers some, but its memory does not move.
    let (_fake, daemon) = soak(&["--error-rate", "0.9"]).await;
    let cycles = cycles(&daemon, 3).await;
    for c in &cycles[..3] {
        assert_eq!(c["verdict"], "error", "{c}");
    }
    let metrics = wait_for_metrics(&daemon, 10, |m| m.contains(DROWNED)).await;
    assert_eq!(sample_value(&metrics, DROWNED), Some(0.0), "{metrics}");
    for rule in ["growth", "tail", "error_spike", "slope", "trend"] {
        let series = format!("leaksoak_leak_detected{{rule=\"{rule}\",scenario=\"drown\"}}");
        assert_eq!(sample_value(&metrics, &series), Some(0.0), "{series}");
    }
}
