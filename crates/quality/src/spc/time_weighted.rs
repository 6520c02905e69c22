//! Time-weighted charts for small sustained shifts: EWMA and the tabular CUSUM (Montgomery, ch. 9).
//!
//! Both work on individual values. Target and sigma default to the series mean and MR-bar/d2(2); in
//! monitoring they should be the frozen Phase I values.

use serde::Serialize;

use super::charts::{ChartKind, ControlChart, Limits, estimate_individuals};
use super::stats::{check_finite, mean};
use super::{Constants, SigmaMethod, SpcError};

/// EWMA design: z_i = λ x_i + (1 − λ) z_{i−1}, z_0 = target; limits target ± L σ √(λ/(2−λ) (1 − (1−λ)^{2i})).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EwmaParams {
    pub lambda: f64,
    pub l: f64,
    /// In-control mean; `None` uses the series mean.
    pub target: Option<f64>,
    /// Process sigma; `None` estimates MR-bar/d2(2).
    pub sigma: Option<f64>,
}

/// Tabular CUSUM design, k and h in sigma units (K = kσ, H = hσ).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CusumParams {
    pub k: f64,
    pub h: f64,
    pub target: Option<f64>,
    pub sigma: Option<f64>,
}

/// Upper and lower cumulative sums with the counters of consecutive non-zero periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CusumChart {
    pub target: f64,
    pub sigma: f64,
    pub sigma_method: SigmaMethod,
    pub constants: Constants,
    /// Reference value K = kσ and decision interval H = hσ, in data units.
    pub reference_value: f64,
    pub decision_interval: f64,
    /// C⁺_i = max(0, x_i − (target + K) + C⁺_{i−1}).
    pub upper: Vec<f64>,
    /// C⁻_i = max(0, (target − K) − x_i + C⁻_{i−1}).
    pub lower: Vec<f64>,
    /// N⁺/N⁻: periods since the sum was last zero; counting back from a signal dates the shift.
    pub upper_run: Vec<usize>,
    pub lower_run: Vec<usize>,
    /// Indices where C⁺ > H, resp. C⁻ > H.
    pub upper_signals: Vec<usize>,
    pub lower_signals: Vec<usize>,
}

/// Target and sigma, either given or estimated from the series.
fn target_and_sigma(
    values: &[f64],
    target: Option<f64>,
    sigma: Option<f64>,
    constants: Constants,
) -> Result<(f64, f64, SigmaMethod), SpcError> {
    check_finite(values)?;
    if values.is_empty() {
        return Err(SpcError::NotEnoughData { what: "a time-weighted chart", needed: 1, got: 0 });
    }
    let (sigma, method) = match sigma {
        Some(s) if s.is_finite() && s > 0.0 => (s, SigmaMethod::Given),
        Some(s) => {
            return Err(SpcError::InvalidParameter { name: "sigma", reason: format!("must be positive, got {s}") });
        }
        None => {
            let e = estimate_individuals(values, &vec![true; values.len()], constants)?;
            (e.sigma, e.sigma_method)
        }
    };
    Ok((target.unwrap_or_else(|| mean(values)), sigma, method))
}

/// EWMA chart with exact time-varying limits.
pub fn ewma(values: &[f64], params: EwmaParams, constants: Constants) -> Result<ControlChart, SpcError> {
    if !(params.lambda > 0.0 && params.lambda <= 1.0) {
        return Err(SpcError::InvalidParameter { name: "lambda", reason: "must be in (0, 1]".into() });
    }
    if !(params.l > 0.0 && params.l.is_finite()) {
        return Err(SpcError::InvalidParameter { name: "L", reason: "must be positive".into() });
    }
    let (target, sigma, sigma_method) = target_and_sigma(values, params.target, params.sigma, constants)?;
    let lambda = params.lambda;
    let asymptotic = lambda / (2.0 - lambda);
    let mut z = target;
    let (mut statistic, mut lcl, mut ucl) = (Vec::new(), Vec::new(), Vec::new());
    for (i, x) in values.iter().enumerate() {
        z = lambda * x + (1.0 - lambda) * z;
        let width = params.l * sigma * (asymptotic * (1.0 - (1.0 - lambda).powi(2 * (i as i32 + 1)))).sqrt();
        statistic.push(z);
        lcl.push(target - width);
        ucl.push(target + width);
    }
    let out_of_limits = (0..statistic.len()).filter(|&i| statistic[i] > ucl[i] || statistic[i] < lcl[i]).collect();
    Ok(ControlChart {
        kind: ChartKind::Ewma,
        statistic,
        first_index: 0,
        center: target,
        limits: Limits::PerPoint { lcl, ucl },
        statistic_sigma: sigma * asymptotic.sqrt(),
        sigma,
        sigma_method,
        constants,
        out_of_limits,
    })
}

/// Two-sided tabular CUSUM (no reset after a signal, as in Montgomery's tables).
pub fn tabular_cusum(values: &[f64], params: CusumParams, constants: Constants) -> Result<CusumChart, SpcError> {
    if !(params.k >= 0.0 && params.k.is_finite()) {
        return Err(SpcError::InvalidParameter { name: "k", reason: "must be non-negative".into() });
    }
    if !(params.h > 0.0 && params.h.is_finite()) {
        return Err(SpcError::InvalidParameter { name: "h", reason: "must be positive".into() });
    }
    let (target, sigma, sigma_method) = target_and_sigma(values, params.target, params.sigma, constants)?;
    let reference_value = params.k * sigma;
    let decision_interval = params.h * sigma;
    let mut chart = CusumChart {
        target,
        sigma,
        sigma_method,
        constants,
        reference_value,
        decision_interval,
        upper: Vec::with_capacity(values.len()),
        lower: Vec::with_capacity(values.len()),
        upper_run: Vec::with_capacity(values.len()),
        lower_run: Vec::with_capacity(values.len()),
        upper_signals: Vec::new(),
        lower_signals: Vec::new(),
    };
    let (mut hi, mut lo, mut n_hi, mut n_lo) = (0.0_f64, 0.0_f64, 0, 0);
    for (i, x) in values.iter().enumerate() {
        hi = (x - (target + reference_value) + hi).max(0.0);
        lo = ((target - reference_value) - x + lo).max(0.0);
        n_hi = if hi > 0.0 { n_hi + 1 } else { 0 };
        n_lo = if lo > 0.0 { n_lo + 1 } else { 0 };
        chart.upper.push(hi);
        chart.lower.push(lo);
        chart.upper_run.push(n_hi);
        chart.lower_run.push(n_lo);
        if hi > decision_interval {
            chart.upper_signals.push(i);
        }
        if lo > decision_interval {
            chart.lower_signals.push(i);
        }
    }
    Ok(chart)
}
