//! Full copies out of a store and back in (backup and restore). Other traits write through the domain rules,
//! which assign versions, times and hashes; a restore must instead keep every value exactly as it was, so
//! these methods insert rows raw. They also read the few things no other trait lists.

use crate::{
    Actor, AuditCheckpoint, AuditEntry, CoaDecisionRow, CoaRow, Grant, IssuerKeyRecord, LabResultRow, MaterialSpecRow,
    ModelVersion, PassportHead, PassportVersion, Reading, Result, SamplingStateRow, SpcAlarmAckRow, SpcAlarmRow,
    SpcSeriesRow, VersionSignature,
};
use async_trait::async_trait;
use time::OffsetDateTime;

/// An actor with the time it was created (which [`Actor`] leaves out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorRecord {
    pub actor: Actor,
    pub created_at: OffsetDateTime,
}

/// A passport version with its signature, if it was signed.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedVersion {
    pub version: PassportVersion,
    pub signature: Option<VersionSignature>,
}

/// Reads for a complete backup and raw inserts for a restore. Each `restore_*` call is one transaction;
/// call them in the order declared here (actors first: other rows refer to them).
#[async_trait]
pub trait RestoreStore {
    /// True when the store holds no rows at all (a restore only goes into an empty store).
    async fn is_empty(&self) -> Result<bool>;
    /// Every actor with its creation time, ordered by id.
    async fn actor_records(&self) -> Result<Vec<ActorRecord>>;
    /// Every model id, ordered.
    async fn model_ids(&self) -> Result<Vec<String>>;
    /// Readings ordered by (passport, metric, time, source), starting after `after`'s key, at most `limit`.
    async fn readings_after(&self, after: Option<&Reading>, limit: i64) -> Result<Vec<Reading>>;

    // Supplier quality, one table at a time, each in the order of its primary key, starting after `after`'s key
    // (keyset paging: stable while rows are appended), at most `limit` rows.
    /// CoAs with their original bytes, by id.
    async fn coa_rows_after(&self, after: Option<&CoaRow>, limit: i64) -> Result<Vec<CoaRow>>;
    /// Decisions by CoA and number.
    async fn decision_rows_after(&self, after: Option<&CoaDecisionRow>, limit: i64) -> Result<Vec<CoaDecisionRow>>;
    /// Specification versions by material, supplier key and version.
    async fn spec_rows_after(&self, after: Option<&MaterialSpecRow>, limit: i64) -> Result<Vec<MaterialSpecRow>>;
    /// SPC series by supplier, material and characteristic.
    async fn series_rows_after(&self, after: Option<&SpcSeriesRow>, limit: i64) -> Result<Vec<SpcSeriesRow>>;
    /// SPC alarms by id.
    async fn alarm_rows_after(&self, after: Option<&SpcAlarmRow>, limit: i64) -> Result<Vec<SpcAlarmRow>>;
    /// Alarm acknowledgements by alarm id.
    async fn alarm_ack_rows_after(&self, after: Option<&SpcAlarmAckRow>, limit: i64) -> Result<Vec<SpcAlarmAckRow>>;
    /// Lab results by id.
    async fn lab_result_rows_after(&self, after: Option<&LabResultRow>, limit: i64) -> Result<Vec<LabResultRow>>;
    /// Skip-lot states by supplier and material.
    async fn sampling_state_rows_after(
        &self,
        after: Option<&SamplingStateRow>,
        limit: i64,
    ) -> Result<Vec<SamplingStateRow>>;

    async fn restore_actors(&self, actors: &[ActorRecord]) -> Result<()>;
    /// Keys as given, including `retired_at` (an empty `secret_hex` makes a verify-only key).
    async fn restore_issuer_keys(&self, keys: &[IssuerKeyRecord]) -> Result<()>;
    async fn restore_models(&self, versions: &[ModelVersion]) -> Result<()>;
    async fn restore_passport_versions(&self, versions: &[SignedVersion]) -> Result<()>;
    /// Rebuilds the passports index from these heads; hash and times come from the restored versions, so
    /// the versions must be restored first.
    async fn restore_heads(&self, heads: &[PassportHead]) -> Result<()>;
    async fn restore_readings(&self, readings: &[Reading]) -> Result<()>;
    async fn restore_grants(&self, grants: &[Grant]) -> Result<()>;
    /// Registered AAS shell descriptors with their discovery index.
    async fn restore_descriptors(&self, descriptors: &[crate::StoredDescriptor]) -> Result<()>;
    /// CoAs as given (ids, revisions, times); `Invalid` (and nothing written) when an original does not hash
    /// to its content hash. Unlike [`crate::QualityStore`] writes, these record no audit events: the audit log
    /// is restored as it was.
    async fn restore_coas(&self, coas: &[CoaRow]) -> Result<()>;
    /// Decisions with their numbers; their CoAs first.
    async fn restore_coa_decisions(&self, decisions: &[CoaDecisionRow]) -> Result<()>;
    async fn restore_specs(&self, specs: &[MaterialSpecRow]) -> Result<()>;
    /// Series states with their versions, so writers continue from them.
    async fn restore_spc_series(&self, series: &[SpcSeriesRow]) -> Result<()>;
    /// Alarms as raised; their CoAs first.
    async fn restore_alarms(&self, alarms: &[SpcAlarmRow]) -> Result<()>;
    /// Acknowledgements; their alarms first.
    async fn restore_alarm_acks(&self, acks: &[SpcAlarmAckRow]) -> Result<()>;
    /// Lab results as entered; their CoAs first.
    async fn restore_lab_results(&self, results: &[LabResultRow]) -> Result<()>;
    /// Skip-lot states with their versions, so writers continue from them.
    async fn restore_sampling_states(&self, states: &[SamplingStateRow]) -> Result<()>;
    /// Audit entries with their sequence numbers and hashes as given (not re-chained).
    async fn restore_audit(&self, entries: &[AuditEntry]) -> Result<()>;
    async fn restore_checkpoints(&self, checkpoints: &[AuditCheckpoint]) -> Result<()>;
}

/// Heads are inserted from a `VALUES` list joined with the restored versions, so the index gets the very hash
/// and times the history holds: `content_hash` and `updated_at` of the head's version, `created_at` of version 1.
/// Between these two parts goes the `VALUES` list of [`PassportHead`] fields in this column order.
pub(crate) const HEADS_CTE: &str = "WITH h (id, battery_id, model_id, model_version, category, status, manufacturer, responsible, version, successor_id) AS (";
pub(crate) const HEADS_INSERT: &str = ") INSERT INTO passports (id, battery_id, model_id, model_version, category, status, manufacturer, responsible, version, content_hash, successor_id, created_at, updated_at)
 SELECT h.id, h.battery_id, h.model_id, h.model_version, h.category, h.status, h.manufacturer, h.responsible, h.version, l.content_hash, h.successor_id, f.created_at, l.created_at
 FROM h JOIN passport_versions l ON l.passport_id = h.id AND l.version = h.version
 JOIN passport_versions f ON f.passport_id = h.id AND f.version = 1";

/// Why fewer heads than given were inserted: the join found no versions for some.
pub(crate) fn missing_versions_message(heads: &[PassportHead]) -> String {
    let first = heads.first().map(|h| h.id.as_str()).unwrap_or_default();
    format!(
        "cannot rebuild passport heads (batch from {first}): a head names a version that was not restored, \
         or version 1 is missing; restore the versions first"
    )
}
