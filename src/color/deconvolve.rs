//! Per-pixel colour deconvolution: the formula, and the table-driven fast path that gives the
//! same numbers.
//!
//! For a pixel (R, G, B) and a [`StainMatrix`] with inverse Q, Colour Deconvolution 2 computes
//! for each stain i (imagej-reference.md §7):
//!
//! - optical densities `OD_c = −ln(c/255)`, with a channel value 0 treated as 1;
//! - the stain amount `s_i = OD_R·Q[0][i] + OD_G·Q[1][i] + OD_B·Q[2][i]` (double precision,
//!   summed in that order);
//! - the 8-bit transmittance `floor(min(255·exp(−s_i), 255) + 0.5)`;
//! - the 32-bit absorbance: the same sum with `−log10(c/255)`, stored as a float.
//!
//! The fast path computes exactly these numbers with changes that do not alter a bit:
//!
//! 1. `OD_c · Q[c][i]` depends on one 8-bit value only, so it is read from a 256-entry table
//!    per channel and stain (same product, same summation order ⇒ same double).
//! 2. The transmittance is a non-increasing step function of `s`, so instead of `exp` and
//!    rounding, `s` is compared with the exact doubles where the output steps down
//!    ([`TransmittanceSteps`]). Each step point is found by bisection over the doubles
//!    themselves, using the direct formula, so it is exact wherever `exp` is monotonic.
//! 3. To find the right step point without a search, `s` indexes buckets of width 1/1024:
//!    `s · 1024` is exact (a power of two), so bucket j holds exactly the s in
//!    [j/1024, (j+1)/1024). The step points are at least ln(254.5/253.5) ≈ 1/254 apart, so a
//!    bucket holds at most one; the output is the bucket's value at its lower edge, minus one
//!    from that step point on.
//!
//! The test suite compares the fast path with the direct formula on all 2²⁴ colours for the
//! Giemsa and H&E matrices.

use image::{GrayImage, RgbImage};
use rayon::prelude::*;

use super::{ColorError, StainMatrix};
use crate::io::FloatImage;

/// Optical density of one 8-bit channel value, `−ln(max(value, 1)/255)`.
pub fn optical_density(value: u8) -> f64 {
    -(f64::from(value.max(1)) / 255.0).ln()
}

/// Absorbance (decadic optical density) of one channel value, `−log10(max(value, 1)/255)`.
pub fn absorbance(value: u8) -> f64 {
    -(f64::from(value.max(1)) / 255.0).log10()
}

/// The 8-bit transmittance of stain amount `stain` (natural-log units):
/// `floor(min(255·exp(−stain), 255) + 0.5)`.
pub fn transmittance_8bit(stain: f64) -> u8 {
    let transmitted = (255.0 * (-stain).exp()).min(255.0);
    (transmitted + 0.5).floor() as u8
}

/// The direct formula for one pixel: the 8-bit transmittance of each of the three stains.
///
/// ```
/// use hemato::color::{transmittance_of_pixel, StainMatrix, StainSet, ThirdStain};
/// let giemsa = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
/// assert_eq!(transmittance_of_pixel(&giemsa, [255, 255, 255]), [255, 255, 255]);
/// ```
pub fn transmittance_of_pixel(matrix: &StainMatrix, rgb: [u8; 3]) -> [u8; 3] {
    let q = matrix.inverse();
    let od = rgb.map(optical_density);
    std::array::from_fn(|stain| {
        transmittance_8bit(od[0] * q[0][stain] + od[1] * q[1][stain] + od[2] * q[2][stain])
    })
}

/// The direct formula for one pixel: the absorbance of each of the three stains.
pub fn absorbance_of_pixel(matrix: &StainMatrix, rgb: [u8; 3]) -> [f32; 3] {
    let q = matrix.inverse();
    let od = rgb.map(absorbance);
    std::array::from_fn(|stain| {
        (od[0] * q[0][stain] + od[1] * q[1][stain] + od[2] * q[2][stain]) as f32
    })
}

/// Buckets per unit of stain amount: 2¹⁰, so that `stain · BUCKETS_PER_UNIT` is exact. A
/// bucket (1/1024) is narrower than the smallest gap between two step points (≈ 1/254).
const BUCKETS_PER_UNIT: f64 = 1024.0;

/// Number of buckets: they cover stain amounts 0..6.25, past the last step point
/// ln(255/0.5) ≈ 6.234, beyond which the output is 0.
const BUCKET_COUNT: usize = 6400;

