//! From a CSV table to a [`Coa`], remembering where each value came from for the semantic checks.

use super::cells::{self, invalid};
use super::table::{Cell, Row, Table};
use crate::ecoa::check::{CharField, HeaderField, Locate};
use crate::ecoa::error::{EcoaError, Location};
use crate::ecoa::model::*;
use crate::ecoa::units::Unit;
use std::collections::HashMap;

/// Where the values of a CSV CoA are: certificate-level cells and each characteristic's row.
pub(super) struct CsvPlaces {
    header: HashMap<&'static str, Location>,
    row_lines: Vec<u64>,
    columns: HashMap<&'static str, u64>,
    first_row_line: u64,
}

pub(super) fn build(table: &Table) -> Result<(Coa, CsvPlaces), EcoaError> {
    let mut places = CsvPlaces {
        header: HashMap::new(),
        row_lines: table.rows.iter().map(|r| r.line).collect(),
        columns: table.columns.iter().map(|(name, i)| (*name, *i as u64 + 1)).collect(),
        first_row_line: table.rows[0].line,
    };
    let mut text = |name: &'static str| -> Result<Option<String>, EcoaError> {
        Ok(table.repeated(name)?.map(|cell| {
            places.header.insert(name, cell.at.clone());
            cell.text.to_owned()
        }))
    };
    let document_id = text("document_id")?;
    let supplier_id = text("supplier_id")?;
    let supplier_name = text("supplier_name")?;
    let material_id = text("material_id")?;
    let lot_number = text("lot_number")?;
    let quantity_unit = text("quantity_unit")?;
    let approved_by = text("approved_by")?;
    let coa = Coa {
        ecoa_version: ECOA_VERSION.to_owned(),
        document_id: document_id.unwrap_or_default(),
        issued_on: table.repeated("issued_on")?.map(|c| cells::date(&c)).transpose()?,
        supplier: Supplier {
            id: supplier_id.unwrap_or_default(),
            id_scheme: cells::scheme(&table.required("supplier_id_scheme")?)?,
            name: supplier_name.unwrap_or_default(),
        },
        material: Material {
            id: material_id.unwrap_or_default(),
            name: text("material_name")?,
            supplier_material_number: text("supplier_material_number")?,
        },
        lot: Lot {
            number: lot_number.unwrap_or_default(),
            quantity: quantity(table, quantity_unit)?,
            manufactured_on: cells::date(&table.required("manufactured_on")?)?,
            expires_on: table.repeated("expires_on")?.map(|c| cells::date(&c)).transpose()?,
        },
        purchase_order: text("purchase_order")?,
        delivery_note: text("delivery_note")?,
        characteristics: table.rows.iter().map(|row| characteristic(table, row)).collect::<Result<_, _>>()?,
        approval: Approval {
            approved_by: approved_by.unwrap_or_default(),
            approved_on: table.repeated("approved_on")?.map(|c| cells::date(&c)).transpose()?,
            signature: text("signature")?,
            document_sha256: text("document_sha256")?,
        },
        attachments: attachments(table.repeated("attachments")?)?,
    };
    for name in ["document_id", "supplier_id", "supplier_name", "material_id", "lot_number", "approved_by"] {
        table.required(name)?;
    }
    if coa.approval.signature.is_none() && coa.approval.document_sha256.is_none() {
        return Err(EcoaError::Invalid {
            at: Location::cell(places.first_row_line, places.column("document_sha256"), "document_sha256"),
            message: "an approval needs a `signature` or a `document_sha256`".into(),
        });
    }
    if let Some(cell) = table.repeated("quantity")? {
        places.header.insert("quantity", cell.at);
    }
    for name in ["expires_on", "attachments"] {
        if let Some(cell) = table.repeated(name)? {
            places.header.insert(name, cell.at);
        }
    }
    Ok((coa, places))
}

fn quantity(table: &Table, unit: Option<String>) -> Result<Option<Quantity>, EcoaError> {
    match (table.repeated("quantity")?, unit) {
        (None, None) => Ok(None),
        (Some(cell), Some(unit)) => Ok(Some(Quantity { value: cells::number(&cell)?, unit })),
        (Some(cell), None) => Err(EcoaError::Invalid { at: cell.at, message: "quantity without quantity_unit".into() }),
        (None, Some(_)) => Err(EcoaError::Invalid {
            at: Location::cell(table.rows[0].line, table.column_number("quantity"), "quantity"),
            message: "quantity_unit without quantity".into(),
        }),
    }
}

