//! Canonical links as IDTA documents: the identifiers other parts reference, and their resolution on import.

use super::Aspect;
use super::common::{is_http, set, str_at, text_of};
use serde_json::{Value, json};

/// A canonical place holding one document link.
pub(super) struct Link {
    pub pointer: &'static str,
    /// The document's English title.
    pub title: &'static str,
    /// VDI 2770 Blatt 1:2020 class (id, name).
    pub vdi: (&'static str, &'static str),
}

const DECLARATIONS: (&str, &str) = ("02-04", "Certificates, declarations");
const SAFETY: (&str, &str) = ("03-03", "General safety");
const DECOMMISSIONING: (&str, &str) = ("03-01", "Commissioning, de-commissioning");

pub(super) const DECLARATION_OF_CONFORMITY: &str = "/labels/declarationOfConformity";
pub(super) const DECLARATION_OF_CONFORMITY_ID: &str = "/labels/declarationOfConformityId";
pub(super) const DISMANTLING: &str = "/circularity/dismantlingAndRemovalInformation";

/// Every canonical single-link place, in document order.
pub(super) const LINKS: [Link; 11] = [
    Link { pointer: DECLARATION_OF_CONFORMITY, title: "EU declaration of conformity", vdi: DECLARATIONS },
    Link {
        pointer: "/labels/resultOfTestReport",
        title: "Results of test reports proving compliance",
        vdi: DECLARATIONS,
    },
    Link { pointer: "/carbonFootprint/carbonFootprintStudy", title: "Carbon footprint study", vdi: DECLARATIONS },
    Link {
        pointer: "/supplyChainDueDiligence/supplyChainDueDiligenceReport",
        title: "Supply chain due diligence report",
        vdi: DECLARATIONS,
    },
    Link {
        pointer: "/supplyChainDueDiligence/thirdPartyAussurances",
        title: "Third party assurances",
        vdi: DECLARATIONS,
    },
    Link {
        pointer: "/performance/batteryTechicalProperties/lifetimeReferenceTest",
        title: "Cycle-life reference test",
        vdi: DECLARATIONS,
    },
    Link { pointer: "/circularity/safetyMeasures/safetyInstructions", title: "Safety instructions", vdi: SAFETY },
    Link {
        pointer: "/circularity/safetyMeasures/wasteBatterySafetyInstructions",
        title: "Safety instructions for waste batteries",
        vdi: SAFETY,
    },
    Link {
        pointer: "/circularity/endOfLifeInformation/wastePrevention",
        title: "Role of end-users in waste prevention",
        vdi: DECOMMISSIONING,
    },
    Link {
        pointer: "/circularity/endOfLifeInformation/separateCollection",
        title: "Role of end-users in separate collection",
        vdi: DECOMMISSIONING,
    },
    Link {
        pointer: "/circularity/endOfLifeInformation/informationOnCollection",
        title: "Collection, preparation for second life and treatment at end of life",
        vdi: DECOMMISSIONING,
    },
];

/// VDI 2770 class of a dismantling document, by canonical document type.
pub(super) fn dismantling_class(document_type: &str) -> (&'static str, &'static str) {
    match document_type {
        "BillOfMaterial" => ("02-03", "Assemblies"),
        "Drawing" | "Model3D" => ("02-02", "Drawings, plans"),
        "OtherManual" => ("03-02", "Operation"),
        _ => DECOMMISSIONING,
    }
}

/// The classification system whose class ids are canonical pointers.
pub(super) const VOLTPASS_CLASSIFICATION: &str = "voltpass";

/// The identifier of the document at a single-link place: the link itself, except for the EU declaration of
/// conformity, identified by its number when the document has one.
pub(super) fn id_for(doc: &Value, pointer: &str) -> Option<String> {
    if pointer == DECLARATION_OF_CONFORMITY
        && let Some(id) = str_at(doc, DECLARATION_OF_CONFORMITY_ID)
    {
        return Some(id.to_string());
    }
    str_at(doc, pointer).map(str::to_string)
}

/// The `DocumentIdentifierSet` for a single-link place (`None` if the document has no such document).
pub(super) fn ids(doc: &Value, pointer: &str) -> Option<Value> {
    id_for(doc, pointer).map(|id| json!([id]))
}

/// A referenced document, as far as it could be resolved.
pub(super) struct Resolved {
    pub url: String,
    pub content_type: Option<Value>,
    /// voltpass classification: (canonical pointer, class name).
    pub class: Option<(String, Option<Value>)>,
}

/// The parts being imported, for cross-part lookups.
pub(super) struct Parts<'a> {
    parts: &'a [(Aspect, Value)],
}

impl<'a> Parts<'a> {
    pub fn new(parts: &'a [(Aspect, Value)]) -> Self {
        Parts { parts }
    }

    fn handover_documents(&self) -> impl Iterator<Item = &'a Value> {
        self.parts
            .iter()
            .filter(|(a, _)| *a == Aspect::HandoverDocumentation)
            .flat_map(|(_, v)| v.get("Documents").and_then(Value::as_array).into_iter().flatten())
    }

    /// The link a document identifier stands for: the first file of the handover document with that identifier,
    /// else the identifier itself if it is an http(s) URL.
    pub fn resolve(&self, id: &Value) -> Option<Resolved> {
        let id = id.as_str()?;
        let document = self.handover_documents().find(|d| {
            d.get("DocumentIds")
                .and_then(Value::as_array)
                .is_some_and(|ids| ids.iter().any(|i| i.get("DocumentIdentifier").and_then(Value::as_str) == Some(id)))
        });
        if let Some(document) = document
            && let Some(resolved) = resolve_document(document)
        {
            return Some(resolved);
        }
        is_http(id).then(|| Resolved { url: id.to_string(), content_type: None, class: None })
    }

    /// Reads a reference list into single-link places: each identifier goes to the place its handover document is
    /// classified under, else to the place at its position in `places`.
    pub fn links(&self, ids: Option<&Value>, places: &[&str], doc: &mut Value) {
        let Some(ids) = ids.and_then(Value::as_array) else { return };
        for (i, id) in ids.iter().enumerate() {
            let Some(resolved) = self.resolve(id) else { continue };
            let by_class = resolved.class.as_ref().map(|(p, _)| p.as_str()).filter(|p| places.contains(p));
            if let Some(place) = by_class.or_else(|| places.get(i).copied()) {
                set(doc, place, json!(resolved.url));
            }
        }
    }
}

/// The link, MIME type and voltpass class of one handover document.
pub(super) fn resolve_document(document: &Value) -> Option<Resolved> {
    let file = document.pointer("/DocumentVersions/0/DigitalFiles/0")?;
    let url = file.get("value")?.as_str()?.to_string();
    let class = document
        .get("DocumentClassifications")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("ClassificationSystem").and_then(Value::as_str) == Some(VOLTPASS_CLASSIFICATION))
        .and_then(|c| Some((c.get("ClassId")?.as_str()?.to_string(), text_of(c.get("ClassName")))));
    Some(Resolved { url, content_type: file.get("contentType").cloned(), class })
}
