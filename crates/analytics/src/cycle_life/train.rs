//! Training: the Severson "variance" model, and a better model chosen by cross-validation within the training cells.
//!
//! Procedure of [`train`], which sees only the cells of the `train` split (a test checks that scrambling the test
//! cells changes nothing):
//! 1. Extract all features of every training cell; target y = log10(cycle life).
//! 2. For each named feature set, cross-validate every penalty of a fixed grid (ridge λ, elastic net α × ρ) with
//!    10 × 5-fold CV on the same seeded folds, scored by RMSE in cycles, and keep the best penalty of each set.
//! 3. Rank the feature sets by that score and form the ensembles "top 1", "top 2", … "all", each averaging its
//!    members' log10 predictions; score each from the members' out-of-fold predictions and keep the lowest RMSE.
//!    (An ensemble of differently-featured linear models hedges against any one feature set being unstable.)
//! 4. Refit the chosen members on all training cells.
//! 5. Calibrate the interval from the chosen ensemble's out-of-fold log10 residuals (split-conformal style): the
//!    half-width is the ⌈(n+1)·c⌉/n empirical quantile of their absolute values, c being the nominal coverage.
//!
//! Steps 2–3 tune on the same folds that score, so the reported CV figure is optimistic; [`nested_cv`] measures the
//! whole procedure on folds it never tuned on.

use super::cv::{OutOfFold, conformal_half_width, cross_validate, fold_assignments};
use super::dataset::{Cell, Dataset, Split, training_data_sha256};
use super::features::{Features, capacity_feature_names, curve_feature_names, extract};
use super::input::InputError;
use super::linear::{Penalty, fit};
use super::model::{FeatureRange, IntervalCalibration, Member, Model, TrainingRecord};

/// Name of the reproduction of Severson et al.'s one-feature model.
pub const VARIANCE_MODEL_NAME: &str = "severson-variance";
/// Name of the cross-validated model.
pub const MODEL_NAME: &str = "voltpass-cycle-life";
/// Name of the cross-validated model restricted to the curves of cycles 10 and 100.
pub const CURVES_MODEL_NAME: &str = "voltpass-cycle-life-curves";

/// Which inputs a trained model may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Curves of cycles 10 and 100 and the per-cycle capacity fade.
    Full,
    /// Curves of cycles 10 and 100 only, for clients that cannot send the capacity fade.
    CurvesOnly,
}

impl Variant {
    /// The feature sets this variant chooses from.
    pub fn feature_sets(self) -> Vec<(String, Vec<String>)> {
        let capacity = capacity_feature_names();
        match self {
            Variant::Full => feature_sets(),
            Variant::CurvesOnly => {
                let mut sets: Vec<(String, Vec<String>)> =
                    feature_sets().into_iter().filter(|(_, f)| f.iter().all(|n| !capacity.contains(n))).collect();
                let windows = curve_feature_names().into_iter().filter(|n| n.starts_with("dq_log_var_w"));
                sets.push((
                    "severson_curves".into(),
                    names(&["dq_log_var", "dq_log_abs_min", "dq_log_abs_skew", "dq_log_abs_kurt"]),
                ));
                sets.push((
                    "variance_windows".into(),
                    std::iter::once("dq_log_var".to_string()).chain(windows).collect(),
                ));
                sets
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Variant::Full => MODEL_NAME,
            Variant::CurvesOnly => CURVES_MODEL_NAME,
        }
    }
}
/// Bumped whenever the features, candidates or procedure change.
pub const MODEL_VERSION: &str = "1.2.0";
/// Nominal coverage of the prediction interval.
pub const NOMINAL_COVERAGE: f64 = 0.9;
pub const CV_FOLDS: usize = 5;
pub const CV_REPEATS: usize = 10;
/// Seed of the committed model.
pub const DEFAULT_SEED: u64 = 2019;

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
    let with_windows = |base: &[String]| base.iter().chain(&windows).cloned().collect::<Vec<_>>();
    vec![
        ("severson_discharge".into(), severson.clone()),
        ("severson_discharge_windows".into(), with_windows(&severson)),
        ("rich".into(), rich.clone()),
        ("rich_windows".into(), with_windows(&rich)),
        ("curves_only".into(), curve_feature_names()),
    ]
}

