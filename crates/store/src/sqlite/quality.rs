//! CoAs, incoming-quality decisions and material specifications on SQLite.

use super::{SqliteStore, packing, trust::chain_audit};
use crate::audit::AuditEvent;
use crate::quality::{LATEST_LOT_COAS, lot_coa_head, stored_coa};
use crate::{
    AlarmAck, AlarmFilter, CoaDecision, CoaFilter, CoaWrite, JsonText, LabResultRecord, LotCoaHead, LotKey, NewAlarm,
    NewDecision, ParsedCoa, QualityStore, Result, SeriesId, SpcWrite, StoreError, StoredAlarm, StoredCoa,
    StoredSampling, StoredSeries, StoredSpec, UntestedLot,
};
use async_trait::async_trait;
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;

/// The CoA columns and its latest decision's (prefixed `d_`).
const COA_SELECT: &str = "SELECT c.id, c.supplier_id, c.material_id, c.lot_number, c.revision, c.content_hash,
        c.media_type, c.parsed, c.packing, c.actor_id, c.received_at, d.coa_id AS d_coa_id, d.seq AS d_seq,
        d.outcome AS d_outcome, d.reasons AS d_reasons, d.spec_material AS d_spec_material,
        d.spec_version AS d_spec_version, d.decided_by AS d_decided_by, d.decided_at AS d_decided_at,
        d.override_reason AS d_override_reason
    FROM coas c LEFT JOIN coa_decisions d
        ON d.coa_id = c.id AND d.seq = (SELECT MAX(x.seq) FROM coa_decisions x WHERE x.coa_id = c.id)
    WHERE 1 = 1";

/// JSON text of a value. serde_json's writer: a `Value`'s `Display` goes through `fmt` and is slower.
fn json(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Database(format!("stored {what} is not JSON: {e}")))
}

fn decision_from(row: &SqliteRow, prefix: &str) -> Result<CoaDecision> {
    let col = |name: &str| format!("{prefix}{name}");
    let reasons: String = row.try_get(col("reasons").as_str())?;
    Ok(CoaDecision {
        coa_id: row.try_get(col("coa_id").as_str())?,
        seq: row.try_get(col("seq").as_str())?,
        outcome: row.try_get(col("outcome").as_str())?,
        reasons: json(&reasons, "decision reasons")?,
        spec_material: row.try_get(col("spec_material").as_str())?,
        spec_version: row.try_get(col("spec_version").as_str())?,
        decided_by: row.try_get(col("decided_by").as_str())?,
        decided_at: row.try_get(col("decided_at").as_str())?,
        override_reason: row.try_get(col("override_reason").as_str())?,
    })
}

fn coa_from(row: &SqliteRow) -> Result<StoredCoa> {
    let parsed = packing::parsed_of(row)?;
    let seq: Option<i64> = row.try_get("d_seq")?;
    Ok(StoredCoa {
        id: row.try_get("id")?,
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        lot_number: row.try_get("lot_number")?,
        revision: row.try_get("revision")?,
        content_hash: row.try_get("content_hash")?,
        media_type: row.try_get("media_type")?,
        parsed: parsed
            .map(JsonText::from_text)
            .transpose()
            .map_err(|e| StoreError::Database(format!("stored CoA is not JSON: {e}")))?,
        actor_id: row.try_get("actor_id")?,
        received_at: row.try_get("received_at")?,
        decision: seq.map(|_| decision_from(row, "d_")).transpose()?,
    })
}

fn parsed_coa_from(row: &SqliteRow) -> Result<ParsedCoa> {
    Ok(ParsedCoa {
        id: row.try_get("id")?,
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        lot_number: row.try_get("lot_number")?,
        revision: row.try_get("revision")?,
        received_at: row.try_get("received_at")?,
        parsed: packing::parsed_of(row)?,
    })
}

