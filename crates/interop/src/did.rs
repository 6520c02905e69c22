//! did:web identifiers and the DID documents that publish issuer keys as Multikey verification methods.

use crate::keys::{self, IssuerKey, KeyError};
use ed25519_dalek::VerifyingKey;
use serde_json::{Map, Value, json};

const DID_CONTEXT: &str = "https://www.w3.org/ns/did/v1";
const MULTIKEY_CONTEXT: &str = "https://w3id.org/security/multikey/v1";
const MULTIKEY: &str = "Multikey";

/// What is wrong with a base URL, a DID or a DID document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    #[error("cannot make a did:web from {url:?}: {reason}")]
    InvalidBaseUrl { url: String, reason: &'static str },
    #[error("{0:?} is not a DID (expected did:<method>:<id>)")]
    InvalidDid(String),
    #[error("DID document is not a JSON object")]
    NotAnObject,
    #[error("{location} has no {field}")]
    MissingField { location: String, field: &'static str },
    #[error("{location}: {field} must be {expected}")]
    InvalidField { location: String, field: &'static str, expected: &'static str },
    #[error("verification method {0} appears twice")]
    DuplicateMethod(String),
    #[error("verification method {id} is not in the DID document of {did}")]
    MethodNotFound { id: String, did: String },
    #[error("verification method {id} has type {found:?}; only Multikey is supported")]
    UnsupportedMethodType { id: String, found: String },
    #[error("verification method {id} has a bad publicKeyMultibase: {source}")]
    BadPublicKey { id: String, source: KeyError },
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// The did:web DID whose document is served under `base_url`, per the did:web method spec: the host, a
/// percent-encoded port (`%3A`), then each path segment after a ':'.
///
/// `https://passports.example.com:8443/sub` → `did:web:passports.example.com%3A8443:sub`. The scheme's default
/// port is dropped, as URL normalisation would; resolvers always fetch over HTTPS, so `http` suits only local tests.
pub fn did_web_for_base_url(base_url: &str) -> Result<String, DidError> {
    let invalid = |reason| DidError::InvalidBaseUrl { url: base_url.to_owned(), reason };
    let lower = base_url.to_ascii_lowercase();
    let (rest, default_port) = if lower.starts_with("https://") {
        (&base_url[8..], "443")
    } else if lower.starts_with("http://") {
        (&base_url[7..], "80")
    } else {
        return Err(invalid("the scheme must be http or https"));
    };
    if rest.contains(['?', '#']) {
        return Err(invalid("a base URL has no query or fragment"));
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') {
        return Err(invalid("user info is not allowed"));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => (host, Some(port)),
        Some(_) => return Err(invalid("the port must be digits")),
        None => (authority, None),
    };
    let host_ok = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
    if host.is_empty() || !host.bytes().all(host_ok) {
        return Err(invalid("the host must be a domain name (letters, digits, '-', '.'; IDNs in punycode)"));
    }
    // DIDs compare case-sensitively but host names do not: lower-case so one host gives one DID.
    let mut did = format!("did:web:{}", host.to_ascii_lowercase());
    if let Some(port) = port.filter(|p| *p != default_port) {
        did.push_str("%3A");
        did.push_str(port);
    }
    let path = path.strip_suffix('/').unwrap_or(path);
    if !path.is_empty() {
        for segment in path.split('/') {
            // did:web idchars are ALPHA / DIGIT / "." / "-" / "_"; refuse rather than guess at encodings.
            let seg_ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
            if segment.is_empty() || segment == "." || segment == ".." || !segment.bytes().all(seg_ok) {
                return Err(invalid("path segments must be non-empty and use only letters, digits, '-', '.', '_'"));
            }
            did.push(':');
            did.push_str(segment);
        }
    }
    Ok(did)
}

/// Whether a published key may still back assertions (credential proofs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Signs new credentials: listed in `assertionMethod` and `authentication`.
    Active,
    /// Rotated out: stays in `assertionMethod` so credentials it signed still verify (rotation never
    /// invalidates old signatures), but no longer in `authentication`.
    Retired,
    /// Compromised: kept in `verificationMethod` for the record, but out of `assertionMethod`, so every
    /// proof made with it stops verifying.
    Revoked,
}

/// One entry of a DID document's `verificationMethod`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationMethod {
    /// Full DID URL, `<did>#<key id>`.
    pub id: String,
    pub method_type: String,
    pub controller: String,
    /// Present for every Multikey method; other types are kept but cannot be used.
    pub public_key_multibase: Option<String>,
}

