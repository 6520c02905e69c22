//! Supplier quality (issue 6): electronic Certificates of Analysis with their revisions, the incoming-quality
//! decisions on them and the material specifications they are judged by. The original bytes of a CoA are
//! kept as received (with their SHA-256); a re-sent CoA for the same lot is a new revision, never an
//! overwrite; an operator override is a new decision row. CoAs, decisions and specs are append-only.

use async_trait::async_trait;
use serde_json::Value;
use time::{Date, OffsetDateTime};

use crate::audit::AuditEvent;
use crate::{JsonText, Result};

/// A CoA to store. Its revision is assigned by the store: one more than the lot's latest.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCoa {
    /// `coa:<uuidv7>`.
    pub id: String,
    pub supplier_id: String,
    pub material_id: String,
    pub lot_number: String,
    /// Lower-case hex SHA-256 of `original`.
    pub content_hash: String,
    /// `application/json`, `text/csv` or `application/pdf`.
    pub media_type: String,
    pub original: Vec<u8>,
    /// The parsed CoA (`None` for a PDF).
    pub parsed: Option<JsonText>,
    pub actor_id: String,
    pub received_at: OffsetDateTime,
}

/// A stored CoA (without its original bytes: see [`QualityStore::coa_original`]) and its latest decision.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCoa {
    pub id: String,
    pub supplier_id: String,
    pub material_id: String,
    pub lot_number: String,
    pub revision: i64,
    pub content_hash: String,
    pub media_type: String,
    pub parsed: Option<JsonText>,
    pub actor_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// The decision in force (the latest).
    pub decision: Option<CoaDecision>,
}

/// An incoming-quality decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    /// `accepted`, `rejected` or `hold`.
    pub outcome: String,
    /// Every reason, as JSON (an array).
    pub reasons: Value,
    pub spec_material: Option<String>,
    pub spec_version: Option<i64>,
    pub decided_by: String,
    pub decided_at: OffsetDateTime,
    /// Set for an operator override.
    pub override_reason: Option<String>,
}

/// A recorded decision; `seq` counts the decisions of one CoA from 1.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CoaDecision {
    pub coa_id: String,
    pub seq: i64,
    pub outcome: String,
    pub reasons: Value,
    pub spec_material: Option<String>,
    pub spec_version: Option<i64>,
    pub decided_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}

/// What to list CoAs by; every field set must match (outcome: of the latest decision).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoaFilter {
    pub supplier: Option<String>,
    pub material: Option<String>,
    pub lot: Option<String>,
    pub outcome: Option<String>,
}

/// A supplier's lot of a material, as CoAs name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LotKey {
    pub supplier_id: String,
    pub material_id: String,
    pub lot_number: String,
}

/// The latest CoA revision of a lot and the outcome of its decision in force (`None` while undecided).
#[derive(Debug, Clone, PartialEq)]
pub struct LotCoaHead {
    pub lot: LotKey,
    pub coa_id: String,
    pub revision: i64,
    pub outcome: Option<String>,
}

/// After a table `wanted(supplier_id, material_id, lot_number)`: each lot's latest CoA revision and the outcome
/// of its latest decision (the same on both backends).
pub(crate) const LATEST_LOT_COAS: &str = " SELECT c.supplier_id, c.material_id, c.lot_number, c.id, c.revision,
        (SELECT d.outcome FROM coa_decisions d WHERE d.coa_id = c.id ORDER BY d.seq DESC LIMIT 1) AS outcome
    FROM wanted w JOIN coas c ON c.supplier_id = w.supplier_id AND c.material_id = w.material_id
        AND c.lot_number = w.lot_number
    WHERE c.revision = (SELECT MAX(x.revision) FROM coas x WHERE x.supplier_id = w.supplier_id
        AND x.material_id = w.material_id AND x.lot_number = w.lot_number)";

/// A row of [`LATEST_LOT_COAS`].
pub(crate) fn lot_coa_head<'r, R>(row: &'r R) -> Result<LotCoaHead>
where
    R: sqlx::Row,
    &'r str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(LotCoaHead {
        lot: LotKey {
            supplier_id: row.try_get("supplier_id")?,
            material_id: row.try_get("material_id")?,
            lot_number: row.try_get("lot_number")?,
        },
        coa_id: row.try_get("id")?,
        revision: row.try_get("revision")?,
        outcome: row.try_get("outcome")?,
    })
}

/// A stored CoA as rebuilding SPC reads it: its lot, receipt and the parsed CoA as JSON text (`None` for a
/// PDF), without the original bytes or decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCoa {
    pub id: String,
    pub supplier_id: String,
    pub material_id: String,
    pub lot_number: String,
    pub revision: i64,
    pub received_at: OffsetDateTime,
    pub parsed: Option<String>,
}

