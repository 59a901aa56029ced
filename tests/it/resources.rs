//! Leaks that are not bytes, end to end: the fake endpoint in its own process keeps a file descriptor, a
//! socket or a thread every N requests, and the `process` (or `cgroup`) source's counts raise the
//! resource's own leak gauge within the confirmation cycles; a clean run raises none.

use crate::helpers::{FakeProcess, bin, settings, spawn_fake_process};
use leaksoak::engine::{Engine, Judged, Observer};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Hears nothing: the tests read what `Engine::once` returns.
struct Silent;
impl Observer for Silent {}

/// Small cycles: one warm-up and ten measured batches of `batch` requests, sampled at once.
fn config(port: u16, batch: u64, memory: &str) -> String {
    format!(
        "[cycle]\nwarmup_batches = 1\nmeasure_batches = 10\nmax_settle_batches = 0\nbatch_size = {batch}\n\
         [fake_llm]\nenabled = false\n[memory]\n{memory}\nsettle = \"1ms\"\nsamples_per_batch = 1\n\
         [[scenario]]\nname = \"target\"\nurl = \"http://127.0.0.1:{port}/v1\"\nstream = false\n"
    )
}

/// Runs up to `cycles` cycles; returns the resource gauges after each.
async fn soak(text: &str, cycles: usize) -> Vec<BTreeMap<String, bool>> {
    let mut engine = Engine::new(Arc::new(settings(text)), None, Arc::new(Silent)).expect("engine");
    let token = CancellationToken::new();
    let mut out = Vec::new();
    for _ in 0..cycles {
        let judged: Vec<Judged> = engine.once(&token).await.expect("a cycle");
        assert!(judged[0].analysis.verdict.is_judged(), "{}", judged[0].report);
        out.push(judged[0].resources_raised.clone());
    }
    out
}

/// The fake endpoint leaking as `args` say, soaked through the `process` source for `confirm_cycles` (2)
/// cycles of `batch` requests per batch; the resources whose gauge is raised after the last one.
async fn raised_by(args: &[&str], batch: u64) -> Vec<String> {
    let fake = spawn_fake_process(args);
    let memory = format!("source = \"process\"\npid = {}", fake.child.id());
    let after = soak(&config(fake.addr.port(), batch, &memory), 2).await;
    assert!(after[0].values().all(|r| !r), "not before the confirmation: {:?}", after[0]);
    after[1].iter().filter(|(_, r)| **r).map(|(name, _)| name.clone()).collect()
}

#[tokio::test]
async fn one_fd_per_10_requests_raises_open_fds() {
    assert_eq!(raised_by(&["--leak-fds-every", "10"], 20).await, ["open_fds"]);
}

#[tokio::test]
async fn one_socket_per_20_requests_raises_sockets_and_open_fds() {
    assert_eq!(raised_by(&["--leak-sockets-every", "20"], 20).await, ["open_fds", "sockets"]);
}

#[tokio::test]
async fn one_thread_per_50_requests_raises_threads() {
    assert_eq!(raised_by(&["--leak-threads-every", "50"], 50).await, ["threads"]);
}

#[tokio::test]
async fn a_clean_run_of_20_cycles_raises_nothing() {
    let fake = spawn_fake_process(&[]);
    let memory = format!("source = \"process\"\npid = {}", fake.child.id());
    let after = soak(&config(fake.addr.port(), 5, &memory), 20).await;
    assert_eq!(after[19].keys().collect::<Vec<_>>(), ["open_fds", "sockets", "threads"]);
    assert!(after.iter().all(|g| g.values().all(|r| !r)), "{after:?}");
}

