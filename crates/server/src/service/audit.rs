//! Checking the whole record, and pinning the audit chain with signed checkpoints.
//!
//! [`verify_store`] re-walks everything the store keeps: each model and passport version's content hash and its
//! link to the version before, each version signature against the published issuer keys, each audit entry's hash
//! and link, each checkpoint's signature and the chain hash it pins. It names every broken link it finds rather
//! than stopping at the first, so an operator sees the extent of a damage at once.

use super::signing::{SERVER_OPERATOR, issuer_key};
use futures::{StreamExt, TryStreamExt};
use interop::keys::{decode_signature_multibase, signature_multibase, verify_signature};
use passport::hash::canonical_json;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use store::{
    AuditCheckpoint, AuditEntry, IssuerKeyRecord, PassportFilter, PassportHead, PassportVersion, Store, StoreError,
    VersionMeta, VersionSignature, canonical_record, checkpoint_message, record_hash,
};

/// Passports listed per page, and fetched at once.
const PAGE: i64 = 500;
const CONCURRENT_FETCHES: usize = 4;
/// Audit entries read per page.
const AUDIT_PAGE: i64 = 2000;
const OPERATOR_POINTER: &str = "/generalProductInformation/operatorInformation/identifier";

/// A version in one of the two hash chains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Passport { id: String, version: i64 },
    Model { id: String, version: i64 },
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Record::Passport { id, version } => write!(f, "passport {id} version {version}"),
            Record::Model { id, version } => write!(f, "model {id} version {version}"),
        }
    }
}

/// One broken link, precise enough to find the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    ContentHash {
        record: Record,
        stored: String,
        recomputed: String,
    },
    /// The version's `prev_hash` is not the previous version's hash (or version 1 has one).
    PrevHash {
        record: Record,
    },
    /// Versions are not numbered 1, 2, 3, ...: `found` stands where `expected` should.
    Numbering {
        record: Record,
        expected: i64,
    },
    HeadVersion {
        passport: String,
        head: i64,
        last: i64,
    },
    HeadModel {
        passport: String,
        head: (String, i64),
        last: (String, i64),
    },
    MissingModel {
        record: Record,
        model_id: String,
        model_version: i64,
    },
    BadSignature {
        record: Record,
        key_id: String,
    },
    UnknownKey {
        record: Record,
        key_id: String,
    },
    /// Signed with a real key, but of another operator than the one the version names as responsible.
    ForeignKey {
        record: Record,
        key_id: String,
        key_operator: String,
        responsible: String,
    },
    /// A signature for a version that does not exist.
    OrphanSignature {
        passport: String,
        version: i64,
    },
    AuditHash {
        seq: i64,
    },
    AuditLink {
        seq: i64,
    },
    AuditGap {
        after: i64,
    },
    CheckpointHash {
        seq: i64,
    },
    CheckpointSignature {
        seq: i64,
    },
    CheckpointUnknownKey {
        seq: i64,
        key_id: String,
    },
    CheckpointForeignKey {
        seq: i64,
        key_id: String,
    },
    CheckpointBeyondChain {
        seq: i64,
    },
}

