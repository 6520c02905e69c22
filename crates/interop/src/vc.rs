//! W3C Verifiable Credentials 2.0 secured with a Data Integrity proof, cryptosuite `eddsa-jcs-2022`
//! ("Data Integrity EdDSA Cryptosuites v1.0", section 3.3), following the published algorithms exactly:
//!
//! - Create (3.3.1): proof = the proof options; if the document has an `@context`, proof.`@context` = that
//!   context; proofConfig = JCS(proof) (3.3.5); transformedData = JCS(document without `proof`) (3.3.3);
//!   hashData = SHA-256(proofConfig) ‖ SHA-256(transformedData), proof config hash first (3.3.4);
//!   proof.proofValue = 'z' + base58btc(Ed25519 signature over hashData) (3.3.6).
//! - Verify (3.3.2): proof options = proof without `proofValue`; if they carry an `@context`, the document's
//!   `@context` must start with it, and it replaces the document's for hashing; then the same hashData.
//!
//! So the emitted proof does carry the document's `@context`: the spec's Create Proof step 2 puts it there, so
//! that contexts appended to the document later (e.g. by another proof) do not break this one. The spec's
//! eddsa-jcs-2022 test vector shows the same, and `tests::reproduces_the_spec_test_vector` checks it byte for byte.

use crate::did::{DidDocument, DidError};
use crate::keys::{self, IssuerKey, KeyError};
use passport::hash::canonical_json;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
pub const PROOF_PURPOSE: &str = "assertionMethod";

