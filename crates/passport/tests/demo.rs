//! The demo data: every generated document satisfies the seven Battery Pass v1.2 schemas (read from the shared
//! reference checkout, not from the crate's embedded copies), carries no member the schemas do not define apart
//! from the voltpass extensions, keeps model-level values fixed per model, and is physically plausible.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use passport::demo::{self, DemoModel};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;

/// Canonical-document member -> schema file (relative to the BatteryPass directory).
const MEMBERS: [(&str, &str); 7] = [
    (
        "generalProductInformation",
        "io.BatteryPass.GeneralProductInformation/1.2.0/GeneralProductInformation-schema.json",
    ),
    ("labels", "io.BatteryPass.Labels/1.2.0/Labeling-schema.json"),
    ("carbonFootprint", "io.BatteryPass.CarbonFootprint/1.2.0/CarbonFootprintForBatteries-schema.json"),
    ("supplyChainDueDiligence", "io.BatteryPass.SupplyChainDueDiligence/1.2.0/SupplyChainDueDiligence-schema.json"),
    ("materialComposition", "io.BatteryPass.MaterialComposition/1.2.0/MaterialComposition-schema.json"),
    ("circularity", "io.BatteryPass.Circularity/1.2.0/Circularity-schema.json"),
    ("performance", "io.BatteryPass.Performance/1.2.1/PerformanceAndDurability-schema.json"),
];

/// The voltpass extension members: the only members allowed beyond the upstream schemas.
const EXTENSIONS: [&str; 5] = [
    "/generalProductInformation/predecessorPassports",
    "/labels/declarationOfConformityId",
    "/circularity/safetyMeasures/wasteBatterySafetyInstructions",
    "/circularity/recycledContentReporting",
    "/performance/batteryCondition/internalResistance",
];

/// Item-level places: the only values that may differ between two batteries of one model.
const ITEM_LEVEL: [&str; 8] = [
    "/generalProductInformation/productIdentifier",
    "/generalProductInformation/operatorInformation",
    "/generalProductInformation/manufacturingDate",
    "/generalProductInformation/puttingIntoService",
    "/generalProductInformation/batteryStatus",
    "/generalProductInformation/predecessorPassports",
    "/circularity/safetyMeasures/extinguishingAgent",
    "/performance/batteryCondition",
];

const PASSPORT_ID: &str = "urn:voltpass:0192f3a4b5c67d8e9f0a1b2c3d4e5f60";

/// The upstream GeneralProductInformation e-mail pattern lost its backslashes (`[w.-]` for `[\w.-]`) and
/// rejects every real address; the Circularity schema has the intended one.
const BROKEN_EMAIL_PATTERN: &str = "^[w.-]+@[w.-]+.[A-Za-z]{2,}$";
const EMAIL_PATTERN: &str = r"^[\w.-]+@[\w.-]+\.[A-Za-z]{2,}$";

struct Section {
    member: &'static str,
    schema: Value,
    validator: jsonschema::Validator,
}

fn sections() -> &'static [Section] {
    static SECTIONS: OnceLock<Vec<Section>> = OnceLock::new();
    SECTIONS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/batterypass/BatteryPass");
        MEMBERS
            .iter()
            .map(|(member, file)| {
                let path = dir.join(file);
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                    panic!(
                        "cannot read {} ({e}): the Battery Pass reference checkout is expected there",
                        path.display()
                    )
                });
                let mut schema: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
                    .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
                fix_email_pattern(&mut schema);
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft4)
                    .should_validate_formats(true)
                    .build(&schema)
                    .unwrap_or_else(|e| panic!("{file} does not compile: {e}"));
                Section { member, schema, validator }
            })
            .collect()
    })
}

fn fix_email_pattern(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.get("pattern").and_then(Value::as_str) == Some(BROKEN_EMAIL_PATTERN) {
                map.insert("pattern".into(), json!(EMAIL_PATTERN));
            }
            map.values_mut().for_each(fix_email_pattern);
        }
        Value::Array(items) => items.iter_mut().for_each(fix_email_pattern),
        _ => {}
    }
}

/// Documents from several seeds: 300 from seed 1 and a few from other seeds.
fn sample() -> Vec<Value> {
    let mut docs: Vec<Value> = demo::passports(300, 1).collect();
    for seed in [0, 2, 3, 0xDEAD_BEEF, u64::MAX] {
        docs.extend(demo::passports(30, seed));
    }
    docs
}

fn with_passport_id(doc: &Value) -> Value {
    let mut doc = doc.clone();
    doc["generalProductInformation"]["batteryPassportIdentifier"] = json!(PASSPORT_ID);
    doc
}

fn describe(doc: &Value) -> String {
    format!(
        "{} ({})",
        doc["generalProductInformation"]["productIdentifier"].as_str().unwrap_or("?"),
        doc["generalProductInformation"]["batteryCategory"].as_str().unwrap_or("?")
    )
}

