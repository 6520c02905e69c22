//! The CSV reader: one row per characteristic, certificate-level columns repeated on every row.

mod build;
mod cells;
mod columns;
mod table;

pub use columns::{CSV_COLUMNS, CsvColumn};

use super::check::{self, Intake};
use super::error::EcoaError;
use super::model::Coa;

/// Parses and checks an eCoA CSV file (columns: [`CSV_COLUMNS`]).
pub fn parse_csv(bytes: &[u8]) -> Result<Coa, EcoaError> {
    parse_csv_with(bytes, &Intake::default())
}

/// [`parse_csv`], also checking the supplier and material against what the caller knows.
pub fn parse_csv_with(bytes: &[u8], intake: &Intake) -> Result<Coa, EcoaError> {
    let table = table::Table::read(bytes)?;
    let (coa, places) = build::build(&table)?;
    check::check(&coa, &places, intake)?;
    Ok(coa)
}
