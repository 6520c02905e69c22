//! The JSON reader: syntax, then the embedded schema (unknown members refused), then semantic checks.

use super::check::{self, CharField, HeaderField, Intake, Locate};
use super::error::{EcoaError, Location};
use super::model::Coa;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;
use std::sync::OnceLock;

/// Our published eCoA JSON schema (draft 2020-12), as served at `/api/v1/schemas/ecoa.json`.
pub const SCHEMA: &str = include_str!("../../schemas/ecoa-1.0.schema.json");

/// Parses and checks an eCoA JSON document.
pub fn parse_json(bytes: &[u8]) -> Result<Coa, EcoaError> {
    parse_json_with(bytes, &Intake::default())
}

/// [`parse_json`], also checking the supplier and material against what the caller knows.
pub fn parse_json_with(bytes: &[u8], intake: &Intake) -> Result<Coa, EcoaError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| EcoaError::Malformed {
        format: "JSON".into(),
        at: Location::text(e.line() as u64, e.column() as u64),
        message: e.to_string(),
    })?;
    // `is_valid` stops at the first failure without building errors; only an invalid CoA pays for them.
    if !validator().is_valid(&value)
        && let Some(error) = validator().iter_errors(&value).next()
    {
        return Err(schema_error(&error));
    }
    // The schema admits only what `Coa` reads; this can fail only on a date the calendar lacks.
    let coa: Coa = serde_json::from_value(value)
        .map_err(|e| EcoaError::Invalid { at: Location::pointer(""), message: e.to_string() })?;
    check::check(&coa, &Pointers, intake)?;
    Ok(coa)
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA).expect("the embedded eCoA schema is JSON");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .expect("the embedded eCoA schema compiles")
    })
}

/// Points a schema error at the offending member itself (a missing or unknown one included).
fn schema_error(error: &jsonschema::ValidationError<'_>) -> EcoaError {
    let at = error.instance_path().as_str().to_owned();
    let (pointer, message) = match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            (format!("{at}/{}", escape(name)), format!("required member `{name}` is missing"))
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let name = unexpected.first().map(String::as_str).unwrap_or_default();
            (format!("{at}/{}", escape(name)), format!("unknown member `{name}`"))
        }
        _ => (at, error.to_string()),
    };
    EcoaError::Invalid { at: Location::pointer(pointer), message }
}

/// RFC 6901 escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Locations in a JSON document are pointers.
struct Pointers;

impl Locate for Pointers {
    fn header(&self, field: HeaderField) -> Location {
        Location::pointer(match field {
            HeaderField::SupplierId => "/supplier/id".to_owned(),
            HeaderField::MaterialId => "/material/id".to_owned(),
            HeaderField::Quantity => "/lot/quantity/value".to_owned(),
            HeaderField::ExpiresOn => "/lot/expiresOn".to_owned(),
            HeaderField::DocumentSha256 => "/approval/documentSha256".to_owned(),
            HeaderField::Attachment(i) => format!("/attachments/{i}/sha256"),
        })
    }

    fn characteristic(&self, index: usize, field: CharField) -> Location {
        let member = match field {
            CharField::Name => "name",
            CharField::Value => "result/value",
            CharField::N => "result/n",
            CharField::Mean => "result/mean",
            CharField::Min => "result/min",
            CharField::Max => "result/max",
            CharField::Stdev => "result/stdev",
            CharField::Lower => "limits/lower",
            CharField::Upper => "limits/upper",
            CharField::Target => "limits/target",
        };
        Location::pointer(format!("/characteristics/{index}/{member}"))
    }
}