fn characteristic(table: &Table, row: &Row) -> Result<Characteristic, EcoaError> {
    let cell = |name| table.cell(row, name);
    let Some(name) = cell("characteristic") else {
        return Err(EcoaError::Invalid {
            at: Location::cell(row.line, table.column_number("characteristic"), "characteristic"),
            message: "characteristic name is empty".into(),
        });
    };
    let number = |name| cell(name).map(|c| cells::number(&c)).transpose();
    let limits = Limits { lower: number("lower_limit")?, upper: number("upper_limit")?, target: number("target")? };
    Ok(Characteristic {
        name: name.text.to_owned(),
        method: cell("method").map(|c| c.text.to_owned()),
        unit: Unit::parse(cell("unit").map_or("", |c| c.text)),
        result: measurement(table, row)?,
        limits: (limits != Limits::default()).then_some(limits),
        conformity: cell("conformity").map(|c| cells::conformity(&c)).transpose()?,
    })
}

fn measurement(table: &Table, row: &Row) -> Result<Measurement, EcoaError> {
    let cell = |name| table.cell(row, name);
    let number = |name| cell(name).map(|c| cells::number(&c)).transpose();
    let summary_cell = ["n", "mean", "min", "max", "stdev"].into_iter().find_map(cell);
    match (cell("value"), summary_cell) {
        (Some(value), None) => {
            let (embedded, digits) = cells::split_qualifier(value.text);
            let value_number = cells::number(&Cell { text: digits, at: value.at.clone() })?;
            let column = cell("qualifier").map(|c| cells::qualifier(&c)).transpose()?;
            if let (Some(a), Some(b)) = (embedded, column)
                && a != b
            {
                return Err(invalid(&value, "consistent with the qualifier column"));
            }
            Ok(Measurement::Single { value: value_number, qualifier: embedded.or(column) })
        }
        (None, Some(_)) => {
            let n = cell("n").ok_or_else(|| missing(table, row, "n", "a summary needs n and mean"))?;
            let mean = cell("mean").ok_or_else(|| missing(table, row, "mean", "a summary needs n and mean"))?;
            Ok(Measurement::Summary {
                n: cells::count(&n)?,
                mean: cells::number(&mean)?,
                min: number("min")?,
                max: number("max")?,
                stdev: number("stdev")?,
            })
        }
        (Some(value), Some(_)) => Err(EcoaError::Invalid {
            at: value.at,
            message: "give either value or n/mean/min/max/stdev, not both".into(),
        }),
        (None, None) => Err(missing(table, row, "value", "no result: give value or n and mean")),
    }
}

fn missing(table: &Table, row: &Row, name: &'static str, message: &str) -> EcoaError {
    EcoaError::Invalid { at: Location::cell(row.line, table.column_number(name), name), message: message.to_owned() }
}

/// `name=sha256` entries separated by `|`.
fn attachments(cell: Option<Cell<'_>>) -> Result<Vec<Attachment>, EcoaError> {
    let Some(cell) = cell else { return Ok(Vec::new()) };
    cell.text
        .split('|')
        .map(|entry| match entry.trim().rsplit_once('=') {
            Some((name, hash)) if !name.trim().is_empty() => {
                Ok(Attachment { name: name.trim().to_owned(), sha256: hash.trim().to_owned(), media_type: None })
            }
            _ => Err(invalid(&cell, "a list of name=sha256 entries separated by |")),
        })
        .collect()
}

impl CsvPlaces {
    fn column(&self, name: &str) -> u64 {
        self.columns.get(name).copied().unwrap_or(0)
    }

    fn header_cell(&self, name: &'static str) -> Location {
        self.header.get(name).cloned().unwrap_or_else(|| Location::cell(self.first_row_line, self.column(name), name))
    }
}

impl Locate for CsvPlaces {
    fn header(&self, field: HeaderField) -> Location {
        self.header_cell(match field {
            HeaderField::SupplierId => "supplier_id",
            HeaderField::MaterialId => "material_id",
            HeaderField::Quantity => "quantity",
            HeaderField::ExpiresOn => "expires_on",
            HeaderField::DocumentSha256 => "document_sha256",
            HeaderField::Attachment(_) => "attachments",
        })
    }

    fn characteristic(&self, index: usize, field: CharField) -> Location {
        let name = match field {
            CharField::Name => "characteristic",
            CharField::Value => "value",
            CharField::N => "n",
            CharField::Mean => "mean",
            CharField::Min => "min",
            CharField::Max => "max",
            CharField::Stdev => "stdev",
            CharField::Lower => "lower_limit",
            CharField::Upper => "upper_limit",
            CharField::Target => "target",
        };
        let line = self.row_lines.get(index).copied().unwrap_or(self.first_row_line);
        Location::cell(line, self.column(name), name)
    }
}
