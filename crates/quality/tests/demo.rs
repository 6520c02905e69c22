//! Demo suppliers and CoAs, and the benchmark's: deterministic, valid, realistic, and with the behaviours
//! the demo is meant to show (a drifting supplier SPC catches, an incomplete one the decisions hold).

use quality::demo::{self, DemoCoa, DemoSupplier, Profile};
use quality::ecoa::{Coa, Intake, Measurement, parse_json_with};
use quality::spc::{Phase1Options, RuleSet, Samples, phase1, phase2};
use quality::spec::{DecisionContext, MaterialSpec, Outcome, Reason, catalogue, decide, select};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use time::macros::date;
use time::{Date, Duration};

const END: Date = date!(2025 - 06 - 30);
const SEED: u64 = 0x5eed;

fn demo_coas() -> &'static [DemoCoa] {
    static COAS: OnceLock<Vec<DemoCoa>> = OnceLock::new();
    COAS.get_or_init(|| demo::coas(END, 2, SEED))
}

fn supplier(profile: Profile) -> DemoSupplier {
    demo::suppliers().into_iter().find(|s| s.profile == profile).unwrap()
}

fn spec_for(coa: &Coa) -> MaterialSpec {
    select(&catalogue(), &coa.material.id, &coa.supplier.id).expect("a catalogue specification").clone()
}

fn of(supplier_id: &str, material: &str) -> Vec<&'static DemoCoa> {
    let mut lots: Vec<&DemoCoa> =
        demo_coas().iter().filter(|d| d.coa.supplier.id == supplier_id && d.coa.material.id == material).collect();
    lots.sort_by_key(|d| d.coa.lot.manufactured_on);
    lots
}

fn is_bpnl(id: &str) -> bool {
    id.len() == 16 && id.starts_with("BPNL") && id[4..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

// ----- suppliers -----

#[test]
fn suppliers_cover_the_catalogue_with_one_drifting_and_one_incomplete() {
    let suppliers = demo::suppliers();
    assert!((7..=9).contains(&suppliers.len()), "{} suppliers", suppliers.len());
    let ids: BTreeSet<&str> = suppliers.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), suppliers.len(), "supplier ids are unique");
    for s in &suppliers {
        assert!(is_bpnl(&s.id), "{} is a BPNL", s.id);
        assert!(!s.name.trim().is_empty() && s.country.len() == 2, "{s:?}");
        assert!(!s.materials.is_empty());
    }
    let catalogue_ids: BTreeSet<String> = catalogue().into_iter().map(|s| s.material).collect();
    let mut per_material: BTreeMap<&str, usize> = BTreeMap::new();
    for m in suppliers.iter().flat_map(|s| &s.materials) {
        assert!(catalogue_ids.contains(m), "{m} is a catalogue material");
        *per_material.entry(m).or_default() += 1;
    }
    assert_eq!(per_material.len(), catalogue_ids.len(), "every catalogue material is supplied");
    for m in ["NMC811", "LFP", "GRAPHITE"] {
        assert_eq!(per_material[m], 2, "{m} has two suppliers");
    }
    let count = |p: Profile| suppliers.iter().filter(|s| s.profile == p).count();
    assert_eq!(count(Profile::Drifting), 1);
    assert_eq!(count(Profile::Incomplete), 1);
    assert_eq!(count(Profile::Steady), suppliers.len() - 2);
    let json = serde_json::to_value(&suppliers[0]).unwrap();
    assert_eq!(json["profile"], "steady");
}

// ----- the demo CoAs -----

#[test]
fn same_seed_same_coas_and_another_seed_other_values() {
    let again = demo::coas(END, 2, SEED);
    assert_eq!(again, demo_coas());
    let other = demo::coas(END, 2, SEED + 1);
    assert_ne!(other, demo_coas());
}

#[test]
fn two_years_of_every_supplier_and_material_in_receiving_order() {
    let coas = demo_coas();
    let start = END - Duration::days(730);
    assert!((1_000..=5_000).contains(&coas.len()), "{} CoAs", coas.len());
    assert!(coas.windows(2).all(|w| w[0].received_on <= w[1].received_on), "ordered by received_on");
    assert!(coas.iter().all(|d| d.received_on >= start && d.received_on <= END));
    for s in demo::suppliers() {
        for m in &s.materials {
            let lots = of(&s.id, m);
            assert!((100..=300).contains(&lots.len()), "{} {m}: {} lots in two years", s.name, lots.len());
            let first = lots.iter().map(|d| d.received_on).min().unwrap();
            let last = lots.iter().map(|d| d.received_on).max().unwrap();
            assert!(first - start <= Duration::days(30), "{} {m} starts on {first}", s.name);
            assert!(END - last <= Duration::days(30), "{} {m} ends on {last}", s.name);
            for d in &lots {
                assert_eq!(d.coa.supplier.name, s.name);
            }
        }
    }
    let keys: BTreeSet<_> = coas.iter().map(|d| d.coa.lot_key()).collect();
    assert_eq!(keys.len(), coas.len(), "lots are unique");
    let documents: BTreeSet<_> = coas.iter().map(|d| (&d.coa.supplier.id, &d.coa.document_id)).collect();
    assert_eq!(documents.len(), coas.len(), "certificate numbers are unique per supplier");
}

