//! Written authorisations on SQLite.

use super::{SqliteStore, trust::chain_audit};
use crate::audit::AuditEvent;
use crate::{Grant, GrantStore, Result, StoreError};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

fn list_from(row: &SqliteRow, column: &str) -> Result<Vec<String>> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Database(format!("stored grant {column} is not a list: {e}")))
}

fn grant_from(row: &SqliteRow) -> Result<Grant> {
    Ok(Grant {
        id: row.try_get("id")?,
        grantor: row.try_get("grantor")?,
        grantee: row.try_get("grantee")?,
        passports: list_from(row, "passports")?,
        groups: list_from(row, "groups")?,
        valid_until: row.try_get("valid_until")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
        revoked_by: row.try_get("revoked_by")?,
    })
}

#[async_trait]
impl GrantStore for SqliteStore {
    async fn create_grant(&self, grant: &Grant) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO grants (id, grantor, grantee, passports, groups, valid_until, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(&grant.id)
        .bind(&grant.grantor)
        .bind(&grant.grantee)
        .bind(serde_json::to_string(&grant.passports).unwrap_or_default())
        .bind(serde_json::to_string(&grant.groups).unwrap_or_default())
        .bind(grant.valid_until)
        .bind(&grant.created_by)
        .bind(grant.created_at)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::to_value(grant).unwrap_or_default();
        chain_audit(
            &mut tx,
            vec![AuditEvent::new(&grant.created_by, "grant.create", &grant.id, detail)],
            grant.created_at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn grant(&self, id: &str) -> Result<Option<Grant>> {
        let row = sqlx::query("SELECT * FROM grants WHERE id = ?1").bind(id).fetch_optional(&self.reader).await?;
        row.as_ref().map(grant_from).transpose()
    }

    async fn grants_for(&self, grantee: Option<&str>, grantor: Option<&str>) -> Result<Vec<Grant>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM grants WHERE 1 = 1");
        if let Some(grantee) = grantee {
            query.push(" AND grantee = ").push_bind(grantee.to_string());
        }
        if let Some(grantor) = grantor {
            query.push(" AND grantor = ").push_bind(grantor.to_string());
        }
        query.push(" ORDER BY created_at DESC, id DESC");
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(grant_from).collect()
    }

    async fn revoke_grant(&self, id: &str, by: &str) -> Result<Grant> {
        let now = crate::record::now();
        let mut tx = self.writer.begin().await?;
        let done =
            sqlx::query("UPDATE grants SET revoked_at = ?1, revoked_by = ?2 WHERE id = ?3 AND revoked_at IS NULL")
                .bind(now)
                .bind(by)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        let row = sqlx::query("SELECT * FROM grants WHERE id = ?1").bind(id).fetch_optional(&mut *tx).await?;
        let Some(row) = row else { return Err(StoreError::NotFound { kind: "grant", id: id.to_string() }) };
        if done.rows_affected() == 0 {
            return Err(StoreError::Invalid(format!("grant {id} was revoked already")));
        }
        chain_audit(&mut tx, vec![AuditEvent::new(by, "grant.revoke", id, serde_json::json!({}))], now).await?;
        tx.commit().await?;
        grant_from(&row)
    }
}
