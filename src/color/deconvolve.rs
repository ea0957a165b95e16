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
//! The fast path computes exactly these numbers with three changes that do not alter a bit:
//!
//! 1. `OD_c · Q[c][i]` depends on one 8-bit value only, so it is read from a 256-entry table
//!    per channel and stain (same product, same summation order ⇒ same double).
//! 2. The transmittance is a non-increasing step function of `s`, so instead of `exp` and
//!    rounding, `s` is compared with the 255 exact doubles where the output steps down
//!    ([`TransmittanceSteps`]). Each step point is found by bisection over the doubles
//!    themselves, using the direct formula, so it is exact wherever `exp` is monotonic.
//! 3. To avoid a search over the 255 step points, `s` first indexes a table of buckets
//!    1/1024 wide (narrower than half the smallest gap between step points, 1/254); the
//!    bucket's value is off by at most one, and two comparisons with the exact step points fix it.
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

/// Width of one bucket of [`TransmittanceSteps`]: 1/1024, less than half the smallest gap
/// between two step points (ln(254.5/253.5) ≈ 1/254).
const BUCKETS_PER_UNIT: f64 = 1024.0;

/// The step function `stain ↦ 8-bit transmittance`, tabulated exactly.
#[derive(Debug, Clone)]
struct TransmittanceSteps {
    /// `below[k]`: output ≥ k exactly when `stain < below[k]`; `below[0] = +∞`,
    /// `below[256] = −∞`.
    below: [f64; 257],
    /// The output at the centre of each bucket [j/1024, (j+1)/1024).
    buckets: Vec<u8>,
}

impl TransmittanceSteps {
    fn new() -> TransmittanceSteps {
        let mut below = [0.0; 257];
        below[0] = f64::INFINITY;
        below[256] = f64::NEG_INFINITY;
        for (k, step) in below.iter_mut().enumerate().take(256).skip(1) {
            *step = first_stain_below(k as u8);
        }
        // Past `below[1]` the output is 0; two spare buckets keep the last centre beyond it.
        let count = (below[1] * BUCKETS_PER_UNIT) as usize + 3;
        let buckets = (0..count)
            .map(|j| transmittance_8bit((j as f64 + 0.5) / BUCKETS_PER_UNIT))
            .collect();
        TransmittanceSteps { below, buckets }
    }

