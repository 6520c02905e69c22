//! Anderson–Darling test for normality (mean and sd estimated from the data).
//!
//! A² = −n − (1/n) Σ (2i − 1) [ln Φ(z₍ᵢ₎) + ln(1 − Φ(z₍ₙ₊₁₋ᵢ₎))], adjusted A*² = A² (1 + 0.75/n + 2.25/n²),
//! p-value from the piecewise approximation of D'Agostino & Stephens, *Goodness-of-Fit Techniques*
//! (1986), Table 4.9 — the one R's `nortest::ad.test` uses. Needs n ≥ 8.

use serde::Serialize;

use super::SpcError;
use super::stats::{check_finite, mean, normal_cdf, sample_sd};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AndersonDarling {
    pub n: usize,
    /// A².
    pub statistic: f64,
    /// A*² = A² (1 + 0.75/n + 2.25/n²), the value the p-value approximation is for.
    pub adjusted: f64,
    pub p_value: f64,
}

impl AndersonDarling {
    /// Normality is not rejected at level `alpha`.
    pub fn looks_normal(&self, alpha: f64) -> bool {
        self.p_value >= alpha
    }
}

pub const MIN_N: usize = 8;

pub fn anderson_darling(values: &[f64]) -> Result<AndersonDarling, SpcError> {
    check_finite(values)?;
    let n = values.len();
    if n < MIN_N {
        return Err(SpcError::NotEnoughData { what: "the Anderson-Darling test", needed: MIN_N, got: n });
    }
    let (m, s) = (mean(values), sample_sd(values));
    if s <= 0.0 {
        return Err(SpcError::ZeroSigma);
    }
    let mut z: Vec<f64> = values.iter().map(|v| (v - m) / s).collect();
    z.sort_by(f64::total_cmp);
    // ln(1 − Φ(z)) as ln Φ(−z): no cancellation in the upper tail.
    let sum: f64 = (0..n).map(|i| (2 * i + 1) as f64 * (normal_cdf(z[i]).ln() + normal_cdf(-z[n - 1 - i]).ln())).sum();
    let nf = n as f64;
    let statistic = -nf - sum / nf;
    let adjusted = statistic * (1.0 + 0.75 / nf + 2.25 / (nf * nf));
    Ok(AndersonDarling { n, statistic, adjusted, p_value: p_value(adjusted) })
}

fn p_value(a: f64) -> f64 {
    let p = if a < 0.2 {
        1.0 - (-13.436 + 101.14 * a - 223.73 * a * a).exp()
    } else if a < 0.34 {
        1.0 - (-8.318 + 42.796 * a - 59.938 * a * a).exp()
    } else if a < 0.6 {
        (0.9177 - 4.279 * a - 1.38 * a * a).exp()
    } else {
        (1.2937 - 5.709 * a + 0.0186 * a * a).exp()
    };
    p.clamp(0.0, 1.0)
}
