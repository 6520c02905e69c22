//! Part 1, Digital Nameplate: identification, manufacturer, dates, status, markings, conformity documents.

use super::MappingError;
use super::common::{GPI, MANUFACTURER, all, cloned, date_part, date_time, facility_id, get, group, invalid};
use super::common::{join_street, mime_for, mlt, obj, parse_facility, passport_id, product_uri, put, split_street};
use super::common::{str_at, text_of};
use super::documents::{DECLARATION_OF_CONFORMITY, DECLARATION_OF_CONFORMITY_ID, Parts, ids};
use serde_json::{Value, json};

/// Canonical batteryStatus <-> IDTA LifeCycleStage.
const STATUSES: [(&str, &str); 5] = [
    ("Original", "original"),
    ("Repurposed", "repurposed"),
    ("Reused", "re-used"),
    ("Remanufactured", "remanufactured"),
    ("Waste", "waste"),
];
const SUBJECTS: [&str; 4] = ["SeparateCollection", "HazardousMaterial", "CarbonFootPrint", "ExtinguishingAgent"];
const TEST_REPORT: &str = "/labels/resultOfTestReport";

pub(super) fn export(doc: &Value) -> Result<Value, MappingError> {
    let status_pointer = format!("{GPI}/batteryStatus");
    let status = match doc.pointer(&status_pointer) {
        None => None,
        Some(status) => Some(json!(
            STATUSES
                .iter()
                .find(|(c, _)| Some(*c) == status.as_str())
                .ok_or_else(|| invalid(&status_pointer, format!("no IDTA life cycle stage for {status}")))?
                .1
        )),
    };
    let g = |name: &str| cloned(doc, &format!("{GPI}/{name}"));
    Ok(obj([
        ("URIOfTheProduct", Some(product_uri(doc))),
        ("ManufacturerName", mlt(get(doc, &format!("{MANUFACTURER}/contactName")))),
        ("AddressInformation", address(doc)),
        ("SerialNumber", g("productIdentifier")),
        ("DateOfManufacture", date_part(doc, &format!("{GPI}/manufacturingDate"))?),
        ("DateOfPuttingIntoService", date_part(doc, &format!("{GPI}/puttingIntoService"))?),
        ("UniqueFacilityIdentifier", facility_id(get(doc, &format!("{GPI}/manufacturingPlace")))),
        ("LifeCycleStage", status),
        ("OperatorIdentifier", g("operatorInformation/identifier")),
        ("ManufacturerIdentifier", cloned(doc, &format!("{MANUFACTURER}/identifier"))),
        ("Markings", get(doc, "/labels/labels").map(|_| markings(doc))),
        ("EUDeclarationOfConformity", ids(doc, DECLARATION_OF_CONFORMITY)),
        ("ResultsOfTestReportsProvingCompliance", ids(doc, TEST_REPORT)),
    ]))
}

/// The manufacturer's contact point: postal address (street and city split at the last comma), e-mail, web.
fn address(doc: &Value) -> Option<Value> {
    let m = |name: &str| get(doc, &format!("{MANUFACTURER}/{name}"));
    let street_address = m("postalAddress/streetAddress").and_then(Value::as_str);
    let (street, city) = street_address.map(split_street).unzip();
    group([
        ("NationalCode", mlt(m("postalAddress/addressCountry"))),
        ("CityTown", mlt(city.map(Value::from).as_ref())),
        ("Email", m("emailAddress").map(|e| json!({"EmailAddress": e}))),
        ("Street", mlt(street.map(Value::from).as_ref())),
        ("ZipCode", mlt(m("postalAddress/postalCode"))),
        ("AddressOfAdditionalLink", m("webAddress").cloned()),
    ])
}

