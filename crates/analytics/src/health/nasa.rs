//! RUL evaluation on the NASA PCoE cells (Saha & Goebel 2007): predict at 50 % of each cell's life.
//!
//! Data preparation, by rule rather than by hand-picked cell list:
//! * empty capacity values are dropped; the ageing axis is the discharge's ordinal in the cell's file (a dropped or
//!   cleaned-out reading still was a cycle);
//! * a cell whose rows carry more than one ambient temperature is excluded (B0038–B0040, B0042–B0044: the
//!   capacity steps with the temperature, which no fade model should extrapolate);
//! * readings are cleaned with a Hampel filter (±3 readings, 4 σ, at least 5 % of rated) — it removes NASA's
//!   "very low capacity" runs (zeros, sudden 20 % dips) and isolated first-reading offsets, not regeneration bumps
//!   of the usual size;
//! * a cell is excluded when its first cleaned readings (median of 5) do not lie at least 5 % of rated above the
//!   threshold (the 4 °C groups start near or below 70 % of the 2 Ah rating), when it never reaches the threshold,
//!   or when it does so within its first 20 readings.
//!
//! End of life = ordinal of the first cleaned reading at or below the threshold. The estimate sees the readings up
//! to ⌊EOL/2⌋, Hampel-cleaned on that prefix alone (no look-ahead). The naive baseline extrapolates the straight
//! line through the first and last raw readings of the prefix.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::estimate::{HealthConfig, Reading, estimate};
use super::fit::hampel_keep;
use super::{HealthError, NASA_RATED_AH};

/// A cell left out of the evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exclusion {
    pub cell: String,
    pub reason: String,
}

/// One cell's prediction at half life.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CellRul {
    pub cell: String,
    pub ambient_c: f64,
    pub eol_cycle: f64,
    pub cut_cycle: f64,
    pub true_rul: f64,
    pub predicted_rul: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub covered: bool,
    pub extrapolation_supported: bool,
    pub soh_at_cut: f64,
    pub baseline_rul: Option<f64>,
}

/// Aggregate over the evaluated cells of one threshold. A missing prediction (not fading, beyond the horizon)
/// counts as an error of the full true RUL, so declining to predict is not rewarded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RulSummary {
    pub eol_fraction: f64,
    pub cells: Vec<CellRul>,
    pub n: usize,
    pub mae_cycles: f64,
    pub mean_relative_error: f64,
    pub coverage: f64,
    pub baseline_mae_cycles: f64,
    pub baseline_mean_relative_error: f64,
    pub unsupported: usize,
}

/// Result of [`evaluate_nasa`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    pub seed: u64,
    pub rated_ah: f64,
    pub interval: f64,
    pub window_fraction: f64,
    pub thresholds: Vec<RulSummary>,
    pub excluded: Vec<(f64, Vec<Exclusion>)>,
}

impl HealthReport {
    /// Plain-text table of the per-cell results and the summaries.
    pub fn table(&self) -> String {
        let o = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0}"));
        let mut s = String::new();
        for t in &self.thresholds {
            s += &format!("EOL at {:.0} % of {} Ah\n", 100.0 * t.eol_fraction, self.rated_ah);
            s += "cell   eol  cut true_rul pred [lower, upper] covered supported baseline\n";
            for c in &t.cells {
                s += &format!(
                    "{:<6} {:>4} {:>4} {:>8} {:>4} [{:>5}, {:>5}] {:>7} {:>9} {:>8}\n",
                    c.cell,
                    c.eol_cycle,
                    c.cut_cycle,
                    c.true_rul,
                    o(c.predicted_rul),
                    o(c.lower),
                    o(c.upper),
                    c.covered,
                    c.extrapolation_supported,
                    o(c.baseline_rul)
                );
            }
            s += &format!(
                "n={} MAE {:.1} cycles (rel {:.1} %), coverage {:.0} % | baseline MAE {:.1} (rel {:.1} %) | unsupported {}\n\n",
                t.n,
                t.mae_cycles,
                100.0 * t.mean_relative_error,
                100.0 * t.coverage,
                t.baseline_mae_cycles,
                100.0 * t.baseline_mean_relative_error,
                t.unsupported
            );
        }
        s
    }
}

struct Cell {
    id: String,
    temps: Vec<f64>,
    /// (ordinal, capacity) of the non-empty readings.
    readings: Vec<(f64, f64)>,
}

fn load(dir: &Path) -> Result<Vec<Cell>, HealthError> {
    let path = dir.join("nasa_pcoe_battery_aging").join("cycle_summary.csv");
    let (header, rows) = crate::anomaly::read_table(&path).map_err(|e| HealthError::Data(e.to_string()))?;
    let col = |name: &str| header.iter().position(|h| h == name).ok_or_else(|| HealthError::Data(format!("no {name}")));
    let (id, temp, cap) = (col("battery_id")?, col("ambient_temperature")?, col("capacity_ahr")?);
    let mut cells: BTreeMap<String, Cell> = BTreeMap::new();
    for r in &rows {
        let c = cells.entry(r[id].to_string()).or_insert_with(|| Cell {
            id: r[id].to_string(),
            temps: vec![],
            readings: vec![],
        });
        if let Ok(t) = r[temp].trim().parse::<f64>()
            && !c.temps.contains(&t)
        {
            c.temps.push(t);
        }
        let ordinal = (c.readings.len() + 1) as f64;
        c.readings.push((ordinal, r[cap].trim().parse::<f64>().unwrap_or(f64::NAN)));
    }
    for c in cells.values_mut() {
        c.readings.retain(|r| r.1.is_finite());
    }
    Ok(cells.into_values().collect())
}

