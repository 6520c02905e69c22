//! Supplier quality (issue 6): receiving electronic Certificates of Analysis (eCoA), deciding on each lot,
//! and operator overrides. The original bytes of every CoA are stored as received, with their SHA-256; a
//! re-sent CoA for the same lot (supplier, material, lot number) is the next revision, never an overwrite.
//!
//! Known materials are those with a specification. The store starts without any: the first CoA for a
//! material of the built-in catalogue ([`quality::spec::catalogue`]) stores that material's default
//! specification, recorded as actor `system` (audit `spec.seed`).

use quality::ecoa::{self, Coa, EcoaError, Intake, Location};
use quality::spec::{self, DecisionContext, MaterialSpec};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use store::{
    Actor, AuditEvent, CoaDecision, CoaFilter, CoaWrite, JsonText, NewCoa, NewDecision, Role, SpcWrite, StoredCoa,
    StoredSpec,
};
use time::OffsetDateTime;

use super::{PassportService, Result, ServiceError};

/// The formats a CoA is received in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoaFormat {
    Json,
    Csv,
    /// The supplier's own document: kept by hash, never parsed.
    Pdf,
}

impl CoaFormat {
    /// From a `Content-Type` (parameters such as `charset` ignored).
    pub fn from_media_type(media_type: &str) -> Option<CoaFormat> {
        let essence = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(CoaFormat::Json),
            "text/csv" => Some(CoaFormat::Csv),
            "application/pdf" => Some(CoaFormat::Pdf),
            _ => None,
        }
    }

    /// From a file name's extension (`.json`, `.csv`, `.pdf`).
    pub fn from_path(path: &std::path::Path) -> Option<CoaFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(CoaFormat::Json),
            "csv" => Some(CoaFormat::Csv),
            "pdf" => Some(CoaFormat::Pdf),
            _ => None,
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            CoaFormat::Json => "application/json",
            CoaFormat::Csv => "text/csv",
            CoaFormat::Pdf => "application/pdf",
        }
    }
}

/// For a PDF, which cannot be read: the lot it certifies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfLot {
    /// Only administrators name it; a supplier's PDF is its own.
    pub supplier: Option<String>,
    pub material: Option<String>,
    pub lot: Option<String>,
}

/// A CoA as read back: the stored CoA with its decision in force, every decision and the lot's revisions.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CoaRecord {
    #[serde(flatten)]
    pub coa: StoredCoa,
    pub decisions: Vec<CoaDecision>,
    pub revisions: Vec<RevisionRef>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionRef {
    pub id: String,
    pub revision: i64,
    pub content_hash: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

fn outcome_name(outcome: spec::Outcome) -> &'static str {
    match outcome {
        spec::Outcome::Accepted => "accepted",
        spec::Outcome::Rejected => "rejected",
        spec::Outcome::Hold => "hold",
    }
}

/// `accepted`, `rejected` or `hold`.
pub fn parse_outcome(text: &str) -> Result<&'static str> {
    ["accepted", "rejected", "hold"]
        .into_iter()
        .find(|o| *o == text)
        .ok_or_else(|| ServiceError::BadRequest(format!("unknown outcome `{text}` (accepted, rejected or hold)")))
}

/// Time with microsecond precision (what both backends keep).
pub(super) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now)
}

/// One CoA to receive in a batch. `received_at` backdates the receipt: only for in-process callers that
/// replay history (the demo, the benchmark); the REST API always receives now.
#[derive(Debug, Clone)]
pub struct CoaSubmission {
    pub bytes: Vec<u8>,
    pub format: CoaFormat,
    pub received_at: Option<OffsetDateTime>,
}

/// A parsed and checked CoA with the specification it is judged by, not yet decided or stored. What can be
/// made of it alone (its JSON value and hash) is made while checking, on every core.
pub(super) struct Checked {
    pub coa: Coa,
    pub spec: MaterialSpec,
    pub bytes: Vec<u8>,
    pub content_hash: String,
    /// `coa` as JSON text, taken by the first attempt to store it (made again only for a retry).
    pub parsed: Option<JsonText>,
    pub format: CoaFormat,
    pub received_at: OffsetDateTime,
}

