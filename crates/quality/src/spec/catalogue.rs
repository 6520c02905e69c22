//! Default material specifications for demo data: plausible characteristics and limits for the materials
//! of a lithium-ion cell. Values are typical of published datasheets, standards and papers, not any one
//! supplier's contract; each material names the kind of source.

use super::model::{MaterialSpec, SpecCharacteristic as C};
use crate::ecoa::units::Unit::{self, *};

const LASER: &str = "ISO 13320 laser diffraction";
const BET: &str = "ISO 9277 BET (N2)";
const TAP: &str = "ISO 787-11 tapped density";
const KF: &str = "Karl Fischer coulometric";
const ICP: &str = "ICP-OES";
const WARDER: &str = "Acid-base titration (Warder)";
const TENSILE: &str = "Tensile test (ASTM D882 / ISO 527-3)";
const COIN: &str = "Coin half cell, 0.1C";

/// All default specifications, version 1, not supplier-specific.
pub fn catalogue() -> Vec<MaterialSpec> {
    vec![nmc811(), lfp(), graphite(), electrolyte(), separator(), aluminium_foil(), copper_foil()]
}

fn spec(material: &str, title: &str, characteristics: Vec<C>) -> MaterialSpec {
    MaterialSpec { material: material.into(), supplier: None, version: 1, title: title.into(), characteristics }
}

fn ppm_at_most(name: &str, usl: f64) -> C {
    C::required(name, Ppm).method(ICP).at_most(usl)
}

/// Sources: cathode makers' datasheets and published NCM811 co-precipitation studies (polycrystalline
/// NCM811 tap density 2.2–2.45 g/cm³, BET a few tenths of m²/g); procurement notes on residual lithium
/// (Li2CO3 above about 0.5 wt% gels PVDF slurries).
fn nmc811() -> MaterialSpec {
    let metal = |name: &str| C::required(name, MolePercent).method(ICP).reproducibility(0.5);
    spec(
        "NMC811",
        "NMC811 cathode active material, polycrystalline LiNi0.8Mn0.1Co0.1O2",
        vec![
            C::required("D50", Micrometre).alias("Dv50").method(LASER).between(9.0, 13.0).target(11.0).critical(),
            C::optional("D10", Micrometre).alias("Dv10").method(LASER).at_least(4.0),
            C::optional("D90", Micrometre).alias("Dv90").method(LASER).at_most(25.0),
            C::required("BET", SquareMetrePerGram).alias("Specific surface area").method(BET).between(0.2, 0.7),
            C::required("Tap density", GramPerCubicCentimetre).method(TAP).at_least(2.2).reproducibility(0.1),
            C::required("Moisture", Ppm).alias("Water").method(KF).at_most(300.0).reproducibility(50.0),
            C::required("LiOH", Percent).method(WARDER).at_most(0.6).critical().reproducibility(0.05),
            C::required("Li2CO3", Percent).method(WARDER).at_most(0.4).critical().reproducibility(0.05),
            metal("Ni").between(78.0, 82.0).target(80.0),
            metal("Co").between(9.0, 11.0).target(10.0),
            metal("Mn").between(9.0, 11.0).target(10.0),
            ppm_at_most("Fe", 50.0).reproducibility(5.0),
            ppm_at_most("Cu", 10.0).critical(),
            ppm_at_most("Zn", 20.0),
            ppm_at_most("Na", 300.0),
            C::optional("Magnetic impurities", Ppb).method("Magnetic separation + ICP-OES").at_most(100.0).critical(),
            C::optional("pH", One).method("5 g in 50 mL water").at_most(12.2),
            C::optional("First discharge capacity", MilliampereHourPerGram).method(COIN).at_least(200.0),
        ],
    )
}

/// Sources: battery-grade LFP specifications as summarised by producers and bulk handlers (BET 8–16 m²/g,
/// tap density 1.0–1.5 g/cm³, carbon coating 1–3 %, moisture < 500 ppm) and comparisons of LFP from
/// several sources (carbon content and particle size drive rate capability).
fn lfp() -> MaterialSpec {
    spec(
        "LFP",
        "LFP cathode active material, carbon-coated LiFePO4",
        vec![
            C::required("D50", Micrometre).alias("Dv50").method(LASER).between(0.8, 3.0).reproducibility(0.2),
            C::required("BET", SquareMetrePerGram).alias("Specific surface area").method(BET).between(8.0, 16.0),
            C::required("Tap density", GramPerCubicCentimetre).method(TAP).at_least(1.0),
            C::required("Carbon", Percent).method("Combustion IR (ISO 15350)").between(1.0, 3.0).reproducibility(0.1),
            C::required("Moisture", Ppm).alias("Water").method(KF).at_most(500.0),
            ppm_at_most("Cu", 10.0).critical(),
            ppm_at_most("Zn", 20.0),
            ppm_at_most("Cr", 20.0),
            ppm_at_most("Na", 100.0),
            C::optional("First discharge capacity", MilliampereHourPerGram).method(COIN).at_least(155.0),
        ],
    )
}

