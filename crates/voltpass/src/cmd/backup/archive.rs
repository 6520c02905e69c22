//! The backup archive format: one NDJSON file per kind of record, each line one row with every stored value,
//! and `manifest.json` naming each file's SHA-256 and line count. Secrets (API key hashes, issuer key secrets)
//! are never written.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{
    Actor, ActorRecord, AuditCheckpoint, AuditEntry, Grant, IssuerKeyRecord, ModelVersion, PassportHead,
    PassportVersion, Reading, Role, SignedVersion, VersionMeta, VersionSignature,
};
use time::OffsetDateTime;

pub const FORMAT: &str = "voltpass-backup/1";
pub const MANIFEST: &str = "manifest.json";

/// The archive's files, in the order a restore inserts them (rows refer to rows of earlier files).
pub const FILES: [&str; 9] = [
    "actors.ndjson",
    "issuer_keys.ndjson",
    "models.ndjson",
    "passports.ndjson",
    "heads.ndjson",
    "readings.ndjson",
    "grants.ndjson",
    "audit.ndjson",
    "checkpoints.ndjson",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The backend the archive was taken from.
    pub backend: String,
    pub files: Vec<FileEntry>,
    /// The last audit entry in the archive: a restored store must end its chain here.
    pub audit_head: Option<AuditHead>,
    /// By the `voltpass-server` key over the canonical JSON of the manifest without this field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<ManifestSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileEntry {
    pub name: String,
    pub sha256: String,
    pub lines: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestSignature {
    pub key_id: String,
    pub public_key_multibase: String,
    /// Multibase Ed25519 signature.
    pub value: String,
}

impl Manifest {
    /// The bytes the signature covers: RFC 8785 JSON of the manifest without `signature`.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let unsigned = Manifest { signature: None, ..self.clone() };
        let value = serde_json::to_value(&unsigned).expect("a manifest always serialises");
        passport::hash::canonical_json(&value).into_bytes()
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorLine {
    pub id: String,
    pub name: String,
    pub role: String,
    pub organisation: Option<String>,
    pub subrole: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<ActorRecord> for ActorLine {
    fn from(r: ActorRecord) -> Self {
        let a = r.actor;
        ActorLine {
            id: a.id,
            name: a.name,
            role: a.role.as_str().to_string(),
            organisation: a.organisation,
            subrole: a.subrole,
            created_at: r.created_at,
        }
    }
}

impl TryFrom<ActorLine> for ActorRecord {
    type Error = String;
    fn try_from(l: ActorLine) -> Result<Self, String> {
        let role = Role::parse(&l.role).ok_or_else(|| format!("actor {} has unknown role {}", l.id, l.role))?;
        let actor = Actor { id: l.id, name: l.name, role, organisation: l.organisation, subrole: l.subrole };
        Ok(ActorRecord { actor, created_at: l.created_at })
    }
}

/// An issuer key's public part.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerKeyLine {
    pub key_id: String,
    pub operator: String,
    pub public_multibase: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub retired_at: Option<OffsetDateTime>,
}

impl From<IssuerKeyRecord> for IssuerKeyLine {
    fn from(k: IssuerKeyRecord) -> Self {
        IssuerKeyLine {
            key_id: k.key_id,
            operator: k.operator,
            public_multibase: k.public_multibase,
            created_at: k.created_at,
            retired_at: k.retired_at,
        }
    }
}

impl From<IssuerKeyLine> for IssuerKeyRecord {
    /// Restored keys have no secret: they verify old signatures but cannot sign.
    fn from(l: IssuerKeyLine) -> Self {
        IssuerKeyRecord {
            key_id: l.key_id,
            operator: l.operator,
            public_multibase: l.public_multibase,
            secret_hex: String::new(),
            created_at: l.created_at,
            retired_at: l.retired_at,
        }
    }
}

/// Version metadata as archived (the same fields and names as the API's history entries).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetaLine {
    pub version: i64,
    pub actor_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub reason: Option<String>,
    pub content_hash: String,
    pub prev_hash: Option<String>,
}

impl From<VersionMeta> for MetaLine {
    fn from(m: VersionMeta) -> Self {
        MetaLine {
            version: m.version,
            actor_id: m.actor_id,
            created_at: m.created_at,
            reason: m.reason,
            content_hash: m.content_hash,
            prev_hash: m.prev_hash,
        }
    }
}

impl From<MetaLine> for VersionMeta {
    fn from(m: MetaLine) -> Self {
        VersionMeta {
            version: m.version,
            actor_id: m.actor_id,
            created_at: m.created_at,
            reason: m.reason,
            content_hash: m.content_hash,
            prev_hash: m.prev_hash,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelLine {
    pub model_id: String,
    pub owner: Option<String>,
    pub meta: MetaLine,
    pub document: Value,
}

impl From<ModelVersion> for ModelLine {
    fn from(m: ModelVersion) -> Self {
        ModelLine { model_id: m.model_id, owner: m.owner, meta: m.meta.into(), document: m.document }
    }
}

impl From<ModelLine> for ModelVersion {
    fn from(l: ModelLine) -> Self {
        ModelVersion { model_id: l.model_id, document: l.document, owner: l.owner, meta: l.meta.into() }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureLine {
    pub key_id: String,
    pub signature: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassportLine {
    pub passport_id: String,
    pub model_id: String,
    pub model_version: i64,
    pub meta: MetaLine,
    pub signature: Option<SignatureLine>,
    pub item: Value,
}

impl PassportLine {
    pub fn new(v: PassportVersion, signature: Option<VersionSignature>) -> Self {
        PassportLine {
            passport_id: v.passport_id,
            model_id: v.model_id,
            model_version: v.model_version,
            meta: v.meta.into(),
            signature: signature.map(|s| SignatureLine { key_id: s.key_id, signature: s.signature }),
            item: v.item,
        }
    }
}

impl From<PassportLine> for SignedVersion {
    fn from(l: PassportLine) -> Self {
        SignedVersion {
            version: PassportVersion {
                passport_id: l.passport_id,
                model_id: l.model_id,
                model_version: l.model_version,
                item: l.item,
                meta: l.meta.into(),
            },
            signature: l.signature.map(|s| VersionSignature { key_id: s.key_id, signature: s.signature }),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeadLine {
    pub id: String,
    pub battery_id: String,
    pub model_id: String,
    pub model_version: i64,
    pub category: String,
    pub status: String,
    pub manufacturer: String,
    pub responsible: String,
    pub version: i64,
    pub successor_id: Option<String>,
}

impl From<PassportHead> for HeadLine {
    fn from(h: PassportHead) -> Self {
        HeadLine {
            id: h.id,
            battery_id: h.battery_id,
            model_id: h.model_id,
            model_version: h.model_version,
            category: h.category,
            status: h.status,
            manufacturer: h.manufacturer,
            responsible: h.responsible,
            version: h.version,
            successor_id: h.successor_id,
        }
    }
}

impl From<HeadLine> for PassportHead {
    fn from(h: HeadLine) -> Self {
        PassportHead {
            id: h.id,
            battery_id: h.battery_id,
            model_id: h.model_id,
            model_version: h.model_version,
            category: h.category,
            status: h.status,
            manufacturer: h.manufacturer,
            responsible: h.responsible,
            version: h.version,
            successor_id: h.successor_id,
        }
    }
}

/// A reading; values are JSON numbers (serde_json is built with `float_roundtrip`, so they read back exactly).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadingLine {
    pub passport_id: String,
    pub metric: String,
    pub at_ms: i64,
    pub source: String,
    pub value: f64,
    pub note: Option<String>,
    pub actor_id: String,
}

impl From<Reading> for ReadingLine {
    fn from(r: Reading) -> Self {
        ReadingLine {
            passport_id: r.passport_id,
            metric: r.metric,
            at_ms: r.at_ms,
            source: r.source,
            value: r.value,
            note: r.note,
            actor_id: r.actor_id,
        }
    }
}

impl From<ReadingLine> for Reading {
    fn from(r: ReadingLine) -> Self {
        Reading {
            passport_id: r.passport_id,
            metric: r.metric,
            at_ms: r.at_ms,
            source: r.source,
            value: r.value,
            note: r.note,
            actor_id: r.actor_id,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantLine {
    pub id: String,
    pub grantor: String,
    pub grantee: String,
    pub passports: Vec<String>,
    pub groups: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
}

impl From<Grant> for GrantLine {
    fn from(g: Grant) -> Self {
        GrantLine {
            id: g.id,
            grantor: g.grantor,
            grantee: g.grantee,
            passports: g.passports,
            groups: g.groups,
            valid_until: g.valid_until,
            created_by: g.created_by,
            created_at: g.created_at,
            revoked_at: g.revoked_at,
            revoked_by: g.revoked_by,
        }
    }
}

impl From<GrantLine> for Grant {
    fn from(g: GrantLine) -> Self {
        Grant {
            id: g.id,
            grantor: g.grantor,
            grantee: g.grantee,
            passports: g.passports,
            groups: g.groups,
            valid_until: g.valid_until,
            created_by: g.created_by,
            created_at: g.created_at,
            revoked_at: g.revoked_at,
            revoked_by: g.revoked_by,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLine {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: String,
    pub action: String,
    pub subject: String,
    /// Canonical JSON text exactly as hashed.
    pub detail: String,
    pub prev_hash: Option<String>,
    pub hash: String,
}

impl From<AuditEntry> for AuditLine {
    fn from(e: AuditEntry) -> Self {
        AuditLine {
            seq: e.seq,
            at: e.at,
            actor_id: e.actor_id,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

impl From<AuditLine> for AuditEntry {
    fn from(e: AuditLine) -> Self {
        AuditEntry {
            seq: e.seq,
            at: e.at,
            actor_id: e.actor_id,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointLine {
    pub seq: i64,
    pub hash: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub key_id: String,
    pub signature: String,
}

impl From<AuditCheckpoint> for CheckpointLine {
    fn from(c: AuditCheckpoint) -> Self {
        CheckpointLine { seq: c.seq, hash: c.hash, at: c.at, key_id: c.key_id, signature: c.signature }
    }
}

impl From<CheckpointLine> for AuditCheckpoint {
    fn from(c: CheckpointLine) -> Self {
        AuditCheckpoint { seq: c.seq, hash: c.hash, at: c.at, key_id: c.key_id, signature: c.signature }
    }
}