impl VerificationMethod {
    /// The Ed25519 public key of a Multikey method.
    pub fn public_key(&self) -> Result<VerifyingKey, DidError> {
        if self.method_type != MULTIKEY {
            return Err(DidError::UnsupportedMethodType { id: self.id.clone(), found: self.method_type.clone() });
        }
        let encoded = self.public_key_multibase.as_deref().unwrap_or_default();
        keys::decode_public_multibase(encoded).map_err(|source| DidError::BadPublicKey { id: self.id.clone(), source })
    }
}

/// A DID document: built by an issuer to publish its keys, or parsed by a verifier to look them up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidDocument {
    id: String,
    verification_methods: Vec<VerificationMethod>,
    assertion_method: Vec<String>,
    authentication: Vec<String>,
}

impl DidDocument {
    /// An empty document for `did`.
    pub fn new(did: impl Into<String>) -> Result<Self, DidError> {
        let did = did.into();
        validate_did(&did)?;
        Ok(Self { id: did, verification_methods: Vec::new(), assertion_method: Vec::new(), authentication: Vec::new() })
    }

    /// Publishes a key as `<did>#<key id>` with the relationships its status allows.
    pub fn add_key(
        &mut self,
        key_id: &str,
        public_key_multibase: &str,
        status: KeyStatus,
    ) -> Result<&mut Self, DidError> {
        keys::validate_key_id(key_id)?;
        let id = format!("{}#{key_id}", self.id);
        keys::decode_public_multibase(public_key_multibase)
            .map_err(|source| DidError::BadPublicKey { id: id.clone(), source })?;
        self.push_method(VerificationMethod {
            id: id.clone(),
            method_type: MULTIKEY.to_owned(),
            controller: self.id.clone(),
            public_key_multibase: Some(public_key_multibase.to_owned()),
        })?;
        if status != KeyStatus::Revoked {
            self.assertion_method.push(id.clone());
        }
        if status == KeyStatus::Active {
            self.authentication.push(id);
        }
        Ok(self)
    }

    /// [`DidDocument::add_key`] for an issuer key held in memory.
    pub fn add_issuer_key(&mut self, key: &IssuerKey, status: KeyStatus) -> Result<&mut Self, DidError> {
        self.add_key(key.key_id(), &key.public_multibase(), status)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn verification_methods(&self) -> &[VerificationMethod] {
        &self.verification_methods
    }

    /// Looks up a verification method by its full id (`<did>#<key id>`).
    pub fn verification_method(&self, id: &str) -> Result<&VerificationMethod, DidError> {
        self.verification_methods
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| DidError::MethodNotFound { id: id.to_owned(), did: self.id.clone() })
    }

    /// Whether proofs made with method `id` may be accepted as assertions (e.g. credential proofs).
    pub fn is_assertion_method(&self, id: &str) -> bool {
        self.assertion_method.iter().any(|m| m == id)
    }

    /// Whether method `id` may authenticate as the DID subject.
    pub fn is_authentication(&self, id: &str) -> bool {
        self.authentication.iter().any(|m| m == id)
    }

    /// The document as JSON, ready to serve as `did.json`.
    pub fn to_json(&self) -> Value {
        let methods: Vec<Value> = self
            .verification_methods
            .iter()
            .map(|m| {
                let mut entry = json!({"id": m.id, "type": m.method_type, "controller": m.controller});
                if let Some(key) = &m.public_key_multibase {
                    entry["publicKeyMultibase"] = json!(key);
                }
                entry
            })
            .collect();
        json!({
            "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
            "id": self.id,
            "verificationMethod": methods,
            "assertionMethod": self.assertion_method,
            "authentication": self.authentication,
        })
    }

