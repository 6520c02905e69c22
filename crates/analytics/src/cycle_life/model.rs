//! A trained, versioned cycle-life model and its predictions.
//!
//! The model is plain data (serde) so that it can be committed, diffed, hashed and embedded in a server. It predicts
//! log10(cycle life) as the mean of one or more linear members (one member for a plain model, several for an
//! ensemble), and turns that into a cycle life with a symmetric interval on the log scale, whose half-width was
//! calibrated on held-out residuals during training.

use serde::{Deserialize, Serialize};

use super::features::{Features, extract};
use super::input::{EarlyCycles, InputError};
use super::linear::{LinearFit, Penalty};

/// A trained cycle-life model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub name: String,
    pub version: String,
    pub description: String,
    /// What the members predict; always `log10(cycle_life)`.
    pub target: String,
    /// Every input feature used by any member, in first-use order.
    pub feature_names: Vec<String>,
    pub members: Vec<Member>,
    /// Range of each of `feature_names` over the training cells, for the applicability check.
    pub feature_ranges: Vec<FeatureRange>,
    pub interval: IntervalCalibration,
    pub training: TrainingRecord,
}

/// Smallest and largest value of a feature over the training cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureRange {
    pub name: String,
    pub min: f64,
    pub max: f64,
}

/// A feature may lie this fraction of its training span beyond the training range before the prediction is flagged.
pub const RANGE_MARGIN: f64 = 0.1;

/// One linear model over standardised features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub feature_set: String,
    pub feature_names: Vec<String>,
    pub penalty: Penalty,
    #[serde(flatten)]
    pub fit: LinearFit,
}

/// How the prediction interval was calibrated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntervalCalibration {
    /// Nominal probability that the true cycle life lies within [lower, upper].
    pub nominal_coverage: f64,
    /// Half-width of the interval on the log10 scale: [ŷ − h, ŷ + h].
    pub log10_half_width: f64,
    pub method: String,
    /// Number of held-out residuals the half-width was taken from.
    pub residuals: usize,
}

/// Where the model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingRecord {
    /// See [`super::dataset::training_data_sha256`].
    pub training_data_sha256: String,
    pub training_cells: usize,
    pub seed: u64,
    pub cv_folds: usize,
    pub cv_repeats: usize,
    /// Cross-validated RMSE (cycles) within the training cells of the selected configuration.
    pub cv_rmse_cycles: f64,
    /// Cross-validated mean absolute percentage error within the training cells.
    pub cv_mape_percent: f64,
    /// How the configuration was chosen.
    pub selection: String,
}

/// A predicted cycle life with its interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    /// Predicted cycles until capacity falls to 80 % of nominal.
    pub cycle_life: f64,
    pub lower: f64,
    pub upper: f64,
    /// Nominal coverage of [lower, upper].
    pub coverage: f64,
    /// `name@version` of the model that made it.
    pub model: String,
    /// Features of this input that lie outside the training range (widened by [`RANGE_MARGIN`] of its span): the
    /// model is then extrapolating, and the interval's calibration does not apply. Empty for typical inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside_training_range: Vec<String>,
}

impl Model {
    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// Whether the model needs the per-cycle capacity fade in its input.
    pub fn needs_capacity_fade(&self) -> bool {
        let capacity = super::features::capacity_feature_names();
        self.feature_names.iter().any(|n| capacity.contains(n))
    }

    /// Predicts the cycle life of a cell from its early cycles.
    pub fn predict(&self, input: &EarlyCycles) -> Result<Prediction, InputError> {
        self.predict_features(&extract(input)?)
    }

    /// Predicts from already extracted features.
    pub fn predict_features(&self, features: &Features) -> Result<Prediction, InputError> {
        let log_life = self.predict_log10(features)?;
        let h = self.interval.log10_half_width;
        Ok(Prediction {
            cycle_life: 10f64.powf(log_life),
            lower: 10f64.powf(log_life - h),
            upper: 10f64.powf(log_life + h),
            coverage: self.interval.nominal_coverage,
            model: self.id(),
            outside_training_range: self.outside_training_range(features),
        })
    }

    /// Names of the features of `features` beyond the training range (see [`Prediction::outside_training_range`]).
    pub fn outside_training_range(&self, features: &Features) -> Vec<String> {
        self.feature_ranges
            .iter()
            .filter(|r| {
                let margin = RANGE_MARGIN * (r.max - r.min);
                features.get(&r.name).is_ok_and(|v| v < r.min - margin || v > r.max + margin)
            })
            .map(|r| r.name.clone())
            .collect()
    }

