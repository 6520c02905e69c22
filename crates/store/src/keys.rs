//! API keys over their life: created (optionally until a time), used while in force, revoked. Keys are stored
//! as SHA-256 hashes only; a key is named by its fingerprint, the first [`FINGERPRINT_LEN`] hex digits of its
//! hash, which says nothing about the key itself.

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;

use crate::{Actor, Result, StoreError};

/// Hex digits of a key's hash shown as its fingerprint.
pub const FINGERPRINT_LEN: usize = 16;
/// The shortest fingerprint prefix a revocation accepts.
pub const MIN_FINGERPRINT_PREFIX: usize = 8;

/// A key as listed: never the key or its full hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    pub fingerprint: String,
    pub actor_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
}

/// The holder of a key in force, and when the key stops working (if ever).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    pub actor: Actor,
    pub expires_at: Option<OffsetDateTime>,
}

/// Which keys a revocation ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySelector {
    /// Every key of an actor.
    Actor(String),
    /// The one key whose fingerprint starts with this (at least [`MIN_FINGERPRINT_PREFIX`] hex digits).
    Fingerprint(String),
}

impl KeySelector {
    /// A `LIKE` pattern on `key_hash` for a fingerprint selector, checked for length and hex digits.
    pub(crate) fn hash_prefix(prefix: &str) -> Result<String> {
        let prefix = prefix.to_ascii_lowercase();
        if prefix.len() < MIN_FINGERPRINT_PREFIX || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(StoreError::Invalid(format!(
                "a key fingerprint is at least {MIN_FINGERPRINT_PREFIX} hex digits, got `{prefix}`"
            )));
        }
        Ok(format!("{prefix}%"))
    }
}

pub(crate) fn fingerprint(key_hash: &str) -> String {
    key_hash.chars().take(FINGERPRINT_LEN).collect()
}

/// Whether a key with these dates works at `now`.
pub(crate) fn in_force(
    expires_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> bool {
    revoked_at.is_none() && expires_at.is_none_or(|until| now < until)
}

/// A fingerprint names exactly one key in force; an actor may have none left.
pub(crate) fn check_selection(which: &KeySelector, selected: &[(String, String)]) -> Result<()> {
    match (which, selected.len()) {
        (KeySelector::Fingerprint(prefix), 0) => {
            Err(StoreError::NotFound { kind: "key in force with fingerprint", id: prefix.clone() })
        }
        (KeySelector::Fingerprint(prefix), n) if n > 1 => {
            Err(StoreError::Invalid(format!("fingerprint {prefix} matches {n} keys: give more digits")))
        }
        _ => Ok(()),
    }
}

#[async_trait]
pub trait KeyStore {
    /// Binds an API key (by its hash only) to an actor, working until `expires_at` (for good without one).
    async fn add_key_until(&self, actor_id: &str, key_hash: &str, expires_at: Option<OffsetDateTime>) -> Result<()>;
    /// The holder of the key with this hash if the key is in force now (neither revoked nor expired).
    async fn key_in_force(&self, key_hash: &str) -> Result<Option<KeyHolder>>;
    /// Every key, oldest first.
    async fn list_keys(&self) -> Result<Vec<KeyInfo>>;
    /// Revokes the selected keys still in force, recording who did it in the audit log; the number revoked. A
    /// fingerprint that matches no key in force is `NotFound`, one that matches several is `Invalid`.
    async fn revoke_keys(&self, which: &KeySelector, by: &str) -> Result<usize>;
}