#[test]
fn once_exits_1_on_a_socket_leak_and_its_verdict_and_junit_name_sockets() {
    // Memory stays flat (a socket is a few bytes); only the resource gauge sees this leak.
    let fake = spawn_fake_process(&["--leak-sockets-every", "10"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let memory = format!("source = \"process\"\npid = {}", fake.child.id());
    let file = dir.path().join("leaksoak.toml");
    std::fs::write(&file, config(fake.addr.port(), 20, &memory)).expect("write config");
    let junit = dir.path().join("junit.xml");
    let out = bin().args(["once", "--config"]).arg(&file).arg("--junit").arg(&junit).output().expect("run once");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "a confirmed resource leak exits 1: {stdout}");
    let verdict = stdout.lines().find(|l| l.starts_with("Verdict of target")).unwrap_or_default();
    // Memory's own verdict may be anything on a loaded machine; the line names the resources either way.
    assert!(verdict.contains(": leak (") && verdict.contains("open file descriptors, sockets"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("failures=\"1\""), "{xml}");
    let failure = xml.lines().find(|l| l.contains("<failure")).unwrap_or_else(|| panic!("no failure: {xml}"));
    assert!(failure.contains("message=\"leak (") && failure.contains("sockets"), "{failure}");
}

/// A v1 memory cgroup made for the test (removed when dropped), holding one process.
struct Cgroup(std::path::PathBuf);

impl Cgroup {
    fn make(fake: &FakeProcess) -> Option<Self> {
        let dir = Path::new("/sys/fs/cgroup/memory").join(format!("leaksoak-it-{}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        let cgroup = Self(dir);
        std::fs::write(cgroup.0.join("cgroup.procs"), fake.child.id().to_string()).ok()?;
        Some(cgroup)
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::write("/sys/fs/cgroup/memory/cgroup.procs", std::process::id().to_string());
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[tokio::test]
async fn a_thread_leak_raises_the_tasks_of_a_cgroup() {
    let mut fake = spawn_fake_process(&["--leak-threads-every", "50"]);
    let Some(cgroup) = Cgroup::make(&fake) else {
        eprintln!("cannot make a cgroup v1 memory cgroup here (not root, or v2); skipped");
        return;
    };
    let memory = format!("source = \"cgroup\"\ncgroup_path = {:?}", cgroup.0.display().to_string());
    let after = soak(&config(fake.addr.port(), 50, &memory), 2).await;
    assert_eq!(after[1], BTreeMap::from([("tasks".to_owned(), true)]), "{after:?}");
    // The process leaves before the cgroup is removed.
    let _ = fake.child.kill();
    let _ = fake.child.wait();
}

#[test]
fn unreadable_descriptors_are_left_out_with_one_log_line_and_memory_is_still_judged() {
    if !nix_root() || std::process::Command::new("setpriv").arg("--help").output().is_err() {
        eprintln!("needs root and setpriv to run leaksoak as another user; skipped");
        return;
    }
    // A target owned by root, soaked by leaksoak as uid 65532: its /proc/<pid>/fd and smaps_rollup are closed.
    let fake = spawn_fake_process(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).expect("chmod");
    let memory = format!("source = \"process\"\npid = {}", fake.child.id());
    let file = dir.path().join("leaksoak.toml");
    std::fs::write(&file, config(fake.addr.port(), 5, &memory)).expect("write config");
    let json = dir.path().join("once.json");
    let out = std::process::Command::new("setpriv")
        .args(["--reuid", "65532", "--regid", "65532", "--clear-groups"])
        .arg(bin().get_program())
        .args(["once", "--config"])
        .arg(&file)
        .arg("--json")
        .arg(&json)
        .env("NO_COLOR", "1")
        .output()
        .expect("run once as uid 65532");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "judged (stable or leak): {:?}\n{log}", out.status);
    let unreadable =
        |series: &str| log.lines().filter(|l| l.contains("cannot read this series") && l.contains(series)).count();
    assert_eq!(unreadable("series=\"open_fds\""), 1, "{log}");
    assert_eq!(unreadable("series=\"memory_breakdown\""), 1, "{log}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("JSON");
    let cycle = &doc[0]["cycles"][0];
    assert!(cycle["verdict"] == "stable" || cycle["verdict"] == "leak", "{cycle}");
    for batch in cycle["batches"].as_array().expect("batches") {
        let resources = batch["resources"].as_object().expect("threads are still read from status");
        assert_eq!(resources.keys().collect::<Vec<_>>(), ["threads"], "{batch}");
        assert!(batch.get("memory_breakdown").is_none(), "{batch}");
    }
}

fn nix_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
}
