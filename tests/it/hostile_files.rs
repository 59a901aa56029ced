//! Hostile files: every file leaksoak reads is a regular file read up to a cap, so a link to `/dev/zero`, a
//! FIFO nothing writes into or a 60 MB line costs neither the daemon's memory nor its answers to signals,
//! probes and reloads; one bad line of a recording costs that line only.

use crate::helpers::{Daemon, bin, http, spawn_daemon_process, spawn_daemon_process_in, wait_for_metrics};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A generous bound for a command that must end at once (each takes about a second): a loaded 2-core
/// machine is slow, a hang is forever.
const AT_ONCE: Duration = Duration::from_secs(30);

/// How long the daemon may take to exit after SIGTERM: docs/commands.md gives in-flight scrapes 2 s and
/// OTLP 1 s; the rest is margin for a loaded machine.
const STOP_TIME: Duration = Duration::from_secs(8);

/// A FIFO made with `mkfifo` that nothing ever writes into.
pub(crate) fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let made = std::process::Command::new("mkfifo").arg(&path).status().expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    path
}

/// The peak resident set (VmHWM) of a running process, in KiB.
pub(crate) fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `command` until it exits (panics after [`AT_ONCE`]); its exit code, output and peak RSS in KiB.
pub(crate) fn run_measured(command: &mut std::process::Command) -> (Option<i32>, String, u64) {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn leaksoak");
    let started = Instant::now();
    let mut peak = 0;
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > AT_ONCE {
            let _ = child.kill();
            panic!("still running after {AT_ONCE:?}");
        }
        peak = peak_rss_kib(child.id()).unwrap_or(peak).max(peak);
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().expect("output");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text, peak)
}

/// A daemon config soaking the built-in fake endpoint in small, quick cycles, measured by `memory`.
fn quick(memory: &str) -> String {
    format!(
        "[cycle]\nwarmup_batches = 0\nbatch_size = 10\npause = \"100ms\"\n\
         [memory]\n{memory}\nsettle = \"0ms\"\nsamples_per_batch = 1\n[[scenario]]\nname = \"chat\"\n"
    )
}

#[tokio::test]
async fn a_cgroup_of_links_to_dev_zero_costs_no_memory_and_sigterm_still_stops_the_daemon() {
    let cgroup = tempfile::tempdir().expect("tempdir");
    for name in ["memory.current", "memory.stat", "pids.current", "tasks"] {
        std::os::unix::fs::symlink("/dev/zero", cgroup.path().join(name)).expect("symlink");
    }
    let memory = format!("source = \"cgroup\"\ncgroup_path = {:?}", cgroup.path().display().to_string());
    let mut d = spawn_daemon_process(&quick(&memory), "").await;
    let up = "leaksoak_memory_source_up{scenario=\"chat\"} 0";
    wait_for_metrics(&d, 30, |m| m.contains(up)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let peak = peak_rss_kib(d.pid()).expect("VmHWM");
    assert!(peak < 64 << 10, "peak RSS {peak} KiB reading a cgroup of /dev/zero links");
    let (status, took) = d.terminate(STOP_TIME).await;
    assert_eq!(status.code(), Some(0), "stopped cleanly in {took:?}");
}

#[test]
fn check_config_refuses_fifos_and_devices_as_key_and_ca_files_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pipe = fifo(dir.path(), "key");
    let config = dir.path().join("leaksoak.toml");
    for (text, key) in [
        (format!("[[scenario]]\nname = \"keyed\"\napi_key_file = {pipe:?}\n"), "scenario[0].api_key_file"),
        (
            format!(
                "[memory]\nsource = \"promql\"\nurl = \"http://127.0.0.1:9/\"\nquery = \"up\"\nca_file = {pipe:?}\n"
            ),
            "memory.ca_file",
        ),
        ("[memory]\nsource = \"promql\"\nurl = \"http://127.0.0.1:9/\"\nquery = \"up\"\nbearer_token_file = \"/dev/zero\"\n".into(), "memory.bearer_token_file"),
    ] {
        std::fs::write(&config, &text).expect("write config");
        let (code, out, _) = run_measured(bin().arg("check-config").arg(&config));
        assert_eq!(code, Some(3), "{out}");
        assert!(out.contains(key) && out.contains("not a regular file"), "{key}: {out}");
    }
}

#[tokio::test]
async fn a_fifo_as_api_key_file_in_a_reload_is_refused_and_the_daemon_keeps_answering() {
    let mut d = spawn_daemon_process(&quick("source = \"self-heap\""), "enable_lifecycle = true\n").await;
    let pipe = fifo(d.dir.path(), "key");
    let text = std::fs::read_to_string(d.config_path()).expect("config");
    std::fs::write(d.config_path(), format!("{text}api_key_file = {pipe:?}\n")).expect("rewrite config");
    let reload = http().post(d.url("/-/reload")).timeout(AT_ONCE).send().await.expect("the reload answers");
    assert_eq!(reload.status().as_u16(), 400);
    let body = reload.text().await.expect("body");
    assert!(body.contains("scenario[0].api_key_file") && body.contains("FIFO"), "{body}");
    let health = http().get(d.url("/healthz")).timeout(AT_ONCE).send().await.expect("healthz answers");
    assert!(health.status().is_success());
    let (status, _) = d.terminate(STOP_TIME).await;
    assert_eq!(status.code(), Some(0));
}

