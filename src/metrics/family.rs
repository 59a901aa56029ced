//! Defining a metric family of the daemon's registry: the `leaksoak_` namespace, constant definitions that
//! cannot fail, each family registered once.

use prometheus::core::Collector;
use prometheus::{GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

/// Latency buckets in seconds, from a fast proxy hop to a slow LLM completion.
pub const LATENCY_BUCKETS: &[f64] =
    &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

/// A gauge family `leaksoak_<name>`.
pub fn gauge(r: &Registry, name: &str, help: &str, labels: &[&str]) -> GaugeVec {
    register(r, GaugeVec::new(Opts::new(name, help).namespace("leaksoak"), labels))
}

/// A counter family `leaksoak_<name>`.
pub fn counter(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(r, IntCounterVec::new(Opts::new(name, help).namespace("leaksoak"), labels))
}

/// A latency histogram family `leaksoak_<name>` by scenario, in [`LATENCY_BUCKETS`].
pub fn histogram(r: &Registry, name: &str, help: &str) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).namespace("leaksoak").buckets(LATENCY_BUCKETS.to_vec());
    register(r, HistogramVec::new(opts, &["scenario"]))
}

/// Registers `c` once; the definitions are constant, so failing here is a bug.
pub fn register<C: Collector + Clone + 'static>(r: &Registry, c: prometheus::Result<C>) -> C {
    let c = c.expect("metric definitions are constant and valid");
    r.register(Box::new(c.clone())).expect("each metric is registered once");
    c
}