/// Why a credential did not verify; each check has its own variant so callers and logs can say exactly what failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("credential is not a JSON object")]
    NotAnObject,
    #[error("credential has no proof")]
    MissingProof,
    #[error("proof must be a single object (proof sets and chains are not supported)")]
    UnsupportedProofShape,
    #[error("proof type must be \"DataIntegrityProof\", found {0}")]
    WrongProofType(String),
    #[error("proof cryptosuite must be \"eddsa-jcs-2022\", found {0}")]
    WrongCryptosuite(String),
    #[error("proofPurpose must be \"assertionMethod\", found {0}")]
    WrongProofPurpose(String),
    #[error("proof has no created date")]
    MissingCreated,
    #[error("proof created {0} is not an XML Schema dateTime with a time zone")]
    InvalidCreated(String),
    #[error("proof has no verificationMethod (a string DID URL)")]
    MissingVerificationMethod,
    #[error("proof has no proofValue (a string)")]
    MissingProofValue,
    #[error("proofValue is not a multibase base58btc Ed25519 signature: {0}")]
    BadProofValue(#[source] KeyError),
    #[error("credential has no issuer (a DID, or an object with a DID id)")]
    MissingIssuer,
    #[error("credential has no credentialSubject")]
    MissingCredentialSubject,
    #[error("DID document is unusable: {0}")]
    InvalidDidDocument(#[source] DidError),
    #[error("verificationMethod {method} is not a DID URL of {did}, the DID document's DID")]
    MethodNotOfDocumentDid { method: String, did: String },
    #[error("verification method {0} is not in the DID document")]
    MethodNotFound(String),
    #[error("issuer {issuer} is not {controller}, the controller of verification method {method}")]
    IssuerMismatch { issuer: String, controller: String, method: String },
    #[error("verification method {0} is not listed in the DID document's assertionMethod (revoked key?)")]
    NotAssertionMethod(String),
    #[error("verification method's public key is unusable: {0}")]
    BadPublicKey(#[source] DidError),
    #[error("proof @context does not match the start of the credential's @context")]
    ContextMismatch,
    #[error("signature does not match: the credential or its proof options were altered, or another key signed")]
    SignatureMismatch,
}

/// What a verified credential asserts, and who vouches for it.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCredential {
    pub issuer: String,
    /// Full id of the key that signed, `<did>#<key id>`.
    pub verification_method: String,
    pub created: OffsetDateTime,
    pub credential_subject: Value,
}

/// Issues `subject` as a Verifiable Credential signed by `key` as `<issuer_did>#<key id>`; `issuer_did` is the
/// DID whose document publishes the key (see [`crate::did::did_web_for_base_url`]).
///
/// Deterministic (Ed25519 is): the same inputs give byte-identical output. Times are written in UTC to whole
/// seconds. `types` are added after `VerifiableCredential`. The proof carries the credential's `@context`, as
/// the spec's Create Proof step 2 requires.
pub fn issue_credential(
    subject: Value,
    issuer_did: &str,
    key: &IssuerKey,
    valid_from: OffsetDateTime,
    created: OffsetDateTime,
    credential_id: Option<String>,
    types: &[&str],
) -> Value {
    let mut credential = Map::new();
    credential.insert("@context".into(), json!([CREDENTIALS_V2_CONTEXT]));
    if let Some(id) = credential_id {
        credential.insert("id".into(), Value::String(id));
    }
    let all_types =
        std::iter::once("VerifiableCredential").chain(types.iter().copied().filter(|t| *t != "VerifiableCredential"));
    credential.insert("type".into(), all_types.collect::<Vec<_>>().into());
    credential.insert("issuer".into(), issuer_did.into());
    credential.insert("validFrom".into(), xsd_date_time(valid_from).into());
    credential.insert("credentialSubject".into(), subject);

    let options = Map::from_iter([
        ("type".to_owned(), PROOF_TYPE.into()),
        ("cryptosuite".to_owned(), CRYPTOSUITE.into()),
        ("created".to_owned(), xsd_date_time(created).into()),
        ("verificationMethod".to_owned(), format!("{issuer_did}#{}", key.key_id()).into()),
        ("proofPurpose".to_owned(), PROOF_PURPOSE.into()),
    ]);
    let proof = create_proof(&credential, options, key);
    credential.insert("proof".into(), proof);
    Value::Object(credential)
}

/// Verifies an `eddsa-jcs-2022` credential against its issuer's DID document (already resolved by the caller).
///
/// Checks the proof's shape, that the signing key belongs to the document's DID and its controller is the
/// issuer, that the key is an assertion method, then the signature. It does not check `validFrom`/`validUntil`
/// or credential status: that depends on the caller's clock and policy.
pub fn verify_credential(credential: &Value, did_document: &Value) -> Result<VerifiedCredential, VerifyError> {
    let credential = credential.as_object().ok_or(VerifyError::NotAnObject)?;
    let proof = match credential.get("proof") {
        Some(Value::Object(proof)) => proof,
        Some(_) => return Err(VerifyError::UnsupportedProofShape),
        None => return Err(VerifyError::MissingProof),
    };
    if proof.get("type") != Some(&json!(PROOF_TYPE)) {
        return Err(VerifyError::WrongProofType(found(proof, "type")));
    }
    if proof.get("cryptosuite") != Some(&json!(CRYPTOSUITE)) {
        return Err(VerifyError::WrongCryptosuite(found(proof, "cryptosuite")));
    }
    if proof.get("proofPurpose") != Some(&json!(PROOF_PURPOSE)) {
        return Err(VerifyError::WrongProofPurpose(found(proof, "proofPurpose")));
    }
    let created = match proof.get("created") {
        Some(Value::String(text)) => parse_date_time(text).ok_or_else(|| VerifyError::InvalidCreated(text.clone()))?,
        Some(other) => return Err(VerifyError::InvalidCreated(other.to_string())),
        None => return Err(VerifyError::MissingCreated),
    };
    let method_id =
        proof.get("verificationMethod").and_then(Value::as_str).ok_or(VerifyError::MissingVerificationMethod)?;
    let signature = proof_signature(proof)?;
    let issuer = issuer_id(credential).ok_or(VerifyError::MissingIssuer)?;
    let subject = credential.get("credentialSubject").ok_or(VerifyError::MissingCredentialSubject)?;

    let document = DidDocument::from_json(did_document).map_err(VerifyError::InvalidDidDocument)?;
    let of_document =
        method_id.split_once('#').is_some_and(|(did, fragment)| did == document.id() && !fragment.is_empty());
    if !of_document {
        return Err(VerifyError::MethodNotOfDocumentDid {
            method: method_id.to_owned(),
            did: document.id().to_owned(),
        });
    }
    let method =
        document.verification_method(method_id).map_err(|_| VerifyError::MethodNotFound(method_id.to_owned()))?;
    if method.controller != issuer {
        return Err(VerifyError::IssuerMismatch {
            issuer: issuer.to_owned(),
            controller: method.controller.clone(),
            method: method_id.to_owned(),
        });
    }
    if !document.is_assertion_method(method_id) {
        return Err(VerifyError::NotAssertionMethod(method_id.to_owned()));
    }
    let public_key = method.public_key().map_err(VerifyError::BadPublicKey)?;
    check_signature(credential, proof, &public_key, &signature)?;
    Ok(VerifiedCredential {
        issuer: issuer.to_owned(),
        verification_method: method_id.to_owned(),
        created,
        credential_subject: subject.clone(),
    })
}

/// Spec 3.3.1: the proof options plus the document's `@context`, signed, plus `proofValue`.
fn create_proof(unsecured: &Map<String, Value>, options: Map<String, Value>, key: &IssuerKey) -> Value {
    let mut proof = options;
    if let Some(context) = unsecured.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let signature = key.sign(&hash_data(unsecured, &proof));
    proof.insert("proofValue".into(), keys::signature_multibase(&signature).into());
    Value::Object(proof)
}

/// Spec 3.3.2 from step 4: the signature check proper, once the key is known.
fn check_signature(
    secured: &Map<String, Value>,
    proof: &Map<String, Value>,
    public_key: &ed25519_dalek::VerifyingKey,
    signature: &[u8; 64],
) -> Result<(), VerifyError> {
    let mut unsecured = secured.clone();
    unsecured.remove("proof");
    let mut options = proof.clone();
    options.remove("proofValue");
    if let Some(proof_context) = options.get("@context") {
        if !context_starts_with(unsecured.get("@context"), proof_context) {
            return Err(VerifyError::ContextMismatch);
        }
        unsecured.insert("@context".into(), proof_context.clone());
    }
    keys::verify_with_key(public_key, &hash_data(&unsecured, &options), signature)
        .map_err(|_| VerifyError::SignatureMismatch)
}

/// Spec 3.3.3-3.3.5: SHA-256(JCS(proof options)) ‖ SHA-256(JCS(document)). The options are hashed as they
/// are: any `@context` was already put in them (on creation) or came with the proof (on verification).
fn hash_data(unsecured: &Map<String, Value>, options: &Map<String, Value>) -> [u8; 64] {
    let config_hash = Sha256::digest(canonical_json(&Value::Object(options.clone())));
    let document_hash = Sha256::digest(canonical_json(&Value::Object(unsecured.clone())));
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&config_hash);
    out[32..].copy_from_slice(&document_hash);
    out
}

