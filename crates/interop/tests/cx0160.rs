//! The CX-0160 mapping (IDTA battery passport parts 1-7 and DPP metadata) against real demo passports and the
//! upstream example payloads.

use interop::catenax::{MappingError, remove_pointer};
use interop::cx0160::{Aspect, Level, NOT_CARRIED, NOT_IMPORTED, PLACEHOLDERS, export, export_all, import, validate};
use serde_json::{Value, json};

fn demo() -> Vec<Value> {
    // 30 documents cycle over the three demo models (EV, LMT, stationary), 10 each.
    passport::demo::passports(30, 0x5eed).collect()
}

/// The upstream example payload of each aspect, multi-language values (and single values of sets) fixed into
/// arrays as the schemas say.
fn example(aspect: Aspect) -> Value {
    let text = match aspect {
        Aspect::Nameplate => include_str!("fixtures/idta-nameplate-1.0.0-example.json"),
        Aspect::HandoverDocumentation => include_str!("fixtures/idta-handover-documentation-1.0.0-example.json"),
        Aspect::CarbonFootprint => include_str!("fixtures/idta-carbon-footprint-1.0.0-example.json"),
        Aspect::TechnicalData => include_str!("fixtures/idta-technical-data-1.0.1-example.json"),
        Aspect::ProductCondition => include_str!("fixtures/idta-product-condition-1.0.1-example.json"),
        Aspect::MaterialComposition => include_str!("fixtures/idta-material-composition-1.0.1-example.json"),
        Aspect::Circularity => include_str!("fixtures/idta-circularity-1.0.0-example.json"),
        Aspect::DppMetadata => include_str!("fixtures/idta-dpp-metadata-1.0.0-example.json"),
    };
    serde_json::from_str(text).unwrap()
}

fn without<'a>(mut value: Value, pointers: impl IntoIterator<Item = &'a str>) -> Value {
    for pointer in pointers {
        remove_pointer(&mut value, pointer);
    }
    value
}

fn not_carried() -> impl Iterator<Item = &'static str> {
    NOT_CARRIED.iter().map(|(p, _)| *p)
}

fn not_imported(aspect: Aspect) -> impl Iterator<Item = &'static str> {
    NOT_IMPORTED.iter().filter(move |(a, _, _)| *a == aspect).map(|(_, p, _)| *p)
}

/// Every value at `pointer` (a `-` segment expands to every array element).
fn values_at(value: &Value, pointer: &str) -> Vec<Value> {
    fn walk(value: &Value, segments: &[&str], out: &mut Vec<Value>) {
        let [head, rest @ ..] = segments else {
            out.push(value.clone());
            return;
        };
        match value {
            Value::Array(items) if *head == "-" => items.iter().for_each(|item| walk(item, rest, out)),
            Value::Array(items) => {
                if let Some(item) = head.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    walk(item, rest, out)
                }
            }
            Value::Object(map) => {
                if let Some(child) = map.get(*head) {
                    walk(child, rest, out)
                }
            }
            _ => {}
        }
    }
    let segments: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let mut out = vec![];
    walk(value, &segments, &mut out);
    out
}

fn round_trip(doc: &Value) -> Value {
    import(&export_all(doc).expect("demo passports export")).expect("the export imports")
}

#[test]
fn every_demo_passport_exports_valid_aspects() {
    let docs = demo();
    let categories: std::collections::BTreeSet<_> =
        docs.iter().map(|d| d["generalProductInformation"]["batteryCategory"].to_string()).collect();
    assert_eq!(categories.len(), 3, "all three demo models are covered");
    for doc in &docs {
        let parts = export_all(doc).unwrap();
        assert_eq!(parts.iter().map(|(a, _)| *a).collect::<Vec<_>>(), Aspect::ALL);
        for (aspect, value) in &parts {
            if let Err(errors) = validate(*aspect, value) {
                panic!("{aspect:?}: {} violations, first: {:#?}", errors.len(), &errors[..errors.len().min(10)]);
            }
            assert_eq!(&export(doc, *aspect).unwrap(), value);
        }
    }
}

#[test]
fn round_trip_loses_exactly_the_not_carried_pointers() {
    for doc in demo() {
        let back = round_trip(&doc);
        let expected = without(doc.clone(), not_carried());
        let actual = without(back, not_carried());
        let differences = interop::catenax::differences(&expected, &actual);
        assert!(
            differences.is_empty(),
            "round trip of {}: {differences:#?}",
            doc["generalProductInformation"]["productIdentifier"]
        );
    }
}