/// The step function `stain ↦ 8-bit transmittance`, tabulated exactly.
#[derive(Debug, Clone)]
struct TransmittanceSteps {
    /// The output at the lower edge j/1024 of each bucket j.
    value_at_start: Box<[u8; BUCKET_COUNT]>,
    /// The step point inside each bucket (the output drops by one from there), or +∞.
    step_inside: Box<[f64; BUCKET_COUNT]>,
}

impl TransmittanceSteps {
    fn new() -> TransmittanceSteps {
        let mut value_at_start = Box::new([0u8; BUCKET_COUNT]);
        for (j, value) in value_at_start.iter_mut().enumerate() {
            *value = transmittance_8bit(j as f64 / BUCKETS_PER_UNIT);
        }
        assert_eq!(
            value_at_start[BUCKET_COUNT - 1],
            0,
            "the last bucket is flat"
        );
        let mut step_inside = Box::new([f64::INFINITY; BUCKET_COUNT]);
        for k in 1..=255u8 {
            // The output is ≥ k exactly when stain < step.
            let step = first_stain_below(k);
            let bucket = (step * BUCKETS_PER_UNIT) as usize;
            assert!(
                step_inside[bucket].is_infinite(),
                "two step points in one bucket"
            );
            step_inside[bucket] = step;
        }
        TransmittanceSteps {
            value_at_start,
            step_inside,
        }
    }

    /// [`transmittance_8bit`] of `stain`, without `exp`.
    #[inline]
    fn lookup(&self, stain: f64) -> u8 {
        // Negative amounts go to bucket 0, large ones to the last bucket; both are flat (255,
        // resp. 0). `as i32` saturates, and NaN (which the finite tables never produce) gives 0.
        let bucket = ((stain * BUCKETS_PER_UNIT) as i32).clamp(0, BUCKET_COUNT as i32 - 1) as usize;
        self.value_at_start[bucket] - u8::from(stain >= self.step_inside[bucket])
    }
}

/// The smallest stain amount whose transmittance is below `k` (k ≥ 1), by bisection over the
/// positive doubles (their bit patterns are ordered like their values).
fn first_stain_below(k: u8) -> f64 {
    // transmittance_8bit(0) = 255 ≥ k; transmittance_8bit(64) = 0 < k.
    let (mut at_least_k, mut below_k) = (0.0f64.to_bits(), 64.0f64.to_bits());
    while below_k - at_least_k > 1 {
        let middle = at_least_k + (below_k - at_least_k) / 2;
        if transmittance_8bit(f64::from_bits(middle)) >= k {
            at_least_k = middle;
        } else {
            below_k = middle;
        }
    }
    f64::from_bits(below_k)
}

/// The per-channel tables of one matrix: `terms[c][v][i] = OD(v)·Q[c][i]` (the fourth lane
/// pads each entry to 32 bytes).
#[derive(Debug, Clone)]
struct ChannelTerms {
    terms: [[[f64; 4]; 256]; 3],
}

impl ChannelTerms {
    fn new(matrix: &StainMatrix, density: fn(u8) -> f64) -> Box<ChannelTerms> {
        let q = matrix.inverse();
        let mut tables = Box::new(ChannelTerms {
            terms: [[[0.0; 4]; 256]; 3],
        });
        for (channel, table) in tables.terms.iter_mut().enumerate() {
            for (value, entry) in table.iter_mut().enumerate() {
                let od = density(value as u8);
                for stain in 0..3 {
                    entry[stain] = od * q[channel][stain];
                }
            }
        }
        tables
    }

    /// The amount of `stain` in pixel `rgb`, summed R + G + B as the formula does.
    #[inline]
    fn stain(&self, rgb: &[u8], stain: usize) -> f64 {
        self.terms[0][usize::from(rgb[0])][stain]
            + self.terms[1][usize::from(rgb[1])][stain]
            + self.terms[2][usize::from(rgb[2])][stain]
    }

    /// The amounts of all three stains in pixel `rgb`.
    #[inline]
    fn stains(&self, rgb: &[u8]) -> [f64; 3] {
        let red = &self.terms[0][usize::from(rgb[0])];
        let green = &self.terms[1][usize::from(rgb[1])];
        let blue = &self.terms[2][usize::from(rgb[2])];
        std::array::from_fn(|stain| red[stain] + green[stain] + blue[stain])
    }
}

/// Rows per parallel work item.
const ROWS_PER_TASK: usize = 16;

fn check_stain(stain: usize) -> Result<(), ColorError> {
    if stain < 3 {
        Ok(())
    } else {
        Err(ColorError::NoSuchStain { stain })
    }
}

