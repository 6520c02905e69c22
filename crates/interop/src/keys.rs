//! Issuer signing keys (Ed25519) and their wire encodings: Multikey `publicKeyMultibase`, hex and multibase signatures.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use std::fmt;

/// Multicodec varint for `ed25519-pub` (0xed), which Multikey puts before the 32 key bytes.
const ED25519_PUB_MULTICODEC: [u8; 2] = [0xed, 0x01];
/// Multibase prefix for base58btc, the only base Multikey and Data Integrity proofs use for Ed25519.
const BASE58BTC_PREFIX: char = 'z';

/// What went wrong decoding or checking key material or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key id {0:?} must be 1-128 characters from A-Z a-z 0-9 - . _ ~ (it becomes a DID URL fragment)")]
    InvalidKeyId(String),
    #[error("multibase value must start with 'z' (base58btc), found {found:?}")]
    NotBase58btc { found: Option<char> },
    #[error("multibase value is not valid base58btc: {0}")]
    BadBase58(String),
    #[error("public key is not an Ed25519 Multikey: expected multicodec prefix 0xed01, found 0x{found}")]
    WrongMulticodec { found: String },
    #[error("{what} must be {expected} bytes, found {found}")]
    WrongLength { what: &'static str, expected: usize, found: usize },
    #[error("{0} is not valid hex")]
    BadHex(&'static str),
    #[error("the 32 public key bytes are not a valid Ed25519 point")]
    InvalidPublicKey,
    #[error("signature does not match the message and public key")]
    SignatureMismatch,
}

/// An issuer's Ed25519 signing key together with the id it has in the issuer's DID document.
///
/// The secret never appears in `Debug` output; callers persist it via [`IssuerKey::secret_bytes`].
#[derive(Clone)]
pub struct IssuerKey {
    signing: SigningKey,
    key_id: String,
}

impl IssuerKey {
    /// A fresh key from 32 bytes of the thread-local CSPRNG.
    pub fn generate(key_id: impl Into<String>) -> Result<Self, KeyError> {
        Self::from_secret_bytes(key_id, &rand::random::<[u8; 32]>())
    }

    /// Restores a key from the 32-byte Ed25519 secret (seed) that [`IssuerKey::secret_bytes`] returned.
    pub fn from_secret_bytes(key_id: impl Into<String>, secret: &[u8]) -> Result<Self, KeyError> {
        let key_id = key_id.into();
        validate_key_id(&key_id)?;
        let seed: [u8; 32] = secret.try_into().map_err(|_| KeyError::WrongLength {
            what: "Ed25519 secret key",
            expected: 32,
            found: secret.len(),
        })?;
        Ok(Self { signing: SigningKey::from_bytes(&seed), key_id })
    }

    /// The 32-byte secret seed, for the caller to store (encrypted) and later pass to `from_secret_bytes`.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The key's id: the fragment of its verification method id (`<did>#<key id>`).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The Multikey `publicKeyMultibase`: 'z' + base58btc(0xed 0x01 + 32 key bytes), so it starts with "z6Mk".
    pub fn public_multibase(&self) -> String {
        encode_public_multibase(&self.verifying_key())
    }

    /// Ed25519 signature over `message` (deterministic: same key and message, same signature).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// Signs a 32-byte SHA-256 digest (e.g. a passport version's content hash, hex-decoded). The fixed-size
    /// type keeps callers from signing the 64-character hex text by mistake.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> [u8; 64] {
        self.sign(digest)
    }
}

impl fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerKey")
            .field("key_id", &self.key_id)
            .field("public", &self.public_multibase())
            .finish_non_exhaustive()
    }
}

/// Key ids become DID URL fragments, so only RFC 3986 unreserved characters are allowed: nothing to escape.
pub fn validate_key_id(key_id: &str) -> Result<(), KeyError> {
    let ok = (1..=128).contains(&key_id.len())
        && key_id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if ok { Ok(()) } else { Err(KeyError::InvalidKeyId(key_id.to_owned())) }
}

/// Multikey `publicKeyMultibase` of an Ed25519 public key.
pub fn encode_public_multibase(key: &VerifyingKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB_MULTICODEC);
    bytes.extend_from_slice(key.as_bytes());
    format!("{BASE58BTC_PREFIX}{}", bs58::encode(bytes).into_string())
}

