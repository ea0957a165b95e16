//! The one place where a white cell gets its subtype.
//!
//! `hemato count` detects nucleated cells itself ([`super::fields`]); what kind each one is
//! comes from a [`crate::classify`] model over the white-cell features of [`crate::features`]
//! (nucleus and cytoplasm shape, colour and texture, measured at a normalised scale by
//! [`features::describe_cell_at`] around the nucleus). A model's classes are report classes
//! ([`CellClass::from_name`]): besides the white-cell types it may call a nucleated-looking
//! object a platelet (clump) or an erythroblast.
//!
//! A cell whose features cannot be measured (no nucleus found at the normalised scale, a cell
//! cut by the border too small to describe) stays in the white-cell total without a subtype
//! (class `wbc` in the cells table) rather than failing the image.

use std::path::Path;

use image::RgbImage;
use ndarray::Array2;

use super::fields::Detection;
use super::scale::Scale;
use super::CellClass;
use crate::classify::{FeatureMismatch, Model, ModelFileError};
use crate::features;
use crate::measure::Run;

/// A subtype decision with the features it was made from.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The class; `None` when no model classified the cell.
    pub class: Option<CellClass>,
    /// The model's probability of that class.
    pub probability: f64,
    /// Features measured on the cell (written to the cells table).
    pub features: Vec<(String, f64)>,
}

impl Decision {
    fn unclassified() -> Decision {
        Decision {
            class: None,
            probability: f64::NAN,
            features: Vec::new(),
        }
    }
}

/// Why a white-cell model cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    /// The file is not a readable model file (wrong schema, version, JSON).
    #[error(transparent)]
    File(#[from] ModelFileError),
    /// The model was trained on other features than [`features::feature_names`].
    #[error("{origin}: the model does not use hemato's white-cell features ({mismatch}); train it on a table from `hemato features`")]
    Features {
        /// Where the model came from.
        origin: String,
        /// What differs.
        mismatch: FeatureMismatch,
    },
    /// The model's classes are not classes `hemato count` reports.
    #[error("{origin}: the model's class {name:?} is not one of hemato count's classes (platelet, neutrophil, lymphocyte, monocyte, eosinophil, basophil, ig, erythroblast)")]
    UnknownClass {
        /// Where the model came from.
        origin: String,
        /// The class name in the model.
        name: String,
    },
}

/// How white cells are classified.
#[derive(Clone, Debug, Default)]
pub enum WhiteCellClassifier {
    /// No model: white cells are counted without a subtype.
    #[default]
    None,
    /// A model over [`features::feature_names`], with the report class of each model class.
    Model {
        /// The model.
        model: Box<Model>,
        /// The class of each of the model's classes, in its order.
        classes: Vec<CellClass>,
    },
}

impl WhiteCellClassifier {
    /// The classifier built into hemato.
    pub fn builtin() -> WhiteCellClassifier {
        WhiteCellClassifier::None
    }

    /// Loads a model file (see `docs/classification.md`) and checks that it fits.
    pub fn load(path: &Path) -> Result<WhiteCellClassifier, ClassifierError> {
        let model = Model::load(path)?;
        WhiteCellClassifier::from_model(model, &path.display().to_string())
    }

    /// Uses `model` (from `origin`, for messages): its features must be
    /// [`features::feature_names`] in order, its class names report classes.
    pub fn from_model(model: Model, origin: &str) -> Result<WhiteCellClassifier, ClassifierError> {
        model
            .check_features(&features::feature_names())
            .map_err(|mismatch| ClassifierError::Features {
                origin: origin.to_string(),
                mismatch,
            })?;
        let classes = model
            .class_names()
            .iter()
            .map(|name| {
                CellClass::from_name(name)
                    .filter(|&class| class != CellClass::Rbc)
                    .ok_or_else(|| ClassifierError::UnknownClass {
                        origin: origin.to_string(),
                        name: name.clone(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(WhiteCellClassifier::Model {
            model: Box::new(model),
            classes,
        })
    }

    /// Classifies one nucleated cell of `image`. Without a model, or when the cell cannot be
    /// described (see the module docs), the decision has no class.
    pub fn classify(
        &self,
        image: &RgbImage,
        cell: &Detection,
        scale: Option<&Scale>,
    ) -> Result<Decision, String> {
        let WhiteCellClassifier::Model { model, classes } = self else {
            return Ok(Decision::unclassified());
        };
        let Some(diameter) = scale.and_then(red_cell_diameter) else {
            return Ok(Decision::unclassified());
        };
        let Ok(feature_scale) = features::Scale::from_red_cell_diameter(diameter) else {
            return Ok(Decision::unclassified());
        };
        let runs = if cell.nucleus.is_empty() {
            &cell.particle.runs
        } else {
            &cell.nucleus
        };
        let Some((x, y)) = centroid(runs) else {
            return Ok(Decision::unclassified());
        };
        let Ok(described) = features::describe_cell_at(image, x, y, feature_scale) else {
            return Ok(Decision::unclassified());
        };
        let row = Array2::from_shape_vec((1, described.features.len()), described.features.clone())
            .map_err(|error| error.to_string())?;
        let probabilities = model
            .predict_proba(row.view())
            .map_err(|error| error.to_string())?;
        // Highest probability; ties go to the first class, as `predict` does.
        let (best, probability) = probabilities.row(0).iter().copied().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |best, (index, p)| {
                if p > best.1 {
                    (index, p)
                } else {
                    best
                }
            },
        );
        Ok(Decision {
            class: Some(classes[best]),
            probability,
            features: described.named_features(),
        })
    }
}

/// The red-cell diameter in pixels of a scale: measured, else from the pixel size.
fn red_cell_diameter(scale: &Scale) -> Option<f64> {
    scale
        .red_cell_diameter
        .or_else(|| Some(super::scale::RED_CELL_DIAMETER_UM / scale.pixel_size))
}

/// The centroid (pixel centres) of runs, `None` when empty.
fn centroid(runs: &[Run]) -> Option<(f64, f64)> {
    let (mut count, mut sum_x, mut sum_y) = (0.0, 0.0, 0.0);
    for run in runs {
        let n = f64::from(run.len());
        count += n;
        // Sum of x + 0.5 over the run's pixels.
        sum_x += n * (f64::from(run.x_start) + f64::from(run.x_end)) / 2.0;
        sum_y += n * (f64::from(run.y) + 0.5);
    }
    (count > 0.0).then(|| (sum_x / count - 0.5, sum_y / count - 0.5))
}
