//! `voltpass bench resolve` end to end with tiny numbers. Needs wrk and nginx (Debian packages `wrk` and
//! `nginx`); skipped, saying so, where they are not installed.

use serde_json::Value;
use std::process::Command;

fn installed(name: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).chain(["/usr/sbin".into()]).any(|dir| dir.join(name).is_file())
}

#[test]
fn bench_resolve_ends_with_one_json_line_of_figures() {
    assert!(
        installed("wrk") && installed("nginx"),
        "bench resolve needs the Debian packages wrk and nginx (apt-get install wrk nginx; .ci/run does)"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_voltpass"))
        .args(["bench", "resolve", "--count", "200", "--duration", "2", "--connections", "4"])
        .env("VOLTPASS_LOG", "warn")
        .output()
        .expect("run voltpass");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().last().expect("output");
    let figures: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"));
    assert_eq!(figures["bench"], "resolve");
    assert_eq!(figures["passports"], 200);
    assert_eq!(figures["connections"], 4);
    for run in ["json", "html", "baseline_nginx"] {
        assert!(figures[format!("{run}_req_per_s")].as_f64().unwrap() > 0.0, "{last}");
        for p in ["p50_ms", "p99_ms"] {
            assert!(figures[format!("{run}_{p}")].as_f64().unwrap() > 0.0, "{last}");
        }
    }
    for ratio in ["json_ratio", "html_ratio"] {
        assert!(figures[ratio].as_f64().unwrap() > 0.0, "{last}");
    }
    for errors in ["json_errors", "html_errors", "baseline_nginx_errors"] {
        assert_eq!(figures[errors], 0, "{last}");
    }
    assert_eq!(figures["duration_s"], 2);
}
