//! Control-chart constants: d2, d3, c4 computed exactly, and the classic 3-decimal table.
//!
//! * `c4(n) = sqrt(2/(n-1)) Γ(n/2) / Γ((n-1)/2)` (via `ln Γ`, so large n does not overflow).
//! * `d2(n) = E[W]`, `d3(n) = sd[W]` for the range `W` of n standard normals, by numerical integration:
//!   - `d2 = ∫ 1 − Φ(x)^n − (1 − Φ(x))^n dx` (trapezoid rule on x ∈ [−10, 10], step 0.05; for smooth,
//!     fast-decaying integrands over the whole line this converges geometrically);
//!   - `E[W²] = 2 ∫₀^∞ ∫ G(x, x + w) dx dw` with `G(x, y) = P(min ≤ x, max > y)
//!     = 1 − Φ(y)^n − (1 − Φ(x))^n + (Φ(y) − Φ(x))^n` (the area of the triangle min ≤ x < y ≤ max is
//!     W²/2); the inner integral uses the same trapezoid rule, the outer one 16-point Gauss–Legendre on
//!     the panels [0,1], …, [13,14]; `d3 = sqrt(E[W²] − d2²)`.
//!
//!   Accuracy reached (checked in the tests): the closed forms d2(2) = 2/√π, d3(2) = √(2 − 4/π),
//!   d2(3) = 3/√π agree to better than 1e-12, and the published values d2(5) = 2.325929,
//!   d3(5) = 0.864082 to all 6 decimals. Values for n = 2..=50 are computed once and cached.
//! * [`Constants::AiagTable`]: the classic table (ASTM / ASQC, as printed in the AIAG SPC manual and in
//!   Montgomery, *Introduction to Statistical Quality Control*, Appendix VI) for n = 2..=25, 3 decimals
//!   (c4 with 4, as published). Typed in from those printed tables, not derived here.

use std::sync::OnceLock;

use libm::erfc;
use serde::Serialize;
use statrs::function::gamma::ln_gamma;

use super::{Constants, SpcError};

/// Largest subgroup size with exact constants.
pub const EXACT_MAX_N: usize = 50;
/// Largest subgroup size in the published table.
pub const TABLE_MAX_N: usize = 25;

/// The factors a chart needs for subgroups of size `n`, and which source they came from.
///
/// Upper-case names (A2, D3, D4, B3, B4) are the chart factors, lower-case (d2, d3, c4) the bias constants.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChartFactors {
    pub n: usize,
    pub source: Constants,
    pub d2: f64,
    pub d3: f64,
    pub c4: f64,
    #[serde(rename = "A2")]
    pub xbar_from_range: f64,
    #[serde(rename = "A3")]
    pub xbar_from_stddev: f64,
    #[serde(rename = "D3")]
    pub range_lower: f64,
    #[serde(rename = "D4")]
    pub range_upper: f64,
    #[serde(rename = "B3")]
    pub stddev_lower: f64,
    #[serde(rename = "B4")]
    pub stddev_upper: f64,
}

/// The chart factors for subgroup size `n` (2..=50 exact, 2..=25 table).
pub fn factors(n: usize, source: Constants) -> Result<ChartFactors, SpcError> {
    match source {
        Constants::Exact => exact_factors(n),
        Constants::AiagTable => table_factors(n),
    }
}

/// Exact d2(n): expected range of n standard normals.
pub fn d2(n: usize) -> Result<f64, SpcError> {
    Ok(exact(n)?.d2)
}

/// Exact d3(n): standard deviation of the range of n standard normals.
pub fn d3(n: usize) -> Result<f64, SpcError> {
    Ok(exact(n)?.d3)
}

/// Exact c4(n): E[s]/σ for samples of n normals.
pub fn c4(n: usize) -> Result<f64, SpcError> {
    check_n(n, Constants::Exact, EXACT_MAX_N)?;
    Ok(c4_unchecked(n))
}

fn c4_unchecked(n: usize) -> f64 {
    let m = n as f64;
    (2.0 / (m - 1.0)).sqrt() * (ln_gamma(m / 2.0) - ln_gamma((m - 1.0) / 2.0)).exp()
}

