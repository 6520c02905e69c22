//! Issuer keys, version signatures and the audit chain on PostgreSQL.

use super::PostgresStore;
use crate::audit::{AuditCheckpoint, AuditEntry, AuditEvent, chain, pending};
use crate::{IssuerKeyRecord, Result, StoreError, TrustStore, VersionSignature};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row, Transaction};
use time::OffsetDateTime;

/// Advisory lock key of the audit chain head ("vpaudit" in ASCII).
const AUDIT_CHAIN_LOCK: i64 = 0x0076_7061_7564_6974;

/// Appends events to the audit chain inside the caller's transaction. Writers on several servers share one
/// chain: a transaction-scoped advisory lock makes them take turns at its head (held only until commit).
pub(super) async fn chain_audit(
    tx: &mut Transaction<'_, Postgres>,
    events: Vec<AuditEvent>,
    at: OffsetDateTime,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(AUDIT_CHAIN_LOCK).execute(&mut **tx).await?;
    let last =
        sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
    let (seq, hash) = match last {
        Some(row) => (row.try_get::<i64, _>("seq")?, Some(row.try_get::<String, _>("hash")?)),
        None => (0, None),
    };
    let entries = chain(pending(events), seq, hash, at);
    for chunk in entries.chunks(400) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO audit_log (seq, at, actor_id, action, subject, detail, prev_hash, hash) ",
        );
        insert.push_values(chunk, |mut row, e| {
            row.push_bind(e.seq)
                .push_bind(e.at)
                .push_bind(&e.actor_id)
                .push_bind(&e.action)
                .push_bind(&e.subject)
                .push_bind(&e.detail)
                .push_bind(&e.prev_hash)
                .push_bind(&e.hash);
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

fn key_from(row: &PgRow) -> Result<IssuerKeyRecord> {
    Ok(IssuerKeyRecord {
        key_id: row.try_get("key_id")?,
        operator: row.try_get("operator")?,
        public_multibase: row.try_get("public_multibase")?,
        secret_hex: row.try_get("secret_hex")?,
        created_at: row.try_get("created_at")?,
        retired_at: row.try_get("retired_at")?,
    })
}

fn entry_from(row: &PgRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor_id: row.try_get("actor_id")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

#[async_trait]
impl TrustStore for PostgresStore {
    async fn add_issuer_key(&self, key: &IssuerKeyRecord, actor_id: &str) -> Result<()> {
        let now = crate::record::now();
        let mut tx = self.pool.begin().await?;
        let retired = sqlx::query("UPDATE issuer_keys SET retired_at = $1 WHERE operator = $2 AND retired_at IS NULL")
            .bind(now)
            .bind(&key.operator)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO issuer_keys (key_id, operator, public_multibase, secret_hex, created_at, retired_at) VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(&key.key_id)
        .bind(&key.operator)
        .bind(&key.public_multibase)
        .bind(&key.secret_hex)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Invalid(format!("issuer key {} exists already", key.key_id))
            }
            other => other.into(),
        })?;
        let detail = serde_json::json!({
            "operator": key.operator, "publicKeyMultibase": key.public_multibase, "retiredPrevious": retired.rows_affected(),
        });
        chain_audit(&mut tx, vec![AuditEvent::new(actor_id, "issuer-key.create", &key.key_id, detail)], now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn issuer_keys(&self) -> Result<Vec<IssuerKeyRecord>> {
        let rows = sqlx::query("SELECT * FROM issuer_keys ORDER BY created_at, key_id").fetch_all(&self.pool).await?;
        rows.iter().map(key_from).collect()
    }

    async fn version_signatures(&self, passport_id: &str) -> Result<Vec<(i64, VersionSignature)>> {
        let rows = sqlx::query("SELECT * FROM version_signatures WHERE passport_id = $1 ORDER BY version")
            .bind(passport_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("version")?,
                    VersionSignature { key_id: row.try_get("key_id")?, signature: row.try_get("signature")? },
                ))
            })
            .collect()
    }

    async fn append_audit(&self, events: Vec<AuditEvent>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        chain_audit(&mut tx, events, crate::record::now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_entries(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(entry_from).collect()
    }

    async fn add_checkpoint(&self, checkpoint: &AuditCheckpoint) -> Result<()> {
        sqlx::query("INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5)")
            .bind(checkpoint.seq)
            .bind(&checkpoint.hash)
            .bind(checkpoint.at)
            .bind(&checkpoint.key_id)
            .bind(&checkpoint.signature)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn checkpoints(&self) -> Result<Vec<AuditCheckpoint>> {
        let rows = sqlx::query("SELECT * FROM audit_checkpoints ORDER BY seq").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(AuditCheckpoint {
                    seq: row.try_get("seq")?,
                    hash: row.try_get("hash")?,
                    at: row.try_get("at")?,
                    key_id: row.try_get("key_id")?,
                    signature: row.try_get("signature")?,
                })
            })
            .collect()
    }
}
