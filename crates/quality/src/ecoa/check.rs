//! Semantic checks shared by the JSON and CSV readers; each reader says where a field came from.

use super::error::{EcoaError, Location};
use super::model::{Coa, Limits, Measurement, SupplierIdScheme, normalize_name};
use super::units::Unit;
use std::collections::{BTreeSet, HashMap};

/// What the caller knows about a submission: for which supplier it was sent and which materials exist.
/// Both are optional; without them those checks are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intake {
    /// The supplier the CoA is submitted for (by id); a CoA naming another supplier is refused.
    pub expected_supplier: Option<String>,
    /// Our material numbers; a CoA for another material is refused.
    pub known_materials: Option<BTreeSet<String>>,
}

impl Intake {
    pub fn for_supplier(mut self, supplier_id: impl Into<String>) -> Intake {
        self.expected_supplier = Some(supplier_id.into());
        self
    }

    pub fn with_materials<I, S>(mut self, materials: I) -> Intake
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.known_materials = Some(materials.into_iter().map(Into::into).collect());
        self
    }
}

/// Fields of the CoA outside the characteristics that checks point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderField {
    SupplierId,
    MaterialId,
    Quantity,
    ExpiresOn,
    DocumentSha256,
    Attachment(usize),
}

/// Fields of one characteristic that checks point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharField {
    Name,
    Value,
    N,
    Mean,
    Min,
    Max,
    Stdev,
    Lower,
    Upper,
    Target,
}

/// Maps a field to its place in the submitted document.
pub(crate) trait Locate {
    fn header(&self, field: HeaderField) -> Location;
    fn characteristic(&self, index: usize, field: CharField) -> Location;
}

/// Runs every semantic check in document order and returns the first failure.
pub(crate) fn check(coa: &Coa, at: &dyn Locate, intake: &Intake) -> Result<(), EcoaError> {
    check_supplier(coa, at, intake)?;
    check_material(coa, at, intake)?;
    check_lot(coa, at)?;
    check_characteristics(coa, at)?;
    check_hashes(coa, at)
}

fn check_supplier(coa: &Coa, at: &dyn Locate, intake: &Intake) -> Result<(), EcoaError> {
    let id = coa.supplier.id.trim();
    if coa.supplier.id_scheme == SupplierIdScheme::Bpn && !is_bpn(id) {
        return Err(EcoaError::Invalid {
            at: at.header(HeaderField::SupplierId),
            message: format!("`{id}` is not a BPN (BPNL, BPNS or BPNA followed by 12 letters or digits)"),
        });
    }
    match &intake.expected_supplier {
        Some(expected) if expected.trim() != id => Err(EcoaError::WrongSupplier {
            at: at.header(HeaderField::SupplierId),
            expected: expected.trim().to_owned(),
            found: id.to_owned(),
        }),
        _ => Ok(()),
    }
}

fn is_bpn(id: &str) -> bool {
    let prefix_ok = ["BPNL", "BPNS", "BPNA"].iter().any(|p| id.starts_with(p));
    prefix_ok && id.len() == 16 && id[4..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn check_material(coa: &Coa, at: &dyn Locate, intake: &Intake) -> Result<(), EcoaError> {
    match &intake.known_materials {
        Some(known) if !known.contains(coa.material.id.trim()) => Err(EcoaError::UnknownMaterial {
            at: at.header(HeaderField::MaterialId),
            material: coa.material.id.trim().to_owned(),
        }),
        _ => Ok(()),
    }
}

fn check_lot(coa: &Coa, at: &dyn Locate) -> Result<(), EcoaError> {
    if let Some(quantity) = &coa.lot.quantity
        && !(quantity.value.is_finite() && quantity.value > 0.0)
    {
        return Err(impossible(
            at.header(HeaderField::Quantity),
            format!("quantity {} must be positive", quantity.value),
        ));
    }
    match coa.lot.expires_on {
        Some(expires) if expires < coa.lot.manufactured_on => Err(impossible(
            at.header(HeaderField::ExpiresOn),
            format!("expires on {expires}, before it was manufactured on {}", coa.lot.manufactured_on),
        )),
        _ => Ok(()),
    }
}

fn check_characteristics(coa: &Coa, at: &dyn Locate) -> Result<(), EcoaError> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, c) in coa.characteristics.iter().enumerate() {
        if let Some(&first) = seen.get(&normalize_name(&c.name)) {
            return Err(EcoaError::DuplicateCharacteristic {
                at: at.characteristic(i, CharField::Name),
                name: c.name.clone(),
                first: at.characteristic(first, CharField::Name),
            });
        }
        seen.insert(normalize_name(&c.name), i);
        check_measurement(&c.result, &c.unit, |f| at.characteristic(i, f))?;
        if let Some(limits) = &c.limits {
            check_limits(limits, &c.unit, |f| at.characteristic(i, f))?;
        }
    }
    Ok(())
}

