//! Leaks that are not bytes (docs/analysis.md#resources): counts of open file descriptors, sockets,
//! threads or cgroup tasks after every batch, judged by the rules that make sense for a count.
//!
//! * **slope**: the Theil–Sen slope of the count against cumulative requests is above
//!   `resource_min_per_request`, the one-sided Mann–Kendall p below `trend_alpha`, and the fitted growth
//!   over the measured batches above `resource_min_growth`.
//! * **tail**: the last `tail_samples` counts each rose (by at least one).
//! * **trend** (across cycles, [`super::resource_gauge`]): the cycles' final levels rise significantly
//!   by more than `resource_min_growth` and the noise floor, steadily (the shape test of the memory trend).
//!
//! Per-cycle findings are confirmed like memory's ([`super::resource_gauge`]): a pool that fills up
//! fires once, in the cycle where it fills, and not again.

use super::stats;
use std::fmt::Write;

/// One measured batch of one resource: its count after the batch and the requests the batch sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count {
    /// The count read with the batch's memory sample.
    pub value: f64,
    /// Requests sent in the batch: the x axis of the slope.
    pub requests: u64,
}

/// The rules a resource is judged by; the names in reports and recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceRule {
    Slope,
    Tail,
    Trend,
}

impl ResourceRule {
    /// Every rule, in index order.
    pub const ALL: [ResourceRule; 3] = [Self::Slope, Self::Tail, Self::Trend];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slope => "slope",
            Self::Tail => "tail",
            Self::Trend => "trend",
        }
    }

    /// Position in [`ResourceRule::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A rule that fired for a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceFinding {
    pub rule: ResourceRule,
    /// The report line: `open file descriptors grow by 0.10 per request (p = 0.0001): possible …`.
    pub message: String,
    /// Whether it counts for the resource's leak gauge yet.
    pub confirmed: bool,
}

/// What one cycle concluded about one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceCycle {
    /// The resource name (`open_fds`, `sockets`, `threads`, `tasks`, a scraped metric's name).
    pub resource: String,
    /// The count after the first and the last measured batch.
    pub first: f64,
    pub last: f64,
    /// Theil–Sen slope against cumulative requests, units per request.
    pub slope_per_request: f64,
    /// One-sided Mann–Kendall p of the rise (1 when it cannot be computed).
    pub p_value: f64,
    /// The slope times the requests between the first and last batch: the fitted growth, units.
    pub growth: f64,
    /// Mean of the last `rolling_window` counts: what the trend across cycles fits.
    pub final_level: f64,
    /// Stdev of the residuals around the fitted line: scales the trend's floor.
    pub noise: f64,
    /// The per-cycle rules that fired (the trend finding is added by the gauge).
    pub findings: Vec<ResourceFinding>,
}

/// The fewest measured batches that carry a resource for it to be judged in a cycle.
pub const MIN_BATCHES: usize = 4;

