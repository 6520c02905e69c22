//! Robust straight-line fit (Theil–Sen) and the Hampel filter.

/// Theil–Sen line through `(x, y)`: slope = median of the pairwise slopes, level at `x0` = median of
/// `y − slope·(x − x0)`. Breakdown ≈ 29 %: a minority of regeneration bumps or bad readings does not move it.
/// `None` with fewer than 2 distinct x.
pub(crate) fn theil_sen(x: &[f64], y: &[f64], x0: f64) -> Option<(f64, f64)> {
    let n = x.len();
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            if x[j] != x[i] {
                slopes.push((y[j] - y[i]) / (x[j] - x[i]));
            }
        }
    }
    let slope = median_mut(&mut slopes)?;
    let mut levels: Vec<f64> = x.iter().zip(y).map(|(xi, yi)| yi - slope * (xi - x0)).collect();
    Some((median_mut(&mut levels)?, slope))
}

/// Median by selection (reorders the slice).
pub(crate) fn median_mut(v: &mut [f64]) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let (_, &mut hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(hi);
    }
    let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(0.5 * (lo + hi))
}

/// Hampel filter: keeps reading `i` unless it is more than `max(n_sigma · 1.4826 · MAD, min_abs)` away from the
/// median of the readings within `half_window` positions on either side (the window is truncated at the ends).
/// Returns the kept flags.
pub fn hampel_keep(y: &[f64], half_window: usize, n_sigma: f64, min_abs: f64) -> Vec<bool> {
    (0..y.len())
        .map(|i| {
            let lo = i.saturating_sub(half_window);
            let hi = (i + half_window + 1).min(y.len());
            let mut w: Vec<f64> = y[lo..hi].to_vec();
            let med = median_mut(&mut w).unwrap_or(y[i]);
            let mut dev: Vec<f64> = y[lo..hi].iter().map(|v| (v - med).abs()).collect();
            let mad = median_mut(&mut dev).unwrap_or(0.0);
            (y[i] - med).abs() <= (n_sigma * 1.4826 * mad).max(min_abs)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theil_sen_recovers_a_line_despite_outliers() {
        let x: Vec<f64> = (0..30).map(f64::from).collect();
        let mut y: Vec<f64> = x.iter().map(|x| 2.0 - 0.01 * x).collect();
        y[5] += 0.3;
        y[17] += 0.2;
        y[25] -= 1.0;
        let (level, slope) = theil_sen(&x, &y, 29.0).unwrap();
        assert!((slope + 0.01).abs() < 1e-12, "{slope}");
        assert!((level - 1.71).abs() < 1e-12, "{level}");
    }

    #[test]
    fn median_by_selection() {
        assert_eq!(median_mut(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median_mut(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median_mut(&mut []), None);
    }

    #[test]
    fn hampel_drops_isolated_glitches_only() {
        let mut y: Vec<f64> = (0..20).map(|i| 1.8 - 0.005 * f64::from(i)).collect();
        y[6] = 0.0;
        y[12] = 1.39;
        let keep = hampel_keep(&y, 3, 4.0, 0.05);
        let dropped: Vec<usize> = (0..20).filter(|&i| !keep[i]).collect();
        assert_eq!(dropped, [6, 12]);
    }
}
