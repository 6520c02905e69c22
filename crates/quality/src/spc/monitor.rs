//! Point-by-point monitoring of one series (supplier × material × characteristic, one value per lot in
//! manufacturing order). The whole state is a plain serde value, so a caller can keep it as JSON
//! between points and resume exactly where it left off.
//!
//! # Life of a series
//!
//! 1. **Baseline**: the first `baseline_size` values are collected; nothing is signalled yet.
//! 2. When the baseline is full, Phase I ([`phase1`], individuals chart, no run-rule exclusion) estimates
//!    the centre and sigma = MR-bar/d2(2), and the limits are frozen. If Phase I fails (typically every
//!    baseline value is equal, e.g. all detection-limit results, so sigma is zero) the series is
//!    **unmonitorable** from then on, with the reason; values are still counted for mean and sd.
//! 3. **Monitoring**: each new value is judged against the frozen limits, and [`SeriesMonitor::observe`]
//!    returns the signals that complete at it:
//!    - `beyond-ucl` / `beyond-lcl`: the value is outside the individuals limits;
//!    - `mr-beyond-ucl`: the moving range to the previous monitored value is above the MR UCL (the MR
//!      LCL is 0 for ranges of 2, so there is no lower MR signal);
//!    - the run rules of the chosen set ([`Rule::id`]: `WE1`..`WE4` or `N1`..`N8`) whose pattern is
//!      completed by this value;
//!    - `cusum-upper` / `cusum-lower`: the two-sided tabular CUSUM in sigma units,
//!      C⁺ = max(0, C⁺ + z − k), C⁻ = max(0, C⁻ − z − k) with z = (x − centre)/sigma, signals when
//!      C > h and then restarts that side from 0 (unlike [`super::tabular_cusum`], which keeps summing
//!      as Montgomery's tables do) so that a sustained shift alarms once per crossing, not on every
//!      later point.
//!
//! The limit, moving-range and run-rule signals are exactly those [`phase2`] finds when given all
//! post-baseline values at once (checked by a property test): the first moving range is between the
//! first two monitored values, and run-rule windows do not reach back into the baseline. Only the last
//! 15 monitored values are kept, the longest pattern (Nelson 7). Rule 1 of either set (one point beyond
//! 3 sigma) fires together with `beyond-ucl`/`beyond-lcl`; both are reported, as [`phase2`] does.
//!
//! Non-finite values (NaN, ±∞) are ignored: not counted, no change of state, no signal. They are not
//! measurements, and letting one in would poison the running sums and the CUSUM for good.
//!
//! [`phase2`]: super::phase2

use serde::{Deserialize, Serialize};

use super::Constants;
use super::phase1::{FrozenLimits, Phase1Options, Samples, phase1};
use super::rules::{Rule, RuleSet, Violation, evaluate_rules_at};

/// Monitored values kept for the run rules: the longest pattern (Nelson 7, 15 points in a row).
const RULE_MEMORY: usize = 15;

/// How a series is monitored. Missing members take their defaults when deserialized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitorOptions {
    /// Values used for Phase I before the limits are frozen (at least 2).
    pub baseline_size: usize,
    pub rules: RuleChoice,
    /// CUSUM reference value k, in sigma units (half the shift to detect fastest).
    pub cusum_k: f64,
    /// CUSUM decision interval h, in sigma units.
    pub cusum_h: f64,
    pub constants: Constants,
}

impl Default for MonitorOptions {
    /// 25 baseline values, Western Electric rules, CUSUM k = 0.5, h = 5 (detects a 1-sigma shift in about
    /// 10 points, in-control ARL about 465), exact constants.
    fn default() -> Self {
        MonitorOptions {
            baseline_size: 25,
            rules: RuleChoice::WesternElectric,
            cusum_k: 0.5,
            cusum_h: 5.0,
            constants: Constants::Exact,
        }
    }
}

/// Which run-rule set to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleChoice {
    WesternElectric,
    Nelson,
}

impl RuleChoice {
    pub fn rule_set(self) -> RuleSet {
        match self {
            RuleChoice::WesternElectric => RuleSet::western_electric(),
            RuleChoice::Nelson => RuleSet::nelson(),
        }
    }
}

/// One signal completed by an observed value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Stable id: `beyond-ucl`, `beyond-lcl`, `mr-beyond-ucl`, a [`Rule::id`], `cusum-upper`, `cusum-lower`.
    pub rule: String,
    /// Human-readable explanation with the numbers involved.
    pub detail: String,
    /// The observed value that completed the signal.
    pub value: f64,
}

