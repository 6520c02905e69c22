//! Analytics records: the models predictions are made with (by name, version and the hash of their training
//! data), every prediction and end-of-line screening result, and holds on units flagged at end of line.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::quality_rows::{KeyValue, Keyed};
use crate::{AuditEvent, Result};

/// A model as registered: what it is, the data it learnt from, and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsModelRow {
    pub name: String,
    pub version: String,
    pub training_data_sha256: String,
    pub model: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
}

/// What a result is about.
pub const RESULT_KINDS: [&str; 3] = ["cycle-life", "state-of-health", "eol-screening"];

/// One prediction or screening result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsResult {
    pub id: String,
    /// One of [`RESULT_KINDS`].
    pub kind: String,
    /// A passport id (predictions) or a unit id (screening).
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The results made together (one screening of a line and window, or the one prediction).
    pub run_id: String,
    pub model_name: String,
    pub model_version: String,
    /// SHA-256 of the input as received, so a result can be matched to its data.
    pub input_sha256: String,
    pub output: Value,
    pub flagged: bool,
    pub actor_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Putting a unit on hold, or releasing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitHold {
    /// Order of the hold events (assigned by the store; 0 for a new one).
    pub seq: i64,
    pub unit_id: String,
    /// `hold` or `release`.
    pub action: String,
    pub reason: String,
    /// The screening result that caused a hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_id: Option<String>,
    pub actor_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Which results to list.
#[derive(Debug, Clone, Default)]
pub struct ResultFilter {
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub line: Option<String>,
    pub run_id: Option<String>,
    pub flagged_only: bool,
}

/// Leases on background jobs, so that of several servers sharing a store one runs each job.
#[async_trait]
pub trait LeaseStore {
    /// Takes or renews the lease on `job` for `holder` until `now + ttl`: true when `holder` holds it now (it was
    /// free, expired, or already `holder`'s), false when another holder's lease runs.
    async fn acquire_lease(&self, job: &str, holder: &str, now: OffsetDateTime, ttl: time::Duration) -> Result<bool>;
}

#[async_trait]
pub trait AnalyticsStore {
    /// Registers a model; registering the same name and version again is a no-op when its training data hash is
    /// the same, and an error when it differs (a version names one model).
    async fn register_analytics_model(&self, model: &AnalyticsModelRow) -> Result<()>;
    async fn analytics_model(&self, name: &str, version: &str) -> Result<Option<AnalyticsModelRow>>;
    async fn analytics_models(&self) -> Result<Vec<AnalyticsModelRow>>;
    /// Writes results and hold events in one transaction, with their audit events.
    async fn write_analytics(
        &self,
        results: &[AnalyticsResult],
        holds: &[UnitHold],
        audit: Vec<AuditEvent>,
        at: OffsetDateTime,
    ) -> Result<()>;
    /// Results, newest first.
    async fn analytics_results(&self, filter: &ResultFilter, limit: i64) -> Result<Vec<AnalyticsResult>>;
    /// The holds in force (a unit's latest hold event is a hold), of these units or of all.
    async fn holds_in_force(&self, unit_ids: Option<&[String]>) -> Result<Vec<UnitHold>>;

    // Backups: each table a page at a time in key order, and back as given.
    async fn analytics_model_rows_after(
        &self,
        after: Option<&AnalyticsModelRow>,
        limit: i64,
    ) -> Result<Vec<AnalyticsModelRow>>;
    async fn analytics_result_rows_after(
        &self,
        after: Option<&AnalyticsResult>,
        limit: i64,
    ) -> Result<Vec<AnalyticsResult>>;
    async fn unit_hold_rows_after(&self, after: Option<&UnitHold>, limit: i64) -> Result<Vec<UnitHold>>;
    async fn restore_analytics_models(&self, rows: &[AnalyticsModelRow]) -> Result<()>;
    async fn restore_analytics_results(&self, rows: &[AnalyticsResult]) -> Result<()>;
    /// Restored in the given order (the store numbers them anew, keeping their order).
    async fn restore_unit_holds(&self, rows: &[UnitHold]) -> Result<()>;
}

impl Keyed for AnalyticsModelRow {
    const TABLE: &'static str = "analytics_models";
    const KEY: &'static str = "name, version";
    fn key(&self) -> Vec<KeyValue> {
        vec![KeyValue::Text(self.name.clone()), KeyValue::Text(self.version.clone())]
    }
}

impl Keyed for AnalyticsResult {
    const TABLE: &'static str = "analytics_results";
    const KEY: &'static str = "id";
    fn key(&self) -> Vec<KeyValue> {
        vec![KeyValue::Text(self.id.clone())]
    }
}

impl Keyed for UnitHold {
    const TABLE: &'static str = "unit_holds";
    const KEY: &'static str = "seq";
    fn key(&self) -> Vec<KeyValue> {
        vec![KeyValue::Int(self.seq)]
    }
}
