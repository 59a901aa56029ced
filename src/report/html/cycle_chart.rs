//! The detail chart of one cycle: memory after each batch against the requests sent, the warm-up shaded
//! apart, error batches marked, and what the rules looked at: the Theil–Sen line, the initial and final
//! averages, the tail window and the growth threshold.

use super::model::CycleView;
use super::svg::{Axis, Chart, escape};
use super::words::p_value;
use crate::analyze::{Phase, Rule, mib, stats};
use crate::engine::BatchRecord;
use crate::settings::Analysis;

/// The detail chart's height in SVG units.
const HEIGHT: f64 = 340.0;
/// The growth threshold widens the y axis only when it lies within this many spans of the data above
/// it; further away it would flatten the batches into a line, so it is named above the chart instead.
const THRESHOLD_REACH: f64 = 1.5;

/// The least memory span the y axis shows: noise of a few pages stays a flat line, as it is.
const MIN_SPAN_MIB: f64 = 1.0;

/// Each batch's position on the x axis: the requests sent in the cycle up to and including it.
fn cumulative(batches: &[BatchRecord]) -> Vec<f64> {
    batches
        .iter()
        .scan(0u64, |total, b| {
            *total = total.saturating_add(b.requests);
            Some(*total as f64)
        })
        .collect()
}

/// Why a cycle has no chart, in words; `None` when it has something to draw.
pub fn nothing_to_draw(view: &CycleView) -> Option<String> {
    let batches = &view.batches;
    if batches.is_empty() {
        return Some("No batch of this cycle was sampled: there is no memory to draw.".to_owned());
    }
    // A target drowning in its memory is the exception: its memory while it failed is the finding.
    let drowned = view.analysis.finding(Rule::Drowning).is_some();
    if !drowned && batches.iter().all(|b| b.errors >= b.requests) {
        let requests: u64 = batches.iter().map(|b| b.requests).sum();
        return Some(format!(
            "Every batch of this cycle failed ({requests} of {requests} requests): the memory after them says \
             nothing about requests served, so it is not drawn."
        ));
    }
    None
}