/// A batch of eCoAs parsed and checked, not yet decided or stored (see [`PassportService::check_coas`]).
pub struct CheckedCoas {
    /// Per submission: its place in `batch`, or why it was refused.
    pub(super) slots: Vec<Result<usize>>,
    pub(super) batch: Vec<Checked>,
}

/// The CoAs stored of a batch in the places of their submissions, beside the refused ones.
pub(super) fn by_slot(slots: Vec<Result<usize>>, stored: Vec<StoredCoa>) -> Vec<Result<StoredCoa>> {
    let mut stored: Vec<Option<StoredCoa>> = stored.into_iter().map(Some).collect();
    slots.into_iter().map(|slot| slot.map(|i| stored[i].take().expect("each CoA is stored once"))).collect()
}

/// The SPC and sampling states a run of batches decides from (see [`super::spc::WatchedSeries`]).
#[derive(Default)]
pub(super) struct Held {
    pub spc: super::spc::WatchedSeries,
    pub sampling: super::sampling::SkipLotStates,
    /// Materials whose specification is known to be stored: an import checks each once, not per batch.
    pub seeded: BTreeSet<String>,
}

/// Checked CoAs decided on, with what storing them writes.
pub(super) struct Decided {
    batch: Vec<Checked>,
    writes: Vec<CoaWrite>,
    derived: SpcWrite,
}

impl Decided {
    /// The checked CoAs, to decide again.
    pub(super) fn into_batch(self) -> Vec<Checked> {
        self.batch
    }
}

/// What became of a write of decided CoAs.
pub(super) enum Written {
    Stored(Vec<StoredCoa>),
    /// Another writer moved a state they were decided from: nothing stored; the CoAs, to decide again.
    Conflict(Vec<Checked>, store::StoreError),
}

/// CoAs per page when reading every lot (SPC recompute, scorecards): a parsed CoA is a few kB of JSON.
const LOT_PAGE: i64 = 500;

/// Tries a batch again when another writer moved one of its SPC series meanwhile.
const SPC_RETRIES: usize = 5;

impl PassportService {
    /// Receives a CoA: parses and checks it (a supplier's only for itself), watches its characteristics for
    /// statistical signals, decides on the lot against the material's specification, and stores the original
    /// bytes, the parsed CoA, the decision, the SPC state and the audit entry `coa.receive` in one
    /// transaction, as the lot's next revision. Nothing is stored when it is refused.
    pub async fn receive_coa(&self, actor: &Actor, bytes: &[u8], format: CoaFormat, pdf: PdfLot) -> Result<StoredCoa> {
        let own = submitter(actor)?;
        if format == CoaFormat::Pdf {
            return self.receive_pdf(actor, bytes, own, pdf).await;
        }
        let specs = self.material_specs().await?;
        let checked = check_coa(&specs, own.as_deref(), bytes.to_vec(), format, now())?;
        let mut stored = self.commit_coas(actor, vec![checked]).await?;
        stored.pop().ok_or_else(|| ServiceError::Internal("the store returned no CoA".into()))
    }

    /// Receives many eCoAs (JSON or CSV) in one transaction: each is checked on its own (a refused one is an
    /// `Err` in its place and stores nothing), the accepted ones are decided and stored together. The outer
    /// error is a failure to store the batch, which then stores nothing.
    pub async fn receive_coas(&self, actor: &Actor, submissions: Vec<CoaSubmission>) -> Result<Vec<Result<StoredCoa>>> {
        let checked = self.check_coas(actor, submissions).await?;
        self.store_coas(actor, checked).await
    }

