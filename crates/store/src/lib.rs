//! The append-only passport store.
//!
//! One [`Store`] trait, two implementations: SQLite (WAL, the embedded default) and PostgreSQL. Both are
//! checked by the same conformance suite (`tests/conformance`). Versions are only ever appended: each
//! carries its actor, time, reason, the SHA-256 of its RFC 8785 canonical record and the hash of the version
//! before it; database triggers refuse UPDATE and DELETE on the version tables. The `passports` table is a
//! derived index of the latest version of each passport, for listing and for battery-id uniqueness.

mod postgres;
mod record;
mod sqlite;
pub mod testing;
mod types;

pub use postgres::PostgresStore;
pub use record::{canonical_record, record_hash};
pub use sqlite::SqliteStore;
pub use types::*;

use async_trait::async_trait;
use std::sync::Arc;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("battery identifier `{battery_id}` already has passport {existing}")]
    DuplicateBattery { battery_id: String, existing: String },
    #[error("{kind} {id} changed meanwhile: expected version {expected}, current version is {current}")]
    VersionConflict { kind: &'static str, id: String, expected: i64, current: i64 },
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    #[error("{0}")]
    Invalid(String),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                StoreError::Unavailable(e.to_string())
            }
            other => StoreError::Database(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Database(format!("migration failed: {e}"))
    }
}

/// Everything voltpass keeps, behind one interface.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Cheap liveness check for `/healthz`.
    async fn ping(&self) -> Result<()>;

    async fn create_actor(&self, actor: &Actor) -> Result<()>;
    async fn actor(&self, id: &str) -> Result<Option<Actor>>;
    async fn list_actors(&self) -> Result<Vec<Actor>>;
    /// Binds an API key (by its hash only) to an actor.
    async fn add_key(&self, actor_id: &str, key_hash: &str) -> Result<()>;
    async fn actor_by_key_hash(&self, key_hash: &str) -> Result<Option<Actor>>;

    /// Appends a model version (version 1 creates the model).
    async fn append_model(&self, new: NewModelVersion) -> Result<ModelVersion>;
    /// A model version, the latest when `version` is `None`.
    async fn model(&self, id: &str, version: Option<i64>) -> Result<Option<ModelVersion>>;
    async fn model_history(&self, id: &str) -> Result<Vec<VersionMeta>>;
    /// The latest version of any model whose content hash is `hash` (to reuse embedded model parts).
    async fn model_by_hash(&self, hash: &str) -> Result<Option<ModelVersion>>;

    /// Appends passport versions in ONE transaction: all are written or none.
    async fn append_passports(&self, batch: Vec<NewPassportVersion>) -> Result<Vec<PassportVersion>>;
    async fn passport_head(&self, id: &str) -> Result<Option<PassportHead>>;
    /// A passport version, the latest when `version` is `None`.
    async fn passport_version(&self, id: &str, version: Option<i64>) -> Result<Option<PassportVersion>>;
    async fn passport_history(&self, id: &str) -> Result<Vec<VersionMeta>>;
    /// Passports matching `filter`, ordered by id, starting after `after`.
    async fn list_passports(
        &self,
        filter: &PassportFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PassportHead>>;
    /// Heads of the active (not superseded) passports of these battery identifiers.
    async fn active_by_battery_ids(&self, battery_ids: &[String]) -> Result<Vec<PassportHead>>;
}

/// Opens (and migrates) the store a URL names: `sqlite://PATH` (created if missing) or `postgres://...`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::open(url).await?))
    } else {
        Err(StoreError::BadUrl(url.to_string()))
    }
}
