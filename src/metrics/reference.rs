//! The metrics reference, `docs/metrics.md`, generated from the registry itself: every family's name,
//! type, labels (with the values a bounded label takes) and help text. A test keeps the file identical to
//! what the code registers, as `config/default.toml` is kept to the settings.

use super::Metrics;
use crate::analyze::Phase;
use crate::engine::{Activity, BatchRecord, CycleEnd, Idle, Judge, Observer};
use crate::failure::ErrorKind;
use crate::load::{BatchStats, Outcome};
use crate::memory::Breakdown;
use crate::settings::Analysis;
use prometheus::proto::{MetricFamily, MetricType};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The scenario name the reference is generated with (scenario names come from the config).
const SCENARIO: &str = "SCENARIO";

/// What the page says before the table.
const PREAMBLE: &str = "\
# Metrics

<!-- Generated from the code by `LEAKSOAK_BLESS=1 cargo test --lib metrics_md_matches_the_code`; do not edit. -->

Every metric `leaksoak run` serves on `GET /metrics` (text format 0.0.4). Label values are bounded: `scenario`
takes the names of the configured scenarios, every other label one of the values listed. Every series of a
configured scenario exists, at 0, from the start, so alerts and dashboards see it before the first cycle,
except those labelled `resource`, which appear once that resource was first read (which resources a source
has is known only then; docs/memory-sources.md#resources); a scenario removed by a reload loses its series. What each figure means is explained in
[analysis.md](analysis.md); the dashboards and alert rules under `grafana/` and `deploy/` use these names.

| metric | type | labels | meaning |
|---|---|---|---|
";

/// `docs/metrics.md`, as the code defines it.
pub fn metrics_markdown() -> String {
    let metrics = fed();
    let mut out = String::from(PREAMBLE);
    let mut families = metrics.families();
    families.sort_by_key(|f| (!f.name().starts_with("leaksoak_"), f.name().to_owned()));
    for family in &families {
        let _ = writeln!(out, "| `{}` | {} | {} | {} |", family.name(), kind(family), labels(family), family.help());
    }
    out.push_str(
        "\nHistograms also have `_bucket{le}`, `_sum` and `_count` series. The `process_*` families are \
         leaksoak's own process, read from `/proc/self` at each render.\n",
    );
    out
}

/// Metrics after one judged cycle of one scenario, so that every family has its series.
fn fed() -> Metrics {
    let metrics = Metrics::new("VERSION", "REVISION");
    metrics.configured(&[SCENARIO.to_owned()]);
    Observer::analysis(&metrics, &Analysis::default());
    let mut stats = BatchStats::new();
    let latency = std::time::Duration::from_millis(5);
    for result in [Ok(()), Err(ErrorKind::Status)] {
        stats.record(&Outcome { latency, time_to_first_token: Some(latency), bytes: 100, result, expected: None });
    }
    let mut records = vec![];
    for (i, phase) in std::iter::once(Phase::Warmup).chain([Phase::Measure; 10]).enumerate() {
        let resources = ["open_fds", "sockets", "tasks", "threads"].map(|r| (r.to_owned(), 10 + i as u64)).into();
        let breakdown = Breakdown { anon_bytes: 40_000_000, file_bytes: 10_000_000, shmem_bytes: i as u64 };
        let record = BatchRecord::new(phase, 50_000_000 + i as u64, stats.requests, &stats.errors)
            .with_extras(resources, Some(breakdown));
        metrics.activity(SCENARIO, Activity::Measure, 0);
        metrics.batch(SCENARIO, &record, &stats);
        records.push(record);
    }
    let idle = Idle { from_bytes: 50_000_000, to_bytes: 50_004_096, seconds: 10.0 };
    let mut judged = Judge::new(SCENARIO).judge_after(
        crate::engine::Context { idle: Some(idle), ..Default::default() },
        2,
        &Analysis::default(),
        records,
        CycleEnd::Completed,
    );
    // A raised leak's forecast, whose time-to-limit series exists only while it can be told.
    judged.forecast = Some(crate::analyze::Forecast::new(1024.0, 5e7, Some(50.0), Some(1e9)));
    metrics.cycle(&judged);
    metrics
}

fn kind(family: &MetricFamily) -> &'static str {
    match family.get_field_type() {
        MetricType::COUNTER => "counter",
        MetricType::GAUGE => "gauge",
        MetricType::HISTOGRAM => "histogram",
        MetricType::SUMMARY => "summary",
        MetricType::UNTYPED => "untyped",
    }
}

/// `scenario`, `phase` (`measure`, `warmup`): each label with the values its series take.
fn labels(family: &MetricFamily) -> String {
    let mut values: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for metric in family.get_metric() {
        for pair in metric.get_label() {
            let list = values.entry(pair.name()).or_default();
            if !list.contains(&pair.value()) {
                list.push(pair.value());
            }
        }
    }
    let shown: Vec<String> = values
        .iter()
        .map(|(name, vals)| match *name {
            "scenario" => "`scenario`".to_owned(),
            "version" => "`version` (the build's)".to_owned(),
            "revision" => "`revision` (the git revision built from, `unknown` when not known)".to_owned(),
            "resource" => "`resource` (`open_fds`, `sockets`, `threads`, `tasks`, or a name of \
                           `memory.resource_metrics`)"
                .to_owned(),
            _ => format!("`{name}` ({})", vals.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")),
        })
        .collect();
    if shown.is_empty() { "—".to_owned() } else { shown.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_md_matches_the_code() {
        crate::testing::assert_generated("docs/metrics.md", &metrics_markdown(), "metrics_md_matches_the_code");
    }

    #[test]
    fn every_family_is_listed_with_its_labels() {
        let page = metrics_markdown();
        for name in ["leaksoak_leak_detected", "leaksoak_request_errors_total", "process_resident_memory_bytes"] {
            assert!(page.contains(&format!("| `{name}` |")), "{name} missing:\n{page}");
        }
        assert!(page.contains("`rule` (`drowning`, `error_spike`, `growth`, `slope`, `tail`, `trend`)"), "{page}");
    }
}
