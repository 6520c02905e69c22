//! Part 3, Product Carbon Footprint.
//!
//! One entry per canonical value, told apart by reference unit and life cycle phases (the phases of DIN DKE SPEC
//! 99100 the .ttl names for the four Battery Regulation stages):
//! - the footprint per functional unit: kg CO2e per 1 kWh, all four phases, with class and study;
//! - the absolute footprint: per 1 piece, all four phases; canonical t CO2e, IDTA kg CO2e (× 1000);
//! - each stage: per 1 kWh, the stage's phase. Canonical stages are shares in % of the per-kWh footprint, IDTA
//!   values are absolute: share × total / 100 kg CO2e/kWh.

use super::MappingError;
use super::common::{all, get, invalid, number, put, shortest, tidy};
use super::documents::{Parts, ids};
use serde_json::{Value, json};

/// The calculation method written on every entry (the canonical model does not record one).
pub(super) const METHOD: &str = "Regulation (EU) 2023/1542, Article 7 (carbon footprint methodology)";
const KWH: &str = "kwH";
const PIECE: &str = "piece";
const CF: &str = "/carbonFootprint";
const STUDY: &str = "/carbonFootprint/carbonFootprintStudy";
/// Canonical lifecycle stage <-> IDTA life cycle phase.
const STAGES: [(&str, &str); 4] = [
    ("RawMaterialExtraction", "A1 - raw material supply (and upstream production)"),
    ("MainProduction", "A3 - production"),
    ("Distribution", "A4 - transport to final destination"),
    ("Recycling", "C3 - recycling, waste treatment"),
];

fn all_phases() -> Value {
    json!(STAGES.map(|(_, phase)| phase))
}

pub(super) fn export(doc: &Value) -> Result<Value, MappingError> {
    let class = get(doc, &format!("{CF}/carbonFootprintPerformanceClass")).cloned().unwrap_or(json!(""));
    let study = ids(doc, STUDY).unwrap_or(json!([]));
    let entry = |value: Value, unit: &str, phases: Value| {
        json!({
            "PcfCalculationMethods": [METHOD],
            "PcfCo2eq": value,
            "ReferenceImpactUnitForCalculation": unit,
            "QuantityOfMeasureForCalculation": 1,
            "LifeCyclePhases": phases,
            "PerformanceClass": class,
            "WebLinkToPublicCarbonFootprintStudy": study,
        })
    };
    let mut entries = vec![];
    let total_pointer = format!("{CF}/batteryCarbonFootprint");
    let total = get(doc, &total_pointer);
    if let Some(total) = total {
        entries.push(entry(total.clone(), KWH, all_phases()));
    }
    let absolute_pointer = format!("{CF}/absoluteCarbonFootprint");
    if let Some(absolute) = get(doc, &absolute_pointer) {
        let tonnes = number(absolute, &absolute_pointer)?;
        entries.push(entry(shortest(tonnes * 1000.0, tonnes, |kg| kg / 1000.0), PIECE, all_phases()));
    }
    let stages_pointer = format!("{CF}/carbonFootprintPerLifecycleStage");
    for stage in all(doc, &stages_pointer) {
        let name = stage["lifecycleStage"].as_str().unwrap_or_default();
        let phase = STAGES
            .iter()
            .find(|(s, _)| *s == name)
            .ok_or_else(|| invalid(&stages_pointer, format!("unknown lifecycle stage {name:?}")))?
            .1;
        let share = number(&stage["carbonFootprint"], &format!("{stages_pointer}/-/carbonFootprint"))?;
        let total = number(total.ok_or_else(|| invalid(&stages_pointer, "stage shares need a total".into()))?, "")?;
        entries.push(entry(shortest(share * total / 100.0, share, |v| v / total * 100.0), KWH, json!([phase])));
    }
    Ok(json!({"ProductCarbonFootprints": entries}))
}

pub(super) fn import(value: &Value, ctx: &Parts, doc: &mut Value) {
    let entries: Vec<&Value> = all(value, "/ProductCarbonFootprints").collect();
    // Value per reference unit (QuantityOfMeasureForCalculation units of it).
    let per_unit = |e: &Value| {
        let quantity = e["QuantityOfMeasureForCalculation"].as_f64().filter(|q| *q > 0.0)?;
        Some(e["PcfCo2eq"].as_f64()? / quantity)
    };
    let phases = |e: &Value| -> Vec<String> {
        let mut p: Vec<String> = all(e, "/LifeCyclePhases").filter_map(|p| p.as_str().map(str::to_string)).collect();
        p.sort();
        p
    };
    let mut whole: Vec<String> = STAGES.iter().map(|(_, p)| p.to_string()).collect();
    whole.sort();
    let unit = |e: &Value, u: &str| e["ReferenceImpactUnitForCalculation"] == u;

    let total_entry = entries.iter().find(|e| unit(e, KWH) && phases(e) == whole);
    let total = total_entry.and_then(|e| per_unit(e));
    if let (Some(entry), Some(total)) = (total_entry, total) {
        put(doc, &format!("{CF}/batteryCarbonFootprint"), Some(tidy(total)));
        let class = entry["PerformanceClass"].as_str().filter(|c| !c.is_empty());
        put(doc, &format!("{CF}/carbonFootprintPerformanceClass"), class.map(Value::from));
        ctx.links(entry.get("WebLinkToPublicCarbonFootprintStudy"), &[STUDY], doc);
    }
    if let Some(absolute) = entries.iter().find(|e| unit(e, PIECE) && phases(e) == whole).and_then(|e| per_unit(e)) {
        put(doc, &format!("{CF}/absoluteCarbonFootprint"), Some(tidy(absolute / 1000.0)));
    }
    if let Some(total) = total.filter(|t| *t != 0.0) {
        let stages: Vec<Value> = entries
            .iter()
            .filter(|e| unit(e, KWH))
            .filter_map(|e| {
                let [phase] = phases(e).try_into().ok()?;
                let stage = STAGES.iter().find(|(_, p)| *p == phase)?.0;
                Some(json!({"lifecycleStage": stage, "carbonFootprint": tidy(per_unit(e)? / total * 100.0)}))
            })
            .collect();
        if !stages.is_empty() {
            put(doc, &format!("{CF}/carbonFootprintPerLifecycleStage"), Some(Value::Array(stages)));
        }
    }
}
