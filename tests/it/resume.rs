//! `run --record FILE` on a file that already holds cycles: the judges of the scenarios still configured
//! are rebuilt from it before the first cycle (trend history, streaks, gauge, cycle counters); a cut line
//! is skipped; a file that is not a recording is moved aside, never deleted.

use crate::helpers::{Daemon, get_text, sample_value, spawn_daemon_on_record, spawn_fake_process, wait_for_metrics};
use std::path::Path;

/// The 10 cycles of `synthetic-trend-only.json` (only the trend rule fires, on the last) as JSON lines,
/// the lines `run --record` appends.
pub(crate) fn trend_only_lines(cycles: usize) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recorded/synthetic-trend-only.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    let list = doc["cycles"].as_array().expect("cycles");
    let lines: Vec<String> = list
        .iter()
        .take(cycles)
        .map(|c| serde_json::json!({"scenario": doc["scenario"], "batch_size": 100, "cycles": [c]}).to_string() + "\n")
        .collect();
    lines.concat()
}

/// A config with one scenario named `name` soaking a clean fake endpoint, 30 s between cycles. Its first
/// cycle (batches of 2,000 requests) takes long enough for `/status` to show the resumed state alone.
pub(crate) fn config(fake: &crate::helpers::FakeProcess, name: &str) -> String {
    sized_config(fake, name, 2000)
}

fn sized_config(fake: &crate::helpers::FakeProcess, name: &str, batch_size: u64) -> String {
    format!(
        "[cycle]\nwarmup_batches = 1\nmax_settle_batches = 0\nbatch_size = {batch_size}\npause = \"30s\"\n\
         [memory]\nsource = \"process\"\npid = {}\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [fake_llm]\nenabled = false\n\
         [[scenario]]\nname = \"{name}\"\nurl = \"http://{}/v1\"\nstream = false\nconcurrency = 2\n",
        fake.child.id(),
        fake.addr,
    )
}

pub(crate) async fn status(d: &Daemon) -> serde_json::Value {
    serde_json::from_str(&get_text(d.url("/status")).await).expect("status is JSON")
}

