//! Drawing results: normal variates, rounding to the reported precision, replicate summaries, detection
//! limits, deliberate out-of-specification results and the supplier's verdict.

use super::process::Process;
use crate::ecoa::units::Unit;
use crate::ecoa::{Characteristic, Conformity, Limits, Measurement, Qualifier};
use crate::spec::{Bound, SpecCharacteristic};
use rand::Rng;

/// A standard normal variate (Box–Muller with `libm`, so the same seed gives the same numbers everywhere).
pub(super) fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2 = rng.random::<f64>();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
}

pub(super) fn normal(rng: &mut impl Rng, mean: f64, sd: f64) -> f64 {
    mean + sd * standard_normal(rng)
}

/// Rounds to `decimals` places; the result prints as the short decimal.
pub(super) fn round(value: f64, decimals: i32) -> f64 {
    let scale = libm::pow(10.0, f64::from(decimals));
    (value * scale).round() / scale
}

/// Lower-case hex of 32 random bytes: the SHA-256 of a supplier PDF we never see.
pub(super) fn fake_sha256(rng: &mut impl Rng) -> String {
    (0..4).map(|_| format!("{:016x}", rng.random::<u64>())).collect()
}

/// Keeps a result physical for its unit: above zero at the reported precision, at most 100 % for fractions.
fn physical(value: f64, decimals: i32, unit: &Unit) -> f64 {
    let smallest = libm::pow(10.0, -f64::from(decimals));
    let value = if unit.allows_negative() { value } else { value.max(smallest) };
    match unit.maximum() {
        Some(max) => value.min(max),
        None => value,
    }
}

/// How one characteristic of one lot comes out.
pub(super) struct Draw<'a> {
    pub spec: &'a SpecCharacteristic,
    pub process: &'a Process,
    /// The lot's true value (before replicate noise and rounding).
    pub value: f64,
    /// Push the result beyond this specification limit (a genuinely nonconforming lot).
    pub beyond: Option<Bound>,
    /// The limits the supplier states, if it states any.
    pub limits: Option<Limits>,
}

impl Draw<'_> {
    pub(super) fn characteristic(&self, rng: &mut impl Rng) -> Characteristic {
        let result = match self.beyond {
            None => self.measure(rng, self.value),
            Some(bound) => self.beyond_limit(rng, bound),
        };
        let (lower, upper) = match &self.limits {
            Some(l) => (l.lower, l.upper),
            None => (self.spec.lsl, self.spec.usl),
        };
        let conforms = !outside(&result, Bound::Lower, lower) && !outside(&result, Bound::Upper, upper);
        Characteristic {
            name: self.spec.name.clone(),
            method: self.spec.method.clone(),
            unit: self.spec.unit.clone(),
            result,
            limits: self.limits,
            conformity: Some(if conforms { Conformity::Pass } else { Conformity::Fail }),
        }
    }

    fn measure(&self, rng: &mut impl Rng, value: f64) -> Measurement {
        let p = self.process;
        let unit = &self.spec.unit;
        match p.replicates {
            Some((n, within)) => {
                let reps: Vec<f64> =
                    (0..n).map(|_| round(physical(normal(rng, value, within), p.decimals, unit), p.decimals)).collect();
                let count = f64::from(n);
                let mean = reps.iter().sum::<f64>() / count;
                let var = reps.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (count - 1.0).max(1.0);
                let min = reps.iter().copied().fold(f64::INFINITY, f64::min);
                let max = reps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                // The mean of values on the grid, rounded to the grid, stays within [min, max].
                Measurement::Summary {
                    n,
                    mean: round(mean, p.decimals).clamp(min, max),
                    min: Some(min),
                    max: Some(max),
                    stdev: Some(round(var.sqrt(), p.decimals + 1)),
                }
            }
            None => {
                let v = round(physical(value, p.decimals, unit), p.decimals);
                match p.detection_limit {
                    Some(dl) if v < dl => Measurement::Single { value: dl, qualifier: Some(Qualifier::Below) },
                    _ => Measurement::Single { value: v, qualifier: None },
                }
            }
        }
    }

    /// A result clearly beyond our limit on `bound` (half a sigma or more), as the decision reads it.
    fn beyond_limit(&self, rng: &mut impl Rng, bound: Bound) -> Measurement {
        let (limit, sign) = match bound {
            Bound::Lower => (self.spec.lsl.expect("a lower limit to fall below"), -1.0),
            Bound::Upper => (self.spec.usl.expect("an upper limit to exceed"), 1.0),
        };
        let sd = self.process.sd;
        let mut excess = rng.random_range(0.5..1.5) * sd;
        loop {
            let m = self.measure(rng, limit + sign * excess);
            if outside(&m, bound, Some(limit)) {
                return m;
            }
            excess += 0.5 * sd;
        }
    }
}

/// Whether a result fails `limit` on `bound` as [`crate::spec::decide`] reads it: a summary by its min (max),
/// "<dl" fails an upper limit only when dl is above it.
pub(super) fn outside(m: &Measurement, bound: Bound, limit: Option<f64>) -> bool {
    let Some(limit) = limit else { return false };
    match (m, bound) {
        (Measurement::Single { value, .. }, Bound::Lower) => *value < limit,
        (Measurement::Single { value, .. }, Bound::Upper) => *value > limit,
        (Measurement::Summary { mean, min, .. }, Bound::Lower) => min.unwrap_or(*mean) < limit,
        (Measurement::Summary { mean, max, .. }, Bound::Upper) => max.unwrap_or(*mean) > limit,
    }
}

/// Which limits a specified characteristic has, to pick one to break.
pub(super) fn bounds(spec: &SpecCharacteristic) -> Vec<Bound> {
    let mut out = Vec::new();
    if spec.lsl.is_some() {
        out.push(Bound::Lower);
    }
    if spec.usl.is_some() {
        out.push(Bound::Upper);
    }
    out
}
