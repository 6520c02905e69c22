//! Validation: schemas + the regulation's rules, each violation with its pointer and rule.

use passport::demo::{self, DemoModel};
use passport::document::{compose, split};
use passport::validate::{Violation, validate_item, validate_model, validate_passport};
use rand::SeedableRng;
use serde_json::{Value, json};
use std::path::PathBuf;

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/batterypass/BatteryPass").join(path)
}

fn doc(model: DemoModel) -> Value {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(42);
    let mut d = demo::passport(model, 42, &mut rng);
    d["generalProductInformation"]["batteryPassportIdentifier"] =
        json!("urn:voltpass:0192f3a4b5c67d8e9f0a1b2c3d4e5f60");
    d
}

fn errors(d: &Value) -> Vec<Violation> {
    validate_passport(d).expect_err("the document must be rejected")
}

fn has(errors: &[Violation], pointer: &str, rule: &str) -> bool {
    errors.iter().any(|v| v.pointer == pointer && v.rule == rule)
}

#[test]
fn upstream_example_payloads_are_rejected_by_the_range_rules() {
    let files = [
        (
            "generalProductInformation",
            "io.BatteryPass.GeneralProductInformation/1.2.0/GeneralProductInformation-payload.json",
        ),
        ("labels", "io.BatteryPass.Labels/1.2.0/Labeling-payload.json"),
        ("carbonFootprint", "io.BatteryPass.CarbonFootprint/1.2.0/CarbonFootprintForBatteries-payload.json"),
        (
            "supplyChainDueDiligence",
            "io.BatteryPass.SupplyChainDueDiligence/1.2.0/SupplyChainDueDiligence-payload.json",
        ),
        ("materialComposition", "io.BatteryPass.MaterialComposition/1.2.0/MaterialComposition-payload.json"),
        ("circularity", "io.BatteryPass.Circularity/1.2.0/Circularity-payload.json"),
        ("performance", "io.BatteryPass.Performance/1.2.1/PerformanceAndDurability-payload.json"),
    ];
    let mut d = json!({});
    for (member, file) in files {
        let text =
            std::fs::read_to_string(shared(file)).unwrap_or_else(|e| panic!("{file}: {e} (is ../shared there?)"));
        d[member] = serde_json::from_str(&text).unwrap();
    }
    let errors = errors(&d);
    let ranges: Vec<&Violation> = errors.iter().filter(|v| v.rule == "range").collect();
    assert!(ranges.len() >= 5, "random upstream values break physical ranges: {errors:#?}");
    assert!(has(&errors, "/circularity/renewableContent", "range"), "renewableContent 2.49e38 is out of range");
    assert!(errors.iter().any(|v| v.rule == "url"), "telnet:// and ftp:// links are not readable passport links");
    for v in &errors {
        assert!(v.pointer.starts_with('/'), "every violation names a pointer: {v}");
        assert!(!v.rule.is_empty() && !v.message.is_empty(), "{v}");
    }
}

#[test]
fn demo_documents_of_every_model_are_valid() {
    for model in DemoModel::ALL {
        validate_passport(&doc(model)).unwrap_or_else(|e| panic!("{model:?}: {e:#?}"));
    }
}

#[test]
fn schema_violations_name_pointer_and_rule() {
    let mut d = doc(DemoModel::EvNmc811Pack);
    d["generalProductInformation"]["batteryMass"] = json!("heavy");
    d["generalProductInformation"].as_object_mut().unwrap().remove("manufacturingPlace");
    d["carbonFootprint"]["colour"] = json!("green");
    d["sparkles"] = json!(true);
    let e = errors(&d);
    assert!(has(&e, "/generalProductInformation/batteryMass", "schema:type"), "{e:#?}");
    assert!(has(&e, "/generalProductInformation/manufacturingPlace", "schema:required"), "{e:#?}");
    assert!(has(&e, "/carbonFootprint/colour", "unknown-member"), "{e:#?}");
    assert!(has(&e, "/sparkles", "unknown-member"), "{e:#?}");
}

/// A change to a document, for table-driven rule tests.
type Mutation = Box<dyn Fn(&mut Value)>;

