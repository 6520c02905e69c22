//! Roll-ups of a battery model: what the traced packs of one model record (one model at one plant, Annex XIII)
//! were made of, in one production year or in all, by mass balance over the genealogy; and writing the values
//! into the model record, which is where the passport keeps composition, recycled content and carbon footprint
//! (the catalogue marks them per model).
//!
//! The packs' sources are summed in the store (one query), so a model of 25,000 packs costs what one pack
//! costs plus the lots' process cone. Masses are per average pack: the sum over the packs divided by their
//! number. Recycled shares are ratios, so averaging does not change them.
//!
//! A model whose latest version was written by a roll-up is recomputed by the server's background task and a
//! new version is written when a value changed; a version written by hand afterwards stops that (the operator's
//! edit is not overwritten).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};
use store::{Actor, ModelVersion, Role};
use time::OffsetDateTime;
use trace::rollup::{CarbonFootprint, FootprintFactors, LotInUnit, Rollup, carbon_footprint, rollup};

use super::trace::{Entry, LotShare, TracedLots};
use super::{PassportService, Result, ServiceError, may_write_for};

/// The start of the reason of every version a roll-up writes (and the mark the background task looks for).
pub const ROLLUP_REASON: &str = "roll-up from genealogy";

/// The Battery Pass v1.2 life-cycle stages, in the order [`carbon_footprint`] returns them.
const STAGES: [&str; 4] = ["RawMaterialExtraction", "MainProduction", "Distribution", "Recycling"];

/// Recycled-content metals as the Battery Pass names them.
const METALS: [(&str, &str); 4] =
    [("cobalt", "Cobalt"), ("lithium", "Lithium"), ("nickel", "Nickel"), ("lead", "Lead")];

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelRollup {
    pub model_id: String,
    /// The production year of the packs rolled up (all years when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    pub packs: i64,
    /// Each lot's share (of what was taken from it) in all the model's packs, and its mass in an average pack.
    pub lots: Vec<LotShare>,
    pub not_by_mass: Vec<String>,
    /// Per average pack.
    #[serde(flatten)]
    pub rollup: Rollup,
    /// Per average pack, with the model's rated energy and expected number of cycles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carbon_footprint: Option<CarbonFootprint>,
    /// The passport fields the roll-up fills, as they would be written into the model record.
    pub fields: Value,
    /// Fields it cannot fill, and why.
    pub not_filled: Vec<String>,
}

/// Who may see a model's roll-up (it names lots and suppliers): admins and authorities, and the operator that
/// owns the model.
fn may_read_model(actor: &Actor, model: &ModelVersion) -> Result<()> {
    match (actor.role, &model.owner) {
        (Role::Admin | Role::Authority, _) => Ok(()),
        (Role::EconomicOperator, Some(owner)) if actor.organisation.as_deref() == Some(owner) => Ok(()),
        (Role::EconomicOperator, _) => Err(ServiceError::NotFound(format!("model {} not found", model.model_id))),
        (role, _) => Err(ServiceError::Forbidden(format!("role {role} may not read genealogy roll-ups"))),
    }
}

impl PassportService {
    /// The roll-up of a model's traced packs (of `year`, or all).
    pub async fn model_rollup(
        &self,
        actor: &Actor,
        model_id: &str,
        year: Option<i32>,
        factors: &FootprintFactors,
    ) -> Result<ModelRollup> {
        let model = self.model(model_id, None).await?;
        may_read_model(actor, &model)?;
        self.compute_model_rollup(&model, year, factors).await
    }

