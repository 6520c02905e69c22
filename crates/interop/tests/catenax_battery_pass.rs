//! The Catena-X battery pass 6.1.0 mapping against real demo passports and the upstream example payload.

use interop::catenax::{
    NOT_CARRIED, NOT_IMPORTED, from_battery_pass, remove_pointer, to_battery_pass, validate_battery_pass,
};
use serde_json::Value;

const EXAMPLE: &str = include_str!("fixtures/catenax-battery_pass-6.1.0-example.json");

fn demo() -> Vec<Value> {
    // 30 documents cycle over the three demo models (EV, LMT, stationary), 10 each.
    passport::demo::passports(30, 0x5eed).collect()
}

fn without(mut value: Value, pointers: &[(&str, &str)]) -> Value {
    for (pointer, _) in pointers {
        remove_pointer(&mut value, pointer);
    }
    value
}

#[test]
fn every_demo_passport_exports_to_a_valid_battery_pass() {
    let docs = demo();
    let categories: std::collections::BTreeSet<_> =
        docs.iter().map(|d| d["generalProductInformation"]["batteryCategory"].to_string()).collect();
    assert_eq!(categories.len(), 3, "all three demo models are covered");
    for doc in &docs {
        let bp = to_battery_pass(doc).expect("demo passports export");
        if let Err(errors) = validate_battery_pass(&bp) {
            panic!("{} violations, first: {:#?}", errors.len(), &errors[..errors.len().min(10)]);
        }
    }
}

#[test]
fn round_trip_loses_exactly_the_not_carried_pointers() {
    for doc in demo() {
        let back = from_battery_pass(&to_battery_pass(&doc).unwrap()).unwrap();
        let expected = without(doc.clone(), NOT_CARRIED);
        let actual = without(back, NOT_CARRIED);
        let differences = interop::catenax::differences(&expected, &actual);
        assert!(
            differences.is_empty(),
            "round trip of {}: {differences:#?}",
            doc["generalProductInformation"]["productIdentifier"]
        );
        assert_eq!(actual, expected);
    }
}

#[test]
fn not_carried_pointers_are_canonical_places() {
    // A stale entry would hide nothing but mislead readers: every pointer names a place of the canonical model.
    for (pointer, reason) in NOT_CARRIED {
        assert!(!reason.is_empty());
        assert!(passport::schema::node_at(pointer).is_some(), "{pointer} is not a canonical place");
    }
}

#[test]
fn dates_keep_their_calendar_day() {
    for doc in demo() {
        let bp = to_battery_pass(&doc).unwrap();
        let gpi = &doc["generalProductInformation"];
        assert_eq!(
            bp["operation"]["manufacturer"]["manufacturingDate"],
            gpi["manufacturingDate"].as_str().unwrap()[..10]
        );
        assert_eq!(bp["operation"]["intoServiceDate"], gpi["puttingIntoService"].as_str().unwrap()[..10]);
        let back = from_battery_pass(&bp).unwrap();
        let day = |v: &Value| v.as_str().unwrap()[..10].to_string();
        assert_eq!(day(&back["generalProductInformation"]["manufacturingDate"]), day(&gpi["manufacturingDate"]));
    }
}

#[test]
fn upstream_example_is_fixed_and_valid() {
    let example: Value = serde_json::from_str(EXAMPLE).unwrap();
    validate_battery_pass(&example).expect("the fixed upstream example validates");
    let mut bogus = example.clone();
    bogus["operation"]["intoServiceDate"] = "7172-75-08".into();
    // The schema alone accepts the bogus date; the import rejects it.
    validate_battery_pass(&bogus).expect("the schema's regex accepts it");
    assert!(from_battery_pass(&bogus).is_err());
}

#[test]
fn upstream_example_reexports_equal_modulo_not_imported() {
    let example: Value = serde_json::from_str(EXAMPLE).unwrap();
    let doc = from_battery_pass(&example).expect("the example imports");
    let again = to_battery_pass(&doc).expect("the import re-exports");
    validate_battery_pass(&again).expect("the re-export validates");
    // 20 g in the example, converted to the canonical kg.
    assert_eq!(
        again["characteristics"]["physicalDimension"]["weight"],
        serde_json::json!({"value": 0.02, "unit": "unit:kilogram"})
    );
    let (expected, actual) = (without(example, NOT_IMPORTED), without(again, NOT_IMPORTED));
    let differences = interop::catenax::differences(&expected, &actual);
    assert!(differences.is_empty(), "{differences:#?}");
    assert_eq!(actual, expected);
}

