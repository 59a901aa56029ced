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
            leaksoak::telemetry::init_logs(leaksoak::settings::LogFormat::Text);
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

/// A port that was free a moment ago on 127.0.0.1: only for programs that cannot report the port they bound
/// (Prometheus) and for restarting a target on the port it had. leaksoak's own servers bind port 0.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port()
}

/// The daemon's record file (`run --record`), in its temporary directory.
const RECORD: &str = "record.jsonl";

/// A daemon under test (`run --record`), on a loopback port it bound itself (port 0); stopped when dropped.
pub struct Daemon {
    /// Where its endpoints listen.
    pub addr: SocketAddr,
    /// Holds the config file and the record for the daemon's lifetime.
    pub dir: tempfile::TempDir,
    /// In this process or in its own.
    running: Running,
}

/// How a daemon under test runs.
enum Running {
    /// `app::run_on` on a runtime of its own, in a thread of this process: stopped by its token.
    InProcess { shutdown: CancellationToken, thread: Option<std::thread::JoinHandle<()>> },
    /// The real binary, for signals, exit codes and measurements of its own process.
    Process(Child),
}

impl Daemon {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn config_path(&self) -> std::path::PathBuf {
        self.dir.path().join("leaksoak.toml")
    }

    /// Every cycle recorded so far (`run --record`, its rotated files first), as `(scenario, cycle)` in order.
    /// A line that is not JSON (cut short by a kill) is left out, as `analyze` skips it.
    pub fn recorded_cycles(&self) -> Vec<(String, serde_json::Value)> {
        let files = leaksoak::recording::rotated_set(&self.dir.path().join(RECORD)).expect("list the record files");
        let mut cycles = vec![];
        for file in files {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            for mut v in text.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()) {
                let scenario = v["scenario"].as_str().expect("scenario").to_owned();
                let list = v["cycles"].as_array_mut().map(std::mem::take).unwrap_or_default();
                cycles.extend(list.into_iter().map(|c| (scenario.clone(), c)));
            }
        }
        cycles
    }

    /// Kills the daemon's process with SIGKILL (no chance to finish anything) and returns its directory, to
    /// start another daemon on the same config and recording ([`spawn_daemon_process_in`]).
    pub fn kill(mut self) -> tempfile::TempDir {
        let child = self.child();
        child.kill().expect("SIGKILL");
        child.wait().expect("wait");
        std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tempdir"))
    }

    /// The daemon's process (from [`spawn_daemon_process`]).
    pub fn child(&mut self) -> &mut Child {
        match &mut self.running {
            Running::Process(child) => child,
            Running::InProcess { .. } => panic!("an in-process daemon has no process of its own"),
        }
    }

    /// The daemon's process id (from [`spawn_daemon_process`]).
    pub fn pid(&self) -> u32 {
        match &self.running {
            Running::Process(child) => child.id(),
            Running::InProcess { .. } => panic!("an in-process daemon has no process of its own"),
        }
    }

    /// Sends SIGTERM and waits for the process to exit; panics after `limit`. Its status, and how long it took.
    pub async fn terminate(&mut self, limit: std::time::Duration) -> (std::process::ExitStatus, std::time::Duration) {
        let sent = std::time::Instant::now();
        self.signal("TERM");
        loop {
            if let Some(status) = self.child().try_wait().expect("wait") {
                return (status, sent.elapsed());
            }
            assert!(sent.elapsed() < limit, "still running {limit:?} after SIGTERM");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Sends a signal (`TERM`, `HUP`) to the daemon's process.
    pub fn signal(&mut self, name: &str) {
        let pid = self.pid().to_string();
        let ok = Command::new("kill").args([&format!("-{name}"), &pid]).status();
        assert!(ok.is_ok_and(|s| s.success()), "kill -{name} failed");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        match &mut self.running {
            Running::InProcess { shutdown, thread } => {
                shutdown.cancel();
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
            Running::Process(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// A temporary directory with the daemon's config: `config` plus a `[server]` section listening on
/// 127.0.0.1 port 0 (`server_extra` adds keys to it).
fn daemon_dir(config: &str, server_extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!("[server]\nlisten = \"127.0.0.1:0\"\n{server_extra}\n{config}");
    std::fs::write(dir.path().join("leaksoak.toml"), text).expect("write config");
    dir
}

/// Runs the daemon in this process, as `run --config DIR/leaksoak.toml --record DIR/record.jsonl` would, on
/// a listener bound to port 0, and waits until `/healthz` answers.
pub async fn spawn_daemon(config: &str, server_extra: &str) -> Daemon {
    spawn_daemon_in(daemon_dir(config, server_extra)).await
}

/// [`spawn_daemon`] on a record file that already holds `record` (resume).
pub async fn spawn_daemon_on_record(config: &str, record: &[u8]) -> Daemon {
    spawn_daemon_on_files(config, &[(RECORD, record)]).await
}

/// [`spawn_daemon`] with `files` (names and contents) written beside its config first: a rotated
/// recording, `record.jsonl.000001` … and `record.jsonl`.
pub async fn spawn_daemon_on_files(config: &str, files: &[(&str, &[u8])]) -> Daemon {
    let dir = daemon_dir(config, "");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write a record file");
    }
    spawn_daemon_in(dir).await
}

async fn spawn_daemon_in(dir: tempfile::TempDir) -> Daemon {
    init_logs();
    let file = dir.path().join("leaksoak.toml");
    let settings = leaksoak::settings::load(Some(&file)).unwrap_or_else(|e| panic!("daemon config invalid: {e}"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let addr = listener.local_addr().expect("local address");
    let scrubber = leaksoak::panic_log::Scrubber::new(settings.secrets());
    let options = leaksoak::app::Options { config: Some(file), record: Some(dir.path().join(RECORD)), scrubber };
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        rt.block_on(leaksoak::app::run_on(listener, settings, options, stop.cancelled_owned())).expect("daemon");
        rt.shutdown_timeout(std::time::Duration::from_millis(500));
    });
    let running = Running::InProcess { shutdown, thread: Some(thread) };
    healthy(Daemon { addr, dir, running }).await
}

/// Starts the real binary, `leaksoak run --record`, on port 0, reads the address it logs, and waits until
/// `/healthz` answers. For what only a process of its own shows: signals, its exit, its own memory and fds.
pub async fn spawn_daemon_process(config: &str, server_extra: &str) -> Daemon {
    spawn_daemon_process_in(daemon_dir(config, server_extra)).await
}

/// [`spawn_daemon_process`] in a directory that already holds its config (and maybe a recording).
pub async fn spawn_daemon_process_in(dir: tempfile::TempDir) -> Daemon {
    let mut child = bin()
        .args(["run", "--config"])
        .arg(dir.path().join("leaksoak.toml"))
        .arg("--record")
        .arg(dir.path().join(RECORD))
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn leaksoak run");
    let addr = logged_address(child.stderr.take().expect("piped stderr"));
    healthy(Daemon { addr, dir, running: Running::Process(child) }).await
}

/// The address in the daemon's "serving /metrics" log line; the rest of its log is drained in a thread
/// (and shown with `TEST_LOG`), so the daemon never blocks on a full pipe.
fn logged_address(stderr: std::process::ChildStderr) -> SocketAddr {
    let mut lines = BufReader::new(stderr).lines();
    let show = std::env::var_os("TEST_LOG").is_some();
    for line in lines.by_ref() {
        let line = line.expect("read the daemon's log");
        if show {
            eprintln!("{line}");
        }
        // "serving /metrics" once running; "serving /healthz, /metrics and /status while waiting" for a
        // secret (docs/operating.md#fatal-at-start-or-waited-out).
        if let Some(addr) = line.split("addr=").nth(1).filter(|_| line.contains("serving /")) {
            let addr = addr.split_whitespace().next().unwrap_or_default().parse().expect("a socket address");
            std::thread::spawn(move || lines.map_while(Result::ok).filter(|_| show).for_each(|l| eprintln!("{l}")));
            return addr;
        }
    }
    panic!("the daemon exited before logging its address");
}

/// The address in the "serving /metrics" line of a daemon's log written to `path`; waits up to 10 s.
pub fn logged_address_in_file(path: &std::path::Path) -> SocketAddr {
    for _ in 0..200 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains("serving /metrics") && l.contains("addr=")) {
            let addr = line.split("addr=").nth(1).and_then(|a| a.split_whitespace().next()).unwrap_or_default();
            return addr.parse().unwrap_or_else(|_| panic!("no address in {line:?}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no \"serving /metrics\" line in {}", path.display());
}

/// `daemon` once `/healthz` answers; panics after 10 s.
async fn healthy(daemon: Daemon) -> Daemon {
    for _ in 0..200 {
        if http().get(daemon.url("/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return daemon;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the daemon did not answer /healthz within 10 s");
}

/// The value of one sample in a Prometheus text exposition, matched by its full series text.
pub fn sample_value(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Polls `/metrics` until `done` holds for its text, or panics after `secs` seconds.
pub async fn wait_for_metrics(daemon: &Daemon, secs: u64, done: impl Fn(&str) -> bool) -> String {
    wait_for(daemon, "/metrics", secs, done).await
}

/// Polls `path` of the daemon every 50 ms until `done` holds for its body, or panics after `secs` seconds
/// with the last body.
pub async fn wait_for(daemon: &Daemon, path: &str, secs: u64, done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let text = get_text(daemon.url(path)).await;
        if done(&text) {
            return text;
        }
        assert!(std::time::Instant::now() < deadline, "{path}: condition not met within {secs} s; last:\n{text}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
