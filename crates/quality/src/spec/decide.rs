//! The incoming-inspection decision for one CoA against one specification, with every reason.

use super::limits::{self, Bound, Check, Statistic};
use super::model::{MaterialSpec, Requirement, SpecCharacteristic};
use crate::ecoa::units::{self, Unit};
use crate::ecoa::{Coa, Conformity, LotKey, Measurement, Qualifier, iso_date};
use serde::{Deserialize, Serialize};
use time::Date;

/// What the caller knows besides the CoA and the specification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionContext {
    /// When the lot arrived; a CoA whose lot expired before this is rejected.
    #[serde(with = "iso_date")]
    pub received_on: Date,
    /// Statistical alarms the caller found (e.g. SPC run rules on this supplier-material).
    #[serde(default)]
    pub alarms: Vec<Alarm>,
    /// The supplier document's hash as the CoA states it and as computed from the file received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_hash: Option<HashCheck>,
}

impl DecisionContext {
    pub fn received_on(received_on: Date) -> DecisionContext {
        DecisionContext { received_on, alarms: Vec::new(), document_hash: None }
    }
}

/// A statistical signal on a characteristic, as input to the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    pub characteristic: String,
    /// E.g. "western-electric-1" or "cusum".
    pub rule: String,
    pub detail: String,
}

/// Expected (stated on the CoA) and actual (computed) SHA-256, in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashCheck {
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accepted,
    Rejected,
    Hold,
}

/// What a reason does to the outcome: any `Reject` rejects; otherwise any `Hold` holds; `Note`s are kept
/// with the decision but accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Note,
    Hold,
    Reject,
}

/// Why a lot is not simply accepted. Values are in the specification's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The specification is for another material or supplier.
    SpecNotApplicable {
        spec_material: String,
        spec_supplier: Option<String>,
        coa_material: String,
        coa_supplier: String,
    },
    MissingRequired {
        characteristic: String,
    },
    OutOfSpec {
        characteristic: String,
        statistic: Statistic,
        value: f64,
        bound: Bound,
        limit: f64,
        unit: Unit,
        critical: bool,
    },
    /// A detection-limit result ("<0.5") that cannot show the limit is met (e.g. against a lower limit).
    Indeterminate {
        characteristic: String,
        qualifier: Qualifier,
        value: f64,
        bound: Bound,
        limit: f64,
        unit: Unit,
    },
    UnitMismatch {
        characteristic: String,
        coa_unit: Unit,
        spec_unit: Unit,
    },
    /// The supplier's own verdict on the characteristic is "fail".
    SupplierReportedFail {
        characteristic: String,
    },
    Expired {
        #[serde(with = "iso_date")]
        expires_on: Date,
        #[serde(with = "iso_date")]
        received_on: Date,
    },
    /// The supplier releases against limits wider than ours (or lacks a side we limit).
    SupplierLimitsWider {
        characteristic: String,
        supplier_lower: Option<f64>,
        supplier_upper: Option<f64>,
        lsl: Option<f64>,
        usl: Option<f64>,
        unit: Unit,
    },
    StatisticalAlarm {
        characteristic: String,
        rule: String,
        detail: String,
    },
    DocumentHashMismatch {
        expected: String,
        actual: String,
    },
}

impl Reason {
    /// The decision rules (see the [`crate::spec`] docs).
    pub fn effect(&self) -> Effect {
        match self {
            Reason::OutOfSpec { critical: true, .. } | Reason::SupplierReportedFail { .. } | Reason::Expired { .. } => {
                Effect::Reject
            }
            Reason::SupplierLimitsWider { .. } => Effect::Note,
            Reason::SpecNotApplicable { .. }
            | Reason::MissingRequired { .. }
            | Reason::OutOfSpec { critical: false, .. }
            | Reason::Indeterminate { .. }
            | Reason::UnitMismatch { .. }
            | Reason::StatisticalAlarm { .. }
            | Reason::DocumentHashMismatch { .. } => Effect::Hold,
        }
    }
}

/// Which specification a decision was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecRef {
    pub material: String,
    pub supplier: Option<String>,
    pub version: u32,
}

/// The decision with every reason, serializable so an operator override can be recorded with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub lot: LotKey,
    pub spec: SpecRef,
    pub reasons: Vec<Reason>,
}