#[test]
fn every_demo_coa_is_accepted_by_the_json_reader_unchanged() {
    let materials: Vec<String> = catalogue().into_iter().map(|s| s.material).collect();
    for d in demo_coas() {
        let bytes = serde_json::to_vec(&d.coa).unwrap();
        let intake = Intake::default().with_materials(materials.clone()).for_supplier(d.coa.supplier.id.clone());
        let parsed = parse_json_with(&bytes, &intake)
            .unwrap_or_else(|e| panic!("{} {}: {e}", d.coa.supplier.id, d.coa.lot.number));
        assert_eq!(parsed, d.coa);
    }
}

#[test]
fn dates_quantities_orders_and_approval_are_filled_in() {
    let mut on_time = BTreeMap::<usize, (usize, usize)>::new();
    let profiles: BTreeMap<String, Profile> = demo::suppliers().into_iter().map(|s| (s.id, s.profile)).collect();
    for d in demo_coas() {
        let coa = &d.coa;
        let issued = coa.issued_on.unwrap();
        assert!(coa.lot.manufactured_on <= issued && issued <= d.received_on, "{}", coa.lot.number);
        assert!(coa.lot.expires_on.unwrap() > d.received_on + Duration::days(300), "not near expiry");
        let quantity = coa.lot.quantity.as_ref().unwrap();
        let unit = if ["SEPARATOR-PE-12", "AL-FOIL-12", "CU-FOIL-8"].contains(&coa.material.id.as_str()) {
            "m2"
        } else {
            "kg"
        };
        assert_eq!(quantity.unit, unit);
        assert!(quantity.value >= 500.0);
        assert!(coa.purchase_order.is_some() && coa.delivery_note.is_some());
        assert!(coa.material.name.is_some() && coa.material.supplier_material_number.is_some());
        assert!(!coa.approval.approved_by.is_empty() && coa.approval.document_sha256.is_some());
        assert_eq!(coa.approval.approved_on, Some(issued));
        let entry = on_time.entry(profiles[&coa.supplier.id] as usize).or_default();
        entry.0 += usize::from(d.received_on - coa.lot.manufactured_on <= Duration::days(7));
        entry.1 += 1;
    }
    let share = |p: Profile| on_time[&(p as usize)].0 as f64 / on_time[&(p as usize)].1 as f64;
    assert!(share(Profile::Steady) > 0.9, "steady on time {}", share(Profile::Steady));
    assert!(share(Profile::Incomplete) < share(Profile::Steady) - 0.1, "incomplete is late more often");
}

#[test]
fn characteristics_use_the_catalogue_names_units_and_methods() {
    for d in demo_coas() {
        let spec = spec_for(&d.coa);
        for c in &d.coa.characteristics {
            let wanted = spec.characteristic(&c.name).unwrap_or_else(|| panic!("{} in {}", c.name, spec.material));
            assert_eq!(c.name, wanted.name);
            assert_eq!(c.unit, wanted.unit, "{}", c.name);
            assert_eq!(c.method, wanted.method, "{}", c.name);
            if let Some(limits) = &c.limits {
                // Equal to or within ours.
                if let Some(lsl) = wanted.lsl {
                    assert!(limits.lower.unwrap() >= lsl, "{}", c.name);
                }
                if let Some(usl) = wanted.usl {
                    assert!(limits.upper.unwrap() <= usl, "{}", c.name);
                }
            }
        }
    }
}