    /// The first half of [`PassportService::receive_coas`]: parses and checks each eCoA, on every core and off
    /// the async runtime, so that a caller may store the batch before meanwhile ([`super::coa_pipeline`]).
    pub async fn check_coas(&self, actor: &Actor, submissions: Vec<CoaSubmission>) -> Result<CheckedCoas> {
        let own = submitter(actor)?;
        let admin = actor.role == Role::Admin;
        let specs = self.material_specs().await?;
        let checked: Vec<Result<Checked>> = tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            submissions
                .into_par_iter()
                .map(|submission| {
                    if submission.received_at.is_some() && !admin {
                        return Err(ServiceError::Forbidden("only an administrator may backdate a receipt".into()));
                    }
                    let received_at = submission.received_at.unwrap_or_else(now);
                    match submission.format {
                        CoaFormat::Pdf => Err(ServiceError::BadRequest(
                            "a PDF CoA is received on its own, with its supplier, material and lot named".into(),
                        )),
                        format => check_coa(&specs, own.as_deref(), submission.bytes, format, received_at),
                    }
                })
                .collect()
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("checking CoAs failed: {e}")))?;
        let mut batch = Vec::new();
        let slots = checked
            .into_iter()
            .map(|c| {
                c.map(|c| {
                    batch.push(c);
                    batch.len() - 1
                })
            })
            .collect();
        Ok(CheckedCoas { slots, batch })
    }

    /// The second half of [`PassportService::receive_coas`]: decides on the checked eCoAs and stores them in
    /// one transaction; the refused ones stay `Err` in their places.
    pub async fn store_coas(&self, actor: &Actor, checked: CheckedCoas) -> Result<Vec<Result<StoredCoa>>> {
        let CheckedCoas { slots, batch } = checked;
        Ok(by_slot(slots, self.commit_coas(actor, batch).await?))
    }

    /// Decides on checked CoAs with the SPC signals their values raise and stores them with the SPC state,
    /// in one transaction; again from fresh SPC state when another writer moved a series meanwhile.
    pub(super) async fn commit_coas(&self, actor: &Actor, mut batch: Vec<Checked>) -> Result<Vec<StoredCoa>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let decided = self.decide_coas(actor, batch, &mut Held::default()).await?;
            match self.write_decided(decided).await? {
                Written::Stored(stored) => return Ok(stored),
                Written::Conflict(_, conflict) if attempt >= SPC_RETRIES => return Err(conflict.into()),
                Written::Conflict(again, _) => batch = again,
            }
        }
    }

    /// Decides on checked CoAs with the SPC signals their values raise, from the SPC and sampling states in
    /// `held` (read from the store where it holds none), which it leaves as the write will store them.
    pub(super) async fn decide_coas(&self, actor: &Actor, mut batch: Vec<Checked>, held: &mut Held) -> Result<Decided> {
        let started = std::time::Instant::now();
        for checked in &batch {
            if held.seeded.insert(checked.spec.material.clone()) {
                self.seed_spec(&checked.spec).await?;
            }
        }
        let documents = self.lot_documents(&batch).await?;
        held.spc.load_missing(self.store.as_ref(), &batch).await?;
        held.sampling.load_missing(self.store.as_ref(), &batch).await?;
        let read = started.elapsed();
        let mut writes = Vec::with_capacity(batch.len());
        for checked in &mut batch {
            let id = format!("coa:{}", uuid::Uuid::now_v7().simple());
            let alarms = held.spc.observe(&id, checked);
            let mut context = DecisionContext::received_on(checked.received_at.date());
            context.alarms = alarms;
            context.document_hash = document_check(&checked.coa, &documents);
            let decision = spec::decide(&checked.coa, &checked.spec, &context);
            let mut reasons =
                serde_json::to_value(&decision.reasons).map_err(|e| ServiceError::Internal(e.to_string()))?;
            let accepted = decision.outcome == spec::Outcome::Accepted;
            if let (Some(note), Value::Array(list)) = (held.sampling.observe(&checked.coa, accepted), &mut reasons) {
                list.push(note);
            }
            let new_decision = NewDecision {
                outcome: outcome_name(decision.outcome).into(),
                reasons,
                spec_material: Some(checked.spec.material.clone()),
                spec_version: Some(i64::from(checked.spec.version)),
                decided_by: actor.id.clone(),
                decided_at: checked.received_at,
                override_reason: None,
            };
            let parsed = match checked.parsed.take() {
                Some(parsed) => parsed,
                None => coa_json(&checked.coa)?,
            };
            writes.push(coa_write(
                actor,
                id,
                (checked.bytes.clone(), checked.content_hash.clone()),
                checked.format,
                &coa_key(&checked.coa),
                Some(parsed),
                new_decision,
                checked.received_at,
            ));
        }
        let mut derived = held.spc.take_write(now());
        derived.sampling = held.sampling.take_write(now());
        tracing::debug!(?read, decided = ?(started.elapsed() - read), coas = batch.len(), "coa batch decided");
        Ok(Decided { batch, writes, derived })
    }

    /// Stores decided CoAs in one transaction. When another writer moved one of their SPC or sampling states
    /// meanwhile, nothing is stored and the CoAs come back, to be decided again from fresh state.
    pub(super) async fn write_decided(&self, decided: Decided) -> Result<Written> {
        let Decided { batch, writes, derived } = decided;
        let started = std::time::Instant::now();
        let stored = self.store.insert_coas(writes, derived).await;
        tracing::debug!(written = ?started.elapsed(), coas = batch.len(), "coa batch written");
        match stored {
            Ok(stored) => Ok(Written::Stored(stored)),
            Err(conflict @ store::StoreError::VersionConflict { .. }) => Ok(Written::Conflict(batch, conflict)),
            Err(other) => Err(other.into()),
        }
    }

    /// The supplier documents (PDF CoAs) received for the lots of a batch, by lot key.
    async fn lot_documents(&self, batch: &[Checked]) -> Result<HashMap<(String, String, String), Vec<String>>> {
        let pairs = supplier_materials(batch.iter().filter(|c| c.coa.approval.document_sha256.is_some()));
        let mut documents: HashMap<(String, String, String), Vec<String>> = HashMap::new();
        for (supplier, material) in pairs {
            for (lot, hash) in self.store.documents(&supplier, &material).await? {
                documents.entry((supplier.clone(), material.clone(), lot)).or_default().push(hash);
            }
        }
        Ok(documents)
    }

    /// A PDF is kept by hash and held: nobody has read it yet.
    async fn receive_pdf(&self, actor: &Actor, bytes: &[u8], own: Option<String>, pdf: PdfLot) -> Result<StoredCoa> {
        if !bytes.starts_with(b"%PDF-") {
            return Err(ServiceError::BadRequest("the body is not a PDF (it does not start with %PDF-)".into()));
        }
        let supplier = match (own, pdf.supplier) {
            (Some(own), Some(named)) if own != named => {
                return Err(ServiceError::Forbidden(format!("wrong supplier: you submit for `{own}`, not `{named}`")));
            }
            (Some(own), _) => own,
            (None, Some(named)) => named,
            (None, None) => return Err(ServiceError::BadRequest("name the `supplier` of the PDF".into())),
        };
        let (Some(material), Some(lot)) = (pdf.material, pdf.lot) else {
            return Err(ServiceError::BadRequest("a PDF CoA needs its `material` and `lot` named".into()));
        };
        let specs = self.material_specs().await?;
        if !specs.iter().any(|s| s.material == material) {
            return Err(ServiceError::Ecoa(Box::new(EcoaError::UnknownMaterial {
                at: Location::pointer("/material/id"),
                material,
            })));
        }
        let received_at = now();
        let mut reasons = vec![json!({
            "kind": "not_machine_readable",
            "detail": "a PDF is kept by its hash, not read: enter its results or ask the supplier for an eCoA"
        })];
        // An eCoA of this lot that names its document's hash must name this one.
        let actual = ecoa::content_hash(bytes);
        let stated: Vec<String> = self
            .store
            .coa_revisions(&supplier, &material, &lot)
            .await?
            .into_iter()
            .filter_map(|c| c.parsed?.parse::<Coa>().ok()?.approval.document_sha256)
            .collect();
        if !stated.is_empty() && !stated.iter().any(|h| h.trim().eq_ignore_ascii_case(&actual)) {
            reasons.push(json!({"kind": "document_hash_mismatch", "expected": stated.last(), "actual": actual}));
        }
        let decision = NewDecision {
            outcome: "hold".into(),
            reasons: Value::Array(reasons),
            spec_material: None,
            spec_version: None,
            decided_by: actor.id.clone(),
            decided_at: received_at,
            override_reason: None,
        };
        let id = format!("coa:{}", uuid::Uuid::now_v7().simple());
        let original = (bytes.to_vec(), actual);
        let write =
            coa_write(actor, id, original, CoaFormat::Pdf, &(supplier, material, lot), None, decision, received_at);
        let mut stored = self.store.insert_coas(vec![write], SpcWrite::default()).await?;
        stored.pop().ok_or_else(|| ServiceError::Internal("the store returned no CoA".into()))
    }

    /// The specifications: the stored ones, and the catalogue's defaults for materials without one.
    pub(super) async fn material_specs(&self) -> Result<Vec<MaterialSpec>> {
        let stored = self.store.specs(None).await?;
        let mut specs = Vec::with_capacity(stored.len());
        for s in stored {
            let parsed: MaterialSpec = serde_json::from_value(s.spec).map_err(|e| {
                ServiceError::Internal(format!("stored specification of {} is unreadable: {e}", s.material_id))
            })?;
            specs.push(parsed);
        }
        for default in spec::catalogue() {
            if !specs.iter().any(|s| s.material == default.material) {
                specs.push(default);
            }
        }
        Ok(specs)
    }

    /// Stores a catalogue specification on first use (a no-op when it is stored already).
    async fn seed_spec(&self, specification: &MaterialSpec) -> Result<()> {
        let stored = self.store.specs(Some(&specification.material)).await?;
        if !stored.is_empty() {
            return Ok(());
        }
        let record = StoredSpec {
            material_id: specification.material.clone(),
            supplier_id: specification.supplier.clone(),
            version: i64::from(specification.version),
            spec: serde_json::to_value(specification).map_err(|e| ServiceError::Internal(e.to_string()))?,
            created_by: "system".into(),
            created_at: now(),
        };
        let detail = json!({"material": record.material_id, "version": record.version, "source": "catalogue"});
        self.store.put_spec(&record, AuditEvent::new("system", "spec.seed", &record.material_id, detail)).await?;
        Ok(())
    }

    /// A CoA with every decision and its lot's revisions; a supplier sees only its own (others are not found).
    pub async fn coa_record(&self, actor: &Actor, id: &str) -> Result<CoaRecord> {
        let coa = self.readable_coa(actor, id).await?;
        let decisions = self.store.coa_decisions(id).await?;
        let revisions = self
            .store
            .coa_revisions(&coa.supplier_id, &coa.material_id, &coa.lot_number)
            .await?
            .into_iter()
            .map(|c| RevisionRef {
                id: c.id,
                revision: c.revision,
                content_hash: c.content_hash,
                received_at: c.received_at,
            })
            .collect();
        Ok(CoaRecord { coa, decisions, revisions })
    }

    /// The original bytes, their media type and SHA-256.
    pub async fn coa_original(&self, actor: &Actor, id: &str) -> Result<(String, Vec<u8>, String)> {
        let coa = self.readable_coa(actor, id).await?;
        let (media_type, bytes) =
            self.store.coa_original(id).await?.ok_or_else(|| ServiceError::NotFound(format!("CoA {id} not found")))?;
        Ok((media_type, bytes, coa.content_hash))
    }

    async fn readable_coa(&self, actor: &Actor, id: &str) -> Result<StoredCoa> {
        let own = quality_reader(actor)?;
        let coa = self.store.coa(id).await?.ok_or_else(|| ServiceError::NotFound(format!("CoA {id} not found")))?;
        match own {
            Some(own) if own != coa.supplier_id => Err(ServiceError::NotFound(format!("CoA {id} not found"))),
            _ => Ok(coa),
        }
    }

    /// CoAs by filter, after a cursor (a CoA id); a supplier's listing is always of its own.
    pub async fn coas(
        &self,
        actor: &Actor,
        mut filter: CoaFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredCoa>> {
        if let Some(own) = quality_reader(actor)? {
            if filter.supplier.as_ref().is_some_and(|s| *s != own) {
                return Ok(Vec::new());
            }
            filter.supplier = Some(own);
        }
        if let Some(outcome) = &filter.outcome {
            parse_outcome(outcome)?;
        }
        Ok(self.store.coas(&filter, after, limit).await?)
    }

    /// Every CoA matching `filter`, read page by page, reduced to what `keep` makes of it; per lot (supplier,
    /// material, lot number) only the latest revision `keep` returned something for is kept. Returns how many
    /// CoAs were read and the kept values (in no particular order).
    pub(super) async fn latest_per_lot<T>(
        &self,
        filter: &CoaFilter,
        mut keep: impl FnMut(StoredCoa) -> Option<T>,
    ) -> Result<(usize, Vec<T>)> {
        let mut latest: HashMap<(String, String, String), (i64, T)> = HashMap::new();
        let mut after: Option<String> = None;
        let mut read = 0;
        loop {
            let page = self.store.coas(filter, after.as_deref(), LOT_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            read += page.len();
            for stored in page {
                let key = (stored.supplier_id.clone(), stored.material_id.clone(), stored.lot_number.clone());
                let revision = stored.revision;
                keep_latest(&mut latest, key, revision, || keep(stored));
            }
        }
        Ok((read, latest.into_values().map(|(_, value)| value).collect()))
    }

    /// An operator's decision over the one in force, with the reason (audit `coa.override`).
    pub async fn override_decision(&self, actor: &Actor, id: &str, outcome: &str, reason: &str) -> Result<CoaDecision> {
        if !matches!(actor.role, Role::Admin | Role::EconomicOperator) {
            return Err(ServiceError::Forbidden(format!("role {} may not override quality decisions", actor.role)));
        }
        let outcome = parse_outcome(outcome)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::BadRequest("an override needs a `reason`".into()));
        }
        let coa = self.store.coa(id).await?.ok_or_else(|| ServiceError::NotFound(format!("CoA {id} not found")))?;
        let previous = coa.decision.clone();
        let decision = NewDecision {
            outcome: outcome.into(),
            reasons: previous.as_ref().map_or_else(|| json!([]), |d| d.reasons.clone()),
            spec_material: previous.as_ref().and_then(|d| d.spec_material.clone()),
            spec_version: previous.as_ref().and_then(|d| d.spec_version),
            decided_by: actor.id.clone(),
            decided_at: now(),
            override_reason: Some(reason.to_string()),
        };
        let detail = json!({
            "from": previous.map(|d| d.outcome), "to": outcome, "reason": reason,
            "lot": {"supplier": coa.supplier_id, "material": coa.material_id, "lot": coa.lot_number},
        });
        Ok(self.store.add_decision(id, decision, AuditEvent::new(&actor.id, "coa.override", id, detail)).await?)
    }
}

