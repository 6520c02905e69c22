//! Part 5, Product Condition: the battery's dynamic values (`performance/batteryCondition`), each with its time.
//!
//! Units as declared by the model: the same as canonical (kWh, Ah, %, minutes) except
//! - RemainingCapacityValue, declared `unit:kilowattHour`: canonical Ah × nominal voltage / 1000;
//! - RemainingPowerCapability PowerCapabilityAt, declared `unit:percent`: canonical W as a share of the original
//!   power capability at the same state of charge.
//!
//! Both need a type-level value (Technical Data), so the import converts them back only when it has that.

use super::MappingError;
use super::common::{CONDITION, TECHNICAL, all, get, number, obj, put, set, shortest, tidy};
use serde_json::{Value, json};

/// Value records named alike on both sides: canonical `{<name>: {<name>Value, lastUpdate}}`, IDTA
/// `{<Name>: {<Name>Value, LastUpdate}}`.
const RECORDS: [&str; 9] = [
    "energyThroughput",
    "capacityThroughput",
    "numberOfFullCycles",
    "stateOfCertifiedEnergy",
    "remainingEnergy",
    "evolutionOfSelfDischarge",
    "currentSelfDischargingRate",
    "remainingRoundTripEnergyEfficiency",
    "stateOfCharge",
];
const TEMPERATURES: [&str; 4] =
    ["timeExtremeHighTemp", "timeExtremeLowTemp", "timeExtremeHighTempCharging", "timeExtremeLowTempCharging"];

fn capitalised(name: &str) -> String {
    let mut out = name.to_string();
    out[..1].make_ascii_uppercase();
    out
}

fn record(value: Option<Value>, last_update: Option<Value>, name: &str) -> Option<Value> {
    let value_key = format!("{name}Value");
    (value.is_some() || last_update.is_some()).then(|| obj([(value_key.as_str(), value), ("LastUpdate", last_update)]))
}

pub(super) fn export(doc: &Value) -> Result<Value, MappingError> {
    let mut out = serde_json::Map::new();
    for name in RECORDS {
        let Some(r) = get(doc, &format!("{CONDITION}/{name}")) else { continue };
        let idta = capitalised(name);
        if let Some(v) = record(r.get(format!("{name}Value")).cloned(), r.get("lastUpdate").cloned(), &idta) {
            out.insert(idta, v);
        }
    }
    if let Some(r) = get(doc, &format!("{CONDITION}/remainingCapacity")) {
        let pointer = format!("{CONDITION}/remainingCapacity/remainingCapacityValue");
        let ah = r.get("remainingCapacityValue").map(|v| number(v, &pointer)).transpose()?;
        let volts = get(doc, &format!("{TECHNICAL}/nominalVoltage")).and_then(Value::as_f64);
        let kwh = ah.zip(volts).map(|(ah, v)| shortest(ah * v / 1000.0, ah, |kwh| kwh * 1000.0 / v));
        if let Some(v) = record(kwh, r.get("lastUpdate").cloned(), "RemainingCapacity") {
            out.insert("RemainingCapacity".into(), v);
        }
    }
    if let Some(r) = get(doc, &format!("{CONDITION}/remainingPowerCapability"))
        && let Some(v) = export_power(doc, r)?
    {
        out.insert("RemainingPowerCapability".into(), v);
    }
    if let Some(events) = get(doc, &format!("{CONDITION}/negativeEvents")).and_then(Value::as_array) {
        let events = events
            .iter()
            .map(|e| {
                obj([
                    ("NegativeEventValue", e.get("negativeEvent").cloned()),
                    ("LastUpdate", e.get("lastUpdate").cloned()),
                ])
            })
            .collect();
        out.insert("NegativeEvents".into(), Value::Array(events));
    }
    if let Some(t) = get(doc, &format!("{CONDITION}/temperatureInformation")) {
        let members = TEMPERATURES.map(|name| (capitalised(name), t.get(name).cloned()));
        let mut temperature = obj(members.iter().map(|(k, v)| (k.as_str(), v.clone())));
        if let Some(time) = t.get("lastUpdate") {
            temperature["LastUpdate"] = time.clone();
        }
        out.insert("TemperatureInformation".into(), temperature);
    }
    // Accident documents: voltpass records accidents as negative events (see PLACEHOLDERS).
    out.insert("InformationOnAccidents".into(), json!([]));
    Ok(Value::Object(out))
}

