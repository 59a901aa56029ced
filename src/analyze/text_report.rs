//! The text report of one cycle (docs/analysis.md#the-report): the pytest suite's "Memory Growth Analysis" block in MiB, the noise
//! and slope figures, the verdict, each finding's message, and the last ten samples.

use super::cycle::CycleAnalysis;
use super::finding::{Finding, Rule};
use super::sample::Sample;
use super::units::mib;
use std::fmt::Write;

/// How many of the last samples the report lists.
const LAST_SAMPLES: usize = 10;

/// The report of one cycle of `scenario`. `samples` are the cycle's measured batches; their last ten are
/// listed, numbered from 1 among the measured batches as in the findings. To show the gauge's
/// confirmation ("unconfirmed (1 of 2 cycles)"), pass an analysis whose `findings` are those returned by
/// [`crate::analyze::Gauge::observe`].
pub fn render(scenario: &str, a: &CycleAnalysis, samples: &[Sample]) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail: the results are ignored on purpose.
    let _ = writeln!(out, "Memory Growth Analysis: {scenario}");
    let _ = writeln!(out, "Initial avg: {:.2} MiB", mib(a.initial_avg));
    let _ = writeln!(out, "Final avg:   {:.2} MiB", mib(a.final_avg));
    let _ = writeln!(out, "Growth:      {}", a.growth_text());
    let _ = writeln!(out, "Noise CV:    {:.1}% (around the fitted trend)", a.noise_cv * 100.0);
    let _ = writeln!(out, "Slope:       {:.1} bytes/request (p = {:.4})", a.slope_bytes_per_request, a.slope_p_value);
    let _ = writeln!(out, "Requests:    {} in {} batch(es), {} error(s)", a.requests, a.batches, a.errors);
    let _ = writeln!(out, "Verdict:     {}", a.verdict);
    let _ = writeln!(out, "\n{}", a.summary);
    for finding in &a.findings {
        out.push('\n');
        out.push_str(&finding_text(a, finding));
    }
    for note in &a.notes {
        let _ = write!(out, "\nNote: {note}\n");
    }
    out.push_str(&last_samples(samples));
    out
}

fn finding_text(a: &CycleAnalysis, finding: &Finding) -> String {
    let status = finding.status().map(|s| format!(" [{s}]")).unwrap_or_default();
    if finding.rule != Rule::ErrorSpike {
        return format!("{}{status}\n", finding.message);
    }
    let mut block = format!("ERROR-INDUCED MEMORY LEAK DETECTED{status}\n\n");
    block.push_str("Memory spikes occurred in batch(es) with errors and did not fully recover:\n");
    for spike in &a.spikes {
        block.push_str(&format!("  • {}\n", spike.line()));
    }
    block.push_str("\nThis indicates that error handling is not properly releasing resources.\n");
    block
}

fn last_samples(samples: &[Sample]) -> String {
    let first = samples.len().saturating_sub(LAST_SAMPLES);
    let mut out = format!("\nLast {} sample(s):\n", samples.len() - first);
    for (i, s) in samples.iter().enumerate().skip(first) {
        let memory = match s.memory_bytes {
            m if m.is_finite() => format!("{:.2} MiB", mib(m)),
            _ => "unreadable".to_string(),
        };
        out.push_str(&format!("  Batch {:>2}: {memory} ({} requests, {} error(s))\n", i + 1, s.requests, s.errors));
    }
    out
}
