//! Part 2, Handover Documentation: one document per canonical link (see `documents`).

use super::MappingError;
use super::common::{all, mime_for, obj, set, str_at};
use super::documents::{DECLARATION_OF_CONFORMITY, DECLARATION_OF_CONFORMITY_ID, DISMANTLING, LINKS};
use super::documents::{VOLTPASS_CLASSIFICATION, dismantling_class, id_for, resolve_document};
use serde_json::{Value, json};

const DOMAIN: &str = "voltpass";
const VDI_2770: &str = "VDI2770 Blatt 1:2020";

pub(super) fn export(doc: &Value) -> Result<Value, MappingError> {
    let mut documents = vec![];
    for link in &LINKS {
        let (Some(id), Some(url)) = (id_for(doc, link.pointer), str_at(doc, link.pointer)) else { continue };
        documents.push(document(&id, url, mime_for(url), link.title, link.vdi, link.pointer));
    }
    for d in all(doc, DISMANTLING) {
        let (Some(url), Some(kind)) = (d["documentURL"].as_str(), d["documentType"].as_str()) else { continue };
        let mime = d["mimeType"].as_str().unwrap_or_else(|| mime_for(url));
        documents.push(document(url, url, mime, kind, dismantling_class(kind), DISMANTLING));
    }
    Ok(json!({"Documents": documents}))
}

/// One handover document; the voltpass classification's class name is the title (for dismantling documents the
/// canonical document type, which the import reads back from there).
fn document(id: &str, url: &str, mime: &str, title: &str, vdi: (&str, &str), pointer: &str) -> Value {
    json!({
        "DocumentIds": [{"DocumentDomainId": DOMAIN, "DocumentIdentifier": id, "DocumentIsPrimary": true}],
        "DocumentClassifications": [
            {"ClassId": vdi.0, "ClassName": [{"en": vdi.1}], "ClassificationSystem": VDI_2770},
            {"ClassId": pointer, "ClassName": [{"en": title}], "ClassificationSystem": VOLTPASS_CLASSIFICATION},
        ],
        "DocumentVersions": [{
            "Language": ["en"],
            "Title": [{"en": title}],
            "DigitalFiles": [{"value": url, "contentType": mime}],
        }],
    })
}

/// Puts the links of voltpass-classified documents back in their places (other parts may then override them with
/// what they reference).
pub(super) fn import(value: &Value, doc: &mut Value) {
    let mut dismantling = vec![];
    for d in all(value, "/Documents") {
        let Some(resolved) = resolve_document(d) else { continue };
        let Some((pointer, class_name)) = resolved.class else { continue };
        if pointer == DISMANTLING {
            dismantling.push(obj([
                ("documentType", class_name),
                ("mimeType", resolved.content_type),
                ("documentURL", Some(json!(resolved.url))),
            ]));
        } else if LINKS.iter().any(|l| l.pointer == pointer) {
            set(doc, &pointer, json!(resolved.url));
            let id = d.pointer("/DocumentIds/0/DocumentIdentifier").and_then(Value::as_str);
            if pointer == DECLARATION_OF_CONFORMITY
                && let Some(id) = id.filter(|id| *id != resolved.url)
            {
                set(doc, DECLARATION_OF_CONFORMITY_ID, json!(id));
            }
        }
    }
    if !dismantling.is_empty() {
        set(doc, DISMANTLING, json!(dismantling));
    }
}
