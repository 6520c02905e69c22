//! Roll-ups into the passport: what a pack (or any unit) is made of, worked out from the lots that reached it,
//! each value with the lots it came from.
//!
//! A lot's mass in a unit is its share there ([`crate::share`]) times what was taken from the lot. What a lot
//! is made of comes from its supplier's declaration, sent with the lot's `attributes`:
//!
//! ```json
//! {"category": "cathode",
//!  "substances": [{"name": "cobalt", "cas": "7440-48-4", "massFraction": 0.06, "critical": true},
//!                 {"name": "LiPF6", "cas": "21324-40-3", "massFraction": 0.12, "hazardous": true,
//!                  "hazardClass": "AcuteToxicity", "hazardStatements": ["H301: Toxic if swallowed"]}],
//!  "recycledContent": {"cobalt": {"preConsumer": 0.04, "postConsumer": 0.08}}}
//! ```
//!
//! - Composition: mass by material and by part (cathode, anode, electrolyte, separator, casing, other); critical
//!   raw materials at or above 0.1 % w/w of the unit; hazardous substances as declared.
//! - Recycled content (Art. 8): per metal (cobalt, lithium, nickel, lead) the recycled mass over the metal's
//!   mass, pre- and post-consumer, against the minimum shares from 18 August 2031 and 2036.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Critical raw materials are listed from this mass fraction of the unit (0.1 % w/w).
pub const CRITICAL_THRESHOLD: f64 = 0.001;

/// The metals of Art. 8 with the minimum recycled shares from 18 August 2031 and from 18 August 2036.
pub const RECYCLED_TARGETS: [(&str, f64, f64); 4] =
    [("cobalt", 0.16, 0.26), ("lithium", 0.06, 0.12), ("nickel", 0.06, 0.15), ("lead", 0.85, 0.85)];

/// A supplier's declaration of what a lot is made of (lot `attributes`); every part optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotDeclaration {
    /// cathode, anode, electrolyte, separator, casing or other.
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub substances: Vec<Substance>,
    /// By metal (lower case, e.g. `cobalt`): recycled shares of that metal in the lot.
    #[serde(default)]
    pub recycled_content: BTreeMap<String, RecycledShares>,
    /// The supplier's product carbon footprint of the lot's material (the Catena-X PCF fields it needs).
    #[serde(default)]
    pub pcf: Option<Pcf>,
}

/// A product carbon footprint as Catena-X exchanges it (`pcfExcludingBiogenic` per `declaredUnit`); only per
/// kilogram is used here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pcf {
    /// kg CO2e per declared unit, without biogenic carbon.
    pub pcf_excluding_biogenic: f64,
    /// `kilogram` (the only unit a mass balance can use).
    pub declared_unit: String,
    /// The PCF's id at its supplier, for provenance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Substance {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cas: Option<String>,
    /// Mass of the substance per mass of the lot.
    pub mass_fraction: f64,
    #[serde(default)]
    pub critical: bool,
    #[serde(default)]
    pub hazardous: bool,
    /// For a hazardous substance, its CLP hazard class as the Battery Pass names it ([`HAZARD_CLASSES`]), from the
    /// supplier's safety data sheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hazard_class: Option<String>,
    /// For a hazardous substance, its hazard statements (e.g. `H301: Toxic if swallowed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hazard_statements: Vec<String>,
}

/// The hazard classes the Battery Pass material composition (v1.2) reports.
pub const HAZARD_CLASSES: [&str; 3] = ["AcuteToxicity", "SkinCorrosionOrIrritation", "EyeDamageOrIrritation"];

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecycledShares {
    #[serde(default)]
    pub pre_consumer: f64,
    #[serde(default)]
    pub post_consumer: f64,
}

