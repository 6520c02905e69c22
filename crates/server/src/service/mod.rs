//! The passport service: what the REST API and the CLI do, without HTTP. It parses writes, resolves and
//! caches battery models, validates composed documents, checks who may write, and appends to the store.
//! Reads, and the one place that decides what a reader sees, are in [`reads`].

pub mod aas;
pub mod analytics;
pub mod audit;
pub mod coa_pipeline;
mod grants;
pub mod keys;
mod lifecycle;
pub mod model_rollup;
pub mod public_cache;
pub mod quality;
pub mod readings;
mod reads;
pub mod sampling;
pub mod scorecard;
pub mod signing;
pub mod spc;
pub mod trace;
pub mod trace_pipeline;

pub use grants::{GRANT_GROUPS, GrantRequest};
pub use lifecycle::StatusChange;
pub use reads::{CEASED, HistoryEntry, ModelView, Tombstone, audience};

use passport::catalogue::Category;
use passport::document::compose;
use passport::input::{Envelope, ModelSource, PassportInput};
use passport::validate::{validate_item, validate_model};
use passport::{Violation, hash, ids};
use public_cache::PublicCache;
use rayon::prelude::*;
use serde_json::Value;
use signing::KeyRing;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use store::{
    Actor, AppendOptions, AuditEvent, ModelVersion, NewModelVersion, NewPassportVersion, PassportHead, PassportVersion,
    Role, Store, StoreError, VersionMeta,
};

const GPI: &str = "/generalProductInformation";

#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid document ({} violations)", .0.len())]
    Invalid(Vec<Violation>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Duplicate(String),
    #[error("{0}")]
    Concurrent(String),
    #[error("{0}")]
    Stale(String),
    /// The passport has ended (the battery was recycled): what the public may know of it.
    #[error("passport {} has ended", .0.passport_id)]
    Gone(Box<Tombstone>),
    /// The request breaks the passport's lifecycle (e.g. writing to an ended passport).
    #[error("{0}")]
    Lifecycle(String),
    /// A CoA refused at intake, with where in the document.
    #[error("{0}")]
    Ecoa(Box<::quality::ecoa::EcoaError>),
    /// Production events refused, each with why (nothing of their batch was written).
    #[error("{} production event(s) refused: {}", .0.len(), .0.first().map(|e| e.to_string()).unwrap_or_default())]
    Trace(Vec<::trace::plan::PlanError>),
    #[error("{0}")]
    Unavailable(String),
    /// The store's disk is full: nothing of the request was written.
    #[error("{0}")]
    StorageFull(String),
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DuplicateBattery { .. } => ServiceError::Duplicate(e.to_string()),
            StoreError::VersionConflict { .. } => ServiceError::Concurrent(e.to_string()),
            StoreError::Conflict(msg) => ServiceError::Concurrent(msg),
            StoreError::NotFound { .. } => ServiceError::NotFound(e.to_string()),
            StoreError::Invalid(msg) => {
                ServiceError::Invalid(vec![Violation::new(format!("{GPI}/predecessorPassports"), "predecessor", msg)])
            }
            StoreError::Unavailable(msg) => ServiceError::Unavailable(msg),
            StoreError::StorageFull(msg) => ServiceError::StorageFull(msg),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// A passport as read: its index entry, the stored version and the composed canonical document.
#[derive(Debug, Clone)]
pub struct Passport {
    pub head: PassportHead,
    pub version: PassportVersion,
    pub document: Value,
}

/// One line of a bulk write and what became of it.
#[derive(Debug, Clone)]
pub enum LineOutcome {
    Created {
        id: String,
    },
    Failed(ServiceError),
    /// Valid, but not written because another line of an all-or-nothing batch failed.
    NotWritten,
}

/// New passports validated and ready to commit, with the lines that already failed.
pub struct PreparedBatch {
    outcomes: Vec<Option<LineOutcome>>,
    ready: Vec<(usize, Prepared)>,
}

impl PreparedBatch {
    fn failed(count: usize, stage: &str) -> PreparedBatch {
        let e = ServiceError::Internal(format!("the {stage} task failed"));
        PreparedBatch { outcomes: vec![Some(LineOutcome::Failed(e)); count], ready: Vec::new() }
    }
}

/// Who names a new passport: the server (always, for API writes), or the document being imported
/// (`voltpass import --keep-ids`, to move passports between stores without changing their identifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdPolicy {
    Assign,
    Keep,
}

