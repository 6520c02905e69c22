//! Genealogy (issue 7): units from material lot to pack, the edges material and units flow along, and the
//! production events that made them. Units, edges, sources and applied events are append-only; the usage of
//! lots and batches is a derived running total, and the backlog a work queue of events waiting for units.
//!
//! `trace_sources` is the shortcut that keeps recalls fast at gigafactory scale: each module and pack lists
//! the lots and batches its cells consumed (with cell counts), so a recall goes lot → batches → assemblies
//! without walking millions of cell edges, and an upstream trace of a pack reads a few rows.
//!
//! How a backend lays the rows out is its own: SQLite keeps each ingested cell in one row with its edges inline
//! (`sqlite::trace_cells`), PostgreSQL a row per unit and per edge. The trait reads and pages both the same.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use trace::plan::{AssemblySource, NewEdge, NewResult, NewUnit, UsageDelta};
use trace::{TraceEvent, UnitKind};

use crate::Result;
use crate::audit::AuditEvent;

/// A stored unit with what has been taken from it and the assembly it went into.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredUnit {
    pub id: String,
    pub kind: UnitKind,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub unit_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub produced_at: Option<OffsetDateTime>,
    /// The quantity it had, in `base_uom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_uom: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub material_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passport_id: Option<String>,
    /// Cells in it (modules and packs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Value>,
    /// The economic operator that recorded it (`None` when an administrator did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    pub event_id: String,
    pub created_by: String,
    /// Taken from it so far (in `used_uom`) and by how many units.
    pub used: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_uom: Option<String>,
    pub consumers: i64,
    /// Of the consumers, cells.
    pub cells_fed: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assembled_into: Option<String>,
}

impl StoredUnit {
    /// A unit as stored, with what the reads join in: its usage and the assembly it went into.
    pub(crate) fn with_usage(
        u: crate::TraceUnitRow,
        usage: Option<crate::TraceUsageRow>,
        assembled_into: Option<String>,
    ) -> StoredUnit {
        StoredUnit {
            id: u.id,
            kind: u.kind,
            unit_type: u.unit_type,
            model: u.model,
            line: u.line,
            station: u.station,
            produced_at: u.produced_at,
            quantity: u.quantity,
            base_uom: u.base_uom,
            supplier_id: u.supplier_id,
            material_id: u.material_id,
            lot_number: u.lot_number,
            passport_id: u.passport_id,
            cell_count: u.cell_count,
            attributes: u.attributes,
            operator: u.operator,
            event_id: u.event_id,
            created_by: u.created_by,
            used: usage.as_ref().map_or(0.0, |g| g.used),
            used_uom: usage.as_ref().and_then(|g| g.base_uom.clone()),
            consumers: usage.as_ref().map_or(0, |g| g.consumers),
            cells_fed: usage.as_ref().map_or(0, |g| g.cells),
            assembled_into,
        }
    }
}

/// A stored edge: `input` went into `output` (stored as planned).
pub type StoredEdge = NewEdge;

/// A lot or batch that reached a module or pack through its cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSource {
    pub unit_id: String,
    pub source_id: String,
    pub cells: i64,
    pub quantity: f64,
}

/// End-of-line first tests of one line on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineDay {
    pub line: String,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub tested: i64,
    pub passed: i64,
}

/// Held while a genealogy batch is checked and written; dropping it lets the next writer in.
pub struct WriterLock(pub Box<dyn Send + Sync>);

/// What the packs of one battery model were made of, summed over the packs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelSources {
    pub packs: i64,
    pub sources: Vec<StoredSource>,
}

/// An end-of-line test result as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredResult {
    pub event_id: String,
    pub unit_id: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub tested_at: Option<OffsetDateTime>,
    pub results: std::collections::BTreeMap<String, f64>,
    pub passed: Option<bool>,
    pub actor_id: String,
}

/// An event in the backlog: `held` while it waits for units, `failed` when a retry found it breaks a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BacklogEvent {
    pub event_id: String,
    pub event: TraceEvent,
    pub missing: Vec<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub actor_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_tried: OffsetDateTime,
    pub attempts: i64,
}

