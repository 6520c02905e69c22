//! CoAs, incoming-quality decisions and material specifications on SQLite.

use super::{SqliteStore, trust::chain_audit};
use crate::audit::AuditEvent;
use crate::quality::with_revision;
use crate::{CoaDecision, CoaFilter, NewCoa, NewDecision, QualityStore, Result, StoreError, StoredCoa, StoredSpec};
use async_trait::async_trait;
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

/// The CoA columns and its latest decision's (prefixed `d_`).
const COA_SELECT: &str = "SELECT c.id, c.supplier_id, c.material_id, c.lot_number, c.revision, c.content_hash,
        c.media_type, c.parsed, c.actor_id, c.received_at, d.coa_id AS d_coa_id, d.seq AS d_seq,
        d.outcome AS d_outcome, d.reasons AS d_reasons, d.spec_material AS d_spec_material,
        d.spec_version AS d_spec_version, d.decided_by AS d_decided_by, d.decided_at AS d_decided_at,
        d.override_reason AS d_override_reason
    FROM coas c LEFT JOIN coa_decisions d
        ON d.coa_id = c.id AND d.seq = (SELECT MAX(x.seq) FROM coa_decisions x WHERE x.coa_id = c.id)
    WHERE 1 = 1";

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
    let parsed: Option<String> = row.try_get("parsed")?;
    let seq: Option<i64> = row.try_get("d_seq")?;
    Ok(StoredCoa {
        id: row.try_get("id")?,
        supplier_id: row.try_get("supplier_id")?,
        material_id: row.try_get("material_id")?,
        lot_number: row.try_get("lot_number")?,
        revision: row.try_get("revision")?,
        content_hash: row.try_get("content_hash")?,
        media_type: row.try_get("media_type")?,
        parsed: parsed.as_deref().map(|p| json(p, "CoA")).transpose()?,
        actor_id: row.try_get("actor_id")?,
        received_at: row.try_get("received_at")?,
        decision: seq.map(|_| decision_from(row, "d_")).transpose()?,
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
    async fn insert_coa(&self, new: NewCoa, decision: NewDecision, event: AuditEvent) -> Result<StoredCoa> {
        let mut tx = self.writer.begin().await?;
        let revision: i64 = sqlx::query(
            "SELECT COALESCE(MAX(revision), 0) + 1 AS next FROM coas
             WHERE supplier_id = ?1 AND material_id = ?2 AND lot_number = ?3",
        )
        .bind(&new.supplier_id)
        .bind(&new.material_id)
        .bind(&new.lot_number)
        .fetch_one(&mut *tx)
        .await?
        .try_get("next")?;
        sqlx::query(
            "INSERT INTO coas (id, supplier_id, material_id, lot_number, revision, content_hash, media_type,
                 original, parsed, actor_id, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .bind(&new.id)
        .bind(&new.supplier_id)
        .bind(&new.material_id)
        .bind(&new.lot_number)
        .bind(revision)
        .bind(&new.content_hash)
        .bind(&new.media_type)
        .bind(&new.original)
        .bind(new.parsed.as_ref().map(Value::to_string))
        .bind(&new.actor_id)
        .bind(new.received_at)
        .execute(&mut *tx)
        .await?;
        insert_decision(&mut tx, &new.id, 1, &decision).await?;
        chain_audit(&mut tx, vec![with_revision(event, revision)], new.received_at).await?;
        tx.commit().await?;
        self.coa(&new.id).await?.ok_or_else(|| StoreError::Database(format!("CoA {} vanished", new.id)))
    }

    async fn coa(&self, id: &str) -> Result<Option<StoredCoa>> {
        let query = format!("{COA_SELECT} AND c.id = ?1");
        let row = sqlx::query(sqlx::AssertSqlSafe(query)).bind(id).fetch_optional(&self.reader).await?;
        row.as_ref().map(coa_from).transpose()
    }

    async fn coa_original(&self, id: &str) -> Result<Option<(String, Vec<u8>)>> {
        let row = sqlx::query("SELECT media_type, original FROM coas WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((r.try_get("media_type")?, r.try_get("original")?))).transpose()
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
}
