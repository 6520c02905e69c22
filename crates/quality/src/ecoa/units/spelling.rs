//! Lenient parsing of unit spellings found on real CoAs.

use super::Unit;

/// Known spellings after [`normalize`], in their usual case. Looked up exactly first, then ignoring case for
/// spellings of three or more characters (no two units share such a spelling; "M" (molar) is not "m").
const SPELLINGS: &[(&str, Unit)] = &[
    ("%", Unit::Percent),
    ("wt%", Unit::Percent),
    ("w%", Unit::Percent),
    ("%wt", Unit::Percent),
    ("mass%", Unit::Percent),
    ("%(w/w)", Unit::Percent),
    ("w/w%", Unit::Percent),
    ("ppm", Unit::Ppm),
    ("ppmw", Unit::Ppm),
    ("ppmwt", Unit::Ppm),
    ("mg/kg", Unit::MilligramPerKilogram),
    ("ug/g", Unit::MilligramPerKilogram),
    ("ppb", Unit::Ppb),
    ("ppbw", Unit::Ppb),
    ("ug/kg", Unit::Ppb),
    ("g/kg", Unit::GramPerKilogram),
    ("mol%", Unit::MolePercent),
    ("at%", Unit::MolePercent),
    ("m", Unit::Metre),
    ("mm", Unit::Millimetre),
    ("um", Unit::Micrometre),
    ("micron", Unit::Micrometre),
    ("microns", Unit::Micrometre),
    ("micrometer", Unit::Micrometre),
    ("micrometre", Unit::Micrometre),
    ("nm", Unit::Nanometre),
    ("m2/g", Unit::SquareMetrePerGram),
    ("m2g-1", Unit::SquareMetrePerGram),
    ("g/cm3", Unit::GramPerCubicCentimetre),
    ("g/cc", Unit::GramPerCubicCentimetre),
    ("g/mL", Unit::GramPerCubicCentimetre),
    ("gcm-3", Unit::GramPerCubicCentimetre),
    ("kg/L", Unit::GramPerCubicCentimetre),
    ("kg/dm3", Unit::GramPerCubicCentimetre),
    ("kg/m3", Unit::KilogramPerCubicMetre),
    ("g/L", Unit::KilogramPerCubicMetre),
    ("g/m2", Unit::GramPerSquareMetre),
    ("gsm", Unit::GramPerSquareMetre),
    ("mg/cm2", Unit::MilligramPerSquareCentimetre),
    ("mS/cm", Unit::MilliSiemensPerCentimetre),
    ("uS/cm", Unit::MicroSiemensPerCentimetre),
    ("S/m", Unit::SiemensPerMetre),
    ("mPas", Unit::MilliPascalSecond),
    ("mPa-s", Unit::MilliPascalSecond),
    ("cP", Unit::Centipoise),
    ("cps", Unit::Centipoise),
    ("centipoise", Unit::Centipoise),
    ("Pas", Unit::PascalSecond),
    ("MPa", Unit::Megapascal),
    ("N/mm2", Unit::NewtonPerSquareMillimetre),
    ("°C", Unit::Celsius),
    ("℃", Unit::Celsius),
    ("degC", Unit::Celsius),
    ("oC", Unit::Celsius),
    ("C", Unit::Celsius),
    ("K", Unit::Kelvin),
    ("s/100cc", Unit::SecondsPer100Cc),
    ("s/100mL", Unit::SecondsPer100Cc),
    ("s/100cm3", Unit::SecondsPer100Cc),
    ("sec/100cc", Unit::SecondsPer100Cc),
    ("mAh/g", Unit::MilliampereHourPerGram),
    ("Ah/kg", Unit::MilliampereHourPerGram),
    ("", Unit::One),
    ("1", Unit::One),
    ("-", Unit::One),
    ("none", Unit::One),
    ("dimensionless", Unit::One),
];

pub(super) fn parse(spelling: &str) -> Unit {
    let normalized = normalize(spelling);
    let exact = SPELLINGS.iter().find(|(s, _)| *s == normalized);
    let any_case =
        || SPELLINGS.iter().find(|(s, _)| normalized.chars().count() > 2 && s.eq_ignore_ascii_case(&normalized));
    match exact.or_else(any_case) {
        Some((_, unit)) => unit.clone(),
        // Canonical symbols with special characters round-trip too ("µm", "m²/g", "mPa·s").
        None => canonical(spelling.trim()).unwrap_or_else(|| Unit::Other(spelling.trim().to_owned())),
    }
}

/// Removes what spellings vary in: spaces, dots and middle dots, micro signs, superscripts.
fn normalize(spelling: &str) -> String {
    let mut out = String::with_capacity(spelling.len());
    for c in spelling.trim().chars() {
        match c {
            ' ' | '\t' | '.' | '·' | '⋅' | '*' | '^' => {}
            'µ' | 'μ' => out.push('u'),
            '²' => out.push('2'),
            '³' => out.push('3'),
            '⁻' => out.push('-'),
            '¹' => out.push('1'),
            '–' | '—' => out.push('-'),
            other => out.push(other),
        }
    }
    out
}

fn canonical(symbol: &str) -> Option<Unit> {
    SPELLINGS.iter().map(|(_, unit)| unit).find(|unit| unit.symbol() == symbol).cloned()
}
