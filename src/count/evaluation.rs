//! Scoring `hemato count` against annotated data: box annotations (Pascal VOC XML as in BCCD,
//! the Aslan CSV) and class folders (PBC).
//!
//! Matching follows the data READMEs: a detection matches an annotated box when its centroid
//! lies inside the box, the box's centre lies inside the detection's pixels, or their
//! intersection over union is at least 0.3 (boxes are loose and overlap). Matching is
//! one-to-one, except that a red-cell clump counted as n cells may match up to n boxes; pairs
//! are taken best first (IoU, then centroid distance), so the result does not depend on order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::fields::{Detection, Kind};

/// An annotated class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TruthClass {
    /// Red cell.
    Rbc,
    /// White cell.
    Wbc,
    /// Platelet.
    Platelet,
}

impl TruthClass {
    /// The class of an annotation label (`RBC`, `WBC`, `Platelets`, any case).
    pub fn from_label(label: &str) -> Option<TruthClass> {
        match label.trim().to_ascii_lowercase().as_str() {
            "rbc" => Some(TruthClass::Rbc),
            "wbc" => Some(TruthClass::Wbc),
            "platelets" | "platelet" => Some(TruthClass::Platelet),
            _ => None,
        }
    }

    /// The detection kind that should find it.
    pub fn kind(self) -> Kind {
        match self {
            TruthClass::Rbc => Kind::RedCell,
            TruthClass::Wbc => Kind::WhiteCell,
            TruthClass::Platelet => Kind::Platelet,
        }
    }
}

/// One annotated box, pixel coordinates (origin top-left, max exclusive as the datasets give).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TruthBox {
    /// Its class.
    pub class: TruthClass,
    /// Left.
    pub xmin: f64,
    /// Top.
    pub ymin: f64,
    /// Right.
    pub xmax: f64,
    /// Bottom.
    pub ymax: f64,
}

