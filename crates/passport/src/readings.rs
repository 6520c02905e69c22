//! Dynamic data (Annex VII, Annex XIII point 4): the metrics a battery management system or a workshop reports,
//! what a plausible value of each is, and where the latest value appears in the canonical document.
//!
//! A reading is `{metric, at, value, source, note?}`. Values outside a metric's physical range, times before
//! 2000 or in the future, and counters that run backwards are refused with a reason, never stored silently.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CONDITION: &str = "/performance/batteryCondition";

/// How a metric's value is judged and shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    pub unit: &'static str,
    pub min: f64,
    pub max: f64,
    /// Counters and totals only grow (cycles, throughput, time in extreme temperatures, event counts).
    pub cumulative: bool,
    /// Where the latest value goes in the document: (object under batteryCondition, value key).
    place: Place,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    /// `batteryCondition/<object>/<key>` with `lastUpdate` beside it.
    Value(&'static str, &'static str),
    /// `batteryCondition/temperatureInformation/<key>` (one `lastUpdate` for the object).
    Temperature(&'static str),
    /// The `ohmicResistance` of the pack entry of `internalResistance`.
    PackResistance,
    /// An entry of `negativeEvents`.
    Event(&'static str),
}

/// Every metric voltpass accepts. Ranges are physical limits, generous on purpose: they catch unit mix-ups
/// (Wh sent as kWh, a fraction sent as a percentage) and broken sensors, not unusual batteries.
pub const METRICS: &[Metric] = &[
    m("stateOfCharge", "%", 0.0, 100.0, false, Place::Value("stateOfCharge", "stateOfChargeValue")),
    m(
        "stateOfCertifiedEnergy",
        "%",
        0.0,
        110.0,
        false,
        Place::Value("stateOfCertifiedEnergy", "stateOfCertifiedEnergyValue"),
    ),
    m("capacityFade", "%", 0.0, 100.0, false, Place::Value("capacityFade", "capacityFadeValue")),
    m("remainingCapacity", "Ah", 0.0, 1.0e6, false, Place::Value("remainingCapacity", "remainingCapacityValue")),
    m("remainingEnergy", "kWh", 0.0, 1.0e5, false, Place::Value("remainingEnergy", "remainingEnergyValue")),
    m("numberOfFullCycles", "cycles", 0.0, 1.0e6, true, Place::Value("numberOfFullCycles", "numberOfFullCyclesValue")),
    m("energyThroughput", "kWh", 0.0, 1.0e9, true, Place::Value("energyThroughput", "energyThroughputValue")),
    m("capacityThroughput", "Ah", 0.0, 1.0e10, true, Place::Value("capacityThroughput", "capacityThroughputValue")),
    m(
        "currentSelfDischargingRate",
        "%/month",
        0.0,
        100.0,
        false,
        Place::Value("currentSelfDischargingRate", "currentSelfDischargingRateValue"),
    ),
    m("internalResistance", "Ohm", 0.0, 100.0, false, Place::PackResistance),
    m("timeExtremeHighTemp", "min", 0.0, 1.0e8, true, Place::Temperature("timeExtremeHighTemp")),
    m("timeExtremeLowTemp", "min", 0.0, 1.0e8, true, Place::Temperature("timeExtremeLowTemp")),
    m("timeExtremeHighTempCharging", "min", 0.0, 1.0e8, true, Place::Temperature("timeExtremeHighTempCharging")),
    m("timeExtremeLowTempCharging", "min", 0.0, 1.0e8, true, Place::Temperature("timeExtremeLowTempCharging")),
    m("deepDischargeEvents", "events", 0.0, 1.0e6, true, Place::Event("deep discharge events")),
    m("overchargeEvents", "events", 0.0, 1.0e6, true, Place::Event("overcharge events")),
    // An accident is one event: value 1, what happened in `note`.
    m("accident", "event", 1.0, 1.0, false, Place::Event("accident")),
];

const fn m(name: &'static str, unit: &'static str, min: f64, max: f64, cumulative: bool, place: Place) -> Metric {
    Metric { name, unit, min, max, cumulative, place }
}

pub fn metric(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// Earliest plausible measurement time (2000-01-01T00:00:00Z).
const EARLIEST_MS: i64 = 946_684_800_000;
/// Clock skew tolerated for readings "from the future".
const FUTURE_SLACK_MS: i64 = 10 * 60 * 1000;
const MAX_SOURCE: usize = 128;
const MAX_NOTE: usize = 2000;

/// A reading as parsed from the wire, not yet stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedReading {
    pub passport_id: Option<String>,
    pub metric: &'static Metric,
    pub at_ms: i64,
    pub source: String,
    pub value: f64,
    pub note: Option<String>,
}

/// Parses and checks one reading object: `{"passportId"?, "metric", "at" (RFC 3339) | "atMs", "value", "source", "note"?}`.
/// `now_ms` bounds the time from above.
pub fn parse(value: &Value, now_ms: i64) -> Result<ParsedReading, String> {
    let object = value.as_object().ok_or("a reading is a JSON object")?;
    let known = ["passportId", "metric", "at", "atMs", "value", "source", "note"];
    if let Some(unknown) = object.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!("unknown field `{unknown}` (expected {})", known.join(", ")));
    }
    let text = |key: &str| object.get(key).and_then(Value::as_str);
    let name = text("metric").ok_or("`metric` is missing")?;
    let metric = metric(name).ok_or_else(|| {
        format!("unknown metric `{name}` (one of {})", METRICS.iter().map(|m| m.name).collect::<Vec<_>>().join(", "))
    })?;
    let at_ms = match (object.get("at"), object.get("atMs")) {
        (Some(Value::String(at)), None) => OffsetDateTime::parse(at, &Rfc3339)
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
            .map_err(|e| format!("`at` is not an RFC 3339 time: {e}"))?,
        (None, Some(ms)) => ms.as_i64().ok_or("`atMs` must be an integer (Unix milliseconds)")?,
        (Some(_), Some(_)) => return Err("give `at` or `atMs`, not both".into()),
        _ => return Err("`at` (RFC 3339 time) is missing".into()),
    };
    if at_ms < EARLIEST_MS {
        return Err(format!("time {at_ms} ms is before 2000: not a plausible measurement time"));
    }
    if at_ms > now_ms + FUTURE_SLACK_MS {
        return Err("time lies in the future".into());
    }
    let value = object.get("value").and_then(Value::as_f64).ok_or("`value` must be a number")?;
    if !(metric.min..=metric.max).contains(&value) {
        return Err(format!(
            "{name} {value} {} is outside the plausible range {}..={}",
            metric.unit, metric.min, metric.max
        ));
    }
    let source = text("source").map(str::trim).filter(|s| !s.is_empty()).ok_or("`source` (who measured) is missing")?;
    if source.len() > MAX_SOURCE {
        return Err(format!("`source` is longer than {MAX_SOURCE} bytes"));
    }
    let note = match object.get("note") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= MAX_NOTE => Some(s.clone()),
        Some(Value::String(_)) => return Err(format!("`note` is longer than {MAX_NOTE} bytes")),
        Some(_) => return Err("`note` must be text".into()),
    };
    if metric.name == "accident" && note.is_none() {
        return Err("an accident needs a `note` saying what happened".into());
    }
    let passport_id = match object.get("passportId") {
        None => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return Err("`passportId` must be text".into()),
    };
    Ok(ParsedReading { passport_id, metric, at_ms, source: source.to_string(), value, note })
}