fn short(hash: &str) -> String {
    let cut: String = hash.chars().take(12).collect();
    if cut.len() < hash.len() { format!("{cut}…") } else { cut }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Finding::*;
        match self {
            ContentHash { record, stored, recomputed } => write!(
                f,
                "{record}: content hash mismatch (stored {}, recomputed {})",
                short(stored),
                short(recomputed)
            ),
            PrevHash { record: r @ (Record::Passport { version: 1, .. } | Record::Model { version: 1, .. }) } => {
                write!(f, "{r}: version 1 has a prev_hash")
            }
            PrevHash { record: r @ (Record::Passport { version, .. } | Record::Model { version, .. }) } => {
                write!(f, "{r}: prev_hash does not match version {}", version - 1)
            }
            Numbering { record, expected } => write!(f, "{record}: found where version {expected} was expected"),
            HeadVersion { passport, head, last } => {
                write!(f, "passport {passport}: head is at version {head} but the last version is {last}")
            }
            HeadModel { passport, head, last } => write!(
                f,
                "passport {passport}: head names model {} version {} but the last version uses model {} version {}",
                head.0, head.1, last.0, last.1
            ),
            MissingModel { record, model_id, model_version } => {
                write!(f, "{record}: refers to model {model_id} version {model_version}, which is not stored")
            }
            BadSignature { record, key_id } => write!(f, "{record}: signature by {key_id} does not verify"),
            UnknownKey { record, key_id } => write!(f, "{record}: signed by unknown key {key_id}"),
            ForeignKey { record, key_id, key_operator, responsible } => write!(
                f,
                "{record}: signed by {key_id}, a key of {key_operator}, not of the responsible operator {responsible}"
            ),
            OrphanSignature { passport, version } => {
                write!(f, "passport {passport}: signature for version {version}, which does not exist")
            }
            AuditHash { seq } => write!(f, "audit entry {seq}: hash mismatch"),
            AuditLink { seq: 1 } => write!(f, "audit entry 1: starts the chain but has a prev_hash"),
            AuditLink { seq } => write!(f, "audit entry {seq}: prev_hash does not link to entry {}", seq - 1),
            AuditGap { after } => write!(f, "audit: sequence gap after {after}"),
            CheckpointHash { seq } => write!(f, "checkpoint at {seq}: chain hash differs from entry {seq}"),
            CheckpointSignature { seq } => write!(f, "checkpoint at {seq}: signature does not verify"),
            CheckpointUnknownKey { seq, key_id } => write!(f, "checkpoint at {seq}: signed by unknown key {key_id}"),
            CheckpointForeignKey { seq, key_id } => {
                write!(f, "checkpoint at {seq}: signed by {key_id}, which is not a {SERVER_OPERATOR} key")
            }
            CheckpointBeyondChain { seq } => write!(f, "checkpoint at {seq}: the audit chain has no entry {seq}"),
        }
    }
}

/// What was checked, and what was found broken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub models: u64,
    pub model_versions: u64,
    pub passports: u64,
    pub passport_versions: u64,
    pub signatures: u64,
    pub audit_entries: u64,
    pub checkpoints: u64,
    pub findings: Vec<Finding>,
}

impl AuditReport {
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// How far the walk is (running totals), for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Models(u64),
    Passports(u64),
    AuditEntries(u64),
}

/// Re-walks every model, passport, signature, audit entry and checkpoint. Fails only when the store cannot
/// be read; broken records are in the report.
pub async fn verify_store(
    store: &Arc<dyn Store>,
    mut progress: impl FnMut(Progress),
) -> Result<AuditReport, StoreError> {
    let mut report = AuditReport::default();
    let keys: HashMap<String, IssuerKeyRecord> =
        store.issuer_keys().await?.into_iter().map(|k| (k.key_id.clone(), k)).collect();
    let models = walk_models(store, &mut report, &mut progress).await?;
    walk_passports(store, &keys, &models, &mut report, &mut progress).await?;
    walk_audit(store, &keys, &mut report, &mut progress).await?;
    Ok(report)
}

/// Checks the version chain of every model; returns the (model, version) pairs stored.
async fn walk_models(
    store: &Arc<dyn Store>,
    report: &mut AuditReport,
    progress: &mut impl FnMut(Progress),
) -> Result<HashSet<(String, i64)>, StoreError> {
    let mut stored = HashSet::new();
    for id in store.model_ids().await? {
        let history = store.model_history(&id).await?;
        let record = |version| Record::Model { id: id.clone(), version };
        check_chain(&history, &record, &mut report.findings);
        for meta in &history {
            let Some(model) = store.model(&id, Some(meta.version)).await? else { continue };
            let recomputed = record_hash(&canonical_json(&model.document));
            if recomputed != meta.content_hash {
                report.findings.push(Finding::ContentHash {
                    record: record(meta.version),
                    stored: meta.content_hash.clone(),
                    recomputed,
                });
            }
            stored.insert((id.clone(), meta.version));
        }
        report.models += 1;
        report.model_versions += history.len() as u64;
        progress(Progress::Models(report.models));
    }
    Ok(stored)
}

