//! Bounds on every size that becomes memory or time, relations between keys, and problems of shape
//! (every bad key of a section, `nan`, bad secrets): whatever validates, `run` runs.

use super::{assert_problem, problems};
use crate::settings::layers::from_toml;

#[test]
fn every_size_is_bounded_and_the_error_says_the_bound() {
    let cases = [
        ("[memory]\nsamples_per_batch = 10000000000", "memory.samples_per_batch: must be at most 100, got 10000000000"),
        ("[memory]\nsettle = \"2days\"", "memory.settle: must be at most 1day, got 2days"),
        ("[cycle]\nwarmup_batches = 1001", "cycle.warmup_batches: must be at most 1000, got 1001"),
        ("[cycle]\nmeasure_batches = 1001", "cycle.measure_batches: must be at most 1000, got 1001"),
        ("[cycle]\nbatch_size = 1000001", "cycle.batch_size: must be at most 1000000, got 1000001"),
        ("[cycle]\npause = \"100000000y\"", "cycle.pause: must be at most 1day, got 100000000years"),
        ("[analysis]\nrolling_window = 100000000", "analysis.rolling_window: must be at most 500, got 100000000"),
        ("[analysis]\ntail_samples = 1001", "analysis.tail_samples: must be at most 1000, got 1001"),
        ("[analysis]\ntrend_cycles = 257", "analysis.trend_cycles: must be at most 256, got 257"),
        ("[analysis]\nconfirm_cycles = 101", "analysis.confirm_cycles: must be at most 100, got 101"),
        (
            "[analysis]\nerror_spike_min_stable_batches = 999",
            "analysis.error_spike_min_stable_batches: must be at most 998, got 999",
        ),
        ("[record]\nkeep_rotated = 101", "record.keep_rotated: must be at most 100, got 101"),
        ("[record]\nkeep_rotated = 0", "record.keep_rotated: must be at least 1, got 0"),
        ("[record]\nrotate_bytes = 100", "record.rotate_bytes: must be 0 (no rotation) or at least 4096, got 100"),
        ("[fake_llm]\nlatency = \"25h\"", "fake_llm.latency: must be at most 1day, got 1day 1h"),
        ("[fake_llm]\nstream_chunks = 100001", "fake_llm.stream_chunks: must be at most 100000, got 100001"),
        (
            "[[scenario]]\nname = \"a\"\nconcurrency = 10001",
            "scenario[0].concurrency: must be at most 10000, got 10001",
        ),
        ("[[scenario]]\nname = \"a\"\ntimeout = \"2h\"", "scenario[0].timeout: must be at most 1h, got 2h"),
        (
            "[[scenario]]\nname = \"a\"\nmax_response_bytes = 1073741825",
            "scenario[0].max_response_bytes: must be at most 1073741824, got 1073741825",
        ),
    ];
    for (text, expected) in cases {
        assert_problem(text, expected);
    }
    assert_problem(&"[[scenario]]\n".repeat(101), "scenario: at most 100 [[scenario]] tables, got 101");
}

#[test]
fn the_largest_accepted_values_validate() {
    let text = "[memory]\nsamples_per_batch = 100\nsettle = \"1day\"\n\
                [cycle]\nwarmup_batches = 1000\nmeasure_batches = 1000\nbatch_size = 1000000\npause = \"1day\"\n\
                [analysis]\nrolling_window = 500\ntail_samples = 1000\ntrend_cycles = 256\nconfirm_cycles = 100\n\
                error_spike_min_stable_batches = 998\n\
                [fake_llm]\nlatency = \"1day\"\nstream_chunks = 100000\n\
                [[scenario]]\nname = \"a\"\nurl = \"http://127.0.0.1:1/v1\"\nconcurrency = 100\ntimeout = \"1h\"\n\
                max_response_bytes = 1073741824\n";
    assert_eq!(problems(text), Vec::<String>::new());
}

