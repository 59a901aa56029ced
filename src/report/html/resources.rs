//! The extra series a recording may carry per batch: one small chart per resource counted (descriptors,
//! sockets, threads, tasks, …) and the memory split by kind. Nothing is drawn for a cycle without them.

use super::model::CycleView;
use super::svg::{Axis, Chart};
use crate::analyze::mib;
use crate::memory::Breakdown;
use std::collections::BTreeSet;

/// A resource chart's height in SVG units: small, several sit under the memory chart.
const HEIGHT: f64 = 170.0;
/// The memory breakdown chart's height in SVG units.
const BREAKDOWN_HEIGHT: f64 = 240.0;

/// What people call a resource counted under `name`, for the chart's title.
fn title(name: &str) -> String {
    match name {
        "open_fds" => "open file descriptors".to_owned(),
        "sockets" => "open sockets".to_owned(),
        "threads" => "threads".to_owned(),
        "tasks" => "tasks (cgroup)".to_owned(),
        other => other.replace('_', " "),
    }
}

/// The y axis label of a resource chart: short, so it fits beside a small chart.
fn axis_label(name: &str) -> String {
    match name {
        "open_fds" => "fds (count)".to_owned(),
        "tasks" => "tasks (count)".to_owned(),
        other => format!("{} (count)", title(other).trim_start_matches("open ")),
    }
}

/// One chart per resource name any batch of `view` counts, then the memory breakdown when recorded;
/// empty when the cycle has neither.
pub fn render(view: &CycleView) -> String {
    let names: BTreeSet<&String> = view.batches.iter().flat_map(|b| b.resources.keys()).collect();
    let mut out = String::new();
    for name in names {
        let points: Vec<(f64, f64)> = view
            .batches
            .iter()
            .enumerate()
            .filter_map(|(i, b)| Some(((i + 1) as f64, *b.resources.get(name)? as f64)))
            .collect();
        let label = format!("{} after each batch", title(name));
        let x = Axis::over(points.iter().map(|p| p.0), 0.03, "batch (warm-up included)").whole();
        let y = Axis::over(points.iter().map(|p| p.1), 0.1, axis_label(name));
        let mut chart = Chart::new(&format!("resource resource-{}", css_name(name)), &label, HEIGHT, x, y);
        chart.polyline(&points, "series main");
        for (i, v) in &points {
            chart.point(*i, *v, "measure", "resource", &format!("batch {i:.0}: {v:.0} {}", title(name)));
        }
        out.push_str(&chart.finish());
    }
    out.push_str(&breakdown(view));
    out
}

/// A name made safe for a CSS class: letters, digits, `-` and `_` kept, anything else `-`.
fn css_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect()
}

/// One kind of memory read out of a breakdown.
type Bytes = fn(&Breakdown) -> u64;

/// The memory split by kind, one line per kind (MiB), when any batch has it.
fn breakdown(view: &CycleView) -> String {
    if view.batches.iter().all(|b| b.memory_breakdown.is_none()) {
        return String::new();
    }
    let kinds: [(&str, Bytes); 3] =
        [("anon_bytes", |b| b.anon_bytes), ("file_bytes", |b| b.file_bytes), ("shmem_bytes", |b| b.shmem_bytes)];
    let series: Vec<(&str, Vec<(f64, f64)>)> = kinds
        .into_iter()
        .map(|(kind, bytes)| {
            let points = view
                .batches
                .iter()
                .enumerate()
                .filter_map(|(i, b)| Some(((i + 1) as f64, mib(bytes(b.memory_breakdown.as_ref()?) as f64))))
                .collect();
            (kind, points)
        })
        .collect();
    let all = || series.iter().flat_map(|(_, p)| p.iter());
    let x = Axis::over(all().map(|p| p.0), 0.03, "batch (warm-up included)").whole();
    let y = Axis::over(all().map(|p| p.1).chain([0.0]), 0.05, "memory by kind (MiB)");
    let mut chart = Chart::new("breakdown", "memory by kind after each batch", BREAKDOWN_HEIGHT, x, y);
    for (row, (kind, points)) in series.iter().enumerate() {
        let class = format!("kind kind-{}", row % 4);
        chart.polyline(points, &class);
        let name = kind.trim_end_matches("_bytes").replace('_', " ");
        chart.legend(row, &class, &format!("— {name}"));
    }
    chart.finish()
}
