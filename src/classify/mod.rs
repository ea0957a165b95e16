//! Built-in classifiers: train, tune, evaluate and apply models on feature tables.
//!
//! | step | module |
//! | --- | --- |
//! | read a table (ImageJ Results, hemato's, bloodcells) | [`table`] |
//! | standardise features (inside every model) | [`standardise`] |
//! | logistic regression, MLP, random forest, boosting, SVM | [`models`] |
//! | stratified k-fold CV, grid search on macro F1 | [`cv`], [`grid`] |
//! | accuracy, F1, confusion matrix | [`metrics`] |
//! | text, CSV, JSON and PNG reports | [`report`], [`heatmap`] |
//! | versioned JSON model files | [`model_file`] |
//!
//! ```
//! use hemato::classify::{Model, ModelSpec};
//! use ndarray::array;
//!
//! let rows = array![[0.0, 0.1], [0.2, 0.0], [5.0, 5.1], [5.2, 4.9]];
//! let labels: Vec<String> = ["a", "a", "b", "b"].iter().map(|s| s.to_string()).collect();
//! let names = vec!["x".to_string(), "y".to_string()];
//! let spec = ModelSpec::default_for("logistic").unwrap();
//! let model = Model::fit_rows(&spec, &names, rows.view(), &labels, 0).unwrap();
//! let predicted = model.predict(array![[0.1, 0.0], [5.0, 5.0]].view()).unwrap();
//! assert_eq!(predicted, vec![0, 1]);
//! assert_eq!(model.class_names(), ["a", "b"]);
//! ```

pub mod cv;
pub mod grid;
pub mod heatmap;
pub mod metrics;
pub mod model_file;
pub mod models;
pub mod names;
pub mod report;
mod rng;
pub mod standardise;
pub mod table;
pub mod tuning;

pub use metrics::Evaluation;
pub use model_file::ModelFileError;
pub use models::{FeatureMismatch, FitError, Model, ModelSpec};
pub use table::{read_table, FeatureTable, RawTable, TableError, TableOptions};
