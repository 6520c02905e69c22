//! Canonical passport document <-> Catena-X `io.catenax.battery.battery_pass` 6.1.0.
//!
//! Both models descend from the same Battery Pass work, so most values map one to one; the differences are:
//! - Catena-X wraps links in "document" objects (`header`, `contentType`, `content`); we write one per link and
//!   read the `content` back.
//! - Catena-X requires network identifiers (BPNL/BPNA, a UUID passport id), passport metadata and several
//!   values the canonical model does not have. They are filled with the values listed in [`PLACEHOLDERS`], so the
//!   export validates, and never read back.
//! - Units: all rated/dynamic quantities use the same units on both sides (V, W, Ah, kWh, Ohm, %, °C). Two
//!   conversions are needed, see `export_carbon_footprint` and `export_composition`; converted values are rounded
//!   to 9 decimals on import so the round trip is exact.
//!
//! [`NOT_CARRIED`] lists what a canonical document loses on export, [`NOT_IMPORTED`] what a Catena-X document loses
//! on import.

use super::MappingError;
use serde_json::{Map, Value, json};

/// Canonical pointers (a `-` segment = every array element) whose value does not survive an export and import,
/// with the reason. Everything else does, exactly.
pub const NOT_CARRIED: &[(&str, &str)] = &[
    (
        "/generalProductInformation/batteryPassportIdentifier",
        "Catena-X wants a UUID: voltpass ids (urn:voltpass:<uuid>) travel as metadata.passportIdentifier, others are lost",
    ),
    (
        "/generalProductInformation/operatorInformation",
        "only the identifier, and only when it is a BPNL (metadata.economicOperatorId); no contact data",
    ),
    (
        "/generalProductInformation/manufacturerInformation",
        "only the identifier, and only when it is a BPNL (operation.manufacturer.manufacturer); no contact data",
    ),
    ("/generalProductInformation/manufacturingPlace", "only BPNA site ids (operation.manufacturer.facility)"),
    ("/generalProductInformation/manufacturingDate", "Catena-X has a date only: the time of day is lost"),
    ("/generalProductInformation/puttingIntoService", "Catena-X has a date only: the time of day is lost"),
    ("/generalProductInformation/predecessorPassports", "one predecessor only, and only if it is a UUID"),
    ("/labels/labels/-/labelingMeaning", "meaningOfLabels holds documents; a document header is at most 100 chars"),
    ("/carbonFootprint/carbonFootprintPerformanceClass", "carried only when batteryCarbonFootprint is present"),
    ("/supplyChainDueDiligence/supplyChainIndicies", "no Catena-X property"),
    ("/materialComposition/batteryChemistry/clearName", "identification.chemistry is a single string"),
    ("/materialComposition/batteryMaterials/-/batteryMaterialLocation/componentId", "location is one string"),
    ("/materialComposition/hazardousSubstances/-/hazardousSubstanceClass", "no Catena-X property"),
    ("/materialComposition/hazardousSubstances/-/hazardousSubstanceLocation/componentId", "location is one string"),
    (
        "/circularity/sparePartSources",
        "one flat part list (handling.content.sparePart): supplier data (BPNLs only) and the grouping by supplier are lost",
    ),
    ("/circularity/recycledContent", "one recycled share per material: the pre/post-consumer split is lost"),
    ("/circularity/recycledContentReporting", "voltpass extension, no Catena-X property"),
    ("/circularity/renewableContent", "Catena-X has renewable shares per material only"),
    ("/performance/batteryTechicalProperties/powerCapabilityRatio", "no Catena-X property"),
    ("/performance/batteryTechicalProperties/cRate", "no Catena-X property"),
    ("/performance/batteryTechicalProperties/originalPowerCapability", "only the values at 20 % and 80 % SoC"),
    ("/performance/batteryCondition/currentSelfDischargingRate/lastUpdate", "dynamic.selfDischargingRate has no time"),
    ("/performance/batteryCondition/evolutionOfSelfDischarge", "no Catena-X property"),
    ("/performance/batteryCondition/remainingPowerCapability/remainingPowerCapabilityValue", "value and time only"),
    ("/performance/batteryCondition/temperatureInformation", "only operatingEnvironment documents"),
    ("/performance/batteryCondition/negativeEvents", "only negativeEvents documents, no event records"),
];

