//! One cycle's analysis: the pure function from measured samples and settings to figures, findings and a
//! verdict (docs/analysis.md).

use super::finding::Finding;
use super::rolling::{Endpoints, endpoints, rolling_average};
use super::rules::{self, Fit};
use super::sample::Sample;
use super::spike::{self, Spike};
use super::stats::{self, Line};
use super::units::mib;
use super::verdict::Verdict;
use crate::settings::Analysis;

/// Everything one cycle concluded: the exported figures, the rules that fired and the verdict. Every
/// number is finite (0 when it cannot be computed).
#[derive(Debug, Clone, PartialEq)]
pub struct CycleAnalysis {
    /// The raw verdict of this cycle: `leaksoak_cycle_verdict`.
    pub verdict: Verdict,
    /// Measured batches analysed: the report's "in N batches" and the insufficient message.
    pub batches: usize,
    /// Mean of the first rolling averages, bytes: `leaksoak_cycle_initial_memory_bytes`.
    pub initial_avg: f64,
    /// Mean of the last rolling averages, bytes: `leaksoak_cycle_final_memory_bytes`, and the trend input.
    pub final_avg: f64,
    /// `final_avg − initial_avg`, bytes: `leaksoak_cycle_growth_bytes`.
    pub growth_bytes: f64,
    /// `growth_bytes / initial_avg` (0.37 = 37 %): `leaksoak_cycle_growth_ratio`.
    pub growth_ratio: f64,
    /// Sample stdev of the residuals around the Theil–Sen line over mean memory (0.05 = 5 %): a steady
    /// leak counts as trend, not noise. `leaksoak_cycle_noise_cv_ratio`.
    pub noise_cv: f64,
    /// Theil–Sen slope of memory against cumulative requests: `leaksoak_cycle_slope_bytes_per_request`.
    pub slope_bytes_per_request: f64,
    /// One-sided Mann–Kendall p-value of that increase (1 when it cannot be computed).
    pub slope_p_value: f64,
    /// The fitted slope times the requests between the first and last sample, bytes.
    pub slope_growth_bytes: f64,
    /// Failed requests in the measured batches: `leaksoak_cycle_errors`.
    pub errors: u64,
    /// Requests sent in the measured batches.
    pub requests: u64,
    /// Error spikes that did not recover: the report's error-induced block lists them.
    pub spikes: Vec<Spike>,
    /// Every rule that fired, the error spike first, with the pytest suite-style message.
    pub findings: Vec<Finding>,
    /// One line saying what the verdict means (`Memory stabilized — no leak detected`, why noisy, …).
    pub summary: String,
    /// What the judgement across cycles concluded beyond the findings, for the report: a rise dismissed as
    /// bounded growth, a streak broken by a changed rate, a warm-up that never settled.
    pub notes: Vec<String>,
}

/// The summary line of a stable cycle, as the pytest suite prints it.
pub const STABLE_SUMMARY: &str = "Memory stabilized — no leak detected";

/// Analyses the measured batches of one cycle (warmup batches excluded). Pure: same samples and settings,
/// same result.
pub fn cycle(samples: &[Sample], settings: &Analysis) -> CycleAnalysis {
    let needed = 2 * settings.rolling_window;
    if samples.len() < needed || samples.iter().any(|s| !s.memory_bytes.is_finite()) {
        return CycleAnalysis::insufficient(samples, needed);
    }
    let memory: Vec<f64> = samples.iter().map(|s| s.memory_bytes).collect();
    let x = cumulative_requests(samples);
    let ends = endpoints(&rolling_average(&memory, settings.rolling_window), settings.rolling_window);
    let line = stats::theil_sen(&x, &memory);
    let fit = Fit {
        slope: finite(line.slope),
        p_value: stats::mann_kendall(&x, &memory),
        growth_bytes: finite(line.slope * (x[x.len() - 1] - x[0])),
    };
    let noise_cv = finite(noise_cv(&x, &memory, line));
    let spikes = spike::find(samples, settings);
    let findings: Vec<Finding> = [
        spike::rule(&spikes),
        rules::growth(&ends, settings),
        rules::tail(&memory, settings),
        rules::slope(&fit, settings),
    ]
    .into_iter()
    .flatten()
    .collect();
    let verdict = decide(!findings.is_empty(), noise_cv, fit.p_value, settings);
    let summary = summary(verdict, &findings, noise_cv, settings);
    CycleAnalysis { findings, spikes, summary, ..CycleAnalysis::judged(samples, verdict, ends, fit, noise_cv) }
}

/// x[i] = requests of batches 0..=i.
pub(super) fn cumulative_requests(samples: &[Sample]) -> Vec<f64> {
    samples
        .iter()
        .scan(0u64, |total, s| {
            *total = total.saturating_add(s.requests);
            Some(*total as f64)
        })
        .collect()
}

/// Stdev (n − 1) of the residuals around the line, over the mean; 0 when the mean is not positive.
fn noise_cv(x: &[f64], memory: &[f64], line: Line) -> f64 {
    let residuals: Vec<f64> = x.iter().zip(memory).map(|(x, m)| m - line.at(*x)).collect();
    let mean = stats::mean(memory);
    if mean > 0.0 { stats::stdev(&residuals) / mean } else { 0.0 }
}

