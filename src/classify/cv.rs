//! Stratified k-fold cross-validation scored on macro F1, and grid search over settings.
//!
//! Folds: the rows of each class are shuffled (seeded) and dealt round-robin to the folds,
//! continuing the deal from one class to the next, so every fold holds each class in
//! proportion and the folds differ in size by at most one row.

use std::time::Instant;

use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::metrics::macro_f1;
use super::models::{FitError, Model, ModelSpec};
use super::rng::Rng;

/// Cross-validation cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum CvError {
    /// Fewer than two folds.
    #[error("cross-validation needs at least 2 folds, not {folds}")]
    TooFewFolds {
        /// Folds asked for.
        folds: usize,
    },
    /// A class is smaller than the number of folds.
    #[error(
        "class \"{class}\" has only {rows} rows, fewer than the {folds} folds (use a smaller --cv)"
    )]
    ClassTooSmall {
        /// The class.
        class: String,
        /// Its rows.
        rows: usize,
        /// Folds asked for.
        folds: usize,
    },
    /// Training failed.
    #[error(transparent)]
    Fit(#[from] FitError),
}

/// The fold (0..k) of each row.
pub fn stratified_folds(
    y: &[usize],
    class_names: &[String],
    folds: usize,
    seed: u64,
) -> Result<Vec<usize>, CvError> {
    if folds < 2 {
        return Err(CvError::TooFewFolds { folds });
    }
    let mut rng = Rng::derived(seed, 0xF01D);
    let mut assignment = vec![0; y.len()];
    let mut dealt = 0usize;
    for (c, name) in class_names.iter().enumerate() {
        let mut members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        if members.len() < folds {
            return Err(CvError::ClassTooSmall {
                class: name.clone(),
                rows: members.len(),
                folds,
            });
        }
        rng.shuffle(&mut members);
        for i in members {
            assignment[i] = dealt % folds;
            dealt += 1;
        }
    }
    Ok(assignment)
}

/// Cross-validated scores of one setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvScores {
    /// The setting.
    pub spec: ModelSpec,
    /// Macro F1 on each held-out fold.
    pub fold_scores: Vec<f64>,
    /// Mean of `fold_scores`.
    pub mean: f64,
    /// Population standard deviation of `fold_scores` (as scikit-learn's grid search).
    pub std: f64,
    /// Seconds spent fitting each fold (wall clock; not part of any model file).
    pub fit_seconds: Vec<f64>,
}

fn mean_and_std(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, variance.sqrt())
}

/// The rows being cross-validated.
#[derive(Clone, Copy)]
struct CvData<'a> {
    feature_names: &'a [String],
    class_names: &'a [String],
    rows: ArrayView2<'a, f64>,
    y: &'a [usize],
    assignment: &'a [usize],
}

/// Fits `spec` on every fold but one and scores it on the one left out.
fn score_fold(
    spec: &ModelSpec,
    data: CvData,
    fold: usize,
    seed: u64,
) -> Result<(f64, f64), FitError> {
    let CvData {
        feature_names,
        class_names,
        rows,
        y,
        assignment,
    } = data;
    let train: Vec<usize> = (0..y.len()).filter(|&i| assignment[i] != fold).collect();
    let test: Vec<usize> = (0..y.len()).filter(|&i| assignment[i] == fold).collect();
    let train_y: Vec<usize> = train.iter().map(|&i| y[i]).collect();
    let test_y: Vec<usize> = test.iter().map(|&i| y[i]).collect();
    let started = Instant::now();
    let model = Model::fit_encoded(
        spec,
        feature_names,
        class_names,
        rows.select(Axis(0), &train).view(),
        &train_y,
        seed,
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let predicted = model
        .predict(rows.select(Axis(0), &test).view())
        .expect("same features");
    Ok((macro_f1(class_names.len(), &test_y, &predicted), seconds))
}

/// Cross-validates every setting on the given folds. With several settings, all
/// (setting, fold) fits run in parallel; with one, the folds run one after the other (each fit
/// still uses its own parallelism), so the fit times are those of a lone fit. Scores do not
/// depend on either.
#[allow(clippy::too_many_arguments)]
pub fn cross_validate(
    specs: &[ModelSpec],
    feature_names: &[String],
    class_names: &[String],
    rows: ArrayView2<f64>,
    y: &[usize],
    assignment: &[usize],
    folds: usize,
    seed: u64,
) -> Result<Vec<CvScores>, FitError> {
    let tasks: Vec<(usize, usize)> = (0..specs.len())
        .flat_map(|s| (0..folds).map(move |f| (s, f)))
        .collect();
    let data = CvData {
        feature_names,
        class_names,
        rows: rows.view(),
        y,
        assignment,
    };
    let run = |&(s, f): &(usize, usize)| score_fold(&specs[s], data, f, seed);
    let results: Vec<Result<(f64, f64), FitError>> = if specs.len() > 1 {
        tasks.par_iter().map(run).collect()
    } else {
        tasks.iter().map(run).collect()
    };
    let mut results = results.into_iter();
    specs
        .iter()
        .map(|spec| {
            let mut fold_scores = Vec::with_capacity(folds);
            let mut fit_seconds = Vec::with_capacity(folds);
            for _ in 0..folds {
                let (score, seconds) = results.next().expect("one result per task")?;
                fold_scores.push(score);
                fit_seconds.push(seconds);
            }
            let (mean, std) = mean_and_std(&fold_scores);
            Ok(CvScores {
                spec: spec.clone(),
                fold_scores,
                mean,
                std,
                fit_seconds,
            })
        })
        .collect()
}

/// Index of the best setting: highest mean, then lowest std, then the earliest listed.
pub fn best_setting(scores: &[CvScores]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, s) in scores.iter().enumerate() {
        let better = match best {
            None => true,
            Some(b) => {
                let current = &scores[b];
                s.mean > current.mean || (s.mean == current.mean && s.std < current.std)
            }
        };
        if better {
            best = Some(i);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_and_balanced() {
        // 10 rows of class 0, 5 of class 1, 5 folds: every fold gets 2 + 1 rows.
        let y: Vec<usize> = [vec![0; 10], vec![1; 5]].concat();
        let names = vec!["a".to_string(), "b".to_string()];
        let folds = stratified_folds(&y, &names, 5, 3).unwrap();
        for f in 0..5 {
            let zeros = (0..15).filter(|&i| folds[i] == f && y[i] == 0).count();
            let ones = (0..15).filter(|&i| folds[i] == f && y[i] == 1).count();
            assert_eq!((zeros, ones), (2, 1), "fold {f}");
        }
        assert_eq!(folds, stratified_folds(&y, &names, 5, 3).unwrap());
        assert_ne!(folds, stratified_folds(&y, &names, 5, 4).unwrap());
    }

    #[test]
    fn a_class_smaller_than_the_folds_is_an_error_naming_it() {
        let y = vec![0, 0, 0, 1, 1];
        let names = vec!["big".to_string(), "tiny".to_string()];
        let message = stratified_folds(&y, &names, 3, 0).unwrap_err().to_string();
        assert!(message.contains("\"tiny\" has only 2 rows"), "{message}");
    }

    #[test]
    fn std_is_the_population_deviation() {
        let (mean, std) = mean_and_std(&[0.8, 0.9, 1.0]);
        assert!((mean - 0.9).abs() < 1e-12);
        assert!((std - (0.02f64 / 3.0).sqrt()).abs() < 1e-12);
    }
}