/// The chart of `view`, with `baseline`'s cycle drawn beside it when given.
pub fn render(view: &CycleView, baseline: Option<&CycleView>, settings: &Analysis) -> String {
    if let Some(words) = nothing_to_draw(view) {
        return format!(r#"<p class="nodata">{}</p>"#, escape(&words));
    }
    let x = cumulative(&view.batches);
    let base = baseline.filter(|b| nothing_to_draw(b).is_none());
    let base_x = base.map(|b| cumulative(&b.batches)).unwrap_or_default();
    let memory = |v: &CycleView| v.batches.iter().map(|b| mib(b.memory_bytes as f64)).collect::<Vec<_>>();
    let (main_y, base_y) = (memory(view), base.map(memory).unwrap_or_default());
    let a = &view.analysis;
    let threshold = mib(a.initial_avg * (1.0 + settings.max_growth_percent / 100.0));
    let shown = main_y.iter().chain(&base_y).copied();
    let (lo, hi) = shown.clone().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    // The growth rule's threshold, for a cycle the rules judged (an `error` cycle has averages, no rule).
    let judged = a.verdict.is_judged() && a.initial_avg > 0.0;
    let threshold_in = judged && threshold <= hi + THRESHOLD_REACH * (hi - lo).max(0.5);
    let y_values = shown.chain(threshold_in.then_some(threshold));
    let x_axis = Axis::over(x.iter().chain(&base_x).copied().chain([0.0]), 0.02, "requests sent in the cycle").whole();
    let label = format!("{}: memory after each batch of cycle {}", "batches", view.number);
    let mut chart = Chart::new(
        "batches",
        &label,
        HEIGHT,
        x_axis,
        Axis::over(y_values, 0.08, "memory (MiB)").at_least(MIN_SPAN_MIB),
    );
    shade(&mut chart, view, &x, settings);
    rule_marks(&mut chart, view, &x, settings, threshold_in.then_some(threshold));
    if let Some(b) = base {
        series(&mut chart, b, &base_x, "baseline");
    }
    series(&mut chart, view, &x, "main");
    let mut row = 0;
    for (class, text) in [("main", "● this recording"), ("baseline", "● baseline (before)")] {
        if class == "main" || base.is_some() {
            chart.legend(row, class, text);
            row += 1;
        }
    }
    if view.batches.iter().any(|b| b.errors > 0) {
        chart.legend(2, "error", "○ batch with failed requests");
    }
    let mut out = chart.finish();
    if !threshold_in && judged {
        out.push_str(&format!(
            r#"<p class="note">The growth threshold, {threshold:.1} MiB (+{}% over the initial average), lies far above the batches and is not drawn.</p>"#,
            settings.max_growth_percent
        ));
    }
    out
}

/// The warm-up and the tail window as bands.
fn shade(chart: &mut Chart, view: &CycleView, x: &[f64], settings: &Analysis) {
    let warmup = view.batches.iter().filter(|b| b.phase == Phase::Warmup).count();
    if warmup > 0 {
        chart.band(0.0, x[warmup - 1], "warmup", &format!("warm-up ({warmup} batches, not judged)"));
    }
    let measured = view.batches.len() - warmup;
    let tail = settings.tail_samples.min(measured);
    if tail >= 2 {
        let from = x[view.batches.len() - tail];
        chart.band(from, x[x.len() - 1], "tail", &format!("tail ({tail} batches)"));
    }
}

/// The Theil–Sen line, the initial and final averages and the growth threshold over the measured batches.
fn rule_marks(chart: &mut Chart, view: &CycleView, x: &[f64], settings: &Analysis, threshold: Option<f64>) {
    let first = view.batches.iter().position(|b| b.phase == Phase::Measure);
    let Some(first) = first else { return };
    let (mx, my): (Vec<f64>, Vec<f64>) =
        x[first..].iter().zip(&view.batches[first..]).map(|(x, b)| (*x, b.memory_bytes as f64)).unzip();
    let a = &view.analysis;
    if mx.len() >= 2 {
        let line = stats::theil_sen(&mx, &my);
        let (x0, x1) = (mx[0], mx[mx.len() - 1]);
        chart.polyline(&[(x0, mib(line.at(x0))), (x1, mib(line.at(x1)))], "fit");
        let label = format!("Theil–Sen slope {:.0} B/request, {}", a.slope_bytes_per_request, p_value(a.slope_p_value));
        chart.legend(3, "fit", &label);
    }
    let w = settings.rolling_window.min(mx.len());
    if a.initial_avg > 0.0 && w > 0 {
        let (x0, x1) = (mx[0], mx[w - 1]);
        chart.hline(mib(a.initial_avg), x0, x1, "avg", &format!("initial {:.2} MiB", mib(a.initial_avg)));
        let (x0, x1) = (mx[mx.len() - w], mx[mx.len() - 1]);
        chart.hline(mib(a.final_avg), x0, x1, "avg", &format!("final {:.2} MiB", mib(a.final_avg)));
    }
    if let Some(t) = threshold {
        let label = format!("growth threshold +{}%: {t:.2} MiB", settings.max_growth_percent);
        chart.hline(t, mx[0], mx[mx.len() - 1], "threshold", &label);
    }
}

/// One point per batch of `view`, joined by a line; error batches marked.
fn series(chart: &mut Chart, view: &CycleView, x: &[f64], series: &str) {
    let points: Vec<(f64, f64)> = x.iter().zip(&view.batches).map(|(x, b)| (*x, mib(b.memory_bytes as f64))).collect();
    chart.polyline(&points, &format!("series {series}"));
    let mut measured = 0;
    for (i, ((px, py), b)) in points.iter().zip(&view.batches).enumerate() {
        let (phase, n) = match b.phase {
            Phase::Warmup => ("warm-up batch", i + 1),
            Phase::Measure => {
                measured += 1;
                ("batch", measured)
            }
        };
        let failed =
            if b.errors > 0 { format!(", {} of {} requests failed", b.errors, b.requests) } else { String::new() };
        let tip = format!("{phase} {n}: {:.2} MiB after {px:.0} requests{failed}", py);
        let class = match (b.phase, b.errors > 0) {
            (_, true) => "error",
            (Phase::Warmup, false) => "warmup",
            (Phase::Measure, false) => "measure",
        };
        chart.point(*px, *py, class, series, &tip);
    }
}