/// Findings make a leak, except above the noise threshold where they must also be significant (the
/// Mann–Kendall p below `trend_alpha`).
fn decide(fired: bool, noise_cv: f64, p_value: f64, settings: &Analysis) -> Verdict {
    let noisy = noise_cv * 100.0 > settings.max_noise_cv_percent;
    match (fired, noisy) {
        (false, false) => Verdict::Stable,
        (false, true) => Verdict::Noisy,
        (true, false) => Verdict::Leak,
        (true, true) if p_value < settings.trend_alpha => Verdict::Leak,
        (true, true) => Verdict::Noisy,
    }
}

fn summary(verdict: Verdict, findings: &[Finding], noise_cv: f64, settings: &Analysis) -> String {
    let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    match verdict {
        Verdict::Leak => format!("Possible memory leak (rules: {})", rules.join(", ")),
        Verdict::Noisy => format!(
            "Measurements too noisy to judge: CV {:.1}% (>{}% threshold){}",
            noise_cv * 100.0,
            settings.max_noise_cv_percent,
            if rules.is_empty() { String::new() } else { format!("; not significant: {}", rules.join(", ")) }
        ),
        _ => STABLE_SUMMARY.to_string(),
    }
}

impl CycleAnalysis {
    fn judged(samples: &[Sample], verdict: Verdict, ends: Endpoints, fit: Fit, noise_cv: f64) -> Self {
        Self {
            verdict,
            initial_avg: finite(ends.initial_avg),
            final_avg: finite(ends.final_avg),
            growth_bytes: finite(ends.growth_bytes),
            growth_ratio: finite(ends.growth_ratio),
            noise_cv: finite(noise_cv),
            slope_bytes_per_request: finite(fit.slope),
            slope_p_value: if fit.p_value.is_finite() { fit.p_value } else { 1.0 },
            slope_growth_bytes: finite(fit.growth_bytes),
            ..Self::empty(samples, verdict, String::new())
        }
    }

    /// Fewer than two rolling windows of samples, or a sample that is not a finite number.
    fn insufficient(samples: &[Sample], needed: usize) -> Self {
        let summary = format!(
            "Not enough samples to judge: {} measured batch(es), at least {needed} needed (2 × rolling window)",
            samples.len()
        );
        Self::empty(samples, Verdict::Insufficient, summary)
    }

    /// A cycle whose requests mostly failed while the target drowned in its memory ([`super::drowning`]):
    /// verdict `leak` with the drowning finding alone, and the measured batches' figures, so the growth it
    /// went through is exported rather than 0.
    pub fn drowned(samples: &[Sample], finding: Finding, settings: &Analysis) -> Self {
        let figures = cycle(samples, settings);
        let summary = format!("Possible memory leak (rules: {})", finding.rule);
        Self {
            verdict: Verdict::Leak,
            findings: vec![finding],
            spikes: Vec::new(),
            summary,
            notes: Vec::new(),
            ..figures
        }
    }

    /// A discarded cycle (most requests failed, a failed memory read, a target restart): verdict `error`,
    /// no rule evaluated, counts kept. Its initial and final averages (and the growth between them) are
    /// the memory it did measure: the mean of its first and of its last two readable samples (one each
    /// below six), with no rolling window, since a cycle cut short may have fewer samples than one.
    pub fn error(samples: &[Sample], reason: &str) -> Self {
        let readable: Vec<f64> = samples.iter().map(|s| s.memory_bytes).filter(|m| m.is_finite()).collect();
        let ends = endpoints(&readable, 1);
        Self {
            initial_avg: finite(ends.initial_avg),
            final_avg: finite(ends.final_avg),
            growth_bytes: finite(ends.growth_bytes),
            growth_ratio: finite(ends.growth_ratio),
            ..Self::empty(samples, Verdict::Error, format!("Cycle discarded: {reason}"))
        }
    }

    fn empty(samples: &[Sample], verdict: Verdict, summary: String) -> Self {
        Self {
            verdict,
            batches: samples.len(),
            initial_avg: 0.0,
            final_avg: 0.0,
            growth_bytes: 0.0,
            growth_ratio: 0.0,
            noise_cv: 0.0,
            slope_bytes_per_request: 0.0,
            slope_p_value: 1.0,
            slope_growth_bytes: 0.0,
            errors: samples.iter().fold(0u64, |n, s| n.saturating_add(s.errors)),
            requests: samples.iter().fold(0u64, |n, s| n.saturating_add(s.requests)),
            spikes: Vec::new(),
            findings: Vec::new(),
            summary,
            notes: Vec::new(),
        }
    }

    /// The finding of `rule`, if it fired.
    pub fn finding(&self, rule: super::Rule) -> Option<&Finding> {
        self.findings.iter().find(|f| f.rule == rule)
    }

    /// The growth line of the report: `0.22 MiB (1.4%)`.
    pub fn growth_text(&self) -> String {
        format!("{:.2} MiB ({:.1}%)", mib(self.growth_bytes), self.growth_ratio * 100.0)
    }
}

/// 0 for a value that overflowed or could not be computed: exported gauges never see NaN or infinity.
fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}
