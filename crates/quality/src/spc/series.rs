//! Building SPC series: one per supplier × material × characteristic, in manufacturing-date order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

/// Identifies one time series.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SeriesKey {
    pub supplier: String,
    pub material: String,
    pub characteristic: String,
}

/// One measured value of a characteristic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    pub key: SeriesKey,
    pub manufactured_on: Date,
    /// Lot (or other rational subgroup) the value belongs to.
    pub lot: Option<String>,
    pub value: f64,
}

/// Splits measurements into series, each ordered by manufacturing date; values of the same date keep
/// their input order (stable sort), so a caller can pre-order by time of day or sequence number.
pub fn split_series(measurements: Vec<Measurement>) -> BTreeMap<SeriesKey, Vec<Measurement>> {
    let mut out: BTreeMap<SeriesKey, Vec<Measurement>> = BTreeMap::new();
    for m in measurements {
        out.entry(m.key.clone()).or_default().push(m);
    }
    for series in out.values_mut() {
        series.sort_by_key(|m| m.manufactured_on);
    }
    out
}

/// The values of an ordered series, for individuals charts.
pub fn values(series: &[Measurement]) -> Vec<f64> {
    series.iter().map(|m| m.value).collect()
}

/// Rational subgroups: runs of consecutive measurements with the same lot (no lot = its own subgroup).
pub fn subgroups_by_lot(series: &[Measurement]) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    let mut previous: Option<&str> = None;
    for m in series {
        let lot = m.lot.as_deref();
        match (lot, previous, out.last_mut()) {
            (Some(l), Some(p), Some(last)) if l == p => last.push(m.value),
            _ => out.push(vec![m.value]),
        }
        previous = lot;
    }
    out
}

/// The SPC points a CoA gives under a specification: for each specified characteristic it reports, the value
/// in the specification's unit (a summary's mean). Left out: characteristics the specification does not
/// name, results whose unit does not convert, and detection-limit results ("<0.5"), which are censored
/// values, not measurements; SPC on them would chart the detection limit.
pub fn points_of(coa: &crate::ecoa::Coa, spec: &crate::spec::MaterialSpec) -> Vec<(String, f64)> {
    let places = places_of(coa.characteristics.iter().map(|c| (c.name.as_str(), &c.unit, &c.result)), spec);
    named(places, spec)
}

/// What SPC reads of a stored CoA (a recompute reads every one): the manufacturing date and the reported
/// results. The other members are skipped without being kept.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoaPoints {
    lot: LotDate,
    characteristics: Vec<Reported>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LotDate {
    #[serde(with = "crate::ecoa::iso_date")]
    manufactured_on: Date,
}

#[derive(Debug, Deserialize)]
struct Reported {
    name: String,
    unit: crate::ecoa::units::Unit,
    result: crate::ecoa::Measurement,
}

impl CoaPoints {
    pub fn manufactured_on(&self) -> Date {
        self.lot.manufactured_on
    }

    /// As [`points_of`] the whole CoA.
    pub fn points(&self, spec: &crate::spec::MaterialSpec) -> Vec<(String, f64)> {
        named(self.places(spec), spec)
    }

    /// The points with each characteristic's place in `spec.characteristics` instead of its name.
    pub fn places(&self, spec: &crate::spec::MaterialSpec) -> Vec<(usize, f64)> {
        places_of(self.characteristics.iter().map(|c| (c.name.as_str(), &c.unit, &c.result)), spec)
    }
}

fn named(places: Vec<(usize, f64)>, spec: &crate::spec::MaterialSpec) -> Vec<(String, f64)> {
    places.into_iter().map(|(place, value)| (spec.characteristics[place].name.clone(), value)).collect()
}

/// The points of reported results (name, unit, result), each at its characteristic's place in the specification.
fn places_of<'a>(
    reported: impl Iterator<Item = (&'a str, &'a crate::ecoa::units::Unit, &'a crate::ecoa::Measurement)>,
    spec: &crate::spec::MaterialSpec,
) -> Vec<(usize, f64)> {
    use crate::ecoa::Measurement as Reported;
    let mut out: Vec<(usize, f64)> = Vec::new();
    for (name, unit, result) in reported {
        let Some(place) = spec.place_of(name) else { continue };
        let value = match *result {
            Reported::Single { value, qualifier: None } => value,
            Reported::Single { qualifier: Some(_), .. } => continue,
            Reported::Summary { mean, .. } => mean,
        };
        let Ok(value) = crate::ecoa::units::convert(value, unit, &spec.characteristics[place].unit) else { continue };
        if value.is_finite() && !out.iter().any(|(kept, _)| *kept == place) {
            out.push((place, value));
        }
    }
    out
}
