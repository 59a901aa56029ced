//! The HTML document around the sections: one self-contained file (inline CSS and SVG, no script, nothing
//! fetched), an overview of every scenario's verdict, and for the daemon the refresh and the links.

use super::model::Soak;
use super::section;
use super::svg::escape;
use super::words::{anchor, verdict_words};
use std::fmt::Write as _;

/// The style sheet, inlined into every page: light, and dark where the viewer prefers it.
const STYLE: &str = include_str!("style.css");

/// A page to render.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// What produced it (`leaksoak once`, `leaksoak analyze soak.jsonl`): the line under the heading.
    pub source: &'a str,
    /// The soak drawn.
    pub soak: &'a Soak,
    /// The recording before a fix, drawn on the same charts, when given.
    pub baseline: Option<&'a Soak>,
    /// Whether each scenario gets the charts across cycles (`analyze` and the daemon, not `once`).
    pub across_cycles: bool,
    /// For the daemon's live page: reload every this many seconds, and link the other endpoints.
    pub refresh_seconds: Option<u32>,
}

/// The whole document.
pub fn render(page: &Page<'_>) -> String {
    let mut out = String::with_capacity(64 << 10);
    out.push_str(r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">"#);
    out.push_str(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#);
    out.push_str(r#"<meta name="color-scheme" content="light dark">"#);
    // An empty icon: a browser asks for /favicon.ico otherwise, and its 404 shows as a console error.
    out.push_str(r#"<link rel="icon" href="data:,">"#);
    if let Some(s) = page.refresh_seconds {
        let _ = write!(out, r#"<meta http-equiv="refresh" content="{s}">"#);
    }
    let _ = write!(out, "<title>leaksoak: {}</title><style>{STYLE}</style></head><body>", escape(page.source));
    let _ = write!(out, r#"<header><h1>leaksoak report</h1><p class="source">{}</p>"#, escape(page.source));
    if page.refresh_seconds.is_some() {
        out.push_str(
            r#"<nav><a href="/metrics">/metrics</a><a href="/status">/status</a><a href="/report">/report</a></nav>"#,
        );
    }
    out.push_str("</header><main>");
    body(&mut out, page);
    out.push_str("</main><footer><p>");
    let _ = write!(out, "leaksoak {}. ", escape(crate::build_info::VERSION));
    if let Some(s) = page.refresh_seconds {
        let _ = write!(out, "This page reloads itself every {s} s.");
    }
    out.push_str("</p></footer></body></html>\n");
    out
}

fn body(out: &mut String, page: &Page<'_>) {
    let soak = page.soak;
    if soak.scenarios.is_empty() {
        let words = if page.refresh_seconds.is_some() {
            "No cycle has finished yet: the first appears here when its scenario's cycle ends."
        } else {
            "The recording holds no cycle: there is nothing to draw."
        };
        let _ = write!(out, r#"<p class="nodata">{words}</p>"#);
        return;
    }
    overview(out, soak);
    if let Some(b) = page.baseline {
        let names: Vec<&str> = b.scenarios.iter().map(|s| s.name.as_str()).collect();
        let _ = write!(
            out,
            r#"<p class="baseline-words">Compared with a baseline recording (before the fix) of {} scenario(s): {}; drawn dashed.</p>"#,
            names.len(),
            escape(&names.join(", "))
        );
    }
    for view in &soak.scenarios {
        let base = page.baseline.and_then(|b| b.scenario(&view.name));
        out.push_str(&section::render(view, base, &soak.settings, page.across_cycles));
    }
}

/// One line per scenario: its latest verdict in words and the gauge, linking to its section.
fn overview(out: &mut String, soak: &Soak) {
    out.push_str(r#"<ul class="overview">"#);
    for s in &soak.scenarios {
        let Some(last) = &s.last else { continue };
        let v = last.analysis.verdict;
        let (sign, word) = verdict_words(v);
        let gauge = if last.raised.iter().any(|r| *r) { "leak gauge RAISED" } else { "leak gauge down" };
        let _ = write!(
            out,
            r##"<li class="v-{}"><span aria-hidden="true">{sign}</span> <a href="#{}">{}</a>: <strong>{word}</strong> after {} cycle(s), {gauge}</li>"##,
            v.as_str(),
            anchor(&s.name),
            escape(&s.name),
            s.cycles
        );
    }
    out.push_str("</ul>");
}
