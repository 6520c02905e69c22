//! Western Electric (4) and Nelson (8) run rules on a plotted series with centre line and sigma.
//!
//! A violation is reported at the point that completes the pattern: the last point of the window, which
//! must itself be part of the pattern (for "k of m" rules it is one of the k points). A pattern that
//! keeps going (e.g. a 10th point on the same side) completes a new window and is reported again; for
//! "k of m" rules a window shorter than m at the start of the series counts.
//!
//! Zones are in sigma of the plotted statistic: z = (x − centre) / sigma.

use serde::{Deserialize, Serialize};

use super::SpcError;
use super::stats::check_finite;

/// One run rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rule {
    /// One point beyond 3σ.
    #[serde(rename = "WE1")]
    WesternElectric1,
    /// Two of three consecutive points beyond 2σ on the same side.
    #[serde(rename = "WE2")]
    WesternElectric2,
    /// Four of five consecutive points beyond 1σ on the same side.
    #[serde(rename = "WE3")]
    WesternElectric3,
    /// Eight consecutive points on the same side of the centre line.
    #[serde(rename = "WE4")]
    WesternElectric4,
    /// One point beyond 3σ.
    #[serde(rename = "N1")]
    Nelson1,
    /// Nine points in a row on the same side of the centre line.
    #[serde(rename = "N2")]
    Nelson2,
    /// Six points in a row steadily increasing or decreasing.
    #[serde(rename = "N3")]
    Nelson3,
    /// Fourteen points in a row alternating up and down.
    #[serde(rename = "N4")]
    Nelson4,
    /// Two of three points in a row beyond 2σ on the same side.
    #[serde(rename = "N5")]
    Nelson5,
    /// Four of five points in a row beyond 1σ on the same side.
    #[serde(rename = "N6")]
    Nelson6,
    /// Fifteen points in a row within 1σ (either side).
    #[serde(rename = "N7")]
    Nelson7,
    /// Eight points in a row beyond 1σ (either side), none within 1σ.
    #[serde(rename = "N8")]
    Nelson8,
}

impl Rule {
    pub const WESTERN_ELECTRIC: [Rule; 4] =
        [Rule::WesternElectric1, Rule::WesternElectric2, Rule::WesternElectric3, Rule::WesternElectric4];
    pub const NELSON: [Rule; 8] = [
        Rule::Nelson1,
        Rule::Nelson2,
        Rule::Nelson3,
        Rule::Nelson4,
        Rule::Nelson5,
        Rule::Nelson6,
        Rule::Nelson7,
        Rule::Nelson8,
    ];

    /// Short id: WE1..WE4, N1..N8.
    pub fn id(self) -> &'static str {
        match self {
            Rule::WesternElectric1 => "WE1",
            Rule::WesternElectric2 => "WE2",
            Rule::WesternElectric3 => "WE3",
            Rule::WesternElectric4 => "WE4",
            Rule::Nelson1 => "N1",
            Rule::Nelson2 => "N2",
            Rule::Nelson3 => "N3",
            Rule::Nelson4 => "N4",
            Rule::Nelson5 => "N5",
            Rule::Nelson6 => "N6",
            Rule::Nelson7 => "N7",
            Rule::Nelson8 => "N8",
        }
    }

    fn pattern(self) -> Pattern {
        use Pattern::*;
        match self {
            Rule::WesternElectric1 | Rule::Nelson1 => Beyond { count: 1, of: 1, zone: 3.0 },
            Rule::WesternElectric2 | Rule::Nelson5 => Beyond { count: 2, of: 3, zone: 2.0 },
            Rule::WesternElectric3 | Rule::Nelson6 => Beyond { count: 4, of: 5, zone: 1.0 },
            Rule::WesternElectric4 => SameSide(8),
            Rule::Nelson2 => SameSide(9),
            Rule::Nelson3 => Trend(6),
            Rule::Nelson4 => Alternating(14),
            Rule::Nelson7 => Within(15),
            Rule::Nelson8 => Outside(8),
        }
    }
}

#[derive(Clone, Copy)]
enum Pattern {
    /// `count` of the last `of` points beyond `zone` sigma on one side.
    Beyond {
        count: usize,
        of: usize,
        zone: f64,
    },
    SameSide(usize),
    Trend(usize),
    Alternating(usize),
    Within(usize),
    Outside(usize),
}

/// Which rules to evaluate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet(pub Vec<Rule>);

impl RuleSet {
    pub fn western_electric() -> Self {
        RuleSet(Rule::WESTERN_ELECTRIC.to_vec())
    }

    pub fn nelson() -> Self {
        RuleSet(Rule::NELSON.to_vec())
    }

    pub fn only(rules: &[Rule]) -> Self {
        RuleSet(rules.to_vec())
    }
}

/// A rule completed at `index`; `points` are the points forming the pattern.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub rule: Rule,
    pub index: usize,
    pub points: Vec<usize>,
    pub description: String,
}

