//! Evaluation of both screening methods on synthetic batches drawn from real end-of-line data, with planted faults.
//!
//! For each real group (RWTH Sanyo 18650 begin-of-life tests; Weng pouch cells, one group per formation protocol) a
//! Gaussian copula is fitted ([`super::synth`]). Each batch has [`BATCH_SIZE`] cells, [`FAULTY`] of them (1.5 %)
//! at random positions carry one fault, injected in the latent normal space in units of the marginal σ:
//!
//! | fault | features moved | sizes |
//! |---|---|---|
//! | low capacity | capacity −k | k = 3, 6 |
//! | high resistance | every resistance +k | k = 3, 6 |
//! | high self-discharge | rest-voltage decay +k (Weng only) | k = 3, 6 |
//! | mass deviation | electrolyte mass ±k (Weng only) | k = 3, 6 |
//! | correlation break | the most correlated pair of features with different roles, each moved by m against their correlation | m = 1.5, 2.5 |
//!
//! The correlation break leaves both marginals within ±m σ (plus noise), so a 3.5-σ univariate screen mostly misses
//! it by construction: it is the case the multivariate model exists for. A fault-free batch per group measures the
//! false-alarm rate. Scores for the AUC are the methods' normalised scores; precision and recall use their flags.
//!
//! Limits: the copula's correlations come from 19–48 real cells, so the smallest eigenvalues (and with them the
//! detectability of correlation breaks) carry sampling error; faults are clean shifts, real ones also add spread.

use std::path::Path;

use rand::{Rng, SeedableRng, rngs::StdRng, seq::index::sample};
use serde::Serialize;

use super::data::{Role, Source, rwth, weng};
use super::roc::{flag_stats, roc_auc};
use super::screen::{CellFeatures, ScreenConfig, screen};
use super::synth::Copula;
use super::{AnomalyError, mcd::McdConfig};

/// Cells per synthetic batch.
pub const BATCH_SIZE: usize = 2000;
/// Faulty cells per batch (1.5 %).
pub const FAULTY: usize = 30;

/// Kind of planted fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Fault-free batch: measures false alarms.
    None,
    LowCapacity,
    HighResistance,
    HighSelfDischarge,
    MassDeviation,
    CorrelationBreak,
}

/// One method's detection figures on one batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodResult {
    pub flagged: usize,
    pub false_positives: usize,
    /// `None` when nothing was flagged.
    pub precision: Option<f64>,
    /// `None` on the fault-free batch.
    pub recall: Option<f64>,
    /// `None` on the fault-free batch.
    pub roc_auc: Option<f64>,
    /// Fraction of faulty cells whose first listed driver (largest |z|, or largest contribution) is a faulted
    /// feature. `None` on the fault-free batch.
    pub top_driver_is_faulted: Option<f64>,
}

/// Figures for one group, fault kind and size.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultResult {
    pub source: String,
    pub fault: FaultKind,
    /// Shift in latent σ (per feature moved).
    pub size: f64,
    pub faulted_features: Vec<String>,
    pub n_cells: usize,
    pub n_faulty: usize,
    pub univariate: MethodResult,
    pub multivariate: MethodResult,
}

/// A real group the batches are drawn from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSummary {
    pub name: String,
    pub real_cells: usize,
    pub features: Vec<String>,
    /// Normal-score correlation of the pair the correlation-break fault acts on.
    pub broken_pair: (String, String, f64),
    /// Real cells with some |robust z| above the univariate threshold: a heavy-tailed real group makes heavy-tailed
    /// batches, and fixed cutoffs then flag many fault-free cells.
    pub real_cells_beyond_z_threshold: usize,
}

/// Result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyReport {
    pub seed: u64,
    pub batch_size: usize,
    pub faulty_per_batch: usize,
    pub z_threshold: f64,
    pub chi2_quantile: f64,
    pub sources: Vec<SourceSummary>,
    pub results: Vec<FaultResult>,
}