/// Analyses one resource over a cycle's measured batches; `None` with fewer than [`MIN_BATCHES`].
pub fn cycle(resource: &str, counts: &[Count], settings: &crate::settings::Analysis) -> Option<ResourceCycle> {
    if counts.len() < MIN_BATCHES || counts.iter().any(|c| !c.value.is_finite()) {
        return None;
    }
    let y: Vec<f64> = counts.iter().map(|c| c.value).collect();
    let x: Vec<f64> = counts
        .iter()
        .scan(0u64, |total, c| {
            *total = total.saturating_add(c.requests);
            Some(*total as f64)
        })
        .collect();
    let line = stats::theil_sen(&x, &y);
    let (slope, p) = (finite(line.slope), stats::mann_kendall(&x, &y));
    let growth = finite(slope * (x[x.len() - 1] - x[0]));
    let residuals: Vec<f64> = x.iter().zip(&y).map(|(x, y)| y - line.at(*x)).collect();
    let window = settings.rolling_window.clamp(1, y.len());
    let mut out = ResourceCycle {
        resource: resource.to_owned(),
        first: y[0],
        last: y[y.len() - 1],
        slope_per_request: slope,
        p_value: if p.is_finite() { p } else { 1.0 },
        growth,
        final_level: stats::mean(&y[y.len() - window..]),
        noise: finite(stats::stdev(&residuals)),
        findings: Vec::new(),
    };
    let what = describe(resource);
    if slope > settings.resource_min_per_request && p < settings.trend_alpha && growth > settings.resource_min_growth {
        let message =
            format!("{} grow by {slope:.2} per request (p = {p:.4}, {growth:.0} over the cycle): {}", what.0, what.1);
        out.findings.push(ResourceFinding { rule: ResourceRule::Slope, message, confirmed: false });
    }
    let t = settings.tail_samples;
    if t >= 2 && y.len() >= t && y[y.len() - t..].windows(2).all(|w| w[1] - w[0] >= 1.0) {
        let (from, to) = (y[y.len() - t], y[y.len() - 1]);
        let message = format!("{} rose in each of the last {t} batches ({from:.0} to {to:.0}): {}", what.0, what.1);
        out.findings.push(ResourceFinding { rule: ResourceRule::Tail, message, confirmed: false });
    }
    Some(out)
}

/// How a report names a resource, and what its growth usually means.
pub fn describe(resource: &str) -> (String, &'static str) {
    match resource {
        "open_fds" => ("open file descriptors".into(), "possible connection or file handle leak"),
        "sockets" => ("sockets".into(), "possible connection leak (a client or connection never closed)"),
        "threads" => ("threads".into(), "possible thread leak (a thread started per request and never joined)"),
        "tasks" => ("tasks of the cgroup".into(), "possible thread or process leak"),
        other => (other.replace('_', " "), "possible resource leak"),
    }
}

/// The report's resource block: one line per resource (its counts, slope, and findings), or nothing.
pub fn render(cycles: &[ResourceCycle], raised: impl Fn(&str) -> bool) -> String {
    if cycles.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nResources:\n");
    for c in cycles {
        let gauge = if raised(&c.resource) { " [leak gauge raised]" } else { "" };
        let _ = writeln!(
            out,
            "  {}: {:.0} to {:.0}, {:.3} per request (p = {:.4}){gauge}",
            describe(&c.resource).0,
            c.first,
            c.last,
            c.slope_per_request,
            c.p_value
        );
        for f in &c.findings {
            let status = if f.confirmed { "confirmed" } else { "unconfirmed" };
            let _ = writeln!(out, "    {} [{status}]", f.message);
        }
    }
    out
}

/// The memory breakdown's line for a cycle's growth, from the (anonymous, file-backed, shared) bytes of its
/// first and last measured batch: "growth is 96 % anonymous memory (…)". `None` when memory did not grow.
pub fn breakdown_line(first: [f64; 3], last: [f64; 3]) -> Option<String> {
    let delta: Vec<f64> = first.iter().zip(last).map(|(a, b)| b - a).collect();
    let grown: f64 = delta.iter().map(|d| d.max(0.0)).sum();
    if grown.is_nan() || grown <= 0.0 {
        return None;
    }
    let names = ["anonymous", "file-backed", "shared"];
    let (top, share) =
        (0..3).map(|i| (i, delta[i].max(0.0) / grown)).fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    let mib = |b: f64| b / 1_048_576.0;
    Some(format!(
        "Memory breakdown: growth is {:.0} % {} memory (anonymous {:+.2} MiB, file-backed {:+.2} MiB, shared {:+.2} MiB){}",
        share * 100.0,
        names[top],
        mib(delta[0]),
        mib(delta[1]),
        mib(delta[2]),
        match top {
            0 => ": heap or stack, where objects kept alive grow",
            1 => ": mapped files or page cache, rarely a leak",
            _ => ": shared memory or tmpfs",
        }
    ))
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}
