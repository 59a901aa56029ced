//! Property tests: invariants of the per-cycle analysis over generated series.

use crate::analyze::{Sample, Verdict, cycle};
use crate::settings::Analysis;
use proptest::prelude::*;

fn all_finite(a: &crate::analyze::CycleAnalysis) -> bool {
    [
        a.initial_avg,
        a.final_avg,
        a.growth_bytes,
        a.growth_ratio,
        a.noise_cv,
        a.slope_bytes_per_request,
        a.slope_p_value,
        a.slope_growth_bytes,
    ]
    .iter()
    .all(|v| v.is_finite())
}

proptest! {
    #[test]
    fn a_constant_series_never_leaks(
        memory in 0.0f64..1e12,
        requests in 0u64..10_000,
        len in 10usize..60,
    ) {
        let samples = vec![Sample::new(memory, requests, 0); len];
        let a = cycle(&samples, &Analysis::default());
        prop_assert_eq!(a.verdict, Verdict::Stable);
        prop_assert!(a.findings.is_empty());
        prop_assert_eq!(a.growth_bytes, 0.0);
        prop_assert_eq!(a.noise_cv, 0.0);
    }

    /// Rising by more than the tail tolerance every batch is a leak whatever the level, size and step.
    #[test]
    fn a_strictly_growing_series_always_leaks(
        base in 1e6f64..1e11,
        step in 60_000.0f64..1e8,
        requests in 1u64..10_000,
        len in 10usize..60,
    ) {
        let samples: Vec<Sample> =
            (0..len).map(|i| Sample::new(base + step * i as f64, requests, 0)).collect();
        let a = cycle(&samples, &Analysis::default());
        prop_assert_eq!(a.verdict, Verdict::Leak, "{:?}", a.findings);
        prop_assert!(a.slope_bytes_per_request > 0.0);
    }

    #[test]
    fn outputs_are_always_finite(
        batches in proptest::collection::vec(
            (prop_oneof![Just(0.0), 0.0f64..1e13, Just(f64::NAN), Just(f64::INFINITY), Just(1e300)],
             0u64..1_000_000, 0u64..1_000),
            0..40,
        ),
    ) {
        let samples: Vec<Sample> = batches.iter().map(|&(m, r, e)| Sample::new(m, r, e)).collect();
        let a = cycle(&samples, &Analysis::default());
        prop_assert!(all_finite(&a), "{:?}", a);
        prop_assert!((0.0..=1.0).contains(&a.slope_p_value));
        let report = crate::analyze::render("prop", &a, &samples);
        prop_assert!(!report.contains("NaN") && !report.contains("inf"), "{}", report);
    }
}