/// Evaluates `rules` on `values` (time order) with zones around `center` in units of `sigma`.
/// Violations are ordered by completing index, then by the order of `rules`.
pub fn evaluate_rules(values: &[f64], center: f64, sigma: f64, rules: &RuleSet) -> Result<Vec<Violation>, SpcError> {
    let z = standardized(values, center, sigma)?;
    Ok((0..z.len()).flat_map(|i| violations_at(&z, values, rules, i)).collect())
}

/// The violations [`evaluate_rules`] reports at point `index` alone (none past the end): a pattern completes
/// at a point from that point and the ones before it, so judging the newest point needs no more.
pub fn evaluate_rules_at(
    values: &[f64],
    center: f64,
    sigma: f64,
    rules: &RuleSet,
    index: usize,
) -> Result<Vec<Violation>, SpcError> {
    let z = standardized(values, center, sigma)?;
    Ok(if index < z.len() { violations_at(&z, values, rules, index) } else { Vec::new() })
}

/// The values in sigma units from the centre, after checking them and sigma.
fn standardized(values: &[f64], center: f64, sigma: f64) -> Result<Vec<f64>, SpcError> {
    check_finite(values)?;
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Err(SpcError::InvalidParameter { name: "sigma", reason: format!("must be positive, got {sigma}") });
    }
    Ok(values.iter().map(|v| (v - center) / sigma).collect())
}

fn violations_at(z: &[f64], values: &[f64], rules: &RuleSet, i: usize) -> Vec<Violation> {
    rules
        .0
        .iter()
        .filter_map(|&rule| {
            let points = completes(rule.pattern(), z, values, i)?;
            Some(Violation { rule, index: i, description: describe(rule, z, i, &points), points })
        })
        .collect()
}

/// Window of the last `len` indices ending at `i`, if the series is long enough.
fn window(i: usize, len: usize) -> Option<std::ops::RangeInclusive<usize>> {
    (i + 1 >= len).then(|| i + 1 - len..=i)
}

fn completes(pattern: Pattern, z: &[f64], x: &[f64], i: usize) -> Option<Vec<usize>> {
    match pattern {
        Pattern::Beyond { count, of, zone } => {
            let side = if z[i] > zone {
                1.0
            } else if z[i] < -zone {
                -1.0
            } else {
                return None;
            };
            let start = (i + 1).saturating_sub(of);
            let hits: Vec<usize> = (start..=i).filter(|&j| z[j] * side > zone).collect();
            (hits.len() >= count).then_some(hits)
        }
        Pattern::SameSide(len) => {
            let w = window(i, len)?;
            let all = |f: fn(f64) -> bool| w.clone().all(|j| f(z[j]));
            (all(|v| v > 0.0) || all(|v| v < 0.0)).then(|| w.collect())
        }
        Pattern::Trend(len) => {
            let w = window(i, len)?;
            let steps = || (*w.start() + 1..=i).map(|j| x[j] - x[j - 1]);
            (steps().all(|d| d > 0.0) || steps().all(|d| d < 0.0)).then(|| w.collect())
        }
        Pattern::Alternating(len) => {
            let w = window(i, len)?;
            let diffs: Vec<f64> = (*w.start() + 1..=i).map(|j| x[j] - x[j - 1]).collect();
            let alternating = diffs.iter().all(|d| *d != 0.0) && diffs.windows(2).all(|p| p[0] * p[1] < 0.0);
            alternating.then(|| w.collect())
        }
        Pattern::Within(len) => {
            let w = window(i, len)?;
            w.clone().all(|j| z[j].abs() < 1.0).then(|| w.collect())
        }
        Pattern::Outside(len) => {
            let w = window(i, len)?;
            w.clone().all(|j| z[j].abs() > 1.0).then(|| w.collect())
        }
    }
}

fn describe(rule: Rule, z: &[f64], i: usize, points: &[usize]) -> String {
    let side = if z[i] > 0.0 { "above" } else { "below" };
    let first = points.first().copied().unwrap_or(i);
    let text = match rule {
        Rule::WesternElectric1 | Rule::Nelson1 => format!("point {i} is beyond 3 sigma {side} the centre line"),
        Rule::WesternElectric2 | Rule::Nelson5 => {
            format!("2 of 3 consecutive points beyond 2 sigma {side} the centre line (points {points:?})")
        }
        Rule::WesternElectric3 | Rule::Nelson6 => {
            format!("4 of 5 consecutive points beyond 1 sigma {side} the centre line (points {points:?})")
        }
        Rule::WesternElectric4 => format!("8 consecutive points {side} the centre line (points {first}..={i})"),
        Rule::Nelson2 => format!("9 consecutive points {side} the centre line (points {first}..={i})"),
        Rule::Nelson3 => {
            let direction = if z[i] > z[first] { "increasing" } else { "decreasing" };
            format!("6 consecutive points steadily {direction} (points {first}..={i})")
        }
        Rule::Nelson4 => format!("14 consecutive points alternating up and down (points {first}..={i})"),
        Rule::Nelson7 => format!("15 consecutive points within 1 sigma of the centre line (points {first}..={i})"),
        Rule::Nelson8 => format!("8 consecutive points beyond 1 sigma, none within it (points {first}..={i})"),
    };
    format!("{}: {text}", rule.id())
}
