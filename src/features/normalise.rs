//! Colour normalisation against the two references every blood smear carries: the background
//! (the microscope's white point) and the red cells (a stain of known colour).
//!
//! Microscopes differ in light source, camera, white balance, stain batch and compression, so
//! the same white cell has other colours on other microscopes, and a model trained on one
//! collection's colours misreads another's. The background and the red cells are in every
//! image and have the same colour wherever the smear was stained with May-Grünwald-Giemsa, so
//! each image is mapped, channel by channel in optical-density space, so that its background
//! and its red cells take fixed reference colours ([`REFERENCE`]):
//!
//! ```text
//! OD_c(p)  = log10(background_c / p_c)                     (per channel c of pixel p)
//! OD'_c(p) = OD_c(p) · reference_red_OD_c / red_OD_c       (red_OD_c = OD_c of the red cells)
//! p'_c     = reference_background_c · 10^(−OD'_c(p))       (rounded, clamped to 0..=255)
//! ```
//!
//! The background maps to the reference background and the red cells' median colour to the
//! reference red-cell colour exactly; every other colour (nuclei, cytoplasm, granules) moves
//! with them. A change of illumination (a gain per channel) or of stain intensity (a power per
//! channel in transmittance, as Beer-Lambert gives) is undone exactly.
//!
//! The features ([`super::describe_centred_cell`], [`super::describe_cell_at`]) are computed
//! on the normalised image, at training time (PBC images) as at counting time (smear fields),
//! so a model sees the same colours whichever microscope took the image.

use image::{GrayImage, Rgb, RgbImage};

use super::cell::foreground_range;
use super::FeatureError;
use crate::color::rgb_to_gray;
use crate::threshold;

/// The colours of an image's references: median background and median red-cell colour
/// (RGB, 0–255).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct References {
    /// Median colour of the background.
    pub background: [f64; 3],
    /// Median colour of the red cells' stained pixels; `None` when too few red-cell pixels
    /// were found (then only the background is normalised).
    pub red_cells: Option<[f64; 3]>,
}

/// The colours images are normalised to: PBC's typical background and red cells, the medians
/// (channel by channel) over 800 images of the PBC dataset (`../shared/data/pbc`, every 4th
/// by name; the training collection of the shipped model) of each image's non-foreground
/// pixels and red cells, measured once at the images' own scale and kept fixed, so the
/// normalisation does not depend on what is being normalised (docs/features.md).
pub const REFERENCE: References = References {
    background: [254.0, 227.0, 202.0],
    red_cells: Some([209.0, 170.0, 170.0]),
};

/// Fewest red-cell pixels, as a share of the image, for the red cells to serve as a
/// reference.
pub const MIN_RED_CELL_SHARE: f64 = 0.01;

/// Smallest red-cell optical density (per channel) used as a reference: below it the red cells
/// are indistinguishable from the background in that channel, and only the background is
/// normalised there.
pub const MIN_RED_CELL_DENSITY: f64 = 0.02;

/// Largest factor by which a channel's optical densities are scaled, either way: beyond it the
/// image is not a comparable stained smear, and a larger factor would only amplify noise.
pub const MAX_DENSITY_FACTOR: f64 = 4.0;

/// Measures an image's references: the median colour of its background (its brightest
/// [`BACKGROUND_SHARE`] of pixels by grey level) and of its red cells (foreground pixels,
/// [`foreground_range`], of the red cells that [`super::scale::estimate_red_cell_diameter`]
/// finds, given the image's nucleus-like pixels). Medians per channel.
pub fn measure_references(
    image: &RgbImage,
    nucleus_like: &GrayImage,
) -> Result<References, FeatureError> {
    let grey = rgb_to_gray(image);
    let foreground = threshold::apply(&grey, foreground_range(&grey));
    let bright = brightest_level(&grey);
    let red = super::scale::red_cell_mask(image, nucleus_like)?;
    let mut background = [[0u32; 256]; 3];
    let mut red_cells = [[0u32; 256]; 3];
    let masks = foreground.as_raw().iter().zip(red.as_raw());
    for ((pixel, (&inside, &red_cell)), &level) in image.pixels().zip(masks).zip(grey.as_raw()) {
        let histograms = if level >= bright {
            &mut background
        } else if inside != 0 && red_cell != 0 {
            &mut red_cells
        } else {
            continue;
        };
        for (histogram, &value) in histograms.iter_mut().zip(&pixel.0) {
            histogram[usize::from(value)] += 1;
        }
    }
    let pixels = f64::from(image.width()) * f64::from(image.height());
    let red_count: u32 = red_cells[0].iter().sum();
    let background = background.map(|histogram| histogram_median(&histogram));
    let red_cells = (f64::from(red_count) >= MIN_RED_CELL_SHARE * pixels)
        .then(|| red_cells.map(|histogram| histogram_median(&histogram)));
    // An image with no background pixel (all foreground) keeps white as its white point.
    let background = background.map(|value| value.unwrap_or(255.0));
    let red_cells = red_cells.and_then(|colour| {
        let [r, g, b] = colour;
        Some([r?, g?, b?])
    });
    Ok(References {
        background,
        red_cells,
    })
}

