//! Settings tests: every validation error names its key; layering; the default-config drift test.

use super::layers::from_toml;
use super::*;
use std::path::PathBuf;

fn problems(toml_text: &str) -> Vec<String> {
    match from_toml(toml_text).and_then(|raw| raw.validate()) {
        Ok(_) => vec![],
        Err(e) => e.problems.iter().map(ToString::to_string).collect(),
    }
}

fn assert_problem(toml_text: &str, expected: &str) {
    let found = problems(toml_text);
    assert!(found.iter().any(|p| p == expected), "expected {expected:?} in {found:#?}");
}

#[test]
fn embedded_default_is_the_pytest_suites_four_variants() {
    let s = Settings::embedded_default();
    let names: Vec<&str> = s.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["sync-non-streaming", "sync-streaming", "async-non-streaming", "async-streaming"]);
    assert_eq!((s.cycle.warmup_batches, s.cycle.measure_batches, s.cycle.batch_size), (3, 10, 100));
    assert_eq!(s.memory.source, MemorySource::OwnRss);
    assert!(s.fake_llm.enabled);
    assert!(s.scenarios.iter().all(|s| s.target == Target::Fake));
    assert_eq!(s.scenarios[0].concurrency, 1);
    assert_eq!(s.scenarios[3].concurrency, 8);
}

#[test]
fn default_toml_matches_the_code() {
    let generated = default_toml();
    crate::testing::assert_generated("config/default.toml", &generated, "default_toml_matches_the_code");
    assert_eq!(from_toml(&generated).expect("default.toml parses"), RawSettings::default());
}

#[test]
fn every_key_has_a_comment() {
    assert_eq!(render::keys_without_comment(), Vec::<String>::new());
}

#[test]
fn shipped_examples_are_valid_toml_with_known_keys() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
    for name in ["default.toml", "litellm-proxy.toml"] {
        let text = std::fs::read_to_string(dir.join(name)).expect("example exists");
        let raw = from_toml(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // litellm-proxy.toml names an API key variable that is not set here: the only allowed problem.
        if let Err(e) = raw.validate() {
            assert!(e.problems.iter().all(|p| p.key.ends_with("api_key_env")), "{name}: {e}");
        }
    }
}

#[test]
fn unknown_keys_are_named_with_their_path() {
    let found = problems(
        "[cycle]\nbogus_key = 1\n[memory]\nsorce = \"self\"\n[[scenario]]\nname = \"a\"\nconcurency = 2\n[nope]\nx = 1\n",
    );
    for expected in [
        "cycle.bogus_key: unknown key",
        "memory.sorce: unknown key",
        "scenario[0].concurency: unknown key",
        "nope: unknown key",
    ] {
        assert!(found.iter().any(|p| p == expected), "expected {expected:?} in {found:#?}");
    }
}

#[test]
fn type_errors_name_the_key() {
    let found = problems("[cycle]\nbatch_size = \"many\"\npause = \"10 parsecs\"\n");
    assert!(found.iter().any(|p| p.starts_with("cycle.batch_size: invalid type")), "{found:#?}");
    let found = problems("[fake_llm]\nlatency = 5\n");
    assert!(found.iter().any(|p| p.starts_with("fake_llm.latency:")), "{found:#?}");
}

