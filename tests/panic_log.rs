//! The panic hook as `run` and `once` install it: a panic whose message carries secrets is logged as one
//! JSON line with every secret of the settings scrubbed out. Its own test binary: the panic hook and the
//! global log subscriber are per process.

use leaksoak::panic_log::{REDACTED, Scrubber};
use std::io::Write;
use std::sync::{Arc, Mutex};

const API_KEY: &str = "sk-leaksoak-panic-0123456789";
const TOKEN: &str = "tok-leaksoak-panic-abcdef";
const HEADER_KEY: &str = "hk-leaksoak-panic-\"quoted\"";
/// The `promql` source's basic-auth password.
const PASSWORD: &str = "pw-leaksoak-panic-9876";

/// Log output, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn settings_with_secrets(dir: &std::path::Path) -> leaksoak::settings::Settings {
    let (key, token, password) = (dir.join("key"), dir.join("token"), dir.join("password"));
    std::fs::write(&key, API_KEY).expect("write key");
    std::fs::write(&password, PASSWORD).expect("write password");
    std::fs::write(&token, format!("{TOKEN}\n")).expect("write token");
    let header = HEADER_KEY.replace('"', "\\\"");
    let text = format!(
        "[server]\nbearer_token_file = {token:?}\n[memory]\nsource = \"promql\"\nurl = \"https://127.0.0.1:1\"\n\
         query = \"m\"\nbasic_auth_user = \"u\"\nbasic_auth_password_file = {password:?}\n[[scenario]]\nname = \"keyed\"\nurl = \"http://127.0.0.1:1/v1\"\n\
         api_key_file = {key:?}\nheaders = {{ x-api-key = \"{header}\" }}\n"
    );
    leaksoak::settings::from_toml_str(&text).expect("valid settings")
}

#[test]
fn a_panic_message_never_shows_a_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = settings_with_secrets(dir.path());
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt().json().with_writer(move || writer.clone()).init();
    leaksoak::panic_log::install(Scrubber::new(settings.secrets()));

    let scenario = settings.scenarios[0].clone();
    let panicked = std::thread::Builder::new()
        .name("soak".into())
        .spawn(move || {
            let key = scenario.api_key.as_ref().map(|k| k.expose()).unwrap_or_default();
            let header = scenario.headers.get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
            panic!(
                "request failed with key {key}, header {header:?}, token {TOKEN}, password {PASSWORD}; \
                 scenario {scenario:?}"
            );
        })
        .expect("spawn")
        .join();
    assert!(panicked.is_err(), "the thread panicked");

    let text = String::from_utf8(log.0.lock().expect("lock").clone()).expect("utf-8");
    let line: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON log line");
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["target"], "leaksoak::panic");
    let message = line["fields"]["message"].as_str().expect("message");
    assert!(message.starts_with("thread 'soak' panicked at tests/panic_log.rs:"), "{message}");
    assert!(message.contains(&format!("request failed with key {REDACTED}")), "{message}");
    for secret in [API_KEY, TOKEN, HEADER_KEY, "hk-leaksoak-panic", PASSWORD] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}
