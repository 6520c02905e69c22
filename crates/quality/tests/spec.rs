//! Specifications and decisions: every reason, the outcome rules, detection limits, skip-lot sampling and
//! lab agreement.

use proptest::prelude::*;
use quality::ecoa::units::Unit;
use quality::ecoa::{Coa, Conformity, Limits, Measurement, Qualifier, parse_json};
use quality::spec::agreement::{LabResult, Tolerance, ToleranceBasis, Verdict, compare};
use quality::spec::{
    Alarm, Bound, Decision, DecisionContext, Effect, Frequency, HashCheck, LotRecord, MaterialSpec, Outcome, Reason,
    Requirement, SkipLot, SkipLotRules, SkipLotState, SpecCharacteristic, Statistic, catalogue, decide, outcome,
    select,
};
use time::macros::date;

const GOOD_JSON: &str = include_str!("fixtures/ecoa-nmc811-good.json");
const HASH: &str = "3b4c1f0e9a2d7c5b8e6f4a3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a098";

fn coa() -> Coa {
    parse_json(GOOD_JSON.as_bytes()).unwrap()
}

fn nmc811() -> MaterialSpec {
    select(&catalogue(), "NMC811", "BPNL000000000CAM").unwrap().clone()
}

fn context() -> DecisionContext {
    DecisionContext::received_on(date!(2025 - 04 - 20))
}

fn decide_with(change: impl FnOnce(&mut Coa)) -> Decision {
    let mut coa = coa();
    change(&mut coa);
    decide(&coa, &nmc811(), &context())
}

fn set(coa: &mut Coa, name: &str, result: Measurement) {
    coa.characteristics.iter_mut().find(|c| c.name == name).unwrap().result = result;
}

fn single(value: f64) -> Measurement {
    Measurement::Single { value, qualifier: None }
}

fn below(value: f64) -> Measurement {
    Measurement::Single { value, qualifier: Some(Qualifier::Below) }
}

fn above(value: f64) -> Measurement {
    Measurement::Single { value, qualifier: Some(Qualifier::Above) }
}

/// A one-characteristic spec for detection-limit cases.
fn limit_spec(lsl: Option<f64>, usl: Option<f64>) -> MaterialSpec {
    let mut c = SpecCharacteristic::required("Cu", Unit::Ppm);
    c.lsl = lsl;
    c.usl = usl;
    MaterialSpec {
        material: "NMC811".into(),
        supplier: None,
        version: 1,
        title: "test".into(),
        characteristics: vec![c],
    }
}

fn decide_cu(result: Measurement, lsl: Option<f64>, usl: Option<f64>) -> Decision {
    let mut coa = coa();
    set(&mut coa, "Cu", result);
    // Without the supplier's own limits, which would add a note here.
    coa.characteristics.iter_mut().find(|c| c.name == "Cu").unwrap().limits = None;
    decide(&coa, &limit_spec(lsl, usl), &context())
}

// ----- outcomes -----

#[test]
fn good_coa_is_accepted_without_reasons() {
    let decision = decide(&coa(), &nmc811(), &context());
    assert_eq!(decision.reasons, vec![]);
    assert_eq!(decision.outcome, Outcome::Accepted);
    assert_eq!(decision.lot, coa().lot_key());
    assert_eq!((decision.spec.material.as_str(), decision.spec.version), ("NMC811", 1));
}

#[test]
fn outcome_rules_reject_over_hold_over_note() {
    let note = Reason::SupplierLimitsWider {
        characteristic: "Fe".into(),
        supplier_lower: None,
        supplier_upper: Some(80.0),
        lsl: None,
        usl: Some(50.0),
        unit: Unit::Ppm,
    };
    let hold = Reason::MissingRequired { characteristic: "Na".into() };
    let reject = Reason::Expired { expires_on: date!(2025 - 01 - 01), received_on: date!(2025 - 02 - 01) };
    assert_eq!((note.effect(), hold.effect(), reject.effect()), (Effect::Note, Effect::Hold, Effect::Reject));
    assert_eq!(outcome(&[]), Outcome::Accepted);
    assert_eq!(outcome(std::slice::from_ref(&note)), Outcome::Accepted);
    assert_eq!(outcome(&[note.clone(), hold.clone()]), Outcome::Hold);
    assert_eq!(outcome(&[hold, reject, note]), Outcome::Rejected);
}

