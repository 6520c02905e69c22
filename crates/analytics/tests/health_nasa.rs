//! RUL at half life on the NASA PCoE cells; skipped when the reference data is absent. Print with `--nocapture`.

use std::path::PathBuf;

use analytics::health::{HealthConfig, evaluate_nasa, evaluate_nasa_with};

fn datasets() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/datasets");
    dir.join("nasa_pcoe_battery_aging").is_dir().then_some(dir)
}

#[test]
fn rul_at_half_life_on_nasa_cells() {
    let Some(dir) = datasets() else {
        eprintln!("reference datasets not found; skipped");
        return;
    };
    let report = evaluate_nasa(&dir, 42).unwrap();
    println!("{}", report.table());
    for (frac, ex) in &report.excluded {
        println!("excluded at {frac}: {}", serde_json::to_string(ex).unwrap());
    }
    // Sensitivity, not a tuning knob: the whole history instead of its recent half.
    let all =
        evaluate_nasa_with(&dir, &HealthConfig { seed: 42, window_fraction: 1.0, ..HealthConfig::default() }).unwrap();
    for t in &all.thresholds {
        println!(
            "window 100 %: EOL {:.0} % n={} MAE {:.1} coverage {:.2}",
            100.0 * t.eol_fraction,
            t.n,
            t.mae_cycles,
            t.coverage
        );
    }
    let t70 = &report.thresholds[0];
    // B0005, B0006 and B0018 reach 1.4 Ah under the cleaning rules.
    assert!(t70.n >= 3, "{}", t70.n);
    assert!(report.thresholds.iter().all(|t| t.mae_cycles.is_finite() && t.n > 0));
    assert!(
        report.thresholds.iter().all(|t| t.cells.iter().all(|c| c.true_rul > 0.0 && c.cut_cycle * 2.0 <= c.eol_cycle))
    );
}
