//! Identifiers in AAS API paths: base64url without padding (IDTA-01002 Part 2, "UTF8-BASE64-URL-encoded").
//! Real clients also send padded or standard base64, so decoding accepts all four spellings.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

use super::AasError;

/// `id` as it appears in a path: unpadded base64url of its UTF-8 bytes.
pub fn encode_id(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// The identifier a path segment or query value stands for.
pub fn decode_id(segment: &str) -> Result<String, AasError> {
    let bytes = [&URL_SAFE_NO_PAD, &URL_SAFE, &STANDARD_NO_PAD, &STANDARD]
        .iter()
        .find_map(|engine| engine.decode(segment.as_bytes()).ok())
        .ok_or_else(|| AasError::BadRequest(format!("`{segment}` is not base64url-encoded")))?;
    let id = String::from_utf8(bytes)
        .map_err(|_| AasError::BadRequest(format!("`{segment}` does not decode to UTF-8 text")))?;
    if id.is_empty() {
        return Err(AasError::BadRequest("the identifier is empty".into()));
    }
    if id.chars().any(char::is_control) {
        return Err(AasError::BadRequest(format!("`{segment}` decodes to an identifier with control characters")));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_base64_spelling_is_accepted() {
        // "urn:a?b>" encodes with both '+'/'/' (standard) and '-'/'_' (url-safe) characters and padding.
        let id = "urn:voltpass:aas?>>";
        let unpadded_url = encode_id(id);
        assert!(!unpadded_url.contains('='));
        for spelling in [unpadded_url.clone(), URL_SAFE.encode(id), STANDARD.encode(id), STANDARD_NO_PAD.encode(id)] {
            assert_eq!(decode_id(&spelling).unwrap(), id, "{spelling}");
        }
    }

    #[test]
    fn garbage_is_a_clear_error() {
        for bad in ["%%%", "a", "a=b", ""] {
            let err = decode_id(bad).unwrap_err().to_string();
            assert!(err.contains("base64") || err.contains("empty"), "{bad}: {err}");
        }
        assert!(decode_id(&URL_SAFE_NO_PAD.encode([0xff, 0xfe])).unwrap_err().to_string().contains("UTF-8"));
    }

    proptest! {
        #[test]
        fn encoding_round_trips(id in "[^\\p{Cc}]{1,80}") {
            prop_assert_eq!(decode_id(&encode_id(&id)).unwrap(), id);
        }
    }
}
