//! Loader for the Severson et al. (2019) reference files (`cells.csv`, `qdlin_cycle10_cycle100.csv`,
//! `qdlin_all_cycles_every10th_voltage.csv`), turning each cell into the same [`EarlyCycles`] a client would send.
//!
//! Going through the client input type means training, evaluation and serving share one feature path. From the
//! every-10th-voltage file only `q_v999` (capacity at 2.0 V, i.e. the cycle's discharge capacity) is read, so a
//! fixture may keep just that column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::input::{CycleCapacity, CycleCurve, EarlyCycles};

/// The published train/test split (Severson et al. 2019, Supplementary Table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Train,
    PrimaryTest,
    SecondaryTest,
}

/// One cell of the reference set.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub split: Split,
    /// 1-based index within its split (upstream `cellN.csv`).
    pub cell_index: u32,
    pub barcode: String,
    pub charging_policy: String,
    /// Cycles until the capacity fell to 0.88 Ah (80 % of nominal).
    pub cycle_life: f64,
    /// The primary-test cell that Severson's parenthetical figures leave out.
    pub excluded_outlier: bool,
    pub early: EarlyCycles,
}

/// All cells of a reference directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub cells: Vec<Cell>,
}

/// Why a reference directory could not be loaded.
#[derive(Debug, Error)]
pub enum DatasetError {
    #[error("cannot read {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{path}: {message}")]
    Content { path: PathBuf, message: String },
}

#[derive(Deserialize)]
struct CellRow {
    split: Split,
    cell_index: u32,
    barcode: String,
    charging_policy: String,
    cycle_life: f64,
    excluded_outlier: u8,
}

#[derive(Deserialize)]
struct CurveRow {
    split: Split,
    cell_index: u32,
    v_index: usize,
    voltage_v: f64,
    q_cycle10_ah: f64,
    q_cycle100_ah: f64,
}

#[derive(Deserialize)]
struct CapacityRow {
    split: Split,
    cell_index: u32,
    cycle: u32,
    q_v999: f64,
}

type Key = (Split, u32);

fn read_rows<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, DatasetError> {
    let err = |source| DatasetError::Csv { path: path.to_path_buf(), source };
    let mut reader = csv::Reader::from_path(path).map_err(err)?;
    reader.deserialize().collect::<Result<Vec<T>, _>>().map_err(err)
}

impl Dataset {
    /// Loads a reference directory (the full set or a fixture with the same layout).
    pub fn load(dir: &Path) -> Result<Dataset, DatasetError> {
        let cells_path = dir.join("cells.csv");
        let curves_path = dir.join("qdlin_cycle10_cycle100.csv");
        let fade_path = dir.join("qdlin_all_cycles_every10th_voltage.csv");
        let rows: Vec<CellRow> = read_rows(&cells_path)?;
        let mut curves: BTreeMap<Key, Vec<CurveRow>> = BTreeMap::new();
        for row in read_rows::<CurveRow>(&curves_path)? {
            curves.entry((row.split, row.cell_index)).or_default().push(row);
        }
        let mut fades: BTreeMap<Key, Vec<CycleCapacity>> = BTreeMap::new();
        for row in read_rows::<CapacityRow>(&fade_path)? {
            let point = CycleCapacity { cycle: row.cycle, discharge_capacity_ah: row.q_v999 };
            fades.entry((row.split, row.cell_index)).or_default().push(point);
        }
        let mut cells = Vec::with_capacity(rows.len());
        for row in rows {
            let key = (row.split, row.cell_index);
            let content = |path: &Path, what: &str| DatasetError::Content {
                path: path.to_path_buf(),
                message: format!("{what} for cell {:?} {}", row.split, row.cell_index),
            };
            let mut points = curves.remove(&key).ok_or_else(|| content(&curves_path, "no curve rows"))?;
            points.sort_by_key(|p| p.v_index);
            if points.iter().enumerate().any(|(i, p)| p.v_index != i) {
                return Err(content(&curves_path, "voltage indices not 0..n"));
            }
            let mut fade = fades.remove(&key).ok_or_else(|| content(&fade_path, "no capacity rows"))?;
            fade.sort_by_key(|p| p.cycle);
            let early = EarlyCycles {
                voltage_v: points.iter().map(|p| p.voltage_v).collect(),
                curves: vec![
                    CycleCurve { cycle: 10, discharge_capacity_ah: points.iter().map(|p| p.q_cycle10_ah).collect() },
                    CycleCurve { cycle: 100, discharge_capacity_ah: points.iter().map(|p| p.q_cycle100_ah).collect() },
                ],
                capacity_fade: Some(fade),
            };
            cells.push(Cell {
                split: row.split,
                cell_index: row.cell_index,
                barcode: row.barcode,
                charging_policy: row.charging_policy,
                cycle_life: row.cycle_life,
                excluded_outlier: row.excluded_outlier != 0,
                early,
            });
        }
        Ok(Dataset { cells })
    }

    /// Cells of one split, in file order.
    pub fn split(&self, split: Split) -> Vec<&Cell> {
        self.cells.iter().filter(|c| c.split == split).collect()
    }
}

/// SHA-256 (hex) over the exact training inputs: for each cell in the given order, its cycle life and every number of
/// its early-cycle data, as little-endian IEEE-754 bytes, with lengths and cycle numbers as little-endian u64.
///
/// Hashing the parsed inputs rather than the computed features keeps the hash independent of floating-point details
/// of feature extraction (e.g. the platform's `log10`), so it identifies the data, not the code.
pub fn training_data_sha256(cells: &[&Cell]) -> String {
    let mut h = Sha256::new();
    let len = |h: &mut Sha256, n: usize| h.update((n as u64).to_le_bytes());
    let floats = |h: &mut Sha256, xs: &[f64]| {
        h.update((xs.len() as u64).to_le_bytes());
        xs.iter().for_each(|x| h.update(x.to_le_bytes()));
    };
    len(&mut h, cells.len());
    for cell in cells {
        h.update(cell.cycle_life.to_le_bytes());
        floats(&mut h, &cell.early.voltage_v);
        len(&mut h, cell.early.curves.len());
        for curve in &cell.early.curves {
            len(&mut h, curve.cycle as usize);
            floats(&mut h, &curve.discharge_capacity_ah);
        }
        let fade = cell.early.capacity_fade.as_deref().unwrap_or(&[]);
        len(&mut h, fade.len());
        for p in fade {
            len(&mut h, p.cycle as usize);
            h.update(p.discharge_capacity_ah.to_le_bytes());
        }
    }
    hex::encode(h.finalize())
}
