//! Memory sources against real processes, cgroup-like directories and tiny local HTTP servers.
//! Network: 127.0.0.1 only. Helpers are self-contained (this file will move into the one `tests/it/`).

use leaksoak::memory::{Error, Sampler};
use leaksoak::settings::{Memory, MemorySource, MetricSelector, ProcessSelector};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

const MIB: u64 = 1024 * 1024;

fn sampler(source: MemorySource) -> Sampler {
    let settings = Memory { source, samples_per_batch: 1, settle: Duration::ZERO };
    Sampler::new(&settings).expect("a sampler")
}

/// A child process killed and reaped when dropped.
struct Kid(Child);

impl Kid {
    fn sleep(arg: &str) -> Self {
        Self(Command::new("sleep").arg(arg).spawn().expect("spawn sleep"))
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Kid {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A `sleep` argument no other process on the machine has: seconds 31.<our pid>.
fn unique_sleep(tag: u32) -> String {
    format!("3{tag}.{}", std::process::id())
}

// ---- process ----

#[tokio::test]
async fn process_rss_follows_a_child_that_allocates_50_mib() {
    let script = "import sys\nprint('base', flush=True)\nsys.stdin.readline()\n\
                  b = b'x' * (50 * 1024 * 1024)\nprint('ready', flush=True)\nsys.stdin.readline()\n";
    let Ok(child) = Command::new("python3").args(["-c", script]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()
    else {
        eprintln!("python3 not available; skipped");
        return;
    };
    let mut kid = Kid(child);
    let mut stdin = kid.0.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(kid.0.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("base");
    let mut s = sampler(MemorySource::Process(ProcessSelector::Pid(kid.pid())));
    let before = s.sample().await.expect("a reading");
    stdin.write_all(b"go\n").expect("go");
    stdout.read_line(&mut line).expect("ready");
    let after = s.sample().await.expect("a reading");
    assert!(after.bytes >= before.bytes + 45 * MIB, "{} -> {}", before.bytes, after.bytes);
    assert!(!after.restarted);
    assert!(s.describe().contains(&format!("process {}", kid.pid())), "{}", s.describe());
}

#[tokio::test]
async fn pid_file_pointing_to_a_new_child_is_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("target.pid");
    let first = Kid::sleep("30");
    std::fs::write(&pid_file, format!("{}\n", first.pid())).expect("write pid");
    let mut s = sampler(MemorySource::Process(ProcessSelector::PidFile(pid_file.clone())));
    let reading = s.sample().await.expect("a reading");
    assert!(reading.bytes > 0 && !reading.restarted);
    assert!(!s.sample().await.expect("same child").restarted);
    let second = Kid::sleep("30");
    std::fs::write(&pid_file, second.pid().to_string()).expect("write pid");
    assert!(s.sample().await.expect("new child").restarted);
    assert!(!s.sample().await.expect("same new child").restarted);
    assert!(s.describe().contains(&second.pid().to_string()), "{}", s.describe());
}

#[tokio::test]
async fn a_vanished_process_is_an_error() {
    let mut kid = Kid::sleep("30");
    let pid = kid.pid();
    let mut s = sampler(MemorySource::Process(ProcessSelector::Pid(pid)));
    s.sample().await.expect("running");
    kid.stop();
    let err = s.sample().await.expect_err("gone");
    assert_eq!(err, Error::ProcessGone { pid, selected_by: String::new() });
}

#[tokio::test]
async fn bad_pid_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.pid");
    let err = sampler(MemorySource::Process(ProcessSelector::PidFile(missing))).sample().await.expect_err("missing");
    assert_eq!(err.kind(), "pid_file");
    let garbage = dir.path().join("garbage.pid");
    std::fs::write(&garbage, "not a pid").expect("write");
    let err = sampler(MemorySource::Process(ProcessSelector::PidFile(garbage))).sample().await.expect_err("garbage");
    assert!(err.to_string().contains("not a pid"), "{err}");
}

#[tokio::test]
async fn process_name_matches_the_command_line_and_must_be_unique() {
    let arg = unique_sleep(1);
    let name = format!("sleep {arg}");
    let mut s = sampler(MemorySource::Process(ProcessSelector::Name(name.clone())));
    let err = s.sample().await.expect_err("nothing runs yet");
    assert_eq!(err, Error::NoProcessNamed { name: name.clone() });
    let (mut a, b) = (Kid::sleep(&arg), Kid::sleep(&arg));
    match s.sample().await.expect_err("two matches") {
        Error::AmbiguousProcessName { matches, .. } => {
            let pids: Vec<u32> = matches.iter().map(|(pid, _)| *pid).collect();
            assert!(pids.contains(&a.pid()) && pids.contains(&b.pid()) && pids.len() == 2, "{matches:?}");
        }
        other => panic!("expected an ambiguity error, got {other}"),
    }
    a.stop();
    assert!(!s.sample().await.expect("one match").restarted);
    assert!(s.describe().contains(&b.pid().to_string()), "{}", s.describe());
    drop(b);
    let c = Kid::sleep(&arg);
    let reading = s.sample().await.expect("found again by name");
    assert!(reading.restarted, "a new pid under the same name is a restart");
    assert!(s.describe().contains(&c.pid().to_string()), "{}", s.describe());
}

#[tokio::test]
async fn own_rss_is_read_with_a_median_of_three() {
    let settings = Memory { source: MemorySource::OwnRss, samples_per_batch: 3, settle: Duration::from_millis(1) };
    let mut s = Sampler::new(&settings).expect("a sampler");
    let reading = s.sample().await.expect("own rss");
    assert!(reading.bytes > MIB && !reading.restarted, "{reading:?}");
    assert!(s.describe().contains(&std::process::id().to_string()), "{}", s.describe());
}

// ---- cgroup ----

fn fake_cgroup(dir: &Path, file: &str, bytes: &str) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join(file), bytes).expect("write usage");
}

#[tokio::test]
async fn cgroup_v2_and_v1_files_are_detected() {
    let root = tempfile::tempdir().expect("tempdir");
    let (v2, v1) = (root.path().join("v2"), root.path().join("v1"));
    fake_cgroup(&v2, "memory.current", "12345\n");
    fake_cgroup(&v1, "memory.usage_in_bytes", "67890\n");
    let mut s = sampler(MemorySource::Cgroup(v2.clone()));
    assert_eq!(s.sample().await.expect("v2").bytes, 12345);
    std::fs::write(v2.join("memory.current"), "100").expect("write");
    let reading = s.sample().await.expect("v2 again");
    assert_eq!((reading.bytes, reading.restarted), (100, false), "a drop is not a restart");
    assert_eq!(sampler(MemorySource::Cgroup(v1)).sample().await.expect("v1").bytes, 67890);
}

#[tokio::test]
async fn a_recreated_cgroup_is_a_restart() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("pod");
    fake_cgroup(&dir, "memory.current", "1000");
    let mut s = sampler(MemorySource::Cgroup(dir.clone()));
    assert!(!s.sample().await.expect("first").restarted);
    // Made beside the old one, so it cannot get the old inode back.
    let new = root.path().join("pod-new");
    fake_cgroup(&new, "memory.current", "2000");
    std::fs::remove_dir_all(&dir).expect("rm");
    std::fs::rename(&new, &dir).expect("mv");
    let reading = s.sample().await.expect("recreated");
    assert_eq!((reading.bytes, reading.restarted), (2000, true));
}