impl LotDeclaration {
    /// The declaration in a lot's attributes (an empty one when it has none); an error names what is wrong.
    pub fn from_attributes(attributes: Option<&serde_json::Value>) -> Result<LotDeclaration, String> {
        let Some(value) = attributes else { return Ok(LotDeclaration::default()) };
        let declaration: LotDeclaration = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        for s in &declaration.substances {
            if !(0.0..=1.0).contains(&s.mass_fraction) {
                return Err(format!("substance {}: mass fraction {} is not within 0..1", s.name, s.mass_fraction));
            }
            if let Some(class) = &s.hazard_class {
                if !s.hazardous {
                    return Err(format!("substance {}: a hazard class for a substance not declared hazardous", s.name));
                }
                if !HAZARD_CLASSES.contains(&class.as_str()) {
                    return Err(format!(
                        "substance {}: hazard class `{class}` is not one of {}",
                        s.name,
                        HAZARD_CLASSES.join(", ")
                    ));
                }
            }
        }
        if let Some(pcf) = &declaration.pcf {
            if pcf.declared_unit != "kilogram" {
                return Err(format!("PCF per `{}`: only per kilogram can be added up by mass", pcf.declared_unit));
            }
            if !(pcf.pcf_excluding_biogenic.is_finite() && pcf.pcf_excluding_biogenic >= 0.0) {
                return Err(format!("PCF {} is not a non-negative number", pcf.pcf_excluding_biogenic));
            }
        }
        for (metal, r) in &declaration.recycled_content {
            let total = r.pre_consumer + r.post_consumer;
            if r.pre_consumer < 0.0 || r.post_consumer < 0.0 || total > 1.0 + 1e-9 {
                return Err(format!(
                    "recycled {metal}: shares {} + {} are not within 0..1",
                    r.pre_consumer, r.post_consumer
                ));
            }
        }
        Ok(declaration)
    }
}

/// A lot's part of a unit: its mass there (kg) and what its supplier declared.
#[derive(Debug, Clone, PartialEq)]
pub struct LotInUnit {
    pub lot_id: String,
    pub material: Option<String>,
    pub supplier: Option<String>,
    pub mass_kg: f64,
    pub declaration: LotDeclaration,
}

