//! First-pass yield of a production line, day by day, with a one-day-ahead forecast that is honest about its
//! error: every forecast uses only the days before it, so the error shown on past days is the error the
//! forecast would have had.
//!
//! Method: an exponentially weighted mean of the daily yield on the log-odds scale (yields near 100 % are
//! squeezed on the plain scale), each day weighted by how many cells it tested, so a day with three cells moves
//! the forecast less than a day with three thousand. The smoothing weight is chosen from a small grid by the
//! one-step-ahead error on the days before the forecast day (no look-ahead). The interval is the forecast ±
//! the chosen quantile of the absolute one-step errors seen so far, on the yield scale.
//!
//! Covariates (SPC alarms, anomaly rates) are not in the model: with a few dozen days per line they would be
//! fitted on noise. The history of the line's own yield is what predicts tomorrow's best here.

use serde::Serialize;

/// Smoothing weights tried (weight of the newest day).
const ALPHAS: [f64; 6] = [0.05, 0.1, 0.2, 0.3, 0.5, 0.8];
/// Days of history before the first forecast.
pub const WARM_UP_DAYS: usize = 3;

/// Cells first tested on one day and how many passed.
#[derive(Debug, Clone, PartialEq)]
pub struct DayCount {
    pub day: String,
    pub tested: u64,
    pub passed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayForecast {
    pub day: String,
    pub tested: u64,
    /// Measured first-pass yield (0..1).
    pub yield_rate: f64,
    /// The forecast made from the days before (absent during warm-up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct YieldForecast {
    pub days: Vec<DayForecast>,
    /// The forecast for the day after the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_lower: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_upper: Option<f64>,
    /// Mean absolute one-step error over the past days that had a forecast (yield scale, 0..1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_absolute_error: Option<f64>,
    /// Same for the naive forecast "tomorrow = today", for comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub naive_mean_absolute_error: Option<f64>,
    /// Share of past days inside their interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_coverage: Option<f64>,
    pub nominal_coverage: f64,
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-4, 1.0 - 1e-4);
    (p / (1.0 - p)).ln()
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Observed yield with half a cell added to each side, so 0 % and 100 % days stay finite on the log-odds scale.
fn rate(d: &DayCount) -> f64 {
    (d.passed as f64 + 0.5) / (d.tested as f64 + 1.0)
}

/// One-step-ahead forecasts with smoothing weight `alpha`: `out[i]` is the forecast for day `i` from days `< i`.
fn one_step(days: &[DayCount], alpha: f64) -> Vec<Option<f64>> {
    let mut out = Vec::with_capacity(days.len() + 1);
    let (mut level, mut weight) = (0.0, 0.0);
    let typical = {
        let mut n: Vec<u64> = days.iter().map(|d| d.tested).collect();
        n.sort_unstable();
        n.get(n.len() / 2).copied().unwrap_or(1).max(1) as f64
    };
    for (i, day) in days.iter().enumerate() {
        out.push((i >= WARM_UP_DAYS).then(|| logistic(level)));
        // A day's pull on the level grows with its volume relative to a typical day, up to 1.
        let a = (alpha * (day.tested as f64 / typical)).min(1.0);
        if weight == 0.0 {
            level = logit(rate(day));
            weight = 1.0;
        } else {
            level += a * (logit(rate(day)) - level);
        }
    }
    out.push((days.len() >= WARM_UP_DAYS).then(|| logistic(level)));
    out
}

fn mean_abs(errors: &[f64]) -> Option<f64> {
    (!errors.is_empty()).then(|| errors.iter().sum::<f64>() / errors.len() as f64)
}

/// The quantile `q` of absolute errors (by rank, conservative).
fn quantile(errors: &[f64], q: f64) -> Option<f64> {
    if errors.len() < 5 {
        return None;
    }
    let mut sorted = errors.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * (sorted.len() + 1) as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// The forecast of every day from the days before it, and of the next day; `days` oldest first, `coverage`
/// the nominal coverage of the intervals (e.g. 0.9).
pub fn forecast(days: &[DayCount], coverage: f64) -> YieldForecast {
    let days: Vec<DayCount> = days.iter().filter(|d| d.tested > 0).cloned().collect();
    let paths: Vec<Vec<Option<f64>>> = ALPHAS.iter().map(|&a| one_step(&days, a)).collect();
    let actual: Vec<f64> = days.iter().map(|d| d.passed as f64 / d.tested as f64).collect();
    // For day i, the weight whose forecasts were best on days before i (the first one until there are any).
    let best_before = |i: usize| -> usize {
        let score =
            |p: &Vec<Option<f64>>| -> f64 { (0..i).filter_map(|j| p[j].map(|f| (f - actual[j]).abs())).sum::<f64>() };
        (0..ALPHAS.len()).min_by(|&a, &b| score(&paths[a]).total_cmp(&score(&paths[b]))).unwrap_or(0)
    };
    let mut errors: Vec<f64> = Vec::new();
    let mut naive_errors: Vec<f64> = Vec::new();
    let (mut covered, mut with_interval) = (0usize, 0usize);
    let mut out = Vec::with_capacity(days.len());
    for (i, day) in days.iter().enumerate() {
        let predicted = paths[best_before(i)][i];
        let half = quantile(&errors, coverage);
        let (lower, upper) = match (predicted, half) {
            (Some(p), Some(h)) => (Some((p - h).max(0.0)), Some((p + h).min(1.0))),
            _ => (None, None),
        };
        if let (Some(l), Some(u)) = (lower, upper) {
            with_interval += 1;
            covered += usize::from((l..=u).contains(&actual[i]));
        }
        if let Some(p) = predicted {
            errors.push((p - actual[i]).abs());
            naive_errors.push((actual[i - 1] - actual[i]).abs());
        }
        out.push(DayForecast {
            day: day.day.clone(),
            tested: day.tested,
            yield_rate: actual[i],
            predicted,
            lower,
            upper,
        });
    }
    let next = paths[best_before(days.len())][days.len()];
    let half = quantile(&errors, coverage);
    YieldForecast {
        days: out,
        next,
        next_lower: next.zip(half).map(|(p, h)| (p - h).max(0.0)),
        next_upper: next.zip(half).map(|(p, h)| (p + h).min(1.0)),
        mean_absolute_error: mean_abs(&errors),
        naive_mean_absolute_error: mean_abs(&naive_errors),
        interval_coverage: (with_interval > 0).then(|| covered as f64 / with_interval as f64),
        nominal_coverage: coverage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(i: usize, tested: u64, passed: u64) -> DayCount {
        DayCount { day: format!("2026-01-{:02}", i + 1), tested, passed }
    }

    #[test]
    fn a_steady_line_is_forecast_near_its_yield_and_better_than_naive() {
        // 95 % on average, with day-to-day noise of a binomial 1,000-cell day.
        let passed = [951, 948, 955, 946, 952, 949, 957, 944, 950, 953, 947, 951, 956, 945, 950, 949, 952, 948];
        let days: Vec<DayCount> = passed.iter().enumerate().map(|(i, &p)| day(i, 1000, p)).collect();
        let f = forecast(&days, 0.9);
        let next = f.next.unwrap();
        assert!((next - 0.95).abs() < 0.004, "{next}");
        let mae = f.mean_absolute_error.unwrap();
        assert!(mae < f.naive_mean_absolute_error.unwrap(), "smoothing beats tomorrow = today on noise: {f:?}");
        assert!(f.days[..WARM_UP_DAYS].iter().all(|d| d.predicted.is_none()));
        assert!(f.days[WARM_UP_DAYS..].iter().all(|d| d.predicted.is_some()));
    }

    #[test]
    fn forecasts_use_only_earlier_days() {
        let mut days: Vec<DayCount> = (0..10).map(|i| day(i, 500, 480)).collect();
        let before = forecast(&days, 0.9);
        days.push(day(10, 500, 100)); // a collapse on the last day
        let after = forecast(&days, 0.9);
        for (a, b) in before.days.iter().zip(&after.days) {
            assert_eq!(a.predicted, b.predicted, "day {} changed when a later day was added", a.day);
        }
        assert!(after.next.unwrap() < before.next.unwrap(), "the collapse pulls the next forecast down");
    }

    #[test]
    fn a_step_change_is_followed() {
        let days: Vec<DayCount> = (0..30).map(|i| if i < 15 { day(i, 800, 780) } else { day(i, 800, 680) }).collect();
        let f = forecast(&days, 0.9);
        let next = f.next.unwrap();
        assert!((next - 0.85).abs() < 0.02, "after 15 days at 85 % the forecast is there: {next}");
        assert!(f.interval_coverage.is_some());
    }

    #[test]
    fn empty_and_short_histories_forecast_nothing() {
        let f = forecast(&[], 0.9);
        assert!(f.days.is_empty() && f.next.is_none() && f.mean_absolute_error.is_none());
        let f = forecast(&[day(0, 10, 9), day(1, 0, 0)], 0.9);
        assert_eq!(f.days.len(), 1, "a day without tests is left out");
        assert!(f.next.is_none());
    }
}