#[tokio::test]
async fn cgroup_errors_name_the_path() {
    let root = tempfile::tempdir().expect("tempdir");
    let err = sampler(MemorySource::Cgroup(root.path().into())).sample().await.expect_err("no usage file");
    assert!(err.to_string().contains("memory.current"), "{err}");
    fake_cgroup(root.path(), "memory.current", "max");
    let err = sampler(MemorySource::Cgroup(root.path().into())).sample().await.expect_err("not a number");
    assert!(err.to_string().contains("memory.current") && err.to_string().contains("max"), "{err}");
    let err = sampler(MemorySource::Cgroup(root.path().join("absent"))).sample().await.expect_err("absent");
    assert_eq!(err.kind(), "cgroup");
}

#[tokio::test]
async fn the_real_cgroup_v1_memory_root_when_present() {
    let root = Path::new("/sys/fs/cgroup/memory");
    if !root.join("memory.usage_in_bytes").exists() {
        eprintln!("no cgroup v1 memory controller here; skipped");
        return;
    }
    let reading = sampler(MemorySource::Cgroup(root.into())).sample().await.expect("v1 root");
    assert!(reading.bytes > MIB, "{reading:?}");
}

// ---- a canned HTTP server ----

/// What the server answers, changeable while it runs.
#[derive(Clone)]
struct Canned {
    status: u16,
    body: String,
}

