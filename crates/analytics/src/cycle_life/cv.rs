//! Repeated K-fold cross-validation and split-conformal calibration, used only within the training cells.
//!
//! Every candidate sees the same seeded folds, so differences between candidates are not differences of luck in
//! the split. Scores are in cycles (RMSE, mean absolute percentage error), the units the paper reports, although the
//! models are fitted on log10(cycle life).

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::linear::{Penalty, Problem};

/// Seeded fold assignment for each repeat: `result[r][i]` is the fold of cell i in repeat r.
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

/// Out-of-fold log10(cycle life) predictions: `log_pred[r][i]` is cell i's prediction in repeat r by the model fitted
/// without its fold.
#[derive(Debug, Clone, PartialEq)]
pub struct OutOfFold {
    pub log_pred: Vec<Vec<f64>>,
}

impl OutOfFold {
    /// RMSE in cycles of each repeat, averaged over repeats.
    pub fn rmse_cycles(&self, y_log: &[f64]) -> f64 {
        let per_repeat = self.log_pred.iter().map(|pred| {
            let sq: f64 = pred.iter().zip(y_log).map(|(p, t)| (10f64.powf(*p) - 10f64.powf(*t)).powi(2)).sum();
            (sq / y_log.len() as f64).sqrt()
        });
        per_repeat.sum::<f64>() / self.log_pred.len() as f64
    }

    /// Mean absolute percentage error over all repeats and cells.
    pub fn mape_percent(&self, y_log: &[f64]) -> f64 {
        let mut total = 0.0;
        for pred in &self.log_pred {
            total += pred.iter().zip(y_log).map(|(p, t)| (10f64.powf(p - t) - 1.0).abs()).sum::<f64>();
        }
        100.0 * total / (self.log_pred.len() * y_log.len()) as f64
    }

    /// All residuals prediction − truth on the log10 scale, repeats pooled.
    pub fn log_residuals(&self, y_log: &[f64]) -> Vec<f64> {
        self.log_pred.iter().flat_map(|pred| pred.iter().zip(y_log).map(|(p, t)| p - t)).collect()
    }

    /// The out-of-fold predictions of an ensemble that averages `members` on the log scale.
    pub fn mean_of(members: &[&OutOfFold]) -> OutOfFold {
        let repeats = members[0].log_pred.len();
        let n = members[0].log_pred[0].len();
        let k = members.len() as f64;
        let log_pred = (0..repeats)
            .map(|r| (0..n).map(|i| members.iter().map(|m| m.log_pred[r][i]).sum::<f64>() / k).collect())
            .collect();
        OutOfFold { log_pred }
    }
}

/// Repeated K-fold cross-validation of one feature matrix with each of `penalties`, one result per penalty.
///
/// Each fold's standardised statistics are computed once and shared by all penalties; consecutive elastic-net
/// penalties warm-start from each other, so order them along a path (same ρ, decreasing α) for speed.
pub fn cross_validate(rows: &[Vec<f64>], y: &[f64], penalties: &[Penalty], folds: &[Vec<usize>]) -> Vec<OutOfFold> {
    let n = y.len();
    let k = folds[0].iter().max().map_or(0, |m| m + 1);
    let mut out = vec![OutOfFold { log_pred: vec![vec![f64::NAN; n]; folds.len()] }; penalties.len()];
    for (r, assignment) in folds.iter().enumerate() {
        for fold in 0..k {
            let (train_rows, train_y): (Vec<Vec<f64>>, Vec<f64>) =
                (0..n).filter(|&i| assignment[i] != fold).map(|i| (rows[i].clone(), y[i])).unzip();
            let problem = Problem::new(&train_rows, &train_y);
            let mut warm: Option<Vec<f64>> = None;
            for (c, &penalty) in penalties.iter().enumerate() {
                let model = problem.fit(penalty, warm.as_deref());
                for i in (0..n).filter(|&i| assignment[i] == fold) {
                    out[c].log_pred[r][i] = model.predict(&rows[i]);
                }
                warm = matches!(penalty, Penalty::ElasticNet { .. }).then_some(model.coefficients);
            }
        }
    }
    out
}

/// Split-conformal half-width: the ⌈(n+1)c⌉/n empirical quantile of |residuals|, n being the number of distinct
/// cells (the residuals of several repeats are pooled, each cell appearing once per repeat).
pub fn conformal_half_width(log_residuals: &[f64], cells: usize, coverage: f64) -> f64 {
    let mut abs: Vec<f64> = log_residuals.iter().map(|r| r.abs()).collect();
    abs.sort_by(f64::total_cmp);
    let level = (((cells + 1) as f64 * coverage).ceil() / cells as f64).min(1.0);
    let index = ((level * abs.len() as f64).ceil() as usize).clamp(1, abs.len()) - 1;
    abs[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_partition_cells_evenly_and_depend_on_the_seed() {
        let folds = fold_assignments(41, 5, 3, 7);
        for assignment in &folds {
            let mut sizes = [0usize; 5];
            assignment.iter().for_each(|&f| sizes[f] += 1);
            assert!(sizes.iter().all(|&s| s == 8 || s == 9), "{sizes:?}");
        }
        assert_ne!(folds[0], folds[1], "repeats shuffle differently");
        assert_eq!(folds, fold_assignments(41, 5, 3, 7));
        assert_ne!(folds, fold_assignments(41, 5, 3, 8));
    }

    #[test]
    fn conformal_quantile_is_the_finite_sample_corrected_order_statistic() {
        // 19 residuals 1..=19, c = 0.9: ⌈20·0.9⌉/19 = 18/19, so the 18th smallest.
        let residuals: Vec<f64> = (1..=19).map(|v| -(v as f64)).collect();
        assert_eq!(conformal_half_width(&residuals, 19, 0.9), 18.0);
        // Pooling two identical repeats must not change it.
        let doubled: Vec<f64> = residuals.iter().chain(&residuals).copied().collect();
        assert_eq!(conformal_half_width(&doubled, 19, 0.9), 18.0);
        // Coverage too high for the sample: the largest residual.
        assert_eq!(conformal_half_width(&residuals, 19, 0.99), 19.0);
    }

    #[test]
    fn every_cell_is_predicted_out_of_fold() {
        // y depends on x exactly; out-of-fold OLS predictions must then be exact for every cell and repeat.
        let rows: Vec<Vec<f64>> = (0..20).map(|i| vec![i as f64, (i * i % 7) as f64]).collect();
        let y: Vec<f64> = rows.iter().map(|r| 3.0 - 0.1 * r[0] + 0.05 * r[1]).collect();
        let folds = fold_assignments(20, 4, 2, 1);
        let oof = cross_validate(&rows, &y, &[Penalty::None], &folds).remove(0);
        for pred in &oof.log_pred {
            for (p, t) in pred.iter().zip(&y) {
                assert!((p - t).abs() < 1e-9);
            }
        }
        assert!(oof.rmse_cycles(&y) < 1e-6);
    }
}