/// Everything one batch of events writes, in one transaction.
#[derive(Debug, Clone)]
pub struct TraceWrite {
    pub units: Vec<NewUnit>,
    pub edges: Vec<NewEdge>,
    pub usage: Vec<UsageDelta>,
    pub sources: Vec<AssemblySource>,
    pub results: Vec<NewResult>,
    /// Applied events: (event id, unit id, `produced`, `consumed` or `tested`).
    pub applied: Vec<(String, String, &'static str)>,
    /// Events to (re)hold: new ones are added, ones in the backlog get another attempt.
    pub held: Vec<(TraceEvent, Vec<String>)>,
    /// Backlog events that failed on retry, with why.
    pub failed: Vec<(String, String)>,
    pub actor_id: String,
    pub operator: Option<String>,
    pub at: OffsetDateTime,
    pub audit: Vec<AuditEvent>,
}

#[async_trait]
pub trait TraceStore {
    /// Writes a planned batch; applied events leave the backlog.
    async fn write_trace(&self, write: TraceWrite) -> Result<()>;
    /// Writes a planned batch of a bulk import: committed, so a crash of the process loses nothing, but durable
    /// through a power loss only once [`TraceStore::sync_trace_writes`] returns. The import's batches reach the
    /// disk together at its end instead of one wait for the disk per batch.
    async fn write_trace_batch(&self, write: TraceWrite) -> Result<()> {
        self.write_trace(write).await
    }
    /// Makes every genealogy write so far durable (those of [`TraceStore::write_trace_batch`]).
    async fn sync_trace_writes(&self) -> Result<()> {
        Ok(())
    }
    /// Serialises genealogy writers across every server on this store, from reading what a batch names to
    /// writing its plan (the quantity and assembly checks read, then write): held until the guard is dropped.
    /// A no-op where one process owns the store (SQLite; the service's own lock serialises its writers).
    async fn lock_trace_writer(&self) -> Result<WriterLock>;
    /// These units (those that exist).
    async fn trace_units(&self, ids: &[String]) -> Result<Vec<StoredUnit>>;
    /// The lots and batches upstream of a unit, with their units, in one round trip (the process part of an
    /// upstream trace): from its sources when it is an assembly (module or pack), else from the unit itself,
    /// which comes back too; then along the edges lots and batches go into batches.
    async fn trace_upstream_closure(&self, unit_id: &str) -> Result<Vec<StoredUnit>>;
    /// Which of these event ids were applied before.
    async fn applied_trace_events(&self, ids: &[String]) -> Result<Vec<String>>;
    /// Edges into these units.
    async fn trace_inputs(&self, output_ids: &[String]) -> Result<Vec<StoredEdge>>;
    /// Edges out of these units, into units of `kinds` only (all kinds when empty), ordered by output, after
    /// `after` (an output id), at most `limit`.
    async fn trace_outputs(
        &self,
        input_ids: &[String],
        kinds: &[UnitKind],
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredEdge>>;
    /// Edges out of these lots and batches into batches (the process part of a recall).
    async fn trace_process_outputs(&self, input_ids: &[String]) -> Result<Vec<StoredEdge>>;
    /// The sources of these modules and packs.
    async fn trace_sources_of(&self, unit_ids: &[String]) -> Result<Vec<StoredSource>>;
    /// The modules and packs these lots and batches reached.
    async fn trace_reached_by(&self, source_ids: &[String]) -> Result<Vec<StoredSource>>;
    /// The backlog, oldest first: `held` events to retry, or all with `status` `None`.
    async fn trace_backlog(&self, status: Option<&str>, limit: i64) -> Result<Vec<BacklogEvent>>;
    /// The end-of-line results of these units, by unit and oldest first.
    async fn trace_results_of(&self, unit_ids: &[String]) -> Result<Vec<StoredResult>>;
    /// The pack linked to a passport, if any.
    async fn trace_pack_of(&self, passport_id: &str) -> Result<Option<String>>;
    /// The traced packs whose passports belong to a battery model (produced in `year`, UTC, when given): how
    /// many, and their sources summed over them (each [`StoredSource::unit_id`] is the model id).
    async fn trace_model_sources(&self, model_id: &str, year: Option<i32>) -> Result<ModelSources>;
    /// The end-of-line results of the cells of one line tested in `[from, to)` (of one operator's cells when
    /// given), by unit and oldest first.
    async fn trace_line_results(
        &self,
        line: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
        operator: Option<&str>,
    ) -> Result<Vec<StoredResult>>;
    /// First-pass yield per line and UTC day: of the cells whose first test was on that day, how many passed it
    /// (cells tested without a pass/fail verdict are not counted). Oldest day first.
    async fn trace_first_pass_yield(&self, from: OffsetDateTime, operator: Option<&str>) -> Result<Vec<LineDay>>;
    /// The models whose latest version's reason starts with `prefix` (the versions roll-ups wrote).
    async fn models_with_reason_prefix(&self, prefix: &str) -> Result<Vec<String>>;
    /// How many units of each kind are stored.
    async fn count_trace_units(&self) -> Result<Vec<(UnitKind, i64)>>;
}

/// A stored kind (the schema's CHECK keeps them valid).
pub(crate) fn parse_kind(kind: &str) -> Result<UnitKind> {
    kind.parse().map_err(crate::StoreError::Database)
}
