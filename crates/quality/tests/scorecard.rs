//! Supplier scorecards: hand-computed cards, weights, periods, trends and grades.

use quality::scorecard::*;
use quality::spec::Outcome;
use time::Date;
use time::macros::date;

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!((actual - expected).abs() <= tolerance, "{actual} is not within {tolerance} of {expected}");
}

fn lot(n: u32, outcome: Outcome, quantity_kg: Option<f64>, days_in_transit: i64, received_on: Date) -> LotRecord {
    LotRecord {
        material: "NMC811".into(),
        lot: format!("L{n:03}"),
        manufactured_on: received_on - time::Duration::days(days_in_transit),
        received_on,
        outcome,
        quantity_kg,
        required_total: 5,
        required_reported: 5,
    }
}

fn capability(characteristic: &str, cpk: Option<f64>) -> CharacteristicCapability {
    CharacteristicCapability { material: "NMC811".into(), characteristic: characteristic.into(), n: 30, cpk }
}

const Q1_2026: Period = Period { from: date!(2026 - 01 - 01), to: date!(2026 - 04 - 01) };

/// Ten lots received in Q1 2026 (and two outside it):
/// * 7 accepted, lot 3 rejected, lots 5 and 7 on hold → acceptance 70;
/// * 8 × 1000 kg + 1980 kg + the rejected 20 kg = 10,000 kg → 2,000 ppm → 100 − 2000/1000 = 98;
/// * 5 required per lot, lots 2 and 4 reported 4 and 3 → 47/50 = 0.94 → 94;
/// * in transit 10 days ×7, 30 (on time, the limit is inclusive), 31, 45 → 8/10 → 80;
/// * Cpk 1.5, 1.33 (capable: inclusive), 1.2, 2.0 and one unknown → 3/4 → 75;
/// * 2 open alarms on 10 lots → 100 × (1 − 2/10) = 80.
///
/// Score with 30/20/15/10/15/10: (2100 + 1960 + 1410 + 800 + 1125 + 800)/100 = 81.95 → B.
fn q1_lots() -> Vec<LotRecord> {
    let d = date!(2026 - 02 - 10);
    let mut lots = vec![
        lot(1, Outcome::Accepted, Some(1000.0), 10, date!(2026 - 01 - 01)),
        lot(2, Outcome::Accepted, Some(1000.0), 10, d),
        lot(3, Outcome::Rejected, Some(20.0), 10, d),
        lot(4, Outcome::Accepted, Some(1000.0), 10, d),
        lot(5, Outcome::Hold, Some(1000.0), 10, d),
        lot(6, Outcome::Accepted, Some(1980.0), 10, d),
        lot(7, Outcome::Hold, Some(1000.0), 10, d),
        lot(8, Outcome::Accepted, Some(1000.0), 30, d),
        lot(9, Outcome::Accepted, Some(1000.0), 31, d),
        lot(10, Outcome::Accepted, Some(1000.0), 45, date!(2026 - 03 - 31)),
        // Outside the period: received the day the next quarter starts, and the day before this one.
        lot(11, Outcome::Rejected, Some(5000.0), 10, date!(2026 - 04 - 01)),
        lot(12, Outcome::Rejected, Some(5000.0), 10, date!(2025 - 12 - 31)),
    ];
    lots[1].required_reported = 4;
    lots[3].required_reported = 3;
    lots
}

fn q1_capabilities() -> Vec<CharacteristicCapability> {
    vec![
        capability("D50", Some(1.5)),
        capability("Fe", Some(1.33)),
        capability("Moisture", Some(1.2)),
        capability("Li", Some(2.0)),
        capability("Na", None),
    ]
}

fn input<'a>(lots: &'a [LotRecord], capabilities: &'a [CharacteristicCapability], alarms: u32) -> ScorecardInput<'a> {
    ScorecardInput { supplier: "acme", period: Q1_2026, lots, capabilities, open_alarms: alarms, on_time_days: 30 }
}