/// Why annotations could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// An image could not be read or counted.
    #[error("{path}: {reason}")]
    Count {
        /// The image.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A file's content is not as expected.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

fn read_text(path: &Path) -> Result<String, EvaluationError> {
    std::fs::read_to_string(path).map_err(|source| EvaluationError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a Pascal VOC annotation (BCCD): the image file name and its boxes. Objects with other
/// labels are skipped. A small hand parser: VOC files are flat, and the fields needed are the
/// text of `<filename>`, `<name>` and the four `<bndbox>` corners.
pub fn read_voc(path: &Path) -> Result<(String, Vec<TruthBox>), EvaluationError> {
    let text = read_text(path)?;
    let format = |reason: String| EvaluationError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let filename = tag_text(&text, "filename").ok_or_else(|| format("no <filename>".into()))?;
    let mut boxes = Vec::new();
    for object in text.split("<object>").skip(1) {
        let name =
            tag_text(object, "name").ok_or_else(|| format("an object without <name>".into()))?;
        let Some(class) = TruthClass::from_label(&name) else {
            continue;
        };
        let corner = |tag: &str| -> Result<f64, EvaluationError> {
            tag_text(object, tag)
                .and_then(|value| value.parse::<f64>().ok())
                .ok_or_else(|| format(format!("object {name:?} has no numeric <{tag}>")))
        };
        boxes.push(TruthBox {
            class,
            xmin: corner("xmin")?,
            ymin: corner("ymin")?,
            xmax: corner("xmax")?,
            ymax: corner("ymax")?,
        });
    }
    Ok((filename, boxes))
}

/// The trimmed text between `<tag>` and the next `<`.
fn tag_text(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find('<')? + start;
    Some(text[start..end].trim().to_string())
}

/// Reads the Aslan annotations: `image,xmin_px,ymin_px,xmax_px,ymax_px,label` → boxes per image.
pub fn read_box_csv(path: &Path) -> Result<BTreeMap<String, Vec<TruthBox>>, EvaluationError> {
    let text = read_text(path)?;
    let mut boxes: BTreeMap<String, Vec<TruthBox>> = BTreeMap::new();
    for (number, line) in text.lines().enumerate().skip(1) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let bad = || EvaluationError::Format {
            path: path.to_path_buf(),
            reason: format!(
                "line {}: expected image,xmin,ymin,xmax,ymax,label",
                number + 1
            ),
        };
        if fields.len() != 6 {
            return Err(bad());
        }
        let number_at = |index: usize| fields[index].parse::<f64>().map_err(|_| bad());
        let Some(class) = TruthClass::from_label(fields[5]) else {
            continue;
        };
        boxes
            .entry(fields[0].to_string())
            .or_default()
            .push(TruthBox {
                class,
                xmin: number_at(1)?,
                ymin: number_at(2)?,
                xmax: number_at(3)?,
                ymax: number_at(4)?,
            });
    }
    Ok(boxes)
}

/// A detection reduced to what matching needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// What the detector said it is.
    pub kind: Kind,
    /// Centroid.
    pub x: f64,
    /// Centroid.
    pub y: f64,
    /// Bounding box: left, top, right, bottom (exclusive).
    pub bounds: [f64; 4],
    /// How many cells it stands for.
    pub cells: u32,
    /// Its pixels, to test whether a box centre lies inside.
    pub runs: Vec<crate::measure::Run>,
}

impl Found {
    /// From a detection (centroid of its pixels).
    pub fn of(detection: &Detection) -> Found {
        let particle = &detection.particle;
        let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
        for run in &particle.runs {
            let length = f64::from(run.len());
            sx +=
                (f64::from(run.x_start) + f64::from(run.x_end) - 1.0) / 2.0 * length + 0.5 * length;
            sy += (f64::from(run.y) + 0.5) * length;
            n += length;
        }
        let bounds = particle.bounds;
        Found {
            kind: detection.kind,
            x: sx / n.max(1.0),
            y: sy / n.max(1.0),
            bounds: [
                f64::from(bounds.x),
                f64::from(bounds.y),
                f64::from(bounds.x + bounds.width),
                f64::from(bounds.y + bounds.height),
            ],
            cells: detection.cells,
            runs: particle.runs.clone(),
        }
    }

    fn contains_point(&self, x: f64, y: f64) -> bool {
        let (px, py) = (x.floor(), y.floor());
        if px < 0.0 || py < 0.0 {
            return false;
        }
        let (px, py) = (px as u32, py as u32);
        self.runs
            .iter()
            .any(|run| run.y == py && run.x_start <= px && px < run.x_end)
    }
}

/// Intersection over union of two boxes `[left, top, right, bottom]`.
pub fn intersection_over_union(a: [f64; 4], b: [f64; 4]) -> f64 {
    let width = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let height = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let intersection = width * height;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection;
    if union > 0.0 {
        intersection / union
    } else {
        0.0
    }
}

/// Matching of one class in one image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Matches {
    /// Annotated boxes matched by a detection.
    pub true_positives: u64,
    /// Detected cells that matched no box.
    pub false_positives: u64,
    /// Boxes no detection matched.
    pub false_negatives: u64,
}

impl std::ops::AddAssign for Matches {
    fn add_assign(&mut self, other: Matches) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }
}

impl Matches {
    /// TP / (TP + FN); `None` without boxes.
    pub fn recall(&self) -> Option<f64> {
        let total = self.true_positives + self.false_negatives;
        (total > 0).then(|| self.true_positives as f64 / total as f64)
    }

    /// TP / (TP + FP); `None` without detections.
    pub fn precision(&self) -> Option<f64> {
        let total = self.true_positives + self.false_positives;
        (total > 0).then(|| self.true_positives as f64 / total as f64)
    }
}

