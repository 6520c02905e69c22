//! What a client sends: discharge capacity versus voltage for early cycles, and optionally the discharge capacity of
//! every early cycle.
//!
//! Validation happens once, here, so that feature extraction can assume finite, aligned, monotonic data. Curves
//! measured on a voltage grid other than the model's are resampled onto the model grid by linear interpolation of
//! Q(V) (see [`EarlyCycles::curve_on_model_grid`]). Severson et al. interpolated their raw discharge data onto 1000
//! evenly spaced voltages the same way, and Attia et al. (2021) found that a grid as coarse as 16 mV changes the
//! variance model's error by under 1 %, so a client may send its own grid as long as it is fine enough and covers the
//! model's voltage window.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Upper end of the model's voltage grid (V): where the 4C discharge of the Severson cells starts being recorded.
pub const GRID_HIGH_V: f64 = 3.6;
/// Lower end of the model's voltage grid (V): the discharge cut-off voltage.
pub const GRID_LOW_V: f64 = 2.0;
/// Number of points of the model's voltage grid (Severson et al. 2019, Methods).
pub const GRID_POINTS: usize = 1000;
/// Fewest points a client's curve may have: 100 points over 1.6 V is 16 mV spacing.
pub const MIN_CURVE_POINTS: usize = 100;
/// How far (V) a client's grid may fall short of either end of the model window; the curve is held flat there.
pub const GRID_END_TOLERANCE_V: f64 = 0.02;
/// The two cycles whose capacity-voltage curves every model needs.
pub const REQUIRED_CURVE_CYCLES: [u32; 2] = [10, 100];
/// Early cycles end here: nothing later than cycle 100 is used.
pub const LAST_EARLY_CYCLE: u32 = 100;

/// Early cycling data of one cell, as a client would send it to a server (camelCase JSON).
///
/// Shape (arrays shortened; `voltageV` needs at least 100 points covering 3.6..2.0 V, every curve one value per
/// voltage; `capacityFade` is optional but the committed model needs it, cycles 2..=100 as available):
///
/// ```json
/// {
///   "voltageV": [3.6, 3.5984, 3.5968, "…", 2.0],
///   "curves": [
///     { "cycle": 10,  "dischargeCapacityAh": [-0.0002, -0.0001, 0.0001, "…", 1.0712] },
///     { "cycle": 100, "dischargeCapacityAh": [-0.0003, -0.0003, 0.0000, "…", 1.0654] }
///   ],
///   "capacityFade": [ { "cycle": 2, "dischargeCapacityAh": 1.0610 }, { "cycle": 3, "dischargeCapacityAh": 1.0627 } ]
/// }
/// ```
///
/// Unknown fields are refused, so that a misspelt optional field is not silently ignored.
///
/// ```
/// use analytics::cycle_life::{EarlyCycles, InputError};
/// let v: Vec<f64> = (0..200).map(|i| 3.6 - 1.6 * i as f64 / 199.0).collect();
/// let q10: Vec<f64> = v.iter().map(|v| 1.07 * (3.6 - v) / 1.6).collect();
/// let q100: Vec<f64> = q10.iter().map(|q| q * 0.99).collect();
/// let json = serde_json::json!({
///     "voltageV": v,
///     "curves": [{ "cycle": 10, "dischargeCapacityAh": q10 }, { "cycle": 100, "dischargeCapacityAh": q100 }],
/// });
/// let early: EarlyCycles = serde_json::from_value(json).unwrap();
/// assert_eq!(early.validate(), Ok(()));
/// assert_eq!(early.curve_on_model_grid(100).unwrap().len(), 1000);
/// let mut no_100 = early.clone();
/// no_100.curves.pop();
/// assert_eq!(no_100.validate(), Err(InputError::MissingCycle(100)));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EarlyCycles {
    /// Voltage grid (V), strictly monotonic (either direction), shared by all curves.
    pub voltage_v: Vec<f64>,
    /// Discharge capacity versus voltage of individual cycles; cycles 10 and 100 are required.
    pub curves: Vec<CycleCurve>,
    /// Discharge capacity of each early cycle (2..=100 as available). Models that use capacity-fade features need it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_fade: Option<Vec<CycleCapacity>>,
}

/// Discharge capacity (Ah) at each voltage of [`EarlyCycles::voltage_v`] during one cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CycleCurve {
    pub cycle: u32,
    pub discharge_capacity_ah: Vec<f64>,
}

/// Total discharge capacity (Ah) of one cycle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CycleCapacity {
    pub cycle: u32,
    pub discharge_capacity_ah: f64,
}

/// Why early-cycle data cannot be used for a prediction.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum InputError {
    #[error("the curve of cycle {0} is missing (cycles 10 and 100 are required)")]
    MissingCycle(u32),
    #[error("cycle {0} appears more than once")]
    DuplicateCycle(u32),
    #[error("cycle {0} is outside the early cycles 1..=100")]
    CycleOutOfRange(u32),
    #[error("the voltage grid has {found} points, fewer than the {min} needed")]
    TooFewPoints { found: usize, min: usize },
    #[error("the curve of cycle {cycle} has {found} values but the voltage grid has {expected}")]
    LengthMismatch { cycle: u32, expected: usize, found: usize },
    #[error("{what} has a non-finite value at index {index}")]
    NonFinite { what: String, index: usize },
    #[error("the voltage grid is not strictly monotonic at index {0}")]
    NotMonotonic(usize),
    #[error("the voltage grid spans {low:.3}..{high:.3} V but must cover {need_low}..{need_high} V")]
    GridDoesNotCover { low: f64, high: f64, need_low: f64, need_high: f64 },
    #[error("capacity {value} Ah of cycle {cycle} is not a positive capacity")]
    BadCapacity { cycle: u32, value: f64 },
    #[error("the model needs the per-cycle capacity fade (capacityFade), which was not sent")]
    MissingCapacityFade,
    #[error("capacity fade needs {need}; {found}")]
    InsufficientCapacityFade { need: &'static str, found: String },
    #[error("cycle 100 and cycle 10 curves are identical, so their difference carries no information")]
    DegenerateCurves,
    #[error("the model uses feature {0:?}, which this version of the code does not compute")]
    UnknownFeature(String),
}

