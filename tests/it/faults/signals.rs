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

#[tokio::test]
async fn a_fifo_as_api_key_file_is_never_read_the_daemon_waits_for_a_regular_file_and_stops_on_sigterm() {
    // A named pipe nothing writes into: reading it would wait forever, and SIGTERM with it (issue 26). A
    // secret that cannot be read yet is waited out with the endpoints up (issue 25): the pipe is refused
    // as a file, never opened, and the daemon says what it waits for.
    let dir = tempfile::tempdir().expect("tempdir");
    let key = crate::hostile_files::fifo(dir.path(), "api-key");
    let config = format!("[[scenario]]\nname = \"keyed\"\napi_key_file = {key:?}\n");
    let mut d = spawn_daemon_process(&config, "").await;
    let m = wait_for_metrics(&d, 30, |m| sample_value(m, "leaksoak_configured") == Some(0.0)).await;
    assert_eq!(sample_value(&m, "leaksoak_configured"), Some(0.0));
    let status = crate::helpers::get_text(d.url("/status")).await;
    assert!(status.contains("is a FIFO (named pipe), not a regular file"), "{status}");
    d.signal("TERM");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while d.child().try_wait().expect("wait").is_none() {
        assert!(std::time::Instant::now() < deadline, "still running 5 s after SIGTERM");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
