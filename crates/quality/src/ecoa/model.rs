//! The eCoA data model. Its serde form is our published JSON format (camelCase members, dates as
//! `YYYY-MM-DD`), so a parsed CoA serializes back to a document the schema accepts.

use super::units::Unit;
use serde::{Deserialize, Serialize};
use time::Date;

time::serde::format_description!(pub(crate) iso_date, Date, "[year]-[month]-[day]");

/// Version of the JSON format this crate reads and writes (`ecoaVersion`).
pub const ECOA_VERSION: &str = "1.0";

/// An electronic Certificate of Analysis for one lot of one material from one supplier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Coa {
    /// Always [`ECOA_VERSION`].
    pub ecoa_version: String,
    /// The supplier's certificate number.
    pub document_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "iso_date::option")]
    pub issued_on: Option<Date>,
    pub supplier: Supplier,
    pub material: Material,
    pub lot: Lot,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_note: Option<String>,
    pub characteristics: Vec<Characteristic>,
    pub approval: Approval,
    /// Further documents (the supplier's PDF, an SDS), kept by hash; never parsed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// Who certifies. `id` is a Catena-X BPN where the supplier has one, otherwise another identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Supplier {
    pub id: String,
    pub id_scheme: SupplierIdScheme,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SupplierIdScheme {
    /// Catena-X Business Partner Number (BPNL/BPNS/BPNA + 12 characters).
    Bpn,
    Duns,
    Vat,
    Gln,
    /// Our own supplier number or any other identifier.
    Other,
}

/// The material: our material number (`id`, which specifications are keyed by) and the supplier's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Material {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_material_number: Option<String>,
}

/// The certified lot (batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lot {
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    #[serde(with = "iso_date")]
    pub manufactured_on: Date,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "iso_date::option")]
    pub expires_on: Option<Date>,
}

/// Delivered amount; its unit (kg, t, m², rolls...) is a counting unit, not part of the [`Unit`] system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    pub value: f64,
    pub unit: String,
}

/// One tested characteristic as the supplier reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Characteristic {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub unit: Unit,
    pub result: Measurement,
    /// The limits the supplier claims to release against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// The supplier's own verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conformity: Option<Conformity>,
}

/// A single reported value (possibly a detection-limit statement) or a summary of `n` measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Measurement {
    Single {
        value: f64,
        /// `<` or `>`: the true value lies below (above) `value`, e.g. "<0.5 ppm" at the detection limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        qualifier: Option<Qualifier>,
    },
    Summary {
        n: u32,
        mean: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stdev: Option<f64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Qualifier {
    #[serde(rename = "<")]
    Below,
    #[serde(rename = ">")]
    Above,
}

/// Lower and upper limits and a target, in the characteristic's unit; each may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Conformity {
    Pass,
    Fail,
}

/// Who released the certificate, and what makes it verifiable: a signature (opaque here, e.g. a detached
/// JWS) and/or the SHA-256 of the supplier's original document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Approval {
    pub approved_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "iso_date::option")]
    pub approved_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Lower-case hex SHA-256 of the supplier's original document (e.g. its PDF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_sha256: Option<String>,
}

/// A document kept by hash, not parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attachment {
    pub name: String,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// What identifies a lot across re-sent CoAs: a re-sent certificate with the same key is a new revision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotKey {
    pub supplier_id: String,
    pub material_id: String,
    pub lot_number: String,
}

impl Coa {
    /// The stable key of the certified lot (identifiers trimmed; compared exactly otherwise).
    pub fn lot_key(&self) -> LotKey {
        LotKey {
            supplier_id: self.supplier.id.trim().to_owned(),
            material_id: self.material.id.trim().to_owned(),
            lot_number: self.lot.number.trim().to_owned(),
        }
    }

    /// The characteristic with this name, compared as [`same_name`] does.
    pub fn characteristic(&self, name: &str) -> Option<&Characteristic> {
        self.characteristics.iter().find(|c| same_name(&c.name, name))
    }
}

impl Measurement {
    /// The central value: the single value or the mean.
    pub fn central(&self) -> f64 {
        match self {
            Measurement::Single { value, .. } => *value,
            Measurement::Summary { mean, .. } => *mean,
        }
    }
}

/// Characteristic names match ignoring case, spaces, `-` and `_` ("Tap density" = "tap_density").
pub fn same_name(a: &str, b: &str) -> bool {
    // Compared char by char without building the normalised strings: every CoA characteristic is matched
    // against every specified one, so this runs hundreds of times per CoA. ASCII names (nearly all) are
    // folded byte by byte, as `char::to_lowercase` folds ASCII.
    if a == b {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return folded_ascii(a).eq(folded_ascii(b));
    }
    folded(a).eq(folded(b))
}

fn folded_ascii(name: &str) -> impl Iterator<Item = u8> + '_ {
    name.bytes().filter(|c| !matches!(c, b' ' | b'-' | b'_' | b'\t')).map(|c| c.to_ascii_lowercase())
}

fn folded(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars().filter(|c| !matches!(c, ' ' | '-' | '_' | '\t')).flat_map(char::to_lowercase)
}

pub(crate) fn normalize_name(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, ' ' | '-' | '_' | '\t')).flat_map(char::to_lowercase).collect()
}
