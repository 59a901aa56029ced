//! Text that must not reach an output as it is: secrets in URLs and config lines that fail validation
//! (issue 26, case 3), and text from outside (a source's error, a recorded name) that could forge a log line
//! or drive the terminal (case 8).

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