/// A CoA without lab results, with the reasons of its first decision (`null` when undecided).
#[derive(Debug, Clone, PartialEq)]
pub struct UntestedLot {
    pub coa_id: String,
    pub lot_number: String,
    pub first_reasons: Value,
}

/// A material specification in one version, general (`supplier_id` `None`) or for one supplier.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSpec {
    pub material_id: String,
    pub supplier_id: Option<String>,
    pub version: i64,
    pub spec: Value,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A CoA with its first decision and audit event, as [`QualityStore::insert_coas`] writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct CoaWrite {
    pub coa: NewCoa,
    pub decision: NewDecision,
    pub event: AuditEvent,
}

/// One SPC series: a supplier's material's characteristic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesId {
    pub supplier_id: String,
    pub material_id: String,
    pub characteristic: String,
}

/// A series' monitoring state. Written with the `version` it was read at (0 for a new series); the store
/// keeps `version + 1` or refuses with [`crate::StoreError::VersionConflict`] when another writer was first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSeries {
    #[serde(flatten)]
    pub id: SeriesId,
    pub state: Value,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// An SPC signal on a new point.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAlarm {
    /// `alarm:<uuidv7>`.
    pub id: String,
    #[serde(flatten)]
    pub series: SeriesId,
    pub coa_id: String,
    pub lot_number: String,
    pub manufactured_on: Date,
    /// A stable rule id, e.g. `beyond-ucl`, `we-2`, `cusum-upper`.
    pub rule: String,
    pub detail: String,
    pub value: f64,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
}

/// An alarm as stored, with its acknowledgement once an operator closed it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAlarm {
    #[serde(flatten)]
    pub alarm: NewAlarm,
    pub acknowledged: Option<AlarmAck>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmAck {
    pub actor_id: String,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub acknowledged_at: OffsetDateTime,
}

/// What to list alarms by; every field set must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmFilter {
    pub supplier: Option<String>,
    pub material: Option<String>,
    pub characteristic: Option<String>,
    /// `Some(true)`: only unacknowledged; `Some(false)`: only acknowledged.
    pub open: Option<bool>,
}

/// The SPC and sampling writes that go with a batch of CoAs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpcWrite {
    pub series: Vec<StoredSeries>,
    pub alarms: Vec<NewAlarm>,
    pub sampling: Vec<StoredSampling>,
}

/// The skip-lot state of a supplier-material, versioned like [`StoredSeries`] (0 when new).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSampling {
    pub supplier_id: String,
    pub material_id: String,
    pub state: Value,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Our own lab's results for a lot and their comparison with its CoA.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabResultRecord {
    /// `lab:<uuidv7>`.
    pub id: String,
    pub coa_id: String,
    pub supplier_id: String,
    pub material_id: String,
    pub lot_number: String,
    pub results: Value,
    pub agreement: Value,
    pub agrees: bool,
    pub entered_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub entered_at: OffsetDateTime,
}

