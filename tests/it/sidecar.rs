//! The sidecar as `deploy/kubernetes/overlays/sidecar` starts it (its args, its config, its environment) with
//! its API key Secret missing: it must never exit for that, since a sidecar that is not running takes its
//! application's pod out of its Service. It stays up serving `/healthz` and `/metrics`
//! (`leaksoak_configured 0`), and judges cycles once the secret file is written.

use crate::helpers::{free_port, get_text, http, sample_value, spawn_fake_process};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const OVERLAY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/kubernetes/overlays/sidecar");
/// Where the sidecar's manifest mounts its config, its record volume and its API key Secret.
const MOUNTS: [&str; 3] = ["/etc/leaksoak/", "/var/lib/leaksoak/", "/var/run/secrets/leaksoak/"];
/// Short cycles, set as a user would, through the environment.
const QUICK: [(&str, &str); 6] = [
    ("CYCLE__BATCH_SIZE", "5"),
    ("CYCLE__WARMUP_BATCHES", "1"),
    ("CYCLE__MAX_SETTLE_BATCHES", "0"),
    ("CYCLE__PAUSE", "0s"),
    ("MEMORY__SETTLE", "1ms"),
    ("MEMORY__SAMPLES_PER_BATCH", "1"),
];
/// How long the sidecar must stay up without its Secret.
const STAYS_UP: Duration = Duration::from_secs(60);

/// The leaksoak container's `args:` in leaksoak-sidecar.yaml (one flow list of quoted strings), its mount
/// points moved into `dir`.
fn sidecar_args(dir: &Path) -> Vec<String> {
    let manifest = std::fs::read_to_string(format!("{OVERLAY}/leaksoak-sidecar.yaml")).expect("the sidecar patch");
    let line = manifest.lines().find_map(|l| l.trim().strip_prefix("args:")).expect("an args: line");
    let args: Vec<String> = serde_json::from_str(line.trim()).expect("args as a flow list of quoted strings");
    args.iter().map(|a| moved(a, dir)).collect()
}

/// `text` with the sidecar's mount points replaced by `dir`.
fn moved(text: &str, dir: &Path) -> String {
    MOUNTS.iter().fold(text.to_owned(), |t, m| t.replace(m, &format!("{}/", dir.display())))
}

/// Kills the sidecar when the test ends, whatever way.
struct Sidecar(Child);

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_sidecar_without_its_secret_stays_up_for_a_minute_then_judges_cycles_once_it_is_written() {
    let fake = spawn_fake_process(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    // The shipped config, pointed at this machine: the fake endpoint as the application, its pid as the process.
    let config = moved(&std::fs::read_to_string(format!("{OVERLAY}/soak/config.toml")).expect("config"), dir.path())
        .replace("0.0.0.0:9477", &format!("127.0.0.1:{port}"))
        .replace("127.0.0.1:4000", &fake.addr.to_string())
        .replace("process_name = \"my-llm-proxy\"", &format!("pid = {}", fake.child.id()));
    std::fs::write(dir.path().join("leaksoak.toml"), config).expect("write config");
    let child = crate::helpers::bin()
        .args(sidecar_args(dir.path()))
        .env("LEAKSOAK__TELEMETRY__LOG_FORMAT", "json")
        // Short cycles, so one is judged within seconds of the secret.
        .envs(QUICK.iter().map(|(k, v)| (format!("LEAKSOAK__{k}"), v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the sidecar");
    let mut sidecar = Sidecar(child);
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let started = Instant::now();
    while started.elapsed() < STAYS_UP {
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(sidecar.0.try_wait().expect("wait").is_none(), "the sidecar exited without its secret");
        let Ok(health) = http().get(url("/healthz")).send().await else { continue };
        assert_eq!(health.status(), 200, "/healthz");
        let metrics = get_text(url("/metrics")).await;
        assert_eq!(sample_value(&metrics, "leaksoak_configured"), Some(0.0), "{metrics}");
    }
    let status: serde_json::Value = serde_json::from_str(&get_text(url("/status")).await).expect("JSON");
    let why = status["not_configured"].as_str().unwrap_or_default();
    assert!(why.contains("api_key_file") && why.contains("api-key"), "{status}");

    std::fs::write(dir.path().join("api-key"), "sk-sidecar\n").expect("write the secret");
    let deadline = Instant::now() + Duration::from_secs(60);
    let judged = |m: &str| {
        ["stable", "leak", "noisy"].iter().any(|v| {
            let series = format!("leaksoak_cycles_total{{scenario=\"sync-streaming\",verdict=\"{v}\"}}");
            sample_value(m, &series) > Some(0.0)
        })
    };
    loop {
        let metrics = http().get(url("/metrics")).send().await.expect("scrape").text().await.expect("text");
        if sample_value(&metrics, "leaksoak_configured") == Some(1.0) && judged(&metrics) {
            break;
        }
        assert!(Instant::now() < deadline, "no cycle judged a minute after the secret was written:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(sidecar.0.try_wait().expect("wait").is_none(), "still running");
}

#[tokio::test]
async fn a_secret_file_that_changes_is_read_again_and_reloaded() {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = keys.path().join("api-key");
    std::fs::write(&key, "sk-before\n").expect("write the key");
    let config = format!(
        "[cycle]\nwarmup_batches = 1\nmax_settle_batches = 0\nbatch_size = 5\npause = \"5s\"\n\
         [memory]\nsource = \"self-heap\"\nsettle = \"1ms\"\nsamples_per_batch = 1\n\
         [[scenario]]\nname = \"chat\"\nstream = false\napi_key_file = {:?}\n",
        key.display().to_string()
    );
    let daemon = crate::helpers::spawn_daemon(&config, "").await;
    let loaded = |m: &str| sample_value(m, "leaksoak_config_last_reload_success_timestamp_seconds").unwrap_or(0.0);
    let started = loaded(&crate::helpers::wait_for_metrics(&daemon, 10, |m| loaded(m) > 0.0).await);
    // The kubelet replaces a mounted Secret's file in place; the next read sees the new key.
    std::fs::write(&key, "sk-after\n").expect("rotate the key");
    let limit = leaksoak::app::SECRET_WATCH.as_secs() * 3;
    crate::helpers::wait_for_metrics(&daemon, limit, |m| loaded(m) > started).await;
}

#[tokio::test]
async fn while_its_bearer_token_cannot_be_read_only_healthz_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let token = dir.path().join("token");
    let config =
        format!("[server]\nlisten = \"127.0.0.1:{port}\"\nbearer_token_file = {:?}\n", token.display().to_string());
    std::fs::write(dir.path().join("leaksoak.toml"), config).expect("write config");
    let child = crate::helpers::bin()
        .args(["run", "--config"])
        .arg(dir.path().join("leaksoak.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn leaksoak run");
    let _running = Sidecar(child);
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !http().get(url("/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
        assert!(Instant::now() < deadline, "/healthz never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for path in ["/metrics", "/status"] {
        for auth in ["Bearer ", "Bearer secret-not-read", "Bearer x"] {
            let r = http().get(url(path)).header("Authorization", auth).send().await.expect("get");
            assert_eq!(r.status(), 401, "{path} with {auth:?} while the token is unknown");
        }
    }
}
