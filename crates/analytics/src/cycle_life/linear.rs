//! Small linear models: ordinary least squares, ridge and elastic net on standardised features.
//!
//! Written here rather than pulled in because they are a few dozen lines each, and so that every number in a trained
//! model can be traced to this code. Conventions follow scikit-learn's so results can be cross-checked: features are
//! standardised with the population standard deviation, the intercept is fitted (by centring, unpenalised), ridge
//! minimises ‖y − Xb‖² + λ‖b‖², and the elastic net minimises (1/2n)‖y − Xb‖² + α·ρ‖b‖₁ + α(1−ρ)/2‖b‖².

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// How a linear model is penalised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "kind")]
pub enum Penalty {
    /// Ordinary least squares.
    None,
    Ridge {
        lambda: f64,
    },
    ElasticNet {
        alpha: f64,
        l1_ratio: f64,
    },
}

/// Per-feature centring and scaling, learnt from training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Standardiser {
    pub means: Vec<f64>,
    /// Population standard deviations; 1 where a feature is constant, so it maps to 0.
    pub scales: Vec<f64>,
}

impl Standardiser {
    pub fn fit(rows: &[Vec<f64>]) -> Standardiser {
        let n = rows.len() as f64;
        let p = rows[0].len();
        let means: Vec<f64> = (0..p).map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n).collect();
        let scales = (0..p)
            .map(|j| {
                let sd = (rows.iter().map(|r| (r[j] - means[j]).powi(2)).sum::<f64>() / n).sqrt();
                if sd > 0.0 { sd } else { 1.0 }
            })
            .collect();
        Standardiser { means, scales }
    }

    pub fn apply(&self, row: &[f64]) -> Vec<f64> {
        row.iter().zip(&self.means).zip(&self.scales).map(|((x, m), s)| (x - m) / s).collect()
    }
}

/// A fitted linear model: ŷ = intercept + Σ coefficients · standardised features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinearFit {
    pub standardiser: Standardiser,
    pub intercept: f64,
    pub coefficients: Vec<f64>,
}

impl LinearFit {
    pub fn predict(&self, row: &[f64]) -> f64 {
        let z = self.standardiser.apply(row);
        self.intercept + z.iter().zip(&self.coefficients).map(|(a, b)| a * b).sum::<f64>()
    }
}

/// Elastic-net coordinate descent stops when no coefficient moved by more than this fraction of the largest one in a
/// sweep (or all are zero).
const CD_TOLERANCE: f64 = 1e-7;
const CD_MAX_SWEEPS: usize = 100_000;

/// Fits `y` on `rows` with the given penalty.
pub fn fit(rows: &[Vec<f64>], y: &[f64], penalty: Penalty) -> LinearFit {
    Problem::new(rows, y).fit(penalty, None)
}

/// The standardised sufficient statistics of one training set, reusable for many penalties.
///
/// Cross-validation fits dozens of penalties on the same fold; with the Gram matrix G = ZᵀZ/n and c = Zᵀy/n computed
/// once, a ridge fit is one p×p solve and an elastic-net coordinate step costs O(p), independent of n.
#[derive(Debug, Clone)]
pub struct Problem {
    standardiser: Standardiser,
    y_mean: f64,
    n: f64,
    gram: Vec<Vec<f64>>,
    c: Vec<f64>,
}

impl Problem {
    pub fn new(rows: &[Vec<f64>], y: &[f64]) -> Problem {
        let standardiser = Standardiser::fit(rows);
        let z: Vec<Vec<f64>> = rows.iter().map(|r| standardiser.apply(r)).collect();
        let n = z.len() as f64;
        let p = z[0].len();
        let y_mean = y.iter().sum::<f64>() / n;
        let gram = (0..p).map(|j| (0..p).map(|k| z.iter().map(|r| r[j] * r[k]).sum::<f64>() / n).collect()).collect();
        let c = (0..p).map(|j| z.iter().zip(y).map(|(r, v)| r[j] * (v - y_mean)).sum::<f64>() / n).collect();
        Problem { standardiser, y_mean, n, gram, c }
    }

    /// Fits with `penalty`; an elastic net starts from `warm` (e.g. the solution at a neighbouring penalty) if given.
    /// The optimum does not depend on the start, only the number of sweeps does.
    pub fn fit(&self, penalty: Penalty, warm: Option<&[f64]>) -> LinearFit {
        let coefficients = match penalty {
            Penalty::None => self.solve_ridge(0.0),
            Penalty::Ridge { lambda } => self.solve_ridge(lambda),
            Penalty::ElasticNet { alpha, l1_ratio } => self.solve_elastic_net(alpha, l1_ratio, warm),
        };
        LinearFit { standardiser: self.standardiser.clone(), intercept: self.y_mean, coefficients }
    }