/// Keeps what `value` makes of a lot's revision unless a later revision of the lot is kept already (`value`
/// is not called then); `None` keeps nothing, so an earlier revision with a value stays.
pub(super) fn keep_latest<K: std::hash::Hash + Eq, T>(
    latest: &mut HashMap<K, (i64, T)>,
    key: K,
    revision: i64,
    value: impl FnOnce() -> Option<T>,
) {
    if latest.get(&key).is_some_and(|(kept, _)| *kept >= revision) {
        return;
    }
    if let Some(value) = value() {
        latest.insert(key, (revision, value));
    }
}

/// The check of a CoA's stated document hash against the supplier documents received for its lot: `None`
/// when it states none or no document was received; a mismatch when no received document has that hash.
fn document_check(coa: &Coa, documents: &HashMap<(String, String, String), Vec<String>>) -> Option<spec::HashCheck> {
    let expected = coa.approval.document_sha256.as_ref()?;
    let received = documents.get(&coa_key(coa))?;
    let matching = received.iter().find(|h| h.eq_ignore_ascii_case(expected.trim()));
    let actual = matching.or(received.last())?;
    Some(spec::HashCheck { expected: expected.clone(), actual: actual.clone() })
}

/// The (supplier, material) pairs of a batch's CoAs, each once, in order.
pub(super) fn supplier_materials<'a>(batch: impl Iterator<Item = &'a Checked>) -> BTreeSet<(String, String)> {
    batch
        .map(|c| {
            let (supplier, material, _) = coa_key(&c.coa);
            (supplier, material)
        })
        .collect()
}