// ----- one test per reason -----

#[test]
fn missing_required_characteristic_holds() {
    let decision = decide_with(|c| c.characteristics.retain(|c| c.name != "Na"));
    assert_eq!(decision.reasons, vec![Reason::MissingRequired { characteristic: "Na".into() }]);
    assert_eq!(decision.outcome, Outcome::Hold);
}

#[test]
fn missing_optional_characteristic_is_no_reason() {
    let decision = decide_with(|c| c.characteristics.retain(|c| c.name != "D90"));
    assert_eq!(decision.outcome, Outcome::Accepted);
}

#[test]
fn critical_out_of_spec_rejects() {
    let decision = decide_with(|c| set(c, "Li2CO3", single(0.55)));
    assert_eq!(
        decision.reasons,
        vec![Reason::OutOfSpec {
            characteristic: "Li2CO3".into(),
            statistic: Statistic::Value,
            value: 0.55,
            bound: Bound::Upper,
            limit: 0.4,
            unit: Unit::Percent,
            critical: true,
        }]
    );
    assert_eq!(decision.outcome, Outcome::Rejected);
}

#[test]
fn non_critical_out_of_spec_holds() {
    let decision = decide_with(|c| set(c, "Zn", single(25.0)));
    assert!(matches!(decision.reasons[..], [Reason::OutOfSpec { critical: false, bound: Bound::Upper, .. }]));
    assert_eq!(decision.outcome, Outcome::Hold);
}

#[test]
fn out_of_spec_is_judged_in_the_spec_unit() {
    // 0.006 % is 60 ppm, above the 50 ppm limit for Fe.
    let decision = decide_with(|c| {
        let fe = c.characteristics.iter_mut().find(|c| c.name == "Fe").unwrap();
        fe.unit = Unit::Percent;
        fe.result = single(0.006);
        fe.limits = None;
    });
    let [Reason::OutOfSpec { value, unit, limit, .. }] = &decision.reasons[..] else { panic!("{decision:?}") };
    assert!((value - 60.0).abs() < 1e-9);
    assert_eq!((unit, *limit), (&Unit::Ppm, 50.0));
}

#[test]
fn lower_limit_out_of_spec() {
    let decision = decide_with(|c| set(c, "Tap density", single(2.1)));
    assert!(matches!(decision.reasons[..], [Reason::OutOfSpec { bound: Bound::Lower, .. }]));
}

#[test]
fn limits_are_inclusive() {
    let decision = decide_with(|c| set(c, "Moisture", single(300.0)));
    assert_eq!(decision.outcome, Outcome::Accepted);
}

#[test]
fn unit_mismatch_holds() {
    let decision =
        decide_with(|c| c.characteristics.iter_mut().find(|c| c.name == "Moisture").unwrap().unit = Unit::Micrometre);
    assert_eq!(
        decision.reasons,
        vec![Reason::UnitMismatch {
            characteristic: "Moisture".into(),
            coa_unit: Unit::Micrometre,
            spec_unit: Unit::Ppm
        }]
    );
    assert_eq!(decision.outcome, Outcome::Hold);
}

#[test]
fn expired_lot_rejects() {
    let mut context = context();
    context.received_on = date!(2026 - 04 - 11);
    let decision = decide(&coa(), &nmc811(), &context);
    assert_eq!(
        decision.reasons,
        vec![Reason::Expired { expires_on: date!(2026 - 04 - 10), received_on: date!(2026 - 04 - 11) }]
    );
    assert_eq!(decision.outcome, Outcome::Rejected);
}

#[test]
fn lot_expiring_on_the_received_day_is_not_expired() {
    let mut context = context();
    context.received_on = date!(2026 - 04 - 10);
    assert_eq!(decide(&coa(), &nmc811(), &context).outcome, Outcome::Accepted);
}

