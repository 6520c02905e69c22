//! Robust location and scale: median, MAD and the robust z score.
//!
//! The MAD is scaled by 1.4826 (= 1/Φ⁻¹(3/4)) so that it estimates the standard deviation of normal data. When more
//! than half the values are equal the MAD is 0; then the mean absolute deviation from the median scaled by
//! √(π/2) ≈ 1.2533 is used instead (Iglewicz & Hoaglin 1993), and only a truly constant feature has no scale.

/// Consistency constant that makes the MAD estimate σ for normal data.
pub const MAD_CONSISTENCY: f64 = 1.4826;

/// Consistency constant for the mean absolute deviation (√(π/2)), used when the MAD is zero.
pub const MEAN_AD_CONSISTENCY: f64 = 1.253_314;

/// Median of finite values (NaN ignored); `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) })
}

/// Robust centre and scale of a sample: `(median, σ̂)`.
///
/// σ̂ is 1.4826·MAD, or 1.2533·mean|x − median| when the MAD is 0. `None` when there is no finite value or the
/// values are all equal (no scale).
pub fn location_scale(values: &[f64]) -> Option<(f64, f64)> {
    let med = median(values)?;
    let dev: Vec<f64> = values.iter().filter(|x| x.is_finite()).map(|x| (x - med).abs()).collect();
    let mad = median(&dev)?;
    let scale = if mad > 0.0 {
        MAD_CONSISTENCY * mad
    } else {
        MEAN_AD_CONSISTENCY * dev.iter().sum::<f64>() / dev.len() as f64
    };
    (scale > 0.0 && scale.is_finite()).then_some((med, scale))
}

/// Robust z scores `(x − median) / σ̂`; NaN stays NaN. `None` when the sample has no scale (see [`location_scale`]).
pub fn robust_z(values: &[f64]) -> Option<Vec<f64>> {
    let (med, scale) = location_scale(values)?;
    Some(values.iter().map(|x| (x - med) / scale).collect())
}

/// Quantile (linear interpolation between order statistics, type 7) of a sorted slice.
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_samples() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn robust_z_by_hand() {
        // median 3, |deviations| = 2,1,0,1,97 → MAD 1 → σ̂ = 1.4826.
        let z = robust_z(&[1.0, 2.0, 3.0, 4.0, 100.0]).unwrap();
        let expect = [-2.0 / 1.4826, -1.0 / 1.4826, 0.0, 1.0 / 1.4826, 97.0 / 1.4826];
        for (a, b) in z.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn zero_mad_falls_back_to_mean_absolute_deviation() {
        // median 1, MAD 0; mean |dev| = (0+0+0+0+5)/5 = 1 → σ̂ = 1.253314.
        let (m, s) = location_scale(&[1.0, 1.0, 1.0, 1.0, 6.0]).unwrap();
        assert_eq!(m, 1.0);
        assert!((s - 1.253_314).abs() < 1e-12);
    }

    #[test]
    fn constant_sample_has_no_scale() {
        assert!(location_scale(&[2.0; 6]).is_none());
        assert!(robust_z(&[2.0; 6]).is_none());
    }

    #[test]
    fn type7_quantile() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&s, 0.5), 2.5);
        assert_eq!(quantile_sorted(&s, 0.0), 1.0);
        assert_eq!(quantile_sorted(&s, 1.0), 4.0);
    }
}