#[test]
fn regulation_rules_catch_what_schemas_allow() {
    let base = doc(DemoModel::EvNmc811Pack);
    let cases: Vec<(&str, Mutation, &str, &str)> = vec![
        (
            "negative mass",
            Box::new(|d| d["generalProductInformation"]["batteryMass"] = json!(-3)),
            "/generalProductInformation/batteryMass",
            "range",
        ),
        (
            "energy in Wh",
            Box::new(|d| d["performance"]["batteryTechicalProperties"]["ratedEnergy"] = json!(75690)),
            "/performance/batteryTechicalProperties/ratedEnergy",
            "unit-consistency",
        ),
        (
            "voltages out of order",
            Box::new(|d| d["performance"]["batteryTechicalProperties"]["minimumVoltage"] = json!(500)),
            "/performance/batteryTechicalProperties/nominalVoltage",
            "voltage-order",
        ),
        (
            "share over 100",
            Box::new(|d| d["circularity"]["recycledContent"][0]["preConsumerShare"] = json!(140)),
            "/circularity/recycledContent/0/preConsumerShare",
            "schema:maximum",
        ),
        (
            "stage shares",
            Box::new(|d| d["carbonFootprint"]["carbonFootprintPerLifecycleStage"][0]["carbonFootprint"] = json!(10)),
            "/carbonFootprint/carbonFootprintPerLifecycleStage",
            "lifecycle-shares",
        ),
        (
            "future date",
            Box::new(|d| d["generalProductInformation"]["manufacturingDate"] = json!("2999-01-01T00:00:00Z")),
            "/generalProductInformation/manufacturingDate",
            "date",
        ),
        (
            "bad CAS",
            Box::new(|d| {
                d["materialComposition"]["batteryMaterials"][0]["batteryMaterialIdentifier"] = json!("7440-02-1")
            }),
            "/materialComposition/batteryMaterials/0/batteryMaterialIdentifier",
            "cas-number",
        ),
        (
            "bad e-mail",
            Box::new(|d| {
                d["generalProductInformation"]["manufacturerInformation"]["emailAddress"] = json!("not an address")
            }),
            "/generalProductInformation/manufacturerInformation/emailAddress",
            "email",
        ),
        (
            "missing mandatory extra",
            Box::new(|d| {
                d["labels"].as_object_mut().unwrap().remove("declarationOfConformityId");
            }),
            "/labels/declarationOfConformityId",
            "mandatory:ev",
        ),
        (
            "SoC over 100",
            Box::new(|d| d["performance"]["batteryCondition"]["stateOfCharge"]["stateOfChargeValue"] = json!(101)),
            "/performance/batteryCondition/stateOfCharge/stateOfChargeValue",
            "range",
        ),
        (
            "idle range inverted",
            Box::new(|d| {
                d["performance"]["batteryTechicalProperties"]["temperatureRangeIdleState"]["minimum"] = json!(70)
            }),
            "/performance/batteryTechicalProperties/temperatureRangeIdleState",
            "temperature-order",
        ),
    ];
    for (name, mutate, pointer, rule) in cases {
        let mut d = base.clone();
        mutate(&mut d);
        let e = errors(&d);
        assert!(has(&e, pointer, rule), "{name}: expected {rule} at {pointer}, got {e:#?}");
    }
    let mut lmt = doc(DemoModel::LmtLfp);
    lmt["generalProductInformation"]["batteryMass"] = json!(30);
    assert!(has(&errors(&lmt), "/generalProductInformation/batteryMass", "category:lmt"));
}

/// `validate_item` against a valid model must accept and reject exactly what validating the composed
/// document does, for changes to per-battery values.
#[test]
fn item_validation_agrees_with_validating_the_composed_document() {
    let base = doc(DemoModel::StationaryLfp);
    let (model, _) = split(&base);
    validate_model(&model).expect("the model part is a valid model record");
    let changes: Vec<(&str, Value)> = vec![
        ("/generalProductInformation/batteryStatus", json!("Waste")),
        ("/generalProductInformation/batteryStatus", json!("Broken")),
        ("/generalProductInformation/manufacturingDate", json!("yesterday")),
        ("/generalProductInformation/puttingIntoService", json!("2020-01-01T00:00:00Z")),
        ("/generalProductInformation/productIdentifier", json!(17)),
        ("/performance/batteryCondition/stateOfCharge/stateOfChargeValue", json!(55.5)),
        ("/performance/batteryCondition/stateOfCharge/stateOfChargeValue", json!(-1)),
        ("/performance/batteryCondition/remainingCapacity/remainingCapacityValue", json!(900)),
        ("/performance/batteryCondition/numberOfFullCycles/numberOfFullCyclesValue", json!(10.5)),
        ("/performance/batteryCondition/capacityFade/lastUpdate", json!("2999-01-01T00:00:00Z")),
        ("/performance/batteryCondition/extra", json!(1)),
        ("/generalProductInformation/operatorInformation/emailAddress", json!("x@y")),
        ("/circularity/safetyMeasures/extinguishingAgent", json!("water")),
    ];
    for (pointer, value) in changes {
        let mut d = base.clone();
        let (parent, leaf) = pointer.rsplit_once('/').unwrap();
        d.pointer_mut(parent).unwrap()[leaf] = value.clone();
        let (_, item) = split(&d);
        let whole = validate_passport(&compose(&model, &item));
        let by_item = validate_item(&item, &model);
        assert_eq!(whole.is_ok(), by_item.is_ok(), "{pointer} = {value}: composed {whole:?} vs item {by_item:?}");
        if let (Err(a), Err(b)) = (&whole, &by_item) {
            let pointers = |v: &Vec<Violation>| {
                v.iter().map(|x| (x.pointer.clone(), x.rule.clone())).collect::<std::collections::BTreeSet<_>>()
            };
            assert_eq!(pointers(a), pointers(b), "{pointer} = {value}");
        }
    }
}
