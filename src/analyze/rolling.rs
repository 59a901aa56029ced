//! The pytest suite's smoothing (docs/analysis.md#the-pytest-rules): a rolling average, and the initial and final averages of it that
//! the growth rule compares.

use super::stats::mean;

/// `r[i] = mean(s[i−w+1 ..= i])` for every full window, the last sample included (the pytest suite dropped it).
/// Empty when there are fewer samples than the window.
pub fn rolling_average(values: &[f64], window: usize) -> Vec<f64> {
    if window == 0 {
        return values.to_vec();
    }
    values.windows(window).map(mean).collect()
}

/// The two ends of the rolling average and the growth between them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Endpoints {
    /// Mean of the first n rolling values, in bytes.
    pub initial_avg: f64,
    /// Mean of the last n rolling values, in bytes.
    pub final_avg: f64,
    /// `final_avg − initial_avg`, in bytes.
    pub growth_bytes: f64,
    /// `growth_bytes / initial_avg` (0.37 = 37 %); 0 when the initial average is not positive.
    pub growth_ratio: f64,
}

/// Initial and final averages over `n = max(1, min(2w, len(r)/3))` rolling values each; all zero when
/// there is no rolling value.
pub fn endpoints(rolling: &[f64], window: usize) -> Endpoints {
    if rolling.is_empty() {
        return Endpoints::default();
    }
    let n = (2 * window).min(rolling.len() / 3).max(1);
    let initial_avg = mean(&rolling[..n]);
    let final_avg = mean(&rolling[rolling.len() - n..]);
    let growth_bytes = final_avg - initial_avg;
    let growth_ratio = if initial_avg > 0.0 { growth_bytes / initial_avg } else { 0.0 };
    Endpoints { initial_avg, final_avg, growth_bytes, growth_ratio }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_average_includes_the_last_sample() {
        let r = rolling_average(&[1.0, 2.0, 3.0, 4.0, 5.0, 100.0], 5);
        assert_eq!(r, vec![3.0, 22.8]);
        assert_eq!(*r.last().unwrap(), (2.0 + 3.0 + 4.0 + 5.0 + 100.0) / 5.0);
    }

    #[test]
    fn rolling_average_shorter_than_window_is_empty() {
        assert!(rolling_average(&[1.0, 2.0], 5).is_empty());
    }

    #[test]
    fn endpoints_of_ten_samples_average_two_rolling_values_each() {
        // 10 samples, w = 5: six rolling values, n = min(10, 6 / 3) = 2.
        let samples: Vec<f64> = (0..10).map(f64::from).collect();
        let e = endpoints(&rolling_average(&samples, 5), 5);
        assert_eq!((e.initial_avg, e.final_avg), (2.5, 6.5));
        assert_eq!(e.growth_bytes, 4.0);
        assert_eq!(e.growth_ratio, 1.6);
    }

    #[test]
    fn endpoints_use_at_least_one_value_and_never_divide_by_zero() {
        let e = endpoints(&[0.0, 5.0], 5);
        assert_eq!((e.initial_avg, e.final_avg, e.growth_ratio), (0.0, 5.0, 0.0));
        assert_eq!(endpoints(&[], 5), Endpoints::default());
    }
}
