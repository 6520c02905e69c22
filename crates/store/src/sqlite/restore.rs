//! Backup reads and raw restore inserts on SQLite.

use super::{INSERT_CHUNK, SqliteStore, actor_from, packing};
use crate::quality_rows::{KeyValue, Keyed, check_originals};
use crate::restore::{ActorRecord, RestoreStore, SignedVersion};
use crate::{
    AuditCheckpoint, AuditEntry, CoaDecisionRow, CoaRow, Grant, IssuerKeyRecord, LabResultRow, MaterialSpecRow,
    ModelVersion, PassportHead, Reading, Result, SamplingStateRow, SpcAlarmAckRow, SpcAlarmRow, SpcSeriesRow,
    StoreError,
};
use async_trait::async_trait;
use passport::hash::canonical_json;
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

/// Every table a restore writes to (and `api_keys` / `rejected_readings`, which it does not, but which make a
/// store non-empty all the same).
const TABLES: [&str; 32] = [
    "actors",
    "api_keys",
    "model_versions",
    "passports",
    "passport_versions",
    "version_signatures",
    "readings",
    "rejected_readings",
    "grants",
    "shell_descriptors",
    "issuer_keys",
    "audit_log",
    "audit_checkpoints",
    "coas",
    "coa_decisions",
    "material_specs",
    "spc_series",
    "spc_alarms",
    "spc_alarm_acks",
    "lab_results",
    "sampling_states",
    "trace_units",
    "trace_cells",
    "trace_edges",
    "trace_usage",
    "trace_sources",
    "trace_events",
    "trace_backlog",
    "trace_results",
    "analytics_models",
    "analytics_results",
    "unit_holds",
];

fn reading_from(row: &SqliteRow) -> Result<Reading> {
    Ok(Reading {
        passport_id: row.try_get("passport_id")?,
        metric: row.try_get("metric")?,
        at_ms: row.try_get("at_ms")?,
        source: row.try_get("source")?,
        value: row.try_get("value")?,
        note: row.try_get("note")?,
        actor_id: row.try_get("actor_id")?,
    })
}

/// One keyset page of `T`'s table in its key order, after `after`'s key.
pub(super) async fn page<T: Keyed>(
    store: &SqliteStore,
    after: Option<&T>,
    limit: i64,
    decode: fn(&SqliteRow) -> Result<T>,
) -> Result<Vec<T>> {
    let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT * FROM {}", T::TABLE));
    if let Some(after) = after {
        query.push(format!(" WHERE ({}) > (", T::KEY));
        let mut values = query.separated(", ");
        for value in after.key() {
            match value {
                KeyValue::Text(text) => values.push_bind(text),
                KeyValue::Int(int) => values.push_bind(int),
            };
        }
        query.push(")");
    }
    query.push(format!(" ORDER BY {} LIMIT ", T::KEY)).push_bind(limit);
    let rows = query.build().fetch_all(&store.reader).await?;
    rows.iter().map(decode).collect()
}

/// JSON kept as text.
fn json(row: &SqliteRow, column: &str) -> Result<Value> {
    parse(&row.try_get::<String, _>(column)?, column)
}

fn parse(text: &str, column: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Database(format!("stored {column} is not JSON: {e}")))
}

fn coa_row(row: &SqliteRow) -> Result<CoaRow> {
    let parsed = packing::parsed_of(row)?;
    Ok(CoaRow {
        id: row.try_get("id")?,
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        lot_number: row.try_get("lot_number")?,
        revision: row.try_get("revision")?,
        content_hash: row.try_get("content_hash")?,
        media_type: row.try_get("media_type")?,
        original: packing::original_of(row)?,
        parsed: parsed.as_deref().map(|text| parse(text, "parsed")).transpose()?,
        actor_id: row.try_get("actor_id")?,
        received_at: row.try_get("received_at")?,
    })
}

fn decision_row(row: &SqliteRow) -> Result<CoaDecisionRow> {
    Ok(CoaDecisionRow {
        coa_id: row.try_get("coa_id")?,
        seq: row.try_get("seq")?,
        outcome: row.try_get("outcome")?,
        reasons: json(row, "reasons")?,
        spec_material: row.try_get("spec_material")?,
        spec_version: row.try_get("spec_version")?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get("decided_at")?,
        override_reason: row.try_get("override_reason")?,
    })
}

