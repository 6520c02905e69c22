//! Helpers shared by the cycle-life test files: the committed five-cell fixture.

// Each test binary includes this module and uses only some of the helpers.
#![allow(dead_code)]

use std::path::PathBuf;

use analytics::cycle_life::{Dataset, EarlyCycles, Split};

pub fn fixture() -> Dataset {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/severson");
    Dataset::load(&dir).expect("fixture loads")
}

pub fn cell(dataset: &Dataset, split: Split, index: u32) -> &EarlyCycles {
    &dataset.cells.iter().find(|c| c.split == split && c.cell_index == index).expect("cell in fixture").early
}

pub fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}
