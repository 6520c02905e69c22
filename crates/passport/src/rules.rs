//! The regulation's rules that the Battery Pass schemas do not carry: mandatory attributes per battery
//! category, physical ranges, consistency between values (units), dates, identifiers and addresses.
//! Rules tolerate missing or mistyped values: the schema reports those.

use crate::catalogue::{ATTRIBUTES, Category, Requirement};
use crate::document;
use crate::validate::{Scope, Violation};
use serde_json::Value;
use std::sync::OnceLock;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Physical and logical ranges, inclusive. The upstream example payloads (random numbers such as
/// 2.49e38) fail these, as they must.
const RANGES: &[(&str, f64, f64, &str)] = &[
    ("/generalProductInformation/batteryMass", 0.01, 100_000.0, "kg"),
    // Per kWh of the energy delivered over the service life (Art. 7) a footprint is of the order of 0.01-0.2;
    // per kWh of capacity, as many still report it, 50-150. Both are plausible; zero and the absurd are not.
    ("/carbonFootprint/batteryCarbonFootprint", 0.001, 1_000.0, "kg CO2e/kWh"),
    ("/carbonFootprint/carbonFootprintPerLifecycleStage/-/carbonFootprint", 0.0, 100.0, "% of the total"),
    ("/carbonFootprint/absoluteCarbonFootprint", 0.0, 1_000_000.0, "t CO2e"),
    ("/supplyChainDueDiligence/supplyChainIndicies", 0.0, 100.0, ""),
    ("/materialComposition/batteryMaterials/-/batteryMaterialMass", 0.0, 100_000.0, "kg"),
    ("/materialComposition/hazardousSubstances/-/hazardousSubstanceConcentration", 0.0, 100.0, "%"),
    ("/circularity/recycledContent/-/preConsumerShare", 0.0, 100.0, "%"),
    ("/circularity/recycledContent/-/postConsumerShare", 0.0, 100.0, "%"),
    ("/circularity/renewableContent", 0.0, 100.0, "%"),
    ("/circularity/recycledContentReporting/reportingYear", 2020.0, 2100.0, ""),
    ("/performance/batteryTechicalProperties/originalPowerCapability/-/atSoC", 0.0, 100.0, "%"),
    ("/performance/batteryTechicalProperties/originalPowerCapability/-/powerCapabilityAt", 1.0, 1.0e8, "W"),
    ("/performance/batteryTechicalProperties/ratedMaximumPower", 1.0, 1.0e8, "W"),
    ("/performance/batteryTechicalProperties/powerCapabilityRatio", 0.001, 100.0, "W/Wh"),
    ("/performance/batteryTechicalProperties/ratedEnergy", 0.001, 1.0e6, "kWh"),
    ("/performance/batteryTechicalProperties/expectedNumberOfCycles", 1.0, 100_000.0, "cycles"),
    ("/performance/batteryTechicalProperties/initialSelfDischarge", 0.0, 50.0, "%/month"),
    ("/performance/batteryTechicalProperties/roundtripEfficiency", 1.0, 100.0, "%"),
    ("/performance/batteryTechicalProperties/roundTripEfficiencyat50PerCentCycleLife", 1.0, 100.0, "%"),
    ("/performance/batteryTechicalProperties/roundTripEfficiencyFade", 0.0, 100.0, "%"),
    ("/performance/batteryTechicalProperties/powerFade", 0.0, 100.0, "%"),
    ("/performance/batteryTechicalProperties/ratedCapacity", 0.01, 1.0e6, "Ah"),
    ("/performance/batteryTechicalProperties/initialInternalResistance/-/ohmicResistance", 1.0e-6, 100.0, "Ohm"),
    ("/performance/batteryTechicalProperties/expectedLifetime", 1.0, 50.0, "years"),
    ("/performance/batteryTechicalProperties/cRate", 0.001, 100.0, "A/Ah"),
    ("/performance/batteryTechicalProperties/nominalVoltage", 1.0, 2_000.0, "V"),
    ("/performance/batteryTechicalProperties/minimumVoltage", 0.5, 2_000.0, "V"),
    ("/performance/batteryTechicalProperties/maximumVoltage", 1.0, 2_000.0, "V"),
    ("/performance/batteryTechicalProperties/capacityThresholdForExhaustion", 1.0, 100.0, "%"),
    ("/performance/batteryTechicalProperties/cRateLifeCycleTest", 0.001, 100.0, "A/Ah"),
    ("/performance/batteryTechicalProperties/temperatureRangeIdleState/minimum", -60.0, 60.0, "°C"),
    ("/performance/batteryTechicalProperties/temperatureRangeIdleState/maximum", -20.0, 120.0, "°C"),
    ("/performance/batteryCondition/energyThroughput/energyThroughputValue", 0.0, 1.0e9, "kWh"),
    ("/performance/batteryCondition/capacityThroughput/capacityThroughputValue", 0.0, 1.0e10, "Ah"),
    ("/performance/batteryCondition/numberOfFullCycles/numberOfFullCyclesValue", 0.0, 100_000.0, "cycles"),
    ("/performance/batteryCondition/stateOfCertifiedEnergy/stateOfCertifiedEnergyValue", 0.0, 100.0, "%"),
    ("/performance/batteryCondition/capacityFade/capacityFadeValue", 0.0, 100.0, "%"),
    ("/performance/batteryCondition/remainingEnergy/remainingEnergyValue", 0.0, 1.0e6, "kWh"),
    ("/performance/batteryCondition/remainingCapacity/remainingCapacityValue", 0.0, 1.0e6, "Ah"),
    ("/performance/batteryCondition/temperatureInformation/timeExtremeHighTemp", 0.0, 3.0e7, "min"),
    ("/performance/batteryCondition/temperatureInformation/timeExtremeLowTemp", 0.0, 3.0e7, "min"),
    ("/performance/batteryCondition/temperatureInformation/timeExtremeHighTempCharging", 0.0, 3.0e7, "min"),
    ("/performance/batteryCondition/temperatureInformation/timeExtremeLowTempCharging", 0.0, 3.0e7, "min"),
    ("/performance/batteryCondition/remainingPowerCapability/remainingPowerCapabilityValue/atSoC", 0.0, 100.0, "%"),
    (
        "/performance/batteryCondition/remainingPowerCapability/remainingPowerCapabilityValue/powerCapabilityAt",
        0.0,
        1.0e8,
        "W",
    ),
    ("/performance/batteryCondition/evolutionOfSelfDischarge/evolutionOfSelfDischargeValue", 0.0, 100.0, "%"),
    ("/performance/batteryCondition/currentSelfDischargingRate/currentSelfDischargingRateValue", 0.0, 100.0, "%/month"),
    ("/performance/batteryCondition/internalResistanceIncrease/-/internalResistanceIncreaseValue", 0.0, 1_000.0, "%"),
    (
        "/performance/batteryCondition/remainingRoundTripEnergyEfficiency/remainingRoundTripEnergyEfficiencyValue",
        0.0,
        100.0,
        "%",
    ),
    ("/performance/batteryCondition/stateOfCharge/stateOfChargeValue", 0.0, 100.0, "%"),
    ("/performance/batteryCondition/internalResistance/-/ohmicResistance", 1.0e-6, 100.0, "Ohm"),
];

/// Values that must be whole numbers.
const INTEGERS: &[&str] = &[
    "/performance/batteryTechicalProperties/expectedNumberOfCycles",
    "/performance/batteryTechicalProperties/expectedLifetime",
    "/performance/batteryCondition/numberOfFullCycles/numberOfFullCyclesValue",
];

const TECH: &str = "/performance/batteryTechicalProperties";

/// Runs every rule. With `Scope::Item`, `doc` is an item record and `model` its (valid) model record:
/// rules whose inputs are model-level find nothing to check in the item, so only per-battery rules apply,
/// reading the two model values they need (category, rated capacity) from `model`.
pub(crate) fn check(doc: &Value, model: Option<&Value>, scope: Scope, now: OffsetDateTime) -> Vec<Violation> {
    let category = lookup(doc, model, "/generalProductInformation/batteryCategory")
        .and_then(Value::as_str)
        .and_then(Category::parse);
    let rated_capacity = lookup(doc, model, &format!("{TECH}/ratedCapacity")).and_then(Value::as_f64);
    let mut out = Vec::new();
    ranges(doc, &mut out);
    mandatory(doc, category, scope, &mut out);
    lifecycle_shares(doc, &mut out);
    voltages_and_temperatures(doc, &mut out);
    energy_consistency(doc, &mut out);
    remaining_capacity(doc, rated_capacity, &mut out);
    category_limits(doc, &mut out);
    material_masses(doc, &mut out);
    dates(doc, now, &mut out);
    identifiers_and_addresses(doc, &mut out);
    out
}

/// Every (pointer, value) matching a pattern in which `-` stands for each array element.
pub(crate) fn values_at<'a>(doc: &'a Value, pattern: &str) -> Vec<(String, &'a Value)> {
    let mut found = Vec::new();
    visit(doc, pattern, &mut |at, value| found.push((at(), value)));
    found
}

