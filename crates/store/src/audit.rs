//! The audit log: every write, grant, status change and login failure, in one hash chain. Each entry's hash
//! covers its content and the previous hash, so changing or dropping an entry breaks every later link.
//! Signed checkpoints pin the chain head with the server key.

use passport::hash::{canonical_json, sha256_hex};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// Something to record; the store gives it a place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub actor_id: String,
    /// Dotted verb, e.g. `passport.append`, `grant.revoke`, `auth.failure`.
    pub action: String,
    /// What it concerns: a passport id, a grant id, a key holder.
    pub subject: String,
    pub detail: Value,
}

impl AuditEvent {
    pub fn new(actor_id: impl Into<String>, action: &str, subject: impl Into<String>, detail: Value) -> Self {
        AuditEvent { actor_id: actor_id.into(), action: action.to_string(), subject: subject.into(), detail }
    }
}

/// A chained entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: String,
    pub action: String,
    pub subject: String,
    /// Canonical JSON text, hashed as stored.
    pub detail: String,
    pub prev_hash: Option<String>,
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry must carry, recomputed from its content.
    pub fn expected_hash(&self) -> String {
        entry_hash(
            self.seq,
            self.at,
            &self.actor_id,
            &self.action,
            &self.subject,
            &self.detail,
            self.prev_hash.as_deref(),
        )
    }
}

/// A signed statement by the server: "the chain up to `seq` ends in `hash`".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditCheckpoint {
    pub seq: i64,
    pub hash: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub key_id: String,
    /// Multibase Ed25519 signature over [`checkpoint_message`].
    pub signature: String,
}

/// The bytes a checkpoint signature covers.
pub fn checkpoint_message(seq: i64, hash: &str) -> Vec<u8> {
    format!("voltpass-audit-checkpoint:{seq}:{hash}").into_bytes()
}

pub(crate) fn entry_hash(
    seq: i64,
    at: OffsetDateTime,
    actor_id: &str,
    action: &str,
    subject: &str,
    detail: &str,
    prev_hash: Option<&str>,
) -> String {
    let at = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let record = json!({
        "seq": seq, "at": at, "actorId": actor_id, "action": action, "subject": subject,
        "detail": detail, "prevHash": prev_hash,
    });
    sha256_hex(canonical_json(&record).as_bytes())
}

/// An event ready to chain: detail canonicalised once.
pub(crate) struct Pending {
    pub event: AuditEvent,
    pub detail: String,
}

pub(crate) fn pending(events: Vec<AuditEvent>) -> Vec<Pending> {
    events
        .into_iter()
        .map(|event| {
            let detail = canonical_json(&event.detail);
            Pending { event, detail }
        })
        .collect()
}

/// Chains pending events after `(last_seq, last_hash)`.
pub(crate) fn chain(
    pending: Vec<Pending>,
    mut last_seq: i64,
    mut last_hash: Option<String>,
    at: OffsetDateTime,
) -> Vec<AuditEntry> {
    pending
        .into_iter()
        .map(|p| {
            last_seq += 1;
            let hash = entry_hash(
                last_seq,
                at,
                &p.event.actor_id,
                &p.event.action,
                &p.event.subject,
                &p.detail,
                last_hash.as_deref(),
            );
            let entry = AuditEntry {
                seq: last_seq,
                at,
                actor_id: p.event.actor_id,
                action: p.event.action,
                subject: p.event.subject,
                detail: p.detail,
                prev_hash: last_hash.take(),
                hash: hash.clone(),
            };
            last_hash = Some(hash);
            entry
        })
        .collect()
}

/// A digest naming what a batch of passport versions wrote (id, version, content hash per line).
pub(crate) fn versions_digest<'a>(versions: impl Iterator<Item = (&'a str, i64, &'a str)>) -> String {
    let mut text = String::new();
    for (id, version, hash) in versions {
        text.push_str(&format!("{id}:{version}:{hash}\n"));
    }
    sha256_hex(text.as_bytes())
}
