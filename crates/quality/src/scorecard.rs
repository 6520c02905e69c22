//! Supplier ratings per period: what share of lots we accepted, how much material we rejected (ppm), how
//! complete the CoAs were, how fresh the lots arrived, how capable the characteristics are and how many
//! SPC alarms are open, combined into one 0..100 score and a grade.
//!
//! # Components (each 0..100)
//!
//! | component | value | sub-score |
//! | --- | --- | --- |
//! | acceptance | accepted / lots (hold counts as not accepted) | × 100 |
//! | ppm | rejected quantity / received quantity × 10⁶ | max(0, 100 − ppm/1000): 100,000 ppm (10 %) → 0 |
//! | completeness | Σ required reported / Σ required | × 100 |
//! | onTime | share of lots received at most `on_time_days` after manufacture | × 100 |
//! | capability | share of characteristics with a Cpk whose Cpk ≥ 1.33 | × 100 |
//! | alarms | open SPC alarms per lot received | max(0, 100 × (1 − alarms/lots)) |
//!
//! The ppm scale is for lots, not parts: one rejected lot in a quarter of 25 is 40,000 ppm and costs 40
//! points, not the whole component. Alarms count per lot because a supplier with more deliveries has more
//! chances to raise one.
//!
//! Lots belong to the period they were received in ([`Period::contains`] of `received_on`); capabilities
//! and open alarms are taken as the caller passes them (the state at the end of the period).
//!
//! **ppm quantities**: a lot without a known positive quantity counts with the average quantity of the
//! period's lots that have one, so its rejection is neither lost nor over-weighted; when no lot has a
//! quantity every lot counts as one unit (ppm of lots).
//!
//! **Score**: the weighted mean of the components that could be computed; weights of missing components
//! (no required characteristics, no Cpk, …) are dropped and the rest renormalised. No lots in the
//! period: no score. Grade A from 85, B from 70, else C.

mod periods;
mod trend;
mod weights;

pub use periods::{Granularity, Period, periods};
pub use trend::{Direction, Trend, trend};
pub use weights::{ScorecardError, Weights};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::ecoa::iso_date;
use crate::spec::Outcome;

/// Cpk from which a characteristic counts as capable.
pub const CAPABLE_CPK: f64 = 1.33;

/// One received lot, as the scorecard needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotRecord {
    pub material: String,
    pub lot: String,
    #[serde(with = "iso_date")]
    pub manufactured_on: Date,
    #[serde(with = "iso_date")]
    pub received_on: Date,
    /// The decision in force (after any override).
    pub outcome: Outcome,
    /// Delivered quantity in kg, when known.
    pub quantity_kg: Option<f64>,
    /// Required characteristics of the specification.
    pub required_total: u32,
    /// Of which the CoA reported (counted up to `required_total`).
    pub required_reported: u32,
}

/// Capability of one characteristic of one material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CharacteristicCapability {
    pub material: String,
    pub characteristic: String,
    pub n: usize,
    /// `None` when it could not be computed (too few values, no limits).
    pub cpk: Option<f64>,
}

/// What one supplier's scorecard for one period is computed from.
#[derive(Debug, Clone, Copy)]
pub struct ScorecardInput<'a> {
    pub supplier: &'a str,
    pub period: Period,
    /// Lots of this supplier; those received outside `period` are ignored.
    pub lots: &'a [LotRecord],
    pub capabilities: &'a [CharacteristicCapability],
    pub open_alarms: u32,
    /// A lot received at most this many days after its manufacture is on time.
    pub on_time_days: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grade {
    A,
    B,
    C,
}

impl Grade {
    /// A from 85, B from 70, else C.
    pub fn from_score(score: f64) -> Grade {
        if score >= 85.0 {
            Grade::A
        } else if score >= 70.0 {
            Grade::B
        } else {
            Grade::C
        }
    }
}

/// The 0..100 sub-scores (see the module docs); `None` when the underlying value is unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Components {
    pub acceptance: Option<f64>,
    pub ppm: Option<f64>,
    pub completeness: Option<f64>,
    pub on_time: Option<f64>,
    pub capability: Option<f64>,
    pub alarms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scorecard {
    pub supplier: String,
    pub period: Period,
    pub lots_received: u32,
    pub accepted: u32,
    pub rejected: u32,
    pub hold: u32,
    /// Rejected / received quantity × 10⁶ (see the module docs for lots without a quantity); `None`
    /// without lots.
    pub ppm: Option<f64>,
    /// Σ required reported / Σ required (0..1); `None` when no lot had required characteristics.
    pub completeness: Option<f64>,
    /// Share of lots received at most `on_time_days` after manufacture; `None` without lots.
    pub on_time_rate: Option<f64>,
    /// Share of characteristics with a Cpk whose Cpk ≥ 1.33; `None` when none has a Cpk.
    pub capable_share: Option<f64>,
    pub open_alarms: u32,
    pub components: Components,
    /// Weighted mean of the available components; `None` without lots (or when every available
    /// component has weight 0).
    pub score: Option<f64>,
    pub grade: Option<Grade>,
}