/// Matches the detections of `class`'s kind with the boxes of `class`.
pub fn match_class(boxes: &[TruthBox], found: &[Found], class: TruthClass) -> Matches {
    let boxes: Vec<&TruthBox> = boxes.iter().filter(|b| b.class == class).collect();
    let found: Vec<&Found> = found.iter().filter(|f| f.kind == class.kind()).collect();
    let mut pairs = Vec::new();
    for (box_index, truth) in boxes.iter().enumerate() {
        let area = [truth.xmin, truth.ymin, truth.xmax, truth.ymax];
        let (cx, cy) = (
            (truth.xmin + truth.xmax) / 2.0,
            (truth.ymin + truth.ymax) / 2.0,
        );
        for (found_index, detection) in found.iter().enumerate() {
            let iou = intersection_over_union(area, detection.bounds);
            let centroid_inside = detection.x >= truth.xmin
                && detection.x < truth.xmax
                && detection.y >= truth.ymin
                && detection.y < truth.ymax;
            if iou >= 0.3 || centroid_inside || detection.contains_point(cx, cy) {
                let distance = (detection.x - cx).hypot(detection.y - cy);
                pairs.push((iou, distance, box_index, found_index));
            }
        }
    }
    pairs.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    let mut box_taken = vec![false; boxes.len()];
    let mut capacity: Vec<u32> = found.iter().map(|f| f.cells).collect();
    let mut used: Vec<u32> = vec![0; found.len()];
    for (_, _, box_index, found_index) in pairs {
        if box_taken[box_index] || capacity[found_index] == 0 {
            continue;
        }
        box_taken[box_index] = true;
        capacity[found_index] -= 1;
        used[found_index] += 1;
    }
    let true_positives = box_taken.iter().filter(|&&taken| taken).count() as u64;
    let detected: u64 = found.iter().map(|f| u64::from(f.cells)).sum();
    Matches {
        true_positives,
        false_positives: detected - used.iter().map(|&u| u64::from(u)).sum::<u64>(),
        false_negatives: boxes.len() as u64 - true_positives,
    }
}

/// An image of a box-annotated dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnotatedImage {
    /// The image file.
    pub path: PathBuf,
    /// Its boxes.
    pub boxes: Vec<TruthBox>,
}

/// A BCCD-style dataset: `DIR/images/NAME.jpg` with `DIR/annotations/NAME.xml`, sorted by name.
pub fn voc_dataset(directory: &Path) -> Result<Vec<AnnotatedImage>, EvaluationError> {
    let annotations = directory.join("annotations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&annotations)
        .map_err(|source| EvaluationError::Io {
            path: annotations.clone(),
            source,
        })?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let (name, boxes) = read_voc(file)?;
            Ok(AnnotatedImage {
                path: directory.join("images").join(name),
                boxes,
            })
        })
        .collect()
}

/// An Aslan-style dataset: `DIR/images/*` with `DIR/annotations.csv`, sorted by name. Images
/// without a row have no cells.
pub fn csv_dataset(directory: &Path) -> Result<Vec<AnnotatedImage>, EvaluationError> {
    let boxes = read_box_csv(&directory.join("annotations.csv"))?;
    let images = directory.join("images");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&images)
        .map_err(|source| EvaluationError::Io {
            path: images.clone(),
            source,
        })?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file() && !crate::io::is_hidden(path))
        .collect();
    files.sort();
    Ok(files
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            AnnotatedImage {
                boxes: boxes.get(&name).cloned().unwrap_or_default(),
                path,
            }
        })
        .collect())
}

/// A class-folder dataset (PBC): `DIR/CLASS/*.jpg`, classes and files sorted; at most `limit`
/// files per class (the first in name order), all when `None`. A folder named after one of
/// hemato's classes in any case (`Neutrophil`) gives that class's name; any other folder name
/// is kept as it is ([`unknown_folder_note`] reports it).
pub fn folder_dataset(
    directory: &Path,
    limit: Option<usize>,
) -> Result<Vec<(PathBuf, String)>, EvaluationError> {
    let list = |folder: &Path| -> Result<Vec<PathBuf>, EvaluationError> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)
            .map_err(|source| EvaluationError::Io {
                path: folder.to_path_buf(),
                source,
            })?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| !crate::io::is_hidden(path))
            .collect();
        entries.sort();
        Ok(entries)
    };
    let mut images = Vec::new();
    for folder in list(directory)?.into_iter().filter(|path| path.is_dir()) {
        let folder_name = folder
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let class = super::CellClass::from_name(&folder_name)
            .map_or(folder_name, |class| class.name().to_string());
        let files: Vec<PathBuf> = list(&folder)?
            .into_iter()
            .filter(|path| {
                path.extension().is_some_and(|e| {
                    ["jpg", "jpeg", "png", "tif", "tiff", "bmp"]
                        .contains(&e.to_ascii_lowercase().to_str().unwrap_or(""))
                })
            })
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        images.extend(files.into_iter().map(|file| (file, class.clone())));
    }
    Ok(images)
}