/// Calls `f` for every value matching `pattern` (`-` = each array element) with a function that builds
/// its pointer: the walk itself allocates nothing, the pointer is only built when a rule reports it.
fn visit<'a>(doc: &'a Value, pattern: &str, f: &mut dyn FnMut(&dyn Fn() -> String, &'a Value)) {
    fn walk<'a>(
        value: &'a Value,
        rest: &str,
        pattern: &str,
        indices: &mut Vec<usize>,
        f: &mut dyn FnMut(&dyn Fn() -> String, &'a Value),
    ) {
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        if rest.is_empty() {
            let at = || {
                let mut next = indices.iter();
                pattern
                    .split('/')
                    .map(|s| if s == "-" { next.next().map_or(s.to_string(), usize::to_string) } else { s.to_string() })
                    .collect::<Vec<_>>()
                    .join("/")
            };
            return f(&at, value);
        }
        let (segment, tail) = rest.split_once('/').map_or((rest, ""), |(a, b)| (a, b));
        if segment == "-" {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                indices.push(i);
                walk(item, tail, pattern, indices, f);
                indices.pop();
            }
        } else if let Some(child) = value.get(segment) {
            walk(child, tail, pattern, indices, f);
        }
    }
    walk(doc, pattern, pattern, &mut Vec::new(), f);
}

