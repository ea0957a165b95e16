//! The one place where a white cell gets its subtype.
//!
//! `hemato count` detects nucleated cells itself ([`super::fields`]); what kind each one is
//! comes from a model over named features of the cell. Until a model is given, white cells are
//! counted in the white-cell total without a subtype.

use image::RgbImage;

use super::fields::Detection;
use super::scale::Scale;
use super::CellClass;

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

/// How white cells are classified.
#[derive(Clone, Debug, Default)]
pub enum WhiteCellClassifier {
    /// No model: white cells are counted without a subtype.
    #[default]
    None,
}

impl WhiteCellClassifier {
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
        }
    }
}