/// Parses a Multikey `publicKeyMultibase` holding an Ed25519 public key.
pub fn decode_public_multibase(value: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = decode_base58btc(value)?;
    // Check the codec before the length so a P-256 or X25519 key is reported as the wrong kind, not size.
    let (codec, key) = bytes.split_at(bytes.len().min(2));
    if codec != ED25519_PUB_MULTICODEC {
        return Err(KeyError::WrongMulticodec { found: hex_encode(codec) });
    }
    let key: [u8; 32] = key.try_into().map_err(|_| KeyError::WrongLength {
        what: "Ed25519 public key",
        expected: 32,
        found: key.len(),
    })?;
    VerifyingKey::from_bytes(&key).map_err(|_| KeyError::InvalidPublicKey)
}

/// Checks an Ed25519 signature made by the key in `public_multibase`. Uses strict verification, which
/// rejects small-order keys and non-canonical signatures that no honest signer produces.
pub fn verify_signature(public_multibase: &str, message: &[u8], signature: &[u8; 64]) -> Result<(), KeyError> {
    let key = decode_public_multibase(public_multibase)?;
    verify_with_key(&key, message, signature)
}

pub(crate) fn verify_with_key(key: &VerifyingKey, message: &[u8], signature: &[u8; 64]) -> Result<(), KeyError> {
    key.verify_strict(message, &Signature::from_bytes(signature)).map_err(|_| KeyError::SignatureMismatch)
}

/// A signature as multibase: 'z' + base58btc (the form of a Data Integrity `proofValue`).
pub fn signature_multibase(signature: &[u8; 64]) -> String {
    format!("{BASE58BTC_PREFIX}{}", bs58::encode(signature).into_string())
}

/// Parses a 'z' + base58btc signature.
pub fn decode_signature_multibase(value: &str) -> Result<[u8; 64], KeyError> {
    let bytes = decode_base58btc(value)?;
    bytes.as_slice().try_into().map_err(|_| KeyError::WrongLength {
        what: "Ed25519 signature",
        expected: 64,
        found: bytes.len(),
    })
}

/// A signature as 128 lowercase hex characters.
pub fn signature_hex(signature: &[u8; 64]) -> String {
    hex_encode(signature)
}

