//! The command line: exit codes, `check-config`, `print-config`, environment overrides.

use crate::helpers::bin;
use std::process::Output;

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = bin();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run leaksoak")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn check_config_accepts_the_shipped_default() {
    let out = run(&["check-config", concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml")], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("valid (4 scenario(s)"));
}

#[test]
fn check_config_prints_every_problem_and_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[cycle]\nbatch_size = 0\nbogus_key = 1\n[[scenario]]\nname = \"a\"\nconcurrency = 0\n")
        .expect("write");
    let out = run(&["check-config", file.to_str().expect("utf-8 path")], &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("cycle.bogus_key: unknown key"), "{err}");
    assert!(err.contains("cycle.batch_size: must be at least 1, got 0"), "{err}");
    assert!(err.contains("scenario[0].concurrency: must be at least 1, got 0"), "{err}");
}

#[test]
fn a_missing_config_file_is_a_config_error() {
    let out = run(&["check-config", "/nonexistent/leaksoak.toml"], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("no such file"));
}

#[test]
fn environment_overrides_the_file_and_the_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[cycle]\nbatch_size = 20\npause = \"1s\"\n").expect("write");
    let path = file.to_str().expect("utf-8 path");
    let out = run(&["print-config", "--config", path], &[("LEAKSOAK__CYCLE__BATCH_SIZE", "50")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("batch_size = 50"), "env beats file: {printed}");
    assert!(printed.contains("pause = \"1s\""), "file beats defaults: {printed}");
    assert!(printed.contains("measure_batches = 10"), "defaults fill the rest: {printed}");
    let out =
        run(&["print-config"], &[("LEAKSOAK__MEMORY__SOURCE", "self-heap"), ("LEAKSOAK__ANALYSIS__LATCH", "true")]);
    let printed = text(&out.stdout);
    assert!(printed.contains("source = \"self-heap\"") && printed.contains("latch = true"), "{printed}");
}

#[test]
fn environment_sets_keys_of_single_scenarios() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[[scenario]]\nname = \"a\"\n[[scenario]]\nname = \"b\"\nstream = true\n").expect("write");
    let path = file.to_str().expect("utf-8 path");
    let vars = [("LEAKSOAK__SCENARIO__0__URL", "http://127.0.0.1:9/v1"), ("LEAKSOAK__SCENARIO__1__STREAM", "false")];
    let out = run(&["print-config", "--config", path], &vars);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let b = printed.split("name = \"b\"").nth(1).expect("scenario b");
    assert!(printed.contains("url = \"http://127.0.0.1:9/v1\""), "{printed}");
    assert!(b.contains("stream = false") && !b.contains("stream = true"), "{b}");
    let out = run(&["check-config", path], &[("LEAKSOAK__SCENARIO__2__URL", "http://127.0.0.1:9/v1")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("LEAKSOAK__SCENARIO__2__URL: there is no scenario[2] (2 in all)"));
}

#[test]
fn bad_environment_values_name_the_key() {
    let out = run(&["print-config"], &[("LEAKSOAK__CYCLE__BATCH_SIZE", "0")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("cycle.batch_size: must be at least 1, got 0"));
    let out = run(&["print-config"], &[("LEAKSOAK__CYCLE__BOGUS", "1")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("cycle.bogus: unknown key"), "{}", text(&out.stderr));
}

#[test]
fn print_config_redacts_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("c.toml");
    let body = "[[scenario]]\nname = \"a\"\nurl = \"http://u:hunter2@127.0.0.1:4000/v1\"\napi_key_env = \"LEAKSOAK_TEST_KEY\"\nheaders = { x-api-key = \"sk-inline-secret\" }\n";
    std::fs::write(&file, body).expect("write");
    let out = run(
        &["print-config", "--config", file.to_str().expect("utf-8 path")],
        &[("LEAKSOAK_TEST_KEY", "sk-env-secret")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    for secret in ["hunter2", "sk-inline-secret", "sk-env-secret"] {
        assert!(!printed.contains(secret), "{secret} leaked: {printed}");
    }
    assert!(printed.contains("api_key_env = \"LEAKSOAK_TEST_KEY\""));
}

#[test]
fn fake_llm_flags_are_validated_like_config_keys() {
    let out = run(&["fake-llm", "--error-rate", "1.5"], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("fake_llm.error_rate: must be between 0 and 1, got 1.5"));
}
