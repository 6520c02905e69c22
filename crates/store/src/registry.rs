//! The AAS registry's own entries: shell descriptors that partners or operators register (twins voltpass does
//! not generate from passports). Every write is an audit entry holding the full descriptor, so the history of
//! a descriptor can be read back from the audit log.

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;

use crate::Result;
use crate::audit::AuditEvent;

/// A registered shell descriptor (as a backup archive line: the asset ids are derived from the body).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredDescriptor {
    pub id: String,
    /// Who may change it: the registering economic operator's organisation, or the actor id of anyone else.
    pub owner: String,
    pub body: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[async_trait]
pub trait RegistryStore {
    /// Inserts or replaces a descriptor with its audit entry, in one transaction. `true` when it is new.
    async fn put_descriptor(&self, descriptor: &StoredDescriptor, event: AuditEvent) -> Result<bool>;
    /// Deletes a descriptor with its audit entry; `false` when there was none.
    async fn delete_descriptor(&self, id: &str, event: AuditEvent) -> Result<bool>;
    async fn descriptor(&self, id: &str) -> Result<Option<StoredDescriptor>>;
    /// Descriptors ordered by id after `after`, created after `created_after`, matching EVERY (name, value)
    /// pair in `asset_ids`.
    async fn descriptors(
        &self,
        asset_ids: &[(String, String)],
        created_after: Option<OffsetDateTime>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredDescriptor>>;
    /// Battery model ids (with their first version's time) ordered by id after `after`.
    async fn model_ids_page(
        &self,
        created_after: Option<OffsetDateTime>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(String, OffsetDateTime)>>;
}

/// The (name, value) pairs of a descriptor's `specificAssetIds`: what the discovery index holds for it.
pub(crate) fn asset_ids_of(body: &Value) -> Vec<(String, String)> {
    body["specificAssetIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| Some((a["name"].as_str()?.to_string(), a["value"].as_str()?.to_string())))
        .collect()
}
