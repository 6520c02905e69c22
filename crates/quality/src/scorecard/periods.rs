//! Rating periods: calendar months, quarters or years, half-open so consecutive periods never overlap.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::ecoa::iso_date;

/// The days from `from` (inclusive) to `to` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    #[serde(with = "iso_date")]
    pub from: Date,
    #[serde(with = "iso_date")]
    pub to: Date,
}

impl Period {
    pub fn contains(&self, date: Date) -> bool {
        self.from <= date && date < self.to
    }

    /// "2026-03", "2026-Q1" or "2026", named after the period's first day.
    pub fn label(&self, granularity: Granularity) -> String {
        let (year, month) = (self.from.year(), self.from.month() as u8);
        match granularity {
            Granularity::Month => format!("{year}-{month:02}"),
            Granularity::Quarter => format!("{year}-Q{}", (month - 1) / 3 + 1),
            Granularity::Year => format!("{year}"),
        }
    }
}

/// Length of a rating period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Month,
    Quarter,
    Year,
}

impl Granularity {
    fn months(self) -> i32 {
        match self {
            Granularity::Month => 1,
            Granularity::Quarter => 3,
            Granularity::Year => 12,
        }
    }
}

/// Consecutive periods covering [from, to): the first starts at the calendar boundary containing `from`
/// (e.g. 1 January for the quarter of 17 February), the last is the one containing the day before `to`.
/// Empty when `from >= to`. Stops early only at the end of the representable calendar (year 9999).
pub fn periods(from: Date, to: Date, granularity: Granularity) -> Vec<Period> {
    let mut out = Vec::new();
    if from >= to {
        return out;
    }
    let months = granularity.months();
    let first_month = (from.month() as i32 - 1) / months * months;
    let Some(mut start) = first_of_month(from.year(), first_month) else { return out };
    while start < to {
        let Some(end) = first_of_month(start.year(), start.month() as i32 - 1 + months) else { break };
        out.push(Period { from: start, to: end });
        start = end;
    }
    out
}

/// The first day of month `month0` (0-based, may run past December) of `year`.
fn first_of_month(year: i32, month0: i32) -> Option<Date> {
    let year = year.checked_add(month0.div_euclid(12))?;
    let month = Month::try_from(u8::try_from(month0.rem_euclid(12) + 1).ok()?).ok()?;
    Date::from_calendar_date(year, month, 1).ok()
}
