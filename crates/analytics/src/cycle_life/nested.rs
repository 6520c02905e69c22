//! Nested cross-validation of the whole training procedure, within the train split.
//!
//! [`super::train`] picks feature sets, penalties and the ensemble size on the same folds it scores them on, so its
//! own CV figure flatters it. Running the entire procedure inside each outer fold and scoring on the outer fold gives
//! an estimate of how well the *procedure* generalises that never used the test splits, and an honest check of the
//! interval's coverage before looking at them.

use serde::Serialize;

use super::cv::fold_assignments;
use super::input::InputError;
use super::train::{TrainingTable, Variant, train_table};

/// Outer-fold figures of the whole procedure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NestedCv {
    pub outer_folds: usize,
    pub outer_repeats: usize,
    /// RMSE in cycles per outer repeat, averaged.
    pub rmse_cycles: f64,
    pub mape_percent: f64,
    /// Share of outer-fold cells whose true life fell inside the interval.
    pub interval_coverage: f64,
}

/// Runs `train_table` for `variant` inside each of `folds` × `repeats` outer folds of `table`.
pub fn nested_cv(
    table: &TrainingTable,
    variant: Variant,
    folds: usize,
    repeats: usize,
    seed: u64,
) -> Result<NestedCv, InputError> {
    let n = table.log_life.len();
    // Outer folds drawn from a different stream than the inner ones, which use `seed` itself.
    let outer = fold_assignments(n, folds, repeats, seed ^ 0x5eed_0e57);
    let (mut rmse_sum, mut ape_sum, mut inside) = (0.0, 0.0, 0usize);
    for assignment in &outer {
        let mut sq = 0.0;
        for fold in 0..folds {
            let inner: Vec<usize> = (0..n).filter(|&i| assignment[i] != fold).collect();
            let model = train_table(&table.subset(&inner), seed, variant)?;
            for i in (0..n).filter(|&i| assignment[i] == fold) {
                let p = model.predict_features(&table.features[i])?;
                let truth = 10f64.powf(table.log_life[i]);
                sq += (p.cycle_life - truth).powi(2);
                ape_sum += (p.cycle_life - truth).abs() / truth;
                inside += usize::from(p.lower <= truth && truth <= p.upper);
            }
        }
        rmse_sum += (sq / n as f64).sqrt();
    }
    let total = (n * repeats) as f64;
    Ok(NestedCv {
        outer_folds: folds,
        outer_repeats: repeats,
        rmse_cycles: rmse_sum / repeats as f64,
        mape_percent: 100.0 * ape_sum / total,
        interval_coverage: inside as f64 / total,
    })
}
