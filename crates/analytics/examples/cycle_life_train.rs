//! Trains the cycle-life models on the reference set and writes them as the committed models.
//!
//! `cargo run -p analytics --release --example cycle_life_train -- [DATASET_DIR] [OUT_DIR] [SEED]` writes
//! `OUT_DIR/cycle_life.json` and `OUT_DIR/cycle_life_curves.json` (default `crates/analytics/models`).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "../shared/reference/datasets/severson2019_qdlin".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "crates/analytics/models".into()));
    let seed: u64 = args.next().map_or(Ok(analytics::cycle_life::train::DEFAULT_SEED), |s| s.parse())?;
    let dataset = analytics::cycle_life::Dataset::load(&dir)?;
    let models = [
        ("cycle_life.json", analytics::cycle_life::train(&dataset, seed)?),
        ("cycle_life_curves.json", analytics::cycle_life::train_curves_only(&dataset, seed)?),
    ];
    for (file, model) in models {
        let path = out.join(file);
        std::fs::write(&path, serde_json::to_string_pretty(&model)? + "\n")?;
        eprintln!("wrote {} ({}, cv rmse {:.1})", path.display(), model.id(), model.training.cv_rmse_cycles);
    }
    Ok(())
}
