//! eCoA intake: the JSON and CSV formats, every kind of bad input with its location, and units.

use proptest::prelude::*;
use quality::ecoa::units::{self, Dimension, Unit, UnitError};
use quality::ecoa::{
    CSV_COLUMNS, Coa, EcoaError, Intake, Location, Measurement, Qualifier, content_hash, parse_csv, parse_csv_with,
    parse_json, parse_json_with,
};
use serde_json::{Value, json};

const GOOD_JSON: &str = include_str!("fixtures/ecoa-nmc811-good.json");
const GOOD_CSV: &str = include_str!("fixtures/ecoa-nmc811-good.csv");
const SUPPLIER: &str = "BPNL000000000CAM";
/// The fixture CSV has a comment on line 1 and the header on line 2; characteristic i is on line 3 + i.
const FIRST_ROW: u64 = 3;
const MOISTURE: usize = 5;

fn good() -> Coa {
    parse_json(GOOD_JSON.as_bytes()).expect("the good JSON fixture parses")
}

fn json_with(change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_str(GOOD_JSON).unwrap();
    change(&mut value);
    serde_json::to_vec_pretty(&value).unwrap()
}

/// The 1-based column of a CSV column name in the fixture.
fn column(name: &str) -> u64 {
    let header = GOOD_CSV.lines().nth(1).unwrap();
    header.split(',').position(|c| c == name).expect("column in the fixture") as u64 + 1
}

/// Replaces one cell of a fixture row that has no quoted cells (rows from the third characteristic on).
fn csv_with_cell(line: u64, name: &str, value: &str) -> Vec<u8> {
    let mut lines: Vec<String> = GOOD_CSV.lines().map(str::to_owned).collect();
    let row = &mut lines[line as usize - 1];
    assert!(!row.contains('"'), "only unquoted rows are edited");
    let mut cells: Vec<&str> = row.split(',').collect();
    cells[column(name) as usize - 1] = value;
    *row = cells.join(",");
    (lines.join("\n") + "\n").into_bytes()
}

fn pointer(error: &EcoaError) -> &str {
    match error.location() {
        Location::Pointer { pointer } => pointer,
        other => panic!("expected a JSON pointer, got {other:?} for {error}"),
    }
}

fn line_column(error: &EcoaError) -> (u64, u64) {
    match error.location() {
        Location::Text { line, column, .. } => (*line, *column),
        other => panic!("expected a line and column, got {other:?} for {error}"),
    }
}

// ----- good input -----

#[test]
fn json_and_csv_fixtures_parse_to_equal_coas() {
    let from_csv = parse_csv(GOOD_CSV.as_bytes()).expect("the good CSV fixture parses");
    assert_eq!(from_csv, good());
}

#[test]
fn good_fixture_carries_what_real_coas_carry() {
    let coa = good();
    assert_eq!(coa.supplier.name, "Example Cathode Materials GmbH");
    assert_eq!(coa.material.supplier_material_number.as_deref(), Some("ECM-811-P12"));
    assert_eq!(coa.purchase_order.as_deref(), Some("4500012345"));
    assert_eq!(coa.characteristics.len(), 17);
    let cu = coa.characteristic("cu").unwrap();
    assert_eq!(cu.result, Measurement::Single { value: 2.0, qualifier: Some(Qualifier::Below) });
    assert!(matches!(coa.characteristic("D50").unwrap().result, Measurement::Summary { n: 3, .. }));
    assert_eq!(coa.characteristic("BET").unwrap().unit, Unit::SquareMetrePerGram);
    assert_eq!(coa.attachments.len(), 1);
}

#[test]
fn serialized_coa_parses_back_to_itself() {
    let coa = good();
    let bytes = serde_json::to_vec(&coa).unwrap();
    assert_eq!(parse_json(&bytes).unwrap(), coa);
}

#[test]
fn lot_key_is_supplier_material_and_lot() {
    let key = good().lot_key();
    assert_eq!(
        (key.supplier_id.as_str(), key.material_id.as_str(), key.lot_number.as_str()),
        (SUPPLIER, "NMC811", "L2504-0173")
    );
    let resent = json_with(|v| v["documentId"] = json!("COA-2025-04-0173-R1"));
    let resent_coa = parse_json(&resent).unwrap();
    assert_eq!(resent_coa.lot_key(), key, "a re-sent CoA is the same lot");
    assert_ne!(content_hash(&resent), content_hash(GOOD_JSON.as_bytes()), "but a different revision");
}

