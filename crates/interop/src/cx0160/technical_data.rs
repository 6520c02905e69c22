//! Part 4, Technical Data: manufacturer, warranty, category, mass and the rated (pre-use) performance values.
//!
//! Units are those of the canonical model (V, Ah, kWh, W, Ohm, %, °C, years, C) except the power/energy ratio: the
//! canonical value is W/Wh, IDTA declares `unit:percent`, so it is written × 100.
//! Capacity fade and internal resistance increase are per battery in voltpass (`performance/batteryCondition`):
//! written here when the document has them, read back there without a time.

use super::MappingError;
use super::common::{COMPONENTS, CONDITION, GPI, MANUFACTURER, TECHNICAL, all, cloned, group, invalid};
use super::common::{number, obj, put, shortest, tidy};
use super::documents::{Parts, ids};
use serde_json::{Value, json};

const LIFETIME_TEST: &str = "/performance/batteryTechicalProperties/lifetimeReferenceTest";
const AREAS: &str = "/TechnicalPropertyAreas";

pub(super) fn export(doc: &Value) -> Result<Value, MappingError> {
    let p = |name: &str| cloned(doc, &format!("{TECHNICAL}/{name}"));
    let component = |pointer: &str, key: &str, c: &str| {
        all(doc, pointer).find(|e| e["batteryComponent"] == c).and_then(|e| e.get(key).cloned())
    };
    let initial = |c: &str| component(&format!("{TECHNICAL}/initialInternalResistance"), "ohmicResistance", c);
    let increase =
        |c: &str| component(&format!("{CONDITION}/internalResistanceIncrease"), "internalResistanceIncreaseValue", c);
    let ratio_pointer = format!("{TECHNICAL}/powerCapabilityRatio");
    let ratio = match doc.pointer(&ratio_pointer) {
        Some(r) => {
            let ratio = number(r, &ratio_pointer)?;
            Some(shortest(ratio * 100.0, ratio, |r| r / 100.0))
        }
        None => None,
    };
    let general = group([
        ("ManufacturerName", cloned(doc, &format!("{MANUFACTURER}/contactName"))),
        ("ManufacturerIdentifier", cloned(doc, &format!("{MANUFACTURER}/identifier"))),
        ("WarrantyInformation", warranty(doc)?.map(|w| json!({"WarrantyPeriod": w}))),
        ("BatteryCategory", cloned(doc, &format!("{GPI}/batteryCategory"))),
        ("BatteryMass", cloned(doc, &format!("{GPI}/batteryMass"))),
    ]);
    let areas = group([
        (
            "CapacityEnergyVoltage",
            group([
                ("NominalVoltage", p("nominalVoltage")),
                ("MinVoltage", p("minimumVoltage")),
                ("MaxVoltage", p("maximumVoltage")),
                ("RatedCapacity", p("ratedCapacity")),
                ("CapacityFade", cloned(doc, &format!("{CONDITION}/capacityFade/capacityFadeValue"))),
                ("CertifiedUsableBatteryEnergy", p("ratedEnergy")),
            ]),
        ),
        (
            "RoundTripEnergyEfficiency",
            group([
                ("InitialRoundTripEnergyEfficiency", p("roundtripEfficiency")),
                ("RoundTripEnergyEfficiencyAt50PercentOfCycleLife", p("roundTripEfficiencyat50PerCentCycleLife")),
                ("EnergyRoundTripEfficiencyFade", p("roundTripEfficiencyFade")),
                ("InitialSelfDischargingRate", p("initialSelfDischarge")),
            ]),
        ),
        (
            "Resistance",
            group([
                ("InitialInternalResistanceAtBatteryCellLevel", initial("cell")),
                ("InitialInternalResistanceAtBatteryPackLevel", initial("pack")),
                ("InitialInternalResistanceAtBatteryModuleLevel", initial("module")),
                ("InternalResistanceIncreaseAtBatteryCellLevel", increase("cell")),
                ("InternalResistanceIncreaseAtBatteryPackLevel", increase("pack")),
                ("InternalResistanceIncreaseAtBatteryModuleLevel", increase("module")),
            ]),
        ),
        (
            "PowerCapability",
            group([
                ("MaximumPermittedBatteryPower", p("ratedMaximumPower")),
                ("PowerFade", p("powerFade")),
                ("RatioNominalBatteryPowerAndBatteryEnergy", ratio),
                ("OriginalPowerCapability", p("originalPowerCapability")),
            ]),
        ),
        (
            "Temperature",
            group([
                ("TemperatureRangeIdleState_LowerBoundary", p("temperatureRangeIdleState/minimum")),
                ("TemperatureRangeIdleState_UpperBoundary", p("temperatureRangeIdleState/maximum")),
            ]),
        ),
        (
            "Lifetime",
            group([
                ("ExpectedLifetimeInCalendarYears", p("expectedLifetime")),
                ("ExpectedNumberOfCycles", p("expectedNumberOfCycles")),
                ("CapacityThresholdExhaustion", p("capacityThresholdForExhaustion")),
                ("CycleLifeReferenceTest", ids(doc, LIFETIME_TEST)),
                ("CrateOfRelevantCycleLifeTest", p("cRateLifeCycleTest")),
            ]),
        ),
    ]);
    Ok(obj([("GeneralInformation", general), ("TechnicalPropertyAreas", areas)]))
}

/// Canonical xsd:gMonth "--MM" (a period of MM months, optionally with a meaningless zone) as ISO 8601 "PnM".
fn warranty(doc: &Value) -> Result<Option<Value>, MappingError> {
    let pointer = format!("{GPI}/warrentyPeriod");
    let Some(text) = doc.pointer(&pointer) else { return Ok(None) };
    let text = text.as_str().ok_or_else(|| invalid(&pointer, "not a string".into()))?;
    let months: u8 = text
        .strip_prefix("--")
        .and_then(|rest| rest.get(..2))
        .and_then(|mm| mm.parse().ok())
        .ok_or_else(|| invalid(&pointer, format!("not a --MM month period: {text:?}")))?;
    Ok(Some(json!(format!("P{months}M"))))
}

