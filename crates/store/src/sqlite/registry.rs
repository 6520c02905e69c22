//! Registered AAS shell descriptors on SQLite.

use super::{SqliteStore, trust::chain_audit};
use crate::audit::AuditEvent;
use crate::{RegistryStore, Result, StoreError, StoredDescriptor};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;

fn descriptor_from(row: &SqliteRow) -> Result<StoredDescriptor> {
    let body: String = row.try_get("body")?;
    let body: serde_json::Value = serde_json::from_str(&body)
        .map_err(|e| StoreError::Database(format!("stored shell descriptor is not JSON: {e}")))?;
    Ok(StoredDescriptor {
        id: row.try_get("id")?,
        owner: row.try_get("owner")?,
        body,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

#[async_trait]
impl RegistryStore for SqliteStore {
    async fn put_descriptor(&self, descriptor: &StoredDescriptor, event: AuditEvent) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM shell_descriptor_asset_ids WHERE descriptor_id = ?1")
            .bind(&descriptor.id)
            .execute(&mut *tx)
            .await?;
        let created = sqlx::query(
            "INSERT INTO shell_descriptors (id, owner, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
             RETURNING created_at = updated_at AS created",
        )
        .bind(&descriptor.id)
        .bind(&descriptor.owner)
        .bind(descriptor.body.to_string())
        .bind(descriptor.created_at)
        .bind(descriptor.updated_at)
        .fetch_one(&mut *tx)
        .await?
        .try_get::<bool, _>("created")?;
        for (name, value) in crate::registry::asset_ids_of(&descriptor.body) {
            sqlx::query(
                "INSERT OR IGNORE INTO shell_descriptor_asset_ids (name, value, descriptor_id) VALUES (?1, ?2, ?3)",
            )
            .bind(name)
            .bind(value)
            .bind(&descriptor.id)
            .execute(&mut *tx)
            .await?;
        }
        chain_audit(&mut tx, vec![event], descriptor.updated_at).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn delete_descriptor(&self, id: &str, event: AuditEvent) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query("DELETE FROM shell_descriptors WHERE id = ?1").bind(id).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        chain_audit(&mut tx, vec![event], crate::record::now()).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn descriptor(&self, id: &str) -> Result<Option<StoredDescriptor>> {
        let row =
            sqlx::query("SELECT * FROM shell_descriptors WHERE id = ?1").bind(id).fetch_optional(&self.reader).await?;
        row.as_ref().map(descriptor_from).transpose()
    }

    async fn descriptors(
        &self,
        asset_ids: &[(String, String)],
        created_after: Option<OffsetDateTime>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredDescriptor>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT d.* FROM shell_descriptors d WHERE 1 = 1");
        for (name, value) in asset_ids {
            query
                .push(" AND EXISTS (SELECT 1 FROM shell_descriptor_asset_ids a WHERE a.descriptor_id = d.id AND a.name = ")
                .push_bind(name.clone())
                .push(" AND a.value = ")
                .push_bind(value.clone())
                .push(")");
        }
        if let Some(created_after) = created_after {
            query.push(" AND d.created_at > ").push_bind(created_after);
        }
        if let Some(after) = after {
            query.push(" AND d.id > ").push_bind(after.to_string());
        }
        query.push(" ORDER BY d.id LIMIT ").push_bind(limit);
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(descriptor_from).collect()
    }

    async fn model_ids_page(
        &self,
        created_after: Option<OffsetDateTime>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(String, OffsetDateTime)>> {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT model_id, created_at FROM model_versions WHERE version = 1");
        if let Some(created_after) = created_after {
            query.push(" AND created_at > ").push_bind(created_after);
        }
        if let Some(after) = after {
            query.push(" AND model_id > ").push_bind(after.to_string());
        }
        query.push(" ORDER BY model_id LIMIT ").push_bind(limit);
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(|row| Ok((row.try_get("model_id")?, row.try_get("created_at")?))).collect()
    }
}