#[test]
fn once_with_a_fifo_as_pid_file_ends_instead_of_waiting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pipe = fifo(dir.path(), "target.pid");
    let config = dir.path().join("leaksoak.toml");
    let text = quick(&format!("source = \"process\"\npid_file = {pipe:?}"))
        .replace("[cycle]", "[cycle]\nmax_settle_batches = 0");
    std::fs::write(&config, text).expect("write config");
    let (code, out, _) = run_measured(bin().args(["once", "--config"]).arg(&config));
    assert_eq!(code, Some(2), "the source failed: an error, not a verdict: {out}");
    assert!(out.contains("is a FIFO (named pipe), not a regular file"), "{out}");
}

/// `lines` good cycles of `synthetic-trend-only` with, after the second, a line holding a bad value and a
/// line of 60 MB.
fn damaged_recording(good: &str) -> Vec<u8> {
    let lines: Vec<&str> = good.lines().collect();
    let bad = lines[0].replacen("\"requests\":100", "\"requests\":0", 1);
    assert_ne!(bad, lines[0], "the bad value is in place");
    let long = format!("{{\"scenario\": \"synthetic-trend-only\", \"pad\": \"{}\"}}", "x".repeat(60 << 20));
    let mut text = [&lines[..2], &[bad.as_str(), long.as_str()], &lines[2..]].concat().join("\n");
    text.push('\n');
    text.into_bytes()
}

#[tokio::test]
async fn a_bad_line_and_a_60_mb_line_are_skipped_and_the_rest_resumed_in_bounded_memory() {
    let fake = crate::helpers::spawn_fake_process(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = crate::resume::config(&fake, "synthetic-trend-only");
    std::fs::write(dir.path().join("leaksoak.toml"), format!("[server]\nlisten = \"127.0.0.1:0\"\n{config}"))
        .expect("write config");
    let record = damaged_recording(&crate::resume::trend_only_lines(10));
    std::fs::write(dir.path().join("record.jsonl"), &record).expect("write record");
    let d: Daemon = spawn_daemon_process_in(dir).await;
    let s = crate::resume::status(&d).await;
    assert_eq!(s["resumed"], "resumed 1 scenarios, 10 cycles, trend history of 6 cycles", "{s}");
    assert_eq!(s["scenarios"][0]["leak_detected"]["trend"], true, "the latched gauge survives: {s}");
    let peak = peak_rss_kib(d.pid()).expect("VmHWM");
    assert!(peak < 64 << 10, "peak RSS {peak} KiB resuming past a 60 MB line");
    let names: Vec<_> = std::fs::read_dir(d.dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(names.len(), 2, "nothing moved aside: {names:?}");
}

#[test]
fn analyze_skips_a_60_mb_line_and_refuses_a_60_mb_document_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = dir.path().join("long-line.jsonl");
    std::fs::write(&lines, damaged_recording(&crate::resume::trend_only_lines(10))).expect("write");
    let (code, out, peak) = run_measured(bin().arg("analyze").arg(&lines));
    assert_eq!(code, Some(1), "the trend fires on the ten good cycles: {out}");
    assert!(out.contains("line 3: cycles[0].batches[0].requests: must be at least 1, got 0, skipped"), "{out}");
    assert!(out.contains("line 4: longer than 8 MiB, the most a line of a recording holds, skipped"), "{out}");
    assert!(peak < 64 << 10, "peak RSS {peak} KiB for a 60 MB line");
    let doc = dir.path().join("big.json");
    let item = "{\"cycles\": []},\n";
    std::fs::write(&doc, format!("[\n{}{{\"cycles\": []}}\n]\n", item.repeat((60 << 20) / item.len()))).expect("write");
    let (code, out, peak) = run_measured(bin().arg("analyze").arg(&doc));
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("a JSON document over 16 MiB is not read"), "{out}");
    assert!(peak < 64 << 10, "peak RSS {peak} KiB for a 60 MB document");
}

#[test]
fn analyze_refuses_a_fifo_and_dev_zero_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pipe = fifo(dir.path(), "soak.jsonl");
    for (path, kind) in [(pipe.as_path(), "a FIFO (named pipe)"), (Path::new("/dev/zero"), "a character device")] {
        let (code, out, peak) = run_measured(bin().arg("analyze").arg(path));
        assert_eq!(code, Some(3), "{out}");
        assert!(out.contains(&format!("is {kind}, not a regular file")), "{out}");
        assert!(peak < 64 << 10, "peak RSS {peak} KiB");
    }
}

#[test]
fn a_directory_or_a_fifo_as_record_file_is_refused_and_nothing_is_moved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("leaksoak.toml");
    std::fs::write(&config, format!("[server]\nlisten = \"127.0.0.1:0\"\n{}", quick("source = \"self-heap\"")))
        .expect("write config");
    let record = dir.path().join("record.jsonl");
    std::fs::create_dir(&record).expect("mkdir");
    std::fs::write(record.join("mine"), "the user's").expect("write");
    let pipe = fifo(dir.path(), "record.fifo");
    for (path, kind) in [(&record, "a directory"), (&pipe, "a FIFO (named pipe)")] {
        let (code, out, _) = run_measured(bin().args(["run", "--config"]).arg(&config).arg("--record").arg(path));
        assert_eq!(code, Some(2), "could not start: {out}");
        assert!(out.contains(&format!("cannot open the record file {}: it is {kind}", path.display())), "{out}");
    }
    assert_eq!(std::fs::read_to_string(record.join("mine")).expect("still there"), "the user's");
    let mut names: Vec<_> =
        std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
    names.sort();
    assert_eq!(names, ["leaksoak.toml", "record.fifo", "record.jsonl"], "nothing moved aside or created");
}