/// Labels as markings: subject as name, symbol as file, the English meaning as additional text.
fn markings(doc: &Value) -> Value {
    Value::Array(
        all(doc, "/labels/labels")
            .map(|l| {
                let symbol = l.get("labelingSymbol").and_then(Value::as_str);
                let meaning = l.get("labelingMeaning").and_then(Value::as_object);
                let text = meaning.and_then(|m| m.get("en").or_else(|| m.values().next())).cloned();
                obj([
                    ("MarkingName", l.get("labelingSubject").cloned()),
                    ("MarkingFile", symbol.map(|s| json!({"value": s, "contentType": mime_for(s)}))),
                    ("MarkingAdditionalText", text),
                ])
            })
            .collect(),
    )
}

pub(super) fn import(value: &Value, ctx: &Parts, doc: &mut Value) -> Result<(), MappingError> {
    let v = |pointer: &str| value.pointer(pointer);
    put(doc, &format!("{GPI}/batteryPassportIdentifier"), passport_id(v("/URIOfTheProduct")));
    put(doc, &format!("{MANUFACTURER}/contactName"), text_of(v("/ManufacturerName")));
    put(doc, &format!("{MANUFACTURER}/identifier"), v("/ManufacturerIdentifier").cloned());
    let a = "/AddressInformation";
    let text = |name: &str| text_of(v(&format!("{a}/{name}")));
    let street = text("Street").and_then(|s| s.as_str().map(str::to_string));
    let city = text("CityTown").and_then(|s| s.as_str().map(str::to_string)).unwrap_or_default();
    put(doc, &format!("{MANUFACTURER}/postalAddress/streetAddress"), street.map(|s| json!(join_street(&s, &city))));
    put(doc, &format!("{MANUFACTURER}/postalAddress/postalCode"), text("ZipCode"));
    put(doc, &format!("{MANUFACTURER}/postalAddress/addressCountry"), text("NationalCode"));
    put(doc, &format!("{MANUFACTURER}/emailAddress"), v(&format!("{a}/Email/EmailAddress")).cloned());
    put(doc, &format!("{MANUFACTURER}/webAddress"), v(&format!("{a}/AddressOfAdditionalLink")).cloned());

    put(doc, &format!("{GPI}/productIdentifier"), v("/SerialNumber").cloned());
    put(doc, &format!("{GPI}/manufacturingDate"), date_time(value, "/DateOfManufacture")?);
    put(doc, &format!("{GPI}/puttingIntoService"), date_time(value, "/DateOfPuttingIntoService")?);
    put(doc, &format!("{GPI}/manufacturingPlace"), parse_facility(v("/UniqueFacilityIdentifier")));
    let stage = str_at(value, "/LifeCycleStage");
    put(doc, &format!("{GPI}/batteryStatus"), STATUSES.iter().find(|(_, s)| Some(*s) == stage).map(|(c, _)| json!(c)));
    put(doc, &format!("{GPI}/operatorInformation/identifier"), v("/OperatorIdentifier").cloned());

    if let Some(markings) = v("/Markings").and_then(Value::as_array) {
        let labels: Vec<Value> = markings
            .iter()
            .filter(|m| m.get("MarkingName").and_then(Value::as_str).is_some_and(|n| SUBJECTS.contains(&n)))
            .map(|m| {
                obj([
                    ("labelingSubject", m.get("MarkingName").cloned()),
                    ("labelingSymbol", m.pointer("/MarkingFile/value").cloned()),
                    ("labelingMeaning", m.get("MarkingAdditionalText").map(|t| json!({"en": t}))),
                ])
            })
            .collect();
        put(doc, "/labels/labels", Some(Value::Array(labels)));
    }

    // The declaration of conformity: an identifier that is not the link itself is its number.
    if let Some(id) = v("/EUDeclarationOfConformity/0") {
        let resolved = ctx.resolve(id);
        if resolved.as_ref().is_none_or(|r| id.as_str() != Some(r.url.as_str())) {
            put(doc, DECLARATION_OF_CONFORMITY_ID, Some(id.clone()));
        }
        put(doc, DECLARATION_OF_CONFORMITY, resolved.map(|r| json!(r.url)));
    }
    ctx.links(v("/ResultsOfTestReportsProvingCompliance"), &[TEST_REPORT], doc);
    Ok(())
}