#[test]
fn supplier_limits_wider_than_ours_is_a_note() {
    let decision = decide_with(|c| {
        c.characteristics.iter_mut().find(|c| c.name == "Moisture").unwrap().limits =
            Some(Limits { upper: Some(500.0), ..Limits::default() });
    });
    assert!(matches!(
        &decision.reasons[..],
        [Reason::SupplierLimitsWider { supplier_upper: Some(500.0), usl: Some(300.0), .. }]
    ));
    assert_eq!(decision.outcome, Outcome::Accepted);
}

#[test]
fn supplier_leaving_open_a_side_we_limit_is_wider() {
    let decision = decide_with(|c| {
        c.characteristics.iter_mut().find(|c| c.name == "BET").unwrap().limits =
            Some(Limits { upper: Some(0.7), ..Limits::default() });
    });
    assert!(matches!(&decision.reasons[..], [Reason::SupplierLimitsWider { supplier_lower: None, lsl: Some(_), .. }]));
}

#[test]
fn supplier_limits_tighter_than_ours_are_fine() {
    let decision = decide_with(|c| {
        c.characteristics.iter_mut().find(|c| c.name == "Moisture").unwrap().limits =
            Some(Limits { upper: Some(0.02), ..Limits::default() });
        c.characteristics.iter_mut().find(|c| c.name == "Moisture").unwrap().unit = Unit::Percent;
        set(c, "Moisture", single(0.018));
    });
    assert_eq!(decision.reasons, vec![]);
}

#[test]
fn statistical_alarm_holds() {
    let mut context = context();
    context.alarms.push(Alarm {
        characteristic: "D50".into(),
        rule: "run-of-8".into(),
        detail: "8 above centre".into(),
    });
    let decision = decide(&coa(), &nmc811(), &context);
    assert_eq!(
        decision.reasons,
        vec![Reason::StatisticalAlarm {
            characteristic: "D50".into(),
            rule: "run-of-8".into(),
            detail: "8 above centre".into()
        }]
    );
    assert_eq!(decision.outcome, Outcome::Hold);
}

#[test]
fn document_hash_mismatch_holds() {
    let mut context = context();
    context.document_hash = Some(HashCheck { expected: HASH.into(), actual: "00".repeat(32) });
    let decision = decide(&coa(), &nmc811(), &context);
    assert!(matches!(&decision.reasons[..], [Reason::DocumentHashMismatch { .. }]));
    assert_eq!(decision.outcome, Outcome::Hold);
}

#[test]
fn document_hash_match_ignores_case() {
    let mut context = context();
    context.document_hash = Some(HashCheck { expected: HASH.into(), actual: HASH.to_uppercase() });
    assert_eq!(decide(&coa(), &nmc811(), &context).outcome, Outcome::Accepted);
}

#[test]
fn supplier_reported_fail_rejects() {
    let decision = decide_with(|c| {
        c.characteristics.iter_mut().find(|c| c.name == "Zn").unwrap().conformity = Some(Conformity::Fail)
    });
    assert_eq!(decision.reasons, vec![Reason::SupplierReportedFail { characteristic: "Zn".into() }]);
    assert_eq!(decision.outcome, Outcome::Rejected);
}

#[test]
fn spec_for_another_material_holds() {
    let lfp = select(&catalogue(), "LFP", "any").unwrap().clone();
    let decision = decide(&coa(), &lfp, &context());
    assert!(matches!(&decision.reasons[0], Reason::SpecNotApplicable { spec_material, .. } if spec_material == "LFP"));
    assert_ne!(decision.outcome, Outcome::Accepted);
}

#[test]
fn every_reason_is_listed() {
    let mut coa = coa();
    coa.characteristics.retain(|c| c.name != "Na");
    set(&mut coa, "Li2CO3", single(0.5));
    set(&mut coa, "Zn", single(21.0));
    let mut context = context();
    context.received_on = date!(2027 - 01 - 01);
    context.alarms.push(Alarm { characteristic: "BET".into(), rule: "trend".into(), detail: "6 rising".into() });
    let decision = decide(&coa, &nmc811(), &context);
    let kinds: Vec<String> = serde_json::to_value(&decision.reasons)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["expired", "out_of_spec", "out_of_spec", "missing_required", "statistical_alarm"]);
    assert_eq!(decision.outcome, Outcome::Rejected);
}

