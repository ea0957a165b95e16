//! From a smear image to counts of each cell type (`hemato count`).
//!
//! | step | module |
//! | --- | --- |
//! | the field of view: frames and unlit corners left out | [`view`] |
//! | background colour, stain amounts relative to it | [`stain_maps`] |
//! | red cells, white cells, platelets on a field (or what each label of a user's segmentation is: [`count_labelled`]) | [`fields`] |
//! | pixel size: given, or from the median red-cell diameter | [`scale`] |
//! | white-cell subtype (features + model) | [`classifier`] |
//! | counts and cells tables, terminal summary | [`report`] |
//! | overlay images with outlines, legend and counts | [`overlay`] (text: [`crate::draw`]) |
//! | scoring against annotated boxes and folders | [`evaluation`] |
//!
//! One pipeline serves fields (many cells, BCCD, Aslan) and single-cell images (PBC: one
//! centred white cell): every nucleated cell found is classified, wherever it is.

pub mod classifier;
pub mod evaluation;
pub mod fields;
pub mod overlay;
pub mod report;
pub mod scale;
pub mod stain_maps;
pub mod view;

use std::path::{Path, PathBuf};

use image::RgbImage;
use rayon::prelude::*;

use crate::measure::{measure_shape, Calibration, ShapeMeasurements};
use crate::watershed::WatershedError;
pub use classifier::{ClassChoice, WhiteCellClassifier};
pub use fields::{Detection, FieldDetections, Kind, PieceShape};
pub use scale::Scale;

/// The classes `hemato count` reports, in the column order of the counts table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum CellClass {
    /// Red blood cell.
    Rbc,
    /// Platelet.
    Platelet,
    /// Neutrophil (band and segmented).
    Neutrophil,
    /// Lymphocyte.
    Lymphocyte,
    /// Monocyte.
    Monocyte,
    /// Eosinophil.
    Eosinophil,
    /// Basophil.
    Basophil,
    /// Immature granulocyte (metamyelocyte, myelocyte, promyelocyte).
    Ig,
    /// Erythroblast (nucleated red cell).
    Erythroblast,
}

impl CellClass {
    /// Every class, in table order.
    pub const ALL: [CellClass; 9] = [
        CellClass::Rbc,
        CellClass::Platelet,
        CellClass::Neutrophil,
        CellClass::Lymphocyte,
        CellClass::Monocyte,
        CellClass::Eosinophil,
        CellClass::Basophil,
        CellClass::Ig,
        CellClass::Erythroblast,
    ];

    /// The white-cell classes of the differential (erythroblasts are nucleated red cells and
    /// are reported beside it, not in it; platelets and red cells are not white cells).
    pub const WHITE: [CellClass; 6] = [
        CellClass::Neutrophil,
        CellClass::Lymphocyte,
        CellClass::Monocyte,
        CellClass::Eosinophil,
        CellClass::Basophil,
        CellClass::Ig,
    ];

    /// The column name (lower case, as the PBC folders and the model's classes).
    pub fn name(self) -> &'static str {
        match self {
            CellClass::Rbc => "rbc",
            CellClass::Platelet => "platelet",
            CellClass::Neutrophil => "neutrophil",
            CellClass::Lymphocyte => "lymphocyte",
            CellClass::Monocyte => "monocyte",
            CellClass::Eosinophil => "eosinophil",
            CellClass::Basophil => "basophil",
            CellClass::Ig => "ig",
            CellClass::Erythroblast => "erythroblast",
        }
    }

    /// The class of a name (case and surrounding spaces ignored).
    pub fn from_name(name: &str) -> Option<CellClass> {
        let wanted = name.trim().to_ascii_lowercase();
        CellClass::ALL
            .into_iter()
            .find(|class| class.name() == wanted)
    }

    /// Whether the class belongs to the white-cell differential.
    pub fn is_white(self) -> bool {
        CellClass::WHITE.contains(&self)
    }
}

/// One counted cell: a row of the cells table.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// 1-based number within its image; for a cell from a label image, its label's value.
    pub number: usize,
    /// Centroid (pixels).
    pub x: f64,
    /// Centroid (pixels).
    pub y: f64,
    /// Bounding box (pixels).
    pub bx: u32,
    /// Bounding box (pixels).
    pub by: u32,
    /// Bounding box (pixels).
    pub width: u32,
    /// Bounding box (pixels).
    pub height: u32,
    /// The class; `None` for a white cell that no model classified.
    pub class: Option<CellClass>,
    /// What detection found (red cell, platelet, nucleated cell).
    pub kind: Kind,
    /// Probability of the class (1 for red cells and platelets found by the detector).
    pub probability: f64,
    /// Named features (shape of the region; the model's features for white cells).
    pub features: Vec<(String, f64)>,
    /// Index of the detection this cell comes from (clumps give several cells).
    pub detection: usize,
}