/// Catena-X pointers whose value does not survive an import and export, with the reason.
pub const NOT_IMPORTED: &[(&str, &str)] = &[
    ("/specVersion", "written as the 6.1.0 URN on export"),
    ("/metadata", "passport metadata and BPNs have no canonical place (predecessor is read if it is a UUID)"),
    ("/commercial", "no canonical place (purpose only marks stationary batteries, see category)"),
    ("/sources", "only voltpass's own end-of-life collection link is read back"),
    ("/identification/identification", "serial, batch, type, codes, data carrier, classification: no canonical place"),
    ("/operation/manufacturer/facility", "BPNA site ids, no canonical place"),
    ("/operation/manufacturer/manufacturer", "BPNL, no canonical place"),
    ("/characteristics/physicalDimension/length", "no canonical place"),
    ("/characteristics/physicalDimension/width", "no canonical place"),
    ("/characteristics/physicalDimension/height", "no canonical place"),
    ("/characteristics/physicalDimension/weight", "the same mass, re-exported in kg (canonical unit)"),
    ("/characteristics/warranty", "only month periods of 1-12 months (canonical xsd:gMonth)"),
    ("/sustainability/documents/euTaxonomyDisclosureStatement", "no canonical place"),
    ("/sustainability/documents/sustainabilityReport", "no canonical place"),
    ("/sustainability/carbonFootprint", "only Climate Change Total entries in voltpass's layout are read"),
    ("/materials/active", "recycled shares without a pre/post-consumer split"),
    ("/materials/hazardous/cadmium", "no canonical place other than hazardousSubstances"),
    ("/materials/hazardous/mercury", "no canonical place other than hazardousSubstances"),
    ("/materials/hazardous/lead", "no canonical place other than hazardousSubstances"),
    ("/materials/hazardous/other/-/critical", "no canonical property"),
    ("/materials/hazardous/other/-/documentation", "no canonical property"),
    ("/materials/hazardous/other/-/materialUnit", "concentrations are read as percent"),
    ("/materials/hazardous/other/-/impactOfSubstances/-/header", "the canonical impact is the text only"),
    ("/materials/hazardous/other/-/impactOfSubstances/-/contentType", "the canonical impact is the text only"),
    ("/materials/composition", "read back only when the battery weight and percent units make it a mass"),
    ("/performance/rated/voltage/temperature", "no canonical property"),
    ("/performance/rated/roundTripEfficiency/depthOfDischarge", "no canonical property"),
    ("/performance/rated/roundTripEfficiency/temperature", "no canonical property"),
    ("/performance/rated/energy/temperature", "no canonical property"),
    ("/performance/rated/resistance/temperature", "no canonical property"),
    ("/performance/rated/power/temperature", "no canonical property"),
    ("/performance/rated/capacity/temperature", "no canonical property"),
    ("/performance/rated/performanceDocument", "no canonical property"),
    ("/performance/rated/testReport", "no canonical property"),
    ("/performance/rated/lifetime/report/-/header", "the canonical reference test is a link only"),
    ("/performance/rated/lifetime/report/-/contentType", "the canonical reference test is a link only"),
    ("/performance/rated/lifetime/cycleLifeTesting/temperature", "no canonical property"),
    ("/performance/rated/lifetime/cycleLifeTesting/depthOfDischarge", "no canonical property"),
    ("/performance/rated/lifetime/cycleLifeTesting/appliedChargeRate", "one canonical C-rate (the discharge rate)"),
    ("/performance/dynamic/power/fade/time", "canonical power fade is a static value"),
    ("/performance/dynamic/roundTripEfficiency/fade/time", "canonical round trip efficiency fade is static"),
    ("/performance/dynamic/performanceDocument", "no canonical property"),
    ("/performance/dynamic/operatingEnvironment", "no canonical property"),
    ("/performance/dynamic/negativeEvents", "canonical negative events are event records, not documents"),
    ("/conformity/declarationOfConformity", "the first document's link only"),
    ("/conformity/resultOfTestReport", "the first document's link only"),
    ("/conformity/thirdPartyAssurance", "the first document's link only"),
    ("/conformity/dueDiligencePolicy", "the first document's link only"),
    ("/sustainability/documents/separateCollection", "the first document's link only"),
    ("/sustainability/documents/wastePrevention", "the first document's link only"),
    ("/safety/safetyMeasures", "voltpass's two safety-instruction links only, by header"),
    ("/safety/safeDischarging", "no canonical property"),
    ("/safety/removalFromAppliance", "no canonical property (voltpass writes removal manuals to dismantling)"),
    ("/safety/usableExtinguishAgent/-/fireClass", "the canonical agent is one text"),
    ("/safety/usableExtinguishAgent/-/document", "the canonical agent is one text"),
    ("/safety/meaningOfLabels/-/contentType", "the canonical label is a symbol link and a subject"),
    ("/handling/applicable", "canonical spare parts are always applicable"),
    ("/handling/content/producer", "BPNLs, no canonical place"),
];

/// Catena-X places the schema requires but the canonical document has no value for, with the value written.
/// They are never read back (each lies under a [`NOT_IMPORTED`] pointer).
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    (
        "/metadata/passportIdentifier",
        "the nil UUID urn:uuid:00000000-0000-0000-0000-000000000000 unless the id is urn:voltpass:<uuid>",
    ),
    ("/metadata/predecessor", "the nil UUID unless there is exactly one UUID predecessor (as in the upstream example)"),
    ("/metadata/economicOperatorId", "BPNL000000000000 unless the operator identifier is a BPNL"),
    ("/metadata/version, /metadata/backupReference", "empty string"),
    ("/metadata/issueDate, /metadata/expirationDate", "0001-01-01 (unknown)"),
    ("/operation/manufacturer/manufacturer", "BPNL000000000000 unless the manufacturer identifier is a BPNL"),
    ("/identification/identification/type, dataCarrier", "empty strings"),
    ("/materials/active/{nickel,cobalt,lithium,lead}", "recycled 0, location \"\", critical false if not declared"),
    ("/materials/hazardous/{cadmium,mercury,lead}", "concentration 0 %, location \"\", critical false"),
    ("/materials/composition/-/{recycled,renewable}", "0 (canonical has no per-material recycled or renewable share)"),
    ("/performance/rated/roundTripEfficiency/depthOfDischarge", "0 (not in the canonical model)"),
    ("/performance/rated/lifetime/cycleLifeTesting/{temperature,depthOfDischarge}", "0 (not in the canonical model)"),
    ("/safety/usableExtinguishAgent/-/fireClass", "empty string"),
    ("/characteristics/warranty", "0 months when the canonical document has no warranty period"),
];

const SPEC_VERSION: &str = "urn:io.catenax.battery.battery_pass:6.1.0";
const NIL_UUID: &str = "urn:uuid:00000000-0000-0000-0000-000000000000";
const UNKNOWN_BPNL: &str = "BPNL000000000000";
const UNKNOWN_DATE: &str = "0001-01-01";
/// Catena-X has no stationary category: stationary storage is an industrial battery (Art. 3(1)(13) and (14)),
/// marked with this intended purpose so the import can tell it apart.
const STATIONARY_PURPOSE: &str = "stationary battery energy storage";
const KG_PER_KWH: &str = "kg CO2e / kWh";
const T_CO2E: &str = "t CO2e";
const ALL_STAGES: &str = "all lifecycle stages";
const STAGES: [(&str, &str); 4] = [
    ("RawMaterialExtraction", "raw material acquisition and pre-processing"),
    ("MainProduction", "main product production"),
    ("Distribution", "distribution"),
    ("Recycling", "end of life and recycling"),
];
const STATUSES: [(&str, &str); 5] = [
    ("Original", "original"),
    ("Repurposed", "repurposed"),
    ("Reused", "re-used"),
    ("Remanufactured", "remanufactured"),
    ("Waste", "waste"),
];
/// Active materials Catena-X names, with their CAS numbers (to find them in batteryMaterials).
const ACTIVE: [(&str, &str, &str); 4] = [
    ("nickel", "Nickel", "7440-02-0"),
    ("cobalt", "Cobalt", "7440-48-4"),
    ("lithium", "Lithium", "7439-93-2"),
    ("lead", "Lead", "7439-92-1"),
];
const COMPONENTS: [&str; 3] = ["pack", "module", "cell"];
const SAFETY_INSTRUCTIONS: &str = "Safety instructions";
const WASTE_SAFETY_INSTRUCTIONS: &str = "Safety instructions for waste batteries";
const COLLECTION_INFO: &str = "Information on collection, second life and treatment";

// ---------------------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------------------