/// Maps every pixel to one value, rows in parallel (the result does not depend on the number
/// of threads: each pixel is computed alone).
fn map_pixels<T: Send + Copy + Default>(
    image: &RgbImage,
    per_pixel: impl Fn(&[u8]) -> T + Sync,
) -> Vec<T> {
    let width = image.width() as usize;
    let mut plane = vec![T::default(); width * image.height() as usize];
    if plane.is_empty() {
        return plane;
    }
    plane
        .par_chunks_mut(width * ROWS_PER_TASK)
        .zip(image.as_raw().par_chunks(width * 3 * ROWS_PER_TASK))
        .for_each(|(out, rgb)| {
            for (value, pixel) in out.iter_mut().zip(rgb.chunks_exact(3)) {
                *value = per_pixel(pixel);
            }
        });
    plane
}

/// Maps every pixel to three values written to three planes, rows in parallel.
fn map_pixels_to_three<T: Send + Copy + Default>(
    image: &RgbImage,
    per_pixel: impl Fn(&[u8]) -> [T; 3] + Sync,
) -> [Vec<T>; 3] {
    let width = image.width() as usize;
    let length = width * image.height() as usize;
    let mut planes: [Vec<T>; 3] = std::array::from_fn(|_| vec![T::default(); length]);
    if length == 0 {
        return planes;
    }
    let chunk = width * ROWS_PER_TASK;
    let [first, second, third] = &mut planes;
    first
        .par_chunks_mut(chunk)
        .zip(second.par_chunks_mut(chunk))
        .zip(third.par_chunks_mut(chunk))
        .zip(image.as_raw().par_chunks(chunk * 3))
        .for_each(|(((first, second), third), rgb)| {
            let outputs = first
                .iter_mut()
                .zip(second.iter_mut())
                .zip(third.iter_mut());
            for (((a, b), c), pixel) in outputs.zip(rgb.chunks_exact(3)) {
                [*a, *b, *c] = per_pixel(pixel);
            }
        });
    planes
}

fn to_images<P: image::Primitive>(
    image: &RgbImage,
    planes: [Vec<P>; 3],
) -> [image::ImageBuffer<image::Luma<P>, Vec<P>>; 3] {
    planes.map(|plane| {
        image::ImageBuffer::from_raw(image.width(), image.height(), plane).expect("same size")
    })
}

/// Colour Deconvolution 2's 8-bit transmittance for one stain matrix, with its lookup tables
/// (the per-channel optical-density terms and the exact step table, see the module
/// documentation) built once.
///
/// Building the tables takes about as long as deconvolving a 300 × 300 crop, so callers that
/// deconvolve many small images with one matrix (one crop per cell or per clump) build this once
/// and pass it down; [`stain_transmittance`] and [`deconvolve_transmittance`] build it per call.
///
/// ```
/// use hemato::color::{stain_transmittance, StainMatrix, StainSet, ThirdStain, TransmittanceTables};
/// let giemsa = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
/// let tables = TransmittanceTables::new(&giemsa);
/// let image = image::RgbImage::from_pixel(2, 1, image::Rgb([120, 80, 200]));
/// assert_eq!(tables.stain(&image, 0).unwrap(), stain_transmittance(&image, &giemsa, 0).unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct TransmittanceTables {
    terms: Box<ChannelTerms>,
    steps: TransmittanceSteps,
}

impl TransmittanceTables {
    /// The tables of `matrix`.
    pub fn new(matrix: &StainMatrix) -> TransmittanceTables {
        TransmittanceTables {
            terms: ChannelTerms::new(matrix, optical_density),
            steps: TransmittanceSteps::new(),
        }
    }

    /// The 8-bit transmittance image of each of the three stains (as
    /// [`deconvolve_transmittance`]).
    pub fn all(&self, image: &RgbImage) -> [GrayImage; 3] {
        let planes = map_pixels_to_three(image, |pixel| {
            self.terms
                .stains(pixel)
                .map(|stain| self.steps.lookup(stain))
        });
        to_images(image, planes)
    }

    /// The 8-bit transmittance image of one stain (0, 1 or 2), as [`stain_transmittance`].
    pub fn stain(&self, image: &RgbImage, stain: usize) -> Result<GrayImage, ColorError> {
        check_stain(stain)?;
        let plane = map_pixels(image, |pixel| self.stain_of_pixel(pixel, stain));
        Ok(GrayImage::from_raw(image.width(), image.height(), plane).expect("same size"))
    }

