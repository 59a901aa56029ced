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
fn check_config_skip_secrets_checks_everything_but_the_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ci.toml");
    let config = "[[scenario]]\nname = \"a\"\napi_key_file = \"/nonexistent/api-key\"\n";
    std::fs::write(&file, config).expect("write");
    let path = file.to_str().expect("utf-8 path");
    let out = run(&["check-config", path], &[]);
    assert_eq!(out.status.code(), Some(3), "the key file is read without the flag");
    assert!(text(&out.stderr).contains("scenario[0].api_key_file: cannot read \"/nonexistent/api-key\""));
    let out = run(&["check-config", "--skip-secrets", path], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with(": valid (1 scenario(s): a); secrets not read (--skip-secrets)\n"));
    std::fs::write(&file, format!("{config}concurrency = 0\n[cycle]\nbogus_key = 1\n")).expect("write");
    let out = run(&["check-config", "--skip-secrets", path], &[]);
    assert_eq!(out.status.code(), Some(3), "other problems still fail");
    let err = text(&out.stderr);
    assert!(err.contains("invalid configuration (2 problems)"), "{err}");
    assert!(err.contains("cycle.bogus_key: unknown key") && err.contains("scenario[0].concurrency"), "{err}");
}

#[test]
fn version_names_the_git_revision() {
    use leaksoak::build_info::{REVISION, VERSION};
    let out = run(&["--version"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), format!("leaksoak {VERSION} (revision {REVISION})\n"));
    assert!(!REVISION.is_empty() && REVISION.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c)));
    // Built from this checkout without LEAKSOAK_REVISION (tests run in the build's environment): git's HEAD.
    if std::env::var_os("LEAKSOAK_REVISION").is_none() {
        let git = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output();
        if let Some(git) = git.ok().filter(|o| o.status.success()) {
            assert_eq!(REVISION, text(&git.stdout).trim(), "the revision is git's HEAD");
        }
    }
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
fn print_config_redacts_credential_headers_by_name_and_secret_query_parameters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("c.toml");
    let headers = [
        "X-Goog-Api-Key",
        "anthropic-api-key",
        "x-portkey-api-key",
        "Ocp-Apim-Subscription-Key",
        "X-Access-Token",
        "X-Amz-Security-Token",
        "x-api-token",
        "X-Secret",
        "X-Custom-Thing",
        // Outside any list, known by pattern (issue 26, case 10).
        "X-Jwt",
        "X-Pass",
        "X-Cred",
        "X-Client-Cert",
        "Bearer",
    ];
    let inline: Vec<String> = headers.iter().enumerate().map(|(i, h)| format!("{h:?} = \"hdr-secret-{i}\"")).collect();
    let body = format!(
        "[memory]\nsource = \"scrape\"\nurl = \"http://127.0.0.1:9/metrics?token=q-secret-1&job=x\"\n\
         [[scenario]]\nname = \"a\"\nurl = \"http://127.0.0.1:4000/v1?api_key=q-secret-2&code=q-secret-3\"\n\
         secret_headers = [\"x-custom-thing\"]\nheaders = {{ {} }}\n",
        inline.join(", ")
    );
    std::fs::write(&file, body).expect("write");
    let out = run(&["print-config", "--config", file.to_str().expect("utf-8 path")], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    for secret in (0..headers.len())
        .map(|i| format!("hdr-secret-{i}"))
        .chain(["q-secret-1", "q-secret-2", "q-secret-3"].map(String::from))
    {
        assert!(!printed.contains(&secret), "{secret} leaked: {printed}");
    }
    assert!(printed.contains("job=x"), "other query parameters stay: {printed}");
}

#[test]
fn an_ambiguous_process_name_is_reported_by_pid_and_name_never_by_command_line() {
    let spawn = || {
        std::process::Command::new("sh")
            .args(["-c", "sleep 30", "leaksoak-ambiguous-target", "--api-key=sk-cmdline-secret"])
            .spawn()
            .expect("spawn sh")
    };
    let (mut a, mut b) = (spawn(), spawn());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("c.toml");
    let body = "[cycle]\nwarmup_batches = 0\nbatch_size = 2\n\
                [memory]\nsource = \"process\"\nprocess_name = \"leaksoak-ambiguous-target\"\nsettle = \"0ms\"\n\
                [[scenario]]\nname = \"one\"\nconcurrency = 1\n";
    std::fs::write(&config, body).expect("write");
    let out = run(&["once", "--config", config.to_str().expect("utf-8 path")], &[]);
    let _ = (a.kill(), b.kill(), a.wait(), b.wait());
    let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(shown.contains(&format!("{} (sh)", a.id().min(b.id()))), "matches listed by pid and name: {shown}");
    assert!(!shown.contains("sk-cmdline-secret"), "a command line leaked: {shown}");
}

