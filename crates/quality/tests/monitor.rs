//! Point-by-point series monitoring: hand-computed CUSUM and rule signals, shift detection, the life of
//! a series, and equivalence with Phase II over the whole post-baseline sequence.

use proptest::prelude::*;
use quality::spc::phase1::Statistic;
use quality::spc::*;

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!((actual - expected).abs() <= tolerance, "{actual} is not within {tolerance} of {expected}");
}

/// 10, 12, 10, …, 10 (13 tens, 12 twelves): centre 274/25 = 10.96, every moving range 2, so
/// sigma = MR-bar/d2(2) = 2/(2/√π) = √π.
fn alternating_baseline() -> Vec<f64> {
    (0..25).map(|i| if i % 2 == 0 { 10.0 } else { 12.0 }).collect()
}

fn rules_of(signals: &[Signal]) -> Vec<&str> {
    signals.iter().map(|s| s.rule.as_str()).collect()
}

fn monitor_after(baseline: &[f64], options: MonitorOptions) -> SeriesMonitor {
    let mut monitor = SeriesMonitor::new(options);
    for &x in baseline {
        assert!(monitor.observe(x).is_empty(), "no signals during the baseline");
    }
    monitor
}

#[test]
fn limits_are_frozen_from_the_baseline() {
    let monitor = monitor_after(&alternating_baseline(), MonitorOptions::default());
    assert_eq!(monitor.stage(), Stage::Monitoring);
    let frozen = monitor.frozen().unwrap();
    let root_pi = std::f64::consts::PI.sqrt();
    close(frozen.center, 10.96, 1e-12);
    close(frozen.sigma, root_pi, 1e-9);
    close(monitor.within_sigma().unwrap(), root_pi, 1e-9);
    close(frozen.location_ucl, 10.96 + 3.0 * root_pi, 1e-9);
    close(frozen.location_lcl, 10.96 - 3.0 * root_pi, 1e-9);
    // MR UCL = D4 · MR-bar, D4 = 1 + 3 d3/d2 with d3(2) = √(2 − 4/π), d2(2) = 2/√π.
    let d4 = 1.0 + 3.0 * (2.0 - 4.0 / std::f64::consts::PI).sqrt() / (2.0 / root_pi);
    close(frozen.dispersion_ucl, 2.0 * d4, 1e-9);
    close(frozen.dispersion_ucl, 6.533064, 1e-6);
}

#[test]
fn cusum_and_run_rules_by_hand() {
    let mut monitor = monitor_after(&alternating_baseline(), MonitorOptions::default());
    let root_pi = std::f64::consts::PI.sqrt();
    // z = (x − 10.96)/√π. C⁺ over z = 1.7 ×5: 1.2, 2.4, 3.6, 4.8, 6.0 > 5 → signal, reset. z = 0 leaves both
    // sums at 0. C⁻ over z = −2.5 ×3: 2, 4, 6 > 5 → signal.
    // WE3 (4 of 5 beyond 1σ) completes at the 4th and 5th z = 1.7; WE2 (2 of 3 beyond 2σ) at the 2nd and
    // 3rd z = −2.5. No value is beyond 3σ and no moving range exceeds 6.53 (the largest is 2.5√π = 4.43).
    let zs = [1.7, 1.7, 1.7, 1.7, 1.7, 0.0, -2.5, -2.5, -2.5];
    let expected: [&[&str]; 9] =
        [&[], &[], &[], &["WE3"], &["WE3", "cusum-upper"], &[], &[], &["WE2"], &["WE2", "cusum-lower"]];
    let mut all = Vec::new();
    for (z, want) in zs.iter().zip(expected) {
        let signals = monitor.observe(10.96 + z * root_pi);
        assert_eq!(rules_of(&signals), want, "at z = {z}");
        all.extend(signals);
    }
    let upper = all.iter().find(|s| s.rule == "cusum-upper").unwrap();
    assert!(upper.detail.contains("C+ 6.00 above h 5"), "{}", upper.detail);
    let lower = all.iter().find(|s| s.rule == "cusum-lower").unwrap();
    assert!(lower.detail.contains("C- 6.00 above h 5"), "{}", lower.detail);
    // The first WE3 is formed by the first four monitored values: series points 26..=29.
    assert!(all[0].detail.contains("series points 26, 27, 28, 29"), "{}", all[0].detail);
    close(all[0].value, 10.96 + 1.7 * root_pi, 1e-12);
}

#[test]
fn limit_and_moving_range_signals_name_the_numbers() {
    let mut monitor = monitor_after(&alternating_baseline(), MonitorOptions::default());
    // UCL = 10.96 + 3√π = 16.277: 17 is above it, and the first monitored value has no moving range.
    let signals = monitor.observe(17.0);
    assert_eq!(rules_of(&signals), ["beyond-ucl", "WE1"]);
    assert_eq!(signals[0].detail, "value 17 above UCL 16.2774 (centre 10.96)");
    // From 17 to 10: a moving range of 7 > 6.533, the value itself is in control.
    let signals = monitor.observe(10.0);
    assert_eq!(rules_of(&signals), ["mr-beyond-ucl"]);
    assert_eq!(signals[0].detail, "moving range 7 (from 17 to 10) above MR UCL 6.53306 (MR-bar 2)");
    // LCL = 10.96 − 3√π = 5.643.
    assert_eq!(rules_of(&monitor.observe(5.0)), ["beyond-lcl", "WE1"]);
}

