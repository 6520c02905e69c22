//! Cycle-life tests on the committed five-cell fixture: they run without the reference data set.

mod cycle_life_common;

use analytics::cycle_life::{
    CycleCapacity, EarlyCycles, Split, embedded_curves_model, embedded_model, extract, features, predict,
};
use cycle_life_common::{cell, close, fixture};

#[test]
fn fixture_loads_into_client_inputs() {
    let d = fixture();
    assert_eq!(d.cells.len(), 5);
    assert_eq!(d.split(Split::Train).len(), 1);
    assert_eq!(d.split(Split::PrimaryTest).len(), 2);
    assert_eq!(d.split(Split::SecondaryTest).len(), 2);
    for c in &d.cells {
        c.early.validate().expect("reference cells are valid input");
        assert_eq!(c.early.voltage_v.len(), 1000);
        assert!((c.early.voltage_v[0] - 3.6).abs() < 1e-6 && (c.early.voltage_v[999] - 2.0).abs() < 1e-6);
        assert_eq!(c.early.capacity_fade.as_ref().map(Vec::len), Some(99), "cycles 2..=100");
    }
    let first = d.cells.iter().find(|c| c.split == Split::Train).unwrap();
    assert_eq!((first.cycle_life, first.barcode.as_str()), (2160.0, "EL150800460486"));
}

/// Values computed independently with numpy/scipy/pandas from the upstream files (population moments, capacity
/// glitches removed with a centred rolling median of 5, numpy.polyfit for the fade line).
#[test]
fn features_agree_with_an_independent_computation() {
    let d = fixture();
    let expected = [
        (
            Split::Train,
            1,
            [
                -5.01425802359,
                -1.95860731484,
                -0.366290221635,
                0.295058368144,
                1.061,
                0.0072,
                -1.29808286951e-05,
                1.06706606267,
                -6.41505847803,
            ],
        ),
        (
            Split::PrimaryTest,
            1,
            [
                -5.01497521647,
                -2.07262963696,
                -0.273857898694,
                0.218082663244,
                1.0544,
                0.0073,
                9.62109665329e-06,
                1.05971876057,
                -6.27000549622,
            ],
        ),
        (
            Split::PrimaryTest,
            2,
            [
                -4.73691528018,
                -1.76396685288,
                0.0336285682389,
                0.524912124091,
                1.0648,
                0.0057,
                -7.9393939394e-06,
                1.06953521212,
                -6.3890791256,
            ],
        ),
        (
            Split::SecondaryTest,
            1,
            [
                -4.24514378211,
                -1.63227145391,
                -0.708936127537,
                0.262071165653,
                1.0526,
                0.003,
                -3.63747680891e-05,
                1.05586218388,
                -5.58726965387,
            ],
        ),
        (
            Split::SecondaryTest,
            2,
            [
                -4.2855468646,
                -1.65130580973,
                -0.543010861117,
                0.273259960665,
                1.0498,
                0.0035,
                -3.4195423624e-05,
                1.05359952216,
                -5.68892902421,
            ],
        ),
    ];
    let names = [
        "dq_log_var",
        "dq_log_abs_min",
        "dq_log_abs_skew",
        "dq_log_abs_kurt",
        "cap_cycle2",
        "cap_max_minus_cycle2",
        "fade_slope_2_100",
        "fade_intercept_2_100",
        "dq_log_var_w5",
    ];
    for (split, index, values) in expected {
        let f = extract(cell(&d, split, index)).unwrap();
        for (name, want) in names.iter().zip(values) {
            let got = f.get(name).unwrap();
            assert!(close(got, want, 1e-8), "{split:?} {index} {name}: {got} vs {want}");
        }
    }
}

#[test]
fn variance_feature_matches_a_direct_two_pass_variance() {
    let d = fixture();
    let early = cell(&d, Split::PrimaryTest, 2);
    let q = |cycle| &early.curves.iter().find(|c| c.cycle == cycle).unwrap().discharge_capacity_ah;
    let dq: Vec<f64> = q(100).iter().zip(q(10)).map(|(a, b)| a - b).collect();
    let mean = dq.iter().sum::<f64>() / dq.len() as f64;
    let var = dq.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / dq.len() as f64;
    let got = extract(early).unwrap().get("dq_log_var").unwrap();
    assert!(close(got, var.log10(), 1e-12));
}

#[test]
fn embedded_model_is_complete_and_round_trips() {
    let m = embedded_model();
    assert_eq!(m.id(), format!("{}@{}", m.name, m.version));
    assert_eq!(m.training.training_data_sha256.len(), 64);
    assert!(m.interval.nominal_coverage > 0.5 && m.interval.nominal_coverage < 1.0);
    assert!(m.interval.log10_half_width > 0.0);
    for member in &m.members {
        let p = member.feature_names.len();
        assert!(p > 0);
        assert_eq!(member.fit.coefficients.len(), p);
        assert_eq!(member.fit.standardiser.means.len(), p);
        assert!(member.feature_names.iter().all(|n| m.feature_names.contains(n)));
    }
    let range_names: Vec<&String> = m.feature_ranges.iter().map(|r| &r.name).collect();
    assert_eq!(range_names, m.feature_names.iter().collect::<Vec<_>>());
    assert!(m.feature_ranges.iter().all(|r| r.min < r.max));
    assert!(m.needs_capacity_fade());
    assert!(!embedded_curves_model().needs_capacity_fade());
    let again: analytics::cycle_life::Model = serde_json::from_str(&serde_json::to_string(m).unwrap()).unwrap();
    assert_eq!(&again, m);
}

