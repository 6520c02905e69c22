//! The supplier-quality tables row by row, as a backup archives them and a restore puts them back. These are
//! the stored columns and nothing else (no latest decision joined in, no acknowledgement folded into its
//! alarm), so a restored store holds the very rows the old one held: same ids, revisions, decision numbers,
//! series versions and times. A CoA's original bytes are base64 in JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use crate::{Result, StoreError};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// A CoA as received, with its original bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoaRow {
    pub id: String,
    pub supplier_id: String,
    pub material_id: String,
    pub lot_number: String,
    pub revision: i64,
    /// Lower-case hex SHA-256 of `original`.
    pub content_hash: String,
    pub media_type: String,
    #[serde(with = "base64_bytes")]
    pub original: Vec<u8>,
    pub parsed: Option<Value>,
    pub actor_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// One incoming-quality decision on a CoA (the first, or an override).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoaDecisionRow {
    pub coa_id: String,
    pub seq: i64,
    pub outcome: String,
    pub reasons: Value,
    pub spec_material: Option<String>,
    pub spec_version: Option<i64>,
    pub decided_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
    pub override_reason: Option<String>,
}

/// A material specification version; `supplier_key` is empty for the general one, as the table keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaterialSpecRow {
    pub material_id: String,
    pub supplier_key: String,
    pub version: i64,
    pub spec: Value,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An SPC series' state at its version. Archived verbatim (rather than rebuilt by a recompute after the
/// restore) so the restored store continues from exactly the state and version the old one had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpcSeriesRow {
    pub supplier_id: String,
    pub material_id: String,
    pub characteristic: String,
    pub state: Value,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// An SPC alarm as raised (its acknowledgement is a row of its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpcAlarmRow {
    pub id: String,
    pub supplier_id: String,
    pub material_id: String,
    pub characteristic: String,
    pub coa_id: String,
    pub lot_number: String,
    #[serde(with = "iso_date")]
    pub manufactured_on: Date,
    pub rule: String,
    pub detail: String,
    pub value: f64,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
}

/// An operator's acknowledgement of an alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpcAlarmAckRow {
    pub alarm_id: String,
    pub actor_id: String,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub acknowledged_at: OffsetDateTime,
}

/// Our own lab's results for a lot, as entered (append-only): the stored record is the row.
pub type LabResultRow = crate::LabResultRecord;

/// A supplier-material's skip-lot state at its version: the stored state is the row. Archived verbatim like
/// [`SpcSeriesRow`], so the restored store continues from exactly the state and version the old one had.
pub type SamplingStateRow = crate::StoredSampling;

/// A value of a table's ordering key, bound into a keyset page query.
#[derive(Debug, Clone)]
pub(crate) enum KeyValue {
    Text(String),
    Int(i64),
}

/// A row type read page by page: its table, its unique ordering key (SQL columns) and that key's values.
/// Both backends build the same keyset query from these, so they page in the same order.
pub(crate) trait Keyed {
    const TABLE: &'static str;
    /// Comma-separated key columns, compared as a row value: `(a, b) > (?, ?)`.
    const KEY: &'static str;
    fn key(&self) -> Vec<KeyValue>;
}

fn text(s: &str) -> KeyValue {
    KeyValue::Text(s.to_string())
}

impl Keyed for CoaRow {
    const TABLE: &'static str = "coas";
    const KEY: &'static str = "id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.id)]
    }
}

impl Keyed for CoaDecisionRow {
    const TABLE: &'static str = "coa_decisions";
    const KEY: &'static str = "coa_id, seq";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.coa_id), KeyValue::Int(self.seq)]
    }
}

impl Keyed for MaterialSpecRow {
    const TABLE: &'static str = "material_specs";
    const KEY: &'static str = "material_id, supplier_key, version";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.material_id), text(&self.supplier_key), KeyValue::Int(self.version)]
    }
}

impl Keyed for SpcSeriesRow {
    const TABLE: &'static str = "spc_series";
    const KEY: &'static str = "supplier_id, material_id, characteristic";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.supplier_id), text(&self.material_id), text(&self.characteristic)]
    }
}

impl Keyed for SpcAlarmRow {
    const TABLE: &'static str = "spc_alarms";
    const KEY: &'static str = "id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.id)]
    }
}

impl Keyed for SpcAlarmAckRow {
    const TABLE: &'static str = "spc_alarm_acks";
    const KEY: &'static str = "alarm_id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.alarm_id)]
    }
}

impl Keyed for LabResultRow {
    const TABLE: &'static str = "lab_results";
    const KEY: &'static str = "id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.id)]
    }
}

impl Keyed for SamplingStateRow {
    const TABLE: &'static str = "sampling_states";
    const KEY: &'static str = "supplier_id, material_id";
    fn key(&self) -> Vec<KeyValue> {
        vec![text(&self.supplier_id), text(&self.material_id)]
    }
}

/// Refuses CoAs whose original bytes are not those their content hash names: the originals are the evidence,
/// so a restore never stores one that was altered on the way (whatever checked the archive before).
pub(crate) fn check_originals(coas: &[CoaRow]) -> Result<()> {
    for coa in coas {
        let actual = hex::encode(Sha256::digest(&coa.original));
        if actual != coa.content_hash {
            return Err(StoreError::Invalid(format!(
                "CoA {}: its original bytes hash to {actual}, but its content hash is {}",
                coa.id, coa.content_hash
            )));
        }
    }
    Ok(())
}

/// Bytes as standard base64 (with padding) in JSON.
mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn originals_are_base64_and_read_back_exactly() {
        let original = vec![0u8, 1, 2, 0xff, b'{', b'\n'];
        let coa = CoaRow {
            id: "coa:1".into(),
            supplier_id: "S".into(),
            material_id: "M".into(),
            lot_number: "L".into(),
            revision: 2,
            content_hash: hex::encode(Sha256::digest(&original)),
            media_type: "application/pdf".into(),
            original,
            parsed: None,
            actor_id: "actor:a".into(),
            received_at: datetime!(2026-01-02 03:04:05.123456 UTC),
        };
        let line = serde_json::to_value(&coa).unwrap();
        assert_eq!(line["original"], "AAEC/3sK");
        assert_eq!(serde_json::from_value::<CoaRow>(line).unwrap(), coa);
        check_originals(std::slice::from_ref(&coa)).unwrap();
        let altered = CoaRow { original: b"other".to_vec(), ..coa };
        assert!(matches!(check_originals(&[altered]), Err(StoreError::Invalid(_))));
    }

    #[test]
    fn alarm_dates_are_iso() {
        let alarm = SpcAlarmRow {
            id: "alarm:1".into(),
            supplier_id: "S".into(),
            material_id: "M".into(),
            characteristic: "c".into(),
            coa_id: "coa:1".into(),
            lot_number: "L".into(),
            manufactured_on: date!(2026 - 03 - 04),
            rule: "beyond-ucl".into(),
            detail: "d".into(),
            value: 0.1 + 0.2,
            raised_at: datetime!(2026-03-05 00:00 UTC),
        };
        let line = serde_json::to_value(&alarm).unwrap();
        assert_eq!(line["manufacturedOn"], "2026-03-04");
        assert_eq!(serde_json::from_value::<SpcAlarmRow>(line).unwrap(), alarm);
    }
}
