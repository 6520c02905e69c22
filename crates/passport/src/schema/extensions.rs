//! voltpass extension members: data the regulation requires that Battery Pass v1.2 has no place for.
//! Each is listed in the attribute catalogue (ids 1001+) with the same pointer.

use serde_json::{Value, json};

const DATE_TIME: &str = "date-time";

/// (member, path of the parent object inside the member, new property, its schema)
fn extensions() -> Vec<(&'static str, &'static [&'static str], &'static str, Value)> {
    vec![
        (
            "generalProductInformation",
            &[],
            "predecessorPassports",
            json!({
                "description": "voltpass extension (Art. 77(6)): identifiers of the passports of the battery's predecessor(s).",
                "type": "array",
                "items": {"type": "string", "minLength": 1}
            }),
        ),
        (
            "labels",
            &[],
            "declarationOfConformityId",
            json!({
                "description": "voltpass extension (Annex XIII 1(r)): identification number of the EU declaration of conformity.",
                "type": "string", "minLength": 1
            }),
        ),
        (
            "circularity",
            &["safetyMeasures"],
            "wasteBatterySafetyInstructions",
            json!({
                "description": "voltpass extension (Annex XIII 2(d)): safety instructions for handling the battery as waste.",
                "type": "string", "format": "uri"
            }),
        ),
        (
            "circularity",
            &[],
            "recycledContentReporting",
            json!({
                "description": "voltpass extension (Art. 8(1)): the reporting year and manufacturing plant the recycled-content shares refer to.",
                "type": "object",
                "properties": {
                    "reportingYear": {"type": "integer"},
                    "manufacturingPlant": {"type": "string", "minLength": 1}
                },
                "required": ["reportingYear", "manufacturingPlant"]
            }),
        ),
        (
            "performance",
            &["batteryCondition"],
            "internalResistance",
            json!({
                "description": "voltpass extension (Annex VII Part A): current internal resistance per component.",
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "ohmicResistance": {"type": "number"},
                        "batteryComponent": {"type": "string", "enum": ["pack", "module", "cell"]},
                        "lastUpdate": {"type": "string", "format": DATE_TIME}
                    },
                    "required": ["ohmicResistance", "batteryComponent", "lastUpdate"]
                }
            }),
        ),
    ]
}

/// Adds the extension members of `member` to its (already self-contained) schema.
pub(super) fn add(member: &str, schema: &mut Value) {
    for (ext_member, parent, property, property_schema) in extensions() {
        if ext_member != member {
            continue;
        }
        let mut node = &mut *schema;
        for segment in parent {
            node = node
                .get_mut("properties")
                .and_then(|p| p.get_mut(*segment))
                .unwrap_or_else(|| panic!("extension parent {member}/{segment} missing in schema"));
        }
        node["properties"][property] = property_schema;
    }
}