/// Parses 128 hex characters (either case) into a signature.
pub fn decode_signature_hex(value: &str) -> Result<[u8; 64], KeyError> {
    let wrong_length = || KeyError::WrongLength { what: "hex Ed25519 signature", expected: 64, found: value.len() / 2 };
    if value.len() != 128 {
        return Err(wrong_length());
    }
    let mut out = [0u8; 64];
    for (byte, pair) in out.iter_mut().zip(value.as_bytes().chunks_exact(2)) {
        // Not u8::from_str_radix: it would accept a '+' sign.
        let (Some(high), Some(low)) = (hex_digit(pair[0]), hex_digit(pair[1])) else {
            return Err(KeyError::BadHex("signature"));
        };
        *byte = high << 4 | low;
    }
    Ok(out)
}

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn decode_base58btc(value: &str) -> Result<Vec<u8>, KeyError> {
    let Some(rest) = value.strip_prefix(BASE58BTC_PREFIX) else {
        return Err(KeyError::NotBase58btc { found: value.chars().next() });
    };
    bs58::decode(rest).into_vec().map_err(|e| KeyError::BadBase58(e.to_string()))
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8032 section 7.1, TEST 1: a known secret, public key and signature of the empty message.
    const RFC8032_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const RFC8032_SIGNATURE: &str = concat!(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155",
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    );

    fn hex32(s: &str) -> [u8; 32] {
        let bytes: Vec<u8> = (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
        bytes.try_into().unwrap()
    }

    fn rfc_key() -> IssuerKey {
        IssuerKey::from_secret_bytes("key-1", &hex32(RFC8032_SECRET)).unwrap()
    }

    #[test]
    fn signs_the_rfc8032_vector() {
        let key = rfc_key();
        assert_eq!(key.verifying_key().to_bytes(), hex32(RFC8032_PUBLIC));
        assert_eq!(signature_hex(&key.sign(b"")), RFC8032_SIGNATURE);
    }

    #[test]
    fn public_multibase_round_trips_and_is_a_multikey() {
        let key = IssuerKey::generate("key-1").unwrap();
        let encoded = key.public_multibase();
        assert!(encoded.starts_with("z6Mk"), "{encoded}");
        assert_eq!(decode_public_multibase(&encoded).unwrap(), key.verifying_key());
    }

    #[test]
    fn secret_bytes_restore_the_same_key() {
        let key = IssuerKey::generate("k").unwrap();
        let again = IssuerKey::from_secret_bytes("k", &key.secret_bytes()).unwrap();
        assert_eq!(again.public_multibase(), key.public_multibase());
        assert_ne!(IssuerKey::generate("k").unwrap().public_multibase(), key.public_multibase());
        assert!(matches!(
            IssuerKey::from_secret_bytes("k", &[0; 31]),
            Err(KeyError::WrongLength { expected: 32, found: 31, .. })
        ));
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = rfc_key();
        let shown = format!("{key:?}");
        assert!(shown.contains("key-1") && shown.contains("z6Mk"), "{shown}");
        assert!(!shown.to_lowercase().contains(&RFC8032_SECRET[..16]), "{shown}");
    }

    #[test]
    fn key_ids_must_be_fragment_safe() {
        for bad in ["", "a#b", "a b", "ä", "a/b", &"x".repeat(129)] {
            assert_eq!(IssuerKey::generate(bad).unwrap_err(), KeyError::InvalidKeyId(bad.to_owned()));
        }
        for good in ["key-1", "2026.11_a~b", "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"] {
            assert!(IssuerKey::generate(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn decode_public_multibase_names_each_failure() {
        let good = rfc_key().public_multibase();
        assert_eq!(decode_public_multibase(&good[1..]).unwrap_err(), KeyError::NotBase58btc { found: Some('6') });
        assert_eq!(decode_public_multibase("").unwrap_err(), KeyError::NotBase58btc { found: None });
        assert!(matches!(decode_public_multibase("z0OIl"), Err(KeyError::BadBase58(_))));
        // A P-256 Multikey (multicodec 0x1200, varint 0x80 0x24).
        let p256 = format!("z{}", bs58::encode([[0x80, 0x24].as_slice(), &[2; 33]].concat()).into_string());
        assert_eq!(decode_public_multibase(&p256).unwrap_err(), KeyError::WrongMulticodec { found: "8024".into() });
        let short = format!("z{}", bs58::encode([0xed, 0x01, 1, 2, 3]).into_string());
        assert!(matches!(decode_public_multibase(&short), Err(KeyError::WrongLength { expected: 32, found: 3, .. })));
    }

    #[test]
    fn signatures_verify_and_reject_tampering() {
        let key = rfc_key();
        let digest = [7u8; 32];
        let signature = key.sign_digest(&digest);
        assert_eq!(signature, key.sign(&digest), "Ed25519 is deterministic");
        let public = key.public_multibase();
        verify_signature(&public, &digest, &signature).unwrap();
        assert_eq!(verify_signature(&public, &[8u8; 32], &signature), Err(KeyError::SignatureMismatch));
        let other = IssuerKey::generate("other").unwrap().public_multibase();
        assert_eq!(verify_signature(&other, &digest, &signature), Err(KeyError::SignatureMismatch));
    }

    #[test]
    fn signature_encodings_round_trip() {
        let signature = rfc_key().sign(b"voltpass");
        let hex = signature_hex(&signature);
        assert_eq!(hex.len(), 128);
        assert_eq!(hex, hex.to_lowercase());
        assert_eq!(decode_signature_hex(&hex).unwrap(), signature);
        assert_eq!(decode_signature_hex(&hex.to_uppercase()).unwrap(), signature);
        assert!(matches!(decode_signature_hex(&hex[2..]), Err(KeyError::WrongLength { found: 63, .. })));
        assert_eq!(decode_signature_hex(&format!("zz{}", &hex[2..])), Err(KeyError::BadHex("signature")));
        assert_eq!(decode_signature_hex(&format!("+f{}", &hex[2..])), Err(KeyError::BadHex("signature")));

        let multibase = signature_multibase(&signature);
        assert!(multibase.starts_with('z'));
        assert_eq!(decode_signature_multibase(&multibase).unwrap(), signature);
        assert!(matches!(decode_signature_multibase(&hex), Err(KeyError::NotBase58btc { .. })));
        let short = signature_multibase(&signature)[..40].to_owned();
        assert!(matches!(decode_signature_multibase(&short), Err(KeyError::WrongLength { expected: 64, .. })));
    }
}