fn spec_row(row: &SqliteRow) -> Result<MaterialSpecRow> {
    Ok(MaterialSpecRow {
        material_id: row.try_get("material_id")?,
        supplier_key: row.try_get("supplier_key")?,
        version: row.try_get("version")?,
        spec: json(row, "spec")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

fn series_row(row: &SqliteRow) -> Result<SpcSeriesRow> {
    Ok(SpcSeriesRow {
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        characteristic: row.try_get("characteristic")?,
        state: json(row, "state")?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn alarm_row(row: &SqliteRow) -> Result<SpcAlarmRow> {
    Ok(SpcAlarmRow {
        id: row.try_get("id")?,
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        characteristic: row.try_get("characteristic")?,
        coa_id: row.try_get("coa_id")?,
        lot_number: row.try_get("lot_number")?,
        manufactured_on: row.try_get("manufactured_on")?,
        rule: row.try_get("rule")?,
        detail: row.try_get("detail")?,
        value: row.try_get("value")?,
        raised_at: row.try_get("raised_at")?,
    })
}

fn ack_row(row: &SqliteRow) -> Result<SpcAlarmAckRow> {
    Ok(SpcAlarmAckRow {
        alarm_id: row.try_get("alarm_id")?,
        actor_id: row.try_get("actor_id")?,
        reason: row.try_get("reason")?,
        acknowledged_at: row.try_get("acknowledged_at")?,
    })
}

fn lab_result_row(row: &SqliteRow) -> Result<LabResultRow> {
    Ok(LabResultRow {
        id: row.try_get("id")?,
        coa_id: row.try_get("coa_id")?,
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        lot_number: row.try_get("lot_number")?,
        results: json(row, "results")?,
        agreement: json(row, "agreement")?,
        agrees: row.try_get("agrees")?,
        entered_by: row.try_get("entered_by")?,
        entered_at: row.try_get("entered_at")?,
    })
}

fn sampling_state_row(row: &SqliteRow) -> Result<SamplingStateRow> {
    Ok(SamplingStateRow {
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        state: json(row, "state")?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts `rows` in chunks within one transaction, binding each row with `bind`.
macro_rules! insert_chunked {
    ($store:expr, $rows:expr, $head:expr, |$row:ident, $item:ident| $bind:block) => {{
        let mut tx = $store.writer.begin().await?;
        for chunk in $rows.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new($head);
            insert.push_values(chunk, |mut $row, $item| $bind);
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }};
}
pub(super) use insert_chunked;

#[async_trait]
impl RestoreStore for SqliteStore {
    async fn is_empty(&self) -> Result<bool> {
        for table in TABLES {
            let query = format!("SELECT EXISTS (SELECT 1 FROM {table}) AS found");
            let found: bool =
                sqlx::query(sqlx::AssertSqlSafe(query)).fetch_one(&self.reader).await?.try_get("found")?;
            if found {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn actor_records(&self) -> Result<Vec<ActorRecord>> {
        let rows = sqlx::query("SELECT * FROM actors ORDER BY id").fetch_all(&self.reader).await?;
        rows.iter()
            .map(|row| Ok(ActorRecord { actor: actor_from(row)?, created_at: row.try_get("created_at")? }))
            .collect()
    }

    async fn model_ids(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT model_id FROM model_versions ORDER BY model_id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|row| Ok(row.try_get("model_id")?)).collect()
    }

    async fn readings_after(&self, after: Option<&Reading>, limit: i64) -> Result<Vec<Reading>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM readings");
        if let Some(r) = after {
            query
                .push(" WHERE (passport_id, metric, at_ms, source) > (")
                .push_bind(r.passport_id.clone())
                .push(", ")
                .push_bind(r.metric.clone())
                .push(", ")
                .push_bind(r.at_ms)
                .push(", ")
                .push_bind(r.source.clone())
                .push(")");
        }
        query.push(" ORDER BY passport_id, metric, at_ms, source LIMIT ").push_bind(limit);
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(reading_from).collect()
    }

    async fn coa_rows_after(&self, after: Option<&CoaRow>, limit: i64) -> Result<Vec<CoaRow>> {
        page(self, after, limit, coa_row).await
    }

    async fn decision_rows_after(&self, after: Option<&CoaDecisionRow>, limit: i64) -> Result<Vec<CoaDecisionRow>> {
        page(self, after, limit, decision_row).await
    }

    async fn spec_rows_after(&self, after: Option<&MaterialSpecRow>, limit: i64) -> Result<Vec<MaterialSpecRow>> {
        page(self, after, limit, spec_row).await
    }

    async fn series_rows_after(&self, after: Option<&SpcSeriesRow>, limit: i64) -> Result<Vec<SpcSeriesRow>> {
        page(self, after, limit, series_row).await
    }

    async fn alarm_rows_after(&self, after: Option<&SpcAlarmRow>, limit: i64) -> Result<Vec<SpcAlarmRow>> {
        page(self, after, limit, alarm_row).await
    }

    async fn alarm_ack_rows_after(&self, after: Option<&SpcAlarmAckRow>, limit: i64) -> Result<Vec<SpcAlarmAckRow>> {
        page(self, after, limit, ack_row).await
    }

    async fn lab_result_rows_after(&self, after: Option<&LabResultRow>, limit: i64) -> Result<Vec<LabResultRow>> {
        page(self, after, limit, lab_result_row).await
    }

    async fn sampling_state_rows_after(
        &self,
        after: Option<&SamplingStateRow>,
        limit: i64,
    ) -> Result<Vec<SamplingStateRow>> {
        page(self, after, limit, sampling_state_row).await
    }

    async fn restore_actors(&self, actors: &[ActorRecord]) -> Result<()> {
        insert_chunked!(
            self,
            actors,
            "INSERT INTO actors (id, name, role, organisation, subrole, created_at) ",
            |row, r| {
                row.push_bind(&r.actor.id)
                    .push_bind(&r.actor.name)
                    .push_bind(r.actor.role.as_str())
                    .push_bind(&r.actor.organisation)
                    .push_bind(&r.actor.subrole)
                    .push_bind(r.created_at);
            }
        )
    }

    async fn restore_issuer_keys(&self, keys: &[IssuerKeyRecord]) -> Result<()> {
        insert_chunked!(
            self,
            keys,
            "INSERT INTO issuer_keys (key_id, operator, public_multibase, secret_hex, created_at, retired_at) ",
            |row, k| {
                row.push_bind(&k.key_id)
                    .push_bind(&k.operator)
                    .push_bind(&k.public_multibase)
                    .push_bind(&k.secret_hex)
                    .push_bind(k.created_at)
                    .push_bind(k.retired_at);
            }
        )
    }

    async fn restore_models(&self, versions: &[ModelVersion]) -> Result<()> {
        insert_chunked!(
            self,
            versions,
            "INSERT INTO model_versions (model_id, version, document, owner, content_hash, prev_hash, actor_id, reason, created_at) ",
            |row, m| {
                row.push_bind(&m.model_id)
                    .push_bind(m.meta.version)
                    .push_bind(canonical_json(&m.document))
                    .push_bind(&m.owner)
                    .push_bind(&m.meta.content_hash)
                    .push_bind(&m.meta.prev_hash)
                    .push_bind(&m.meta.actor_id)
                    .push_bind(&m.meta.reason)
                    .push_bind(m.meta.created_at);
            }
        )
    }

    async fn restore_passport_versions(&self, versions: &[SignedVersion]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for chunk in versions.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO passport_versions (passport_id, version, model_id, model_version, item, content_hash, prev_hash, actor_id, reason, created_at) ",
            );
            insert.push_values(chunk, |mut row, s| {
                let v = &s.version;
                row.push_bind(&v.passport_id)
                    .push_bind(v.meta.version)
                    .push_bind(&v.model_id)
                    .push_bind(v.model_version)
                    .push_bind(canonical_json(&v.item))
                    .push_bind(&v.meta.content_hash)
                    .push_bind(&v.meta.prev_hash)
                    .push_bind(&v.meta.actor_id)
                    .push_bind(&v.meta.reason)
                    .push_bind(v.meta.created_at);
            });
            insert.build().execute(&mut *tx).await?;
            let signed: Vec<&SignedVersion> = chunk.iter().filter(|s| s.signature.is_some()).collect();
            if signed.is_empty() {
                continue;
            }
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO version_signatures (passport_id, version, key_id, signature) ",
            );
            insert.push_values(signed, |mut row, s| {
                let signature = s.signature.as_ref().expect("filtered to signed versions");
                row.push_bind(&s.version.passport_id)
                    .push_bind(s.version.meta.version)
                    .push_bind(&signature.key_id)
                    .push_bind(&signature.signature);
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn restore_heads(&self, heads: &[PassportHead]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for chunk in heads.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(crate::restore::HEADS_CTE);
            insert.push_values(chunk, |mut row, h| {
                row.push_bind(&h.id)
                    .push_bind(&h.battery_id)
                    .push_bind(&h.model_id)
                    .push_bind(h.model_version)
                    .push_bind(&h.category)
                    .push_bind(&h.status)
                    .push_bind(&h.manufacturer)
                    .push_bind(&h.responsible)
                    .push_bind(h.version)
                    .push_bind(&h.successor_id);
            });
            insert.push(crate::restore::HEADS_INSERT);
            let done = insert.build().execute(&mut *tx).await?;
            if done.rows_affected() != chunk.len() as u64 {
                return Err(StoreError::Invalid(crate::restore::missing_versions_message(chunk)));
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn restore_readings(&self, readings: &[Reading]) -> Result<()> {
        insert_chunked!(
            self,
            readings,
            "INSERT INTO readings (passport_id, metric, at_ms, source, value, note, actor_id) ",
            |row, r| {
                row.push_bind(&r.passport_id)
                    .push_bind(&r.metric)
                    .push_bind(r.at_ms)
                    .push_bind(&r.source)
                    .push_bind(r.value)
                    .push_bind(&r.note)
                    .push_bind(&r.actor_id);
            }
        )
    }

    async fn restore_grants(&self, grants: &[Grant]) -> Result<()> {
        insert_chunked!(
            self,
            grants,
            "INSERT INTO grants (id, grantor, grantee, passports, groups, valid_until, created_by, created_at, revoked_at, revoked_by) ",
            |row, g| {
                row.push_bind(&g.id)
                    .push_bind(&g.grantor)
                    .push_bind(&g.grantee)
                    .push_bind(serde_json::to_string(&g.passports).unwrap_or_default())
                    .push_bind(serde_json::to_string(&g.groups).unwrap_or_default())
                    .push_bind(g.valid_until)
                    .push_bind(&g.created_by)
                    .push_bind(g.created_at)
                    .push_bind(g.revoked_at)
                    .push_bind(&g.revoked_by);
            }
        )
    }

    async fn restore_descriptors(&self, descriptors: &[crate::StoredDescriptor]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for descriptor in descriptors {
            sqlx::query(
                "INSERT INTO shell_descriptors (id, owner, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&descriptor.id)
            .bind(&descriptor.owner)
            .bind(descriptor.body.to_string())
            .bind(descriptor.created_at)
            .bind(descriptor.updated_at)
            .execute(&mut *tx)
            .await?;
            for (name, value) in crate::registry::asset_ids_of(&descriptor.body) {
                sqlx::query("INSERT INTO shell_descriptor_asset_ids (name, value, descriptor_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")
                    .bind(name)
                    .bind(value)
                    .bind(&descriptor.id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn restore_coas(&self, coas: &[CoaRow]) -> Result<()> {
        check_originals(coas)?;
        insert_chunked!(
            self,
            coas,
            "INSERT INTO coas (id, supplier_id, material_id, lot_number, revision, content_hash, media_type, original, parsed, packing, actor_id, received_at) ",
            |row, c| {
                row.push_bind(&c.id)
                    .push_bind(&c.supplier_id)
                    .push_bind(&c.material_id)
                    .push_bind(&c.lot_number)
                    .push_bind(c.revision)
                    .push_bind(&c.content_hash)
                    .push_bind(&c.media_type)
                    .push_bind(packing::pack(&c.original))
                    .push_bind(c.parsed.as_ref().map(|parsed| packing::pack(parsed.to_string().as_bytes())))
                    .push_bind(packing::LZ4)
                    .push_bind(&c.actor_id)
                    .push_bind(c.received_at);
            }
        )
    }

    async fn restore_coa_decisions(&self, decisions: &[CoaDecisionRow]) -> Result<()> {
        insert_chunked!(
            self,
            decisions,
            "INSERT INTO coa_decisions (coa_id, seq, outcome, reasons, spec_material, spec_version, decided_by, decided_at, override_reason) ",
            |row, d| {
                row.push_bind(&d.coa_id)
                    .push_bind(d.seq)
                    .push_bind(&d.outcome)
                    .push_bind(d.reasons.to_string())
                    .push_bind(&d.spec_material)
                    .push_bind(d.spec_version)
                    .push_bind(&d.decided_by)
                    .push_bind(d.decided_at)
                    .push_bind(&d.override_reason);
            }
        )
    }

    async fn restore_specs(&self, specs: &[MaterialSpecRow]) -> Result<()> {
        insert_chunked!(
            self,
            specs,
            "INSERT INTO material_specs (material_id, supplier_key, version, spec, created_by, created_at) ",
            |row, s| {
                row.push_bind(&s.material_id)
                    .push_bind(&s.supplier_key)
                    .push_bind(s.version)
                    .push_bind(s.spec.to_string())
                    .push_bind(&s.created_by)
                    .push_bind(s.created_at);
            }
        )
    }

    async fn restore_spc_series(&self, series: &[SpcSeriesRow]) -> Result<()> {
        insert_chunked!(
            self,
            series,
            "INSERT INTO spc_series (supplier_id, material_id, characteristic, state, version, updated_at) ",
            |row, s| {
                row.push_bind(&s.supplier_id)
                    .push_bind(&s.material_id)
                    .push_bind(&s.characteristic)
                    .push_bind(s.state.to_string())
                    .push_bind(s.version)
                    .push_bind(s.updated_at);
            }
        )
    }

    async fn restore_alarms(&self, alarms: &[SpcAlarmRow]) -> Result<()> {
        insert_chunked!(
            self,
            alarms,
            "INSERT INTO spc_alarms (id, supplier_id, material_id, characteristic, coa_id, lot_number, manufactured_on, rule, detail, value, raised_at) ",
            |row, a| {
                row.push_bind(&a.id)
                    .push_bind(&a.supplier_id)
                    .push_bind(&a.material_id)
                    .push_bind(&a.characteristic)
                    .push_bind(&a.coa_id)
                    .push_bind(&a.lot_number)
                    .push_bind(a.manufactured_on)
                    .push_bind(&a.rule)
                    .push_bind(&a.detail)
                    .push_bind(a.value)
                    .push_bind(a.raised_at);
            }
        )
    }

    async fn restore_alarm_acks(&self, acks: &[SpcAlarmAckRow]) -> Result<()> {
        insert_chunked!(
            self,
            acks,
            "INSERT INTO spc_alarm_acks (alarm_id, actor_id, reason, acknowledged_at) ",
            |row, k| {
                row.push_bind(&k.alarm_id).push_bind(&k.actor_id).push_bind(&k.reason).push_bind(k.acknowledged_at);
            }
        )
    }

    async fn restore_lab_results(&self, results: &[LabResultRow]) -> Result<()> {
        insert_chunked!(
            self,
            results,
            "INSERT INTO lab_results (id, coa_id, supplier_id, material_id, lot_number, results, agreement, agrees, entered_by, entered_at) ",
            |row, l| {
                row.push_bind(&l.id)
                    .push_bind(&l.coa_id)
                    .push_bind(&l.supplier_id)
                    .push_bind(&l.material_id)
                    .push_bind(&l.lot_number)
                    .push_bind(l.results.to_string())
                    .push_bind(l.agreement.to_string())
                    .push_bind(l.agrees)
                    .push_bind(&l.entered_by)
                    .push_bind(l.entered_at);
            }
        )
    }

    async fn restore_sampling_states(&self, states: &[SamplingStateRow]) -> Result<()> {
        insert_chunked!(
            self,
            states,
            "INSERT INTO sampling_states (supplier_id, material_id, state, version, updated_at) ",
            |row, s| {
                row.push_bind(&s.supplier_id)
                    .push_bind(&s.material_id)
                    .push_bind(s.state.to_string())
                    .push_bind(s.version)
                    .push_bind(s.updated_at);
            }
        )
    }

    async fn restore_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        insert_chunked!(
            self,
            entries,
            "INSERT INTO audit_log (seq, at, actor_id, action, subject, detail, prev_hash, hash) ",
            |row, e| {
                row.push_bind(e.seq)
                    .push_bind(e.at)
                    .push_bind(&e.actor_id)
                    .push_bind(&e.action)
                    .push_bind(&e.subject)
                    .push_bind(&e.detail)
                    .push_bind(&e.prev_hash)
                    .push_bind(&e.hash);
            }
        )
    }

    async fn restore_checkpoints(&self, checkpoints: &[AuditCheckpoint]) -> Result<()> {
        insert_chunked!(
            self,
            checkpoints,
            "INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) ",
            |row, c| {
                row.push_bind(c.seq).push_bind(&c.hash).push_bind(c.at).push_bind(&c.key_id).push_bind(&c.signature);
            }
        )
    }
}
