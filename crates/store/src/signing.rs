//! Issuer keys and version signatures as the store keeps them. The cryptography lives in the `interop` crate;
//! the store only needs something that signs a content hash for the responsible operator.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An Ed25519 issuer key. The secret never leaves the store except to the server that signs with it.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerKeyRecord {
    /// Fragment of the verification method in the DID document, e.g. `ORG-1-key-2`.
    pub key_id: String,
    /// Operator identifier the key signs for (`voltpass-server` for audit checkpoints).
    pub operator: String,
    pub public_multibase: String,
    #[serde(skip)]
    pub secret_hex: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Set when a newer key took over: no new signatures, old ones still verify.
    #[serde(with = "time::serde::rfc3339::option")]
    pub retired_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for IssuerKeyRecord {
    // Secrets never reach logs, not even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKeyRecord")
            .field("key_id", &self.key_id)
            .field("operator", &self.operator)
            .field("public_multibase", &self.public_multibase)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// The signature of one passport version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionSignature {
    pub key_id: String,
    /// Multibase (base58btc) Ed25519 signature over the version's content hash (32 bytes, not its hex).
    pub signature: String,
}

/// Signs passport versions as they are appended (on the hashing threads, inside the write).
pub trait VersionSigner: Send + Sync {
    /// The signature of `content_hash` (hex SHA-256 of the canonical record) by `responsible`'s active key;
    /// `None` when that operator has no key yet.
    fn sign(&self, responsible: &str, content_hash: &str) -> Option<VersionSignature>;
}
