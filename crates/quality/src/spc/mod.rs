//! Statistical process control for supplier characteristics.
//!
//! A series is one supplier × material × characteristic, ordered by manufacturing date ([`series`]).
//! On it: Shewhart charts (I-MR, X-bar/R, X-bar/S) and time-weighted charts (EWMA, tabular CUSUM)
//! ([`charts`]), Western Electric and Nelson run rules ([`rules`]), Phase I limit estimation with
//! exclusion of assignable causes and Phase II monitoring against the frozen limits ([`phase1`]), and
//! process capability with confidence intervals and a percentile method for non-normal data
//! ([`capability`], [`normality`]).
//!
//! Chart constants are exact by default ([`Constants::Exact`]); the classic 3-decimal table is available
//! on request ([`Constants::AiagTable`]). Every chart result says which one it used.

pub mod capability;
pub mod charts;
pub mod constants;
pub mod monitor;
pub mod normality;
pub mod phase1;
pub mod rules;
pub mod series;
mod stats;
pub mod time_weighted;

pub use capability::{CapabilityIndex, CapabilityReport, PercentileCapability, SpecLimits, WithinSigma, capability};
pub use charts::{ChartKind, ControlChart, Dispersion, ImrChart, Limits, SubgroupChart, imr, xbar_r, xbar_s};
pub use constants::{ChartFactors, factors};
pub use monitor::{MonitorOptions, RuleChoice, SeriesMonitor, Signal, Stage};
pub use normality::{AndersonDarling, anderson_darling};
pub use phase1::{Alarm, AlarmReason, FrozenLimits, Phase1Options, Phase1Result, Samples, phase1, phase2};
pub use rules::{Rule, RuleSet, Violation, evaluate_rules, evaluate_rules_at};
pub use time_weighted::{CusumChart, CusumParams, EwmaParams, ewma, tabular_cusum};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which chart constants (d2, d3, c4 and the factors built from them) to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Constants {
    /// Computed exactly (c4 from the gamma function, d2/d3 by numerical integration); n = 2..=50.
    #[default]
    Exact,
    /// The published 3-decimal table (AIAG SPC manual / ASTM); n = 2..=25.
    AiagTable,
}

/// How a process sigma was estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigmaMethod {
    /// Average moving range of 2 divided by d2(2).
    MovingRangeOverD2,
    /// Average subgroup range divided by d2(n).
    RangeOverD2,
    /// Average subgroup standard deviation divided by c4(n).
    StdDevOverC4,
    /// Sample standard deviation of all values (overall, long-term).
    SampleStdDev,
    /// Supplied by the caller (e.g. frozen from a Phase I study).
    Given,
}

/// Why an SPC computation could not be done.
#[derive(Debug, Clone, PartialEq, Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum SpcError {
    #[error("{what} needs at least {needed} values, got {got}")]
    NotEnoughData { what: &'static str, needed: usize, got: usize },
    #[error("subgroups must have equal sizes for now: subgroup {index} has {size} values, the first has {expected}")]
    UnequalSubgroups { index: usize, size: usize, expected: usize },
    #[error("subgroup size {n} is outside what {constants:?} constants cover (2..={max})")]
    SubgroupSize { n: usize, constants: Constants, max: usize },
    #[error("value at index {index} is not a finite number")]
    NonFinite { index: usize },
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error("the estimated sigma is zero: all values are equal, limits would be degenerate")]
    ZeroSigma,
}