/// Values are physical, and steady suppliers' processes are capable but not implausibly so.
#[test]
fn steady_values_are_physical_and_capable() {
    let steady: BTreeSet<String> =
        demo::suppliers().into_iter().filter(|s| s.profile == Profile::Steady).map(|s| s.id).collect();
    let mut series: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
    for d in demo_coas() {
        for c in &d.coa.characteristics {
            let values: Vec<f64> = match c.result {
                Measurement::Single { value, .. } => vec![value],
                Measurement::Summary { mean, min, max, stdev, .. } => {
                    assert!(stdev.unwrap() >= 0.0);
                    vec![mean, min.unwrap(), max.unwrap()]
                }
            };
            for v in values {
                assert!(v > 0.0 && v.is_finite(), "{} {} = {v}", d.coa.material.id, c.name);
                if c.unit.symbol().contains('%') {
                    assert!(v <= 100.0);
                }
            }
            let qualified = matches!(c.result, Measurement::Single { qualifier: Some(_), .. });
            if steady.contains(&d.coa.supplier.id) && !qualified {
                let key = (d.coa.supplier.id.clone(), d.coa.material.id.clone(), c.name.clone());
                series.entry(key).or_default().push(c.result.central());
            }
        }
    }
    let specs = catalogue();
    let mut checked = 0;
    for ((supplier, material, name), values) in &series {
        let wanted = select(&specs, material, supplier).unwrap().characteristic(name).unwrap();
        // Leave out the deliberate nonconformities and detection-limit-heavy impurities.
        let inside: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| wanted.lsl.is_none_or(|l| *v >= l) && wanted.usl.is_none_or(|u| *v <= u))
            .collect();
        if inside.len() < 80 {
            continue;
        }
        let n = inside.len() as f64;
        let mean = inside.iter().sum::<f64>() / n;
        let sd = (inside.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let cpk = [wanted.lsl.map(|l| (mean - l) / (3.0 * sd)), wanted.usl.map(|u| (u - mean) / (3.0 * sd))]
            .into_iter()
            .flatten()
            .fold(f64::INFINITY, f64::min);
        assert!((1.1..=3.0).contains(&cpk), "{supplier} {material} {name}: Cpk {cpk:.2}");
        checked += 1;
    }
    assert!(checked > 40, "{checked} series checked");
}

#[test]
fn steady_suppliers_are_mostly_accepted_with_a_few_nonconforming_lots() {
    let steady: BTreeSet<String> =
        demo::suppliers().into_iter().filter(|s| s.profile == Profile::Steady).map(|s| s.id).collect();
    let (mut total, mut accepted) = (0, 0);
    for d in demo_coas().iter().filter(|d| steady.contains(&d.coa.supplier.id)) {
        let decision = decide(&d.coa, &spec_for(&d.coa), &DecisionContext::received_on(d.received_on));
        assert!(
            !decision.reasons.iter().any(|r| matches!(
                r,
                Reason::MissingRequired { .. }
                    | Reason::UnitMismatch { .. }
                    | Reason::Expired { .. }
                    | Reason::Indeterminate { .. }
                    | Reason::SupplierLimitsWider { .. }
            )),
            "{:?}",
            decision.reasons
        );
        total += 1;
        accepted += usize::from(decision.outcome == Outcome::Accepted);
    }
    let share = accepted as f64 / total as f64;
    assert!(share > 0.95 && share < 0.995, "{accepted} of {total} accepted");
}

#[test]
fn the_incomplete_supplier_misses_required_characteristics_on_about_a_third_of_its_lots() {
    let incomplete = supplier(Profile::Incomplete);
    let lots: Vec<&DemoCoa> = demo_coas().iter().filter(|d| d.coa.supplier.id == incomplete.id).collect();
    assert!(lots.len() > 150);
    let missing = lots
        .iter()
        .filter(|d| {
            decide(&d.coa, &spec_for(&d.coa), &DecisionContext::received_on(d.received_on))
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::MissingRequired { .. }))
        })
        .count();
    let share = missing as f64 / lots.len() as f64;
    assert!((0.25..=0.42).contains(&share), "{missing} of {} lots miss a required characteristic", lots.len());
}

/// Phase I on the first 25 lots, Phase II with the Western Electric rules on the rest: (alarms in the first
/// year, alarms in the second year).
fn alarms_by_year(supplier_id: &str, material: &str, characteristic: &str) -> (usize, usize) {
    let lots = of(supplier_id, material);
    let values: Vec<f64> =
        lots.iter().map(|d| d.coa.characteristic(characteristic).unwrap().result.central()).collect();
    let baseline = phase1(Samples::Individuals(&values[..25]), &Phase1Options::default()).unwrap();
    let alarms =
        phase2(&baseline.frozen, Samples::Individuals(&values[25..]), Some(&RuleSet::western_electric())).unwrap();
    let second_year = END - Duration::days(365);
    let points: BTreeSet<usize> = alarms.iter().map(|a| a.index + 25).collect();
    let late = points.iter().filter(|&&i| lots[i].coa.lot.manufactured_on >= second_year).count();
    (points.len() - late, late)
}