/// Version numbering and `prev_hash` links of one chain (oldest first).
fn check_chain(history: &[VersionMeta], record: &impl Fn(i64) -> Record, findings: &mut Vec<Finding>) {
    let mut previous: Option<&VersionMeta> = None;
    for (i, meta) in history.iter().enumerate() {
        let expected = i as i64 + 1;
        if meta.version != expected {
            findings.push(Finding::Numbering { record: record(meta.version), expected });
        }
        let links = match previous {
            None => meta.prev_hash.is_none(),
            Some(p) => meta.prev_hash.as_deref() == Some(p.content_hash.as_str()),
        };
        if !links {
            findings.push(Finding::PrevHash { record: record(meta.version) });
        }
        previous = Some(meta);
    }
}

async fn walk_passports(
    store: &Arc<dyn Store>,
    keys: &HashMap<String, IssuerKeyRecord>,
    models: &HashSet<(String, i64)>,
    report: &mut AuditReport,
    progress: &mut impl FnMut(Progress),
) -> Result<(), StoreError> {
    let mut after: Option<String> = None;
    loop {
        let page = store.list_passports(&PassportFilter::default(), after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let fetched: Vec<_> = futures::stream::iter(page)
            .map(|head| async move {
                let versions = store.passport_versions(&head.id).await?;
                let signatures = store.version_signatures(&head.id).await?;
                Ok::<_, StoreError>((head, versions, signatures))
            })
            .buffered(CONCURRENT_FETCHES)
            .try_collect()
            .await?;
        for (head, versions, signatures) in fetched {
            check_passport(&head, &versions, signatures, keys, models, report);
        }
        progress(Progress::Passports(report.passports));
    }
    Ok(())
}

fn check_passport(
    head: &PassportHead,
    versions: &[PassportVersion],
    signatures: Vec<(i64, VersionSignature)>,
    keys: &HashMap<String, IssuerKeyRecord>,
    models: &HashSet<(String, i64)>,
    report: &mut AuditReport,
) {
    let findings = &mut report.findings;
    let record = |version| Record::Passport { id: head.id.clone(), version };
    let metas: Vec<VersionMeta> = versions.iter().map(|v| v.meta.clone()).collect();
    check_chain(&metas, &record, findings);
    for v in versions {
        let recomputed = record_hash(&canonical_record(&v.model_id, v.model_version, &canonical_json(&v.item)));
        if recomputed != v.meta.content_hash {
            findings.push(Finding::ContentHash {
                record: record(v.meta.version),
                stored: v.meta.content_hash.clone(),
                recomputed,
            });
        }
        if !models.contains(&(v.model_id.clone(), v.model_version)) {
            findings.push(Finding::MissingModel {
                record: record(v.meta.version),
                model_id: v.model_id.clone(),
                model_version: v.model_version,
            });
        }
    }
    match versions.last() {
        Some(last) if last.meta.version != head.version => findings.push(Finding::HeadVersion {
            passport: head.id.clone(),
            head: head.version,
            last: last.meta.version,
        }),
        Some(last) if (last.model_id.as_str(), last.model_version) != (head.model_id.as_str(), head.model_version) => {
            findings.push(Finding::HeadModel {
                passport: head.id.clone(),
                head: (head.model_id.clone(), head.model_version),
                last: (last.model_id.clone(), last.model_version),
            })
        }
        Some(_) => {}
        None => findings.push(Finding::HeadVersion { passport: head.id.clone(), head: head.version, last: 0 }),
    }
    for (version, signature) in signatures {
        let Some(signed) = versions.iter().find(|v| v.meta.version == version) else {
            findings.push(Finding::OrphanSignature { passport: head.id.clone(), version });
            continue;
        };
        report.signatures += 1;
        if let Some(finding) = check_version_signature(signed, &signature, keys, record(version)) {
            findings.push(finding);
        }
    }
    report.passports += 1;
    report.passport_versions += versions.len() as u64;
}

/// The signature covers the 32 bytes of the stored content hash, by a key of the version's responsible operator.
fn check_version_signature(
    version: &PassportVersion,
    signature: &VersionSignature,
    keys: &HashMap<String, IssuerKeyRecord>,
    record: Record,
) -> Option<Finding> {
    let key_id = signature.key_id.clone();
    let Some(key) = keys.get(&signature.key_id) else { return Some(Finding::UnknownKey { record, key_id }) };
    let digest = hex::decode(&version.meta.content_hash).unwrap_or_default();
    let verifies = decode_signature_multibase(&signature.signature)
        .is_ok_and(|s| verify_signature(&key.public_multibase, &digest, &s).is_ok());
    if !verifies {
        return Some(Finding::BadSignature { record, key_id });
    }
    match version.item.pointer(OPERATOR_POINTER).and_then(|v| v.as_str()) {
        Some(responsible) if responsible != key.operator => Some(Finding::ForeignKey {
            record,
            key_id,
            key_operator: key.operator.clone(),
            responsible: responsible.to_string(),
        }),
        _ => None,
    }
}

async fn walk_audit(
    store: &Arc<dyn Store>,
    keys: &HashMap<String, IssuerKeyRecord>,
    report: &mut AuditReport,
    progress: &mut impl FnMut(Progress),
) -> Result<(), StoreError> {
    let checkpoints: HashMap<i64, AuditCheckpoint> =
        store.checkpoints().await?.into_iter().map(|c| (c.seq, c)).collect();
    let mut last: Option<AuditEntry> = None;
    loop {
        let page = store.audit_entries(last.as_ref().map_or(0, |e| e.seq), AUDIT_PAGE).await?;
        if page.is_empty() {
            break;
        }
        for entry in page {
            check_entry(&entry, last.as_ref(), &mut report.findings);
            if let Some(checkpoint) = checkpoints.get(&entry.seq) {
                report.checkpoints += 1;
                report.findings.extend(check_checkpoint(checkpoint, Some(&entry), keys));
            }
            report.audit_entries += 1;
            last = Some(entry);
        }
        progress(Progress::AuditEntries(report.audit_entries));
    }
    let end = last.map_or(0, |e| e.seq);
    let mut beyond: Vec<&AuditCheckpoint> = checkpoints.values().filter(|c| c.seq > end).collect();
    beyond.sort_by_key(|c| c.seq);
    for checkpoint in beyond {
        report.checkpoints += 1;
        report.findings.extend(check_checkpoint(checkpoint, None, keys));
    }
    Ok(())
}

fn check_entry(entry: &AuditEntry, previous: Option<&AuditEntry>, findings: &mut Vec<Finding>) {
    let previous_seq = previous.map_or(0, |p| p.seq);
    if entry.hash != entry.expected_hash() {
        findings.push(Finding::AuditHash { seq: entry.seq });
    }
    if entry.seq != previous_seq + 1 {
        // The gap is the finding: the entry after it cannot link to what is missing.
        findings.push(Finding::AuditGap { after: previous_seq });
        return;
    }
    if entry.prev_hash.as_deref() != previous.map(|p| p.hash.as_str()) {
        findings.push(Finding::AuditLink { seq: entry.seq });
    }
}

/// Checks a checkpoint against the entry at its sequence number (`None`: no such entry).
fn check_checkpoint(
    checkpoint: &AuditCheckpoint,
    entry: Option<&AuditEntry>,
    keys: &HashMap<String, IssuerKeyRecord>,
) -> Vec<Finding> {
    let seq = checkpoint.seq;
    let mut findings = Vec::new();
    match entry {
        None => findings.push(Finding::CheckpointBeyondChain { seq }),
        Some(entry) if entry.hash != checkpoint.hash => findings.push(Finding::CheckpointHash { seq }),
        Some(_) => {}
    }
    let key_id = checkpoint.key_id.clone();
    match keys.get(&checkpoint.key_id) {
        None => findings.push(Finding::CheckpointUnknownKey { seq, key_id }),
        Some(key) if key.operator != SERVER_OPERATOR => findings.push(Finding::CheckpointForeignKey { seq, key_id }),
        Some(key) => {
            let message = checkpoint_message(seq, &checkpoint.hash);
            let verifies = decode_signature_multibase(&checkpoint.signature)
                .is_ok_and(|s| verify_signature(&key.public_multibase, &message, &s).is_ok());
            if !verifies {
                findings.push(Finding::CheckpointSignature { seq });
            }
        }
    }
    findings
}

/// Why no checkpoint could be made.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(
        "there is no {SERVER_OPERATOR} key to sign audit checkpoints with: run `voltpass keys issuer create --operator {SERVER_OPERATOR}`"
    )]
    NoServerKey,
    #[error(
        "the {SERVER_OPERATOR} key {0} only verifies here (restored without its secret): run `voltpass keys issuer rotate --operator {SERVER_OPERATOR}`"
    )]
    VerifyOnlyKey(String),
    #[error("{0}")]
    DamagedKey(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Signs the audit chain's current head with the server key and stores the checkpoint; `None` when nothing was
/// appended since the last checkpoint (or the chain is empty). Safe to call periodically.
pub async fn checkpoint(store: &Arc<dyn Store>) -> Result<Option<AuditCheckpoint>, CheckpointError> {
    let record = store
        .issuer_keys()
        .await?
        .into_iter()
        .find(|k| k.operator == SERVER_OPERATOR && k.retired_at.is_none())
        .ok_or(CheckpointError::NoServerKey)?;
    if record.secret_hex.is_empty() {
        return Err(CheckpointError::VerifyOnlyKey(record.key_id));
    }
    let key = issuer_key(&record).map_err(|e| CheckpointError::DamagedKey(e.to_string()))?;
    let mut after = store.checkpoints().await?.iter().map(|c| c.seq).max().unwrap_or(0);
    let mut head: Option<AuditEntry> = None;
    loop {
        let page = store.audit_entries(after, AUDIT_PAGE).await?;
        let Some(last) = page.into_iter().last() else { break };
        after = last.seq;
        head = Some(last);
    }
    let Some(head) = head else { return Ok(None) };
    let now = time::OffsetDateTime::now_utc();
    // Microseconds: what both databases keep, so the stored checkpoint reads back equal.
    let at = now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now);
    let signature = signature_multibase(&key.sign(&checkpoint_message(head.seq, &head.hash)));
    let checkpoint = AuditCheckpoint { seq: head.seq, hash: head.hash, at, key_id: record.key_id, signature };
    store.add_checkpoint(&checkpoint).await?;
    Ok(Some(checkpoint))
}

