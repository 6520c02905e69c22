//! Phase I (retrospective) limit estimation and Phase II monitoring against the frozen limits.
//!
//! Phase I: estimate limits from the baseline, drop the points/subgroups beyond them (assignable causes;
//! optionally also the points forming a run-rule pattern on the location chart), re-estimate from what
//! is left, and repeat until nothing new is dropped or `max_iterations` is reached. Dropped points are
//! still plotted against the final limits. For individuals, moving ranges that touch a dropped point are
//! left out of MR-bar; only the individuals chart drives exclusion (a large moving range does not say
//! which of its two points is the cause).

use serde::{Deserialize, Serialize};

use super::charts::{
    Dispersion, Estimate, ImrChart, SubgroupChart, check_subgroups, dispersion_of, estimate_individuals,
    estimate_subgroups, individuals_chart, subgroup_chart,
};
use super::rules::{Rule, RuleSet, Violation, evaluate_rules};
use super::stats::{check_finite, mean};
use super::{Constants, SigmaMethod, SpcError};

/// Data in time order: individual values or subgroups of equal size.
#[derive(Debug, Clone, Copy)]
pub enum Samples<'a> {
    Individuals(&'a [f64]),
    Subgroups(&'a [Vec<f64>]),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase1Options {
    pub constants: Constants,
    /// For subgroups: R or S as the dispersion statistic (ignored for individuals, which use MR).
    pub dispersion: Dispersion,
    /// Also exclude points forming these run-rule patterns on the location chart.
    pub exclusion_rules: Option<RuleSet>,
    pub max_iterations: usize,
}

impl Default for Phase1Options {
    fn default() -> Self {
        Phase1Options {
            constants: Constants::Exact,
            dispersion: Dispersion::Range,
            exclusion_rules: None,
            max_iterations: 10,
        }
    }
}

/// Why a baseline point or subgroup was excluded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExclusionReason {
    BeyondLocationLimits,
    BeyondDispersionLimits,
    Rule { rule: Rule },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    pub index: usize,
    /// The iteration (1-based) that excluded it.
    pub iteration: usize,
    pub reason: ExclusionReason,
}

/// Which chart the frozen limits belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrozenChart {
    IndividualsMovingRange,
    XbarR,
    XbarS,
}

/// Limits fixed at the end of Phase I, to judge new data against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenLimits {
    pub chart: FrozenChart,
    /// 1 for individuals.
    pub subgroup_size: usize,
    pub constants: Constants,
    pub center: f64,
    pub sigma: f64,
    pub sigma_method: SigmaMethod,
    pub location_lcl: f64,
    pub location_ucl: f64,
    /// Sd of the plotted location statistic (zones for run rules).
    pub location_sigma: f64,
    pub dispersion_center: f64,
    pub dispersion_lcl: f64,
    pub dispersion_ucl: f64,
}

/// The final charts of the baseline, against the frozen limits.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BaselineCharts {
    Individuals(ImrChart),
    Subgroups(SubgroupChart),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase1Result {
    pub frozen: FrozenLimits,
    pub excluded: Vec<Exclusion>,
    pub iterations: usize,
    /// False when `max_iterations` was reached while points were still being excluded.
    pub converged: bool,
    pub charts: BaselineCharts,
}

/// Phase I on a baseline.
pub fn phase1(baseline: Samples<'_>, options: &Phase1Options) -> Result<Phase1Result, SpcError> {
    if options.max_iterations == 0 {
        return Err(SpcError::InvalidParameter { name: "max_iterations", reason: "must be at least 1".into() });
    }
    let len = match baseline {
        Samples::Individuals(v) => v.len(),
        Samples::Subgroups(g) => g.len(),
    };
    let mut keep = vec![true; len];
    let mut excluded = Vec::new();
    let mut converged = false;
    let mut iterations = 0;
    while iterations < options.max_iterations {
        iterations += 1;
        let estimate = estimate(baseline, &keep, options)?;
        let flagged = flag(baseline, &estimate, &keep, options)?;
        if flagged.is_empty() {
            converged = true;
            break;
        }
        for (index, reason) in flagged {
            if keep[index] {
                keep[index] = false;
                excluded.push(Exclusion { index, iteration: iterations, reason });
            }
        }
    }
    let estimate = estimate(baseline, &keep, options)?;
    if !converged {
        // One more look: the last exclusions may have been the final ones.
        converged = flag(baseline, &estimate, &keep, options)?.is_empty();
    }
    excluded.sort_by_key(|e| e.index);
    let (chart, subgroup_size, charts) = match baseline {
        Samples::Individuals(v) => {
            (FrozenChart::IndividualsMovingRange, 1, BaselineCharts::Individuals(individuals_chart(v, &estimate)))
        }
        Samples::Subgroups(g) => {
            let chart = match options.dispersion {
                Dispersion::Range => FrozenChart::XbarR,
                Dispersion::StdDev => FrozenChart::XbarS,
            };
            (chart, estimate.factors.n, BaselineCharts::Subgroups(subgroup_chart(g, &estimate)))
        }
    };
    Ok(Phase1Result { frozen: freeze(chart, subgroup_size, &estimate), excluded, iterations, converged, charts })
}

fn estimate(baseline: Samples<'_>, keep: &[bool], options: &Phase1Options) -> Result<Estimate, SpcError> {
    match baseline {
        Samples::Individuals(v) => estimate_individuals(v, keep, options.constants),
        Samples::Subgroups(g) => estimate_subgroups(g, keep, options.dispersion, options.constants),
    }
}

