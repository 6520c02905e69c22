//! How each catalogue characteristic behaves at a capable supplier: centre, lot-to-lot spread, reporting
//! precision, detection limit and replicate summaries. Centres sit inside the catalogue limits with a Cpk
//! of about 1.6–2.0 before each supplier's own offset and spread factor.

/// One characteristic's lot-to-lot process, in the catalogue's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Process {
    pub name: &'static str,
    pub mean: f64,
    pub sd: f64,
    /// Reported decimals.
    pub decimals: i32,
    /// Results below it are reported as "<limit" (trace impurities).
    pub detection_limit: Option<f64>,
    /// Reported as a summary of `n` replicates with this within-lot standard deviation.
    pub replicates: Option<(u32, f64)>,
}

const fn p(name: &'static str, mean: f64, sd: f64, decimals: i32) -> Process {
    Process { name, mean, sd, decimals, detection_limit: None, replicates: None }
}

impl Process {
    const fn dl(mut self, limit: f64) -> Process {
        self.detection_limit = Some(limit);
        self
    }

    const fn summary(mut self, n: u32, within_sd: f64) -> Process {
        self.replicates = Some((n, within_sd));
        self
    }
}

/// NMC811: D50 9–13 µm (target 11), BET 0.2–0.7, tap ≥ 2.2, moisture ≤ 300 ppm, LiOH ≤ 0.6 %, Li2CO3 ≤ 0.4 %,
/// Ni 78–82 / Co 9–11 / Mn 9–11 mol%, Fe ≤ 50, Cu ≤ 10, Zn ≤ 20, Na ≤ 300 ppm, magnetics ≤ 100 ppb.
const NMC811: &[Process] = &[
    p("D50", 11.0, 0.4, 2).summary(3, 0.12),
    p("D10", 5.2, 0.25, 2),
    p("D90", 19.8, 1.0, 1),
    p("BET", 0.45, 0.05, 2),
    p("Tap density", 2.40, 0.04, 2),
    p("Moisture", 170.0, 25.0, 0),
    p("LiOH", 0.35, 0.05, 2),
    p("Li2CO3", 0.22, 0.035, 3),
    p("Ni", 80.0, 0.4, 1),
    p("Co", 10.0, 0.2, 2),
    p("Mn", 10.0, 0.2, 2),
    p("Fe", 14.0, 6.0, 1).dl(2.0),
    p("Cu", 2.5, 1.3, 1).dl(1.0),
    p("Zn", 5.0, 2.5, 1).dl(1.0),
    p("Na", 120.0, 35.0, 0),
    p("Magnetic impurities", 40.0, 12.0, 0).dl(20.0),
    p("pH", 11.7, 0.1, 2),
    p("First discharge capacity", 207.0, 1.4, 1),
];

/// LFP: D50 0.8–3 µm, BET 8–16, tap ≥ 1.0, carbon 1–3 %, moisture ≤ 500, Cu ≤ 10, Zn/Cr ≤ 20, Na ≤ 100 ppm.
const LFP: &[Process] = &[
    p("D50", 1.9, 0.2, 2).summary(3, 0.05),
    p("BET", 12.0, 0.8, 1),
    p("Tap density", 1.25, 0.05, 2),
    p("Carbon", 2.0, 0.18, 2),
    p("Moisture", 300.0, 40.0, 0),
    p("Cu", 2.5, 1.3, 1).dl(1.0),
    p("Zn", 5.0, 2.5, 1).dl(1.0),
    p("Cr", 5.0, 2.5, 1).dl(1.0),
    p("Na", 40.0, 11.0, 0),
    p("First discharge capacity", 160.0, 1.0, 1),
];

/// Graphite: D50 14–20 µm, BET 0.8–2, tap ≥ 0.9, moisture ≤ 500, ash ≤ 0.05 %, Fe ≤ 20 ppm, magnetics ≤ 100
/// ppb, capacity ≥ 350 mAh/g, ICE ≥ 93 %, d002 0.3354–0.3370 nm.
const GRAPHITE: &[Process] = &[
    p("D50", 17.0, 0.6, 2).summary(3, 0.2),
    p("BET", 1.4, 0.12, 2),
    p("Tap density", 1.02, 0.025, 3),
    p("Moisture", 250.0, 50.0, 0),
    p("Ash", 0.02, 0.006, 3),
    p("Fe", 6.0, 2.5, 1).dl(1.0),
    p("Magnetic impurities", 35.0, 12.0, 0).dl(20.0),
    p("First discharge capacity", 355.0, 1.0, 1),
    p("Initial coulombic efficiency", 94.5, 0.3, 1),
    p("d002", 0.3362, 0.00015, 4),
];

/// Electrolyte: water ≤ 20, HF ≤ 50 ppm, LiPF6 0.95–1.05 mol/L, conductivity 8.5–10.5 mS/cm, density
/// 1.17–1.23, viscosity 3–4.5 mPa·s, colour ≤ 50 APHA, Fe ≤ 1, Na ≤ 5 ppm.
const ELECTROLYTE: &[Process] = &[
    p("Water", 8.0, 2.4, 1),
    p("HF", 22.0, 5.5, 0),
    p("LiPF6 concentration", 1.0, 0.01, 3),
    p("Conductivity", 9.5, 0.2, 2),
    p("Density", 1.20, 0.006, 3),
    p("Viscosity", 3.75, 0.15, 2),
    p("Colour", 20.0, 6.0, 0).dl(10.0),
    p("Fe", 0.3, 0.12, 2).dl(0.1),
    p("Na", 1.5, 0.7, 1).dl(0.5),
];

