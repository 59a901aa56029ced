//! One scenario's section of the report: the verdict as a banner, the figures, the rules that fired and
//! how far their confirmation got, then the charts.

use super::model::{CycleView, ScenarioView};
use super::svg::escape;
use super::words::{anchor, p_value, verdict_words};
use super::{cycle_chart, cycles_chart, resources};
use crate::analyze::{Rule, mib};
use crate::engine::CycleEnd;
use crate::settings::Analysis;
use std::fmt::Write as _;

/// The section of `view`; `baseline` is the same scenario in the recording before a fix, when given.
pub fn render(view: &ScenarioView, baseline: Option<&ScenarioView>, settings: &Analysis, show_trend: bool) -> String {
    let mut out = String::with_capacity(32 << 10);
    let batches = view.last.as_ref().map_or(0, |c| c.batches.len());
    let _ = write!(
        out,
        r#"<section class="scenario" id="{}" data-scenario="{}" data-batches="{batches}"><h2>{}</h2>"#,
        anchor(&view.name),
        escape(&view.name),
        escape(&view.name)
    );
    match &view.last {
        Some(last) => cycle(&mut out, view, last, baseline, settings),
        None => out.push_str(r#"<p class="nodata">No cycle of this scenario has finished yet.</p>"#),
    }
    if show_trend {
        out.push_str("<h3>Across cycles: final averages and the trend</h3>");
        out.push_str(&cycles_chart::finals(view, baseline, settings));
        out.push_str("<h3>The leak gauge after each cycle</h3>");
        out.push_str(&cycles_chart::gauge(view));
    }
    out.push_str("</section>");
    out
}

fn cycle(out: &mut String, view: &ScenarioView, last: &CycleView, base: Option<&ScenarioView>, s: &Analysis) {
    banner(out, last);
    let _ = write!(out, r#"<p class="cycle-of">Cycle {} of {} shown in detail.</p>"#, last.number, view.cycles);
    figures(out, last);
    findings(out, last);
    gauge_state(out, last);
    for note in &last.analysis.notes {
        let _ = write!(out, r#"<p class="note">{}</p>"#, escape(note));
    }
    let base_cycle = base.and_then(|b| b.last.as_ref());
    if let Some(b) = base {
        baseline_words(out, b);
    }
    out.push_str("<h3>Memory after each batch</h3>");
    out.push_str(&cycle_chart::render(last, base_cycle, s));
    out.push_str(&resources::render(last));
}

fn banner(out: &mut String, c: &CycleView) {
    let v = c.analysis.verdict;
    let (sign, word) = verdict_words(v);
    let ended = match &c.end {
        CycleEnd::Completed => String::new(),
        CycleEnd::Restarted => " The target restarted during this cycle: it was discarded.".to_owned(),
        CycleEnd::SourceFailed(why) => format!(" The memory read failed: {why}."),
    };
    let _ = write!(
        out,
        r#"<div class="verdict v-{}" role="status"><span aria-hidden="true">{sign}</span> <strong>{word}</strong> <span class="summary">— {}{}</span></div>"#,
        v.as_str(),
        escape(&c.analysis.summary),
        escape(&ended)
    );
}

fn figures(out: &mut String, c: &CycleView) {
    let a = &c.analysis;
    let rows = [
        ("initial average", format!("{:.2} MiB", mib(a.initial_avg))),
        ("final average", format!("{:.2} MiB", mib(a.final_avg))),
        ("growth", format!("{:+.2} MiB ({:+.1} %)", mib(a.growth_bytes), a.growth_ratio * 100.0)),
        ("slope", format!("{:.0} bytes per request, {}", a.slope_bytes_per_request, p_value(a.slope_p_value))),
        ("noise", format!("{:.2} % of the mean", a.noise_cv * 100.0)),
        ("failed requests", format!("{} of {}", a.errors, a.requests)),
    ];
    // With a `self` source: what leaksoak's own endpoints served in the measured process meanwhile.
    let own = c
        .endpoints
        .map(|e| ("requests to leaksoak's endpoints", format!("{} ({:.1} a second)", e.requests, e.per_second())));
    out.push_str(r#"<table class="figures">"#);
    for (name, value) in rows.into_iter().chain(own) {
        let _ = write!(out, "<tr><th>{name}</th><td>{}</td></tr>", escape(&value));
    }
    out.push_str("</table>");
}

fn findings(out: &mut String, c: &CycleView) {
    let f = &c.analysis.findings;
    if f.is_empty() {
        out.push_str(r#"<p class="findings none">No rule fired.</p>"#);
        return;
    }
    out.push_str(r#"<h3>Rules that fired</h3><ul class="findings">"#);
    for finding in f {
        let state = finding.status().unwrap_or_else(|| "confirmed".to_owned());
        let _ = write!(
            out,
            r#"<li class="finding" data-rule="{}"><strong>{}</strong>: {} <em>({})</em></li>"#,
            finding.rule,
            finding.rule,
            escape(&finding.message),
            escape(&state)
        );
    }
    out.push_str("</ul>");
}

fn gauge_state(out: &mut String, c: &CycleView) {
    let raised: Vec<&str> = Rule::ALL.iter().filter(|r| c.raised[r.index()]).map(|r| r.as_str()).collect();
    let streaks: Vec<String> = Rule::ALL
        .iter()
        .filter(|r| c.streaks[r.index()] > 0)
        .map(|r| format!("{} {}", r.as_str(), c.streaks[r.index()]))
        .collect();
    let streaks =
        if streaks.is_empty() { String::new() } else { format!(" Consecutive cycles fired: {}.", streaks.join(", ")) };
    if raised.is_empty() {
        let _ = write!(out, r#"<p class="gauge-state down">Leak gauge: down.{}</p>"#, escape(&streaks));
    } else {
        let _ = write!(
            out,
            r#"<p class="gauge-state raised">⚠ Leak gauge: RAISED ({}).{}</p>"#,
            raised.join(", "),
            escape(&streaks)
        );
    }
}

fn baseline_words(out: &mut String, b: &ScenarioView) {
    let Some(c) = &b.last else { return };
    let a = &c.analysis;
    let (_, word) = verdict_words(a.verdict);
    let raised = if c.raised.iter().any(|r| *r) { "raised" } else { "down" };
    let _ = write!(
        out,
        r#"<p class="baseline-words">Baseline (before): {} cycles, the last {word}, slope {:.0} bytes per request, final average {:.2} MiB, leak gauge {raised}. It is drawn dashed on the charts below.</p>"#,
        b.cycles,
        a.slope_bytes_per_request,
        mib(a.final_avg)
    );
}
