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

/// The built-in model file's text.
const BUILTIN_MODEL: &str = include_str!("../../models/pbc.json");
/// Its name in messages.
const BUILTIN_MODEL_NAME: &str = "models/pbc.json (built in)";

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

/// How a model's probabilities become the class of a nucleated detection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClassChoice {
    /// The class gate of [`choose_class`]: a white class unless the model is sure of a platelet
    /// or an erythroblast with a nucleus that fits. The default, for a model trained on another
    /// microscope's images (the built-in one, for any field that is not PBC's).
    #[default]
    Gated,
    /// The model's most probable class ([`most_probable`]), for a model trained on the same
    /// microscope's images: there the calls the gate overrules are mostly right (held-out PBC
    /// images: macro F1 0.881 gated, 0.908 without; docs/accuracy.md).
    MostProbable,
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
        /// The position in [`features::feature_names`] of each of the model's features, in
        /// the model's order.
        columns: Vec<usize>,
        /// How the probabilities become a class.
        choice: ClassChoice,
    },
}

impl WhiteCellClassifier {
    /// The classifier built into hemato: `models/pbc.json` (an RBF SVM over the white-cell
    /// columns that transfer between microscopes, measured on smoothed, colour-normalised
    /// images; 8 PBC classes; `models/README.md` says how it was trained and chosen), compiled
    /// into the binary.
    pub fn builtin() -> WhiteCellClassifier {
        let model = Model::from_json(Path::new(BUILTIN_MODEL_NAME), BUILTIN_MODEL)
            .expect("the built-in model file is valid (checked by the tests)");
        WhiteCellClassifier::from_model(model, BUILTIN_MODEL_NAME)
            .expect("the built-in model uses hemato's white-cell features and classes")
    }

    /// Loads a model file (see `docs/classification.md`) and checks that it fits.
    pub fn load(path: &Path) -> Result<WhiteCellClassifier, ClassifierError> {
        let model = Model::load(path)?;
        WhiteCellClassifier::from_model(model, &path.display().to_string())
    }

    /// Uses `model` (from `origin`, for messages): its features must be
    /// [`features::feature_names`] in order, its class names report classes.
    pub fn from_model(model: Model, origin: &str) -> Result<WhiteCellClassifier, ClassifierError> {
        let columns = feature_columns(&model, &features::feature_names()).map_err(|mismatch| {
            ClassifierError::Features {
                origin: origin.to_string(),
                mismatch,
            }
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
            columns,
            choice: ClassChoice::default(),
        })
    }

    /// The same classifier choosing classes by `choice` (no effect without a model).
    pub fn with_choice(self, choice: ClassChoice) -> WhiteCellClassifier {
        match self {
            WhiteCellClassifier::None => WhiteCellClassifier::None,
            WhiteCellClassifier::Model {
                model,
                classes,
                columns,
                ..
            } => WhiteCellClassifier::Model {
                model,
                classes,
                columns,
                choice,
            },
        }
    }

