//! The benchmark: one cathode material with 20 characteristics and as many CoAs as asked, made lazily.

use super::draw::{Draw, bounds, fake_sha256, normal};
use super::mix;
use super::process::{BENCH, Process};
use crate::ecoa::units::Unit::*;
use crate::ecoa::{Approval, Coa, ECOA_VERSION, Limits, Lot, Material, Quantity, Supplier, SupplierIdScheme};
use crate::spec::{MaterialSpec, SpecCharacteristic as C};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use time::{Date, Duration};

/// The benchmark material's id.
const BENCH_MATERIAL: &str = "BENCH-CATHODE";

const LASER: &str = "ISO 13320 laser diffraction";
const ICP: &str = "ICP-OES";
const WARDER: &str = "Acid-base titration (Warder)";

/// The benchmark specification: material "BENCH-CATHODE", general (no supplier), version 1, exactly 20
/// characteristics (an NMC811-like cathode: particle size, surface, density, moisture, residual lithium,
/// composition, impurities, pH, capacity).
pub fn bench_spec() -> MaterialSpec {
    let ppm = |name: &str, usl: f64| C::required(name, Ppm).method(ICP).at_most(usl);
    let metal = |name: &str, lsl: f64, usl: f64| C::required(name, MolePercent).method(ICP).between(lsl, usl);
    MaterialSpec {
        material: BENCH_MATERIAL.to_owned(),
        supplier: None,
        version: 1,
        title: "Benchmark cathode active material (NMC811-like, 20 characteristics)".to_owned(),
        characteristics: vec![
            C::required("D10", Micrometre).method(LASER).at_least(3.5),
            C::required("D50", Micrometre).method(LASER).between(9.0, 13.0).target(11.0).critical(),
            C::required("D90", Micrometre).method(LASER).at_most(25.0),
            C::required("BET", SquareMetrePerGram).method("ISO 9277 BET (N2)").between(0.2, 0.7),
            C::required("Tap density", GramPerCubicCentimetre).method("ISO 787-11 tapped density").at_least(2.2),
            C::required("Moisture", Ppm).method("Karl Fischer coulometric").at_most(300.0),
            C::required("LiOH", Percent).method(WARDER).at_most(0.6).critical(),
            C::required("Li2CO3", Percent).method(WARDER).at_most(0.4).critical(),
            metal("Ni", 78.0, 82.0),
            metal("Co", 9.0, 11.0),
            metal("Mn", 9.0, 11.0),
            ppm("Fe", 50.0),
            ppm("Cu", 10.0).critical(),
            ppm("Zn", 20.0),
            ppm("Na", 300.0),
            ppm("Cr", 20.0),
            ppm("S", 1500.0),
            C::required("Magnetic impurities", Ppb).method("Magnetic separation + ICP-OES").at_most(100.0).critical(),
            C::optional("pH", One).method("5 g in 50 mL water").at_most(12.2),
            C::optional("First discharge capacity", MilliampereHourPerGram)
                .method("Coin half cell, 0.1C")
                .at_least(200.0),
        ],
    }
}

/// `count` CoAs for [`bench_spec`] from `suppliers` suppliers (at least one; ids "BPNLBENCH" and 7 digits,
/// taken in turn), 20 characteristics each, lot numbers unique ("BENCH-" and 9 digits, the CoA's index),
/// manufactured evenly over the two years (730 days) ending at `end`, in that order. About 1 % of lots are
/// out of specification. Made one at a time (each from its own seed stream), so any count fits in memory.
pub fn bench_coas(count: usize, suppliers: usize, end: Date, seed: u64) -> impl Iterator<Item = Coa> {
    let spec = bench_spec();
    debug_assert!(spec.characteristics.iter().zip(BENCH).all(|(c, p)| c.name == p.name));
    let suppliers = suppliers.max(1);
    let start = end - Duration::days(730);
    (0..count).map(move |i| bench_coa(&spec, i, count, suppliers, start, seed))
}

fn bench_coa(spec: &MaterialSpec, i: usize, count: usize, suppliers: usize, start: Date, seed: u64) -> Coa {
    let s = i % suppliers;
    // Each supplier's own centre and spread, the same for all its lots.
    let mut supplier_rng = SmallRng::seed_from_u64(mix(seed ^ 0xBE4C_5EED, s as u64));
    let mut rng = SmallRng::seed_from_u64(mix(seed, i as u64 + 1));
    let day = (i as u128 * 730 / count.max(1) as u128) as i64;
    let manufactured = start + Duration::days(day);
    let beyond = if rng.random_bool(0.01) {
        let k = rng.random_range(0..spec.characteristics.len());
        let sides = bounds(&spec.characteristics[k]);
        Some((k, sides[rng.random_range(0..sides.len())]))
    } else {
        None
    };
    let characteristics = spec
        .characteristics
        .iter()
        .zip(BENCH)
        .enumerate()
        .map(|(k, (c, p)): (usize, (&C, &Process))| {
            let offset = supplier_rng.random_range(-0.3..0.3);
            let spread = supplier_rng.random_range(0.85..1.1);
            let value = normal(&mut rng, p.mean + offset * p.sd, p.sd * spread);
            Draw {
                spec: c,
                process: p,
                value,
                beyond: beyond.filter(|b| b.0 == k).map(|b| b.1),
                limits: Some(Limits { lower: c.lsl, upper: c.usl, target: c.target }),
            }
            .characteristic(&mut rng)
        })
        .collect();
    let issued = manufactured + Duration::days(1);
    Coa {
        ecoa_version: ECOA_VERSION.to_owned(),
        document_id: format!("BENCH-COA-{i:09}"),
        issued_on: Some(issued),
        supplier: Supplier {
            id: format!("BPNLBENCH{s:07}"),
            id_scheme: SupplierIdScheme::Bpn,
            name: format!("Bench Cathode Supplier {s}"),
        },
        material: Material {
            id: BENCH_MATERIAL.to_owned(),
            name: Some("Benchmark NCM cathode".to_owned()),
            supplier_material_number: Some(format!("BCS-{s}-NCM")),
        },
        lot: Lot {
            number: format!("BENCH-{i:09}"),
            quantity: Some(Quantity { value: f64::from(rng.random_range(2u32..=10) * 500), unit: "kg".to_owned() }),
            manufactured_on: manufactured,
            expires_on: Some(manufactured + Duration::days(365)),
        },
        purchase_order: Some(format!("45{:08}", 10_000 + s % 90_000_000)),
        delivery_note: Some(format!("DN-BENCH-{i:09}")),
        characteristics,
        approval: Approval {
            approved_by: "Bench QA".to_owned(),
            approved_on: Some(issued),
            signature: None,
            document_sha256: Some(fake_sha256(&mut rng)),
        },
        attachments: Vec::new(),
    }
}