/// 25 + 10 fixed numbers that look like standard normals (mean about 0, sd about 1).
const IN_CONTROL: [f64; 35] = [
    0.31, -1.22, 0.84, -0.43, 1.52, -0.91, 0.12, 0.63, -1.64, 0.25, -0.33, 1.08, -0.72, 0.41, -0.08, 0.94, -1.35, 0.52,
    0.03, -0.61, 1.19, -0.24, 0.71, -1.02, 0.36, -0.47, 0.88, 0.15, -0.95, 0.58, -0.19, 1.27, -0.66, 0.07, -0.38,
];

#[test]
fn cusum_detects_a_two_sigma_shift_within_five_points() {
    let mut monitor = monitor_after(&IN_CONTROL[..25], MonitorOptions::default());
    for &x in &IN_CONTROL[25..] {
        assert!(monitor.observe(x).iter().all(|s| !s.rule.starts_with("cusum")), "no CUSUM signal in control at {x}");
    }
    let frozen = monitor.frozen().unwrap().clone();
    let noise = [0.2, -0.3, 0.1, -0.2, 0.3, -0.1, 0.0, 0.2];
    let mut first = None;
    for (i, e) in noise.iter().enumerate() {
        let x = frozen.center + (2.0 + e) * frozen.sigma;
        let signals = monitor.observe(x);
        assert!(signals.iter().all(|s| s.rule != "cusum-lower"));
        if first.is_none() && signals.iter().any(|s| s.rule == "cusum-upper") {
            first = Some(i + 1);
        }
    }
    let first = first.expect("the shift is detected");
    assert!(first <= 5, "detected after {first} points");
    // A 2σ shift beyond the 3σ limits is not what the limits catch: none of these is beyond the UCL.
    assert!(noise.iter().all(|e| frozen.center + (2.0 + e) * frozen.sigma < frozen.location_ucl));
}

#[test]
fn equal_baseline_values_make_the_series_unmonitorable_but_still_counted() {
    let mut monitor = SeriesMonitor::new(MonitorOptions { baseline_size: 5, ..MonitorOptions::default() });
    for _ in 0..5 {
        assert!(monitor.observe(0.5).is_empty());
    }
    let Stage::Unmonitorable { reason } = monitor.stage() else { panic!("{:?}", monitor.stage()) };
    assert!(reason.contains("sigma is zero"), "{reason}");
    assert!(monitor.observe(100.0).is_empty(), "no signals once unmonitorable");
    assert_eq!(monitor.count(), 6);
    close(monitor.mean().unwrap(), (2.5 + 100.0) / 6.0, 1e-12);
    assert_eq!(monitor.frozen(), None);
    assert_eq!(monitor.within_sigma(), None);
}

#[test]
fn invalid_options_are_reported_as_unmonitorable() {
    let small = SeriesMonitor::new(MonitorOptions { baseline_size: 1, ..MonitorOptions::default() });
    assert_eq!(
        small.stage(),
        Stage::Unmonitorable { reason: "invalid options: baseline_size must be at least 2, got 1".into() }
    );
    let bad_h = SeriesMonitor::new(MonitorOptions { cusum_h: 0.0, ..MonitorOptions::default() });
    assert!(matches!(bad_h.stage(), Stage::Unmonitorable { reason } if reason.contains("cusum_h")));
    let bad_k = SeriesMonitor::new(MonitorOptions { cusum_k: f64::NAN, ..MonitorOptions::default() });
    assert!(matches!(bad_k.stage(), Stage::Unmonitorable { reason } if reason.contains("cusum_k")));
}

#[test]
fn baseline_stage_counts_and_moments() {
    let mut monitor = SeriesMonitor::new(MonitorOptions::default());
    assert_eq!(monitor.mean(), None);
    assert_eq!(monitor.overall_sd(), None);
    for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
        monitor.observe(x);
    }
    // Non-finite values are ignored entirely.
    assert!(monitor.observe(f64::NAN).is_empty());
    assert!(monitor.observe(f64::INFINITY).is_empty());
    assert_eq!(monitor.count(), 8);
    assert_eq!(monitor.stage(), Stage::Baseline { have: 8, need: 25 });
    assert_eq!(
        serde_json::to_value(monitor.stage()).unwrap(),
        serde_json::json!({"stage": "baseline", "have": 8, "need": 25})
    );
    close(monitor.mean().unwrap(), 5.0, 1e-12);
    // Σ(x − 5)² = 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32, over n − 1 = 7.
    close(monitor.overall_sd().unwrap(), (32.0_f64 / 7.0).sqrt(), 1e-12);
    assert_eq!(monitor.within_sigma(), None);
}

