//! The one place where a white cell gets its subtype.
//!
//! `hemato count` detects nucleated cells itself ([`super::fields`]); what kind each one is
//! comes from a model (a [`crate::classify`] model file) over named features of the cell.
//! Without a model, white cells are counted in the white-cell total without a subtype.

use std::path::Path;

use image::RgbImage;

use super::fields::Detection;
use super::scale::Scale;
use super::CellClass;
use crate::classify::{Model, ModelFileError};

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

/// Why a white-cell model cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    /// The file is not a readable model file.
    #[error(transparent)]
    File(#[from] ModelFileError),
    /// The model's classes are not classes `hemato count` reports.
    #[error("the model's class {name:?} is not one of hemato count's classes (rbc, platelet, neutrophil, lymphocyte, monocyte, eosinophil, basophil, ig, erythroblast)")]
    UnknownClass {
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
    /// A model over named white-cell features, with the report class of each model class.
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

    /// Loads a model file (see `docs/classification.md`).
    pub fn load(path: &Path) -> Result<WhiteCellClassifier, ClassifierError> {
        WhiteCellClassifier::from_model(Model::load(path)?)
    }

    /// Uses `model`; its class names must be report classes ([`CellClass::from_name`]).
    pub fn from_model(model: Model) -> Result<WhiteCellClassifier, ClassifierError> {
        let classes = model
            .class_names()
            .iter()
            .map(|name| {
                CellClass::from_name(name)
                    .ok_or_else(|| ClassifierError::UnknownClass { name: name.clone() })
            })
            .collect::<Result<_, _>>()?;
        Ok(WhiteCellClassifier::Model {
            model: Box::new(model),
            classes,
        })
    }

    /// Classifies one nucleated cell of `image`.
    pub fn classify(
        &self,
        _image: &RgbImage,
        _cell: &Detection,
        _scale: Option<&Scale>,
    ) -> Result<Decision, String> {
        match self {
            WhiteCellClassifier::None => Ok(Decision {
                class: None,
                probability: f64::NAN,
                features: Vec::new(),
            }),
            WhiteCellClassifier::Model { .. } => {
                Err("white-cell features are not available in this build".to_string())
            }
        }
    }
}
