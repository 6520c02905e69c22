//! Schema transformations applied to the upstream schemas when they are loaded.

use serde_json::{Map, Value};

/// Inlines every `#/components/schemas/X` reference and flattens `allOf` into one object schema.
/// The SAMM-generated schemas are not recursive, so inlining terminates.
pub(super) fn self_contained(root: &Value) -> Value {
    let mut top = inline(root, root);
    if let Some(obj) = top.as_object_mut() {
        obj.remove("components");
    }
    top
}

fn inline(node: &Value, root: &Value) -> Value {
    match node {
        Value::Object(map) => {
            let mut out = Map::new();
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                let resolved = root
                    .pointer(target.trim_start_matches('#'))
                    .unwrap_or_else(|| panic!("embedded schema has a dangling $ref {target}"));
                if let Value::Object(resolved) = inline(resolved, root) {
                    out.extend(resolved);
                }
            }
            for (key, value) in map {
                if key != "$ref" && key != "allOf" {
                    out.insert(key.clone(), inline(value, root));
                }
            }
            // After the node's own keywords, so its `properties` and `required` are extended, not replaced.
            for part in map.get("allOf").and_then(Value::as_array).into_iter().flatten() {
                merge_object_schema(&mut out, inline(part, root));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| inline(v, root)).collect()),
        other => other.clone(),
    }
}

/// Merges `part` (an object schema from an `allOf`) into `out`: properties and required lists are unioned.
fn merge_object_schema(out: &mut Map<String, Value>, part: Value) {
    let Value::Object(part) = part else { return };
    for (key, value) in part {
        match (key.as_str(), out.get_mut(&key)) {
            ("properties", Some(Value::Object(existing))) => {
                if let Value::Object(more) = value {
                    existing.extend(more);
                }
            }
            ("required", Some(Value::Array(existing))) => {
                for name in value.as_array().into_iter().flatten() {
                    if !existing.contains(name) {
                        existing.push(name.clone());
                    }
                }
            }
            (_, Some(_)) => {} // the referring schema's own keyword wins (e.g. its description)
            (_, None) => {
                out.insert(key, value);
            }
        }
    }
}

/// Objects that list their properties reject any other member; property-less objects (multi-language
/// texts keyed by language tag) stay open.
pub(super) fn close_objects(node: &mut Value) {
    match node {
        Value::Object(map) => {
            let lists_properties = map.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty());
            if lists_properties {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (key, value) in map.iter_mut() {
                // `enum` and `required` hold data, not schemas.
                if key != "enum" && key != "required" {
                    close_objects(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// Removes `pattern`s meant for e-mail addresses: upstream's lost its backslashes and rejects real addresses.
pub(super) fn drop_email_patterns(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.get("pattern").and_then(Value::as_str).is_some_and(|p| p.contains('@')) {
                map.remove("pattern");
            }
            map.values_mut().for_each(drop_email_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_email_patterns),
        _ => {}
    }
}