/// Maps a canonical passport document to a Catena-X battery pass 6.1.0 payload.
///
/// Fails only when a value Catena-X requires and the canonical model has is missing or malformed; values the
/// canonical model does not have at all are filled per [`PLACEHOLDERS`].
pub fn to_battery_pass(doc: &Value) -> Result<Value, MappingError> {
    if !doc.is_object() {
        return Err(MappingError::NotAnObject);
    }
    let gpi = "/generalProductInformation";
    let (category, purpose) = match required_str(doc, &format!("{gpi}/batteryCategory"))? {
        "ev" => ("EV", vec![]),
        "lmt" => ("LMT", vec![]),
        "industrial" => ("industrial", vec![]),
        "stationary" => ("industrial", vec![STATIONARY_PURPOSE]),
        // Catena-X categories without a passport obligation, kept verbatim by the import.
        cx @ ("SLI" | "portable" | "incorporated") => (cx, vec![]),
        other => return Err(invalid(&format!("{gpi}/batteryCategory"), format!("unknown category {other:?}"))),
    };
    let status = required_str(doc, &format!("{gpi}/batteryStatus"))?;
    let status = STATUSES
        .iter()
        .find(|(c, _)| *c == status)
        .ok_or_else(|| invalid(&format!("{gpi}/batteryStatus"), format!("unknown status {status:?}")))?
        .1;
    let predecessor = match doc.pointer(&format!("{gpi}/predecessorPassports")).and_then(Value::as_array) {
        Some(list) if list.len() == 1 && list[0].as_str().is_some_and(is_uuid) => list[0].clone(),
        Some(list) if list.len() == 1 && list[0].as_str().and_then(voltpass_uuid).is_some() => {
            json!(list[0].as_str().and_then(voltpass_uuid))
        }
        _ => json!(NIL_UUID),
    };
    let passport_uuid = str_at(doc, &format!("{gpi}/batteryPassportIdentifier"))
        .and_then(voltpass_uuid)
        .unwrap_or_else(|| NIL_UUID.into());
    let bpnl_at = |pointer: &str| str_at(doc, pointer).filter(|id| is_bpnl(id)).unwrap_or(UNKNOWN_BPNL).to_string();
    let operator_bpnl = bpnl_at(&format!("{gpi}/operatorInformation/identifier"));
    let manufacturer_bpnl = bpnl_at(&format!("{gpi}/manufacturerInformation/identifier"));

    let mut operation = json!({
        "manufacturer": {
            "facility": [],
            "manufacturer": manufacturer_bpnl,
            "manufacturingDate": date_part(doc, &format!("{gpi}/manufacturingDate"))?,
        }
    });
    if doc.pointer(&format!("{gpi}/puttingIntoService")).is_some() {
        operation["intoServiceDate"] = date_part(doc, &format!("{gpi}/puttingIntoService"))?;
    }

    let mut sources = vec![];
    if let Some(link) = str_at(doc, "/circularity/endOfLifeInformation/informationOnCollection") {
        sources.push(json!({"header": COLLECTION_INFO, "category": "End of Life", "type": "URL", "content": link}));
    }

    let mut conformity = json!({
        "declarationOfConformity": links(doc, "/labels/declarationOfConformity", "EU declaration of conformity"),
        "resultOfTestReport": links(doc, "/labels/resultOfTestReport", "Results of test reports"),
        "thirdPartyAssurance": links(doc, "/supplyChainDueDiligence/thirdPartyAussurances", "Third party assurances"),
        // The closest Catena-X place for the due diligence report.
        "dueDiligencePolicy": links(doc, "/supplyChainDueDiligence/supplyChainDueDiligenceReport", "Due diligence report"),
    });
    if let Some(id) = doc.pointer("/labels/declarationOfConformityId") {
        conformity["declarationOfConformityId"] = id.clone();
    }

    Ok(json!({
        "specVersion": SPEC_VERSION,
        "identification": {
            "category": category,
            "idDmc": required(doc, &format!("{gpi}/productIdentifier"))?,
            "chemistry": required(doc, "/materialComposition/batteryChemistry/shortName")?,
            "identification": {
                "type": {"manufacturerPartId": "", "nameAtManufacturer": ""},
                "codes": [],
                "dataCarrier": {"carrierType": "", "carrierLayout": ""},
                "classification": [],
            },
        },
        "operation": operation,
        "characteristics": {
            "warranty": export_warranty(doc)?,
            // Canonical battery mass is in kg.
            "physicalDimension": {"weight": {"value": required(doc, &format!("{gpi}/batteryMass"))?, "unit": "unit:kilogram"}},
        },
        "metadata": {
            "version": "",
            "expirationDate": UNKNOWN_DATE,
            "issueDate": UNKNOWN_DATE,
            "economicOperatorId": operator_bpnl,
            "passportIdentifier": passport_uuid,
            "predecessor": predecessor,
            "backupReference": "",
        },
        "commercial": {"purpose": purpose},
        "sources": sources,
        "sustainability": {
            "documents": {
                "separateCollection": links(doc, "/circularity/endOfLifeInformation/separateCollection", "Separate collection"),
                "wastePrevention": links(doc, "/circularity/endOfLifeInformation/wastePrevention", "Waste prevention"),
            },
            "carbonFootprint": export_carbon_footprint(doc)?,
            "status": status,
        },
        "materials": {
            "active": export_active(doc),
            "hazardous": export_hazardous(doc),
            "composition": export_composition(doc)?,
        },
        "performance": {"rated": export_rated(doc), "dynamic": export_dynamic(doc)},
        "conformity": conformity,
        "safety": export_safety(doc),
        "handling": {
            "applicable": true,
            "content": {
                "producer": [],
                "sparePart": all(doc, "/circularity/sparePartSources")
                    .flat_map(|source| items(source, "/components"))
                    .map(|c| json!({"manufacturerPartId": c["partNumber"], "nameAtManufacturer": c["partName"]}))
                    .collect::<Vec<_>>(),
            }
        },
    }))
}

fn export_warranty(doc: &Value) -> Result<Value, MappingError> {
    let pointer = "/generalProductInformation/warrentyPeriod";
    // xsd:gMonth "--MM" (optionally with a zone, meaningless for a period): the period in months.
    // Absent when imported from a warranty in days, cycles or hours: see PLACEHOLDERS.
    let Some(text) = doc.pointer(pointer) else { return Ok(json!({"lifeValue": 0, "lifeUnit": "unit:month"})) };
    let text = text.as_str().ok_or_else(|| invalid(pointer, "not a string".into()))?;
    let months: u8 = text
        .strip_prefix("--")
        .and_then(|rest| rest.get(..2))
        .and_then(|mm| mm.parse().ok())
        .ok_or_else(|| invalid(pointer, format!("not a --MM month period: {text:?}")))?;
    Ok(json!({"lifeValue": months, "lifeUnit": "unit:month"}))
}