/// The lot key of a parsed CoA (trimmed as the checks compare it).
fn coa_key(coa: &Coa) -> (String, String, String) {
    let key = coa.lot_key();
    (key.supplier_id.trim().to_string(), key.material_id.trim().to_string(), key.lot_number.trim().to_string())
}

/// May `actor` read supplier-quality data (CoAs, alarms, series, sampling, ratings)? `Some(organisation)`
/// when only a supplier's own; administrators, economic operators and authorities read all.
pub(super) fn quality_reader(actor: &Actor) -> Result<Option<String>> {
    match (actor.role, &actor.organisation) {
        (Role::Admin | Role::EconomicOperator | Role::Authority, _) => Ok(None),
        (Role::Supplier, Some(org)) => Ok(Some(org.clone())),
        (role, _) => Err(ServiceError::Forbidden(format!("role {role} may not read supplier quality data"))),
    }
}

/// Who may submit CoAs: `Some(organisation)` when only for a supplier's own.
fn submitter(actor: &Actor) -> Result<Option<String>> {
    match (actor.role, &actor.organisation) {
        (Role::Admin, _) => Ok(None),
        (Role::Supplier, Some(org)) => Ok(Some(org.clone())),
        (Role::Supplier, None) => {
            Err(ServiceError::Forbidden("this supplier key names no supplier organisation".into()))
        }
        (role, _) => Err(ServiceError::Forbidden(format!("role {role} may not submit CoAs"))),
    }
}