fn check_n(n: usize, constants: Constants, max: usize) -> Result<(), SpcError> {
    if (2..=max).contains(&n) { Ok(()) } else { Err(SpcError::SubgroupSize { n, constants, max }) }
}

fn exact_factors(n: usize) -> Result<ChartFactors, SpcError> {
    let e = exact(n)?;
    let c4 = c4_unchecked(n);
    let root_n = (n as f64).sqrt();
    let s_spread = 3.0 * (1.0 - c4 * c4).sqrt() / c4;
    Ok(ChartFactors {
        n,
        source: Constants::Exact,
        d2: e.d2,
        d3: e.d3,
        c4,
        xbar_from_range: 3.0 / (e.d2 * root_n),
        xbar_from_stddev: 3.0 / (c4 * root_n),
        range_lower: (1.0 - 3.0 * e.d3 / e.d2).max(0.0),
        range_upper: 1.0 + 3.0 * e.d3 / e.d2,
        stddev_lower: (1.0 - s_spread).max(0.0),
        stddev_upper: 1.0 + s_spread,
    })
}

fn table_factors(n: usize) -> Result<ChartFactors, SpcError> {
    check_n(n, Constants::AiagTable, TABLE_MAX_N)?;
    let i = n - 2;
    Ok(ChartFactors {
        n,
        source: Constants::AiagTable,
        d2: TABLE_D2[i],
        d3: TABLE_D3_LOWER[i],
        c4: TABLE_C4[i],
        xbar_from_range: TABLE_A2[i],
        xbar_from_stddev: TABLE_A3[i],
        range_lower: TABLE_D3[i],
        range_upper: TABLE_D4[i],
        stddev_lower: TABLE_B3[i],
        stddev_upper: TABLE_B4[i],
    })
}

#[derive(Clone, Copy)]
struct RangeMoments {
    d2: f64,
    d3: f64,
}

fn exact(n: usize) -> Result<RangeMoments, SpcError> {
    check_n(n, Constants::Exact, EXACT_MAX_N)?;
    static CACHE: OnceLock<Vec<RangeMoments>> = OnceLock::new();
    Ok(CACHE.get_or_init(compute_all)[n - 2])
}

const X_MIN: f64 = -10.0;
const X_STEP: f64 = 0.05;
const X_POINTS: usize = 401; // x ∈ [−10, 10]
const W_PANELS: usize = 14;

/// 16-point Gauss–Legendre nodes and weights on [−1, 1] (positive half; the rule is symmetric).
const GL_NODES: [f64; 8] = [
    0.095_012_509_837_637_44,
    0.281_603_550_779_258_9,
    0.458_016_777_657_227_4,
    0.617_876_244_402_643_7,
    0.755_404_408_355_003,
    0.865_631_202_387_831_8,
    0.944_575_023_073_232_6,
    0.989_400_934_991_649_9,
];
const GL_WEIGHTS: [f64; 8] = [
    0.189_450_610_455_068_5,
    0.182_603_415_044_923_6,
    0.169_156_519_395_002_5,
    0.149_595_988_816_576_7,
    0.124_628_971_255_533_9,
    0.095_158_511_682_492_78,
    0.062_253_523_938_647_89,
    0.027_152_459_411_754_09,
];

fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// All n at once: Φ on the grids does not depend on n, so it is evaluated once.
fn compute_all() -> Vec<RangeMoments> {
    let xs: Vec<f64> = (0..X_POINTS).map(|i| X_MIN + i as f64 * X_STEP).collect();
    let phi_x: Vec<f64> = xs.iter().map(|&x| normal_cdf(x)).collect();
    let mut w_nodes = Vec::with_capacity(W_PANELS * 16);
    for panel in 0..W_PANELS {
        let mid = panel as f64 + 0.5;
        for (node, weight) in GL_NODES.iter().zip(GL_WEIGHTS) {
            w_nodes.push((mid - 0.5 * node, 0.5 * weight));
            w_nodes.push((mid + 0.5 * node, 0.5 * weight));
        }
    }
    // Φ(x_i + w_j), row-major by w.
    let phi_shifted: Vec<f64> = w_nodes.iter().flat_map(|&(w, _)| xs.iter().map(move |&x| normal_cdf(x + w))).collect();
    (2..=EXACT_MAX_N)
        .map(|n| {
            let n = n as i32;
            let d2: f64 = phi_x.iter().map(|&p| 1.0 - p.powi(n) - (1.0 - p).powi(n)).sum::<f64>() * X_STEP;
            let mut second_moment = 0.0;
            for (j, &(_, weight)) in w_nodes.iter().enumerate() {
                let row = &phi_shifted[j * X_POINTS..(j + 1) * X_POINTS];
                let inner: f64 = phi_x
                    .iter()
                    .zip(row)
                    .map(|(&px, &py)| 1.0 - py.powi(n) - (1.0 - px).powi(n) + (py - px).powi(n))
                    .sum();
                second_moment += weight * inner * X_STEP;
            }
            let variance = 2.0 * second_moment - d2 * d2;
            RangeMoments { d2, d3: variance.sqrt() }
        })
        .collect()
}