/// One "Climate Change Total" entry for the per-kWh footprint, one for the absolute footprint, one per stage.
/// Unit conversion: canonical stages are shares (%) of the per-kWh footprint; Catena-X values are absolute, so
/// each stage is written as share × total / 100 in kg CO2e/kWh.
fn export_carbon_footprint(doc: &Value) -> Result<Value, MappingError> {
    let cf = "/carbonFootprint";
    let entry = |lifecycle: &str, value: Value, unit: &str| {
        json!({"lifecycle": lifecycle, "value": value, "unit": unit, "type": "Climate Change Total",
               "rulebook": [], "manufacturingPlant": [], "declaration": []})
    };
    let mut entries = vec![];
    let total = doc.pointer(&format!("{cf}/batteryCarbonFootprint"));
    if let Some(total) = total {
        let mut e = entry(ALL_STAGES, total.clone(), KG_PER_KWH);
        if let Some(class) = doc.pointer(&format!("{cf}/carbonFootprintPerformanceClass")) {
            e["performanceClass"] = class.clone();
        }
        e["declaration"] = links(doc, &format!("{cf}/carbonFootprintStudy"), "Carbon footprint study");
        entries.push(e);
    }
    if let Some(absolute) = doc.pointer(&format!("{cf}/absoluteCarbonFootprint")) {
        entries.push(entry(ALL_STAGES, absolute.clone(), T_CO2E));
    }
    for stage in all(doc, &format!("{cf}/carbonFootprintPerLifecycleStage")) {
        let pointer = format!("{cf}/carbonFootprintPerLifecycleStage");
        let name = stage["lifecycleStage"].as_str().unwrap_or_default();
        let label = STAGES
            .iter()
            .find(|(c, _)| *c == name)
            .ok_or_else(|| invalid(&pointer, format!("unknown lifecycle stage {name:?}")))?
            .1;
        let share = number(&stage["carbonFootprint"], &pointer)?;
        let total = number(total.ok_or_else(|| missing(&format!("{cf}/batteryCarbonFootprint")))?, &pointer)?;
        entries.push(entry(label, json!(share * total / 100.0), KG_PER_KWH));
    }
    Ok(Value::Array(entries))
}

fn export_active(doc: &Value) -> Value {
    let mut active = Map::new();
    for (key, name, cas) in ACTIVE {
        let material =
            all(doc, "/materialComposition/batteryMaterials").find(|m| m["batteryMaterialIdentifier"] == cas);
        let recycled = recycled_share(doc, name);
        let mut entry = json!({
            "location": material.and_then(|m| m.pointer("/batteryMaterialLocation/componentName")).unwrap_or(&json!("")),
            "recycled": tidy(recycled),
            "critical": material.map(|m| m["isCriticalRawMaterial"].clone()).unwrap_or(json!(false)),
            "documentation": [],
        });
        if key == "lead" {
            entry["impactOfSubstances"] = json!([]);
            entry["concentration"] = json!(0);
            entry["materialUnit"] = json!("unit:percent");
        }
        active.insert(key.to_string(), entry);
    }
    Value::Object(active)
}

/// Catena-X has one recycled share per material: pre- plus post-consumer (0 if not declared).
fn recycled_share(doc: &Value, material: &str) -> f64 {
    all(doc, "/circularity/recycledContent")
        .find(|r| r["recycledMaterial"] == material)
        .map(|r| r["preConsumerShare"].as_f64().unwrap_or(0.0) + r["postConsumerShare"].as_f64().unwrap_or(0.0))
        .unwrap_or(0.0)
}