struct Server {
    base: Url,
    reply: Arc<Mutex<Canned>>,
    /// Request lines received, e.g. "GET /api/v1/query?query=up HTTP/1.1".
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    async fn start(status: u16, body: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = Url::parse(&format!("http://{}/", listener.local_addr().expect("addr"))).expect("url");
        let reply = Arc::new(Mutex::new(Canned { status, body: body.into() }));
        let requests = Arc::new(Mutex::new(vec![]));
        let (r, q) = (reply.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let canned = r.lock().expect("lock").clone();
                tokio::spawn(answer(socket, canned, q.clone()));
            }
        });
        Self { base, reply, requests }
    }

    fn set(&self, status: u16, body: &str) {
        *self.reply.lock().expect("lock") = Canned { status, body: body.into() };
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("url")
    }
}

async fn answer(mut socket: tokio::net::TcpStream, canned: Canned, requests: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let first = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_owned();
    requests.lock().expect("lock").push(first);
    let response = format!(
        "HTTP/1.1 {} Canned\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        canned.status,
        canned.body.len(),
        canned.body
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

// ---- scrape ----

fn scrape(server: &Server, metric: &str) -> Sampler {
    let metric = MetricSelector::parse(metric).expect("selector");
    sampler(MemorySource::Scrape { url: server.url("/metrics"), metric })
}

const PAGE: &str = "# HELP mem bytes\n# TYPE mem gauge\nmem{pod=\"a\"} 100\nmem{pod=\"b\"} 2.5e+08\n\
                    process_resident_memory_bytes 5.24288e+07\nprocess_start_time_seconds 1.7e+09\n";

#[tokio::test]
async fn scrape_takes_one_sample_with_label_matchers() {
    let server = Server::start(200, PAGE).await;
    let reading = scrape(&server, "process_resident_memory_bytes").sample().await.expect("plain");
    assert_eq!(reading.bytes, 52_428_800);
    let reading = scrape(&server, r#"mem{pod="b"}"#).sample().await.expect("matched");
    assert_eq!(reading.bytes, 250_000_000);
    assert!(server.requests.lock().expect("lock").iter().all(|r| r.starts_with("GET /metrics ")));
}

#[tokio::test]
async fn scrape_restart_is_a_new_process_start_time() {
    let server = Server::start(200, PAGE).await;
    let mut s = scrape(&server, "process_resident_memory_bytes");
    assert!(!s.sample().await.expect("first").restarted);
    assert!(!s.sample().await.expect("same").restarted);
    server.set(200, &PAGE.replace("1.7e+09", "1.7000001e+09"));
    assert!(s.sample().await.expect("restarted").restarted);
    assert!(!s.sample().await.expect("same again").restarted);
}

#[tokio::test]
async fn scrape_errors_several_missing_status_garbage_refused() {
    let server = Server::start(200, PAGE).await;
    let err = scrape(&server, "mem").sample().await.expect_err("two series");
    assert!(matches!(err, Error::MetricAmbiguous { count: 2, .. }), "{err}");
    assert!(err.to_string().contains("label matchers"), "{err}");
    let err = scrape(&server, "nope_bytes").sample().await.expect_err("missing");
    assert!(matches!(&err, Error::MetricMissing { metric, .. } if metric == "nope_bytes"), "{err}");
    server.set(500, "oops");
    let err = scrape(&server, "mem").sample().await.expect_err("500");
    assert!(matches!(err, Error::HttpStatus { status: 500, .. }), "{err}");
    server.set(200, "<html>\n<body>hello</body>\n</html>\n");
    assert_eq!(scrape(&server, "mem").sample().await.expect_err("garbage").kind(), "not_exposition");
    server.set(200, "mem NaN\n");
    assert_eq!(scrape(&server, "mem").sample().await.expect_err("NaN").kind(), "bad_value");
    server.set(200, &"x".repeat(9 * MIB as usize));
    assert_eq!(scrape(&server, "mem").sample().await.expect_err("huge").kind(), "body_too_large");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = Url::parse(&format!("http://{}/metrics", closed.local_addr().expect("addr"))).expect("url");
    drop(closed);
    let metric = MetricSelector::parse("mem").expect("selector");
    let err = sampler(MemorySource::Scrape { url, metric }).sample().await.expect_err("refused");
    assert_eq!(err.kind(), "http");
}

// ---- promql ----

fn promql(server: &Server, query: &str) -> Sampler {
    sampler(MemorySource::Promql { url: server.url("/prom"), query: query.into() })
}

fn vector(series: &[(&str, &str)]) -> String {
    let items: Vec<String> = series
        .iter()
        .map(|(pod, v)| format!(r#"{{"metric":{{"pod":"{pod}"}},"value":[1700000000.5,"{v}"]}}"#))
        .collect();
    format!(r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#, items.join(","))
}

#[tokio::test]
async fn promql_one_sample_and_a_new_series_is_a_restart() {
    let server = Server::start(200, &vector(&[("proxy-1", "104857600")])).await;
    let mut s = promql(&server, r#"container_memory_working_set_bytes{pod=~"proxy-.*"}"#);
    let reading = s.sample().await.expect("one sample");
    assert_eq!((reading.bytes, reading.restarted), (100 * MIB, false));
    let request = server.requests.lock().expect("lock")[0].clone();
    assert!(request.starts_with("GET /prom/api/v1/query?query=container_memory_working_set_bytes"), "{request}");
    server.set(200, &vector(&[("proxy-2", "1048576")]));
    let reading = s.sample().await.expect("new pod");
    assert_eq!((reading.bytes, reading.restarted), (MIB, true));
    server.set(200, r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}}"#);
    assert_eq!(promql(&server, "scalar(x)").sample().await.expect("scalar").bytes, 42);
}

#[tokio::test]
async fn promql_errors_name_the_query() {
    let server = Server::start(200, &vector(&[])).await;
    let err = promql(&server, "up").sample().await.expect_err("empty");
    assert_eq!(err, Error::PromqlCount { query: "up".into(), count: 0 });
    server.set(200, &vector(&[("a", "1"), ("b", "2"), ("c", "3")]));
    let err = promql(&server, "up").sample().await.expect_err("several");
    assert!(err.to_string().contains("\"up\"") && err.to_string().contains("3 samples"), "{err}");
    server.set(400, r#"{"status":"error","errorType":"bad_data","error":"1:3: parse error: unexpected"}"#);
    let err = promql(&server, "up{").sample().await.expect_err("bad query");
    assert!(matches!(&err, Error::PromqlError { message, .. } if message.contains("parse error")), "{err}");
    server.set(502, "<html>Bad Gateway</html>");
    let err = promql(&server, "up").sample().await.expect_err("502");
    assert!(matches!(err, Error::HttpStatus { status: 502, .. }), "{err}");
    server.set(200, "garbage");
    assert_eq!(promql(&server, "up").sample().await.expect_err("garbage").kind(), "promql_response");
}
