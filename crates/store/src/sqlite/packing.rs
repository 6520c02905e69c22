//! How the SQLite store packs a CoA's bytes: LZ4 blocks (see migration 0011). Packing runs outside the write
//! transaction, unpacking on each read; both are far faster than the disk they save.

use crate::{Result, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// The `packing` column's value for rows this version writes.
pub(super) const LZ4: &str = "lz4";

/// SQLite's own bound on a value (`SQLITE_MAX_LENGTH`): nothing larger was ever stored.
const MAX_VALUE_BYTES: usize = 1_000_000_000;

pub(super) fn pack(bytes: &[u8]) -> Vec<u8> {
    lz4_flex::compress_prepend_size(bytes)
}

/// The stored bytes as received, whatever `packing` they were written with.
pub(super) fn unpack(packing: Option<&str>, stored: &[u8], what: &str) -> Result<Vec<u8>> {
    match packing {
        None => Ok(stored.to_vec()),
        Some(LZ4) => {
            // The size comes first; a damaged one must not make us allocate gigabytes.
            let size = stored.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
            if size.is_none_or(|size| size > MAX_VALUE_BYTES) {
                return Err(StoreError::Database(format!("stored {what} does not unpack: damaged size")));
            }
            lz4_flex::decompress_size_prepended(stored)
                .map_err(|e| StoreError::Database(format!("stored {what} does not unpack: {e}")))
        }
        Some(other) => Err(StoreError::Database(format!("stored {what} has unknown packing `{other}`"))),
    }
}

/// Unpacked UTF-8 text (the parsed JSON).
fn unpack_text(packing: Option<&str>, stored: &[u8], what: &str) -> Result<String> {
    String::from_utf8(unpack(packing, stored, what)?)
        .map_err(|e| StoreError::Database(format!("stored {what} is not UTF-8: {e}")))
}

/// A CoA row's `original`, unpacked.
pub(super) fn original_of(row: &SqliteRow) -> Result<Vec<u8>> {
    unpack(row.try_get("packing")?, row.try_get("original")?, "original")
}

/// A CoA row's `parsed` JSON text (`None` for a PDF), unpacked.
pub(super) fn parsed_of(row: &SqliteRow) -> Result<Option<String>> {
    let stored: Option<&[u8]> = row.try_get("parsed")?;
    stored.map(|stored| unpack_text(row.try_get("packing")?, stored, "parsed")).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_bytes_unpack_to_the_same_bytes() {
        let original = br#"{"characteristics":[{"name":"D50","unit":"\u00b5m","result":{"value":10.2}}]}"#.repeat(40);
        let packed = pack(&original);
        assert!(packed.len() < original.len() / 4, "JSON packs small: {} of {}", packed.len(), original.len());
        assert_eq!(unpack(Some(LZ4), &packed, "original").unwrap(), original);
        assert_eq!(unpack(None, &original, "original").unwrap(), original, "rows from before are as received");
    }

    #[test]
    fn damaged_or_unknown_packing_is_an_error_naming_the_column() {
        let mut packed = pack(b"{\"lot\":\"L1\"}".repeat(10).as_slice());
        packed.truncate(packed.len() - 3);
        let err = unpack(Some(LZ4), &packed, "parsed").unwrap_err().to_string();
        assert!(err.contains("stored parsed does not unpack"), "{err}");
        let mut huge = pack(b"{}");
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = unpack(Some(LZ4), &huge, "original").unwrap_err().to_string();
        assert!(err.contains("damaged size"), "{err}");
        let err = unpack(Some(LZ4), b"ab", "original").unwrap_err().to_string();
        assert!(err.contains("damaged size"), "{err}");
        let err = unpack(Some("zip"), b"x", "original").unwrap_err().to_string();
        assert!(err.contains("unknown packing `zip`"), "{err}");
        let err = unpack_text(None, &[0xff, 0xfe], "parsed").unwrap_err().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
    }
}
