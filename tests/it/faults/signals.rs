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

#[test]
fn a_fifo_as_api_key_file_is_refused_at_start_instead_of_waiting_for_a_writer() {
    // A named pipe nothing writes into: reading it would wait forever, and SIGTERM with it (issue 26).
    let dir = tempfile::tempdir().expect("tempdir");
    let key = crate::hostile_files::fifo(dir.path(), "api-key");
    let config = dir.path().join("leaksoak.toml");
    let text = format!("[server]\nlisten = \"127.0.0.1:0\"\n[[scenario]]\nname = \"keyed\"\napi_key_file = {key:?}\n");
    std::fs::write(&config, text).expect("write config");
    let (code, out, _) =
        crate::hostile_files::run_measured(crate::helpers::bin().args(["run", "--config"]).arg(&config));
    assert_eq!(code, Some(3), "bad configuration: {out}");
    assert!(
        out.contains("scenario[0].api_key_file") && out.contains("is a FIFO (named pipe), not a regular file"),
        "{out}"
    );
}
