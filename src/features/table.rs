//! Feature tables of image collections: one row per image's cell of interest, for training
//! and applying classifiers (`hemato features`, then `hemato train`).
//!
//! Folders are read recursively; files whose extension is not an image's ([`IMAGE_EXTENSIONS`])
//! and hidden files and folders ([`crate::io::is_hidden`]: `._NAME.jpg`, `.DS_Store`, ...) are
//! ignored. With [`ClassFrom::Folder`] each image's class is the name of the class folder
//! holding it, the layout of PBC (`pbc/basophil/BA_1.jpg`, ...) and of most folder-per-class
//! collections. Images are processed in parallel; rows come out in the sorted
//! order of the image paths whatever the number of threads.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{describe_centred_cell, feature_names, FeatureError, Scale, WhiteCell};
use crate::io::{read_rgb_image, write_rgb_png, ImageReadError};
use crate::output::OutputError;

/// File extensions read as images.
pub const IMAGE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "tif", "tiff", "bmp"];

/// Where each row's class comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClassFrom {
    /// No class column.
    Nothing,
    /// The same class for every image.
    Name(String),
    /// The class folder holding the image: for a folder given, the first folder below it
    /// (`DIR/CLASS/.../image.jpg`); for an image given directly, the folder holding it.
    Folder,
}

/// One image to describe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageEntry {
    /// The file.
    pub path: PathBuf,
    /// Its name in the table: the path relative to the folder given (`basophil/BA_1.jpg`), or
    /// the file name for an image given directly.
    pub name: String,
    /// Its class, if any.
    pub class: Option<String>,
}

/// One row of a feature table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The image's name ([`ImageEntry::name`]).
    pub image: String,
    /// Its class.
    pub class: Option<String>,
    /// Feature values in [`feature_names`] order.
    pub features: Vec<f64>,
}

/// An image that gave no row, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    /// The image's name.
    pub image: String,
    /// Why it was skipped.
    pub reason: String,
}

/// Why a collection of images cannot be listed.
#[derive(Debug, thiserror::Error)]
pub enum CollectionError {
    /// The path does not exist.
    #[error("{0}: no such file or folder")]
    NotFound(PathBuf),
    /// A folder holds no image.
    #[error("{0}: no images (png, jpg, jpeg, tif, tiff, bmp) in this folder or below")]
    NoImages(PathBuf),
    /// A folder cannot be read.
    #[error("cannot list {path}: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An image lies directly in the folder given, not in a class folder below it.
    #[error(
        "{0}: not in a class folder; with classes from folders every image must lie in a \
         folder named after its class (DIR/CLASS/image.jpg)"
    )]
    NotInClassFolder(PathBuf),
    /// An image's folder name cannot serve as a class.
    #[error("{0}: the folder holding this image has no usable name to serve as its class")]
    NoFolderName(PathBuf),
}

/// Lists the images of `inputs` (files, or folders searched recursively), sorted by path
/// within each input, with their classes.
pub fn list_images(
    inputs: &[PathBuf],
    class: &ClassFrom,
) -> Result<Vec<ImageEntry>, CollectionError> {
    let mut entries = Vec::new();
    for input in inputs {
        let files = if input.is_dir() {
            let mut files = Vec::new();
            collect_images(input, &mut files)?;
            if files.is_empty() {
                return Err(CollectionError::NoImages(input.clone()));
            }
            files.sort();
            files
        } else if input.is_file() {
            vec![input.clone()]
        } else {
            return Err(CollectionError::NotFound(input.clone()));
        };
        for path in files {
            let name = if input.is_dir() {
                path.strip_prefix(input)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/")
            } else {
                file_name(&path)
            };
            let class = match class {
                ClassFrom::Nothing => None,
                ClassFrom::Name(name) => Some(name.clone()),
                ClassFrom::Folder if input.is_dir() => Some(class_folder(&name, &path)?),
                ClassFrom::Folder => Some(folder_name(&path)?),
            };
            entries.push(ImageEntry { path, name, class });
        }
    }
    Ok(entries)
}

fn collect_images(folder: &Path, files: &mut Vec<PathBuf>) -> Result<(), CollectionError> {
    let io_error = |source| CollectionError::Io {
        path: folder.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(folder).map_err(io_error)? {
        let path = entry.map_err(io_error)?.path();
        if crate::io::is_hidden(&path) {
            continue;
        }
        if path.is_dir() {
            collect_images(&path, files)?;
        } else if has_image_extension(&path) {
            files.push(path);
        }
    }
    Ok(())
}

fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            IMAGE_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str())
        })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The first folder of an image's name relative to the folder given.
fn class_folder(relative_name: &str, path: &Path) -> Result<String, CollectionError> {
    match relative_name.split_once('/') {
        Some((class, _)) if !class.trim().is_empty() => Ok(class.to_string()),
        Some(_) => Err(CollectionError::NoFolderName(path.to_path_buf())),
        None => Err(CollectionError::NotInClassFolder(path.to_path_buf())),
    }
}

