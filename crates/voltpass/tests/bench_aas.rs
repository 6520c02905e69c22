//! `voltpass bench aas` end to end with tiny numbers and without the BaSyx peer. Needs wrk (Debian package
//! `wrk`; the bench installs it with apt-get where it can).

use serde_json::Value;
use std::process::Command;

#[test]
fn bench_aas_ends_with_one_json_line_of_figures() {
    let out = Command::new(env!("CARGO_BIN_EXE_voltpass"))
        .args(["bench", "aas", "--passports", "200", "--duration-s", "2", "--warmup-s", "1", "--no-peer"])
        .env("VOLTPASS_LOG", "warn")
        .output()
        .expect("run voltpass");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().last().expect("output");
    let figures: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"));
    assert_eq!(figures["bench"], "aas");
    assert_eq!(figures["passports"], 200);
    assert_eq!(figures["connections"], 64);
    assert_eq!(figures["duration_s"], 2);
    for request in ["lookup", "descriptor", "value"] {
        assert!(figures[format!("{request}_req_per_s")].as_f64().unwrap() > 0.0, "{last}");
        assert!(figures[format!("{request}_p99_ms")].as_f64().unwrap() > 0.0, "{last}");
        assert_eq!(figures[format!("{request}_errors")], 0, "{last}");
        // --no-peer: the peer's figures and the ratios are null.
        assert!(figures[format!("peer_{request}_req_per_s")].is_null(), "{last}");
        assert!(figures[format!("{request}_ratio")].is_null(), "{last}");
    }
    assert!(figures["peer"].is_null(), "{last}");
}