// The published table, n = 2..=25 (index n − 2).
const TABLE_A2: [f64; 24] = [
    1.880, 1.023, 0.729, 0.577, 0.483, 0.419, 0.373, 0.337, 0.308, 0.285, 0.266, 0.249, 0.235, 0.223, 0.212, 0.203,
    0.194, 0.187, 0.180, 0.173, 0.167, 0.162, 0.157, 0.153,
];
const TABLE_A3: [f64; 24] = [
    2.659, 1.954, 1.628, 1.427, 1.287, 1.182, 1.099, 1.032, 0.975, 0.927, 0.886, 0.850, 0.817, 0.789, 0.763, 0.739,
    0.718, 0.698, 0.680, 0.663, 0.647, 0.633, 0.619, 0.606,
];
const TABLE_C4: [f64; 24] = [
    0.7979, 0.8862, 0.9213, 0.9400, 0.9515, 0.9594, 0.9650, 0.9693, 0.9727, 0.9754, 0.9776, 0.9794, 0.9810, 0.9823,
    0.9835, 0.9845, 0.9854, 0.9862, 0.9869, 0.9876, 0.9882, 0.9887, 0.9892, 0.9896,
];
const TABLE_B3: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.030, 0.118, 0.185, 0.239, 0.284, 0.321, 0.354, 0.382, 0.406, 0.428, 0.448, 0.466, 0.482,
    0.497, 0.510, 0.523, 0.534, 0.545, 0.555, 0.565,
];
const TABLE_B4: [f64; 24] = [
    3.267, 2.568, 2.266, 2.089, 1.970, 1.882, 1.815, 1.761, 1.716, 1.679, 1.646, 1.618, 1.594, 1.572, 1.552, 1.534,
    1.518, 1.503, 1.490, 1.477, 1.466, 1.455, 1.445, 1.435,
];
const TABLE_D2: [f64; 24] = [
    1.128, 1.693, 2.059, 2.326, 2.534, 2.704, 2.847, 2.970, 3.078, 3.173, 3.258, 3.336, 3.407, 3.472, 3.532, 3.588,
    3.640, 3.689, 3.735, 3.778, 3.819, 3.858, 3.895, 3.931,
];
/// Lower-case d3 (sd of the relative range).
const TABLE_D3_LOWER: [f64; 24] = [
    0.853, 0.888, 0.880, 0.864, 0.848, 0.833, 0.820, 0.808, 0.797, 0.787, 0.778, 0.770, 0.763, 0.756, 0.750, 0.744,
    0.739, 0.734, 0.729, 0.724, 0.720, 0.716, 0.712, 0.708,
];
/// Upper-case D3 (R-chart lower-limit factor).
const TABLE_D3: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.076, 0.136, 0.184, 0.223, 0.256, 0.283, 0.307, 0.328, 0.347, 0.363, 0.378, 0.391, 0.403,
    0.415, 0.425, 0.434, 0.443, 0.451, 0.459,
];
const TABLE_D4: [f64; 24] = [
    3.267, 2.574, 2.282, 2.114, 2.004, 1.924, 1.864, 1.816, 1.777, 1.744, 1.717, 1.693, 1.672, 1.653, 1.637, 1.622,
    1.608, 1.597, 1.585, 1.575, 1.566, 1.557, 1.548, 1.541,
];
