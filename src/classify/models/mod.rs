//! The five model families and the [`Model`] that wraps each of them with its feature names,
//! class names and standardisation.
//!
//! Every family is written in this crate (see `docs/classification.md` for why smartcore and
//! linfa did not fit): multinomial [`logistic`] regression, a multi-layer perceptron
//! ([`mlp`]), a random [`forest`], gradient-[`boosting`] trees and an RBF-kernel [`svm`].
//! All take class weights, all are deterministic for a seed whatever the number of threads:
//! parallel work is split into tasks whose random streams depend only on the seed and the
//! task's index, and whose results are combined in index order.

pub mod boosting;
pub mod forest;
pub mod logistic;
pub mod mlp;
pub mod svm;
pub(crate) mod tree;

mod lbfgs;

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::names;
use super::standardise::Standardiser;
use super::table::{FeatureTable, COLUMNS_LISTED};

/// How rows of different classes are weighted in training.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeight {
    /// Every row counts once.
    #[default]
    None,
    /// A row of class `c` counts `rows / (classes * rows_of_c)`, so every class carries the
    /// same total weight (scikit-learn's `class_weight="balanced"`).
    Balanced,
}

impl ClassWeight {
    /// The weight of each row of `y` (class indices below `classes`).
    pub fn row_weights(self, y: &[usize], classes: usize) -> Vec<f64> {
        match self {
            ClassWeight::None => vec![1.0; y.len()],
            ClassWeight::Balanced => {
                let mut counts = vec![0usize; classes];
                for &c in y {
                    counts[c] += 1;
                }
                let present = counts.iter().filter(|&&n| n > 0).count().max(1);
                y.iter()
                    .map(|&c| y.len() as f64 / (present as f64 * counts[c] as f64))
                    .collect()
            }
        }
    }
}

/// A model family with its settings: what `--model` and a grid file choose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum ModelSpec {
    /// Multinomial logistic regression.
    Logistic(logistic::LogisticParams),
    /// Multi-layer perceptron.
    Mlp(mlp::MlpParams),
    /// Random forest.
    Forest(forest::ForestParams),
    /// Gradient-boosted trees.
    Boosting(boosting::BoostingParams),
    /// RBF-kernel support vector machine.
    Svm(svm::SvmParams),
}

impl ModelSpec {
    /// The family's name as `--model` spells it.
    pub fn family(&self) -> &'static str {
        match self {
            ModelSpec::Logistic(_) => "logistic",
            ModelSpec::Mlp(_) => "mlp",
            ModelSpec::Forest(_) => "forest",
            ModelSpec::Boosting(_) => "boosting",
            ModelSpec::Svm(_) => "svm",
        }
    }

    /// The family's default settings, by `--model` name.
    pub fn default_for(family: &str) -> Option<ModelSpec> {
        Some(match family {
            "logistic" => ModelSpec::Logistic(Default::default()),
            "mlp" => ModelSpec::Mlp(Default::default()),
            "forest" => ModelSpec::Forest(Default::default()),
            "boosting" => ModelSpec::Boosting(Default::default()),
            "svm" => ModelSpec::Svm(Default::default()),
            _ => return None,
        })
    }

    /// The settings as compact JSON without the family name (for tables of results).
    pub fn settings_text(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.remove("model");
        }
        value.to_string()
    }

    fn validate(&self) -> Result<(), FitError> {
        let problem = match self {
            ModelSpec::Logistic(p) => p.problem(),
            ModelSpec::Mlp(p) => p.problem(),
            ModelSpec::Forest(p) => p.problem(),
            ModelSpec::Boosting(p) => p.problem(),
            ModelSpec::Svm(p) => p.problem(),
        };
        match problem {
            Some(message) => Err(FitError::InvalidParameter {
                model: self.family(),
                message,
            }),
            None => Ok(()),
        }
    }
}

