//! Whether a supplier's score is getting better or worse over consecutive periods.

use serde::{Deserialize, Serialize};

use super::Scorecard;

/// A slope beyond ±1 point per period counts as a direction; less is noise in a 0..100 score.
const MEANINGFUL_SLOPE: f64 = 1.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trend {
    /// Least-squares slope of the score, in points per period; `None` with fewer than two scores.
    pub slope_per_period: Option<f64>,
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Improving,
    Stable,
    Declining,
}

/// Trend of the scores of `cards`, given in period order. Cards without a score are skipped but keep
/// their place: x is the position in `cards`, so a gap does not compress time.
pub fn trend(cards: &[Scorecard]) -> Trend {
    let points: Vec<(f64, f64)> =
        cards.iter().enumerate().filter_map(|(i, card)| card.score.map(|s| (i as f64, s))).collect();
    let slope = least_squares_slope(&points);
    let direction = match slope {
        Some(s) if s > MEANINGFUL_SLOPE => Direction::Improving,
        Some(s) if s < -MEANINGFUL_SLOPE => Direction::Declining,
        _ => Direction::Stable,
    };
    Trend { slope_per_period: slope, direction }
}

fn least_squares_slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|(x, y)| (x - mean_x) * (y - mean_y)).sum();
    let sxx: f64 = points.iter().map(|(x, _)| (x - mean_x).powi(2)).sum();
    Some(sxy / sxx)
}