#[cfg(test)]
mod tests {
    use super::*;
    use interop::IssuerKey;
    use serde_json::json;

    fn meta(version: i64, content_hash: &str, prev_hash: Option<&str>) -> VersionMeta {
        VersionMeta {
            version,
            actor_id: "actor:t".into(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            reason: None,
            content_hash: content_hash.into(),
            prev_hash: prev_hash.map(Into::into),
        }
    }

    fn record(version: i64) -> Record {
        Record::Passport { id: "urn:t:1".into(), version }
    }

    fn shown(findings: &[Finding]) -> Vec<String> {
        findings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn chains_name_broken_links_and_numbering() {
        let history =
            [meta(1, "a", Some("x")), meta(2, "b", Some("a")), meta(3, "c", Some("a")), meta(5, "d", Some("c"))];
        let mut findings = Vec::new();
        check_chain(&history, &record, &mut findings);
        assert_eq!(
            shown(&findings),
            [
                "passport urn:t:1 version 1: version 1 has a prev_hash",
                "passport urn:t:1 version 3: prev_hash does not match version 2",
                "passport urn:t:1 version 5: found where version 4 was expected",
            ]
        );
    }

    fn key_record(key: &IssuerKey, operator: &str) -> IssuerKeyRecord {
        IssuerKeyRecord {
            key_id: key.key_id().into(),
            operator: operator.into(),
            public_multibase: key.public_multibase(),
            secret_hex: String::new(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            retired_at: None,
        }
    }

    #[test]
    fn version_signatures_must_verify_with_a_key_of_the_responsible_operator() {
        let key = IssuerKey::generate("ORG-1-key-1").unwrap();
        let item = json!({"generalProductInformation": {"operatorInformation": {"identifier": "ORG-1"}}});
        let hash = record_hash(&canonical_record("M", 1, &canonical_json(&item)));
        let version = PassportVersion {
            passport_id: "urn:t:1".into(),
            model_id: "M".into(),
            model_version: 1,
            item,
            meta: meta(2, &hash, None),
        };
        let digest: [u8; 32] = hex::decode(&hash).unwrap().try_into().unwrap();
        let good =
            VersionSignature { key_id: key.key_id().into(), signature: signature_multibase(&key.sign_digest(&digest)) };
        let keys = HashMap::from([(key.key_id().to_string(), key_record(&key, "ORG-1"))]);
        assert_eq!(check_version_signature(&version, &good, &keys, record(2)), None);

        let forged = VersionSignature { signature: signature_multibase(&key.sign(b"other")), ..good.clone() };
        let unknown = VersionSignature { key_id: "ORG-9-key-1".into(), ..good.clone() };
        let foreign = HashMap::from([(key.key_id().to_string(), key_record(&key, "ORG-2"))]);
        let found = [
            check_version_signature(&version, &forged, &keys, record(2)),
            check_version_signature(&version, &unknown, &keys, record(2)),
            check_version_signature(&version, &good, &foreign, record(2)),
        ];
        assert_eq!(
            shown(&found.into_iter().flatten().collect::<Vec<_>>()),
            [
                "passport urn:t:1 version 2: signature by ORG-1-key-1 does not verify",
                "passport urn:t:1 version 2: signed by unknown key ORG-9-key-1",
                "passport urn:t:1 version 2: signed by ORG-1-key-1, a key of ORG-2, not of the responsible operator ORG-1",
            ]
        );
    }

    #[test]
    fn checkpoints_must_pin_the_entry_hash_with_a_server_signature() {
        let key = IssuerKey::generate("voltpass-server-key-1").unwrap();
        let keys = HashMap::from([(key.key_id().to_string(), key_record(&key, SERVER_OPERATOR))]);
        let mut entry = AuditEntry {
            seq: 40,
            at: time::OffsetDateTime::UNIX_EPOCH,
            actor_id: "actor:t".into(),
            action: "passport.append".into(),
            subject: "urn:t:1".into(),
            detail: "{}".into(),
            prev_hash: Some("p".into()),
            hash: String::new(),
        };
        entry.hash = entry.expected_hash();
        let signature = signature_multibase(&key.sign(&checkpoint_message(40, &entry.hash)));
        let checkpoint = AuditCheckpoint {
            seq: 40,
            hash: entry.hash.clone(),
            at: time::OffsetDateTime::UNIX_EPOCH,
            key_id: key.key_id().into(),
            signature,
        };
        assert!(check_checkpoint(&checkpoint, Some(&entry), &keys).is_empty());

        let moved = AuditEntry { hash: "other".into(), ..entry.clone() };
        assert_eq!(
            shown(&check_checkpoint(&checkpoint, Some(&moved), &keys)),
            ["checkpoint at 40: chain hash differs from entry 40"]
        );
        let forged = AuditCheckpoint { hash: "other".into(), ..checkpoint.clone() };
        assert_eq!(
            shown(&check_checkpoint(&forged, Some(&moved), &keys)),
            ["checkpoint at 40: signature does not verify"]
        );
        assert_eq!(
            shown(&check_checkpoint(&checkpoint, None, &HashMap::new())),
            [
                "checkpoint at 40: the audit chain has no entry 40",
                "checkpoint at 40: signed by unknown key voltpass-server-key-1"
            ]
        );

        let mut findings = Vec::new();
        check_entry(&AuditEntry { detail: "{\"x\":1}".into(), ..entry.clone() }, None, &mut findings);
        let previous = AuditEntry { seq: 39, hash: "not-p".into(), ..entry.clone() };
        check_entry(&entry, Some(&previous), &mut findings);
        assert_eq!(
            shown(&findings),
            [
                "audit entry 40: hash mismatch",
                "audit: sequence gap after 0",
                "audit entry 40: prev_hash does not link to entry 39"
            ]
        );
    }
}