/// One line of a bulk write: JSON text (parsed on the worker threads), a parsed value, or a line that
/// already failed (e.g. unreadable).
pub enum BulkLine {
    Text(String),
    Json(Value),
    Failed(ServiceError),
}

/// Runs CPU-bound batch work on the blocking pool (small batches inline); `None` if the task panicked.
async fn off_runtime<T: Send + 'static>(count: usize, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    if count < 64 { Some(work()) } else { tokio::task::spawn_blocking(work).await.ok() }
}

/// A page of passports.
pub struct Page {
    pub items: Vec<PassportHead>,
    pub next_after: Option<String>,
}

/// Model references resolved while preparing one batch: (id, requested version) to model version.
type ResolvedModels = HashMap<(String, Option<i64>), Arc<ModelVersion>>;

/// Model versions are immutable, so once read they are kept: by (id, version) for reads, and by content
/// hash so that full documents of a known model find it without a database query.
#[derive(Default)]
struct ModelCache {
    by_version: HashMap<(String, i64), Arc<ModelVersion>>,
    by_hash: HashMap<String, Arc<ModelVersion>>,
}

#[derive(Clone)]
pub struct PassportService {
    store: Arc<dyn Store>,
    models: Arc<RwLock<ModelCache>>,
    /// Finished public answers of the resolver; every passport write goes through [`Self::append`] to forget them.
    public: Arc<PublicCache>,
    /// Issuer keys: every appended version is signed by its responsible operator's active key.
    keys: Arc<KeyRing>,
    /// Latest counter values, to refuse readings that run backwards.
    counters: Arc<readings::CounterCache>,
    /// Holders of API keys already seen (by key hash), trusted for a while ([`keys::KEY_RECHECK`]) and never past
    /// the key's expiry; unknown keys are not cached, so a new key works at once.
    key_holders: Arc<quick_cache::sync::Cache<String, keys::CachedHolder>>,
    key_recheck: std::time::Duration,
    /// One genealogy batch at a time: its checks (quantities left, serials free) hold until it is written.
    trace_lock: Arc<tokio::sync::Mutex<()>>,
}

/// A validated passport write, ready for the store.
struct Prepared {
    new: NewPassportVersion,
    model: Arc<ModelVersion>,
}

impl Prepared {
    fn document(&self) -> Value {
        compose(&self.model.document, &self.new.item)
    }
}

/// `If-Match` named the version the writer read: 412 when the passport has moved on since.
fn ensure_expected(head: &PassportHead, expected: Option<i64>) -> Result<()> {
    match expected {
        Some(expected) if expected != head.version => {
            Err(ServiceError::Stale(format!("passport {} is at version {}, not {expected}", head.id, head.version)))
        }
        _ => Ok(()),
    }
}

/// May `actor` write data on behalf of the economic operator `operator`?
fn may_write_for(actor: &Actor, operator: &str) -> Result<()> {
    match actor.role {
        Role::Admin => Ok(()),
        Role::EconomicOperator if actor.organisation.as_deref() == Some(operator) => Ok(()),
        Role::EconomicOperator => Err(ServiceError::Forbidden(format!(
            "economic operator {} may not write passports of operator `{operator}`",
            actor.organisation.as_deref().unwrap_or("(none)")
        ))),
        role => Err(ServiceError::Forbidden(format!("role {role} may not write passports or models"))),
    }
}

