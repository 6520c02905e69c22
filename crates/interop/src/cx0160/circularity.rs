//! Part 7, Circularity: dismantling documents, spare part sources, recycled and renewable content, safety
//! measures, end-of-life information. Documents are referenced by identifier (see `documents`).

use super::MappingError;
use super::common::{cloned, get, group, list, mlt, obj, put, set, text_of};
use super::documents::{DISMANTLING, Parts, ids};
use serde_json::{Value, json};

const C: &str = "/circularity";
const SAFETY: [&str; 2] =
    ["/circularity/safetyMeasures/safetyInstructions", "/circularity/safetyMeasures/wasteBatterySafetyInstructions"];
/// (canonical place, IDTA member of EndOfLifeInformation).
const END_OF_LIFE: [(&str, &str); 3] = [
    ("/circularity/endOfLifeInformation/wastePrevention", "WastePrevention"),
    ("/circularity/endOfLifeInformation/separateCollection", "SeparateCollection"),
    ("/circularity/endOfLifeInformation/informationOnCollection", "InformationOnCollection"),
];

pub(super) fn export(doc: &Value) -> Result<Value, MappingError> {
    let dismantling = list(doc, DISMANTLING, |d| d["documentURL"].clone());
    let safety_ids: Vec<Value> =
        SAFETY.iter().filter_map(|p| ids(doc, p)).flat_map(|v| v.as_array().cloned().unwrap_or_default()).collect();
    let safety = group([
        ("SafetyInstructions", (!safety_ids.is_empty()).then_some(Value::Array(safety_ids))),
        ("ExtinguishingAgents", cloned(doc, &format!("{C}/safetyMeasures/extinguishingAgent"))),
    ]);
    let end_of_life = group(END_OF_LIFE.map(|(pointer, name)| (name, ids(doc, pointer))));
    Ok(obj([
        ("DismantlingAndRemovalInformation", dismantling),
        ("SparePartSources", list(doc, &format!("{C}/sparePartSources"), export_source)),
        (
            "RecycledContentInformation",
            list(doc, &format!("{C}/recycledContent"), |r| {
                obj([
                    ("PreConsumerShare", r.get("preConsumerShare").cloned()),
                    ("RecycledMaterial", r.get("recycledMaterial").cloned()),
                    ("PostConsumerShare", r.get("postConsumerShare").cloned()),
                ])
            }),
        ),
        ("SafetyMeasures", safety),
        ("EndOfLifeInformation", end_of_life),
        ("RenewableContent", cloned(doc, &format!("{C}/renewableContent"))),
    ]))
}

fn export_source(s: &Value) -> Value {
    let address = s.get("addressOfSupplier");
    let a = |name: &str| address.and_then(|a| a.get(name));
    obj([
        ("NameOfSupplier", mlt(s.get("nameOfSupplier"))),
        (
            "AddressOfSupplier",
            address.map(|_| {
                obj([
                    ("NationalCode", mlt(a("addressCountry"))),
                    ("PostalCode", mlt(a("postalCode"))),
                    ("Street", mlt(a("streetAddress"))),
                ])
            }),
        ),
        ("EmailAddressOfSupplier", s.get("emailAddressOfSupplier").map(|e| json!({"EmailAddress": e}))),
        ("SupplierWebAddress", s.get("supplierWebAddress").cloned()),
        (
            "Components",
            list(s, "/components", |c| {
                obj([("PartName", c.get("partName").cloned()), ("PartNumber", c.get("partNumber").cloned())])
            }),
        ),
    ])
}

fn import_source(s: &Value) -> Value {
    let a = |name: &str| text_of(s.pointer(&format!("/AddressOfSupplier/{name}")));
    obj([
        ("nameOfSupplier", text_of(s.get("NameOfSupplier"))),
        (
            "addressOfSupplier",
            s.get("AddressOfSupplier").map(|_| {
                obj([
                    ("addressCountry", a("NationalCode")),
                    ("postalCode", a("PostalCode")),
                    ("streetAddress", a("Street")),
                ])
            }),
        ),
        ("emailAddressOfSupplier", s.pointer("/EmailAddressOfSupplier/EmailAddress").cloned()),
        ("supplierWebAddress", s.get("SupplierWebAddress").cloned()),
        (
            "components",
            list(s, "/Components", |c| {
                obj([("partName", c.get("PartName").cloned()), ("partNumber", c.get("PartNumber").cloned())])
            }),
        ),
    ])
}

pub(super) fn import(value: &Value, ctx: &Parts, doc: &mut Value) {
    // Dismantling documents: type and MIME type come from their handover documents.
    if let Some(list_ids) = get(value, "/DismantlingAndRemovalInformation").and_then(Value::as_array) {
        let documents: Vec<Value> = list_ids
            .iter()
            .filter_map(|id| ctx.resolve(id))
            .map(|r| {
                let kind = r.class.filter(|(p, _)| p == DISMANTLING).and_then(|(_, name)| name);
                let mime = if kind.is_some() { r.content_type } else { None };
                obj([("documentType", kind), ("mimeType", mime), ("documentURL", Some(json!(r.url)))])
            })
            .collect();
        set(doc, DISMANTLING, Value::Array(documents));
    }
    put(doc, &format!("{C}/sparePartSources"), list(value, "/SparePartSources", import_source));
    put(
        doc,
        &format!("{C}/recycledContent"),
        list(value, "/RecycledContentInformation", |r| {
            obj([
                ("postConsumerShare", r.get("PostConsumerShare").cloned()),
                ("preConsumerShare", r.get("PreConsumerShare").cloned()),
                ("recycledMaterial", r.get("RecycledMaterial").cloned()),
            ])
        }),
    );
    ctx.links(get(value, "/SafetyMeasures/SafetyInstructions"), &SAFETY, doc);
    put(doc, &format!("{C}/safetyMeasures/extinguishingAgent"), cloned(value, "/SafetyMeasures/ExtinguishingAgents"));
    for (pointer, name) in END_OF_LIFE {
        ctx.links(get(value, &format!("/EndOfLifeInformation/{name}")), &[pointer], doc);
    }
    put(doc, &format!("{C}/renewableContent"), cloned(value, "/RenewableContent"));
}
