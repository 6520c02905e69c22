//! State of health now and remaining useful life to a threshold, from capacity readings.

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use super::HealthError;
use super::fit::theil_sen;

/// One capacity (or energy) reading. `at` is the ageing axis: cycle number, equivalent full cycles or time; it
/// must increase strictly. A NaN or non-positive capacity is treated as a failed measurement and skipped.
///
/// JSON: `{"at": 57.0, "capacity": 1.61}`
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reading {
    pub at: f64,
    pub capacity: f64,
}

/// Settings of [`estimate`].
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// End of life when capacity falls to this fraction of the rated value (0.8 by default; NASA's cells are often
    /// run to 0.7).
    pub eol_fraction: f64,
    /// The trend is fitted to this most recent fraction of the readings...
    pub window_fraction: f64,
    /// ...but to at least this many readings (fewer readings in total: no extrapolation)...
    pub min_points: usize,
    /// ...and at most this many.
    pub max_points: usize,
    /// Bootstrap replicates for the interval.
    pub bootstrap: usize,
    /// Block length of the moving-block residual bootstrap (keeps runs of correlated residuals, such as
    /// regeneration bumps, together).
    pub block_len: usize,
    /// Central coverage of the RUL interval.
    pub interval: f64,
    /// No extrapolation beyond this multiple of the observed span of `at`: such crossings count as "not reached".
    pub max_horizon_factor: f64,
    pub seed: u64,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            eol_fraction: 0.8,
            window_fraction: 0.5,
            min_points: 10,
            max_points: 150,
            bootstrap: 400,
            block_len: 5,
            interval: 0.9,
            max_horizon_factor: 4.0,
            seed: 0,
        }
    }
}

/// Why the RUL is not (fully) supported by the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Caveat {
    /// Fewer valid readings than `min_points`.
    TooFewPoints,
    /// The fitted trend does not go down.
    NotFading,
    /// More than the interval's tail share of bootstrap trends do not go down.
    FadeNotSignificant,
    /// The median simulated path does not reach the threshold within the horizon.
    BeyondHorizon,
    /// The upper end of the interval lies beyond the horizon (open interval).
    OpenInterval,
    /// The current trend level is already at or below the threshold: RUL 0.
    AtEndOfLife,
}

/// Result of [`estimate`]. Capacities are in the unit of the readings, RUL in the unit of `at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthEstimate {
    /// Trend capacity at the last reading / rated.
    pub soh: f64,
    pub capacity_now: f64,
    /// Last valid reading / rated, unsmoothed, for comparison.
    pub last_reading_soh: f64,
    pub at_now: f64,
    pub threshold_capacity: f64,
    /// Slope of the trend (capacity per unit of `at`; negative = fading).
    pub fade_rate: f64,
    /// Robust σ of the residuals around the trend.
    pub residual_sigma: f64,
    /// Readings the trend was fitted to, and readings skipped as failed measurements.
    pub points_used: usize,
    pub points_skipped: usize,
    /// Median simulated remaining life; `None` when not reached within the horizon or not fading.
    pub rul: Option<f64>,
    pub rul_lower: Option<f64>,
    /// `None` when the interval is open (beyond the horizon).
    pub rul_upper: Option<f64>,
    pub interval: f64,
    /// `at` where end of life is expected (`at_now + rul`).
    pub eol_at: Option<f64>,
    /// False when a caveat other than `AtEndOfLife` / `OpenInterval` applies: do not act on the RUL.
    pub extrapolation_supported: bool,
    pub caveats: Vec<Caveat>,
}