impl AnomalyReport {
    /// Plain-text table, one line per group, fault and size.
    pub fn table(&self) -> String {
        let f = |v: Option<f64>| v.map_or("  -  ".to_string(), |v| format!("{v:.3}"));
        let mut s = format!(
            "{:<30} {:<20} {:>4} | {:>6} {:>6} {:>6} {:>4} | {:>6} {:>6} {:>6} {:>4}\n",
            "source", "fault", "size", "U.prec", "U.rec", "U.AUC", "U.fp", "M.prec", "M.rec", "M.AUC", "M.fp"
        );
        for r in &self.results {
            let (u, m) = (&r.univariate, &r.multivariate);
            s += &format!(
                "{:<30} {:<20} {:>4.1} | {:>6} {:>6} {:>6} {:>4} | {:>6} {:>6} {:>6} {:>4}\n",
                r.source,
                serde_json::to_value(r.fault).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
                r.size,
                f(u.precision),
                f(u.recall),
                f(u.roc_auc),
                u.false_positives,
                f(m.precision),
                f(m.recall),
                f(m.roc_auc),
                m.false_positives
            );
        }
        s
    }
}

/// Runs the evaluation on the real tables under `datasets_dir` (the folder holding `rwth_isea_sanyo48/` and
/// `weng2021_fast_formation/`). Deterministic for a given seed.
pub fn evaluate(datasets_dir: &Path, seed: u64) -> Result<AnomalyReport, AnomalyError> {
    let mut sources = vec![rwth(datasets_dir)?];
    sources.extend(weng(datasets_dir)?);
    let cfg = ScreenConfig::default();
    let mut summaries = Vec::new();
    let mut results = Vec::new();
    for (si, src) in sources.iter().enumerate() {
        let cop =
            Copula::fit(&src.rows).ok_or_else(|| AnomalyError::Data(format!("{}: copula fit failed", src.name)))?;
        let pair = broken_pair(src, &cop);
        summaries.push(SourceSummary {
            name: src.name.to_string(),
            real_cells: src.rows.len(),
            features: src.features.iter().map(|f| f.0.to_string()).collect(),
            broken_pair: (src.features[pair.0].0.to_string(), src.features[pair.1].0.to_string(), cop.corr[pair]),
            real_cells_beyond_z_threshold: beyond(&src.rows, cfg.z_threshold),
        });
        let has = |role: Role| src.features.iter().any(|f| f.1 == role);
        let mut plan = vec![(FaultKind::None, 0.0)];
        for (kind, role) in [
            (FaultKind::LowCapacity, Role::Capacity),
            (FaultKind::HighResistance, Role::Resistance),
            (FaultKind::HighSelfDischarge, Role::SelfDischarge),
            (FaultKind::MassDeviation, Role::Mass),
        ] {
            if has(role) {
                plan.extend([(kind, 3.0), (kind, 6.0)]);
            }
        }
        plan.extend([(FaultKind::CorrelationBreak, 1.5), (FaultKind::CorrelationBreak, 2.5)]);
        for (pi, (kind, size)) in plan.into_iter().enumerate() {
            let batch_seed = mix(seed, (si * 100 + pi) as u64);
            results.push(run_batch(src, &cop, pair, kind, size, batch_seed, &cfg)?);
        }
    }
    Ok(AnomalyReport {
        seed,
        batch_size: BATCH_SIZE,
        faulty_per_batch: FAULTY,
        z_threshold: cfg.z_threshold,
        chi2_quantile: cfg.chi2_quantile,
        sources: summaries,
        results,
    })
}

fn beyond(rows: &[Vec<f64>], threshold: f64) -> usize {
    let p = rows.first().map_or(0, Vec::len);
    let z: Vec<Vec<f64>> =
        (0..p).filter_map(|j| super::robust::robust_z(&rows.iter().map(|r| r[j]).collect::<Vec<_>>())).collect();
    (0..rows.len()).filter(|&i| z.iter().any(|col| col[i].abs() > threshold)).count()
}

fn mix(seed: u64, k: u64) -> u64 {
    (seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xBF58_476D_1CE4_E5B9).rotate_left(31)
}

/// The most strongly correlated pair of features with different roles (or both `Other`).
fn broken_pair(src: &Source, cop: &Copula) -> (usize, usize) {
    let p = src.features.len();
    let mut best = (0, 1);
    let mut best_abs = -1.0;
    for a in 0..p {
        for b in a + 1..p {
            let (ra, rb) = (src.features[a].1, src.features[b].1);
            if ra == rb && ra != Role::Other {
                continue;
            }
            if cop.corr[(a, b)].abs() > best_abs {
                best_abs = cop.corr[(a, b)].abs();
                best = (a, b);
            }
        }
    }
    best
}

