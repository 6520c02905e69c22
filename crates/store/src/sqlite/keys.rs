//! API keys over their life on SQLite.

use super::{SqliteStore, actor_from, trust::chain_audit};
use crate::Result;
use crate::audit::AuditEvent;
use crate::keys::{KeyHolder, KeyInfo, KeySelector, KeyStore, check_selection, fingerprint, in_force};
use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

#[async_trait]
impl KeyStore for SqliteStore {
    async fn add_key_until(&self, actor_id: &str, key_hash: &str, expires_at: Option<OffsetDateTime>) -> Result<()> {
        let now = crate::record::now();
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO api_keys (key_hash, actor_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)")
            .bind(key_hash)
            .bind(actor_id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        // The log names the holder and the fingerprint, never the hash.
        let detail = serde_json::json!({"fingerprint": fingerprint(key_hash), "expiresAt": expires_at.map(|t| t.unix_timestamp())});
        chain_audit(&mut tx, vec![AuditEvent::new(actor_id, "key.create", actor_id, detail)], now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn key_in_force(&self, key_hash: &str) -> Result<Option<KeyHolder>> {
        let row = sqlx::query(
            "SELECT a.*, k.expires_at AS key_expires_at, k.revoked_at AS key_revoked_at
             FROM api_keys k JOIN actors a ON a.id = k.actor_id WHERE k.key_hash = ?1",
        )
        .bind(key_hash)
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: Option<OffsetDateTime> = row.try_get("key_expires_at")?;
        let revoked_at: Option<OffsetDateTime> = row.try_get("key_revoked_at")?;
        if !in_force(expires_at, revoked_at, crate::record::now()) {
            return Ok(None);
        }
        Ok(Some(KeyHolder { actor: actor_from(&row)?, expires_at }))
    }

    async fn list_keys(&self) -> Result<Vec<KeyInfo>> {
        let rows = sqlx::query("SELECT * FROM api_keys ORDER BY created_at, key_hash").fetch_all(&self.reader).await?;
        rows.iter()
            .map(|row| {
                let hash: String = row.try_get("key_hash")?;
                Ok(KeyInfo {
                    fingerprint: fingerprint(&hash),
                    actor_id: row.try_get("actor_id")?,
                    created_at: row.try_get("created_at")?,
                    expires_at: row.try_get("expires_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                    revoked_by: row.try_get("revoked_by")?,
                })
            })
            .collect()
    }

    async fn revoke_keys(&self, which: &KeySelector, by: &str) -> Result<usize> {
        let now = crate::record::now();
        let mut tx = self.writer.begin().await?;
        let selected: Vec<(String, String)> = match which {
            KeySelector::Actor(actor) => {
                sqlx::query_as("SELECT key_hash, actor_id FROM api_keys WHERE actor_id = ?1 AND revoked_at IS NULL")
                    .bind(actor)
                    .fetch_all(&mut *tx)
                    .await?
            }
            KeySelector::Fingerprint(prefix) => {
                sqlx::query_as("SELECT key_hash, actor_id FROM api_keys WHERE key_hash LIKE ?1 AND revoked_at IS NULL")
                    .bind(KeySelector::hash_prefix(prefix)?)
                    .fetch_all(&mut *tx)
                    .await?
            }
        };
        check_selection(which, &selected)?;
        if selected.is_empty() {
            return Ok(0);
        }
        let mut events = Vec::with_capacity(selected.len());
        for (hash, actor) in &selected {
            sqlx::query("UPDATE api_keys SET revoked_at = ?1, revoked_by = ?2 WHERE key_hash = ?3")
                .bind(now)
                .bind(by)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
            events.push(AuditEvent::new(
                by,
                "key.revoke",
                actor,
                serde_json::json!({"fingerprint": fingerprint(hash)}),
            ));
        }
        chain_audit(&mut tx, events, now).await?;
        tx.commit().await?;
        Ok(selected.len())
    }
}
