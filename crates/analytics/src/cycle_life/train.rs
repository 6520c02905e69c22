//! Training: the Severson "variance" model, and a better model chosen by cross-validation within the training cells.
//!
//! Procedure of [`train`], which sees only the cells of the `train` split:
//! 1. Extract all features of every training cell; target y = log10(cycle life).
//! 2. For every candidate (a named feature set × a penalty from a fixed grid), run repeated K-fold cross-validation
//!    with the same seeded folds for every candidate, and score the out-of-fold predictions by RMSE in cycles
//!    (the figure the paper reports), averaged over the repeats.
//! 3. Keep the candidate with the lowest cross-validated RMSE and refit it on all training cells.
//! 4. Calibrate the interval from that candidate's out-of-fold log10 residuals (split-conformal style): the half-width
//!    is the ⌈(n+1)·c⌉/n empirical quantile of their absolute values, c being the nominal coverage.
//!
//! The test splits are never read here; [`super::evaluate`] scores the result on them afterwards.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::dataset::{Cell, Dataset, Split, training_data_sha256};
use super::features::{Features, capacity_feature_names, curve_feature_names, extract};
use super::input::InputError;
use super::linear::{Penalty, Problem, fit};
use super::model::{IntervalCalibration, Member, Model, TrainingRecord};

/// Name of the reproduction of Severson et al.'s one-feature model.
pub const VARIANCE_MODEL_NAME: &str = "severson-variance";
/// Name of the cross-validated model.
pub const MODEL_NAME: &str = "voltpass-cycle-life";
/// Bumped whenever the features, candidates or procedure change.
pub const MODEL_VERSION: &str = "1.0.0";
/// Nominal coverage of the prediction interval.
pub const NOMINAL_COVERAGE: f64 = 0.9;
pub const CV_FOLDS: usize = 5;
pub const CV_REPEATS: usize = 10;
/// Seed of the committed model.
pub const DEFAULT_SEED: u64 = 2019;

/// A feature set and penalty to try.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub feature_set: String,
    pub feature_names: Vec<String>,
    pub penalty: Penalty,
}

/// Cross-validated performance of a candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct CvResult {
    pub rmse_cycles: f64,
    pub mape_percent: f64,
    /// Out-of-fold log10 residuals (prediction − truth), all repeats pooled.
    pub log_residuals: Vec<f64>,
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The feature sets tried, by name.
pub fn feature_sets() -> Vec<(String, Vec<String>)> {
    let severson = names(&[
        "dq_log_var",
        "dq_log_abs_min",
        "dq_log_abs_skew",
        "dq_log_abs_kurt",
        "cap_cycle2",
        "cap_max_minus_cycle2",
    ]);
    let mut rich = severson.clone();
    rich.extend(names(&["dq_log_abs_mean", "dq_log_range", "dq_argmin_v"]));
    rich.extend(capacity_feature_names().into_iter().filter(|n| !severson.contains(n)));
    let windows: Vec<String> = curve_feature_names().into_iter().filter(|n| n.starts_with("dq_log_var_w")).collect();
    let mut rich_windows = rich.clone();
    rich_windows.extend(windows.iter().cloned());
    let mut severson_windows = severson.clone();
    severson_windows.extend(windows.iter().cloned());
    vec![
        ("severson_discharge".into(), severson),
        ("severson_discharge_windows".into(), severson_windows),
        ("rich".into(), rich),
        ("rich_windows".into(), rich_windows),
        ("curves_only".into(), curve_feature_names()),
    ]
}

/// The penalties tried for every feature set.
pub fn penalty_grid() -> Vec<Penalty> {
    let mut grid: Vec<Penalty> =
        [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0].iter().map(|&lambda| Penalty::Ridge { lambda }).collect();
    // Ordered along paths (fixed ρ, decreasing α) so that cross-validation can warm-start.
    for l1_ratio in [0.1, 0.5, 0.9, 1.0] {
        for alpha in [0.1, 3e-2, 1e-2, 3e-3] {
            grid.push(Penalty::ElasticNet { alpha, l1_ratio });
        }
    }
    grid
}