/// The score of one box-annotated image.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageScore {
    /// File name.
    pub image: String,
    /// Annotated red cells.
    pub red_boxes: u64,
    /// Red cells counted.
    pub red_counted: u64,
    /// Red-cell matching.
    pub red: Matches,
    /// White-cell matching.
    pub white: Matches,
    /// Platelet matching.
    pub platelets: Matches,
}

impl ImageScore {
    /// Scores the detections of one image against its boxes.
    pub fn of(image: &AnnotatedImage, detections: &[Detection]) -> ImageScore {
        let found: Vec<Found> = detections.iter().map(Found::of).collect();
        let red_counted = detections
            .iter()
            .filter(|d| d.kind == Kind::RedCell)
            .map(|d| u64::from(d.cells))
            .sum();
        ImageScore {
            image: image
                .path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            red_boxes: image
                .boxes
                .iter()
                .filter(|b| b.class == TruthClass::Rbc)
                .count() as u64,
            red_counted,
            red: match_class(&image.boxes, &found, TruthClass::Rbc),
            white: match_class(&image.boxes, &found, TruthClass::Wbc),
            platelets: match_class(&image.boxes, &found, TruthClass::Platelet),
        }
    }

    /// Signed red-cell count error, % of the annotated count (`None` without red boxes).
    pub fn red_count_error(&self) -> Option<f64> {
        (self.red_boxes > 0).then(|| {
            (self.red_counted as f64 - self.red_boxes as f64) / self.red_boxes as f64 * 100.0
        })
    }
}

/// Summary over a dataset's images.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatasetSummary {
    /// Images scored.
    pub images: usize,
    /// Mean |red-cell count error| per image, %.
    pub red_mean_absolute_error: f64,
    /// Mean signed red-cell count error per image, %.
    pub red_mean_error: f64,
    /// Annotated red cells, counted red cells.
    pub red_boxes: u64,
    /// Red cells counted.
    pub red_counted: u64,
    /// Totals of the matchings.
    pub red: Matches,
    /// White-cell matching totals.
    pub white: Matches,
    /// Platelet matching totals.
    pub platelets: Matches,
}

impl DatasetSummary {
    /// Sums and averages the image scores.
    pub fn of(scores: &[ImageScore]) -> DatasetSummary {
        let errors: Vec<f64> = scores
            .iter()
            .filter_map(ImageScore::red_count_error)
            .collect();
        let mean = |values: &mut dyn Iterator<Item = f64>| {
            let (sum, n) = values.fold((0.0, 0.0), |(s, n), v| (s + v, n + 1.0));
            if n > 0.0 {
                sum / n
            } else {
                0.0
            }
        };
        let mut summary = DatasetSummary {
            images: scores.len(),
            red_mean_absolute_error: mean(&mut errors.iter().map(|e| e.abs())),
            red_mean_error: mean(&mut errors.iter().copied()),
            ..DatasetSummary::default()
        };
        for score in scores {
            summary.red_boxes += score.red_boxes;
            summary.red_counted += score.red_counted;
            summary.red += score.red;
            summary.white += score.white;
            summary.platelets += score.platelets;
        }
        summary
    }
}

/// The file of per-image white-cell subtypes beside a box dataset (BCCD's `labels.csv`).
pub const SUBTYPE_LABELS: &str = "labels.csv";
/// Its column holding the subtype (BCCD: the Kaggle subtype of the image's white cell).
pub const SUBTYPE_COLUMN: &str = "wbc_subtype_kaggle";