#[test]
fn decision_serializes_for_an_override_record() {
    let decision = decide_with(|c| set(c, "Zn", single(25.0)));
    let value = serde_json::to_value(&decision).unwrap();
    assert_eq!(value["outcome"], "hold");
    assert_eq!(value["reasons"][0]["kind"], "out_of_spec");
    assert_eq!(value["lot"]["lotNumber"], "L2504-0173");
    let back: Decision = serde_json::from_value(value).unwrap();
    assert_eq!(back, decision);
}

// ----- summaries and detection limits -----

#[test]
fn summary_max_is_checked_against_the_upper_limit() {
    let decision = decide_with(|c| {
        set(c, "D50", Measurement::Summary { n: 5, mean: 11.2, min: Some(10.1), max: Some(13.4), stdev: Some(1.1) })
    });
    assert!(matches!(
        decision.reasons[..],
        [Reason::OutOfSpec { statistic: Statistic::Max, bound: Bound::Upper, critical: true, .. }]
    ));
    assert_eq!(decision.outcome, Outcome::Rejected);
}

#[test]
fn summary_min_is_checked_against_the_lower_limit() {
    let decision = decide_with(|c| {
        set(c, "D50", Measurement::Summary { n: 5, mean: 11.2, min: Some(8.9), max: None, stdev: None })
    });
    assert!(matches!(decision.reasons[..], [Reason::OutOfSpec { statistic: Statistic::Min, bound: Bound::Lower, .. }]));
}

#[test]
fn summary_without_min_max_checks_the_mean() {
    let decision =
        decide_with(|c| set(c, "D50", Measurement::Summary { n: 2, mean: 13.5, min: None, max: None, stdev: None }));
    assert!(matches!(decision.reasons[..], [Reason::OutOfSpec { statistic: Statistic::Mean, .. }]));
}

#[test]
fn below_detection_limit_meets_an_upper_limit_above_it() {
    assert_eq!(decide_cu(below(0.5), None, Some(1.0)).outcome, Outcome::Accepted);
    assert_eq!(decide_cu(below(1.0), None, Some(1.0)).outcome, Outcome::Accepted, "<1 is below 1");
}

#[test]
fn below_detection_limit_above_the_upper_limit_is_indeterminate() {
    let decision = decide_cu(below(2.0), None, Some(1.0));
    assert!(matches!(
        decision.reasons[..],
        [Reason::Indeterminate { qualifier: Qualifier::Below, bound: Bound::Upper, .. }]
    ));
    assert_eq!(decision.outcome, Outcome::Hold);
}

#[test]
fn below_detection_limit_against_a_lower_limit_is_unknown() {
    let decision = decide_cu(below(0.5), Some(0.3), None);
    assert!(matches!(decision.reasons[..], [Reason::Indeterminate { bound: Bound::Lower, .. }]));
    assert_eq!(decision.outcome, Outcome::Hold);
}

#[test]
fn below_detection_limit_under_the_lower_limit_is_known_out_of_spec() {
    let decision = decide_cu(below(0.5), Some(1.0), None);
    assert!(matches!(decision.reasons[..], [Reason::OutOfSpec { bound: Bound::Lower, .. }]));
}

#[test]
fn above_qualifier_mirrors_below() {
    assert_eq!(decide_cu(above(2.0), Some(1.0), None).outcome, Outcome::Accepted);
    assert!(matches!(decide_cu(above(0.5), Some(1.0), None).reasons[..], [Reason::Indeterminate { .. }]));
    assert!(matches!(decide_cu(above(3.0), None, Some(2.0)).reasons[..], [Reason::OutOfSpec { .. }]));
}

// ----- specifications -----

