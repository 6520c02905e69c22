//! What a client may send: a full canonical document, an item part that references a battery model, or a
//! battery model record. All share one envelope: the document members plus `modelId`, `modelVersion` and
//! `reason` (why this version was written).

use crate::document::{self, MEMBERS};
use crate::validate::{Violation, escape};
use serde_json::{Map, Value};

/// The envelope fields a write may carry next to the document members.
pub const ENVELOPE_FIELDS: [&str; 3] = ["modelId", "modelVersion", "reason"];

/// A parsed write request body.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub model_id: Option<String>,
    pub model_version: Option<i64>,
    pub reason: Option<String>,
    /// The document members, as sent.
    pub document: Value,
}

/// Where a passport's model-level values come from.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// The client sent a full document: its model part is stored as a model record of its own.
    Embedded(Value),
    /// The client referenced a stored model record (latest version unless one is given).
    Reference { id: String, version: Option<i64> },
}

/// A passport write, split into its model source and its item part.
#[derive(Debug, Clone)]
pub struct PassportInput {
    pub model: ModelSource,
    pub item: Value,
    pub reason: Option<String>,
}

/// A battery model record write.
#[derive(Debug, Clone)]
pub struct ModelInput {
    pub id: String,
    pub document: Value,
    pub reason: Option<String>,
}

impl Envelope {
    /// Separates envelope fields from document members; anything else is an unknown member.
    pub fn parse(body: Value) -> Result<Envelope, Vec<Violation>> {
        let Value::Object(mut map) = body else {
            return Err(vec![Violation::new("", "schema:type", "the request body must be a JSON object")]);
        };
        let mut violations = Vec::new();
        let model_id = match map.remove("modelId") {
            None => None,
            Some(Value::String(s)) if valid_model_id(&s) => Some(s),
            Some(_) => {
                violations.push(Violation::new(
                    "/modelId",
                    "model-id",
                    "modelId must be 1-128 characters of letters, digits and . _ - : @",
                ));
                None
            }
        };
        let model_version = match map.remove("modelVersion") {
            None => None,
            Some(v) => match v.as_i64() {
                Some(n) if n >= 1 => Some(n),
                _ => {
                    violations.push(Violation::new(
                        "/modelVersion",
                        "schema:type",
                        "modelVersion must be a positive integer",
                    ));
                    None
                }
            },
        };
        let reason = match map.remove("reason") {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                violations.push(Violation::new("/reason", "schema:type", "reason must be a string"));
                None
            }
        };
        for key in map.keys() {
            if !MEMBERS.contains(&key.as_str()) {
                violations.push(Violation::new(
                    format!("/{}", escape(key)),
                    "unknown-member",
                    format!(
                        "unknown member `{key}`: expected the passport members {} or {}",
                        MEMBERS.join(", "),
                        ENVELOPE_FIELDS.join(", ")
                    ),
                ));
            }
        }
        if violations.is_empty() {
            Ok(Envelope { model_id, model_version, reason, document: Value::Object(map) })
        } else {
            Err(violations)
        }
    }

    /// Interprets the envelope as a passport write.
    pub fn into_passport(self) -> Result<PassportInput, Vec<Violation>> {
        let (model_part, item) = document::split_owned(self.document);
        let model = match self.model_id {
            Some(id) => {
                let stray = leaves(&model_part);
                if !stray.is_empty() {
                    return Err(stray
                        .into_iter()
                        .map(|p| {
                            Violation::new(
                                p,
                                "model-level",
                                "a model-level value cannot be sent with modelId: update the model record instead",
                            )
                        })
                        .collect());
                }
                ModelSource::Reference { id, version: self.model_version }
            }
            None if self.model_version.is_some() => {
                return Err(vec![Violation::new("/modelVersion", "model-id", "modelVersion needs a modelId")]);
            }
            None => ModelSource::Embedded(model_part),
        };
        Ok(PassportInput { model, item, reason: self.reason })
    }

    /// Interprets the envelope as a battery model record.
    pub fn into_model(self) -> Result<ModelInput, Vec<Violation>> {
        let Some(id) = self.model_id else {
            return Err(vec![Violation::new("/modelId", "schema:required", "a battery model record needs a modelId")]);
        };
        let (model, item) = document::split_owned(self.document);
        let stray = leaves(&item);
        if !stray.is_empty() {
            return Err(stray
                .into_iter()
                .map(|p| {
                    Violation::new(p, "item-level", "a per-battery value does not belong in a battery model record")
                })
                .collect());
        }
        Ok(ModelInput { id, document: model, reason: self.reason })
    }
}

/// Pointers of every non-object value (ignoring empty objects left behind by a split).
fn leaves(value: &Value) -> Vec<String> {
    fn walk(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, format!("{at}/{}", escape(k)), out)),
            _ => out.push(at),
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// Model ids are natural identifiers chosen by the operator, safe in URLs.
pub fn valid_model_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || "._-:@".contains(c))
}

/// An empty JSON object, for building documents.
pub fn empty_object() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_rejects_unknown_members_and_bad_types() {
        let err =
            Envelope::parse(json!({"generalProductInformation": {}, "colour": "red", "modelVersion": 0})).unwrap_err();
        let rules: Vec<_> = err.iter().map(|v| (v.pointer.as_str(), v.rule.as_str())).collect();
        assert!(rules.contains(&("/colour", "unknown-member")), "{rules:?}");
        assert!(rules.contains(&("/modelVersion", "schema:type")), "{rules:?}");
    }

    #[test]
    fn item_with_model_id_must_not_carry_model_values() {
        let env = Envelope::parse(
            json!({"modelId": "M1", "generalProductInformation": {"productIdentifier": "SN1", "batteryMass": 3.0}}),
        )
        .unwrap();
        let err = env.into_passport().unwrap_err();
        assert_eq!(err[0].pointer, "/generalProductInformation/batteryMass");
        let env = Envelope::parse(json!({"modelId": "M1", "generalProductInformation": {"productIdentifier": "SN1"}}))
            .unwrap();
        let input = env.into_passport().unwrap();
        assert!(matches!(input.model, ModelSource::Reference { ref id, version: None } if id == "M1"));
    }

    #[test]
    fn model_must_not_carry_item_values() {
        let env = Envelope::parse(
            json!({"modelId": "M1", "generalProductInformation": {"productIdentifier": "SN1", "batteryMass": 3.0}}),
        )
        .unwrap();
        let err = env.into_model().unwrap_err();
        assert_eq!(err[0].pointer, "/generalProductInformation/productIdentifier");
    }
}
