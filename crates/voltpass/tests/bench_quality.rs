//! `voltpass bench quality` end to end with small numbers: every CoA is decided, the SPC state is recomputed,
//! and the output ends with one JSON line holding every figure.

use serde_json::Value;
use std::process::Command;

#[test]
fn bench_quality_ends_with_one_json_line_of_figures() {
    let out = Command::new(env!("CARGO_BIN_EXE_voltpass"))
        .args(["bench", "quality", "--count", "1500", "--suppliers", "3"])
        .env("VOLTPASS_LOG", "warn")
        .output()
        .expect("run voltpass");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().last().expect("output");
    let figures: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"));
    assert_eq!(figures["bench"], "quality");
    assert_eq!(figures["coas"], 1500);
    assert_eq!(figures["characteristics_per_coa"], 20);
    assert_eq!(figures["results"], 30_000);
    let decided = ["accepted", "hold", "rejected"].iter().map(|k| figures[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(decided, 1500, "{last}");
    assert!(figures["accepted"].as_u64().unwrap() > 1000, "most bench lots are in specification: {last}");
    // 3 suppliers x 20 characteristics; every value is a point but the detection-limit results ("<").
    assert_eq!(figures["series"], 60, "{last}");
    let points = figures["points"].as_u64().unwrap();
    assert!((27_000..=30_000).contains(&points), "{last}");
    for key in [
        "ingest_s",
        "coas_per_s",
        "recompute_s",
        "total_s",
        "baseline_sqlite_bare_insert_coas_per_s",
        "ratio_sqlite",
        "peak_rss_mib",
        "store_mib",
    ] {
        assert!(figures[key].as_f64().unwrap() > 0.0, "{key}: {last}");
    }
}
