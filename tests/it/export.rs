//! The daemon's HTTP endpoints end to end: metric semantics after real cycles, `/status` and `/report`
//! agreeing with `/metrics`, `promtool check metrics`, a real Prometheus scraping it, reloads, auth.

use crate::helpers::{
    Daemon, FakeProcess, free_port, get_text, http, sample_value, spawn_daemon, spawn_daemon_process,
    spawn_fake_process, wait_for, wait_for_metrics,
};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One quick scenario measured through leaksoak's own heap (a daemon in its own process: the binary counts
/// its heap); `leak` bytes per request in the in-process fake endpoint.
fn soak(leak: u64) -> String {
    format!(
        "[cycle]\nwarmup_batches = 1\nmax_settle_batches = 0\nbatch_size = 40\npause = \"30s\"\n\
         [analysis]\nconfirm_cycles = 1\n\
         [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [fake_llm]\nleak_bytes_per_request = {leak}\n\
         [[scenario]]\nname = \"chat\"\nstream = true\nconcurrency = 4\n"
    )
}

/// The same scenario against `leaksoak fake-llm` in its own process (`fake_args`, e.g. a leak), whose RSS
/// is what the daemon measures: for daemons run in this process, whose own heap is the test binary's.
struct Target {
    fake: FakeProcess,
}

impl Target {
    fn start(fake_args: &[&str]) -> Self {
        Self { fake: spawn_fake_process(fake_args) }
    }

    fn config(&self) -> String {
        format!(
            "[cycle]\nwarmup_batches = 2\nmax_settle_batches = 0\nbatch_size = 40\npause = \"30s\"\n\
             [analysis]\nconfirm_cycles = 1\n\
             [memory]\nsource = \"process\"\npid = {}\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
             [fake_llm]\nenabled = false\n\
             [[scenario]]\nname = \"chat\"\nurl = \"http://{}/v1\"\nstream = true\nconcurrency = 4\n",
            self.fake.child.id(),
            self.fake.addr
        )
    }
}

/// A daemon in this process soaking a [`Target`] started with `fake_args`.
async fn soak_target(fake_args: &[&str], server_extra: &str) -> (Daemon, Target) {
    let target = Target::start(fake_args);
    (spawn_daemon(&target.config(), server_extra).await, target)
}

/// At least one cycle of `chat` finished (`/metrics` may lag by up to a second, so never "exactly one").
fn one_cycle_done(text: &str) -> bool {
    ["stable", "leak", "noisy", "insufficient", "error"].iter().any(|v| {
        sample_value(text, &format!("leaksoak_cycles_total{{scenario=\"chat\",verdict=\"{v}\"}}")).unwrap_or(0.0) >= 1.0
    })
}

fn value(text: &str, series: &str) -> f64 {
    sample_value(text, series).unwrap_or_else(|| panic!("no sample {series}"))
}

async fn status(d: &Daemon) -> serde_json::Value {
    serde_json::from_str(&get_text(d.url("/status")).await).expect("status JSON")
}

