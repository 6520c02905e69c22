//! The seven Battery Pass Data Model v1.2 schemas, embedded in the binary (CC BY 4.0, see `schemas/SOURCES.md`),
//! and tightened at load time for voltpass:
//!
//! 1. `$ref`s are inlined and `allOf`s flattened, so each member is one self-contained tree;
//! 2. every object that lists its properties rejects unknown members (the upstream schemas allow them, and a
//!    silently dropped member is lost data);
//! 3. the voltpass extension members (regulation data the model lacks) are added, see [`extensions`];
//! 4. the upstream e-mail patterns, which reject real addresses, are removed: rules check e-mails instead.

mod extensions;
mod tighten;

use serde_json::Value;
use std::sync::OnceLock;

/// One member of the canonical document and the schema its value must satisfy.
pub struct Section {
    /// Member name in the canonical document, e.g. `generalProductInformation`.
    pub member: &'static str,
    /// The SAMM aspect the upstream schema describes, with its version.
    pub aspect: &'static str,
    source: &'static str,
}

/// The seven members of a canonical passport document, in document order.
pub const SECTIONS: [Section; 7] = [
    Section {
        member: "generalProductInformation",
        aspect: "io.BatteryPass.GeneralProductInformation:1.2.0",
        source: include_str!("../../schemas/GeneralProductInformation-schema.json"),
    },
    Section {
        member: "labels",
        aspect: "io.BatteryPass.Labels:1.2.0",
        source: include_str!("../../schemas/Labeling-schema.json"),
    },
    Section {
        member: "carbonFootprint",
        aspect: "io.BatteryPass.CarbonFootprint:1.2.0",
        source: include_str!("../../schemas/CarbonFootprintForBatteries-schema.json"),
    },
    Section {
        member: "supplyChainDueDiligence",
        aspect: "io.BatteryPass.SupplyChainDueDiligence:1.2.0",
        source: include_str!("../../schemas/SupplyChainDueDiligence-schema.json"),
    },
    Section {
        member: "materialComposition",
        aspect: "io.BatteryPass.MaterialComposition:1.2.0",
        source: include_str!("../../schemas/MaterialComposition-schema.json"),
    },
    Section {
        member: "circularity",
        aspect: "io.BatteryPass.Circularity:1.2.0",
        source: include_str!("../../schemas/Circularity-schema.json"),
    },
    Section {
        member: "performance",
        aspect: "io.BatteryPass.Performance:1.2.1",
        source: include_str!("../../schemas/PerformanceAndDurability-1.2.1-schema.json"),
    },
];

/// A section's tightened schema and its compiled validator.
pub struct CompiledSection {
    pub member: &'static str,
    /// The tightened, self-contained schema (no `$ref`, no `allOf`).
    pub schema: Value,
    pub validator: jsonschema::Validator,
}

/// The compiled sections, built once per process.
pub fn compiled() -> &'static [CompiledSection] {
    static COMPILED: OnceLock<Vec<CompiledSection>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        SECTIONS
            .iter()
            .map(|section| {
                let upstream: Value = serde_json::from_str(section.source).expect("embedded schema is valid JSON");
                let mut schema = tighten::self_contained(&upstream);
                tighten::drop_email_patterns(&mut schema);
                extensions::add(section.member, &mut schema);
                tighten::close_objects(&mut schema);
                let validator = compile(&schema);
                CompiledSection { member: section.member, schema, validator }
            })
            .collect()
    })
}

/// Compiles a (part of an) embedded schema: draft-04, with `format` checked.
fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(schema)
        .expect("the embedded schemas compile")
}

/// A per-battery place of the document with the part of the schema that describes it.
pub struct ItemPlace {
    pub pointer: String,
    pub member: &'static str,
    /// The schema of the enclosing object requires this member.
    pub required: bool,
    pub validator: jsonschema::Validator,
}

/// The item-level places (see `document::item_pointers`), compiled once.
pub fn item_places() -> &'static [ItemPlace] {
    static PLACES: OnceLock<Vec<ItemPlace>> = OnceLock::new();
    PLACES.get_or_init(|| {
        crate::document::item_pointers()
            .iter()
            .filter_map(|pointer| {
                let node = node_at(pointer)?;
                let (parent, leaf) = pointer.rsplit_once('/')?;
                let required = node_at(parent)
                    .and_then(|p| p.get("required"))
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|name| name == leaf));
                let member = compiled().iter().find(|s| pointer[1..].split('/').next() == Some(s.member))?.member;
                let validator = compile(node);
                Some(ItemPlace { pointer: pointer.clone(), member, required, validator })
            })
            .collect()
    })
}

/// The tightened schema node that describes the value at `pointer` (RFC 6901 into the canonical document;
/// `-` or a number selects array items), or `None` if the document model has no such place.
pub fn node_at(pointer: &str) -> Option<&'static Value> {
    let mut segments = pointer.strip_prefix('/')?.split('/');
    let member = segments.next()?;
    let mut node = &compiled().iter().find(|s| s.member == member)?.schema;
    for segment in segments {
        node = match node.get("type").and_then(Value::as_str) {
            Some("array") => node.get("items")?,
            _ => node.get("properties")?.get(segment)?,
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_compiles_and_closes_its_objects() {
        assert_eq!(compiled().len(), 7);
        let gpi = node_at("/generalProductInformation").unwrap();
        assert_eq!(gpi["additionalProperties"], Value::Bool(false));
        // allOf flattened: manufacturerInformation has its contact fields directly.
        assert!(node_at("/generalProductInformation/manufacturerInformation/postalAddress/postalCode").is_some());
        assert!(node_at("/carbonFootprint/carbonFootprintPerLifecycleStage/-/lifecycleStage").is_some());
        assert!(node_at("/performance/batteryCondition/internalResistance/-/ohmicResistance").is_some());
        assert!(node_at("/generalProductInformation/noSuchThing").is_none());
        // Multi-language texts stay open maps.
        let meaning = node_at("/labels/labels/-/labelingMeaning").unwrap();
        assert!(meaning.get("additionalProperties").is_none());
    }
}