/// The model's voltage grid: `GRID_POINTS` values from `GRID_HIGH_V` down to `GRID_LOW_V`, evenly spaced.
pub fn model_grid() -> Vec<f64> {
    let step = (GRID_HIGH_V - GRID_LOW_V) / (GRID_POINTS - 1) as f64;
    (0..GRID_POINTS).map(|i| GRID_HIGH_V - step * i as f64).collect()
}

impl EarlyCycles {
    /// Checks everything feature extraction relies on. Capacity fade is checked only if present.
    pub fn validate(&self) -> Result<(), InputError> {
        let n = self.voltage_v.len();
        if n < MIN_CURVE_POINTS {
            return Err(InputError::TooFewPoints { found: n, min: MIN_CURVE_POINTS });
        }
        check_finite("voltageV", &self.voltage_v)?;
        let rising = self.voltage_v[1] > self.voltage_v[0];
        for i in 1..n {
            let step = self.voltage_v[i] - self.voltage_v[i - 1];
            if step == 0.0 || (step > 0.0) != rising {
                return Err(InputError::NotMonotonic(i));
            }
        }
        let (low, high) = if rising {
            (self.voltage_v[0], self.voltage_v[n - 1])
        } else {
            (self.voltage_v[n - 1], self.voltage_v[0])
        };
        if low > GRID_LOW_V + GRID_END_TOLERANCE_V || high < GRID_HIGH_V - GRID_END_TOLERANCE_V {
            return Err(InputError::GridDoesNotCover { low, high, need_low: GRID_LOW_V, need_high: GRID_HIGH_V });
        }
        let mut seen = Vec::new();
        for curve in &self.curves {
            check_cycle(curve.cycle, &mut seen)?;
            if curve.discharge_capacity_ah.len() != n {
                return Err(InputError::LengthMismatch {
                    cycle: curve.cycle,
                    expected: n,
                    found: curve.discharge_capacity_ah.len(),
                });
            }
            check_finite(&format!("the curve of cycle {}", curve.cycle), &curve.discharge_capacity_ah)?;
        }
        for cycle in REQUIRED_CURVE_CYCLES {
            if !seen.contains(&cycle) {
                return Err(InputError::MissingCycle(cycle));
            }
        }
        if let Some(fade) = &self.capacity_fade {
            let mut seen = Vec::new();
            for point in fade {
                check_cycle(point.cycle, &mut seen)?;
                if !point.discharge_capacity_ah.is_finite() || point.discharge_capacity_ah <= 0.0 {
                    return Err(InputError::BadCapacity { cycle: point.cycle, value: point.discharge_capacity_ah });
                }
            }
        }
        Ok(())
    }

    /// The curve of `cycle` on the model grid (`model_grid()`), resampled if the client's grid differs.
    ///
    /// Resampling is linear interpolation of capacity against voltage; where the client's grid stops short of the
    /// model window (by at most `GRID_END_TOLERANCE_V`, checked by `validate`) the end value is held. Call only after
    /// `validate`.
    pub fn curve_on_model_grid(&self, cycle: u32) -> Option<Vec<f64>> {
        let curve = self.curves.iter().find(|c| c.cycle == cycle)?;
        let grid = model_grid();
        if same_grid(&self.voltage_v, &grid) {
            return Some(curve.discharge_capacity_ah.clone());
        }
        // Work on a rising copy so that one interpolation routine serves both directions.
        let mut pairs: Vec<(f64, f64)> =
            self.voltage_v.iter().copied().zip(curve.discharge_capacity_ah.iter().copied()).collect();
        if pairs[0].0 > pairs[pairs.len() - 1].0 {
            pairs.reverse();
        }
        Some(grid.iter().map(|&v| interpolate(&pairs, v)).collect())
    }
}

fn check_finite(what: &str, values: &[f64]) -> Result<(), InputError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(InputError::NonFinite { what: what.to_string(), index }),
        None => Ok(()),
    }
}

fn check_cycle(cycle: u32, seen: &mut Vec<u32>) -> Result<(), InputError> {
    if cycle == 0 || cycle > LAST_EARLY_CYCLE {
        return Err(InputError::CycleOutOfRange(cycle));
    }
    if seen.contains(&cycle) {
        return Err(InputError::DuplicateCycle(cycle));
    }
    seen.push(cycle);
    Ok(())
}

fn same_grid(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
}

/// Linear interpolation in `pairs` (sorted by rising voltage), held flat beyond the ends.
fn interpolate(pairs: &[(f64, f64)], v: f64) -> f64 {
    let last = pairs.len() - 1;
    if v <= pairs[0].0 {
        return pairs[0].1;
    }
    if v >= pairs[last].0 {
        return pairs[last].1;
    }
    let upper = pairs.partition_point(|&(x, _)| x < v);
    let (x0, y0) = pairs[upper - 1];
    let (x1, y1) = pairs[upper];
    y0 + (y1 - y0) * (v - x0) / (x1 - x0)
}
