//! Wire formats in and out of voltpass, so other parties can check passport data without trusting our servers.
//!
//! - [`keys`]: issuer Ed25519 keys, their Multikey `publicKeyMultibase` form, raw signatures (e.g. over a
//!   passport version's SHA-256 content hash) as hex or multibase.
//! - [`did`]: did:web identifiers derived from the platform's base URL, and the DID documents publishing the
//!   issuer keys. Rotated keys stay assertion methods so old signatures keep verifying; revoked keys do not.
//! - [`aas`]: Asset Administration Shell submodels, descriptors, ids and paging (IDTA-01001/01002 v3).
//! - [`catenax`]: the Catena-X battery pass aspect (6.1.0) mapped to and from the canonical passport document.
//! - [`cx0160`]: the CX-0160 set (IDTA battery passport parts 1-7 and DPP metadata) mapped to and from the
//!   canonical passport document, one value-only payload per aspect.
//! - [`vc`]: W3C Verifiable Credentials 2.0 with a Data Integrity proof, cryptosuite `eddsa-jcs-2022`.
//!
//! Pure functions over `serde_json::Value`: no I/O. Callers fetch DID documents and store secret keys.
//!
//! ```
//! use interop::{DidDocument, IssuerKey, KeyStatus, did_web_for_base_url, issue_credential, verify_credential};
//! use serde_json::json;
//! use time::macros::datetime;
//!
//! let did = did_web_for_base_url("https://passports.example.com")?;
//! let key = IssuerKey::generate("key-1")?;
//! let mut document = DidDocument::new(&did)?;
//! document.add_issuer_key(&key, KeyStatus::Active)?;
//!
//! let now = datetime!(2026-11-29 00:00 UTC);
//! let subject = json!({"id": "https://passports.example.com/p/BAT-1", "batteryChemistry": "LFP"});
//! let credential = issue_credential(subject, &did, &key, now, now, None, &["BatteryPassportCredential"]);
//! let verified = verify_credential(&credential, &document.to_json())?;
//! assert_eq!(verified.issuer, did);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod aas;
pub mod catenax;
pub mod cx0160;
pub mod did;
pub mod keys;
pub mod vc;

pub use did::{DidDocument, DidError, KeyStatus, VerificationMethod, did_web_for_base_url};
pub use keys::{IssuerKey, KeyError, decode_public_multibase, verify_signature};
pub use vc::{VerifiedCredential, VerifyError, issue_credential, verify_credential};
