//! DPP metadata (EN 18223): the passport instance's identifiers and status.

use super::MappingError;
use super::common::timestamp;
use super::common::{CONDITION, GPI, UNASSIGNED, cloned, facility_id, get, obj, parse_facility, passport_id, put};
use serde_json::{Value, json};

/// The reference standard written as `dppSchemaVersion`.
pub(super) const SCHEMA_VERSION: &str = "IDTA-02035 Digital Battery Passport 1.0 (CX-0160)";

pub(super) fn export(doc: &Value) -> Result<Value, MappingError> {
    let product = cloned(doc, &format!("{GPI}/productIdentifier"));
    let granularity = if product.is_some() { "Item" } else { "Model" };
    Ok(obj([
        (
            "digitalProductPassportId",
            Some(cloned(doc, &format!("{GPI}/batteryPassportIdentifier")).unwrap_or(json!(UNASSIGNED))),
        ),
        ("uniqueProductIdentifier", product),
        ("granularity", Some(json!(granularity))),
        ("dppSchemaVersion", Some(json!(SCHEMA_VERSION))),
        ("dppStatus", Some(json!("Active"))),
        ("lastUpdate", last_update(doc)?),
        ("economicOperatorId", cloned(doc, &format!("{GPI}/operatorInformation/identifier"))),
        ("facilityId", facility_id(get(doc, &format!("{GPI}/manufacturingPlace")))),
    ]))
}

/// The latest timestamp the document holds (as written there): a lower bound of its last update.
fn last_update(doc: &Value) -> Result<Option<Value>, MappingError> {
    let mut places: Vec<String> =
        ["manufacturingDate", "puttingIntoService"].iter().map(|p| format!("{GPI}/{p}")).collect();
    if let Some(condition) = get(doc, CONDITION).and_then(Value::as_object) {
        for (name, value) in condition {
            match value {
                Value::Array(items) => {
                    places.extend((0..items.len()).map(|i| format!("{CONDITION}/{name}/{i}/lastUpdate")))
                }
                _ => places.push(format!("{CONDITION}/{name}/lastUpdate")),
            }
        }
    }
    let mut latest: Option<(time::OffsetDateTime, &Value)> = None;
    for pointer in &places {
        let Some(value) = doc.pointer(pointer) else { continue };
        let at = timestamp(value, pointer)?;
        if latest.is_none_or(|(t, _)| at > t) {
            latest = Some((at, value));
        }
    }
    Ok(latest.map(|(_, v)| v.clone()))
}

pub(super) fn import(value: &Value, doc: &mut Value) {
    put(doc, &format!("{GPI}/batteryPassportIdentifier"), passport_id(value.get("digitalProductPassportId")));
    put(doc, &format!("{GPI}/productIdentifier"), value.get("uniqueProductIdentifier").cloned());
    put(doc, &format!("{GPI}/operatorInformation/identifier"), value.get("economicOperatorId").cloned());
    put(doc, &format!("{GPI}/manufacturingPlace"), parse_facility(value.get("facilityId")));
}
