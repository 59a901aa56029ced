//! The page as a whole, from judged cycles made by hand: what it draws and the words it says instead when
//! there is nothing to draw.

use super::*;
use crate::analyze::Phase;
use crate::engine::{BatchRecord, CycleEnd, Judge, Judged};
use crate::memory::Breakdown;
use crate::settings::Analysis;

/// A batch of 100 requests, `errors` of them failed, leaving `memory` bytes.
pub(super) fn batch(phase: Phase, memory: f64, errors: u64) -> BatchRecord {
    BatchRecord {
        phase,
        memory_bytes: memory as u64,
        requests: 100,
        errors,
        errors_by_kind: Default::default(),
        expected_by_kind: Default::default(),
        resources: Default::default(),
        memory_breakdown: None,
    }
}

/// A default cycle of `scenario` (3 warm-up, 10 measured batches) around `level` bytes, judged alone;
/// `raised` sets its gauge by hand.
pub(super) fn judged_cycle(scenario: &str, level: f64, raised: bool) -> Judged {
    let batches = (0..13)
        .map(|i| batch(if i < 3 { Phase::Warmup } else { Phase::Measure }, level + f64::from(i % 2) * 4096.0, 0));
    let mut judged = Judge::new(scenario).judge(100, &Analysis::default(), batches.collect(), CycleEnd::Completed);
    judged.raised[3] = raised;
    judged
}

fn page(soak: &Soak, baseline: Option<&Soak>, across_cycles: bool) -> String {
    render(&Page { source: "test", soak, baseline, across_cycles, refresh_seconds: None })
}

fn soak_of(cycles: impl IntoIterator<Item = Judged>) -> Soak {
    let mut soak = Soak::new(Analysis::default(), Keep::Thinned);
    cycles.into_iter().for_each(|j| soak.push(&j));
    soak
}