/// Reads per-image white-cell subtypes: a CSV with columns `image` and [`SUBTYPE_COLUMN`]
/// (any others ignored), giving image file name → subtype in lower case (BCCD's
/// `NEUTROPHIL` → `neutrophil`, the name of [`super::CellClass::Neutrophil`]). Rows with an
/// empty subtype are skipped. Plain comma-separated values without quoted commas, as BCCD's
/// file is.
pub fn read_subtype_labels(path: &Path) -> Result<BTreeMap<String, String>, EvaluationError> {
    let text = read_text(path)?;
    let format = |reason: String| EvaluationError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| format("empty file".into()))?
        .split(',')
        .map(str::trim)
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|&c| c == name)
            .ok_or_else(|| format(format!("no column {name:?}")))
    };
    let (image_column, subtype_column) = (column("image")?, column(SUBTYPE_COLUMN)?);
    let mut labels = BTreeMap::new();
    for (number, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let (Some(image), Some(subtype)) = (fields.get(image_column), fields.get(subtype_column))
        else {
            return Err(format(format!("line {} has too few fields", number + 2)));
        };
        if !subtype.is_empty() {
            labels.insert(image.to_string(), subtype.to_ascii_lowercase());
        }
    }
    Ok(labels)
}

/// The class `hemato count` gave the white cell of an image with one subtype label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubtypeCall {
    /// No nucleated detection matched a white-cell box.
    NotFound,
    /// The matched cell was counted as a white cell without a class (no model, or features
    /// not measurable).
    Unclassified,
    /// The class of the matched cell.
    Class(super::CellClass),
}

impl SubtypeCall {
    /// The class name, `not found` or `unclassified`.
    pub fn name(&self) -> &'static str {
        match self {
            SubtypeCall::NotFound => "not found",
            SubtypeCall::Unclassified => "unclassified",
            SubtypeCall::Class(class) => class.name(),
        }
    }
}

/// The call for an image's labelled white cell: among the cells detected as nucleated
/// ([`Kind::WhiteCell`], whatever class the model then gave them), the one that best matches
/// one of the image's white-cell boxes by the matching rules of [`match_class`] (highest IoU,
/// then nearest centroid).
pub fn subtype_call(boxes: &[TruthBox], count: &super::ImageCount) -> SubtypeCall {
    let mut best: Option<(f64, f64, &super::Cell)> = None;
    for truth in boxes.iter().filter(|b| b.class == TruthClass::Wbc) {
        let area = [truth.xmin, truth.ymin, truth.xmax, truth.ymax];
        let (cx, cy) = (
            (truth.xmin + truth.xmax) / 2.0,
            (truth.ymin + truth.ymax) / 2.0,
        );
        for cell in count.cells.iter().filter(|c| c.kind == Kind::WhiteCell) {
            let detection = Found::of(&count.field.detections[cell.detection]);
            let iou = intersection_over_union(area, detection.bounds);
            let centroid_inside = detection.x >= truth.xmin
                && detection.x < truth.xmax
                && detection.y >= truth.ymin
                && detection.y < truth.ymax;
            if !(iou >= 0.3 || centroid_inside || detection.contains_point(cx, cy)) {
                continue;
            }
            let distance = (detection.x - cx).hypot(detection.y - cy);
            let better = match best {
                None => true,
                Some((best_iou, best_distance, _)) => {
                    iou > best_iou || (iou == best_iou && distance < best_distance)
                }
            };
            if better {
                best = Some((iou, distance, cell));
            }
        }
    }
    match best {
        None => SubtypeCall::NotFound,
        Some((_, _, cell)) => cell
            .class
            .map_or(SubtypeCall::Unclassified, SubtypeCall::Class),
    }
}

/// One labelled image's white cell: its label and what the count called it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubtypeResult {
    /// Image file name.
    pub image: String,
    /// The label (lower case).
    pub truth: String,
    /// The count's call.
    pub call: SubtypeCall,
}

