//! Catena-X aspect models.
//!
//! - [`bom`]: `io.catenax.single_level_bom_as_built` 4.0.0, what a unit was built from (genealogy).
//! - [`battery_pass`]: the legacy `io.catenax.battery.battery_pass` 6.1.0 aspect, mapped to and from the canonical
//!   passport document (Battery Pass Data Model v1.2 plus voltpass extensions).
//!
//! The 6.1.0 JSON schema is embedded (CC-BY-4.0, see `schemas/catenax/SOURCES.md`) so exports can be checked
//! offline with [`validate_battery_pass`].

pub mod battery_pass;
pub mod bom;

pub use battery_pass::{NOT_CARRIED, NOT_IMPORTED, PLACEHOLDERS, from_battery_pass, to_battery_pass};

use serde_json::Value;
use std::sync::OnceLock;

/// Why a document could not be mapped.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MappingError {
    #[error("the document is not a JSON object")]
    NotAnObject,
    #[error("{pointer} is missing, and the target format requires it")]
    Missing { pointer: String },
    #[error("{pointer}: {reason}")]
    Invalid { pointer: String, reason: String },
}

const BATTERY_PASS_SCHEMA: &str = include_str!("../../schemas/catenax/battery_pass-6.1.0-schema.json");

/// Checks `bp` against the embedded `io.catenax.battery.battery_pass` 6.1.0 JSON schema (draft-04), returning
/// every violation as "instance pointer: message".
pub fn validate_battery_pass(bp: &Value) -> Result<(), Vec<String>> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema: Value = serde_json::from_str(BATTERY_PASS_SCHEMA).expect("embedded schema is valid JSON");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(&schema)
            .expect("the embedded Catena-X schema compiles")
    });
    let errors: Vec<String> = validator.iter_errors(bp).map(|e| format!("{}: {}", e.instance_path(), e)).collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// The places (JSON pointers) where two documents differ, each as "pointer: a != b"; numbers compare by value
/// (17 == 17.0). For readable round-trip failures.
pub fn differences(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_differences(a, b, String::new(), &mut out);
    out
}

fn collect_differences(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (p, q) = (x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null));
                collect_differences(p, q, format!("{at}/{k}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                collect_differences(p, q, format!("{at}/{i}"), out);
            }
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => {}
        _ if a == b => {}
        _ => out.push(format!("{at}: {a} != {b}")),
    }
}

/// Removes the value at `pointer` (RFC 6901; a `-` segment stands for every element of an array) and everything
/// below it. Absent places are ignored. Used to compare documents "modulo what the mapping cannot carry".
pub fn remove_pointer(value: &mut Value, pointer: &str) {
    let segments: Vec<&str> = pointer.strip_prefix('/').map(|p| p.split('/').collect()).unwrap_or_default();
    remove_segments(value, &segments);
}

fn remove_segments(value: &mut Value, segments: &[&str]) {
    let [head, rest @ ..] = segments else { return };
    match value {
        Value::Object(map) if rest.is_empty() => {
            map.remove(*head);
        }
        Value::Object(map) => {
            if let Some(child) = map.get_mut(*head) {
                remove_segments(child, rest);
            }
        }
        Value::Array(items) if *head == "-" => {
            if rest.is_empty() {
                items.clear();
            } else {
                items.iter_mut().for_each(|item| remove_segments(item, rest));
            }
        }
        Value::Array(items) => {
            if let Some(index) = head.parse::<usize>().ok().filter(|i| *i < items.len()) {
                if rest.is_empty() {
                    items.remove(index);
                } else {
                    remove_segments(&mut items[index], rest);
                }
            }
        }
        _ => {}
    }
}
