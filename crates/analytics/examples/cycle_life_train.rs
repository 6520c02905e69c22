//! Trains the cycle-life model on the reference set and writes it as the committed model.
//!
//! `cargo run -p analytics --release --example cycle_life_train -- [DATASET_DIR] [OUT_JSON] [SEED]`

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "../shared/reference/datasets/severson2019_qdlin".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "crates/analytics/models/cycle_life.json".into()));
    let seed: u64 = args.next().map_or(Ok(analytics::cycle_life::train::DEFAULT_SEED), |s| s.parse())?;
    let dataset = analytics::cycle_life::Dataset::load(&dir)?;
    let model = analytics::cycle_life::train(&dataset, seed)?;
    std::fs::write(&out, serde_json::to_string_pretty(&model)? + "\n")?;
    eprintln!("wrote {} ({}, cv rmse {:.1})", out.display(), model.id(), model.training.cv_rmse_cycles);
    Ok(())
}