    async fn compute_model_rollup(
        &self,
        model: &ModelVersion,
        year: Option<i32>,
        factors: &FootprintFactors,
    ) -> Result<ModelRollup> {
        let sources = self.store.trace_model_sources(&model.model_id, year).await?;
        if sources.packs == 0 {
            return Err(ServiceError::NotFound(match year {
                Some(y) => format!("no traced pack of model {} was produced in {y}", model.model_id),
                None => format!("no traced pack belongs to model {}", model.model_id),
            }));
        }
        let entry: Vec<Entry> = sources.sources.into_iter().map(Entry::from_source).collect();
        let TracedLots { mut lots, mut shares, not_by_mass } = self.traced_lots(&entry, None).await?;
        let per_pack = 1.0 / sources.packs as f64;
        for lot in &mut lots {
            lot.mass_kg *= per_pack;
        }
        for share in &mut shares {
            share.mass_kg *= per_pack;
        }
        let number = |pointer: &str| model.document.pointer(pointer).and_then(Value::as_f64);
        let energy = number("/performance/batteryTechicalProperties/ratedEnergy");
        let cycles = number("/performance/batteryTechicalProperties/expectedNumberOfCycles");
        let footprint = energy.zip(cycles).and_then(|(e, c)| carbon_footprint(&lots, e, c, factors));
        let rolled = rollup(&lots);
        let year_of_fields = year.unwrap_or_else(|| OffsetDateTime::now_utc().year());
        let (fields, not_filled) = passport_fields(&model.document, &lots, &rolled, footprint.as_ref(), year_of_fields);
        Ok(ModelRollup {
            model_id: model.model_id.clone(),
            year,
            packs: sources.packs,
            lots: shares,
            not_by_mass,
            rollup: rolled,
            carbon_footprint: footprint,
            fields,
            not_filled,
        })
    }

    /// Writes a model's roll-up (of `year`, or all years) into a new version of its record; `expected` comes
    /// from `If-Match`. Returns the roll-up and the version written (none when nothing changed).
    pub async fn apply_model_rollup(
        &self,
        actor: &Actor,
        model_id: &str,
        year: Option<i32>,
        factors: &FootprintFactors,
        expected: Option<i64>,
    ) -> Result<(ModelRollup, Option<ModelVersion>)> {
        let model = self.model(model_id, None).await?;
        match &model.owner {
            Some(owner) => may_write_for(actor, owner)?,
            None if actor.role != Role::Admin => {
                return Err(ServiceError::Forbidden(format!("model {model_id} is managed by an administrator")));
            }
            None => {}
        }
        let rolled = self.compute_model_rollup(&model, year, factors).await?;
        let written = self.write_rollup(actor, &model, &rolled, expected).await?;
        Ok((rolled, written))
    }

    async fn write_rollup(
        &self,
        actor: &Actor,
        model: &ModelVersion,
        rolled: &ModelRollup,
        expected: Option<i64>,
    ) -> Result<Option<ModelVersion>> {
        let mut document = model.document.clone();
        merge(&mut document, &rolled.fields);
        // Compared canonically: the stored document writes 15.0 as 15.
        if passport::hash::canonical_json(&document) == passport::hash::canonical_json(&model.document) {
            return Ok(None);
        }
        let mut body = document;
        let scope = rolled.year.map_or_else(|| "all years".to_string(), |y| format!("year {y}"));
        body["modelId"] = json!(model.model_id);
        body["reason"] = json!(format!(
            "{ROLLUP_REASON}: {} packs ({scope}), {} lots{}",
            rolled.packs,
            rolled.lots.len(),
            if rolled.not_filled.is_empty() {
                String::new()
            } else {
                format!("; not filled: {}", rolled.not_filled.join("; "))
            }
        ));
        let version =
            self.update_model(actor, &model.model_id, body, Some(expected.unwrap_or(model.meta.version))).await?;
        Ok(Some(version))
    }