/// The fitted state of one family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum Estimator {
    /// Multinomial logistic regression.
    Logistic(logistic::Logistic),
    /// Multi-layer perceptron.
    Mlp(mlp::Mlp),
    /// Random forest.
    Forest(forest::Forest),
    /// Gradient-boosted trees.
    Boosting(boosting::Boosting),
    /// RBF-kernel support vector machine.
    Svm(svm::Svm),
}

/// Training rows as every family sees them: standardised features, class indices and one
/// weight per row (class weighting folded in).
#[derive(Debug, Clone, Copy)]
pub struct TrainingData<'a> {
    /// Standardised features, one row per sample.
    pub x: ArrayView2<'a, f64>,
    /// Class index of each row.
    pub y: &'a [usize],
    /// Number of classes (some may have no rows in a cross-validation split).
    pub classes: usize,
    /// Weight of each row.
    pub weights: &'a [f64],
}

impl Estimator {
    fn fit(spec: &ModelSpec, data: TrainingData, seed: u64) -> Estimator {
        match spec {
            ModelSpec::Logistic(p) => Estimator::Logistic(logistic::Logistic::fit(p, data)),
            ModelSpec::Mlp(p) => Estimator::Mlp(mlp::Mlp::fit(p, data, seed)),
            ModelSpec::Forest(p) => Estimator::Forest(forest::Forest::fit(p, data, seed)),
            ModelSpec::Boosting(p) => Estimator::Boosting(boosting::Boosting::fit(p, data, seed)),
            ModelSpec::Svm(p) => Estimator::Svm(svm::Svm::fit(p, data)),
        }
    }

    fn predict_proba(&self, x: ArrayView2<f64>) -> Array2<f64> {
        match self {
            Estimator::Logistic(m) => m.predict_proba(x),
            Estimator::Mlp(m) => m.predict_proba(x),
            Estimator::Forest(m) => m.predict_proba(x),
            Estimator::Boosting(m) => m.predict_proba(x),
            Estimator::Svm(m) => m.predict_proba(x),
        }
    }

    fn predict(&self, x: ArrayView2<f64>) -> Vec<usize> {
        match self {
            // An SVM predicts by one-against-one votes, as libsvm and scikit-learn do; its
            // probabilities are a calibrated estimate that may rarely disagree.
            Estimator::Svm(m) => m.predict(x),
            other => argmax_rows(other.predict_proba(x).view()),
        }
    }

    /// Checks that the state is usable with `features` inputs and `classes` outputs (a model
    /// file may have been edited by hand).
    fn check_shape(&self, features: usize, classes: usize) -> Result<(), String> {
        match self {
            Estimator::Logistic(m) => m.check_shape(features, classes),
            Estimator::Mlp(m) => m.check_shape(features, classes),
            Estimator::Forest(m) => m.check_shape(features, classes),
            Estimator::Boosting(m) => m.check_shape(features, classes),
            Estimator::Svm(m) => m.check_shape(features, classes),
        }
    }
}

/// Index of the largest value of each row (the first on ties).
pub fn argmax_rows(values: ArrayView2<f64>) -> Vec<usize> {
    values
        .axis_iter(Axis(0))
        .map(|row| {
            let mut best = 0;
            for (i, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = i;
                }
            }
            best
        })
        .collect()
}