#[test]
fn embedded_model_predicts_held_out_fixture_cells_within_its_interval() {
    // The four test-split cells of the fixture were not used to train the embedded model.
    let d = fixture();
    let model = embedded_model();
    let mut inside = 0;
    let mut tested = 0;
    for c in d.cells.iter().filter(|c| c.split != Split::Train) {
        let p = model.predict(&c.early).unwrap();
        assert_eq!(p.model, model.id());
        assert_eq!(p.coverage, model.interval.nominal_coverage);
        assert!(p.lower < p.cycle_life && p.cycle_life < p.upper);
        let error = (p.cycle_life - c.cycle_life).abs() / c.cycle_life;
        assert!(error < 0.3, "{:?} {}: predicted {:.0}, true {}", c.split, c.cell_index, p.cycle_life, c.cycle_life);
        inside += usize::from(p.lower <= c.cycle_life && c.cycle_life <= p.upper);
        tested += 1;
    }
    assert_eq!(tested, 4);
    assert!(inside >= 3, "only {inside} of 4 true lives inside the interval");
}

#[test]
fn a_coarser_rising_grid_is_resampled_to_nearly_the_same_prediction() {
    let d = fixture();
    let early = cell(&d, Split::SecondaryTest, 1).clone();
    // Every 5th point (8 mV) plus the 2.0 V end, sent in rising voltage order.
    let mut keep: Vec<usize> = (0..1000).step_by(5).collect();
    keep.push(999);
    keep.reverse();
    let coarse = EarlyCycles {
        voltage_v: keep.iter().map(|&i| early.voltage_v[i]).collect(),
        curves: early
            .curves
            .iter()
            .map(|c| analytics::cycle_life::CycleCurve {
                cycle: c.cycle,
                discharge_capacity_ah: keep.iter().map(|&i| c.discharge_capacity_ah[i]).collect(),
            })
            .collect(),
        capacity_fade: early.capacity_fade.clone(),
    };
    let resampled = coarse.curve_on_model_grid(100).unwrap();
    assert_eq!(resampled.len(), 1000);
    let original = early.curve_on_model_grid(100).unwrap();
    // The reference grid is written with 6 decimals, so the kept points sit within 0.5 µV of the model grid and the
    // resampled values at those points move by no more than slope × 0.5 µV.
    for &i in &keep {
        assert!((resampled[i] - original[i]).abs() < 2e-5, "point {i}: {} vs {}", resampled[i], original[i]);
    }
    let model = embedded_model();
    let (a, b) = (model.predict(&early).unwrap(), model.predict(&coarse).unwrap());
    assert!(close(b.cycle_life, a.cycle_life, 0.03), "{} vs {}", b.cycle_life, a.cycle_life);
}

#[test]
fn capacity_glitches_do_not_move_the_features() {
    let d = fixture();
    let early = cell(&d, Split::PrimaryTest, 1).clone();
    let mut glitched = early.clone();
    let fade = glitched.capacity_fade.as_mut().unwrap();
    fade.iter_mut().find(|p| p.cycle == 12).unwrap().discharge_capacity_ah = 30.97;
    let clean = extract(&early).unwrap();
    let dirty = extract(&glitched).unwrap();
    let without: Vec<CycleCapacity> =
        early.capacity_fade.as_ref().unwrap().iter().copied().filter(|p| p.cycle != 12).collect();
    let dropped = extract(&EarlyCycles { capacity_fade: Some(without), ..early.clone() }).unwrap();
    for name in features::capacity_feature_names() {
        assert_eq!(dirty.get(&name).unwrap(), dropped.get(&name).unwrap(), "{name}");
    }
    assert_eq!(dirty.get("cap_max_minus_cycle2").unwrap(), clean.get("cap_max_minus_cycle2").unwrap());
}

#[test]
fn predict_falls_back_to_the_curves_only_model_without_capacity_fade() {
    let d = fixture();
    for c in d.cells.iter().filter(|c| c.split != Split::Train) {
        let full = predict(&c.early).unwrap();
        assert_eq!(full.model, embedded_model().id());
        let curves_only = EarlyCycles { capacity_fade: None, ..c.early.clone() };
        let p = predict(&curves_only).unwrap();
        assert_eq!(p.model, embedded_curves_model().id());
        assert_ne!(p.cycle_life, full.cycle_life);
        let error = (p.cycle_life - c.cycle_life).abs() / c.cycle_life;
        assert!(error < 0.35, "{:?} {}: predicted {:.0}, true {}", c.split, c.cell_index, p.cycle_life, c.cycle_life);
    }
}
