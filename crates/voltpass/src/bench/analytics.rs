//! Analytics benchmark (issue 8): how good the models are, each against a baseline measured in the same run, and
//! how fast they answer.
//!
//! - End-of-line anomaly screening on synthetic batches drawn from the real RWTH and Weng cells with injected
//!   faults of known kind and size: precision, recall and ROC AUC per fault kind, multivariate (FastMCD
//!   Mahalanobis) against univariate (robust z).
//! - Cycle life from the first 100 cycles on the Severson split: RMSE and mean % error of the best model against
//!   the paper's variance model and the mean predictor, interval coverage.
//! - Remaining useful life at half of life on the NASA cells against a two-point line.
//! - Line first-pass yield: the one-day-ahead forecast on simulated lines against "tomorrow = today".
//! - Speed: cells screened per second (a 10,000-cell line window), cycle-life predictions per second.

use std::path::PathBuf;
use std::time::Instant;

use analytics::anomaly::{CellFeatures, FaultKind, ScreenConfig};
use analytics::line_yield::{DayCount, forecast};
use anyhow::Context;
use clap::Args as ClapArgs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

#[derive(ClapArgs)]
pub struct Args {
    /// The reference datasets (Severson, NASA, RWTH, Weng), read-only.
    #[arg(long, default_value = "../shared/reference/datasets")]
    datasets: PathBuf,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn fault_name(kind: FaultKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// Anomaly figures: per fault kind, the mean over sources and sizes of each method's AUC and recall.
fn anomaly(args: &Args, figures: &mut serde_json::Map<String, Value>) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = analytics::anomaly::evaluate(&args.datasets, args.seed).context("anomaly evaluation")?;
    println!(
        "End-of-line anomaly screening ({} cells per batch, {} faulty):",
        report.batch_size, report.faulty_per_batch
    );
    print!("{}", report.table());
    let mut kinds: Vec<FaultKind> = report.results.iter().map(|r| r.fault).collect();
    kinds.dedup();
    kinds.sort_by_key(|k| fault_name(*k));
    kinds.dedup();
    println!(
        "{:<20} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "fault", "U.AUC", "M.AUC", "U.recall", "M.recall", "U.prec", "M.prec"
    );
    for kind in kinds {
        let of = |f: &dyn Fn(&analytics::anomaly::FaultResult) -> Option<f64>| {
            mean(&report.results.iter().filter(|r| r.fault == kind).filter_map(f).collect::<Vec<_>>())
        };
        let name = fault_name(kind);
        if kind == FaultKind::None {
            let fp_u = of(&|r| Some(r.univariate.false_positives as f64 / r.n_cells as f64)).unwrap_or(0.0);
            let fp_m = of(&|r| Some(r.multivariate.false_positives as f64 / r.n_cells as f64)).unwrap_or(0.0);
            println!(
                "{name:<20} false alarm rate: univariate {:.2} %, multivariate {:.2} %",
                100.0 * fp_u,
                100.0 * fp_m
            );
            figures.insert("anomaly_false_alarm_rate_univariate".into(), json!(round(fp_u, 4)));
            figures.insert("anomaly_false_alarm_rate_multivariate".into(), json!(round(fp_m, 4)));
            continue;
        }
        let values = [
            ("auc_univariate", of(&|r| r.univariate.roc_auc)),
            ("auc_multivariate", of(&|r| r.multivariate.roc_auc)),
            ("recall_univariate", of(&|r| r.univariate.recall)),
            ("recall_multivariate", of(&|r| r.multivariate.recall)),
            ("precision_univariate", of(&|r| r.univariate.precision)),
            ("precision_multivariate", of(&|r| r.multivariate.precision)),
        ];
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        println!(
            "{name:<20} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            f(values[0].1),
            f(values[1].1),
            f(values[2].1),
            f(values[3].1),
            f(values[4].1),
            f(values[5].1)
        );
        for (key, value) in values {
            figures.insert(format!("anomaly_{name}_{key}"), json!(value.map(|v| round(v, 4))));
        }
    }
    figures.insert("anomaly_cases".into(), serde_json::to_value(&report.results)?);
    figures.insert("anomaly_eval_s".into(), json!(round(started.elapsed().as_secs_f64(), 2)));
    Ok(())
}

fn cycle_life(args: &Args, figures: &mut serde_json::Map<String, Value>) -> anyhow::Result<()> {
    let dir = args.datasets.join("severson2019_qdlin");
    // The seed the shipped model was trained with, so the figures are the shipped model's.
    let seed = analytics::cycle_life::embedded_model().training.seed;
    let report = analytics::cycle_life::evaluate(&dir, seed).context("cycle-life evaluation")?;
    println!(
        "\nCycle life from the first 100 cycles (Severson et al. 2019 split, seed {seed}), RMSE cycles / mean % error:"
    );
    println!("{:<28} {:>16} {:>16} {:>16} {:>16}", "model", "train", "primary", "primary excl.", "secondary");
    let models = [
        ("mean_baseline", &report.mean_baseline),
        ("variance_model", &report.variance_model),
        ("best_model", &report.model),
        ("curves_only_model", &report.curves_only_model),
    ];
    for (key, m) in models {
        let cell = |split: &str| {
            m.splits
                .iter()
                .find(|s| s.split == split)
                .map_or("-".into(), |s| format!("{:.1} / {:.1} %", s.rmse_cycles, s.mape_percent))
        };
        println!(
            "{:<28} {:>16} {:>16} {:>16} {:>16}",
            key,
            cell("train"),
            cell("primary_test"),
            cell("primary_test_excl_outlier"),
            cell("secondary_test")
        );
        for s in &m.splits {
            figures.insert(format!("cycle_life_{key}_{}_rmse_cycles", s.split), json!(round(s.rmse_cycles, 1)));
            figures.insert(format!("cycle_life_{key}_{}_mape_pct", s.split), json!(round(s.mape_percent, 2)));
            if let Some(c) = s.interval_coverage {
                figures.insert(format!("cycle_life_{key}_{}_interval_coverage", s.split), json!(round(c, 3)));
            }
        }
    }
    let ratio = |split: &str| {
        let of = |m: &analytics::cycle_life::ModelEvaluation| {
            m.splits.iter().find(|s| s.split == split).map(|s| s.rmse_cycles)
        };
        of(&report.model).zip(of(&report.variance_model)).map(|(b, v)| round(b / v, 3))
    };
    println!(
        "best / variance-model RMSE: primary {:?}, secondary {:?}; nominal interval coverage {}",
        ratio("primary_test"),
        ratio("secondary_test"),
        report.nominal_coverage
    );
    figures.insert("cycle_life_best_over_variance_rmse_primary".into(), json!(ratio("primary_test")));
    figures.insert("cycle_life_best_over_variance_rmse_secondary".into(), json!(ratio("secondary_test")));
    figures.insert("cycle_life_nested_cv".into(), serde_json::to_value(&report.nested_cv)?);
    figures.insert("cycle_life_training_data_sha256".into(), json!(report.training_data_sha256));
    figures.insert("cycle_life_seed".into(), json!(seed));
    Ok(())
}

fn health(args: &Args, figures: &mut serde_json::Map<String, Value>) -> anyhow::Result<()> {
    let report = analytics::health::evaluate_nasa(&args.datasets, args.seed).context("NASA evaluation")?;
    println!("\nRemaining useful life at half of life (NASA PCoE):");
    for t in &report.thresholds {
        let pct = (100.0 * t.eol_fraction).round();
        println!(
            "end of life at {pct} %: {} cells, error {:.1} cycles ({:.0} %), interval coverage {:.0} %; two-point line {:.1} cycles ({:.0} %)",
            t.n,
            t.mae_cycles,
            100.0 * t.mean_relative_error,
            100.0 * t.coverage,
            t.baseline_mae_cycles,
            100.0 * t.baseline_mean_relative_error
        );
        figures.insert(format!("rul_eol{pct}_cells"), json!(t.n));
        figures.insert(format!("rul_eol{pct}_mae_cycles"), json!(round(t.mae_cycles, 1)));
        figures.insert(format!("rul_eol{pct}_interval_coverage"), json!(round(t.coverage, 3)));
        figures.insert(format!("rul_eol{pct}_baseline_mae_cycles"), json!(round(t.baseline_mae_cycles, 1)));
    }
    Ok(())
}

/// Simulated lines: a yield that drifts as a random walk on the log-odds scale with occasional steps, 1,000
/// cells a day for 120 days; the forecast against "tomorrow = today".
fn line_yield(args: &Args, figures: &mut serde_json::Map<String, Value>) {
    let mut rng = StdRng::seed_from_u64(args.seed);
    let (mut errors, mut naive, mut coverage) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..20 {
        let mut level: f64 = rng.random_range(2.0..4.0);
        let days: Vec<DayCount> = (0..120)
            .map(|d| {
                level += 0.05 * (rng.random::<f64>() - 0.5);
                if rng.random::<f64>() < 0.02 {
                    level -= 0.8;
                }
                let p = 1.0 / (1.0 + (-level).exp());
                let passed = (0..1000).filter(|_| rng.random::<f64>() < p).count() as u64;
                DayCount { day: format!("d{d:03}"), tested: 1000, passed }
            })
            .collect();
        let f = forecast(&days, 0.9);
        errors.extend(f.mean_absolute_error);
        naive.extend(f.naive_mean_absolute_error);
        coverage.extend(f.interval_coverage);
    }
    let (mae, naive_mae, cov) =
        (mean(&errors).unwrap_or(0.0), mean(&naive).unwrap_or(0.0), mean(&coverage).unwrap_or(0.0));
    println!(
        "\nLine first-pass yield, 20 simulated lines × 120 days: forecast error {:.3} points, tomorrow = today {:.3} (ratio {:.2}), interval coverage {:.0} % (nominal 90 %)",
        100.0 * mae,
        100.0 * naive_mae,
        mae / naive_mae,
        100.0 * cov
    );
    figures.insert("line_yield_mae_pct_points".into(), json!(round(100.0 * mae, 3)));
    figures.insert("line_yield_naive_mae_pct_points".into(), json!(round(100.0 * naive_mae, 3)));
    figures.insert("line_yield_interval_coverage".into(), json!(round(cov, 3)));
}

/// Cells screened per second on one 10,000-cell window, and cycle-life predictions per second.
fn speed(args: &Args, figures: &mut serde_json::Map<String, Value>) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(args.seed);
    let cells: Vec<CellFeatures> = (0..10_000)
        .map(|i| {
            let capacity = 50.0 + rng.random::<f64>() - 0.5;
            let features = [
                ("capacityAh".to_string(), capacity),
                ("internalResistanceMohm".to_string(), 1.0 - 0.01 * (capacity - 50.0) + 0.02 * rng.random::<f64>()),
                ("ocvV".to_string(), 3.65 + 0.004 * rng.random::<f64>()),
                ("massG".to_string(), 880.0 + 4.0 * rng.random::<f64>()),
                ("kValueMvPerDay".to_string(), 0.05 + 0.01 * rng.random::<f64>()),
            ];
            CellFeatures { id: format!("C{i:05}"), features: features.into_iter().collect() }
        })
        .collect();
    let started = Instant::now();
    let screening = analytics::anomaly::screen(&cells, &ScreenConfig::default())?;
    let screen_s = started.elapsed().as_secs_f64();
    let flagged = screening.cells.iter().filter(|c| c.flagged).count();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../analytics/fixtures/severson");
    let dataset = analytics::cycle_life::Dataset::load(&fixture)?;
    let started = Instant::now();
    let mut predictions = 0;
    while started.elapsed().as_secs_f64() < 1.0 {
        for cell in &dataset.cells {
            analytics::cycle_life::predict(&cell.early)?;
            predictions += 1;
        }
    }
    let per_s = predictions as f64 / started.elapsed().as_secs_f64();
    println!(
        "\nSpeed: screened 10,000 cells × 5 features in {:.0} ms ({:.0} cells/s, {flagged} flagged); {per_s:.0} cycle-life predictions/s",
        1000.0 * screen_s,
        10_000.0 / screen_s
    );
    figures.insert("screen_cells_per_s".into(), json!(round(10_000.0 / screen_s, 0)));
    figures.insert("screen_10k_ms".into(), json!(round(1000.0 * screen_s, 1)));
    figures.insert("cycle_life_predictions_per_s".into(), json!(round(per_s, 0)));
    Ok(())
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.datasets.is_dir(),
        "{} is not a directory: pass --datasets with the reference datasets (../shared/reference/datasets)",
        args.datasets.display()
    );
    let mut figures = serde_json::Map::new();
    figures.insert("bench".into(), json!("analytics"));
    figures.insert("seed".into(), json!(args.seed));
    anomaly(&args, &mut figures)?;
    cycle_life(&args, &mut figures)?;
    health(&args, &mut figures)?;
    line_yield(&args, &mut figures);
    speed(&args, &mut figures)?;
    if let Some(rss) = super::peak_rss_mib() {
        figures.insert("peak_rss_mib".into(), json!(round(rss, 1)));
    }
    println!("{}", Value::Object(figures));
    Ok(())
}