/// A value from the document, or else from its model record.
fn lookup<'a>(doc: &'a Value, model: Option<&'a Value>, pointer: &str) -> Option<&'a Value> {
    doc.pointer(pointer).or_else(|| model?.pointer(pointer))
}

fn number(doc: &Value, pointer: &str) -> Option<f64> {
    doc.pointer(pointer).and_then(Value::as_f64)
}

fn ranges(doc: &Value, out: &mut Vec<Violation>) {
    for (pattern, min, max, unit) in RANGES {
        visit(doc, pattern, &mut |at, value| {
            let Some(x) = value.as_f64() else { return };
            if !(*min..=*max).contains(&x) {
                out.push(Violation::new(
                    at(),
                    "range",
                    format!("{x} {unit} is outside the plausible range {min} to {max} {unit}").replace("  ", " "),
                ));
            } else if INTEGERS.contains(pattern) && x.fract() != 0.0 {
                out.push(Violation::new(at(), "integer", format!("{x} must be a whole number")));
            }
        });
    }
}

/// Attributes the catalogue marks mandatory for the document's battery category must be present.
fn mandatory(doc: &Value, category: Option<Category>, scope: Scope, out: &mut Vec<Violation>) {
    let Some(category) = category else {
        return; // the schema reports a missing or unknown category
    };
    for (attribute, facts) in ATTRIBUTES.iter().zip(attribute_facts()) {
        if attribute.requirement_for(category) != Requirement::Mandatory
            || (scope == Scope::Model && facts.item_level)
            || (scope == Scope::Item && !facts.item_level)
            || facts.schema_required
        {
            continue; // not mandatory here, not part of a model record, or reported by the schema already
        }
        // An attribute with several pointers is present if any of them is.
        if !attribute.pointers.iter().any(|p| exists(doc, p)) {
            out.push(Violation::new(
                attribute.pointers[0],
                format!("mandatory:{}", category.as_str()),
                format!(
                    "`{}` is mandatory for {} batteries ({})",
                    attribute.name,
                    category.as_str(),
                    attribute.legal_source
                ),
            ));
        }
    }
}

