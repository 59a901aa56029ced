//! `leaksoak analyze`: recorded soaks judged again — a round trip from `once --json`, fixtures recorded from
//! real processes and synthetic series with known outcomes, settings overrides, and every kind of bad input.

use crate::helpers::bin;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recorded").join(name)
}

/// Runs `leaksoak analyze FILE [--config CONFIG]`; returns the exit code and stdout + stderr.
fn analyze(file: &Path, config: Option<&str>) -> (i32, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.arg("analyze").arg(file);
    if let Some(text) = config {
        let path = dir.path().join("analysis.toml");
        std::fs::write(&path, text).expect("write config");
        cmd.arg("--config").arg(path);
    }
    let out = cmd.output().expect("run analyze");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn verdicts(report: &str) -> Vec<String> {
    report.lines().filter_map(|l| l.strip_prefix("Verdict:")).map(|v| v.trim().to_owned()).collect()
}

#[test]
fn once_json_round_trips_through_analyze_with_the_same_verdicts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[cycle]\nwarmup_batches = 2\nbatch_size = 40\n[memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\n\
         samples_per_batch = 1\n[fake_llm]\nleak_bytes_per_request = 16384\n\
         [[scenario]]\nname = \"a\"\nconcurrency = 4\n[[scenario]]\nname = \"b\"\nstream = false\n",
    )
    .expect("write");
    let json = dir.path().join("soak.json");
    let out = bin().args(["once", "--config"]).arg(&config).arg("--json").arg(&json).output().expect("once");
    assert_eq!(out.status.code(), Some(1));
    let live = verdicts(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(live, ["leak", "leak"]);
    // `once` confirms in one cycle; the same settings replayed give the same verdicts and a raised gauge.
    let (code, text) = analyze(&json, Some("[analysis]\nconfirm_cycles = 1\n"));
    assert_eq!(verdicts(&text), live, "{text}");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("a (1 cycles):") && text.contains("b (1 cycles):"), "{text}");
}

