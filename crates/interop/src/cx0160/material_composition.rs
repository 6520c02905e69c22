//! Part 6, Material Composition: chemistry, materials and hazardous substances. Both models descend from the same
//! Battery Pass model, so every value maps one to one (same units: kg, %).

use super::MappingError;
use super::common::{cloned, group, list, obj, put};
use serde_json::{Map, Value};

const MC: &str = "/materialComposition";
/// (canonical, IDTA) member names of a material.
const MATERIAL: [(&str, &str); 4] = [
    ("batteryMaterialIdentifier", "BatteryMaterialIdentifier"),
    ("batteryMaterialName", "BatteryMaterialName"),
    ("batteryMaterialMass", "BatteryMaterialMass"),
    ("isCriticalRawMaterial", "IsCriticalRawMaterial"),
];
const SUBSTANCE: [(&str, &str); 5] = [
    ("hazardousSubstanceClass", "HazardousSubstanceClass"),
    ("hazardousSubstanceName", "HazardousSubstanceName"),
    ("hazardousSubstanceIdentifier", "HazardousSubstanceIdentifier"),
    ("hazardousSubstanceConcentration", "HazardousSubstanceConcentration"),
    ("hazardousSubstanceImpact", "HazardousSubstanceImpact"),
];
const LOCATION: [(&str, &str); 2] = [("componentName", "ComponentName"), ("componentId", "ComponentId")];

/// Copies the members named in `names` (and the location object at `location`), renaming them.
fn rename(
    from: &Value,
    names: &[(&'static str, &'static str)],
    location: (&'static str, &'static str),
    to_idta: bool,
) -> Value {
    let pick = |&(c, i): &(&'static str, &'static str)| if to_idta { (c, i) } else { (i, c) };
    let mut out: Map<String, Value> =
        names.iter().map(pick).filter_map(|(f, t)| Some((t.to_string(), from.get(f)?.clone()))).collect();
    let (source, target) = pick(&location);
    if let Some(place) = from.get(source) {
        out.insert(target.to_string(), rename(place, &LOCATION, ("", ""), to_idta));
    }
    Value::Object(out)
}

pub(super) fn export(doc: &Value) -> Result<Value, MappingError> {
    let chemistry = group([
        ("ShortName", cloned(doc, &format!("{MC}/batteryChemistry/shortName"))),
        ("ClearName", cloned(doc, &format!("{MC}/batteryChemistry/clearName"))),
    ]);
    let location = ("batteryMaterialLocation", "BatteryMaterialLocation");
    let substance_location = ("hazardousSubstanceLocation", "HazardousSubstanceLocation");
    Ok(obj([
        ("BatteryChemistry", chemistry),
        ("BatteryMaterials", list(doc, &format!("{MC}/batteryMaterials"), |m| rename(m, &MATERIAL, location, true))),
        (
            "HazardousSubstances",
            list(doc, &format!("{MC}/hazardousSubstances"), |s| rename(s, &SUBSTANCE, substance_location, true)),
        ),
    ]))
}

pub(super) fn import(value: &Value, doc: &mut Value) {
    put(doc, &format!("{MC}/batteryChemistry/shortName"), cloned(value, "/BatteryChemistry/ShortName"));
    put(doc, &format!("{MC}/batteryChemistry/clearName"), cloned(value, "/BatteryChemistry/ClearName"));
    let location = ("batteryMaterialLocation", "BatteryMaterialLocation");
    let substance_location = ("hazardousSubstanceLocation", "HazardousSubstanceLocation");
    put(
        doc,
        &format!("{MC}/batteryMaterials"),
        list(value, "/BatteryMaterials", |m| rename(m, &MATERIAL, location, false)),
    );
    put(
        doc,
        &format!("{MC}/hazardousSubstances"),
        list(value, "/HazardousSubstances", |s| rename(s, &SUBSTANCE, substance_location, false)),
    );
}