#[test]
fn not_carried_pointers_are_canonical_places_really_lost() {
    let docs = demo();
    let trips: Vec<(Value, Value)> = docs.iter().map(|d| (d.clone(), round_trip(d))).collect();
    for (pointer, reason) in NOT_CARRIED {
        assert!(!reason.is_empty());
        assert!(passport::schema::node_at(pointer).is_some(), "{pointer} is not a canonical place");
        // A stale entry would hide a regression: each one is really lost for at least one demo document.
        assert!(
            trips.iter().any(|(doc, back)| {
                let before = values_at(doc, pointer);
                !before.is_empty() && before != values_at(back, pointer)
            }),
            "{pointer} survives the round trip of every demo document: remove it from NOT_CARRIED"
        );
    }
}

#[test]
fn not_imported_and_placeholder_entries_are_pointers_with_reasons() {
    for (aspect, pointer, reason) in NOT_IMPORTED.iter().chain(PLACEHOLDERS) {
        assert!(pointer.starts_with('/') && !reason.is_empty(), "{aspect:?} {pointer}");
    }
}

#[test]
fn upstream_examples_are_fixed_and_valid() {
    for aspect in Aspect::ALL {
        if let Err(errors) = validate(aspect, &example(aspect)) {
            panic!("{aspect:?} example: {errors:#?}");
        }
    }
}

#[test]
fn upstream_examples_reexport_equal_modulo_not_imported() {
    for aspect in Aspect::ALL {
        let example = example(aspect);
        let doc = import(&[(aspect, example.clone())]).unwrap_or_else(|e| panic!("{aspect:?} imports: {e}"));
        let again = export(&doc, aspect).unwrap_or_else(|e| panic!("{aspect:?} re-exports: {e}"));
        let (expected, actual) = (without(example, not_imported(aspect)), without(again, not_imported(aspect)));
        let differences = interop::catenax::differences(&expected, &actual);
        assert!(differences.is_empty(), "{aspect:?}: {differences:#?}");
    }
}

#[test]
fn upstream_texts_survive_without_their_language_tag() {
    let doc = import(&[(Aspect::Nameplate, example(Aspect::Nameplate))]).unwrap();
    let manufacturer = &doc["generalProductInformation"]["manufacturerInformation"];
    assert_eq!(manufacturer["contactName"], "Muster AG");
    assert_eq!(
        manufacturer["postalAddress"],
        json!({"streetAddress": "Musterstrasse 1, Musterstadt", "postalCode": "12345", "addressCountry": "DE"})
    );
    let again = export(&doc, Aspect::Nameplate).unwrap();
    assert_eq!(again["ManufacturerName"], json!([{"en": "Muster AG"}]));
    assert_eq!(again["AddressInformation"]["CityTown"], json!([{"en": "Musterstadt"}]));
}

#[test]
fn product_condition_converts_back_with_technical_data() {
    let parts = [
        (Aspect::TechnicalData, example(Aspect::TechnicalData)),
        (Aspect::ProductCondition, example(Aspect::ProductCondition)),
    ];
    let doc = import(&parts).unwrap();
    let condition = &doc["performance"]["batteryCondition"];
    // 56 kWh at the example's nominal 4.3 V; 95 % of the original 500 W at 80 % SoC.
    assert_eq!(condition["remainingCapacity"]["remainingCapacityValue"], json!(13023.255813953));
    assert_eq!(condition["remainingPowerCapability"]["remainingPowerCapabilityValue"]["powerCapabilityAt"], json!(475));
    let again = export(&doc, Aspect::ProductCondition).unwrap();
    let expected = ["/InformationOnAccidents", "/TemperatureInformation/MeasuredTemp"];
    let differences =
        interop::catenax::differences(&without(example(Aspect::ProductCondition), expected), &without(again, expected));
    assert!(differences.is_empty(), "{differences:#?}");
}

