//! Small descriptive statistics shared by the SPC modules.

use libm::erfc;

use super::SpcError;

pub(crate) fn check_finite(values: &[f64]) -> Result<(), SpcError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(SpcError::NonFinite { index }),
        None => Ok(()),
    }
}

pub(crate) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample standard deviation (n − 1 denominator).
pub(crate) fn sample_sd(values: &[f64]) -> f64 {
    let m = mean(values);
    let ss: f64 = values.iter().map(|v| (v - m).powi(2)).sum();
    (ss / (values.len() as f64 - 1.0)).sqrt()
}

pub(crate) fn range(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    max - min
}

pub(crate) fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Empirical quantile of sorted data, linear interpolation between order statistics
/// (Hyndman & Fan type 7, the default of R and numpy): h = (n − 1) p.
pub(crate) fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}
