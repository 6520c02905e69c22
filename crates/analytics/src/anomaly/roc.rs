//! Detection metrics: ROC AUC (Mann–Whitney, ties counted half) and precision / recall of a flag.

use serde::Serialize;

/// Area under the ROC curve of `scores` (higher = more anomalous) against `labels` (true = anomalous).
///
/// Computed as the Mann–Whitney statistic: the probability that a random positive scores above a random negative,
/// with tied pairs counted half (average ranks). `None` when either class is empty or a score is NaN.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let n_pos = labels.iter().filter(|&&l| l).count();
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_pos += avg_rank * order[i..=j].iter().filter(|&&k| labels[k]).count() as f64;
        i = j + 1;
    }
    let u = rank_sum_pos - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos as f64 * n_neg as f64))
}

/// Confusion counts of a yes/no flag against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FlagStats {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    /// TP / (TP + FP); `None` when nothing was flagged.
    pub precision: Option<f64>,
    /// TP / (TP + FN); `None` when there is no positive.
    pub recall: Option<f64>,
}

/// Precision and recall of `flags` against `labels`.
pub fn flag_stats(flags: &[bool], labels: &[bool]) -> FlagStats {
    let mut tp = 0;
    let mut fp = 0;
    let mut fneg = 0;
    for (&f, &l) in flags.iter().zip(labels) {
        match (f, l) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            (false, false) => {}
        }
    }
    let ratio = |a: usize, b: usize| (a + b > 0).then(|| a as f64 / (a + b) as f64);
    FlagStats {
        true_positives: tp,
        false_positives: fp,
        false_negatives: fneg,
        precision: ratio(tp, fp),
        recall: ratio(tp, fneg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    #[test]
    fn perfect_reversed_and_tied_scores() {
        let labels = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &labels), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &labels), Some(0.0));
        assert_eq!(roc_auc(&[1.0; 4], &labels), Some(0.5));
        // One positive ties one negative: 3 of 4 pairs won, one tied → (3 + 0.5) / 4.
        assert_eq!(roc_auc(&[0.1, 0.5, 0.5, 0.9], &labels), Some(0.875));
    }

    #[test]
    fn random_scores_give_about_one_half() {
        let mut rng = StdRng::seed_from_u64(7);
        let scores: Vec<f64> = (0..20_000).map(|_| rng.random::<f64>()).collect();
        let labels: Vec<bool> = (0..20_000).map(|_| rng.random::<f64>() < 0.3).collect();
        let auc = roc_auc(&scores, &labels).unwrap();
        assert!((auc - 0.5).abs() < 0.02, "{auc}");
    }

    #[test]
    fn undefined_without_both_classes() {
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
        assert_eq!(roc_auc(&[0.1, f64::NAN], &[true, false]), None);
    }

    #[test]
    fn precision_and_recall_counts() {
        let s = flag_stats(&[true, true, false, false, true], &[true, false, true, false, true]);
        assert_eq!((s.true_positives, s.false_positives, s.false_negatives), (2, 1, 1));
        assert_eq!(s.precision, Some(2.0 / 3.0));
        assert_eq!(s.recall, Some(2.0 / 3.0));
        assert_eq!(flag_stats(&[false], &[false]).precision, None);
    }
}
