//! Readings as they arrive over REST (a JSON object or array, or NDJSON bulk lines) and MQTT (one topic per
//! passport): the payload is split into lines by `passport::readings::payload_lines` (what the MQTT subscriber
//! uses), the topic's passport is filled in, and each line goes through `passport::readings::parse`
//! (plausibility), `check_monotonic` and `overlay` into a document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passport::readings;
use serde_json::json;

/// 2026-11-18, a fixed clock for reproducible runs.
const NOW_MS: i64 = 1_795_000_000_000;
const TOPIC_PASSPORT: &str = "urn:voltpass:passport:0193";

fuzz_target!(|data: &[u8]| {
    let mut latest = Vec::new();
    let mut previous: Option<f64> = None;
    for (_text, json) in readings::payload_lines(data) {
        let Ok(mut value) = json else { continue };
        // As `server::mqtt::message_lines`: the topic names the passport.
        if let Some(object) = value.as_object_mut() {
            object.entry("passportId").or_insert_with(|| TOPIC_PASSPORT.into());
        }
        let Ok(reading) = readings::parse(&value, NOW_MS) else { continue };
        assert!(reading.value.is_finite());
        assert!((reading.metric.min..=reading.metric.max).contains(&reading.value));
        let _ = readings::check_monotonic(reading.metric, reading.value, previous, None);
        let _ = readings::check_monotonic(reading.metric, reading.value, None, previous);
        previous = Some(reading.value);
        assert!(!readings::stamp(reading.at_ms).is_empty(), "an accepted time has a stamp");
        let _ = readings::pointer(reading.metric);
        latest.push((reading.metric.name.to_string(), reading.at_ms, reading.value, reading.note));
    }
    let mut document = json!({"performance": {"batteryCondition": {
        "internalResistance": [{"batteryComponent": "pack", "ohmicResistance": 0.1}],
        "negativeEvents": [{"negativeEvent": "flood", "lastUpdate": "2025-01-01T00:00:00Z"}],
    }}});
    readings::overlay(&mut document, &latest);
    let mut empty = json!({});
    readings::overlay(&mut empty, &latest);
});
