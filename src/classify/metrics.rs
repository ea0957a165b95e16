//! Classification metrics, defined as scikit-learn defines them (`sklearn.metrics`): accuracy,
//! per-class precision, recall, F1 and support, their unweighted (macro) and support-weighted
//! means, and the confusion matrix (rows = true class, columns = predicted class).
//!
//! A precision or recall whose denominator is 0 counts as 0 (scikit-learn's
//! `zero_division="warn"` value). Macro and weighted means run over the classes that occur in
//! the truth or the predictions, as scikit-learn's do when it is not given a label list.

use serde::{Deserialize, Serialize};

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    /// The class.
    pub class: String,
    /// True positives / predicted positives.
    pub precision: f64,
    /// True positives / actual positives.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Rows whose true class this is.
    pub support: usize,
}

/// Everything `hemato evaluate` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Class names, in the order of the confusion matrix rows and columns.
    pub classes: Vec<String>,
    /// Fraction of rows predicted correctly.
    pub accuracy: f64,
    /// Unweighted mean of the per-class F1 scores.
    pub macro_f1: f64,
    /// Support-weighted mean of the per-class F1 scores.
    pub weighted_f1: f64,
    /// Unweighted mean of per-class precision.
    pub macro_precision: f64,
    /// Unweighted mean of per-class recall.
    pub macro_recall: f64,
    /// Per-class scores, in `classes` order.
    pub per_class: Vec<ClassScores>,
    /// `confusion_matrix[t][p]` rows of true class `t` predicted as `p`.
    pub confusion_matrix: Vec<Vec<usize>>,
    /// The confusion matrix divided by its row sums (0 for an empty row).
    pub confusion_matrix_normalised: Vec<Vec<f64>>,
    /// Number of rows.
    pub rows: usize,
}

/// The confusion matrix of class indices below `classes`.
pub fn confusion_matrix(classes: usize, truth: &[usize], predicted: &[usize]) -> Vec<Vec<usize>> {
    let mut matrix = vec![vec![0; classes]; classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        matrix[t][p] += 1;
    }
    matrix
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

impl Evaluation {
    /// Scores predictions against the truth; both are indices into `classes`.
    pub fn new(classes: Vec<String>, truth: &[usize], predicted: &[usize]) -> Evaluation {
        assert_eq!(truth.len(), predicted.len());
        let k = classes.len();
        let matrix = confusion_matrix(k, truth, predicted);
        let support: Vec<usize> = matrix.iter().map(|row| row.iter().sum()).collect();
        let predicted_count: Vec<usize> =
            (0..k).map(|p| matrix.iter().map(|r| r[p]).sum()).collect();
        let per_class: Vec<ClassScores> = (0..k)
            .map(|c| {
                let precision = ratio(matrix[c][c], predicted_count[c]);
                let recall = ratio(matrix[c][c], support[c]);
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                ClassScores {
                    class: classes[c].clone(),
                    precision,
                    recall,
                    f1,
                    support: support[c],
                }
            })
            .collect();
        let present: Vec<usize> = (0..k)
            .filter(|&c| support[c] > 0 || predicted_count[c] > 0)
            .collect();
        let mean_of = |score: fn(&ClassScores) -> f64| {
            if present.is_empty() {
                0.0
            } else {
                present.iter().map(|&c| score(&per_class[c])).sum::<f64>() / present.len() as f64
            }
        };
        let rows = truth.len();
        let weighted_f1 = if rows == 0 {
            0.0
        } else {
            per_class
                .iter()
                .map(|s| s.f1 * s.support as f64)
                .sum::<f64>()
                / rows as f64
        };
        let correct: usize = (0..k).map(|c| matrix[c][c]).sum();
        Evaluation {
            accuracy: ratio(correct, rows),
            macro_f1: mean_of(|s| s.f1),
            macro_precision: mean_of(|s| s.precision),
            macro_recall: mean_of(|s| s.recall),
            weighted_f1,
            confusion_matrix_normalised: matrix
                .iter()
                .zip(&support)
                .map(|(row, &n)| row.iter().map(|&v| ratio(v, n)).collect())
                .collect(),
            confusion_matrix: matrix,
            per_class,
            classes,
            rows,
        }
    }
}

/// Macro F1 of predictions (used to score cross-validation folds).
pub fn macro_f1(classes: usize, truth: &[usize], predicted: &[usize]) -> f64 {
    let names = (0..classes).map(|c| c.to_string()).collect();
    Evaluation::new(names, truth, predicted).macro_f1
}
