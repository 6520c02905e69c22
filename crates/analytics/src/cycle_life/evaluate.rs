//! Benchmark: trains on the train split, then scores on the published test splits.
//!
//! Splits are reported as Severson et al. did: train, primary test (all 43 cells, and without the one outlier cell
//! their parenthetical figures leave out) and secondary test (a later batch, the harder generalisation).

use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use thiserror::Error;

use super::dataset::{Cell, Dataset, DatasetError, Split};
use super::features::extract;
use super::input::InputError;
use super::model::Model;
use super::nested::{NestedCv, nested_cv};
use super::train::{NOMINAL_COVERAGE, TrainingTable, Variant, train, train_curves_only, train_variance};

/// Why an evaluation failed.
#[derive(Debug, Error)]
pub enum EvaluateError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("cell {split:?} {cell_index}: {source}")]
    Cell { split: Split, cell_index: u32, source: InputError },
    #[error("training failed: {0}")]
    Training(InputError),
}

/// Outer folds and repeats of the nested cross-validation in the report.
pub const NESTED_FOLDS: usize = 5;
pub const NESTED_REPEATS: usize = 2;

/// Error figures of one model on one group of cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitMetrics {
    /// `train`, `primary_test`, `primary_test_excl_outlier` or `secondary_test`.
    pub split: String,
    pub cells: usize,
    pub rmse_cycles: f64,
    pub mape_percent: f64,
    /// Share of cells whose true life lies within [lower, upper]; absent for the baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_coverage: Option<f64>,
    /// Cells flagged as outside the training range (absent for the baseline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_training_range: Option<usize>,
    /// Median of upper/lower over the cells (the interval's relative width); absent for the baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_upper_over_lower: Option<f64>,
}

/// One model's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelEvaluation {
    pub model: String,
    pub description: String,
    pub feature_names: Vec<String>,
    /// Cross-validated RMSE within train (absent for the baseline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cv_rmse_cycles: Option<f64>,
    pub splits: Vec<SplitMetrics>,
}

/// Wall-clock times in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    pub load_ms: f64,
    pub train_variance_ms: f64,
    pub train_model_ms: f64,
    /// Feature extraction and prediction for every cell, all three models.
    pub predict_all_ms: f64,
    pub nested_cv_ms: f64,
}

/// Everything the benchmark prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleLifeReport {
    pub seed: u64,
    pub nominal_coverage: f64,
    pub training_data_sha256: String,
    pub variance_model: ModelEvaluation,
    pub model: ModelEvaluation,
    /// The same procedure restricted to the cycle 10 and 100 curves (no capacity fade in the input).
    pub curves_only_model: ModelEvaluation,
    /// Predicts 10^(mean log10 cycle life of train) for every cell.
    pub mean_baseline: ModelEvaluation,
    /// The whole training procedure cross-validated within train (outer folds never used for tuning).
    pub nested_cv: NestedCv,
    /// The same for the curves-only variant.
    pub curves_only_nested_cv: NestedCv,
    pub timings: Timings,
}

/// The groups of cells reported, by name.
fn groups(dataset: &Dataset) -> Vec<(&'static str, Vec<&Cell>)> {
    let primary = dataset.split(Split::PrimaryTest);
    vec![
        ("train", dataset.split(Split::Train)),
        ("primary_test", primary.clone()),
        ("primary_test_excl_outlier", primary.into_iter().filter(|c| !c.excluded_outlier).collect()),
        ("secondary_test", dataset.split(Split::SecondaryTest)),
    ]
}

/// RMSE and mean absolute percentage error of `(predicted, true)` pairs.
pub fn rmse_mape(pairs: &[(f64, f64)]) -> (f64, f64) {
    let n = pairs.len() as f64;
    let rmse = (pairs.iter().map(|(p, t)| (p - t).powi(2)).sum::<f64>() / n).sqrt();
    let mape = 100.0 * pairs.iter().map(|(p, t)| (p - t).abs() / t).sum::<f64>() / n;
    (rmse, mape)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let m = xs.len();
    if m % 2 == 1 { xs[m / 2] } else { 0.5 * (xs[m / 2 - 1] + xs[m / 2]) }
}