#[tokio::test]
async fn a_leaking_cycle_shows_in_metrics_status_and_report_alike() {
    let (d, _target) = soak_target(&["--leak-bytes-per-request", "65536"], "").await;
    let m = wait_for_metrics(&d, 60, one_cycle_done).await;
    assert_eq!(value(&m, "leaksoak_leak_detected{rule=\"growth\",scenario=\"chat\"}"), 1.0, "{m}");
    assert_eq!(value(&m, "leaksoak_cycle_verdict{scenario=\"chat\",verdict=\"leak\"}"), 1.0);
    assert_eq!(value(&m, "leaksoak_cycle_verdict{scenario=\"chat\",verdict=\"stable\"}"), 0.0);
    assert!(value(&m, "leaksoak_cycle_growth_ratio{scenario=\"chat\"}") > 0.25);
    assert!(value(&m, "leaksoak_batch_memory_bytes{phase=\"measure\",scenario=\"chat\"}") > 0.0);
    assert!(value(&m, "leaksoak_cycle_slope_bytes_per_request{scenario=\"chat\"}") > 60_000.0);
    assert!(sample_value(&m, "leaksoak_cycle_noise_cv_ratio{scenario=\"chat\"}").is_some());
    assert_eq!(value(&m, "leaksoak_requests_total{outcome=\"success\",scenario=\"chat\"}"), 480.0);
    assert_eq!(value(&m, "leaksoak_request_duration_seconds_count{scenario=\"chat\"}"), 480.0);
    assert_eq!(value(&m, "leaksoak_memory_source_up{scenario=\"chat\"}"), 1.0);
    assert!(value(&m, "process_resident_memory_bytes") > 0.0);

    let s = status(&d).await;
    let chat = &s["scenarios"][0];
    assert_eq!(chat["last_verdict"], "leak");
    assert_eq!(chat["leak_detected"]["growth"], true);
    assert_eq!(chat["last_cycle"]["samples"].as_array().map(Vec::len), Some(10));
    let growth = chat["last_cycle"]["growth_ratio"].as_f64().expect("growth ratio");
    assert!((growth - value(&m, "leaksoak_cycle_growth_ratio{scenario=\"chat\"}")).abs() < 1e-9);
    let report = get_text(d.url("/report")).await;
    assert!(report.contains("Memory Growth Analysis: chat") && report.contains("Memory grew by"), "{report}");
    let page = wait_for(&d, "/", 10, |p| p.contains("data-batches")).await;
    assert!(page.contains(r#"data-scenario="chat" data-batches="12""#), "{page}");
    assert!(page.contains("<strong>LEAK</strong>") && page.contains(r#"<meta http-equiv="refresh""#));
}

#[tokio::test]
async fn without_a_leak_the_gauge_stays_down() {
    let (d, _target) = soak_target(&[], "").await;
    let m = wait_for_metrics(&d, 60, one_cycle_done).await;
    for rule in ["growth", "tail", "error_spike", "slope", "trend"] {
        assert_eq!(value(&m, &format!("leaksoak_leak_detected{{rule=\"{rule}\",scenario=\"chat\"}}")), 0.0, "{rule}");
    }
    assert_eq!(value(&m, "leaksoak_cycle_verdict{scenario=\"chat\",verdict=\"leak\"}"), 0.0);
    assert_eq!(value(&m, "leaksoak_cycle_verdict{scenario=\"chat\",verdict=\"stable\"}"), 1.0, "{m}");
    assert_eq!(status(&d).await["scenarios"][0]["last_verdict"], "stable");
}

#[tokio::test]
async fn a_live_scrape_passes_promtool_check_metrics() {
    let (d, _target) = soak_target(&[], "").await;
    let text = wait_for_metrics(&d, 60, one_cycle_done).await;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; scripts/test installs it)");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), text.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("promtool");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// A Prometheus server scraping `target` every second, stopped when dropped.
struct Prometheus {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_prometheus(target: u16) -> Prometheus {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("prometheus.yml");
    let scrape = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: leaksoak\n    \
         static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
    );
    std::fs::write(&config, scrape).expect("write prometheus.yml");
    let port = free_port();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus (Debian package prometheus; scripts/test installs it)");
    Prometheus { child, port, _dir: dir }
}

#[tokio::test]
async fn a_real_prometheus_sees_the_leak_gauge() {
    let (d, _target) = soak_target(&["--leak-bytes-per-request", "65536"], "").await;
    let prom = start_prometheus(d.addr.port());
    let query = "leaksoak_leak_detected{rule=\"growth\"}";
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let mut url = url::Url::parse(&format!("http://127.0.0.1:{}/api/v1/query", prom.port)).expect("url");
        url.query_pairs_mut().append_pair("query", query);
        let resp = http().get(url).send().await;
        if let Ok(resp) = resp {
            let v: serde_json::Value = resp.json().await.unwrap_or_default();
            let result = &v["data"]["result"][0];
            if result["metric"]["scenario"] == "chat" && result["value"][1] == "1" {
                return;
            }
        }
        assert!(Instant::now() < deadline, "Prometheus never saw {query} = 1");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn reloads_apply_valid_configs_and_reject_invalid_ones() {
    let config = soak(0).replace("pause = \"30s\"", "pause = \"200ms\"");
    let mut d = spawn_daemon_process(&config, "enable_lifecycle = true\n").await;
    wait_for_metrics(&d, 60, one_cycle_done).await;
    let path = d.config_path();
    let renamed = std::fs::read_to_string(&path).expect("read").replace("name = \"chat\"", "name = \"renamed\"");
    std::fs::write(&path, &renamed).expect("write");
    let resp = http().post(d.url("/-/reload")).send().await.expect("reload");
    assert_eq!(resp.status().as_u16(), 200);
    let m = wait_for_metrics(&d, 60, |t| t.contains("scenario=\"renamed\"") && !t.contains("scenario=\"chat\"")).await;
    assert_eq!(value(&m, "leaksoak_config_last_reload_successful"), 1.0);

    std::fs::write(&path, renamed.replace("batch_size = 40", "batch_size = 0")).expect("write");
    let resp = http().post(d.url("/-/reload")).send().await.expect("reload");
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().await.expect("body").contains("cycle.batch_size: must be at least 1, got 0"));
    // `/metrics` may serve a body up to a second old (SCRAPE_CACHE_TTL).
    wait_for_metrics(&d, 10, |t| sample_value(t, "leaksoak_config_last_reload_successful") == Some(0.0)).await;

    std::fs::write(&path, &renamed).expect("write");
    d.signal("HUP");
    wait_for_metrics(&d, 10, |t| sample_value(t, "leaksoak_config_last_reload_successful") == Some(1.0)).await;
    assert!(d.child().try_wait().expect("wait").is_none(), "the daemon keeps running through every reload");
}

#[tokio::test]
async fn concurrent_reloads_are_all_accepted_and_one_the_engine_cannot_run_is_refused() {
    let target = Target::start(&[]);
    let key = tempfile::NamedTempFile::new().expect("key file");
    std::fs::write(key.path(), "sk-test-key\n").expect("write key");
    let config = format!("{}api_key_file = {:?}\n", target.config(), key.path().display());
    let d = spawn_daemon(&config, "enable_lifecycle = true\n").await;
    let reloads = (0..12).map(|_| async { http().post(d.url("/-/reload")).send().await.expect("reload").status() });
    let statuses = futures_util::future::join_all(reloads).await;
    assert!(statuses.iter().all(|s| s.as_u16() == 200), "every valid reload is accepted: {statuses:?}");
    wait_for_metrics(&d, 10, |t| sample_value(t, "leaksoak_config_last_reload_successful") == Some(1.0)).await;

    // A key the HTTP client cannot send (a line break inside): the answer and the metric both say no.
    std::fs::write(key.path(), "sk-test\nkey\n").expect("write key");
    let resp = http().post(d.url("/-/reload")).send().await.expect("reload");
    assert_eq!(resp.status().as_u16(), 400, "{}", resp.text().await.unwrap_or_default());
    wait_for_metrics(&d, 10, |t| sample_value(t, "leaksoak_config_last_reload_successful") == Some(0.0)).await;
}

#[tokio::test]
async fn the_lifecycle_api_is_off_by_default() {
    let (d, _target) = soak_target(&[], "").await;
    let resp = http().post(d.url("/-/reload")).send().await.expect("reload");
    assert_eq!(resp.status().as_u16(), 403);
}

#[tokio::test]
async fn a_bearer_token_guards_every_endpoint_but_healthz() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, "t0ps3cret\n").expect("write");
    let (d, _target) = soak_target(&[], &format!("bearer_token_file = {:?}\n", token.display())).await;
    for path in ["/", "/metrics", "/readyz", "/status", "/report"] {
        let resp = http().get(d.url(path)).send().await.expect("get");
        assert_eq!(resp.status().as_u16(), 401, "{path} without a token");
        let resp = http().get(d.url(path)).bearer_auth("wrong").send().await.expect("get");
        assert_eq!(resp.status().as_u16(), 401, "{path} with a wrong token");
    }
    let resp = http().get(d.url("/metrics")).bearer_auth("t0ps3cret").send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    let resp = http().get(d.url("/healthz")).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let (d, _target) = soak_target(&[], "").await;
    assert_eq!(http().get(d.url("/nope")).send().await.expect("get").status().as_u16(), 404);
    assert_eq!(http().post(d.url("/metrics")).send().await.expect("post").status().as_u16(), 405);
    assert_eq!(http().get(d.url("/-/reload")).send().await.expect("get").status().as_u16(), 405);
}

#[tokio::test]
async fn readyz_waits_for_the_first_batch() {
    // A fake endpoint that takes 300 ms per request: the first batch of 40 at concurrency 4 takes 3 s.
    let (d, _target) = soak_target(&["--latency", "300ms"], "").await;
    let early = http().get(d.url("/readyz")).send().await.expect("get").status().as_u16();
    assert_eq!(early, 503);
    let deadline = Instant::now() + Duration::from_secs(30);
    while http().get(d.url("/readyz")).send().await.expect("get").status().as_u16() != 200 {
        assert!(Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn sigterm_mid_batch_exits_0_within_5_seconds() {
    let slow = soak(0).replace("[fake_llm]\n", "[fake_llm]\nlatency = \"300ms\"\n");
    let mut d = spawn_daemon_process(&slow, "").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, _) = d.terminate(Duration::from_secs(5)).await;
    assert_eq!(status.code(), Some(0));
}