/// Where a series is in its life.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    Baseline { have: usize, need: usize },
    Monitoring,
    Unmonitorable { reason: String },
}

/// The monitoring state of one series. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesMonitor {
    options: MonitorOptions,
    /// All finite values observed (Welford), for mean and overall sd.
    moments: RunningMoments,
    /// Baseline values; emptied once Phase I has run.
    baseline: Vec<f64>,
    frozen: Option<FrozenLimits>,
    /// The last up to [`RULE_MEMORY`] monitored values, oldest first; the last one is the previous value
    /// for the moving range.
    recent: Vec<f64>,
    cusum: CusumSums,
    unmonitorable: Option<String>,
}

/// Running count, mean and sum of squared deviations (Welford): stable where sum/sum of squares cancels.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
struct RunningMoments {
    n: u64,
    mean: f64,
    m2: f64,
}

impl RunningMoments {
    fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }
}

/// C⁺ and C⁻, in sigma units.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
struct CusumSums {
    upper: f64,
    lower: f64,
}

impl SeriesMonitor {
    /// A fresh series. Invalid options (baseline under 2 values, negative k, non-positive h) make it
    /// unmonitorable at once, with the reason in [`SeriesMonitor::stage`].
    pub fn new(options: MonitorOptions) -> Self {
        let unmonitorable = invalid_options(&options);
        SeriesMonitor {
            options,
            moments: RunningMoments::default(),
            baseline: Vec::new(),
            frozen: None,
            recent: Vec::new(),
            cusum: CusumSums::default(),
            unmonitorable,
        }
    }

    /// Takes the next value; returns the signals that complete at this value (empty while in baseline).
    /// Non-finite values are ignored (see the module docs).
    pub fn observe(&mut self, value: f64) -> Vec<Signal> {
        if !value.is_finite() {
            return Vec::new();
        }
        self.moments.push(value);
        if self.unmonitorable.is_some() {
            return Vec::new();
        }
        if self.frozen.is_none() {
            self.baseline.push(value);
            if self.baseline.len() >= self.options.baseline_size {
                self.freeze();
            }
            return Vec::new();
        }
        self.judge(value)
    }

    pub fn stage(&self) -> Stage {
        match (&self.unmonitorable, &self.frozen) {
            (Some(reason), _) => Stage::Unmonitorable { reason: reason.clone() },
            (None, Some(_)) => Stage::Monitoring,
            (None, None) => Stage::Baseline { have: self.baseline.len(), need: self.options.baseline_size },
        }
    }

    pub fn options(&self) -> &MonitorOptions {
        &self.options
    }

    pub fn frozen(&self) -> Option<&FrozenLimits> {
        self.frozen.as_ref()
    }

    /// All (finite) values observed.
    pub fn count(&self) -> u64 {
        self.moments.n
    }

    /// Mean of all values observed.
    pub fn mean(&self) -> Option<f64> {
        (self.moments.n > 0).then_some(self.moments.mean)
    }

    /// Sample standard deviation (n − 1) of all values observed: the overall sigma, for Ppk.
    pub fn overall_sd(&self) -> Option<f64> {
        (self.moments.n > 1).then(|| (self.moments.m2 / (self.moments.n - 1) as f64).sqrt())
    }

    /// Within-subgroup sigma from the frozen limits (MR-bar/d2), for Cpk.
    pub fn within_sigma(&self) -> Option<f64> {
        self.frozen.as_ref().map(|f| f.sigma)
    }

    fn freeze(&mut self) {
        let options = Phase1Options { constants: self.options.constants, ..Phase1Options::default() };
        match phase1(Samples::Individuals(&self.baseline), &options) {
            Ok(result) => self.frozen = Some(result.frozen),
            Err(error) => {
                self.unmonitorable =
                    Some(format!("Phase I on the {} baseline values failed: {error}", self.baseline.len()))
            }
        }
        self.baseline = Vec::new();
    }

