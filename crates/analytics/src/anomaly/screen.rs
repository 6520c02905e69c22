//! Screening one group of cells: robust z per feature and the robust Mahalanobis distance, with the drivers.

use std::collections::BTreeMap;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::AnomalyError;
use super::mcd::{McdConfig, RobustFit, fast_mcd, min_rows};
use super::robust::location_scale;

/// One cell's end-of-line results. A feature absent from the map, or NaN, is missing.
///
/// JSON: `{"id": "C-0001", "features": {"capacity_ah": 1.836, "resistance_ohm": 0.0414}}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellFeatures {
    pub id: String,
    pub features: BTreeMap<String, f64>,
}

/// Settings of [`screen`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenConfig {
    /// A cell is flagged univariately when any |robust z| exceeds this (3.5: Iglewicz & Hoaglin).
    pub z_threshold: f64,
    /// A cell is flagged multivariately when its squared robust distance exceeds χ²_dof at this quantile.
    pub chi2_quantile: f64,
    /// Features missing in more than this fraction of the cells are left out of the multivariate model
    /// (they are still screened univariately).
    pub max_missing_fraction: f64,
    pub mcd: McdConfig,
}

impl Default for ScreenConfig {
    fn default() -> Self {
        Self { z_threshold: 3.5, chi2_quantile: 0.999, max_missing_fraction: 0.2, mcd: McdConfig::default() }
    }
}

/// Fewest cells with a value that a feature needs to be screened univariately.
pub const MIN_UNIVARIATE_CELLS: usize = 10;

/// Fewest complete cells the multivariate model needs for `p` features: `max(5·p, 20)`. More is better: below a
/// few hundred cells the χ² cutoff flags somewhat more clean cells than its nominal rate.
pub fn min_group_size(p: usize) -> usize {
    min_rows(p)
}

/// Why a feature was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// Fewer than [`MIN_UNIVARIATE_CELLS`] values.
    TooFewValues,
    /// All values equal: no scale.
    Constant,
    /// Screened univariately, but missing too often for the multivariate model.
    TooOftenMissing,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExcludedFeature {
    pub feature: String,
    pub reason: Exclusion,
}

/// Robust centre and scale of a feature in this group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureScale {
    pub feature: String,
    pub median: f64,
    /// 1.4826·MAD (or the mean-absolute-deviation fallback).
    pub scale: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureZ {
    pub feature: String,
    pub value: f64,
    pub z: f64,
}

/// Univariate result of a cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnivariateScore {
    /// max |z| / threshold: 1 is the flag limit, comparable across groups and features.
    pub score: f64,
    pub max_abs_z: f64,
    pub threshold: f64,
    pub flagged: bool,
    /// Robust z of every screened feature the cell has, largest |z| first.
    pub z: Vec<FeatureZ>,
}

/// A feature's part in a cell's robust distance.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub feature: String,
    /// `(x−μ)_j · [Σ⁻¹(x−μ)]_j`: these sum to the squared distance; negative means the feature pulls the cell
    /// towards the centre given the others.
    pub contribution: f64,
    /// `[Σ⁻¹(x−μ)]_j / √(Σ⁻¹)_jj`: how many σ the feature is off the value the other features predict
    /// (the standardised residual of regressing it on the others).
    pub conditional_z: f64,
}

/// Multivariate result of a cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MultivariateScore {
    /// distance_sq / cutoff: 1 is the flag limit, comparable across groups and numbers of features.
    pub score: f64,
    /// Squared robust Mahalanobis distance over the features the cell has.
    pub distance_sq: f64,
    /// χ²_dof quantile at [`ScreenConfig::chi2_quantile`].
    pub cutoff: f64,
    /// Number of model features the cell has (missing ones are marginalised out).
    pub dof: usize,
    pub flagged: bool,
    /// Largest contribution first.
    pub drivers: Vec<Driver>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CellScreening {
    pub id: String,
    /// Flagged by either method.
    pub flagged: bool,
    pub univariate: UnivariateScore,
    /// `None` when the cell has none of the model features.
    pub multivariate: Option<MultivariateScore>,
}

