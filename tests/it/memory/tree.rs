//! `process` with `process_tree`: a real process tree this test spawns, a shell "master" whose supervisor
//! loops keep two Python "workers" alive (a killed worker is started again, as gunicorn or uvicorn do).

use super::{MIB, sampler};
use leaksoak::settings::{MemorySource, ProcessSelector};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Memory each worker holds.
const WORKER_MIB: u64 = 24;

/// The master: killed with its whole process group and reaped when dropped.
struct Server {
    master: Child,
    /// Each worker writes its pid here as a file name, once it holds its memory.
    pids: tempfile::TempDir,
}

impl Server {
    /// `tag` appears in the master's and the workers' command lines, for `process_name`.
    fn start(tag: &str) -> Option<Self> {
        let pids = tempfile::tempdir().expect("tempdir");
        let worker = format!(
            "import os, time  # {tag}\nheld = b'x' * ({WORKER_MIB} << 20)\n\
             open(os.path.join({dir:?}, str(os.getpid())), 'w').close()\ntime.sleep(120)\n",
            dir = pids.path().display().to_string()
        );
        let script = format!("# {tag}\nfor i in 1 2; do (while true; do python3 -c \"$W\"; done) & done\nwait\n");
        let master = Command::new("setsid").args(["bash", "-c", &script]).env("W", worker).spawn().ok()?;
        Some(Self { master, pids })
    }

    fn pid(&self) -> u32 {
        self.master.id()
    }

    /// The workers that held their memory so far (live or not), by pid.
    fn worker_pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = std::fs::read_dir(self.pids.path())
            .expect("pid dir")
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        pids.sort_unstable();
        pids
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // setsid made the master a process group leader: the group is the whole tree.
        let _ = Command::new("kill").args(["-s", "KILL", "--", &format!("-{}", self.master.id())]).status();
        let _ = self.master.kill();
        let _ = self.master.wait();
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits (at most 20 s) until `n` workers have held their memory.
async fn workers_held(server: &Server, n: usize) {
    let start = Instant::now();
    while server.worker_pids().len() < n && start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.worker_pids().len(), n, "workers that started");
}

#[tokio::test]
async fn the_tree_sums_the_workers_the_master_alone_does_not_and_recycled_workers_are_churn() {
    let tag = format!("leaksoak-tree-{}", std::process::id());
    let Some(server) = Server::start(&tag) else {
        eprintln!("setsid/bash not available; skipped");
        return;
    };
    workers_held(&server, 2).await;
    let mut tree = sampler(MemorySource::ProcessTree(ProcessSelector::Pid(server.pid())));
    let both = tree.sample().await.expect("a reading of the tree");
    assert!(both.bytes >= 2 * WORKER_MIB * MIB, "the tree holds both workers: {} MiB", both.bytes / MIB);
    let master = sampler(MemorySource::Process(ProcessSelector::Pid(server.pid()))).sample().await.expect("master");
    assert!(master.bytes < WORKER_MIB * MIB, "the master alone holds no worker: {} MiB", master.bytes / MIB);
    assert!(tree.describe().contains(&format!("process tree of {} (bash)", server.pid())), "{}", tree.describe());

    // Kill a worker: its supervisor loop starts another.
    let victim = server.worker_pids()[0];
    let _ = Command::new("kill").args(["-s", "KILL", &victim.to_string()]).status();
    workers_held(&server, 3).await;
    assert!(!alive(victim));
    let after = tree.sample().await.expect("a reading of the tree");
    assert!(!after.restarted, "worker churn is not a restart");
    assert_eq!(after.churned, 1, "one worker ended");
    assert!(after.bytes >= 2 * WORKER_MIB * MIB, "the replacement is measured: {} MiB", after.bytes / MIB);
    assert!(tree.describe().contains("1 replaced since the start"), "{}", tree.describe());
}

#[tokio::test]
async fn by_name_the_oldest_matching_ancestor_is_the_root() {
    let tag = format!("leaksoak-tree-name-{}", std::process::id());
    let Some(server) = Server::start(&tag) else {
        eprintln!("setsid/bash not available; skipped");
        return;
    };
    workers_held(&server, 2).await;
    let mut tree = sampler(MemorySource::ProcessTree(ProcessSelector::Name(tag.clone())));
    tree.sample().await.expect("the master and its workers are one tree");
    assert!(tree.describe().starts_with(&format!("process tree of {} (bash)", server.pid())), "{}", tree.describe());
    // Without the tree, the master and its workers are several matches, and the error says what to do.
    let err = sampler(MemorySource::Process(ProcessSelector::Name(tag))).sample().await.expect_err("ambiguous");
    assert!(err.to_string().contains("memory.process_tree = true"), "{err}");
}

#[tokio::test]
async fn a_gone_root_is_an_error() {
    let Some(server) = Server::start("leaksoak-tree-gone") else {
        eprintln!("setsid/bash not available; skipped");
        return;
    };
    let pid = server.pid();
    let mut tree = sampler(MemorySource::ProcessTree(ProcessSelector::Pid(pid)));
    tree.sample().await.expect("a reading");
    drop(server);
    let err = tree.sample().await.expect_err("the root is gone");
    assert!(err.to_string().contains(&pid.to_string()), "{err}");
}