/// Separator: thickness 11–13 µm, porosity 38–48 %, Gurley 100–250 s/100cc, tensile MD ≥ 140 / TD ≥ 120 MPa,
/// shrinkage MD ≤ 5 %, puncture ≥ 3.9 N.
const SEPARATOR: &[Process] = &[
    p("Thickness", 12.0, 0.2, 2).summary(5, 0.08),
    p("Porosity", 43.0, 1.0, 1),
    p("Air permeability", 175.0, 15.0, 0),
    p("Tensile strength MD", 165.0, 5.0, 0),
    p("Tensile strength TD", 145.0, 5.0, 0),
    p("Thermal shrinkage MD", 3.0, 0.4, 1),
    p("Puncture strength", 4.6, 0.14, 2),
];

/// Aluminium foil: thickness 11.5–12.5 µm, areal weight 31–33.8 g/m², tensile ≥ 180 MPa, elongation ≥ 1.5 %.
const AL_FOIL: &[Process] = &[
    p("Thickness", 12.0, 0.1, 2).summary(5, 0.04),
    p("Areal weight", 32.4, 0.28, 2),
    p("Tensile strength", 205.0, 5.0, 0),
    p("Elongation", 2.5, 0.2, 2),
];

/// Copper foil: thickness 7.6–8.4 µm, areal weight 69.5–73.5 g/m², tensile ≥ 300 MPa, elongation ≥ 3 %,
/// Rz ≤ 2 µm.
const CU_FOIL: &[Process] = &[
    p("Thickness", 8.0, 0.08, 2).summary(5, 0.03),
    p("Areal weight", 71.5, 0.4, 2),
    p("Tensile strength", 340.0, 8.0, 0),
    p("Elongation", 5.0, 0.4, 1),
    p("Surface roughness Rz", 1.3, 0.14, 2),
];

/// The benchmark cathode: NMC811-like, 20 characteristics (see [`super::bench::bench_spec`]).
pub(super) const BENCH: &[Process] = &[
    p("D10", 5.0, 0.28, 2),
    p("D50", 11.0, 0.4, 2).summary(3, 0.12),
    p("D90", 19.5, 1.0, 1),
    p("BET", 0.45, 0.05, 2),
    p("Tap density", 2.40, 0.04, 2),
    p("Moisture", 170.0, 25.0, 0),
    p("LiOH", 0.35, 0.05, 2),
    p("Li2CO3", 0.22, 0.035, 3),
    p("Ni", 80.0, 0.4, 1),
    p("Co", 10.0, 0.2, 2),
    p("Mn", 10.0, 0.2, 2),
    p("Fe", 14.0, 6.0, 1).dl(2.0),
    p("Cu", 2.5, 1.3, 1).dl(1.0),
    p("Zn", 5.0, 2.5, 1).dl(1.0),
    p("Na", 120.0, 35.0, 0),
    p("Cr", 4.0, 2.0, 1).dl(1.0),
    p("S", 800.0, 130.0, 0),
    p("Magnetic impurities", 40.0, 12.0, 0).dl(20.0),
    p("pH", 11.7, 0.1, 2),
    p("First discharge capacity", 207.0, 1.4, 1),
];

/// The processes of a catalogue material.
pub(super) fn processes(material: &str) -> &'static [Process] {
    match material {
        "NMC811" => NMC811,
        "LFP" => LFP,
        "GRAPHITE" => GRAPHITE,
        "ELECTROLYTE-LIPF6" => ELECTROLYTE,
        "SEPARATOR-PE-12" => SEPARATOR,
        "AL-FOIL-12" => AL_FOIL,
        "CU-FOIL-8" => CU_FOIL,
        _ => &[],
    }
}

/// The process of a characteristic, by its specification name.
pub(super) fn find(table: &'static [Process], name: &str) -> Option<&'static Process> {
    table.iter().find(|p| p.name == name)
}

/// Delivery and storage of a material: counting unit, lot size range and step, shelf life.
#[derive(Debug, Clone, Copy)]
pub(super) struct Logistics {
    pub unit: &'static str,
    pub min: u32,
    pub max: u32,
    pub step: u32,
    pub shelf_life_days: i64,
}

pub(super) fn logistics(material: &str) -> Logistics {
    let (unit, min, max, step, shelf_life_days) = match material {
        "NMC811" => ("kg", 1_000, 5_000, 500, 365),
        "LFP" => ("kg", 2_000, 10_000, 1_000, 730),
        "GRAPHITE" => ("kg", 2_000, 8_000, 500, 730),
        "ELECTROLYTE-LIPF6" => ("kg", 800, 4_000, 200, 365),
        "SEPARATOR-PE-12" => ("m2", 20_000, 60_000, 2_000, 730),
        "AL-FOIL-12" => ("m2", 20_000, 60_000, 4_000, 540),
        "CU-FOIL-8" => ("m2", 15_000, 45_000, 3_000, 365),
        _ => ("kg", 1_000, 1_000, 1_000, 365),
    };
    Logistics { unit, min, max, step, shelf_life_days }
}
