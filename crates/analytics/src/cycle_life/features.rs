//! Features of the first 100 cycles.
//!
//! The central signal (Severson et al. 2019) is ΔQ(V) = Q₁₀₀(V) − Q₁₀(V): how much the discharge capacity-voltage
//! curve moved between cycles 10 and 100. It reflects loss of active material and lithium inventory long before the
//! capacity itself fades, and the log of its variance alone explains most of the variation in cycle life. The summary
//! statistics are on a log scale because cycle life is roughly a power law of them. Added here: the log variance of
//! ΔQ within ten equal voltage windows, which tells *where* on the curve the change happened, and the location and
//! range of ΔQ. Capacity-fade features (Severson's "discharge" model) need the per-cycle capacity; they are computed
//! after removing logging glitches (see [`clean_capacity_fade`]).

use super::input::{CycleCapacity, EarlyCycles, GRID_POINTS, InputError, model_grid};

/// Number of equal voltage windows for the windowed ΔQ variance.
pub const WINDOWS: usize = 10;
/// Floor added to a window variance before the log, so that a flat window (ΔQ ≈ 0 near 3.6 V) stays finite.
pub const WINDOW_VARIANCE_FLOOR: f64 = 1e-12;
/// A capacity further than this (Ah) from the median of its neighbours is a logging glitch, not a cell state.
pub const GLITCH_TOLERANCE_AH: f64 = 0.05;
/// Half-width of the running-median window used to find glitches.
const GLITCH_HALF_WINDOW: usize = 2;

/// Names of the features computed from the curves of cycles 10 and 100 alone.
pub fn curve_feature_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "dq_log_var",
        "dq_log_abs_min",
        "dq_log_abs_mean",
        "dq_log_abs_skew",
        "dq_log_abs_kurt",
        "dq_log_range",
        "dq_argmin_v",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.extend((0..WINDOWS).map(|w| format!("dq_log_var_w{w}")));
    names
}

