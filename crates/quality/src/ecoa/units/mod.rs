//! The small unit system CoAs use: mass fractions, lengths, surface areas, densities, conductivities,
//! viscosities, stresses, temperatures and a few battery-specific ones.
//!
//! [`convert`] converts only within one [`Dimension`] (ppm ↔ mg/kg ↔ %, µm ↔ nm, mS/cm ↔ S/m, °C ↔ K, ...);
//! everything else is a [`UnitError`], never a silent comparison of numbers in different units. Scales are
//! powers of ten, applied by multiplying or dividing by an exact power of ten, so 5000 ppm is exactly 0.5 %.
//! Spellings are parsed leniently ([`Unit::parse`]: `µm`, `um`, `micron`; `m2/g`, `m²/g`; `wt%`, `wt.%`).
//! A spelling we do not know is kept as [`Unit::Other`]: it compares only with the very same spelling.

mod spelling;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What a unit measures; conversions stay inside one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Mass fraction: %, wt%, ppm, ppb, mg/kg, g/kg (moisture and impurities included).
    MassFraction,
    /// Mole (amount) fraction, e.g. Ni/Co/Mn ratios on a metal basis; not convertible to a mass fraction
    /// without molar masses.
    MoleFraction,
    /// Lengths: thicknesses, particle sizes, roughness.
    Length,
    SpecificSurfaceArea,
    Density,
    /// Mass per area (foil and separator areal weight).
    ArealDensity,
    Conductivity,
    Viscosity,
    /// Tensile strength and other stresses.
    Stress,
    Temperature,
    /// Gurley air permeability: seconds for 100 cm³ of air.
    AirPermeability,
    SpecificCapacity,
    Dimensionless,
    /// A spelling we do not know.
    Other,
}

/// A unit of measure. Serialized as its canonical symbol ([`Unit::symbol`]); deserialized leniently.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Unit {
    Percent,
    Ppm,
    Ppb,
    MilligramPerKilogram,
    GramPerKilogram,
    MolePercent,
    Metre,
    Millimetre,
    Micrometre,
    Nanometre,
    SquareMetrePerGram,
    GramPerCubicCentimetre,
    KilogramPerCubicMetre,
    GramPerSquareMetre,
    MilligramPerSquareCentimetre,
    MilliSiemensPerCentimetre,
    MicroSiemensPerCentimetre,
    SiemensPerMetre,
    MilliPascalSecond,
    Centipoise,
    PascalSecond,
    Megapascal,
    NewtonPerSquareMillimetre,
    Celsius,
    Kelvin,
    SecondsPer100Cc,
    MilliampereHourPerGram,
    /// Dimensionless ("1", "-", or no unit): pH, colour numbers, ratios.
    One,
    /// An unknown spelling, kept as written (trimmed).
    Other(String),
}

/// A conversion or spelling that is not sound.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UnitError {
    #[error("cannot convert {from} ({from_dimension:?}) to {to} ({to_dimension:?}): different quantities")]
    Incompatible { from: String, to: String, from_dimension: Dimension, to_dimension: Dimension },
    #[error("cannot convert between unknown units `{from}` and `{to}`")]
    UnknownUnits { from: String, to: String },
    #[error("value {value} is not a finite number")]
    NotFinite { value: f64 },
}

/// Exact powers of ten up to 10^22 (all exactly representable as f64).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

impl Unit {
    /// Parses a spelling leniently; unknown spellings become [`Unit::Other`] (never an error).
    pub fn parse(spelling: &str) -> Unit {
        spelling::parse(spelling)
    }

    /// The canonical symbol, as written in our JSON.
    pub fn symbol(&self) -> &str {
        use Unit::*;
        match self {
            Percent => "%",
            Ppm => "ppm",
            Ppb => "ppb",
            MilligramPerKilogram => "mg/kg",
            GramPerKilogram => "g/kg",
            MolePercent => "mol%",
            Metre => "m",
            Millimetre => "mm",
            Micrometre => "µm",
            Nanometre => "nm",
            SquareMetrePerGram => "m²/g",
            GramPerCubicCentimetre => "g/cm³",
            KilogramPerCubicMetre => "kg/m³",
            GramPerSquareMetre => "g/m²",
            MilligramPerSquareCentimetre => "mg/cm²",
            MilliSiemensPerCentimetre => "mS/cm",
            MicroSiemensPerCentimetre => "µS/cm",
            SiemensPerMetre => "S/m",
            MilliPascalSecond => "mPa·s",
            Centipoise => "cP",
            PascalSecond => "Pa·s",
            Megapascal => "MPa",
            NewtonPerSquareMillimetre => "N/mm²",
            Celsius => "°C",
            Kelvin => "K",
            SecondsPer100Cc => "s/100cc",
            MilliampereHourPerGram => "mAh/g",
            One => "1",
            Other(s) => s,
        }
    }

