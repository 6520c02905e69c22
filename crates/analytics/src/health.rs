//! State of health (SOH) and remaining useful life (RUL) from capacity (or energy) readings over an ageing axis.
//!
//! # Method and why
//!
//! * **SOH now** is the level of a Theil–Sen line fitted to the most recent half of the readings (at least 10, at
//!   most 150), evaluated at the last reading, divided by the rated value. A median-of-slopes line ignores the
//!   capacity "regeneration" bumps after rests (NASA data: short upward jumps that decay over a few cycles) and
//!   isolated bad readings as long as they are a minority (breakdown ≈ 29 %), while averaging ordinary noise; the
//!   last raw reading is reported too, for comparison.
//! * **RUL** is the distance along the axis until the capacity first *reads* at or below the threshold
//!   (`eol_fraction × rated`, default 0.8; NASA's cells are usually taken to 0.7). It comes from a residual
//!   moving-block bootstrap: each replicate refits the trend to fitted values plus resampled residual blocks (blocks
//!   keep bumps and their decay together), then walks a simulated future of trend plus resampled residuals at the
//!   observed reading spacing until the first reading at or below the threshold. The median is the point estimate,
//!   the central `interval` (90 %) quantiles the interval. Simulating the *first passage* of noisy readings, not
//!   just the crossing of the trend, matches how end of life is declared from data.
//! * **Why a local straight line** rather than an exponential, power law or particle filter: over the next stretch
//!   of life the fade of the cells at hand (NASA 18650s, 24 °C) is close to linear in cycles; fitting curvature
//!   from half a life of noisy, bumpy data makes the extrapolation swing far more than it gains (a power-law
//!   exponent or a double exponential's rate is barely identifiable before the knee), and a particle filter needs
//!   exactly such a model plus noise priors. The straight line on recent data is the honest minimum; its interval
//!   is conditional on it.
//!
//! # Limits
//!
//! The line cannot see a knee ahead: for cells whose fade accelerates (e.g. NMC past 80 %, lithium plating) it
//! overestimates RUL, and the interval does not cover model error. [`HealthEstimate::extrapolation_supported`] is
//! false (with [`Caveat`]s) when there are too few readings, no fade, a fade the bootstrap cannot tell from zero,
//! or a crossing beyond `max_horizon_factor ×` the observed span; then do not act on the RUL.

mod estimate;
mod fit;
mod nasa;

pub use estimate::{Caveat, HealthConfig, HealthEstimate, Reading, estimate};
pub use fit::hampel_keep;
pub use nasa::{CellRul, Exclusion, HealthReport, RulSummary, evaluate_nasa, evaluate_nasa_with};

/// Rated capacity of the NASA PCoE cells (Ah).
pub const NASA_RATED_AH: f64 = 2.0;

/// Errors of the estimate and its evaluation.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("too few valid readings: {got}, need at least {needed}")]
    TooFewReadings { got: usize, needed: usize },
    #[error("rated value must be positive and finite, got {0}")]
    InvalidRated(f64),
    #[error("non-finite axis value or infinite capacity near at = {at}")]
    NonFinite { at: f64 },
    #[error("ageing axis must increase strictly (at = {at})")]
    NotIncreasing { at: f64 },
    #[error("all readings in the fit window share one axis value")]
    ConstantAxis,
    #[error("invalid configuration: fractions in (0, 1), min_points ≥ 3, max_points ≥ min_points, bootstrap ≥ 20")]
    InvalidConfig,
    #[error("dataset: {0}")]
    Data(String),
}
