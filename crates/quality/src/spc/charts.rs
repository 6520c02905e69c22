//! Shewhart charts: I-MR, X-bar/R, X-bar/S. EWMA and CUSUM live in [`super::time_weighted`].
//!
//! Limits are the usual 3-sigma limits built from the chart factors of [`super::constants`]; with
//! [`Constants::Exact`] they equal centre ± 3 × (sd of the plotted statistic), with
//! [`Constants::AiagTable`] they use the rounded tabulated factors (A2, D3, D4, A3, B3, B4) as a hand
//! calculation would.

use serde::Serialize;

use super::constants::{ChartFactors, factors};
use super::stats::{check_finite, mean, range, sample_sd};
use super::{Constants, SigmaMethod, SpcError};

/// What a chart plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Individuals,
    MovingRange,
    XBar,
    Range,
    StdDev,
    Ewma,
}

/// Control limits: one pair for the whole chart, or one pair per plotted point (EWMA).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Limits {
    Constant { lcl: f64, ucl: f64 },
    PerPoint { lcl: Vec<f64>, ucl: Vec<f64> },
}

impl Limits {
    pub fn lcl_at(&self, i: usize) -> f64 {
        match self {
            Limits::Constant { lcl, .. } => *lcl,
            Limits::PerPoint { lcl, .. } => lcl[i],
        }
    }

    pub fn ucl_at(&self, i: usize) -> f64 {
        match self {
            Limits::Constant { ucl, .. } => *ucl,
            Limits::PerPoint { ucl, .. } => ucl[i],
        }
    }
}

/// One chart: the plotted statistic, its centre line and limits, and how sigma was estimated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlChart {
    pub kind: ChartKind,
    /// The plotted statistic, one per point.
    pub statistic: Vec<f64>,
    /// Index in the series (point or subgroup) of `statistic[0]`: 1 for moving ranges, else 0.
    pub first_index: usize,
    pub center: f64,
    pub limits: Limits,
    /// Standard deviation of the plotted statistic (for run-rule zones): σ for individuals, σ/√n for
    /// subgroup means, d3·σ for ranges, σ·√(1 − c4²) for standard deviations.
    pub statistic_sigma: f64,
    /// Estimated process (within) sigma.
    pub sigma: f64,
    pub sigma_method: SigmaMethod,
    pub constants: Constants,
    /// Indices into `statistic` of points strictly outside their limits.
    pub out_of_limits: Vec<usize>,
}

/// Individuals and moving-range (span 2) charts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImrChart {
    pub individuals: ControlChart,
    pub moving_range: ControlChart,
}

/// X-bar chart with its dispersion companion (R or S).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubgroupChart {
    pub subgroup_size: usize,
    pub xbar: ControlChart,
    pub dispersion: ControlChart,
    pub factors: ChartFactors,
}

/// Which subgroup dispersion statistic estimates sigma.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dispersion {
    Range,
    StdDev,
}

/// I-MR chart of individual values in time order.
pub fn imr(values: &[f64], constants: Constants) -> Result<ImrChart, SpcError> {
    let keep = vec![true; values.len()];
    let estimate = estimate_individuals(values, &keep, constants)?;
    Ok(individuals_chart(values, &estimate))
}

/// X-bar/R chart of equal-size subgroups in time order.
pub fn xbar_r(subgroups: &[Vec<f64>], constants: Constants) -> Result<SubgroupChart, SpcError> {
    subgroup_chart_all(subgroups, Dispersion::Range, constants)
}

/// X-bar/S chart of equal-size subgroups in time order.
pub fn xbar_s(subgroups: &[Vec<f64>], constants: Constants) -> Result<SubgroupChart, SpcError> {
    subgroup_chart_all(subgroups, Dispersion::StdDev, constants)
}