#[test]
fn every_validation_error_names_its_key() {
    let cases = [
        (
            "[server]\nlisten = \"nowhere\"",
            "server.listen: must be an address like 127.0.0.1:9477, got \"nowhere\" (invalid socket address syntax)",
        ),
        (
            "[server]\nbearer_token_file = \"/nonexistent/token\"",
            "server.bearer_token_file: cannot read \"/nonexistent/token\": No such file or directory (os error 2)",
        ),
        ("[cycle]\nbatch_size = 0", "cycle.batch_size: must be at least 1, got 0"),
        (
            "[cycle]\nmeasure_batches = 5",
            "cycle.measure_batches: must be at least 2 × analysis.rolling_window (10) or no cycle can be judged, got 5",
        ),
        ("[cycle]\nscenario_order = \"random\"", "cycle.scenario_order: must be one of round-robin, got \"random\""),
        ("[analysis]\nrolling_window = 0", "analysis.rolling_window: must be at least 1, got 0"),
        ("[analysis]\nmax_growth_percent = -1.0", "analysis.max_growth_percent: must be greater than 0, got -1"),
        ("[analysis]\ntail_samples = 1", "analysis.tail_samples: must be at least 2, got 1"),
        ("[analysis]\nmax_noise_cv_percent = 0", "analysis.max_noise_cv_percent: must be greater than 0, got 0"),
        ("[analysis]\nerror_spike_percent = 0", "analysis.error_spike_percent: must be greater than 0, got 0"),
        (
            "[analysis]\nerror_spike_tolerance_percent = 101",
            "analysis.error_spike_tolerance_percent: must be between 0 and 100, got 101",
        ),
        (
            "[analysis]\nerror_spike_min_stable_batches = 0",
            "analysis.error_spike_min_stable_batches: must be at least 1, got 0",
        ),
        (
            "[analysis]\nslope_min_bytes_per_request = -5",
            "analysis.slope_min_bytes_per_request: must be 0 or more, got -5",
        ),
        ("[analysis]\ntrend_cycles = 2", "analysis.trend_cycles: must be at least 3, got 2"),
        (
            "[analysis]\ntrend_alpha = 1.5",
            "analysis.trend_alpha: must be a probability strictly between 0 and 1, got 1.5",
        ),
        ("[analysis]\nconfirm_cycles = 0", "analysis.confirm_cycles: must be at least 1, got 0"),
        (
            "[memory]\nsource = \"heap\"",
            "memory.source: must be one of self, self-heap, process, cgroup, scrape, promql, got \"heap\"",
        ),
        (
            "[memory]\nsource = \"process\"",
            "memory.pid: memory.source = \"process\" needs exactly one of pid, pid_file, process_name; 0 set",
        ),
        (
            "[memory]\nsource = \"process\"\npid = 1\nprocess_name = \"x\"",
            "memory.pid: memory.source = \"process\" needs exactly one of pid, pid_file, process_name; 2 set",
        ),
        ("[memory]\nprocess_tree = true", "memory.process_tree: only with memory.source = \"process\""),
        ("[memory]\nsource = \"cgroup\"", "memory.cgroup_path: required when memory.source = \"cgroup\""),
        (
            "[memory]\nsource = \"scrape\"\nurl = \"ftp://x/metrics\"",
            "memory.url: must be an http:// or https:// URL, got \"ftp://x/metrics\"",
        ),
        (
            "[memory]\nsource = \"scrape\"\nurl = \"http://x/metrics\"\nmetric = \"m{a=b}\"",
            "memory.metric: value of \"a\" must be quoted in \"m{a=b}\"",
        ),
        (
            "[memory]\nsource = \"promql\"\nurl = \"http://prom:9090\"",
            "memory.query: required when memory.source = \"promql\"",
        ),
        ("[memory]\nsamples_per_batch = 0", "memory.samples_per_batch: must be at least 1, got 0"),
        ("[fake_llm]\nerror_rate = 1.5", "fake_llm.error_rate: must be between 0 and 1, got 1.5"),
        ("[fake_llm]\nstream_chunks = 0", "fake_llm.stream_chunks: must be at least 1, got 0"),
        (
            "[fake_llm]\nleak_bytes_per_request = 100000000000",
            "fake_llm.leak_bytes_per_request: must be at most 67108864 (64 MiB), got 100000000000",
        ),
        (
            "[fake_llm]\nlisten = \"localhost\"",
            "fake_llm.listen: must be an address like 127.0.0.1:9477, got \"localhost\" (invalid socket address syntax)",
        ),
        ("[telemetry]\nlog_format = \"xml\"", "telemetry.log_format: must be one of text, json, got \"xml\""),
        (
            "[telemetry]\notlp_endpoint = \"collector\"",
            "telemetry.otlp_endpoint: must be an http:// or https:// URL, got \"collector\" (relative URL without a base)",
        ),
        ("scenario = []", "scenario: at least one [[scenario]] is required"),
        ("[[scenario]]\nname = \"Bad Name\"", "scenario[0].name: must match [a-z0-9_-]{1,64}, got \"Bad Name\""),
        (
            "[[scenario]]\nname = \"a\"\n[[scenario]]\nname = \"a\"",
            "scenario[1].name: \"a\" is used by an earlier scenario",
        ),
        ("[[scenario]]\nname = \"a\"\nconcurrency = 0", "scenario[0].concurrency: must be at least 1, got 0"),
        (
            "[[scenario]]\nname = \"a\"\napi = \"grpc\"",
            "scenario[0].api: must be one of chat, completions, embeddings, http, got \"grpc\"",
        ),
        ("[[scenario]]\nname = \"a\"\nmodel = \"\"", "scenario[0].model: must not be empty"),
        ("[[scenario]]\nname = \"a\"\ntimeout = \"0s\"", "scenario[0].timeout: must be longer than 0s"),
        (
            "[[scenario]]\nname = \"a\"\nurl = \"not a url\"",
            "scenario[0].url: must be an http:// or https:// URL, got \"not a url\" (relative URL without a base)",
        ),
        (
            "[[scenario]]\nname = \"a\"\nurl = \"http://a/v1\"\nurls = [\"http://b/v1\"]",
            "scenario[0].urls: set either url or urls, not both",
        ),
        (
            "[[scenario]]\nname = \"a\"\nurls = [\"http://b/v1\", \"nope\"]",
            "scenario[0].urls[1]: must be an http:// or https:// URL, got \"nope\" (relative URL without a base)",
        ),
        (
            "[fake_llm]\nenabled = false\n[[scenario]]\nname = \"a\"",
            "scenario[0].url: required when fake_llm.enabled = false",
        ),
        ("[[scenario]]\nname = \"a\"\napi = \"http\"", "scenario[0].url: api = \"http\" needs a full URL"),
        (
            "[[scenario]]\nname = \"a\"\napi_key_env = \"LEAKSOAK_TEST_SURELY_UNSET\"",
            "scenario[0].api_key_env: environment variable LEAKSOAK_TEST_SURELY_UNSET is not set",
        ),
        (
            "[[scenario]]\nname = \"a\"\napi_key_env = \"X\"\napi_key_file = \"/y\"",
            "scenario[0].api_key_file: set either api_key_env or api_key_file, not both",
        ),
        (
            "[[scenario]]\nname = \"a\"\nmax_response_bytes = 10",
            "scenario[0].max_response_bytes: must be at least 1024, got 10",
        ),
        (
            "[[scenario]]\nname = \"a\"\nheaders = { \"bad header\" = \"v\" }",
            "scenario[0].headers.bad header: not a valid HTTP header name",
        ),
        (
            "[[scenario]]\nname = \"a\"\nheaders = { x = \"line\\nbreak\" }",
            "scenario[0].headers.x: not a valid HTTP header value",
        ),
    ];
    for (text, expected) in cases {
        assert_problem(text, expected);
    }
}