/// Share of an image's pixels, the brightest, taken for its background.
pub const BACKGROUND_SHARE: f64 = 0.1;

/// The grey level at or above which lie the brightest [`BACKGROUND_SHARE`] of the pixels (the
/// nearest-rank 90th percentile). Every smear image shows some background between its cells,
/// and its brightest tenth is background even in dense fields, where the Triangle threshold of
/// the cells can fall inside the red cells (they, not the background, then make the largest
/// peak of the histogram).
fn brightest_level(grey: &GrayImage) -> u8 {
    let mut histogram = [0u64; 256];
    for &value in grey.as_raw() {
        histogram[usize::from(value)] += 1;
    }
    let total = grey.as_raw().len() as u64;
    let rank = ((1.0 - BACKGROUND_SHARE) * total as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (value, &n) in histogram.iter().enumerate() {
        seen += n;
        if seen >= rank {
            return value as u8;
        }
    }
    255
}

/// The median of a 256-bin histogram (mean of the two middle values for an even count);
/// `None` when it is empty.
fn histogram_median(histogram: &[u32; 256]) -> Option<f64> {
    let total: u64 = histogram.iter().map(|&n| u64::from(n)).sum();
    if total == 0 {
        return None;
    }
    // 0-based ranks of the two middle values.
    let (low_rank, high_rank) = ((total - 1) / 2, total / 2);
    let value_at = |rank: u64| {
        let mut seen = 0u64;
        for (value, &n) in histogram.iter().enumerate() {
            seen += u64::from(n);
            if seen > rank {
                return value as f64;
            }
        }
        255.0
    };
    Some(0.5 * (value_at(low_rank) + value_at(high_rank)))
}

/// The per-channel map of [`normalise`]: for each channel, (background, OD factor,
/// reference background).
fn channel_maps(measured: &References, reference: &References) -> [(f64, f64, f64); 3] {
    std::array::from_fn(|c| {
        let background = measured.background[c].max(1.0);
        let factor = match (measured.red_cells, reference.red_cells) {
            (Some(red), Some(reference_red)) => {
                let density = (background / red[c].max(1.0)).log10();
                let reference_density =
                    (reference.background[c].max(1.0) / reference_red[c].max(1.0)).log10();
                if density >= MIN_RED_CELL_DENSITY && reference_density >= MIN_RED_CELL_DENSITY {
                    (reference_density / density)
                        .clamp(1.0 / MAX_DENSITY_FACTOR, MAX_DENSITY_FACTOR)
                } else {
                    1.0
                }
            }
            _ => 1.0,
        };
        (background, factor, reference.background[c])
    })
}

/// Maps `image` so that the colours `measured` in it become those of `reference` (module
/// docs): the background exactly, the red cells exactly when both have red cells (else each
/// channel is only scaled by reference / measured background).
///
/// ```
/// use hemato::features::normalise::{normalise, References};
/// use image::{Rgb, RgbImage};
/// let measured = References { background: [200.0, 200.0, 200.0], red_cells: Some([100.0, 50.0, 100.0]) };
/// let reference = References { background: [240.0, 220.0, 200.0], red_cells: Some([120.0, 110.0, 50.0]) };
/// let image = RgbImage::from_fn(2, 1, |x, _| if x == 0 { Rgb([200, 200, 200]) } else { Rgb([100, 50, 100]) });
/// let out = normalise(&image, &measured, &reference);
/// assert_eq!(out.get_pixel(0, 0), &Rgb([240, 220, 200]));
/// assert_eq!(out.get_pixel(1, 0), &Rgb([120, 110, 50]));
/// ```
pub fn normalise(image: &RgbImage, measured: &References, reference: &References) -> RgbImage {
    let maps = channel_maps(measured, reference);
    // One lookup table per channel: 256 values.
    let tables: [[u8; 256]; 3] = maps.map(|(background, factor, target)| {
        std::array::from_fn(|value| {
            let density = (background / (value as f64).max(0.5)).log10();
            let mapped = target * 10f64.powf(-density * factor);
            mapped.round().clamp(0.0, 255.0) as u8
        })
    });
    let mut out = image.clone();
    for pixel in out.pixels_mut() {
        let Rgb([r, g, b]) = *pixel;
        *pixel = Rgb([
            tables[0][usize::from(r)],
            tables[1][usize::from(g)],
            tables[2][usize::from(b)],
        ]);
    }
    out
}

/// Normalises an image to [`REFERENCE`] from its own references ([`measure_references`], with
/// `nucleus_like` its nucleus-like pixels).
pub fn normalise_to_reference(
    image: &RgbImage,
    nucleus_like: &GrayImage,
) -> Result<RgbImage, FeatureError> {
    let measured = measure_references(image, nucleus_like)?;
    Ok(normalise(image, &measured, &REFERENCE))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field at 64 pixels per red-cell diameter: `background` everywhere, with red cells of
    /// colour `red` (discs 64 pixels across) on a 3 x 3 grid.
    fn field(background: [u8; 3], red: [u8; 3]) -> RgbImage {
        RgbImage::from_fn(300, 300, |x, y| {
            let (cx, cy) = (
                50.0 + 100.0 * (x / 100) as f64,
                50.0 + 100.0 * (y / 100) as f64,
            );
            let inside = (f64::from(x) - cx).hypot(f64::from(y) - cy) <= 32.0;
            Rgb(if inside { red } else { background })
        })
    }

    #[test]
    fn references_of_a_drawn_field_are_its_colours() {
        let image = field([200, 205, 210], [170, 120, 130]);
        let none = GrayImage::new(300, 300);
        let measured = measure_references(&image, &none).unwrap();
        assert_eq!(measured.background, [200.0, 205.0, 210.0]);
        assert_eq!(measured.red_cells, Some([170.0, 120.0, 130.0]));
    }

    #[test]
    fn a_drawn_field_maps_to_the_reference_exactly() {
        let image = field([200, 205, 210], [170, 120, 130]);
        let normalised = normalise_to_reference(&image, &GrayImage::new(300, 300)).unwrap();
        let colour = |c: Option<[f64; 3]>| c.unwrap().map(|v| v as u8);
        // Background (a corner) and a red-cell centre.
        assert_eq!(
            normalised.get_pixel(0, 0).0,
            colour(Some(REFERENCE.background))
        );
        assert_eq!(normalised.get_pixel(50, 50).0, colour(REFERENCE.red_cells));
    }

    #[test]
    fn other_colours_follow_the_optical_density_map() {
        // Background 200 and red cells 100 in every channel (OD 0.30103); reference background
        // 250 and red cells 125 in red (OD 0.30103: factor 1) and 25 in green (OD 1: factor
        // 1/0.30103). A pixel of 141: red 250·141/200 = 176.25, green
        // 250·(141/200)^(1/0.30103) = 250·0.3131 = 78.3.
        let measured = References {
            background: [200.0; 3],
            red_cells: Some([100.0; 3]),
        };
        let reference = References {
            background: [250.0; 3],
            red_cells: Some([125.0, 25.0, 125.0]),
        };
        let image = RgbImage::from_pixel(1, 1, Rgb([141, 141, 141]));
        let out = normalise(&image, &measured, &reference);
        let od = (200.0f64 / 141.0).log10();
        let red = (250.0 * 10f64.powf(-od)).round() as u8;
        let green = (250.0 * 10f64.powf(-od / 2f64.log10())).round() as u8;
        assert_eq!((red, green), (176, 78));
        assert_eq!(out.get_pixel(0, 0).0, [red, green, red]);
    }

    #[test]
    fn without_red_cells_only_the_white_point_moves() {
        let measured = References {
            background: [200.0, 100.0, 250.0],
            red_cells: None,
        };
        let image = RgbImage::from_pixel(1, 1, Rgb([100, 50, 125]));
        let reference = References {
            background: [240.0, 220.0, 200.0],
            red_cells: Some([200.0, 150.0, 150.0]),
        };
        let out = normalise(&image, &measured, &reference);
        // Half of the background in every channel becomes half of the reference background.
        assert_eq!(out.get_pixel(0, 0).0, [120, 110, 100]);
    }

    #[test]
    fn median_of_histograms() {
        let mut histogram = [0u32; 256];
        assert_eq!(histogram_median(&histogram), None);
        histogram[10] = 2;
        histogram[20] = 1;
        assert_eq!(histogram_median(&histogram), Some(10.0));
        histogram[30] = 1;
        assert_eq!(histogram_median(&histogram), Some(15.0));
    }
}
