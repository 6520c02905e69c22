//! CSV syntax and header: bytes to a table of trimmed cells with their line numbers.

use super::columns::{self, CsvColumn};
use crate::ecoa::error::{EcoaError, Location};
use std::collections::HashMap;

pub(super) struct Table {
    /// Column name to 0-based field index.
    pub columns: HashMap<&'static str, usize>,
    pub rows: Vec<Row>,
}

pub(super) struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// A cell's text and where it is.
pub(super) struct Cell<'a> {
    pub text: &'a str,
    pub at: Location,
}

impl Table {
    pub fn read(bytes: &[u8]) -> Result<Table, EcoaError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(sniff_delimiter(bytes))
            .comment(Some(b'#'))
            .trim(::csv::Trim::All)
            .has_headers(true)
            .from_reader(bytes);
        let header = reader.headers().map_err(malformed)?.clone();
        let header_line = first_content_line(bytes);
        let columns = read_columns(&header, header_line)?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(malformed)?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push(Row { line, cells: record.iter().map(str::to_owned).collect() });
        }
        if rows.is_empty() {
            return Err(EcoaError::Invalid {
                at: Location::text(header_line + 1, 1),
                message: "no characteristic rows after the header".into(),
            });
        }
        Ok(Table { columns, rows })
    }

    /// The 1-based column number of a column, 0 if the header lacks it.
    pub fn column_number(&self, name: &str) -> u64 {
        self.columns.get(name).map_or(0, |i| *i as u64 + 1)
    }

    /// The non-empty cell of `row` in column `name`.
    pub fn cell<'a>(&self, row: &'a Row, name: &'static str) -> Option<Cell<'a>> {
        let index = *self.columns.get(name)?;
        let text = row.cells.get(index).map(String::as_str).filter(|t| !t.is_empty())?;
        Some(Cell { text, at: Location::cell(row.line, index as u64 + 1, name) })
    }

    /// A certificate-level value repeated on rows: the first non-empty cell; an empty cell means "same as
    /// above", a different non-empty cell is an error at that cell.
    pub fn repeated(&self, name: &'static str) -> Result<Option<Cell<'_>>, EcoaError> {
        let mut found: Option<Cell<'_>> = None;
        for row in &self.rows {
            let Some(cell) = self.cell(row, name) else { continue };
            match &found {
                None => found = Some(cell),
                Some(first) if first.text != cell.text => {
                    return Err(EcoaError::Invalid {
                        message: format!(
                            "`{}` differs from `{}` at {}; one CoA per file",
                            cell.text, first.text, first.at
                        ),
                        at: cell.at,
                    });
                }
                Some(_) => {}
            }
        }
        Ok(found)
    }

    /// Like [`Table::repeated`], but the column must have a value.
    pub fn required(&self, name: &'static str) -> Result<Cell<'_>, EcoaError> {
        self.repeated(name)?.ok_or_else(|| EcoaError::Invalid {
            at: Location::cell(self.rows[0].line, self.column_number(name), name),
            message: format!("`{name}` is empty on every row"),
        })
    }
}

/// The header's line: the first that is neither a comment nor empty (the reader skips those).
fn first_content_line(bytes: &[u8]) -> u64 {
    let skipped = bytes.split(|b| *b == b'\n').take_while(|l| l.starts_with(b"#") || l.trim_ascii().is_empty()).count();
    skipped as u64 + 1
}

/// `;` when the header line has semicolons and no commas (spreadsheets in many European locales).
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|b| *b == b'\n').nth(first_content_line(bytes) as usize - 1).unwrap_or_default();
    if header.contains(&b';') && !header.contains(&b',') { b';' } else { b',' }
}

fn read_columns(header: &::csv::StringRecord, line: u64) -> Result<HashMap<&'static str, usize>, EcoaError> {
    let mut columns = HashMap::new();
    for (index, name) in header.iter().enumerate() {
        let at = Location::cell(line, index as u64 + 1, name);
        let Some(column) = columns::find(&name.to_ascii_lowercase()) else {
            return Err(EcoaError::Invalid { at, message: format!("unknown column `{name}`") });
        };
        if columns.insert(column.name, index).is_some() {
            return Err(EcoaError::Invalid { at, message: format!("column `{name}` appears twice") });
        }
    }
    let missing = columns::CSV_COLUMNS.iter().find(|c: &&CsvColumn| c.required && !columns.contains_key(c.name));
    match missing {
        Some(column) => Err(EcoaError::Invalid {
            at: Location::cell(line, header.len() as u64 + 1, column.name),
            message: format!("required column `{}` is missing", column.name),
        }),
        None => Ok(columns),
    }
}

fn malformed(error: ::csv::Error) -> EcoaError {
    let (line, column) = match error.kind() {
        ::csv::ErrorKind::UnequalLengths { pos, expected_len, len } => {
            (pos.as_ref().map_or(0, |p| p.line()), (*expected_len).min(*len) + 1)
        }
        ::csv::ErrorKind::Utf8 { pos, err } => (pos.as_ref().map_or(0, |p| p.line()), err.field() as u64 + 1),
        _ => (error.position().map_or(0, |p| p.line()), 1),
    };
    EcoaError::Malformed { format: "CSV".into(), at: Location::text(line, column), message: error.to_string() }
}
