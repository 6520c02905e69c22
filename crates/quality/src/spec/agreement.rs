//! Our own lab results against the CoA: bias and agreement per characteristic.
//!
//! Two results agree when they differ by no more than the method's reproducibility limit R from the
//! specification (ISO 5725: two laboratories' single results differ by more than R in only 5 % of cases),
//! or, without R, by a relative tolerance of the larger magnitude. A "<"/">" result is an interval: it
//! agrees when the intervals come within the tolerance of each other, and has no bias.

use super::model::MaterialSpec;
use crate::ecoa::units::{self, Unit};
use crate::ecoa::{Characteristic, Measurement, Qualifier, same_name};
use serde::{Deserialize, Serialize};

/// A result from our lab for one characteristic of the lot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabResult {
    pub characteristic: String,
    pub unit: Unit,
    pub result: Measurement,
}

/// How close is close enough: the spec's reproducibility R where it gives one, else `relative`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance<'a> {
    pub spec: Option<&'a MaterialSpec>,
    /// E.g. 0.05 for 5 % of the larger of the two values.
    pub relative: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToleranceBasis {
    Reproducibility,
    Relative,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Agrees,
    Disagrees,
    /// Not on the CoA, or in units that do not convert.
    NotComparable,
}

/// The comparison of one characteristic, in `unit` (the spec's, else the CoA's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CharacteristicAgreement {
    pub characteristic: String,
    pub unit: Unit,
    pub coa_value: Option<f64>,
    pub lab_value: Option<f64>,
    /// CoA minus lab; only when neither result carries a qualifier.
    pub bias: Option<f64>,
    /// Bias relative to the lab value.
    pub relative_bias: Option<f64>,
    pub allowed: Option<f64>,
    pub basis: Option<ToleranceBasis>,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementReport {
    pub characteristics: Vec<CharacteristicAgreement>,
}

impl AgreementReport {
    /// No characteristic disagrees (not comparable ones do not count against the supplier).
    pub fn agrees(&self) -> bool {
        self.characteristics.iter().all(|c| c.verdict != Verdict::Disagrees)
    }
}

/// Compares each lab result with the CoA's result for the same characteristic.
pub fn compare(coa: &[Characteristic], lab: &[LabResult], tolerance: &Tolerance<'_>) -> AgreementReport {
    AgreementReport { characteristics: lab.iter().map(|l| compare_one(coa, l, tolerance)).collect() }
}

fn compare_one(coa: &[Characteristic], lab: &LabResult, tolerance: &Tolerance<'_>) -> CharacteristicAgreement {
    let specified = tolerance.spec.and_then(|s| s.characteristic(&lab.characteristic));
    let names_match =
        |c: &&Characteristic| same_name(&c.name, &lab.characteristic) || specified.is_some_and(|s| s.matches(&c.name));
    let unit = specified.map_or(lab.unit.clone(), |s| s.unit.clone());
    let mut row = CharacteristicAgreement {
        characteristic: specified.map_or(lab.characteristic.clone(), |s| s.name.clone()),
        unit: unit.clone(),
        coa_value: None,
        lab_value: None,
        bias: None,
        relative_bias: None,
        allowed: None,
        basis: None,
        verdict: Verdict::NotComparable,
        note: None,
    };
    let Some(reported) = coa.iter().find(names_match) else {
        row.note = Some("not on the CoA".into());
        return row;
    };
    let (Ok(coa_value), Ok(lab_value)) = (
        units::convert(reported.result.central(), &reported.unit, &unit),
        units::convert(lab.result.central(), &lab.unit, &unit),
    ) else {
        row.note = Some(format!("units {} (CoA) and {} (lab) do not convert to {unit}", reported.unit, lab.unit));
        return row;
    };
    let (allowed, basis) = match specified.and_then(|s| s.reproducibility) {
        Some(r) => (r, ToleranceBasis::Reproducibility),
        None => (tolerance.relative * coa_value.abs().max(lab_value.abs()), ToleranceBasis::Relative),
    };
    let (coa_q, lab_q) = (qualifier(&reported.result), qualifier(&lab.result));
    if coa_q.is_none() && lab_q.is_none() {
        row.bias = Some(coa_value - lab_value);
        row.relative_bias = (lab_value != 0.0).then(|| (coa_value - lab_value) / lab_value);
    }
    let gap = distance(interval(coa_value, coa_q), interval(lab_value, lab_q));
    row.coa_value = Some(coa_value);
    row.lab_value = Some(lab_value);
    row.allowed = Some(allowed);
    row.basis = Some(basis);
    row.verdict = if gap <= allowed { Verdict::Agrees } else { Verdict::Disagrees };
    row
}

fn qualifier(m: &Measurement) -> Option<Qualifier> {
    match m {
        Measurement::Single { qualifier, .. } => *qualifier,
        Measurement::Summary { .. } => None,
    }
}

/// The values a result allows: a point, or everything below ("<") or above (">") it.
fn interval(value: f64, qualifier: Option<Qualifier>) -> (f64, f64) {
    match qualifier {
        None => (value, value),
        Some(Qualifier::Below) => (f64::NEG_INFINITY, value),
        Some(Qualifier::Above) => (value, f64::INFINITY),
    }
}

fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.1).max(b.0 - a.1).max(0.0)
}