fn subgroup_chart_all(
    subgroups: &[Vec<f64>],
    dispersion: Dispersion,
    constants: Constants,
) -> Result<SubgroupChart, SpcError> {
    let keep = vec![true; subgroups.len()];
    let estimate = estimate_subgroups(subgroups, &keep, dispersion, constants)?;
    Ok(subgroup_chart(subgroups, &estimate))
}

/// Limits estimated from the kept points/subgroups; Phase I re-estimates it after exclusions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Estimate {
    pub center: f64,
    /// Average moving range, range or standard deviation.
    pub dispersion_center: f64,
    pub sigma: f64,
    pub sigma_method: SigmaMethod,
    pub dispersion: Dispersion,
    pub factors: ChartFactors,
}

impl Estimate {
    /// (lcl, ucl) of the location chart.
    pub fn location_limits(&self) -> (f64, f64) {
        let spread = match self.sigma_method {
            // Individuals: x-bar ± 3 MR-bar/d2(2) (E2 = 2.660 with the table's d2 = 1.128).
            SigmaMethod::MovingRangeOverD2 => 3.0 * self.dispersion_center / self.factors.d2,
            SigmaMethod::StdDevOverC4 => self.factors.xbar_from_stddev * self.dispersion_center,
            _ => self.factors.xbar_from_range * self.dispersion_center,
        };
        (self.center - spread, self.center + spread)
    }

    /// (lcl, ucl) of the dispersion chart.
    pub fn dispersion_limits(&self) -> (f64, f64) {
        let f = &self.factors;
        match self.dispersion {
            Dispersion::Range => (f.range_lower * self.dispersion_center, f.range_upper * self.dispersion_center),
            Dispersion::StdDev => (f.stddev_lower * self.dispersion_center, f.stddev_upper * self.dispersion_center),
        }
    }

    /// Sd of the plotted location statistic.
    pub fn location_sigma(&self) -> f64 {
        match self.sigma_method {
            SigmaMethod::MovingRangeOverD2 => self.sigma,
            _ => self.sigma / (self.factors.n as f64).sqrt(),
        }
    }

    pub fn dispersion_sigma(&self) -> f64 {
        match self.dispersion {
            Dispersion::Range => self.factors.d3 * self.sigma,
            Dispersion::StdDev => self.sigma * (1.0 - self.factors.c4.powi(2)).sqrt(),
        }
    }
}

