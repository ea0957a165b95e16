//! Model files: one JSON document holding everything a prediction needs, under a schema name
//! and version that loading checks first.
//!
//! ```json
//! {
//!   "schema": "hemato-classifier",
//!   "schema_version": 1,
//!   "hemato_version": "0.1.0",
//!   "feature_names": ["Area", "..."],
//!   "class_names": ["Basophil", "..."],
//!   "preprocessing": {"standardise": {"mean": [...], "scale": [...]}},
//!   "parameters": {"model": "svm", "c": 100.0, "...": "..."},
//!   "seed": 0,
//!   "training": {"rows": 5087, "class_counts": {...}, "cross_validation": {...}},
//!   "state": {"model": "svm", "...": "..."}
//! }
//! ```
//!
//! Numbers are written in shortest round-trip form, so a loaded model predicts exactly what
//! the saved one did; nothing time- or machine-dependent is written, so the same training
//! run gives the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::models::{Estimator, Model, ModelSpec};
use super::standardise::Standardiser;
use crate::output::{write_bytes_atomically, OutputError};

/// The schema name every model file carries.
pub const SCHEMA: &str = "hemato-classifier";
/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Cross-validation behind a model, as recorded in its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvSummary {
    /// Number of folds.
    pub folds: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Always `"macro_f1"`.
    pub metric: String,
    /// Mean over folds.
    pub mean: f64,
    /// Population standard deviation over folds.
    pub std: f64,
    /// Score of each fold.
    pub fold_scores: Vec<f64>,
    /// Settings compared (the chosen one included).
    pub settings_compared: usize,
}

/// How a model was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// File name of the training table (without folders).
    pub table: Option<String>,
    /// Rows trained on.
    pub rows: usize,
    /// Rows of each class.
    pub class_counts: BTreeMap<String, usize>,
    /// The cross-validation that chose the settings, if any.
    pub cross_validation: Option<CvSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Preprocessing {
    standardise: Standardiser,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    schema: String,
    schema_version: u32,
    hemato_version: String,
    feature_names: Vec<String>,
    class_names: Vec<String>,
    preprocessing: Preprocessing,
    parameters: ModelSpec,
    seed: u64,
    training: Option<TrainingSummary>,
    state: Estimator,
}

/// A model file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The file cannot be read.
    #[error("cannot read model {path}")]
    Io {
        /// The model file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("model {path} is not valid JSON")]
    Json {
        /// The model file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// JSON, but not a hemato model.
    #[error("{path} is not a hemato model file (no \"schema\": \"{SCHEMA}\")")]
    NotAModel {
        /// The file.
        path: PathBuf,
    },
    /// A model of another schema version.
    #[error("model {path} has schema version {found}; this hemato reads version {SCHEMA_VERSION} (retrain the model with this version)")]
    Version {
        /// The model file.
        path: PathBuf,
        /// Version in the file.
        found: String,
    },
    /// Right schema, but fields are missing, unknown or inconsistent.
    #[error("model {path} is damaged: {message}")]
    Invalid {
        /// The model file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Writing failed.
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl Model {
    /// The model file's text.
    pub fn to_json(&self) -> String {
        let file = ModelFile {
            schema: SCHEMA.to_string(),
            schema_version: SCHEMA_VERSION,
            hemato_version: env!("CARGO_PKG_VERSION").to_string(),
            feature_names: self.feature_names.clone(),
            class_names: self.class_names.clone(),
            preprocessing: Preprocessing {
                standardise: self.standardiser.clone(),
            },
            parameters: self.spec.clone(),
            seed: self.seed,
            training: self.training.clone(),
            state: self.estimator.clone(),
        };
        let mut text = serde_json::to_string(&file).expect("models serialise");
        text.push('\n');
        text
    }

    /// Writes the model file atomically.
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        write_bytes_atomically(path, self.to_json().as_bytes())?;
        Ok(())
    }

    /// Reads a model file, checking schema name and version before anything else.
    pub fn load(path: &Path) -> Result<Model, ModelFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Model::from_json(path, &text)
    }

    /// Parses model file text; `path` is only used in messages.
    pub fn from_json(path: &Path, text: &str) -> Result<Model, ModelFileError> {
        let path_buf = path.to_path_buf();
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|source| ModelFileError::Json {
                path: path_buf.clone(),
                source,
            })?;
        if value.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
            return Err(ModelFileError::NotAModel { path: path_buf });
        }
        match value.get("schema_version") {
            Some(v) if v.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
            other => {
                return Err(ModelFileError::Version {
                    path: path_buf,
                    found: other.map_or("(none)".to_string(), |v| v.to_string()),
                })
            }
        }
        let file: ModelFile =
            serde_json::from_value(value).map_err(|error| ModelFileError::Invalid {
                path: path_buf.clone(),
                message: error.to_string(),
            })?;
        let model = Model {
            feature_names: file.feature_names,
            class_names: file.class_names,
            standardiser: file.preprocessing.standardise,
            spec: file.parameters,
            seed: file.seed,
            estimator: file.state,
            training: file.training,
        };
        model
            .check_shape()
            .map_err(|message| ModelFileError::Invalid {
                path: path_buf,
                message,
            })?;
        Ok(model)
    }
}