#[test]
fn hand_computed_scorecard() {
    let (lots, capabilities) = (q1_lots(), q1_capabilities());
    let card = scorecard(&input(&lots, &capabilities, 2), &Weights::default());
    assert_eq!(card.supplier, "acme");
    assert_eq!((card.lots_received, card.accepted, card.rejected, card.hold), (10, 7, 1, 2));
    close(card.ppm.unwrap(), 2000.0, 1e-9);
    close(card.completeness.unwrap(), 0.94, 1e-12);
    close(card.on_time_rate.unwrap(), 0.8, 1e-12);
    close(card.capable_share.unwrap(), 0.75, 1e-12);
    let c = &card.components;
    for (got, want) in [
        (c.acceptance, 70.0),
        (c.ppm, 98.0),
        (c.completeness, 94.0),
        (c.on_time, 80.0),
        (c.capability, 75.0),
        (c.alarms, 80.0),
    ] {
        close(got.unwrap(), want, 1e-9);
    }
    close(card.score.unwrap(), 81.95, 1e-9);
    assert_eq!(card.grade, Some(Grade::B));
}

#[test]
fn weights_change_the_score() {
    let (lots, capabilities) = (q1_lots(), q1_capabilities());
    let only_acceptance: Weights = "acceptance=1,ppm=0,completeness=0,onTime=0,capability=0,alarms=0".parse().unwrap();
    let card = scorecard(&input(&lots, &capabilities, 2), &only_acceptance);
    // Exactly 70 (7 × 100 / 10, no rounding on the way): the lowest B.
    assert_eq!(card.score, Some(70.0));
    assert_eq!(card.grade, Some(Grade::B));
    // Equal weights: the plain mean (70 + 98 + 94 + 80 + 75 + 80)/6 = 497/6.
    let equal: Weights = "acceptance=1,ppm=1,completeness=1,onTime=1,capability=1,alarms=1".parse().unwrap();
    close(scorecard(&input(&lots, &capabilities, 2), &equal).score.unwrap(), 497.0 / 6.0, 1e-9);
}

#[test]
fn missing_components_are_dropped_and_the_rest_renormalised() {
    // No quantities (ppm of lots), no required characteristics, no capabilities, no alarms.
    let d = date!(2026 - 03 - 01);
    let mut lots: Vec<LotRecord> =
        (1..=4).map(|n| lot(n, if n == 2 { Outcome::Rejected } else { Outcome::Accepted }, None, 5, d)).collect();
    for l in &mut lots {
        (l.required_total, l.required_reported) = (0, 0);
    }
    let card = scorecard(&input(&lots, &[], 0), &Weights::default());
    // 1 of 4 lots rejected → 250,000 ppm → sub-score 0.
    close(card.ppm.unwrap(), 250_000.0, 1e-6);
    assert_eq!(card.completeness, None);
    assert_eq!(card.capable_share, None);
    assert_eq!((card.components.completeness, card.components.capability), (None, None));
    // (30·75 + 20·0 + 10·100 + 10·100) / (30 + 20 + 10 + 10) = 4250/70.
    close(card.score.unwrap(), 4250.0 / 70.0, 1e-9);
    assert_eq!(card.grade, Some(Grade::C));
}

#[test]
fn lots_without_quantity_count_with_the_average_known_quantity() {
    let d = date!(2026 - 03 - 01);
    let lots = [
        lot(1, Outcome::Accepted, Some(1000.0), 5, d),
        lot(2, Outcome::Accepted, Some(3000.0), 5, d),
        lot(3, Outcome::Rejected, None, 5, d),
    ];
    // The unknown lot stands in for 2000 kg: 2000 / 6000 × 10⁶.
    let card = scorecard(&input(&lots, &[], 0), &Weights::default());
    close(card.ppm.unwrap(), 1e6 / 3.0, 1e-6);
    assert_eq!(card.components.ppm, Some(0.0));
}

