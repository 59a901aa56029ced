//! `process` and `self`: children this test spawns.

use super::{MIB, sampler};
use leaksoak::memory::{Error, Sampler};
use leaksoak::settings::{Memory, MemorySource, ProcessSelector};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
    let settings = Memory {
        source: MemorySource::OwnRss,
        samples_per_batch: 3,
        settle: Duration::from_millis(1),
        resources: Default::default(),
    };
    let mut s = Sampler::new(&settings).expect("a sampler");
    let reading = s.sample().await.expect("own rss");
    assert!(reading.bytes > MIB && !reading.restarted, "{reading:?}");
    assert!(s.describe().contains(&std::process::id().to_string()), "{}", s.describe());
}

#[tokio::test]
async fn a_cancelled_sample_does_not_hide_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("target.pid");
    let first = Kid::sleep("30");
    std::fs::write(&pid_file, first.pid().to_string()).expect("write pid");
    let settings = Memory {
        source: MemorySource::Process(ProcessSelector::PidFile(pid_file.clone())),
        samples_per_batch: 3,
        settle: Duration::ZERO,
        resources: Default::default(),
    };
    let mut s = Sampler::new(&settings).expect("a sampler");
    assert!(!s.sample().await.expect("first child").restarted);
    let second = Kid::sleep("30");
    std::fs::write(&pid_file, second.pid().to_string()).expect("write pid");
    // Cancelled between its reads: the first read saw the new child, the sample never completed.
    let cancelled = tokio::time::timeout(Duration::from_millis(20), s.sample()).await;
    assert!(cancelled.is_err(), "the sample should have been cut short");
    assert!(s.sample().await.expect("second child").restarted);
}
