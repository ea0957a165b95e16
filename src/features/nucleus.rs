//! Shape of the nucleus and the cell: ImageJ's shape measurements ([`crate::measure`]) in
//! red-cell diameters, the nucleus:cytoplasm ratio and lobe counts.
//!
//! A segmented neutrophil has 2–5 lobes joined by thin chromatin bridges; a band neutrophil
//! one curved band; a lymphocyte one round nucleus. Lobes are counted three ways because each
//! fails differently: separate pieces of the thresholded nucleus (bridges below the threshold),
//! pieces after ImageJ's binary watershed (cuts at necks of the distance map), and the maxima
//! ImageJ's Ultimate Points accepts (one per lobe "centre").

use image::GrayImage;

use super::cell::CellMasks;
use super::scale::NORMALISED_RED_CELL_DIAMETER as D;
use crate::edm::distance_map;
use crate::io::LabelImage;
use crate::measure::{
    find_particles, measure_shape, particles_from_labels, Calibration, ParticleOptions,
    ShapeMeasurements,
};
use crate::morphology::fill_holes;
use crate::watershed::{ultimate_points, watershed};

/// The ImageJ shape columns reported for the nucleus and the cell, in column order.
pub const SHAPE_COLUMNS: [&str; 10] = [
    "area",
    "perimeter",
    "major",
    "minor",
    "feret",
    "min_feret",
    "circularity",
    "aspect_ratio",
    "roundness",
    "solidity",
];

/// The nucleus-only columns, in column order.
pub const NUCLEUS_COLUMNS: [&str; 9] = [
    "nucleus_pieces",
    "nucleus_watershed_lobes",
    "nucleus_edm_maxima",
    "nucleus_holes",
    "nucleus_max_thickness",
    "nucleus_mean_thickness",
    "nucleus_slenderness",
    "nucleus_offset",
    "cytoplasm_area",
];

/// The whole-cell ratio columns, in column order.
pub const RATIO_COLUMNS: [&str; 2] = ["nucleus_fraction", "nc_ratio"];

/// Smallest watershed piece counted as a lobe: 0.01 red-cell diameters².
const MIN_LOBE_AREA: f64 = 0.01 * D * D;

/// The mask as one particle (all its pieces together), measured in red-cell diameters.
pub fn shape_of(mask: &GrayImage) -> Option<ShapeMeasurements> {
    let labels = LabelImage::from_fn(mask.width(), mask.height(), |x, y| {
        image::Luma([u32::from(mask.get_pixel(x, y).0[0] != 0)])
    });
    let particle = particles_from_labels(&labels, &ParticleOptions::default())
        .into_iter()
        .next()?;
    Some(measure_shape(
        &particle,
        &Calibration::square(1.0 / D, "red-cell diameter"),
    ))
}

/// The [`SHAPE_COLUMNS`] of a shape (zeros for an empty mask, NaN-free).
pub fn shape_values(shape: Option<&ShapeMeasurements>) -> [f64; 10] {
    let Some(s) = shape else {
        return [0.0; 10];
    };
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    [
        s.area,
        s.perimeter,
        s.major,
        s.minor,
        s.feret,
        s.min_feret,
        s.circularity,
        finite(s.aspect_ratio),
        finite(s.roundness),
        finite(s.solidity),
    ]
}

/// The [`NUCLEUS_COLUMNS`] of a cell.
pub fn nucleus_values(masks: &CellMasks) -> [f64; 9] {
    let nucleus = pad(&masks.nucleus);
    let area = count(&masks.nucleus) as f64;
    let cell_area = count(&masks.cell) as f64;
    let watershed_lobes = watershed(&nucleus)
        .map(|cut| {
            find_particles(
                &cut,
                &ParticleOptions {
                    min_size: MIN_LOBE_AREA,
                    ..ParticleOptions::default()
                },
            )
            .len()
        })
        .unwrap_or(0);
    let edm_maxima = ultimate_points(&nucleus)
        .map(|points| points.as_raw().iter().filter(|&&v| v > 0.0).count())
        .unwrap_or(0);
    let holes = {
        let filled = fill_holes(&masks.nucleus);
        let hole_mask = GrayImage::from_fn(filled.width(), filled.height(), |x, y| {
            let hole = filled.get_pixel(x, y).0[0] != 0 && masks.nucleus.get_pixel(x, y).0[0] == 0;
            image::Luma([if hole { 255 } else { 0 }])
        });
        find_particles(&hole_mask, &ParticleOptions::default()).len()
    };
    let edm = distance_map(&nucleus);
    let inside: Vec<f64> = edm
        .as_raw()
        .iter()
        .filter(|&&v| v > 0.0)
        .map(|&v| f64::from(v))
        .collect();
    let max_depth = inside.iter().copied().fold(0.0, f64::max);
    let mean_depth = if inside.is_empty() {
        0.0
    } else {
        inside.iter().sum::<f64>() / inside.len() as f64
    };
    // Area per squared thickness: about π/4 ≈ 0.8 for a disc, large for a thin band.
    let slenderness = if max_depth > 0.0 {
        area / (4.0 * max_depth * max_depth)
    } else {
        0.0
    };
    let offset = {
        let (nx, ny) = centroid(&masks.nucleus);
        let (cx, cy) = centroid(&masks.cell);
        let radius = (cell_area / std::f64::consts::PI).sqrt();
        if radius > 0.0 {
            ((nx - cx).powi(2) + (ny - cy).powi(2)).sqrt() / radius
        } else {
            0.0
        }
    };
    [
        masks.nucleus_pieces as f64,
        watershed_lobes as f64,
        edm_maxima as f64,
        holes as f64,
        2.0 * max_depth / D,
        2.0 * mean_depth / D,
        slenderness,
        offset,
        (cell_area - area).max(0.0) / (D * D),
    ]
}

/// The [`RATIO_COLUMNS`]: nucleus area / cell area, and nucleus area / cytoplasm area (the
/// cytoplasm taken as at least one pixel, so the ratio stays finite).
pub fn ratio_values(masks: &CellMasks) -> [f64; 2] {
    let nucleus = count(&masks.nucleus) as f64;
    let cell = count(&masks.cell) as f64;
    let cytoplasm = (cell - nucleus).max(1.0);
    [
        if cell > 0.0 { nucleus / cell } else { 0.0 },
        nucleus / cytoplasm,
    ]
}

/// Number of non-zero pixels.
pub(crate) fn count(mask: &GrayImage) -> usize {
    mask.as_raw().iter().filter(|&&v| v != 0).count()
}

/// Centroid of the non-zero pixels (pixel centres); (0, 0) when empty.
pub(crate) fn centroid(mask: &GrayImage) -> (f64, f64) {
    let (mut n, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for (x, y, pixel) in mask.enumerate_pixels() {
        if pixel.0[0] != 0 {
            n += 1.0;
            sx += f64::from(x);
            sy += f64::from(y);
        }
    }
    if n > 0.0 {
        (sx / n, sy / n)
    } else {
        (0.0, 0.0)
    }
}

/// The mask inside a 1-pixel frame of background, so distances see the image border as
/// background (ImageJ's EDM treats outside pixels as object).
fn pad(mask: &GrayImage) -> GrayImage {
    let mut padded = GrayImage::new(mask.width() + 2, mask.height() + 2);
    image::imageops::replace(&mut padded, mask, 1, 1);
    padded
}