/// A Markdown table of subtype agreement: per label, the images, how many calls agree and
/// what the calls were; then the total.
pub fn subtype_report(results: &[SubtypeResult]) -> String {
    let mut labels: Vec<&str> = results.iter().map(|r| r.truth.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    let mut report =
        String::from("| label | images | class agrees | calls |\n| --- | --- | --- | --- |\n");
    let mut agree_total = 0;
    for label in labels {
        let rows: Vec<&SubtypeResult> = results.iter().filter(|r| r.truth == label).collect();
        let agree = rows.iter().filter(|r| r.call.name() == label).count();
        agree_total += agree;
        let mut calls: BTreeMap<&str, usize> = BTreeMap::new();
        for row in &rows {
            *calls.entry(row.call.name()).or_default() += 1;
        }
        let calls: Vec<String> = calls
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        report.push_str(&format!(
            "| {label} | {} | {agree} | {} |\n",
            rows.len(),
            calls.join(", ")
        ));
    }
    report.push_str(&format!(
        "\nWhite-cell class agrees with the label for {agree_total} of {} images.\n\n",
        results.len()
    ));
    report
}

/// What `hemato count` made of one single-cell image.
#[derive(Clone, Debug, PartialEq)]
pub struct CentredCell {
    /// The folder's class.
    pub truth: String,
    /// What the detection nearest the image centre is (`None`: nothing within a fifth of the
    /// image size).
    pub kind: Option<Kind>,
    /// Its class from the classifier (for nucleated cells), or `platelet` for a platelet.
    pub class: Option<super::CellClass>,
    /// Nucleated cells found in the whole image.
    pub nucleated: usize,
}

/// Counts each image of a class-folder dataset and finds its centred cell.
pub fn centred_cells(
    images: &[(PathBuf, String)],
    classifier: &super::WhiteCellClassifier,
) -> Result<Vec<CentredCell>, EvaluationError> {
    use rayon::prelude::*;
    images
        .par_iter()
        .map(|(path, truth)| {
            let failed = |reason: String| EvaluationError::Count {
                path: path.clone(),
                reason,
            };
            let rgb = crate::io::read_rgb_image(path).map_err(|e| failed(e.to_string()))?;
            let count = super::count_image(&rgb, &super::CountOptions::default(), classifier)
                .map_err(|e| failed(e.to_string()))?;
            let (cx, cy) = (f64::from(rgb.width()) / 2.0, f64::from(rgb.height()) / 2.0);
            let reach = f64::from(rgb.width().min(rgb.height())) / 5.0;
            let centred = count
                .cells
                .iter()
                .filter(|cell| cell.kind != Kind::RedCell)
                .map(|cell| ((cell.x - cx).hypot(cell.y - cy), cell))
                .filter(|(distance, _)| *distance <= reach)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, cell)| cell);
            Ok(CentredCell {
                truth: truth.clone(),
                kind: centred.map(|cell| cell.kind),
                class: centred.and_then(|cell| cell.class),
                nucleated: count
                    .field
                    .detections
                    .iter()
                    .filter(|d| d.kind == Kind::WhiteCell)
                    .count(),
            })
        })
        .collect()
}

/// Macro F1 over the folder classes: per class, F1 of "the centred cell got this class"
/// against "the image is in this class's folder" (a centred cell not found, or found without
/// a class, is wrong for every class).
pub fn folder_macro_f1(results: &[CentredCell]) -> f64 {
    let classes: BTreeSet<&str> = results.iter().map(|r| r.truth.as_str()).collect();
    if classes.is_empty() {
        return 0.0;
    }
    let predicted = |r: &CentredCell| r.class.map(super::CellClass::name);
    let f1_sum: f64 = classes
        .iter()
        .map(|&class| {
            let hits = results
                .iter()
                .filter(|r| r.truth == class && predicted(r) == Some(class))
                .count() as f64;
            let truths = results.iter().filter(|r| r.truth == class).count() as f64;
            let calls = results
                .iter()
                .filter(|r| predicted(r) == Some(class))
                .count() as f64;
            if hits == 0.0 {
                0.0
            } else {
                2.0 * hits / (truths + calls)
            }
        })
        .sum();
    f1_sum / classes.len() as f64
}