    /// Parses a DID document. Relationship entries may be references (absolute or `#fragment`) or
    /// embedded methods; non-Multikey methods are kept but rejected when used.
    pub fn from_json(value: &Value) -> Result<Self, DidError> {
        let object = value.as_object().ok_or(DidError::NotAnObject)?;
        let id = string_field(object, "DID document", "id")?;
        let mut document = Self::new(id)?;
        for entry in array_field(object, &document.id, "verificationMethod")? {
            let method = document.parse_method(entry, "verificationMethod")?;
            document.push_method(method)?;
        }
        for field in ["assertionMethod", "authentication"] {
            let mut ids = Vec::new();
            for entry in array_field(object, &document.id, field)? {
                let id = match entry {
                    Value::String(reference) => document.absolute(reference),
                    Value::Object(_) => {
                        let method = document.parse_method(entry, field)?;
                        let id = method.id.clone();
                        document.push_method(method)?;
                        id
                    }
                    _ => return Err(document.invalid(field, "an array of method ids or method objects")),
                };
                ids.push(id);
            }
            match field {
                "assertionMethod" => document.assertion_method = ids,
                _ => document.authentication = ids,
            }
        }
        Ok(document)
    }

    fn parse_method(&self, entry: &Value, field: &'static str) -> Result<VerificationMethod, DidError> {
        let object = entry.as_object().ok_or_else(|| self.invalid(field, "an array of objects"))?;
        let location = format!("a {field} entry of {}", self.id);
        let id = self.absolute(string_field(object, &location, "id")?);
        let location = format!("verification method {id}");
        let method_type = string_field(object, &location, "type")?.to_owned();
        let controller = string_field(object, &location, "controller")?.to_owned();
        let public_key_multibase = match object.get("publicKeyMultibase") {
            Some(Value::String(key)) => Some(key.clone()),
            Some(_) => {
                return Err(DidError::InvalidField { location, field: "publicKeyMultibase", expected: "a string" });
            }
            None if method_type == MULTIKEY => {
                return Err(DidError::MissingField { location, field: "publicKeyMultibase" });
            }
            None => None,
        };
        Ok(VerificationMethod { id, method_type, controller, public_key_multibase })
    }

    fn push_method(&mut self, method: VerificationMethod) -> Result<(), DidError> {
        if self.verification_methods.iter().any(|m| m.id == method.id) {
            return Err(DidError::DuplicateMethod(method.id));
        }
        self.verification_methods.push(method);
        Ok(())
    }

    /// DID URLs in a document may be relative (`#key-1`) to the document's DID.
    fn absolute(&self, reference: &str) -> String {
        if reference.starts_with('#') { format!("{}{reference}", self.id) } else { reference.to_owned() }
    }

    fn invalid(&self, field: &'static str, expected: &'static str) -> DidError {
        DidError::InvalidField { location: format!("DID document {}", self.id), field, expected }
    }
}

fn validate_did(did: &str) -> Result<(), DidError> {
    let mut parts = did.splitn(3, ':');
    let ok = parts.next() == Some("did")
        && parts
            .next()
            .is_some_and(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts.next().is_some_and(|rest| !rest.is_empty() && !rest.contains(['#', '?', '/', ' ']));
    if ok { Ok(()) } else { Err(DidError::InvalidDid(did.to_owned())) }
}

fn string_field<'a>(object: &'a Map<String, Value>, location: &str, field: &'static str) -> Result<&'a str, DidError> {
    match object.get(field) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => Err(DidError::InvalidField { location: location.to_owned(), field, expected: "a string" }),
        None => Err(DidError::MissingField { location: location.to_owned(), field }),
    }
}