/// The first cycle after which `scenario`'s gauge was raised, from analyze's "Leak gauge history", or None
/// for `never raised`.
fn first_raised(text: &str, scenario: &str) -> Option<usize> {
    let history = text.split("Leak gauge history:").nth(1).expect("a gauge history");
    let line = history.lines().find(|l| l.trim_start().starts_with(&format!("{scenario}:"))).expect("scenario listed");
    let rest = line.split("raised on cycles ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse().ok())
}

/// Real soaks of the truth table (docs/truth-table.md, `scripts/truth-table/run`, trimmed) and the
/// healthy LiteLLM proxy of the first trust report: clean targets never raise the gauge, not even on their
/// warm-up, and leaking ones raise it by their third cycle (the 2-hour LiteLLM rows: 1 KiB per call by
/// the fifth, 256 bytes by the fortieth, 31 minutes in).
#[test]
fn real_soaks_give_their_expected_gauges() {
    let cases: &[(&str, &[&str], Option<usize>)] = &[
        ("litellm-clean.jsonl", &["proxy-chat-sequential", "proxy-chat-streaming"], None),
        ("truth-litellm-clean.jsonl", &["sequential", "streaming"], None),
        ("truth-uvicorn-clean.jsonl", &["sequential", "streaming"], None),
        ("truth-fake-clean.jsonl", &["sequential", "streaming"], None),
        ("truth-litellm-leak.jsonl", &["sequential", "streaming"], Some(3)),
        ("truth-uvicorn-leak.jsonl", &["sequential", "streaming"], Some(3)),
        ("truth-fake-leak.jsonl", &["sequential", "streaming"], Some(3)),
        // The 2-hour soaks: the clean proxy whole (289 cycles); 256 bytes and 1 KiB kept per call, trimmed.
        ("truth-2h-litellm-clean.jsonl", &["sequential", "streaming"], None),
        ("truth-2h-litellm-leak-256.jsonl", &["sequential", "streaming"], Some(40)),
        ("truth-2h-litellm-leak-1k.jsonl", &["sequential", "streaming"], Some(5)),
    ];
    for (file, scenarios, by) in cases {
        let (code, text) = analyze(&fixture(file), None);
        assert_eq!(code, if by.is_some() { 1 } else { 0 }, "{file}");
        for scenario in *scenarios {
            let first = first_raised(&text, scenario);
            match by {
                None => assert_eq!(first, None, "{file}: {scenario} raised after cycle {first:?}"),
                Some(limit) => assert!(first.is_some_and(|c| c <= *limit), "{file}: {scenario} raised at {first:?}"),
            }
        }
    }
    // A leak that goes on stays raised from its first raise to the last cycle: one run, no dip.
    for (file, last) in [("truth-2h-litellm-leak-256.jsonl", 50), ("truth-2h-litellm-leak-1k.jsonl", 20)] {
        let (_, text) = analyze(&fixture(file), None);
        let history = text.split("Leak gauge history:").nth(1).expect("a gauge history");
        for scenario in ["sequential", "streaming"] {
            let line = history.lines().find(|l| l.trim_start().starts_with(&format!("{scenario}:"))).expect("listed");
            let runs = line.split("raised on cycles ").nth(1).unwrap_or_default();
            assert!(!runs.contains("), ") && runs.contains(&format!("-{last} (")), "{file}: {line}");
        }
    }
    let (_, text) = analyze(&fixture("litellm-clean.jsonl"), None);
    assert!(text.contains("growth in steps toward a plateau, not a leak"), "the steps are explained");
    assert!(text.contains("growth slowing toward a working size, not a leak"), "the warm-up is explained");
}

/// The failure-path rows of the truth table (docs/truth-table.md#failure-paths): a LiteLLM proxy whose
/// callback keeps only failed calls is never raised on the happy path and raised through its retries and
/// fallbacks; a hook that keeps cancelled streams is never raised on the happy path and raised by the
/// `disconnect` scenario; the clean proxy driven
/// through its retries and fallbacks, or into timeouts on three requests in four, is never raised (the
/// timeouts are `error` cycles, memory flat after the warm-up); the fake endpoint drowning in its memory is
/// raised by the drowning rule at its first failing cycle.
#[test]
fn failure_path_soaks_give_their_expected_gauges() {
    for file in [
        "truth-fail-litellm-failureleak-happy.jsonl",
        "truth-fail-litellm-clean-retry.jsonl",
        "truth-fail-litellm-clean-timeouts.jsonl",
        // 87 cycles: a warm-up staircase (401 → 421 MiB) that gave 10 MiB back once and settled; its
        // envelope lifted, but slower than the rate floor (the long window raised it before that check).
        "truth-fail-litellm-streamleak-happy.jsonl",
    ] {
        let (code, text) = analyze(&fixture(file), None);
        // 0, or 2 when no cycle could be judged (the timeouts): never 1.
        assert_ne!(code, 1, "{file}: {text}");
        assert!(!text.contains("raised on cycles"), "{file}: {text}");
    }
    let (_, text) = analyze(&fixture("truth-fail-litellm-clean-timeouts.jsonl"), None);
    assert!(verdicts(&text).iter().all(|v| v == "error"), "{text}");
    assert!(text.contains("the target does not answer in time"), "{text}");
    // The callback's failure leak, through retries and fallbacks: raised at the second cycle (6 minutes,
    // 1,600 requests), and held to the last.
    let (code, text) = analyze(&fixture("truth-fail-litellm-failureleak-retry.jsonl"), None);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("retries: raised on cycles 2-15 ("), "{text}");
    // The hook's cancelled-stream leak, through streams cut after their third chunk: raised at the third
    // cycle (1,650 requests) and held.
    let (code, text) = analyze(&fixture("truth-fail-litellm-streamleak-disconnect.jsonl"), None);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("disconnects: raised on cycles 3-20 ("), "{text}");
    let (code, text) = analyze(&fixture("truth-fail-fake-drowning.jsonl"), None);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("streaming: raised on cycles 2 (drowning)"), "{text}");
    assert!(text.contains("550 of 550 requests failed (timeout: 550): the target is drowning in its memory"), "{text}");
}

#[test]
fn recorded_fixtures_give_their_expected_outcome() {
    let cases: &[(&str, i32, &[&str])] = &[
        (
            "synthetic-noisy-clean.json",
            0,
            &["synthetic-noisy-clean (12 cycles): growth=0 tail=0 error_spike=0 slope=0 trend=0 drowning=0 -> down"],
        ),
        ("synthetic-trend-only.json", 1, &["trend=1 drowning=0 -> RAISED", "Final averages rose"]),
        (
            "synthetic-warmup-step.json",
            0,
            &["Verdict:     leak", "(5 cycles): growth=0 tail=0 error_spike=0 slope=0 trend=0 drowning=0 -> down"],
        ),
        ("process-clean.jsonl", 0, &["process-clean (8 cycles)", "-> down"]),
        ("process-leak-1k.jsonl", 1, &["process-leak-1k (4 cycles)", "slope=1", "-> RAISED"]),
        ("process-leak-16k.jsonl", 1, &["process-leak-16k (3 cycles)", "-> RAISED"]),
    ];
    for (file, expected, needles) in cases {
        let (code, text) = analyze(&fixture(file), None);
        assert_eq!(code, *expected, "{file}:\n{text}");
        for needle in *needles {
            assert!(text.contains(needle), "{file}: {needle:?} not in\n{text}");
        }
    }
}

#[test]
fn only_the_trend_rule_sees_the_slow_leak() {
    let (_, text) = analyze(&fixture("synthetic-trend-only.json"), None);
    assert!(verdicts(&text).iter().all(|v| v == "stable"), "no single cycle fires:\n{text}");
    assert!(text.contains("memory keeps rising across cycles — possible slow leak (trend rule)"), "{text}");
    let (code, _) = analyze(&fixture("synthetic-trend-only.json"), Some("[analysis]\ntrend_cycles = 20\n"));
    assert_eq!(code, 0, "with a 20-cycle window the 10 recorded cycles cannot show a trend");
}