    fn judge(&mut self, value: f64) -> Vec<Signal> {
        let Some(frozen) = &self.frozen else { return Vec::new() };
        let mut signals = Vec::new();
        // Formatted only for a signal: most values raise none.
        let centre = || short(frozen.center);
        if value > frozen.location_ucl {
            let detail =
                format!("value {} above UCL {} (centre {})", short(value), short(frozen.location_ucl), centre());
            signals.push(Signal { rule: "beyond-ucl".into(), detail, value });
        } else if value < frozen.location_lcl {
            let detail =
                format!("value {} below LCL {} (centre {})", short(value), short(frozen.location_lcl), centre());
            signals.push(Signal { rule: "beyond-lcl".into(), detail, value });
        }
        if let Some(previous) = self.recent.last() {
            let moving_range = (value - previous).abs();
            if moving_range > frozen.dispersion_ucl {
                let detail = format!(
                    "moving range {} (from {} to {}) above MR UCL {} (MR-bar {})",
                    short(moving_range),
                    short(*previous),
                    short(value),
                    short(frozen.dispersion_ucl),
                    short(frozen.dispersion_center)
                );
                signals.push(Signal { rule: "mr-beyond-ucl".into(), detail, value });
            }
        }

        self.recent.push(value);
        if self.recent.len() > RULE_MEMORY {
            self.recent.drain(..self.recent.len() - RULE_MEMORY);
        }
        let newest = self.recent.len() - 1;
        // Cannot fail: the window holds finite values only and Phase I guarantees a positive sigma.
        let rules = self.options.rules.rule_set();
        let violations =
            evaluate_rules_at(&self.recent, frozen.center, frozen.location_sigma, &rules, newest).unwrap_or_default();
        // Series position (1-based, baseline included) of window index 0.
        let first_position = self.moments.n - newest as u64;
        for violation in violations {
            let detail = describe_violation(&violation, first_position, value, frozen);
            signals.push(Signal { rule: violation.rule.id().into(), detail, value });
        }

        let (k, h) = (self.options.cusum_k, self.options.cusum_h);
        let z = (value - frozen.center) / frozen.sigma;
        self.cusum.upper = (self.cusum.upper + z - k).max(0.0);
        self.cusum.lower = (self.cusum.lower - z - k).max(0.0);
        if self.cusum.upper > h {
            let detail = format!(
                "CUSUM C+ {:.2} above h {} (sigma units, k {k}): sustained shift up from centre {}",
                self.cusum.upper,
                short(h),
                centre()
            );
            signals.push(Signal { rule: "cusum-upper".into(), detail, value });
            self.cusum.upper = 0.0;
        }
        if self.cusum.lower > h {
            let detail = format!(
                "CUSUM C- {:.2} above h {} (sigma units, k {k}): sustained shift down from centre {}",
                self.cusum.lower,
                short(h),
                centre()
            );
            signals.push(Signal { rule: "cusum-lower".into(), detail, value });
            self.cusum.lower = 0.0;
        }
        signals
    }
}

fn invalid_options(options: &MonitorOptions) -> Option<String> {
    if options.baseline_size < 2 {
        Some(format!("invalid options: baseline_size must be at least 2, got {}", options.baseline_size))
    } else if !(options.cusum_k >= 0.0 && options.cusum_k.is_finite()) {
        Some(format!("invalid options: cusum_k must be a non-negative number, got {}", options.cusum_k))
    } else if !(options.cusum_h > 0.0 && options.cusum_h.is_finite()) {
        Some(format!("invalid options: cusum_h must be a positive number, got {}", options.cusum_h))
    } else {
        None
    }
}

/// The rule's pattern in words, with the series positions (1-based, baseline included) of its points:
/// rules.rs numbers points within the evaluated window, which here is only the recent tail.
fn describe_violation(violation: &Violation, first_position: u64, value: f64, frozen: &FrozenLimits) -> String {
    let positions: Vec<String> = violation.points.iter().map(|&p| (first_position + p as u64).to_string()).collect();
    let side = if value >= frozen.center { "above" } else { "below" };
    format!(
        "{}: {} (series points {}); value {} {side} centre {}, sigma {}",
        violation.rule.id(),
        pattern_in_words(violation.rule),
        positions.join(", "),
        short(value),
        short(frozen.center),
        short(frozen.location_sigma)
    )
}

fn pattern_in_words(rule: Rule) -> &'static str {
    match rule {
        Rule::WesternElectric1 | Rule::Nelson1 => "one point beyond 3 sigma",
        Rule::WesternElectric2 | Rule::Nelson5 => "2 of 3 consecutive points beyond 2 sigma on one side",
        Rule::WesternElectric3 | Rule::Nelson6 => "4 of 5 consecutive points beyond 1 sigma on one side",
        Rule::WesternElectric4 => "8 consecutive points on one side of the centre line",
        Rule::Nelson2 => "9 consecutive points on one side of the centre line",
        Rule::Nelson3 => "6 consecutive points steadily increasing or decreasing",
        Rule::Nelson4 => "14 consecutive points alternating up and down",
        Rule::Nelson7 => "15 consecutive points within 1 sigma of the centre line",
        Rule::Nelson8 => "8 consecutive points beyond 1 sigma, none within it",
    }
}

/// About 6 significant digits, trailing zeros dropped: readable in a detail text.
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (5 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}