#[test]
fn the_drifting_supplier_signals_in_the_second_year_and_the_steady_one_hardly() {
    let drifting = supplier(Profile::Drifting);
    assert_eq!(drifting.materials, ["NMC811"]);
    let steady = demo::suppliers()
        .into_iter()
        .find(|s| s.profile == Profile::Steady && s.materials.contains(&"NMC811".to_owned()))
        .unwrap();
    for characteristic in ["D50", "Moisture"] {
        let (first, second) = alarms_by_year(&drifting.id, "NMC811", characteristic);
        assert!(second >= 30 && second >= 4 * first.max(1), "{characteristic}: {first} then {second} alarmed lots");
        let (steady_first, steady_second) = alarms_by_year(&steady.id, "NMC811", characteristic);
        assert!(
            steady_first + steady_second <= 25 && 2 * (steady_first + steady_second) <= second,
            "{characteristic}: steady {steady_first} + {steady_second} alarmed lots, drifting {second}"
        );
    }
    // The drift is steady: D50 is in specification for months, then approaches the upper limit.
    let lots = of(&drifting.id, "NMC811");
    let d50 = |from: Date, to: Date| {
        let v: Vec<f64> = lots
            .iter()
            .filter(|d| d.coa.lot.manufactured_on >= from && d.coa.lot.manufactured_on < to)
            .map(|d| d.coa.characteristic("D50").unwrap().result.central())
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let year_ago = END - Duration::days(365);
    let first_year = d50(END - Duration::days(730), year_ago);
    let last_quarter = d50(END - Duration::days(91), END);
    assert!((10.5..=11.5).contains(&first_year), "first year D50 {first_year}");
    assert!(last_quarter - first_year > 0.9, "last quarter D50 {last_quarter}");
}

#[test]
fn a_shorter_period_is_covered_too() {
    let one_year = demo::coas(END, 1, SEED);
    assert!(one_year.len() * 3 < demo_coas().len() * 2);
    assert!(one_year.iter().all(|d| d.received_on > END - Duration::days(366)));
}

// ----- the benchmark -----

#[test]
fn the_bench_spec_has_twenty_characteristics() {
    let spec = demo::bench_spec();
    assert_eq!(spec.material, "BENCH-CATHODE");
    assert_eq!(spec.supplier, None);
    assert_eq!(spec.version, 1);
    assert_eq!(spec.characteristics.len(), 20);
    let names: BTreeSet<&str> = spec.characteristics.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 20);
    assert!(spec.characteristics.iter().all(|c| c.lsl.is_some() || c.usl.is_some()));
}

#[test]
fn bench_coas_are_valid_distinct_spread_and_mostly_accepted() {
    let spec = demo::bench_spec();
    let coas: Vec<Coa> = demo::bench_coas(3_000, 7, END, 11).collect();
    assert_eq!(coas.len(), 3_000);
    let lots: BTreeSet<&str> = coas.iter().map(|c| c.lot.number.as_str()).collect();
    assert_eq!(lots.len(), coas.len(), "lot numbers are unique");
    let suppliers: BTreeSet<&str> = coas.iter().map(|c| c.supplier.id.as_str()).collect();
    assert_eq!(suppliers.len(), 7);
    assert!(suppliers.iter().all(|id| is_bpnl(id) && id.starts_with("BPNLBENCH")), "{suppliers:?}");
    let start = END - Duration::days(730);
    assert!(coas.windows(2).all(|w| w[0].lot.manufactured_on <= w[1].lot.manufactured_on));
    assert!(coas[0].lot.manufactured_on - start <= Duration::days(1));
    assert!(END - coas[2_999].lot.manufactured_on <= Duration::days(1));
    assert!(coas.iter().all(|c| c.lot.manufactured_on >= start && c.lot.manufactured_on <= END));

    let intake = Intake::default().with_materials(["BENCH-CATHODE"]);
    let mut accepted = 0;
    for (i, coa) in coas.iter().enumerate() {
        assert_eq!(coa.characteristics.len(), 20);
        if i % 10 == 0 {
            let parsed = parse_json_with(&serde_json::to_vec(coa).unwrap(), &intake)
                .unwrap_or_else(|e| panic!("{}: {e}", coa.lot.number));
            assert_eq!(&parsed, coa);
        }
        let received = coa.lot.manufactured_on + Duration::days(5);
        let decision = decide(coa, &spec, &DecisionContext::received_on(received));
        accepted += usize::from(decision.outcome == Outcome::Accepted);
    }
    assert!(accepted as f64 > 0.95 * coas.len() as f64, "{accepted} accepted");
    assert!(accepted < coas.len(), "a few lots are out of specification");
}

#[test]
fn bench_coas_are_deterministic_and_lazy() {
    let a: Vec<Coa> = demo::bench_coas(200, 5, END, 3).collect();
    let b: Vec<Coa> = demo::bench_coas(200, 5, END, 3).collect();
    assert_eq!(a, b);
    let c: Vec<Coa> = demo::bench_coas(200, 5, END, 4).collect();
    assert_ne!(a, c);
    // A count far beyond memory: only what is taken is made.
    let mut huge = demo::bench_coas(usize::MAX / 4, 10, END, 3);
    assert_eq!(huge.size_hint(), (usize::MAX / 4, Some(usize::MAX / 4)));
    let first = huge.next().unwrap();
    assert_eq!(first.characteristics.len(), 20);
}