/// Per catalogue row, facts derived once from the catalogue and the schemas.
struct AttributeFacts {
    /// Some pointer is per battery (not part of a model record).
    item_level: bool,
    /// The schema already requires the first pointer, so its absence is reported as `schema:required`.
    schema_required: bool,
}

fn attribute_facts() -> &'static [AttributeFacts] {
    static FACTS: OnceLock<Vec<AttributeFacts>> = OnceLock::new();
    FACTS.get_or_init(|| {
        ATTRIBUTES
            .iter()
            .map(|a| AttributeFacts {
                item_level: a.pointers.iter().any(|p| document::is_item_level(p)),
                schema_required: schema_requires(a.pointers),
            })
            .collect()
    })
}

/// True if some value matches `pattern` (`-` = any array element), without allocating.
fn exists(value: &Value, pattern: &str) -> bool {
    let pattern = pattern.strip_prefix('/').unwrap_or(pattern);
    if pattern.is_empty() {
        return true;
    }
    let (segment, rest) = pattern.split_once('/').unwrap_or((pattern, ""));
    if segment == "-" {
        value.as_array().is_some_and(|items| items.iter().any(|item| exists(item, rest)))
    } else {
        value.get(segment).is_some_and(|child| exists(child, rest))
    }
}

/// True if the schema already makes the first pointer's leaf required (so its absence is already reported).
fn schema_requires(pointers: &[&str]) -> bool {
    let Some(pointer) = pointers.first() else {
        return false;
    };
    let Some((parent, leaf)) = pointer.rsplit_once('/') else {
        return false;
    };
    crate::schema::node_at(parent)
        .and_then(|node| node.get("required"))
        .and_then(Value::as_array)
        .is_some_and(|required| required.iter().any(|r| r == leaf))
        && !parent.contains("/-")
}

fn lifecycle_shares(doc: &Value, out: &mut Vec<Violation>) {
    let pointer = "/carbonFootprint/carbonFootprintPerLifecycleStage";
    let Some(stages) = doc.pointer(pointer).and_then(Value::as_array) else {
        return;
    };
    let mut seen = Vec::new();
    for (i, stage) in stages.iter().enumerate() {
        if let Some(name) = stage.get("lifecycleStage").and_then(Value::as_str) {
            if seen.contains(&name) {
                out.push(Violation::new(
                    format!("{pointer}/{i}/lifecycleStage"),
                    "lifecycle-stages",
                    format!("stage {name} is listed twice"),
                ));
            }
            seen.push(name);
        }
    }
    for stage in ["RawMaterialExtraction", "MainProduction", "Distribution", "Recycling"] {
        if !seen.contains(&stage) {
            out.push(Violation::new(
                pointer,
                "lifecycle-stages",
                format!("the carbon footprint must give the share of stage {stage} (Art. 7(1))"),
            ));
        }
    }
    let total: f64 = stages.iter().filter_map(|s| s.get("carbonFootprint").and_then(Value::as_f64)).sum();
    if !stages.is_empty() && (total - 100.0).abs() > 1.0 {
        out.push(Violation::new(
            pointer,
            "lifecycle-shares",
            format!("life-cycle stage shares add up to {total:.2} %, they must add up to 100 % (± 1)"),
        ));
    }
}