/// Training cannot start.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// The table has no class column.
    #[error("the table has no label column, so there is nothing to learn")]
    NoLabels,
    /// Fewer than two classes.
    #[error("every row has the class \"{class}\": a classifier needs at least two classes")]
    SingleClass {
        /// The only class.
        class: String,
    },
    /// Too few rows.
    #[error("{rows} rows are too few to train on")]
    TooFewRows {
        /// Rows in the table.
        rows: usize,
    },
    /// Labels and rows disagree in number.
    #[error("{rows} feature rows but {labels} labels")]
    LengthMismatch {
        /// Feature rows.
        rows: usize,
        /// Labels.
        labels: usize,
    },
    /// A setting is out of range.
    #[error("{model}: {message}")]
    InvalidParameter {
        /// The family.
        model: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// A table's columns do not match a model's features.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", feature_mismatch_message(.missing, .extra, *.reordered))]
pub struct FeatureMismatch {
    /// Features the model needs that the table lacks.
    pub missing: Vec<String>,
    /// Table features the model does not know.
    pub extra: Vec<String>,
    /// Same names, other order.
    pub reordered: bool,
}

fn feature_mismatch_message(missing: &[String], extra: &[String], reordered: bool) -> String {
    let mut parts = Vec::new();
    if !missing.is_empty() {
        // The ones with a close name in the table first: they are most likely renames.
        let mut described = Vec::new();
        let mut unmatched = Vec::new();
        for name in missing {
            match names::closest(name, extra) {
                Some(similar) => {
                    described.push(format!("{name} (the table has \"{similar}\": renamed?)"))
                }
                None => unmatched.push(name.clone()),
            }
        }
        described.extend(unmatched);
        parts.push(format!(
            "the table lacks {} feature column(s) the model was trained on: {}",
            missing.len(),
            names::listed(&described, COLUMNS_LISTED)
        ));
    }
    if !extra.is_empty() {
        parts.push(format!(
            "the table has feature column(s) the model does not know: {}",
            names::listed(extra, COLUMNS_LISTED)
        ));
    }
    if reordered && parts.is_empty() {
        parts.push("the feature columns are in another order than the model's".to_string());
    }
    parts.join("; ")
}

/// A trained classifier: standardisation, a fitted family, and the names of its inputs and
/// outputs. Predictions take raw (unstandardised) feature rows in `feature_names()` order.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub(crate) feature_names: Vec<String>,
    pub(crate) class_names: Vec<String>,
    pub(crate) standardiser: Standardiser,
    pub(crate) spec: ModelSpec,
    pub(crate) seed: u64,
    pub(crate) estimator: Estimator,
    pub(crate) training: Option<super::model_file::TrainingSummary>,
}

/// Sorted distinct labels and the index of each row's label among them.
pub fn encode_labels(labels: &[String]) -> (Vec<String>, Vec<usize>) {
    let mut classes: Vec<String> = labels.to_vec();
    classes.sort();
    classes.dedup();
    let y = labels
        .iter()
        .map(|label| classes.binary_search(label).unwrap_or(0))
        .collect();
    (classes, y)
}

impl Model {
    /// Trains `spec` on a labelled table.
    pub fn fit(spec: &ModelSpec, table: &FeatureTable, seed: u64) -> Result<Model, FitError> {
        let labels = table.labels.as_ref().ok_or(FitError::NoLabels)?;
        Model::fit_rows(spec, &table.feature_names, table.rows.view(), labels, seed)
    }

    /// Trains `spec` on raw feature rows with their labels; classes are the sorted distinct
    /// labels.
    pub fn fit_rows(
        spec: &ModelSpec,
        feature_names: &[String],
        rows: ArrayView2<f64>,
        labels: &[String],
        seed: u64,
    ) -> Result<Model, FitError> {
        if rows.nrows() != labels.len() {
            return Err(FitError::LengthMismatch {
                rows: rows.nrows(),
                labels: labels.len(),
            });
        }
        let (classes, y) = encode_labels(labels);
        if classes.len() < 2 {
            return match classes.into_iter().next() {
                Some(class) => Err(FitError::SingleClass { class }),
                None => Err(FitError::TooFewRows { rows: 0 }),
            };
        }
        Model::fit_encoded(spec, feature_names, &classes, rows, &y, seed)
    }

