//! `voltpass bench readings` end to end with tiny numbers, over REST and MQTT (Mosquitto on 127.0.0.1:1883,
//! which .ci/run starts).

use serde_json::Value;
use std::process::Command;

#[test]
fn bench_readings_ends_with_one_json_line_of_figures() {
    let out = Command::new(env!("CARGO_BIN_EXE_voltpass"))
        .args(["bench", "readings", "--batteries", "60", "--per-battery", "5", "--mqtt-per-battery", "10"])
        .args(["--batch", "100", "--clients", "2"])
        .env("VOLTPASS_LOG", "warn")
        .output()
        .expect("run voltpass");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().last().expect("output");
    let figures: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"));
    assert_eq!(figures["bench"], "readings");
    assert_eq!(figures["rest_readings"], 300);
    assert_eq!(figures["mqtt_readings"], 600);
    for key in
        ["rest_readings_per_s", "mqtt_readings_per_s", "baseline_sqlite_bare_insert_rows_per_s", "ratio_rest_to_bare"]
    {
        assert!(figures[key].as_f64().unwrap() > 0.0, "{key}: {last}");
    }
}
