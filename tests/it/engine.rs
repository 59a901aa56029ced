//! The cycle engine end to end: `once` against the fake endpoint with and without a deliberate leak, the
//! daemon's shutdown on SIGTERM, target restarts and failing memory sources.

use crate::helpers::{
    FakeProcess, bin, sample_value, settings, spawn_daemon_process, spawn_fake_process, wait_for_metrics,
};
use leaksoak::analyze::Verdict;
use leaksoak::engine::{CycleEnd, Engine, Judged, Observer};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A quick cycle: one async scenario, small batches, no settling, one read per sample.
const QUICK: &str = "[cycle]\nwarmup_batches = 2\nmax_settle_batches = 0\nbatch_size = 40\npause = \"0s\"\n\
                     [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
                     [[scenario]]\nname = \"quick\"\nstream = true\nconcurrency = 4\n";

fn write_config(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("leaksoak.toml");
    std::fs::write(&path, text).expect("write config");
    path.to_str().expect("utf-8 path").to_owned()
}

/// `leaksoak once` with `config` written into `dir`, and `--junit`/`--json`/`--html` files there
/// (`report.html`): its output and the first two paths.
fn once_with_outputs(dir: &tempfile::TempDir, config: &str) -> (std::process::Output, PathBuf, PathBuf) {
    let config = write_config(dir, config);
    let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("samples.json"));
    let out = bin()
        .args(["once", "--config", &config, "--junit"])
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .arg("--html")
        .arg(dir.path().join("report.html"))
        .output()
        .expect("run once");
    (out, junit, json)
}