#[test]
fn units_are_converted_where_the_models_differ() {
    for doc in demo() {
        let cf = &doc["carbonFootprint"];
        let total = cf["batteryCarbonFootprint"].as_f64().unwrap();
        let pcf = export(&doc, Aspect::CarbonFootprint).unwrap();
        let entries = pcf["ProductCarbonFootprints"].as_array().unwrap();
        assert_eq!(entries[0]["PcfCo2eq"].as_f64(), Some(total));
        assert_eq!(entries[0]["ReferenceImpactUnitForCalculation"], "kwH");
        // Absolute footprint: t CO2e -> kg CO2e per piece.
        assert_eq!(entries[1]["ReferenceImpactUnitForCalculation"], "piece");
        let absolute = cf["absoluteCarbonFootprint"].as_f64().unwrap();
        assert!((entries[1]["PcfCo2eq"].as_f64().unwrap() - absolute * 1000.0).abs() < 1e-9);
        // Stages: share of the total (%) -> kg CO2e/kWh.
        for (stage, entry) in cf["carbonFootprintPerLifecycleStage"].as_array().unwrap().iter().zip(&entries[2..]) {
            let expected = stage["carbonFootprint"].as_f64().unwrap() * total / 100.0;
            assert!((entry["PcfCo2eq"].as_f64().unwrap() - expected).abs() < 1e-9);
            assert_eq!(entry["LifeCyclePhases"].as_array().unwrap().len(), 1);
        }

        let tp = &doc["performance"]["batteryTechicalProperties"];
        let td = export(&doc, Aspect::TechnicalData).unwrap();
        let ratio =
            td["TechnicalPropertyAreas"]["PowerCapability"]["RatioNominalBatteryPowerAndBatteryEnergy"].as_f64();
        assert!((ratio.unwrap() - tp["powerCapabilityRatio"].as_f64().unwrap() * 100.0).abs() < 1e-9);

        let bc = &doc["performance"]["batteryCondition"];
        let pc = export(&doc, Aspect::ProductCondition).unwrap();
        let kwh = pc["RemainingCapacity"]["RemainingCapacityValue"].as_f64().unwrap();
        let ah = bc["remainingCapacity"]["remainingCapacityValue"].as_f64().unwrap();
        assert!((kwh - ah * tp["nominalVoltage"].as_f64().unwrap() / 1000.0).abs() < 1e-9);
        let rpc = &bc["remainingPowerCapability"]["remainingPowerCapabilityValue"];
        let original = tp["originalPowerCapability"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["atSoC"] == rpc["atSoC"])
            .unwrap()["powerCapabilityAt"]
            .as_f64()
            .unwrap();
        let percent = pc["RemainingPowerCapability"]["RemainingPowerCapabilityValue"]["PowerCapabilityAt"].as_f64();
        assert!((percent.unwrap() - rpc["powerCapabilityAt"].as_f64().unwrap() / original * 100.0).abs() < 1e-9);
    }
}

#[test]
fn multi_language_texts_are_arrays_and_the_english_label_meaning_survives() {
    let doc = &demo()[0];
    let nameplate = export(doc, Aspect::Nameplate).unwrap();
    assert_eq!(nameplate["ManufacturerName"], json!([{"en": "Volta Cells GmbH"}]));
    assert_eq!(nameplate["AddressInformation"]["Street"], json!([{"en": "Industriestraße 12"}]));
    assert_eq!(nameplate["AddressInformation"]["CityTown"], json!([{"en": "Salzgitter"}]));
    let circularity = export(doc, Aspect::Circularity).unwrap();
    assert!(circularity["SparePartSources"][0]["NameOfSupplier"][0]["en"].is_string());
    let back = round_trip(doc);
    for (before, after) in
        doc["labels"]["labels"].as_array().unwrap().iter().zip(back["labels"]["labels"].as_array().unwrap())
    {
        assert_eq!(after["labelingMeaning"], json!({"en": before["labelingMeaning"]["en"]}));
    }
}

