use super::*;
use crate::analyze::Phase;

fn batch_json(memory: &str, requests: &str) -> String {
    format!(r#"{{"phase": "measure", "memory_bytes": {memory}, "requests": {requests}, "errors": 0}}"#)
}

fn error_of(text: &str) -> String {
    read(text).expect_err("should be rejected").to_string()
}

#[test]
fn reads_the_spec_example() {
    let text = r#"{"scenario": "async-streaming", "batch_size": 100,
        "cycles": [ {"batches": [ {"phase": "warmup", "memory_bytes": 23101440, "requests": 100, "errors": 0},
                                 {"phase": "measure", "memory_bytes": 23105536, "requests": 100, "errors": 2} ]} ]}"#;
    let recs = read(text).expect("valid");
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].scenario, "async-streaming");
    assert_eq!(recs[0].cycles[0].batches[1].errors, 2);
    assert_eq!(recs[0].cycles[0].batches[0].phase, Phase::Warmup);
    assert_eq!(recs[0].cycles[0].end, CycleEnd::Completed);
}

#[test]
fn reads_lists_and_json_lines_joining_scenarios() {
    let one = |s: &str| {
        format!(r#"{{"scenario": "{s}", "cycles": [{{"batches": [{}]}}], "extra": 1}}"#, batch_json("1", "1"))
    };
    let list = format!("[{}, {}]", one("a"), one("b"));
    assert_eq!(read(&list).expect("list").len(), 2);
    let lines = format!("{}\n{}\n\n{}\n", one("a"), one("b"), one("a"));
    let recs = read(&lines).expect("json lines");
    assert_eq!(recs.iter().map(|r| (r.scenario.as_str(), r.cycles.len())).collect::<Vec<_>>(), [("a", 2), ("b", 1)]);
}

#[test]
fn every_bad_input_names_its_place() {
    let good = batch_json("1", "1");
    let cases = [
        ("not json".to_string(), "(file): invalid JSON"),
        (r#"{"scenario": "x"}"#.to_string(), "cycles: missing"),
        (r#"[{"cycles": []}, {"scenario": "y"}]"#.to_string(), "[1].cycles: missing"),
        (r#"{"cycles": [{"nope": 1}]}"#.to_string(), "cycles[0].batches: missing"),
        (
            format!(r#"{{"cycles": [{{"batches": [{good}, {}]}}]}}"#, r#"{"requests": 1}"#),
            "cycles[0].batches[1].memory_bytes: missing",
        ),
        (
            format!(r#"{{"cycles": [{{"batches": [{}]}}]}}"#, batch_json("-5", "1")),
            "cycles[0].batches[0].memory_bytes: must be 0 or more, got -5",
        ),
        (
            format!(r#"{{"cycles": [{{"batches": [{}]}}]}}"#, vec![batch_json("1", "1"); 3001].join(",")),
            "cycles[0].batches: at most 3000 batches in a cycle, got 3001",
        ),
        (
            format!(r#"{{"cycles": [{{"batches": [{}]}}]}}"#, batch_json("1e300", "1")),
            "cycles[0].batches[0].memory_bytes: must be at most 1 PiB",
        ),
        (
            format!(r#"{{"cycles": [{{"batches": [{}]}}]}}"#, batch_json("\"x\"", "1")),
            "cycles[0].batches[0].memory_bytes: must be a number",
        ),
        (
            format!(r#"{{"cycles": [{{"batches": [{}]}}]}}"#, batch_json("1", "0")),
            "cycles[0].batches[0].requests: must be at least 1, got 0",
        ),
        (r#"{"cycles": [{"batches": [{"memory_bytes": 1}]}]}"#.to_string(), "cycles[0].batches[0].requests: missing"),
        (
            r#"{"cycles": [{"batches": [{"memory_bytes": 1, "requests": 2, "errors": 3}]}]}"#.to_string(),
            "cycles[0].batches[0].errors: must be at most requests (2), got 3",
        ),
        (
            r#"{"cycles": [{"batches": [{"memory_bytes": 1, "requests": 2, "phase": "cooldown"}]}]}"#.to_string(),
            "cycles[0].batches[0].phase: must be warmup or measure",
        ),
        (r#"{"cycles": [{"batches": [], "end": "exploded"}]}"#.to_string(), "cycles[0].end: must be completed"),
        ("{\"scenario\": \"x\"}\n{\"scenario\": \"y\"}\n".to_string(), "line 1: cycles: missing"),
        ("[]".to_string(), "(file): no recorded scenario"),
        ("[1]".to_string(), "[0]: must be an object with `cycles`"),
    ];
    for (text, expected) in cases {
        let found = error_of(&text);
        assert!(found.starts_with(expected), "expected {expected:?}, got {found:?}");
    }
}

#[test]
fn restarts_are_replayed() {
    let text = format!(r#"{{"cycles": [{{"batches": [{}], "end": "restarted"}}]}}"#, batch_json("1", "1"));
    assert_eq!(read(&text).expect("valid")[0].cycles[0].end, CycleEnd::Restarted);
}

/// Every entry of `text`: the scenario of each cycle, or `skipped <place>`.
fn entries(text: &str) -> Result<Vec<String>, ReadError> {
    let mut seen = Vec::new();
    read_each(text.as_bytes(), |e| match e {
        Entry::Cycle { scenario, .. } => seen.push(scenario),
        Entry::Skipped(e) => seen.push(format!("skipped {}", e.place)),
    })?;
    Ok(seen)
}

#[test]
fn a_json_lines_line_that_is_not_json_is_skipped_and_named() {
    let one = |s: &str| format!(r#"{{"scenario": "{s}", "cycles": [{{"batches": [{}]}}]}}"#, batch_json("1", "1"));
    let cut = &one("x")[..30];
    let text = format!("{}\n{cut}\n\n{}\n{cut}", one("a"), one("b"));
    assert_eq!(entries(&text), Ok(vec!["a".into(), "skipped line 2".into(), "b".into(), "skipped line 5".into()]));
    let first_cut = format!("{cut}\n{}\n", one("a"));
    assert_eq!(entries(&first_cut), Ok(vec!["skipped line 1".into(), "a".into()]), "a cut first line too");
    let mut warned = None;
    read_each(first_cut.as_bytes(), |e| {
        if let Entry::Skipped(e) = e {
            warned = Some(e.to_string());
        }
    })
    .expect("valid");
    assert!(warned.is_some_and(|w| w.starts_with("line 1: not JSON (a line cut short?), skipped: ")));
}

#[test]
fn a_line_with_a_bad_value_is_skipped_and_named_and_the_rest_read() {
    let good = |s: &str| format!(r#"{{"scenario": "{s}", "cycles": [{{"batches": [{}]}}]}}"#, batch_json("1", "1"));
    let bad = format!(r#"{{"scenario": "a", "cycles": [{{"batches": [{}]}}]}}"#, batch_json("1", "0"));
    let text = format!("{}\n{bad}\n{{\"scenario\": \"a\"}}\n[1]\n{}\n", good("a"), good("b"));
    assert_eq!(
        entries(&text),
        Ok(vec!["a".into(), "skipped line 2".into(), "skipped line 3".into(), "skipped line 4".into(), "b".into()])
    );
    let mut warnings = vec![];
    read_each(format!("{bad}\n{}\n", good("a")).as_bytes(), |e| {
        if let Entry::Skipped(e) = e {
            warnings.push(e.to_string());
        }
    })
    .expect("the good line is read");
    assert_eq!(warnings, ["line 1: cycles[0].batches[0].requests: must be at least 1, got 0, skipped"]);
}

#[test]
fn a_line_over_the_cap_is_skipped_and_the_rest_read() {
    let good = format!(r#"{{"scenario": "a", "cycles": [{{"batches": [{}]}}]}}"#, batch_json("1", "1"));
    let long = format!(r#"{{"scenario": "a", "cycles": [], "pad": "{}"}}"#, "x".repeat(MAX_LINE_BYTES));
    let text = format!("{good}\n{long}\n{good}\n");
    assert_eq!(entries(&text), Ok(vec!["a".into(), "skipped line 2".into(), "a".into()]));
    let first = format!("{long}\n{good}\n");
    assert_eq!(entries(&first), Ok(vec!["skipped line 1".into(), "a".into()]), "a long first line too");
    let alone = entries(&long).expect_err("one line over the cap").to_string();
    assert_eq!(alone, "line 1: longer than 8 MiB, the most a line of a recording holds");
}

#[test]
fn resources_and_the_memory_breakdown_are_read_when_present() {
    let text = r#"{"cycles": [{"batches": [{"memory_bytes": 5, "requests": 1,
        "resources": {"open_fds": 41, "sockets": 12, "threads": 9},
        "memory_breakdown": {"anon_bytes": 3, "file_bytes": 2, "shmem_bytes": 0}},
        {"memory_bytes": 5, "requests": 1}]}]}"#;
    let recs = read(text).expect("valid");
    let [with, without] = &recs[0].cycles[0].batches[..] else { panic!("two batches") };
    assert_eq!(with.resources.get("sockets"), Some(&12));
    assert_eq!(with.memory_breakdown.map(|b| b.anon_bytes), Some(3));
    assert!(without.resources.is_empty() && without.memory_breakdown.is_none(), "older recordings still load");
    let bad = r#"{"cycles": [{"batches": [{"memory_bytes": 5, "requests": 1, "resources": {"threads": -1}}]}]}"#;
    assert!(error_of(bad).contains("batches[0].resources.threads"), "{}", error_of(bad));
    let bad =
        r#"{"cycles": [{"batches": [{"memory_bytes": 5, "requests": 1, "memory_breakdown": {"anon_bytes": 1}}]}]}"#;
    assert!(error_of(bad).contains("memory_breakdown.file_bytes: missing"), "{}", error_of(bad));
}

#[test]
fn pretty_printed_documents_are_read_whole_up_to_the_cap() {
    let doc = format!("{{\n  \"scenario\": \"p\",\n  \"cycles\": [{{\"batches\": [{}]}}]\n}}\n", batch_json("1", "1"));
    assert_eq!(entries(&doc), Ok(vec!["p".into()]));
    let huge = format!("[\n{}1]", "1,\n".repeat(MAX_DOCUMENT_BYTES / 3));
    let refused = entries(&huge).expect_err("over the cap").to_string();
    assert!(
        refused.starts_with("(file): a JSON document over 16 MiB is not read; record long soaks as JSON lines"),
        "{refused}"
    );
}

/// The recordings checked in under tests/fixtures/recorded/, each a file the hand-written reader this one
/// replaced accepted (its parsed result was compared on every one before it was removed).
fn fixtures() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recorded");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).expect("the fixtures").map(|e| e.expect("an entry").path()).collect();
    files.sort();
    files
}

#[test]
fn every_fixture_is_read_whole_and_reads_back_as_written() {
    let files = fixtures();
    assert!(files.len() >= 15, "the fixtures are found: {files:?}");
    for file in files {
        let mut cycles = vec![];
        read_path(&file, |entry| match entry {
            Entry::Cycle { scenario, batch_size, cycle } => cycles.push((scenario, batch_size, cycle)),
            Entry::Skipped(e) => panic!("{}: {e}", file.display()),
        })
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(!cycles.is_empty(), "{} holds cycles", file.display());
        // Written back with the same types (what `run --record` appends) and read again: the same cycles.
        let lines: String =
            cycles.iter().map(|(scenario, batch_size, cycle)| written(scenario, *batch_size, cycle)).collect();
        let mut again = vec![];
        read_each(lines.as_bytes(), |entry| match entry {
            Entry::Cycle { scenario, batch_size, cycle } => again.push((scenario, batch_size, cycle)),
            Entry::Skipped(e) => panic!("{}, written back: {e}", file.display()),
        })
        .expect("written back");
        assert_eq!(again, cycles, "{} reads back as written", file.display());
    }
}

/// One cycle as a `run --record` line, through the format's types.
fn written(scenario: &str, batch_size: u64, cycle: &RecordedCycle) -> String {
    use super::super::format::{CycleRecord, ScenarioRecord};
    let cycle = CycleRecord {
        batches: (&cycle.batches[..]).into(),
        idle: cycle.idle,
        endpoints: cycle.endpoints,
        end: cycle.end.clone(),
        figures: None,
    };
    let record = ScenarioRecord { scenario: Some(scenario.into()), batch_size, cycles: vec![cycle] };
    serde_json::to_string(&record).expect("serialised") + "\n"
}

#[test]
fn reads_what_the_endpoints_answered_during_a_cycle() {
    let cycle = |endpoints: &str| {
        format!(
            r#"{{"scenario": "s", "cycles": [{{"batches": [{}], "endpoints": {endpoints}}}]}}"#,
            batch_json("1", "1")
        )
    };
    let recs = read(&cycle(r#"{"requests": 9412, "seconds": 4.5}"#)).expect("valid");
    assert_eq!(recs[0].cycles[0].endpoints, Some(EndpointTraffic { requests: 9412, seconds: 4.5 }));
    let again = read(&written("s", 0, &recs[0].cycles[0])).expect("written back");
    assert_eq!(again[0].cycles, recs[0].cycles, "reads back as written");
    assert_eq!(read(&cycle("null")).expect("valid")[0].cycles[0].endpoints, None);
    let err = error_of(&cycle(r#"{"requests": -1, "seconds": 4}"#));
    assert!(err.contains("cycles[0].endpoints.requests: must be a whole number"), "{err}");
}
