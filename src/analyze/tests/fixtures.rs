//! Test fixtures: small builders that make tests read like the pytest suite's examples, and a seeded noise source.

use crate::analyze::Sample;

/// One MiB in bytes: the pytest suite's "MB".
pub const MIB: f64 = 1_048_576.0;
/// Requests per batch in the default cycle (as in the pytest suite).
pub const BATCH: u64 = 100;

/// Memory values given in MiB, in bytes.
pub fn mib_series(mib: &[f64]) -> Vec<f64> {
    mib.iter().map(|m| m * MIB).collect()
}

/// Measured batches of 100 requests without errors, memory given in MiB.
pub fn batches(mib: &[f64]) -> Vec<Sample> {
    mib.iter().map(|m| Sample::new(m * MIB, BATCH, 0)).collect()
}

/// Ten batches whose rolling averages (w = 5) start at `initial` and end at `final_` MiB exactly: memory
/// sits at one level for five batches, then at another. One step, not a ramp: only the growth rule can
/// see it (tail needs rises, the slope test needs more than one step to be significant).
pub fn plateau(initial: f64, final_: f64) -> Vec<Sample> {
    // With levels a, b: initial = (9a + b)/10 and final = (a + 9b)/10.
    let (mid, half) = ((initial + final_) / 2.0, 0.625 * (final_ - initial));
    let mut levels = vec![mid - half; 5];
    levels.extend([mid + half; 5]);
    batches(&levels)
}

/// Sets the error count of 1-based batch `batch`.
pub fn with_errors(mut samples: Vec<Sample>, batch: usize, errors: u64) -> Vec<Sample> {
    samples[batch - 1].errors = errors;
    samples
}

/// Gaussian-ish noise with mean 0 and standard deviation 1: the sum of twelve uniforms minus 6 (bounded at
/// ±6). Tests seed the generator (`fastrand::Rng::with_seed`), so every run draws the same noise.
pub fn gaussian(rng: &mut fastrand::Rng) -> f64 {
    (0..12).map(|_| rng.f64()).sum::<f64>() - 6.0
}

/// `batches` measured batches of `BATCH` requests on a `base`-byte process leaking `leak_per_request`
/// bytes, `requests_before` requests into the soak, with Gaussian-ish noise of standard deviation `sigma`
/// (bounded at ±6σ).
pub fn leaking_cycle(
    rng: &mut fastrand::Rng,
    base: f64,
    leak_per_request: f64,
    sigma: f64,
    batches: usize,
    requests_before: u64,
) -> Vec<Sample> {
    (1..=batches as u64)
        .map(|b| {
            let requests = requests_before + b * BATCH;
            let memory = base + leak_per_request * requests as f64 + sigma * gaussian(rng);
            Sample::new(memory, BATCH, 0)
        })
        .collect()
}
