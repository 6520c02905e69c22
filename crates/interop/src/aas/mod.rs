//! Asset Administration Shell wire formats (IDTA-01001 metamodel v3, IDTA-01002 Part 2 API v3.0).
//!
//! - [`ids`]: identifiers in paths (base64url).
//! - [`elements`]: submodels built from value-only aspect JSON, and the API's views of them.
//! - [`twins`]: the shells and submodels voltpass generates for passports and battery models.
//! - [`descriptor`]: shell and submodel descriptors for generated twins; the registry's metamodel checks.
//! - [`Cursor`]: opaque paging cursors.
//! - [`message`]: the API's error body, `{"messages":[...]}`.

pub mod descriptor;
pub mod elements;
pub mod ids;
pub mod twins;

pub use descriptor::{
    AssetKind, Connector, Endpoints, PUBLIC_ASSET_ID_NAMES, PUBLIC_READABLE, SubmodelEntry, Twin,
    check_shell_descriptor, check_submodel_descriptor, connector_asset_id, shell_descriptor, submodel_descriptor,
};
pub use ids::{decode_id, encode_id};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// Why an AAS request was refused; each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AasError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
}

/// A position in a listing: the sort key of the last item returned. Opaque to clients (base64url JSON); a
/// cursor that does not decode is a 400, and one that decodes to any position only moves the page (access
/// rules apply to every item, so a forged cursor reveals nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub Vec<String>);

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&self.0).unwrap_or_default())
    }

    pub fn decode(text: &str) -> Result<Cursor, AasError> {
        let bad = || AasError::BadRequest(format!("cursor `{text}` was not issued by this server"));
        let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).map_err(|_| bad())?;
        let key: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if key.is_empty() || key.len() > 4 {
            return Err(bad());
        }
        Ok(Cursor(key))
    }
}

/// Where an index-based page starts (listings paged by position, e.g. a shell's submodel descriptors or a
/// submodel's elements): 0 without a cursor. A cursor that is not a position in a list of `len` items was not
/// issued by this server.
pub fn index_start(cursor: Option<&Cursor>, len: usize) -> Result<usize, AasError> {
    let Some(Cursor(key)) = cursor else { return Ok(0) };
    key.first()
        .and_then(|k| k.parse::<usize>().ok())
        .filter(|start| *start <= len)
        .ok_or_else(|| AasError::BadRequest("cursor was not issued by this server".into()))
}

/// The cursor of the page after `limit` items from `start` in a list of `len`; `None` on the last page.
pub fn index_next(start: usize, limit: usize, len: usize) -> Option<Cursor> {
    let next = start.saturating_add(limit);
    (next < len).then(|| Cursor(vec![next.to_string()]))
}

/// The largest page a listing returns; larger `limit` values are refused, not truncated silently.
pub const MAX_LIMIT: usize = 1000;
/// The page size when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 100;

/// Reads the `limit` query parameter: 1..=[`MAX_LIMIT`].
pub fn parse_limit(text: Option<&str>) -> Result<usize, AasError> {
    match text {
        None => Ok(DEFAULT_LIMIT),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(AasError::BadRequest(format!("limit must be a whole number from 1 to {MAX_LIMIT}, not `{t}`"))),
        },
    }
}

/// `{"paging_metadata": {...}, "result": [...]}`; the cursor is omitted on the last page.
pub fn paged(result: Vec<Value>, next: Option<Cursor>) -> Value {
    let metadata = match next {
        Some(cursor) => json!({"cursor": cursor.encode()}),
        None => json!({}),
    };
    json!({"paging_metadata": metadata, "result": result})
}

/// The API's error body: `{"messages":[{"code", "messageType", "text", "timestamp"}]}`.
pub fn message(code: u16, text: &str, timestamp: time::OffsetDateTime) -> Value {
    let stamp = timestamp.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    json!({"messages": [{
        "code": code.to_string(),
        "messageType": if code >= 500 { "Exception" } else { "Error" },
        "text": text,
        "timestamp": stamp,
    }]})
}