    /// Trains on class indices into `class_names` (cross-validation keeps the full class list
    /// even when a training split lacks a class).
    pub(crate) fn fit_encoded(
        spec: &ModelSpec,
        feature_names: &[String],
        class_names: &[String],
        rows: ArrayView2<f64>,
        y: &[usize],
        seed: u64,
    ) -> Result<Model, FitError> {
        spec.validate()?;
        if rows.nrows() < 2 {
            return Err(FitError::TooFewRows { rows: rows.nrows() });
        }
        let standardiser = Standardiser::fit(rows);
        let x = standardiser.transform(rows);
        let class_weight = match spec {
            ModelSpec::Logistic(p) => p.class_weight,
            ModelSpec::Mlp(p) => p.class_weight,
            ModelSpec::Forest(p) => p.class_weight,
            ModelSpec::Boosting(p) => p.class_weight,
            ModelSpec::Svm(p) => p.class_weight,
        };
        let weights = class_weight.row_weights(y, class_names.len());
        let data = TrainingData {
            x: x.view(),
            y,
            classes: class_names.len(),
            weights: &weights,
        };
        let estimator = Estimator::fit(spec, data, seed);
        Ok(Model {
            feature_names: feature_names.to_vec(),
            class_names: class_names.to_vec(),
            standardiser,
            spec: spec.clone(),
            seed,
            estimator,
            training: None,
        })
    }

    /// Feature names, in the column order predictions expect.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Class names, in the column order of [`Model::predict_proba`].
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The family and settings the model was trained with.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// How the model was trained (rows, classes, cross-validation), when recorded.
    pub fn training(&self) -> Option<&super::model_file::TrainingSummary> {
        self.training.as_ref()
    }

    /// Records how the model was trained (saved in the model file).
    pub fn set_training(&mut self, training: super::model_file::TrainingSummary) {
        self.training = Some(training);
    }

    /// Records where the training data came from (its attribution and licence); saved in the
    /// model file's `training.data_source`. Does nothing on a model without a training record.
    pub fn set_data_source(&mut self, source: String) {
        if let Some(training) = &mut self.training {
            training.data_source = Some(source);
        }
    }

    /// Checks that `names` are exactly the model's features, in order.
    pub fn check_features(&self, names: &[String]) -> Result<(), FeatureMismatch> {
        if names == self.feature_names.as_slice() {
            return Ok(());
        }
        let missing = self
            .feature_names
            .iter()
            .filter(|name| !names.contains(name))
            .cloned()
            .collect();
        let extra = names
            .iter()
            .filter(|name| !self.feature_names.contains(name))
            .cloned()
            .collect();
        Err(FeatureMismatch {
            missing,
            extra,
            reordered: true,
        })
    }

    fn standardised(&self, rows: ArrayView2<f64>) -> Result<Array2<f64>, FeatureMismatch> {
        if rows.ncols() != self.feature_names.len() {
            return Err(FeatureMismatch {
                missing: vec![format!(
                    "{} columns given, {} expected",
                    rows.ncols(),
                    self.feature_names.len()
                )],
                extra: Vec::new(),
                reordered: false,
            });
        }
        Ok(self.standardiser.transform(rows))
    }

    /// Class probabilities of raw feature rows: one row per input, one column per class.
    pub fn predict_proba(&self, rows: ArrayView2<f64>) -> Result<Array2<f64>, FeatureMismatch> {
        let x = self.standardised(rows)?;
        Ok(self.estimator.predict_proba(x.view()))
    }

    /// The predicted class index of each raw feature row.
    pub fn predict(&self, rows: ArrayView2<f64>) -> Result<Vec<usize>, FeatureMismatch> {
        let x = self.standardised(rows)?;
        Ok(self.estimator.predict(x.view()))
    }

    /// Predicted classes and probabilities of a table, after checking its features.
    pub fn predict_table(
        &self,
        table: &FeatureTable,
    ) -> Result<(Vec<usize>, Array2<f64>), FeatureMismatch> {
        self.check_features(&table.feature_names)?;
        let x = self.standardised(table.rows.view())?;
        Ok((
            self.estimator.predict(x.view()),
            self.estimator.predict_proba(x.view()),
        ))
    }

    pub(crate) fn check_shape(&self) -> Result<(), String> {
        let d = self.feature_names.len();
        if self.standardiser.mean.len() != d || self.standardiser.scale.len() != d {
            return Err(format!(
                "the standardisation has {} values for {d} features",
                self.standardiser.mean.len()
            ));
        }
        if self.class_names.len() < 2 {
            return Err("fewer than two classes".to_string());
        }
        self.estimator.check_shape(d, self.class_names.len())
    }
}

