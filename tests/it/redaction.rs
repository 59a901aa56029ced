//! Text that must not reach an output as it is: secrets in URLs and config lines that fail validation
//! (issue 26, case 3), and text from outside (a source's error, a recorded name) that could forge a log line
//! or drive the terminal (case 8); a refused reload that points the right way (case 10).

use crate::helpers::{bin, http, spawn_daemon_process};
use crate::hostile_files::run_measured;

const PASSWORD: &str = "hunter2-leaksoak-test";
const KEY: &str = "sk-leaksoak-test-42";

/// Asserts that neither secret appears in `out`, and that `key` is named.
fn no_secret(out: &str, key: &str) {
    assert!(!out.contains(PASSWORD) && !out.contains(KEY), "a secret is shown: {out}");
    assert!(out.contains(key), "{key} is not named: {out}");
}

#[test]
fn a_url_that_fails_validation_is_shown_without_its_password_or_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("leaksoak.toml");
    for url in [
        format!("ftp://user:{PASSWORD}@127.0.0.1/v1?api_key={KEY}"),
        format!("http://user:{PASSWORD}@[::1/v1?api_key={KEY}&model=x"),
        format!("user:{PASSWORD}@127.0.0.1/v1?token={KEY}"),
    ] {
        std::fs::write(&config, format!("[[scenario]]\nname = \"a\"\nurl = {url:?}\n")).expect("write");
        let (code, out, _) = run_measured(bin().arg("check-config").arg(&config));
        assert_eq!(code, Some(3), "{out}");
        no_secret(&out, "scenario[0].url");
        assert!(out.contains("redacted"), "{out}");
        std::fs::write(&config, "[[scenario]]\nname = \"a\"\n").expect("write");
        let (code, out, _) =
            run_measured(bin().arg("check-config").arg(&config).env("LEAKSOAK__SCENARIO__0__URL", &url));
        assert_eq!(code, Some(3), "{out}");
        no_secret(&out, "url");
    }
}

#[test]
fn a_toml_syntax_error_names_its_line_without_quoting_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("leaksoak.toml");
    std::fs::write(&config, format!("[[scenario]]\nname = \"a\"\nurl = \"http://u:{PASSWORD}@127.0.0.1/v1\n"))
        .expect("write");
    let (code, out, _) = run_measured(bin().arg("check-config").arg(&config));
    assert_eq!(code, Some(3), "{out}");
    no_secret(&out, "TOML syntax error at line 3, column");
}

#[tokio::test]
async fn a_refused_reload_shows_no_secret_of_the_new_config() {
    let config = "[cycle]\nwarmup_batches = 0\nbatch_size = 10\npause = \"100ms\"\n[memory]\nsource = \"self-heap\"\n\
                  settle = \"0ms\"\nsamples_per_batch = 1\n[[scenario]]\nname = \"chat\"\n";
    let mut d = spawn_daemon_process(config, "enable_lifecycle = true\n").await;
    let text = std::fs::read_to_string(d.config_path()).expect("config");
    std::fs::write(d.config_path(), format!("{text}url = \"ftp://u:{PASSWORD}@127.0.0.1/?api_key={KEY}\"\n"))
        .expect("rewrite config");
    let reload = http().post(d.url("/-/reload")).send().await.expect("reload");
    assert_eq!(reload.status().as_u16(), 400);
    no_secret(&reload.text().await.expect("body"), "scenario[0].url");
    let (status, _) = d.terminate(std::time::Duration::from_secs(8)).await;
    assert_eq!(status.code(), Some(0));
}

/// A forged log line and terminal escapes: a newline, a line that looks like leaksoak's own, a clear screen
/// and a window title (OSC).
const FORGED: &str = "bad\nFORGED  INFO leaksoak: all clear\u{1b}[2J\u{1b}]0;pwned\u{7}";

/// Whether `text` holds a terminal escape or a line made by the forged text.
fn injected(text: &str) -> bool {
    text.contains(['\u{1b}', '\u{7}']) || text.lines().any(|l| l.starts_with("FORGED"))
}

#[test]
fn analyze_prints_a_recorded_name_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("named.jsonl");
    let batches: Vec<String> =
        (0..6).map(|i| format!(r#"{{"memory_bytes": {}, "requests": 100}}"#, 1_000_000 + i * 10)).collect();
    let line = serde_json::json!({"scenario": FORGED, "cycles": [{"batches": serde_json::from_str::<serde_json::Value>(&format!("[{}]", batches.join(","))).expect("json")}]});
    std::fs::write(&path, format!("{line}\n{line}\n")).expect("write");
    let (code, out, _) = run_measured(bin().arg("analyze").arg(&path));
    assert!(matches!(code, Some(0..=2)), "{out}");
    assert!(!injected(&out), "{out:?}");
    assert!(out.contains(r"bad\nFORGED  INFO leaksoak: all clear\u{1b}[2J"), "shown escaped: {out}");
}

#[tokio::test]
async fn a_prometheus_error_is_logged_escaped() {
    use crate::hostile::{hostile, http_response, reply_with};
    let body = serde_json::json!({"status": "error", "errorType": "bad_data", "error": FORGED}).to_string();
    let reply = http_response("400 Bad Request", "application/json", &body);
    let prometheus = hostile(move |s| reply_with(s, reply.clone())).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("leaksoak.toml");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[cycle]\nwarmup_batches = 0\nbatch_size = 10\npause = \"100ms\"\n\
         [memory]\nsource = \"promql\"\nurl = \"http://{prometheus}/\"\nquery = \"up\"\nsettle = \"0ms\"\n\
         samples_per_batch = 1\n[[scenario]]\nname = \"chat\"\n"
    );
    std::fs::write(&config, text).expect("write config");
    let log = dir.path().join("daemon.log");
    let mut child = bin()
        .args(["run", "--config"])
        .arg(&config)
        .env("NO_COLOR", "1")
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn leaksoak run");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let logged = loop {
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        if logged.contains("all clear") || std::time::Instant::now() > deadline {
            break logged;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(logged.contains(r"bad\nFORGED  INFO leaksoak: all clear\u{1b}[2J"), "logged escaped: {logged}");
    assert!(!injected(&logged), "{logged:?}");
}

#[tokio::test]
async fn a_reload_that_needs_the_fake_endpoint_says_it_starts_only_at_start_up() {
    let fake = crate::helpers::spawn_fake_process(&[]);
    let config = format!(
        "[cycle]\nwarmup_batches = 0\nbatch_size = 10\npause = \"100ms\"\n[memory]\nsource = \"self-heap\"\n\
         settle = \"0ms\"\nsamples_per_batch = 1\n[fake_llm]\nenabled = false\n\
         [[scenario]]\nname = \"chat\"\nurl = \"http://{}/v1\"\n",
        fake.addr
    );
    let mut d = spawn_daemon_process(&config, "enable_lifecycle = true\n").await;
    let text = std::fs::read_to_string(d.config_path()).expect("config");
    let enabled =
        text.replace("enabled = false", "enabled = true").replace(&format!("url = \"http://{}/v1\"\n", fake.addr), "");
    std::fs::write(d.config_path(), enabled).expect("rewrite config");
    let reload = http().post(d.url("/-/reload")).send().await.expect("reload");
    assert_eq!(reload.status().as_u16(), 400);
    let body = reload.text().await.expect("body");
    assert!(body.contains("it starts only at start-up") && body.contains("restart leaksoak"), "{body}");
    assert!(!body.contains("enabled = false"), "the new file says true: {body}");
    let (status, _) = d.terminate(std::time::Duration::from_secs(8)).await;
    assert_eq!(status.code(), Some(0));
}