/// Remaining power capability in % of the original power capability at the same state of charge (left out when
/// the document has no original value for that state of charge).
fn export_power(doc: &Value, r: &Value) -> Result<Option<Value>, MappingError> {
    let pointer = format!("{CONDITION}/remainingPowerCapability/remainingPowerCapabilityValue");
    let value = r.get("remainingPowerCapabilityValue");
    let soc = value.and_then(|v| v.get("atSoC"));
    let watts = value.and_then(|v| v.get("powerCapabilityAt")).map(|w| number(w, &pointer)).transpose()?;
    let original = soc.and_then(|soc| {
        all(doc, &format!("{TECHNICAL}/originalPowerCapability"))
            .find(|o| o["atSoC"].as_f64() == soc.as_f64())
            .and_then(|o| o["powerCapabilityAt"].as_f64())
            .filter(|o| *o != 0.0)
    });
    let Some(percent) = watts.zip(original).map(|(w, o)| shortest(w / o * 100.0, w, |p| p * o / 100.0)) else {
        return Ok(None);
    };
    let value = obj([
        ("RPCLastUpdated", value.and_then(|v| v.get("rPCLastUpdated")).cloned()),
        ("AtSoC", soc.cloned()),
        ("PowerCapabilityAt", Some(percent)),
    ]);
    Ok(Some(obj([("RemainingPowerCapabilityValue", Some(value)), ("LastUpdate", r.get("lastUpdate").cloned())])))
}

/// Reads the condition values; the two converted ones only if `doc` already holds the Technical Data they need.
pub(super) fn import(value: &Value, doc: &mut Value) {
    for name in RECORDS {
        let idta = capitalised(name);
        let Some(r) = value.get(&idta) else { continue };
        let v = r.get(format!("{idta}Value")).cloned();
        put(
            doc,
            &format!("{CONDITION}/{name}"),
            Some(obj([(format!("{name}Value").as_str(), v), ("lastUpdate", r.get("LastUpdate").cloned())])),
        );
    }
    let volts = get(doc, &format!("{TECHNICAL}/nominalVoltage")).and_then(Value::as_f64).filter(|v| *v != 0.0);
    if let (Some(r), Some(volts)) = (value.get("RemainingCapacity"), volts) {
        let ah = r.get("RemainingCapacityValue").and_then(Value::as_f64).map(|kwh| tidy(kwh * 1000.0 / volts));
        put(
            doc,
            &format!("{CONDITION}/remainingCapacity"),
            Some(obj([("remainingCapacityValue", ah), ("lastUpdate", r.get("LastUpdate").cloned())])),
        );
    }
    if let Some(r) = value.get("RemainingPowerCapability") {
        let v = r.get("RemainingPowerCapabilityValue");
        let soc = v.and_then(|v| v.get("AtSoC"));
        let original = soc.and_then(|soc| {
            all(doc, &format!("{TECHNICAL}/originalPowerCapability"))
                .find(|o| o["atSoC"].as_f64() == soc.as_f64())
                .and_then(|o| o["powerCapabilityAt"].as_f64())
        });
        let percent = v.and_then(|v| v.get("PowerCapabilityAt")).and_then(Value::as_f64);
        if let Some(watts) = percent.zip(original).map(|(p, o)| tidy(p * o / 100.0)) {
            let value = obj([
                ("atSoC", soc.cloned()),
                ("powerCapabilityAt", Some(watts)),
                ("rPCLastUpdated", v.and_then(|v| v.get("RPCLastUpdated")).cloned()),
            ]);
            let record =
                obj([("lastUpdate", r.get("LastUpdate").cloned()), ("remainingPowerCapabilityValue", Some(value))]);
            set(doc, &format!("{CONDITION}/remainingPowerCapability"), record);
        }
    }
    if let Some(events) = value.get("NegativeEvents").and_then(Value::as_array) {
        let events = events
            .iter()
            .map(|e| {
                obj([
                    ("negativeEvent", e.get("NegativeEventValue").cloned()),
                    ("lastUpdate", e.get("LastUpdate").cloned()),
                ])
            })
            .collect();
        set(doc, &format!("{CONDITION}/negativeEvents"), Value::Array(events));
    }
    if let Some(t) = value.get("TemperatureInformation") {
        let mut members: Vec<(&str, Option<Value>)> =
            TEMPERATURES.iter().map(|name| (*name, t.get(capitalised(name)).cloned())).collect();
        members.push(("lastUpdate", t.get("LastUpdate").cloned()));
        set(doc, &format!("{CONDITION}/temperatureInformation"), obj(members));
    }
}
