//! Training as `hemato train` does it: cross-validate every candidate setting on stratified
//! folds, pick the best mean macro F1, refit it on all rows and record how it was chosen.

use std::collections::BTreeMap;

use super::cv::{best_setting, cross_validate, stratified_folds, CvError, CvScores};
use super::model_file::{CvSummary, TrainingSummary};
use super::models::{encode_labels, FitError, Model, ModelSpec};
use super::table::FeatureTable;

/// What to try and how to score it.
#[derive(Debug, Clone)]
pub struct TuningOptions {
    /// Candidate settings (at least one).
    pub candidates: Vec<ModelSpec>,
    /// Folds of cross-validation; 0 fits the first candidate without cross-validation.
    pub folds: usize,
    /// Seed of folds and models.
    pub seed: u64,
    /// File name of the table, recorded in the model.
    pub table_name: Option<String>,
}

/// The trained model and the evidence behind it.
#[derive(Debug, Clone)]
pub struct TuningOutcome {
    /// The best setting refitted on every row.
    pub model: Model,
    /// Cross-validated scores of every candidate (empty without cross-validation).
    pub scores: Vec<CvScores>,
    /// Index of the chosen candidate.
    pub best: usize,
    /// Fold of each row (empty without cross-validation).
    pub folds: Vec<usize>,
}

/// Cross-validates the candidates, refits the best on all rows.
pub fn tune_and_fit(
    table: &FeatureTable,
    options: &TuningOptions,
) -> Result<TuningOutcome, CvError> {
    let labels = table.labels.as_ref().ok_or(FitError::NoLabels)?;
    let (classes, y) = encode_labels(labels);
    if classes.len() < 2 {
        return Err(match classes.into_iter().next() {
            Some(class) => FitError::SingleClass { class },
            None => FitError::TooFewRows { rows: 0 },
        }
        .into());
    }
    if options.candidates.is_empty() {
        return Err(FitError::InvalidParameter {
            model: "grid",
            message: "no settings to try".to_string(),
        }
        .into());
    }
    let mut class_counts = BTreeMap::new();
    for label in labels {
        *class_counts.entry(label.clone()).or_insert(0) += 1;
    }
    let rows = table.rows.view();
    let (scores, best, folds, cross_validation) = if options.folds == 0 {
        (Vec::new(), 0, Vec::new(), None)
    } else {
        let folds = stratified_folds(&y, &classes, options.folds, options.seed)?;
        let scores = cross_validate(
            &options.candidates,
            &table.feature_names,
            &classes,
            rows,
            &y,
            &folds,
            options.folds,
            options.seed,
        )?;
        let best = best_setting(&scores).expect("at least one candidate");
        let summary = CvSummary {
            folds: options.folds,
            seed: options.seed,
            metric: "macro_f1".to_string(),
            mean: scores[best].mean,
            std: scores[best].std,
            fold_scores: scores[best].fold_scores.clone(),
            settings_compared: scores.len(),
        };
        (scores, best, folds, Some(summary))
    };
    let mut model = Model::fit_encoded(
        &options.candidates[best],
        &table.feature_names,
        &classes,
        rows,
        &y,
        options.seed,
    )?;
    model.set_training(TrainingSummary {
        table: options.table_name.clone(),
        rows: y.len(),
        class_counts,
        cross_validation,
    });
    Ok(TuningOutcome {
        model,
        scores,
        best,
        folds,
    })
}