#[test]
fn content_hash_is_sha256_hex() {
    assert_eq!(content_hash(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn intake_accepts_the_right_supplier_and_known_material() {
    let intake = Intake::default().for_supplier(SUPPLIER).with_materials(["NMC811", "LFP"]);
    assert!(parse_json_with(GOOD_JSON.as_bytes(), &intake).is_ok());
    assert!(parse_csv_with(GOOD_CSV.as_bytes(), &intake).is_ok());
}

#[test]
fn csv_with_semicolons_parses() {
    // Commas outside quotes become semicolons.
    let mut quoted = false;
    let text: String = GOOD_CSV
        .chars()
        .map(|c| {
            quoted ^= c == '"';
            if c == ',' && !quoted { ';' } else { c }
        })
        .collect();
    assert_eq!(parse_csv(text.as_bytes()).unwrap(), good());
}

#[test]
fn csv_columns_are_documented_and_unique() {
    let mut names: Vec<&str> = CSV_COLUMNS.iter().map(|c| c.name).collect();
    let header: Vec<&str> = GOOD_CSV.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(names, header, "the fixture uses every column in the documented order");
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CSV_COLUMNS.len());
}

#[test]
fn published_schema_is_json_with_a_draft() {
    let schema: Value = serde_json::from_str(quality::ecoa::SCHEMA).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["additionalProperties"], false);
}

// ----- malformed input -----

#[test]
fn malformed_json_names_line_and_column() {
    let text = GOOD_JSON.replacen("\"ecoaVersion\": \"1.0\",", "\"ecoaVersion\": \"1.0\"", 1);
    let error = parse_json(text.as_bytes()).unwrap_err();
    assert!(matches!(error, EcoaError::Malformed { .. }), "{error}");
    assert_eq!(line_column(&error), (3, 3));
}

#[test]
fn nan_in_json_is_malformed_at_its_line() {
    let text = GOOD_JSON.replace("\"value\": 180 }", "\"value\": NaN }");
    let line = GOOD_JSON.lines().position(|l| l.contains("\"value\": 180 }")).unwrap() as u64 + 1;
    let error = parse_json(text.as_bytes()).unwrap_err();
    assert!(matches!(error, EcoaError::Malformed { .. }), "{error}");
    assert_eq!(line_column(&error).0, line);
}

#[test]
fn malformed_csv_names_line_and_column() {
    let mut text = GOOD_CSV.to_owned();
    text.push_str(",,,,too,short\n");
    let error = parse_csv(text.as_bytes()).unwrap_err();
    assert!(matches!(error, EcoaError::Malformed { .. }), "{error}");
    assert_eq!(line_column(&error), (FIRST_ROW + 17, 7));
}

#[test]
fn json_unknown_member_is_refused_at_its_pointer() {
    let bytes = json_with(|v| v["lot"]["colour"] = json!("black"));
    let error = parse_json(&bytes).unwrap_err();
    assert!(matches!(error, EcoaError::Invalid { .. }), "{error}");
    assert_eq!(pointer(&error), "/lot/colour");
}

#[test]
fn json_missing_member_is_refused_at_its_pointer() {
    let bytes = json_with(|v| {
        v["characteristics"][3].as_object_mut().unwrap().remove("unit");
    });
    let error = parse_json(&bytes).unwrap_err();
    assert_eq!(pointer(&error), "/characteristics/3/unit", "{error}");
}

#[test]
fn json_approval_needs_a_signature_or_a_document_hash() {
    let bytes = json_with(|v| {
        v["approval"].as_object_mut().unwrap().remove("documentSha256");
    });
    let error = parse_json(&bytes).unwrap_err();
    assert_eq!(pointer(&error), "/approval", "{error}");
}

#[test]
fn json_impossible_calendar_date_is_refused() {
    let bytes = json_with(|v| v["lot"]["manufacturedOn"] = json!("2025-02-30"));
    let error = parse_json(&bytes).unwrap_err();
    assert!(matches!(error, EcoaError::Invalid { .. }), "{error}");
}

#[test]
fn csv_unknown_column_is_refused_at_its_header_cell() {
    let text = GOOD_CSV.replacen(",conformity\n", ",verdict\n", 1);
    let error = parse_csv(text.as_bytes()).unwrap_err();
    assert!(matches!(error, EcoaError::Invalid { .. }), "{error}");
    assert_eq!(line_column(&error), (2, column("conformity")));
}

#[test]
fn csv_missing_required_column_is_refused() {
    let error = parse_csv(include_bytes!("fixtures/ecoa-bad-missing-column.csv")).unwrap_err();
    assert!(matches!(&error, EcoaError::Invalid { message, .. } if message.contains("lot_number")), "{error}");
    assert_eq!(line_column(&error).0, 1);
}

#[test]
fn csv_not_a_number_names_the_cell() {
    let line = FIRST_ROW + MOISTURE as u64;
    let error = parse_csv(&csv_with_cell(line, "value", "one-eighty")).unwrap_err();
    assert!(matches!(error, EcoaError::Invalid { .. }), "{error}");
    assert_eq!(line_column(&error), (line, column("value")));
}

#[test]
fn csv_header_value_differing_between_rows_is_refused() {
    let line = FIRST_ROW + 4;
    let error = parse_csv(&csv_with_cell(line, "lot_number", "L2504-0174")).unwrap_err();
    assert_eq!(line_column(&error), (line, column("lot_number")), "{error}");
}

// ----- impossible values -----

#[test]
fn json_negative_ppm_is_impossible() {
    let bytes = json_with(|v| v["characteristics"][MOISTURE]["result"]["value"] = json!(-3));
    let error = parse_json(&bytes).unwrap_err();
    assert!(matches!(error, EcoaError::ImpossibleValue { .. }), "{error}");
    assert_eq!(pointer(&error), "/characteristics/5/result/value");
}

#[test]
fn csv_negative_ppm_is_impossible_at_its_cell() {
    let line = FIRST_ROW + MOISTURE as u64;
    let error = parse_csv(&csv_with_cell(line, "value", "-3")).unwrap_err();
    assert!(matches!(error, EcoaError::ImpossibleValue { .. }), "{error}");
    assert_eq!(line_column(&error), (line, column("value")));
}

#[test]
fn csv_nan_is_impossible_at_its_cell() {
    let line = FIRST_ROW + MOISTURE as u64;
    let error = parse_csv(&csv_with_cell(line, "value", "NaN")).unwrap_err();
    assert!(matches!(error, EcoaError::ImpossibleValue { .. }), "{error}");
    assert_eq!(line_column(&error), (line, column("value")));
}

#[test]
fn more_than_100_percent_is_impossible() {
    let bytes = json_with(|v| v["characteristics"][6]["result"]["value"] = json!(100.5));
    let error = parse_json(&bytes).unwrap_err();
    assert!(matches!(error, EcoaError::ImpossibleValue { .. }), "{error}");
    assert_eq!(pointer(&error), "/characteristics/6/result/value");
}

#[test]
fn summary_min_above_mean_is_impossible() {
    let bytes = json_with(|v| v["characteristics"][0]["result"]["min"] = json!(11.3));
    let error = parse_json(&bytes).unwrap_err();
    assert!(matches!(error, EcoaError::ImpossibleValue { .. }), "{error}");
    assert_eq!(pointer(&error), "/characteristics/0/result/min");
}

#[test]
fn negative_stdev_is_impossible() {
    let bytes = json_with(|v| v["characteristics"][0]["result"]["stdev"] = json!(-0.1));
    assert_eq!(pointer(&parse_json(&bytes).unwrap_err()), "/characteristics/0/result/stdev");
}

#[test]
fn expiry_before_manufacture_is_impossible() {
    let bytes = json_with(|v| v["lot"]["expiresOn"] = json!("2025-01-01"));
    let error = parse_json(&bytes).unwrap_err();
    assert!(matches!(error, EcoaError::ImpossibleValue { .. }), "{error}");
    assert_eq!(pointer(&error), "/lot/expiresOn");
}

#[test]
fn negative_temperature_in_celsius_is_possible() {
    let bytes = json_with(|v| {
        v["characteristics"][2] = json!({ "name": "Storage temperature", "unit": "°C", "result": { "value": -20 } });
    });
    assert!(parse_json(&bytes).is_ok());
}

// ----- duplicates, materials, suppliers -----

#[test]
fn json_duplicated_characteristic_names_both_places() {
    let bytes = json_with(|v| v["characteristics"][13]["name"] = json!("fe"));
    let error = parse_json(&bytes).unwrap_err();
    let EcoaError::DuplicateCharacteristic { first, .. } = &error else { panic!("{error}") };
    assert_eq!(pointer(&error), "/characteristics/13/name");
    assert_eq!(first, &Location::pointer("/characteristics/11/name"));
}

#[test]
fn csv_duplicated_characteristic_names_its_line() {
    let line = FIRST_ROW + 13;
    let error = parse_csv(&csv_with_cell(line, "characteristic", "Fe")).unwrap_err();
    assert!(matches!(error, EcoaError::DuplicateCharacteristic { .. }), "{error}");
    assert_eq!(line_column(&error), (line, column("characteristic")));
}

#[test]
fn unknown_material_is_refused_where_it_is_named() {
    let intake = Intake::default().with_materials(["LFP", "GRAPHITE"]);
    let error = parse_json_with(GOOD_JSON.as_bytes(), &intake).unwrap_err();
    assert!(matches!(&error, EcoaError::UnknownMaterial { material, .. } if material == "NMC811"), "{error}");
    assert_eq!(pointer(&error), "/material/id");
    let error = parse_csv_with(GOOD_CSV.as_bytes(), &intake).unwrap_err();
    assert_eq!(line_column(&error), (FIRST_ROW, column("material_id")));
}

#[test]
fn wrong_supplier_for_the_key_is_refused() {
    let intake = Intake::default().for_supplier("BPNL0000000OTHER");
    let error = parse_json_with(GOOD_JSON.as_bytes(), &intake).unwrap_err();
    let EcoaError::WrongSupplier { expected, found, .. } = &error else { panic!("{error}") };
    assert_eq!((expected.as_str(), found.as_str()), ("BPNL0000000OTHER", SUPPLIER));
    assert_eq!(pointer(&error), "/supplier/id");
    let error = parse_csv_with(GOOD_CSV.as_bytes(), &intake).unwrap_err();
    assert_eq!(line_column(&error), (FIRST_ROW, column("supplier_id")));
}

#[test]
fn malformed_bpn_is_refused() {
    let bytes = json_with(|v| v["supplier"]["id"] = json!("BPNL-123"));
    let error = parse_json(&bytes).unwrap_err();
    assert_eq!(pointer(&error), "/supplier/id", "{error}");
}

#[test]
fn errors_serialize_with_their_location() {
    let bytes = json_with(|v| v["characteristics"][MOISTURE]["result"]["value"] = json!(-3));
    let error = serde_json::to_value(parse_json(&bytes).unwrap_err()).unwrap();
    assert_eq!(error["kind"], "impossible_value");
    assert_eq!(error["at"]["pointer"], "/characteristics/5/result/value");
}

// ----- units -----

fn u(spelling: &str) -> Unit {
    Unit::parse(spelling)
}

#[test]
fn mass_fractions_convert_exactly() {
    assert_eq!(units::convert(5000.0, &u("ppm"), &u("%")), Ok(0.5));
    assert_eq!(units::convert(0.5, &u("%"), &u("ppm")), Ok(5000.0));
    assert_eq!(units::convert(12.0, &u("mg/kg"), &u("ppm")), Ok(12.0));
    assert_eq!(units::convert(12.0, &u("ppm"), &u("ppb")), Ok(12000.0));
    assert_eq!(units::convert(250.0, &u("ppb"), &u("ppm")), Ok(0.25));
    assert_eq!(units::convert(1.0, &u("ppm"), &u("%")), Ok(1e-4));
    assert_eq!(units::convert(3.0, &u("g/kg"), &u("wt%")), Ok(0.3));
}

#[test]
fn lengths_convert_exactly() {
    assert_eq!(units::convert(11.5, &u("µm"), &u("nm")), Ok(11500.0));
    assert_eq!(units::convert(335.4, &u("nm"), &u("um")), Ok(0.3354));
    assert_eq!(units::convert(12.0, &u("micron"), &u("mm")), Ok(0.012));
}

#[test]
fn other_dimensions_convert() {
    assert_eq!(units::convert(10.0, &u("mS/cm"), &u("S/m")), Ok(1.0));
    assert_eq!(units::convert(3.2, &u("cP"), &u("mPa·s")), Ok(3.2));
    assert_eq!(units::convert(180.0, &u("N/mm²"), &u("MPa")), Ok(180.0));
    assert_eq!(units::convert(2.2, &u("g/cm3"), &u("kg/m³")), Ok(2200.0));
    assert_eq!(units::convert(25.0, &u("°C"), &u("K")), Ok(298.15));
}

#[test]
fn incompatible_units_are_refused_never_compared() {
    let error = units::convert(5.0, &u("ppm"), &u("µm")).unwrap_err();
    assert!(matches!(
        error,
        UnitError::Incompatible { from_dimension: Dimension::MassFraction, to_dimension: Dimension::Length, .. }
    ));
    assert!(units::convert(80.0, &u("mol%"), &u("%")).is_err(), "mole and mass fractions differ");
    assert!(units::convert(0.5, &u("1"), &u("%")).is_err());
    assert!(matches!(units::convert(1.0, &u("mol/L"), &u("ppm")), Err(UnitError::UnknownUnits { .. })));
    assert!(matches!(units::convert(f64::NAN, &u("ppm"), &u("%")), Err(UnitError::NotFinite { .. })));
}

#[test]
fn spellings_parse_leniently() {
    for (spellings, unit) in [
        (&["µm", "μm", "um", "micron", "Microns", " µm "][..], Unit::Micrometre),
        (&["m²/g", "m2/g", "m^2/g", "m2·g-1", "m²·g⁻¹"][..], Unit::SquareMetrePerGram),
        (&["%", "wt%", "wt.%", "wt %"][..], Unit::Percent),
        (&["mPa·s", "mPa.s", "mPa s", "mPas"][..], Unit::MilliPascalSecond),
        (&["g/cm³", "g/cm3", "g/cc", "g/mL"][..], Unit::GramPerCubicCentimetre),
        (&["°C", "℃", "degC"][..], Unit::Celsius),
        (&["s/100cc", "s/100 mL", "sec/100cc"][..], Unit::SecondsPer100Cc),
        (&["", "1", "-"][..], Unit::One),
    ] {
        for spelling in spellings {
            assert_eq!(Unit::parse(spelling), unit, "{spelling:?}");
        }
    }
    assert_eq!(Unit::parse("M"), Unit::Other("M".into()), "molar is not metre");
    assert_eq!(Unit::parse("MPa"), Unit::Megapascal);
}

#[test]
fn units_serialize_as_their_canonical_symbol() {
    assert_eq!(serde_json::to_value(u("um")).unwrap(), json!("µm"));
    for unit in [u("m2/g"), u("mPa.s"), u("mol%"), u("mol/L")] {
        let back: Unit = serde_json::from_value(serde_json::to_value(&unit).unwrap()).unwrap();
        assert_eq!(back, unit);
    }
}

fn convertible_pair() -> impl Strategy<Value = (Unit, Unit)> {
    let families: Vec<Vec<Unit>> = vec![
        vec![Unit::Percent, Unit::Ppm, Unit::Ppb, Unit::MilligramPerKilogram, Unit::GramPerKilogram],
        vec![Unit::Metre, Unit::Millimetre, Unit::Micrometre, Unit::Nanometre],
        vec![Unit::GramPerCubicCentimetre, Unit::KilogramPerCubicMetre],
        vec![Unit::MilliSiemensPerCentimetre, Unit::MicroSiemensPerCentimetre, Unit::SiemensPerMetre],
        vec![Unit::MilliPascalSecond, Unit::Centipoise, Unit::PascalSecond],
        vec![Unit::Celsius, Unit::Kelvin],
    ];
    proptest::sample::select(families)
        .prop_flat_map(|f| (proptest::sample::select(f.clone()), proptest::sample::select(f)))
}

proptest! {
    #[test]
    fn conversions_round_trip((from, to) in convertible_pair(), value in -1e6f64..1e6) {
        let there = units::convert(value, &from, &to).unwrap();
        let back = units::convert(there, &to, &from).unwrap();
        prop_assert!((back - value).abs() <= 1e-9 * value.abs().max(1.0), "{value} {from} -> {there} {to} -> {back}");
    }

    #[test]
    fn different_dimensions_never_convert(value in -1e6f64..1e6) {
        prop_assert!(units::convert(value, &Unit::Ppm, &Unit::Micrometre).is_err());
        prop_assert!(units::convert(value, &Unit::Megapascal, &Unit::Percent).is_err());
    }
}

#[test]
fn names_match_ignoring_case_and_spacing_ascii_or_not() {
    use quality::ecoa::same_name;
    assert!(same_name("D50", "d50"));
    assert!(same_name("Particle size D-50", "particle_size d50"));
    assert!(same_name("Tap density", "TAPDENSITY"));
    assert!(!same_name("D50", "D90"));
    assert!(!same_name("D50", "D5"));
    assert!(same_name("Ölgehalt", "ÖL-GEHALT"));
    assert!(same_name("Ölgehalt", "öl gehalt"));
    assert!(!same_name("Ölgehalt", "Olgehalt"));
}
