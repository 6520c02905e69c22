//! End-of-line evaluation on batches drawn from the real RWTH and Weng cells; skipped when the reference data is
//! not checked out next to the repository. Print the table with `-- --nocapture`.

use std::path::PathBuf;

use analytics::anomaly::{FaultKind, evaluate};

fn datasets() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/datasets");
    dir.join("rwth_isea_sanyo48").is_dir().then_some(dir)
}

#[test]
fn big_faults_are_detected_on_real_distributions() {
    let Some(dir) = datasets() else {
        eprintln!("reference datasets not found; skipped");
        return;
    };
    let report = evaluate(&dir, 42).unwrap();
    println!("{}", report.table());
    println!("{}", serde_json::to_string(&report.sources).unwrap());
    assert_eq!(report.sources.len(), 3);
    for r in &report.results {
        let big = r.size >= 6.0 || (r.fault == FaultKind::CorrelationBreak && r.size >= 2.5);
        if big {
            let m = r.multivariate.roc_auc.unwrap();
            assert!(m > 0.9, "{} {:?} {}: multivariate AUC {m}", r.source, r.fault, r.size);
        }
        if r.size >= 6.0 {
            let u = r.univariate.roc_auc.unwrap();
            assert!(u > 0.9, "{} {:?} {}: univariate AUC {u}", r.source, r.fault, r.size);
        }
        if r.fault == FaultKind::None {
            assert!(r.univariate.roc_auc.is_none() && r.multivariate.recall.is_none());
        }
    }
}
