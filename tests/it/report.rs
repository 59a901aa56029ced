//! The HTML report end to end: `analyze --html` on every recorded fixture (the structure of the page:
//! sections, charts, points, verdict words), `--baseline`, and recordings with nothing to draw.

use crate::helpers::bin;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recorded").join(name)
}

/// `leaksoak analyze FILE --html PAGE [extra]`: the exit code, stdout and the page.
fn analyze_html(file: &Path, extra: &[&Path]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("report.html");
    let mut cmd = bin();
    cmd.arg("analyze").arg(file).arg("--html").arg(&page);
    if let Some(baseline) = extra.first() {
        cmd.arg("--baseline").arg(baseline);
    }
    let out = cmd.output().expect("run analyze");
    let html = std::fs::read_to_string(&page).unwrap_or_default();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), html)
}

/// What a scenario's section shows, read from the page.
#[derive(Debug, PartialEq)]
struct Section {
    name: String,
    /// Points of the recording (not the baseline) on the batch chart; `None` when there is no chart.
    batch_points: Option<usize>,
    /// The banner's verdict word.
    verdict: String,
    /// Points of the recording on the final-averages chart; `None` when there is no chart.
    final_points: Option<usize>,
    /// Whether it says the leak gauge is raised.
    raised: bool,
}

/// The text of the first `<svg class="chart {class}"` element in `html`.
fn chart<'a>(html: &'a str, class: &str) -> Option<&'a str> {
    let start = html.find(&format!(r#"<svg class="chart {class}""#))?;
    let end = html[start..].find("</svg>")?;
    Some(&html[start..start + end])
}

fn attr<'a>(html: &'a str, name: &str) -> &'a str {
    let key = format!(r#"{name}=""#);
    let start = html.find(&key).expect("attribute present") + key.len();
    &html[start..start + html[start..].find('"').expect("closing quote")]
}