#[test]
fn settings_given_now_override_the_defaults() {
    // The warm-up step grows the first cycle by 24.8 %: under the pytest suite's 25 % and unconfirmed anyway, so
    // the gauge stays down. "Would a 10 % threshold, confirmed in one cycle and latched, have raised it?"
    let step = fixture("synthetic-warmup-step.json");
    assert_eq!(analyze(&step, None).0, 0);
    let (code, text) =
        analyze(&step, Some("[analysis]\nmax_growth_percent = 10.0\nconfirm_cycles = 1\nlatch = true\n"));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Memory grew by 24.8% (>10% threshold)"), "{text}");
    assert!(text.contains("growth=1"), "{text}");
}

#[test]
fn bad_input_is_a_clear_error_with_exit_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let batch =
        |m: &str, r: &str| format!(r#"{{"phase": "measure", "memory_bytes": {m}, "requests": {r}, "errors": 0}}"#);
    let cases = [
        (dir.path().join("missing.json"), "No such file"),
        (write("garbage.json", "{\"cycles\": [1, 2"), "invalid JSON"),
        (write("nocycles.json", "{\"scenario\": \"x\", \"batch_size\": 100}"), "cycles: missing"),
        (
            write(
                "negative.json",
                &format!("{{\"cycles\": [{{\"batches\": [{}, {}]}}]}}", batch("1", "1"), batch("-4096", "1")),
            ),
            "cycles[0].batches[1].memory_bytes: must be 0 or more, got -4096",
        ),
        (
            write("nomemory.json", "{\"cycles\": [{\"batches\": [{\"requests\": 1}]}]}"),
            "cycles[0].batches[0].memory_bytes: missing",
        ),
        (
            write("zero.json", &format!("{{\"cycles\": [{{\"batches\": [{}]}}]}}", batch("1", "0"))),
            "cycles[0].batches[0].requests: must be at least 1, got 0",
        ),
    ];
    for (path, expected) in cases {
        let (code, text) = analyze(&path, None);
        assert_eq!(code, 3, "{}: {text}", path.display());
        assert!(text.contains(expected), "{}: {expected:?} not in {text}", path.display());
        assert!(!text.contains("panicked"), "{text}");
    }
}

#[test]
fn nothing_judgeable_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("short.json");
    let batch = r#"{"phase": "measure", "memory_bytes": 1000, "requests": 10, "errors": 0}"#;
    std::fs::write(&path, format!("{{\"cycles\": [{{\"batches\": [{batch}, {batch}]}}]}}")).expect("write");
    let (code, text) = analyze(&path, None);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("Verdict:     insufficient"), "{text}");
}

#[test]
fn a_cut_line_in_the_middle_is_skipped_with_a_warning_and_the_good_cycles_are_judged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(fixture("process-leak-1k.jsonl")).expect("fixture");
    let lines: Vec<&str> = text.lines().collect();
    // A full disk cut the third cycle's line in half; the daemon went on appending on the next line.
    let cut = &lines[2][..lines[2].len() / 2];
    let mut damaged = [&lines[..2], &[cut], &lines[2..]].concat().join("\n");
    damaged.push('\n');
    let path = dir.path().join("damaged.jsonl");
    std::fs::write(&path, damaged).expect("write");
    let out = bin().arg("analyze").arg(&path).output().expect("analyze");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "as for the good cycles alone: {stdout}\n{stderr}");
    assert!(stderr.contains("damaged.jsonl: line 3: not JSON (a line cut short?), skipped"), "{stderr}");
    assert!(stdout.contains("process-leak-1k (4 cycles)") && stdout.contains("-> RAISED"), "{stdout}");
    assert!(stdout.contains("Skipped 1 line(s) that are not recorded cycles"), "{stdout}");
}

/// The peak resident set (VmHWM) of a running process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn analyze_streams_a_large_recording_in_bounded_memory() {
    const SIZE: usize = 32 << 20;
    const MAX_PEAK_KIB: u64 = 100 << 10;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("week.jsonl");
    let text = std::fs::read_to_string(fixture("process-clean.jsonl")).expect("fixture");
    let lines: Vec<&str> = text.lines().collect();
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let (mut written, mut cycles) = (0, 0);
    while written < SIZE {
        // Cycles of four scenarios, so that the replay keeps several judges.
        let line = lines[cycles % lines.len()].replacen("process-clean", &format!("clean-{}", cycles % 4), 1);
        std::io::Write::write_all(&mut file, format!("{line}\n").as_bytes()).expect("write");
        written += line.len() + 1;
        cycles += 1;
    }
    drop(file);
    let mut child = bin()
        .arg("analyze")
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn analyze");
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        peak = peak_rss_kib(child.id()).unwrap_or(peak).max(peak);
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert_eq!(status.code(), Some(0), "{cycles} clean cycles");
    assert!(peak > 0, "VmHWM was read");
    assert!(peak < MAX_PEAK_KIB, "peak RSS {peak} KiB for a {written}-byte recording ({cycles} cycles)");
}