#[test]
fn no_lots_no_score() {
    let lots = q1_lots();
    let empty_period = Period { from: date!(2024 - 01 - 01), to: date!(2024 - 04 - 01) };
    let card = scorecard(&ScorecardInput { period: empty_period, ..input(&lots, &[], 3) }, &Weights::default());
    assert_eq!((card.lots_received, card.accepted, card.rejected, card.hold), (0, 0, 0, 0));
    assert_eq!((card.ppm, card.completeness, card.on_time_rate), (None, None, None));
    assert_eq!(card.components.acceptance, None);
    assert_eq!(card.components.alarms, None, "alarms count per lot: no lots, no sub-score");
    assert_eq!((card.score, card.grade), (None, None));
}

#[test]
fn scorecard_serializes_in_camel_case() {
    let (lots, capabilities) = (q1_lots(), q1_capabilities());
    let card = scorecard(&input(&lots, &capabilities, 2), &Weights::default());
    let json = serde_json::to_value(&card).unwrap();
    assert_eq!(json["lotsReceived"], 10);
    assert_eq!(json["period"], serde_json::json!({"from": "2026-01-01", "to": "2026-04-01"}));
    assert_eq!(json["components"]["onTime"], 80.0);
    assert_eq!(json["grade"], "B");
    let back: Scorecard = serde_json::from_value(json).unwrap();
    assert_eq!(back, card);

    let record: LotRecord = serde_json::from_value(serde_json::json!({
        "material": "NMC811", "lot": "L1", "manufacturedOn": "2026-01-02", "receivedOn": "2026-01-20",
        "outcome": "hold", "quantityKg": 250.5, "requiredTotal": 6, "requiredReported": 5
    }))
    .unwrap();
    assert_eq!(record.received_on, date!(2026 - 01 - 20));
    assert_eq!(record.outcome, Outcome::Hold);
}

#[test]
fn weights_parse_with_defaults_for_missing_keys() {
    let full: Weights = "acceptance=30,ppm=20,completeness=15,onTime=10,capability=15,alarms=10".parse().unwrap();
    assert_eq!(full, Weights::default());
    assert_eq!("".parse::<Weights>().unwrap(), Weights::default());
    let partial: Weights = " on_time = 50 , ppm=0,".parse().unwrap();
    assert_eq!(partial, Weights { on_time: 50.0, ppm: 0.0, ..Weights::default() });
}

#[test]
fn weight_errors_are_typed_and_clear() {
    let error = |text: &str| text.parse::<Weights>().unwrap_err();
    assert_eq!(error("speed=3"), ScorecardError::UnknownKey { key: "speed".into() });
    assert_eq!(
        error("speed=3").to_string(),
        "unknown weight \"speed\": expected acceptance, ppm, completeness, onTime, capability or alarms"
    );
    assert_eq!(error("ppm"), ScorecardError::MalformedEntry { entry: "ppm".into() });
    assert_eq!(error("ppm=abc"), ScorecardError::NotANumber { key: "ppm".into(), value: "abc".into() });
    assert_eq!(error("ppm=NaN"), ScorecardError::NotANumber { key: "ppm".into(), value: "NaN".into() });
    assert_eq!(error("ppm=-1"), ScorecardError::Negative { key: "ppm".into(), value: -1.0 });
    assert_eq!(error("ppm=-1").to_string(), "weight ppm=-1 is negative; weights must be 0 or more");
    assert_eq!(error("onTime=1,on_time=2"), ScorecardError::DuplicateKey { key: "onTime".into() });
    assert_eq!(error("acceptance=0,ppm=0,completeness=0,onTime=0,capability=0,alarms=0"), ScorecardError::AllZero);
    let negative = Weights { alarms: -5.0, ..Weights::default() };
    assert_eq!(negative.validate(), Err(ScorecardError::Negative { key: "alarms".into(), value: -5.0 }));
}

#[test]
fn quarters_across_a_year_boundary() {
    let quarters = periods(date!(2025 - 11 - 15), date!(2026 - 02 - 10), Granularity::Quarter);
    assert_eq!(
        quarters,
        [
            Period { from: date!(2025 - 10 - 01), to: date!(2026 - 01 - 01) },
            Period { from: date!(2026 - 01 - 01), to: date!(2026 - 04 - 01) },
        ]
    );
    let labels: Vec<String> = quarters.iter().map(|p| p.label(Granularity::Quarter)).collect();
    assert_eq!(labels, ["2025-Q4", "2026-Q1"]);
}

