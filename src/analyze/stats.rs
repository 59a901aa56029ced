//! Small robust statistics: mean, median, sample standard deviation, the Theil–Sen line and the
//! one-sided Mann–Kendall trend test. Every function returns a finite number for finite input, and a
//! neutral value (0, or p = 1) when the data cannot support the statistic.

use super::normal;
use std::cmp::Ordering;

/// Arithmetic mean; 0 for no values.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// Median (mean of the two middle values for an even count); 0 for no values. Reorders `values`.
pub fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let (lower, upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        return upper;
    }
    let below = lower.iter().copied().max_by(f64::total_cmp).unwrap_or(upper);
    (below + upper) / 2.0
}

/// Median of a slice, leaving it untouched.
pub fn median(values: &[f64]) -> f64 {
    median_in_place(&mut values.to_vec())
}

/// Sample standard deviation (n − 1 in the denominator); 0 for fewer than two values.
pub fn stdev(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    let squares: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    (squares / (values.len() - 1) as f64).sqrt()
}

/// A fitted straight line `y = intercept + slope · x`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Line {
    /// Change of y per unit of x (bytes per request, or bytes per cycle).
    pub slope: f64,
    /// y at x = 0.
    pub intercept: f64,
}

impl Line {
    /// The fitted y at `x`.
    pub fn at(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }
}

/// Theil–Sen estimator: the median of the slopes between every pair of points with distinct x, and the
/// median of `y − slope·x` as intercept. Robust to outliers (breakdown point 29 %); a flat line when no
/// two x differ.
pub fn theil_sen(x: &[f64], y: &[f64]) -> Line {
    let n = x.len().min(y.len());
    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let dx = x[j] - x[i];
            if dx != 0.0 {
                slopes.push((y[j] - y[i]) / dx);
            }
        }
    }
    let slope = median_in_place(&mut slopes);
    let mut offsets: Vec<f64> = (0..n).map(|i| y[i] - slope * x[i]).collect();
    let intercept = median_in_place(&mut offsets);
    Line { slope, intercept }
}

/// One-sided Mann–Kendall test for an increasing trend of `y` along `x`: the p-value of
/// `S = Σ sign(xⱼ − xᵢ)·sign(yⱼ − yᵢ)` under "no trend", by the normal approximation with continuity
/// correction and the tie correction for equal y (page-quantised memory readings tie often). p = 1
/// when there are fewer than three points or every y is equal.
pub fn mann_kendall(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 3 {
        return 1.0;
    }
    let mut s: i64 = 0;
    for i in 0..n {
        for j in i + 1..n {
            s += sign(x[j] - x[i]) * sign(y[j] - y[i]);
        }
    }
    let variance = variance_of_s(&y[..n]);
    if variance <= 0.0 {
        return 1.0;
    }
    let corrected = match s.cmp(&0) {
        Ordering::Greater => (s - 1) as f64,
        Ordering::Less => (s + 1) as f64,
        Ordering::Equal => 0.0,
    };
    normal::upper_tail(corrected / variance.sqrt())
}

fn sign(v: f64) -> i64 {
    if v > 0.0 {
        1
    } else if v < 0.0 {
        -1
    } else {
        0
    }
}

/// `Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18`, t the sizes of groups of tied y.
fn variance_of_s(y: &[f64]) -> f64 {
    let term = |t: usize| {
        let t = t as f64;
        t * (t - 1.0) * (2.0 * t + 5.0)
    };
    let mut sorted = y.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let ties: f64 = sorted.chunk_by(|a, b| a == b).map(|group| term(group.len())).sum();
    (term(y.len()) - ties) / 18.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn mean_and_sample_stdev() {
        assert_eq!(mean(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        assert!((stdev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]) - 2.138089935299395).abs() < 1e-12);
        assert_eq!(stdev(&[5.0]), 0.0);
    }

    #[test]
    fn theil_sen_ignores_an_outlier() {
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let mut y: Vec<f64> = x.iter().map(|v| 3.0 + 2.0 * v).collect();
        y[4] = 1000.0;
        let line = theil_sen(&x, &y);
        assert_eq!(line.slope, 2.0);
        assert_eq!(line.intercept, 3.0);
        assert_eq!(line.at(10.0), 23.0);
    }

    #[test]
    fn theil_sen_flat_when_x_never_changes() {
        assert_eq!(theil_sen(&[1.0, 1.0, 1.0], &[1.0, 5.0, 9.0]).slope, 0.0);
    }

    #[test]
    fn mann_kendall_monotone_ten_points() {
        // S = 45, Var = 125, z = 44 / √125 = 3.9355: p ≈ 4.15e-5.
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let p = mann_kendall(&x, &x);
        assert!((p - normal::upper_tail(44.0 / 125f64.sqrt())).abs() < 1e-15);
        assert!(p < 1e-4);
        let down: Vec<f64> = x.iter().rev().copied().collect();
        assert!(mann_kendall(&x, &down) > 0.999);
    }

    #[test]
    fn mann_kendall_constant_and_short_series() {
        assert_eq!(mann_kendall(&[0.0, 1.0, 2.0, 3.0], &[7.0; 4]), 1.0);
        assert_eq!(mann_kendall(&[0.0, 1.0], &[1.0, 2.0]), 1.0);
    }

    #[test]
    fn mann_kendall_tie_correction() {
        // y = [1,1,2,2,3]: S = 8, Var = (5·4·15 − 2·(2·1·9)) / 18 = 264 / 18.
        let p = mann_kendall(&[0.0, 1.0, 2.0, 3.0, 4.0], &[1.0, 1.0, 2.0, 2.0, 3.0]);
        assert!((p - normal::upper_tail(7.0 / (264.0f64 / 18.0).sqrt())).abs() < 1e-15);
    }
}