/// Training cells with their features and targets.
pub struct TrainingTable<'a> {
    pub cells: Vec<&'a Cell>,
    pub features: Vec<Features>,
    pub log_life: Vec<f64>,
}

impl<'a> TrainingTable<'a> {
    pub fn new(dataset: &'a Dataset) -> Result<TrainingTable<'a>, InputError> {
        let cells = dataset.split(Split::Train);
        let features = cells.iter().map(|c| extract(&c.early)).collect::<Result<Vec<_>, _>>()?;
        let log_life = cells.iter().map(|c| c.cycle_life.log10()).collect();
        Ok(TrainingTable { cells, features, log_life })
    }

    fn rows(&self, names: &[String]) -> Result<Vec<Vec<f64>>, InputError> {
        self.features.iter().map(|f| f.select(names)).collect()
    }
}

/// Seeded fold assignment for each repeat: `folds[r][i]` is the fold of cell i in repeat r.
pub fn fold_assignments(n: usize, folds: usize, repeats: usize, seed: u64) -> Vec<Vec<usize>> {
    (0..repeats)
        .map(|r| {
            let mut rng = StdRng::seed_from_u64(seed.wrapping_add(r as u64));
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut rng);
            let mut fold = vec![0; n];
            for (position, &cell) in order.iter().enumerate() {
                fold[cell] = position % folds;
            }
            fold
        })
        .collect()
}

/// Repeated K-fold cross-validation of one feature set with each of `penalties`, one result per penalty.
///
/// Each fold's standardised statistics are computed once and shared by all penalties; consecutive elastic-net
/// penalties warm-start from each other, so order them along a path (same ρ, decreasing α) for speed.
pub fn cross_validate(
    table: &TrainingTable,
    feature_names: &[String],
    penalties: &[Penalty],
    folds: &[Vec<usize>],
) -> Result<Vec<CvResult>, InputError> {
    let rows = table.rows(feature_names)?;
    let y = &table.log_life;
    let n = y.len();
    let k = folds[0].iter().max().map_or(0, |m| m + 1);
    let mut squared = vec![vec![0.0; folds.len()]; penalties.len()];
    let mut ape = vec![0.0; penalties.len()];
    let mut log_residuals = vec![Vec::with_capacity(folds.len() * n); penalties.len()];
    for (r, assignment) in folds.iter().enumerate() {
        for fold in 0..k {
            let (train_rows, train_y): (Vec<Vec<f64>>, Vec<f64>) =
                (0..n).filter(|&i| assignment[i] != fold).map(|i| (rows[i].clone(), y[i])).unzip();
            let problem = Problem::new(&train_rows, &train_y);
            let mut warm: Option<Vec<f64>> = None;
            for (c, &penalty) in penalties.iter().enumerate() {
                let model = problem.fit(penalty, warm.as_deref());
                for i in (0..n).filter(|&i| assignment[i] == fold) {
                    let predicted = model.predict(&rows[i]);
                    let (p, t) = (10f64.powf(predicted), 10f64.powf(y[i]));
                    squared[c][r] += (p - t).powi(2);
                    ape[c] += (p - t).abs() / t;
                    log_residuals[c].push(predicted - y[i]);
                }
                warm = matches!(penalty, Penalty::ElasticNet { .. }).then_some(model.coefficients);
            }
        }
    }
    Ok((0..penalties.len())
        .map(|c| CvResult {
            rmse_cycles: squared[c].iter().map(|s| (s / n as f64).sqrt()).sum::<f64>() / folds.len() as f64,
            mape_percent: 100.0 * ape[c] / log_residuals[c].len() as f64,
            log_residuals: std::mem::take(&mut log_residuals[c]),
        })
        .collect())
}

/// Split-conformal half-width: the ⌈(n+1)c⌉/n quantile of |residuals|, n being the number of distinct cells.
pub fn conformal_half_width(log_residuals: &[f64], cells: usize, coverage: f64) -> f64 {
    let mut abs: Vec<f64> = log_residuals.iter().map(|r| r.abs()).collect();
    abs.sort_by(f64::total_cmp);
    let level = (((cells + 1) as f64 * coverage).ceil() / cells as f64).min(1.0);
    let index = ((level * abs.len() as f64).ceil() as usize).clamp(1, abs.len()) - 1;
    abs[index]
}