#[test]
fn months_end_where_the_range_ends() {
    // `to` on a boundary adds no empty period after it.
    let months = periods(date!(2025 - 12 - 31), date!(2026 - 02 - 01), Granularity::Month);
    assert_eq!(
        months,
        [
            Period { from: date!(2025 - 12 - 01), to: date!(2026 - 01 - 01) },
            Period { from: date!(2026 - 01 - 01), to: date!(2026 - 02 - 01) },
        ]
    );
    assert_eq!(months[0].label(Granularity::Month), "2025-12");
    assert!(months[0].contains(date!(2025 - 12 - 01)));
    assert!(months[0].contains(date!(2025 - 12 - 31)));
    assert!(!months[0].contains(date!(2026 - 01 - 01)));
}

#[test]
fn years_and_empty_ranges() {
    let years = periods(date!(2024 - 06 - 01), date!(2026 - 01 - 02), Granularity::Year);
    let labels: Vec<String> = years.iter().map(|p| p.label(Granularity::Year)).collect();
    assert_eq!(labels, ["2024", "2025", "2026"]);
    assert_eq!(years[2], Period { from: date!(2026 - 01 - 01), to: date!(2027 - 01 - 01) });
    assert!(periods(date!(2026 - 01 - 01), date!(2026 - 01 - 01), Granularity::Month).is_empty());
    assert!(periods(date!(2026 - 02 - 01), date!(2026 - 01 - 01), Granularity::Quarter).is_empty());
    // The end of the calendar: December 9999 has no representable end, so no period is made for it.
    assert_eq!(periods(date!(9999 - 11 - 15), date!(9999 - 12 - 31), Granularity::Month).len(), 1);
}

fn cards_with_scores(scores: &[Option<f64>]) -> Vec<Scorecard> {
    let lots = q1_lots();
    let base = scorecard(&input(&lots, &[], 0), &Weights::default());
    scores.iter().map(|&score| Scorecard { score, grade: score.map(Grade::from_score), ..base.clone() }).collect()
}

#[test]
fn trend_directions() {
    let improving = trend(&cards_with_scores(&[Some(70.0), Some(72.0), Some(74.0), Some(76.0)]));
    close(improving.slope_per_period.unwrap(), 2.0, 1e-12);
    assert_eq!(improving.direction, Direction::Improving);

    // Σ(x − 1.5)(y − 79.75) = −0.5, Σ(x − 1.5)² = 5 → −0.1.
    let stable = trend(&cards_with_scores(&[Some(80.0), Some(79.5), Some(80.0), Some(79.5)]));
    close(stable.slope_per_period.unwrap(), -0.1, 1e-12);
    assert_eq!(stable.direction, Direction::Stable);

    // The unscored period keeps its place: x = 0, 2, 3 and y = 90, 80, 74 give −222/42 = −37/7.
    let declining = trend(&cards_with_scores(&[Some(90.0), None, Some(80.0), Some(74.0)]));
    close(declining.slope_per_period.unwrap(), -37.0 / 7.0, 1e-12);
    assert_eq!(declining.direction, Direction::Declining);

    // A slope of exactly 1 is not yet a direction.
    assert_eq!(trend(&cards_with_scores(&[Some(70.0), Some(71.0)])).direction, Direction::Stable);
    let single = trend(&cards_with_scores(&[Some(70.0), None]));
    assert_eq!((single.slope_per_period, single.direction), (None, Direction::Stable));
    assert_eq!(
        serde_json::to_value(&single).unwrap(),
        serde_json::json!({"slopePerPeriod": null, "direction": "stable"})
    );
}

#[test]
fn grade_thresholds() {
    assert_eq!(Grade::from_score(100.0), Grade::A);
    assert_eq!(Grade::from_score(85.0), Grade::A);
    assert_eq!(Grade::from_score(84.99), Grade::B);
    assert_eq!(Grade::from_score(70.0), Grade::B);
    assert_eq!(Grade::from_score(69.99), Grade::C);
    assert_eq!(Grade::from_score(0.0), Grade::C);
}