/// Result of [`screen`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Screening {
    pub n_cells: usize,
    /// Cells with every model feature, on which the robust covariance was fitted.
    pub n_complete: usize,
    pub z_threshold: f64,
    pub chi2_quantile: f64,
    pub scales: Vec<FeatureScale>,
    pub model_features: Vec<String>,
    pub excluded_features: Vec<ExcludedFeature>,
    /// Whether the robust covariance was near-singular and had its eigenvalues floored.
    pub regularised: bool,
    pub cells: Vec<CellScreening>,
}

/// Screens one group of cells (same line, same production window) with both methods.
///
/// Needs at least [`min_group_size`]`(p)` cells with all `p` model features; fails with
/// [`AnomalyError::TooFewCells`] otherwise.
pub fn screen(cells: &[CellFeatures], cfg: &ScreenConfig) -> Result<Screening, AnomalyError> {
    validate(cells, cfg)?;
    let names: Vec<String> = cells
        .iter()
        .flat_map(|c| c.features.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let value = |c: &CellFeatures, f: &str| c.features.get(f).copied().filter(|v| !v.is_nan()).unwrap_or(f64::NAN);

    let mut scales = Vec::new();
    let mut excluded = Vec::new();
    let mut model = Vec::new();
    for f in &names {
        let col: Vec<f64> = cells.iter().map(|c| value(c, f)).collect();
        let present = col.iter().filter(|v| v.is_finite()).count();
        if present < MIN_UNIVARIATE_CELLS {
            excluded.push(ExcludedFeature { feature: f.clone(), reason: Exclusion::TooFewValues });
            continue;
        }
        let Some((median, scale)) = location_scale(&col) else {
            excluded.push(ExcludedFeature { feature: f.clone(), reason: Exclusion::Constant });
            continue;
        };
        if (cells.len() - present) as f64 > cfg.max_missing_fraction * cells.len() as f64 {
            excluded.push(ExcludedFeature { feature: f.clone(), reason: Exclusion::TooOftenMissing });
        } else {
            model.push(scales.len());
        }
        scales.push(FeatureScale { feature: f.clone(), median, scale });
    }
    if model.is_empty() {
        return Err(AnomalyError::NoUsableFeature);
    }

    // Robustly standardised values, cells × screened features (NaN = missing).
    let z = DMatrix::from_fn(cells.len(), scales.len(), |i, j| {
        (value(&cells[i], &scales[j].feature) - scales[j].median) / scales[j].scale
    });
    let complete: Vec<usize> = (0..cells.len()).filter(|&i| model.iter().all(|&j| z[(i, j)].is_finite())).collect();
    let x = DMatrix::from_fn(complete.len(), model.len(), |r, c| z[(complete[r], model[c])]);
    let fit = fast_mcd(&x, &cfg.mcd)?;

    let model_names: Vec<String> = model.iter().map(|&j| scales[j].feature.clone()).collect();
    let mut by_pattern: BTreeMap<Vec<usize>, (DVector<f64>, DMatrix<f64>, f64)> = BTreeMap::new();
    let mut out = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        let univariate = univariate(&z, i, &scales, cell, cfg.z_threshold, &value);
        let observed: Vec<usize> = (0..model.len()).filter(|&k| z[(i, model[k])].is_finite()).collect();
        let multivariate = if observed.is_empty() {
            None
        } else {
            let (mu, prec, cutoff) =
                by_pattern.entry(observed.clone()).or_insert_with(|| marginal(&fit, &observed, cfg)).clone();
            let d = DVector::from_iterator(observed.len(), observed.iter().map(|&k| z[(i, model[k])])) - mu;
            let pd = &prec * &d;
            let distance_sq = d.dot(&pd);
            let mut drivers: Vec<Driver> = observed
                .iter()
                .enumerate()
                .map(|(a, &k)| Driver {
                    feature: model_names[k].clone(),
                    contribution: d[a] * pd[a],
                    conditional_z: pd[a] / prec[(a, a)].sqrt(),
                })
                .collect();
            drivers.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
            Some(MultivariateScore {
                score: distance_sq / cutoff,
                distance_sq,
                cutoff,
                dof: observed.len(),
                flagged: distance_sq > cutoff,
                drivers,
            })
        };
        let flagged = univariate.flagged || multivariate.as_ref().is_some_and(|m| m.flagged);
        out.push(CellScreening { id: cell.id.clone(), flagged, univariate, multivariate });
    }
    Ok(Screening {
        n_cells: cells.len(),
        n_complete: complete.len(),
        z_threshold: cfg.z_threshold,
        chi2_quantile: cfg.chi2_quantile,
        scales,
        model_features: model_names,
        excluded_features: excluded,
        regularised: fit.regularised,
        cells: out,
    })
}

