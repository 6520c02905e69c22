//! End-of-line anomaly screening: which cells of a production group look unlike the rest, and why.
//!
//! # Two methods, side by side
//!
//! * **Univariate**: per feature, the robust z score `(x − median) / (1.4826 · MAD)`; a cell is flagged when any
//!   |z| exceeds the threshold (default 3.5, Iglewicz & Hoaglin). Easy to explain, but blind to a cell whose every
//!   value is ordinary while their combination is not (high capacity *and* high resistance in a batch where the two
//!   are anti-correlated).
//! * **Multivariate**: the squared robust Mahalanobis distance `(x − μ)ᵀ Σ⁻¹ (x − μ)` with `μ, Σ` from the
//!   reweighted FastMCD ([`mcd`]); a cell is flagged above the χ²_p quantile (default 0.999).
//!
//! Why Mahalanobis with MCD rather than LOF or an isolation forest: end-of-line features of one line and window
//! are a few (5–15) continuous, roughly elliptical measurements, where a Gaussian core is a good model; the χ²
//! cutoff then has a stated false-alarm rate, which LOF (a density ratio with no scale) and isolation forests
//! (path lengths) lack; the distance splits exactly into per-feature contributions, so the "why" is arithmetic,
//! not a post-hoc explanation; and axis-parallel isolation trees are weakest on exactly the correlation-breaking
//! faults the univariate screen already misses. The MCD keeps that model from being dragged by the outliers it
//! should find (breakdown up to 25 % with the default support fraction). Its limits: a multi-modal group (two
//! formation protocols, two material lots) is not one ellipse — screen each mode as its own group — and the
//! cutoff assumes normal tails; heavy-tailed features flag more than the nominal rate.
//!
//! # Scores and drivers
//!
//! Both scores are normalised by their cutoff (`score ≥ 1` ⇔ flagged), so they compare across groups and feature
//! counts. Each cell gets its robust z values and, for the distance, per-feature contributions that sum to the
//! squared distance, together with the conditional z (how far a feature is from what the others predict); both
//! lists are sorted, largest first.
//!
//! # Data handling
//!
//! Features are robustly standardised (median / MAD) before the MCD, so units do not matter. A constant feature,
//! or one with fewer than [`MIN_UNIVARIATE_CELLS`] values, is left out and reported; one missing in more than
//! [`ScreenConfig::max_missing_fraction`] of the cells is screened only univariately. The covariance is fitted on the
//! complete cells; a cell with missing values is scored on the features it has, with the fitted Gaussian
//! marginalised to them and a χ² cutoff with that many degrees of freedom. Near-singular covariances (duplicated or
//! collinear features) get an eigenvalue floor (see [`mcd`]). The multivariate model needs at least
//! [`min_group_size`]`(p) = max(5p, 20)` complete cells — a clear [`AnomalyError::TooFewCells`] otherwise; a few
//! hundred cells per group are better.
//!
//! # Evaluation
//!
//! [`evaluate`] draws synthetic production batches from the real joint distributions of the RWTH Sanyo and Weng
//! pouch cells, injects faults of known kind and size, and reports precision, recall and ROC AUC of both methods.

mod data;
mod eval;
pub mod mcd;
pub mod robust;
pub mod roc;
mod screen;
pub(crate) mod synth;

pub(crate) use data::read_table;
pub use eval::{AnomalyReport, FaultKind, FaultResult, MethodResult, SourceSummary, evaluate};
pub use screen::{
    CellFeatures, CellScreening, Driver, ExcludedFeature, Exclusion, FeatureScale, FeatureZ, MIN_UNIVARIATE_CELLS,
    MultivariateScore, ScreenConfig, Screening, UnivariateScore, min_group_size, screen,
};

/// Errors of the screening and its evaluation.
#[derive(Debug, thiserror::Error)]
pub enum AnomalyError {
    #[error("too few complete cells for {features} features: {got}, need at least {needed}")]
    TooFewCells { needed: usize, got: usize, features: usize },
    #[error("no feature is usable (all constant, too sparse or absent)")]
    NoUsableFeature,
    #[error("duplicate cell id {0:?}")]
    DuplicateId(String),
    #[error("infinite value of {feature:?} for cell {cell:?}")]
    InfiniteValue { cell: String, feature: String },
    #[error("non-finite value in the input matrix")]
    NonFinite,
    #[error("invalid configuration: thresholds must be positive, quantiles in (0, 1), support fraction in [0.5, 1]")]
    InvalidConfig,
    #[error("dataset file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("dataset file {path}: {source}")]
    Csv { path: String, source: csv::Error },
    #[error("dataset: {0}")]
    Data(String),
}
