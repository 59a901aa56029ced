//! Secrets: a known secret set (an API key from the environment, a key in a credential header, a bearer
//! token from a file) is looked for in everything the daemon writes.

use crate::helpers::{http, sample_value, spawn_fake_process};
use std::time::Duration;

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
    let full = format!("[server]\nlisten = \"127.0.0.1:0\"\nbearer_token_file = {:?}\n{config}", token_file.display());
    std::fs::write(&config_path, full).expect("write");
    let mut child = crate::helpers::bin()
        .args(["run", "--config"])
        .arg(&config_path)
        .env("LEAKSOAK_TEST_API_KEY", API_KEY)
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn");
    let addr = crate::helpers::logged_address_in_file(&log);
    let url = |p: &str| format!("http://{addr}{p}");
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