/// Sources: graphite anode makers' notes on technical indicators and the Chinese national standard for
/// graphite anode materials (initial coulombic efficiency, d002, magnetic substances ≤ 0.1 ppm, Karl
/// Fischer moisture, laser particle size).
fn graphite() -> MaterialSpec {
    spec(
        "GRAPHITE",
        "Artificial graphite anode active material",
        vec![
            C::required("D50", Micrometre).alias("Dv50").method(LASER).between(14.0, 20.0).target(17.0),
            C::required("BET", SquareMetrePerGram).alias("Specific surface area").method(BET).between(0.8, 2.0),
            C::required("Tap density", GramPerCubicCentimetre).method(TAP).at_least(0.9),
            C::required("Moisture", Ppm).alias("Water").method(KF).at_most(500.0),
            C::required("Ash", Percent).method("ISO 8005 ash at 950 °C").at_most(0.05),
            ppm_at_most("Fe", 20.0),
            C::optional("Magnetic impurities", Ppb).method("Magnetic separation + ICP-OES").at_most(100.0).critical(),
            C::required("First discharge capacity", MilliampereHourPerGram).method(COIN).at_least(350.0),
            C::required("Initial coulombic efficiency", Percent).alias("ICE").method(COIN).at_least(93.0),
            C::optional("d002", Nanometre).method("XRD").between(0.3354, 0.3370),
        ],
    )
}

/// Sources: electrolyte makers' specifications and titrator application notes (water below 20 mg/kg
/// because it hydrolyses LiPF6 to HF; free acid as HF by titration), commercial 1.0–1.2 M LiPF6 in EC
/// with linear carbonates (conductivity about 9–10 mS/cm at 25 °C).
fn electrolyte() -> MaterialSpec {
    spec(
        "ELECTROLYTE-LIPF6",
        "Electrolyte, 1.0 M LiPF6 in EC/EMC 3:7 (w/w)",
        vec![
            C::required("Water", Ppm).alias("Moisture").method(KF).at_most(20.0).critical().reproducibility(5.0),
            C::required("HF", Ppm).alias("Free acid").method("Acid-base titration").at_most(50.0).critical(),
            C::required("LiPF6 concentration", Unit::parse("mol/L")).method("Ion chromatography").between(0.95, 1.05),
            C::required("Conductivity", MilliSiemensPerCentimetre)
                .method("Conductivity cell, 25 °C")
                .between(8.5, 10.5),
            C::optional("Density", GramPerCubicCentimetre).method("Oscillating U-tube, 25 °C").between(1.17, 1.23),
            C::optional("Viscosity", MilliPascalSecond).method("Rotational viscometer, 25 °C").between(3.0, 4.5),
            C::optional("Colour", Unit::parse("APHA")).method("ASTM D1209").at_most(50.0),
            C::optional("Fe", Ppm).method(ICP).at_most(1.0),
            C::optional("Na", Ppm).method(ICP).at_most(5.0),
        ],
    )
}

/// Sources: separator makers' technical notes (Gurley as seconds for 100 mL of air at 1.21 kPa,
/// thickness, porosity, shutdown) and a review of microporous polyolefin separators' properties.
fn separator() -> MaterialSpec {
    spec(
        "SEPARATOR-PE-12",
        "Wet-process polyethylene separator, 12 µm",
        vec![
            C::required("Thickness", Micrometre)
                .method("ISO 4593 contact gauge")
                .between(11.0, 13.0)
                .target(12.0)
                .critical(),
            C::required("Porosity", Percent).method("Gravimetric").between(38.0, 48.0),
            C::required("Air permeability", SecondsPer100Cc)
                .alias("Gurley")
                .method("ISO 5636-5 Gurley")
                .between(100.0, 250.0),
            C::required("Tensile strength MD", Megapascal).method(TENSILE).at_least(140.0),
            C::required("Tensile strength TD", Megapascal).method(TENSILE).at_least(120.0),
            C::required("Thermal shrinkage MD", Percent).method("105 °C, 1 h").at_most(5.0),
            C::optional("Puncture strength", Unit::parse("N")).method("ASTM F1306").at_least(3.9),
        ],
    )
}

/// Sources: battery-foil makers' requirement notes (1235/1060 alloys, H18 temper, tensile strength of at
/// least 180 MPa) and a foil specification sheet's gauge tolerances; areal weight from 2.70 g/cm³ × 12 µm.
fn aluminium_foil() -> MaterialSpec {
    spec(
        "AL-FOIL-12",
        "Aluminium foil 1235-H18, 12 µm, cathode current collector",
        vec![
            C::required("Thickness", Micrometre).method("Micrometer").between(11.5, 12.5).target(12.0).critical(),
            C::required("Areal weight", GramPerSquareMetre).method("Gravimetric").between(31.0, 33.8),
            C::required("Tensile strength", Megapascal).method(TENSILE).at_least(180.0),
            C::required("Elongation", Percent).method(TENSILE).at_least(1.5),
        ],
    )
}

/// Sources: studies and patents on electrodeposited copper foil for Li-ion anodes (tensile strength
/// 40–65 kgf/mm², about 390–640 MPa, at room temperature) and foil makers' notes on surface roughness;
/// areal weight from 8.96 g/cm³ × 8 µm.
fn copper_foil() -> MaterialSpec {
    spec(
        "CU-FOIL-8",
        "Electrodeposited copper foil, 8 µm, anode current collector",
        vec![
            C::required("Thickness", Micrometre)
                .method("Gravimetric thickness")
                .between(7.6, 8.4)
                .target(8.0)
                .critical(),
            C::required("Areal weight", GramPerSquareMetre).method("Gravimetric").between(69.5, 73.5),
            C::required("Tensile strength", Megapascal).method(TENSILE).at_least(300.0),
            C::required("Elongation", Percent).method(TENSILE).at_least(3.0),
            C::optional("Surface roughness Rz", Micrometre).method("ISO 4287 profilometer").at_most(2.0),
        ],
    )
}