fn voltages_and_temperatures(doc: &Value, out: &mut Vec<Violation>) {
    let min = number(doc, &format!("{TECH}/minimumVoltage"));
    let nominal = number(doc, &format!("{TECH}/nominalVoltage"));
    let max = number(doc, &format!("{TECH}/maximumVoltage"));
    if let (Some(min), Some(nominal), Some(max)) = (min, nominal, max)
        && !(min < nominal && nominal < max)
    {
        out.push(Violation::new(
            format!("{TECH}/nominalVoltage"),
            "voltage-order",
            format!("voltages must satisfy minimum < nominal < maximum, got {min} V, {nominal} V, {max} V"),
        ));
    }
    let low = number(doc, &format!("{TECH}/temperatureRangeIdleState/minimum"));
    let high = number(doc, &format!("{TECH}/temperatureRangeIdleState/maximum"));
    if let (Some(low), Some(high)) = (low, high)
        && low >= high
    {
        out.push(Violation::new(
            format!("{TECH}/temperatureRangeIdleState"),
            "temperature-order",
            format!("idle temperature range minimum {low} °C must be below maximum {high} °C"),
        ));
    }
}

/// Rated energy (kWh) must match rated capacity (Ah) x nominal voltage (V) / 1000: a mismatch usually
/// means a unit slip (Wh instead of kWh, mAh instead of Ah).
fn energy_consistency(doc: &Value, out: &mut Vec<Violation>) {
    let energy = number(doc, &format!("{TECH}/ratedEnergy"));
    let capacity = number(doc, &format!("{TECH}/ratedCapacity"));
    let voltage = number(doc, &format!("{TECH}/nominalVoltage"));
    let (Some(energy), Some(capacity), Some(voltage)) = (energy, capacity, voltage) else {
        return;
    };
    let expected = capacity * voltage / 1000.0;
    if expected > 0.0 && !(0.8..=1.25).contains(&(energy / expected)) {
        out.push(Violation::new(
            format!("{TECH}/ratedEnergy"),
            "unit-consistency",
            format!(
                "rated energy {energy} kWh does not match rated capacity {capacity} Ah x nominal voltage {voltage} V = {expected:.3} kWh (check units: kWh, Ah, V)"
            ),
        ));
    }
}

/// The remaining capacity (per battery) cannot exceed the model's rated capacity by much.
fn remaining_capacity(doc: &Value, rated_capacity: Option<f64>, out: &mut Vec<Violation>) {
    let remaining_at = "/performance/batteryCondition/remainingCapacity/remainingCapacityValue";
    let (Some(remaining), Some(capacity)) = (number(doc, remaining_at), rated_capacity) else {
        return;
    };
    if remaining > capacity * 1.1 {
        out.push(Violation::new(
            remaining_at,
            "unit-consistency",
            format!("remaining capacity {remaining} Ah exceeds the rated capacity {capacity} Ah by more than 10 %"),
        ));
    }
}

/// Scope limits of the categories (Art. 3): LMT batteries weigh at most 25 kg; industrial and
/// stationary batteries need a passport above 2 kWh.
fn category_limits(doc: &Value, out: &mut Vec<Violation>) {
    let category = doc.pointer("/generalProductInformation/batteryCategory").and_then(Value::as_str);
    let mass = number(doc, "/generalProductInformation/batteryMass");
    let energy = number(doc, &format!("{TECH}/ratedEnergy"));
    match (category, mass, energy) {
        (Some("lmt"), Some(mass), _) if mass > 25.0 => out.push(Violation::new(
            "/generalProductInformation/batteryMass",
            "category:lmt",
            format!("an LMT battery weighs at most 25 kg (Art. 3(1)(11)), this one {mass} kg"),
        )),
        (Some(c @ ("industrial" | "stationary")), _, Some(energy)) if energy <= 2.0 => out.push(Violation::new(
            format!("{TECH}/ratedEnergy"),
            format!("category:{c}"),
            format!("a passport is required for {c} batteries above 2 kWh (Art. 77(1)), this one has {energy} kWh"),
        )),
        _ => {}
    }
}