/// Does a counter reading fit between the stored values around it? `before`/`after` are the nearest known
/// values of the same metric (any source) earlier and later in time.
pub fn check_monotonic(metric: &Metric, value: f64, before: Option<f64>, after: Option<f64>) -> Result<(), String> {
    if !metric.cumulative {
        return Ok(());
    }
    if let Some(before) = before.filter(|b| value < *b) {
        return Err(format!("{} runs backwards: {value} after {before}", metric.name));
    }
    if let Some(after) = after.filter(|a| value > *a) {
        return Err(format!("{} runs backwards: {value} before a later {after}", metric.name));
    }
    Ok(())
}

/// Puts the latest readings into a composed document (under `performance/batteryCondition`), each with its
/// `lastUpdate`. `latest` holds one `(metric, at_ms, value, note)` per metric, plus every accident.
pub fn overlay(document: &mut Value, latest: &[(String, i64, f64, Option<String>)]) {
    if latest.is_empty() {
        return;
    }
    let Some(performance) = document.as_object_mut().map(|d| d.entry("performance").or_insert_with(|| json!({})))
    else {
        return;
    };
    let Some(condition) = performance.as_object_mut().map(|p| p.entry("batteryCondition").or_insert_with(|| json!({})))
    else {
        return;
    };
    let Some(condition) = condition.as_object_mut() else { return };
    let mut events: Vec<Value> = Vec::new();
    let mut stored_events_kept = false;
    for (name, at_ms, value, note) in latest {
        let Some(metric) = metric(name) else { continue };
        let stamp = stamp(*at_ms);
        let number = number(*value);
        match metric.place {
            Place::Value(object, key) => {
                condition.insert(object.into(), json!({key: number, "lastUpdate": stamp}));
            }
            Place::Temperature(key) => {
                let info = object_at(condition, "temperatureInformation");
                info.insert(key.into(), number);
                let newer = info.get("lastUpdate").and_then(Value::as_str).is_none_or(|old| old < stamp.as_str());
                if newer {
                    info.insert("lastUpdate".into(), Value::String(stamp));
                }
            }
            Place::PackResistance => {
                if let Some(list) = condition.get_mut("internalResistance").and_then(Value::as_array_mut) {
                    for entry in list.iter_mut().filter(|e| e["batteryComponent"] == "pack") {
                        entry["ohmicResistance"] = number.clone();
                        entry["lastUpdate"] = Value::String(stamp.clone());
                    }
                }
            }
            Place::Event(label) => {
                if !stored_events_kept {
                    // Events recorded in the passport itself stay; readings add to them.
                    if let Some(Value::Array(stored)) = condition.get("negativeEvents") {
                        events.extend(stored.iter().cloned());
                    }
                    stored_events_kept = true;
                }
                let text = match note {
                    Some(note) if metric.name == "accident" => format!("{label}: {note}"),
                    _ => format!("{label}: {value}"),
                };
                events.push(json!({"negativeEvent": text, "lastUpdate": stamp}));
            }
        }
    }
    if stored_events_kept {
        condition.insert("negativeEvents".into(), Value::Array(events));
    }
}

