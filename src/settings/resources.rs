//! `memory.resources` and `memory.resource_metrics`: the series read beside memory at every sample (open
//! file descriptors, sockets, threads, cgroup tasks, the memory breakdown, a scraped page's extra metrics).

use super::metric_selector::MetricSelector;
use super::problems::Problems;
use std::collections::BTreeMap;

/// Read the extra series with every sample: they cost well under a millisecond for a usual process
/// (README, "Resources"), and a socket or thread leak shows in them long before it shows in memory.
pub const RESOURCES: bool = true;
/// The extra metric `scrape` reads by default: every Prometheus client library's count of open file
/// descriptors. A page without it just has no `open_fds` series (logged once).
pub const RESOURCE_METRICS: &[(&str, &str)] = &[("open_fds", "process_open_fds")];
/// The most extra metrics: each is a series per scenario on `/metrics`, judged every cycle.
pub const MAX_RESOURCE_METRICS: usize = 16;

/// The validated resource settings of `[memory]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// Whether the extra series are read at all (`memory.resources`).
    pub enabled: bool,
    /// `scrape`: resource name → the metric on the scraped page that counts it.
    pub scrape_metrics: Vec<(String, MetricSelector)>,
}

impl Default for Resources {
    fn default() -> Self {
        let mut p = Problems::default();
        validate(RESOURCES, &default_metrics(), &mut p)
    }
}

impl Resources {
    /// Nothing read beside memory.
    pub fn off() -> Self {
        Self { enabled: false, scrape_metrics: Vec::new() }
    }
}

/// The default `memory.resource_metrics` table.
pub fn default_metrics() -> BTreeMap<String, String> {
    RESOURCE_METRICS.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// Checks the keys: a resource name is a label value, `[a-z_][a-z0-9_]*`, and each value a metric selector.
pub fn validate(enabled: bool, metrics: &BTreeMap<String, String>, p: &mut Problems) -> Resources {
    let key = "memory.resource_metrics";
    if metrics.len() > MAX_RESOURCE_METRICS {
        p.push(key, format!("at most {MAX_RESOURCE_METRICS} metrics, got {}", metrics.len()));
    }
    let mut scrape_metrics = Vec::new();
    for (name, metric) in metrics {
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            p.push(format!("{key}.{name}"), "a resource name is [a-z_][a-z0-9_]* (it becomes a label value)");
            continue;
        }
        match MetricSelector::parse(metric) {
            Ok(selector) => scrape_metrics.push((name.clone(), selector)),
            Err(e) => p.push(format!("{key}.{name}"), e),
        }
    }
    Resources { enabled, scrape_metrics }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_metrics_are_checked() {
        let d = Resources::default();
        assert!(d.enabled);
        assert_eq!(d.scrape_metrics[0].0, "open_fds");
        assert_eq!(d.scrape_metrics[0].1.name, "process_open_fds");
        let mut p = Problems::default();
        let bad: BTreeMap<String, String> =
            [("Open-FDs".into(), "x".into()), ("conns".into(), "1bad".into())].into_iter().collect();
        let r = validate(true, &bad, &mut p);
        assert!(r.scrape_metrics.is_empty());
        let text = p.finish(()).expect_err("two problems").to_string();
        assert!(text.contains("memory.resource_metrics.Open-FDs"), "{text}");
        assert!(text.contains("memory.resource_metrics.conns"), "{text}");
    }
}
