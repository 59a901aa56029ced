//! The pytest suite README's three example outputs, and the verdicts around them, as tests.

use super::fixtures::{MIB, batches, plateau, with_errors};
use crate::analyze::{Rule, Verdict, cycle, render};
use crate::settings::Analysis;

#[test]
fn good_no_leak() {
    // Initial avg: 15.23 MB, Final avg: 15.45 MB, Growth: 0.22 MB (1.4%) → Memory stabilized.
    let samples = plateau(15.23, 15.45);
    let a = cycle(&samples, &Analysis::default());
    assert_eq!(a.verdict, Verdict::Stable, "{a:#?}");
    assert!(a.findings.is_empty());
    let report = render("sync-plain", &a, &samples);
    for line in [
        "Initial avg: 15.23 MiB",
        "Final avg:   15.45 MiB",
        "Growth:      0.22 MiB (1.4%)",
        "Memory stabilized — no leak detected",
    ] {
        assert!(report.contains(line), "missing {line:?} in\n{report}");
    }
}

#[test]
fn bad_leak_detected() {
    // Initial avg: 15.23 MB, Final avg: 20.87 MB, Growth: 5.64 MB (37.0%).
    let samples = plateau(15.23, 20.87);
    let a = cycle(&samples, &Analysis::default());
    assert_eq!(a.verdict, Verdict::Leak);
    let rules: Vec<Rule> = a.findings.iter().map(|f| f.rule).collect();
    // A one-step jump of 7 MiB is also a significant slope; the pytest suite's growth message comes first.
    assert_eq!(rules, vec![Rule::Growth, Rule::Slope]);
    assert_eq!(a.findings[0].message, "Memory grew by 37.0% (>25% threshold) — possible leak");
    let report = render("sync-plain", &a, &samples);
    for line in ["Initial avg: 15.23 MiB", "Final avg:   20.87 MiB", "Growth:      5.64 MiB (37.0%)"] {
        assert!(report.contains(line), "missing {line:?} in\n{report}");
    }
}

#[test]
fn error_induced_leak() {
    // Batch 5: 15.23 MB → 23.45 MB (+54.0%) with 12 error(s) → stabilized at 23.50 MB.
    let levels = [15.23, 15.23, 15.23, 15.23, 23.45, 23.48, 23.52, 23.50, 23.50, 23.50];
    let samples = with_errors(batches(&levels), 5, 12);
    let a = cycle(&samples, &Analysis::default());
    assert_eq!(a.verdict, Verdict::Leak);
    assert_eq!(a.findings[0].rule, Rule::ErrorSpike, "the error spike is checked (and listed) first");
    assert!(a.findings[0].confirmed);
    assert_eq!(a.spikes.len(), 1);
    assert_eq!(
        a.spikes[0].line(),
        "Batch 5: 15.23 MiB → 23.45 MiB (+54.0%) with 12 error(s) → stabilized at 23.50 MiB"
    );
    let report = render("async-streaming", &a, &samples);
    let block = "ERROR-INDUCED MEMORY LEAK DETECTED\n\n\
        Memory spikes occurred in batch(es) with errors and did not fully recover:\n  \
        • Batch 5: 15.23 MiB → 23.45 MiB (+54.0%) with 12 error(s) → stabilized at 23.50 MiB\n\n\
        This indicates that error handling is not properly releasing resources.\n";
    assert!(report.contains(block), "missing the error-induced block in\n{report}");
}

#[test]
fn spike_that_recovers_is_not_a_leak() {
    let levels = [15.23, 15.23, 15.23, 15.23, 23.45, 15.30, 15.25, 15.23, 15.23, 15.23];
    let a = cycle(&with_errors(batches(&levels), 5, 12), &Analysis::default());
    assert!(a.finding(Rule::ErrorSpike).is_none(), "{a:#?}");
}

#[test]
fn spike_without_errors_is_not_error_induced() {
    let levels = [15.23, 15.23, 15.23, 15.23, 23.45, 23.48, 23.52, 23.50, 23.50, 23.50];
    let a = cycle(&batches(&levels), &Analysis::default());
    assert!(a.finding(Rule::ErrorSpike).is_none());
}