    /// Classifies one nucleated cell of `image`. Without a model, or when the cell cannot be
    /// described (see the module docs), the decision has no class.
    pub fn classify(
        &self,
        image: &RgbImage,
        cell: &Detection,
        scale: Option<&Scale>,
    ) -> Result<Decision, String> {
        let WhiteCellClassifier::Model {
            model,
            classes,
            columns,
            choice,
        } = self
        else {
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
        let values: Vec<f64> = columns.iter().map(|&i| described.features[i]).collect();
        let row =
            Array2::from_shape_vec((1, values.len()), values).map_err(|error| error.to_string())?;
        let probabilities = model
            .predict_proba(row.view())
            .map_err(|error| error.to_string())?;
        let named = described.named_features();
        let feature = |wanted: &str| {
            named
                .iter()
                .find(|(name, _)| name == wanted)
                .map_or(f64::NAN, |(_, value)| *value)
        };
        let nucleus = GateNucleus {
            area: feature(NUCLEUS_AREA),
            circularity: feature(NUCLEUS_CIRCULARITY),
        };
        let probabilities = probabilities.row(0).to_vec();
        let chosen = match choice {
            ClassChoice::Gated => choose_class(&probabilities, classes, nucleus),
            ClassChoice::MostProbable => most_probable(&probabilities, classes, &|_| true),
        };
        let Some((best, probability)) = chosen else {
            return Ok(Decision::unclassified());
        };
        Ok(Decision {
            class: Some(classes[best]),
            probability,
            features: named,
        })
    }
}

/// Where each of the model's features is in `names` (the columns of
/// [`features::feature_names`]): a model may use any subset of them, in any order (the shipped
/// one uses those that transfer between microscopes; `models/README.md`). Features the model
/// needs that `names` lacks are the mismatch.
pub fn feature_columns(model: &Model, names: &[String]) -> Result<Vec<usize>, FeatureMismatch> {
    let mut columns = Vec::with_capacity(model.feature_names().len());
    let mut missing = Vec::new();
    for name in model.feature_names() {
        match names.iter().position(|candidate| candidate == name) {
            Some(column) => columns.push(column),
            None => missing.push(name.clone()),
        }
    }
    if missing.is_empty() {
        Ok(columns)
    } else {
        Err(FeatureMismatch {
            missing,
            extra: Vec::new(),
            reordered: false,
        })
    }
}

/// The features that gate a non-white call (see [`choose_class`]).
const NUCLEUS_CIRCULARITY: &str = "nucleus_circularity";
const NUCLEUS_AREA: &str = "nucleus_area";
/// A model may call a nucleated detection a platelet or an erythroblast only this sure ...
pub const NON_WHITE_PROBABILITY: f64 = 0.9;
/// ... and only when its nucleus is at least this round (platelet clumps and erythroblast
/// nuclei are compact and round; white-cell nuclei in fields are mostly lobed or indented).
/// Of PBC's sure calls (≥ 0.9), 347 of 368 erythroblasts and 385 of 393 platelets reach 0.4
/// (317 and 349 reach 0.6); the field white cells the model is sure are erythroblasts or
/// platelets, and which no other rule keeps white, have 0.19-0.23 (docs/accuracy.md).
pub const NON_WHITE_CIRCULARITY: f64 = 0.4;
/// A platelet call also needs a "nucleus" (the platelet's violet granulomere: a platelet is
/// violet throughout) smaller than one red cell: π/4 red-cell diameters², the area of a disc
/// one red-cell diameter across. A platelet is 2-3 µm across, a third of a red cell's
/// diameter; the largest platelets of PBC's platelet folder reach one to two red-cell areas
/// (giant platelets, 26 of its 395 platelet calls in the count path), while a small
/// lymphocyte's nucleus is about a red cell's size. A white cell lost to the platelets is the
/// worse error (docs/counting.md, step 7; docs/accuracy.md has the figures).
pub const PLATELET_NUCLEUS_MAX: f64 = std::f64::consts::FRAC_PI_4;

/// What the gate of [`choose_class`] looks at: the nucleus as [`features`] measured it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GateNucleus {
    /// `nucleus_area`, in red-cell diameters² (NaN when not measured).
    pub area: f64,
    /// `nucleus_circularity` (NaN when not measured).
    pub circularity: f64,
}

/// The class of a nucleated detection from the model's probabilities (in the order of
/// `classes`) and its nucleus, with the probability of that class (`None` without classes).
///
/// The detector has already decided that the object is nucleated, so a white-cell class is
/// the default: the most probable one. The model may overrule the detector (platelet,
/// erythroblast) only when it is sure and the nucleus is roundish, and for a platelet only
/// when the nucleus is smaller than a red cell ([`PLATELET_NUCLEUS_MAX`]). A model trained on
/// one microscope's images can be wrong on another's (the earlier PBC model, on raw colours,
/// called every white cell of the BCCD and Aslan fields an erythroblast, with probabilities
/// 0.36-0.77, while it gives PBC's own erythroblasts and platelets mostly more than 0.94; the
/// shipped one calls four field white cells platelets with probabilities 0.91-0.98, each with
/// a nucleus larger than a red cell; docs/accuracy.md), and without this gate such white cells
/// would drop out of the white-cell count. Ties go to the first class.
pub fn choose_class(
    probabilities: &[f64],
    classes: &[CellClass],
    nucleus: GateNucleus,
) -> Option<(usize, f64)> {
    let overall = most_probable(probabilities, classes, &|_| true)?;
    let class = classes[overall.0];
    if class.is_white() {
        return Some(overall);
    }
    let sure = overall.1 >= NON_WHITE_PROBABILITY && nucleus.circularity >= NON_WHITE_CIRCULARITY;
    let small_enough = class != CellClass::Platelet || nucleus.area < PLATELET_NUCLEUS_MAX;
    if sure && small_enough {
        return Some(overall);
    }
    most_probable(probabilities, classes, &|class| class.is_white()).or(Some(overall))
}