/// A Markdown report of a class-folder dataset: per class, how often the centred cell was found
/// as a nucleated cell or a platelet, and how often its class was right.
pub fn folder_report(
    directory: &Path,
    images: &[(PathBuf, String)],
    classifier: &super::WhiteCellClassifier,
) -> Result<String, EvaluationError> {
    let results = centred_cells(images, classifier)?;
    let mut classes: Vec<&str> = results.iter().map(|r| r.truth.as_str()).collect();
    classes.dedup();
    let mut report = format!(
        "## {} ({} images)\n\n| class | images | centred cell found as nucleated | as platelet | nothing | class right | images with 2+ nucleated cells |\n| --- | --- | --- | --- | --- | --- | --- |\n",
        directory.display(),
        results.len()
    );
    let mut right_total = 0;
    for class in classes {
        let rows: Vec<&CentredCell> = results.iter().filter(|r| r.truth == class).collect();
        let count = |kind: Option<Kind>| rows.iter().filter(|r| r.kind == kind).count();
        let right = rows
            .iter()
            .filter(|r| r.class.map(super::CellClass::name) == Some(class))
            .count();
        right_total += right;
        report.push_str(&format!(
            "| {class} | {} | {} | {} | {} | {} | {} |\n",
            rows.len(),
            count(Some(Kind::WhiteCell)),
            count(Some(Kind::Platelet)),
            count(None),
            right,
            rows.iter().filter(|r| r.nucleated >= 2).count()
        ));
    }
    report.push_str(&format!(
        "\nCentred cell counted in its folder's class: {right_total} of {} (accuracy {:.3}); macro F1 over the folder classes {:.3}.\n\n",
        results.len(),
        right_total as f64 / results.len().max(1) as f64,
        folder_macro_f1(&results)
    ));
    let folders: Vec<&str> = images.iter().map(|(_, class)| class.as_str()).collect();
    if let Some(note) = unknown_folder_note(&folders) {
        report.push_str(&note);
    }
    Ok(report)
}