#[test]
fn settings_that_would_switch_a_rule_off_are_errors() {
    assert_problem(
        "[cycle]\nmeasure_batches = 10\n[analysis]\ntail_samples = 11",
        "analysis.tail_samples: must be at most cycle.measure_batches (10), or the tail rule could never fire, \
         got 11",
    );
    assert_problem(
        "[cycle]\nmeasure_batches = 10\n[analysis]\nerror_spike_min_stable_batches = 9",
        "analysis.error_spike_min_stable_batches: must be at most cycle.measure_batches - 2 (8): a spike needs \
         a batch before it and this many after it in the cycle, or the error-spike rule could never be \
         confirmed, got 9",
    );
    assert_eq!(
        problems("[cycle]\nmeasure_batches = 10\n[analysis]\ntail_samples = 10\nerror_spike_min_stable_batches = 8"),
        Vec::<String>::new()
    );
    // Out of its own bound, a value is reported once, by its section.
    let found = problems("[analysis]\nrolling_window = 100000000\n[cycle]\nmeasure_batches = 100000000");
    assert_eq!(
        found,
        [
            "analysis.rolling_window: must be at most 500, got 100000000",
            "cycle.measure_batches: must be at most 1000, got 100000000",
        ]
    );
}

#[test]
fn the_server_and_the_fake_endpoint_cannot_share_a_port() {
    let clash = "fake_llm.listen: 127.0.0.1:9477 overlaps server.listen (0.0.0.0:9477): both would listen on \
                 port 9477; change one of them (port 0 picks a free one)";
    assert_problem("[fake_llm]\nlisten = \"127.0.0.1:9477\"", clash);
    assert_eq!(
        problems(
            "[fake_llm]\nenabled = false\nlisten = \"127.0.0.1:9477\"\n[[scenario]]\nname = \"a\"\nurl = \"http://127.0.0.1:1/v1\""
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        problems("[server]\nlisten = \"127.0.0.1:0\"\n[fake_llm]\nlisten = \"127.0.0.1:0\""),
        Vec::<String>::new()
    );
}

#[test]
fn every_bad_key_of_a_section_is_reported_and_the_good_ones_kept() {
    let text = "[cycle]\nbatch_size = \"many\"\nmeasure_batches = 12\nwarmup_batches = -1\npause = 5\n";
    let found = problems(text);
    assert_eq!(found.len(), 3, "{found:#?}");
    for key in ["cycle.batch_size: invalid type", "cycle.warmup_batches: invalid value", "cycle.pause: invalid type"] {
        assert!(found.iter().any(|p| p.starts_with(key)), "{key} in {found:#?}");
    }
    let raw = from_toml("[cycle]\nbatch_size = \"many\"\nmeasure_batches = 12\n").expect_err("a type error");
    assert_eq!(raw.problems.len(), 1);
    let found = problems("[[scenario]]\nname = \"a\"\nconcurrency = \"x\"\nstream = 3\ntimeout = 1\n");
    assert_eq!(found.len(), 3, "{found:#?}");
}

#[test]
fn non_finite_numbers_are_named() {
    let found = problems("[analysis]\ntrend_alpha = nan\nmax_growth_percent = inf\n[fake_llm]\nerror_rate = -inf\n");
    assert_eq!(
        found,
        [
            "analysis.trend_alpha: must be a finite number, got nan",
            "analysis.max_growth_percent: must be a finite number, got inf",
            "fake_llm.error_rate: must be a finite number, got -inf",
        ]
    );
}

#[test]
fn a_secret_is_one_word_on_one_line_read_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key");
    std::fs::write(&key, "sk-first\nsk-second\n").expect("write");
    let at = |file: &std::path::Path| format!("[[scenario]]\nname = \"a\"\napi_key_file = {file:?}\n");
    let found = problems(&at(&key));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with("scenario[0].api_key_file: the file ") && found[0].contains("character 9"),
        "{found:#?}"
    );
    assert!(!found[0].contains("sk-"), "the key is never shown: {found:#?}");
    let found = problems(&at(std::path::Path::new("/dev/zero")));
    assert_eq!(found, ["scenario[0].api_key_file: the file \"/dev/zero\" is a character device, not a regular file"]);
    std::fs::write(&key, "k".repeat(8193)).expect("write");
    let found = problems(&format!("[server]\nbearer_token_file = {key:?}"));
    assert!(
        found[0].starts_with("server.bearer_token_file: the file ") && found[0].contains("is longer"),
        "{found:#?}"
    );
}