/// The most probable of the classes that `keep` accepts (probabilities in the order of
/// `classes`), with its probability; ties go to the first class. `None` when none is kept.
pub fn most_probable(
    probabilities: &[f64],
    classes: &[CellClass],
    keep: &dyn Fn(CellClass) -> bool,
) -> Option<(usize, f64)> {
    probabilities
        .iter()
        .zip(classes)
        .enumerate()
        .filter(|(_, (_, &class))| keep(class))
        .fold(None, |best, (index, (&p, _))| match best {
            Some((_, q)) if q >= p => best,
            _ => Some((index, p)),
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSES: [CellClass; 4] = [
        CellClass::Erythroblast,
        CellClass::Lymphocyte,
        CellClass::Neutrophil,
        CellClass::Platelet,
    ];

    /// A nucleus of `area` red-cell diameters² and this circularity.
    fn nucleus(area: f64, circularity: f64) -> GateNucleus {
        GateNucleus { area, circularity }
    }

    #[test]
    fn a_white_class_wins_when_most_probable() {
        let lobed = nucleus(0.5, 0.0);
        assert_eq!(
            choose_class(&[0.1, 0.2, 0.6, 0.1], &CLASSES, lobed),
            Some((2, 0.6))
        );
        // Ties go to the first class.
        assert_eq!(
            choose_class(&[0.0, 0.5, 0.5, 0.0], &CLASSES, lobed),
            Some((1, 0.5))
        );
    }

    #[test]
    fn non_white_calls_need_certainty_and_a_round_nucleus() {
        // Erythroblast at 0.85: not sure enough, the best white class instead.
        assert_eq!(
            choose_class(&[0.85, 0.05, 0.1, 0.0], &CLASSES, nucleus(0.5, 0.95)),
            Some((2, 0.1))
        );
        // At the threshold (0.9) and round enough (0.4): the model's call stands.
        assert_eq!(
            choose_class(&[0.9, 0.04, 0.06, 0.0], &CLASSES, nucleus(0.5, 0.4)),
            Some((0, 0.9))
        );
        // Sure, but a lobed nucleus (Aslan image-21's neutrophil: 0.973 erythroblast,
        // circularity 0.234): still white.
        assert_eq!(
            choose_class(
                &[0.973, 0.0003, 0.0002, 0.0],
                &CLASSES,
                nucleus(0.97, 0.234)
            ),
            Some((1, 0.0003))
        );
        // Sure and round: the model's call stands.
        assert_eq!(
            choose_class(&[0.0, 0.0, 0.0005, 0.9995], &CLASSES, nucleus(0.5, 0.9)),
            Some((3, 0.9995))
        );
        // Not measured: white.
        assert_eq!(
            choose_class(
                &[0.0, 0.0, 0.0005, 0.9995],
                &CLASSES,
                nucleus(f64::NAN, f64::NAN)
            ),
            Some((2, 0.0005))
        );
    }

    #[test]
    fn the_most_probable_class_ignores_the_gate() {
        // The gate turns a lobed nucleus's sure erythroblast call white; the plain choice
        // keeps the model's call.
        let probabilities = [0.97, 0.01, 0.02, 0.0];
        let lobed = nucleus(0.5, 0.2);
        assert_eq!(
            choose_class(&probabilities, &CLASSES, lobed),
            Some((2, 0.02))
        );
        assert_eq!(
            most_probable(&probabilities, &CLASSES, &|_| true),
            Some((0, 0.97))
        );
        // Only the kept classes compete; none kept, no class.
        assert_eq!(
            most_probable(&probabilities, &CLASSES, &|class| class
                == CellClass::Platelet),
            Some((3, 0.0))
        );
        assert_eq!(most_probable(&probabilities, &CLASSES, &|_| false), None);
        assert_eq!(choose_class(&[], &[], lobed), None);
    }

    #[test]
    fn a_platelet_call_needs_a_nucleus_smaller_than_a_red_cell() {
        // A red cell of diameter d covers π/4 d² ≈ 0.785 d².
        let platelet = [0.0, 0.01, 0.02, 0.97];
        assert_eq!(
            choose_class(&platelet, &CLASSES, nucleus(0.78, 0.88)),
            Some((3, 0.97))
        );
        // Aslan image-110's lymphocyte: nucleus 0.892 d², circularity 0.878, platelet 0.969.
        assert_eq!(
            choose_class(&platelet, &CLASSES, nucleus(0.892, 0.878)),
            Some((2, 0.02))
        );
        // The size limit is the platelet's alone: a large round erythroblast nucleus stands.
        assert_eq!(
            choose_class(&[0.97, 0.01, 0.02, 0.0], &CLASSES, nucleus(1.7, 0.9)),
            Some((0, 0.97))
        );
    }

    #[test]
    fn centroid_of_runs_is_in_pixel_centres() {
        // Pixels (1, 0), (2, 0) and (1, 1): centroid (4/3, 1/3).
        let runs = [
            Run {
                y: 0,
                x_start: 1,
                x_end: 3,
            },
            Run {
                y: 1,
                x_start: 1,
                x_end: 2,
            },
        ];
        let (x, y) = centroid(&runs).unwrap();
        assert!((x - 4.0 / 3.0).abs() < 1e-12 && (y - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(centroid(&[]), None);
    }

    #[test]
    fn builtin_model_fits_the_features() {
        let WhiteCellClassifier::Model {
            model,
            classes,
            columns,
            choice,
        } = WhiteCellClassifier::builtin()
        else {
            panic!("the built-in classifier has a model");
        };
        assert_eq!(choice, ClassChoice::Gated);
        let names = features::feature_names();
        for (&column, name) in columns.iter().zip(model.feature_names()) {
            assert_eq!(&names[column], name);
        }
        assert_eq!(columns.len(), model.feature_names().len());
        assert_eq!(classes.len(), 8);
        assert!(!classes.contains(&CellClass::Rbc));
    }
}