fn files(d: &Daemon) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(d.dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn the_trend_gauge_and_cycle_counters_are_resumed_from_the_recording() {
    let fake = spawn_fake_process(&[]);
    let d = spawn_daemon_on_record(&config(&fake, "synthetic-trend-only"), trend_only_lines(10).as_bytes()).await;
    let s = status(&d).await;
    assert_eq!(s["resumed"], "resumed 1 scenarios, 10 cycles, trend history of 6 cycles", "{s}");
    let scenario = &s["scenarios"][0];
    assert_eq!(scenario["cycles"], 10, "{s}");
    assert_eq!(scenario["leak_detected"]["trend"], true, "{s}");
    let metrics = get_text(d.url("/metrics")).await;
    let gauge = r#"leaksoak_leak_detected{rule="trend",scenario="synthetic-trend-only"}"#;
    assert_eq!(sample_value(&metrics, gauge), Some(1.0), "{metrics}");
}

/// The trend gauge after replaying the first `cycles` cycles as `leaksoak analyze` does.
fn analyzed_trend(cycles: usize) -> bool {
    let mut replay = leaksoak::app::Replay::new(crate::helpers::settings("").analysis);
    for rec in leaksoak::recording::read(&trend_only_lines(cycles)).expect("read") {
        for cycle in rec.cycles {
            replay.judge(rec.scenario.clone(), rec.batch_size, cycle);
        }
    }
    replay.scenarios()[0].raised()[leaksoak::analyze::Rule::Trend.index()]
}

#[tokio::test]
async fn resumed_judges_rise_on_the_same_cycle_as_an_uninterrupted_replay() {
    // The first cycle on which the trend gauge is raised in one uninterrupted replay of the recording; a
    // daemon resumed from one cycle fewer has it down, from that many has it up.
    let first = (1..=10).find(|n| analyzed_trend(*n)).expect("the trend fires within 10 cycles");
    assert!(first > 6, "the trend needs its window first");
    let fake = spawn_fake_process(&[]);
    for (n, raised) in [(first - 1, false), (first, true)] {
        let d = spawn_daemon_on_record(&config(&fake, "synthetic-trend-only"), trend_only_lines(n).as_bytes()).await;
        let s = status(&d).await;
        let resumed = format!("resumed 1 scenarios, {n} cycles, trend history of 6 cycles");
        assert_eq!(s["resumed"], resumed.as_str(), "{s}");
        assert_eq!(s["scenarios"][0]["leak_detected"]["trend"], raised, "after {n} cycles: {s}");
    }
}

#[tokio::test]
async fn a_line_cut_short_is_skipped_and_the_rest_resumed() {
    let fake = spawn_fake_process(&[]);
    let mut text = trend_only_lines(10);
    text.push_str(r#"{"scenario": "synthetic-trend-only", "cycles": [{"batc"#);
    let d = spawn_daemon_on_record(&config(&fake, "synthetic-trend-only"), text.as_bytes()).await;
    let s = status(&d).await;
    assert_eq!(s["resumed"], "resumed 1 scenarios, 10 cycles, trend history of 6 cycles", "{s}");
    assert_eq!(files(&d), ["leaksoak.toml", "record.jsonl"]);
}

#[tokio::test]
async fn cycles_of_renamed_scenarios_are_not_resumed_and_kept() {
    let fake = spawn_fake_process(&[]);
    let text = trend_only_lines(10);
    let d = spawn_daemon_on_record(&config(&fake, "renamed"), text.as_bytes()).await;
    let s = status(&d).await;
    assert_eq!(s["resumed"], "resumed 0 scenarios, 0 cycles, trend history of 0 cycles", "{s}");
    assert_eq!(s["scenarios"][0]["leak_detected"]["trend"], false, "{s}");
    let kept = std::fs::read_to_string(d.dir.path().join("record.jsonl")).expect("record");
    assert!(kept.starts_with(&text), "the old cycles stay in the file");
}

#[tokio::test]
async fn a_file_that_is_not_a_recording_is_moved_aside_and_a_new_one_begins() {
    let fake = spawn_fake_process(&[]);
    let d = spawn_daemon_on_record(&sized_config(&fake, "chat", 20), b"this is not JSON\nnor this\n").await;
    let s = status(&d).await;
    assert!(s["resumed"].is_null(), "{s}");
    let names = files(&d);
    let aside: Vec<&String> = names.iter().filter(|n| n.starts_with("record.jsonl.unreadable-")).collect();
    assert_eq!(aside.len(), 1, "{names:?}");
    let moved = std::fs::read(d.dir.path().join(aside[0])).expect("moved file");
    assert_eq!(moved, b"this is not JSON\nnor this\n", "moved aside, unchanged");
    let m = get_text(d.url("/metrics")).await;
    assert_eq!(sample_value(&m, "leaksoak_record_unreadable_total"), Some(1.0), "{m}");
    // The daemon runs and records to a fresh file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while d.recorded_cycles().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no cycle recorded in 60 s");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Waits until the daemon has recorded `n` cycles.
async fn recorded(d: &Daemon, n: usize) -> Vec<(String, serde_json::Value)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let cycles = d.recorded_cycles();
        if cycles.len() >= n {
            return cycles;
        }
        assert!(std::time::Instant::now() < deadline, "{} of {n} cycles recorded in 90 s", cycles.len());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_streak_begun_before_the_restart_confirms_on_the_next_cycle() {
    // Cycle 1 against a leaking target fires slope, unconfirmed (two cycles needed); the daemon is stopped,
    // and another started on its recording confirms on its first cycle, cycle 2 of the scenario.
    let fake = spawn_fake_process(&["--leak-bytes-per-request", "65536"]);
    let config = sized_config(&fake, "chat", 40);
    let first = spawn_daemon_on_record(&config, b"").await;
    let cycles = recorded(&first, 1).await;
    let findings = cycles[0].1["findings"].as_array().cloned().unwrap_or_default();
    assert!(findings.iter().any(|f| f["rule"] == "slope" && f["confirmed"] == false), "{}", cycles[0].1);
    let text = std::fs::read(first.dir.path().join("record.jsonl")).expect("record");
    drop(first);
    let d = spawn_daemon_on_record(&config, &text).await;
    let streak = r#"leaksoak_leak_streak{rule="slope",scenario="chat"}"#;
    let gauge = r#"leaksoak_leak_detected{rule="slope",scenario="chat"}"#;
    let m = get_text(d.url("/metrics")).await;
    assert_eq!((sample_value(&m, streak), sample_value(&m, gauge)), (Some(1.0), Some(0.0)), "{m}");
    let live = recorded(&d, 2).await[1].1.clone();
    let findings = live["findings"].as_array().cloned().unwrap_or_default();
    assert!(findings.iter().any(|f| f["rule"] == "slope" && f["confirmed"] == true), "{live}");
    // `/metrics` is rendered at most once per its cache period.
    let m = wait_for_metrics(&d, 10, |m| sample_value(m, streak) == Some(2.0)).await;
    assert_eq!((sample_value(&m, streak), sample_value(&m, gauge)), (Some(2.0), Some(1.0)), "{m}");
    assert_eq!(status(&d).await["scenarios"][0]["cycles"], 2);
}

#[test]
fn a_file_that_cannot_be_moved_aside_is_left_as_it_is_and_the_log_says_so() {
    // Issue 26, case 10: resume logged "cannot move … aside" and then "it was moved aside".
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("leaksoak.toml");
    let text = "[server]\nlisten = \"127.0.0.1:0\"\n[cycle]\nwarmup_batches = 0\nbatch_size = 10\npause = \"1s\"\n\
                [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n[[scenario]]\nname = \"chat\"\n";
    std::fs::write(&config, text).expect("write config");
    // A name so long that `.unreadable-<time>` takes it past the file system's 255 bytes: the rename fails.
    let record = dir.path().join("r".repeat(240));
    std::fs::write(&record, "this is not JSON\nnor this\n").expect("write record");
    let log = dir.path().join("daemon.log");
    let mut child = crate::helpers::bin()
        .args(["run", "--config"])
        .arg(&config)
        .arg("--record")
        .arg(&record)
        .env("NO_COLOR", "1")
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn leaksoak run");
    crate::helpers::logged_address_in_file(&log);
    let _ = child.kill();
    let _ = child.wait();
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("it could not be moved aside (File name too long"), "{logged}");
    assert!(logged.contains("and is left as it is; nothing resumed"), "{logged}");
    assert!(!logged.contains("was moved aside") && !logged.contains("cannot move"), "one account of it: {logged}");
    let kept = std::fs::read_to_string(&record).expect("still there");
    assert!(kept.starts_with("this is not JSON\nnor this\n"), "{kept}");
}
