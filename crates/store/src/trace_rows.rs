//! The genealogy tables row by row, as a backup archives them and a restore puts them back: the stored
//! columns and nothing else, so a restored store holds the very units, edges, shortcuts, running totals,
//! applied event ids and backlog the old one held.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use trace::UnitKind;

use crate::Result;
use crate::quality_rows::{KeyValue, Keyed};
use crate::trace::{BacklogEvent, StoredEdge, StoredResult, StoredSource};

/// A unit as stored (without the usage joined in for reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceUnitRow {
    pub id: String,
    pub kind: UnitKind,
    pub unit_type: Option<String>,
    pub model: Option<String>,
    pub line: Option<String>,
    pub station: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub produced_at: Option<OffsetDateTime>,
    pub quantity: Option<f64>,
    pub base_uom: Option<String>,
    pub supplier_id: Option<String>,
    pub material_id: Option<String>,
    pub lot_number: Option<String>,
    pub passport_id: Option<String>,
    pub cell_count: Option<i64>,
    pub attributes: Option<Value>,
    pub operator: Option<String>,
    pub event_id: String,
    pub created_by: String,
}

/// What has been taken from a lot or batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceUsageRow {
    pub unit_id: String,
    pub used: f64,
    pub base_uom: Option<String>,
    pub consumers: i64,
    pub cells: i64,
}

/// An applied event id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceEventRow {
    pub event_id: String,
    pub unit_id: String,
    pub kind: String,
    pub actor_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub applied_at: OffsetDateTime,
}

/// Genealogy in backups: each table a page at a time in key order, and back as given (no audit events: the
/// audit log is restored as it was).
#[async_trait]
pub trait TraceBackupStore {
    async fn trace_unit_rows_after(&self, after: Option<&TraceUnitRow>, limit: i64) -> Result<Vec<TraceUnitRow>>;
    async fn trace_edge_rows_after(&self, after: Option<&StoredEdge>, limit: i64) -> Result<Vec<StoredEdge>>;
    async fn trace_usage_rows_after(&self, after: Option<&TraceUsageRow>, limit: i64) -> Result<Vec<TraceUsageRow>>;
    async fn trace_source_rows_after(&self, after: Option<&StoredSource>, limit: i64) -> Result<Vec<StoredSource>>;
    async fn trace_event_rows_after(&self, after: Option<&TraceEventRow>, limit: i64) -> Result<Vec<TraceEventRow>>;
    async fn trace_backlog_rows_after(&self, after: Option<&BacklogEvent>, limit: i64) -> Result<Vec<BacklogEvent>>;
    async fn trace_result_rows_after(&self, after: Option<&StoredResult>, limit: i64) -> Result<Vec<StoredResult>>;
    async fn restore_trace_units(&self, rows: &[TraceUnitRow]) -> Result<()>;
    async fn restore_trace_edges(&self, rows: &[StoredEdge]) -> Result<()>;
    async fn restore_trace_usage(&self, rows: &[TraceUsageRow]) -> Result<()>;
    async fn restore_trace_sources(&self, rows: &[StoredSource]) -> Result<()>;
    async fn restore_trace_events(&self, rows: &[TraceEventRow]) -> Result<()>;
    async fn restore_trace_backlog(&self, rows: &[BacklogEvent]) -> Result<()>;
    async fn restore_trace_results(&self, rows: &[StoredResult]) -> Result<()>;
}

fn text(s: &str) -> KeyValue {
    KeyValue::Text(s.to_string())
}

impl Keyed for TraceUnitRow {
    const TABLE: &'static str = "trace_units";
    const KEY: &'static str = "id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.id)]
    }
}

impl Keyed for StoredEdge {
    const TABLE: &'static str = "trace_edges";
    const KEY: &'static str = "input_id, output_id, event_id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.input_id), text(&self.output_id), text(&self.event_id)]
    }
}

impl Keyed for TraceUsageRow {
    const TABLE: &'static str = "trace_usage";
    const KEY: &'static str = "unit_id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.unit_id)]
    }
}

impl Keyed for StoredSource {
    const TABLE: &'static str = "trace_sources";
    const KEY: &'static str = "source_id, unit_id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.source_id), text(&self.unit_id)]
    }
}

impl Keyed for TraceEventRow {
    const TABLE: &'static str = "trace_events";
    const KEY: &'static str = "event_id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.event_id)]
    }
}

impl Keyed for BacklogEvent {
    const TABLE: &'static str = "trace_backlog";
    const KEY: &'static str = "event_id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.event_id)]
    }
}

impl Keyed for StoredResult {
    const TABLE: &'static str = "trace_results";
    const KEY: &'static str = "event_id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.event_id)]
    }
}
