//! Content hashes over RFC 8785 (JCS) canonical JSON, so equal documents hash equally whatever their key order.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The RFC 8785 canonical form of a JSON value.
pub fn canonical_json(value: &Value) -> String {
    // Serialising a `serde_json::Value` cannot fail: every number in it is finite.
    serde_json_canonicalizer::to_string(value).expect("a serde_json::Value always canonicalises")
}

/// Lower-case hex SHA-256 of the given bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Lower-case hex SHA-256 of the canonical form of `value`.
pub fn content_hash(value: &Value) -> String {
    sha256_hex(canonical_json(value).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_hash() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": [1.0, "x"]}"#).unwrap();
        let b = json!({"a": [1, "x"], "b": 1});
        assert_eq!(canonical_json(&a), r#"{"a":[1,"x"],"b":1}"#);
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(
            content_hash(&a),
            content_hash(&json!({"a": [1, "y"], "b": 1}))
        );
    }
}