fn material_masses(doc: &Value, out: &mut Vec<Violation>) {
    let Some(mass) = number(doc, "/generalProductInformation/batteryMass") else {
        return;
    };
    let total: f64 = values_at(doc, "/materialComposition/batteryMaterials/-/batteryMaterialMass")
        .iter()
        .filter_map(|(_, v)| v.as_f64())
        .sum();
    if total > mass * 1.01 {
        out.push(Violation::new(
            "/materialComposition/batteryMaterials",
            "mass-balance",
            format!("materials add up to {total:.3} kg, more than the battery's mass of {mass} kg"),
        ));
    }
}

fn parse_time(value: &Value) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(value.as_str()?, &Rfc3339).ok()
}

/// Dates: parseable, not in the future, and in order (made, then put into service, then observed).
fn dates(doc: &Value, now: OffsetDateTime, out: &mut Vec<Violation>) {
    let tomorrow = now + time::Duration::days(1);
    let made_at = "/generalProductInformation/manufacturingDate";
    let made = doc.pointer(made_at).and_then(parse_time);
    let mut stamps: Vec<(String, &Value)> = Vec::new();
    for pattern in [made_at, "/generalProductInformation/puttingIntoService"] {
        stamps.extend(values_at(doc, pattern));
    }
    for pattern in [
        "/performance/batteryCondition/*/lastUpdate",
        "/performance/batteryCondition/*/-/lastUpdate",
        "/performance/batteryCondition/remainingPowerCapability/remainingPowerCapabilityValue/rPCLastUpdated",
    ] {
        stamps.extend(wildcard_values(doc, pattern));
    }
    for (at, value) in stamps {
        let Some(when) = parse_time(value) else {
            if value.is_string() {
                out.push(Violation::new(
                    at,
                    "date",
                    "not an RFC 3339 date-time with time zone, e.g. 2026-03-01T08:00:00Z",
                ));
            }
            continue;
        };
        if when > tomorrow {
            out.push(Violation::new(at, "date", format!("{} lies in the future", value.as_str().unwrap_or_default())));
        } else if when.year() < 1990 {
            out.push(Violation::new(at, "date", "dates before 1990 are not plausible for a battery passport"));
        } else if let Some(made) = made
            && at != made_at
            && when < made
        {
            out.push(Violation::new(at, "date-order", "this date lies before the battery's manufacturing date"));
        }
    }
}

/// Like `values_at`, with `*` standing for every member of an object.
fn wildcard_values<'a>(doc: &'a Value, pattern: &str) -> Vec<(String, &'a Value)> {
    let Some((head, tail)) = pattern.split_once("/*") else {
        return values_at(doc, pattern);
    };
    let mut out = Vec::new();
    for (at, parent) in values_at(doc, head) {
        for (key, child) in parent.as_object().into_iter().flatten() {
            for (sub, value) in values_at(child, tail) {
                out.push((format!("{at}/{key}{sub}"), value));
            }
        }
    }
    out
}

