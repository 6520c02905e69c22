//! Process capability (Cp, Cpk, Cpm from within sigma; Pp, Ppk, Ppm from overall sigma) with confidence
//! intervals, and a percentile method for non-normal data.
//!
//! Confidence intervals (two-sided, level `confidence`, α = 1 − confidence, z = Φ⁻¹(1 − α/2)):
//! * Cp, Pp — chi-square (Chou, Owen & Borrego, *J. Quality Technology* 22, 1990):
//!   Ĉp √(χ²_{α/2, n−1}/(n−1)) ≤ Cp ≤ Ĉp √(χ²_{1−α/2, n−1}/(n−1)). Exact for Pp (sample sd); for Cp with
//!   sigma from R-bar/d2 etc. it is the usual approximation (as in R qcc).
//! * Cpk, Cpl, Cpu (and the P versions) — Bissell's normal approximation (*Applied Statistics* 39, 1990):
//!   Ĉ ± z √(1/(9n) + Ĉ²/(2(n−1))).
//! * Cpm, Ppm — Boyles (*J. Quality Technology* 23, 1991): Ĉpm √(χ²_{α/2,ν}/ν) … Ĉpm √(χ²_{1−α/2,ν}/ν),
//!   ν = n (1 + a²)² / (1 + 2a²), a = (x̄ − T)/σ̂. (R qcc uses ν = n (1 + a²)/(1 + 2a²) instead; the two
//!   agree when the mean is on target.)
//!
//! Cpm = (USL − LSL) / (6 √(σ² + (x̄ − T)²)), so it needs both limits and a target.
//!
//! Percentile method (ISO 22514-2 style, Clements 1989 with empirical instead of Pearson-curve
//! quantiles): with the empirical 0.135 %, 50 % and 99.865 % quantiles X_l, X_m, X_u,
//! Pp = (USL − LSL)/(X_u − X_l), Ppu = (USL − X_m)/(X_u − X_m), Ppl = (X_m − LSL)/(X_m − X_l). Below a few
//! hundred values the outer quantiles are (nearly) the sample extremes, so they are rough; the
//! Anderson–Darling result tells the caller whether the normal indices can be trusted instead.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use super::charts::ControlChart;
use super::normality::{AndersonDarling, MIN_N, anderson_darling};
use super::stats::{check_finite, mean, normal_cdf, quantile_sorted, sample_sd};
use super::{SigmaMethod, SpcError};

/// Specification limits (either may be absent) and target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpecLimits {
    pub lsl: Option<f64>,
    pub usl: Option<f64>,
    pub target: Option<f64>,
}

/// The within-subgroup (short-term) sigma and how it was estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WithinSigma {
    pub sigma: f64,
    pub method: SigmaMethod,
}

impl From<&ControlChart> for WithinSigma {
    fn from(chart: &ControlChart) -> Self {
        WithinSigma { sigma: chart.sigma, method: chart.sigma_method }
    }
}

