//! Electronic Certificates of Analysis (eCoA): what a supplier certifies for one lot.
//!
//! # Formats
//!
//! **JSON** ([`parse_json`]) in our format, whose schema ([`SCHEMA`], draft 2020-12, published at
//! `/api/v1/schemas/ecoa.json`) refuses members it does not define. It carries what real CoAs carry
//! (compare RosettaNet PIP 2A17 and Catena-X CX-0165): supplier (name, BPN or other id), material (our
//! number, name, supplier material number), lot (number, quantity, manufacturing and expiry dates),
//! purchase order and delivery note, characteristics (name, method, unit, a single result with an optional
//! `<`/`>` detection-limit qualifier or n/mean/min/max/stdev, the limits the supplier claims, pass/fail),
//! approval (approver, date, signature and/or SHA-256 of the supplier's document) and attachments by hash.
//!
//! **CSV** ([`parse_csv`]): a header row, then one row per characteristic. Certificate-level columns are
//! repeated on every row; an empty cell means "same as above", a different value is an error (one CoA per
//! file). Columns may come in any order; unknown columns are refused; `*` marks required columns. Lines
//! starting with `#` are comments; the delimiter is `,` or, when the header has only semicolons, `;`;
//! numbers use a decimal point; dates are `YYYY-MM-DD`.
//!
//! | column | meaning |
//! | --- | --- |
//! | `document_id`* | the supplier's certificate number |
//! | `issued_on` | date of issue |
//! | `supplier_id`*, `supplier_id_scheme`* | supplier identifier and its scheme: `bpn`, `duns`, `vat`, `gln`, `other` |
//! | `supplier_name`* | supplier name |
//! | `material_id`* | our material number |
//! | `material_name`, `supplier_material_number` | material name, the supplier's material number |
//! | `lot_number`* | lot / batch |
//! | `quantity`, `quantity_unit` | delivered amount and its counting unit (kg, t, m², rolls) |
//! | `manufactured_on`*, `expires_on` | manufacturing and expiry dates |
//! | `purchase_order`, `delivery_note` | our order, the delivery note |
//! | `approved_by`*, `approved_on` | approver and date |
//! | `signature`, `document_sha256` | signature and/or SHA-256 of the supplier's document (one is needed) |
//! | `attachments` | `name=sha256` entries separated by `\|` |
//! | `characteristic`* | characteristic name (D50, Fe, Moisture...) |
//! | `method` | test method |
//! | `unit`* | unit as written (may be empty: dimensionless) |
//! | `value`, `qualifier` | a single result; `qualifier` `<` or `>`, or written into the value (`<0.5`) |
//! | `n`, `mean`, `min`, `max`, `stdev` | a summary of n measurements instead of `value` |
//! | `lower_limit`, `upper_limit`, `target` | the limits the supplier claims |
//! | `conformity` | the supplier's verdict: `pass` or `fail` |
//!
//! The supplier's own PDF is kept by hash ([`content_hash`]), never parsed.
//!
//! # Errors
//!
//! Every [`EcoaError`] names where ([`Location`]): a JSON pointer, or a line and column (for CSV the
//! column is the field number and the column name is given). Refused: malformed JSON/CSV, schema
//! violations and unknown members or columns, unknown materials and a supplier other than the one the CoA
//! is submitted for (when the caller passes an [`Intake`]), impossible values (NaN, negative ppm, more than
//! 100 %, min above mean, expiry before manufacture), duplicated characteristics.
//!
//! # Revisions
//!
//! A re-sent CoA for the same lot is a new revision of it; the store keys them by [`Coa::lot_key`] and
//! tells revisions apart by [`content_hash`] of the original bytes.

mod check;
mod csv_format;
mod error;
mod json;
mod model;
pub mod units;

pub use check::Intake;
pub use csv_format::{CSV_COLUMNS, CsvColumn, parse_csv, parse_csv_with};
pub use error::{EcoaError, Location};
pub use json::{SCHEMA, parse_json, parse_json_with};
pub use model::*;

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of the bytes as received (JSON, CSV or the supplier's PDF).
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