    /// Recomputes every model whose latest version a roll-up wrote, writing a new version where a value changed
    /// (the server's background task; `system` is the server's own actor). Returns how many versions it wrote.
    pub async fn refresh_model_rollups(&self, system: &Actor, factors: &FootprintFactors) -> Result<usize> {
        let mut written = 0;
        // Model records of administrators and of operators alike: the server writes as an administrator.
        let admin = Actor { role: Role::Admin, organisation: None, ..system.clone() };
        for model_id in self.store.models_with_reason_prefix(ROLLUP_REASON).await? {
            let model = self.model(&model_id, None).await?;
            let year = rollup_year(&model);
            let rolled = match self.compute_model_rollup(&model, year, factors).await {
                Ok(rolled) => rolled,
                Err(ServiceError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            match self.write_rollup(&admin, &model, &rolled, Some(model.meta.version)).await {
                Ok(Some(_)) => written += 1,
                Ok(None) | Err(ServiceError::Stale(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(written)
    }
}

/// The year a roll-up version was written for (`None` for all years), from its reason.
fn rollup_year(model: &ModelVersion) -> Option<i32> {
    let reason = model.meta.reason.as_deref()?;
    let rest = reason.split("(year ").nth(1)?;
    rest.split(')').next()?.parse().ok()
}

/// The Battery Pass fields a roll-up fills, merged over the model's document: material composition (substances
/// declared with a CAS number, by part), recycled content with its reporting year and plant, and the carbon
/// footprint; hazardous substances declared with their hazard class and a CAS number, each with its concentration
/// (% w/w) in its part. Without such declarations the operator's hazardous substances stay as written.
fn passport_fields(
    document: &Value,
    lots: &[LotInUnit],
    rolled: &Rollup,
    footprint: Option<&CarbonFootprint>,
    year: i32,
) -> (Value, Vec<String>) {
    let mut fields = json!({});
    let mut not_filled = Vec::new();

    // (part, CAS, name) → (kg, critical)
    let mut materials: BTreeMap<(String, String, String), (f64, bool)> = BTreeMap::new();
    let mut without_cas: Vec<String> = Vec::new();
    for lot in lots {
        let part = lot.declaration.category.clone().unwrap_or_else(|| "other".into());
        for s in &lot.declaration.substances {
            match &s.cas {
                Some(cas) => {
                    let at = materials.entry((part.clone(), cas.clone(), s.name.clone())).or_insert((0.0, false));
                    at.0 += lot.mass_kg * s.mass_fraction;
                    at.1 |= s.critical;
                }
                None => without_cas.push(s.name.clone()),
            }
        }
    }
    if materials.is_empty() {
        not_filled.push("materialComposition.batteryMaterials (no lot declares substances with a CAS number)".into());
    } else {
        fields["materialComposition"] = json!({"batteryMaterials": materials.into_iter().map(|((part, cas, name), (kg, critical))| json!({
            "batteryMaterialLocation": {"componentName": part},
            "batteryMaterialIdentifier": cas,
            "batteryMaterialName": name,
            "batteryMaterialMass": round(kg, 6),
            "isCriticalRawMaterial": critical,
        })).collect::<Vec<_>>()});
    }
    hazardous_substances(lots, &mut fields, &mut not_filled);
    without_cas.sort();
    without_cas.dedup();
    if !without_cas.is_empty() {
        not_filled
            .push(format!("substances without a CAS number left out of batteryMaterials: {}", without_cas.join(", ")));
    }

    let recycled: Vec<Value> = METALS
        .iter()
        .filter_map(|(metal, name)| {
            let m = rolled.recycled_content.iter().find(|r| r.metal == *metal && r.mass_kg > 0.0)?;
            Some(json!({
                "recycledMaterial": name,
                "preConsumerShare": round(100.0 * m.pre_consumer_kg / m.mass_kg, 2),
                "postConsumerShare": round(100.0 * m.post_consumer_kg / m.mass_kg, 2),
            }))
        })
        .collect();
    if recycled.is_empty() {
        not_filled.push("circularity.recycledContent (no traced lot contains cobalt, lithium, nickel or lead)".into());
    } else {
        let plant = document
            .pointer("/circularity/recycledContentReporting/manufacturingPlant")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| plant_of(document))
            .unwrap_or_else(|| "unknown".into());
        fields["circularity"] = json!({
            "recycledContent": recycled,
            "recycledContentReporting": {"reportingYear": year, "manufacturingPlant": plant},
        });
    }

    match footprint {
        Some(cf) if cf.total_kg_co2e > 0.0 => {
            fields["carbonFootprint"] = json!({
                "batteryCarbonFootprint": round(cf.kg_co2e_per_kwh, 6),
                // The v1.2 document carries each stage as its share (%) of the total.
                "carbonFootprintPerLifecycleStage": STAGES.iter().zip(&cf.stages).map(|(stage, s)| json!({
                    "lifecycleStage": stage,
                    "carbonFootprint": round(100.0 * s.kg_co2e / cf.total_kg_co2e, 2),
                })).collect::<Vec<_>>(),
                "carbonFootprintPerformanceClass": cf.performance_class,
                "absoluteCarbonFootprint": round(cf.total_kg_co2e / 1000.0, 6),
            });
        }
        _ => not_filled.push(
            "carbonFootprint (the model states no ratedEnergy and expectedNumberOfCycles, or nothing was traced)"
                .into(),
        ),
    }
    (fields, not_filled)
}

/// A hazardous substance in a part: (part, CAS number, name, class).
type HazardKey = (String, String, String, String);

/// `materialComposition.hazardousSubstances` from the lots' declarations: by part, CAS number and class, the
/// substance's mass over the part's traced mass (%), with every hazard statement a supplier gave.
fn hazardous_substances(lots: &[LotInUnit], fields: &mut Value, not_filled: &mut Vec<String>) {
    let mut part_mass: BTreeMap<String, f64> = BTreeMap::new();
    let mut found: BTreeMap<HazardKey, (f64, BTreeSet<String>)> = BTreeMap::new();
    let mut undeclared: BTreeSet<String> = BTreeSet::new();
    for lot in lots {
        let part = lot.declaration.category.clone().unwrap_or_else(|| "other".into());
        *part_mass.entry(part.clone()).or_default() += lot.mass_kg;
        for s in lot.declaration.substances.iter().filter(|s| s.hazardous) {
            match (&s.cas, &s.hazard_class) {
                (Some(cas), Some(class)) => {
                    let at = found.entry((part.clone(), cas.clone(), s.name.clone(), class.clone())).or_default();
                    at.0 += lot.mass_kg * s.mass_fraction;
                    at.1.extend(s.hazard_statements.iter().cloned());
                }
                _ => {
                    undeclared.insert(s.name.clone());
                }
            }
        }
    }
    if !undeclared.is_empty() {
        let names = undeclared.into_iter().collect::<Vec<_>>().join(", ");
        not_filled.push(format!("hazardous substances without a CAS number or hazard class left out: {names}"));
    }
    if found.is_empty() {
        not_filled.push(
            "materialComposition.hazardousSubstances (no lot declares a hazardous substance with its class and CAS \
             number; the model's list stays)"
                .into(),
        );
        return;
    }
    let list: Vec<Value> = found
        .into_iter()
        .map(|((part, cas, name, class), (kg, statements))| {
            let of = part_mass.get(&part).copied().unwrap_or_default();
            json!({
                "hazardousSubstanceClass": class,
                "hazardousSubstanceName": name,
                "hazardousSubstanceIdentifier": cas,
                "hazardousSubstanceConcentration": if of > 0.0 { round(100.0 * kg / of, 4) } else { 0.0 },
                "hazardousSubstanceImpact": statements.into_iter().collect::<Vec<_>>(),
                "hazardousSubstanceLocation": {"componentName": part},
            })
        })
        .collect();
    fields["materialComposition"]["hazardousSubstances"] = Value::Array(list);
}

/// The model's manufacturing place as one line.
fn plant_of(document: &Value) -> Option<String> {
    let place = document.pointer("/generalProductInformation/manufacturingPlace")?;
    let part = |k: &str| place.get(k).and_then(Value::as_str).unwrap_or("");
    let line = [part("streetAddress"), part("postalCode"), part("addressCountry")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    (!line.is_empty()).then_some(line)
}

/// Sets every leaf object member of `fields` in `document`, keeping the document's other members (arrays and
/// scalars are replaced whole).
fn merge(document: &mut Value, fields: &Value) {
    let (Some(target), Some(source)) = (document.as_object_mut(), fields.as_object()) else { return };
    for (key, value) in source {
        match target.get_mut(key) {
            Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_members_the_rollup_does_not_fill() {
        let mut doc = json!({"carbonFootprint": {"carbonFootprintStudy": "https://x.example/s.pdf", "batteryCarbonFootprint": 1.0}});
        merge(&mut doc, &json!({"carbonFootprint": {"batteryCarbonFootprint": 0.07}, "circularity": {"a": [1]}}));
        assert_eq!(doc["carbonFootprint"]["carbonFootprintStudy"], "https://x.example/s.pdf");
        assert_eq!(doc["carbonFootprint"]["batteryCarbonFootprint"], 0.07);
        assert_eq!(doc["circularity"]["a"], json!([1]));
    }
}