fn export_hazardous(doc: &Value) -> Value {
    let unknown = json!({"concentration": 0, "location": "", "materialUnit": "unit:percent", "critical": false,
                         "documentation": [], "impactOfSubstances": []});
    let other: Vec<Value> = all(doc, "/materialComposition/hazardousSubstances")
        .map(|s| {
            json!({
                "materialIdentification": [{"type": "CAS", "id": s["hazardousSubstanceIdentifier"], "name": s["hazardousSubstanceName"]}],
                // Canonical concentrations are read as percent (w/w).
                "concentration": s["hazardousSubstanceConcentration"],
                "materialUnit": "unit:percent",
                "location": s.pointer("/hazardousSubstanceLocation/componentName").unwrap_or(&json!("")),
                "critical": false,
                "documentation": [],
                "impactOfSubstances": items(s, "/hazardousSubstanceImpact")
                    .map(|text| json!({"header": "Hazard statement", "contentType": "text/plain", "content": text}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut lead = unknown.clone();
    lead["recycled"] = tidy(recycled_share(doc, "Lead"));
    json!({"cadmium": unknown, "mercury": unknown, "lead": lead, "other": other})
}

/// Unit conversion: canonical material masses are in kg; Catena-X composition wants a concentration, written as
/// percent of the battery mass (also kg).
fn export_composition(doc: &Value) -> Result<Value, MappingError> {
    let mass_pointer = "/generalProductInformation/batteryMass";
    let battery_mass = number(required(doc, mass_pointer)?, mass_pointer)?;
    if battery_mass <= 0.0 {
        return Err(invalid(mass_pointer, "must be positive to express material shares".into()));
    }
    all(doc, "/materialComposition/batteryMaterials")
        .map(|m| {
            let mass =
                number(&m["batteryMaterialMass"], "/materialComposition/batteryMaterials/-/batteryMaterialMass")?;
            Ok(json!({
                "id": [{"type": "CAS", "id": m["batteryMaterialIdentifier"], "name": m["batteryMaterialName"]}],
                // Unrounded, so the import gets the mass back exactly.
                "concentration": mass / battery_mass * 100.0,
                "unit": "unit:percent",
                "critical": m["isCriticalRawMaterial"],
                "documentation": [],
                "recycled": 0,
                "renewable": 0,
                "location": m.pointer("/batteryMaterialLocation/componentName").unwrap_or(&json!("")),
            }))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn export_rated(doc: &Value) -> Value {
    let p = |name: &str| {
        doc.pointer(&format!("/performance/batteryTechicalProperties/{name}")).cloned().unwrap_or(json!(0))
    };
    let power_at = |soc: u64| {
        all(doc, "/performance/batteryTechicalProperties/originalPowerCapability")
            .find(|e| e["atSoC"].as_f64() == Some(soc as f64))
            .map(|e| e["powerCapabilityAt"].clone())
            .unwrap_or(json!(0))
    };
    let resistance = |component: &str| {
        all(doc, "/performance/batteryTechicalProperties/initialInternalResistance")
            .find(|e| e["batteryComponent"] == component)
            .map(|e| e["ohmicResistance"].clone())
    };
    let mut rated = json!({
        "voltage": {"min": p("minimumVoltage"), "max": p("maximumVoltage"), "nominal": p("nominalVoltage")},
        "roundTripEfficiency": {"depthOfDischarge": 0, "initial": p("roundtripEfficiency"),
                                "50PercentLife": p("roundTripEfficiencyat50PerCentCycleLife")},
        "resistance": {"cell": resistance("cell").unwrap_or(json!(0)), "pack": resistance("pack").unwrap_or(json!(0))},
        "power": {"value": p("ratedMaximumPower"), "at20SoC": power_at(20), "at80SoC": power_at(80)},
        "capacity": {"value": p("ratedCapacity"), "thresholdExhaustion": p("capacityThresholdForExhaustion")},
        "temperature": {"lower": p("temperatureRangeIdleState/minimum"), "upper": p("temperatureRangeIdleState/maximum")},
        "selfDischargingRate": p("initialSelfDischarge"),
        "lifetime": {
            "expectedYears": p("expectedLifetime"),
            "report": links(doc, "/performance/batteryTechicalProperties/lifetimeReferenceTest", "Cycle-life reference test"),
            "cycleLifeTesting": {"temperature": 0, "depthOfDischarge": 0, "cycles": p("expectedNumberOfCycles"),
                                 "appliedChargeRate": p("cRateLifeCycleTest"), "appliedDischargeRate": p("cRateLifeCycleTest")},
        },
    });
    if let Some(module) = resistance("module") {
        rated["resistance"]["module"] = module;
    }
    if let Some(energy) = doc.pointer("/performance/batteryTechicalProperties/ratedEnergy") {
        rated["energy"] = json!({"value": energy});
    }
    rated
}

fn export_dynamic(doc: &Value) -> Value {
    let bc = "/performance/batteryCondition";
    // Canonical {<name>Value, lastUpdate} -> Catena-X {value, time}.
    let record = |name: &str| {
        let r = doc.pointer(&format!("{bc}/{name}")).unwrap_or(&Value::Null);
        json!({"value": r.get(format!("{name}Value")).unwrap_or(&json!(0)), "time": r["lastUpdate"]})
    };
    // Static canonical fades go to Catena-X dynamic records, timed like the related condition value.
    let fade = |name: &str, time_of: &str| {
        json!({"value": doc.pointer(&format!("/performance/batteryTechicalProperties/{name}")).unwrap_or(&json!(0)),
               "time": doc.pointer(&format!("{bc}/{time_of}/lastUpdate")).unwrap_or(&Value::Null)})
    };
    let per_component = |name: &str, value_key: &str| {
        let mut out = Map::new();
        for entry in all(doc, &format!("{bc}/{name}")) {
            if let Some(component) = entry["batteryComponent"].as_str() {
                out.insert(component.to_string(), json!({"value": entry[value_key], "time": entry["lastUpdate"]}));
            }
        }
        Value::Object(out)
    };
    let remaining_power = doc.pointer(&format!("{bc}/remainingPowerCapability")).unwrap_or(&Value::Null);
    let mut dynamic = json!({
        "stateOfCharge": record("stateOfCharge"),
        "fullCycles": record("numberOfFullCycles"),
        "selfDischargingRate": doc.pointer(&format!("{bc}/currentSelfDischargingRate/currentSelfDischargingRateValue")).unwrap_or(&json!(0)),
        "power": {
            "fade": fade("powerFade", "remainingPowerCapability"),
            "remaining": {"value": remaining_power.pointer("/remainingPowerCapabilityValue/powerCapabilityAt").unwrap_or(&json!(0)),
                          "time": remaining_power["lastUpdate"]},
        },
        "capacity": {"fade": record("capacityFade"), "throughput": record("capacityThroughput"), "capacity": record("remainingCapacity")},
        "roundTripEfficiency": {"fade": fade("roundTripEfficiencyFade", "remainingRoundTripEnergyEfficiency"),
                                "remaining": record("remainingRoundTripEnergyEfficiency")},
        "resistance": {"increase": per_component("internalResistanceIncrease", "internalResistanceIncreaseValue"),
                       "remaining": per_component("internalResistance", "ohmicResistance")},
        "energy": {"soce": record("stateOfCertifiedEnergy"), "remaining": record("remainingEnergy")},
    });
    if doc.pointer(&format!("{bc}/energyThroughput")).is_some() {
        dynamic["energy"]["throughput"] = record("energyThroughput");
    }
    dynamic
}

fn export_safety(doc: &Value) -> Value {
    let c = "/circularity";
    let mut measures = links(doc, &format!("{c}/safetyMeasures/safetyInstructions"), SAFETY_INSTRUCTIONS);
    if let (Value::Array(list), Value::Array(more)) = (
        &mut measures,
        links(doc, &format!("{c}/safetyMeasures/wasteBatterySafetyInstructions"), WASTE_SAFETY_INSTRUCTIONS),
    ) {
        list.extend(more);
    }
    json!({
        "usableExtinguishAgent": all(doc, &format!("{c}/safetyMeasures/extinguishingAgent"))
            .map(|agent| json!({"media": agent, "fireClass": ""}))
            .collect::<Vec<_>>(),
        "safetyMeasures": measures,
        // Label symbol links as documents titled by their subject.
        "meaningOfLabels": all(doc, "/labels/labels")
            .map(|l| json!({"header": l["labelingSubject"], "contentType": "URL", "content": l["labelingSymbol"]}))
            .collect::<Vec<_>>(),
        // The document type is the header and the MIME type the content type, so both come back.
        "dismantling": all(doc, &format!("{c}/dismantlingAndRemovalInformation"))
            .map(|d| json!({"header": d["documentType"], "contentType": d["mimeType"], "content": d["documentURL"]}))
            .collect::<Vec<_>>(),
    })
}

// ---------------------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------------------

/// Maps a Catena-X battery pass 6.1.0 payload to a canonical passport document (best effort: values Catena-X does
/// not have stay absent, so the result may need completing before it validates as a canonical document).
pub fn from_battery_pass(bp: &Value) -> Result<Value, MappingError> {
    if !bp.is_object() {
        return Err(MappingError::NotAnObject);
    }
    let mut doc = json!({});
    let mut put = |pointer: &str, value: Option<Value>| {
        if let Some(value) = value {
            set(&mut doc, pointer, value);
        }
    };
    let get = |pointer: &str| bp.pointer(pointer).cloned();
    let link = |pointer: &str| bp.pointer(&format!("{pointer}/0/content")).cloned();
    let gpi = "/generalProductInformation";

    // General product information.
    let stationary = items(bp, "/commercial/purpose").any(|p| p == STATIONARY_PURPOSE);
    let category = match bp.pointer("/identification/category").and_then(Value::as_str) {
        Some("EV") => Some("ev"),
        Some("LMT") => Some("lmt"),
        Some("industrial") if stationary => Some("stationary"),
        Some("industrial") => Some("industrial"),
        // No canonical category (no passport obligation): kept verbatim, so canonical validation flags it
        // instead of the value being silently lost.
        Some(cx @ ("SLI" | "portable" | "incorporated")) => Some(cx),
        _ => None,
    };
    put(&format!("{gpi}/batteryCategory"), category.map(Value::from));
    put(&format!("{gpi}/productIdentifier"), get("/identification/idDmc"));
    put(&format!("{gpi}/manufacturingDate"), date_time(bp, "/operation/manufacturer/manufacturingDate")?);
    put(&format!("{gpi}/puttingIntoService"), date_time(bp, "/operation/intoServiceDate")?);
    put(&format!("{gpi}/warrentyPeriod"), import_warranty(bp));
    put(&format!("{gpi}/batteryMass"), import_mass(bp)?);
    let status = bp.pointer("/sustainability/status").and_then(Value::as_str);
    put(&format!("{gpi}/batteryStatus"), STATUSES.iter().find(|(_, cx)| Some(*cx) == status).map(|(c, _)| json!(c)));
    put(
        &format!("{gpi}/predecessorPassports"),
        bp.pointer("/metadata/predecessor")
            .and_then(Value::as_str)
            .filter(|p| is_uuid(p) && *p != NIL_UUID)
            .map(|p| json!([passport_id_of_uuid(p)])),
    );
    put(
        &format!("{gpi}/batteryPassportIdentifier"),
        bp.pointer("/metadata/passportIdentifier")
            .and_then(Value::as_str)
            .filter(|p| is_uuid(p) && *p != NIL_UUID)
            .map(|p| json!(passport_id_of_uuid(p))),
    );
    for (place, pointer) in [
        ("operatorInformation", "/metadata/economicOperatorId"),
        ("manufacturerInformation", "/operation/manufacturer/manufacturer"),
    ] {
        let bpnl = bp.pointer(pointer).and_then(Value::as_str).filter(|b| is_bpnl(b) && *b != UNKNOWN_BPNL);
        put(&format!("{gpi}/{place}/identifier"), bpnl.map(|b| json!(b)));
    }

    // Labels and conformity.
    put("/labels/declarationOfConformity", link("/conformity/declarationOfConformity"));
    put("/labels/declarationOfConformityId", get("/conformity/declarationOfConformityId"));
    put("/labels/resultOfTestReport", link("/conformity/resultOfTestReport"));
    put(
        "/labels/labels",
        Some(Value::Array(
            all(bp, "/safety/meaningOfLabels")
                .map(|d| json!({"labelingSubject": d["header"], "labelingSymbol": d["content"]}))
                .collect(),
        )),
    );

    // Supply chain due diligence.
    put("/supplyChainDueDiligence/supplyChainDueDiligenceReport", link("/conformity/dueDiligencePolicy"));
    put("/supplyChainDueDiligence/thirdPartyAussurances", link("/conformity/thirdPartyAssurance"));

    // Carbon footprint.
    for (pointer, value) in import_carbon_footprint(bp) {
        put(&pointer, Some(value));
    }

    // Material composition.
    put("/materialComposition/batteryChemistry/shortName", get("/identification/chemistry"));
    put("/materialComposition/batteryMaterials", import_composition(bp)?);
    put(
        "/materialComposition/hazardousSubstances",
        Some(Value::Array(
            all(bp, "/materials/hazardous/other")
                .map(|h| {
                    let id = &h["materialIdentification"][0];
                    json!({
                        "hazardousSubstanceName": id["name"],
                        "hazardousSubstanceIdentifier": id["id"],
                        "hazardousSubstanceConcentration": h["concentration"],
                        "hazardousSubstanceLocation": {"componentName": h["location"]},
                        "hazardousSubstanceImpact": items(h, "/impactOfSubstances").map(|d| d["content"].clone()).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        )),
    );

    // Circularity.
    let c = "/circularity";
    put(
        &format!("{c}/dismantlingAndRemovalInformation"),
        Some(Value::Array(
            all(bp, "/safety/dismantling")
                .map(
                    |d| json!({"documentType": d["header"], "mimeType": d["contentType"], "documentURL": d["content"]}),
                )
                .collect(),
        )),
    );
    let spare: Vec<Value> = all(bp, "/handling/content/sparePart")
        .map(|p| json!({"partNumber": p["manufacturerPartId"], "partName": p["nameAtManufacturer"]}))
        .collect();
    if !spare.is_empty() {
        put(&format!("{c}/sparePartSources"), Some(json!([{"components": spare}])));
    }
    let measure =
        |header: &str| all(bp, "/safety/safetyMeasures").find(|d| d["header"] == header).map(|d| d["content"].clone());
    put(&format!("{c}/safetyMeasures/safetyInstructions"), measure(SAFETY_INSTRUCTIONS));
    put(&format!("{c}/safetyMeasures/wasteBatterySafetyInstructions"), measure(WASTE_SAFETY_INSTRUCTIONS));
    put(
        &format!("{c}/safetyMeasures/extinguishingAgent"),
        Some(Value::Array(all(bp, "/safety/usableExtinguishAgent").map(|a| a["media"].clone()).collect())),
    );
    put(&format!("{c}/endOfLifeInformation/separateCollection"), link("/sustainability/documents/separateCollection"));
    put(&format!("{c}/endOfLifeInformation/wastePrevention"), link("/sustainability/documents/wastePrevention"));
    put(
        &format!("{c}/endOfLifeInformation/informationOnCollection"),
        all(bp, "/sources").find(|s| s["header"] == COLLECTION_INFO).map(|s| s["content"].clone()),
    );

    // Performance.
    for (pointer, value) in import_performance(bp) {
        put(&pointer, Some(value));
    }
    Ok(doc)
}

fn import_warranty(bp: &Value) -> Option<Value> {
    let months = match bp.pointer("/characteristics/warranty/lifeUnit")?.as_str()? {
        "unit:month" => bp.pointer("/characteristics/warranty/lifeValue")?.as_f64()?,
        "unit:year" => bp.pointer("/characteristics/warranty/lifeValue")?.as_f64()? * 12.0,
        _ => return None,
    };
    (months.fract() == 0.0 && (1.0..=12.0).contains(&months)).then(|| json!(format!("--{:02}", months as u8)))
}

/// Unit conversion to kg, the canonical mass unit.
fn import_mass(bp: &Value) -> Result<Option<Value>, MappingError> {
    let pointer = "/characteristics/physicalDimension/weight";
    let Some(weight) = bp.pointer(pointer) else { return Ok(None) };
    let kg_per_unit = match weight["unit"].as_str() {
        Some("unit:kilogram") => return Ok(Some(weight["value"].clone())),
        Some("unit:gram") => 0.001,
        Some("unit:tonneMetricTon") => 1000.0,
        Some("unit:tonUsOrShortTonUkorus") => 907.184_74,
        Some("unit:pound") => 0.453_592_37,
        Some("unit:ounceAvoirdupois") => 0.028_349_523_125,
        other => return Err(invalid(&format!("{pointer}/unit"), format!("unknown mass unit {other:?}"))),
    };
    Ok(Some(tidy(number(&weight["value"], &format!("{pointer}/value"))? * kg_per_unit)))
}

fn import_carbon_footprint(bp: &Value) -> Vec<(String, Value)> {
    let cf = "/carbonFootprint";
    let entries: Vec<&Value> =
        all(bp, "/sustainability/carbonFootprint").filter(|e| e["type"] == "Climate Change Total").collect();
    let mut out = vec![];
    let total = entries.iter().find(|e| e["lifecycle"] == ALL_STAGES && e["unit"] == KG_PER_KWH);
    if let Some(total) = total {
        out.push((format!("{cf}/batteryCarbonFootprint"), total["value"].clone()));
        if let Some(class) = total.get("performanceClass") {
            out.push((format!("{cf}/carbonFootprintPerformanceClass"), class.clone()));
        }
        if let Some(study) = total.pointer("/declaration/0/content") {
            out.push((format!("{cf}/carbonFootprintStudy"), study.clone()));
        }
    }
    if let Some(absolute) = entries.iter().find(|e| e["lifecycle"] == ALL_STAGES && e["unit"] == T_CO2E) {
        out.push((format!("{cf}/absoluteCarbonFootprint"), absolute["value"].clone()));
    }
    // Stage values back to shares of the total (the export's conversion reversed).
    if let Some(total) = total.and_then(|t| t["value"].as_f64()).filter(|t| *t != 0.0) {
        let stages: Vec<Value> = entries
            .iter()
            .filter(|e| e["unit"] == KG_PER_KWH)
            .filter_map(|e| {
                let stage = STAGES.iter().find(|(_, label)| e["lifecycle"] == *label)?.0;
                Some(json!({"lifecycleStage": stage, "carbonFootprint": tidy(e["value"].as_f64()? / total * 100.0)}))
            })
            .collect();
        out.push((format!("{cf}/carbonFootprintPerLifecycleStage"), Value::Array(stages)));
    }
    out
}

/// Percent-of-battery-mass concentrations back to kg (the export's conversion reversed).
fn import_composition(bp: &Value) -> Result<Option<Value>, MappingError> {
    let Some(Value::Number(battery_mass)) = import_mass(bp)? else { return Ok(None) };
    let battery_mass = battery_mass.as_f64().unwrap_or(0.0);
    let materials: Vec<Value> = all(bp, "/materials/composition")
        .filter(|m| m["unit"] == "unit:percent")
        .filter_map(|m| {
            let id = &m["id"][0];
            Some(json!({
                "batteryMaterialIdentifier": id["id"],
                "batteryMaterialName": id["name"],
                "batteryMaterialMass": tidy(m["concentration"].as_f64()? * battery_mass / 100.0),
                "batteryMaterialLocation": {"componentName": m["location"]},
                "isCriticalRawMaterial": m["critical"],
            }))
        })
        .collect();
    Ok(Some(Value::Array(materials)))
}

fn import_performance(bp: &Value) -> Vec<(String, Value)> {
    let mut out = vec![];
    let mut put = |pointer: String, value: Option<&Value>| {
        if let Some(value) = value {
            out.push((pointer, value.clone()));
        }
    };
    let tp = "/performance/batteryTechicalProperties";
    let r = |pointer: &str| bp.pointer(&format!("/performance/rated/{pointer}"));
    put(format!("{tp}/minimumVoltage"), r("voltage/min"));
    put(format!("{tp}/maximumVoltage"), r("voltage/max"));
    put(format!("{tp}/nominalVoltage"), r("voltage/nominal"));
    put(format!("{tp}/roundtripEfficiency"), r("roundTripEfficiency/initial"));
    put(format!("{tp}/roundTripEfficiencyat50PerCentCycleLife"), r("roundTripEfficiency/50PercentLife"));
    put(format!("{tp}/ratedEnergy"), r("energy/value"));
    put(format!("{tp}/ratedMaximumPower"), r("power/value"));
    put(format!("{tp}/ratedCapacity"), r("capacity/value"));
    put(format!("{tp}/capacityThresholdForExhaustion"), r("capacity/thresholdExhaustion"));
    put(format!("{tp}/temperatureRangeIdleState/minimum"), r("temperature/lower"));
    put(format!("{tp}/temperatureRangeIdleState/maximum"), r("temperature/upper"));
    put(format!("{tp}/initialSelfDischarge"), r("selfDischargingRate"));
    put(format!("{tp}/expectedLifetime"), r("lifetime/expectedYears"));
    put(format!("{tp}/expectedNumberOfCycles"), r("lifetime/cycleLifeTesting/cycles"));
    put(format!("{tp}/cRateLifeCycleTest"), r("lifetime/cycleLifeTesting/appliedDischargeRate"));
    put(format!("{tp}/lifetimeReferenceTest"), r("lifetime/report/0/content"));
    let d = |pointer: &str| bp.pointer(&format!("/performance/dynamic/{pointer}"));
    put(format!("{tp}/powerFade"), d("power/fade/value"));
    put(format!("{tp}/roundTripEfficiencyFade"), d("roundTripEfficiency/fade/value"));
    let power: Vec<Value> = [(80, "at80SoC"), (20, "at20SoC")]
        .iter()
        .filter_map(|(soc, key)| Some(json!({"atSoC": soc, "powerCapabilityAt": r(&format!("power/{key}"))?})))
        .collect();
    put(format!("{tp}/originalPowerCapability"), Some(&Value::Array(power)));
    let resistance: Vec<Value> = COMPONENTS
        .iter()
        .filter_map(|c| Some(json!({"batteryComponent": c, "ohmicResistance": r(&format!("resistance/{c}"))?})))
        .collect();
    put(format!("{tp}/initialInternalResistance"), Some(&Value::Array(resistance)));

    let bc = "/performance/batteryCondition";
    for (name, from) in [
        ("stateOfCharge", "stateOfCharge"),
        ("numberOfFullCycles", "fullCycles"),
        ("capacityFade", "capacity/fade"),
        ("capacityThroughput", "capacity/throughput"),
        ("remainingCapacity", "capacity/capacity"),
        ("remainingRoundTripEnergyEfficiency", "roundTripEfficiency/remaining"),
        ("stateOfCertifiedEnergy", "energy/soce"),
        ("remainingEnergy", "energy/remaining"),
        ("energyThroughput", "energy/throughput"),
    ] {
        if let Some(record) = d(from) {
            put(
                format!("{bc}/{name}"),
                Some(&json!({format!("{name}Value"): record["value"], "lastUpdate": record["time"]})),
            );
        }
    }
    if let Some(remaining) = d("power/remaining") {
        // Canonical requires the SoC the value was measured at; Catena-X has none, so it is left out.
        put(
            format!("{bc}/remainingPowerCapability"),
            Some(
                &json!({"lastUpdate": remaining["time"], "remainingPowerCapabilityValue": {"powerCapabilityAt": remaining["value"], "rPCLastUpdated": remaining["time"]}}),
            ),
        );
    }
    if let Some(rate) = d("selfDischargingRate") {
        // Catena-X has no time here; the state of charge time is the best available stand-in.
        put(
            format!("{bc}/currentSelfDischargingRate"),
            Some(&json!({"currentSelfDischargingRateValue": rate, "lastUpdate": d("stateOfCharge/time")})),
        );
    }
    for (name, from, key) in [
        ("internalResistanceIncrease", "resistance/increase", "internalResistanceIncreaseValue"),
        ("internalResistance", "resistance/remaining", "ohmicResistance"),
    ] {
        let entries: Vec<Value> = COMPONENTS
            .iter()
            .filter_map(|c| {
                let record = d(&format!("{from}/{c}"))?;
                Some(json!({"batteryComponent": c, key: record["value"], "lastUpdate": record["time"]}))
            })
            .collect();
        put(format!("{bc}/{name}"), Some(&Value::Array(entries)));
    }
    put(format!("{bc}/negativeEvents"), Some(&json!([])));
    out
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

fn missing(pointer: &str) -> MappingError {
    MappingError::Missing { pointer: pointer.to_string() }
}

fn invalid(pointer: &str, reason: String) -> MappingError {
    MappingError::Invalid { pointer: pointer.to_string(), reason }
}

fn required<'a>(doc: &'a Value, pointer: &str) -> Result<&'a Value, MappingError> {
    doc.pointer(pointer).ok_or_else(|| missing(pointer))
}

fn required_str<'a>(doc: &'a Value, pointer: &str) -> Result<&'a str, MappingError> {
    required(doc, pointer)?.as_str().ok_or_else(|| invalid(pointer, "not a string".into()))
}

fn str_at<'a>(doc: &'a Value, pointer: &str) -> Option<&'a str> {
    doc.pointer(pointer).and_then(Value::as_str)
}

fn number(value: &Value, pointer: &str) -> Result<f64, MappingError> {
    value.as_f64().ok_or_else(|| invalid(pointer, "not a number".into()))
}

/// The elements of the array at `pointer` (none if absent or not an array).
fn all<'a>(doc: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    doc.pointer(pointer).and_then(Value::as_array).into_iter().flatten()
}

fn items<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    all(value, pointer)
}

/// A Catena-X document list holding the link at `pointer`, or an empty list.
fn links(doc: &Value, pointer: &str, header: &str) -> Value {
    match doc.pointer(pointer) {
        Some(link) => json!([{"header": header, "contentType": "URL", "content": link}]),
        None => json!([]),
    }
}

/// A converted number rounded to 9 decimals, integral values as JSON integers (as the demo data writes them), so
/// converting there and back gives the same JSON value.
fn tidy(x: f64) -> Value {
    let rounded = (x * 1e9).round() / 1e9;
    if rounded.fract() == 0.0 && rounded.abs() < 9e15 { json!(rounded as i64) } else { json!(rounded) }
}

/// `urn:voltpass:<32 hex>` (a UUID without hyphens, see `passport::ids`) as `urn:uuid:8-4-4-4-12`.
pub(crate) fn voltpass_uuid(id: &str) -> Option<String> {
    let hex = id.strip_prefix("urn:voltpass:")?;
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
        return None;
    }
    Some(format!("urn:uuid:{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]))
}

/// A Catena-X passport UUID as a passport identifier the Battery Pass schema accepts (`urn:voltpass:<hex>`).
fn passport_id_of_uuid(uuid: &str) -> String {
    let hex: String = uuid.strip_prefix("urn:uuid:").unwrap_or(uuid).chars().filter(|c| *c != '-').collect();
    format!("urn:voltpass:{}", hex.to_ascii_lowercase())
}

/// `BPNL` + 12 upper-case letters or digits.
fn is_bpnl(text: &str) -> bool {
    text.len() == 16
        && text.starts_with("BPNL")
        && text[4..].chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn is_uuid(text: &str) -> bool {
    let hex = text.strip_prefix("urn:uuid:").unwrap_or(text);
    let groups: Vec<&str> = hex.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The calendar date (in the timestamp's own offset) of the RFC 3339 timestamp at `pointer`, as YYYY-MM-DD.
fn date_part(doc: &Value, pointer: &str) -> Result<Value, MappingError> {
    let text = required_str(doc, pointer)?;
    let parsed = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| invalid(pointer, format!("not an RFC 3339 timestamp: {e}")))?;
    let date = parsed.date();
    Ok(json!(format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())))
}

/// A Catena-X date as a canonical timestamp at midnight UTC (the time of day is unknown).
fn date_time(bp: &Value, pointer: &str) -> Result<Option<Value>, MappingError> {
    let Some(text) = bp.pointer(pointer) else { return Ok(None) };
    let text = text.as_str().ok_or_else(|| invalid(pointer, "not a string".into()))?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format).map_err(|e| invalid(pointer, format!("not a real date: {e}")))?;
    Ok(Some(json!(format!("{text}T00:00:00Z"))))
}

/// Sets `pointer` in `doc`, creating objects on the way.
fn set(doc: &mut Value, pointer: &str, value: Value) {
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
