//! SQLite implementation: one file, WAL journal, `synchronous=FULL` so a committed write survives a crash (a
//! bulk import's genealogy batches reach the disk together when it ends: `TraceStore::write_trace_batch`).
//! Writes go through a single-connection pool (SQLite has one writer anyway, and this keeps
//! read-then-write transactions free of SQLITE_BUSY); reads use a small pool of their own.

mod analytics;
mod grants;
mod keys;
mod packing;
mod quality;
mod readings;
mod registry;
mod restore;
mod trace;
mod trace_cells;
mod trust;

use crate::audit::AuditEvent;
use crate::keys::KeyStore;
use crate::record::{Prepared, append_event, prepare_records, record_hash, repeated_battery_ids, written_versions};
use crate::{
    Actor, AppendOptions, ModelVersion, NewModelVersion, NewPassportVersion, PassportFilter, PassportHead,
    PassportVersion, Result, Role, Store, StoreError, VersionMeta,
};
use async_trait::async_trait;
use passport::hash::canonical_json;
use serde_json::Value;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
use time::OffsetDateTime;

/// Rows per multi-row INSERT: well under SQLite's 32766 bound parameters.
const INSERT_CHUNK: usize = 400;

/// `(SELECT value FROM json_each(?N))`: a list of ids as one bound JSON array, so a statement's text (and its
/// prepared form) does not change with the number of ids, and nothing binds thousands of values.
fn json_ids(ids: &[String]) -> Result<String> {
    serde_json::to_string(ids).map_err(|e| StoreError::Invalid(e.to_string()))
}

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

fn migrator() -> Migrator {
    crate::record::migrator([
        ("init", include_str!("../../migrations/sqlite/0001_init.sql")),
        ("lifecycle", include_str!("../../migrations/sqlite/0002_lifecycle.sql")),
        ("registry", include_str!("../../migrations/sqlite/0003_registry.sql")),
        ("quality", include_str!("../../migrations/sqlite/0004_quality.sql")),
        ("spc", include_str!("../../migrations/sqlite/0005_spc.sql")),
        ("sampling", include_str!("../../migrations/sqlite/0006_sampling.sql")),
        ("trace", include_str!("../../migrations/sqlite/0007_trace.sql")),
        ("analytics", include_str!("../../migrations/sqlite/0008_analytics.sql")),
        ("leases", include_str!("../../migrations/sqlite/0009_leases.sql")),
        ("key_lifecycle", include_str!("../../migrations/sqlite/0010_key_lifecycle.sql")),
        ("coa_packing", include_str!("../../migrations/sqlite/0011_coa_packing.sql")),
        ("trace_cells", include_str!("../../migrations/sqlite/0012_trace_cells.sql")),
    ])
}

impl SqliteStore {
    /// Opens `sqlite://PATH` (or `sqlite::memory:` for a private in-memory store), creating and migrating it.
    pub async fn open(url: &str) -> Result<SqliteStore> {
        let memory = url.contains(":memory:");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(format!("{url} ({e})")))?
            .create_if_missing(true)
            .journal_mode(if memory { SqliteJournalMode::Memory } else { SqliteJournalMode::Wal })
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 32 MiB page cache (default 2 MiB): bulk writes touch eight B-trees per passport.
            .pragma("cache_size", "-32768");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        migrator().run(&writer).await?;
        // An in-memory database exists per connection: share the writer.
        let reader = if memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.read_only(true))
                .await?
        };
        Ok(SqliteStore { writer, reader })
    }
}

fn actor_from(row: &SqliteRow) -> Result<Actor> {
    let role: String = row.try_get("role")?;
    Ok(Actor {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Database(format!("unknown role {role} in actors")))?,
        organisation: row.try_get("organisation")?,
        subrole: row.try_get("subrole")?,
    })
}

fn meta_from(row: &SqliteRow) -> Result<VersionMeta> {
    Ok(VersionMeta {
        version: row.try_get("version")?,
        actor_id: row.try_get("actor_id")?,
        created_at: row.try_get("created_at")?,
        reason: row.try_get("reason")?,
        content_hash: row.try_get("content_hash")?,
        prev_hash: row.try_get("prev_hash")?,
    })
}

fn json_from(row: &SqliteRow, column: &str) -> Result<Value> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Database(format!("stored {column} is not JSON: {e}")))
}

fn model_from(row: &SqliteRow) -> Result<ModelVersion> {
    Ok(ModelVersion {
        model_id: row.try_get("model_id")?,
        document: json_from(row, "document")?,
        owner: row.try_get("owner")?,
        meta: meta_from(row)?,
    })
}