/// ISO 8601 "PnM" or "PnY" as "--MM" when it is 1 to 12 months.
fn import_warranty(period: Option<&Value>) -> Option<Value> {
    let body = period?.as_str()?.strip_prefix('P')?;
    let months = if let Some(m) = body.strip_suffix('M') {
        m.parse::<u32>().ok()?
    } else {
        body.strip_suffix('Y')?.parse::<u32>().ok()?.checked_mul(12)?
    };
    (1..=12).contains(&months).then(|| json!(format!("--{months:02}")))
}

pub(super) fn import(value: &Value, ctx: &Parts, doc: &mut Value) {
    let g = |name: &str| value.pointer(&format!("/GeneralInformation/{name}")).cloned();
    put(doc, &format!("{MANUFACTURER}/contactName"), g("ManufacturerName"));
    put(doc, &format!("{MANUFACTURER}/identifier"), g("ManufacturerIdentifier"));
    put(
        doc,
        &format!("{GPI}/warrentyPeriod"),
        import_warranty(value.pointer("/GeneralInformation/WarrantyInformation/WarrantyPeriod")),
    );
    put(doc, &format!("{GPI}/batteryCategory"), g("BatteryCategory"));
    put(doc, &format!("{GPI}/batteryMass"), g("BatteryMass"));

    let a = |name: &str| value.pointer(&format!("{AREAS}/{name}")).cloned();
    let mut tp = |name: &str, from: &str| put(doc, &format!("{TECHNICAL}/{name}"), a(from));
    tp("nominalVoltage", "CapacityEnergyVoltage/NominalVoltage");
    tp("minimumVoltage", "CapacityEnergyVoltage/MinVoltage");
    tp("maximumVoltage", "CapacityEnergyVoltage/MaxVoltage");
    tp("ratedCapacity", "CapacityEnergyVoltage/RatedCapacity");
    tp("ratedEnergy", "CapacityEnergyVoltage/CertifiedUsableBatteryEnergy");
    tp("roundtripEfficiency", "RoundTripEnergyEfficiency/InitialRoundTripEnergyEfficiency");
    tp(
        "roundTripEfficiencyat50PerCentCycleLife",
        "RoundTripEnergyEfficiency/RoundTripEnergyEfficiencyAt50PercentOfCycleLife",
    );
    tp("roundTripEfficiencyFade", "RoundTripEnergyEfficiency/EnergyRoundTripEfficiencyFade");
    tp("initialSelfDischarge", "RoundTripEnergyEfficiency/InitialSelfDischargingRate");
    tp("ratedMaximumPower", "PowerCapability/MaximumPermittedBatteryPower");
    tp("powerFade", "PowerCapability/PowerFade");
    tp("originalPowerCapability", "PowerCapability/OriginalPowerCapability");
    tp("temperatureRangeIdleState/minimum", "Temperature/TemperatureRangeIdleState_LowerBoundary");
    tp("temperatureRangeIdleState/maximum", "Temperature/TemperatureRangeIdleState_UpperBoundary");
    tp("expectedLifetime", "Lifetime/ExpectedLifetimeInCalendarYears");
    tp("expectedNumberOfCycles", "Lifetime/ExpectedNumberOfCycles");
    tp("capacityThresholdForExhaustion", "Lifetime/CapacityThresholdExhaustion");
    tp("cRateLifeCycleTest", "Lifetime/CrateOfRelevantCycleLifeTest");
    let ratio = a("PowerCapability/RatioNominalBatteryPowerAndBatteryEnergy").and_then(|r| r.as_f64());
    put(doc, &format!("{TECHNICAL}/powerCapabilityRatio"), ratio.map(|r| tidy(r / 100.0)));
    ctx.links(value.pointer(&format!("{AREAS}/Lifetime/CycleLifeReferenceTest")), &[LIFETIME_TEST], doc);

    let level = |c: &str| {
        let mut name = c.to_string();
        name[..1].make_ascii_uppercase();
        name
    };
    let per_component = |prefix: &str, key: &str| -> Option<Value> {
        let entries: Vec<Value> = COMPONENTS
            .iter()
            .filter_map(|c| {
                let v = a(&format!("Resistance/{prefix}AtBattery{}Level", level(c)))?;
                Some(json!({"batteryComponent": c, key: v}))
            })
            .collect();
        (!entries.is_empty()).then_some(Value::Array(entries))
    };
    put(
        doc,
        &format!("{TECHNICAL}/initialInternalResistance"),
        per_component("InitialInternalResistance", "ohmicResistance"),
    );
    put(
        doc,
        &format!("{CONDITION}/internalResistanceIncrease"),
        per_component("InternalResistanceIncrease", "internalResistanceIncreaseValue"),
    );
    put(doc, &format!("{CONDITION}/capacityFade/capacityFadeValue"), a("CapacityEnergyVoltage/CapacityFade"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warranty_periods() {
        assert_eq!(import_warranty(Some(&json!("P8M"))), Some(json!("--08")));
        assert_eq!(import_warranty(Some(&json!("P1Y"))), Some(json!("--12")));
        assert_eq!(import_warranty(Some(&json!("P96M"))), None);
        assert_eq!(import_warranty(Some(&json!("P0M"))), None);
        assert_eq!(warranty(&json!({"generalProductInformation": {"warrentyPeriod": "--08"}})), Ok(Some(json!("P8M"))));
    }
}