    /// The mean of the members' log10(cycle life) predictions.
    pub fn predict_log10(&self, features: &Features) -> Result<f64, InputError> {
        let mut total = 0.0;
        for member in &self.members {
            total += member.fit.predict(&features.select(&member.feature_names)?);
        }
        Ok(total / self.members.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::super::linear::{Standardiser, fit};
    use super::*;

    fn member(name: &str, intercept: f64, slope: f64) -> Member {
        Member {
            feature_set: name.into(),
            feature_names: vec![name.into()],
            penalty: Penalty::None,
            fit: LinearFit {
                standardiser: Standardiser { means: vec![0.0], scales: vec![1.0] },
                intercept,
                coefficients: vec![slope],
            },
        }
    }

    fn model(members: Vec<Member>, half_width: f64) -> Model {
        Model {
            name: "t".into(),
            version: "0".into(),
            description: String::new(),
            target: "log10(cycle_life)".into(),
            feature_names: members.iter().flat_map(|m| m.feature_names.clone()).collect(),
            members,
            feature_ranges: vec![FeatureRange { name: "dq_log_var".into(), min: 0.0, max: 2.0 }],
            interval: IntervalCalibration {
                nominal_coverage: 0.9,
                log10_half_width: half_width,
                method: String::new(),
                residuals: 0,
            },
            training: TrainingRecord {
                training_data_sha256: String::new(),
                training_cells: 0,
                seed: 0,
                cv_folds: 0,
                cv_repeats: 0,
                cv_rmse_cycles: 0.0,
                cv_mape_percent: 0.0,
                selection: String::new(),
            },
        }
    }

    #[test]
    fn an_ensemble_predicts_the_geometric_mean_of_its_members_with_a_log_symmetric_interval() {
        // Member a predicts 10^(2 + 0.5·1) = 316.2, member b 10^(3 − 0) = 1000: the mean of logs is 2.75.
        let m = model(vec![member("dq_log_var", 2.0, 0.5), member("dq_log_abs_min", 3.0, 0.0)], 0.1);
        let f = Features::from_values(vec![("dq_log_var".into(), 1.0), ("dq_log_abs_min".into(), 7.0)]);
        let p = m.predict_features(&f).unwrap();
        assert!((p.cycle_life - 10f64.powf(2.75)).abs() < 1e-9);
        assert!((p.upper / p.cycle_life - 10f64.powf(0.1)).abs() < 1e-12);
        assert!((p.cycle_life / p.lower - 10f64.powf(0.1)).abs() < 1e-12);
        assert_eq!(p.model, "t@0");
        assert!(p.outside_training_range.is_empty(), "1.0 is inside [0, 2]");
        let far = Features::from_values(vec![("dq_log_var".into(), 2.3), ("dq_log_abs_min".into(), 7.0)]);
        assert_eq!(m.predict_features(&far).unwrap().outside_training_range, vec!["dq_log_var".to_string()]);
        let near = Features::from_values(vec![("dq_log_var".into(), 2.15), ("dq_log_abs_min".into(), 7.0)]);
        assert!(m.predict_features(&near).unwrap().outside_training_range.is_empty(), "within the 10 % margin");
    }

    #[test]
    fn a_missing_feature_is_a_typed_error() {
        let m = model(vec![member("cap_cycle2", 3.0, 1.0)], 0.1);
        let f = Features::from_values(vec![("dq_log_var".into(), 1.0)]);
        assert_eq!(m.predict_features(&f).unwrap_err(), InputError::MissingCapacityFade);
        let m = model(vec![member("no_such_feature", 3.0, 1.0)], 0.1);
        assert_eq!(m.predict_features(&f).unwrap_err(), InputError::UnknownFeature("no_such_feature".into()));
    }

    #[test]
    fn the_fitted_linear_member_is_used_as_fitted() {
        let rows = vec![vec![0.0], vec![1.0], vec![2.0]];
        let y = vec![2.0, 2.5, 3.0];
        let mut mem = member("dq_log_var", 0.0, 0.0);
        mem.fit = fit(&rows, &y, Penalty::None);
        let m = model(vec![mem], 0.0);
        let f = Features::from_values(vec![("dq_log_var".into(), 4.0)]);
        assert!((m.predict_log10(&f).unwrap() - 4.0).abs() < 1e-12);
    }
}