fn head_from(row: &SqliteRow) -> Result<PassportHead> {
    Ok(PassportHead {
        id: row.try_get("id")?,
        battery_id: row.try_get("battery_id")?,
        model_id: row.try_get("model_id")?,
        model_version: row.try_get("model_version")?,
        category: row.try_get("category")?,
        status: row.try_get("status")?,
        manufacturer: row.try_get("manufacturer")?,
        responsible: row.try_get("responsible")?,
        version: row.try_get("version")?,
        successor_id: row.try_get("successor_id")?,
    })
}

fn version_from(row: &SqliteRow) -> Result<PassportVersion> {
    Ok(PassportVersion {
        passport_id: row.try_get("passport_id")?,
        model_id: row.try_get("model_id")?,
        model_version: row.try_get("model_version")?,
        item: json_from(row, "item")?,
        meta: meta_from(row)?,
    })
}

const HEAD_COLUMNS: &str =
    "id, battery_id, model_id, model_version, category, status, manufacturer, responsible, version, successor_id";

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn create_actor(&self, actor: &Actor) -> Result<()> {
        let now = crate::record::now();
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO actors (id, name, role, organisation, subrole, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&actor.id)
        .bind(&actor.name)
        .bind(actor.role.as_str())
        .bind(&actor.organisation)
        .bind(&actor.subrole)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({"name": actor.name, "role": actor.role, "organisation": actor.organisation, "subrole": actor.subrole});
        trust::chain_audit(&mut tx, vec![AuditEvent::new(&actor.id, "actor.create", &actor.id, detail)], now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn actor(&self, id: &str) -> Result<Option<Actor>> {
        let row = sqlx::query("SELECT * FROM actors WHERE id = ?1").bind(id).fetch_optional(&self.reader).await?;
        row.as_ref().map(actor_from).transpose()
    }

    async fn list_actors(&self) -> Result<Vec<Actor>> {
        let rows = sqlx::query("SELECT * FROM actors ORDER BY id").fetch_all(&self.reader).await?;
        rows.iter().map(actor_from).collect()
    }

    async fn add_key(&self, actor_id: &str, key_hash: &str) -> Result<()> {
        self.add_key_until(actor_id, key_hash, None).await
    }

    async fn actor_by_key_hash(&self, key_hash: &str) -> Result<Option<Actor>> {
        Ok(self.key_in_force(key_hash).await?.map(|holder| holder.actor))
    }

    async fn append_model(&self, new: NewModelVersion) -> Result<ModelVersion> {
        let document_text = canonical_json(&new.document);
        let content_hash = record_hash(&document_text);
        let mut tx = self.writer.begin().await?;
        let current = sqlx::query(
            "SELECT version, content_hash FROM model_versions WHERE model_id = ?1 ORDER BY version DESC LIMIT 1",
        )
        .bind(&new.model_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (current_version, prev_hash): (i64, Option<String>) = match &current {
            Some(row) => (row.try_get("version")?, Some(row.try_get("content_hash")?)),
            None => (0, None),
        };
        if let Some(expected) = new.expected_version
            && expected != current_version
        {
            return Err(StoreError::VersionConflict {
                kind: "model",
                id: new.model_id,
                expected,
                current: current_version,
            });
        }
        let meta = VersionMeta {
            version: current_version + 1,
            actor_id: new.actor_id.clone(),
            created_at: crate::record::now(),
            reason: new.reason.clone(),
            content_hash,
            prev_hash,
        };
        sqlx::query(
            "INSERT INTO model_versions (model_id, version, document, owner, content_hash, prev_hash, actor_id, reason, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(&new.model_id)
        .bind(meta.version)
        .bind(&document_text)
        .bind(&new.owner)
        .bind(&meta.content_hash)
        .bind(&meta.prev_hash)
        .bind(&meta.actor_id)
        .bind(&meta.reason)
        .bind(meta.created_at)
        .execute(&mut *tx)
        .await?;
        let detail =
            serde_json::json!({"version": meta.version, "contentHash": meta.content_hash, "reason": meta.reason});
        let event = AuditEvent::new(&meta.actor_id, "model.append", &new.model_id, detail);
        trust::chain_audit(&mut tx, vec![event], meta.created_at).await?;
        tx.commit().await?;
        // Return the document as stored (canonical numbers: 410.0 reads back as 410).
        let document = serde_json::from_str(&document_text).unwrap_or(new.document);
        Ok(ModelVersion { model_id: new.model_id, document, owner: new.owner, meta })
    }

    async fn model(&self, id: &str, version: Option<i64>) -> Result<Option<ModelVersion>> {
        let row = match version {
            Some(v) => {
                sqlx::query("SELECT * FROM model_versions WHERE model_id = ?1 AND version = ?2").bind(id).bind(v)
            }
            None => {
                sqlx::query("SELECT * FROM model_versions WHERE model_id = ?1 ORDER BY version DESC LIMIT 1").bind(id)
            }
        }
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(model_from).transpose()
    }

    async fn model_history(&self, id: &str) -> Result<Vec<VersionMeta>> {
        let rows = sqlx::query("SELECT * FROM model_versions WHERE model_id = ?1 ORDER BY version")
            .bind(id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(meta_from).collect()
    }

    async fn model_by_hash(&self, hash: &str) -> Result<Option<ModelVersion>> {
        let row =
            sqlx::query("SELECT * FROM model_versions WHERE content_hash = ?1 ORDER BY model_id, version DESC LIMIT 1")
                .bind(hash)
                .fetch_optional(&self.reader)
                .await?;
        row.as_ref().map(model_from).transpose()
    }

    async fn append_passports(
        &self,
        batch: Vec<NewPassportVersion>,
        options: AppendOptions,
    ) -> Result<Vec<PassportVersion>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let prepared = prepare_records(batch, options.signer).await?;
        let now = crate::record::now();
        let mut tx = self.writer.begin().await?;

        // Predecessors first: a successor may reuse its predecessor's battery identifier.
        for p in &prepared {
            for predecessor in &p.new.predecessors {
                let done = sqlx::query("UPDATE passports SET successor_id = ?1 WHERE id = ?2 AND successor_id IS NULL")
                    .bind(&p.new.head.id)
                    .bind(predecessor)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Invalid(format!(
                        "predecessor passport {predecessor} does not exist or already has a successor"
                    )));
                }
            }
        }

        let (creates, updates): (Vec<&Prepared>, Vec<&Prepared>) =
            prepared.iter().partition(|p| p.new.expected_version == 0);
        check_battery_ids_free(&mut tx, &creates).await?;
        let mut prev_hashes: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for p in &updates {
            let prev = bump_head(&mut tx, p, now).await?;
            prev_hashes.insert(p.new.head.id.clone(), prev);
        }
        for chunk in creates.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO passports (id, battery_id, model_id, model_version, category, status, manufacturer, responsible, version, content_hash, successor_id, created_at, updated_at) ",
            );
            insert.push_values(chunk, |mut row, p| {
                let h = &p.new.head;
                row.push_bind(&h.id)
                    .push_bind(&h.battery_id)
                    .push_bind(&h.model_id)
                    .push_bind(h.model_version)
                    .push_bind(&h.category)
                    .push_bind(&h.status)
                    .push_bind(&h.manufacturer)
                    .push_bind(&h.responsible)
                    .push_bind(1_i64)
                    .push_bind(&p.content_hash)
                    .push_bind(None::<String>)
                    .push_bind(now)
                    .push_bind(now);
            });
            insert.build().execute(&mut *tx).await?;
        }
        for chunk in prepared.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO passport_versions (passport_id, version, model_id, model_version, item, content_hash, prev_hash, actor_id, reason, created_at) ",
            );
            insert.push_values(chunk, |mut row, p| {
                let prev = prev_hashes.get(&p.new.head.id).cloned();
                row.push_bind(&p.new.head.id)
                    .push_bind(p.new.expected_version + 1)
                    .push_bind(&p.new.head.model_id)
                    .push_bind(p.new.head.model_version)
                    .push_bind(&p.item_text)
                    .push_bind(&p.content_hash)
                    .push_bind(prev)
                    .push_bind(&p.new.actor_id)
                    .push_bind(&p.new.reason)
                    .push_bind(now);
            });
            insert.build().execute(&mut *tx).await?;
        }
        let signed: Vec<&Prepared> = prepared.iter().filter(|p| p.signature.is_some()).collect();
        for chunk in signed.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO version_signatures (passport_id, version, key_id, signature) ",
            );
            insert.push_values(chunk, |mut row, p| {
                let signature = p.signature.as_ref().expect("filtered to signed versions");
                row.push_bind(&p.new.head.id)
                    .push_bind(p.new.expected_version + 1)
                    .push_bind(&signature.key_id)
                    .push_bind(&signature.signature);
            });
            insert.build().execute(&mut *tx).await?;
        }
        let mut events = vec![append_event(&prepared)];
        events.extend(options.audit);
        trust::chain_audit(&mut tx, events, now).await?;
        tx.commit().await?;
        Ok(written_versions(prepared, prev_hashes, now))
    }

    async fn passport_head(&self, id: &str) -> Result<Option<PassportHead>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {HEAD_COLUMNS} FROM passports WHERE id = ?1")))
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(head_from).transpose()
    }

    async fn passport_heads(&self, ids: &[String]) -> Result<Vec<PassportHead>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(INSERT_CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT {HEAD_COLUMNS} FROM passports WHERE id IN ("));
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(id.clone());
            }
            query.push(")");
            for row in query.build().fetch_all(&self.reader).await? {
                found.push(head_from(&row)?);
            }
        }
        Ok(found)
    }

    async fn passport_versions(&self, id: &str) -> Result<Vec<PassportVersion>> {
        let rows = sqlx::query("SELECT * FROM passport_versions WHERE passport_id = ?1 ORDER BY version")
            .bind(id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(version_from).collect()
    }

    async fn passport_version(&self, id: &str, version: Option<i64>) -> Result<Option<PassportVersion>> {
        let row = match version {
            Some(v) => {
                sqlx::query("SELECT * FROM passport_versions WHERE passport_id = ?1 AND version = ?2").bind(id).bind(v)
            }
            None => sqlx::query("SELECT * FROM passport_versions WHERE passport_id = ?1 ORDER BY version DESC LIMIT 1")
                .bind(id),
        }
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(version_from).transpose()
    }

    async fn passport_history(&self, id: &str) -> Result<Vec<VersionMeta>> {
        let rows = sqlx::query(
            "SELECT version, actor_id, created_at, reason, content_hash, prev_hash FROM passport_versions WHERE passport_id = ?1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(meta_from).collect()
    }

    async fn list_passports(
        &self,
        filter: &PassportFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PassportHead>> {
        let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT {HEAD_COLUMNS} FROM passports WHERE 1 = 1"));
        let conditions = [
            ("battery_id", &filter.battery_id),
            ("model_id", &filter.model_id),
            ("category", &filter.category),
            ("status", &filter.status),
            ("manufacturer", &filter.manufacturer),
            ("responsible", &filter.responsible),
        ];
        for (column, value) in conditions {
            if let Some(value) = value {
                query.push(format!(" AND {column} = ")).push_bind(value.clone());
            }
        }
        if let Some(created_after) = filter.created_after {
            query.push(" AND created_at > ").push_bind(created_after);
        }
        if let Some(after) = after {
            query.push(" AND id > ").push_bind(after.to_string());
        }
        query.push(" ORDER BY id LIMIT ").push_bind(limit);
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(head_from).collect()
    }

    async fn active_by_battery_ids(&self, battery_ids: &[String]) -> Result<Vec<PassportHead>> {
        let mut found = Vec::new();
        for chunk in battery_ids.chunks(INSERT_CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {HEAD_COLUMNS} FROM passports WHERE successor_id IS NULL AND battery_id IN ("
            ));
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(id.clone());
            }
            query.push(")");
            for row in query.build().fetch_all(&self.reader).await? {
                found.push(head_from(&row)?);
            }
        }
        Ok(found)
    }
}