/// Parses one `assetIds` query value: base64url JSON of a SpecificAssetId (`{"name", "value"}`); older
/// clients send the JSON itself, which is accepted too.
pub fn parse_asset_id_query(text: &str) -> Result<(String, String), AasError> {
    let json = if text.trim_start().starts_with('{') { text.to_string() } else { decode_id(text)? };
    let value: Value = serde_json::from_str(&json)
        .map_err(|e| AasError::BadRequest(format!("assetIds `{text}` is not a JSON SpecificAssetId: {e}")))?;
    asset_id_pair(&value)
        .ok_or_else(|| AasError::BadRequest(format!("assetIds `{text}` needs string members `name` and `value`")))
}

/// `{"name": "...", "value": "..."}` as a pair.
pub fn asset_id_pair(value: &Value) -> Option<(String, String)> {
    let name = value["name"].as_str().filter(|s| !s.is_empty())?;
    let val = value["value"].as_str().filter(|s| !s.is_empty())?;
    Some((name.to_string(), val.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        let c = Cursor(vec!["p".into(), "urn:voltpass:abc".into()]);
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "!!", "bm90IGpzb24", &URL_SAFE_NO_PAD.encode("[]"), &URL_SAFE_NO_PAD.encode("{\"a\":1}")] {
            assert!(Cursor::decode(bad).unwrap_err().to_string().contains("not issued"), "{bad}");
        }
    }

    #[test]
    fn index_cursors_past_the_end_are_refused() {
        // Found reviewing the cursor callers while fuzzing: the registry used a forged position unchecked, and
        // `start + limit` overflowed (a panic with overflow checks, a wrapped cursor without).
        let forged = Cursor::decode(&URL_SAFE_NO_PAD.encode(format!("[\"{}\"]", usize::MAX))).unwrap();
        assert!(index_start(Some(&forged), 3).unwrap_err().to_string().contains("not issued"));
        assert!(index_start(Some(&Cursor(vec!["4".into()])), 3).is_err());
        assert!(index_start(Some(&Cursor(vec!["-1".into()])), 3).is_err());
        assert_eq!(index_start(None, 0).unwrap(), 0);
        assert_eq!(index_start(Some(&Cursor(vec!["3".into()])), 3).unwrap(), 3);
        assert_eq!(index_next(usize::MAX, MAX_LIMIT, 5), None);
        assert_eq!(index_next(0, 2, 5), Some(Cursor(vec!["2".into()])));
        assert_eq!(index_next(3, 2, 5), None);
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("5")).unwrap(), 5);
        for bad in ["0", "-1", "1001", "99999999999999999999", "ten"] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn paging_omits_the_cursor_on_the_last_page() {
        assert_eq!(paged(vec![], None), json!({"paging_metadata": {}, "result": []}));
        let page = paged(vec![json!(1)], Some(Cursor(vec!["x".into()])));
        assert!(page["paging_metadata"]["cursor"].is_string());
    }

    #[test]
    fn asset_id_queries_decode_both_ways() {
        let json = r#"{"name":"partInstanceId","value":"P96-1"}"#;
        let expected = ("partInstanceId".to_string(), "P96-1".to_string());
        assert_eq!(parse_asset_id_query(&encode_id(json)).unwrap(), expected);
        assert_eq!(parse_asset_id_query(json).unwrap(), expected);
        assert!(parse_asset_id_query(&encode_id("{\"name\":\"x\"}")).unwrap_err().to_string().contains("value"));
        assert!(parse_asset_id_query("%%").is_err());
    }

    #[test]
    fn messages_have_the_aas_shape() {
        let m = message(404, "no such submodel", time::macros::datetime!(2026-11-29 03:00 UTC));
        assert_eq!(m["messages"][0]["code"], "404");
        assert_eq!(m["messages"][0]["messageType"], "Error");
        assert_eq!(m["messages"][0]["timestamp"], "2026-11-29T03:00:00Z");
        assert_eq!(m.as_object().unwrap().len(), 1);
    }
}