#[test]
fn all_problems_are_reported_together() {
    let found = problems(
        "[cycle]\nbatch_size = 0\n[fake_llm]\nerror_rate = 2.0\n[[scenario]]\nname = \"A\"\nconcurrency = 0\n",
    );
    assert_eq!(found.len(), 4, "{found:#?}");
}

#[test]
fn a_files_scenarios_replace_the_default_list() {
    let raw = from_toml("[[scenario]]\nname = \"only\"\nstream = false\n").expect("parses");
    assert_eq!(raw.scenario.len(), 1);
    let s = raw.validate().expect("valid");
    assert_eq!(s.scenarios[0].name.as_str(), "only");
    assert_eq!(s.scenarios[0].concurrency, 8, "missing keys take the scenario defaults");
}

#[test]
fn secrets_are_read_from_files_and_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key");
    std::fs::write(&key, "sk-top-secret\n").expect("write");
    let text = format!(
        "[[scenario]]\nname = \"a\"\nurl = \"http://user:pw@127.0.0.1:4000/v1\"\napi_key_file = {:?}\nheaders = {{ Authorization = \"Bearer sk-inline\", x-team = \"core\" }}\n",
        key.display()
    );
    let raw = from_toml(&text).expect("parses");
    let s = raw.validate().expect("valid");
    assert_eq!(s.scenarios[0].api_key.as_ref().map(Secret::expose), Some("sk-top-secret"));
    let printed = redacted_toml(&raw);
    assert!(!printed.contains("sk-inline") && !printed.contains(":pw@"), "{printed}");
    assert!(printed.contains("x-team = \"core\""), "{printed}");
    assert!(!format!("{s:?}").contains("sk-top-secret"));
}