/// Fails with `DuplicateBattery` if a new passport's battery identifier is taken (or repeated in the batch).
async fn check_battery_ids_free(tx: &mut sqlx::Transaction<'_, Sqlite>, creates: &[&Prepared]) -> Result<()> {
    repeated_battery_ids(creates)?;
    for chunk in creates.chunks(INSERT_CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT battery_id, id FROM passports WHERE successor_id IS NULL AND battery_id IN (",
        );
        let mut list = query.separated(", ");
        for p in chunk {
            list.push_bind(&p.new.head.battery_id);
        }
        query.push(") LIMIT 1");
        if let Some(row) = query.build().fetch_optional(&mut **tx).await? {
            return Err(StoreError::DuplicateBattery {
                battery_id: row.try_get("battery_id")?,
                existing: row.try_get("id")?,
            });
        }
    }
    Ok(())
}

/// Moves a passport's head to the next version if it is still at the expected one; returns the old hash.
async fn bump_head(tx: &mut sqlx::Transaction<'_, Sqlite>, p: &Prepared, now: OffsetDateTime) -> Result<String> {
    let h = &p.new.head;
    let previous = sqlx::query("SELECT version, content_hash FROM passports WHERE id = ?1")
        .bind(&h.id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(previous) = previous else {
        return Err(StoreError::NotFound { kind: "passport", id: h.id.clone() });
    };
    let current: i64 = previous.try_get("version")?;
    if current != p.new.expected_version {
        return Err(StoreError::VersionConflict {
            kind: "passport",
            id: h.id.clone(),
            expected: p.new.expected_version,
            current,
        });
    }
    sqlx::query(
        "UPDATE passports SET battery_id = ?2, model_id = ?3, model_version = ?4, category = ?5, status = ?6, manufacturer = ?7,
         responsible = ?8, version = ?9, content_hash = ?10, updated_at = ?11 WHERE id = ?1",
    )
    .bind(&h.id)
    .bind(&h.battery_id)
    .bind(&h.model_id)
    .bind(h.model_version)
    .bind(&h.category)
    .bind(&h.status)
    .bind(&h.manufacturer)
    .bind(&h.responsible)
    .bind(current + 1)
    .bind(&p.content_hash)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(previous.try_get("content_hash")?)
}