/// Where a rolled-up value came from: a lot and how much of the value it gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    pub lot_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    pub mass_kg: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MassOf {
    pub name: String,
    pub mass_kg: f64,
    /// Of the unit's traced mass.
    pub share: f64,
    pub from: Vec<Provenance>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Composition {
    /// The mass of every traced lot in the unit (material not traced to a lot is not in it).
    pub traced_mass_kg: f64,
    pub by_material: Vec<MassOf>,
    pub by_category: Vec<MassOf>,
    /// Critical raw materials at or above [`CRITICAL_THRESHOLD`] of the traced mass.
    pub critical_raw_materials: Vec<MassOf>,
    pub hazardous_substances: Vec<MassOf>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecycledMetal {
    pub metal: String,
    pub mass_kg: f64,
    pub pre_consumer_kg: f64,
    pub post_consumer_kg: f64,
    /// Recycled (pre- plus post-consumer) over the metal's mass.
    pub share: f64,
    pub target_2031: f64,
    pub target_2036: f64,
    pub meets_2031: bool,
    pub meets_2036: bool,
    pub from: Vec<Provenance>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollup {
    pub composition: Composition,
    pub recycled_content: Vec<RecycledMetal>,
}

/// Adds `mass` of `name` from a lot to a named total.
fn add(totals: &mut BTreeMap<String, Vec<Provenance>>, name: &str, lot: &LotInUnit, mass: f64) {
    totals.entry(name.to_string()).or_default().push(Provenance {
        lot_id: lot.lot_id.clone(),
        supplier: lot.supplier.clone(),
        mass_kg: mass,
    });
}

fn masses(totals: BTreeMap<String, Vec<Provenance>>, of: f64) -> Vec<MassOf> {
    totals
        .into_iter()
        .map(|(name, from)| {
            let mass_kg: f64 = from.iter().map(|p| p.mass_kg).sum();
            MassOf { name, mass_kg, share: if of > 0.0 { mass_kg / of } else { 0.0 }, from }
        })
        .collect()
}

/// Rolls the lots in a unit up into its composition and recycled content.
pub fn rollup(lots: &[LotInUnit]) -> Rollup {
    let traced: f64 = lots.iter().map(|l| l.mass_kg).sum();
    let (mut material, mut category, mut critical, mut hazardous) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let mut metals: BTreeMap<String, (Vec<Provenance>, f64, f64)> = BTreeMap::new();
    for lot in lots {
        add(&mut material, lot.material.as_deref().unwrap_or("undeclared"), lot, lot.mass_kg);
        add(&mut category, lot.declaration.category.as_deref().unwrap_or("other"), lot, lot.mass_kg);
        for s in &lot.declaration.substances {
            let mass = lot.mass_kg * s.mass_fraction;
            if s.critical {
                add(&mut critical, &s.name, lot, mass);
            }
            if s.hazardous {
                add(&mut hazardous, &s.name, lot, mass);
            }
            let metal = s.name.to_lowercase();
            if RECYCLED_TARGETS.iter().any(|(m, _, _)| *m == metal) {
                let shares = lot.declaration.recycled_content.get(&metal).copied().unwrap_or_default();
                let entry = metals.entry(metal).or_default();
                entry.0.push(Provenance { lot_id: lot.lot_id.clone(), supplier: lot.supplier.clone(), mass_kg: mass });
                entry.1 += mass * shares.pre_consumer;
                entry.2 += mass * shares.post_consumer;
            }
        }
    }
    let critical_raw_materials =
        masses(critical, traced).into_iter().filter(|m| m.share >= CRITICAL_THRESHOLD).collect();
    let recycled_content = RECYCLED_TARGETS
        .iter()
        .filter_map(|(metal, t2031, t2036)| {
            let (from, pre, post) = metals.remove(*metal)?;
            let mass_kg: f64 = from.iter().map(|p| p.mass_kg).sum();
            let share = if mass_kg > 0.0 { (pre + post) / mass_kg } else { 0.0 };
            Some(RecycledMetal {
                metal: metal.to_string(),
                mass_kg,
                pre_consumer_kg: pre,
                post_consumer_kg: post,
                share,
                target_2031: *t2031,
                target_2036: *t2036,
                meets_2031: share + 1e-12 >= *t2031,
                meets_2036: share + 1e-12 >= *t2036,
                from,
            })
        })
        .collect();
    Rollup {
        composition: Composition {
            traced_mass_kg: traced,
            by_material: masses(material, traced),
            by_category: masses(category, traced),
            critical_raw_materials,
            hazardous_substances: masses(hazardous, traced),
        },
        recycled_content,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lot(id: &str, material: &str, mass_kg: f64, attributes: serde_json::Value) -> LotInUnit {
        LotInUnit {
            lot_id: id.into(),
            material: Some(material.into()),
            supplier: Some(format!("S-{id}")),
            mass_kg,
            declaration: LotDeclaration::from_attributes(Some(&attributes)).unwrap(),
        }
    }

    #[test]
    fn composition_and_recycled_content_by_mass_balance() {
        // 30 kg of NMC811 (6 % Co, half of it from two cathode lots with different recycled shares), 20 kg of
        // graphite, 0.02 kg of a binder with a trace of a hazardous substance.
        let lots = [
            lot(
                "CAM-1",
                "NMC811",
                20.0,
                json!({"category": "cathode",
                "substances": [{"name": "cobalt", "massFraction": 0.06, "critical": true},
                               {"name": "nickel", "massFraction": 0.48, "critical": true}],
                "recycledContent": {"cobalt": {"preConsumer": 0.10, "postConsumer": 0.10}, "nickel": {"postConsumer": 0.05}}}),
            ),
            lot(
                "CAM-2",
                "NMC811",
                10.0,
                json!({"category": "cathode",
                "substances": [{"name": "cobalt", "massFraction": 0.06, "critical": true}],
                "recycledContent": {"cobalt": {"postConsumer": 0.40}}}),
            ),
            lot(
                "GR-1",
                "graphite",
                20.0,
                json!({"category": "anode",
                "substances": [{"name": "natural graphite", "massFraction": 0.5, "critical": true}]}),
            ),
            lot(
                "BIND-1",
                "PVDF",
                0.02,
                json!({"substances": [{"name": "NMP", "cas": "872-50-4", "massFraction": 0.01, "hazardous": true}]}),
            ),
        ];
        let r = rollup(&lots);
        let c = &r.composition;
        assert!((c.traced_mass_kg - 50.02).abs() < 1e-9);
        let nmc = c.by_material.iter().find(|m| m.name == "NMC811").unwrap();
        assert!((nmc.mass_kg - 30.0).abs() < 1e-9);
        assert_eq!(nmc.from.len(), 2, "both cathode lots are named");
        let categories: Vec<(&str, f64)> = c.by_category.iter().map(|m| (m.name.as_str(), m.mass_kg)).collect();
        assert_eq!(categories, [("anode", 20.0), ("cathode", 30.0), ("other", 0.02)]);
        let cobalt = c.critical_raw_materials.iter().find(|m| m.name == "cobalt").unwrap();
        assert!((cobalt.mass_kg - 1.8).abs() < 1e-9);
        assert!((cobalt.share - 1.8 / 50.02).abs() < 1e-12);
        assert_eq!(c.hazardous_substances[0].name, "NMP");
        assert!((c.hazardous_substances[0].mass_kg - 0.0002).abs() < 1e-12);

        // Cobalt: 1.2 kg at 20 % recycled and 0.6 kg at 40 %: 0.48 kg of 1.8 kg = 26.7 % (meets 2031 and 2036).
        let co = r.recycled_content.iter().find(|m| m.metal == "cobalt").unwrap();
        assert!((co.pre_consumer_kg - 0.12).abs() < 1e-12);
        assert!((co.post_consumer_kg - 0.36).abs() < 1e-12);
        assert!((co.share - 0.48 / 1.8).abs() < 1e-12);
        assert!(co.meets_2031 && co.meets_2036);
        // Nickel: 5 % post-consumer: below the 6 % of 2031.
        let ni = r.recycled_content.iter().find(|m| m.metal == "nickel").unwrap();
        assert!((ni.share - 0.05).abs() < 1e-12);
        assert!(!ni.meets_2031 && !ni.meets_2036);
        assert!(r.recycled_content.iter().all(|m| m.metal != "lithium"), "no lithium declared, none reported");
    }

    #[test]
    fn critical_materials_below_the_threshold_are_not_listed_and_bad_declarations_are_refused() {
        let lots = [lot(
            "A",
            "x",
            100.0,
            json!({"substances": [{"name": "cobalt", "massFraction": 0.0005, "critical": true}]}),
        )];
        assert!(rollup(&lots).composition.critical_raw_materials.is_empty(), "0.05 % w/w is below 0.1 %");
        let class = |hazardous: bool, class: &str| {
            LotDeclaration::from_attributes(Some(&json!({"substances": [
                {"name": "LiPF6", "massFraction": 0.1, "hazardous": hazardous, "hazardClass": class}]})))
        };
        assert!(class(true, "AcuteToxicity").is_ok());
        assert!(class(true, "Explosive").unwrap_err().contains("hazard class `Explosive` is not one of"));
        assert!(class(false, "AcuteToxicity").unwrap_err().contains("not declared hazardous"));
        let bad = LotDeclaration::from_attributes(Some(&json!({"substances": [{"name": "Co", "massFraction": 1.5}]})));
        assert!(bad.unwrap_err().contains("not within 0..1"));
        let shares = LotDeclaration::from_attributes(Some(
            &json!({"recycledContent": {"cobalt": {"preConsumer": 0.7, "postConsumer": 0.6}}}),
        ));
        assert!(shares.unwrap_err().contains("recycled cobalt"));
        assert_eq!(LotDeclaration::from_attributes(None), Ok(LotDeclaration::default()));
    }
}

/// What the carbon footprint needs beyond the lots: the plant, distribution and end of life (Art. 7, Annex II).
/// Configuration, because the delegated act that fixes the method and the performance classes is not adopted.
///
/// Formula (kg CO2e per kWh of total energy provided over the expected service life):
///
/// - raw material acquisition and pre-processing = Σ over traced lots of mass × the supplier's PCF per kg;
/// - main product production = rated energy (kWh) × plant energy per kWh produced × the plant's emission factor;
/// - distribution = traced mass × emission per kg distributed;
/// - end of life and recycling = traced mass × emission per kg treated (no credit for recovered material);
/// - functional unit = rated energy × expected number of full cycles (the whole rated energy each cycle);
/// - footprint = the sum of the four stages / the functional unit; the class is the first whose upper bound it
///   does not exceed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FootprintFactors {
    /// Plant energy per kWh of battery energy produced (kWh/kWh).
    pub production_kwh_per_kwh: f64,
    /// The plant's electricity emission factor (kg CO2e/kWh).
    pub plant_kg_co2e_per_kwh: f64,
    pub distribution_kg_co2e_per_kg: f64,
    pub end_of_life_kg_co2e_per_kg: f64,
    /// Performance classes, best first: (class, upper bound in kg CO2e/kWh); worse than the last is the last
    /// class's successor `beyond`.
    pub classes: Vec<(String, f64)>,
}

impl Default for FootprintFactors {
    /// Placeholder values of the order published for EU cell production (about 40 kWh of plant energy per kWh of
    /// cells, an EU grid mix of 0.3 kg CO2e/kWh), and class bounds around the 0.05-0.1 kg CO2e per kWh of
    /// lifetime energy of today's EV batteries; replace them with the plant's own and the delegated act's.
    fn default() -> Self {
        FootprintFactors {
            production_kwh_per_kwh: 40.0,
            plant_kg_co2e_per_kwh: 0.3,
            distribution_kg_co2e_per_kg: 0.1,
            end_of_life_kg_co2e_per_kg: 0.5,
            classes: vec![("A".into(), 0.05), ("B".into(), 0.075), ("C".into(), 0.1), ("D".into(), 0.15)],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    pub stage: &'static str,
    pub kg_co2e: f64,
    pub kg_co2e_per_kwh: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CarbonFootprint {
    pub stages: Vec<Stage>,
    pub total_kg_co2e: f64,
    /// Energy over the expected service life (kWh): the functional unit's denominator.
    pub lifetime_energy_kwh: f64,
    pub kg_co2e_per_kwh: f64,
    /// `beyond` when worse than every configured class.
    pub performance_class: String,
    /// Lots whose supplier declared a PCF, with their share of the raw-material stage.
    pub from: Vec<Provenance>,
    /// Traced lots without a PCF: the raw-material stage leaves them out (so it is a lower bound).
    pub lots_without_pcf: Vec<String>,
    pub factors: FootprintFactors,
}

/// The carbon footprint of a unit of `rated_energy_kwh` lasting `cycles` full cycles, made of `lots`.
pub fn carbon_footprint(
    lots: &[LotInUnit],
    rated_energy_kwh: f64,
    cycles: f64,
    factors: &FootprintFactors,
) -> Option<CarbonFootprint> {
    let lifetime = rated_energy_kwh * cycles;
    if !(lifetime.is_finite() && lifetime > 0.0) {
        return None;
    }
    let traced: f64 = lots.iter().map(|l| l.mass_kg).sum();
    let (mut from, mut without) = (Vec::new(), Vec::new());
    for lot in lots {
        match &lot.declaration.pcf {
            Some(pcf) => from.push(Provenance {
                lot_id: lot.lot_id.clone(),
                supplier: lot.supplier.clone(),
                mass_kg: lot.mass_kg * pcf.pcf_excluding_biogenic,
            }),
            None => without.push(lot.lot_id.clone()),
        }
    }
    let raw: f64 = from.iter().map(|p| p.mass_kg).sum();
    let amounts = [
        ("rawMaterialAcquisition", raw),
        ("mainProduction", rated_energy_kwh * factors.production_kwh_per_kwh * factors.plant_kg_co2e_per_kwh),
        ("distribution", traced * factors.distribution_kg_co2e_per_kg),
        ("endOfLife", traced * factors.end_of_life_kg_co2e_per_kg),
    ];
    let total: f64 = amounts.iter().map(|(_, kg)| kg).sum();
    let per_kwh = total / lifetime;
    let class = factors
        .classes
        .iter()
        .find(|(_, bound)| per_kwh <= *bound)
        .map_or_else(|| "beyond".to_string(), |(class, _)| class.clone());
    Some(CarbonFootprint {
        stages: amounts
            .iter()
            .map(|(stage, kg)| Stage { stage, kg_co2e: *kg, kg_co2e_per_kwh: kg / lifetime })
            .collect(),
        total_kg_co2e: total,
        lifetime_energy_kwh: lifetime,
        kg_co2e_per_kwh: per_kwh,
        performance_class: class,
        from,
        lots_without_pcf: without,
        factors: factors.clone(),
    })
}

#[cfg(test)]
mod footprint_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn four_stages_per_kwh_of_lifetime_energy_with_a_class() {
        let lot = |id: &str, mass: f64, pcf: Option<f64>| LotInUnit {
            lot_id: id.into(),
            material: None,
            supplier: None,
            mass_kg: mass,
            declaration: LotDeclaration {
                pcf: pcf.map(|p| Pcf { pcf_excluding_biogenic: p, declared_unit: "kilogram".into(), id: None }),
                ..LotDeclaration::default()
            },
        };
        // 300 kg of cathode material at 20 kg CO2e/kg, 100 kg of graphite at 5, 100 kg without a PCF.
        let lots = [lot("CAM", 300.0, Some(20.0)), lot("GR", 100.0, Some(5.0)), lot("X", 100.0, None)];
        let factors = FootprintFactors::default();
        let f = carbon_footprint(&lots, 75.0, 1000.0, &factors).unwrap();
        let stage = |name: &str| f.stages.iter().find(|s| s.stage == name).unwrap().kg_co2e;
        assert_eq!(stage("rawMaterialAcquisition"), 6500.0);
        assert!((stage("mainProduction") - 75.0 * 40.0 * 0.3).abs() < 1e-9);
        assert!((stage("distribution") - 50.0).abs() < 1e-9);
        assert!((stage("endOfLife") - 250.0).abs() < 1e-9);
        let total = 6500.0 + 900.0 + 50.0 + 250.0;
        assert!((f.total_kg_co2e - total).abs() < 1e-9);
        assert!((f.kg_co2e_per_kwh - total / 75_000.0).abs() < 1e-12);
        assert_eq!(f.performance_class, "D", "0.103 kg CO2e/kWh is within D (0.15), not C (0.1)");
        assert_eq!(f.lots_without_pcf, ["X"]);
        // A short life puts the same battery in a worse class, or beyond every class.
        assert_eq!(carbon_footprint(&lots, 75.0, 1.0, &factors).unwrap().performance_class, "beyond");
        assert!(carbon_footprint(&lots, 75.0, 0.0, &factors).is_none());
        let bad = LotDeclaration::from_attributes(Some(
            &json!({"pcf": {"pcfExcludingBiogenic": 3, "declaredUnit": "liter"}}),
        ));
        assert!(bad.unwrap_err().contains("only per kilogram"));
    }
}
