//! The resource families (docs/metrics.md): per scenario and resource the count after the latest batch,
//! the slope of the last judged cycle and the resource leak gauge, kept apart from the memory gauge so
//! that dashboards and alerts on `leaksoak_leak_detected` keep their meaning; and the memory breakdown.

use super::family::gauge;
use crate::engine::{BatchRecord, Judged};
use prometheus::{GaugeVec, Registry};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// The `kind` label values of `leaksoak_batch_memory_breakdown_bytes`.
pub const BREAKDOWN_KINDS: [&str; 3] = ["anon", "file", "shmem"];

/// The resource families, registered in the daemon's registry.
#[derive(Clone)]
pub struct ResourceMetrics {
    /// `leaksoak_batch_resources{scenario, phase, resource}`: the count after the latest batch.
    batch: GaugeVec,
    /// `leaksoak_batch_memory_breakdown_bytes{scenario, phase, kind}`: anonymous, file-backed, shared.
    breakdown: GaugeVec,
    /// `leaksoak_cycle_resource_slope_per_request{scenario, resource}`: the last judged cycle's slope.
    slope: GaugeVec,
    /// `leaksoak_resource_leak_detected{scenario, resource}`: the resource leak gauge.
    leak: GaugeVec,
    /// The resources each scenario has series of, so that a removed scenario's series can be dropped.
    seen: Arc<Mutex<BTreeMap<String, BTreeSet<String>>>>,
}

impl ResourceMetrics {
    pub fn new(r: &Registry) -> Self {
        Self {
            batch: gauge(
                r,
                "batch_resources",
                "Resource count after the latest batch (open fds, sockets, threads, tasks)",
                &["scenario", "phase", "resource"],
            ),
            breakdown: gauge(
                r,
                "batch_memory_breakdown_bytes",
                "Memory after the latest batch by kind: anonymous, file-backed, shared",
                &["scenario", "phase", "kind"],
            ),
            slope: gauge(
                r,
                "cycle_resource_slope_per_request",
                "Theil-Sen slope of a resource count per request in the last judged cycle",
                &["scenario", "resource"],
            ),
            leak: gauge(
                r,
                "resource_leak_detected",
                "The resource leak gauge: 1 when a leak of this resource is confirmed",
                &["scenario", "resource"],
            ),
            seen: Arc::default(),
        }
    }

    /// After a batch: its counts and breakdown.
    pub fn batch(&self, s: &str, r: &BatchRecord) {
        let phase = r.phase.as_str();
        for (resource, n) in &r.resources {
            self.batch.with_label_values(&[s, phase, resource]).set(*n as f64);
        }
        if let Some(b) = r.memory_breakdown {
            for (kind, bytes) in BREAKDOWN_KINDS.into_iter().zip([b.anon_bytes, b.file_bytes, b.shmem_bytes]) {
                self.breakdown.with_label_values(&[s, phase, kind]).set(bytes as f64);
            }
        }
        self.note(s, r.resources.keys());
    }

    /// After a cycle: each judged resource's slope, and every gauge.
    pub fn cycle(&self, j: &Judged) {
        let s = j.scenario.as_str();
        for c in &j.resources {
            self.slope.with_label_values(&[s, &c.resource]).set(c.slope_per_request);
        }
        for (resource, raised) in &j.resources_raised {
            self.leak.with_label_values(&[s, resource]).set(f64::from(*raised));
        }
        self.note(s, j.resources_raised.keys());
    }

    /// Drops every series of a scenario no longer configured.
    pub fn remove(&self, s: &str) {
        let resources = self.seen.lock().unwrap_or_else(|e| e.into_inner()).remove(s).unwrap_or_default();
        for resource in &resources {
            for phase in crate::analyze::Phase::ALL {
                let _ = self.batch.remove_label_values(&[s, phase.as_str(), resource]);
            }
            let _ = self.slope.remove_label_values(&[s, resource]);
            let _ = self.leak.remove_label_values(&[s, resource]);
        }
        for phase in crate::analyze::Phase::ALL {
            for kind in BREAKDOWN_KINDS {
                let _ = self.breakdown.remove_label_values(&[s, phase.as_str(), kind]);
            }
        }
    }

    fn note<'a>(&self, s: &str, resources: impl Iterator<Item = &'a String>) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.entry(s.to_owned()).or_default().extend(resources.cloned());
    }
}