fn identifiers_and_addresses(doc: &Value, out: &mut Vec<Violation>) {
    for pattern in [
        "/materialComposition/batteryMaterials/-/batteryMaterialIdentifier",
        "/materialComposition/hazardousSubstances/-/hazardousSubstanceIdentifier",
    ] {
        for (at, value) in values_at(doc, pattern) {
            if let Some(cas) = value.as_str()
                && !cas_check_digit_ok(cas)
            {
                out.push(Violation::new(
                    at,
                    "cas-number",
                    format!("{cas} is not a valid CAS registry number (check digit)"),
                ));
            }
        }
    }
    for pattern in [
        "/generalProductInformation/manufacturerInformation/emailAddress",
        "/generalProductInformation/operatorInformation/emailAddress",
        "/circularity/sparePartSources/-/emailAddressOfSupplier",
    ] {
        for (at, value) in values_at(doc, pattern) {
            if let Some(email) = value.as_str()
                && !plausible_email(email)
            {
                out.push(Violation::new(at, "email", format!("`{email}` is not a usable e-mail address")));
            }
        }
    }
    for pattern in uri_patterns() {
        visit(doc, pattern, &mut |at, value| {
            if let Some(url) = value.as_str()
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                out.push(Violation::new(
                    at(),
                    "url",
                    format!("`{url}` must be an http(s) link that a passport reader can open"),
                ));
            }
        });
    }
    for (at, value) in values_at(doc, "/labels/labels/-/labelingMeaning") {
        let Some(texts) = value.as_object() else {
            continue;
        };
        if texts.is_empty() {
            out.push(Violation::new(at.clone(), "language-text", "give the meaning in at least one language"));
        }
        for (lang, text) in texts {
            if !plausible_language_tag(lang) || text.as_str().is_none_or(|t| t.trim().is_empty()) {
                out.push(Violation::new(
                    format!("{at}/{lang}"),
                    "language-text",
                    "multi-language text: keys are language tags (e.g. en, de-AT), values non-empty strings",
                ));
            }
        }
    }
}

/// Patterns (with `-` for array elements) of every `format: uri` place in the schemas, found once.
fn uri_patterns() -> &'static [String] {
    fn walk(node: &Value, at: String, out: &mut Vec<String>) {
        if node.get("format").and_then(Value::as_str) == Some("uri") {
            out.push(at.clone());
        }
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            for (key, child) in properties {
                walk(child, format!("{at}/{key}"), out);
            }
        }
        if let Some(items) = node.get("items") {
            walk(items, format!("{at}/-"), out);
        }
    }
    static PATTERNS: OnceLock<Vec<String>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let mut out = Vec::new();
        for section in crate::schema::compiled() {
            walk(&section.schema, format!("/{}", section.member), &mut out);
        }
        out
    })
}

/// CAS registry numbers: `NNNNNNN-NN-C` where C is the weighted digit sum mod 10.
pub(crate) fn cas_check_digit_ok(cas: &str) -> bool {
    let parts: Vec<&str> = cas.split('-').collect();
    let [a, b, c] = parts[..] else { return false };
    if c.len() != 1 || !(a.len() >= 2 && b.len() == 2) {
        return false;
    }
    let digits: Option<Vec<u32>> = format!("{a}{b}").chars().map(|ch| ch.to_digit(10)).collect();
    let (Some(digits), Some(check)) = (digits, c.chars().next().and_then(|ch| ch.to_digit(10))) else {
        return false;
    };
    let sum: u32 = digits.iter().rev().enumerate().map(|(i, d)| (i as u32 + 1) * d).sum();
    sum % 10 == check
}

fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let label_ok = |l: &str| {
        !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-') && !l.starts_with('-') && !l.ends_with('-')
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && domain.contains('.')
        && domain.split('.').all(label_ok)
        && domain.rsplit('.').next().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic))
}

fn plausible_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cas_numbers() {
        for ok in ["7440-02-0", "7440-48-4", "7439-93-2", "7782-42-5", "21324-40-3", "96-49-1"] {
            assert!(cas_check_digit_ok(ok), "{ok}");
        }
        for bad in ["7440-02-1", "7440-2-0", "abc", "7440-02-00", "1-23-4"] {
            assert!(!cas_check_digit_ok(bad), "{bad}");
        }
    }

    #[test]
    fn emails() {
        for ok in ["quality@acme-cells.example", "first.last+tag@sub.example.eu"] {
            assert!(plausible_email(ok), "{ok}");
        }
        for bad in ["", "no-at.example", "a@b", ".a@x.example", "a@-x.example", "a b@x.example", "a@x.c0m"] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn language_tags() {
        assert!(plausible_language_tag("en"));
        assert!(plausible_language_tag("de-AT"));
        assert!(!plausible_language_tag("English"));
        assert!(!plausible_language_tag(""));
    }
}
