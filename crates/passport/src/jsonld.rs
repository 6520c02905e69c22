//! JSON-LD for the public resolver (`Accept: application/ld+json`). Each member of the canonical document
//! is mapped to the SAMM aspect its schema describes, and its properties to that aspect's namespace, so a
//! linked-data consumer reads `batteryMass` as `urn:samm:io.BatteryPass.GeneralProductInformation:1.2.0#batteryMass`.
//! The context is inline: a consumer needs no second request and no voltpass-hosted vocabulary.

use crate::schema::SECTIONS;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

/// Namespace of voltpass' own terms (the extension members and the document's `@type`).
pub const VOLTPASS_VOCAB: &str = "https://voltpass.dev/ns/passport#";

/// The JSON-LD context for a canonical passport document.
pub fn context() -> &'static Value {
    static CONTEXT: OnceLock<Value> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let mut terms = Map::new();
        terms.insert("@vocab".into(), json!(VOLTPASS_VOCAB));
        for section in &SECTIONS {
            let vocab = format!("urn:samm:{}#", section.aspect);
            terms.insert(
                section.member.into(),
                json!({ "@id": format!("{vocab}{}", section.member), "@context": { "@vocab": vocab } }),
            );
        }
        Value::Object(terms)
    })
}

/// `doc` as a JSON-LD node: the context, its resolver URL as `@id`, and its type.
pub fn to_json_ld(doc: &Value, id_url: &str) -> Value {
    let mut node = Map::new();
    node.insert("@context".into(), context().clone());
    node.insert("@id".into(), json!(id_url));
    node.insert("@type".into(), json!("BatteryPassport"));
    if let Value::Object(members) = doc {
        node.extend(members.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Value::Object(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_maps_to_its_aspect_namespace() {
        let ctx = context();
        for section in &SECTIONS {
            let vocab = ctx[section.member]["@context"]["@vocab"].as_str().unwrap();
            assert!(vocab.starts_with("urn:samm:io.BatteryPass.") && vocab.ends_with('#'), "{vocab}");
            assert!(vocab.contains(section.aspect));
        }
    }

    #[test]
    fn node_keeps_the_document_and_adds_identity() {
        let doc = json!({"generalProductInformation": {"batteryMass": 412.5}});
        let node = to_json_ld(&doc, "https://example.com/p/urn:voltpass:1");
        assert_eq!(node["@id"], "https://example.com/p/urn:voltpass:1");
        assert_eq!(node["generalProductInformation"], doc["generalProductInformation"]);
        assert!(node["@context"].is_object());
    }
}