#[test]
fn select_prefers_supplier_specific_then_latest_version() {
    let general = nmc811();
    let mut newer = general.clone();
    newer.version = 2;
    let mut specific = general.clone();
    specific.supplier = Some("BPNL000000000CAM".into());
    let specs = vec![general, specific.clone(), newer.clone()];
    assert_eq!(select(&specs, "NMC811", "BPNL000000000CAM"), Some(&specific));
    assert_eq!(select(&specs, "NMC811", "BPNL0000000OTHER"), Some(&newer));
    assert_eq!(select(&specs, "LFP", "BPNL000000000CAM"), None);
}

#[test]
fn spec_matches_aliases() {
    let decision =
        decide_with(|c| c.characteristics.iter_mut().find(|c| c.name == "D50").unwrap().name = "Dv50".into());
    assert_eq!(decision.outcome, Outcome::Accepted);
}

#[test]
fn catalogue_covers_cell_materials_with_sound_limits() {
    let specs = catalogue();
    let materials: Vec<&str> = specs.iter().map(|s| s.material.as_str()).collect();
    assert_eq!(
        materials,
        ["NMC811", "LFP", "GRAPHITE", "ELECTROLYTE-LIPF6", "SEPARATOR-PE-12", "AL-FOIL-12", "CU-FOIL-8"]
    );
    for spec in &specs {
        assert!(spec.characteristics.iter().any(|c| c.requirement == Requirement::Required), "{}", spec.material);
        for c in &spec.characteristics {
            assert!(c.lsl.is_some() || c.usl.is_some(), "{} {} has a limit", spec.material, c.name);
            if let (Some(l), Some(u)) = (c.lsl, c.usl) {
                assert!(l < u, "{} {}", spec.material, c.name);
                assert!(c.target.is_none_or(|t| l <= t && t <= u), "{} {}", spec.material, c.name);
            }
        }
    }
    let spec_json = serde_json::to_value(&specs).unwrap();
    let back: Vec<MaterialSpec> = serde_json::from_value(spec_json).unwrap();
    assert_eq!(back, specs);
}

// ----- skip-lot -----

fn rules() -> SkipLotRules {
    SkipLotRules { qualify_after: 3, step_after: 2, requalify_after: 2 }
}

fn lot(sequence: u64, accepted: bool, lab_tested: bool) -> LotRecord {
    LotRecord { sequence, accepted, lab_tested, lab_agrees: lab_tested.then_some(true) }
}

/// Records accepted lots from `from`, lab-testing exactly those the state asks for; returns the next number.
fn accept_lots(skip: &mut SkipLot, from: u64, count: u64) -> u64 {
    for sequence in from..from + count {
        let tested = skip.needs_lab_test(sequence);
        skip.record(&lot(sequence, true, tested));
    }
    from + count
}

fn frequency(skip: &SkipLot) -> Option<Frequency> {
    match skip.state {
        SkipLotState::Skipping { frequency, .. } => Some(frequency),
        _ => None,
    }
}

#[test]
fn qualification_after_n_accepted_lots() {
    let mut skip = SkipLot::new(rules());
    accept_lots(&mut skip, 1, 2);
    assert_eq!(skip.state, SkipLotState::Qualification { accepted_in_row: 2 });
    assert!(skip.needs_lab_test(3));
    accept_lots(&mut skip, 3, 1);
    assert_eq!(skip.state, SkipLotState::Skipping { frequency: Frequency::Half, since: 4, accepted_in_row: 0 });
}

#[test]
fn default_rules_qualify_after_ten_lots() {
    let mut skip = SkipLot::new(SkipLotRules::default());
    accept_lots(&mut skip, 1, 9);
    assert!(frequency(&skip).is_none());
    accept_lots(&mut skip, 10, 1);
    assert_eq!(frequency(&skip), Some(Frequency::Half));
}

#[test]
fn rejection_during_qualification_restarts_the_count() {
    let mut skip = SkipLot::new(rules());
    accept_lots(&mut skip, 1, 2);
    skip.record(&lot(3, false, true));
    assert_eq!(skip.state, SkipLotState::Qualification { accepted_in_row: 0 });
}

#[test]
fn lots_accepted_without_our_test_do_not_count_for_qualification() {
    let mut skip = SkipLot::new(rules());
    skip.record(&lot(1, true, false));
    assert_eq!(skip.state, SkipLotState::Qualification { accepted_in_row: 0 });
}

