//! Analytics records on SQLite.

use super::restore::{insert_chunked, page};
use super::{INSERT_CHUNK, SqliteStore, trust::chain_audit};
use crate::analytics::{AnalyticsModelRow, AnalyticsResult, AnalyticsStore, LeaseStore, ResultFilter, UnitHold};
use crate::{AuditEvent, Result, StoreError};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;

/// JSON kept as text.
fn json(row: &SqliteRow, column: &str) -> Result<serde_json::Value> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Database(format!("stored {column} is not JSON: {e}")))
}

fn model_from(row: &SqliteRow) -> Result<AnalyticsModelRow> {
    Ok(AnalyticsModelRow {
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        training_data_sha256: row.try_get("training_data_sha256")?,
        model: json(row, "model")?,
        registered_at: row.try_get("registered_at")?,
    })
}

fn result_from(row: &SqliteRow) -> Result<AnalyticsResult> {
    Ok(AnalyticsResult {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        subject: row.try_get("subject")?,
        line: row.try_get("line")?,
        run_id: row.try_get("run_id")?,
        model_name: row.try_get("model_name")?,
        model_version: row.try_get("model_version")?,
        input_sha256: row.try_get("input_sha256")?,
        output: json(row, "output")?,
        flagged: row.try_get("flagged")?,
        actor_id: row.try_get("actor_id")?,
        created_at: row.try_get("created_at")?,
    })
}

fn hold_from(row: &SqliteRow) -> Result<UnitHold> {
    Ok(UnitHold {
        seq: row.try_get("seq")?,
        unit_id: row.try_get("unit_id")?,
        action: row.try_get("action")?,
        reason: row.try_get("reason")?,
        result_id: row.try_get("result_id")?,
        actor_id: row.try_get("actor_id")?,
        at: row.try_get("at")?,
    })
}

fn push_result(row: &mut sqlx::query_builder::Separated<'_, Sqlite, &'static str>, r: &AnalyticsResult) {
    row.push_bind(r.id.clone())
        .push_bind(r.kind.clone())
        .push_bind(r.subject.clone())
        .push_bind(r.line.clone())
        .push_bind(r.run_id.clone())
        .push_bind(r.model_name.clone())
        .push_bind(r.model_version.clone())
        .push_bind(r.input_sha256.clone())
        .push_bind(r.output.to_string())
        .push_bind(r.flagged)
        .push_bind(r.actor_id.clone())
        .push_bind(r.created_at);
}

fn push_hold(row: &mut sqlx::query_builder::Separated<'_, Sqlite, &'static str>, h: &UnitHold) {
    row.push_bind(h.unit_id.clone())
        .push_bind(h.action.clone())
        .push_bind(h.reason.clone())
        .push_bind(h.result_id.clone())
        .push_bind(h.actor_id.clone())
        .push_bind(h.at);
}

const RESULT_INSERT: &str = "INSERT INTO analytics_results (id, kind, subject, line, run_id, model_name, model_version, \
     input_sha256, output, flagged, actor_id, created_at) ";
const HOLD_INSERT: &str = "INSERT INTO unit_holds (unit_id, action, reason, result_id, actor_id, at) ";

