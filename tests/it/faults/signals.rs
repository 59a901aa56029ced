//! SIGHUP bursts: reloads arrive faster than cycles end, and the daemon takes them in its stride.

use super::judged;
use crate::helpers::{sample_value, spawn_daemon_process, wait_for_metrics};

#[tokio::test]
async fn two_sighups_in_quick_succession_apply_the_new_config_once_and_go_on() {
    let config = "[cycle]\nwarmup_batches = 0\nbatch_size = 10\npause = \"100ms\"\n\
                  [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
                  [[scenario]]\nname = \"chat\"\n";
    let mut d = spawn_daemon_process(config, "").await;
    wait_for_metrics(&d, 30, |m| judged(m, "chat") >= 1.0).await;
    let text = std::fs::read_to_string(d.config_path()).expect("config");
    std::fs::write(d.config_path(), format!("{text}[[scenario]]\nname = \"added\"\napi = \"embeddings\"\n"))
        .expect("rewrite config");
    d.signal("HUP");
    d.signal("HUP");
    let m = wait_for_metrics(&d, 30, |m| judged(m, "added") >= 1.0 && judged(m, "chat") >= 2.0).await;
    assert_eq!(sample_value(&m, "leaksoak_config_last_reload_successful"), Some(1.0));
    assert!(sample_value(&m, "leaksoak_config_last_reload_success_timestamp_seconds") > Some(0.0));
    assert!(d.child().try_wait().expect("wait").is_none(), "still running");
}

/// Whether `pid` has a handler for SIGTERM (bit 15 of `SigCgt` in `/proc/PID/status`).
fn catches_sigterm(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:")).map(str::trim).unwrap_or("0");
    u64::from_str_radix(mask, 16).is_ok_and(|m| m & (1 << (15 - 1)) != 0)
}

#[test]
fn sigterm_while_the_config_is_still_being_read_stops_the_daemon_cleanly() {
    // The API key file is a named pipe: reading the config blocks until this test writes the key, so the
    // signal arrives while the daemon is, deterministically, still starting up.
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("api-key");
    let made = std::process::Command::new("mkfifo").arg(&key).status().expect("mkfifo");
    assert!(made.success());
    let config = dir.path().join("leaksoak.toml");
    let text = format!("[server]\nlisten = \"127.0.0.1:0\"\n[[scenario]]\nname = \"keyed\"\napi_key_file = {key:?}\n");
    std::fs::write(&config, text).expect("write config");
    let mut child = crate::helpers::bin()
        .args(["run", "--config"])
        .arg(&config)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn leaksoak run");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !catches_sigterm(child.id()) {
        assert!(std::time::Instant::now() < deadline, "no SIGTERM handler before the config is read");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    // Open the pipe's writing end without blocking: it fails until the daemon opens its reading end.
    let mut pipe = loop {
        use std::os::unix::fs::OpenOptionsExt;
        match std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&key) {
            Ok(pipe) => break pipe,
            Err(_) => {
                let exited = child.try_wait().expect("wait");
                assert!(exited.is_none(), "the daemon ended before reading its key: {exited:?}");
                assert!(std::time::Instant::now() < deadline, "the daemon never opened its key file");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    };
    std::io::Write::write_all(&mut pipe, b"sk-test-key\n").expect("write the key");
    drop(pipe);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "a SIGTERM during start-up is a clean stop: {status:?}");
}