#[test]
fn once_catches_a_deliberate_leak_and_writes_junit_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, junit, json) = once_with_outputs(&dir, &format!("{QUICK}[fake_llm]\nleak_bytes_per_request = 16384\n"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "a leak exits 1: {stdout}");
    assert!(stdout.contains("Memory Growth Analysis") && stdout.contains("Verdict:     leak"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("<testcase classname=\"leaksoak.memory\" name=\"quick\"") && xml.contains("<failure"),
        "{xml}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("json");
    let cycle = &doc[0]["cycles"][0];
    assert_eq!(doc[0]["scenario"], "quick");
    assert_eq!(cycle["verdict"], "leak");
    assert!(cycle["rules"].as_array().is_some_and(|r| r.iter().any(|r| r == "slope")), "{cycle}");
    assert_eq!(cycle["batches"].as_array().map(Vec::len), Some(12));
    assert_eq!(cycle["batches"][0]["phase"], "warmup");
    let slope = cycle["slope_bytes_per_request"].as_f64().expect("slope");
    assert!((14_000.0..24_000.0).contains(&slope), "16 KiB/request leak measured as {slope} B/request");
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("html written");
    assert!(html.contains(r#"data-scenario="quick" data-batches="12""#), "{html}");
    assert_eq!(html.matches(r#"data-series="main" cx"#).count(), 12, "one point per batch");
    assert!(html.contains("<strong>LEAK</strong>") && html.contains(r#"data-rule="slope""#));
}

#[test]
fn once_without_a_leak_is_stable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(&dir, QUICK);
    let out = bin().args(["once", "--config", &config]).output().expect("run once");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Memory stabilized — no leak detected"), "{stdout}");
}

#[test]
fn logs_written_to_a_file_carry_no_escape_sequences() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(&dir, QUICK);
    let log = dir.path().join("once.log");
    let file = std::fs::File::create(&log).expect("create the log file");
    let status = bin()
        .args(["once", "--config", &config])
        .env_remove("NO_COLOR")
        .env("RUST_LOG", "debug")
        .stderr(file)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run once");
    assert_eq!(status.code(), Some(0));
    let text = std::fs::read_to_string(&log).expect("read the log");
    assert!(text.lines().count() >= 5, "the log has lines:\n{text}");
    assert!(!text.contains('\u{1b}'), "escape sequences in a log file:\n{text:?}");
}

#[test]
fn once_with_a_bad_config_exits_3() {
    let out = bin().args(["once"]).env("LEAKSOAK__CYCLE__BATCH_SIZE", "0").output().expect("run once");
    assert_eq!(out.status.code(), Some(3));
}

#[tokio::test]
async fn sigterm_stops_the_daemon_mid_batch_within_two_seconds() {
    // Slow responses: a batch of 40 at concurrency 4 takes 2 s, so the signal lands mid-batch once the
    // daemon serves (it is ready: `/healthz` answers) and has sent its first requests.
    let mut d = spawn_daemon_process(&format!("{QUICK}[fake_llm]\nlatency = \"200ms\"\n"), "").await;
    let sent = |m: &str| sample_value(m, "leaksoak_requests_total{outcome=\"success\",scenario=\"quick\"}");
    wait_for_metrics(&d, 30, |m| sent(m) > Some(0.0)).await;
    let (exit, took) = d.terminate(Duration::from_secs(5)).await;
    assert_eq!(exit.code(), Some(0));
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

/// Collects what the engine reports.
#[derive(Default)]
struct Recorder {
    cycles: Mutex<Vec<Judged>>,
    restarts: Mutex<u32>,
    source_errors: Mutex<Vec<String>>,
}

impl Observer for Recorder {
    fn cycle(&self, judged: &Judged) {
        self.cycles.lock().expect("lock").push(judged.clone());
    }
    fn restart(&self, _scenario: &str) {
        *self.restarts.lock().expect("lock") += 1;
    }
    fn source(&self, _scenario: &str, result: Result<(), &str>) {
        if let Err(e) = result {
            self.source_errors.lock().expect("lock").push(e.to_owned());
        }
    }
}

fn process_engine(port: u16, pid_file: &std::path::Path, recorder: &Arc<Recorder>) -> Engine {
    let s = settings(&format!(
        "[cycle]\nwarmup_batches = 1\nbatch_size = 10\n[fake_llm]\nenabled = false\n\
         [memory]\nsource = \"process\"\npid_file = {:?}\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [[scenario]]\nname = \"target\"\nurl = \"http://127.0.0.1:{port}/v1\"\nstream = false\n",
        pid_file.display()
    ));
    Engine::new(Arc::new(s), None, Arc::clone(recorder) as Arc<dyn Observer>).expect("engine")
}

/// `leaksoak fake-llm` on `port` (0: any free one) with its pid in `pid_file`.
fn start_target(port: u16, pid_file: &std::path::Path) -> FakeProcess {
    let fake = spawn_fake_process(&["--listen", &format!("127.0.0.1:{port}")]);
    std::fs::write(pid_file, fake.child.id().to_string()).expect("write pid file");
    fake
}

#[tokio::test]
async fn a_target_restart_discards_the_cycle_and_soaking_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("target.pid");
    let first = start_target(0, &pid_file);
    let port = first.addr.port();
    let recorder = Arc::new(Recorder::default());
    let mut engine = process_engine(port, &pid_file, &recorder);
    let token = CancellationToken::new();

    let judged = engine.once(&token).await.expect("cycle");
    assert_eq!(judged[0].end, CycleEnd::Completed);
    assert_ne!(judged[0].analysis.verdict, Verdict::Error);
    drop(first);

    let _second = start_target(port, &pid_file);
    let judged = engine.once(&token).await.expect("cycle");
    assert_eq!(judged[0].end, CycleEnd::Restarted);
    assert_eq!(judged[0].analysis.verdict, Verdict::Error);
    assert_eq!(*recorder.restarts.lock().expect("lock"), 1);

    let judged = engine.once(&token).await.expect("cycle");
    assert_eq!(judged[0].end, CycleEnd::Completed, "the new target is soaked");
    assert_eq!(recorder.cycles.lock().expect("lock").len(), 3);
}

#[tokio::test]
async fn a_failing_memory_source_marks_cycles_error_and_the_engine_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("missing.pid");
    let fake = spawn_fake_process(&[]);
    let recorder = Arc::new(Recorder::default());
    let mut engine = process_engine(fake.addr.port(), &pid_file, &recorder);
    let token = CancellationToken::new();
    for _ in 0..2 {
        let judged = engine.once(&token).await.expect("cycle");
        assert!(matches!(judged[0].end, CycleEnd::SourceFailed(_)), "{:?}", judged[0].end);
        assert_eq!(judged[0].analysis.verdict, Verdict::Error);
        assert!(judged[0].report.contains("memory source failed"), "{}", judged[0].report);
    }
    let errors = recorder.source_errors.lock().expect("lock");
    assert_eq!(errors.len(), 2);
    assert!(errors[0].contains("missing.pid"), "the error names the pid file: {}", errors[0]);
}

/// `once` against `url` (a target that fails every request), with JUnit: exit code, stdout, the JUnit XML;
/// its `--json` recording is judged again by `analyze`, which must say the same.
fn once_against(url: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let quick = QUICK.replace("stream = true\n", &format!("stream = true\nurl = {url:?}\n"));
    let (out, junit, json) = once_with_outputs(&dir, &format!("{quick}[fake_llm]\nenabled = false\n"));
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let replay = bin().arg("analyze").arg(&json).output().expect("analyze");
    let replayed = String::from_utf8_lossy(&replay.stdout);
    let summary = |text: &str| text.lines().find(|l| l.starts_with("Cycle discarded")).map(str::to_owned);
    assert_eq!(replay.status.code(), Some(2), "{replayed}");
    assert!(summary(&stdout).is_some() && summary(&stdout) == summary(&replayed), "{stdout}\n{replayed}");
    (out.status.code(), stdout, xml)
}

#[test]
fn once_against_a_mistyped_url_is_an_error_not_a_green_no_leak() {
    let fake = spawn_fake_process(&[]);
    let (code, stdout, xml) = once_against(&format!("http://{}/v2", fake.addr));
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stdout.contains("Verdict:     error"), "{stdout}");
    assert!(
        stdout.contains("400 of 400 requests failed (status: 400): the target answers with error statuses"),
        "{stdout}"
    );
    assert!(!stdout.contains("no leak detected"), "{stdout}");
    assert!(
        xml.contains("errors=\"1\"") && xml.contains("<error message=\"Cycle discarded: 400 of 400 requests failed"),
        "{xml}"
    );
}

#[test]
fn once_against_a_port_where_nothing_listens_is_an_error() {
    let port = crate::helpers::free_port();
    let (code, stdout, xml) = once_against(&format!("http://127.0.0.1:{port}/v1"));
    assert_eq!(code, Some(2), "{stdout}");
    let reason = "400 of 400 requests failed (connect: 400): the target is not answering; is the URL right?";
    assert!(stdout.contains(reason), "{stdout}");
    assert!(xml.contains(&format!("<error message=\"Cycle discarded: {reason}\"")), "{xml}");
}

#[test]
fn a_leak_whose_junit_file_cannot_be_written_still_exits_1() {
    // `/dev/full` opens (the check before the soak passes) and refuses every write after it.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(&dir, &format!("{QUICK}[fake_llm]\nleak_bytes_per_request = 16384\n"));
    let json = dir.path().join("samples.json");
    let out =
        bin().args(["once", "--config", &config, "--junit", "/dev/full", "--json"]).arg(&json).output().expect("once");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "the verdict's exit code wins: {stdout}\n{stderr}");
    assert!(stdout.contains("Verdict:     leak"), "{stdout}");
    assert!(stderr.contains("--junit: cannot write /dev/full"), "the failed output is reported: {stderr}");
    assert!(std::fs::metadata(&json).is_ok_and(|m| m.len() > 0), "the other outputs are still written");
    let stable = write_config(&dir, QUICK);
    let out = bin().args(["once", "--config", &stable, "--junit", "/dev/full"]).output().expect("once");
    assert_eq!(out.status.code(), Some(2), "a stable run that failed to write its output is not a pass");
}