#[test]
fn documents_are_referenced_by_identifier_and_described_once() {
    let doc = &demo()[0];
    let handover = export(doc, Aspect::HandoverDocumentation).unwrap();
    let documents = handover["Documents"].as_array().unwrap();
    let id_of = |d: &Value| d["DocumentIds"][0]["DocumentIdentifier"].as_str().unwrap().to_string();
    let known: std::collections::BTreeSet<String> = documents.iter().map(id_of).collect();
    assert_eq!(known.len(), documents.len(), "identifiers are unique");
    // The declaration of conformity is identified by its number, the others by their link.
    let nameplate = export(doc, Aspect::Nameplate).unwrap();
    assert_eq!(nameplate["EUDeclarationOfConformity"], json!([doc["labels"]["declarationOfConformityId"]]));
    let circularity = export(doc, Aspect::Circularity).unwrap();
    let technical = export(doc, Aspect::TechnicalData).unwrap();
    let pcf = export(doc, Aspect::CarbonFootprint).unwrap();
    let references = [
        &nameplate["EUDeclarationOfConformity"],
        &nameplate["ResultsOfTestReportsProvingCompliance"],
        &circularity["DismantlingAndRemovalInformation"],
        &circularity["SafetyMeasures"]["SafetyInstructions"],
        &circularity["EndOfLifeInformation"]["WastePrevention"],
        &technical["TechnicalPropertyAreas"]["Lifetime"]["CycleLifeReferenceTest"],
        &pcf["ProductCarbonFootprints"][0]["WebLinkToPublicCarbonFootprintStudy"],
    ];
    for list in references {
        for id in list.as_array().unwrap() {
            assert!(known.contains(id.as_str().unwrap()), "{id} has a handover document");
        }
    }
    // Without the handover documentation, links still come back (identifiers are the links) but dismantling
    // documents lose their type and MIME type.
    let parts: Vec<_> =
        export_all(doc).unwrap().into_iter().filter(|(a, _)| *a != Aspect::HandoverDocumentation).collect();
    let back = import(&parts).unwrap();
    assert_eq!(back["circularity"]["endOfLifeInformation"], doc["circularity"]["endOfLifeInformation"]);
    assert_eq!(back["labels"]["declarationOfConformityId"], doc["labels"]["declarationOfConformityId"]);
    assert!(back["labels"].get("declarationOfConformity").is_none());
    assert!(back["circularity"]["dismantlingAndRemovalInformation"][0].get("documentType").is_none());
    // The handover documentation alone carries every link.
    let alone = import(&[(Aspect::HandoverDocumentation, handover)]).unwrap();
    assert_eq!(
        alone["circularity"]["dismantlingAndRemovalInformation"],
        doc["circularity"]["dismantlingAndRemovalInformation"]
    );
    assert_eq!(
        alone["supplyChainDueDiligence"]["thirdPartyAussurances"],
        doc["supplyChainDueDiligence"]["thirdPartyAussurances"]
    );
}

#[test]
fn model_records_and_subsets_are_lenient() {
    let doc = &demo()[1];
    let (model, _item) = passport::document::split(doc);
    for (aspect, value) in export_all(&model).unwrap() {
        let result = validate(aspect, &value);
        match (aspect.level(), aspect) {
            // Type-level parts come from the model, except two values voltpass keeps per battery.
            (Level::Type, Aspect::TechnicalData | Aspect::Circularity) => {
                let errors = result.unwrap_err();
                assert_eq!(errors.len(), 1, "{errors:#?}");
                let missing = if aspect == Aspect::TechnicalData {
                    "InternalResistanceIncreaseAtBatteryPackLevel"
                } else {
                    "ExtinguishingAgents"
                };
                assert!(errors[0].contains(missing), "{errors:#?}");
            }
            (Level::Type, _) => result.unwrap_or_else(|e| panic!("{aspect:?}: {e:#?}")),
            (Level::Instance, _) => {}
        }
    }
    let only_materials = import(&[(Aspect::MaterialComposition, export(doc, Aspect::MaterialComposition).unwrap())]);
    assert_eq!(only_materials.unwrap(), json!({"materialComposition": doc["materialComposition"]}));
    assert_eq!(import(&[]).unwrap(), json!({}));
}

#[test]
fn invalid_documents_are_typed_errors() {
    assert_eq!(export(&Value::Null, Aspect::Nameplate), Err(MappingError::NotAnObject));
    assert_eq!(import(&[(Aspect::Nameplate, json!([]))]), Err(MappingError::NotAnObject));
    let mut doc = demo().remove(0);
    doc["generalProductInformation"]["manufacturingDate"] = "yesterday".into();
    assert!(matches!(export(&doc, Aspect::Nameplate), Err(MappingError::Invalid { .. })));
    assert!(matches!(export(&doc, Aspect::DppMetadata), Err(MappingError::Invalid { .. })));
    let mut doc = demo().remove(0);
    doc["generalProductInformation"]["warrentyPeriod"] = "P8M".into();
    assert!(matches!(export(&doc, Aspect::TechnicalData), Err(MappingError::Invalid { .. })));
    let bogus = json!({"DateOfManufacture": "2025-13-45"});
    assert!(matches!(import(&[(Aspect::Nameplate, bogus)]), Err(MappingError::Invalid { .. })));
}

#[test]
fn validation_reports_violations() {
    let mut nameplate = export(&demo()[0], Aspect::Nameplate).unwrap();
    nameplate["LifeCycleStage"] = "recycled".into();
    nameplate.as_object_mut().unwrap().remove("SerialNumber");
    let errors = validate(Aspect::Nameplate, &nameplate).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:#?}");
}
