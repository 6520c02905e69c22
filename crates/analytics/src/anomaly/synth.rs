//! Synthetic production batches from a few dozen real cells: a Gaussian copula over the empirical marginals.
//!
//! Why a copula: the real groups have 19–48 cells, far too few to screen 2 000-cell batches with, but enough to
//! pin down each feature's distribution and the rank correlations between features. A multivariate normal fit would
//! replace skewed real marginals (first-cycle efficiency, pulse resistance) by symmetric ones and so flatter the
//! Mahalanobis method, whose model is exactly that normal; a bootstrap with jitter would produce 2 000 near-copies
//! of 20 points, i.e. clusters, with a jitter scale that is a free choice. The copula keeps each real marginal and the
//! van der Waerden (normal-score) correlation and is the smallest model that does both.
//!
//! Marginal quantile function: linear interpolation between the order statistics at plotting positions
//! `(i − ½)/n`, extended beyond the extremes by a normal tail with the feature's robust σ, so that draws are not
//! copies of the real values and the tails are not cut at the sample range.
//!
//! Faults are injected in the latent normal space (`z_j += k` moves feature `j` by `k` standard deviations in
//! quantile terms), before the marginal transform.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::{Rng, rngs::StdRng};
use statrs::distribution::{ContinuousCDF, Normal};

use super::robust::location_scale;

/// A standard normal draw (Box–Muller; one of the pair is discarded to stay simple and deterministic).
pub(crate) fn standard_normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Gaussian copula with empirical marginals.
#[derive(Debug, Clone)]
pub(crate) struct Copula {
    sorted: Vec<Vec<f64>>,
    scale: Vec<f64>,
    /// Normal-score correlation matrix (positive definite).
    pub corr: DMatrix<f64>,
    chol_l: DMatrix<f64>,
    normal: Normal,
}

impl Copula {
    /// Fits to complete rows (cells × features). Needs more rows than features and a scale for every feature.
    pub fn fit(rows: &[Vec<f64>]) -> Option<Self> {
        let n = rows.len();
        let p = rows.first()?.len();
        if n <= p || p == 0 {
            return None;
        }
        let normal = Normal::standard();
        let mut sorted = Vec::with_capacity(p);
        let mut scale = Vec::with_capacity(p);
        let mut scores = DMatrix::zeros(n, p);
        for j in 0..p {
            let col: Vec<f64> = rows.iter().map(|r| r[j]).collect();
            scale.push(location_scale(&col)?.1);
            for (i, r) in average_ranks(&col).into_iter().enumerate() {
                scores[(i, j)] = normal.inverse_cdf(r / (n as f64 + 1.0));
            }
            let mut s = col;
            s.sort_by(f64::total_cmp);
            sorted.push(s);
        }
        let mut corr = DMatrix::zeros(p, p);
        for a in 0..p {
            for b in 0..p {
                let (ca, cb) = (scores.column(a), scores.column(b));
                corr[(a, b)] = ca.dot(&cb) / (ca.norm() * cb.norm());
            }
        }
        // Keep it safely positive definite: eigenvalues ≥ 1e-3, then back to unit diagonal.
        let eig = SymmetricEigen::new(corr);
        let lam = eig.eigenvalues.map(|l| l.max(1e-3));
        let c = &eig.eigenvectors * DMatrix::from_diagonal(&lam) * eig.eigenvectors.transpose();
        let d = DVector::from_iterator(p, (0..p).map(|i| 1.0 / c[(i, i)].sqrt()));
        let corr = DMatrix::from_fn(p, p, |a, b| c[(a, b)] * d[a] * d[b]);
        let chol_l = corr.clone().cholesky()?.l();
        Some(Self { sorted, scale, corr, chol_l, normal })
    }

    pub fn dim(&self) -> usize {
        self.sorted.len()
    }

    /// A latent draw `z ~ N(0, R)`.
    pub fn sample_latent(&self, rng: &mut StdRng) -> Vec<f64> {
        let e = DVector::from_iterator(self.dim(), (0..self.dim()).map(|_| standard_normal(rng)));
        (&self.chol_l * e).iter().copied().collect()
    }

    /// Maps a latent vector to feature values through the marginal quantile functions.
    pub fn to_observed(&self, z: &[f64]) -> Vec<f64> {
        z.iter().enumerate().map(|(j, &zj)| self.quantile(j, zj)).collect()
    }

    fn quantile(&self, j: usize, z: f64) -> f64 {
        let s = &self.sorted[j];
        let n = s.len() as f64;
        let (p_lo, p_hi) = (0.5 / n, 1.0 - 0.5 / n);
        let (z_lo, z_hi) = (self.normal.inverse_cdf(p_lo), self.normal.inverse_cdf(p_hi));
        if z <= z_lo {
            return s[0] + self.scale[j] * (z - z_lo);
        }
        if z >= z_hi {
            return s[s.len() - 1] + self.scale[j] * (z - z_hi);
        }
        let pos = self.normal.cdf(z) * n - 0.5; // fractional index into the order statistics
        let i = (pos.floor() as usize).min(s.len() - 2);
        s[i] + (pos - i as f64) * (s[i + 1] - s[i])
    }
}

/// 1-based ranks with ties averaged.
fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            ranks[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn copula_keeps_marginal_range_and_correlation_sign() {
        let mut rng = StdRng::seed_from_u64(1);
        let rows: Vec<Vec<f64>> = (0..40)
            .map(|_| {
                let a = standard_normal(&mut rng);
                vec![10.0 + a, 5.0 - 2.0 * a + 0.3 * standard_normal(&mut rng)]
            })
            .collect();
        let cop = Copula::fit(&rows).unwrap();
        assert!(cop.corr[(0, 1)] < -0.8, "{}", cop.corr);
        let draws: Vec<Vec<f64>> = (0..4000).map(|_| cop.to_observed(&cop.sample_latent(&mut rng))).collect();
        let mean0 = draws.iter().map(|d| d[0]).sum::<f64>() / 4000.0;
        assert!((mean0 - 10.0).abs() < 0.4, "{mean0}");
        let med = cop.to_observed(&[0.0, 0.0]);
        let real_median = crate::anomaly::robust::median(&rows.iter().map(|r| r[0]).collect::<Vec<_>>()).unwrap();
        assert!((med[0] - real_median).abs() < 1e-9);
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(average_ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }
}
