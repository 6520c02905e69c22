//! Written authorisations (Art. 77(4)): an economic operator lets another actor update given attribute groups of
//! given passports until a date. Revocable; grants are never deleted.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// `grant:<uuidv7>`.
    pub id: String,
    /// The economic operator (identifier) whose passports the grant covers.
    pub grantor: String,
    /// The actor allowed to write.
    pub grantee: String,
    /// Passport identifiers covered; empty means every passport the grantor is responsible for.
    pub passports: Vec<String>,
    /// Attribute groups (top-level sections of the document, or `readings`) the grantee may update.
    pub groups: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
}

impl Grant {
    /// In force at `now` (not revoked, not expired)?
    pub fn in_force(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && now < self.valid_until
    }

    pub fn covers_passport(&self, id: &str) -> bool {
        self.passports.is_empty() || self.passports.iter().any(|p| p == id)
    }

    pub fn covers_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}