/// The points of `series` in the detail charts.
fn points(html: &str, series: &str) -> usize {
    html.matches(&format!(r#"data-series="{series}" cx"#)).count()
}

#[test]
fn a_cycle_is_drawn_one_point_per_batch_with_its_verdict_in_words() {
    let html = page(&soak_of([judged_cycle("sync", 50e6, false)]), None, false);
    assert_eq!(html.matches(r#"<svg class="chart batches""#).count(), 1);
    assert_eq!(points(&html, "main"), 13);
    assert_eq!(html.matches(r#"class="point warmup""#).count(), 3);
    assert!(html.contains("<strong>STABLE</strong>") && html.contains("v-stable"));
    assert!(html.contains("warm-up (3 batches, not judged)") && html.contains("tail (5 batches)"));
    assert!(html.contains("Theil–Sen slope") && html.contains("initial 47.69 MiB"));
    assert!(!html.contains("<script"), "no script in the page");
    assert!(!html.contains("finals"), "once draws no chart across cycles");
}

#[test]
fn error_batches_are_marked_and_a_cycle_of_errors_only_is_said_in_words() {
    let mut j = judged_cycle("s", 50e6, false);
    j.batches[7].errors = 40;
    let html = page(&soak_of([j]), None, false);
    assert_eq!(html.matches(r#"class="point error""#).count(), 1);
    assert!(html.contains("40 of 100 requests failed"));

    let all_failed: Vec<BatchRecord> = (0..13).map(|_| batch(Phase::Measure, 50e6, 100)).collect();
    let j = Judge::new("down").judge(100, &Analysis::default(), all_failed, CycleEnd::Completed);
    let html = page(&soak_of([j]), None, true);
    assert!(html.contains("Every batch of this cycle failed (1300 of 1300 requests)"), "{html}");
    assert!(html.contains("<strong>ERROR</strong>"));
    assert_eq!(html.matches(r#"<svg class="chart batches""#).count(), 0, "no empty chart");
    assert!(html.contains("0 judged cycle(s) of 1"));
}

#[test]
fn nothing_recorded_and_one_cycle_are_said_in_words() {
    let html = page(&soak_of([]), None, true);
    assert!(html.contains("The recording holds no cycle: there is nothing to draw."));
    assert!(!html.contains("<svg"));
    let html = page(&soak_of([judged_cycle("s", 50e6, false)]), None, true);
    assert!(html.contains("1 judged cycle(s) of 1: the final averages across cycles need two to draw"));
    assert_eq!(html.matches(r#"<svg class="chart gauge""#).count(), 1);
    let empty = Judge::new("s").judge(100, &Analysis::default(), vec![], CycleEnd::SourceFailed("no such pid".into()));
    let html = page(&soak_of([empty]), None, false);
    assert!(html.contains("No batch of this cycle was sampled") && html.contains("no such pid"));
}

#[test]
fn many_cycles_draw_the_finals_the_trend_and_the_gauge_with_a_baseline_beside() {
    let after = soak_of((0..8).map(|i| judged_cycle("s", 50e6 + f64::from(i) * 1e3, false)));
    let before = soak_of((0..8).map(|i| judged_cycle("s", 50e6 + f64::from(i) * 2e6, i >= 5)));
    let html = page(&after, Some(&before), true);
    assert_eq!(points(&html, "baseline"), 13 + 8, "the baseline's last cycle and its finals");
    assert_eq!(points(&html, "main"), 13 + 8);
    assert!(html.contains("trend over the last 6 judged cycles"));
    assert!(html.contains("Baseline (before): 8 cycles"));
    let baseline_alone = page(&before, None, true);
    assert!(baseline_alone.contains("The leak gauge was raised after cycles 6-8 (8 cycles)."));
    assert_eq!(baseline_alone.matches(r#"class="cell raised""#).count(), 3);
}

#[test]
fn resource_counts_and_the_breakdown_get_charts_only_when_recorded() {
    let mut j = judged_cycle("s", 50e6, false);
    for (i, b) in j.batches.iter_mut().enumerate() {
        b.resources.insert("open_fds".into(), 40 + i as u64);
        b.resources.insert("threads".into(), 9);
        b.memory_breakdown = Some(Breakdown { anon_bytes: 40 << 20, file_bytes: 8 << 20, shmem_bytes: 0 });
    }
    let html = page(&soak_of([j]), None, false);
    assert_eq!(html.matches(r#"<svg class="chart resource "#).count(), 2);
    assert!(html.contains("open file descriptors after each batch") && html.contains(">fds (count)<"));
    assert!(html.contains(">threads (count)<"));
    assert_eq!(html.matches(r#"<svg class="chart breakdown""#).count(), 1);
    assert!(html.contains("— anon") && html.contains("— file"));
    let plain = page(&soak_of([judged_cycle("s", 50e6, false)]), None, false);
    assert!(!plain.contains("chart resource") && !plain.contains("chart breakdown"));
}

#[test]
fn names_from_a_recording_are_escaped() {
    let html = page(&soak_of([judged_cycle("<img src=x onerror=alert(1)>", 50e6, false)]), None, false);
    assert!(!html.contains("<img") && html.contains("&lt;img src=x"));
}

#[test]
fn the_live_page_refreshes_links_and_forgets_scenarios_no_longer_configured() {
    use crate::engine::Observer;
    let live = Live::default();
    assert!(live.render().contains("No cycle has finished yet"));
    live.cycle(&judged_cycle("a", 50e6, false));
    live.cycle(&judged_cycle("b", 50e6, true));
    let html = live.render();
    assert!(html.contains(r#"<meta http-equiv="refresh" content="10">"#));
    assert!(
        html.contains(r#"href="/metrics""#) && html.contains(r#"href="/status""#) && html.contains(r#"href="/report""#)
    );
    assert_eq!(html.matches(r#"<section class="scenario""#).count(), 2);
    assert!(html.contains("leak gauge RAISED"));
    live.configured(&["a".to_owned()]);
    assert_eq!(live.render().matches(r#"<section class="scenario""#).count(), 1);
}