fn validate(cells: &[CellFeatures], cfg: &ScreenConfig) -> Result<(), AnomalyError> {
    let ok = |v: f64, lo: f64, hi: f64| v.is_finite() && v > lo && v < hi;
    if !ok(cfg.z_threshold, 0.0, f64::INFINITY)
        || !ok(cfg.chi2_quantile, 0.0, 1.0)
        || !ok(cfg.mcd.reweight_quantile, 0.0, 1.0)
        || !(0.5..=1.0).contains(&cfg.mcd.support_fraction)
        || !(0.0..=1.0).contains(&cfg.max_missing_fraction)
        || !(0.0..f64::INFINITY).contains(&cfg.mcd.ridge)
    {
        return Err(AnomalyError::InvalidConfig);
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in cells {
        if !seen.insert(c.id.as_str()) {
            return Err(AnomalyError::DuplicateId(c.id.clone()));
        }
        if let Some((f, _)) = c.features.iter().find(|(_, v)| v.is_infinite()) {
            return Err(AnomalyError::InfiniteValue { cell: c.id.clone(), feature: f.clone() });
        }
    }
    Ok(())
}

fn univariate(
    z: &DMatrix<f64>,
    i: usize,
    scales: &[FeatureScale],
    cell: &CellFeatures,
    threshold: f64,
    value: &dyn Fn(&CellFeatures, &str) -> f64,
) -> UnivariateScore {
    let mut zs: Vec<FeatureZ> = scales
        .iter()
        .enumerate()
        .filter(|&(j, _)| z[(i, j)].is_finite())
        .map(|(j, s)| FeatureZ { feature: s.feature.clone(), value: value(cell, &s.feature), z: z[(i, j)] })
        .collect();
    zs.sort_by(|a, b| b.z.abs().total_cmp(&a.z.abs()));
    let max_abs_z = zs.first().map_or(0.0, |f| f.z.abs());
    UnivariateScore { score: max_abs_z / threshold, max_abs_z, threshold, flagged: max_abs_z > threshold, z: zs }
}

/// Location, precision and cutoff of the fitted Gaussian marginalised to the observed features.
fn marginal(fit: &RobustFit, observed: &[usize], cfg: &ScreenConfig) -> (DVector<f64>, DMatrix<f64>, f64) {
    let cutoff = ChiSquared::new(observed.len() as f64).expect("dof > 0").inverse_cdf(cfg.chi2_quantile);
    if observed.len() == fit.location.len() {
        return (fit.location.clone(), fit.precision.clone(), cutoff);
    }
    let mu = DVector::from_iterator(observed.len(), observed.iter().map(|&k| fit.location[k]));
    let cov = DMatrix::from_fn(observed.len(), observed.len(), |a, b| fit.scatter[(observed[a], observed[b])]);
    // A principal submatrix of a floored (positive definite) matrix is positive definite.
    let prec = cov.cholesky().map(|c| c.inverse()).expect("submatrix of a positive definite matrix");
    (mu, prec, cutoff)
}