#[async_trait]
impl AnalyticsStore for SqliteStore {
    async fn register_analytics_model(&self, model: &AnalyticsModelRow) -> Result<()> {
        if let Some(known) = self.analytics_model(&model.name, &model.version).await? {
            if known.training_data_sha256 == model.training_data_sha256 {
                return Ok(());
            }
            return Err(StoreError::Conflict(format!(
                "model {}@{} is registered with training data {}, not {}",
                model.name, model.version, known.training_data_sha256, model.training_data_sha256
            )));
        }
        sqlx::query(
            "INSERT INTO analytics_models (name, version, training_data_sha256, model, registered_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )
        .bind(&model.name)
        .bind(&model.version)
        .bind(&model.training_data_sha256)
        .bind(model.model.to_string())
        .bind(model.registered_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn analytics_model(&self, name: &str, version: &str) -> Result<Option<AnalyticsModelRow>> {
        let row = sqlx::query("SELECT * FROM analytics_models WHERE name = ?1 AND version = ?2")
            .bind(name)
            .bind(version)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(model_from).transpose()
    }

    async fn analytics_models(&self) -> Result<Vec<AnalyticsModelRow>> {
        let rows = sqlx::query("SELECT * FROM analytics_models ORDER BY name, version").fetch_all(&self.reader).await?;
        rows.iter().map(model_from).collect()
    }

    async fn write_analytics(
        &self,
        results: &[AnalyticsResult],
        holds: &[UnitHold],
        audit: Vec<AuditEvent>,
        at: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for chunk in results.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(RESULT_INSERT);
            insert.push_values(chunk, |mut row, r| push_result(&mut row, r));
            insert.build().execute(&mut *tx).await?;
        }
        for chunk in holds.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(HOLD_INSERT);
            insert.push_values(chunk, |mut row, h| push_hold(&mut row, h));
            insert.build().execute(&mut *tx).await?;
        }
        chain_audit(&mut tx, audit, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn analytics_results(&self, filter: &ResultFilter, limit: i64) -> Result<Vec<AnalyticsResult>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM analytics_results WHERE 1 = 1");
        if let Some(kind) = &filter.kind {
            query.push(" AND kind = ").push_bind(kind.clone());
        }
        if let Some(subject) = &filter.subject {
            query.push(" AND subject = ").push_bind(subject.clone());
        }
        if let Some(line) = &filter.line {
            query.push(" AND line = ").push_bind(line.clone());
        }
        if let Some(run) = &filter.run_id {
            query.push(" AND run_id = ").push_bind(run.clone());
        }
        if filter.flagged_only {
            query.push(" AND flagged = ").push_bind(true);
        }
        query.push(" ORDER BY created_at DESC, id LIMIT ").push_bind(limit);
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(result_from).collect()
    }

    async fn holds_in_force(&self, unit_ids: Option<&[String]>) -> Result<Vec<UnitHold>> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT h.* FROM unit_holds h
             WHERE h.seq = (SELECT MAX(g.seq) FROM unit_holds g WHERE g.unit_id = h.unit_id) AND h.action = 'hold'",
        );
        if let Some(ids) = unit_ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            query.push(" AND h.unit_id IN (SELECT value FROM json_each(");
            query.push_bind(super::json_ids(ids)?);
            query.push("))");
        }
        query.push(" ORDER BY h.unit_id");
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(hold_from).collect()
    }

    async fn analytics_model_rows_after(
        &self,
        after: Option<&AnalyticsModelRow>,
        limit: i64,
    ) -> Result<Vec<AnalyticsModelRow>> {
        page(self, after, limit, model_from).await
    }

    async fn analytics_result_rows_after(
        &self,
        after: Option<&AnalyticsResult>,
        limit: i64,
    ) -> Result<Vec<AnalyticsResult>> {
        page(self, after, limit, result_from).await
    }

    async fn unit_hold_rows_after(&self, after: Option<&UnitHold>, limit: i64) -> Result<Vec<UnitHold>> {
        page(self, after, limit, hold_from).await
    }

    async fn restore_analytics_models(&self, rows: &[AnalyticsModelRow]) -> Result<()> {
        insert_chunked!(
            self,
            rows,
            "INSERT INTO analytics_models (name, version, training_data_sha256, model, registered_at) ",
            |row, m| {
                row.push_bind(&m.name)
                    .push_bind(&m.version)
                    .push_bind(&m.training_data_sha256)
                    .push_bind(m.model.to_string())
                    .push_bind(m.registered_at);
            }
        )
    }

    async fn restore_analytics_results(&self, rows: &[AnalyticsResult]) -> Result<()> {
        insert_chunked!(self, rows, RESULT_INSERT, |row, r| {
            push_result(&mut row, r);
        })
    }

    async fn restore_unit_holds(&self, rows: &[UnitHold]) -> Result<()> {
        insert_chunked!(self, rows, HOLD_INSERT, |row, h| {
            push_hold(&mut row, h);
        })
    }
}

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn acquire_lease(&self, job: &str, holder: &str, now: OffsetDateTime, ttl: time::Duration) -> Result<bool> {
        // One statement: insert, or take over an expired lease, or renew our own; another holder's running
        // lease matches no row and changes nothing.
        let taken = sqlx::query(
            "INSERT INTO job_leases (job, holder, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= ?4",
        )
        .bind(job)
        .bind(holder)
        .bind(now + ttl)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(taken.rows_affected() == 1)
    }
}
