//! What the store keeps: actors and their keys, battery model versions, passport versions.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// What an actor may do. Access groups of the regulation map onto roles; see the server's auth module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    EconomicOperator,
    LegitimateInterest,
    Authority,
    Supplier,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::Admin, Role::EconomicOperator, Role::LegitimateInterest, Role::Authority, Role::Supplier];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::EconomicOperator => "economic-operator",
            Role::LegitimateInterest => "legitimate-interest",
            Role::Authority => "authority",
            Role::Supplier => "supplier",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Someone who reads or writes: every write names its actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// `actor:<uuidv7>` for key holders, `local:<user>` for the CLI on the server machine.
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The economic operator's identifier (the passport's `operatorInformation.identifier`) this actor
    /// writes for; required for `economic-operator`, also used for suppliers.
    pub organisation: Option<String>,
    /// Sub-role of a legitimate interest (one of [`LEGITIMATE_INTEREST_SUBROLES`]), kept so a later policy
    /// can narrow fields per sub-role without a new mechanism.
    pub subrole: Option<String>,
}

/// Persons with a legitimate interest (Art. 77(2)(b), Annex XIII point 2), by what they do with a battery.
pub const LEGITIMATE_INTEREST_SUBROLES: [&str; 5] =
    ["repairer", "remanufacturer", "second-life-operator", "recycler", "purchaser"];

/// Who wrote a version, when and why, and how it chains to the one before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionMeta {
    pub version: i64,
    pub actor_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub reason: Option<String>,
    /// SHA-256 of the RFC 8785 canonical JSON of the stored record.
    pub content_hash: String,
    /// `content_hash` of the previous version; `None` for version 1.
    pub prev_hash: Option<String>,
}

/// One version of a battery model record (the model-level part of a canonical document).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelVersion {
    pub model_id: String,
    pub document: Value,
    /// The operator that owns the model (writes for it), if any.
    pub owner: Option<String>,
    pub meta: VersionMeta,
}

/// A model version to append. The store fills in version number, time and hashes.
#[derive(Debug, Clone)]
pub struct NewModelVersion {
    pub model_id: String,
    pub document: Value,
    pub owner: Option<String>,
    pub actor_id: String,
    pub reason: Option<String>,
    /// Compare-and-swap: the version the writer read (0 = the model must not exist yet); `None` = append anyway.
    pub expected_version: Option<i64>,
}

/// The searchable facts of a passport, kept next to its history for listing and uniqueness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassportHead {
    pub id: String,
    pub battery_id: String,
    pub model_id: String,
    pub model_version: i64,
    pub category: String,
    pub status: String,
    pub manufacturer: String,
    /// Identifier of the economic operator responsible for the passport.
    pub responsible: String,
    pub version: i64,
    /// Set when a newer passport names this one as predecessor.
    pub successor_id: Option<String>,
}

/// One stored passport version: the item record plus its model reference.
#[derive(Debug, Clone, PartialEq)]
pub struct PassportVersion {
    pub passport_id: String,
    pub model_id: String,
    pub model_version: i64,
    pub item: Value,
    pub meta: VersionMeta,
}

/// A passport version to append (a new passport when `expected_version` is 0).
#[derive(Debug, Clone)]
pub struct NewPassportVersion {
    pub head: PassportHead,
    pub item: Value,
    pub actor_id: String,
    pub reason: Option<String>,
    /// Passports this one succeeds (their heads get `successor_id` set).
    pub predecessors: Vec<String>,
    /// Compare-and-swap: the version the writer read; 0 for a new passport.
    pub expected_version: i64,
}

/// Filters for listing passports; every field is optional and they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct PassportFilter {
    pub battery_id: Option<String>,
    pub model_id: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub manufacturer: Option<String>,
    pub responsible: Option<String>,
    /// Only passports created after this time (AAS `createdAfter`).
    pub created_after: Option<OffsetDateTime>,
}

/// The record as hashed: the item with its model reference, so the hash pins the composed document.
pub fn passport_record(model_id: &str, model_version: i64, item: &Value) -> Value {
    serde_json::json!({"modelId": model_id, "modelVersion": model_version, "item": item})
}

/// A JSON document kept as its text: written, stored and served without building a tree of values (a parsed
/// CoA is a few kB, and a batch of them would otherwise be serialised twice on its way to the database).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonText(Box<serde_json::value::RawValue>);

impl JsonText {
    /// `value` serialised.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<JsonText> {
        serde_json::value::to_raw_value(value).map(JsonText)
    }

    /// Text that must be one JSON value (as a database returns it).
    pub fn from_text(text: String) -> serde_json::Result<JsonText> {
        serde_json::value::RawValue::from_string(text).map(JsonText)
    }

    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Read into a type (or a [`Value`]).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.get())
    }
}

/// Equal when they hold the same JSON value: PostgreSQL's `jsonb` gives back its own spacing and key order.
impl PartialEq for JsonText {
    fn eq(&self, other: &JsonText) -> bool {
        self.get() == other.get() || self.parse::<Value>().ok().is_some_and(|a| other.parse::<Value>().ok() == Some(a))
    }
}