/// Kept points/subgroups that the current estimate says are assignable causes.
fn flag(
    baseline: Samples<'_>,
    e: &Estimate,
    keep: &[bool],
    options: &Phase1Options,
) -> Result<Vec<(usize, ExclusionReason)>, SpcError> {
    let (location, dispersion): (Vec<f64>, Vec<f64>) = match baseline {
        Samples::Individuals(v) => (v.to_vec(), Vec::new()),
        Samples::Subgroups(g) => {
            (g.iter().map(|s| mean(s)).collect(), g.iter().map(|s| dispersion_of(s, e.dispersion)).collect())
        }
    };
    let (lcl, ucl) = e.location_limits();
    let (dlcl, ducl) = e.dispersion_limits();
    let mut out = Vec::new();
    for (i, kept) in keep.iter().enumerate() {
        if !kept {
            continue;
        }
        if location[i] > ucl || location[i] < lcl {
            out.push((i, ExclusionReason::BeyondLocationLimits));
        } else if dispersion.get(i).is_some_and(|d| *d > ducl || *d < dlcl) {
            out.push((i, ExclusionReason::BeyondDispersionLimits));
        }
    }
    if let Some(rules) = &options.exclusion_rules {
        // Rules run on the kept sequence; map positions back to baseline indices.
        let kept_index: Vec<usize> = (0..keep.len()).filter(|&i| keep[i]).collect();
        let kept_values: Vec<f64> = kept_index.iter().map(|&i| location[i]).collect();
        for v in evaluate_rules(&kept_values, e.center, e.location_sigma(), rules)? {
            for p in v.points {
                let index = kept_index[p];
                if !out.iter().any(|(i, _)| *i == index) {
                    out.push((index, ExclusionReason::Rule { rule: v.rule }));
                }
            }
        }
    }
    Ok(out)
}

fn freeze(chart: FrozenChart, subgroup_size: usize, e: &Estimate) -> FrozenLimits {
    let (location_lcl, location_ucl) = e.location_limits();
    let (dispersion_lcl, dispersion_ucl) = e.dispersion_limits();
    FrozenLimits {
        chart,
        subgroup_size,
        constants: e.factors.source,
        center: e.center,
        sigma: e.sigma,
        sigma_method: e.sigma_method,
        location_lcl,
        location_ucl,
        location_sigma: e.location_sigma(),
        dispersion_center: e.dispersion_center,
        dispersion_lcl,
        dispersion_ucl,
    }
}

/// Which statistic an alarm concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    Location,
    Dispersion,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AlarmReason {
    AboveUpperLimit { statistic: Statistic, limit: f64 },
    BelowLowerLimit { statistic: Statistic, limit: f64 },
    Rule { violation: Violation },
}

/// A Phase II signal at `index` of the new data (for moving ranges: the later of the two points).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alarm {
    pub index: usize,
    pub value: f64,
    pub reason: AlarmReason,
}

/// Phase II: judges new points/subgroups against frozen limits (and run rules on the location chart).
/// For individuals the first moving range is between the first two new points.
pub fn phase2(frozen: &FrozenLimits, new: Samples<'_>, rules: Option<&RuleSet>) -> Result<Vec<Alarm>, SpcError> {
    let (location, dispersion, dispersion_first): (Vec<f64>, Vec<f64>, usize) = match (frozen.chart, new) {
        (FrozenChart::IndividualsMovingRange, Samples::Individuals(v)) => {
            check_finite(v)?;
            (v.to_vec(), v.windows(2).map(|w| (w[1] - w[0]).abs()).collect(), 1)
        }
        (FrozenChart::XbarR | FrozenChart::XbarS, Samples::Subgroups(g)) => {
            let n = if g.len() == 1 { g[0].len() } else { check_subgroups(g)? };
            if n != frozen.subgroup_size {
                return Err(SpcError::UnequalSubgroups { index: 0, size: n, expected: frozen.subgroup_size });
            }
            let d = if frozen.chart == FrozenChart::XbarR { Dispersion::Range } else { Dispersion::StdDev };
            check_finite(&g.concat())?;
            (g.iter().map(|s| mean(s)).collect(), g.iter().map(|s| dispersion_of(s, d)).collect(), 0)
        }
        _ => {
            return Err(SpcError::InvalidParameter {
                name: "new",
                reason: format!("samples do not match the frozen {:?} chart", frozen.chart),
            });
        }
    };
    let mut alarms = Vec::new();
    let mut check = |index: usize, value: f64, statistic: Statistic, lcl: f64, ucl: f64| {
        if value > ucl {
            alarms.push(Alarm { index, value, reason: AlarmReason::AboveUpperLimit { statistic, limit: ucl } });
        } else if value < lcl {
            alarms.push(Alarm { index, value, reason: AlarmReason::BelowLowerLimit { statistic, limit: lcl } });
        }
    };
    for (i, v) in location.iter().enumerate() {
        check(i, *v, Statistic::Location, frozen.location_lcl, frozen.location_ucl);
    }
    for (j, v) in dispersion.iter().enumerate() {
        check(j + dispersion_first, *v, Statistic::Dispersion, frozen.dispersion_lcl, frozen.dispersion_ucl);
    }
    if let Some(rules) = rules {
        for violation in evaluate_rules(&location, frozen.center, frozen.location_sigma, rules)? {
            let index = violation.index;
            alarms.push(Alarm { index, value: location[index], reason: AlarmReason::Rule { violation } });
        }
    }
    alarms.sort_by_key(|a| a.index);
    Ok(alarms)
}
