//! Prints the cycle-life benchmark report as JSON.
//!
//! `cargo run -p analytics --release --example cycle_life_eval -- [DATASET_DIR] [SEED]`

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "../shared/reference/datasets/severson2019_qdlin".into()));
    let seed: u64 = args.next().map_or(Ok(analytics::cycle_life::train::DEFAULT_SEED), |s| s.parse())?;
    let report = analytics::cycle_life::evaluate(&dir, seed)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