/// The penalties tried for every feature set, elastic nets ordered along paths (fixed ρ, decreasing α) so that
/// cross-validation can warm-start.
pub fn penalty_grid() -> Vec<Penalty> {
    let mut grid: Vec<Penalty> =
        [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0].iter().map(|&lambda| Penalty::Ridge { lambda }).collect();
    for l1_ratio in [0.1, 0.5, 0.9, 1.0] {
        for alpha in [0.1, 3e-2, 1e-2, 3e-3] {
            grid.push(Penalty::ElasticNet { alpha, l1_ratio });
        }
    }
    grid
}

/// Training cells with their features and targets.
#[derive(Clone)]
pub struct TrainingTable<'a> {
    pub cells: Vec<&'a Cell>,
    pub features: Vec<Features>,
    pub log_life: Vec<f64>,
}

impl<'a> TrainingTable<'a> {
    /// The `train` split of `dataset`; no other cell is read.
    pub fn new(dataset: &'a Dataset) -> Result<TrainingTable<'a>, InputError> {
        let cells = dataset.split(Split::Train);
        let features = cells.iter().map(|c| extract(&c.early)).collect::<Result<Vec<_>, _>>()?;
        let log_life = cells.iter().map(|c| c.cycle_life.log10()).collect();
        Ok(TrainingTable { cells, features, log_life })
    }

    /// The rows at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> TrainingTable<'a> {
        TrainingTable {
            cells: indices.iter().map(|&i| self.cells[i]).collect(),
            features: indices.iter().map(|&i| self.features[i].clone()).collect(),
            log_life: indices.iter().map(|&i| self.log_life[i]).collect(),
        }
    }

    fn rows(&self, names: &[String]) -> Result<Vec<Vec<f64>>, InputError> {
        self.features.iter().map(|f| f.select(names)).collect()
    }
}

/// The best penalty of one feature set.
struct SetChoice {
    feature_set: String,
    feature_names: Vec<String>,
    penalty: Penalty,
    oof: OutOfFold,
    rmse: f64,
}