#[test]
fn fake_llm_flags_are_validated_like_config_keys() {
    let out = run(&["fake-llm", "--error-rate", "1.5"], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("fake_llm.error_rate: must be between 0 and 1, got 1.5"));
}

/// Writes `body` to a file in `dir` and returns its path as text.
fn config_file(dir: &tempfile::TempDir, body: &str) -> String {
    let file = dir.path().join("c.toml");
    std::fs::write(&file, body).expect("write");
    file.to_str().expect("utf-8 path").to_owned()
}

/// `check-config` on `body`: exit 3 and every `expected` line on stderr.
fn refused(body: &str, env: &[(&str, &str)], expected: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(&["check-config", &config_file(&dir, body)], env);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{body}: {err}");
    for line in expected {
        assert!(err.contains(line), "{line:?} not in {err}");
    }
}

#[test]
fn sizes_that_would_exhaust_memory_are_refused_naming_the_key() {
    refused(
        "[memory]\nsamples_per_batch = 10000000000\n[analysis]\nrolling_window = 100000000\n\
         [cycle]\nmeasure_batches = 200000000\npause = \"100000000y\"\n",
        &[],
        &[
            "memory.samples_per_batch: must be at most 100, got 10000000000",
            "analysis.rolling_window: must be at most 500, got 100000000",
            "cycle.measure_batches: must be at most 1000, got 200000000",
            "cycle.pause: must be at most 1day",
        ],
    );
    refused(
        "[cycle]\nmeasure_batches = 10\n[analysis]\ntail_samples = 20\n[fake_llm]\nlisten = \"0.0.0.0:9477\"\n",
        &[],
        &["analysis.tail_samples: must be at most cycle.measure_batches (10)", "overlaps server.listen"],
    );
}

#[test]
fn concurrency_beyond_the_open_file_limit_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = config_file(&dir, "[[scenario]]\nname = \"a\"\nurl = \"http://127.0.0.1:1/v1\"\nconcurrency = 100\n");
    let script = format!("ulimit -n 300 && exec {} check-config {file}", env!("CARGO_BIN_EXE_leaksoak"));
    let out = std::process::Command::new("sh").args(["-c", &script]).output().expect("sh");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("scenario[0].concurrency: must be at most 44: the open-file limit (ulimit -n) is 300"),
        "{err}"
    );
}

/// Runs `check-config FILE` with its address space capped at 1 GiB (so that a regression fails instead of
/// eating the machine) and returns its exit code, stderr and peak resident set in bytes, as `wait4` reports
/// it for that one child (`RUSAGE_CHILDREN` would mix in the children of every other test).
#[allow(unsafe_code, clippy::zombie_processes)] // the child is reaped by wait4, which clippy does not see
fn check_config_peak_rss(file: &str) -> (Option<i32>, String, u64) {
    use std::io::Read as _;
    use std::os::unix::process::CommandExt as _;
    let mut cmd = bin();
    cmd.args(["check-config", file]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            let cap = libc::rlimit { rlim_cur: 1 << 30, rlim_max: 1 << 30 };
            if libc::setrlimit(libc::RLIMIT_AS, &cap) == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
        });
    }
    let mut child = cmd.spawn().expect("spawn check-config");
    let mut err = String::new();
    child.stderr.take().expect("piped").read_to_string(&mut err).expect("read stderr");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: waits for this test's own child only; both out-parameters live for the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, err, u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024)
}

