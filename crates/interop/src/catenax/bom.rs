//! The Catena-X `io.catenax.single_level_bom_as_built` 4.0.0 aspect: one level of what a serialised unit (a
//! pack, module or cell) or batch was built from, as manufactured.
//!
//! Catena-X names every digital twin by a UUID `globalAssetId`. A pack linked to a passport uses the passport's
//! id as a UUID (as the battery_pass export writes it, [`passport_asset_id`]); every other unit gets a name-based UUID derived from its serial, batch or
//! lot id (RFC 9562 version 8: the first 16 bytes of SHA-256 over `voltpass:unit:` and the id), so the same unit
//! always has the same `globalAssetId` and two units never share one.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// When a child's business partner is not a BPNL: the placeholder the battery_pass mapping uses too.
pub const UNKNOWN_BPNL: &str = "BPNL000000000000";

const BOM_SCHEMA: &str = include_str!("../../schemas/catenax/single_level_bom_as_built-4.0.0-schema.json");

/// A child item: what went into the parent.
#[derive(Debug, Clone, PartialEq)]
pub struct BomChild {
    pub global_asset_id: String,
    /// How much, in a base unit (`kg`, `L`, `m2`, `m` or `pcs`); whole units are 1 `pcs`.
    pub quantity: f64,
    pub base_uom: String,
    pub created_on: OffsetDateTime,
    /// The BPNL of whoever made the child (the supplier of a lot, the operator of our own units).
    pub business_partner: Option<String>,
}

/// The `globalAssetId` of a unit without a passport.
pub fn unit_asset_id(unit_id: &str) -> String {
    let digest = Sha256::digest(format!("voltpass:unit:{unit_id}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 9562 variant
    let h = hex::encode(b);
    format!("urn:uuid:{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// The `globalAssetId` of a battery with a passport: its `urn:voltpass:<hex>` id as `urn:uuid:...` (other
/// identifier schemes get a name-based UUID like units).
pub fn passport_asset_id(passport_id: &str) -> String {
    super::battery_pass::voltpass_uuid(passport_id).unwrap_or_else(|| unit_asset_id(passport_id))
}

/// A BPNL as the aspect requires it, or the placeholder.
fn bpnl(candidate: Option<&str>) -> &str {
    match candidate {
        Some(id) if id.len() == 16 && id.starts_with("BPNL") && id[4..].chars().all(|c| c.is_ascii_alphanumeric()) => {
            id
        }
        _ => UNKNOWN_BPNL,
    }
}

fn item_unit(base_uom: &str) -> &'static str {
    match base_uom {
        "kg" => "unit:kilogram",
        "L" => "unit:litre",
        "m2" => "unit:squareMetre",
        "m" => "unit:metre",
        _ => "unit:piece",
    }
}

/// The aspect for a parent and its children.
pub fn single_level_bom_as_built(parent_global_asset_id: &str, children: &[BomChild]) -> Value {
    let items: Vec<Value> = children
        .iter()
        .map(|c| {
            json!({
                "globalAssetId": c.global_asset_id,
                "quantity": {"value": c.quantity, "unit": item_unit(&c.base_uom)},
                "hasAlternatives": false,
                "createdOn": c.created_on.format(&Rfc3339).unwrap_or_default(),
                "businessPartner": bpnl(c.business_partner.as_deref()),
            })
        })
        .collect();
    json!({"globalAssetId": parent_global_asset_id, "childItems": items})
}

/// Checks a document against the embedded 4.0.0 JSON schema (draft-04): every violation as "pointer: message".
pub fn validate_single_level_bom(bom: &Value) -> Result<(), Vec<String>> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema: Value = serde_json::from_str(BOM_SCHEMA).expect("embedded schema is valid JSON");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(&schema)
            .expect("the embedded Catena-X schema compiles")
    });
    let errors: Vec<String> = validator.iter_errors(bom).map(|e| format!("{}: {}", e.instance_path(), e)).collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_ids_are_stable_distinct_uuids() {
        let a = unit_asset_id("CELL-000001");
        assert_eq!(a, unit_asset_id("CELL-000001"));
        assert_ne!(a, unit_asset_id("CELL-000002"));
        assert_eq!(a.len(), "urn:uuid:".len() + 36);
        assert_eq!(&a[23..24], "8", "version 8: {a}");
    }

    #[test]
    fn a_bom_validates_and_a_broken_one_does_not() {
        let at = time::macros::datetime!(2026-03-01 06:00 UTC);
        let children = [
            BomChild {
                global_asset_id: unit_asset_id("M-1"),
                quantity: 1.0,
                base_uom: "pcs".into(),
                created_on: at,
                business_partner: Some("BPNL000000000ABC".into()),
            },
            BomChild {
                global_asset_id: unit_asset_id("LOT-1"),
                quantity: 2.5,
                base_uom: "kg".into(),
                created_on: at,
                business_partner: Some("not a bpn".into()),
            },
        ];
        let bom = single_level_bom_as_built(&unit_asset_id("P-1"), &children);
        validate_single_level_bom(&bom).unwrap();
        assert_eq!(bom["childItems"][1]["businessPartner"], UNKNOWN_BPNL);
        assert_eq!(bom["childItems"][1]["quantity"], json!({"value": 2.5, "unit": "unit:kilogram"}));
        let mut broken = bom.clone();
        broken["childItems"][0]["globalAssetId"] = json!("P-1");
        assert!(validate_single_level_bom(&broken).is_err());
    }
}
