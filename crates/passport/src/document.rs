//! The canonical passport document and its split into a model-level and an item-level record.
//!
//! A battery model record (Annex XIII points 1-3, per model and plant) holds everything that is the same
//! for every battery of the model; an item record holds what is per battery (identifiers, dates, status,
//! dynamic data). Which is which comes from the catalogue's granularity column, so the split and the
//! catalogue cannot drift apart. Reads compose the two: `compose(split(d)) == d`.

use crate::catalogue::{ATTRIBUTES, Granularity};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// Top-level members of a canonical document.
pub const MEMBERS: [&str; 7] = [
    "generalProductInformation",
    "labels",
    "carbonFootprint",
    "supplyChainDueDiligence",
    "materialComposition",
    "circularity",
    "performance",
];

/// Pointers of the item-level values, minimal (no pointer below another), sorted.
pub fn item_pointers() -> &'static [String] {
    static POINTERS: OnceLock<Vec<String>> = OnceLock::new();
    POINTERS.get_or_init(|| {
        let mut all: Vec<String> = ATTRIBUTES
            .iter()
            .filter(|a| a.granularity == Granularity::Item)
            .flat_map(|a| a.pointers.iter().map(|p| p.to_string()))
            .collect();
        all.sort();
        all.dedup();
        let minimal: Vec<String> =
            all.iter().filter(|p| !all.iter().any(|q| q != *p && p.starts_with(&format!("{q}/")))).cloned().collect();
        minimal
    })
}

/// True if `pointer` is an item-level place or lies inside one.
pub fn is_item_level(pointer: &str) -> bool {
    item_pointers().iter().any(|p| pointer == p || pointer.starts_with(&format!("{p}/")))
}

/// Splits a canonical document into (model part, item part). Members absent from `doc` stay absent.
pub fn split(doc: &Value) -> (Value, Value) {
    split_owned(doc.clone())
}

/// [`split`] without copying the document.
pub fn split_owned(mut model: Value) -> (Value, Value) {
    let mut item = Value::Object(Map::new());
    for pointer in item_pointers() {
        if let Some(value) = take(&mut model, pointer) {
            put(&mut item, pointer, value);
        }
    }
    (model, item)
}

/// Composes a model part and an item part into one document: item values are merged into the model's objects.
pub fn compose(model: &Value, item: &Value) -> Value {
    let mut doc = model.clone();
    merge(&mut doc, item);
    doc
}

fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                match into.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                    _ => {
                        into.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (into, from) => *into = from.clone(),
    }
}

/// Removes and returns the value at an object-only pointer; empty parent objects are left in place.
fn take(doc: &mut Value, pointer: &str) -> Option<Value> {
    let (parent, last) = pointer.rsplit_once('/')?;
    let parent = if parent.is_empty() { Some(doc) } else { doc.pointer_mut(parent) };
    parent?.as_object_mut()?.remove(last)
}

/// Writes `value` at an object-only pointer, creating intermediate objects.
fn put(doc: &mut Value, pointer: &str, value: Value) {
    let mut node = doc;
    let segments: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for segment in &segments[..segments.len() - 1] {
        node = node
            .as_object_mut()
            .expect("item pointers only cross objects")
            .entry(segment.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if let Some(obj) = node.as_object_mut() {
        obj.insert(segments[segments.len() - 1].to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn item_pointers_come_from_the_catalogue() {
        let pointers = item_pointers();
        assert!(pointers.contains(&"/generalProductInformation/productIdentifier".to_string()));
        assert!(
            pointers.contains(&"/performance/batteryCondition".to_string())
                || pointers.iter().any(|p| p.starts_with("/performance/batteryCondition/"))
        );
        assert!(!pointers.iter().any(|p| p.starts_with("/carbonFootprint")), "carbon footprint is per model");
    }

    #[test]
    fn split_then_compose_gives_back_the_document() {
        let doc = json!({
            "generalProductInformation": {"productIdentifier": "SN-1", "batteryMass": 450.0, "batteryStatus": "Original"},
            "carbonFootprint": {"batteryCarbonFootprint": 70.5},
            "performance": {"batteryTechicalProperties": {"ratedCapacity": 210.0},
                             "batteryCondition": {"stateOfCharge": {"stateOfChargeValue": 50, "lastUpdate": "2026-01-01T00:00:00Z"}}}
        });
        let (model, item) = split(&doc);
        assert_eq!(model["generalProductInformation"]["batteryMass"], json!(450.0));
        assert!(model["generalProductInformation"].get("productIdentifier").is_none());
        assert_eq!(item["generalProductInformation"]["productIdentifier"], json!("SN-1"));
        assert!(item.get("carbonFootprint").is_none());
        assert_eq!(compose(&model, &item), doc);
    }
}
