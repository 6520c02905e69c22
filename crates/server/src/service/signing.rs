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
        // A key without its secret (restored from a backup) only verifies: it cannot sign.
        let usable = |k: &IssuerKeyRecord| k.retired_at.is_none() && !k.secret_hex.is_empty();
        for record in store.issuer_keys().await?.into_iter().filter(usable) {
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
        Some(VersionSignature {
            key_id: key.key_id().to_string(),
            signature: signature_multibase(&key.sign_digest(&digest)),
        })
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

/// This server's `did:web` identifier, from the URL the public reaches it under.
fn did_for(public_base_url: &str) -> Result<String> {
    interop::did_web_for_base_url(public_base_url)
        .map_err(|e| ServiceError::Internal(format!("public base URL {public_base_url}: {e}")))
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

impl super::PassportService {
    /// The DID document for this server's public base URL.
    pub async fn did_document(&self, public_base_url: &str) -> Result<serde_json::Value> {
        let did = did_for(public_base_url)?;
        let keys = self.store.issuer_keys().await?;
        Ok(did_document(&did, &keys)?.to_json())
    }

    /// One version as a verifiable credential, as `reader` may see it. The proof is made with the key that
    /// signed the version, dated when the version was written: the same request gives the same credential.
    pub async fn credential(
        &self,
        id: &str,
        version: i64,
        reader: Option<&store::Actor>,
        public_base_url: &str,
    ) -> Result<serde_json::Value> {
        let passport = self.passport(id, Some(version), reader).await?;
        let audience = super::audience(reader, &passport.head);
        let signatures = self.store.version_signatures(id).await?;
        let Some((_, signature)) = signatures.into_iter().find(|(v, _)| *v == version) else {
            return Err(ServiceError::Lifecycle(format!(
                "version {version} of passport {id} was not signed: its operator had no issuer key then"
            )));
        };
        let record = self
            .store
            .issuer_keys()
            .await?
            .into_iter()
            .find(|k| k.key_id == signature.key_id)
            .ok_or_else(|| ServiceError::Internal(format!("signing key {} is not on record", signature.key_id)))?;
        if record.secret_hex.is_empty() {
            return Err(ServiceError::Lifecycle(format!(
                "key {} is held for verification only here (restored store): credentials cannot be issued",
                record.key_id
            )));
        }
        let key = issuer_key(&record)?;
        let did = did_for(public_base_url)?;
        let meta = &passport.version.meta;
        let mut subject = serde_json::json!({
            "id": format!("{public_base_url}/p/{id}"),
            "type": "BatteryPassport",
            "passportId": id,
            "version": version,
            "batteryPassport": passport.document,
        });
        // The hash and signature of the full record are for those who may read all of it (see HistoryEntry).
        if matches!(audience, passport::access::Audience::Operator | passport::access::Audience::Authority) {
            subject["contentHash"] = serde_json::Value::String(meta.content_hash.clone());
            subject["versionSignature"] =
                serde_json::json!({"keyId": signature.key_id, "signature": signature.signature});
        }
        let credential_id = format!("{public_base_url}/api/v1/passports/{id}/versions/{version}/credential");
        Ok(interop::issue_credential(
            subject,
            &did,
            &key,
            meta.created_at,
            meta.created_at,
            Some(credential_id),
            &["BatteryPassportCredential"],
        ))
    }
}

impl super::PassportService {
    /// Creates a new issuer key for `operator` (an operator's key holder for its own, an admin for any, including
    /// the server's); the previous key is retired, keeps verifying, and signs nothing new.
    pub async fn create_issuer_key(&self, actor: &store::Actor, operator: Option<&str>) -> Result<IssuerKeyRecord> {
        let operator = match (actor.role, operator, actor.organisation.as_deref()) {
            (store::Role::Admin, Some(op), _) => op.to_string(),
            (store::Role::EconomicOperator, None, Some(org)) => org.to_string(),
            (store::Role::EconomicOperator, Some(op), Some(org)) if op == org => op.to_string(),
            (store::Role::Admin, None, _) => return Err(ServiceError::BadRequest("name the `operator`".into())),
            _ => {
                return Err(ServiceError::Forbidden(
                    "only an operator (for itself) or an admin creates issuer keys".into(),
                ));
            }
        };
        let existing = self.store.issuer_keys().await?;
        let key = IssuerKey::generate(next_key_id(&operator, &existing))
            .map_err(|e| ServiceError::BadRequest(format!("operator `{operator}`: {e}")))?;
        let now = time::OffsetDateTime::now_utc();
        let record = IssuerKeyRecord {
            key_id: key.key_id().to_string(),
            operator,
            public_multibase: key.public_multibase(),
            secret_hex: hex::encode(key.secret_bytes()),
            created_at: now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now),
            retired_at: None,
        };
        self.store.add_issuer_key(&record, &actor.id).await?;
        self.load_keys().await?;
        Ok(record)
    }
}