/// An absent relationship is an empty one.
fn array_field<'a>(object: &'a Map<String, Value>, did: &str, field: &'static str) -> Result<&'a [Value], DidError> {
    match object.get(field) {
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(DidError::InvalidField { location: format!("DID document {did}"), field, expected: "an array" }),
        None => Ok(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_web_follows_the_method_spec() {
        let cases = [
            ("https://passports.example.com:8443/sub", "did:web:passports.example.com%3A8443:sub"),
            ("http://localhost:8080", "did:web:localhost%3A8080"),
            ("https://example.com", "did:web:example.com"),
            ("https://example.com/", "did:web:example.com"),
            ("https://Example.COM/user/alice/", "did:web:example.com:user:alice"),
            ("HTTPS://example.com:443/a", "did:web:example.com:a"),
            ("http://localhost:80", "did:web:localhost"),
            ("https://example.com:80", "did:web:example.com%3A80"),
        ];
        for (url, did) in cases {
            assert_eq!(did_web_for_base_url(url).unwrap(), did, "{url}");
        }
    }

    #[test]
    fn did_web_rejects_what_it_cannot_express() {
        for url in [
            "ftp://example.com",
            "example.com",
            "https://",
            "https://:8080",
            "https://example.com:",
            "https://example.com:80a",
            "https://user@example.com",
            "https://[::1]:8080",
            "https://example.com/a?b=c",
            "https://example.com/a#frag",
            "https://example.com//a",
            "https://example.com/a/../b",
            "https://example.com/a b",
            "https://exa_mple.com",
        ] {
            assert!(matches!(did_web_for_base_url(url), Err(DidError::InvalidBaseUrl { .. })), "{url}");
        }
    }

    fn key(id: &str) -> IssuerKey {
        IssuerKey::from_secret_bytes(id, &[id.len() as u8; 32]).unwrap()
    }

    fn three_key_document() -> DidDocument {
        let mut document = DidDocument::new("did:web:example.com").unwrap();
        document
            .add_issuer_key(&key("k1"), KeyStatus::Retired)
            .unwrap()
            .add_issuer_key(&key("key2"), KeyStatus::Active)
            .unwrap()
            .add_issuer_key(&key("key-3"), KeyStatus::Revoked)
            .unwrap();
        document
    }

    #[test]
    fn builds_the_expected_json() {
        let method = |key_id: &str| {
            json!({
                "id": format!("did:web:example.com#{key_id}"),
                "type": "Multikey",
                "controller": "did:web:example.com",
                "publicKeyMultibase": key(key_id).public_multibase(),
            })
        };
        let expected = json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": "did:web:example.com",
            "verificationMethod": [method("k1"), method("key2"), method("key-3")],
            "assertionMethod": ["did:web:example.com#k1", "did:web:example.com#key2"],
            "authentication": ["did:web:example.com#key2"],
        });
        assert_eq!(three_key_document().to_json(), expected);
    }

    #[test]
    fn key_status_decides_the_relationships() {
        let document = three_key_document();
        let id = |k: &str| format!("did:web:example.com#{k}");
        assert!(document.is_assertion_method(&id("k1")) && !document.is_authentication(&id("k1")));
        assert!(document.is_assertion_method(&id("key2")) && document.is_authentication(&id("key2")));
        assert!(!document.is_assertion_method(&id("key-3")) && !document.is_authentication(&id("key-3")));
        assert!(document.verification_method(&id("key-3")).is_ok(), "revoked keys stay published");
    }

    #[test]
    fn round_trips_through_json() {
        let document = three_key_document();
        assert_eq!(DidDocument::from_json(&document.to_json()).unwrap(), document);
        let method = document.verification_method("did:web:example.com#key2").unwrap();
        assert_eq!(method.public_key().unwrap(), key("key2").verifying_key());
    }

    #[test]
    fn lookup_names_the_missing_method() {
        let error = three_key_document().verification_method("did:web:example.com#nope").unwrap_err();
        assert_eq!(
            error.to_string(),
            "verification method did:web:example.com#nope is not in the DID document of did:web:example.com"
        );
    }

    #[test]
    fn builder_rejects_bad_input() {
        assert_eq!(DidDocument::new("web:example.com").unwrap_err(), DidError::InvalidDid("web:example.com".into()));
        assert!(DidDocument::new("did:web:example.com#k").is_err());
        let mut document = DidDocument::new("did:web:example.com").unwrap();
        let public = key("k1").public_multibase();
        assert!(matches!(document.add_key("a#b", &public, KeyStatus::Active), Err(DidError::Key(_))));
        assert!(matches!(document.add_key("k1", "z123", KeyStatus::Active), Err(DidError::BadPublicKey { .. })));
        document.add_key("k1", &public, KeyStatus::Active).unwrap();
        assert_eq!(
            document.add_key("k1", &public, KeyStatus::Retired).unwrap_err(),
            DidError::DuplicateMethod("did:web:example.com#k1".into())
        );
    }

    #[test]
    fn parses_relative_and_embedded_methods() {
        let public = key("k1").public_multibase();
        let document = DidDocument::from_json(&json!({
            "id": "did:web:example.com",
            "verificationMethod": [
                {"id": "#k1", "type": "Multikey", "controller": "did:web:example.com", "publicKeyMultibase": public},
                {"id": "#jwk", "type": "JsonWebKey", "controller": "did:web:example.com", "publicKeyJwk": {}},
            ],
            "assertionMethod": ["#k1", "did:web:example.com#jwk", {
                "id": "did:web:example.com#emb", "type": "Multikey", "controller": "did:web:example.com",
                "publicKeyMultibase": public,
            }],
        }))
        .unwrap();
        assert!(document.is_assertion_method("did:web:example.com#k1"));
        assert!(document.is_assertion_method("did:web:example.com#emb"));
        assert!(document.verification_method("did:web:example.com#emb").is_ok());
        assert!(!document.is_authentication("did:web:example.com#k1"));
        let jwk = document.verification_method("did:web:example.com#jwk").unwrap();
        assert_eq!(
            jwk.public_key().unwrap_err(),
            DidError::UnsupportedMethodType { id: "did:web:example.com#jwk".into(), found: "JsonWebKey".into() }
        );
    }

    #[test]
    fn parse_errors_say_what_is_missing() {
        let parse = |v: Value| DidDocument::from_json(&v).unwrap_err().to_string();
        assert_eq!(parse(json!([])), "DID document is not a JSON object");
        assert_eq!(parse(json!({})), "DID document has no id");
        assert_eq!(parse(json!({"id": 5})), "DID document: id must be a string");
        assert_eq!(
            parse(json!({"id": "did:web:x", "verificationMethod": {}})),
            "DID document did:web:x: verificationMethod must be an array"
        );
        assert_eq!(
            parse(json!({"id": "did:web:x", "verificationMethod": [{"id": "#k", "type": "Multikey"}]})),
            "verification method did:web:x#k has no controller"
        );
        assert_eq!(
            parse(json!({
                "id": "did:web:x",
                "verificationMethod": [{"id": "#k", "type": "Multikey", "controller": "did:web:x"}],
            })),
            "verification method did:web:x#k has no publicKeyMultibase"
        );
        assert_eq!(
            parse(json!({"id": "did:web:x", "verificationMethod": [{"type": "Multikey"}]})),
            "a verificationMethod entry of did:web:x has no id"
        );
        assert_eq!(
            parse(json!({"id": "did:web:x", "assertionMethod": [1]})),
            "DID document did:web:x: assertionMethod must be an array of method ids or method objects"
        );
    }

    #[test]
    fn bad_key_material_is_reported_at_use() {
        let document = DidDocument::from_json(&json!({
            "id": "did:web:x",
            "verificationMethod": [
                {"id": "#k", "type": "Multikey", "controller": "did:web:x", "publicKeyMultibase": "u123"},
            ],
        }))
        .unwrap();
        let error = document.verification_method("did:web:x#k").unwrap().public_key().unwrap_err();
        assert_eq!(
            error,
            DidError::BadPublicKey { id: "did:web:x#k".into(), source: KeyError::NotBase58btc { found: Some('u') } }
        );
    }
}
