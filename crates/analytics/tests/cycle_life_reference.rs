//! Cycle-life tests on the full Severson reference set. They run when `../shared/reference/datasets/` exists beside
//! the repository (as on developer machines and CI) or `VOLTPASS_SEVERSON_DIR` points to it, and say so when skipped.

use std::path::PathBuf;

use analytics::cycle_life::{
    Dataset, Model, Split, embedded_curves_model, embedded_model, evaluate::evaluate_model, train, train_curves_only,
    train_variance,
};

fn reference_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("VOLTPASS_SEVERSON_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/datasets/severson2019_qdlin")
    });
    if dir.join("cells.csv").exists() {
        Some(dir)
    } else {
        eprintln!("skipped: no Severson reference set at {}", dir.display());
        None
    }
}

fn metrics(eval: &analytics::cycle_life::ModelEvaluation, split: &str) -> (f64, f64) {
    let s = eval.splits.iter().find(|s| s.split == split).unwrap();
    (s.rmse_cycles, s.mape_percent)
}

/// Severson et al. 2019, Table 1, "variance" model, as reproduced from these files (see the data set's SOURCES.md).
#[test]
fn variance_model_reproduces_the_published_figures() {
    let Some(dir) = reference_dir() else { return };
    let dataset = Dataset::load(&dir).unwrap();
    assert_eq!(dataset.cells.len(), 124);
    let model = train_variance(&dataset, 1).unwrap();
    let eval = evaluate_model(&model, &dataset).unwrap();
    let published = [
        ("train", 103.6, 14.1),
        ("primary_test_excl_outlier", 138.3, 13.2),
        ("primary_test", 137.9, 14.7),
        ("secondary_test", 195.9, 11.4),
    ];
    for (split, rmse, mape) in published {
        let (r, m) = metrics(&eval, split);
        assert!((r - rmse).abs() < 0.1, "{split}: RMSE {r:.2} vs {rmse}");
        assert!((m - mape).abs() < 0.06, "{split}: MAPE {m:.2} vs {mape}");
    }
}

/// Same data hash, features, penalties, coefficients, ranges and interval, to tolerances: the committed JSON is the
/// same computation, but a release build (which wrote it) or another libm can move the last digits.
fn assert_same_model(model: &Model, committed: &Model) {
    assert_eq!(model.training.training_data_sha256, committed.training.training_data_sha256);
    assert_eq!((&model.name, &model.version), (&committed.name, &committed.version));
    assert_eq!(model.feature_names, committed.feature_names);
    assert_eq!(model.members.len(), committed.members.len());
    for (a, b) in model.members.iter().zip(&committed.members) {
        assert_eq!((&a.feature_set, &a.feature_names, a.penalty), (&b.feature_set, &b.feature_names, b.penalty));
        assert!((a.fit.intercept - b.fit.intercept).abs() < 1e-9);
        for (x, y) in a.fit.coefficients.iter().zip(&b.fit.coefficients) {
            assert!((x - y).abs() < 1e-7, "coefficient {x} vs committed {y}");
        }
    }
    assert!((model.interval.log10_half_width - committed.interval.log10_half_width).abs() < 1e-7);
    // Debug and release builds may differ in the last bits of a feature, so ranges are compared to 1e-9.
    assert_eq!(model.feature_ranges.len(), committed.feature_ranges.len());
    for (a, b) in model.feature_ranges.iter().zip(&committed.feature_ranges) {
        assert_eq!(a.name, b.name);
        let tol = 1e-9 * (b.max - b.min).abs().max(1e-12);
        assert!((a.min - b.min).abs() <= tol && (a.max - b.max).abs() <= tol, "{a:?} vs {b:?}");
    }
}

#[test]
fn training_again_reproduces_the_committed_model() {
    let Some(dir) = reference_dir() else { return };
    let dataset = Dataset::load(&dir).unwrap();
    let committed = embedded_model();
    assert_same_model(&train(&dataset, committed.training.seed).unwrap(), committed);
    let curves = embedded_curves_model();
    assert_same_model(&train_curves_only(&dataset, curves.training.seed).unwrap(), curves);
}

#[test]
fn training_never_reads_the_test_splits() {
    let Some(dir) = reference_dir() else { return };
    let dataset = Dataset::load(&dir).unwrap();
    // Scramble every test cell's life and curves: a model trained on train only cannot change.
    let mut scrambled = dataset.clone();
    for c in scrambled.cells.iter_mut().filter(|c| c.split != Split::Train) {
        c.cycle_life = 1.0;
        for curve in &mut c.early.curves {
            curve.discharge_capacity_ah.iter_mut().for_each(|q| *q *= 3.0);
        }
    }
    assert_eq!(train_variance(&dataset, 5).unwrap(), train_variance(&scrambled, 5).unwrap());
    let committed = embedded_model();
    assert_same_model(&train(&scrambled, committed.training.seed).unwrap(), committed);
}

#[test]
fn committed_model_beats_the_variance_model_and_its_interval_covers_held_out_cells() {
    let Some(dir) = reference_dir() else { return };
    let dataset = Dataset::load(&dir).unwrap();
    let variance = evaluate_model(&train_variance(&dataset, 1).unwrap(), &dataset).unwrap();
    let model = evaluate_model(embedded_model(), &dataset).unwrap();
    assert!(model.cv_rmse_cycles.unwrap() < variance.cv_rmse_cycles.unwrap());
    for split in ["primary_test_excl_outlier", "secondary_test"] {
        assert!(metrics(&model, split).0 < metrics(&variance, split).0, "{split}");
        let coverage = model.splits.iter().find(|s| s.split == split).unwrap().interval_coverage.unwrap();
        // 90 % nominal on ~40 cells: a binomial 1st percentile is about 80 %.
        assert!(coverage >= 0.8, "{split}: coverage {coverage}");
    }
}