/// Centre = mean of kept values, sigma = MR-bar/d2(2) over moving ranges whose two points are both kept.
pub(crate) fn estimate_individuals(values: &[f64], keep: &[bool], constants: Constants) -> Result<Estimate, SpcError> {
    check_finite(values)?;
    let kept: Vec<f64> = values.iter().zip(keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect();
    let ranges: Vec<f64> =
        (1..values.len()).filter(|&i| keep[i] && keep[i - 1]).map(|i| (values[i] - values[i - 1]).abs()).collect();
    if kept.len() < 2 || ranges.is_empty() {
        return Err(SpcError::NotEnoughData { what: "an individuals chart", needed: 2, got: kept.len() });
    }
    let factors = factors(2, constants)?;
    let mr_bar = mean(&ranges);
    let sigma = mr_bar / factors.d2;
    if sigma <= 0.0 {
        return Err(SpcError::ZeroSigma);
    }
    Ok(Estimate {
        center: mean(&kept),
        dispersion_center: mr_bar,
        sigma,
        sigma_method: SigmaMethod::MovingRangeOverD2,
        dispersion: Dispersion::Range,
        factors,
    })
}

/// Checks shape (≥ 2 subgroups, equal sizes ≥ 2, finite values) and returns the subgroup size.
pub(crate) fn check_subgroups(subgroups: &[Vec<f64>]) -> Result<usize, SpcError> {
    if subgroups.len() < 2 {
        return Err(SpcError::NotEnoughData { what: "a subgroup chart (subgroups)", needed: 2, got: subgroups.len() });
    }
    let n = subgroups[0].len();
    if n < 2 {
        return Err(SpcError::NotEnoughData { what: "a subgroup", needed: 2, got: n });
    }
    for (index, group) in subgroups.iter().enumerate() {
        if group.len() != n {
            return Err(SpcError::UnequalSubgroups { index, size: group.len(), expected: n });
        }
        check_finite(group)?;
    }
    Ok(n)
}

pub(crate) fn estimate_subgroups(
    subgroups: &[Vec<f64>],
    keep: &[bool],
    dispersion: Dispersion,
    constants: Constants,
) -> Result<Estimate, SpcError> {
    let n = check_subgroups(subgroups)?;
    let factors = factors(n, constants)?;
    let kept: Vec<&Vec<f64>> = subgroups.iter().zip(keep).filter(|(_, k)| **k).map(|(g, _)| g).collect();
    if kept.len() < 2 {
        return Err(SpcError::NotEnoughData { what: "limits (kept subgroups)", needed: 2, got: kept.len() });
    }
    let means: Vec<f64> = kept.iter().map(|g| mean(g)).collect();
    let spreads: Vec<f64> = kept.iter().map(|g| dispersion_of(g, dispersion)).collect();
    let dispersion_center = mean(&spreads);
    let (sigma, sigma_method) = match dispersion {
        Dispersion::Range => (dispersion_center / factors.d2, SigmaMethod::RangeOverD2),
        Dispersion::StdDev => (dispersion_center / factors.c4, SigmaMethod::StdDevOverC4),
    };
    if sigma <= 0.0 {
        return Err(SpcError::ZeroSigma);
    }
    Ok(Estimate { center: mean(&means), dispersion_center, sigma, sigma_method, dispersion, factors })
}

pub(crate) fn dispersion_of(group: &[f64], dispersion: Dispersion) -> f64 {
    match dispersion {
        Dispersion::Range => range(group),
        Dispersion::StdDev => sample_sd(group),
    }
}

pub(crate) fn individuals_chart(values: &[f64], e: &Estimate) -> ImrChart {
    let (lcl, ucl) = e.location_limits();
    let (mr_lcl, mr_ucl) = e.dispersion_limits();
    let moving: Vec<f64> = values.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    ImrChart {
        individuals: chart(ChartKind::Individuals, values.to_vec(), 0, e.center, (lcl, ucl), e.location_sigma(), e),
        moving_range: chart(
            ChartKind::MovingRange,
            moving,
            1,
            e.dispersion_center,
            (mr_lcl, mr_ucl),
            e.dispersion_sigma(),
            e,
        ),
    }
}

pub(crate) fn subgroup_chart(subgroups: &[Vec<f64>], e: &Estimate) -> SubgroupChart {
    let means = subgroups.iter().map(|g| mean(g)).collect();
    let spreads = subgroups.iter().map(|g| dispersion_of(g, e.dispersion)).collect();
    let kind = match e.dispersion {
        Dispersion::Range => ChartKind::Range,
        Dispersion::StdDev => ChartKind::StdDev,
    };
    SubgroupChart {
        subgroup_size: e.factors.n,
        xbar: chart(ChartKind::XBar, means, 0, e.center, e.location_limits(), e.location_sigma(), e),
        dispersion: chart(kind, spreads, 0, e.dispersion_center, e.dispersion_limits(), e.dispersion_sigma(), e),
        factors: e.factors,
    }
}

fn chart(
    kind: ChartKind,
    statistic: Vec<f64>,
    first_index: usize,
    center: f64,
    (lcl, ucl): (f64, f64),
    statistic_sigma: f64,
    e: &Estimate,
) -> ControlChart {
    let out_of_limits = statistic.iter().enumerate().filter(|(_, v)| **v > ucl || **v < lcl).map(|(i, _)| i).collect();
    ControlChart {
        kind,
        statistic,
        first_index,
        center,
        limits: Limits::Constant { lcl, ucl },
        statistic_sigma,
        sigma: e.sigma,
        sigma_method: e.sigma_method,
        constants: e.factors.source,
        out_of_limits,
    }
}