fn finish(
    table: &TrainingTable,
    members: &[SetChoice],
    oof: &OutOfFold,
    seed: u64,
    (name, description, selection): (&str, &str, String),
) -> Result<Model, InputError> {
    let mut fitted = Vec::new();
    let mut feature_names: Vec<String> = Vec::new();
    for m in members {
        let rows = table.rows(&m.feature_names)?;
        fitted.push(Member {
            feature_set: m.feature_set.clone(),
            feature_names: m.feature_names.clone(),
            penalty: m.penalty,
            fit: fit(&rows, &table.log_life, m.penalty),
        });
        feature_names
            .extend(m.feature_names.iter().filter(|n| !feature_names.contains(n)).cloned().collect::<Vec<_>>());
    }
    let y = &table.log_life;
    let feature_ranges = feature_names
        .iter()
        .map(|name| {
            let values = table.features.iter().map(|f| f.get(name)).collect::<Result<Vec<f64>, _>>()?;
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Ok(FeatureRange { name: name.clone(), min, max })
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    Ok(Model {
        name: name.to_string(),
        version: MODEL_VERSION.to_string(),
        description: description.to_string(),
        target: "log10(cycle_life)".to_string(),
        feature_names,
        members: fitted,
        feature_ranges,
        interval: IntervalCalibration {
            nominal_coverage: NOMINAL_COVERAGE,
            log10_half_width: conformal_half_width(&oof.log_residuals(y), y.len(), NOMINAL_COVERAGE),
            method: format!(
                "split-conformal on out-of-fold log10 residuals of {CV_REPEATS}x{CV_FOLDS}-fold CV within train, \
                 quantile ceil((n+1)c)/n of |residual|"
            ),
            residuals: y.len() * oof.log_pred.len(),
        },
        training: TrainingRecord {
            training_data_sha256: training_data_sha256(&table.cells),
            training_cells: table.cells.len(),
            seed,
            cv_folds: CV_FOLDS,
            cv_repeats: CV_REPEATS,
            cv_rmse_cycles: oof.rmse_cycles(y),
            cv_mape_percent: oof.mape_percent(y),
            selection,
        },
    })
}

/// Severson et al.'s "variance" model: OLS of log10(cycle life) on log10 var(ΔQ₁₀₀₋₁₀), fitted on the train split.
pub fn train_variance(dataset: &Dataset, seed: u64) -> Result<Model, InputError> {
    let table = TrainingTable::new(dataset)?;
    let feature_names = names(&["dq_log_var"]);
    let folds = fold_assignments(table.cells.len(), CV_FOLDS, CV_REPEATS, seed);
    let oof = cross_validate(&table.rows(&feature_names)?, &table.log_life, &[Penalty::None], &folds).remove(0);
    let choice = SetChoice {
        feature_set: "variance".into(),
        feature_names,
        penalty: Penalty::None,
        rmse: oof.rmse_cycles(&table.log_life),
        oof: oof.clone(),
    };
    let text = (
        VARIANCE_MODEL_NAME,
        "Severson et al. 2019 'variance' model: OLS of log10(cycle life) on log10 var(Q100(V) - Q10(V))",
        "fixed (reproduction of the published model)".to_string(),
    );
    finish(&table, &[choice], &oof, seed, text)
}

/// Trains the better model on the `train` split of `dataset` (see the module docs for the procedure).
pub fn train(dataset: &Dataset, seed: u64) -> Result<Model, InputError> {
    train_table(&TrainingTable::new(dataset)?, seed, Variant::Full)
}

/// [`train`] restricted to features of the cycle 10 and 100 curves, for inputs without capacity fade.
pub fn train_curves_only(dataset: &Dataset, seed: u64) -> Result<Model, InputError> {
    train_table(&TrainingTable::new(dataset)?, seed, Variant::CurvesOnly)
}

/// [`train`] on given training rows.
pub fn train_table(table: &TrainingTable, seed: u64, variant: Variant) -> Result<Model, InputError> {
    let y = &table.log_life;
    let folds = fold_assignments(y.len(), CV_FOLDS, CV_REPEATS, seed);
    let penalties = penalty_grid();
    let mut choices = Vec::new();
    for (feature_set, feature_names) in variant.feature_sets() {
        let results = cross_validate(&table.rows(&feature_names)?, y, &penalties, &folds);
        let (penalty, oof, rmse) = penalties
            .iter()
            .zip(results)
            .map(|(p, oof)| {
                let rmse = oof.rmse_cycles(y);
                (*p, oof, rmse)
            })
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .expect("the penalty grid is not empty");
        choices.push(SetChoice { feature_set, feature_names, penalty, oof, rmse });
    }
    choices.sort_by(|a, b| a.rmse.total_cmp(&b.rmse));
    let (k, oof) = (1..=choices.len())
        .map(|k| (k, OutOfFold::mean_of(&choices[..k].iter().map(|c| &c.oof).collect::<Vec<_>>())))
        .min_by(|a, b| a.1.rmse_cycles(y).total_cmp(&b.1.rmse_cycles(y)))
        .expect("there are feature sets");
    let ranking: Vec<String> = choices.iter().map(|c| format!("{} {:.1}", c.feature_set, c.rmse)).collect();
    let selection = format!(
        "{CV_REPEATS}x{CV_FOLDS}-fold CV within train: best of {} penalties per feature set (CV RMSE: {}), \
         then the top-k ensemble with the lowest CV RMSE (k = {k} of {})",
        penalties.len(),
        ranking.join(", "),
        choices.len()
    );
    let text = (
        variant.name(),
        "Mean of linear models of log10(cycle life) on features of the first 100 cycles; feature sets, penalties and \
         ensemble size chosen by CV within the train split",
        selection,
    );
    finish(table, &choices[..k], &oof, seed, text)
}
