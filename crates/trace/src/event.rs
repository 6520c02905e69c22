//! Production events, as a line sends them: one JSON object each (a REST batch holds an array, an NDJSON file
//! one per line, an MQTT message one).
//!
//! ```json
//! {"eventId": "ev-1", "type": "produced",
//!  "unit": {"id": "CB-0001", "kind": "batch", "type": "cathode coating", "line": "L1", "station": "coater-2",
//!           "at": "2026-03-01T06:00:00Z", "quantity": {"value": 480, "unit": "kg"}},
//!  "inputs": [{"id": "LOT-NMC-001", "quantity": {"value": 450, "unit": "kg"}}, {"id": "LOT-PVDF-01"}]}
//! {"eventId": "ev-2", "type": "consumed", "unitId": "CB-0001", "inputs": [{"id": "LOT-CB-07", "quantity": ...}]}
//! ```
//!
//! `produced` creates a unit (a received lot is produced with no inputs); `consumed` adds inputs to a unit that
//! exists (a batch taking a further lot during its shift).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use time::OffsetDateTime;

use crate::unit::{Quantity, UnitKind};

/// One production event. `eventId` makes it idempotent: an id seen before is ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum TraceEvent {
    Produced {
        #[serde(rename = "eventId")]
        event_id: String,
        unit: Box<UnitSpec>,
        #[serde(default)]
        inputs: Vec<Input>,
    },
    Consumed {
        #[serde(rename = "eventId")]
        event_id: String,
        #[serde(rename = "unitId")]
        unit_id: String,
        inputs: Vec<Input>,
        #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
        at: Option<OffsetDateTime>,
    },
    /// An end-of-line test of a cell, module or pack: what the tester measured (e.g. `capacityAh`, `energyWh`,
    /// `internalResistanceMohm`, `ocvV`, `selfDischargeMvPerDay`, `massG`, or whatever else the line sends).
    Tested {
        #[serde(rename = "eventId")]
        event_id: String,
        #[serde(rename = "unitId")]
        unit_id: String,
        results: BTreeMap<String, f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        passed: Option<bool>,
        #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
        at: Option<OffsetDateTime>,
    },
}

impl TraceEvent {
    pub fn event_id(&self) -> &str {
        match self {
            TraceEvent::Produced { event_id, .. }
            | TraceEvent::Consumed { event_id, .. }
            | TraceEvent::Tested { event_id, .. } => event_id,
        }
    }

    /// The unit the event produces or feeds.
    pub fn unit_id(&self) -> &str {
        match self {
            TraceEvent::Produced { unit, .. } => &unit.id,
            TraceEvent::Consumed { unit_id, .. } | TraceEvent::Tested { unit_id, .. } => unit_id,
        }
    }

    pub fn inputs(&self) -> &[Input] {
        match self {
            TraceEvent::Produced { inputs, .. } | TraceEvent::Consumed { inputs, .. } => inputs,
            TraceEvent::Tested { .. } => &[],
        }
    }
}

/// A unit as produced: its identity and where and when it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnitSpec {
    /// The serial number, batch or lot identifier; unique across all kinds and never reused.
    pub id: String,
    pub kind: UnitKind,
    /// What the unit is (`NMC811 cathode active material`, `cathode coating`, ...).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub unit_type: Option<String>,
    /// The battery model (cells, modules, packs) or material id (lots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub at: Option<OffsetDateTime>,
    /// How much there is of a lot or batch; consumption of it can never exceed this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    /// A lot's supplier (BPN or other id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// A lot's material id (as in the material specifications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material: Option<String>,
    /// A lot's number on its supplier's CoA (defaults to the id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_number: Option<String>,
    /// A pack's battery passport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport: Option<String>,
    /// Anything else the line sends about the unit (kept as sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Value>,
}

/// A unit taken in: material by quantity (into batches and cells) or a whole unit (into modules and packs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
}

/// Reads production events, one JSON object per line (blank lines skipped), with their line numbers. Every
/// line that is not a valid event is reported, with its line and column.
pub fn read_ndjson(text: &str) -> Result<Vec<(usize, TraceEvent)>, Vec<crate::plan::PlanError>> {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match read_one(line.as_bytes()) {
            Ok(event) => events.push((index + 1, event)),
            Err((event_id, message)) => errors.push(crate::plan::PlanError { position: index + 1, event_id, message }),
        }
    }
    if errors.is_empty() { Ok(events) } else { Err(errors) }
}