#[test]
fn spike_in_the_last_batch_is_reported_unconfirmed() {
    let mut levels = [15.23; 10];
    levels[9] = 23.45;
    let samples = with_errors(batches(&levels), 10, 3);
    let a = cycle(&samples, &Analysis::default());
    assert_eq!(a.verdict, Verdict::Leak, "a spike at the end is still a leak for `once`");
    let f = a.finding(Rule::ErrorSpike).expect("error_spike fired");
    assert!(!f.confirmed);
    assert_eq!(f.status().as_deref(), Some("unconfirmed (0 of 2 batches after the spike)"));
    assert!(a.spikes[0].line().ends_with("→ unconfirmed (0 of 2 batches after it)"), "{}", a.spikes[0].line());
    let report = render("async-streaming", &a, &samples);
    assert!(report.contains("ERROR-INDUCED MEMORY LEAK DETECTED [unconfirmed (0 of 2 batches after the spike)]"));
}

#[test]
fn fewer_than_two_windows_is_insufficient() {
    let samples = batches(&[15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0]);
    let a = cycle(&samples, &Analysis::default());
    assert_eq!(a.verdict, Verdict::Insufficient);
    assert!(a.findings.is_empty());
    assert_eq!((a.initial_avg, a.growth_ratio, a.slope_p_value), (0.0, 0.0, 1.0));
    assert_eq!(a.requests, 900);
    assert!(render("s", &a, &samples).contains("at least 10 needed"));
}

#[test]
fn steady_small_leak_fires_the_slope_rule_only() {
    // 1 KiB per request on a 50 MiB process: 2 % growth, far below the growth threshold.
    let levels: Vec<f64> = (1..=10).map(|b| 50.0 + f64::from(b) * 100.0 * 1024.0 / MIB).collect();
    let a = cycle(&batches(&levels), &Analysis::default());
    assert_eq!(a.verdict, Verdict::Leak);
    assert!(a.finding(Rule::Slope).is_some(), "{a:#?}");
    assert!(a.finding(Rule::Growth).is_none());
    assert!((a.slope_bytes_per_request - 1024.0).abs() < 1e-6);
    assert!(a.noise_cv < 1e-9, "a steady leak is trend, not noise");
}

#[test]
fn noisy_cycle_without_significant_rules() {
    let levels = [10.0, 30.0, 8.0, 25.0, 12.0, 35.0, 9.0, 28.0, 11.0, 31.0];
    let a = cycle(&batches(&levels), &Analysis::default());
    assert!(a.noise_cv > 0.40, "cv {}", a.noise_cv);
    assert_eq!(a.verdict, Verdict::Noisy, "{a:#?}");
}

#[test]
fn noise_guard_yields_to_a_significant_rule() {
    // A strong leak with wild noise: the detrended CV is high, but the trend is significant.
    let levels = [10.0, 11.0, 12.0, 13.0, 14.0, 60.0, 61.0, 62.0, 63.0, 200.0];
    let a = cycle(&batches(&levels), &Analysis::default());
    assert!(a.noise_cv > 0.40, "cv {}", a.noise_cv);
    assert!(a.slope_p_value < 0.01);
    assert_eq!(a.verdict, Verdict::Leak, "{a:#?}");
}

#[test]
fn noise_guard_holds_when_a_rule_fires_without_significance() {
    // The last five rise (tail fires) but the series as a whole has no significant trend.
    let levels = [40.0, 5.0, 38.0, 4.0, 36.0, 3.0, 10.0, 20.0, 30.0, 45.0];
    let a = cycle(&batches(&levels), &Analysis::default());
    assert!(a.finding(Rule::Tail).is_some(), "{a:#?}");
    assert!(a.noise_cv > 0.40 && a.slope_p_value >= 0.01, "cv {} p {}", a.noise_cv, a.slope_p_value);
    assert_eq!(a.verdict, Verdict::Noisy);
}

#[test]
fn zero_memory_and_empty_input_stay_finite() {
    let a = cycle(&batches(&[0.0; 10]), &Analysis::default());
    assert_eq!(a.verdict, Verdict::Stable);
    assert_eq!((a.growth_ratio, a.noise_cv), (0.0, 0.0));
    assert_eq!(cycle(&[], &Analysis::default()).verdict, Verdict::Insufficient);
}