/// The scorecard of one supplier for one period. Weights that are negative or not finite count as 0
/// (use [`Weights::validate`] to refuse them earlier).
pub fn scorecard(input: &ScorecardInput<'_>, weights: &Weights) -> Scorecard {
    let lots: Vec<&LotRecord> = input.lots.iter().filter(|l| input.period.contains(l.received_on)).collect();
    let count = |outcome: Outcome| lots.iter().filter(|l| l.outcome == outcome).count() as u32;
    let (accepted, rejected, hold) = (count(Outcome::Accepted), count(Outcome::Rejected), count(Outcome::Hold));
    let lots_received = lots.len() as u32;

    let ppm = rejected_ppm(&lots);
    let completeness = completeness(&lots);
    let on_time_rate =
        share(lots.iter().map(|l| (l.received_on - l.manufactured_on).whole_days() <= input.on_time_days.into()));
    let capable_share =
        share(input.capabilities.iter().filter_map(|c| c.cpk.filter(|v| v.is_finite())).map(|cpk| cpk >= CAPABLE_CPK));

    let components = Components {
        acceptance: (lots_received > 0).then(|| f64::from(accepted) * 100.0 / f64::from(lots_received)),
        ppm: ppm.map(|p| (100.0 - p / 1000.0).max(0.0)),
        completeness: completeness.map(percent),
        on_time: on_time_rate.map(percent),
        capability: capable_share.map(percent),
        alarms: (lots_received > 0)
            .then(|| (100.0 * (1.0 - f64::from(input.open_alarms) / f64::from(lots_received))).max(0.0)),
    };
    let score = if lots.is_empty() { None } else { weighted_score(&components, weights) };
    Scorecard {
        supplier: input.supplier.to_string(),
        period: input.period,
        lots_received,
        accepted,
        rejected,
        hold,
        ppm,
        completeness,
        on_time_rate,
        capable_share,
        open_alarms: input.open_alarms,
        components,
        score,
        grade: score.map(Grade::from_score),
    }
}

fn percent(share: f64) -> f64 {
    share * 100.0
}

/// Share of `true`, `None` when empty.
fn share(flags: impl Iterator<Item = bool>) -> Option<f64> {
    let (yes, all) = flags.fold((0u64, 0u64), |(yes, all), f| (yes + u64::from(f), all + 1));
    (all > 0).then(|| yes as f64 / all as f64)
}

fn known_quantity(lot: &LotRecord) -> Option<f64> {
    lot.quantity_kg.filter(|q| q.is_finite() && *q > 0.0)
}

/// See the module docs: unknown quantities count as the average known one, or all lots as 1 unit.
fn rejected_ppm(lots: &[&LotRecord]) -> Option<f64> {
    if lots.is_empty() {
        return None;
    }
    let known: Vec<f64> = lots.iter().filter_map(|l| known_quantity(l)).collect();
    let stand_in = if known.is_empty() { 1.0 } else { known.iter().sum::<f64>() / known.len() as f64 };
    let quantity = |l: &LotRecord| known_quantity(l).unwrap_or(stand_in);
    let received: f64 = lots.iter().map(|l| quantity(l)).sum();
    let rejected: f64 = lots.iter().filter(|l| l.outcome == Outcome::Rejected).map(|l| quantity(l)).sum();
    // `+ 0.0` turns a -0.0 (0 rejected of a negative-free sum) into 0 for printing.
    Some(rejected / received * 1e6 + 0.0)
}

fn completeness(lots: &[&LotRecord]) -> Option<f64> {
    let required: u64 = lots.iter().map(|l| u64::from(l.required_total)).sum();
    let reported: u64 = lots.iter().map(|l| u64::from(l.required_reported.min(l.required_total))).sum();
    (required > 0).then(|| reported as f64 / required as f64)
}

fn weighted_score(c: &Components, w: &Weights) -> Option<f64> {
    let pairs = [
        (c.acceptance, w.acceptance),
        (c.ppm, w.ppm),
        (c.completeness, w.completeness),
        (c.on_time, w.on_time),
        (c.capability, w.capability),
        (c.alarms, w.alarms),
    ];
    let usable = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
    let (sum, weight) = pairs
        .iter()
        .filter_map(|(value, w)| value.map(|v| (v, usable(*w))))
        .fold((0.0, 0.0), |(sum, total), (v, w)| (sum + v * w, total + w));
    (weight > 0.0).then(|| sum / weight)
}