impl PassportService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        PassportService {
            store,
            models: Arc::default(),
            public: Arc::new(PublicCache::new(0, public_cache::DEFAULT_TTL)),
            keys: Arc::default(),
            counters: Arc::default(),
            key_holders: Arc::new(quick_cache::sync::Cache::new(10_000)),
            key_recheck: keys::KEY_RECHECK,
            trace_lock: Arc::default(),
        }
    }

    /// Keeps up to `bytes` of finished public answers in memory for `ttl` (the server does; the CLI does not).
    pub fn with_public_cache(mut self, bytes: u64, ttl: std::time::Duration) -> Self {
        self.public = Arc::new(PublicCache::new(bytes, ttl));
        self
    }

    /// Loads the issuer keys from the store; call at start and after a key is created or rotated.
    pub async fn load_keys(&self) -> Result<()> {
        self.keys.reload(&self.store).await
    }

    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    pub fn public_cache(&self) -> &PublicCache {
        &self.public
    }

    /// The one way passport versions are written: the public answers of every passport it touches (written
    /// ones and predecessors that gain a successor) are forgotten once the write has committed.
    /// Every version is signed by its responsible operator's issuer key (when it has one), and `audit` events
    /// (e.g. the use of a grant) commit with it.
    async fn append(
        &self,
        batch: Vec<NewPassportVersion>,
        audit: Vec<AuditEvent>,
    ) -> std::result::Result<Vec<PassportVersion>, StoreError> {
        let touched: Vec<String> =
            batch.iter().flat_map(|n| std::iter::once(&n.head.id).chain(n.predecessors.iter())).cloned().collect();
        let signer: Arc<dyn store::VersionSigner> = self.keys.clone();
        let options = AppendOptions { signer: Some(signer), audit };
        let written = self.store.append_passports(batch, options).await;
        for id in &touched {
            self.public.forget(id);
        }
        written
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    // ----- models -----

    /// Creates a battery model record (version 1) from a write body with `modelId`.
    pub async fn create_model(&self, actor: &Actor, body: Value) -> Result<ModelVersion> {
        // The creating economic operator owns the model; admins create unowned (admin-managed) models.
        let owner =
            match actor.role {
                Role::Admin => None,
                Role::EconomicOperator => Some(actor.organisation.clone().ok_or_else(|| {
                    ServiceError::Forbidden("this economic-operator key names no organisation".into())
                })?),
                role => return Err(ServiceError::Forbidden(format!("role {role} may not write battery models"))),
            };
        self.write_model(actor, body, None, Some(0), owner).await
    }

    /// Appends a new version of a model; `expected` comes from `If-Match`.
    pub async fn update_model(
        &self,
        actor: &Actor,
        id: &str,
        body: Value,
        expected: Option<i64>,
    ) -> Result<ModelVersion> {
        let current =
            self.store.model(id, None).await?.ok_or_else(|| ServiceError::NotFound(format!("model {id} not found")))?;
        if let Some(expected) = expected
            && expected != current.meta.version
        {
            return Err(ServiceError::Stale(format!(
                "model {id} is at version {}, not {expected}",
                current.meta.version
            )));
        }
        match &current.owner {
            Some(owner) => may_write_for(actor, owner)?,
            None if actor.role != Role::Admin => {
                return Err(ServiceError::Forbidden(format!("model {id} is managed by an administrator")));
            }
            None => {}
        }
        // Ownership stays with the model, whoever writes the new version.
        self.write_model(actor, body, Some(id), Some(expected.unwrap_or(current.meta.version)), current.owner.clone())
            .await
    }

    async fn write_model(
        &self,
        actor: &Actor,
        body: Value,
        path_id: Option<&str>,
        expected: Option<i64>,
        owner: Option<String>,
    ) -> Result<ModelVersion> {
        let mut envelope = Envelope::parse(body).map_err(ServiceError::Invalid)?;
        if let Some(path_id) = path_id {
            match &envelope.model_id {
                Some(id) if id != path_id => {
                    return Err(ServiceError::Invalid(vec![Violation::new(
                        "/modelId",
                        "model-id",
                        "modelId differs from the URL",
                    )]));
                }
                _ => envelope.model_id = Some(path_id.to_string()),
            }
        }
        let input = envelope.into_model().map_err(ServiceError::Invalid)?;
        validate_model(&input.document).map_err(ServiceError::Invalid)?;
        let new = NewModelVersion {
            model_id: input.id.clone(),
            document: input.document,
            owner,
            actor_id: actor.id.clone(),
            reason: input.reason,
            expected_version: expected,
        };
        match self.store.append_model(new).await {
            Err(StoreError::VersionConflict { current, .. }) if expected == Some(0) => {
                Err(ServiceError::Duplicate(format!("model {} already exists (version {current})", input.id)))
            }
            Err(StoreError::VersionConflict { current, .. }) => {
                Err(ServiceError::Stale(format!("model {} changed meanwhile, now at version {current}", input.id)))
            }
            other => Ok(other?),
        }
    }

    /// A model version (latest when `version` is `None`).
    pub async fn model(&self, id: &str, version: Option<i64>) -> Result<Arc<ModelVersion>> {
        if let Some(v) = version
            && let Some(hit) = self.models.read().expect("model cache lock").by_version.get(&(id.to_string(), v))
        {
            return Ok(hit.clone());
        }
        let model = self.store.model(id, version).await?.ok_or_else(|| {
            ServiceError::NotFound(match version {
                Some(v) => format!("model {id} version {v} not found"),
                None => format!("model {id} not found"),
            })
        })?;
        Ok(self.remember(model))
    }

    fn remember(&self, model: ModelVersion) -> Arc<ModelVersion> {
        let model = Arc::new(model);
        let mut cache = self.models.write().expect("model cache lock");
        cache.by_version.insert((model.model_id.clone(), model.meta.version), model.clone());
        cache.by_hash.insert(model.meta.content_hash.clone(), model.clone());
        model
    }

    pub async fn model_history(&self, id: &str) -> Result<Vec<VersionMeta>> {
        let history = self.store.model_history(id).await?;
        if history.is_empty() {
            return Err(ServiceError::NotFound(format!("model {id} not found")));
        }
        Ok(history)
    }

    /// The stored model record for a full document's model part: reused when an identical one exists.
    async fn embedded_model(&self, actor: &Actor, model_part: Value) -> Result<Arc<ModelVersion>> {
        // A model version's content hash is the SHA-256 of its canonical document, as computed here.
        let content_hash = hash::content_hash(&model_part);
        if let Some(hit) = self.models.read().expect("model cache lock").by_hash.get(&content_hash) {
            return Ok(hit.clone());
        }
        if let Some(found) = self.store.model_by_hash(&content_hash).await? {
            return Ok(self.remember(found));
        }
        // Only operators and administrators create model records (a grantee may update items, not models).
        if !matches!(actor.role, Role::Admin | Role::EconomicOperator) {
            return Err(ServiceError::Forbidden(format!("role {} may not create battery model records", actor.role)));
        }
        validate_model(&model_part).map_err(ServiceError::Invalid)?;
        let new = NewModelVersion {
            model_id: format!("auto-{}", &content_hash[..16]),
            document: model_part,
            owner: actor.organisation.clone().filter(|_| actor.role == Role::EconomicOperator),
            actor_id: actor.id.clone(),
            reason: Some("model part of a full passport document".into()),
            expected_version: None,
        };
        Ok(self.remember(self.store.append_model(new).await?))
    }

    // ----- passports -----

    /// Parses, resolves and validates one passport write. `existing` is the head being updated, if any.
    async fn prepare(&self, actor: &Actor, body: Value, existing: Option<&PassportHead>) -> Result<Prepared> {
        let pending = self.resolve(actor, body, existing, &mut ResolvedModels::new()).await?;
        finish(actor, pending, existing)
    }

    /// The I/O half of preparing a write: parse the envelope, assign the id, find the model.
    async fn resolve(
        &self,
        actor: &Actor,
        body: Value,
        existing: Option<&PassportHead>,
        resolved: &mut ResolvedModels,
    ) -> Result<Pending> {
        let parsed = parse_write(body, existing, IdPolicy::Assign)?;
        self.resolve_model(actor, parsed, resolved).await
    }

    /// Finds (or, for a full document, stores) the model a parsed write refers to.
    async fn resolve_model(
        &self,
        actor: &Actor,
        parsed: ParsedWrite,
        resolved: &mut ResolvedModels,
    ) -> Result<Pending> {
        let ParsedWrite { id, input: PassportInput { model, item, reason } } = parsed;
        let model = match model {
            ModelSource::Reference { id: model_id, version } => match resolved.get(&(model_id.clone(), version)) {
                Some(model) => model.clone(),
                None => {
                    let model = self.model(&model_id, version).await.map_err(|e| match e {
                        ServiceError::NotFound(msg) => {
                            ServiceError::Invalid(vec![Violation::new("/modelId", "unknown-model", msg)])
                        }
                        other => other,
                    })?;
                    resolved.insert((model_id, version), model.clone());
                    model
                }
            },
            ModelSource::Embedded(part) => self.embedded_model(actor, part).await?,
        };
        Ok(Pending { id, item, reason, model })
    }

    /// Creates one passport.
    pub async fn create_passport(&self, actor: &Actor, body: Value) -> Result<Passport> {
        let prepared = self.prepare(actor, body, None).await?;
        self.check_successor(&prepared.new).await?;
        let (head, document) = (prepared.new.head.clone(), prepared.document());
        let version = self.append(vec![prepared.new], Vec::new()).await?.remove(0);
        Ok(Passport { head, version, document })
    }

    /// Appends a new version of a passport. `expected` comes from `If-Match`.
    pub async fn update_passport(
        &self,
        actor: &Actor,
        id: &str,
        body: Value,
        expected: Option<i64>,
    ) -> Result<Passport> {
        let head = self.head(id).await?;
        ensure_expected(&head, expected)?;
        let prepared = self.prepare(actor, body, Some(&head)).await?;
        if prepared.new.head.status != head.status {
            return Err(ServiceError::Lifecycle(format!(
                "batteryStatus changes go through the lifecycle: POST /api/v1/passports/{id}/status (now {}, asked {})",
                head.status, prepared.new.head.status
            )));
        }
        let audit = self.authorise_update(actor, &head, &prepared.new).await?;
        let (new_head, document) = (prepared.new.head.clone(), prepared.document());
        let version = match self.append(vec![prepared.new], audit).await {
            Err(StoreError::VersionConflict { current, .. }) if expected.is_some() => {
                return Err(ServiceError::Stale(format!("passport {id} changed meanwhile, now at version {current}")));
            }
            other => other?.remove(0),
        };
        Ok(Passport { head: new_head, version, document })
    }

    /// Creates many passports. `atomic`: all or nothing; otherwise each valid line is written.
    /// Lines are written in one transaction per call; callers stream large inputs in chunks.
    pub async fn create_passports(&self, actor: &Actor, lines: Vec<BulkLine>, atomic: bool) -> Vec<LineOutcome> {
        let batch = self.prepare_batch(actor, lines, IdPolicy::Assign).await;
        self.commit_batch(batch, atomic).await
    }

    /// Parses, resolves and validates a batch of new passports. Parsing and validation run on all cores;
    /// only model look-ups are sequential. Nothing is written: an importer can prepare the next batch while
    /// the previous one commits.
    pub async fn prepare_batch(&self, actor: &Actor, lines: Vec<BulkLine>, ids: IdPolicy) -> PreparedBatch {
        let count = lines.len();
        let parse_all = move || -> Vec<Result<ParsedWrite>> {
            lines
                .into_par_iter()
                .map(|line| match line {
                    BulkLine::Json(value) => parse_write(value, None, ids),
                    BulkLine::Text(text) => serde_json::from_str(&text)
                        .map_err(|e| ServiceError::BadRequest(format!("malformed JSON: {e}")))
                        .and_then(|value| parse_write(value, None, ids)),
                    BulkLine::Failed(e) => Err(e),
                })
                .collect()
        };
        let Some(parsed) = off_runtime(count, parse_all).await else {
            return PreparedBatch::failed(count, "parsing");
        };
        let mut outcomes: Vec<Option<LineOutcome>> = vec![None; count];
        // "Latest version of model M" means the same version for every line of one batch.
        let mut resolved = ResolvedModels::new();
        let mut pending = Vec::with_capacity(count);
        for (i, parsed) in parsed.into_iter().enumerate() {
            let result = match parsed {
                Ok(parsed) => self.resolve_model(actor, parsed, &mut resolved).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(p) => pending.push((i, p)),
                Err(e) => outcomes[i] = Some(LineOutcome::Failed(e)),
            }
        }
        let writer = actor.clone();
        let finish_all = move || -> Vec<(usize, Result<Prepared>)> {
            pending.into_par_iter().map(|(i, p)| (i, finish(&writer, p, None))).collect()
        };
        let Some(finished) = off_runtime(count, finish_all).await else {
            return PreparedBatch::failed(count, "validation");
        };
        let mut ready = Vec::with_capacity(finished.len());
        let mut seen_batteries: HashMap<String, usize> = HashMap::new();
        for (i, result) in finished {
            match result {
                Ok(p) => match seen_batteries.insert(p.new.head.battery_id.clone(), i) {
                    Some(first) => {
                        outcomes[i] = Some(LineOutcome::Failed(ServiceError::Duplicate(format!(
                            "battery identifier `{}` repeats line {}",
                            p.new.head.battery_id,
                            first + 1
                        ))))
                    }
                    None => ready.push((i, p)),
                },
                Err(e) => outcomes[i] = Some(LineOutcome::Failed(e)),
            }
        }
        PreparedBatch { outcomes, ready }
    }

    /// Writes a prepared batch in one transaction (`atomic`: only if every line is good).
    pub async fn commit_batch(&self, batch: PreparedBatch, atomic: bool) -> Vec<LineOutcome> {
        let PreparedBatch { mut outcomes, mut ready } = batch;
        // Successor passports (rare in bulk) follow the lifecycle like single writes.
        let mut successors_ok = Vec::with_capacity(ready.len());
        for (i, p) in ready {
            match self.check_successor(&p.new).await {
                Ok(()) => successors_ok.push((i, p)),
                Err(e) => outcomes[i] = Some(LineOutcome::Failed(e)),
            }
        }
        ready = successors_ok;
        // Battery identifiers that already have an active passport (successors aside).
        let wanted: Vec<String> = ready
            .iter()
            .filter(|(_, p)| p.new.predecessors.is_empty())
            .map(|(_, p)| p.new.head.battery_id.clone())
            .collect();
        let taken: HashMap<String, String> = match self.store.active_by_battery_ids(&wanted).await {
            Ok(taken) => taken.into_iter().map(|h| (h.battery_id, h.id)).collect(),
            Err(e) => {
                let e = ServiceError::from(e);
                return outcomes.into_iter().map(|o| o.unwrap_or(LineOutcome::Failed(e.clone()))).collect();
            }
        };
        ready.retain(|(i, p)| match taken.get(&p.new.head.battery_id) {
            Some(existing) if p.new.predecessors.is_empty() => {
                outcomes[*i] = Some(LineOutcome::Failed(ServiceError::Duplicate(format!(
                    "battery identifier `{}` already has passport {existing}",
                    p.new.head.battery_id
                ))));
                false
            }
            _ => true,
        });
        if atomic && outcomes.iter().any(Option::is_some) {
            return outcomes.into_iter().map(|o| o.unwrap_or(LineOutcome::NotWritten)).collect();
        }
        let ids: Vec<(usize, String)> = ready.iter().map(|(i, p)| (*i, p.new.head.id.clone())).collect();
        let writes: Vec<NewPassportVersion> = ready.into_iter().map(|(_, p)| p.new).collect();
        match self.append(writes, Vec::new()).await {
            Ok(_) => {
                for (i, id) in ids {
                    outcomes[i] = Some(LineOutcome::Created { id });
                }
            }
            Err(e) => {
                // Another writer took a battery id between the check and the write: nothing was written.
                let e = ServiceError::from(e);
                for (i, _) in ids {
                    outcomes[i] = Some(LineOutcome::Failed(e.clone()));
                }
            }
        }
        outcomes.into_iter().map(|o| o.unwrap_or(LineOutcome::NotWritten)).collect()
    }
}

