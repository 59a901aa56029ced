//! The fault matrix at the daemon level: hostile targets are counted by kind while `/metrics` keeps being
//! served and memory stays bounded; a memory source that vanishes and comes back; reloads in a burst;
//! secrets that appear nowhere.

use crate::helpers::{
    Daemon, get_text, hostile, http, sample_value, spawn_daemon, spawn_fake_process, wait_for_metrics,
};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn status_storm(mut s: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut n = 0u64;
    while s.read(&mut buf).await.is_ok_and(|r| r > 0) {
        n += 1;
        let (status, body) = if n % 2 == 0 {
            (
                "429 Too Many Requests",
                r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
            )
        } else {
            ("500 Internal Server Error", r#"{"error":{"message":"boom","type":"server_error"}}"#)
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if s.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn trickle(mut s: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    let _ = s.read(&mut buf).await;
    let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n").await;
    for _ in 0..1000 {
        if s.write_all(b"{").await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn scenario(name: &str, port: u16) -> String {
    format!(
        "[[scenario]]\nname = \"{name}\"\nurl = \"http://127.0.0.1:{port}/v1\"\nstream = false\nconcurrency = 8\ntimeout = \"300ms\"\n"
    )
}

fn errors(m: &str, scenario: &str, kind: &str) -> f64 {
    sample_value(m, &format!("leaksoak_request_errors_total{{kind=\"{kind}\",scenario=\"{scenario}\"}}")).unwrap_or(0.0)
}

#[tokio::test]
async fn hostile_targets_are_counted_by_kind_while_metrics_stay_up() {
    let refused = TcpListener::bind("127.0.0.1:0").await.expect("bind").local_addr().expect("addr").port();
    let storm = hostile(status_storm).await.port();
    let slow = hostile(trickle).await.port();
    let config = format!(
        "[cycle]\nwarmup_batches = 0\nbatch_size = 8\npause = \"0s\"\n[fake_llm]\nenabled = false\n\
         [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n{}{}{}",
        scenario("refused", refused),
        scenario("storm", storm),
        scenario("trickle", slow)
    );
    let d = spawn_daemon(&config, "").await;
    let done = |m: &str| {
        ["refused", "storm", "trickle"].iter().all(|s| {
            ["stable", "leak", "noisy", "insufficient", "error"].iter().any(|v| {
                sample_value(m, &format!("leaksoak_cycles_total{{scenario=\"{s}\",verdict=\"{v}\"}}")).unwrap_or(0.0)
                    >= 1.0
            })
        })
    };
    let m = wait_for_metrics(&d, 90, done).await;
    for (scenario, kind) in [("refused", "connect"), ("storm", "status"), ("trickle", "timeout")] {
        let failed = sample_value(&m, &format!("leaksoak_requests_total{{outcome=\"error\",scenario=\"{scenario}\"}}"));
        let ok = sample_value(&m, &format!("leaksoak_requests_total{{outcome=\"success\",scenario=\"{scenario}\"}}"));
        assert_eq!(ok, Some(0.0), "{scenario}: nothing succeeds");
        assert!(failed.is_some_and(|f| f >= 80.0), "{scenario}: a whole cycle of failures: {failed:?}");
        assert_eq!(Some(errors(&m, scenario, kind)), failed, "{scenario}: every failure is a {kind} error");
    }
    let rss = sample_value(&m, "process_resident_memory_bytes").expect("own RSS");
    assert!(rss < 100.0 * 1024.0 * 1024.0, "leaksoak's RSS stays bounded: {rss}");
    assert!(get_text(d.url("/report")).await.contains("Memory Growth Analysis: storm"));
}

#[tokio::test]
async fn a_memory_source_that_vanishes_and_comes_back() {
    let fake = spawn_fake_process(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("target.pid");
    std::fs::write(&pid_file, fake.child.id().to_string()).expect("write pid file");
    let config = format!(
        "[cycle]\nwarmup_batches = 0\nbatch_size = 5\npause = \"100ms\"\n[fake_llm]\nenabled = false\n\
         [memory]\nsource = \"process\"\npid_file = {:?}\nsettle = \"0ms\"\nsamples_per_batch = 1\n{}",
        pid_file.display(),
        scenario("target", fake.addr.port())
    );
    let d = spawn_daemon(&config, "").await;
    let count = |m: &str, v: &str| {
        sample_value(m, &format!("leaksoak_cycles_total{{scenario=\"target\",verdict=\"{v}\"}}")).unwrap_or(0.0)
    };
    let judged = |m: &str| count(m, "stable") + count(m, "leak") + count(m, "noisy");
    wait_for_metrics(&d, 30, |m| judged(m) >= 1.0).await;
    std::fs::remove_file(&pid_file).expect("remove pid file");
    let m = wait_for_metrics(&d, 30, |m| count(m, "error") >= 1.0).await;
    assert_eq!(sample_value(&m, "leaksoak_memory_source_up{scenario=\"target\"}"), Some(0.0));
    let before = judged(&m);
    std::fs::write(&pid_file, fake.child.id().to_string()).expect("restore pid file");
    let m = wait_for_metrics(&d, 30, |m| judged(m) > before).await;
    assert_eq!(sample_value(&m, "leaksoak_memory_source_up{scenario=\"target\"}"), Some(1.0));
    assert_eq!(
        sample_value(&m, "leaksoak_target_restarts_total{scenario=\"target\"}"),
        Some(0.0),
        "same pid: no restart"
    );
}

#[tokio::test]
async fn two_sighups_in_quick_succession_leave_the_daemon_running() {
    let config = "[cycle]\nwarmup_batches = 0\nbatch_size = 10\npause = \"100ms\"\n\
                  [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
                  [[scenario]]\nname = \"chat\"\n";
    let mut d: Daemon = spawn_daemon(config, "").await;
    d.signal("HUP");
    d.signal("HUP");
    let total = |m: &str| sample_value(m, "leaksoak_cycles_total{scenario=\"chat\",verdict=\"stable\"}").unwrap_or(0.0);
    let m = wait_for_metrics(&d, 30, |m| total(m) >= 2.0).await;
    assert_eq!(sample_value(&m, "leaksoak_config_last_reload_successful"), Some(1.0));
    assert!(d.child.try_wait().expect("wait").is_none(), "still running");
}

#[tokio::test]
async fn secrets_appear_in_no_log_metric_status_report_or_printed_config() {
    const API_KEY: &str = "sk-leaksoak-test-0123456789abcdef";
    const TOKEN: &str = "bearer-leaksoak-test-fedcba9876543210";
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, TOKEN).expect("write token");
    let fake = spawn_fake_process(&[]);
    let config = format!(
        "[cycle]\nwarmup_batches = 0\nbatch_size = 10\npause = \"30s\"\n[fake_llm]\nenabled = false\n\
         [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [[scenario]]\nname = \"keyed\"\nurl = \"http://127.0.0.1:{}/v1\"\napi_key_env = \"LEAKSOAK_TEST_API_KEY\"\n\
         headers = {{ x-api-key = \"{API_KEY}\" }}\n",
        fake.addr.port()
    );
    let config_path = dir.path().join("c.toml");
    std::fs::write(&config_path, format!("[server]\nbearer_token_file = {:?}\n{config}", token_file.display()))
        .expect("write");
    let printed = crate::helpers::bin()
        .args(["print-config", "--config"])
        .arg(&config_path)
        .env("LEAKSOAK_TEST_API_KEY", API_KEY)
        .output()
        .expect("print-config");
    let mut seen = String::from_utf8_lossy(&printed.stdout).into_owned();
    seen.push_str(&String::from_utf8_lossy(&printed.stderr));

    let log = dir.path().join("daemon.log");
    let port = crate::helpers::free_port();
    let full =
        format!("[server]\nlisten = \"127.0.0.1:{port}\"\nbearer_token_file = {:?}\n{config}", token_file.display());
    std::fs::write(&config_path, full).expect("write");
    let mut child = crate::helpers::bin()
        .args(["run", "--config"])
        .arg(&config_path)
        .env("LEAKSOAK_TEST_API_KEY", API_KEY)
        .env("RUST_LOG", "trace")
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn");
    let url = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let mut cycles = 0.0;
    for _ in 0..300 {
        if let Ok(r) = http().get(url("/metrics")).bearer_auth(TOKEN).send().await {
            let m = r.text().await.unwrap_or_default();
            cycles = sample_value(&m, "leaksoak_cycles_total{scenario=\"keyed\",verdict=\"stable\"}").unwrap_or(0.0)
                + sample_value(&m, "leaksoak_cycles_total{scenario=\"keyed\",verdict=\"leak\"}").unwrap_or(0.0);
            if cycles >= 1.0 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(cycles >= 1.0, "a cycle finished");
    for path in ["/metrics", "/status", "/report", "/readyz", "/healthz"] {
        let body = http().get(url(path)).bearer_auth(TOKEN).send().await.expect("get").text().await.expect("text");
        seen.push_str(&body);
    }
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    seen.push_str(&std::fs::read_to_string(&log).expect("log"));
    assert!(seen.contains("keyed"), "the scan saw real output");
    for secret in [API_KEY, TOKEN] {
        assert!(!seen.contains(secret), "{secret} leaked");
    }
}
