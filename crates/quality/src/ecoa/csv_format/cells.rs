//! Typed values from CSV cells; a cell that does not parse is an error at that cell.

use super::table::Cell;
use crate::ecoa::error::EcoaError;
use crate::ecoa::model::{Conformity, Qualifier, SupplierIdScheme};
use time::Date;

pub(super) fn number(cell: &Cell<'_>) -> Result<f64, EcoaError> {
    // Rust also reads "NaN" and "inf"; the semantic checks refuse those as impossible values.
    cell.text.parse::<f64>().map_err(|_| invalid(cell, "a number (decimal point, e.g. 0.25)"))
}

pub(super) fn count(cell: &Cell<'_>) -> Result<u32, EcoaError> {
    cell.text.parse::<u32>().map_err(|_| invalid(cell, "a whole number of measurements"))
}

pub(super) fn date(cell: &Cell<'_>) -> Result<Date, EcoaError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(cell.text, &format).map_err(|_| invalid(cell, "a date as YYYY-MM-DD"))
}

pub(super) fn scheme(cell: &Cell<'_>) -> Result<SupplierIdScheme, EcoaError> {
    match cell.text.to_ascii_lowercase().as_str() {
        "bpn" => Ok(SupplierIdScheme::Bpn),
        "duns" => Ok(SupplierIdScheme::Duns),
        "vat" => Ok(SupplierIdScheme::Vat),
        "gln" => Ok(SupplierIdScheme::Gln),
        "other" => Ok(SupplierIdScheme::Other),
        _ => Err(invalid(cell, "one of bpn, duns, vat, gln, other")),
    }
}

pub(super) fn qualifier(cell: &Cell<'_>) -> Result<Qualifier, EcoaError> {
    match cell.text {
        "<" => Ok(Qualifier::Below),
        ">" => Ok(Qualifier::Above),
        _ => Err(invalid(cell, "`<` or `>`")),
    }
}

/// A value cell may carry its qualifier: "<0.5".
pub(super) fn split_qualifier(text: &str) -> (Option<Qualifier>, &str) {
    if let Some(rest) = text.strip_prefix('<') {
        (Some(Qualifier::Below), rest.trim_start())
    } else if let Some(rest) = text.strip_prefix('>') {
        (Some(Qualifier::Above), rest.trim_start())
    } else {
        (None, text)
    }
}

pub(super) fn conformity(cell: &Cell<'_>) -> Result<Conformity, EcoaError> {
    match cell.text.to_ascii_lowercase().as_str() {
        "pass" | "passed" => Ok(Conformity::Pass),
        "fail" | "failed" => Ok(Conformity::Fail),
        _ => Err(invalid(cell, "`pass` or `fail`")),
    }
}

pub(super) fn invalid(cell: &Cell<'_>, expected: &str) -> EcoaError {
    EcoaError::Invalid { at: cell.at.clone(), message: format!("`{}` is not {expected}", cell.text) }
}
