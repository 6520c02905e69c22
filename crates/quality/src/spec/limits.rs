//! Checking a result against inclusive limits, detection-limit qualifiers and summaries included.

use crate::ecoa::{Measurement, Qualifier};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    Lower,
    Upper,
}

/// Which reported number was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Statistic {
    Value,
    Mean,
    Min,
    Max,
}

/// A limit that is not shown to be met.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Check {
    Outside {
        statistic: Statistic,
        value: f64,
        bound: Bound,
        limit: f64,
    },
    /// A qualified value ("<0.5") that may lie on either side of the limit.
    Unknown {
        qualifier: Qualifier,
        value: f64,
        bound: Bound,
        limit: f64,
    },
}

/// Every limit the measurement is not shown to meet. A summary is checked with its min against the lower
/// and its max against the upper limit, falling back to the mean when min or max is absent.
pub(crate) fn check(m: &Measurement, lsl: Option<f64>, usl: Option<f64>) -> Vec<Check> {
    let mut out = Vec::new();
    match *m {
        Measurement::Single { value, qualifier } => {
            for (bound, limit) in [(Bound::Lower, lsl), (Bound::Upper, usl)] {
                if let Some(limit) = limit
                    && let Some(check) = check_single(value, qualifier, bound, limit)
                {
                    out.push(check);
                }
            }
        }
        Measurement::Summary { mean, min, max, .. } => {
            let low = min.map_or((Statistic::Mean, mean), |v| (Statistic::Min, v));
            let high = max.map_or((Statistic::Mean, mean), |v| (Statistic::Max, v));
            if let Some(limit) = lsl
                && low.1 < limit
            {
                out.push(Check::Outside { statistic: low.0, value: low.1, bound: Bound::Lower, limit });
            }
            if let Some(limit) = usl
                && high.1 > limit
            {
                out.push(Check::Outside { statistic: high.0, value: high.1, bound: Bound::Upper, limit });
            }
        }
    }
    out
}

/// "<v" means the true value is below v: it meets an upper limit u when v <= u, fails a lower limit l when
/// v <= l, and is unknown otherwise (">v" mirrors this).
fn check_single(value: f64, qualifier: Option<Qualifier>, bound: Bound, limit: f64) -> Option<Check> {
    let outside = Check::Outside { statistic: Statistic::Value, value, bound, limit };
    match (qualifier, bound) {
        (None, Bound::Lower) => (value < limit).then_some(outside),
        (None, Bound::Upper) => (value > limit).then_some(outside),
        (Some(q @ Qualifier::Below), Bound::Upper) | (Some(q @ Qualifier::Above), Bound::Lower) => {
            let met = if q == Qualifier::Below { value <= limit } else { value >= limit };
            (!met).then_some(Check::Unknown { qualifier: q, value, bound, limit })
        }
        (Some(q @ Qualifier::Below), Bound::Lower) | (Some(q @ Qualifier::Above), Bound::Upper) => {
            let failed = if q == Qualifier::Below { value <= limit } else { value >= limit };
            if failed { Some(outside) } else { Some(Check::Unknown { qualifier: q, value, bound, limit }) }
        }
    }
}

/// Whether the supplier's limits admit more than ours: a side looser than ours, or a side we limit that
/// they leave open. Only when they state a limit at all; a small relative slack absorbs unit conversion.
pub(crate) fn wider(lower: Option<f64>, upper: Option<f64>, lsl: Option<f64>, usl: Option<f64>) -> bool {
    if lower.is_none() && upper.is_none() {
        return false;
    }
    let slack = |ours: f64| ours.abs().max(1.0) * 1e-9;
    let lower_wider = match (lsl, lower) {
        (Some(ours), Some(theirs)) => theirs < ours - slack(ours),
        (Some(_), None) => true,
        (None, _) => false,
    };
    let upper_wider = match (usl, upper) {
        (Some(ours), Some(theirs)) => theirs > ours + slack(ours),
        (Some(_), None) => true,
        (None, _) => false,
    };
    lower_wider || upper_wider
}
