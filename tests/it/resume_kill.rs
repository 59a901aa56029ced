//! A slow leak that only the trend rule catches, soaked live by the `leaksoak` binary, which is killed with
//! SIGKILL in the middle of the soak and started again on the same recording (rotated as it goes): the
//! trend gauge rises after as many of the scenario's cycles as in an uninterrupted run, and the streaks and
//! cycle counters go on from where they were.

use crate::helpers::{
    Daemon, FakeProcess, get_text, sample_value, spawn_daemon_process, spawn_daemon_process_in, spawn_fake_process,
};
use std::time::{Duration, Instant};

/// 256 bytes per request: below the slope rule's 512 bytes/request floor in every cycle, about 0.3 MiB
/// per cycle of 1,100 requests, so the trend rule's 1 MiB over 6 cycles fires on the sixth cycle and is
/// confirmed on the seventh (docs/analysis.md#trend-rule).
const LEAK: &str = "256";

/// Default analysis; one warm-up batch, 10 measured batches of 100 requests, no pause, the recording
/// rotated every two cycles or so (every file kept).
fn config(fake: &FakeProcess) -> String {
    format!(
        "[cycle]\nwarmup_batches = 1\nmax_settle_batches = 0\nbatch_size = 100\npause = \"0s\"\n\
         [memory]\nsource = \"process\"\npid = {}\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [record]\nrotate_bytes = 4096\nkeep_rotated = 100\n\
         [fake_llm]\nenabled = false\n\
         [[scenario]]\nname = \"chat\"\nurl = \"http://{}/v1\"\nstream = false\nconcurrency = 2\n",
        fake.child.id(),
        fake.addr,
    )
}

/// Whether a recorded cycle has a confirmed trend finding (the gauge raised by the trend rule).
fn trend_confirmed(cycle: &serde_json::Value) -> bool {
    let findings = cycle["findings"].as_array().cloned().unwrap_or_default();
    findings.iter().any(|f| f["rule"] == "trend" && f["confirmed"] == true)
}

/// Waits until `done` holds for the daemon's recorded cycles; returns them. Panics after 90 s.
async fn until(d: &Daemon, what: &str, done: impl Fn(&[serde_json::Value]) -> bool) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let cycles: Vec<serde_json::Value> = d.recorded_cycles().into_iter().map(|(_, c)| c).collect();
        if done(&cycles) {
            return cycles;
        }
        assert!(Instant::now() < deadline, "{what}: not within 90 s ({} cycles recorded)", cycles.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The number (from 1) of the first recorded cycle whose trend finding is confirmed.
fn first_raised(cycles: &[serde_json::Value]) -> Option<usize> {
    cycles.iter().position(trend_confirmed).map(|i| i + 1)
}

/// An uninterrupted soak: the cycle on which the trend gauge rises.
async fn uninterrupted() -> usize {
    let fake = spawn_fake_process(&["--leak-bytes-per-request", LEAK]);
    let d = spawn_daemon_process(&config(&fake), "").await;
    let cycles = until(&d, "uninterrupted: trend confirmed", |c| first_raised(c).is_some()).await;
    first_raised(&cycles).expect("raised")
}

/// A soak killed after `before` cycles and started again: the cycle on which the trend gauge rises, the
/// daemon's `/status` then and its `/metrics`.
async fn killed(before: usize) -> (usize, Vec<serde_json::Value>, serde_json::Value, String) {
    let fake = spawn_fake_process(&["--leak-bytes-per-request", LEAK]);
    let first = spawn_daemon_process(&config(&fake), "").await;
    let cycles = until(&first, "before the kill", |c| c.len() >= before).await;
    assert!(first_raised(&cycles).is_none(), "killed before the trend could rise");
    let dir = first.kill();
    let d = spawn_daemon_process_in(dir).await;
    let cycles = until(&d, "resumed: trend confirmed", |c| first_raised(c).is_some()).await;
    let record = d.dir.path().join("record.jsonl");
    for file in leaksoak::recording::rotated_set(&record).expect("rotated set") {
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(text.len() <= 4096 || text.lines().count() == 1, "{} over rotate_bytes", file.display());
    }
    let status: serde_json::Value = serde_json::from_str(&get_text(d.url("/status")).await).expect("status");
    let metrics = get_text(d.url("/metrics")).await;
    (first_raised(&cycles).expect("raised"), cycles, status, metrics)
}

#[tokio::test]
async fn a_slow_leak_rises_on_the_same_cycle_across_a_sigkill() {
    let (alone, (resumed, cycles, status, metrics)) = tokio::join!(uninterrupted(), killed(3));
    assert!(alone > 6, "the trend needs its window of 6 cycles, and confirmation: {alone}");
    assert!(resumed.abs_diff(alone) <= 1, "raised on cycle {resumed} across the kill, {alone} uninterrupted");
    // The same samples judged in one uninterrupted replay (what `analyze` does) rise on the same cycle:
    // the resumed judge carried the trend history and the streak over the kill exactly.
    let mut replay = leaksoak::app::Replay::new(crate::helpers::settings("").analysis);
    let raised_at = cycles.iter().position(|c| {
        let batches = serde_json::json!({"scenario": "chat", "cycles": [c]}).to_string();
        let rec = leaksoak::recording::read(&batches).expect("a recorded cycle reads back").remove(0);
        let cycle = rec.cycles.into_iter().next().expect("one cycle");
        replay.judge("chat".into(), 100, cycle).1.raised[leaksoak::analyze::Rule::Trend.index()]
    });
    assert_eq!(raised_at.map(|i| i + 1), Some(resumed), "an uninterrupted replay of the same recording");
    let before = &cycles[resumed - 2];
    let fired = before["findings"].as_array().is_some_and(|f| f.iter().any(|f| f["rule"] == "trend"));
    assert!(fired && !trend_confirmed(before), "the cycle before fired the trend unconfirmed: {before}");
    // The cycle counters went on from the recording: more cycles than ran since the restart.
    let counted = status["scenarios"][0]["cycles"].as_u64().expect("cycles");
    assert!(counted >= resumed as u64, "{counted} cycles counted, the rise was on cycle {resumed}: {status}");
    let streak = sample_value(&metrics, r#"leaksoak_leak_streak{rule="trend",scenario="chat"}"#);
    assert!(streak.is_some_and(|s| s >= 2.0), "the trend streak: {streak:?}\n{metrics}");
    assert!(status["resumed"].as_str().is_some_and(|r| r.contains("from")), "read across rotated files: {status}");
}
