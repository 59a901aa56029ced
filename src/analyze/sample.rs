//! What the analysis reads: one memory value per measured batch, with that batch's request and error
//! counts (docs/analysis.md).

use serde::{Deserialize, Serialize};

/// The two phases of a cycle. Only [`Phase::Measure`] batches are analysed; warmup batches are measured
/// and exported but let caches settle first, as in the pytest suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Batches that let caches and pools fill before anything is judged.
    Warmup,
    /// Batches whose samples the analysis judges.
    Measure,
}

impl Phase {
    /// Every phase, in cycle order: the metric label values.
    pub const ALL: [Phase; 2] = [Phase::Warmup, Phase::Measure];

    /// The label value (`warmup` / `measure`), also the spelling in recorded sample files.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Warmup => "warmup",
            Phase::Measure => "measure",
        }
    }
}

/// One measured batch: the memory of the soaked target after it, and what the batch sent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Memory after the batch, in bytes (median of several reads). A float because sources such as
    /// PromQL return floats and every statistic below works in floats anyway.
    pub memory_bytes: f64,
    /// Requests sent in the batch: their running sum is the x axis of the slope fit (bytes per request).
    pub requests: u64,
    /// Failed requests in the batch: the error-spike rule looks only at batches with errors.
    pub errors: u64,
}

impl Sample {
    /// A sample from its three figures.
    pub fn new(memory_bytes: f64, requests: u64, errors: u64) -> Self {
        Self { memory_bytes, requests, errors }
    }
}
