//! Scale: how many pixels one red-cell diameter spans, measured or given, and resampling to the
//! normalised scale every white-cell feature is computed at.
//!
//! Red cells are the one object of known size in every blood smear (about 7.5 µm), so hemato
//! expresses every length in red-cell diameters and computes texture on images resampled to
//! [`NORMALISED_RED_CELL_DIAMETER`] pixels per red-cell diameter. A classifier trained on one
//! microscope then sees the same numbers for the same cell on another magnification.

use image::imageops::FilterType;
use image::{GrayImage, RgbImage};

use super::cell::{foreground_range, paint, pixels_inside};
use super::FeatureError;
use crate::color::rgb_to_gray;
use crate::measure::{find_particles, ParticleOptions};
use crate::morphology::fill_holes;
use crate::threshold;
use crate::watershed::{ultimate_points, watershed};

/// Pixels per red-cell diameter of the images features are computed on.
///
/// PBC images have about 72 (estimated median), BCCD fields about 100, Aslan fields about 49:
/// every source is brought to this scale before anything is measured.
pub const NORMALISED_RED_CELL_DIAMETER: f64 = 64.0;

/// Smallest and largest red-cell diameter, in pixels, hemato accepts.
pub const RED_CELL_DIAMETER_RANGE: (f64, f64) = (8.0, 2000.0);

/// The scale of an image: pixels per red-cell diameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    red_cell_diameter: f64,
}

impl Scale {
    /// The scale of an image whose red cells are `pixels` across (8 to 2000).
    ///
    /// ```
    /// use hemato::features::Scale;
    /// assert_eq!(Scale::from_red_cell_diameter(75.0).unwrap().red_cell_diameter(), 75.0);
    /// assert!(Scale::from_red_cell_diameter(2.0).is_err());
    /// assert!(Scale::from_red_cell_diameter(f64::NAN).is_err());
    /// ```
    pub fn from_red_cell_diameter(pixels: f64) -> Result<Scale, FeatureError> {
        let (low, high) = RED_CELL_DIAMETER_RANGE;
        if pixels.is_finite() && (low..=high).contains(&pixels) {
            Ok(Scale {
                red_cell_diameter: pixels,
            })
        } else {
            Err(FeatureError::InvalidScale { pixels })
        }
    }

    /// Pixels per red-cell diameter.
    pub fn red_cell_diameter(&self) -> f64 {
        self.red_cell_diameter
    }

    /// The factor that brings this image to the normalised scale.
    pub fn resampling_factor(&self) -> f64 {
        NORMALISED_RED_CELL_DIAMETER / self.red_cell_diameter
    }
}

/// Fewest red cells the diameter estimate accepts.
pub const MIN_RED_CELLS: usize = 3;

/// Share of a particle's pixels that may look like nucleus before it is taken for a white cell.
const MAX_NUCLEUS_SHARE: f64 = 0.05;

/// Smallest inscribed radius counted, in pixels: half the smallest accepted diameter.
const MIN_RADIUS: f32 = (RED_CELL_DIAMETER_RANGE.0 / 2.0) as f32;

/// Radii below this share of the largest are pieces, platelets or debris, not red cells.
const MIN_SHARE_OF_LARGEST: f64 = 0.6;

/// Measures the median red-cell diameter of an image, in pixels, as twice the median radius of
/// the circles inscribed in the red cells.
///
/// 1. Foreground: [`super::cell::foreground_range`] of the grey image (ImageJ's RGB → 8-bit),
///    holes filled (the pale centres of red cells), touching cells cut apart by ImageJ's
///    binary watershed. Pieces with more than 5% nucleus-like pixels (`nucleus_like`: white
///    cells, platelets) are dropped.
/// 2. The ultimate points of the rest (ImageJ's Process > Binary > Ultimate Points: one maximum
///    of the distance map per cell) hold the radius of the largest circle inscribed in each
///    cell. ImageJ's distance map does not take the outside of the image for background, so a
///    red cell cut by the border still gets its full radius when its centre lies inside; points
///    on the border itself (centres outside) are not counted, nor radii under 4 pixels or
///    under 0.6× the largest (pieces, platelets, debris).
/// 3. Diameter = 2 × the median radius.
///
/// Errors with [`FeatureError::NoRedCells`] when fewer than [`MIN_RED_CELLS`] red cells are
/// counted; give the scale explicitly then.
pub fn estimate_red_cell_diameter(
    image: &RgbImage,
    nucleus_like: &GrayImage,
) -> Result<Scale, FeatureError> {
    let (width, height) = image.dimensions();
    let red = red_cell_mask(image, nucleus_like)?;
    let points = ultimate_points(&red).map_err(|_| FeatureError::TooLarge { width, height })?;
    let mut radii: Vec<f64> = Vec::new();
    for (x, y, value) in points.enumerate_pixels() {
        let on_border = x == 0 || y == 0 || x + 1 == width || y + 1 == height;
        if value.0[0] >= MIN_RADIUS && !on_border {
            radii.push(f64::from(value.0[0]));
        }
    }
    let largest = radii.iter().copied().fold(0.0, f64::max);
    radii.retain(|&r| r >= MIN_SHARE_OF_LARGEST * largest);
    if radii.len() < MIN_RED_CELLS {
        return Err(FeatureError::NoRedCells { found: radii.len() });
    }
    let radius = median(&mut radii).expect("not empty");
    // Only an outlier could leave the accepted range: then there are no red cells to trust.
    Scale::from_red_cell_diameter(2.0 * radius)
        .map_err(|_| FeatureError::NoRedCells { found: radii.len() })
}

/// The red cells of an image (255): step 1 of [`estimate_red_cell_diameter`], the foreground
/// pieces (holes filled, touching cells cut apart by the binary watershed) with at most 5%
/// nucleus-like pixels. Also the reference of colour normalisation
/// ([`super::normalise`]).
pub(crate) fn red_cell_mask(
    image: &RgbImage,
    nucleus_like: &GrayImage,
) -> Result<GrayImage, FeatureError> {
    let (width, height) = image.dimensions();
    let grey = rgb_to_gray(image);
    let filled = fill_holes(&threshold::apply(&grey, foreground_range(&grey)));
    let separated = watershed(&filled).map_err(|_| FeatureError::TooLarge { width, height })?;
    let mut red = GrayImage::new(width, height);
    for particle in find_particles(&separated, &ParticleOptions::default()) {
        let nucleus_pixels = pixels_inside(&particle, nucleus_like);
        if (nucleus_pixels as f64) > MAX_NUCLEUS_SHARE * particle.pixel_count() as f64 {
            continue;
        }
        paint(&mut red, &particle);
    }
    Ok(red)
}

/// The median (mean of the two middle values for an even count); `None` when empty.
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    })
}

/// Resamples `image` by `factor` (bilinear, widened when shrinking so every source pixel
/// counts), at least 1x1.
pub fn resample(image: &RgbImage, factor: f64) -> RgbImage {
    let width = ((f64::from(image.width()) * factor).round() as u32).max(1);
    let height = ((f64::from(image.height()) * factor).round() as u32).max(1);
    if (width, height) == image.dimensions() {
        return image.clone();
    }
    image::imageops::resize(image, width, height, FilterType::Triangle)
}