/// Reads a JSON array of events (or one event), numbered from 1.
pub fn read_json(bytes: &[u8]) -> Result<Vec<(usize, TraceEvent)>, Vec<crate::plan::PlanError>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        vec![crate::plan::PlanError {
            position: 0,
            event_id: String::new(),
            message: format!("not JSON: {e} (line {}, column {})", e.line(), e.column()),
        }]
    })?;
    let items = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let event_id = item.get("eventId").and_then(Value::as_str).unwrap_or_default().to_string();
        match serde_json::from_value::<TraceEvent>(item) {
            Ok(event) => events.push((index + 1, event)),
            Err(e) => errors.push(crate::plan::PlanError { position: index + 1, event_id, message: e.to_string() }),
        }
    }
    if errors.is_empty() { Ok(events) } else { Err(errors) }
}

/// One event from JSON text; on error its id (when it has one) and why, with the column.
pub fn read_one(bytes: &[u8]) -> Result<TraceEvent, (String, String)> {
    serde_json::from_slice(bytes).map_err(|e| {
        let event_id = serde_json::from_slice::<Value>(bytes)
            .ok()
            .and_then(|v| v.get("eventId").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        (event_id, format!("{e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_documented() {
        let produced: TraceEvent = serde_json::from_str(
            r#"{"eventId":"ev-1","type":"produced","unit":{"id":"CB-1","kind":"batch","type":"cathode coating",
                "at":"2026-03-01T06:00:00Z","quantity":{"value":480,"unit":"kg"}},
                "inputs":[{"id":"LOT-1","quantity":{"value":450,"unit":"kg"}},{"id":"LOT-2"}]}"#,
        )
        .unwrap();
        assert_eq!(produced.event_id(), "ev-1");
        assert_eq!(produced.unit_id(), "CB-1");
        assert_eq!(produced.inputs().len(), 2);
        let consumed: TraceEvent =
            serde_json::from_str(r#"{"eventId":"ev-2","type":"consumed","unitId":"CB-1","inputs":[{"id":"LOT-3"}]}"#)
                .unwrap();
        assert_eq!(consumed.unit_id(), "CB-1");
        let round: TraceEvent = serde_json::from_value(serde_json::to_value(&produced).unwrap()).unwrap();
        assert_eq!(round, produced);
    }

    #[test]
    fn ndjson_errors_name_line_column_and_event() {
        let text = "{\"eventId\":\"a\",\"type\":\"produced\",\"unit\":{\"id\":\"L\",\"kind\":\"lot\"}}\n\n\
                    {\"eventId\":\"b\",\"type\":\"produced\",\"unit\":{\"id\":\"C\",\"kind\":\"crate\"}}\n\
                    {\"eventId\": oops}\n";
        let errors = read_ndjson(text).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[0].position, errors[0].event_id.as_str()), (3, "b"));
        assert!(errors[0].message.contains("crate"), "{}", errors[0].message);
        assert_eq!(errors[1].position, 4);
        assert!(errors[1].message.contains("column"), "{}", errors[1].message);
        let fine = read_ndjson("{\"eventId\":\"a\",\"type\":\"consumed\",\"unitId\":\"B\",\"inputs\":[]}").unwrap();
        assert_eq!(fine[0].0, 1);
        let array = read_json(br#"[{"eventId":"a","type":"consumed","unitId":"B","inputs":[]},{"eventId":"z"}]"#);
        assert_eq!(array.unwrap_err()[0].position, 2);
    }

    #[test]
    fn unknown_fields_and_kinds_are_refused() {
        let typo = serde_json::from_str::<TraceEvent>(
            r#"{"eventId":"e","type":"produced","unit":{"id":"C","kind":"cell","modle":"X"}}"#,
        );
        assert!(typo.unwrap_err().to_string().contains("modle"));
        let kind =
            serde_json::from_str::<TraceEvent>(r#"{"eventId":"e","type":"produced","unit":{"id":"C","kind":"crate"}}"#);
        assert!(kind.is_err());
    }
}
