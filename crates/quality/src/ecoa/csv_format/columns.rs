//! The documented CSV columns.

/// One CSV column: its header name, whether the header must have it, and whether it repeats a
/// certificate-level value on every row (`repeated`) or belongs to the row's characteristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvColumn {
    pub name: &'static str,
    pub required: bool,
    pub repeated: bool,
}

const fn repeated(name: &'static str, required: bool) -> CsvColumn {
    CsvColumn { name, required, repeated: true }
}

const fn per_row(name: &'static str, required: bool) -> CsvColumn {
    CsvColumn { name, required, repeated: false }
}

/// Every column the CSV format knows, in the recommended order; see the [`crate::ecoa`] docs for their
/// meaning. Any other column is refused.
pub const CSV_COLUMNS: &[CsvColumn] = &[
    repeated("document_id", true),
    repeated("issued_on", false),
    repeated("supplier_id", true),
    repeated("supplier_id_scheme", true),
    repeated("supplier_name", true),
    repeated("material_id", true),
    repeated("material_name", false),
    repeated("supplier_material_number", false),
    repeated("lot_number", true),
    repeated("quantity", false),
    repeated("quantity_unit", false),
    repeated("manufactured_on", true),
    repeated("expires_on", false),
    repeated("purchase_order", false),
    repeated("delivery_note", false),
    repeated("approved_by", true),
    repeated("approved_on", false),
    repeated("signature", false),
    repeated("document_sha256", false),
    repeated("attachments", false),
    per_row("characteristic", true),
    per_row("method", false),
    per_row("unit", true),
    per_row("qualifier", false),
    per_row("value", false),
    per_row("n", false),
    per_row("mean", false),
    per_row("min", false),
    per_row("max", false),
    per_row("stdev", false),
    per_row("lower_limit", false),
    per_row("upper_limit", false),
    per_row("target", false),
    per_row("conformity", false),
];

pub(crate) fn find(name: &str) -> Option<&'static CsvColumn> {
    CSV_COLUMNS.iter().find(|c| c.name == name)
}