    /// Solves (ZᵀZ + λI) b = Zᵀy, i.e. (G + λ/n·I) b = c.
    fn solve_ridge(&self, lambda: f64) -> Vec<f64> {
        let p = self.c.len();
        let a = DMatrix::from_fn(p, p, |j, k| self.gram[j][k] + if j == k { lambda / self.n } else { 0.0 });
        let b = DVector::from_column_slice(&self.c);
        // SVD rather than Cholesky: OLS on collinear features must still give the minimum-norm answer, not fail.
        let solution = a.svd(true, true).solve(&b, 1e-12).expect("SVD was computed with U and V");
        solution.iter().copied().collect()
    }

    fn solve_elastic_net(&self, alpha: f64, l1_ratio: f64, warm: Option<&[f64]>) -> Vec<f64> {
        let p = self.c.len();
        let gram = &self.gram;
        let mut b = warm.map_or_else(|| vec![0.0; p], <[f64]>::to_vec);
        // g[j] = (Gb)_j, kept up to date as coefficients move.
        let mut g: Vec<f64> = (0..p).map(|j| (0..p).map(|k| gram[j][k] * b[k]).sum()).collect();
        let l1 = alpha * l1_ratio;
        let l2 = alpha * (1.0 - l1_ratio);
        for _ in 0..CD_MAX_SWEEPS {
            let mut max_step: f64 = 0.0;
            for j in 0..p {
                if gram[j][j] == 0.0 {
                    continue;
                }
                let rho = self.c[j] - g[j] + gram[j][j] * b[j];
                let new = soft_threshold(rho, l1) / (gram[j][j] + l2);
                let step = new - b[j];
                if step != 0.0 {
                    for (gk, row) in g.iter_mut().zip(gram) {
                        *gk += row[j] * step;
                    }
                    b[j] = new;
                    max_step = max_step.max(step.abs());
                }
            }
            let largest = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if max_step <= CD_TOLERANCE * largest {
                break;
            }
        }
        b
    }
}

fn soft_threshold(x: f64, t: f64) -> f64 {
    if x > t {
        x - t
    } else if x < -t {
        x + t
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<Vec<f64>>, Vec<f64>) {
        // y = 1 + 2·x0 − 0.5·x1 exactly, x1 not collinear with x0.
        let rows: Vec<Vec<f64>> = (0..12).map(|i| vec![i as f64, ((i * 7) % 5) as f64]).collect();
        let y = rows.iter().map(|r| 1.0 + 2.0 * r[0] - 0.5 * r[1]).collect();
        (rows, y)
    }

    #[test]
    fn ols_recovers_an_exact_linear_relation() {
        let (rows, y) = toy();
        let fit = fit(&rows, &y, Penalty::None);
        for (r, t) in rows.iter().zip(&y) {
            assert!((fit.predict(r) - t).abs() < 1e-9);
        }
        // Coefficients are per standard deviation: back on the raw scale they must be 2 and −0.5.
        let raw: Vec<f64> = fit.coefficients.iter().zip(&fit.standardiser.scales).map(|(c, s)| c / s).collect();
        assert!((raw[0] - 2.0).abs() < 1e-9 && (raw[1] + 0.5).abs() < 1e-9, "{raw:?}");
    }

    #[test]
    fn elastic_net_without_l1_equals_ridge_with_matching_lambda() {
        // With ρ = 0 the elastic-net objective is ridge with λ = n·α.
        let (rows, y) = toy();
        let alpha = 0.3;
        let en = fit(&rows, &y, Penalty::ElasticNet { alpha, l1_ratio: 0.0 });
        let ridge = fit(&rows, &y, Penalty::Ridge { lambda: alpha * rows.len() as f64 });
        for (a, b) in en.coefficients.iter().zip(&ridge.coefficients) {
            assert!((a - b).abs() < 1e-8, "{a} vs {b}");
        }
    }

    #[test]
    fn lasso_zeroes_coefficients_below_the_penalty() {
        // For standardised features, the lasso zeroes coefficient j when |x_jᵀ y|/n ≤ α.
        let (rows, y) = toy();
        let big = fit(&rows, &y, Penalty::ElasticNet { alpha: 100.0, l1_ratio: 1.0 });
        assert!(big.coefficients.iter().all(|c| *c == 0.0));
        let small = fit(&rows, &y, Penalty::ElasticNet { alpha: 1e-6, l1_ratio: 1.0 });
        assert!(small.coefficients.iter().all(|c| *c != 0.0));
    }

    #[test]
    fn standardiser_gives_zero_mean_unit_variance_and_survives_constants() {
        let rows = vec![vec![1.0, 5.0], vec![3.0, 5.0], vec![5.0, 5.0]];
        let s = Standardiser::fit(&rows);
        let z: Vec<Vec<f64>> = rows.iter().map(|r| s.apply(r)).collect();
        let mean0: f64 = z.iter().map(|r| r[0]).sum::<f64>() / 3.0;
        let var0: f64 = z.iter().map(|r| r[0] * r[0]).sum::<f64>() / 3.0;
        assert!(mean0.abs() < 1e-12 && (var0 - 1.0).abs() < 1e-12);
        assert!(z.iter().all(|r| r[1] == 0.0));
    }
}