#[test]
fn options_deserialize_with_defaults_for_missing_members() {
    let options: MonitorOptions = serde_json::from_str(r#"{"rules": "nelson", "baseline_size": 30}"#).unwrap();
    assert_eq!(options, MonitorOptions { rules: RuleChoice::Nelson, baseline_size: 30, ..MonitorOptions::default() });
    assert_eq!(serde_json::to_value(RuleChoice::WesternElectric).unwrap(), "western_electric");
}

/// Phase II's alarms as (index, signal id).
fn phase2_signals(frozen: &FrozenLimits, post: &[f64], rules: &RuleSet) -> Vec<(usize, String)> {
    let alarms = phase2(frozen, Samples::Individuals(post), Some(rules)).unwrap();
    alarms
        .into_iter()
        .map(|a| {
            let id = match a.reason {
                AlarmReason::AboveUpperLimit { statistic: Statistic::Location, .. } => "beyond-ucl".to_string(),
                AlarmReason::BelowLowerLimit { statistic: Statistic::Location, .. } => "beyond-lcl".to_string(),
                AlarmReason::AboveUpperLimit { statistic: Statistic::Dispersion, .. } => "mr-beyond-ucl".to_string(),
                AlarmReason::BelowLowerLimit { statistic: Statistic::Dispersion, .. } => "mr-beyond-lcl".to_string(),
                AlarmReason::Rule { violation } => violation.rule.id().to_string(),
            };
            (a.index, id)
        })
        .collect()
}

/// Values in steps of 0.5 (ties, runs and trends happen), either noise or a random walk.
fn post_values() -> impl Strategy<Value = Vec<f64>> {
    let noise = prop::collection::vec((-12i32..=12).prop_map(|v| v as f64 / 2.0), 0..70);
    let walk = prop::collection::vec(-2i32..=2, 0..70).prop_map(|steps| {
        steps
            .iter()
            .scan(0.0, |level, s| {
                *level += *s as f64 / 2.0;
                Some(*level)
            })
            .collect()
    });
    prop_oneof![noise, walk]
}

fn rule_choice() -> impl Strategy<Value = RuleChoice> {
    prop_oneof![Just(RuleChoice::WesternElectric), Just(RuleChoice::Nelson)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn point_by_point_equals_phase2_over_the_whole_sequence(
        baseline in prop::collection::vec((-6i32..=6).prop_map(|v| v as f64 / 2.0), 25),
        post in post_values(),
        rules in rule_choice(),
    ) {
        let options = MonitorOptions { rules, ..MonitorOptions::default() };
        let mut monitor = SeriesMonitor::new(options.clone());
        for &x in &baseline {
            prop_assert!(monitor.observe(x).is_empty());
        }
        let phase1_options = Phase1Options { constants: options.constants, ..Phase1Options::default() };
        match phase1(Samples::Individuals(&baseline), &phase1_options) {
            Ok(result) => {
                prop_assert_eq!(monitor.frozen(), Some(&result.frozen));
                let mut seen = Vec::new();
                for (i, &x) in post.iter().enumerate() {
                    for signal in monitor.observe(x) {
                        prop_assert_eq!(signal.value, x);
                        if !signal.rule.starts_with("cusum") {
                            seen.push((i, signal.rule));
                        }
                    }
                }
                prop_assert_eq!(seen, phase2_signals(&result.frozen, &post, &rules.rule_set()));
            }
            Err(_) => {
                let unmonitorable = matches!(monitor.stage(), Stage::Unmonitorable { .. });
                prop_assert!(unmonitorable);
                for &x in &post {
                    prop_assert!(monitor.observe(x).is_empty());
                }
            }
        }
        prop_assert_eq!(monitor.count(), (baseline.len() + post.len()) as u64);
    }

    #[test]
    fn state_round_trips_through_json_mid_series(
        values in prop::collection::vec((-40i32..=40).prop_map(|v| v as f64 / 7.0), 0..90),
        split in 0usize..90,
        rules in rule_choice(),
    ) {
        let options = MonitorOptions { rules, baseline_size: 20, ..MonitorOptions::default() };
        let split = split.min(values.len());
        let mut straight = SeriesMonitor::new(options.clone());
        let mut resumed = SeriesMonitor::new(options);
        let mut straight_signals = Vec::new();
        let mut resumed_signals = Vec::new();
        for &x in &values[..split] {
            straight_signals.push(straight.observe(x));
            resumed_signals.push(resumed.observe(x));
        }
        let json = serde_json::to_string(&resumed).unwrap();
        let mut resumed: SeriesMonitor = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(serde_json::to_string(&resumed).unwrap(), json);
        for &x in &values[split..] {
            straight_signals.push(straight.observe(x));
            resumed_signals.push(resumed.observe(x));
        }
        prop_assert_eq!(straight_signals, resumed_signals);
        prop_assert_eq!(straight.stage(), resumed.stage());
        prop_assert_eq!(straight, resumed);
    }
}