    /// The quantity this unit measures.
    pub fn dimension(&self) -> Dimension {
        self.scale().0
    }

    /// Whether a negative value can be physical in this unit (only Celsius; unknown units get the benefit
    /// of the doubt).
    pub fn allows_negative(&self) -> bool {
        matches!(self, Unit::Celsius | Unit::Other(_))
    }

    /// The largest physical value, where there is one (fractions cannot exceed 100 %).
    pub fn maximum(&self) -> Option<f64> {
        let whole = match self.dimension() {
            Dimension::MassFraction => Unit::Percent,
            Dimension::MoleFraction => Unit::MolePercent,
            _ => return None,
        };
        convert(100.0, &whole, self).ok()
    }

    /// (dimension, power of ten to the dimension's base unit, offset added after scaling).
    fn scale(&self) -> (Dimension, i32, f64) {
        use Dimension as D;
        use Unit::*;
        match self {
            Percent => (D::MassFraction, -2, 0.0),
            Ppm | MilligramPerKilogram => (D::MassFraction, -6, 0.0),
            Ppb => (D::MassFraction, -9, 0.0),
            GramPerKilogram => (D::MassFraction, -3, 0.0),
            MolePercent => (D::MoleFraction, -2, 0.0),
            Metre => (D::Length, 0, 0.0),
            Millimetre => (D::Length, -3, 0.0),
            Micrometre => (D::Length, -6, 0.0),
            Nanometre => (D::Length, -9, 0.0),
            SquareMetrePerGram => (D::SpecificSurfaceArea, 0, 0.0),
            KilogramPerCubicMetre => (D::Density, 0, 0.0),
            GramPerCubicCentimetre => (D::Density, 3, 0.0),
            GramPerSquareMetre => (D::ArealDensity, 0, 0.0),
            MilligramPerSquareCentimetre => (D::ArealDensity, 1, 0.0),
            SiemensPerMetre => (D::Conductivity, 0, 0.0),
            MilliSiemensPerCentimetre => (D::Conductivity, -1, 0.0),
            MicroSiemensPerCentimetre => (D::Conductivity, -4, 0.0),
            PascalSecond => (D::Viscosity, 0, 0.0),
            MilliPascalSecond | Centipoise => (D::Viscosity, -3, 0.0),
            Megapascal | NewtonPerSquareMillimetre => (D::Stress, 6, 0.0),
            Kelvin => (D::Temperature, 0, 0.0),
            Celsius => (D::Temperature, 0, 273.15),
            SecondsPer100Cc => (D::AirPermeability, 0, 0.0),
            MilliampereHourPerGram => (D::SpecificCapacity, 0, 0.0),
            One => (D::Dimensionless, 0, 0.0),
            Other(_) => (D::Other, 0, 0.0),
        }
    }
}

/// Converts `value` from one unit to another of the same dimension.
pub fn convert(value: f64, from: &Unit, to: &Unit) -> Result<f64, UnitError> {
    if !value.is_finite() {
        return Err(UnitError::NotFinite { value });
    }
    if from == to {
        return Ok(value);
    }
    let (from_dim, from_exp, from_offset) = from.scale();
    let (to_dim, to_exp, to_offset) = to.scale();
    if from_dim == Dimension::Other || to_dim == Dimension::Other {
        return Err(UnitError::UnknownUnits { from: from.symbol().to_owned(), to: to.symbol().to_owned() });
    }
    if from_dim != to_dim {
        return Err(UnitError::Incompatible {
            from: from.symbol().to_owned(),
            to: to.symbol().to_owned(),
            from_dimension: from_dim,
            to_dimension: to_dim,
        });
    }
    let scaled = scale_by_pow10(value, from_exp - to_exp);
    Ok(scaled + (from_offset - to_offset))
}

/// Multiplies by 10^exp using an exact power of ten (dividing for negative exponents keeps results
/// correctly rounded: 1 ppm in % is the same double as the literal 1e-4).
fn scale_by_pow10(value: f64, exp: i32) -> f64 {
    let magnitude = exp.unsigned_abs() as usize;
    let factor = POW10.get(magnitude).copied().unwrap_or_else(|| 10f64.powi(exp.abs()));
    if exp >= 0 { value * factor } else { value / factor }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.symbol())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spelling = String::deserialize(deserializer)?;
        Ok(Unit::parse(&spelling))
    }
}