fn assert_no_problems(problems: Vec<String>) {
    if !problems.is_empty() {
        let shown: Vec<&String> = problems.iter().take(30).collect();
        panic!(
            "{} problem(s), first ones:\n{}",
            problems.len(),
            shown.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
}

// -------------------------------------------------------------------------------------------------------------
// Schemas
// -------------------------------------------------------------------------------------------------------------

#[test]
fn every_document_validates_against_the_seven_schemas() {
    let mut problems = Vec::new();
    for doc in sample() {
        let members = doc.as_object().expect("a document is an object");
        let names: HashSet<&str> = members.keys().map(String::as_str).collect();
        let expected: HashSet<&str> = MEMBERS.iter().map(|(m, _)| *m).collect();
        assert_eq!(names, expected, "{}: the document has exactly the seven members", describe(&doc));
        assert!(
            doc["generalProductInformation"].get("batteryPassportIdentifier").is_none(),
            "the server assigns batteryPassportIdentifier; demo documents must not carry one"
        );
        let doc = with_passport_id(&doc);
        for section in sections() {
            for error in section.validator.iter_errors(&doc[section.member]) {
                problems.push(format!(
                    "{} /{}{}: {error}",
                    describe(&doc),
                    section.member,
                    error.instance_path().as_str()
                ));
            }
        }
    }
    assert_no_problems(problems);
}

#[test]
fn the_upstream_email_pattern_is_broken_and_patched_here() {
    // Documents why the test patches the schema: unpatched, no real address passes.
    let broken = jsonschema::draft4::new(&json!({"type": "string", "pattern": BROKEN_EMAIL_PATTERN})).unwrap();
    assert!(!broken.is_valid(&json!("quality@volta-cells.example")));
    let fixed = jsonschema::draft4::new(&json!({"type": "string", "pattern": EMAIL_PATTERN})).unwrap();
    assert!(fixed.is_valid(&json!("quality@volta-cells.example")));
}

/// Resolves `$ref`s into `#/components/schemas`.
fn resolve<'a>(node: &'a Value, root: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(target) => {
            let target =
                root.pointer(target.trim_start_matches('#')).unwrap_or_else(|| panic!("dangling $ref {target}"));
            resolve(target, root)
        }
        None => node,
    }
}

/// The properties a schema node defines, directly or through `allOf`.
fn properties<'a>(node: &'a Value, root: &'a Value, out: &mut BTreeMap<&'a str, &'a Value>) {
    let node = resolve(node, root);
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (name, schema) in props {
            out.insert(name, schema);
        }
    }
    for part in node.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        properties(part, root, out);
    }
}