/// Scores `model` on every group of `dataset`.
pub fn evaluate_model(model: &Model, dataset: &Dataset) -> Result<ModelEvaluation, EvaluateError> {
    let mut splits = Vec::new();
    for (name, cells) in groups(dataset) {
        let mut pairs = Vec::new();
        let mut inside = 0usize;
        let mut ratios = Vec::new();
        let mut flagged = 0usize;
        for cell in &cells {
            let err = |source| EvaluateError::Cell { split: cell.split, cell_index: cell.cell_index, source };
            let p = model.predict(&cell.early).map_err(err)?;
            pairs.push((p.cycle_life, cell.cycle_life));
            inside += usize::from(p.lower <= cell.cycle_life && cell.cycle_life <= p.upper);
            ratios.push(p.upper / p.lower);
            flagged += usize::from(!p.outside_training_range.is_empty());
        }
        let (rmse_cycles, mape_percent) = rmse_mape(&pairs);
        splits.push(SplitMetrics {
            split: name.to_string(),
            cells: cells.len(),
            rmse_cycles,
            mape_percent,
            interval_coverage: Some(inside as f64 / cells.len() as f64),
            outside_training_range: Some(flagged),
            median_upper_over_lower: Some(median(ratios)),
        });
    }
    Ok(ModelEvaluation {
        model: model.id(),
        description: model.description.clone(),
        feature_names: model.feature_names.clone(),
        cv_rmse_cycles: Some(model.training.cv_rmse_cycles),
        splits,
    })
}

fn baseline(dataset: &Dataset) -> ModelEvaluation {
    let train = dataset.split(Split::Train);
    let mean_log = train.iter().map(|c| c.cycle_life.log10()).sum::<f64>() / train.len() as f64;
    let guess = 10f64.powf(mean_log);
    let splits = groups(dataset)
        .into_iter()
        .map(|(name, cells)| {
            let pairs: Vec<(f64, f64)> = cells.iter().map(|c| (guess, c.cycle_life)).collect();
            let (rmse_cycles, mape_percent) = rmse_mape(&pairs);
            SplitMetrics {
                split: name.to_string(),
                cells: cells.len(),
                rmse_cycles,
                mape_percent,
                interval_coverage: None,
                outside_training_range: None,
                median_upper_over_lower: None,
            }
        })
        .collect();
    ModelEvaluation {
        model: "mean-log-baseline".into(),
        description: "10^(mean of log10 cycle life over train) for every cell".into(),
        feature_names: Vec::new(),
        cv_rmse_cycles: None,
        splits,
    }
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Loads the reference set at `dataset_dir`, trains both models on its train split with `seed`, and scores them.
pub fn evaluate(dataset_dir: &Path, seed: u64) -> Result<CycleLifeReport, EvaluateError> {
    let t = Instant::now();
    let dataset = Dataset::load(dataset_dir)?;
    let load_ms = ms(t);
    // Every cell must yield features; name the first one that does not.
    for cell in &dataset.cells {
        extract(&cell.early).map_err(|source| EvaluateError::Cell {
            split: cell.split,
            cell_index: cell.cell_index,
            source,
        })?;
    }
    let wrap = EvaluateError::Training;
    let t = Instant::now();
    let variance = train_variance(&dataset, seed).map_err(wrap)?;
    let train_variance_ms = ms(t);
    let t = Instant::now();
    let model = train(&dataset, seed).map_err(wrap)?;
    let train_model_ms = ms(t);
    let curves_model = train_curves_only(&dataset, seed).map_err(wrap)?;
    let t = Instant::now();
    let variance_model = evaluate_model(&variance, &dataset)?;
    let best = evaluate_model(&model, &dataset)?;
    let curves_only_model = evaluate_model(&curves_model, &dataset)?;
    let predict_all_ms = ms(t);
    let table = TrainingTable::new(&dataset).map_err(wrap)?;
    let t = Instant::now();
    let nested = nested_cv(&table, Variant::Full, NESTED_FOLDS, NESTED_REPEATS, seed).map_err(wrap)?;
    let curves_only_nested_cv =
        nested_cv(&table, Variant::CurvesOnly, NESTED_FOLDS, NESTED_REPEATS, seed).map_err(wrap)?;
    let nested_cv_ms = ms(t);
    Ok(CycleLifeReport {
        seed,
        nominal_coverage: NOMINAL_COVERAGE,
        training_data_sha256: super::dataset::training_data_sha256(&table.cells),
        variance_model,
        model: best,
        curves_only_model,
        mean_baseline: baseline(&dataset),
        nested_cv: nested,
        curves_only_nested_cv,
        timings: Timings { load_ms, train_variance_ms, train_model_ms, predict_all_ms, nested_cv_ms },
    })
}