/// Parses and checks an eCoA (JSON or CSV) and finds the specification it is judged by.
fn check_coa(
    specs: &[MaterialSpec],
    own: Option<&str>,
    bytes: Vec<u8>,
    format: CoaFormat,
    received_at: OffsetDateTime,
) -> Result<Checked> {
    let mut intake = Intake::default().with_materials(specs.iter().map(|s| s.material.clone()));
    if let Some(own) = own {
        intake = intake.for_supplier(own.to_string());
    }
    let parsed = match format {
        CoaFormat::Json => ecoa::parse_json_with(&bytes, &intake),
        _ => ecoa::parse_csv_with(&bytes, &intake),
    };
    let coa = parsed.map_err(|e| ServiceError::Ecoa(Box::new(e)))?;
    let parsed = Some(coa_json(&coa)?);
    let content_hash = ecoa::content_hash(&bytes);
    let key = coa.lot_key();
    let spec = spec::select(specs, &key.material_id, &key.supplier_id).cloned().ok_or_else(|| {
        ServiceError::Ecoa(Box::new(EcoaError::UnknownMaterial {
            at: Location::pointer("/material/id"),
            material: key.material_id.clone(),
        }))
    })?;
    Ok(Checked { coa, spec, bytes, content_hash, parsed, format, received_at })
}

