//! The pytest suite's error-induced leak rule (docs/analysis.md#the-pytest-rules), checked first: memory jumps in a batch with errors and
//! does not come back down.

use super::finding::{Finding, Over, Progress, Rule};
use super::sample::Sample;
use super::stats::mean;
use super::units::mib;
use crate::settings::Analysis;

/// One batch whose memory jumped while it had errors. Batches are numbered from 1 among the measured
/// batches, as the pytest suite prints them ("Batch 5").
#[derive(Debug, Clone, PartialEq)]
pub struct Spike {
    /// 1-based number of the spiking batch among the measured batches.
    pub batch: usize,
    /// Memory after the previous batch, in bytes.
    pub before: f64,
    /// Memory after the spiking batch, in bytes.
    pub after: f64,
    /// Failed requests in the spiking batch: what ties the jump to error handling.
    pub errors: u64,
    /// Mean of the batches after the spike that stayed up ("stabilized at"); None when too few followed.
    pub stabilized_at: Option<f64>,
    /// How many batches followed the spike (capped at the number needed).
    pub batches_after: usize,
    /// How many batches must follow and stay up to confirm it (`error_spike_min_stable_batches`).
    pub needed_after: usize,
}

impl Spike {
    /// Whether enough batches followed and stayed within tolerance.
    pub fn is_confirmed(&self) -> bool {
        self.stabilized_at.is_some()
    }

    /// The jump in percent of the previous batch.
    pub fn percent(&self) -> f64 {
        if self.before > 0.0 { (self.after - self.before) / self.before * 100.0 } else { 0.0 }
    }

    /// `Batch 5: 15.23 MiB → 23.45 MiB (+54.0%) with 12 error(s) → stabilized at 23.50 MiB`.
    pub fn line(&self) -> String {
        let head = format!(
            "Batch {}: {:.2} MiB → {:.2} MiB (+{:.1}%) with {} error(s)",
            self.batch,
            mib(self.before),
            mib(self.after),
            self.percent(),
            self.errors
        );
        match self.stabilized_at {
            Some(level) => format!("{head} → stabilized at {:.2} MiB", mib(level)),
            None => format!("{head} → unconfirmed ({} of {} batches after it)", self.batches_after, self.needed_after),
        }
    }
}

/// Every error spike of the measured batches that did not (yet) recover.
pub fn find(samples: &[Sample], settings: &Analysis) -> Vec<Spike> {
    (1..samples.len()).filter_map(|i| spike_at(samples, i, settings)).collect()
}

fn spike_at(samples: &[Sample], i: usize, settings: &Analysis) -> Option<Spike> {
    let (before, at) = (samples[i - 1].memory_bytes, samples[i]);
    let jumped = before > 0.0 && at.memory_bytes >= before * (1.0 + settings.error_spike_percent / 100.0);
    if at.errors == 0 || !jumped {
        return None;
    }
    let needed = settings.error_spike_min_stable_batches;
    let after: Vec<f64> = samples[i + 1..].iter().take(needed).map(|s| s.memory_bytes).collect();
    let tolerance = at.memory_bytes * settings.error_spike_tolerance_percent / 100.0;
    if after.iter().any(|m| (m - at.memory_bytes).abs() > tolerance) {
        return None; // it came back down (or moved on): recovered
    }
    Some(Spike {
        batch: i + 1,
        before,
        after: at.memory_bytes,
        errors: at.errors,
        stabilized_at: (after.len() == needed).then(|| mean(&after)),
        batches_after: after.len(),
        needed_after: needed,
    })
}

/// The `error_spike` finding for these spikes: confirmed when any spike is; an unconfirmed one carries how
/// many batches followed the latest spike.
pub fn rule(spikes: &[Spike]) -> Option<Finding> {
    let last = spikes.last()?;
    let batches: Vec<String> = spikes.iter().map(|s| s.batch.to_string()).collect();
    let message = format!(
        "Memory spiked in batch(es) {} with errors and did not fully recover — error-induced leak",
        batches.join(", ")
    );
    let mut finding = Finding::new(Rule::ErrorSpike, message);
    if !spikes.iter().any(Spike::is_confirmed) {
        finding.confirmed = false;
        finding.progress =
            Some(Progress { seen: count(last.batches_after), needed: count(last.needed_after), over: Over::Batches });
    }
    Some(finding)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