/// Names of the features that need the per-cycle capacity fade.
pub fn capacity_feature_names() -> Vec<String> {
    [
        "cap_cycle2",
        "cap_max_minus_cycle2",
        "cap_cycle100",
        "fade_slope_2_100",
        "fade_intercept_2_100",
        "fade_slope_91_100",
        "fade_intercept_91_100",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Every feature this version computes, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    values: Vec<(String, f64)>,
    has_capacity: bool,
}

impl Features {
    /// Features from known values; a name not listed is missing (a capacity-fade feature then reports
    /// [`InputError::MissingCapacityFade`]).
    pub fn from_values(values: Vec<(String, f64)>) -> Features {
        let capacity = capacity_feature_names();
        let has_capacity = capacity.iter().all(|c| values.iter().any(|(n, _)| n == c));
        Features { values, has_capacity }
    }

    /// The value of feature `name`.
    pub fn get(&self, name: &str) -> Result<f64, InputError> {
        if let Some((_, v)) = self.values.iter().find(|(n, _)| n == name) {
            return Ok(*v);
        }
        if !self.has_capacity && capacity_feature_names().iter().any(|n| n == name) {
            return Err(InputError::MissingCapacityFade);
        }
        Err(InputError::UnknownFeature(name.to_string()))
    }

    /// The values of `names`, in that order.
    pub fn select(&self, names: &[String]) -> Result<Vec<f64>, InputError> {
        names.iter().map(|n| self.get(n)).collect()
    }
}

/// Validates `input` and computes all features it allows.
pub fn extract(input: &EarlyCycles) -> Result<Features, InputError> {
    input.validate()?;
    let q10 = input.curve_on_model_grid(10).ok_or(InputError::MissingCycle(10))?;
    let q100 = input.curve_on_model_grid(100).ok_or(InputError::MissingCycle(100))?;
    let dq: Vec<f64> = q100.iter().zip(&q10).map(|(a, b)| a - b).collect();
    let mut values = curve_features(&dq)?;
    let has_capacity = match &input.capacity_fade {
        Some(fade) => {
            values.extend(capacity_features(fade)?);
            true
        }
        None => false,
    };
    Ok(Features { values, has_capacity })
}

/// Population moments of `x`: mean, variance, skewness and (non-excess) kurtosis, as MATLAB's defaults compute them.
pub fn moments(x: &[f64]) -> (f64, f64, f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for v in x {
        let d = v - mean;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    let (m2, m3, m4) = (m2 / n, m3 / n, m4 / n);
    (mean, m2, m3 / m2.powf(1.5), m4 / (m2 * m2))
}

fn curve_features(dq: &[f64]) -> Result<Vec<(String, f64)>, InputError> {
    debug_assert_eq!(dq.len(), GRID_POINTS);
    let (mean, var, skew, kurt) = moments(dq);
    if var <= 0.0 || !var.is_finite() {
        return Err(InputError::DegenerateCurves);
    }
    let (imin, min) =
        dq.iter().copied().enumerate().fold((0, f64::INFINITY), |acc, (i, v)| if v < acc.1 { (i, v) } else { acc });
    let max = dq.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let grid = model_grid();
    let mut out = vec![
        var.log10(),
        min.abs().log10(),
        mean.abs().log10(),
        skew.abs().log10(),
        kurt.abs().log10(),
        (max - min).log10(),
        grid[imin],
    ];
    let width = GRID_POINTS / WINDOWS;
    out.extend(dq.chunks(width).map(|w| (moments(w).1 + WINDOW_VARIANCE_FLOOR).log10()));
    let named: Vec<(String, f64)> = curve_feature_names().into_iter().zip(out).collect();
    if let Some((name, _)) = named.iter().find(|(_, v)| !v.is_finite()) {
        return Err(InputError::NonFinite { what: format!("feature {name}"), index: 0 });
    }
    Ok(named)
}

/// Removes logging glitches from a capacity series and sorts it by cycle.
///
/// A few Severson cycles were logged with a capacity of ~31 Ah (the whole record of that cycle is scaled wrongly).
/// A point is dropped when it is more than [`GLITCH_TOLERANCE_AH`] away from the median of itself and its two
/// neighbours on each side; real capacity changes by a few mAh between cycles.
pub fn clean_capacity_fade(fade: &[CycleCapacity]) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = fade.iter().map(|p| (f64::from(p.cycle), p.discharge_capacity_ah)).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = points.len();
    (0..n)
        .filter(|&i| {
            let lo = i.saturating_sub(GLITCH_HALF_WINDOW);
            let hi = (i + GLITCH_HALF_WINDOW + 1).min(n);
            let mut window: Vec<f64> = points[lo..hi].iter().map(|p| p.1).collect();
            window.sort_by(f64::total_cmp);
            let m = window.len();
            let median = if m % 2 == 1 { window[m / 2] } else { 0.5 * (window[m / 2 - 1] + window[m / 2]) };
            (points[i].1 - median).abs() <= GLITCH_TOLERANCE_AH
        })
        .map(|i| points[i])
        .collect()
}

/// Least-squares line through `points`: (slope, intercept).
pub fn line_fit(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let slope = sxy / sxx;
    (slope, my - slope * mx)
}

fn capacity_features(fade: &[CycleCapacity]) -> Result<Vec<(String, f64)>, InputError> {
    let clean = clean_capacity_fade(fade);
    let insufficient = |need: &'static str| InputError::InsufficientCapacityFade {
        need,
        found: format!("{} usable cycles of {} sent", clean.len(), fade.len()),
    };
    if clean.len() < 20 {
        return Err(insufficient("at least 20 usable cycles"));
    }
    let (first, last) = (clean[0], clean[clean.len() - 1]);
    if first.0 > 5.0 || last.0 < 95.0 {
        return Err(insufficient("cycles from at most 5 to at least 95"));
    }
    let late: Vec<(f64, f64)> = clean.iter().copied().filter(|p| p.0 >= 91.0).collect();
    if late.len() < 3 {
        return Err(insufficient("at least 3 usable cycles among 91..=100"));
    }
    let max = clean.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (slope, intercept) = line_fit(&clean);
    let (late_slope, late_intercept) = line_fit(&late);
    let out = [first.1, max - first.1, last.1, slope, intercept, late_slope, late_intercept];
    Ok(capacity_feature_names().into_iter().zip(out).collect())
}