/// A write whose model is known, not yet validated.
struct Pending {
    id: String,
    item: Value,
    reason: Option<String>,
    model: Arc<ModelVersion>,
}

/// The CPU half of preparing a write: validate the item against its model, check the writer, build the head.
fn finish(actor: &Actor, pending: Pending, existing: Option<&PassportHead>) -> Result<Prepared> {
    let Pending { id, item, reason, model } = pending;
    validate_item(&item, &model.document).map_err(ServiceError::Invalid)?;
    // Per-battery values come from the item, the rest from the model.
    let field = |pointer: &str| -> String {
        item.pointer(pointer)
            .or_else(|| model.document.pointer(pointer))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };

    let battery_id = field(&format!("{GPI}/productIdentifier"));
    let responsible = field(&format!("{GPI}/operatorInformation/identifier"));
    // A new passport is written by (or for) its responsible operator. Who may update an existing one (its
    // operator, or a grantee for some attribute groups) is decided by the caller, which sees the old item.
    if existing.is_none() {
        may_write_for(actor, &responsible)?;
    }
    if let Some(head) = existing {
        lifecycle::ensure_open(head)?;
        if head.battery_id != battery_id {
            return Err(ServiceError::Invalid(vec![Violation::new(
                format!("{GPI}/productIdentifier"),
                "immutable",
                format!("the battery identifier `{}` cannot change", head.battery_id),
            )]));
        }
    }
    let predecessors: Vec<String> = item
        .pointer(&format!("{GPI}/predecessorPassports"))
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let head = PassportHead {
        id,
        battery_id,
        model_id: model.model_id.clone(),
        model_version: model.meta.version,
        category: Category::parse(&field(&format!("{GPI}/batteryCategory")))
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        status: field(&format!("{GPI}/batteryStatus")),
        manufacturer: field(&format!("{GPI}/manufacturerInformation/identifier")),
        responsible,
        version: existing.map_or(1, |h| h.version + 1),
        successor_id: None,
    };
    let new = NewPassportVersion {
        head,
        item,
        actor_id: actor.id.clone(),
        reason,
        predecessors: if existing.is_some() { Vec::new() } else { predecessors },
        expected_version: existing.map_or(0, |h| h.version),
    };
    Ok(Prepared { new, model })
}