fn spec_from(row: &SqliteRow) -> Result<StoredSpec> {
    let supplier: String = row.try_get("supplier_key")?;
    let spec: String = row.try_get("spec")?;
    Ok(StoredSpec {
        material_id: row.try_get("material_id")?,
        supplier_id: (!supplier.is_empty()).then_some(supplier),
        version: row.try_get("version")?,
        spec: json(&spec, "specification")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

async fn insert_decision(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    coa_id: &str,
    seq: i64,
    decision: &NewDecision,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO coa_decisions (coa_id, seq, outcome, reasons, spec_material, spec_version, decided_by,
             decided_at, override_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(coa_id)
    .bind(seq)
    .bind(&decision.outcome)
    .bind(decision.reasons.to_string())
    .bind(&decision.spec_material)
    .bind(decision.spec_version)
    .bind(&decision.decided_by)
    .bind(decision.decided_at)
    .bind(&decision.override_reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl QualityStore for SqliteStore {
    async fn insert_coas(&self, mut coas: Vec<CoaWrite>, spc: SpcWrite) -> Result<Vec<StoredCoa>> {
        let Some(first) = coas.first() else { return Ok(Vec::new()) };
        let at = first.coa.received_at;
        // Packed before the transaction, so the writer is held only to write; the original is dropped once packed.
        let packed: Vec<(Vec<u8>, Option<Vec<u8>>)> = coas
            .iter_mut()
            .map(|w| {
                let original = packing::pack(&std::mem::take(&mut w.coa.original));
                (original, w.coa.parsed.as_ref().map(|parsed| packing::pack(parsed.get().as_bytes())))
            })
            .collect();
        let mut tx = self.writer.begin().await?;
        let revisions = next_revisions(&mut tx, &coas).await?;
        // Multi-row statements: a batch of 500 CoAs is a handful of round trips to the database, not thousands.
        let mut packed = packed.into_iter();
        for (chunk, revs) in coas.chunks(ROWS_PER_INSERT).zip(revisions.chunks(ROWS_PER_INSERT)) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO coas (id, supplier_id, material_id, lot_number, revision, content_hash, media_type, \
                 original, parsed, packing, actor_id, received_at) ",
            );
            // The packed bytes move into their bound values (bound by reference, SQLite's driver would copy them).
            insert.push_values(chunk.iter().zip(revs).zip(packed.by_ref()), |mut row, ((w, revision), bytes)| {
                row.push_bind(&w.coa.id)
                    .push_bind(&w.coa.supplier_id)
                    .push_bind(&w.coa.material_id)
                    .push_bind(&w.coa.lot_number)
                    .push_bind(*revision)
                    .push_bind(&w.coa.content_hash)
                    .push_bind(&w.coa.media_type)
                    .push_bind(bytes.0)
                    .push_bind(bytes.1)
                    .push_bind(packing::LZ4)
                    .push_bind(&w.coa.actor_id)
                    .push_bind(w.coa.received_at);
            });
            insert.build().execute(&mut *tx).await?;
            let mut decisions = QueryBuilder::<Sqlite>::new(
                "INSERT INTO coa_decisions (coa_id, seq, outcome, reasons, spec_material, spec_version, decided_by, \
                 decided_at, override_reason) ",
            );
            decisions.push_values(chunk, |mut row, w| {
                row.push_bind(&w.coa.id)
                    .push_bind(1i64)
                    .push_bind(&w.decision.outcome)
                    .push_bind(w.decision.reasons.to_string())
                    .push_bind(&w.decision.spec_material)
                    .push_bind(w.decision.spec_version)
                    .push_bind(&w.decision.decided_by)
                    .push_bind(w.decision.decided_at)
                    .push_bind(&w.decision.override_reason);
            });
            decisions.build().execute(&mut *tx).await?;
        }
        let (stored, events): (Vec<StoredCoa>, Vec<AuditEvent>) =
            coas.into_iter().zip(revisions).map(|(w, revision)| stored_coa(w, revision)).unzip();
        write_all_series(&mut tx, &spc.series).await?;
        insert_alarms(&mut tx, &spc.alarms).await?;
        for sampling in &spc.sampling {
            write_sampling(&mut tx, sampling).await?;
        }
        chain_audit(&mut tx, events, at).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn coa(&self, id: &str) -> Result<Option<StoredCoa>> {
        let query = format!("{COA_SELECT} AND c.id = ?1");
        let row = sqlx::query(sqlx::AssertSqlSafe(query)).bind(id).fetch_optional(&self.reader).await?;
        row.as_ref().map(coa_from).transpose()
    }

    async fn coa_original(&self, id: &str) -> Result<Option<(String, Vec<u8>)>> {
        let row = sqlx::query("SELECT media_type, original, packing FROM coas WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((r.try_get("media_type")?, packing::original_of(&r)?))).transpose()
    }

    async fn coas(&self, filter: &CoaFilter, after: Option<&str>, limit: i64) -> Result<Vec<StoredCoa>> {
        let mut query = QueryBuilder::<Sqlite>::new(COA_SELECT);
        if let Some(supplier) = &filter.supplier {
            query.push(" AND c.supplier_id = ").push_bind(supplier.clone());
        }
        if let Some(material) = &filter.material {
            query.push(" AND c.material_id = ").push_bind(material.clone());
        }
        if let Some(lot) = &filter.lot {
            query.push(" AND c.lot_number = ").push_bind(lot.clone());
        }
        if let Some(outcome) = &filter.outcome {
            query.push(" AND d.outcome = ").push_bind(outcome.clone());
        }
        if let Some(after) = after {
            query.push(" AND c.id > ").push_bind(after.to_string());
        }
        query.push(" ORDER BY c.id LIMIT ").push_bind(limit);
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(coa_from).collect()
    }

    async fn parsed_coas(
        &self,
        supplier_id: Option<&str>,
        material_id: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ParsedCoa>> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT id, supplier_id, material_id, lot_number, revision, received_at, parsed, packing FROM coas WHERE 1 = 1",
        );
        if let Some(supplier) = supplier_id {
            query.push(" AND supplier_id = ").push_bind(supplier.to_string());
        }
        if let Some(material) = material_id {
            query.push(" AND material_id = ").push_bind(material.to_string());
        }
        if let Some(after) = after {
            query.push(" AND id > ").push_bind(after.to_string());
        }
        query.push(" ORDER BY id LIMIT ").push_bind(limit);
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(parsed_coa_from).collect()
    }

    async fn latest_lot_coas(&self, lots: &[LotKey]) -> Result<Vec<LotCoaHead>> {
        let mut heads = Vec::new();
        for chunk in lots.chunks(ROWS_PER_INSERT) {
            let mut query = QueryBuilder::<Sqlite>::new("WITH wanted(supplier_id, material_id, lot_number) AS (");
            query.push_values(chunk, |mut row, lot| {
                row.push_bind(&lot.supplier_id).push_bind(&lot.material_id).push_bind(&lot.lot_number);
            });
            query.push(")").push(LATEST_LOT_COAS);
            for row in query.build().fetch_all(&self.reader).await? {
                heads.push(lot_coa_head(&row)?);
            }
        }
        Ok(heads)
    }

    async fn coa_revisions(&self, supplier_id: &str, material_id: &str, lot_number: &str) -> Result<Vec<StoredCoa>> {
        let query = format!(
            "{COA_SELECT} AND c.supplier_id = ?1 AND c.material_id = ?2 AND c.lot_number = ?3 ORDER BY c.revision"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(query))
            .bind(supplier_id)
            .bind(material_id)
            .bind(lot_number)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(coa_from).collect()
    }

    async fn coa_decisions(&self, coa_id: &str) -> Result<Vec<CoaDecision>> {
        let rows = sqlx::query("SELECT * FROM coa_decisions WHERE coa_id = ?1 ORDER BY seq")
            .bind(coa_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|r| decision_from(r, "")).collect()
    }

    async fn add_decision(&self, coa_id: &str, decision: NewDecision, event: AuditEvent) -> Result<CoaDecision> {
        let mut tx = self.writer.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM coas WHERE id = ?1").bind(coa_id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::NotFound { kind: "CoA", id: coa_id.to_string() });
        }
        let seq: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM coa_decisions WHERE coa_id = ?1")
            .bind(coa_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("next")?;
        insert_decision(&mut tx, coa_id, seq, &decision).await?;
        chain_audit(&mut tx, vec![event], decision.decided_at).await?;
        tx.commit().await?;
        let row = sqlx::query("SELECT * FROM coa_decisions WHERE coa_id = ?1 AND seq = ?2")
            .bind(coa_id)
            .bind(seq)
            .fetch_one(&self.reader)
            .await?;
        decision_from(&row, "")
    }

    async fn put_spec(&self, spec: &StoredSpec, event: AuditEvent) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "INSERT INTO material_specs (material_id, supplier_key, version, spec, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        )
        .bind(&spec.material_id)
        .bind(spec.supplier_id.as_deref().unwrap_or(""))
        .bind(spec.version)
        .bind(spec.spec.to_string())
        .bind(&spec.created_by)
        .bind(spec.created_at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        chain_audit(&mut tx, vec![event], spec.created_at).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn specs(&self, material_id: Option<&str>) -> Result<Vec<StoredSpec>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM material_specs WHERE 1 = 1");
        if let Some(material) = material_id {
            query.push(" AND material_id = ").push_bind(material.to_string());
        }
        query.push(" ORDER BY material_id, supplier_key, version");
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(spec_from).collect()
    }

    async fn documents(&self, supplier_id: &str, material_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT lot_number, content_hash FROM coas
             WHERE supplier_id = ?1 AND material_id = ?2 AND media_type = 'application/pdf' ORDER BY id",
        )
        .bind(supplier_id)
        .bind(material_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("lot_number")?, r.try_get("content_hash")?))).collect()
    }

    async fn coa_suppliers(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT supplier_id, COUNT(*) AS n FROM coas GROUP BY supplier_id ORDER BY supplier_id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("supplier_id")?, r.try_get("n")?))).collect()
    }

    async fn series(&self, supplier_id: Option<&str>, material_id: Option<&str>) -> Result<Vec<StoredSeries>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM spc_series WHERE 1 = 1");
        if let Some(supplier) = supplier_id {
            query.push(" AND supplier_id = ").push_bind(supplier.to_string());
        }
        if let Some(material) = material_id {
            query.push(" AND material_id = ").push_bind(material.to_string());
        }
        query.push(" ORDER BY supplier_id, material_id, characteristic");
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(series_from).collect()
    }

    async fn replace_spc(&self, series: Vec<StoredSeries>, alarms: Vec<NewAlarm>, event: AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let mut versions = HashMap::new();
        for row in sqlx::query("SELECT supplier_id, material_id, characteristic, version FROM spc_series")
            .fetch_all(&mut *tx)
            .await?
        {
            let id = SeriesId {
                supplier_id: row.try_get("supplier_id")?,
                material_id: row.try_get("material_id")?,
                characteristic: row.try_get("characteristic")?,
            };
            versions.insert(id, row.try_get::<i64, _>("version")?);
        }
        sqlx::query("DELETE FROM spc_series").execute(&mut *tx).await?;
        for mut s in series {
            // Versions continue, so a writer holding a state read before the recompute conflicts.
            s.version = versions.get(&s.id).copied().unwrap_or(0);
            sqlx::query(
                "INSERT INTO spc_series (supplier_id, material_id, characteristic, state, version, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(&s.id.supplier_id)
            .bind(&s.id.material_id)
            .bind(&s.id.characteristic)
            .bind(s.state.to_string())
            .bind(s.version + 1)
            .bind(s.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        insert_alarms(&mut tx, &alarms).await?;
        chain_audit(&mut tx, vec![event], time::OffsetDateTime::now_utc()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn alarms(&self, filter: &AlarmFilter, after: Option<&str>, limit: i64) -> Result<Vec<StoredAlarm>> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT a.*, k.actor_id AS k_actor_id, k.reason AS k_reason, k.acknowledged_at AS k_acknowledged_at
             FROM spc_alarms a LEFT JOIN spc_alarm_acks k ON k.alarm_id = a.id WHERE 1 = 1",
        );
        if let Some(supplier) = &filter.supplier {
            query.push(" AND a.supplier_id = ").push_bind(supplier.clone());
        }
        if let Some(material) = &filter.material {
            query.push(" AND a.material_id = ").push_bind(material.clone());
        }
        if let Some(characteristic) = &filter.characteristic {
            query.push(" AND a.characteristic = ").push_bind(characteristic.clone());
        }
        match filter.open {
            Some(true) => query.push(" AND k.alarm_id IS NULL"),
            Some(false) => query.push(" AND k.alarm_id IS NOT NULL"),
            None => &mut query,
        };
        if let Some(after) = after {
            query.push(" AND a.id > ").push_bind(after.to_string());
        }
        query.push(" ORDER BY a.id LIMIT ").push_bind(limit);
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(alarm_from).collect()
    }

    async fn acknowledge_alarm(&self, id: &str, ack: AlarmAck, event: AuditEvent) -> Result<StoredAlarm> {
        let mut tx = self.writer.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM spc_alarms WHERE id = ?1").bind(id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::NotFound { kind: "alarm", id: id.to_string() });
        }
        let done = sqlx::query(
            "INSERT INTO spc_alarm_acks (alarm_id, actor_id, reason, acknowledged_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&ack.actor_id)
        .bind(&ack.reason)
        .bind(ack.acknowledged_at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("alarm {id} is acknowledged already")));
        }
        chain_audit(&mut tx, vec![event], ack.acknowledged_at).await?;
        tx.commit().await?;
        let row = sqlx::query(
            "SELECT a.*, k.actor_id AS k_actor_id, k.reason AS k_reason, k.acknowledged_at AS k_acknowledged_at
             FROM spc_alarms a LEFT JOIN spc_alarm_acks k ON k.alarm_id = a.id WHERE a.id = ?1",
        )
        .bind(id)
        .fetch_one(&self.reader)
        .await?;
        alarm_from(&row)
    }

    async fn sampling(&self, supplier_id: Option<&str>, material_id: Option<&str>) -> Result<Vec<StoredSampling>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM sampling_states WHERE 1 = 1");
        if let Some(supplier) = supplier_id {
            query.push(" AND supplier_id = ").push_bind(supplier.to_string());
        }
        if let Some(material) = material_id {
            query.push(" AND material_id = ").push_bind(material.to_string());
        }
        query.push(" ORDER BY supplier_id, material_id");
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(sampling_from).collect()
    }

    async fn put_sampling(&self, sampling: StoredSampling, event: AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        write_sampling(&mut tx, &sampling).await?;
        chain_audit(&mut tx, vec![event], sampling.updated_at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_lab_result(
        &self,
        lab: LabResultRecord,
        sampling: Option<StoredSampling>,
        event: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM coas WHERE id = ?1").bind(&lab.coa_id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::NotFound { kind: "CoA", id: lab.coa_id.clone() });
        }
        sqlx::query(
            "INSERT INTO lab_results (id, coa_id, supplier_id, material_id, lot_number, results, agreement, agrees,
                 entered_by, entered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(&lab.id)
        .bind(&lab.coa_id)
        .bind(&lab.supplier_id)
        .bind(&lab.material_id)
        .bind(&lab.lot_number)
        .bind(lab.results.to_string())
        .bind(lab.agreement.to_string())
        .bind(lab.agrees)
        .bind(&lab.entered_by)
        .bind(lab.entered_at)
        .execute(&mut *tx)
        .await?;
        if let Some(sampling) = &sampling {
            write_sampling(&mut tx, sampling).await?;
        }
        chain_audit(&mut tx, vec![event], lab.entered_at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn untested_lots(&self, supplier_id: &str, material_id: &str) -> Result<Vec<UntestedLot>> {
        let rows = sqlx::query(
            "SELECT c.id, c.lot_number, d.reasons FROM coas c
             LEFT JOIN coa_decisions d ON d.coa_id = c.id AND d.seq = 1
             WHERE c.supplier_id = ?1 AND c.material_id = ?2
                 AND NOT EXISTS (SELECT 1 FROM lab_results l WHERE l.coa_id = c.id)
             ORDER BY c.id",
        )
        .bind(supplier_id)
        .bind(material_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let reasons: Option<String> = r.try_get("reasons")?;
                let first_reasons = reasons.as_deref().map(|t| json(t, "decision reasons")).transpose()?;
                Ok(UntestedLot {
                    coa_id: r.try_get("id")?,
                    lot_number: r.try_get("lot_number")?,
                    first_reasons: first_reasons.unwrap_or(Value::Null),
                })
            })
            .collect()
    }

    async fn lab_results(&self, coa_id: &str) -> Result<Vec<LabResultRecord>> {
        let rows = sqlx::query("SELECT * FROM lab_results WHERE coa_id = ?1 ORDER BY id")
            .bind(coa_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(lab_from).collect()
    }
}

/// Inserts a new skip-lot state (read at version 0) or updates it from the version it was read at.
async fn write_sampling(tx: &mut sqlx::Transaction<'_, Sqlite>, sampling: &StoredSampling) -> Result<()> {
    let done = if sampling.version == 0 {
        sqlx::query(
            "INSERT INTO sampling_states (supplier_id, material_id, state, version, updated_at)
             VALUES (?1, ?2, ?3, 1, ?4) ON CONFLICT DO NOTHING",
        )
        .bind(&sampling.supplier_id)
        .bind(&sampling.material_id)
        .bind(sampling.state.to_string())
        .bind(sampling.updated_at)
        .execute(&mut **tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE sampling_states SET state = ?3, version = version + 1, updated_at = ?4
             WHERE supplier_id = ?1 AND material_id = ?2 AND version = ?5",
        )
        .bind(&sampling.supplier_id)
        .bind(&sampling.material_id)
        .bind(sampling.state.to_string())
        .bind(sampling.updated_at)
        .bind(sampling.version)
        .execute(&mut **tx)
        .await?
    };
    if done.rows_affected() == 0 {
        let current: Option<i64> =
            sqlx::query_scalar("SELECT version FROM sampling_states WHERE supplier_id = ?1 AND material_id = ?2")
                .bind(&sampling.supplier_id)
                .bind(&sampling.material_id)
                .fetch_optional(&mut **tx)
                .await?;
        return Err(StoreError::VersionConflict {
            kind: "sampling state",
            id: format!("{}/{}", sampling.supplier_id, sampling.material_id),
            expected: sampling.version,
            current: current.unwrap_or(0),
        });
    }
    Ok(())
}

fn sampling_from(row: &SqliteRow) -> Result<StoredSampling> {
    Ok(StoredSampling {
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        state: {
            let v: String = row.try_get("state")?;
            json(&v, "sampling state")?
        },
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn lab_from(row: &SqliteRow) -> Result<LabResultRecord> {
    Ok(LabResultRecord {
        id: row.try_get("id")?,
        coa_id: row.try_get("coa_id")?,
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        lot_number: row.try_get("lot_number")?,
        results: {
            let v: String = row.try_get("results")?;
            json(&v, "lab results")?
        },
        agreement: {
            let v: String = row.try_get("agreement")?;
            json(&v, "lab agreement")?
        },
        agrees: row.try_get("agrees")?,
        entered_by: row.try_get("entered_by")?,
        entered_at: row.try_get("entered_at")?,
    })
}

/// Records alarms in multi-row inserts, each unless the same (CoA, characteristic, rule) was raised before.
async fn insert_alarms(tx: &mut sqlx::Transaction<'_, Sqlite>, alarms: &[NewAlarm]) -> Result<()> {
    for chunk in alarms.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO spc_alarms (id, supplier_id, material_id, characteristic, coa_id, lot_number, \
             manufactured_on, rule, detail, value, raised_at) ",
        );
        insert.push_values(chunk, |mut row, a| {
            row.push_bind(&a.id)
                .push_bind(&a.series.supplier_id)
                .push_bind(&a.series.material_id)
                .push_bind(&a.series.characteristic)
                .push_bind(&a.coa_id)
                .push_bind(&a.lot_number)
                .push_bind(a.manufactured_on)
                .push_bind(&a.rule)
                .push_bind(&a.detail)
                .push_bind(a.value)
                .push_bind(a.raised_at);
        });
        insert.push(" ON CONFLICT DO NOTHING");
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

fn series_from(row: &SqliteRow) -> Result<StoredSeries> {
    let state: String = row.try_get("state")?;
    Ok(StoredSeries {
        id: SeriesId {
            supplier_id: row.try_get("supplier_id")?,
            material_id: row.try_get("material_id")?,
            characteristic: row.try_get("characteristic")?,
        },
        state: json(&state, "SPC state")?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn alarm_from(row: &SqliteRow) -> Result<StoredAlarm> {
    let ack_actor: Option<String> = row.try_get("k_actor_id")?;
    let acknowledged = match ack_actor {
        Some(actor_id) => Some(AlarmAck {
            actor_id,
            reason: row.try_get("k_reason")?,
            acknowledged_at: row.try_get("k_acknowledged_at")?,
        }),
        None => None,
    };
    Ok(StoredAlarm {
        alarm: NewAlarm {
            id: row.try_get("id")?,
            series: SeriesId {
                supplier_id: row.try_get("supplier_id")?,
                material_id: row.try_get("material_id")?,
                characteristic: row.try_get("characteristic")?,
            },
            coa_id: row.try_get("coa_id")?,
            lot_number: row.try_get("lot_number")?,
            manufactured_on: row.try_get("manufactured_on")?,
            rule: row.try_get("rule")?,
            detail: row.try_get("detail")?,
            value: row.try_get("value")?,
            raised_at: row.try_get("raised_at")?,
        },
        acknowledged,
    })
}

/// Rows per multi-row INSERT (11 columns: well below either backend's limit on bound parameters).
const ROWS_PER_INSERT: usize = 400;

/// The revision each CoA of a batch takes: one more than its lot's latest, counting earlier CoAs of the batch
/// for the same lot. One query per supplier-material of the batch.
async fn next_revisions(tx: &mut sqlx::Transaction<'_, Sqlite>, coas: &[CoaWrite]) -> Result<Vec<i64>> {
    let mut lots_by_pair: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
    for w in coas {
        lots_by_pair.entry((&w.coa.supplier_id, &w.coa.material_id)).or_default().push(&w.coa.lot_number);
    }
    let mut latest: HashMap<(String, String, String), i64> = HashMap::new();
    for ((supplier, material), lots) in lots_by_pair {
        for chunk in lots.chunks(ROWS_PER_INSERT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT lot_number, MAX(revision) AS latest FROM coas WHERE supplier_id = ",
            );
            query.push_bind(supplier).push(" AND material_id = ").push_bind(material).push(" AND lot_number IN (");
            let mut separated = query.separated(", ");
            for lot in chunk {
                separated.push_bind(*lot);
            }
            query.push(") GROUP BY lot_number");
            for row in query.build().fetch_all(&mut **tx).await? {
                let lot: String = row.try_get("lot_number")?;
                latest.insert((supplier.to_string(), material.to_string(), lot), row.try_get("latest")?);
            }
        }
    }
    Ok(coas
        .iter()
        .map(|w| {
            let key = (w.coa.supplier_id.clone(), w.coa.material_id.clone(), w.coa.lot_number.clone());
            let revision = latest.get(&key).copied().unwrap_or(0) + 1;
            latest.insert(key, revision);
            revision
        })
        .collect())
}

/// Writes series states in multi-row upserts: a new series (read at version 0) is inserted at version 1,
/// a known one updated only from the version it was read at. `VersionConflict` when any row was not
/// written (another writer was first), naming the first such series.
async fn write_all_series(tx: &mut sqlx::Transaction<'_, Sqlite>, series: &[StoredSeries]) -> Result<()> {
    for chunk in series.chunks(ROWS_PER_INSERT) {
        let mut upsert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO spc_series (supplier_id, material_id, characteristic, state, version, updated_at) ",
        );
        upsert.push_values(chunk, |mut row, s| {
            row.push_bind(&s.id.supplier_id)
                .push_bind(&s.id.material_id)
                .push_bind(&s.id.characteristic)
                .push_bind(s.state.to_string())
                .push_bind(s.version + 1)
                .push_bind(s.updated_at);
        });
        upsert.push(
            " ON CONFLICT (supplier_id, material_id, characteristic) DO UPDATE SET state = excluded.state, \
             version = excluded.version, updated_at = excluded.updated_at \
             WHERE spc_series.version = excluded.version - 1",
        );
        upsert.push(" RETURNING supplier_id, material_id, characteristic");
        let mut written = std::collections::HashSet::new();
        for row in upsert.build().fetch_all(&mut **tx).await? {
            let id: (String, String, String) =
                (row.try_get("supplier_id")?, row.try_get("material_id")?, row.try_get("characteristic")?);
            written.insert(id);
        }
        // A row not written: another writer was first (rare); name it.
        let missed = chunk.iter().find(|s| {
            !written.contains(&(s.id.supplier_id.clone(), s.id.material_id.clone(), s.id.characteristic.clone()))
        });
        if let Some(s) = missed {
            let current: Option<i64> = sqlx::query_scalar(
                "SELECT version FROM spc_series WHERE supplier_id = ?1 AND material_id = ?2 AND characteristic = ?3",
            )
            .bind(&s.id.supplier_id)
            .bind(&s.id.material_id)
            .bind(&s.id.characteristic)
            .fetch_optional(&mut **tx)
            .await?;
            return Err(StoreError::VersionConflict {
                kind: "SPC series",
                id: format!("{}/{}/{}", s.id.supplier_id, s.id.material_id, s.id.characteristic),
                expected: s.version,
                current: current.unwrap_or(0),
            });
        }
    }
    Ok(())
}