fn folder_name(path: &Path) -> Result<String, CollectionError> {
    let absolute = path.canonicalize().map_err(|source| CollectionError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    absolute
        .parent()
        .and_then(|parent| parent.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| CollectionError::NoFolderName(path.to_path_buf()))
}

/// Why one image gave no row.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file cannot be read as an RGB image.
    #[error(transparent)]
    Read(#[from] ImageReadError),
    /// No cell could be described.
    #[error(transparent)]
    Cell(#[from] FeatureError),

    /// The overlay image cannot be written.
    #[error(transparent)]
    Overlay(#[from] OutputError),
}

/// Describes the centred cell of one image file; with `overlay`, also writes the image with
/// the cell's outlines ([`super::overlay`]) there as PNG.
pub fn describe_file(
    path: &Path,
    scale: Option<Scale>,
    overlay: Option<&Path>,
) -> Result<WhiteCell, ImageError> {
    let image = read_rgb_image(path)?;
    let cell = describe_centred_cell(&image, scale)?;
    if let Some(overlay_path) = overlay {
        write_rgb_png(overlay_path, &super::overlay(&image, &cell))?;
    }
    Ok(cell)
}

/// The overlay file of an image: its table name with `/` as `__`, and `.png`.
pub fn overlay_path(folder: &Path, entry: &ImageEntry) -> PathBuf {
    let flat = entry.name.replace('/', "__");
    let stem = Path::new(&flat)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or(flat);
    folder.join(format!("{stem}.png"))
}

/// The outcome of describing a collection.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Described {
    /// One row per described image, in the order of the entries.
    pub rows: Vec<Row>,
    /// Images that gave no row, in the order of the entries.
    pub skipped: Vec<Skipped>,
    /// The red-cell diameter (pixels) each row was measured at, parallel to `rows`.
    pub scales: Vec<f64>,
    /// How many rows used the collection's median scale because their own image had too few
    /// red cells to measure it.
    pub median_scale_rows: usize,
}

/// Describes every image in parallel; `done` is called once per image (for a progress bar);
/// with `overlays`, an overlay PNG of each described cell is written into that folder.
///
/// With `scale` given every image is measured at it. Without, each image's scale is measured
/// from its red cells; an image with too few red cells is then measured at the median of the
/// scales measured in the others (a second pass), so one sparse image does not lose its row.
/// The result is the same for any number of threads.
pub fn describe_all(
    entries: &[ImageEntry],
    scale: Option<Scale>,
    overlays: Option<&Path>,
    done: impl Fn() + Sync,
) -> Described {
    let describe = |entry: &ImageEntry, scale: Option<Scale>| {
        let overlay = overlays.map(|folder| overlay_path(folder, entry));
        describe_file(&entry.path, scale, overlay.as_deref())
    };
    let mut results: Vec<Result<WhiteCell, ImageError>> = entries
        .par_iter()
        .map(|entry| {
            let result = describe(entry, scale);
            if !needs_median_scale(&result) {
                done();
            }
            result
        })
        .collect();
    let mut measured: Vec<f64> = results
        .iter()
        .filter_map(|result| result.as_ref().ok())
        .map(|cell| cell.scale.red_cell_diameter())
        .collect();
    let mut median_scale_rows = 0;
    if let Some(median) = super::scale::median(&mut measured) {
        let median = Scale::from_red_cell_diameter(median).expect("median of valid scales");
        let second: Vec<(usize, Result<WhiteCell, ImageError>)> = results
            .par_iter()
            .enumerate()
            .filter(|(_, result)| needs_median_scale(result))
            .map(|(index, _)| {
                let result = describe(&entries[index], Some(median));
                done();
                (index, result)
            })
            .collect();
        median_scale_rows = second.iter().filter(|(_, result)| result.is_ok()).count();
        for (index, result) in second {
            results[index] = result;
        }
    } else {
        results
            .iter()
            .filter(|r| needs_median_scale(r))
            .for_each(|_| done());
    }
    let mut described = Described {
        median_scale_rows,
        ..Described::default()
    };
    for (entry, result) in entries.iter().zip(results) {
        match result {
            Ok(cell) => {
                described.scales.push(cell.scale.red_cell_diameter());
                described.rows.push(Row {
                    image: entry.name.clone(),
                    class: entry.class.clone(),
                    features: cell.features,
                });
            }
            Err(error) => described.skipped.push(Skipped {
                image: entry.name.clone(),
                reason: error.to_string(),
            }),
        }
    }
    described
}

fn needs_median_scale(result: &Result<WhiteCell, ImageError>) -> bool {
    matches!(
        result,
        Err(ImageError::Cell(FeatureError::NoRedCells { .. }))
    )
}

/// Writes the table as CSV: `image`, `Class` (when any row has a class), then every feature
/// in [`feature_names`] order; numbers in shortest round-trip form.
pub fn write_csv(writer: &mut impl Write, rows: &[Row]) -> std::io::Result<()> {
    let with_class = rows.iter().any(|row| row.class.is_some());
    let mut csv = csv::Writer::from_writer(writer);
    let mut header = vec!["image".to_string()];
    if with_class {
        header.push("Class".to_string());
    }
    header.extend(feature_names());
    csv.write_record(&header)?;
    for row in rows {
        let mut record = vec![row.image.clone()];
        if with_class {
            record.push(row.class.clone().unwrap_or_default());
        }
        record.extend(row.features.iter().map(|value| format!("{value}")));
        csv.write_record(&record)?;
    }
    csv.flush()?;
    Ok(())
}