/// A write body parsed into its parts, with its passport id; the model is not looked up yet.
struct ParsedWrite {
    id: String,
    input: PassportInput,
}

/// The pure first step of a write: parse the envelope, split model and item, assign or check the id.
fn parse_write(body: Value, existing: Option<&PassportHead>, policy: IdPolicy) -> Result<ParsedWrite> {
    let mut input = Envelope::parse(body).and_then(Envelope::into_passport).map_err(ServiceError::Invalid)?;
    let item = &mut input.item;
    let sent_id = item.pointer(&format!("{GPI}/batteryPassportIdentifier")).cloned();
    let id = match (existing, policy, &sent_id) {
        (Some(head), _, _) => head.id.clone(),
        (None, IdPolicy::Keep, Some(Value::String(kept))) if ids::is_passport_id(kept) => {
            return Ok(ParsedWrite { id: kept.clone(), input });
        }
        _ => ids::new_passport_id(),
    };
    match (sent_id, existing) {
        (None, _) => {}
        (Some(Value::String(s)), Some(head)) if s == head.id => {}
        (Some(_), None) => {
            return Err(ServiceError::Invalid(vec![Violation::new(
                format!("{GPI}/batteryPassportIdentifier"),
                "server-assigned",
                "the passport identifier is assigned by the server: leave it out",
            )]));
        }
        (Some(_), Some(head)) => {
            return Err(ServiceError::Invalid(vec![Violation::new(
                format!("{GPI}/batteryPassportIdentifier"),
                "immutable",
                format!("this is passport {}, the identifier cannot change", head.id),
            )]));
        }
    }
    let gpi = item.as_object_mut().and_then(|o| {
        o.entry("generalProductInformation").or_insert_with(passport::input::empty_object).as_object_mut()
    });
    if let Some(gpi) = gpi {
        gpi.insert("batteryPassportIdentifier".into(), Value::String(id.clone()));
    }
    Ok(ParsedWrite { id, input })
}
