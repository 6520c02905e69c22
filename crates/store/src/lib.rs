//! The append-only passport store.
//!
//! One [`Store`] trait, two implementations: SQLite (WAL, the embedded default) and PostgreSQL. Both are
//! checked by the same conformance suite (`tests/conformance`). Versions are only ever appended: each
//! carries its actor, time, reason, the SHA-256 of its RFC 8785 canonical record and the hash of the version
//! before it; database triggers refuse UPDATE and DELETE on the version tables. The `passports` table is a
//! derived index of the latest version of each passport, for listing and for battery-id uniqueness.

mod analytics;
mod audit;
mod grants;
mod keys;
mod postgres;
mod quality;
mod quality_rows;
mod readings;
mod record;
mod registry;
mod restore;
mod signing;
mod sqlite;
pub mod testing;
mod trace;
mod trace_rows;
mod types;

pub use analytics::{
    AnalyticsModelRow, AnalyticsResult, AnalyticsStore, LeaseStore, RESULT_KINDS, ResultFilter, UnitHold,
};
pub use audit::{AuditCheckpoint, AuditEntry, AuditEvent, checkpoint_message};
pub use grants::Grant;
pub use keys::{FINGERPRINT_LEN, KeyHolder, KeyInfo, KeySelector, KeyStore, MIN_FINGERPRINT_PREFIX};
pub use postgres::PostgresStore;
pub use quality::{
    AlarmAck, AlarmFilter, CoaDecision, CoaFilter, CoaWrite, LabResultRecord, LotCoaHead, LotKey, NewAlarm, NewCoa,
    NewDecision, ParsedCoa, QualityStore, SeriesId, SpcWrite, StoredAlarm, StoredCoa, StoredSampling, StoredSeries,
    StoredSpec, UntestedLot,
};
pub use quality_rows::{
    CoaDecisionRow, CoaRow, LabResultRow, MaterialSpecRow, SamplingStateRow, SpcAlarmAckRow, SpcAlarmRow, SpcSeriesRow,
};
pub use readings::{Reading, ReadingBucket, ReadingQuery, ReadingsWritten, RejectedReading};
pub use record::{canonical_record, record_hash};
pub use registry::{RegistryStore, StoredDescriptor};
pub use restore::{ActorRecord, RestoreStore, SignedVersion};
pub use signing::{IssuerKeyRecord, VersionSignature, VersionSigner};
pub use sqlite::SqliteStore;
pub use trace::{
    BacklogEvent, LineDay, ModelSources, StoredEdge, StoredResult, StoredSource, StoredUnit, TraceStore, TraceWrite,
    WriterLock,
};
pub use trace_rows::{TraceBackupStore, TraceEventRow, TraceUnitRow, TraceUsageRow};
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
    /// The write contradicts what is stored (e.g. closing an alarm closed already).
    #[error("{0}")]
    Conflict(String),
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    #[error("{0}")]
    Invalid(String),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database's disk is full: nothing was written; what is stored stays readable.
    #[error("the database's storage is full: {0}")]
    StorageFull(String),
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                StoreError::Unavailable(e.to_string())
            }
            sqlx::Error::Database(db) if disk_full(db.as_ref()) => StoreError::StorageFull(db.message().to_string()),
            sqlx::Error::Database(db) if connection_lost(db.as_ref()) => {
                StoreError::Unavailable(db.message().to_string())
            }
            other => StoreError::Database(other.to_string()),
        }
    }
}

/// PostgreSQL going away or not taking connections: a connection exception (08xxx), an operator intervention
/// (57P01 shutdown, 57P02 crash, 57P03 starting up), too many connections (53300), or a database closed to
/// connections (55000 "not currently accepting connections"). The request can be retried; the pool reconnects.
fn connection_lost(error: &dyn sqlx::error::DatabaseError) -> bool {
    match error.code().as_deref() {
        Some(code) if code.starts_with("08") || code.starts_with("57P0") || code == "53300" => true,
        Some("55000") => error.message().contains("not currently accepting connections"),
        _ => false,
    }
}

/// SQLite's `SQLITE_FULL` (13, and its extended codes), PostgreSQL's `disk_full` (53100).
fn disk_full(error: &dyn sqlx::error::DatabaseError) -> bool {
    match error.code().as_deref() {
        Some("53100") => true,
        Some(code) => code.parse::<i32>().is_ok_and(|c| c & 0xff == 13),
        None => false,
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Database(format!("migration failed: {e}"))
    }
}

/// What else goes into the transaction that appends passport versions.
#[derive(Default, Clone)]
pub struct AppendOptions {
    /// Signs each version with its responsible operator's key (no signature when `None` or keyless).
    pub signer: Option<Arc<dyn VersionSigner>>,
    /// Audit events recorded with the write (the write itself is always recorded).
    pub audit: Vec<AuditEvent>,
}