fn undefined_members(value: &Value, node: &Value, root: &Value, at: &str, problems: &mut Vec<String>) {
    let node = resolve(node, root);
    match value {
        Value::Object(map) => {
            let mut defined = BTreeMap::new();
            properties(node, root, &mut defined);
            if defined.is_empty() {
                return; // an open map, e.g. a multi-language text keyed by language tag
            }
            for (key, child) in map {
                let path = format!("{at}/{key}");
                if EXTENSIONS.contains(&path.as_str()) {
                    continue;
                }
                match defined.get(key.as_str()) {
                    Some(schema) => undefined_members(child, schema, root, &path, problems),
                    None => problems.push(format!("{path}: not defined by the schema")),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = node.get("items") {
                for item in items {
                    undefined_members(item, item_schema, root, &format!("{at}/-"), problems);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn no_member_outside_the_schemas_except_the_extensions() {
    let mut problems = Vec::new();
    for doc in sample() {
        for section in sections() {
            let mut found = Vec::new();
            let at = format!("/{}", section.member);
            undefined_members(&doc[section.member], &section.schema, &section.schema, &at, &mut found);
            problems.extend(found.into_iter().map(|p| format!("{}: {p}", describe(&doc))));
        }
    }
    assert_no_problems(problems);
}

#[test]
fn the_extensions_have_their_documented_shape() {
    for doc in demo::passports(30, 5) {
        let who = describe(&doc);
        let gpi = &doc["generalProductInformation"];
        if gpi["batteryStatus"] == "Original" {
            assert!(gpi.get("predecessorPassports").is_none(), "{who}: an original battery has no predecessor");
        } else {
            let predecessors =
                gpi["predecessorPassports"].as_array().expect("a non-original battery names its predecessors");
            assert!(
                !predecessors.is_empty()
                    && predecessors.iter().all(|p| p.as_str().is_some_and(|s| s.starts_with("urn:")))
            );
        }
        let doc_id = doc["labels"]["declarationOfConformityId"].as_str().expect("declarationOfConformityId");
        assert!(doc_id.starts_with("DoC-") && !doc_id.contains(' '), "{who}: {doc_id}");
        let waste = doc["circularity"]["safetyMeasures"]["wasteBatterySafetyInstructions"].as_str().unwrap();
        assert!(waste.starts_with("https://"), "{who}: {waste}");
        let reporting = &doc["circularity"]["recycledContentReporting"];
        assert_eq!(reporting["reportingYear"], json!(2026));
        assert!(reporting["manufacturingPlant"].as_str().is_some_and(|p| !p.is_empty()));
        assert_eq!(reporting.as_object().unwrap().len(), 2);
        let resistance = doc["performance"]["batteryCondition"]["internalResistance"].as_array().unwrap();
        assert!(!resistance.is_empty());
        for r in resistance {
            assert_eq!(r.as_object().unwrap().len(), 3, "{who}: {r}");
            assert!(r["ohmicResistance"].as_f64().is_some_and(|x| x > 0.0));
            assert!(["pack", "module", "cell"].contains(&r["batteryComponent"].as_str().unwrap()));
            OffsetDateTime::parse(r["lastUpdate"].as_str().unwrap(), &Rfc3339).expect("RFC 3339 lastUpdate");
        }
    }
}

// -------------------------------------------------------------------------------------------------------------
// Model level, item level, determinism
// -------------------------------------------------------------------------------------------------------------

fn without_item_level(doc: &Value) -> Value {
    let mut doc = doc.clone();
    for pointer in ITEM_LEVEL {
        let (parent, leaf) = pointer.rsplit_once('/').unwrap();
        if let Some(parent) = doc.pointer_mut(parent).and_then(Value::as_object_mut) {
            parent.remove(leaf);
        }
    }
    doc
}

#[test]
fn model_level_values_depend_only_on_the_model() {
    for model in DemoModel::ALL {
        let a = demo::passport(model, 17, &mut SmallRng::seed_from_u64(1));
        let b = demo::passport(model, 4242, &mut SmallRng::seed_from_u64(99));
        assert_ne!(
            a["generalProductInformation"]["productIdentifier"], b["generalProductInformation"]["productIdentifier"],
            "{model:?}"
        );
        assert_ne!(a["performance"]["batteryCondition"], b["performance"]["batteryCondition"], "{model:?}");
        assert_eq!(without_item_level(&a), without_item_level(&b), "{model:?}: model-level values differ");
        // Same serial, same rng: same battery.
        assert_eq!(a, demo::passport(model, 17, &mut SmallRng::seed_from_u64(1)));
        // And the crate's own model/item split agrees: the model records are identical.
        let (model_a, _) = passport::document::split(&a);
        let (model_b, _) = passport::document::split(&b);
        assert_eq!(model_a, model_b, "{model:?}: the catalogue's model-level part differs between two batteries");
    }
    // Every batch: one model record per model.
    let mut records: BTreeMap<&str, Value> = BTreeMap::new();
    for doc in sample() {
        let category = match doc["generalProductInformation"]["batteryCategory"].as_str().unwrap() {
            "ev" => "ev",
            "lmt" => "lmt",
            _ => "stationary",
        };
        let record = without_item_level(&doc);
        match records.get(category) {
            Some(first) => assert_eq!(first, &record, "{}: model-level values differ within the model", describe(&doc)),
            None => {
                records.insert(category, record);
            }
        }
    }
    assert_eq!(records.len(), 3);
}

#[test]
fn models_have_natural_ids_and_categories() {
    let ids: HashSet<&str> = DemoModel::ALL.iter().map(|m| m.model_id()).collect();
    assert_eq!(ids.len(), 3);
    for model in DemoModel::ALL {
        let id = model.model_id();
        assert!(!id.is_empty() && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'), "{id}");
        let doc = demo::passport(model, 1, &mut SmallRng::seed_from_u64(3));
        assert_eq!(doc["generalProductInformation"]["batteryCategory"], json!(model.category()));
    }
    let categories: Vec<&str> = DemoModel::ALL.iter().map(|m| m.category()).collect();
    assert_eq!(categories, ["ev", "lmt", "stationary"]);
}

#[test]
fn product_identifiers_are_unique_and_well_formed() {
    let docs: Vec<Value> = demo::passports(3000, 11).collect();
    assert_eq!(docs.len(), 3000);
    let mut seen = HashSet::new();
    for (i, doc) in docs.iter().enumerate() {
        let model = DemoModel::ALL[i % 3];
        assert_eq!(
            doc["generalProductInformation"]["batteryCategory"],
            json!(model.category()),
            "documents cycle over the models"
        );
        let id = doc["generalProductInformation"]["productIdentifier"].as_str().unwrap();
        assert!(seen.insert(id.to_string()), "duplicate product identifier {id}");
        assert!(!id.contains(' '), "{id}");
        if let Some(rest) = id.strip_prefix("(01)") {
            // GS1 element string: GTIN-14 with a valid check digit, then the serial number (AI 21).
            let (gtin, serial) =
                rest.split_once("(21)").unwrap_or_else(|| panic!("{id}: GS1 identifier without serial"));
            assert!(gtin.len() == 14 && gtin_check_digit_ok(gtin), "{id}: GTIN check digit");
            assert!(!serial.is_empty() && serial.len() <= 20, "{id}");
        }
    }
    // Each model keeps one identifier style.
    for (n, model) in DemoModel::ALL.iter().enumerate() {
        let styles: HashSet<bool> = docs
            .iter()
            .skip(n)
            .step_by(3)
            .map(|d| d["generalProductInformation"]["productIdentifier"].as_str().unwrap().starts_with("(01)"))
            .collect();
        assert_eq!(styles.len(), 1, "{model:?} mixes identifier styles");
    }
}

fn gtin_check_digit_ok(gtin: &str) -> bool {
    let digits: Vec<u32> = gtin.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != gtin.len() {
        return false;
    }
    let (check, body) = digits.split_last().unwrap();
    let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| if i % 2 == 0 { 3 * d } else { *d }).sum();
    (10 - sum % 10) % 10 == *check
}

#[test]
fn the_same_seed_gives_the_same_documents() {
    let a: Vec<Value> = demo::passports(90, 42).collect();
    let b: Vec<Value> = demo::passports(90, 42).collect();
    assert_eq!(a, b);
    let c: Vec<Value> = demo::passports(90, 43).collect();
    assert_ne!(a, c);
    // A longer run starts with the shorter one.
    let longer: Vec<Value> = demo::passports(120, 42).collect();
    assert_eq!(&longer[..90], &a[..]);
    assert_eq!(demo::passports(0, 1).count(), 0);
}

// -------------------------------------------------------------------------------------------------------------
// Plausibility
// -------------------------------------------------------------------------------------------------------------

fn cas_check_digit_ok(cas: &str) -> bool {
    let parts: Vec<&str> = cas.split('-').collect();
    let [a, b, c] = parts[..] else { return false };
    if !(2..=7).contains(&a.len()) || b.len() != 2 || c.len() != 1 {
        return false;
    }
    let Some(digits) = format!("{a}{b}").chars().map(|ch| ch.to_digit(10)).collect::<Option<Vec<u32>>>() else {
        return false;
    };
    let Some(check) = c.chars().next().and_then(|ch| ch.to_digit(10)) else {
        return false;
    };
    digits.iter().rev().enumerate().map(|(i, d)| (i as u32 + 1) * d).sum::<u32>() % 10 == check
}

#[test]
fn cas_numbers_of_the_brief_have_valid_check_digits() {
    for cas in [
        "7440-02-0",
        "7440-48-4",
        "7439-93-2",
        "7439-96-5",
        "7782-42-5",
        "21324-40-3",
        "7429-90-5",
        "7440-50-8",
        "15365-14-7",
        "96-49-1",
        "24937-79-9",
    ] {
        assert!(cas_check_digit_ok(cas), "{cas}");
    }
    for bad in ["7440-02-1", "7440-48-5", "96-49-2", "7440-2-0", "x-49-1"] {
        assert!(!cas_check_digit_ok(bad), "{bad}");
    }
}

fn f(doc: &Value, pointer: &str) -> f64 {
    doc.pointer(pointer).and_then(Value::as_f64).unwrap_or_else(|| panic!("{}: no number at {pointer}", describe(doc)))
}

fn time_at(doc: &Value, pointer: &str) -> OffsetDateTime {
    let text = doc.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no string at {pointer}"));
    OffsetDateTime::parse(text, &Rfc3339)
        .unwrap_or_else(|e| panic!("{}: {pointer} = {text} is not RFC 3339: {e}", describe(doc)))
}

fn within(x: f64, range: (f64, f64)) -> bool {
    (range.0..=range.1).contains(&x)
}

/// Every string in the document with its pointer.
fn strings<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((at, s)),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| strings(v, format!("{at}/{i}"), out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| strings(v, format!("{at}/{k}"), out)),
        _ => {}
    }
}

fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
        && domain.ends_with(".example")
        && domain.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

fn check_document(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |ok: bool, what: String| {
        if !ok {
            problems.push(format!("{}: {what}", describe(doc)));
        }
    };
    let tech = "/performance/batteryTechicalProperties";
    let t = |name: &str| f(doc, &format!("{tech}/{name}"));
    let category = doc["generalProductInformation"]["batteryCategory"].as_str().unwrap();
    let mass = f(doc, "/generalProductInformation/batteryMass");
    let nominal = t("nominalVoltage");
    let capacity = t("ratedCapacity");
    let energy = t("ratedEnergy");

    // Ratings per category.
    let (voltage, capacity_range, mass_range, energy_range) = match category {
        "ev" => ((350.0, 400.0), (200.0, 230.0), (450.0, 550.0), (60.0, 95.0)),
        "lmt" => ((36.0, 48.0), (10.0, 20.0), (3.0, 8.0), (0.5, 1.0)),
        "stationary" => ((48.0, 800.0), (100.0, 280.0), (100.0, 1000.0), (10.0, 100.0)),
        other => panic!("unexpected category {other}"),
    };
    problem(within(nominal, voltage), format!("nominal voltage {nominal} V"));
    if category == "lmt" {
        problem(nominal == 36.0 || nominal == 48.0, format!("LMT nominal voltage {nominal} V"));
    }
    problem(within(capacity, capacity_range), format!("rated capacity {capacity} Ah"));
    problem(within(mass, mass_range), format!("mass {mass} kg"));
    problem(within(energy, energy_range), format!("rated energy {energy} kWh"));
    let expected = capacity * nominal / 1000.0;
    problem(
        (energy - expected).abs() <= 0.05 * expected,
        format!("rated energy {energy} kWh vs capacity x voltage {expected} kWh"),
    );
    problem(t("minimumVoltage") >= 0.6 * nominal && t("minimumVoltage") < nominal, "minimum voltage".into());
    problem(t("maximumVoltage") <= 1.25 * nominal && t("maximumVoltage") > nominal, "maximum voltage".into());
    let max_power = t("ratedMaximumPower");
    let ratio = t("powerCapabilityRatio");
    problem(within(ratio, (1.0, 5.0)), format!("power capability ratio {ratio} W/Wh"));
    problem((ratio - max_power / (energy * 1000.0)).abs() <= 0.02 * ratio, "power ratio = max power / energy".into());
    for p in doc.pointer(&format!("{tech}/originalPowerCapability")).and_then(Value::as_array).unwrap() {
        let w = p["powerCapabilityAt"].as_f64().unwrap();
        problem(w > 0.0 && w <= max_power, format!("original power capability {w} W"));
    }
    let socs: HashSet<u64> = doc
        .pointer(&format!("{tech}/originalPowerCapability"))
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .filter_map(|p| p["atSoC"].as_u64())
        .collect();
    problem(socs == HashSet::from([80, 20]), "original power capability at 80 % and 20 % SoC".into());
    let rte = t("roundtripEfficiency");
    let rte50 = t("roundTripEfficiencyat50PerCentCycleLife");
    problem(within(rte, (85.0, 97.0)) && rte50 < rte && rte50 > 80.0, format!("round trip efficiency {rte} / {rte50}"));
    problem(within(t("roundTripEfficiencyFade"), (0.0, 10.0)) && within(t("powerFade"), (0.0, 20.0)), "fades".into());
    problem(within(t("initialSelfDischarge"), (1.0, 3.0)), "self-discharge".into());
    problem(within(t("capacityThresholdForExhaustion"), (70.0, 80.0)), "capacity threshold".into());
    problem(within(t("cRateLifeCycleTest"), (0.33, 1.0)), "C-rate of the cycle-life test".into());
    let cycles_expected = t("expectedNumberOfCycles");
    let lifetime = t("expectedLifetime");
    problem(cycles_expected.fract() == 0.0 && lifetime.fract() == 0.0, "whole cycles and years".into());
    let initial_resistance =
        doc.pointer(&format!("{tech}/initialInternalResistance")).and_then(Value::as_array).unwrap();
    for r in initial_resistance {
        let ohm = r["ohmicResistance"].as_f64().unwrap();
        let range = match (r["batteryComponent"].as_str().unwrap(), category) {
            ("pack", "ev") => (0.05, 0.15),
            ("pack", _) => (0.005, 0.15),
            ("module", _) => (0.001, 0.05),
            ("cell", _) => (0.0005, 0.002),
            (other, _) => panic!("component {other}"),
        };
        problem(within(ohm, range), format!("initial internal resistance {r}"));
    }
    let (idle_min, idle_max) = (t("temperatureRangeIdleState/minimum"), t("temperatureRangeIdleState/maximum"));
    problem(
        idle_min < idle_max && within(idle_min, (-30.0, -10.0)) && within(idle_max, (40.0, 60.0)),
        "idle temperatures".into(),
    );
    if category == "ev" {
        problem(within(cycles_expected, (1500.0, 3000.0)) && within(lifetime, (10.0, 15.0)), "EV cycle life".into());
        problem(within(idle_min, (-30.0, -20.0)) && within(idle_max, (45.0, 60.0)), "EV idle temperatures".into());
    }
    let warranty = doc["generalProductInformation"]["warrentyPeriod"].as_str().unwrap();
    problem(
        warranty.len() == 4
            && warranty.starts_with("--")
            && within(warranty[2..].parse::<f64>().unwrap_or(0.0), (1.0, 12.0)),
        format!("warranty {warranty} is an xsd:gMonth"),
    );

    // Carbon footprint.
    let cf = f(doc, "/carbonFootprint/batteryCarbonFootprint");
    problem(within(cf, if category == "ev" { (60.0, 90.0) } else { (30.0, 90.0) }), format!("carbon footprint {cf}"));
    let stages = doc["carbonFootprint"]["carbonFootprintPerLifecycleStage"].as_array().unwrap();
    let names: Vec<&str> = stages.iter().map(|s| s["lifecycleStage"].as_str().unwrap()).collect();
    problem(
        names == ["RawMaterialExtraction", "MainProduction", "Distribution", "Recycling"],
        format!("stages {names:?}"),
    );
    let shares: f64 = stages.iter().map(|s| s["carbonFootprint"].as_f64().unwrap()).sum();
    problem((shares - 100.0).abs() <= 1.0, format!("lifecycle shares add up to {shares}"));
    let absolute = f(doc, "/carbonFootprint/absoluteCarbonFootprint");
    problem(
        (absolute - cf * energy / 1000.0).abs() <= 0.01 * absolute + 0.001,
        format!("absolute footprint {absolute} t"),
    );
    problem(
        !doc["carbonFootprint"]["carbonFootprintPerformanceClass"].as_str().unwrap().is_empty(),
        "performance class".into(),
    );

    // Materials and hazardous substances.
    let materials = doc["materialComposition"]["batteryMaterials"].as_array().unwrap();
    let total: f64 = materials.iter().map(|m| m["batteryMaterialMass"].as_f64().unwrap()).sum();
    problem(total > 0.3 * mass && total <= mass, format!("materials {total} kg in a {mass} kg battery"));
    for m in materials {
        let cas = m["batteryMaterialIdentifier"].as_str().unwrap();
        problem(cas_check_digit_ok(cas), format!("material CAS {cas}"));
        let name = m["batteryMaterialName"].as_str().unwrap().to_lowercase();
        if ["nickel", "cobalt", "lithium", "graphite", "manganese"].iter().any(|crm| name.starts_with(crm)) {
            problem(m["isCriticalRawMaterial"] == json!(true), format!("{name} is a critical raw material"));
        }
        problem(m["batteryMaterialMass"].as_f64().unwrap() > 0.0, format!("{name}: mass"));
    }
    let hazards = doc["materialComposition"]["hazardousSubstances"].as_array().unwrap();
    problem(!hazards.is_empty(), "hazardous substances".into());
    for h in hazards {
        let cas = h["hazardousSubstanceIdentifier"].as_str().unwrap();
        problem(cas_check_digit_ok(cas), format!("hazardous substance CAS {cas}"));
        let c = h["hazardousSubstanceConcentration"].as_f64().unwrap();
        problem(c > 0.0 && c <= 100.0, format!("concentration {c} %"));
        problem(!h["hazardousSubstanceImpact"].as_array().unwrap().is_empty(), "impact statements".into());
    }

    // Circularity.
    for r in doc["circularity"]["recycledContent"].as_array().unwrap() {
        let (pre, post) = (r["preConsumerShare"].as_f64().unwrap(), r["postConsumerShare"].as_f64().unwrap());
        problem(
            within(pre, (0.0, 100.0)) && within(post, (0.0, 100.0)) && pre + post <= 100.0,
            format!("recycled {r}"),
        );
    }
    problem(within(f(doc, "/circularity/renewableContent"), (0.0, 100.0)), "renewable content".into());
    problem(
        !doc["circularity"]["safetyMeasures"]["extinguishingAgent"].as_array().unwrap().is_empty(),
        "extinguishing agents".into(),
    );

    // Labels: multi-language texts.
    for label in doc["labels"]["labels"].as_array().unwrap() {
        let meaning = label["labelingMeaning"].as_object().unwrap();
        problem(
            ["en", "de"].iter().all(|l| meaning.get(*l).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty())),
            format!("label meaning {meaning:?}"),
        );
    }

    // E-mail addresses and links.
    let mut all = Vec::new();
    strings(doc, String::new(), &mut all);
    for (at, s) in &all {
        if at.to_lowercase().contains("email") {
            problem(plausible_email(s), format!("{at}: e-mail {s}"));
        }
        if s.contains("://") {
            let host = s.strip_prefix("https://").and_then(|rest| rest.split('/').next()).unwrap_or("");
            problem(host.ends_with(".example"), format!("{at}: link {s} must be https on an .example domain"));
        }
    }

    // Item level: dates.
    let gpi = "/generalProductInformation";
    let reference = datetime!(2026-11-01 00:00 UTC);
    let made = time_at(doc, &format!("{gpi}/manufacturingDate"));
    let service = time_at(doc, &format!("{gpi}/puttingIntoService"));
    problem(made >= datetime!(2025-01-01 00:00 UTC) && made <= reference, format!("manufactured {made}"));
    problem(service > made && service <= reference, format!("put into service {service}, made {made}"));
    let status = doc.pointer(&format!("{gpi}/batteryStatus")).and_then(Value::as_str).unwrap();
    problem(["Original", "Repurposed", "Reused", "Remanufactured"].contains(&status), format!("status {status}"));
    let condition = &doc["performance"]["batteryCondition"];
    let mut stamps = Vec::new();
    strings(condition, "/performance/batteryCondition".into(), &mut stamps);
    let mut last_update = made;
    for (at, s) in stamps.iter().filter(|(at, _)| at.ends_with("/lastUpdate") || at.ends_with("/rPCLastUpdated")) {
        let when = OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{at} = {s}: {e}"));
        problem(when > made && when >= service && when <= reference, format!("{at} = {s}"));
        last_update = last_update.max(when);
    }

    // Item level: battery condition consistent with age and ratings.
    let c = |pointer: &str| f(condition, pointer);
    let age_days = (last_update - service).as_seconds_f64() / 86_400.0;
    let cycles = c("/numberOfFullCycles/numberOfFullCyclesValue");
    problem(
        cycles.fract() == 0.0 && cycles >= 0.0 && cycles <= age_days.max(0.0) + 1.0,
        format!("{cycles} cycles in {age_days:.0} days"),
    );
    problem(cycles < cycles_expected, "cycles below the expected cycle life".into());
    let soc = c("/stateOfCharge/stateOfChargeValue");
    problem(
        within(soc, if cycles < 3.0 { (30.0, 60.0) } else { (5.0, 100.0) }),
        format!("SoC {soc} after {cycles} cycles"),
    );
    let soce = c("/stateOfCertifiedEnergy/stateOfCertifiedEnergyValue");
    problem(within(soce, (80.0, 100.0)), format!("SOCE {soce}"));
    let fade = c("/capacityFade/capacityFadeValue");
    problem(within(fade, (0.0, 20.0)), format!("capacity fade {fade}"));
    let remaining_capacity = c("/remainingCapacity/remainingCapacityValue");
    problem(
        remaining_capacity <= capacity && remaining_capacity >= 0.8 * capacity,
        format!("remaining capacity {remaining_capacity}"),
    );
    problem(
        (remaining_capacity - capacity * (1.0 - fade / 100.0)).abs() <= 0.01 * capacity,
        "remaining capacity = rated x (1 - fade)".into(),
    );
    let remaining_energy = c("/remainingEnergy/remainingEnergyValue");
    problem(
        remaining_energy <= energy && (remaining_energy - energy * soce / 100.0).abs() <= 0.01 * energy,
        format!("remaining energy {remaining_energy}"),
    );
    let capacity_throughput = c("/capacityThroughput/capacityThroughputValue");
    let energy_throughput = c("/energyThroughput/energyThroughputValue");
    if cycles > 0.0 {
        let per_cycle = capacity_throughput / (cycles * capacity);
        problem(
            within(per_cycle, (0.9, 1.0)),
            format!("capacity throughput {capacity_throughput} Ah for {cycles} cycles"),
        );
        let expected = capacity_throughput * nominal / 1000.0;
        problem(
            (energy_throughput - expected).abs() <= 0.02 * expected + 0.01,
            format!("energy throughput {energy_throughput} kWh"),
        );
    } else {
        problem(capacity_throughput == 0.0 && energy_throughput == 0.0, "no throughput without cycles".into());
    }
    let temperatures = &condition["temperatureInformation"];
    let minutes = |k: &str| temperatures[k].as_f64().unwrap();
    for k in ["timeExtremeHighTemp", "timeExtremeLowTemp", "timeExtremeHighTempCharging", "timeExtremeLowTempCharging"]
    {
        problem(minutes(k) >= 0.0 && minutes(k) <= age_days * 24.0 * 60.0, format!("{k} = {}", minutes(k)));
    }
    problem(
        minutes("timeExtremeHighTempCharging") <= minutes("timeExtremeHighTemp"),
        "charging time is part of the time".into(),
    );
    problem(
        minutes("timeExtremeLowTempCharging") <= minutes("timeExtremeLowTemp"),
        "charging time is part of the time".into(),
    );
    let rpc = &condition["remainingPowerCapability"]["remainingPowerCapabilityValue"];
    let original_80 = doc
        .pointer(&format!("{tech}/originalPowerCapability"))
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .find(|p| p["atSoC"] == rpc["atSoC"])
        .map(|p| p["powerCapabilityAt"].as_f64().unwrap());
    problem(
        original_80.is_some_and(|o| within(rpc["powerCapabilityAt"].as_f64().unwrap(), (0.7 * o, o))),
        format!("remaining power {rpc}"),
    );
    problem(
        within(c("/remainingRoundTripEnergyEfficiency/remainingRoundTripEnergyEfficiencyValue"), (rte50 - 1.0, rte)),
        "remaining RTE".into(),
    );
    let initial_sd = t("initialSelfDischarge");
    let current_sd = c("/currentSelfDischargingRate/currentSelfDischargingRateValue");
    problem(current_sd >= initial_sd && current_sd <= 2.0 * initial_sd, format!("self-discharge {current_sd}"));
    problem(
        within(c("/evolutionOfSelfDischarge/evolutionOfSelfDischargeValue"), (0.0, 100.0)),
        "self-discharge evolution".into(),
    );
    let increases = condition["internalResistanceIncrease"].as_array().unwrap();
    let currents = condition["internalResistance"].as_array().unwrap();
    problem(
        increases.len() == initial_resistance.len() && currents.len() == initial_resistance.len(),
        "resistance per component".into(),
    );
    for ((initial, increase), current) in initial_resistance.iter().zip(increases).zip(currents) {
        let component = &initial["batteryComponent"];
        problem(
            &increase["batteryComponent"] == component && &current["batteryComponent"] == component,
            "components in order".into(),
        );
        let r0 = initial["ohmicResistance"].as_f64().unwrap();
        let pct = increase["internalResistanceIncreaseValue"].as_f64().unwrap();
        let r = current["ohmicResistance"].as_f64().unwrap();
        problem(
            within(pct, (0.0, 50.0)) && (r - r0 * (1.0 + pct / 100.0)).abs() <= 0.01 * r0,
            format!("resistance {r} vs {r0} + {pct} %"),
        );
    }
    for event in condition["negativeEvents"].as_array().unwrap() {
        problem(event["negativeEvent"].as_str().is_some_and(|e| !e.is_empty()), format!("event {event}"));
    }
    problems
}

#[test]
fn documents_are_physically_plausible_and_consistent() {
    let mut problems = Vec::new();
    for doc in sample() {
        problems.extend(check_document(&doc));
    }
    assert_no_problems(problems);
}

#[test]
fn item_values_vary_realistically() {
    let docs: Vec<Value> = demo::passports(900, 8).collect();
    let mut operators: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let mut events = 0;
    let mut originals = 0;
    for doc in &docs {
        let gpi = &doc["generalProductInformation"];
        operators
            .entry(gpi["batteryCategory"].as_str().unwrap().to_string())
            .or_default()
            .insert(gpi["operatorInformation"]["contactName"].as_str().unwrap().to_string());
        events += doc["performance"]["batteryCondition"]["negativeEvents"].as_array().unwrap().len();
        originals += usize::from(gpi["batteryStatus"] == "Original");
    }
    assert!(operators.values().all(|o| !o.is_empty() && o.len() <= 3), "{operators:?}");
    assert!(events < docs.len() / 10, "negative events are rare: {events}");
    assert!(originals * 10 >= docs.len() * 9, "mostly original batteries");
    let years: HashSet<i32> =
        docs.iter().map(|d| time_at(d, "/generalProductInformation/manufacturingDate").year()).collect();
    assert_eq!(years, HashSet::from([2025, 2026]));
    let socs: HashSet<u64> =
        docs.iter().map(|d| f(d, "/performance/batteryCondition/stateOfCharge/stateOfChargeValue") as u64).collect();
    assert!(socs.len() > 20, "states of charge vary");
}

// -------------------------------------------------------------------------------------------------------------
// The crate's own validator
// -------------------------------------------------------------------------------------------------------------

#[test]
fn the_passport_validator_accepts_every_demo_document() {
    let mut problems = Vec::new();
    for doc in sample() {
        if let Err(violations) = passport::validate::validate_passport(&with_passport_id(&doc)) {
            for v in violations {
                problems.push(format!("{}: {} [{}] {}", describe(&doc), v.pointer, v.rule, v.message));
            }
        }
    }
    assert_no_problems(problems);
}

#[test]
fn the_member_walker_detects_unknown_members() {
    // Open maps (multi-language texts) accept any key.
    let mut open = Map::new();
    open.insert("en".into(), json!("text"));
    let schema = json!({"type": "object"});
    let mut found = Vec::new();
    undefined_members(&Value::Object(open), &schema, &schema, "/x", &mut found);
    assert!(found.is_empty());
    // And a closed object reports an unknown member.
    let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    undefined_members(&json!({"a": "1", "b": 2}), &schema, &schema, "/x", &mut found);
    assert_eq!(found, ["/x/b: not defined by the schema"]);
}