/// A parsed CoA as the JSON stored with it, serialised once, straight to text.
fn coa_json(coa: &Coa) -> Result<JsonText> {
    JsonText::of(coa).map_err(|e| ServiceError::Internal(e.to_string()))
}

/// The store's record of a received CoA with its first decision and audit event.
#[allow(clippy::too_many_arguments)]
fn coa_write(
    actor: &Actor,
    id: String,
    (original, content_hash): (Vec<u8>, String),
    format: CoaFormat,
    (supplier, material, lot): &(String, String, String),
    parsed: Option<JsonText>,
    decision: NewDecision,
    received_at: OffsetDateTime,
) -> CoaWrite {
    let detail = json!({
        "supplier": supplier, "material": material, "lot": lot, "contentHash": content_hash,
        "mediaType": format.media_type(), "outcome": decision.outcome,
    });
    let event = AuditEvent::new(&actor.id, "coa.receive", &id, detail);
    let coa = NewCoa {
        id,
        supplier_id: supplier.clone(),
        material_id: material.clone(),
        lot_number: lot.clone(),
        content_hash,
        media_type: format.media_type().into(),
        original,
        parsed,
        actor_id: actor.id.clone(),
        received_at,
    };
    CoaWrite { coa, decision, event }
}

/// Why a specification cannot be stored, in the words an editor needs.
fn check_spec(spec: &MaterialSpec) -> Result<()> {
    let bad = |msg: String| Err(ServiceError::BadRequest(format!("specification {}: {msg}", spec.material)));
    if spec.material.trim().is_empty() || spec.title.trim().is_empty() {
        return Err(ServiceError::BadRequest("a specification needs a `material` and a `title`".into()));
    }
    if spec.version == 0 {
        return bad("versions count from 1".into());
    }
    if spec.characteristics.is_empty() {
        return bad("it specifies no characteristic".into());
    }
    for (i, c) in spec.characteristics.iter().enumerate() {
        if spec.characteristics[..i].iter().any(|o| o.matches(&c.name) || c.aliases.iter().any(|a| o.matches(a))) {
            return bad(format!("characteristic `{}` is specified twice (by name or alias)", c.name));
        }
        if c.unit.dimension() == quality::ecoa::units::Dimension::Other {
            return bad(format!("characteristic `{}` has unit `{}`, which we cannot convert", c.name, c.unit.symbol()));
        }
        let finite = [c.lsl, c.usl, c.target, c.reproducibility].into_iter().flatten().all(f64::is_finite);
        if !finite {
            return bad(format!("characteristic `{}` has a limit that is not a finite number", c.name));
        }
        if let (Some(l), Some(u)) = (c.lsl, c.usl)
            && l >= u
        {
            return bad(format!("characteristic `{}`: LSL {l} must be below USL {u}", c.name));
        }
        if let Some(t) = c.target
            && (c.lsl.is_some_and(|l| t < l) || c.usl.is_some_and(|u| t > u))
        {
            return bad(format!("characteristic `{}`: target {t} lies outside its limits", c.name));
        }
    }
    Ok(())
}