#[test]
fn invalid_documents_are_typed_errors() {
    use interop::catenax::MappingError;
    assert_eq!(to_battery_pass(&Value::Null), Err(MappingError::NotAnObject));
    let mut doc = demo().remove(0);
    doc["generalProductInformation"].as_object_mut().unwrap().remove("batteryCategory");
    assert_eq!(
        to_battery_pass(&doc),
        Err(MappingError::Missing { pointer: "/generalProductInformation/batteryCategory".into() })
    );
    let mut doc = demo().remove(0);
    doc["generalProductInformation"]["warrentyPeriod"] = "P8M".into();
    assert!(matches!(to_battery_pass(&doc), Err(MappingError::Invalid { .. })));
}

#[test]
fn validation_reports_violations() {
    let mut bp = to_battery_pass(&demo()[0]).unwrap();
    bp["metadata"]["economicOperatorId"] = "not a BPN".into();
    bp["identification"].as_object_mut().unwrap().remove("idDmc");
    let errors = validate_battery_pass(&bp).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:#?}");
}

#[test]
fn spare_parts_survive_as_one_flat_list() {
    let flat = |doc: &Value| -> Vec<Value> {
        doc["circularity"]["sparePartSources"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["components"].as_array().unwrap().clone())
            .collect()
    };
    for doc in demo() {
        let back = from_battery_pass(&to_battery_pass(&doc).unwrap()).unwrap();
        assert_eq!(flat(&back), flat(&doc));
    }
}

#[test]
fn voltpass_ids_and_bpnls_travel_as_catena_x_identifiers() {
    let mut doc = demo().remove(0);
    let gpi = &mut doc["generalProductInformation"];
    gpi["batteryPassportIdentifier"] = "urn:voltpass:0193f2a89b7c7d3e8f1a2b3c4d5e6f70".into();
    gpi["predecessorPassports"] = serde_json::json!(["urn:voltpass:0193f2a89b7c7d3e8f1a2b3c4d5e6f71"]);
    gpi["operatorInformation"]["identifier"] = "BPNL00000003AYRE".into();
    gpi["manufacturerInformation"]["identifier"] = "BPNL000000000MFR".into();
    let bp = to_battery_pass(&doc).unwrap();
    validate_battery_pass(&bp).unwrap();
    assert_eq!(bp["metadata"]["passportIdentifier"], "urn:uuid:0193f2a8-9b7c-7d3e-8f1a-2b3c4d5e6f70");
    assert_eq!(bp["metadata"]["predecessor"], "urn:uuid:0193f2a8-9b7c-7d3e-8f1a-2b3c4d5e6f71");
    assert_eq!(bp["metadata"]["economicOperatorId"], "BPNL00000003AYRE");
    assert_eq!(bp["operation"]["manufacturer"]["manufacturer"], "BPNL000000000MFR");

    let back = from_battery_pass(&bp).unwrap();
    let gpi = &back["generalProductInformation"];
    assert_eq!(gpi["batteryPassportIdentifier"], doc["generalProductInformation"]["batteryPassportIdentifier"]);
    assert_eq!(gpi["predecessorPassports"], doc["generalProductInformation"]["predecessorPassports"]);
    assert_eq!(gpi["operatorInformation"], serde_json::json!({"identifier": "BPNL00000003AYRE"}), "identifier only");
    assert_eq!(gpi["manufacturerInformation"]["identifier"], "BPNL000000000MFR");

    // Identifiers that are not BPNLs, and ids that are not voltpass UUIDs, stay placeholders.
    let plain = to_battery_pass(&demo().remove(0)).unwrap();
    assert_eq!(plain["metadata"]["economicOperatorId"], "BPNL000000000000");
    assert_eq!(plain["metadata"]["passportIdentifier"], "urn:uuid:00000000-0000-0000-0000-000000000000");
    let back = from_battery_pass(&plain).unwrap();
    assert!(back["generalProductInformation"].get("operatorInformation").is_none());
    assert!(back["generalProductInformation"].get("batteryPassportIdentifier").is_none());
}
