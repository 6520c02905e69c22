//! Small helpers shared by the aspect mappings.

use super::MappingError;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub(super) const GPI: &str = "/generalProductInformation";
pub(super) const MANUFACTURER: &str = "/generalProductInformation/manufacturerInformation";
pub(super) const TECHNICAL: &str = "/performance/batteryTechicalProperties";
pub(super) const CONDITION: &str = "/performance/batteryCondition";
/// Battery components in canonical order.
pub(super) const COMPONENTS: [&str; 3] = ["pack", "module", "cell"];
/// Written where a URI is required and the document has no passport identifier; never read back.
pub(super) const UNASSIGNED: &str = "urn:voltpass:unassigned";

pub(super) fn invalid(pointer: &str, reason: String) -> MappingError {
    MappingError::Invalid { pointer: pointer.to_string(), reason }
}

pub(super) fn get<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    value.pointer(pointer)
}

pub(super) fn cloned(value: &Value, pointer: &str) -> Option<Value> {
    value.pointer(pointer).cloned()
}

pub(super) fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// The elements of the array at `pointer` (none if absent or not an array).
pub(super) fn all<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    value.pointer(pointer).and_then(Value::as_array).into_iter().flatten()
}

/// An object of the present members.
pub(super) fn obj<'a>(members: impl IntoIterator<Item = (&'a str, Option<Value>)>) -> Value {
    Value::Object(members.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect::<Map<_, _>>())
}

/// Like [`obj`], but `None` when no member is present (a group the document has nothing for is left out).
pub(super) fn group<'a>(members: impl IntoIterator<Item = (&'a str, Option<Value>)>) -> Option<Value> {
    let value = obj(members);
    value.as_object().is_some_and(|m| !m.is_empty()).then_some(value)
}

/// Maps every element of the array at `pointer` (`None` if there is no array).
pub(super) fn list(value: &Value, pointer: &str, f: impl Fn(&Value) -> Value) -> Option<Value> {
    value.pointer(pointer).and_then(Value::as_array).map(|items| Value::Array(items.iter().map(f).collect()))
}

/// Sets `pointer` in `doc`, creating objects on the way.
pub(super) fn set(doc: &mut Value, pointer: &str, value: Value) {
    let mut node = doc;
    let segments: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let (last, parents) = segments.split_last().expect("pointer has a segment");
    for segment in parents {
        if !node.get(*segment).is_some_and(Value::is_object) {
            node[*segment] = json!({});
        }
        node = &mut node[*segment];
    }
    node[*last] = value;
}

pub(super) fn put(doc: &mut Value, pointer: &str, value: Option<Value>) {
    if let Some(value) = value {
        set(doc, pointer, value);
    }
}

/// A canonical plain text as an AAS multi-language text (`[{"en": text}]`).
pub(super) fn mlt(text: Option<&Value>) -> Option<Value> {
    let text = text?.as_str()?;
    Some(json!([{"en": text}]))
}

/// The English text of a multi-language text (else its first text), as a canonical plain text.
pub(super) fn text_of(value: Option<&Value>) -> Option<Value> {
    let entries: Vec<&Map<String, Value>> = value?.as_array()?.iter().filter_map(Value::as_object).collect();
    let english = entries.iter().find_map(|e| e.get("en"));
    english.or_else(|| entries.iter().find_map(|e| e.values().next())).cloned()
}

/// A converted number rounded to 9 decimals, integral values as JSON integers (as the demo data writes them), so
/// converting there and back gives the same JSON value.
pub(super) fn tidy(x: f64) -> Value {
    let rounded = (x * 1e9).round() / 1e9;
    if rounded.fract() == 0.0 && rounded.abs() < 9e15 { json!(rounded as i64) } else { json!(rounded) }
}

/// An exported converted number `x`: the shortest decimal form (at most 15 significant digits, integral values as
/// integers) that the import's conversion `back` turns into the canonical value `target` again, so both round
/// trips (canonical -> IDTA -> canonical and IDTA -> canonical -> IDTA) are exact for ordinary values.
pub(super) fn shortest(x: f64, target: f64, back: impl Fn(f64) -> f64) -> Value {
    let wanted = tidy(target).as_f64();
    let candidate = (1..=15)
        .map(|digits| round_sig(x, digits))
        .find(|r| tidy(back(*r)).as_f64() == wanted)
        .unwrap_or_else(|| round_sig(x, 15));
    if candidate.fract() == 0.0 && candidate.abs() < 9e15 { json!(candidate as i64) } else { json!(candidate) }
}

fn round_sig(x: f64, digits: usize) -> f64 {
    format!("{x:.*e}", digits - 1).parse().unwrap_or(x)
}

pub(super) fn number(value: &Value, pointer: &str) -> Result<f64, MappingError> {
    value.as_f64().ok_or_else(|| invalid(pointer, "not a number".into()))
}