fn proof_signature(proof: &Map<String, Value>) -> Result<[u8; 64], VerifyError> {
    let value = proof.get("proofValue").and_then(Value::as_str).ok_or(VerifyError::MissingProofValue)?;
    keys::decode_signature_multibase(value).map_err(VerifyError::BadProofValue)
}

/// VC 2.0 lets `issuer` be a URL or an object whose `id` is that URL.
fn issuer_id(credential: &Map<String, Value>) -> Option<&str> {
    match credential.get("issuer")? {
        Value::String(id) => Some(id),
        Value::Object(issuer) => issuer.get("id")?.as_str(),
        _ => None,
    }
}

/// A single context string counts as a one-element list on either side.
fn context_starts_with(document: Option<&Value>, prefix: &Value) -> bool {
    fn as_list(value: &Value) -> &[Value] {
        match value {
            Value::Array(items) => items,
            single => std::slice::from_ref(single),
        }
    }
    document.is_some_and(|document| as_list(document).starts_with(as_list(prefix)))
}

/// The JSON text of `proof[field]`, or "nothing", for error messages.
fn found(proof: &Map<String, Value>, field: &str) -> String {
    proof.get(field).map_or_else(|| "nothing".to_owned(), Value::to_string)
}

/// An XML Schema dateTime in UTC to whole seconds, e.g. `2026-11-29T00:00:00Z`.
fn xsd_date_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let sign = if at.year() < 0 { "-" } else { "" };
    format!(
        "{sign}{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year().unsigned_abs(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Accepts the RFC 3339 profile of XML Schema dateTime, which requires the time zone that VC 2.0 asks for.
fn parse_date_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

#[cfg(test)]
mod tests;