#[test]
fn an_endless_secret_file_is_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    for body in
        ["[[scenario]]\nname = \"a\"\napi_key_file = \"/dev/zero\"\n", "[server]\nbearer_token_file = \"/dev/zero\"\n"]
    {
        let (code, err, peak) = check_config_peak_rss(&config_file(&dir, body));
        assert_eq!(code, Some(3), "{err}");
        assert!(err.contains("the file \"/dev/zero\" is a character device, not a regular file"), "{err}");
        assert!(err.contains("scenario[0].api_key_file") || err.contains("server.bearer_token_file"), "{err}");
        assert!(peak < 64 << 20, "check-config peaked at {} MiB", peak >> 20);
    }
}

#[test]
fn a_key_that_is_not_one_line_is_refused_at_validation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key");
    std::fs::write(&key, "sk-first\nsk-second\n").expect("write");
    refused(
        &format!("[[scenario]]\nname = \"a\"\napi_key_file = {key:?}\n"),
        &[],
        &["scenario[0].api_key_file: the file", "holds whitespace or a control character (character 9 of the value)"],
    );
    let env_key = "[[scenario]]\nname = \"a\"\napi_key_env = \"LEAKSOAK_TEST_KEY\"\n";
    refused(
        env_key,
        &[("LEAKSOAK_TEST_KEY", "sk-a\r\nsk-b")],
        &["scenario[0].api_key_env: environment variable LEAKSOAK_TEST_KEY holds whitespace"],
    );
    refused(env_key, &[("LEAKSOAK_TEST_KEY", "")], &["environment variable LEAKSOAK_TEST_KEY is empty"]);
}

#[test]
fn errors_of_shape_say_what_is_wrong() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(&["check-config", dir.path().to_str().expect("utf-8 path")], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("is a directory, not a file"), "{}", text(&out.stderr));
    refused(
        "[cycle]\nbatch_size = \"many\"\nwarmup_batches = \"few\"\n[analysis]\ntrend_alpha = nan\n",
        &[],
        &[
            "cycle.batch_size: invalid type",
            "cycle.warmup_batches: invalid type",
            "analysis.trend_alpha: must be a finite number, got nan",
        ],
    );
    refused(
        "",
        &[("LEAKSOAK__CYCLE__BATCH_SIZE", ""), ("LEAKSOAK__BOGUS__KEY", "1")],
        &[
            "LEAKSOAK__CYCLE__BATCH_SIZE: is set but empty; cycle.batch_size needs a value",
            "LEAKSOAK__BOGUS__KEY: \"bogus\" is not a section",
        ],
    );
}

#[tokio::test]
async fn run_starts_at_the_largest_accepted_sizes() {
    let config = "[memory]\nsamples_per_batch = 100\n[cycle]\nwarmup_batches = 1000\nmeasure_batches = 1000\n\
                  [analysis]\nrolling_window = 500\ntail_samples = 1000\ntrend_cycles = 256\n";
    let daemon = crate::helpers::spawn_daemon_process(config, "").await;
    let health = crate::helpers::get_text(daemon.url("/healthz")).await;
    assert!(!health.is_empty());
    drop(daemon);
}

#[test]
fn an_os_error_is_printed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = config_file(&dir, "[server]\nlisten = \"127.0.0.1:0\"\n");
    let record = dir.path().join("missing/record.jsonl");
    let out = run(&["run", "--config", &file, "--record", record.to_str().expect("utf-8 path")], &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot open the record file"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn fake_llm_alone_may_take_the_servers_address() {
    use std::io::BufRead as _;
    let addr = format!("127.0.0.1:{}", crate::helpers::free_port());
    let mut child = bin()
        .args(["fake-llm", "--listen", &addr])
        .env("LEAKSOAK__SERVER__LISTEN", &addr)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn fake-llm");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line).expect("read");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(line.trim(), format!("fake-llm listening on http://{addr}/v1"));
}

#[test]
fn a_variable_that_is_not_utf8_does_not_crash_the_loader() {
    use std::os::unix::ffi::OsStrExt as _;
    let junk = std::ffi::OsStr::from_bytes(b"\xff");
    let out = bin()
        .args(["check-config", concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml")])
        .env("JUNK", junk)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = bin().args(["print-config"]).env("LEAKSOAK__CYCLE__PAUSE", junk).output().expect("run");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("LEAKSOAK__CYCLE__PAUSE: is not UTF-8 text"), "{}", text(&out.stderr));
}