    /// [`transmittance_8bit`] of `stain`, without `exp`.
    #[inline]
    fn lookup(&self, stain: f64) -> u8 {
        // Negative stains saturate to bucket 0 (`as` clamps), large ones to the last bucket.
        let bucket = ((stain * BUCKETS_PER_UNIT) as usize).min(self.buckets.len() - 1);
        let candidate = self.buckets[bucket];
        let k = usize::from(candidate);
        let up = u8::from(stain < self.below[k + 1]);
        let down = u8::from(stain >= self.below[k]);
        candidate + up - down
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

/// Runs `per_row` over the image's rows in parallel, writing `outputs_per_pixel` values per pixel.
fn map_rows<T: Send + Copy + Default>(
    image: &RgbImage,
    outputs_per_pixel: usize,
    per_row: impl Fn(&[u8], &mut [T]) + Sync,
) -> Vec<T> {
    let width = image.width() as usize;
    let mut output = vec![T::default(); width * image.height() as usize * outputs_per_pixel];
    if width == 0 {
        return output;
    }
    output
        .par_chunks_mut(width * outputs_per_pixel * ROWS_PER_TASK)
        .zip(image.as_raw().par_chunks(width * 3 * ROWS_PER_TASK))
        .for_each(|(out, rgb)| per_row(rgb, out));
    output
}

/// Splits interleaved per-pixel triples into three images.
fn split_three<P: image::Primitive>(
    width: u32,
    height: u32,
    interleaved: &[P],
) -> [image::ImageBuffer<image::Luma<P>, Vec<P>>; 3] {
    std::array::from_fn(|stain| {
        let plane = interleaved.iter().skip(stain).step_by(3).copied().collect();
        image::ImageBuffer::from_raw(width, height, plane).expect("same dimensions")
    })
}

/// The 8-bit transmittance image of each of the three stains (Colour Deconvolution 2's
/// `8bit_Transmittance`): 255 = no stain, darker = more stain.
///
/// Rows are processed in parallel; the result does not depend on the number of threads.
pub fn deconvolve_transmittance(image: &RgbImage, matrix: &StainMatrix) -> [GrayImage; 3] {
    let terms = ChannelTerms::new(matrix, optical_density);
    let steps = TransmittanceSteps::new();
    let interleaved = map_rows(image, 3, |rgb, out: &mut [u8]| {
        for (pixel, values) in rgb.chunks_exact(3).zip(out.chunks_exact_mut(3)) {
            for (stain, value) in values.iter_mut().enumerate() {
                *value = steps.lookup(terms.stain(pixel, stain));
            }
        }
    });
    split_three(image.width(), image.height(), &interleaved)
}

/// The 8-bit transmittance image of one stain (0, 1 or 2), without computing the others.
pub fn stain_transmittance(
    image: &RgbImage,
    matrix: &StainMatrix,
    stain: usize,
) -> Result<GrayImage, ColorError> {
    check_stain(stain)?;
    let terms = ChannelTerms::new(matrix, optical_density);
    let steps = TransmittanceSteps::new();
    let values = map_rows(image, 1, |rgb, out: &mut [u8]| {
        for (pixel, value) in rgb.chunks_exact(3).zip(out.iter_mut()) {
            *value = steps.lookup(terms.stain(pixel, stain));
        }
    });
    Ok(GrayImage::from_raw(image.width(), image.height(), values).expect("same dimensions"))
}

/// The 32-bit absorbance image of each of the three stains (Colour Deconvolution 2's
/// `32bit_Absorbance`): 0 = no stain, larger = more stain, decadic units.
pub fn deconvolve_absorbance(image: &RgbImage, matrix: &StainMatrix) -> [FloatImage; 3] {
    let terms = ChannelTerms::new(matrix, absorbance);
    let interleaved = map_rows(image, 3, |rgb, out: &mut [f32]| {
        for (pixel, values) in rgb.chunks_exact(3).zip(out.chunks_exact_mut(3)) {
            for (stain, value) in values.iter_mut().enumerate() {
                *value = terms.stain(pixel, stain) as f32;
            }
        }
    });
    split_three(image.width(), image.height(), &interleaved)
}

/// The 32-bit absorbance image of one stain (0, 1 or 2), without computing the others.
pub fn stain_absorbance(
    image: &RgbImage,
    matrix: &StainMatrix,
    stain: usize,
) -> Result<FloatImage, ColorError> {
    check_stain(stain)?;
    let terms = ChannelTerms::new(matrix, absorbance);
    let values = map_rows(image, 1, |rgb, out: &mut [f32]| {
        for (pixel, value) in rgb.chunks_exact(3).zip(out.iter_mut()) {
            *value = terms.stain(pixel, stain) as f32;
        }
    });
    Ok(FloatImage::from_raw(image.width(), image.height(), values).expect("same dimensions"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_points_bracket_the_formula() {
        let steps = TransmittanceSteps::new();
        for k in 1..=255u8 {
            let point = steps.below[usize::from(k)];
            let just_before = f64::from_bits(point.to_bits() - 1);
            assert!(transmittance_8bit(just_before) >= k);
            assert!(transmittance_8bit(point) < k);
            // By hand: the step to k happens where 255·exp(−s) = k − 0.5.
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
        for k in 1..=255usize {
            for point in [steps.below[k], f64::from_bits(steps.below[k].to_bits() - 1)] {
                assert_eq!(steps.lookup(point), transmittance_8bit(point));
            }
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