/// An index with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CapabilityIndex {
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Indices from empirical quantiles (no normality assumed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PercentileCapability {
    /// 0.135 %, 50 %, 99.865 % quantiles (type 7 interpolation).
    pub lower_quantile: f64,
    pub median: f64,
    pub upper_quantile: f64,
    pub pp: Option<f64>,
    pub ppl: Option<f64>,
    pub ppu: Option<f64>,
    pub ppk: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapabilityReport {
    pub n: usize,
    pub mean: f64,
    pub within_sigma: f64,
    pub within_method: SigmaMethod,
    pub overall_sigma: f64,
    pub spec: SpecLimits,
    pub confidence: f64,
    pub cp: Option<CapabilityIndex>,
    pub cpl: Option<CapabilityIndex>,
    pub cpu: Option<CapabilityIndex>,
    pub cpk: Option<CapabilityIndex>,
    pub cpm: Option<CapabilityIndex>,
    pub pp: Option<CapabilityIndex>,
    pub ppl: Option<CapabilityIndex>,
    pub ppu: Option<CapabilityIndex>,
    pub ppk: Option<CapabilityIndex>,
    pub ppm: Option<CapabilityIndex>,
    /// Expected nonconforming below LSL / above USL under normality with within sigma, in ppm.
    pub expected_ppm_below: Option<f64>,
    pub expected_ppm_above: Option<f64>,
    /// Observed nonconforming, in ppm.
    pub observed_ppm_below: Option<f64>,
    pub observed_ppm_above: Option<f64>,
    pub percentile: PercentileCapability,
    /// `None` below 8 values.
    pub normality: Option<AndersonDarling>,
}

/// Capability of `values` (all individual observations) against `spec`.
pub fn capability(
    values: &[f64],
    within: WithinSigma,
    spec: &SpecLimits,
    confidence: f64,
) -> Result<CapabilityReport, SpcError> {
    check_finite(values)?;
    let n = values.len();
    if n < 2 {
        return Err(SpcError::NotEnoughData { what: "capability", needed: 2, got: n });
    }
    if spec.lsl.is_none() && spec.usl.is_none() {
        return Err(SpcError::InvalidParameter { name: "spec", reason: "needs at least one limit".into() });
    }
    if let (Some(l), Some(u)) = (spec.lsl, spec.usl)
        && l >= u
    {
        return Err(SpcError::InvalidParameter { name: "spec", reason: format!("LSL {l} must be below USL {u}") });
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(SpcError::InvalidParameter { name: "confidence", reason: "must be in (0, 1)".into() });
    }
    if !(within.sigma > 0.0 && within.sigma.is_finite()) {
        return Err(SpcError::ZeroSigma);
    }
    let m = mean(values);
    let overall = sample_sd(values);
    if overall <= 0.0 {
        return Err(SpcError::ZeroSigma);
    }
    let ci = Intervals::new(n, confidence);
    let within_set = IndexSet::compute(m, within.sigma, spec, &ci);
    let overall_set = IndexSet::compute(m, overall, spec, &ci);
    let ppm = |count: usize| count as f64 / n as f64 * 1e6;
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Ok(CapabilityReport {
        n,
        mean: m,
        within_sigma: within.sigma,
        within_method: within.method,
        overall_sigma: overall,
        spec: *spec,
        confidence,
        cp: within_set.spread,
        cpl: within_set.lower,
        cpu: within_set.upper,
        cpk: within_set.k,
        cpm: within_set.m,
        pp: overall_set.spread,
        ppl: overall_set.lower,
        ppu: overall_set.upper,
        ppk: overall_set.k,
        ppm: overall_set.m,
        expected_ppm_below: spec.lsl.map(|l| normal_cdf((l - m) / within.sigma) * 1e6),
        expected_ppm_above: spec.usl.map(|u| normal_cdf((m - u) / within.sigma) * 1e6),
        observed_ppm_below: spec.lsl.map(|l| ppm(values.iter().filter(|v| **v < l).count())),
        observed_ppm_above: spec.usl.map(|u| ppm(values.iter().filter(|v| **v > u).count())),
        percentile: percentile_capability(&sorted, spec),
        normality: if n >= MIN_N { Some(anderson_darling(values)?) } else { None },
    })
}

/// Percentile-method indices from sorted data.
pub fn percentile_capability(sorted: &[f64], spec: &SpecLimits) -> PercentileCapability {
    let lower_quantile = quantile_sorted(sorted, 0.00135);
    let median = quantile_sorted(sorted, 0.5);
    let upper_quantile = quantile_sorted(sorted, 0.99865);
    let ratio = |num: f64, den: f64| (den > 0.0).then(|| num / den);
    let ppl = spec.lsl.and_then(|l| ratio(median - l, median - lower_quantile));
    let ppu = spec.usl.and_then(|u| ratio(u - median, upper_quantile - median));
    let pp = match (spec.lsl, spec.usl) {
        (Some(l), Some(u)) => ratio(u - l, upper_quantile - lower_quantile),
        _ => None,
    };
    PercentileCapability { lower_quantile, median, upper_quantile, pp, ppl, ppu, ppk: min_some(ppl, ppu) }
}

fn min_some(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Quantiles shared by all intervals of one report.
struct Intervals {
    n: f64,
    alpha: f64,
    z: f64,
    chi_low: f64,
    chi_high: f64,
}

impl Intervals {
    fn new(n: usize, confidence: f64) -> Self {
        let alpha = 1.0 - confidence;
        let df = n as f64 - 1.0;
        let (chi_low, chi_high) = chi_square_bounds(df, alpha);
        let z = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
        Intervals { n: n as f64, alpha, z, chi_low, chi_high }
    }

    fn chi_square(&self, value: f64) -> CapabilityIndex {
        CapabilityIndex { value, lower: value * self.chi_low, upper: value * self.chi_high }
    }

    fn bissell(&self, value: f64) -> CapabilityIndex {
        let half = self.z * (1.0 / (9.0 * self.n) + value * value / (2.0 * (self.n - 1.0))).sqrt();
        CapabilityIndex { value, lower: value - half, upper: value + half }
    }

    fn boyles(&self, value: f64, a: f64) -> CapabilityIndex {
        let a2 = a * a;
        let df = self.n * (1.0 + a2).powi(2) / (1.0 + 2.0 * a2);
        let (low, high) = chi_square_bounds(df, self.alpha);
        CapabilityIndex { value, lower: value * low, upper: value * high }
    }
}

/// √(χ²_{α/2,df}/df) and √(χ²_{1−α/2,df}/df).
fn chi_square_bounds(df: f64, alpha: f64) -> (f64, f64) {
    let chi = ChiSquared::new(df).expect("df > 0");
    ((chi.inverse_cdf(alpha / 2.0) / df).sqrt(), (chi.inverse_cdf(1.0 - alpha / 2.0) / df).sqrt())
}

/// The five indices for one sigma (within → Cp…, overall → Pp…).
struct IndexSet {
    spread: Option<CapabilityIndex>,
    lower: Option<CapabilityIndex>,
    upper: Option<CapabilityIndex>,
    k: Option<CapabilityIndex>,
    m: Option<CapabilityIndex>,
}

impl IndexSet {
    fn compute(mean: f64, sigma: f64, spec: &SpecLimits, ci: &Intervals) -> Self {
        let lower = spec.lsl.map(|l| ci.bissell((mean - l) / (3.0 * sigma)));
        let upper = spec.usl.map(|u| ci.bissell((u - mean) / (3.0 * sigma)));
        let k = match (lower, upper) {
            (Some(l), Some(u)) => Some(ci.bissell(l.value.min(u.value))),
            (l, u) => l.or(u),
        };
        let (spread, m) = match (spec.lsl, spec.usl) {
            (Some(l), Some(u)) => {
                let spread = ci.chi_square((u - l) / (6.0 * sigma));
                let m = spec.target.map(|t| {
                    let a = (mean - t) / sigma;
                    ci.boyles(spread.value / (1.0 + a * a).sqrt(), a)
                });
                (Some(spread), m)
            }
            _ => (None, None),
        };
        IndexSet { spread, lower, upper, k, m }
    }
}