fn sections(html: &str) -> Vec<Section> {
    let main = |svg: &str| svg.matches(r#"data-series="main" cx"#).count();
    html.split(r#"<section class="scenario""#)
        .skip(1)
        .map(|s| {
            let verdict = s.split(r#"<div class="verdict"#).nth(1).and_then(|v| v.split("<strong>").nth(1));
            Section {
                name: attr(s, "data-scenario").to_owned(),
                batch_points: chart(s, "batches").map(main),
                verdict: verdict.and_then(|v| v.split("</strong>").next()).unwrap_or_default().to_owned(),
                final_points: chart(s, "finals").map(main),
                raised: s.contains(r#"class="gauge-state raised""#),
            }
        })
        .collect()
}

fn section(name: &str, batches: usize, verdict: &str, finals: usize, raised: bool) -> Section {
    let name = name.to_owned();
    Section { name, batch_points: Some(batches), verdict: verdict.to_owned(), final_points: Some(finals), raised }
}

/// Every recorded fixture drawn: one section per scenario, one point per batch of its last cycle on the
/// batch chart, one per cycle on the final averages, the verdict and the gauge as the text report says.
#[test]
fn every_recorded_fixture_draws_its_golden_structure() {
    let two = |file: &str, batches, finals, verdict: [&str; 2], raised| {
        (
            file.to_owned(),
            vec![
                section("sequential", batches, verdict[0], finals, raised),
                section("streaming", batches, verdict[1], finals, raised),
            ],
        )
    };
    let one = |file: &str, batches, verdict: &str, finals, raised| {
        let name = file.split('.').next().expect("a stem");
        (file.to_owned(), vec![section(name, batches, verdict, finals, raised)])
    };
    let cases = [
        (
            "litellm-clean.jsonl".to_owned(),
            vec![
                section("proxy-chat-sequential", 11, "STABLE", 31, false),
                section("proxy-chat-streaming", 11, "STABLE", 31, false),
            ],
        ),
        one("process-clean.jsonl", 13, "STABLE", 8, false),
        one("process-leak-16k.jsonl", 13, "LEAK", 3, true),
        one("process-leak-1k.jsonl", 13, "LEAK", 4, true),
        one("synthetic-noisy-clean.json", 13, "STABLE", 12, false),
        one("synthetic-trend-only.json", 13, "STABLE", 10, true),
        one("synthetic-warmup-step.json", 13, "STABLE", 5, false),
        two("truth-fake-clean.jsonl", 11, 20, ["STABLE", "STABLE"], false),
        two("truth-fake-leak.jsonl", 11, 8, ["LEAK", "LEAK"], true),
        two("truth-litellm-clean.jsonl", 11, 17, ["STABLE", "STABLE"], false),
        two("truth-litellm-leak.jsonl", 11, 17, ["LEAK", "STABLE"], true),
        two("truth-uvicorn-clean.jsonl", 11, 20, ["STABLE", "STABLE"], false),
        two("truth-uvicorn-leak.jsonl", 11, 8, ["LEAK", "LEAK"], true),
        (
            "truth-2h-litellm-clean.jsonl".to_owned(),
            vec![section("sequential", 11, "STABLE", 145, false), section("streaming", 11, "STABLE", 144, false)],
        ),
        two("truth-2h-litellm-leak-256.jsonl", 11, 50, ["STABLE", "STABLE"], true),
        two("truth-2h-litellm-leak-1k.jsonl", 11, 20, ["STABLE", "STABLE"], true),
        two("truth-fail-fake-drowning.jsonl", 11, 2, ["LEAK", "LEAK"], true),
        two("truth-fail-litellm-failureleak-happy.jsonl", 11, 37, ["STABLE", "STABLE"], false),
        ("truth-fail-litellm-clean-retry.jsonl".to_owned(), vec![section("retries", 11, "STABLE", 15, false)]),
        ("truth-fail-litellm-failureleak-retry.jsonl".to_owned(), vec![section("retries", 11, "LEAK", 15, true)]),
        (
            "truth-fail-litellm-streamleak-happy.jsonl".to_owned(),
            vec![section("sequential", 11, "STABLE", 44, false), section("streaming", 11, "STABLE", 43, false)],
        ),
        (
            "truth-fail-litellm-streamleak-disconnect.jsonl".to_owned(),
            vec![section("disconnects", 11, "LEAK", 20, true)],
        ),
        (
            "truth-fail-litellm-clean-timeouts.jsonl".to_owned(),
            // No final average of a judged cycle to draw: every cycle is `error`.
            vec![Section { final_points: None, ..section("timeouts", 11, "ERROR", 0, false) }],
        ),
    ];
    let on_disk = std::fs::read_dir(fixture("")).expect("fixtures").count();
    assert_eq!(cases.len(), on_disk, "every fixture has its golden structure here");
    for (file, expected) in cases {
        let (code, _, html) = analyze_html(&fixture(&file), &[]);
        // 1 for a raised gauge; 2 when no cycle could be judged (every one `error`).
        let unjudged = expected.iter().all(|s| s.verdict == "ERROR");
        let exit = if expected.iter().any(|s| s.raised) {
            1
        } else if unjudged {
            2
        } else {
            0
        };
        assert_eq!(code, exit, "{file}");
        assert_eq!(sections(&html), expected, "{file}");
        assert_eq!(html.matches(r#"<svg class="chart gauge""#).count(), expected.len(), "{file}");
        let fetches = ["<script", "src=", "@import", "url(", r#"href="http"#];
        assert!(fetches.iter().all(|f| !html.contains(f)), "{file}: no script, nothing fetched");
    }
}

#[test]
fn a_baseline_is_summed_up_in_the_text_and_drawn_on_the_same_charts() {
    let clean = fixture("truth-fake-clean.jsonl");
    let (code, text, html) = analyze_html(&fixture("truth-fake-leak.jsonl"), &[&clean]);
    assert_eq!(code, 1, "the exit code stays the main recording's: {text}");
    assert!(text.contains(&format!("Baseline {} (before), leak gauge after its last cycle:", clean.display())));
    assert!(
        text.contains("  sequential (20 cycles): growth=0 tail=0 error_spike=0 slope=0 trend=0 drowning=0 -> down"),
        "{text}"
    );
    let section = html.split(r#"<section class="scenario""#).nth(1).expect("a section");
    let baseline = |svg: &str| svg.matches(r#"data-series="baseline" cx"#).count();
    assert_eq!(chart(section, "batches").map(baseline), Some(11), "the baseline's last cycle, batch by batch");
    assert_eq!(chart(section, "finals").map(baseline), Some(20), "and its 20 cycles' final averages");
    assert!(section.contains("Baseline (before): 20 cycles, the last STABLE"));

    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.jsonl");
    let (code, _, _) = analyze_html(&fixture("truth-fake-leak.jsonl"), &[&missing]);
    assert_eq!(code, 3, "a baseline that cannot be read is bad input");
}

#[test]
fn recordings_with_nothing_to_draw_get_words_not_empty_charts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let (code, _, html) = analyze_html(&write("empty.json", r#"{"scenario": "s", "cycles": []}"#), &[]);
    assert_eq!(code, 2);
    assert!(html.contains("The recording holds no cycle: there is nothing to draw.") && !html.contains("<svg"));

    let one_cycle = std::fs::read_to_string(fixture("process-clean.jsonl")).expect("fixture");
    let first = one_cycle.lines().next().expect("a line");
    let (code, _, html) = analyze_html(&write("one.jsonl", first), &[]);
    assert_eq!(code, 0);
    assert_eq!(sections(&html)[0].batch_points, Some(13));
    assert!(html.contains("1 judged cycle(s) of 1: the final averages across cycles need two to draw"));

    let failed = r#"{"memory_bytes": 50000000, "requests": 10, "errors": 10, "errors_by_kind": {"connect": 10}}"#;
    let batches = [failed; 12].join(",");
    let (code, _, html) = analyze_html(
        &write("down.json", &format!(r#"{{"scenario": "down", "cycles": [{{"batches": [{batches}]}}]}}"#)),
        &[],
    );
    assert_eq!(code, 2);
    assert!(html.contains("Every batch of this cycle failed (120 of 120 requests)"), "{html}");
    assert!(html.contains("<strong>ERROR</strong>") && chart(&html, "batches").is_none());
}

#[test]
fn resource_series_in_a_recording_are_drawn_one_chart_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let batches: Vec<String> = (0..13)
        .map(|i| {
            format!(
                r#"{{"phase": "{}", "memory_bytes": {}, "requests": 100, "resources": {{"open_fds": {}, "sockets": 12, "threads": 9}}, "memory_breakdown": {{"anon_bytes": {}, "file_bytes": 8000000, "shmem_bytes": 0}}}}"#,
                if i < 3 { "warmup" } else { "measure" },
                50_000_000 + i * 4096,
                41 + i,
                40_000_000 + i * 4096
            )
        })
        .collect();
    let path = dir.path().join("resources.json");
    std::fs::write(&path, format!(r#"{{"scenario": "fds", "cycles": [{{"batches": [{}]}}]}}"#, batches.join(",")))
        .expect("write");
    let (_, _, html) = analyze_html(&path, &[]);
    for name in ["open_fds", "sockets", "threads"] {
        let svg = chart(&html, &format!("resource resource-{name}")).unwrap_or_else(|| panic!("{name} drawn"));
        assert_eq!(svg.matches(r#"data-series="resource" cx"#).count(), 13, "{name}: one point per batch");
    }
    assert!(html.contains("open file descriptors after each batch") && html.contains(">fds (count)<"));
    assert!(chart(&html, "breakdown").is_some_and(|svg| svg.contains("— anon") && svg.contains("— shmem")));
}