#[test]
fn frequency_steps_down_to_one_in_five() {
    let mut skip = SkipLot::new(rules());
    let mut next = accept_lots(&mut skip, 1, 3);
    let mut seen = vec![frequency(&skip).unwrap()];
    for _ in 0..40 {
        next = accept_lots(&mut skip, next, 1);
        let f = frequency(&skip).unwrap();
        if seen.last() != Some(&f) {
            seen.push(f);
        }
    }
    assert_eq!(seen, [Frequency::Half, Frequency::Third, Frequency::Quarter, Frequency::Fifth]);
}

#[test]
fn needs_lab_test_every_kth_lot_and_is_deterministic() {
    let skip = SkipLot {
        rules: rules(),
        state: SkipLotState::Skipping { frequency: Frequency::Third, since: 10, accepted_in_row: 0 },
    };
    let tested: Vec<u64> = (10..22).filter(|s| skip.needs_lab_test(*s)).collect();
    assert_eq!(tested, [10, 13, 16, 19]);
    let again: Vec<u64> = (10..22).filter(|s| skip.clone().needs_lab_test(*s)).collect();
    assert_eq!(again, tested);
    assert!(SkipLot::new(rules()).needs_lab_test(7), "qualification tests every lot");
}

#[test]
fn rejection_interrupts_and_requalification_resumes_one_step_tighter() {
    let mut skip = SkipLot::new(rules());
    let mut next = accept_lots(&mut skip, 1, 3);
    while frequency(&skip) != Some(Frequency::Quarter) {
        next = accept_lots(&mut skip, next, 1);
    }
    skip.record(&lot(next, false, false));
    assert_eq!(skip.state, SkipLotState::Interrupted { resume: Frequency::Third, accepted_in_row: 0 });
    assert!(skip.needs_lab_test(next + 1));
    accept_lots(&mut skip, next + 1, 2);
    assert_eq!(frequency(&skip), Some(Frequency::Third));
}

#[test]
fn rejection_while_interrupted_disqualifies() {
    let mut skip = SkipLot::new(rules());
    let next = accept_lots(&mut skip, 1, 3);
    skip.record(&lot(next, false, true));
    skip.record(&lot(next + 1, false, true));
    assert_eq!(skip.state, SkipLotState::Disqualified);
    accept_lots(&mut skip, next + 2, 20);
    assert_eq!(skip.state, SkipLotState::Disqualified, "only requalify() leaves disqualification");
    skip.requalify();
    assert_eq!(skip.state, SkipLotState::Qualification { accepted_in_row: 0 });
}

#[test]
fn lab_disagreement_disqualifies() {
    let mut skip = SkipLot::new(rules());
    let next = accept_lots(&mut skip, 1, 5);
    assert!(frequency(&skip).is_some());
    skip.record(&LotRecord { sequence: next, accepted: true, lab_tested: true, lab_agrees: Some(false) });
    assert_eq!(skip.state, SkipLotState::Disqualified);
    assert!(skip.needs_lab_test(next + 1));
}

#[test]
fn skip_lot_state_serializes() {
    let skip = SkipLot {
        rules: rules(),
        state: SkipLotState::Skipping { frequency: Frequency::Fifth, since: 3, accepted_in_row: 1 },
    };
    let value = serde_json::to_value(skip).unwrap();
    assert_eq!(value["state"]["frequency"], "1/5");
    assert_eq!(serde_json::from_value::<SkipLot>(value).unwrap(), skip);
}

// ----- lab agreement -----

fn lab(name: &str, unit: Unit, result: Measurement) -> LabResult {
    LabResult { characteristic: name.into(), unit, result }
}

#[test]
fn agreement_within_reproducibility() {
    let spec = nmc811();
    // CoA Fe 12 mg/kg; our lab 15 ppm; R = 5 ppm.
    let report = compare(
        &coa().characteristics,
        &[lab("Fe", Unit::Ppm, single(15.0))],
        &Tolerance { spec: Some(&spec), relative: 0.05 },
    );
    let fe = &report.characteristics[0];
    assert_eq!((fe.verdict, fe.basis), (Verdict::Agrees, Some(ToleranceBasis::Reproducibility)));
    assert_eq!(fe.bias, Some(-3.0));
    assert_eq!(fe.relative_bias, Some(-0.2));
    assert!(report.agrees());
}

