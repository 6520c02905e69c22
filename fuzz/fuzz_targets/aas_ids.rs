//! AAS identifiers and paging as they arrive in URLs (`interop::aas`): base64url ids in path segments,
//! `cursor`, `limit` and `assetIds` query values, the shell and submodel ids they decode to, idShort paths,
//! and (for a JSON body) the registry's shell and submodel descriptor checks.
#![no_main]

use interop::aas::{self, Cursor, decode_id, elements, encode_id, twins};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// A small submodel with a collection and a list, for idShort paths to walk.
fn submodel() -> &'static Value {
    static SUBMODEL: OnceLock<Value> = OnceLock::new();
    SUBMODEL.get_or_init(|| {
        elements::submodel(
            "urn:voltpass:sm:nameplate:passport:P1",
            "Nameplate",
            "https://admin-shell.io/idta/nameplate/3/0/Nameplate",
            &json!({"ManufacturerName": "ACME", "Markings": [{"MarkingName": "CE", "Extra": [1, 2]}], "Year": 2026}),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    match selector % 4 {
        0 => {
            if let Ok(id) = decode_id(text) {
                assert_eq!(decode_id(&encode_id(&id)).as_ref(), Ok(&id));
                if let Some(twin) = twins::parse_shell_id(&id) {
                    assert_eq!(twins::shell_id(&twin), id);
                }
                if let Some((kind, twin)) = twins::parse_submodel_id(&id) {
                    assert_eq!(twins::submodel_id(kind, &twin), id);
                }
            }
            let _ = aas::parse_asset_id_query(text);
        }
        1 => {
            if let Ok(cursor) = Cursor::decode(text) {
                assert_eq!(Cursor::decode(&cursor.encode()).as_ref(), Ok(&cursor));
                // Index paging as the registry and submodel element listings use it.
                for len in [0, 3, 1000] {
                    if let Ok(start) = aas::index_start(Some(&cursor), len) {
                        assert!(start <= len);
                        let _ = aas::index_next(start, aas::MAX_LIMIT, len);
                    }
                }
            }
            let _ = aas::parse_limit(Some(text));
        }
        2 => {
            if let Some(chain) = elements::find_chain(submodel(), text) {
                assert!(!chain.is_empty());
                assert!(elements::find(submodel(), text).is_some());
            }
        }
        _ => {
            if let Ok(value) = serde_json::from_str::<Value>(text) {
                let _ = aas::check_shell_descriptor(&value);
                let _ = aas::check_submodel_descriptor(&value);
                let _ = aas::asset_id_pair(&value);
                let _ = elements::submodel_value(&value);
                let _ = elements::paths(&value, "");
            }
        }
    }
});