#[test]
fn settings_list_every_secret_they_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (token, key) = (dir.path().join("token"), dir.path().join("key"));
    std::fs::write(&token, "tok-1\n").expect("write");
    std::fs::write(&key, "sk-2").expect("write");
    let text = format!(
        "[server]\nbearer_token_file = {token:?}\n[memory]\nsource = \"promql\"\nquery = \"up\"\n\
         url = \"http://u:pw-3@127.0.0.1:9090\"\n[[scenario]]\nname = \"a\"\nurl = \"http://127.0.0.1:1/v1\"\n\
         api_key_file = {key:?}\nheaders = {{ x-api-key = \"hk-4\", x-trace = \"t\" }}\n"
    );
    let mut secrets = from_toml(&text).expect("parses").validate().expect("valid").secrets();
    secrets.sort();
    assert_eq!(secrets, ["hk-4", "pw-3", "sk-2", "tok-1"]);
}

#[test]
fn the_memory_sources_credentials_are_secrets_and_printed_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let password = dir.path().join("password");
    std::fs::write(&password, "pw-mem-1\n").expect("write");
    let text = format!(
        "[memory]\nsource = \"scrape\"\nurl = \"https://prom:9090/metrics\"\nbasic_auth_user = \"soak\"\n\
         basic_auth_password_file = {password:?}\nheaders = {{ X-Scope-OrgID = \"team-a\", X-Auth-Token = \"hk-mem-2\" }}\n"
    );
    let raw = from_toml(&text).expect("parses");
    let settings = raw.validate().expect("valid");
    let mut secrets = settings.secrets();
    secrets.sort();
    // The password, "soak:pw-mem-1" as sent (base64), and the header with a credential-like name.
    assert_eq!(secrets, ["c29hazpwdy1tZW0tMQ==", "hk-mem-2", "pw-mem-1"]);
    let printed = redacted_toml(&raw);
    assert!(!printed.contains("hk-mem-2") && !printed.contains("pw-mem-1"), "{printed}");
    assert!(
        printed.contains("X-Scope-OrgID = \"team-a\"") && printed.contains("basic_auth_user = \"soak\""),
        "{printed}"
    );
    assert!(!format!("{settings:?}").contains("pw-mem-1"));
    // A URL's own credentials and the auth keys compete.
    let both = text.replace("https://prom:9090", "https://u:p@prom:9090");
    assert_problem(&both, "memory.url: holds credentials (user:password@) and so do the auth keys; keep one of them");
}

#[test]
fn skipping_secrets_reads_none_and_still_checks_the_rest() {
    let missing = "[server]\nbearer_token_file = \"/nonexistent/token\"\n[[scenario]]\nname = \"a\"\n\
                   api_key_file = \"/nonexistent/key\"\n[[scenario]]\nname = \"b\"\n\
                   api_key_env = \"LEAKSOAK_TEST_SURELY_UNSET\"\n";
    let raw = from_toml(missing).expect("parses");
    let read = raw.validate().expect_err("the secrets are missing");
    let keys: Vec<&str> = read.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["server.bearer_token_file", "scenario[0].api_key_file", "scenario[1].api_key_env"]);
    let s = raw.validate_with(SecretReading::Skip).expect("valid without reading them");
    assert!(s.scenarios.iter().all(|s| s.api_key.as_ref().map(Secret::expose) == Some(secret::NOT_READ)));
    assert!(s.server.bearer_token.is_some(), "a skipped secret is there, as far as the rest of the checks go");
    let other = format!("{missing}concurrency = 0\napi_key_file = \"/nonexistent/other\"\n");
    let skipped = from_toml(&other).expect("parses").validate_with(SecretReading::Skip).expect_err("still checked");
    let found: Vec<String> = skipped.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        [
            "scenario[1].concurrency: must be at least 1, got 0",
            "scenario[1].api_key_file: set either api_key_env or api_key_file, not both"
        ]
    );
}

#[test]
fn skipping_secrets_leaves_an_unnamed_secret_unset() {
    let raw = from_toml("[[scenario]]\nname = \"a\"\n").expect("parses");
    let s = raw.validate_with(SecretReading::Skip).expect("valid");
    assert_eq!((s.scenarios[0].api_key.as_ref(), s.server.bearer_token.as_ref()), (None, None));
}

mod limits;
