//! `voltpass trace import` and `trace recall` end to end on a SQLite file, and `voltpass bench trace` with a
//! small factory (on PostgreSQL too when the tests have one).

use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Output};

fn voltpass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voltpass")).args(args).env("VOLTPASS_LOG", "warn").output().expect("run voltpass")
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voltpass-trace-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ndjson(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

#[test]
fn import_then_recall_writes_every_affected_unit() {
    let dir = temp_dir();
    let db = format!("sqlite://{}", dir.join("voltpass.db").display());
    let mut events = vec![
        json!({"eventId": "l", "type": "produced", "unit": {"id": "LOT-1", "kind": "lot", "quantity": {"value": 10, "unit": "kg"}}}),
        json!({"eventId": "b", "type": "produced", "unit": {"id": "B-1", "kind": "batch"}, "inputs": [{"id": "LOT-1", "quantity": {"value": 4, "unit": "kg"}}]}),
    ];
    for c in 1..=3 {
        events.push(json!({"eventId": format!("c{c}"), "type": "produced", "unit": {"id": format!("C-{c}"), "kind": "cell"}, "inputs": [{"id": "B-1"}]}));
    }
    events.push(json!({"eventId": "m", "type": "produced", "unit": {"id": "M-1", "kind": "module"}, "inputs": [{"id": "C-1"}, {"id": "C-2"}]}));
    let file = dir.join("events.ndjson");
    std::fs::write(&file, ndjson(&events)).unwrap();
    let out = voltpass(&["trace", "import", file.to_str().unwrap(), "--db", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let receipt: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["applied"], 6);

    let csv = dir.join("affected.csv");
    let out = voltpass(&["trace", "recall", "LOT-1", "--out", csv.to_str().unwrap(), "--db", &db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 module(s), 3 cell(s)"));
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], ["kind", "id", "model", "passport", "share", "quantity", "uom", "cells"]);
    assert_eq!(rows.len(), 1 + 1 + 3, "{text}");
    // The module holds two of the batch's three cells: two thirds of the 4 kg taken from the lot.
    assert_eq!(&rows[1][..2], ["module", "M-1"]);
    assert!((rows[1][4].parse::<f64>().unwrap() - 2.0 / 3.0).abs() < 1e-6, "{text}");
    assert!((rows[1][5].parse::<f64>().unwrap() - 8.0 / 3.0).abs() < 1e-5, "{text}");
    assert_eq!((rows[1][6], rows[1][7]), ("kg", "2"));
    assert_eq!(rows.iter().skip(2).map(|r| r[1]).collect::<Vec<_>>(), ["C-1", "C-2", "C-3"]);

    // A file with a broken line: the command names it and stores nothing of the batch.
    let bad = dir.join("bad.ndjson");
    let more = json!({"eventId": "b2", "type": "produced", "unit": {"id": "B-2", "kind": "batch"}, "inputs": [{"id": "LOT-1", "quantity": {"value": 1, "unit": "kg"}}]});
    std::fs::write(&bad, format!("{more}\n{{\"eventId\": \"x\", \"type\": \"produced\"}}\n")).unwrap();
    let out = voltpass(&["trace", "import", bad.to_str().unwrap(), "--db", &db]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.ndjson:2: event x: missing field `unit`"), "{stderr}");
    let out = voltpass(&["trace", "recall", "B-2", "--db", &db]);
    assert!(!out.status.success(), "B-2 was not stored");

    // For an operator: its units are its own, and it may not build on units that are not.
    let theirs = dir.join("theirs.ndjson");
    std::fs::write(&theirs, ndjson(&[json!({"eventId": "o1", "type": "produced", "unit": {"id": "LOT-O", "kind": "lot", "quantity": {"value": 1, "unit": "kg"}}}),
        json!({"eventId": "o2", "type": "produced", "unit": {"id": "B-O", "kind": "batch"}, "inputs": [{"id": "LOT-1", "quantity": {"value": 1, "unit": "kg"}}]})])).unwrap();
    let out = voltpass(&["trace", "import", theirs.to_str().unwrap(), "--operator", "BPNL0000000000OP", "--db", &db]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("event o2: input LOT-1 belongs to another economic operator")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_trace_ends_with_one_json_line_of_figures() {
    let mut args = vec!["bench", "trace", "--cells", "4000", "--queries", "20"];
    let pg = std::env::var("VOLTPASS_TEST_PG_URL").ok();
    if let Some(url) = &pg {
        args.extend(["--pg", url]);
    }
    let out = voltpass(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().last().expect("output");
    let figures: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"));
    assert_eq!(figures["bench"], "trace");
    assert_eq!(
        (figures["cells"].as_u64(), figures["modules"].as_u64(), figures["packs"].as_u64()),
        (Some(4000), Some(40), Some(10))
    );
    let backends: &[&str] = if pg.is_some() { &["sqlite", "postgres"] } else { &["sqlite"] };
    for backend in backends {
        // The first lot is the only cathode lot: every pack holds it, and the naive query agrees.
        assert_eq!(figures[format!("{backend}_recalled_passports")], 10, "{last}");
        for key in [
            "cells_per_s",
            "recall_p99_ms",
            "upstream_p99_ms",
            "baseline_naive_recall_p99_ms",
            "store_mib_per_million_cells",
        ] {
            assert!(figures[format!("{backend}_{key}")].as_f64().unwrap() > 0.0, "{backend}_{key}: {last}");
        }
        // The cores busy during the ingest: some, and no more than the machine has.
        let cores = figures[format!("{backend}_ingest_cpu_cores")].as_f64().unwrap();
        let available = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        assert!(cores > 0.0 && cores <= available + 0.05, "{backend}_ingest_cpu_cores {cores} of {available}: {last}");
    }
    // The SQLite ingest against bare inserts of the naive layout's rows, measured in the same run.
    let bare = figures["sqlite_baseline_bare_insert_cells_per_s"].as_f64().unwrap();
    let ratio = figures["sqlite_ratio_bare"].as_f64().unwrap();
    assert!(bare > 0.0 && ratio > 0.0, "{last}");
    let expected = figures["sqlite_cells_per_s"].as_f64().unwrap() / bare;
    assert!((ratio - expected).abs() < 0.01, "ratio {ratio} is voltpass over bare ({expected}): {last}");
}