impl PassportService {
    /// Stores a new version of a material specification (administrators; audit `spec.put`). The version must
    /// be above every stored version of that material (and supplier); a stored version never changes.
    pub async fn put_spec(&self, actor: &Actor, spec: MaterialSpec) -> Result<StoredSpec> {
        if actor.role != Role::Admin {
            return Err(ServiceError::Forbidden(format!("role {} may not change specifications", actor.role)));
        }
        check_spec(&spec)?;
        let latest = self
            .store
            .specs(Some(&spec.material))
            .await?
            .into_iter()
            .filter(|s| s.supplier_id == spec.supplier)
            .map(|s| s.version)
            .max()
            .unwrap_or(0);
        if i64::from(spec.version) <= latest {
            return Err(ServiceError::Concurrent(format!(
                "specification {} is at version {latest}: send version {} or higher",
                spec.material,
                latest + 1
            )));
        }
        let record = StoredSpec {
            material_id: spec.material.clone(),
            supplier_id: spec.supplier.clone(),
            version: i64::from(spec.version),
            spec: serde_json::to_value(&spec).map_err(|e| ServiceError::Internal(e.to_string()))?,
            created_by: actor.id.clone(),
            created_at: now(),
        };
        let detail = json!({"material": record.material_id, "supplier": record.supplier_id, "version": record.version});
        if !self.store.put_spec(&record, AuditEvent::new(&actor.id, "spec.put", &record.material_id, detail)).await? {
            return Err(ServiceError::Concurrent(format!(
                "specification {} version {} was stored meanwhile",
                record.material_id, record.version
            )));
        }
        Ok(record)
    }

    /// The specification in force for each material (and supplier), stored or from the catalogue.
    /// Suppliers see the general ones and their own.
    pub async fn list_specs(&self, actor: &Actor, material: Option<&str>) -> Result<Vec<MaterialSpec>> {
        let own = quality_reader(actor)?;
        let mut specs = self.material_specs().await?;
        specs.retain(|s| {
            material.is_none_or(|m| s.material == m)
                && s.supplier.as_ref().is_none_or(|sup| own.as_ref().is_none_or(|o| o == sup))
        });
        // In force: the highest version per (material, supplier).
        specs.sort_by(|a, b| (&a.material, &a.supplier, b.version).cmp(&(&b.material, &b.supplier, a.version)));
        specs.dedup_by(|b, a| a.material == b.material && a.supplier == b.supplier);
        Ok(specs)
    }
}
