//! State of health and RUL on synthetic fade curves with a known answer.

use analytics::health::{Caveat, HealthConfig, HealthError, Reading, estimate};
use rand::{Rng, SeedableRng, rngs::StdRng};

fn normal(rng: &mut StdRng) -> f64 {
    let (u1, u2): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random());
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Linear fade 2.0 → −0.002 Ah per cycle, `n` cycles, Gaussian noise `sd`, and every 25th cycle a regeneration
/// bump of +`bump` decaying over 4 cycles.
fn curve(n: usize, sd: f64, bump: f64, seed: u64) -> Vec<Reading> {
    let mut rng = StdRng::seed_from_u64(seed);
    (1..=n)
        .map(|k| {
            let since_rest = k % 25;
            let regen = if since_rest < 4 { bump * (1.0 - since_rest as f64 / 4.0) } else { 0.0 };
            Reading { at: k as f64, capacity: 2.0 - 0.002 * k as f64 + regen + sd * normal(&mut rng) }
        })
        .collect()
}

#[test]
fn noise_free_linear_fade_gives_the_exact_crossing() {
    let r = curve(100, 0.0, 0.0, 0);
    let e = estimate(&r, 2.0, &HealthConfig::default()).unwrap();
    // Capacity at 100 = 1.8 → SOH 0.9; 80 % of 2.0 = 1.6 is reached at cycle 200: RUL 100.
    assert!((e.soh - 0.9).abs() < 1e-9, "{}", e.soh);
    assert!((e.fade_rate + 0.002).abs() < 1e-12);
    assert_eq!(e.rul, Some(100.0));
    assert!(e.extrapolation_supported);
}

#[test]
fn noisy_bumpy_fade_is_robust_and_the_interval_covers() {
    let mut covered = 0;
    for seed in 0..20 {
        let r = curve(100, 0.01, 0.08, seed);
        let cfg = HealthConfig { seed, ..HealthConfig::default() };
        let e = estimate(&r, 2.0, &cfg).unwrap();
        assert!((e.soh - 0.9).abs() < 0.01, "seed {seed}: soh {}", e.soh);
        let rul = e.rul.unwrap();
        // First passage of noisy readings comes a little before the trend crossing at 100.
        assert!((rul - 95.0).abs() < 20.0, "seed {seed}: rul {rul}");
        if e.rul_lower.unwrap() <= 100.0 && 85.0 <= e.rul_upper.unwrap() {
            covered += 1;
        }
    }
    assert!(covered >= 16, "covered {covered} of 20");
}

#[test]
fn eol_fraction_is_a_parameter() {
    let r = curve(100, 0.0, 0.0, 0);
    let cfg = HealthConfig { eol_fraction: 0.7, ..HealthConfig::default() };
    // 70 % of 2.0 = 1.4, reached at cycle 300.
    assert_eq!(estimate(&r, 2.0, &cfg).unwrap().rul, Some(200.0));
}

#[test]
fn failed_measurements_are_skipped() {
    let mut r = curve(100, 0.0, 0.0, 0);
    r[40].capacity = 0.0;
    r[41].capacity = f64::NAN;
    r[90].capacity = 0.05;
    let e = estimate(&r, 2.0, &HealthConfig::default()).unwrap();
    assert_eq!(e.points_skipped, 2);
    assert!((e.soh - 0.9).abs() < 1e-9, "one low reading in the window must not move the trend: {}", e.soh);
}

#[test]
fn flat_or_short_data_is_flagged_not_extrapolated() {
    let flat: Vec<Reading> =
        (1..=60).map(|k| Reading { at: k as f64, capacity: 1.9 + 0.001 * (k % 3) as f64 }).collect();
    let e = estimate(&flat, 2.0, &HealthConfig::default()).unwrap();
    assert!(!e.extrapolation_supported);
    assert!(
        e.caveats.iter().any(|c| matches!(c, Caveat::NotFading | Caveat::FadeNotSignificant | Caveat::BeyondHorizon))
    );

    let short = &curve(100, 0.0, 0.0, 0)[..6];
    let e = estimate(short, 2.0, &HealthConfig::default()).unwrap();
    assert!(e.caveats.contains(&Caveat::TooFewPoints) && !e.extrapolation_supported);

    // Slow fade whose crossing is far beyond 4× the observed span.
    let slow: Vec<Reading> = (1..=50).map(|k| Reading { at: k as f64, capacity: 2.0 - 0.0001 * k as f64 }).collect();
    let e = estimate(&slow, 2.0, &HealthConfig::default()).unwrap();
    assert_eq!(e.rul, None);
    assert!(e.caveats.contains(&Caveat::BeyondHorizon));
}

#[test]
fn already_past_the_threshold_gives_zero() {
    let r: Vec<Reading> = (1..=30).map(|k| Reading { at: k as f64, capacity: 1.55 - 0.001 * k as f64 }).collect();
    let e = estimate(&r, 2.0, &HealthConfig::default()).unwrap();
    assert_eq!(e.rul, Some(0.0));
    assert!(e.caveats.contains(&Caveat::AtEndOfLife));
}

#[test]
fn bad_input_gives_typed_errors() {
    let r = curve(20, 0.0, 0.0, 0);
    let cfg = HealthConfig::default();
    assert!(matches!(estimate(&r, 0.0, &cfg), Err(HealthError::InvalidRated(_))));
    assert!(matches!(estimate(&r[..2], 2.0, &cfg), Err(HealthError::TooFewReadings { got: 2, .. })));
    let mut unsorted = r.clone();
    unsorted.swap(3, 4);
    assert!(matches!(estimate(&unsorted, 2.0, &cfg), Err(HealthError::NotIncreasing { .. })));
    let mut inf = r.clone();
    inf[2].at = f64::NAN;
    assert!(matches!(estimate(&inf, 2.0, &cfg), Err(HealthError::NonFinite { .. })));
    let bad = HealthConfig { eol_fraction: 1.2, ..HealthConfig::default() };
    assert!(matches!(estimate(&r, 2.0, &bad), Err(HealthError::InvalidConfig)));
}

#[test]
fn estimate_is_deterministic_and_serialises() {
    let r = curve(80, 0.01, 0.05, 3);
    let a = estimate(&r, 2.0, &HealthConfig::default()).unwrap();
    let b = estimate(&r, 2.0, &HealthConfig::default()).unwrap();
    assert_eq!(a, b);
    let v = serde_json::to_value(&a).unwrap();
    assert!(v["rul"].is_number() && v["caveats"].is_array());
    let parsed: Vec<Reading> = serde_json::from_str(r#"[{"at":1,"capacity":1.9}]"#).unwrap();
    assert_eq!(parsed[0].capacity, 1.9);
}