/// Estimates state of health and remaining useful life; see the module documentation for the method.
pub fn estimate(readings: &[Reading], rated: f64, cfg: &HealthConfig) -> Result<HealthEstimate, HealthError> {
    validate(readings, rated, cfg)?;
    let valid: Vec<Reading> = readings.iter().copied().filter(|r| r.capacity.is_finite() && r.capacity > 0.0).collect();
    if valid.len() < 3 {
        return Err(HealthError::TooFewReadings { got: valid.len(), needed: 3 });
    }
    let n = valid.len();
    let w = ((cfg.window_fraction * n as f64).ceil() as usize).max(cfg.min_points).min(cfg.max_points).min(n);
    let win = &valid[n - w..];
    let x: Vec<f64> = win.iter().map(|r| r.at).collect();
    let y: Vec<f64> = win.iter().map(|r| r.capacity).collect();
    let at_now = valid[n - 1].at;
    let (level, slope) = theil_sen(&x, &y, at_now).ok_or(HealthError::ConstantAxis)?;
    let resid: Vec<f64> = x.iter().zip(&y).map(|(xi, yi)| yi - (level + slope * (xi - at_now))).collect();
    let sigma = crate::anomaly::robust::location_scale(&resid).map_or(0.0, |(_, s)| s);
    let threshold = cfg.eol_fraction * rated;

    let mut caveats = Vec::new();
    if n < cfg.min_points {
        caveats.push(Caveat::TooFewPoints);
    }
    let mut out = HealthEstimate {
        soh: level / rated,
        capacity_now: level,
        last_reading_soh: valid[n - 1].capacity / rated,
        at_now,
        threshold_capacity: threshold,
        fade_rate: slope,
        residual_sigma: sigma,
        points_used: w,
        points_skipped: readings.len() - n,
        rul: None,
        rul_lower: None,
        rul_upper: None,
        interval: cfg.interval,
        eol_at: None,
        extrapolation_supported: false,
        caveats: Vec::new(),
    };
    if level <= threshold {
        caveats.push(Caveat::AtEndOfLife);
        (out.rul, out.rul_lower, out.rul_upper, out.eol_at) = (Some(0.0), Some(0.0), Some(0.0), Some(at_now));
    } else if slope >= 0.0 {
        caveats.push(Caveat::NotFading);
    } else {
        let span = (at_now - valid[0].at).max(f64::MIN_POSITIVE);
        let step = median_step(&x).unwrap_or(span / n as f64);
        let horizon = cfg.max_horizon_factor * span;
        let sims = simulate(&x, &y, &resid, at_now, threshold, step, horizon, cfg);
        let tail = (1.0 - cfg.interval) / 2.0;
        let not_fading = sims.iter().filter(|s| s.1 >= 0.0).count() as f64 / sims.len() as f64;
        if not_fading > tail {
            caveats.push(Caveat::FadeNotSignificant);
        }
        let mut ruls: Vec<f64> = sims.iter().map(|s| s.0).collect();
        ruls.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let v = ruls[((p * (ruls.len() - 1) as f64).round() as usize).min(ruls.len() - 1)];
            v.is_finite().then_some(v)
        };
        out.rul = q(0.5);
        out.rul_lower = q(tail);
        out.rul_upper = q(1.0 - tail);
        out.eol_at = out.rul.map(|r| at_now + r);
        if out.rul.is_none() {
            caveats.push(Caveat::BeyondHorizon);
        } else if out.rul_upper.is_none() {
            caveats.push(Caveat::OpenInterval);
        }
    }
    out.extrapolation_supported = !caveats.iter().any(|c| {
        matches!(c, Caveat::TooFewPoints | Caveat::NotFading | Caveat::FadeNotSignificant | Caveat::BeyondHorizon)
    });
    out.caveats = caveats;
    Ok(out)
}

fn validate(readings: &[Reading], rated: f64, cfg: &HealthConfig) -> Result<(), HealthError> {
    if !(rated.is_finite() && rated > 0.0) {
        return Err(HealthError::InvalidRated(rated));
    }
    let frac = |v: f64| v > 0.0 && v < 1.0;
    let valid = frac(cfg.eol_fraction)
        && cfg.window_fraction > 0.0
        && cfg.window_fraction <= 1.0
        && frac(cfg.interval)
        && cfg.min_points >= 3
        && cfg.max_points >= cfg.min_points
        && cfg.bootstrap >= 20
        && cfg.block_len > 0
        && cfg.max_horizon_factor > 0.0
        && cfg.max_horizon_factor.is_finite();
    if !valid {
        return Err(HealthError::InvalidConfig);
    }
    if let Some(r) = readings.iter().find(|r| !r.at.is_finite() || r.capacity.is_infinite()) {
        return Err(HealthError::NonFinite { at: r.at });
    }
    if let Some(w) = readings.windows(2).find(|w| w[1].at <= w[0].at) {
        return Err(HealthError::NotIncreasing { at: w[1].at });
    }
    Ok(())
}

fn median_step(x: &[f64]) -> Option<f64> {
    let mut d: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    super::fit::median_mut(&mut d).filter(|s| *s > 0.0)
}

/// Residual moving-block bootstrap: refit the trend to `fit + resampled residuals`, then walk a simulated future
/// (trend + resampled residuals, one reading per `step`) until it first reads at or below the threshold. Returns
/// per replicate `(rul, slope)`, `rul = ∞` when the horizon is reached first.
#[allow(clippy::too_many_arguments)]
fn simulate(
    x: &[f64],
    y: &[f64],
    resid: &[f64],
    at_now: f64,
    threshold: f64,
    step: f64,
    horizon: f64,
    cfg: &HealthConfig,
) -> Vec<(f64, f64)> {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let n = resid.len();
    let block = cfg.block_len.min(n);
    let fitted: Vec<f64> = y.iter().zip(resid).map(|(a, r)| a - r).collect();
    let draw = |rng: &mut StdRng, len: usize| -> Vec<f64> {
        let mut e = Vec::with_capacity(len + block);
        while e.len() < len {
            let start = rng.random_range(0..=n - block);
            e.extend_from_slice(&resid[start..start + block]);
        }
        e.truncate(len);
        e
    };
    let max_steps = (horizon / step).ceil() as usize;
    (0..cfg.bootstrap)
        .map(|_| {
            let e = draw(&mut rng, n);
            let yb: Vec<f64> = fitted.iter().zip(&e).map(|(f, e)| f + e).collect();
            let Some((level, slope)) = theil_sen(x, &yb, at_now) else { return (f64::INFINITY, 0.0) };
            if slope >= 0.0 {
                return (f64::INFINITY, slope);
            }
            // Walk in chunks of fresh residual blocks until the threshold or the horizon.
            let mut k = 0;
            while k < max_steps {
                for e in draw(&mut rng, 64) {
                    k += 1;
                    let t = k as f64 * step;
                    if level + slope * t + e <= threshold {
                        return (t, slope);
                    }
                    if k >= max_steps {
                        break;
                    }
                }
            }
            (f64::INFINITY, slope)
        })
        .collect()
}