#[test]
fn disagreement_beyond_reproducibility_disqualifies_skip_lot() {
    let spec = nmc811();
    let results = [lab("Fe", Unit::Ppm, single(18.0)), lab("Moisture", Unit::Percent, single(0.02))];
    let report = compare(&coa().characteristics, &results, &Tolerance { spec: Some(&spec), relative: 0.05 });
    assert_eq!(report.characteristics[0].verdict, Verdict::Disagrees, "|12 - 18| > 5");
    assert_eq!(report.characteristics[1].verdict, Verdict::Agrees, "180 vs 200 ppm within R = 50");
    assert!(!report.agrees());
    let mut skip = SkipLot {
        rules: rules(),
        state: SkipLotState::Skipping { frequency: Frequency::Half, since: 1, accepted_in_row: 0 },
    };
    skip.record(&LotRecord { sequence: 1, accepted: true, lab_tested: true, lab_agrees: Some(report.agrees()) });
    assert_eq!(skip.state, SkipLotState::Disqualified);
}

#[test]
fn relative_tolerance_without_reproducibility() {
    let report = compare(
        &coa().characteristics,
        &[lab("BET", Unit::SquareMetrePerGram, single(0.45))],
        &Tolerance { spec: None, relative: 0.05 },
    );
    assert_eq!(report.characteristics[0].verdict, Verdict::Disagrees, "0.03 > 5 % of 0.45");
    let report = compare(
        &coa().characteristics,
        &[lab("BET", Unit::SquareMetrePerGram, single(0.43))],
        &Tolerance { spec: None, relative: 0.05 },
    );
    assert_eq!(report.characteristics[0].verdict, Verdict::Agrees);
}

#[test]
fn detection_limits_agree_as_intervals() {
    let tolerance = Tolerance { spec: None, relative: 0.0 };
    let cu = |result| {
        compare(&coa().characteristics, &[lab("Cu", Unit::Ppm, result)], &tolerance).characteristics[0].clone()
    };
    let inside = cu(single(1.5));
    assert_eq!((inside.verdict, inside.bias), (Verdict::Agrees, None), "CoA <2, lab 1.5");
    assert_eq!(cu(single(3.0)).verdict, Verdict::Disagrees, "CoA <2, lab 3");
    assert_eq!(cu(below(1.0)).verdict, Verdict::Agrees);
}

#[test]
fn not_comparable_results_do_not_count_as_disagreement() {
    let results = [lab("Sulfate", Unit::Ppm, single(100.0)), lab("D50", Unit::Ppm, single(11.0))];
    let report = compare(&coa().characteristics, &results, &Tolerance { spec: None, relative: 0.05 });
    assert!(report.characteristics.iter().all(|c| c.verdict == Verdict::NotComparable));
    assert!(report.agrees());
}

// ----- properties -----

fn required_names() -> Vec<String> {
    nmc811().characteristics.iter().filter(|c| c.requirement == Requirement::Required).map(|c| c.name.clone()).collect()
}

proptest! {
    #[test]
    fn decide_never_accepts_a_coa_missing_a_required_characteristic(
        drop in proptest::sample::subsequence(required_names(), 1..=13),
        scale in 0.5f64..1.5,
    ) {
        let mut coa = coa();
        coa.characteristics.retain(|c| !drop.contains(&c.name));
        for c in &mut coa.characteristics {
            if let Measurement::Single { value, .. } = &mut c.result {
                *value *= scale;
            }
        }
        let decision = decide(&coa, &nmc811(), &context());
        prop_assert_ne!(decision.outcome, Outcome::Accepted);
        for name in &drop {
            let missing = Reason::MissingRequired { characteristic: name.clone() };
            prop_assert!(decision.reasons.contains(&missing), "{} not reported missing", name);
        }
    }
}