/// Applies `f(row, out)` to every row of `x` in parallel, `out` being that row's `width`
/// values of the result. Each row is computed independently, so the result does not depend
/// on the number of threads.
pub(crate) fn map_rows<F>(x: ArrayView2<f64>, width: usize, f: F) -> Array2<f64>
where
    F: Fn(&[f64], &mut [f64]) + Sync,
{
    use rayon::prelude::*;
    let n = x.nrows();
    let mut out = vec![0.0; n * width];
    if width > 0 {
        out.par_chunks_mut(width).enumerate().for_each(|(i, slot)| {
            let row = x.row(i).to_vec();
            f(&row, slot);
        });
    }
    Array2::from_shape_vec((n, width), out).expect("n x width values")
}

/// Whether `value` is a finite number above 0.
pub(crate) fn is_positive(value: f64) -> bool {
    value > 0.0 && value.is_finite()
}

/// Whether `value` is in (0, 1].
pub(crate) fn in_unit_interval(value: f64) -> bool {
    value > 0.0 && value <= 1.0
}

/// Softmax of each row, in place (numerically stable).
pub(crate) fn softmax_rows(values: &mut Array2<f64>) {
    for mut row in values.axis_iter_mut(Axis(0)) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
    }
}

/// A table cannot be fed to a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelInputError {
    /// The table itself is unusable.
    #[error(transparent)]
    Table(#[from] super::table::TableError),
    /// The table lacks the model's features.
    #[error("{path}: {mismatch}")]
    Features {
        /// The table.
        path: std::path::PathBuf,
        /// Which columns differ.
        mismatch: FeatureMismatch,
    },
}

impl Model {
    /// The model's feature columns of `raw` (other columns are ignored), with labels from
    /// `label` when present (required when `require_label`). A table missing any of the
    /// model's features is an error listing them all, and the table's own feature columns the
    /// model does not know.
    pub fn features_of(
        &self,
        raw: &super::table::RawTable,
        label: &str,
        require_label: bool,
    ) -> Result<FeatureTable, ModelInputError> {
        let missing: Vec<String> = self
            .feature_names
            .iter()
            .filter(|name| raw.column_index(name).is_none())
            .cloned()
            .collect();
        if !missing.is_empty() {
            let own = raw
                .to_feature_table(&super::table::TableOptions {
                    label: label.to_string(),
                    features: None,
                    require_label: false,
                })
                .map(|t| t.feature_names)
                .unwrap_or_default();
            let extra = own
                .into_iter()
                .filter(|name| !self.feature_names.contains(name))
                .collect();
            return Err(ModelInputError::Features {
                path: raw.path.clone(),
                mismatch: FeatureMismatch {
                    missing,
                    extra,
                    reordered: false,
                },
            });
        }
        Ok(raw.to_feature_table(&super::table::TableOptions {
            label: label.to_string(),
            features: Some(self.feature_names.clone()),
            require_label,
        })?)
    }
}

impl Model {
    /// Scores the model on a labelled table (features checked). Labels the model does not
    /// know are added after its classes, so their rows count as errors.
    pub fn evaluate(&self, table: &FeatureTable) -> Result<super::metrics::Evaluation, FitError> {
        let labels = table.labels.as_ref().ok_or(FitError::NoLabels)?;
        let (predicted, _) =
            self.predict_table(table)
                .map_err(|mismatch| FitError::InvalidParameter {
                    model: "evaluate",
                    message: mismatch.to_string(),
                })?;
        let mut classes = self.class_names.clone();
        let mut unknown: Vec<String> = labels
            .iter()
            .filter(|l| !self.class_names.contains(l))
            .cloned()
            .collect();
        unknown.sort();
        unknown.dedup();
        classes.extend(unknown);
        let truth: Vec<usize> = labels
            .iter()
            .map(|l| classes.iter().position(|c| c == l).expect("listed"))
            .collect();
        Ok(super::metrics::Evaluation::new(classes, &truth, &predicted))
    }
}
