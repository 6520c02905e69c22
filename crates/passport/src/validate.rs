//! Passport validation: the embedded schemas first, then the regulation's rules (see `rules.rs`).
//! Every violation names the JSON pointer it is about and the rule it breaks.

use crate::document::{self, MEMBERS};
use crate::{rules, schema};
use jsonschema::error::ValidationErrorKind;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// One reason a document is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// RFC 6901 pointer into the submitted canonical document.
    pub pointer: String,
    /// Rule identifier, e.g. `schema:required`, `unknown-member`, `range`, `mandatory:ev`.
    pub rule: String,
    pub message: String,
}

impl Violation {
    pub fn new(pointer: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        Violation { pointer: pointer.into(), rule: rule.into(), message: message.into() }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() { "/" } else { &self.pointer };
        write!(f, "{pointer}: {} [{}]", self.message, self.rule)
    }
}

/// What is being validated: a whole passport, a battery model record (model-level values only), or an
/// item record (per-battery values only) of a model record that is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Passport,
    Model,
    Item,
}

/// Validates a complete (composed) passport document.
pub fn validate_passport(doc: &Value) -> Result<(), Vec<Violation>> {
    validate_at(doc, Scope::Passport, OffsetDateTime::now_utc())
}

/// Validates a battery model record: the model-level part of a canonical document.
pub fn validate_model(model: &Value) -> Result<(), Vec<Violation>> {
    validate_at(model, Scope::Model, OffsetDateTime::now_utc())
}

/// Validates an item record against the model record it references, which must itself be valid
/// ([`validate_model`]). Equivalent to validating the composed passport, at a fraction of the cost: the
/// model part of the composition is already known to be valid, so only per-battery places are checked.
pub fn validate_item(item: &Value, model: &Value) -> Result<(), Vec<Violation>> {
    validate_item_at(item, model, OffsetDateTime::now_utc())
}

/// [`validate_item`] against a given clock.
pub fn validate_item_at(item: &Value, model: &Value, now: OffsetDateTime) -> Result<(), Vec<Violation>> {
    let mut violations = item_schema_violations(item);
    violations.extend(rules::check(item, Some(model), Scope::Item, now));
    if violations.is_empty() { Ok(()) } else { Err(violations) }
}

/// Validation against a given clock (for tests and for re-validating history).
pub fn validate_at(doc: &Value, scope: Scope, now: OffsetDateTime) -> Result<(), Vec<Violation>> {
    let mut violations = schema_violations(doc, scope);
    violations.extend(rules::check(doc, None, scope, now));
    if violations.is_empty() { Ok(()) } else { Err(violations) }
}

fn schema_violations(doc: &Value, scope: Scope) -> Vec<Violation> {
    let Some(members) = doc.as_object() else {
        return vec![Violation::new("", "schema:type", "a passport document must be a JSON object")];
    };
    let mut out = Vec::new();
    for key in members.keys() {
        if !MEMBERS.contains(&key.as_str()) {
            out.push(Violation::new(
                format!("/{}", escape(key)),
                "unknown-member",
                format!("unknown member `{key}`: a passport has exactly the members {}", MEMBERS.join(", ")),
            ));
        }
    }
    for section in schema::compiled() {
        let pointer = format!("/{}", section.member);
        let Some(value) = members.get(section.member) else {
            out.push(Violation::new(pointer, "schema:required", "required member is missing"));
            continue;
        };
        push_schema_errors(&section.validator, value, &pointer, section.member, scope, &mut out);
    }
    out
}

/// Schema checks of an item record: each per-battery place against its part of the schema.
fn item_schema_violations(item: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for place in schema::item_places() {
        match item.pointer(&place.pointer) {
            Some(value) => {
                push_schema_errors(&place.validator, value, &place.pointer, place.member, Scope::Item, &mut out)
            }
            None if place.required => {
                out.push(Violation::new(place.pointer.clone(), "schema:required", "required member is missing"))
            }
            None => {}
        }
    }
    out
}

/// Maps a validator's errors for the value at `pointer` to violations.
fn push_schema_errors(
    validator: &jsonschema::Validator,
    value: &Value,
    pointer: &str,
    member: &str,
    scope: Scope,
    out: &mut Vec<Violation>,
) {
    for error in validator.iter_errors(value) {
        let at = format!("{pointer}{}", error.instance_path().as_str());
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let missing = format!("{at}/{}", escape(name));
                if scope == Scope::Model && document::is_item_level(&missing) {
                    continue; // per-battery values are not part of a model record
                }
                out.push(Violation::new(missing, "schema:required", "required member is missing"));
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for name in unexpected {
                    out.push(Violation::new(
                        format!("{at}/{}", escape(name)),
                        "unknown-member",
                        format!("unknown member `{name}`: not defined by {}", aspect_of(member)),
                    ));
                }
            }
            kind => out.push(Violation::new(at, format!("schema:{}", kind.keyword()), error.to_string())),
        }
    }
}

fn aspect_of(member: &str) -> &'static str {
    schema::SECTIONS.iter().find(|s| s.member == member).map_or("the schema", |s| s.aspect)
}

/// RFC 6901 escaping of one reference token.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