/// A paragraph naming the folders of a class-folder dataset that are none of hemato's classes
/// (their images can never be counted right), each with the class it may be meant as
/// ([`names::closest`](crate::classify::names::closest)); `None` when every folder is a class.
///
/// ```
/// use hemato::count::evaluation::unknown_folder_note;
///
/// assert_eq!(unknown_folder_note(&["neutrophil", "platelet"]), None);
/// let note = unknown_folder_note(&["neutrophils", "band"]).unwrap();
/// assert!(note.contains("neutrophils (neutrophil?), band."));
/// ```
pub fn unknown_folder_note(folders: &[&str]) -> Option<String> {
    let classes: Vec<String> = super::CellClass::ALL
        .iter()
        .map(|class| class.name().to_string())
        .collect();
    let mut unknown: Vec<&str> = folders
        .iter()
        .copied()
        .filter(|folder| super::CellClass::from_name(folder).is_none())
        .collect();
    unknown.dedup();
    if unknown.is_empty() {
        return None;
    }
    let described: Vec<String> = unknown
        .iter()
        .map(
            |&folder| match crate::classify::names::closest(folder, &classes) {
                Some(class) => format!("{folder} ({class}?)"),
                None => folder.to_string(),
            },
        )
        .collect();
    Some(format!(
        "Folders that are none of hemato's classes ({}), so their images are never counted right: {}.\n\n",
        classes.join(", "),
        described.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_read_as_classes_in_any_case() {
        let dir = tempfile::tempdir().unwrap();
        for (folder, file) in [
            ("Neutrophil", "a.jpg"),
            ("band", "b.png"),
            ("ig", "notes.txt"),
        ] {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
            std::fs::write(dir.path().join(folder).join(file), b"").unwrap();
        }
        let images = folder_dataset(dir.path(), None).unwrap();
        let classes: Vec<&str> = images.iter().map(|(_, class)| class.as_str()).collect();
        assert_eq!(classes, ["neutrophil", "band"]);
        let note = unknown_folder_note(&classes).unwrap();
        assert!(note.ends_with("counted right: band.\n\n"), "{note}");
    }

    fn found(kind: Kind, x: f64, y: f64, bounds: [f64; 4], cells: u32) -> Found {
        Found {
            kind,
            x,
            y,
            bounds,
            cells,
            runs: Vec::new(),
        }
    }

    fn truth(class: TruthClass, xmin: f64, ymin: f64, xmax: f64, ymax: f64) -> TruthBox {
        TruthBox {
            class,
            xmin,
            ymin,
            xmax,
            ymax,
        }
    }

    #[test]
    fn iou_by_hand() {
        // Two 10x10 boxes overlapping 5x10: 50 / 150.
        let iou = intersection_over_union([0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0]);
        assert!((iou - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            intersection_over_union([0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0]),
            0.0
        );
    }

    #[test]
    fn one_to_one_with_clumps() {
        let boxes = [
            truth(TruthClass::Rbc, 0.0, 0.0, 10.0, 10.0),
            truth(TruthClass::Rbc, 10.0, 0.0, 20.0, 10.0),
            truth(TruthClass::Rbc, 50.0, 50.0, 60.0, 60.0),
            truth(TruthClass::Wbc, 0.0, 0.0, 30.0, 30.0),
        ];
        // A clump of 2 over the first two boxes, a stray detection far away.
        let detections = [
            found(Kind::RedCell, 10.0, 5.0, [0.0, 0.0, 20.0, 10.0], 2),
            found(Kind::RedCell, 90.0, 90.0, [85.0, 85.0, 95.0, 95.0], 1),
        ];
        let matches = match_class(&boxes, &detections, TruthClass::Rbc);
        assert_eq!(
            matches,
            Matches {
                true_positives: 2,
                false_positives: 1,
                false_negatives: 1
            }
        );
        assert_eq!(matches.recall(), Some(2.0 / 3.0));
        // No white-cell detection: the WBC box is missed.
        let white = match_class(&boxes, &detections, TruthClass::Wbc);
        assert_eq!(white.false_negatives, 1);
        assert_eq!(white.precision(), None);
    }

    #[test]
    fn reads_voc_and_csv() {
        let directory = tempfile::tempdir().unwrap();
        let voc = directory.path().join("a.xml");
        std::fs::write(
            &voc,
            "<annotation><filename>a.jpg</filename><object><name>WBC</name><bndbox>\
             <xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>\
             <object><name>Other</name></object></annotation>",
        )
        .unwrap();
        let (name, boxes) = read_voc(&voc).unwrap();
        assert_eq!(name, "a.jpg");
        assert_eq!(boxes, vec![truth(TruthClass::Wbc, 1.0, 2.0, 30.0, 40.0)]);
        let csv = directory.path().join("b.csv");
        std::fs::write(
            &csv,
            "image,xmin_px,ymin_px,xmax_px,ymax_px,label\r\nimage-1.png,0.5,0,10,12.5,rbc\r\n",
        )
        .unwrap();
        let boxes = read_box_csv(&csv).unwrap();
        assert_eq!(
            boxes["image-1.png"],
            vec![truth(TruthClass::Rbc, 0.5, 0.0, 10.0, 12.5)]
        );
        std::fs::write(&csv, "header\nimage-1.png,x,0,10,12,rbc\n").unwrap();
        assert!(read_box_csv(&csv)
            .unwrap_err()
            .to_string()
            .contains("line 2"));
    }

    #[test]
    fn subtype_report_counts_agreement_per_label() {
        let result = |truth: &str, call: SubtypeCall| SubtypeResult {
            image: String::new(),
            truth: truth.to_string(),
            call,
        };
        let results = [
            result(
                "neutrophil",
                SubtypeCall::Class(super::super::CellClass::Neutrophil),
            ),
            result(
                "neutrophil",
                SubtypeCall::Class(super::super::CellClass::Lymphocyte),
            ),
            result("lymphocyte", SubtypeCall::NotFound),
            result("neutrophil", SubtypeCall::Unclassified),
        ];
        let report = subtype_report(&results);
        assert!(
            report.contains("| lymphocyte | 1 | 0 | not found 1 |"),
            "{report}"
        );
        assert!(
            report.contains("| neutrophil | 3 | 1 | lymphocyte 1, neutrophil 1, unclassified 1 |"),
            "{report}"
        );
        assert!(report.contains("for 1 of 4 images"), "{report}");
    }

    #[test]
    fn subtype_labels_need_their_columns() {
        let folder = std::env::temp_dir().join(format!("hemato-labels-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let good = folder.join("labels.csv");
        std::fs::write(
            &good,
            "image,wbc_subtype_kaggle,n\nA.jpg,NEUTROPHIL,3\nB.jpg,,1\n",
        )
        .unwrap();
        let labels = read_subtype_labels(&good).unwrap();
        assert_eq!(labels.len(), 1);
        assert_eq!(labels["A.jpg"], "neutrophil");
        let bad = folder.join("bad.csv");
        std::fs::write(&bad, "image,class\nA.jpg,NEUTROPHIL\n").unwrap();
        let error = read_subtype_labels(&bad).unwrap_err().to_string();
        assert!(error.contains("wbc_subtype_kaggle"), "{error}");
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