/// Everything voltpass keeps, behind one interface (split by concern into supertraits).
#[async_trait]
pub trait Store:
    ReadingStore
    + GrantStore
    + TrustStore
    + RestoreStore
    + RegistryStore
    + QualityStore
    + TraceStore
    + TraceBackupStore
    + AnalyticsStore
    + LeaseStore
    + KeyStore
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Cheap liveness check for `/healthz`.
    async fn ping(&self) -> Result<()>;

    async fn create_actor(&self, actor: &Actor) -> Result<()>;
    async fn actor(&self, id: &str) -> Result<Option<Actor>>;
    async fn list_actors(&self) -> Result<Vec<Actor>>;
    /// Binds an API key (by its hash only) to an actor, for good ([`KeyStore::add_key_until`] for a time).
    async fn add_key(&self, actor_id: &str, key_hash: &str) -> Result<()>;
    /// The holder of the key with this hash while the key is in force ([`KeyStore::key_in_force`]).
    async fn actor_by_key_hash(&self, key_hash: &str) -> Result<Option<Actor>>;

    /// Appends a model version (version 1 creates the model).
    async fn append_model(&self, new: NewModelVersion) -> Result<ModelVersion>;
    /// A model version, the latest when `version` is `None`.
    async fn model(&self, id: &str, version: Option<i64>) -> Result<Option<ModelVersion>>;
    async fn model_history(&self, id: &str) -> Result<Vec<VersionMeta>>;
    /// The latest version of any model whose content hash is `hash` (to reuse embedded model parts).
    async fn model_by_hash(&self, hash: &str) -> Result<Option<ModelVersion>>;

    /// Appends passport versions in ONE transaction: all are written or none, with their signatures and
    /// an audit entry.
    async fn append_passports(
        &self,
        batch: Vec<NewPassportVersion>,
        options: AppendOptions,
    ) -> Result<Vec<PassportVersion>>;
    async fn passport_head(&self, id: &str) -> Result<Option<PassportHead>>;
    /// Heads of these passports (those that exist), in no particular order.
    async fn passport_heads(&self, ids: &[String]) -> Result<Vec<PassportHead>>;
    /// Every version of a passport, oldest first (for verification and backup).
    async fn passport_versions(&self, id: &str) -> Result<Vec<PassportVersion>>;
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

/// Dynamic data: readings per passport.
#[async_trait]
pub trait ReadingStore {
    /// Stores readings in one transaction; ones already stored are counted as duplicates. Recorded in the
    /// audit log as one entry naming `actor_id`.
    async fn insert_readings(&self, readings: &[Reading], actor_id: &str) -> Result<ReadingsWritten>;
    /// Keeps refused readings with their reason.
    async fn reject_readings(&self, rejected: &[RejectedReading]) -> Result<()>;
    /// Refused readings, newest first (of one passport, or all).
    async fn rejected_readings(&self, passport_id: Option<&str>, limit: i64) -> Result<Vec<RejectedReading>>;
    /// The latest reading of each metric of a passport.
    async fn latest_readings(&self, passport_id: &str) -> Result<Vec<Reading>>;
    /// Readings of one metric in `[from_ms, to_ms]`, oldest first, at most `limit`.
    async fn readings(&self, query: &ReadingQuery) -> Result<Vec<Reading>>;
    /// Readings of one metric in `[from_ms, to_ms]` averaged into `buckets` equal time buckets (empty ones left out).
    async fn reading_buckets(&self, query: &ReadingQuery, buckets: i64) -> Result<Vec<ReadingBucket>>;
    /// How many readings are stored (all passports).
    async fn count_readings(&self) -> Result<i64>;
}

/// Written authorisations.
#[async_trait]
pub trait GrantStore {
    /// Stores a new grant (audited as `grant.create`).
    async fn create_grant(&self, grant: &Grant) -> Result<()>;
    async fn grant(&self, id: &str) -> Result<Option<Grant>>;
    /// Grants held by an actor, or given by an operator, newest first.
    async fn grants_for(&self, grantee: Option<&str>, grantor: Option<&str>) -> Result<Vec<Grant>>;
    /// Revokes a grant (audited as `grant.revoke`); revoking twice is an error.
    async fn revoke_grant(&self, id: &str, by: &str) -> Result<Grant>;
}

/// Keys, signatures and the audit log: what makes the record trustworthy.
#[async_trait]
pub trait TrustStore {
    /// Adds an issuer key and retires the operator's previous active key, in one transaction.
    async fn add_issuer_key(&self, key: &IssuerKeyRecord, actor_id: &str) -> Result<()>;
    /// Every issuer key ever created, oldest first.
    async fn issuer_keys(&self) -> Result<Vec<IssuerKeyRecord>>;
    /// Signatures of a passport's versions, by version.
    async fn version_signatures(&self, passport_id: &str) -> Result<Vec<(i64, VersionSignature)>>;
    /// Appends events to the audit chain.
    async fn append_audit(&self, events: Vec<AuditEvent>) -> Result<()>;
    /// Audit entries after `after_seq`, in order, at most `limit`.
    async fn audit_entries(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEntry>>;
    /// Stores a signed checkpoint of the chain head.
    async fn add_checkpoint(&self, checkpoint: &AuditCheckpoint) -> Result<()>;
    async fn checkpoints(&self) -> Result<Vec<AuditCheckpoint>>;
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
