//! Cycle-life client input: JSON shape and typed validation errors (runs without the reference data set).

mod cycle_life_common;

use analytics::cycle_life::{EarlyCycles, InputError, Split, embedded_model, extract, model_grid};
use cycle_life_common::{cell, fixture};

#[test]
fn early_cycles_json_is_camel_case_and_round_trips() {
    let d = fixture();
    let early = cell(&d, Split::Train, 1);
    let json = serde_json::to_value(early).unwrap();
    assert!(json["voltageV"].is_array());
    assert_eq!(json["curves"][0]["cycle"], 10);
    assert!(json["curves"][1]["dischargeCapacityAh"].is_array());
    assert_eq!(json["capacityFade"][0]["cycle"], 2);
    assert!(json["capacityFade"][0]["dischargeCapacityAh"].is_f64());
    let back: EarlyCycles = serde_json::from_value(json).unwrap();
    assert_eq!(&back, early);
    let unknown = r#"{"voltageV":[],"curves":[],"chargingPolicy":"4C"}"#;
    assert!(serde_json::from_str::<EarlyCycles>(unknown).is_err(), "unknown fields are refused");
}

fn valid() -> EarlyCycles {
    cell(&fixture(), Split::SecondaryTest, 2).clone()
}

#[test]
fn bad_inputs_give_typed_errors() {
    let model = embedded_model();
    let mut e = valid();
    e.curves.retain(|c| c.cycle != 100);
    assert_eq!(model.predict(&e).unwrap_err(), InputError::MissingCycle(100));

    let mut e = valid();
    e.curves[0].discharge_capacity_ah.pop();
    assert_eq!(model.predict(&e).unwrap_err(), InputError::LengthMismatch { cycle: 10, expected: 1000, found: 999 });

    let mut e = valid();
    e.curves[1].discharge_capacity_ah[17] = f64::NAN;
    assert!(matches!(model.predict(&e).unwrap_err(), InputError::NonFinite { index: 17, .. }));

    let mut e = valid();
    e.voltage_v.truncate(50);
    e.curves.iter_mut().for_each(|c| c.discharge_capacity_ah.truncate(50));
    assert_eq!(model.predict(&e).unwrap_err(), InputError::TooFewPoints { found: 50, min: 100 });

    let mut e = valid();
    e.voltage_v.swap(3, 4);
    assert_eq!(model.predict(&e).unwrap_err(), InputError::NotMonotonic(4));

    let mut e = valid();
    let n = e.voltage_v.len();
    e.voltage_v.truncate(n - 100);
    e.curves.iter_mut().for_each(|c| c.discharge_capacity_ah.truncate(n - 100));
    assert!(matches!(model.predict(&e).unwrap_err(), InputError::GridDoesNotCover { .. }));

    let mut e = valid();
    e.curves.push(e.curves[0].clone());
    assert_eq!(model.predict(&e).unwrap_err(), InputError::DuplicateCycle(10));

    let mut e = valid();
    e.curves[0].cycle = 150;
    assert_eq!(model.predict(&e).unwrap_err(), InputError::CycleOutOfRange(150));

    let mut e = valid();
    e.curves[1].discharge_capacity_ah = e.curves[0].discharge_capacity_ah.clone();
    assert_eq!(model.predict(&e).unwrap_err(), InputError::DegenerateCurves);

    let mut e = valid();
    e.capacity_fade.as_mut().unwrap()[5].discharge_capacity_ah = -1.0;
    assert!(matches!(model.predict(&e).unwrap_err(), InputError::BadCapacity { .. }));

    let mut e = valid();
    e.capacity_fade.as_mut().unwrap().truncate(10);
    assert!(matches!(model.predict(&e).unwrap_err(), InputError::InsufficientCapacityFade { .. }));

    let mut e = valid();
    e.capacity_fade = None;
    if model.needs_capacity_fade() {
        assert_eq!(model.predict(&e).unwrap_err(), InputError::MissingCapacityFade);
    } else {
        assert!(model.predict(&e).is_ok());
    }
    // The curve features alone never need the capacity fade.
    assert!(extract(&e).unwrap().get("dq_log_var").is_ok());
}

#[test]
fn model_grid_is_the_severson_grid() {
    let g = model_grid();
    assert_eq!(g.len(), 1000);
    assert_eq!((g[0], g[999]), (3.6, 2.0));
    let step = g[0] - g[1];
    assert!(g.windows(2).all(|w| ((w[0] - w[1]) - step).abs() < 1e-12));
    assert!((step - 1.6 / 999.0).abs() < 1e-15);
}