/// Why an image file could not be counted.
#[derive(Debug, thiserror::Error)]
pub enum CountFileError {
    /// The file is not a readable 8-bit (or 16-bit RGB) colour or grey image.
    #[error(transparent)]
    Read(#[from] crate::io::ImageReadError),
    /// The image was read but could not be counted.
    #[error("{path}: {source}")]
    Count {
        /// The image.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: CountError,
    },
    /// A folder could not be listed.
    #[error("cannot list {path}: {source}")]
    List {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A path given is neither a file nor a folder.
    #[error("{0}: no such file or folder")]
    Missing(PathBuf),
}

pub use crate::io::IMAGE_EXTENSIONS;

/// The images to count: files as given, folders replaced by their image files (by extension,
/// hidden files skipped: [`crate::io::is_folder_image`]; masks and label images saved beside
/// their images left out: [`crate::io::without_companions`]; not recursive, sorted by name).
/// The order is the order of the outputs.
pub fn list_images(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, CountFileError> {
    let mut images = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let entries = std::fs::read_dir(input).map_err(|source| CountFileError::List {
                path: input.clone(),
                source,
            })?;
            let mut found = Vec::new();
            for entry in entries {
                let path = entry
                    .map_err(|source| CountFileError::List {
                        path: input.clone(),
                        source,
                    })?
                    .path();
                if path.is_file() && crate::io::is_folder_image(&path) {
                    found.push(path);
                }
            }
            found.sort();
            images.extend(crate::io::without_companions(found));
        } else if input.is_file() {
            images.push(input.clone());
        } else {
            return Err(CountFileError::Missing(input.clone()));
        }
    }
    Ok(images)
}

/// Reads an image file (RGBA: alpha dropped; 16-bit RGB: scaled to 8 bits) and counts it. A
/// grey image is read as RGB and refused by [`count_image`] ([`CountError::NotColour`]).
pub fn count_file(
    path: &Path,
    options: &CountOptions,
    classifier: &WhiteCellClassifier,
) -> Result<ImageCount, CountFileError> {
    let image = crate::io::read_rgb_image(path)?;
    count_image(&image, options, classifier).map_err(|source| CountFileError::Count {
        path: path.to_path_buf(),
        source,
    })
}

/// Why an image could not be counted.
#[derive(Debug, thiserror::Error)]
pub enum CountError {
    /// The image is too large for the watershed.
    #[error(transparent)]
    Watershed(#[from] WatershedError),
    /// The white-cell classifier failed.
    #[error("white-cell classifier: {0}")]
    Classifier(String),
    /// The pixel size is not a positive number.
    #[error("the pixel size must be a positive number of µm, not {0}")]
    BadPixelSize(f64),
    /// The shared red-cell area is not a positive number.
    #[error("the shared red-cell area must be a positive number of pixels, not {0}")]
    BadRedCellArea(f64),
    /// Every pixel is grey ([`crate::color::is_grey`]): white cells and platelets are found by
    /// their stain colour, so a grey image would give red cells only.
    #[error(
        "the image has no colour (every pixel is grey): white cells and platelets are found by \
         their stain colour, so give the RGB image of a stained smear"
    )]
    NotColour,
    /// A label image does not have its image's size.
    #[error("the label image is {}x{} pixels but the image {}x{}", .labels.0, .labels.1, .image.0, .image.1)]
    LabelSize {
        /// Width and height of the label image.
        labels: (u32, u32),
        /// Width and height of the image.
        image: (u32, u32),
    },
}

/// Settings of a count.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CountOptions {
    /// Known pixel size in µm; `None` estimates it from the red cells.
    pub pixel_size: Option<f64>,
    /// Without a pixel size: the area in pixels of one red cell measured over a set of images
    /// of one microscope ([`shared_red_cell_area`]), used instead of each image's own estimate.
    /// `None`: each image's own.
    pub shared_red_cell_area: Option<f64>,
}