#[async_trait]
pub trait QualityStore {
    /// Stores CoAs, each as the next revision of its lot with its first decision and audit event (whose detail,
    /// when an object, gets the `revision`), and the SPC state and alarms they led to, in ONE transaction.
    /// `VersionConflict` (and nothing written) when a series was written by someone else since it was read.
    async fn insert_coas(&self, coas: Vec<CoaWrite>, spc: SpcWrite) -> Result<Vec<StoredCoa>>;
    async fn coa(&self, id: &str) -> Result<Option<StoredCoa>>;
    /// The original bytes and their media type.
    async fn coa_original(&self, id: &str) -> Result<Option<(String, Vec<u8>)>>;
    /// CoAs matching `filter`, ordered by id (time of receipt) after `after`, with their latest decision.
    async fn coas(&self, filter: &CoaFilter, after: Option<&str>, limit: i64) -> Result<Vec<StoredCoa>>;
    /// CoAs of a supplier and/or material (all when both `None`) as rebuilding SPC reads them, ordered by id
    /// after `after`: no decision joined, the parsed CoA as text.
    async fn parsed_coas(
        &self,
        supplier_id: Option<&str>,
        material_id: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ParsedCoa>>;
    /// The latest CoA revision of each of these lots, with its decision's outcome, in one query and without the
    /// CoAs' bytes (what a trace shows of a lot). Lots without a CoA are left out; the order is unspecified.
    async fn latest_lot_coas(&self, lots: &[LotKey]) -> Result<Vec<LotCoaHead>>;
    /// Every revision of a lot, oldest first.
    async fn coa_revisions(&self, supplier_id: &str, material_id: &str, lot_number: &str) -> Result<Vec<StoredCoa>>;
    /// Every decision on a CoA, oldest first.
    async fn coa_decisions(&self, coa_id: &str) -> Result<Vec<CoaDecision>>;
    /// Appends a decision (an override) with its audit event; `NotFound` without the CoA.
    async fn add_decision(&self, coa_id: &str, decision: NewDecision, event: AuditEvent) -> Result<CoaDecision>;
    /// Stores a specification version with its audit event; `false` (and nothing written) when that
    /// (material, supplier, version) exists already.
    async fn put_spec(&self, spec: &StoredSpec, event: AuditEvent) -> Result<bool>;
    /// Specifications of a material (all when `None`), by material, supplier and version.
    async fn specs(&self, material_id: Option<&str>) -> Result<Vec<StoredSpec>>;
    /// The supplier's own documents (PDF CoAs) of a supplier-material: each lot number with the document's
    /// SHA-256, oldest first.
    async fn documents(&self, supplier_id: &str, material_id: &str) -> Result<Vec<(String, String)>>;
    /// Every supplier with CoAs and how many, by supplier id.
    async fn coa_suppliers(&self) -> Result<Vec<(String, i64)>>;
    /// SPC series of a supplier and/or material (all when both `None`), by id.
    async fn series(&self, supplier_id: Option<&str>, material_id: Option<&str>) -> Result<Vec<StoredSeries>>;
    /// Replaces every series' state (a recompute from the CoAs; versions continue) and adds the alarms not
    /// raised before, with the audit event, in one transaction.
    async fn replace_spc(&self, series: Vec<StoredSeries>, alarms: Vec<NewAlarm>, event: AuditEvent) -> Result<()>;
    /// Alarms matching `filter`, ordered by id (time raised) after `after`.
    async fn alarms(&self, filter: &AlarmFilter, after: Option<&str>, limit: i64) -> Result<Vec<StoredAlarm>>;
    /// Closes an alarm; `NotFound` without it, `Conflict` when it is closed already.
    async fn acknowledge_alarm(&self, id: &str, ack: AlarmAck, event: AuditEvent) -> Result<StoredAlarm>;
    /// Skip-lot states of a supplier and/or material (all when both `None`).
    async fn sampling(&self, supplier_id: Option<&str>, material_id: Option<&str>) -> Result<Vec<StoredSampling>>;
    /// Writes a skip-lot state (at the version it was read) with its audit event.
    async fn put_sampling(&self, sampling: StoredSampling, event: AuditEvent) -> Result<()>;
    /// Records lab results with the skip-lot state they lead to and the audit event, in one transaction;
    /// `NotFound` without the CoA, `VersionConflict` when the state moved.
    async fn add_lab_result(
        &self,
        lab: LabResultRecord,
        sampling: Option<StoredSampling>,
        event: AuditEvent,
    ) -> Result<()>;
    /// The CoAs of a supplier-material that have no lab result, by id, with their first decision's reasons.
    async fn untested_lots(&self, supplier_id: &str, material_id: &str) -> Result<Vec<UntestedLot>>;
    /// A CoA's lab results, oldest first.
    async fn lab_results(&self, coa_id: &str) -> Result<Vec<LabResultRecord>>;
}

/// A written CoA as stored, and its audit event with the revision: moved out of what was written (the batch
/// is not read back, nor its parsed CoA copied).
pub(crate) fn stored_coa(write: CoaWrite, revision: i64) -> (StoredCoa, AuditEvent) {
    let CoaWrite { coa, decision, event } = write;
    let decision = CoaDecision {
        coa_id: coa.id.clone(),
        seq: 1,
        outcome: decision.outcome,
        reasons: decision.reasons,
        spec_material: decision.spec_material,
        spec_version: decision.spec_version,
        decided_by: decision.decided_by,
        decided_at: decision.decided_at,
        override_reason: decision.override_reason,
    };
    let stored = StoredCoa {
        id: coa.id,
        supplier_id: coa.supplier_id,
        material_id: coa.material_id,
        lot_number: coa.lot_number,
        revision,
        content_hash: coa.content_hash,
        media_type: coa.media_type,
        parsed: coa.parsed,
        actor_id: coa.actor_id,
        received_at: coa.received_at,
        decision: Some(decision),
    };
    (stored, with_revision(event, revision))
}

/// The audit detail with the assigned revision.
fn with_revision(mut event: AuditEvent, revision: i64) -> AuditEvent {
    if let Value::Object(map) = &mut event.detail {
        map.insert("revision".into(), revision.into());
    }
    event
}