fn build_model(
    table: &TrainingTable,
    candidate: &Candidate,
    cv: &CvResult,
    seed: u64,
    name: &str,
    description: &str,
    selection: String,
) -> Result<Model, InputError> {
    let rows = table.rows(&candidate.feature_names)?;
    let fitted = fit(&rows, &table.log_life, candidate.penalty);
    Ok(Model {
        name: name.to_string(),
        version: MODEL_VERSION.to_string(),
        description: description.to_string(),
        target: "log10(cycle_life)".to_string(),
        feature_names: candidate.feature_names.clone(),
        members: vec![Member {
            feature_set: candidate.feature_set.clone(),
            feature_names: candidate.feature_names.clone(),
            penalty: candidate.penalty,
            fit: fitted,
        }],
        interval: IntervalCalibration {
            nominal_coverage: NOMINAL_COVERAGE,
            log10_half_width: conformal_half_width(&cv.log_residuals, table.cells.len(), NOMINAL_COVERAGE),
            method: format!(
                "split-conformal on out-of-fold log10 residuals of {CV_REPEATS}x{CV_FOLDS}-fold CV within train, \
                 quantile ceil((n+1)c)/n of |residual|"
            ),
            residuals: cv.log_residuals.len(),
        },
        training: TrainingRecord {
            training_data_sha256: training_data_sha256(&table.cells),
            training_cells: table.cells.len(),
            seed,
            cv_folds: CV_FOLDS,
            cv_repeats: CV_REPEATS,
            cv_rmse_cycles: cv.rmse_cycles,
            cv_mape_percent: cv.mape_percent,
            selection,
        },
    })
}

/// Severson et al.'s "variance" model: OLS of log10(cycle life) on log10 var(ΔQ₁₀₀₋₁₀), fitted on the train split.
pub fn train_variance(dataset: &Dataset, seed: u64) -> Result<Model, InputError> {
    let table = TrainingTable::new(dataset)?;
    let candidate =
        Candidate { feature_set: "variance".into(), feature_names: names(&["dq_log_var"]), penalty: Penalty::None };
    let folds = fold_assignments(table.cells.len(), CV_FOLDS, CV_REPEATS, seed);
    let cv = cross_validate(&table, &candidate.feature_names, &[candidate.penalty], &folds)?.remove(0);
    build_model(
        &table,
        &candidate,
        &cv,
        seed,
        VARIANCE_MODEL_NAME,
        "Severson et al. 2019 'variance' model: OLS of log10(cycle life) on log10 var(Q100(V) - Q10(V))",
        "fixed (reproduction of the published model)".into(),
    )
}

/// Trains the better model: the candidate with the lowest cross-validated RMSE within the train split.
pub fn train(dataset: &Dataset, seed: u64) -> Result<Model, InputError> {
    let table = TrainingTable::new(dataset)?;
    let folds = fold_assignments(table.cells.len(), CV_FOLDS, CV_REPEATS, seed);
    let mut best: Option<(Candidate, CvResult)> = None;
    let penalties = penalty_grid();
    for (feature_set, feature_names) in feature_sets() {
        let results = cross_validate(&table, &feature_names, &penalties, &folds)?;
        for (penalty, cv) in penalties.iter().zip(results) {
            if best.as_ref().is_none_or(|(_, b)| cv.rmse_cycles < b.rmse_cycles) {
                let candidate = Candidate {
                    feature_set: feature_set.clone(),
                    feature_names: feature_names.clone(),
                    penalty: *penalty,
                };
                best = Some((candidate, cv));
            }
        }
    }
    let (candidate, cv) = best.expect("the candidate list is not empty");
    let selection = format!(
        "lowest mean RMSE (cycles) of {CV_REPEATS}x{CV_FOLDS}-fold CV within train among {} candidates \
         ({} feature sets x {} penalties)",
        feature_sets().len() * penalties.len(),
        feature_sets().len(),
        penalties.len()
    );
    build_model(
        &table,
        &candidate,
        &cv,
        seed,
        MODEL_NAME,
        "Linear model of log10(cycle life) on features of the first 100 cycles, feature set and penalty chosen by CV",
        selection,
    )
}