/// Decides on a lot from its CoA: document-level reasons first, then each specified characteristic in the
/// specification's order, then the caller's alarms.
pub fn decide(coa: &Coa, spec: &MaterialSpec, context: &DecisionContext) -> Decision {
    let mut reasons = Vec::new();
    if !spec.applies_to(&coa.material.id, &coa.supplier.id) {
        reasons.push(Reason::SpecNotApplicable {
            spec_material: spec.material.clone(),
            spec_supplier: spec.supplier.clone(),
            coa_material: coa.material.id.clone(),
            coa_supplier: coa.supplier.id.clone(),
        });
    }
    if let Some(expires_on) = coa.lot.expires_on
        && expires_on < context.received_on
    {
        reasons.push(Reason::Expired { expires_on, received_on: context.received_on });
    }
    if let Some(HashCheck { expected, actual }) = &context.document_hash
        && !expected.trim().eq_ignore_ascii_case(actual.trim())
    {
        reasons.push(Reason::DocumentHashMismatch { expected: expected.clone(), actual: actual.clone() });
    }
    for wanted in &spec.characteristics {
        match coa.characteristics.iter().find(|c| wanted.matches(&c.name)) {
            Some(reported) => check_characteristic(wanted, reported, &mut reasons),
            None if wanted.requirement == Requirement::Required => {
                reasons.push(Reason::MissingRequired { characteristic: wanted.name.clone() })
            }
            None => {}
        }
    }
    reasons.extend(context.alarms.iter().map(|a| Reason::StatisticalAlarm {
        characteristic: a.characteristic.clone(),
        rule: a.rule.clone(),
        detail: a.detail.clone(),
    }));
    Decision {
        outcome: outcome(&reasons),
        lot: coa.lot_key(),
        spec: SpecRef { material: spec.material.clone(), supplier: spec.supplier.clone(), version: spec.version },
        reasons,
    }
}

/// Any reject rejects, else any hold holds, else accepted.
pub fn outcome(reasons: &[Reason]) -> Outcome {
    match reasons.iter().map(Reason::effect).max() {
        Some(Effect::Reject) => Outcome::Rejected,
        Some(Effect::Hold) => Outcome::Hold,
        Some(Effect::Note) | None => Outcome::Accepted,
    }
}

fn check_characteristic(wanted: &SpecCharacteristic, reported: &crate::ecoa::Characteristic, out: &mut Vec<Reason>) {
    let name = wanted.name.clone();
    if reported.conformity == Some(Conformity::Fail) {
        out.push(Reason::SupplierReportedFail { characteristic: name.clone() });
    }
    let to_spec = |v: f64| units::convert(v, &reported.unit, &wanted.unit);
    let Ok(converted) = convert_measurement(&reported.result, to_spec) else {
        out.push(Reason::UnitMismatch {
            characteristic: name,
            coa_unit: reported.unit.clone(),
            spec_unit: wanted.unit.clone(),
        });
        return;
    };
    for check in limits::check(&converted, wanted.lsl, wanted.usl) {
        out.push(match check {
            Check::Outside { statistic, value, bound, limit } => Reason::OutOfSpec {
                characteristic: name.clone(),
                statistic,
                value,
                bound,
                limit,
                unit: wanted.unit.clone(),
                critical: wanted.critical,
            },
            Check::Unknown { qualifier, value, bound, limit } => Reason::Indeterminate {
                characteristic: name.clone(),
                qualifier,
                value,
                bound,
                limit,
                unit: wanted.unit.clone(),
            },
        });
    }
    if let Some(supplier) = &reported.limits
        && let (Ok(lower), Ok(upper)) =
            (supplier.lower.map(to_spec).transpose(), supplier.upper.map(to_spec).transpose())
        && limits::wider(lower, upper, wanted.lsl, wanted.usl)
    {
        out.push(Reason::SupplierLimitsWider {
            characteristic: name,
            supplier_lower: lower,
            supplier_upper: upper,
            lsl: wanted.lsl,
            usl: wanted.usl,
            unit: wanted.unit.clone(),
        });
    }
}

fn convert_measurement(
    m: &Measurement,
    to_spec: impl Fn(f64) -> Result<f64, units::UnitError>,
) -> Result<Measurement, units::UnitError> {
    Ok(match m {
        Measurement::Single { value, qualifier } => {
            Measurement::Single { value: to_spec(*value)?, qualifier: *qualifier }
        }
        Measurement::Summary { n, mean, min, max, stdev } => Measurement::Summary {
            n: *n,
            mean: to_spec(*mean)?,
            min: min.map(&to_spec).transpose()?,
            max: max.map(&to_spec).transpose()?,
            // A spread converts by scale only (no temperature offset): difference of two converted values.
            stdev: stdev.map(|s| Ok::<_, units::UnitError>(to_spec(s)? - to_spec(0.0)?)).transpose()?,
        },
    })
}