fn run_batch(
    src: &Source,
    cop: &Copula,
    pair: (usize, usize),
    kind: FaultKind,
    size: f64,
    seed: u64,
    cfg: &ScreenConfig,
) -> Result<FaultResult, AnomalyError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let n_faulty = if kind == FaultKind::None { 0 } else { FAULTY };
    let mut labels = vec![false; BATCH_SIZE];
    for i in sample(&mut rng, BATCH_SIZE, n_faulty) {
        labels[i] = true;
    }
    let role_shift = |role: Role, shift: f64| -> Vec<(usize, f64)> {
        src.features.iter().enumerate().filter(|(_, f)| f.1 == role).map(|(j, _)| (j, shift)).collect()
    };
    let mut faulted: Vec<usize> = Vec::new();
    let mut cells = Vec::with_capacity(BATCH_SIZE);
    for (i, &faulty) in labels.iter().enumerate() {
        let mut z = cop.sample_latent(&mut rng);
        if faulty {
            let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
            let shifts = match kind {
                FaultKind::None => vec![],
                FaultKind::LowCapacity => role_shift(Role::Capacity, -size),
                FaultKind::HighResistance => role_shift(Role::Resistance, size),
                FaultKind::HighSelfDischarge => role_shift(Role::SelfDischarge, size),
                FaultKind::MassDeviation => role_shift(Role::Mass, sign * size),
                FaultKind::CorrelationBreak => {
                    let against = -cop.corr[pair].signum();
                    vec![(pair.0, sign * size), (pair.1, sign * against * size)]
                }
            };
            faulted = shifts.iter().map(|s| s.0).collect();
            for (j, s) in shifts {
                z[j] += s;
            }
        }
        let x = cop.to_observed(&z);
        cells.push(CellFeatures {
            id: format!("cell-{i:05}"),
            features: src.features.iter().zip(x).map(|(f, v)| (f.0.to_string(), v)).collect(),
        });
    }
    let cfg = ScreenConfig { mcd: McdConfig { seed: mix(seed, 1), ..cfg.mcd.clone() }, ..cfg.clone() };
    let s = screen(&cells, &cfg)?;
    let names: Vec<&str> = faulted.iter().map(|&j| src.features[j].0).collect();
    let uni_scores: Vec<f64> = s.cells.iter().map(|c| c.univariate.score).collect();
    let uni_flags: Vec<bool> = s.cells.iter().map(|c| c.univariate.flagged).collect();
    let uni_top: Vec<Option<&str>> =
        s.cells.iter().map(|c| c.univariate.z.first().map(|f| f.feature.as_str())).collect();
    let mv = |c: &super::CellScreening| c.multivariate.as_ref().expect("complete synthetic cells").clone();
    let mv_scores: Vec<f64> = s.cells.iter().map(|c| mv(c).score).collect();
    let mv_flags: Vec<bool> = s.cells.iter().map(|c| mv(c).flagged).collect();
    let mv_top: Vec<Option<String>> =
        s.cells.iter().map(|c| mv(c).drivers.first().map(|d| d.feature.clone())).collect();
    let top_hit = |tops: &[Option<&str>]| {
        (n_faulty > 0).then(|| {
            let hits = labels.iter().zip(tops).filter(|(l, t)| **l && t.is_some_and(|t| names.contains(&t))).count();
            hits as f64 / n_faulty as f64
        })
    };
    let method = |scores: &[f64], flags: &[bool], top: Option<f64>| {
        let st = flag_stats(flags, &labels);
        MethodResult {
            flagged: flags.iter().filter(|&&f| f).count(),
            false_positives: st.false_positives,
            precision: st.precision,
            recall: (n_faulty > 0).then_some(st.recall).flatten(),
            roc_auc: roc_auc(scores, &labels),
            top_driver_is_faulted: top,
        }
    };
    let mv_top_ref: Vec<Option<&str>> = mv_top.iter().map(|t| t.as_deref()).collect();
    Ok(FaultResult {
        source: src.name.to_string(),
        fault: kind,
        size,
        faulted_features: names.iter().map(|s| s.to_string()).collect(),
        n_cells: BATCH_SIZE,
        n_faulty,
        univariate: method(&uni_scores, &uni_flags, top_hit(&uni_top)),
        multivariate: method(&mv_scores, &mv_flags, top_hit(&mv_top_ref)),
    })
}
