//! The backup archive format: one NDJSON file per kind of record, each line one row with every stored value,
//! and `manifest.json` naming each file's SHA-256 and line count. Secrets (API key hashes, issuer key secrets)
//! are never written. Heads, readings, grants, audit entries, checkpoints and the supplier-quality rows are the
//! store's own types as they serialise (reading values are JSON numbers; serde_json is built with
//! `float_roundtrip`, so they read back exactly; a CoA's original bytes are base64); the line types below exist
//! where the archive holds more or less than a store type.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{
    Actor, ActorRecord, IssuerKeyRecord, ModelVersion, PassportVersion, Role, SignedVersion, VersionMeta,
    VersionSignature,
};
use time::OffsetDateTime;

pub const FORMAT: &str = "voltpass-backup/5";
/// Archives written before analytics records were archived: the same files without [`ANALYTICS_FILES`].
pub const FORMAT_V4: &str = "voltpass-backup/4";
/// Archives written before genealogy was archived: the same files without [`TRACE_FILES`].
pub const FORMAT_V3: &str = "voltpass-backup/3";
/// Archives written before supplier-quality data was archived: the same files without [`QUALITY_FILES`].
pub const FORMAT_V2: &str = "voltpass-backup/2";
/// Archives written before registered AAS descriptors existed: the `FORMAT_V2` files without
/// `descriptors.ndjson`.
pub const FORMAT_V1: &str = "voltpass-backup/1";
pub const MANIFEST: &str = "manifest.json";

/// The archive's files, in the order a restore inserts them (rows refer to rows of earlier files).
pub const FILES: [&str; 28] = [
    "actors.ndjson",
    "issuer_keys.ndjson",
    "models.ndjson",
    "passports.ndjson",
    "heads.ndjson",
    "readings.ndjson",
    "grants.ndjson",
    "descriptors.ndjson",
    "coas.ndjson",
    "coa_decisions.ndjson",
    "lab_results.ndjson",
    "material_specs.ndjson",
    "spc_series.ndjson",
    "sampling_states.ndjson",
    "spc_alarms.ndjson",
    "spc_alarm_acks.ndjson",
    "trace_units.ndjson",
    "trace_edges.ndjson",
    "trace_sources.ndjson",
    "trace_usage.ndjson",
    "trace_events.ndjson",
    "trace_backlog.ndjson",
    "trace_results.ndjson",
    "analytics_models.ndjson",
    "analytics_results.ndjson",
    "unit_holds.ndjson",
    "audit.ndjson",
    "checkpoints.ndjson",
];

/// The supplier-quality files (format 3 on), in restore order: decisions, lab results and alarms refer to
/// CoAs, acknowledgements to alarms (and skip-lot states name CoAs of pending lots).
pub const QUALITY_FILES: [&str; 8] = [
    "coas.ndjson",
    "coa_decisions.ndjson",
    "lab_results.ndjson",
    "material_specs.ndjson",
    "spc_series.ndjson",
    "sampling_states.ndjson",
    "spc_alarms.ndjson",
    "spc_alarm_acks.ndjson",
];

/// The genealogy files (format 4 on), in restore order: edges, shortcuts, running totals and event ids refer
/// to units.
pub const TRACE_FILES: [&str; 7] = [
    "trace_units.ndjson",
    "trace_edges.ndjson",
    "trace_sources.ndjson",
    "trace_usage.ndjson",
    "trace_events.ndjson",
    "trace_backlog.ndjson",
    "trace_results.ndjson",
];

/// The analytics files (format 5 on): registered models, predictions and screening results, unit holds (in
/// their order).
pub const ANALYTICS_FILES: [&str; 3] = ["analytics_models.ndjson", "analytics_results.ndjson", "unit_holds.ndjson"];

/// The files an archive of `format` holds, in order; `None` for a format this voltpass does not read.
pub fn files_of(format: &str) -> Option<Vec<&'static str>> {
    let without = |left_out: &[&str]| FILES.iter().copied().filter(|f| !left_out.contains(f)).collect();
    match format {
        FORMAT => Some(FILES.to_vec()),
        FORMAT_V4 => Some(without(&ANALYTICS_FILES)),
        FORMAT_V3 => Some(without(&[&ANALYTICS_FILES[..], &TRACE_FILES[..]].concat())),
        FORMAT_V2 => Some(without(&[&ANALYTICS_FILES[..], &QUALITY_FILES[..], &TRACE_FILES[..]].concat())),
        FORMAT_V1 => Some(without(
            &[&ANALYTICS_FILES[..], &QUALITY_FILES[..], &TRACE_FILES[..], &["descriptors.ndjson"]].concat(),
        )),
        _ => None,
    }
}

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
    /// Whether the archive holds this file (older formats lack some).
    pub fn holds(&self, name: &str) -> bool {
        self.files.iter().any(|f| f.name == name)
    }

    /// Lines (rows) of a file, 0 when the archive does not hold it.
    pub fn lines_of(&self, name: &str) -> u64 {
        self.files.iter().find(|f| f.name == name).map_or(0, |f| f.lines)
    }

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

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelLine {
    pub model_id: String,
    pub owner: Option<String>,
    pub meta: VersionMeta,
    pub document: Value,
}

impl From<ModelVersion> for ModelLine {
    fn from(m: ModelVersion) -> Self {
        ModelLine { model_id: m.model_id, owner: m.owner, meta: m.meta, document: m.document }
    }
}

impl From<ModelLine> for ModelVersion {
    fn from(l: ModelLine) -> Self {
        ModelVersion { model_id: l.model_id, document: l.document, owner: l.owner, meta: l.meta }
    }
}

/// A passport version with its signature (the store keeps them in two tables; the archive in one line).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassportLine {
    pub passport_id: String,
    pub model_id: String,
    pub model_version: i64,
    pub meta: VersionMeta,
    pub signature: Option<VersionSignature>,
    pub item: Value,
}

impl PassportLine {
    pub fn new(v: PassportVersion, signature: Option<VersionSignature>) -> Self {
        PassportLine {
            passport_id: v.passport_id,
            model_id: v.model_id,
            model_version: v.model_version,
            meta: v.meta,
            signature,
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
                meta: l.meta,
            },
            signature: l.signature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_formats_hold_fewer_files_in_the_same_order() {
        let v5 = files_of(FORMAT).unwrap();
        let v4 = files_of(FORMAT_V4).unwrap();
        let v3 = files_of(FORMAT_V3).unwrap();
        let v2 = files_of(FORMAT_V2).unwrap();
        let v1 = files_of(FORMAT_V1).unwrap();
        assert_eq!(v5.len(), 28);
        assert_eq!(v4, v5.iter().copied().filter(|f| !ANALYTICS_FILES.contains(f)).collect::<Vec<_>>());
        assert_eq!(v4.len(), 25);
        assert_eq!(v3, v4.iter().copied().filter(|f| !TRACE_FILES.contains(f)).collect::<Vec<_>>());
        assert_eq!(v3.len(), 18);
        assert_eq!(v2, v3.iter().copied().filter(|f| !QUALITY_FILES.contains(f)).collect::<Vec<_>>());
        assert_eq!(v1, v2.iter().copied().filter(|f| *f != "descriptors.ndjson").collect::<Vec<_>>());
        assert_eq!(v2.len(), 10);
        assert!(files_of("voltpass-backup/6").is_none());
    }
}