/// The calendar date (in the timestamp's own offset) of the RFC 3339 timestamp at `pointer`, as YYYY-MM-DD.
pub(super) fn date_part(doc: &Value, pointer: &str) -> Result<Option<Value>, MappingError> {
    let Some(text) = doc.pointer(pointer) else { return Ok(None) };
    let date = timestamp(text, pointer)?.date();
    Ok(Some(json!(format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day()))))
}

pub(super) fn timestamp(value: &Value, pointer: &str) -> Result<OffsetDateTime, MappingError> {
    let text = value.as_str().ok_or_else(|| invalid(pointer, "not a string".into()))?;
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| invalid(pointer, format!("not an RFC 3339 timestamp: {e}")))
}

/// An IDTA date as a canonical timestamp at midnight UTC (the time of day is unknown).
pub(super) fn date_time(value: &Value, pointer: &str) -> Result<Option<Value>, MappingError> {
    let Some(text) = value.pointer(pointer) else { return Ok(None) };
    let text = text.as_str().ok_or_else(|| invalid(pointer, "not a string".into()))?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format).map_err(|e| invalid(pointer, format!("not a real date: {e}")))?;
    Ok(Some(json!(format!("{text}T00:00:00Z"))))
}

/// `streetAddress` "street, city" split at its last comma (no comma: no city).
pub(super) fn split_street(street_address: &str) -> (&str, &str) {
    street_address.rsplit_once(", ").unwrap_or((street_address, ""))
}

pub(super) fn join_street(street: &str, city: &str) -> String {
    if city.is_empty() { street.to_string() } else { format!("{street}, {city}") }
}

/// A canonical postal address as one facility identification string "street, postal code, country".
pub(super) fn facility_id(address: Option<&Value>) -> Option<Value> {
    let address = address?;
    let parts = ["streetAddress", "postalCode", "addressCountry"].map(|k| address.get(k).and_then(Value::as_str));
    let [Some(street), Some(postal), Some(country)] = parts else { return None };
    Some(json!(format!("{street}, {postal}, {country}")))
}

/// [`facility_id`] reversed; `None` for facility ids in any other form.
pub(super) fn parse_facility(id: Option<&Value>) -> Option<Value> {
    let text = id?.as_str()?;
    let (rest, country) = text.rsplit_once(", ")?;
    let (street, postal) = rest.rsplit_once(", ")?;
    let ok = |s: &str| !s.is_empty() && !s.contains(", ");
    (ok(country) && ok(postal) && !street.is_empty())
        .then(|| json!({"addressCountry": country, "postalCode": postal, "streetAddress": street}))
}

/// A MIME type for a link, from its file extension (web pages otherwise).
pub(super) fn mime_for(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let extension = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "step" | "stp" => "model/step",
        "json" => "application/json",
        "xml" => "application/xml",
        "txt" => "text/plain",
        _ => "text/html",
    }
}

pub(super) fn is_http(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

/// A canonical passport id the import may read back (not the placeholder).
pub(super) fn passport_id(value: Option<&Value>) -> Option<Value> {
    let id = value?.as_str()?;
    (id != UNASSIGNED && passport::ids::is_passport_id(id)).then(|| json!(id))
}

/// The passport identifier, or a URI standing in for it (see `PLACEHOLDERS`).
pub(super) fn product_uri(doc: &Value) -> Value {
    if let Some(id) = str_at(doc, &format!("{GPI}/batteryPassportIdentifier")) {
        return json!(id);
    }
    let gs1 = str_at(doc, &format!("{GPI}/productIdentifier"))
        .and_then(|id| passport::gs1::parse_element_string(id).ok())
        .map(|link| format!("https://id.gs1.org{}", link.digital_link_path()));
    json!(gs1.unwrap_or_else(|| UNASSIGNED.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip() {
        assert_eq!(shortest(3.3 * 100.0, 3.3, |r| r / 100.0), json!(330));
        let pct = shortest(241_547.0 / 245_000.0 * 100.0, 241_547.0, |r| r * 245_000.0 / 100.0);
        assert_eq!(tidy(pct.as_f64().unwrap() * 245_000.0 / 100.0), json!(241_547));
        // 56 kWh at 4.3 V imports as 13023.255813953 Ah, and exports as 56 again.
        let ah = tidy(56.0 * 1000.0 / 4.3).as_f64().unwrap();
        assert_eq!(shortest(ah * 4.3 / 1000.0, ah, |r| r * 1000.0 / 4.3), json!(56));
        assert_eq!(
            split_street("Industriestraße 12, Halle 4, Salzgitter"),
            ("Industriestraße 12, Halle 4", "Salzgitter")
        );
        assert_eq!(split_street("Am Werk 1"), ("Am Werk 1", ""));
        let place =
            json!({"addressCountry": "PL", "postalCode": "55-040", "streetAddress": "ul. Fabryczna 7, Kobierzyce"});
        assert_eq!(parse_facility(facility_id(Some(&place)).as_ref()), Some(place));
        assert_eq!(parse_facility(Some(&json!("987654321"))), None);
        assert_eq!(mime_for("https://x.example/a/b.PDF?x=1"), "application/pdf");
        assert_eq!(mime_for("https://x.example/end-of-life"), "text/html");
    }
}
