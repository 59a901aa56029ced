//! Helpers shared by the integration tests: spawn the fake endpoint or the binary on port 0, build settings.

use leaksoak::settings::{FakeLlm, RawSettings, Settings};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use tokio_util::sync::CancellationToken;

/// Logs of in-process servers, when `TEST_LOG` is set.
pub fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            leaksoak::telemetry::init(leaksoak::settings::LogFormat::Text);
        }
    });
}

/// The fake endpoint running in this process; stopped when dropped.
pub struct FakeApp {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
}

impl FakeApp {
    /// `http://127.0.0.1:PORT/v1/`
    pub fn base(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/v1/", self.addr)).expect("valid URL")
    }
}

impl Drop for FakeApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts the fake endpoint in-process on a free loopback port.
pub async fn spawn_fake(settings: FakeLlm) -> FakeApp {
    init_logs();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    tokio::spawn(leaksoak::fake_llm::serve(listener, settings, shutdown.clone().cancelled_owned()));
    FakeApp { addr, shutdown }
}

/// Settings from a TOML snippet layered over the defaults; panics with the problems if invalid.
pub fn settings(toml_text: &str) -> Settings {
    let raw: RawSettings = toml::from_str(toml_text).expect("test TOML parses");
    raw.validate().unwrap_or_else(|e| panic!("test settings invalid: {e}"))
}

/// The `leaksoak` binary built for these tests.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leaksoak"))
}

/// `leaksoak fake-llm` in its own process, killed when dropped.
pub struct FakeProcess {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Drop for FakeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `leaksoak fake-llm ARGS…` (on a free loopback port unless ARGS has `--listen`) and reads the
/// address it prints.
pub fn spawn_fake_process(args: &[&str]) -> FakeProcess {
    let listen: &[&str] = if args.contains(&"--listen") { &[] } else { &["--listen", "127.0.0.1:0"] };
    let mut child = bin()
        .arg("fake-llm")
        .args(listen)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn leaksoak fake-llm");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped stdout");
    BufReader::new(stdout).read_line(&mut line).expect("read the address line");
    let addr = line
        .trim()
        .strip_prefix("fake-llm listening on http://")
        .and_then(|rest| rest.strip_suffix("/v1"))
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    FakeProcess { child, addr }
}

/// Resident set size of a process, from `/proc/PID/status`.
pub fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS line");
    kb * 1024
}

/// A plain HTTP client for tests (TLS provider installed by leaksoak's builder).
pub fn http() -> reqwest::Client {
    leaksoak::http_client::builder().build().expect("client")
}

/// GET a URL and return its body as text.
pub async fn get_text(url: String) -> String {
    http().get(url).send().await.expect("get").text().await.expect("text")
}