    /// The 8-bit transmittance of one stain (0, 1 or 2) for a run of RGB bytes: `out[i]` for
    /// pixel `rgb[3i..3i + 3]` (e.g. a band of rows as it is decoded; same values as
    /// [`TransmittanceTables::stain`]).
    pub fn stain_of_pixels(
        &self,
        rgb: &[u8],
        stain: usize,
        out: &mut [u8],
    ) -> Result<(), ColorError> {
        check_stain(stain)?;
        for (value, pixel) in out.iter_mut().zip(rgb.chunks_exact(3)) {
            *value = self.stain_of_pixel(pixel, stain);
        }
        Ok(())
    }

    #[inline]
    fn stain_of_pixel(&self, pixel: &[u8], stain: usize) -> u8 {
        self.steps.lookup(self.terms.stain(pixel, stain))
    }
}

/// The 8-bit transmittance image of each of the three stains (Colour Deconvolution 2's
/// `8bit_Transmittance`): 255 = no stain, darker = more stain.
///
/// Rows are processed in parallel; the result does not depend on the number of threads.
pub fn deconvolve_transmittance(image: &RgbImage, matrix: &StainMatrix) -> [GrayImage; 3] {
    TransmittanceTables::new(matrix).all(image)
}

/// The 8-bit transmittance image of one stain (0, 1 or 2), without computing the others.
pub fn stain_transmittance(
    image: &RgbImage,
    matrix: &StainMatrix,
    stain: usize,
) -> Result<GrayImage, ColorError> {
    check_stain(stain)?;
    TransmittanceTables::new(matrix).stain(image, stain)
}

/// The 32-bit absorbance image of each of the three stains (Colour Deconvolution 2's
/// `32bit_Absorbance`): 0 = no stain, larger = more stain, decadic units.
pub fn deconvolve_absorbance(image: &RgbImage, matrix: &StainMatrix) -> [FloatImage; 3] {
    let terms = ChannelTerms::new(matrix, absorbance);
    let planes = map_pixels_to_three(image, |pixel| terms.stains(pixel).map(|stain| stain as f32));
    to_images(image, planes)
}

/// The 32-bit absorbance image of one stain (0, 1 or 2), without computing the others.
pub fn stain_absorbance(
    image: &RgbImage,
    matrix: &StainMatrix,
    stain: usize,
) -> Result<FloatImage, ColorError> {
    check_stain(stain)?;
    let terms = ChannelTerms::new(matrix, absorbance);
    let plane = map_pixels(image, |pixel| terms.stain(pixel, stain) as f32);
    Ok(FloatImage::from_raw(image.width(), image.height(), plane).expect("same size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_points_are_where_the_formula_steps_down() {
        let steps = TransmittanceSteps::new();
        let points: Vec<f64> = steps
            .step_inside
            .iter()
            .copied()
            .filter(|step| step.is_finite())
            .collect();
        assert_eq!(points.len(), 255);
        for (point, k) in points.iter().zip((1..=255u8).rev()) {
            let just_before = f64::from_bits(point.to_bits() - 1);
            assert_eq!(transmittance_8bit(just_before), k);
            assert_eq!(transmittance_8bit(*point), k - 1);
            // By hand: the output drops below k where 255·exp(−s) = k − 0.5.
            let expected = (255.0 / (f64::from(k) - 0.5)).ln();
            assert!((point - expected).abs() < 1e-12, "k = {k}");
        }
    }

    #[test]
    fn lookup_equals_formula_on_a_dense_sweep() {
        let steps = TransmittanceSteps::new();
        for i in -2000..80_000 {
            let stain = f64::from(i) * 1e-4;
            assert_eq!(steps.lookup(stain), transmittance_8bit(stain), "{stain}");
        }
        for stain in [-1e300, -5.0, 0.0, -0.0, 6.2, 6.3, 1e300] {
            assert_eq!(steps.lookup(stain), transmittance_8bit(stain), "{stain}");
        }
        for &point in steps.step_inside.iter().filter(|step| step.is_finite()) {
            for stain in [point, f64::from_bits(point.to_bits() - 1)] {
                assert_eq!(steps.lookup(stain), transmittance_8bit(stain));
            }
        }
        for j in 0..steps.value_at_start.len() {
            let edge = j as f64 / BUCKETS_PER_UNIT;
            assert_eq!(steps.lookup(edge), transmittance_8bit(edge));
        }
    }

    #[test]
    fn bad_stain_index_is_an_error() {
        let matrix = StainMatrix::new(
            &super::super::StainSet::Giemsa.vectors(),
            super::super::ThirdStain::CrossProduct,
        )
        .unwrap();
        let image = RgbImage::new(2, 2);
        assert!(matches!(
            stain_transmittance(&image, &matrix, 3),
            Err(ColorError::NoSuchStain { stain: 3 })
        ));
    }
}