/// The result of counting one image.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageCount {
    /// What the detector found.
    pub field: FieldDetections,
    /// The scale used.
    pub scale: Option<Scale>,
    /// One row per cell.
    pub cells: Vec<Cell>,
    /// How many times enlarged the image was counted ([`enlargement`]); 1 as it is.
    pub enlarged: u32,
}

impl ImageCount {
    /// The same count with every position moved by `(dx, dy)` pixels (from the part of an
    /// image inside a frame to the image); `None` when a coordinate would leave the `u32`
    /// range.
    pub fn translated(self, dx: u32, dy: u32) -> Option<ImageCount> {
        let detections = self
            .field
            .detections
            .iter()
            .map(|detection| detection.translated(dx, dy))
            .collect::<Option<Vec<_>>>()?;
        let cells = self
            .cells
            .into_iter()
            .map(|cell| {
                Some(Cell {
                    x: cell.x + f64::from(dx),
                    y: cell.y + f64::from(dy),
                    bx: cell.bx.checked_add(dx)?,
                    by: cell.by.checked_add(dy)?,
                    ..cell
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(ImageCount {
            field: FieldDetections {
                detections,
                ..self.field
            },
            scale: self.scale,
            cells,
            enlarged: self.enlarged,
        })
    }

    /// Number of cells of `class`.
    pub fn count(&self, class: CellClass) -> u64 {
        self.cells
            .iter()
            .filter(|cell| cell.class == Some(class))
            .count() as u64
    }

    /// The detections with the kind their class reports them as: a nucleated-looking object
    /// the model calls a platelet is a platelet (for scoring against annotations).
    pub fn reported_detections(&self) -> Vec<Detection> {
        self.field
            .detections
            .iter()
            .enumerate()
            .map(|(index, detection)| {
                let class = self
                    .cells
                    .iter()
                    .find(|cell| cell.detection == index)
                    .and_then(|cell| cell.class);
                let mut reported = detection.clone();
                reported.kind = match class {
                    Some(CellClass::Rbc) => Kind::RedCell,
                    Some(CellClass::Platelet) => Kind::Platelet,
                    Some(_) => Kind::WhiteCell,
                    None => detection.kind,
                };
                reported
            })
            .collect()
    }

    /// Number of white cells that no model classified.
    pub fn unclassified_white(&self) -> u64 {
        self.cells
            .iter()
            .filter(|cell| cell.class.is_none() && cell.kind == Kind::WhiteCell)
            .count() as u64
    }

    /// Number of white cells (classified into the differential or not classified at all).
    pub fn white_total(&self) -> u64 {
        self.cells
            .iter()
            .filter(|cell| match cell.class {
                Some(class) => class.is_white(),
                None => cell.kind == Kind::WhiteCell,
            })
            .count() as u64
    }
}

/// Counts the cells of one RGB image: detection, scale, white-cell classification.
pub fn count_image(
    image: &RgbImage,
    options: &CountOptions,
    classifier: &WhiteCellClassifier,
) -> Result<ImageCount, CountError> {
    check_image(image, options)?;
    // A flat frame is not part of the field: count the rectangle inside it (positions inside
    // it plus its corner stay inside the image, so the translation cannot fail).
    if let Some((inside, x0, y0)) = inside_frame(image) {
        if let Some(count) = count_image(&inside, options, classifier)?.translated(x0, y0) {
            return Ok(count);
        }
    }
    let field = fields::detect(image, known_red_cell_area(options))?;
    let factor = enlargement(image.dimensions(), field.red_cell_diameter());
    if let (true, Some(area)) = (factor > 1, field.red_cell_area) {
        if let Some(count) = count_enlarged(image, factor, area, options, classifier)? {
            return Ok(count);
        }
    }
    describe_field(image, field, options, classifier)
}

/// Red cells fewer pixels across than this are counted in an enlarged copy of their image
/// ([`enlargement`]). The watershed (ImageJ's prominence is 0.5 pixel of distance) and the
/// detector's pixel-sized steps do not shrink with the cells: on the 50 Aslan fields shrunk
/// from their 49 px red cells, the mean count error is 9.0 % as they are, 11.7 % at 24 px,
/// 14 % at 16-20 px and 21 % at 12 px, and 8.6-9.4 % for the same fields shrunk and enlarged
/// back (docs/accuracy.md, "Small red cells").
pub const SMALLEST_RELIABLE_RED_CELL_PX: f64 = 32.0;

/// The red-cell diameter, in pixels, an enlarged copy aims at (about the Aslan fields').
pub const ENLARGED_RED_CELL_PX: f64 = 48.0;

/// The most pixels an enlarged copy may have: 1.5 · 2²⁰ (a 1,254² image, enough for a 640 ×
/// 480 field enlarged 2x). Counting through copies of 1.04, 1.21 and 1.42 MP peaked at 102,
/// 107 and 117 MB (tiled shrunk Aslan fields, 2026-11-25), under the 134 MB (128 MiB) that
/// [`crate::memory::Footprint::COUNT`] allows any image besides its pixels, so the memory check
/// made from the file's header (before the red cells are known) still holds.
pub const LARGEST_ENLARGED_PIXELS: u64 = 3 << 19;

/// The whole factor an image of `width` × `height` pixels whose red cells are
/// `red_cell_diameter` pixels across is counted enlarged by: 1 (as it is) for red cells of at
/// least [`SMALLEST_RELIABLE_RED_CELL_PX`] or an unknown size; else the factor that brings
/// them to [`ENLARGED_RED_CELL_PX`], lowered until the copy has at most
/// [`LARGEST_ENLARGED_PIXELS`] pixels (1 when even 2 is too large).
///
/// ```
/// use hemato::count::enlargement;
/// assert_eq!(enlargement((256, 256), Some(49.0)), 1);
/// assert_eq!(enlargement((102, 102), Some(20.0)), 3); // 48 / 20 = 2.4, up to 3
/// assert_eq!(enlargement((640, 480), Some(16.0)), 2); // 3x would be 2.76 MP, 2x is 1.23
/// assert_eq!(enlargement((2048, 1536), Some(16.0)), 1);
/// ```
pub fn enlargement((width, height): (u32, u32), red_cell_diameter: Option<f64>) -> u32 {
    let Some(diameter) = red_cell_diameter.filter(|&d| d > 0.0) else {
        return 1;
    };
    if diameter >= SMALLEST_RELIABLE_RED_CELL_PX {
        return 1;
    }
    let pixels = u64::from(width) * u64::from(height);
    let wanted = (ENLARGED_RED_CELL_PX / diameter).ceil().min(16.0) as u32;
    (2..=wanted)
        .rev()
        .find(|&factor| pixels * u64::from(factor * factor) <= LARGEST_ENLARGED_PIXELS)
        .unwrap_or(1)
}

/// How far (as a ratio of areas, either way) the red-cell area measured on an enlarged copy may
/// lie from the one measured on the image itself (times the factor²) for the copy's count to
/// be used. Small cells are measured better on the copy, but an image whose estimate was wrong
/// to begin with (a PBC crop with few red cells, measured at 17 px where they are about 70)
/// can drift much further there (7 px on the copy, and 1,392 "red cells"); then the image is
/// counted as it is.
const ENLARGED_AREA_AGREEMENT: f64 = 2.0;

/// [`count_image`] on a copy of `image` enlarged `factor` times (Lanczos), its cells then
/// brought back to `image`'s pixels: regions reduced ([`Detection::reduced`]), their shape
/// columns, centroids and boxes measured there, the rest (class, probability, the white-cell
/// features, which are measured at a scale of their own) as found. `None` when the copy's
/// red-cell area does not agree with `red_cell_area`, the image's
/// ([`ENLARGED_AREA_AGREEMENT`]).
fn count_enlarged(
    image: &RgbImage,
    factor: u32,
    red_cell_area: f64,
    options: &CountOptions,
    classifier: &WhiteCellClassifier,
) -> Result<Option<ImageCount>, CountError> {
    let square = f64::from(factor * factor);
    let large = image::imageops::resize(
        image,
        image.width() * factor,
        image.height() * factor,
        image::imageops::FilterType::Lanczos3,
    );
    let large_options = CountOptions {
        pixel_size: options.pixel_size.map(|size| size / f64::from(factor)),
        shared_red_cell_area: options.shared_red_cell_area.map(|area| area * square),
    };
    let field = fields::detect(&large, known_red_cell_area(&large_options))?;
    let agrees = field.red_cell_area.is_some_and(|area| {
        let ratio = area / (red_cell_area * square);
        (1.0 / ENLARGED_AREA_AGREEMENT..=ENLARGED_AREA_AGREEMENT).contains(&ratio)
    });
    if !agrees {
        return Ok(None);
    }
    let counted = describe_field(&large, field, &large_options, classifier)?;
    let detections: Vec<Detection> = counted
        .field
        .detections
        .iter()
        .map(|detection| detection.reduced(factor))
        .collect();
    // Each detection's class, probability and model features from the copy (from its first
    // cell: a clump's cells share them), its shape columns measured on the reduced region.
    let calibration = Calibration::default();
    let mut first_cells: Vec<Option<&Cell>> = vec![None; detections.len()];
    for cell in &counted.cells {
        first_cells[cell.detection].get_or_insert(cell);
    }
    let described: Vec<Described> = detections
        .par_iter()
        .zip(first_cells)
        .map(|(detection, cell)| {
            let shape = measure_shape(&detection.particle, &calibration);
            let cell = cell.expect("every detection gives at least one cell");
            let mut features = cell.features.clone();
            for ((_, value), measured) in features
                .iter_mut()
                .zip(shape_values(&shape, detection.cells))
            {
                *value = measured;
            }
            (shape, features, cell.class, cell.probability)
        })
        .collect();
    let cells = cells_of(&detections, described);
    Ok(Some(ImageCount {
        field: FieldDetections {
            detections,
            red_cell_area: counted.field.red_cell_area.map(|area| area / square),
            ..counted.field
        },
        scale: counted.scale.map(|scale| Scale {
            pixel_size: scale.pixel_size * f64::from(factor),
            red_cell_diameter: scale
                .red_cell_diameter
                .map(|diameter| diameter / f64::from(factor)),
            ..scale
        }),
        cells,
        enlarged: factor,
    }))
}

/// [`count_image`] with a segmentation made elsewhere: each label of `labels` (a label image
/// of the image's size: Cellpose, StarDist, QuPath...) is one cell, and hemato decides what it
/// is ([`fields::detect_labelled`]), classifies its white cells and measures every cell. The
/// image is counted whole (no flat-frame crop: the labels say where the cells are).
pub fn count_labelled(
    image: &RgbImage,
    labels: &crate::io::LabelImage,
    options: &CountOptions,
    classifier: &WhiteCellClassifier,
) -> Result<ImageCount, CountError> {
    check_image(image, options)?;
    if labels.dimensions() != image.dimensions() {
        return Err(CountError::LabelSize {
            labels: labels.dimensions(),
            image: image.dimensions(),
        });
    }
    let particles = crate::measure::labels::particles_from_labels(
        labels,
        &crate::measure::ParticleOptions::default(),
    );
    let field = fields::detect_labelled(
        image,
        particles,
        known_red_cell_area(options),
        &fields::Settings::default(),
    )?;
    describe_field(image, field, options, classifier)
}

/// The red-cell area in pixels that `options` fix (a pixel size, or a shared area), if any.
fn known_red_cell_area(options: &CountOptions) -> Option<f64> {
    options
        .pixel_size
        .map(scale::red_cell_area_pixels)
        .or(options.shared_red_cell_area)
}

/// The image has colour ([`CountError::NotColour`]) and the options are valid
/// ([`check_options`]).
fn check_image(image: &RgbImage, options: &CountOptions) -> Result<(), CountError> {
    if crate::color::is_grey(image) {
        return Err(CountError::NotColour);
    }
    check_options(options)
}

/// The pixel size and shared area of `options`, when given, are positive numbers.
fn check_options(options: &CountOptions) -> Result<(), CountError> {
    if let Some(size) = options.pixel_size {
        if !(size.is_finite() && size > 0.0) {
            return Err(CountError::BadPixelSize(size));
        }
    }
    if let Some(area) = options.shared_red_cell_area {
        if !(area.is_finite() && area > 0.0) {
            return Err(CountError::BadRedCellArea(area));
        }
    }
    Ok(())
}

/// Measures every detection of `field` (and classifies its white cells): the cells of an
/// [`ImageCount`], numbered in detection order.
fn describe_field(
    image: &RgbImage,
    field: FieldDetections,
    options: &CountOptions,
    classifier: &WhiteCellClassifier,
) -> Result<ImageCount, CountError> {
    let scale = Scale::of(options.pixel_size, field.red_cell_diameter());
    let calibration = Calibration::default();
    // Each detection is measured (and a white cell classified) on its own, in parallel, one
    // task each (the few white cells cost most, and they may lie close together in the list);
    // the cells are numbered in detection order afterwards.
    let described: Vec<_> = field
        .detections
        .par_iter()
        .with_max_len(1)
        .map(|detection| {
            let shape = measure_shape(&detection.particle, &calibration);
            let mut features: Vec<(String, f64)> = SHAPE_COLUMNS
                .iter()
                .map(|name| name.to_string())
                .zip(shape_values(&shape, detection.cells))
                .collect();
            let (class, probability) = match detection.kind {
                Kind::RedCell => (Some(CellClass::Rbc), 1.0),
                Kind::Platelet => (Some(CellClass::Platelet), 1.0),
                Kind::WhiteCell => {
                    let decision = classifier
                        .classify(image, detection, scale.as_ref())
                        .map_err(CountError::Classifier)?;
                    features.extend(decision.features);
                    (decision.class, decision.probability)
                }
            };
            Ok((shape, features, class, probability))
        })
        .collect::<Result<_, CountError>>()?;
    Ok(ImageCount {
        cells: cells_of(&field.detections, described),
        field,
        scale,
        enlarged: 1,
    })
}

/// What [`describe_field`] finds out about one detection: its region's shape, its features
/// (the shape columns first), its class and that class's probability.
type Described = (
    ShapeMeasurements,
    Vec<(String, f64)>,
    Option<CellClass>,
    f64,
);

/// The cells of `detections` (a clump of n red cells gives n rows), each placed at its
/// detection's centroid and box, numbered in detection order (a label's cell keeps the
/// label's value); `described` holds one entry per detection.
fn cells_of(detections: &[Detection], described: Vec<Described>) -> Vec<Cell> {
    let mut cells = Vec::new();
    for (index, (detection, (shape, features, class, probability))) in
        detections.iter().zip(described).enumerate()
    {
        for _ in 0..detection.cells {
            let number = match detection.particle.label {
                Some(label) => label as usize,
                None => cells.len() + 1,
            };
            cells.push(Cell {
                number,
                x: shape.x,
                y: shape.y,
                bx: detection.particle.bounds.x,
                by: detection.particle.bounds.y,
                width: detection.particle.bounds.width,
                height: detection.particle.bounds.height,
                class,
                kind: detection.kind,
                probability,
                features: features.clone(),
                detection: index,
            });
        }
    }
    cells
}

/// The rectangle inside a flat frame ([`view::framed_field`]) and its top-left corner, when
/// the image has such a frame.
fn inside_frame(image: &RgbImage) -> Option<(RgbImage, u32, u32)> {
    let [x0, y0, x1, y1] = view::framed_field(image)?;
    let inside = image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image();
    Some((inside, x0, y0))
}

/// The pieces of an image's cell mask that its own red-cell area would be estimated from
/// ([`fields::red_cell_pieces`]), inside a flat frame as [`count_image`] counts it.
pub fn red_cell_pieces(image: &RgbImage) -> Result<Vec<PieceShape>, WatershedError> {
    let settings = fields::Settings::default();
    match inside_frame(image) {
        Some((inside, _, _)) => fields::red_cell_pieces(&inside, &settings),
        None => fields::red_cell_pieces(image, &settings),
    }
}

/// One red cell's area in pixels over several images of one microscope at one magnification:
/// [`fields::single_cell_area`] (a median) of all their [`red_cell_pieces`] pooled, as
/// `hemato slide` measures it over a slide. One image's estimate rests on its few round single
/// cells and scatters by about ±10 % in diameter between fields of one microscope
/// (docs/counting.md, step 3); `None` when no image has red cells.
pub fn shared_red_cell_area<'a>(
    pieces_per_image: impl IntoIterator<Item = &'a [PieceShape]>,
) -> Option<f64> {
    let pooled: Vec<PieceShape> = pieces_per_image.into_iter().flatten().copied().collect();
    fields::single_cell_area(&pooled)
}

/// The shape columns of the cells table (after the fixed columns, before the features).
pub const SHAPE_COLUMNS: [&str; 7] = [
    "area",
    "perimeter",
    "circularity",
    "solidity",
    "feret",
    "min_feret",
    "cells_in_region",
];

/// The values of [`SHAPE_COLUMNS`] for a detection of `cells` cells with this shape: ImageJ's
/// shape measurements of its region, the area shared out among its cells.
pub fn shape_values(shape: &ShapeMeasurements, cells: u32) -> [f64; 7] {
    [
        shape.area / f64::from(cells),
        shape.perimeter,
        shape.circularity,
        shape.solidity,
        shape.feret,
        shape.min_feret,
        f64::from(cells),
    ]
}
