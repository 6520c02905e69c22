//! Intake errors. Every error says where: a JSON pointer, or a line and column.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where in the submitted document an error is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// An RFC 6901 JSON pointer into the document ("" is the whole document).
    Pointer { pointer: String },
    /// 1-based line and column of the text. For JSON syntax errors the column counts characters; for CSV
    /// it is the 1-based field (column) number, and `field` names the column where known.
    Text {
        line: u64,
        column: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
}

impl Location {
    pub fn pointer(pointer: impl Into<String>) -> Location {
        Location::Pointer { pointer: pointer.into() }
    }

    pub fn text(line: u64, column: u64) -> Location {
        Location::Text { line, column, field: None }
    }

    pub fn cell(line: u64, column: u64, field: &str) -> Location {
        Location::Text { line, column, field: Some(field.to_owned()) }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Pointer { pointer } if pointer.is_empty() => f.write_str("the document root"),
            Location::Pointer { pointer } => write!(f, "{pointer}"),
            Location::Text { line, column, field: Some(field) } => {
                write!(f, "line {line}, column {column} ({field})")
            }
            Location::Text { line, column, field: None } => write!(f, "line {line}, column {column}"),
        }
    }
}

/// Why a CoA was refused at intake.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EcoaError {
    /// Not well-formed JSON or CSV.
    #[error("malformed {format} at {at}: {message}")]
    Malformed { format: String, at: Location, message: String },
    /// Well-formed, but not what our format allows (schema violation, unknown member or column, bad date).
    #[error("invalid eCoA at {at}: {message}")]
    Invalid { at: Location, message: String },
    #[error("unknown material `{material}` at {at}")]
    UnknownMaterial { at: Location, material: String },
    /// A value that cannot be physical: negative ppm, more than 100 %, NaN, min above max.
    #[error("impossible value at {at}: {message}")]
    ImpossibleValue { at: Location, message: String },
    #[error("characteristic `{name}` at {at} duplicates the one at {first}")]
    DuplicateCharacteristic { at: Location, name: String, first: Location },
    /// The CoA names a supplier other than the one it is submitted for.
    #[error("CoA at {at} is from supplier `{found}`, but was submitted for supplier `{expected}`")]
    WrongSupplier { at: Location, expected: String, found: String },
}

impl EcoaError {
    /// Where the error is.
    pub fn location(&self) -> &Location {
        match self {
            EcoaError::Malformed { at, .. }
            | EcoaError::Invalid { at, .. }
            | EcoaError::UnknownMaterial { at, .. }
            | EcoaError::ImpossibleValue { at, .. }
            | EcoaError::DuplicateCharacteristic { at, .. }
            | EcoaError::WrongSupplier { at, .. } => at,
        }
    }
}