fn object_at<'a>(parent: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = parent.entry(key).or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot.as_object_mut().expect("just made an object")
}

/// Whole numbers as integers (as the rest of the document writes them).
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 1e15 { json!(value as i64) } else { json!(value) }
}

/// RFC 3339 UTC with seconds, as the document's other `lastUpdate` values.
pub fn stamp(at_ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(at_ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The JSON pointer of a metric's object in the document (for the access filter and the viewer).
pub fn pointer(metric: &Metric) -> String {
    match metric.place {
        Place::Value(object, _) => format!("{CONDITION}/{object}"),
        Place::Temperature(key) => format!("{CONDITION}/temperatureInformation/{key}"),
        Place::PackResistance => format!("{CONDITION}/internalResistance"),
        Place::Event(_) => format!("{CONDITION}/negativeEvents"),
    }
}

/// The lines of an MQTT payload: one reading object, a JSON array of them, or NDJSON; each line's text with its
/// JSON or why it is not JSON.
pub fn payload_lines(payload: &[u8]) -> Vec<(String, Result<Value, String>)> {
    let Ok(text) = std::str::from_utf8(payload) else {
        return vec![(String::from_utf8_lossy(payload).into_owned(), Err("payload is not UTF-8".into()))];
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items.into_iter().map(|v| (v.to_string(), Ok(v))).collect(),
        Ok(one) => vec![(text.to_string(), Ok(one))],
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| (l.to_string(), serde_json::from_str(l).map_err(|e| format!("malformed JSON: {e}"))))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000_000; // 2026-11-18

    #[test]
    fn payloads_split_into_lines() {
        assert_eq!(payload_lines(br#"[{"a":1},{"a":2}]"#).len(), 2);
        assert_eq!(payload_lines(b"{\"a\":1}\n{\"a\":2}\n").len(), 2);
        let bad = payload_lines(b"{\"a\":1}\nnot json");
        assert!(bad[1].1.as_ref().unwrap_err().contains("malformed JSON"));
        assert!(payload_lines(&[0xff, 0xfe]).remove(0).1.unwrap_err().contains("UTF-8"));
    }

    fn ok(v: Value) -> ParsedReading {
        parse(&v, NOW).unwrap()
    }

    fn refused(v: Value) -> String {
        parse(&v, NOW).unwrap_err()
    }

    #[test]
    fn a_good_reading_parses_with_either_time_form() {
        let r = ok(json!({"metric": "stateOfCharge", "at": "2026-11-01T10:00:00Z", "value": 81.5, "source": "bms-7"}));
        assert_eq!(
            (r.metric.name, r.at_ms, r.value, r.source.as_str()),
            ("stateOfCharge", 1_793_527_200_000, 81.5, "bms-7")
        );
        let r = ok(
            json!({"metric": "accident", "atMs": 1_761_991_200_000_i64, "value": 1, "source": "workshop", "note": "crash"}),
        );
        assert_eq!(r.note.as_deref(), Some("crash"));
    }

    #[test]
    fn implausible_readings_are_refused_with_a_reason() {
        let base = |metric: &str, value: Value| json!({"metric": metric, "at": "2026-11-01T10:00:00Z", "value": value, "source": "b"});
        assert!(refused(base("stateOfCharge", json!(140))).contains("outside the plausible range 0..=100"));
        assert!(refused(base("numberOfFullCycles", json!(-1))).contains("outside"));
        assert!(refused(base("stateOfHealthiness", json!(1))).contains("unknown metric"));
        assert!(refused(base("stateOfCharge", json!("80"))).contains("`value` must be a number"));
        assert!(refused(base("accident", json!(1))).contains("needs a `note`"));
        assert!(
            refused(json!({"metric": "stateOfCharge", "at": "2031-01-01T00:00:00Z", "value": 1, "source": "b"}))
                .contains("future")
        );
        assert!(
            refused(json!({"metric": "stateOfCharge", "at": "1999-12-31T23:59:59Z", "value": 1, "source": "b"}))
                .contains("before 2000")
        );
        assert!(
            refused(json!({"metric": "stateOfCharge", "at": "yesterday", "value": 1, "source": "b"}))
                .contains("RFC 3339")
        );
        assert!(
            refused(json!({"metric": "stateOfCharge", "at": "2026-11-01T10:00:00Z", "value": 1})).contains("source")
        );
        assert!(
            refused(
                json!({"metric": "stateOfCharge", "at": "2026-11-01T10:00:00Z", "value": 1, "source": "b", "soc": 1})
            )
            .contains("unknown field `soc`")
        );
    }

    #[test]
    fn counters_must_not_run_backwards() {
        let cycles = metric("numberOfFullCycles").unwrap();
        assert!(check_monotonic(cycles, 10.0, Some(9.0), Some(11.0)).is_ok());
        assert!(check_monotonic(cycles, 8.0, Some(9.0), None).unwrap_err().contains("runs backwards"));
        assert!(check_monotonic(cycles, 12.0, None, Some(11.0)).is_err());
        let soc = metric("stateOfCharge").unwrap();
        assert!(check_monotonic(soc, 8.0, Some(90.0), Some(1.0)).is_ok(), "state of charge goes up and down");
    }

    #[test]
    fn overlay_puts_latest_values_with_last_update() {
        let mut doc = json!({"performance": {"batteryCondition": {
            "stateOfCharge": {"stateOfChargeValue": 50, "lastUpdate": "2026-01-01T00:00:00Z"},
            "internalResistance": [{"batteryComponent": "pack", "ohmicResistance": 0.1}, {"batteryComponent": "cell", "ohmicResistance": 0.001}],
            "negativeEvents": [{"negativeEvent": "flood", "lastUpdate": "2025-01-01T00:00:00Z"}],
        }}});
        let latest = vec![
            ("stateOfCharge".to_string(), 1_761_991_200_000, 81.5, None),
            ("numberOfFullCycles".to_string(), 1_761_991_200_000, 412.0, None),
            ("timeExtremeHighTemp".to_string(), 1_761_991_200_000, 30.0, None),
            ("internalResistance".to_string(), 1_761_991_200_000, 0.12, None),
            ("accident".to_string(), 1_761_991_200_000, 1.0, Some("rear collision".to_string())),
        ];
        overlay(&mut doc, &latest);
        let c = &doc["performance"]["batteryCondition"];
        assert_eq!(c["stateOfCharge"], json!({"stateOfChargeValue": 81.5, "lastUpdate": "2025-11-01T10:00:00Z"}));
        assert_eq!(c["numberOfFullCycles"]["numberOfFullCyclesValue"], json!(412));
        assert_eq!(c["temperatureInformation"]["timeExtremeHighTemp"], json!(30));
        assert_eq!(c["internalResistance"][0]["ohmicResistance"], json!(0.12));
        assert_eq!(c["internalResistance"][1]["ohmicResistance"], json!(0.001), "only the pack entry");
        let events: Vec<&str> =
            c["negativeEvents"].as_array().unwrap().iter().map(|e| e["negativeEvent"].as_str().unwrap()).collect();
        assert_eq!(events, vec!["flood", "accident: rear collision"]);
    }
}
