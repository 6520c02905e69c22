//! Battery analytics on the data a maker collects anyway: end-of-line test results and early cycling.
//!
//! Pure functions over plain data, deterministic for a given seed: no I/O except the dataset loaders, which read
//! the reference CSV files the benchmarks evaluate on.
//!
//! - [`anomaly`]: end-of-line screening of cells (robust univariate and multivariate), with the features that
//!   drove each score.
//! - [`cycle_life`]: cycle life predicted from the first 100 cycles (Severson et al. 2019), with a calibrated
//!   interval.
//! - [`health`]: state of health and remaining useful life from capacity over cycles.
//! - [`line_yield`]: a line's first-pass yield per day with a one-day-ahead forecast and its error on past days.

pub mod anomaly;
pub mod cycle_life;
pub mod health;
pub mod line_yield;