fn check_measurement(m: &Measurement, unit: &Unit, at: impl Fn(CharField) -> Location) -> Result<(), EcoaError> {
    match m {
        Measurement::Single { value, .. } => plausible(*value, unit, &at, CharField::Value),
        Measurement::Summary { n, mean, min, max, stdev } => {
            if *n == 0 {
                return Err(impossible(at(CharField::N), "n must be at least 1".into()));
            }
            plausible(*mean, unit, &at, CharField::Mean)?;
            for (value, field) in [(min, CharField::Min), (max, CharField::Max)] {
                if let Some(v) = value {
                    plausible(*v, unit, &at, field)?;
                }
            }
            if let Some(s) = stdev
                && !(s.is_finite() && *s >= 0.0)
            {
                return Err(impossible(at(CharField::Stdev), format!("standard deviation {s} must be >= 0")));
            }
            let lo = min.unwrap_or(*mean);
            let hi = max.unwrap_or(*mean);
            if lo > *mean || *mean > hi {
                let field = if lo > *mean { CharField::Min } else { CharField::Max };
                return Err(impossible(at(field), format!("min <= mean <= max does not hold ({lo}, {mean}, {hi})")));
            }
            Ok(())
        }
    }
}

fn check_limits(limits: &Limits, unit: &Unit, at: impl Fn(CharField) -> Location) -> Result<(), EcoaError> {
    let fields =
        [(limits.lower, CharField::Lower), (limits.upper, CharField::Upper), (limits.target, CharField::Target)];
    for (value, field) in fields {
        if let Some(v) = value {
            plausible(v, unit, &at, field)?;
        }
    }
    match (limits.lower, limits.upper) {
        (Some(lo), Some(hi)) if lo > hi => {
            Err(impossible(at(CharField::Lower), format!("lower limit {lo} is above the upper limit {hi}")))
        }
        _ => Ok(()),
    }
}

/// A number that can be a result in `unit`: finite, not negative unless the unit allows, within 100 %.
fn plausible(value: f64, unit: &Unit, at: &impl Fn(CharField) -> Location, field: CharField) -> Result<(), EcoaError> {
    if !value.is_finite() {
        return Err(impossible(at(field), format!("{value} is not a number")));
    }
    if value < 0.0 && !unit.allows_negative() {
        return Err(impossible(at(field), format!("{value} {unit} cannot be negative")));
    }
    match unit.maximum() {
        Some(max) if value > max => Err(impossible(at(field), format!("{value} {unit} is more than 100 %"))),
        _ => Ok(()),
    }
}

fn check_hashes(coa: &Coa, at: &dyn Locate) -> Result<(), EcoaError> {
    if let Some(hash) = &coa.approval.document_sha256 {
        check_sha256(hash, at.header(HeaderField::DocumentSha256))?;
    }
    for (i, attachment) in coa.attachments.iter().enumerate() {
        check_sha256(&attachment.sha256, at.header(HeaderField::Attachment(i)))?;
    }
    Ok(())
}

fn check_sha256(hash: &str, at: Location) -> Result<(), EcoaError> {
    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(EcoaError::Invalid { at, message: format!("`{hash}` is not a SHA-256 (64 hex digits)") })
    }
}

fn impossible(at: Location, message: String) -> EcoaError {
    EcoaError::ImpossibleValue { at, message }
}