fn clean(readings: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let y: Vec<f64> = readings.iter().map(|r| r.1).collect();
    let keep = hampel_keep(&y, 3, 4.0, 0.05 * NASA_RATED_AH);
    readings.iter().zip(keep).filter(|(_, k)| *k).map(|(r, _)| *r).collect()
}

/// Evaluates [`estimate`] on the NASA cells at EOL = 70 % and 80 % of the 2 Ah rating; see the module docs.
pub fn evaluate_nasa(datasets_dir: &Path, seed: u64) -> Result<HealthReport, HealthError> {
    evaluate_nasa_with(datasets_dir, &HealthConfig { seed, ..HealthConfig::default() })
}

/// [`evaluate_nasa`] with explicit settings (`eol_fraction` is ignored: both 0.7 and 0.8 are evaluated).
pub fn evaluate_nasa_with(datasets_dir: &Path, base: &HealthConfig) -> Result<HealthReport, HealthError> {
    let cells = load(datasets_dir)?;
    let mut thresholds = Vec::new();
    let mut excluded = Vec::new();
    for frac in [0.7, 0.8] {
        let threshold = frac * NASA_RATED_AH;
        let mut ex = Vec::new();
        let mut results = Vec::new();
        for cell in &cells {
            let reason = |s: &str| Exclusion { cell: cell.id.clone(), reason: s.to_string() };
            if cell.temps.len() != 1 {
                ex.push(reason("more than one ambient temperature"));
                continue;
            }
            let cleaned = clean(&cell.readings);
            let mut head: Vec<f64> = cleaned.iter().take(5).map(|r| r.1).collect();
            let start = super::fit::median_mut(&mut head).unwrap_or(0.0);
            if start < threshold + 0.05 * NASA_RATED_AH {
                ex.push(reason("starts too close to or below the threshold"));
                continue;
            }
            let Some(eol_pos) = cleaned.iter().position(|r| r.1 <= threshold) else {
                ex.push(reason("never reaches the threshold"));
                continue;
            };
            if eol_pos < 20 {
                ex.push(reason("reaches the threshold within its first 20 readings"));
                continue;
            }
            let eol = cleaned[eol_pos].0;
            let cut = (eol / 2.0).floor();
            let prefix: Vec<(f64, f64)> = cell.readings.iter().copied().filter(|r| r.0 <= cut).collect();
            let readings: Vec<Reading> =
                clean(&prefix).iter().map(|&(at, capacity)| Reading { at, capacity }).collect();
            let cfg = HealthConfig { eol_fraction: frac, ..base.clone() };
            let est = estimate(&readings, NASA_RATED_AH, &cfg)?;
            let true_rul = eol - cut;
            let covered = est.rul_lower.is_some_and(|l| l <= true_rul) && est.rul_upper.is_none_or(|u| true_rul <= u);
            let (first, last) = (prefix[0], prefix[prefix.len() - 1]);
            let slope = (last.1 - first.1) / (last.0 - first.0);
            let baseline_rul = (slope < 0.0).then(|| ((threshold - last.1) / slope).max(0.0));
            results.push(CellRul {
                cell: cell.id.clone(),
                ambient_c: cell.temps[0],
                eol_cycle: eol,
                cut_cycle: cut,
                true_rul,
                predicted_rul: est.rul,
                lower: est.rul_lower,
                upper: est.rul_upper,
                covered,
                extrapolation_supported: est.extrapolation_supported,
                soh_at_cut: est.soh,
                baseline_rul,
            });
        }
        thresholds.push(summarise(frac, results));
        excluded.push((frac, ex));
    }
    Ok(HealthReport {
        seed: base.seed,
        rated_ah: NASA_RATED_AH,
        interval: base.interval,
        window_fraction: base.window_fraction,
        thresholds,
        excluded,
    })
}

fn summarise(eol_fraction: f64, cells: Vec<CellRul>) -> RulSummary {
    let n = cells.len();
    let mean =
        |f: &dyn Fn(&CellRul) -> f64| if n == 0 { f64::NAN } else { cells.iter().map(f).sum::<f64>() / n as f64 };
    let err = |p: Option<f64>, c: &CellRul| p.map_or(c.true_rul, |p| (p - c.true_rul).abs());
    RulSummary {
        eol_fraction,
        n,
        mae_cycles: mean(&|c| err(c.predicted_rul, c)),
        mean_relative_error: mean(&|c| err(c.predicted_rul, c) / c.true_rul),
        coverage: mean(&|c| f64::from(u8::from(c.covered))),
        baseline_mae_cycles: mean(&|c| err(c.baseline_rul, c)),
        baseline_mean_relative_error: mean(&|c| err(c.baseline_rul, c) / c.true_rul),
        unsupported: cells.iter().filter(|c| !c.extrapolation_supported).count(),
        cells,
    }
}
