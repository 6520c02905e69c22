//! Issuer keys in use: each operator's active Ed25519 key signs the versions it is responsible for, and the
//! server's key signs audit checkpoints. Keys live in the store (so every server of a cluster signs alike);
//! rotation adds a key and retires the old one, whose signatures keep verifying through the DID document.

use interop::keys::{IssuerKey, signature_multibase};
use interop::{DidDocument, KeyStatus};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use store::{IssuerKeyRecord, Store, VersionSignature, VersionSigner};

use super::{Result, ServiceError};

/// The operator name the server's own key signs for (audit checkpoints).
pub const SERVER_OPERATOR: &str = "voltpass-server";

/// The active signing key per operator, refreshed from the store.
#[derive(Default)]
pub struct KeyRing {
    active: RwLock<HashMap<String, Arc<IssuerKey>>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let operators: Vec<String> = self.active.read().map(|a| a.keys().cloned().collect()).unwrap_or_default();
        f.debug_struct("KeyRing").field("operators", &operators).finish()
    }
}

impl KeyRing {
    /// Loads the active keys from the store (call again after a rotation).
    pub async fn reload(&self, store: &Arc<dyn Store>) -> Result<()> {
        let mut active = HashMap::new();
        for record in store.issuer_keys().await?.into_iter().filter(|k| k.retired_at.is_none()) {
            let key = issuer_key(&record)?;
            active.insert(record.operator.clone(), Arc::new(key));
        }
        *self.active.write().expect("key ring lock") = active;
        Ok(())
    }

    pub fn key_for(&self, operator: &str) -> Option<Arc<IssuerKey>> {
        self.active.read().expect("key ring lock").get(operator).cloned()
    }
}

impl VersionSigner for KeyRing {
    fn sign(&self, responsible: &str, content_hash: &str) -> Option<VersionSignature> {
        let key = self.key_for(responsible)?;
        let digest: [u8; 32] = hex::decode(content_hash).ok()?.try_into().ok()?;
        Some(VersionSignature { key_id: key.key_id().to_string(), signature: signature_multibase(&key.sign_digest(&digest)) })
    }
}

/// The usable key of a stored record.
pub fn issuer_key(record: &IssuerKeyRecord) -> Result<IssuerKey> {
    let secret = hex::decode(&record.secret_hex)
        .map_err(|e| ServiceError::Internal(format!("issuer key {} is damaged: {e}", record.key_id)))?;
    IssuerKey::from_secret_bytes(record.key_id.clone(), &secret)
        .map_err(|e| ServiceError::Internal(format!("issuer key {} is damaged: {e}", record.key_id)))
}

/// A key id not used before for this operator: `<operator>-key-<n>` with characters a DID URL fragment allows.
pub fn next_key_id(operator: &str, existing: &[IssuerKeyRecord]) -> String {
    let safe: String =
        operator.chars().map(|c| if c.is_ascii_alphanumeric() || "-._~".contains(c) { c } else { '-' }).collect();
    let n = existing.iter().filter(|k| k.operator == operator).count() + 1;
    format!("{safe}-key-{n}")
}

/// The DID document publishing every issuer key: active and retired keys may assert (old signatures verify).
pub fn did_document(did: &str, keys: &[IssuerKeyRecord]) -> Result<DidDocument> {
    let mut document = DidDocument::new(did).map_err(|e| ServiceError::Internal(e.to_string()))?;
    for key in keys {
        let status = if key.retired_at.is_some() { KeyStatus::Retired } else { KeyStatus::Active };
        document
            .add_key(&key.key_id, &key.public_multibase, status)
            .map_err(|e| ServiceError::Internal(format!("issuer key {}: {e}", key.key_id)))?;
    }
    Ok(document)
}
