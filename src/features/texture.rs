//! Texture inside a region: grey-level co-occurrence (Haralick) features, rotation-invariant
//! uniform local binary patterns, and granularity.
//!
//! - **GLCM / Haralick** (Haralick, Shanmugam & Dinstein 1973, "Textural features for image
//!   classification", IEEE SMC-3(6)): how often grey level i lies next to grey level j at a
//!   given distance, over pairs of pixels that are both inside the region. hemato writes it
//!   by hand: no maintained Rust crate computes a masked co-occurrence matrix (imageproc has
//!   none; the crates that do are parts of large unrelated frameworks).
//! - **LBP** (Ojala, Pietikäinen & Mäenpää 2002, "Multiresolution gray-scale and rotation
//!   invariant texture classification with local binary patterns", IEEE PAMI 24(7)): each
//!   pixel's 8 neighbours thresholded at the pixel's value; the rotation-invariant uniform code
//!   `riu2` is the number of neighbours at least as bright as the centre when the circular
//!   pattern has at most two 0/1 transitions, and 9 otherwise. The 3x3 patterns come from
//!   imageproc's `local_binary_pattern`.
//! - **Granularity**: mean absolute difference between a stain's absorbance and its Gaussian
//!   blur inside the region: large for granules about σ pixels across (eosinophil and basophil
//!   granules, azurophil granules of promyelocytes), small for smooth cytoplasm.

use image::{GrayImage, Luma};
use imageproc::filter::gaussian_blur_f32;
use imageproc::local_binary_patterns::{count_transitions, local_binary_pattern};

use crate::io::FloatImage;

/// Grey levels of the co-occurrence matrix.
pub const GLCM_LEVELS: usize = 32;

/// The Haralick features computed from each matrix, in column order.
pub const HARALICK_COLUMNS: [&str; 5] =
    ["asm", "contrast", "correlation", "homogeneity", "entropy"];

/// Number of riu2 LBP codes for 8 neighbours: 0..=8 uniform, 9 non-uniform.
pub const LBP_CODES: usize = 10;

/// A symmetric, normalised grey-level co-occurrence matrix, `levels × levels`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Cooccurrence {
    /// Number of grey levels.
    pub levels: usize,
    /// p(i, j): the share of ordered pixel pairs with levels (i, j); sums to 1 (or all 0
    /// when no pair lies inside the region).
    pub p: Vec<f64>,
}

/// The co-occurrence matrix of `quantised` (levels 0..`levels`) over the pairs (a, a + offset)
/// with both pixels inside `mask` (non-zero), counted in both orders (symmetric, as Haralick
/// defines it), then normalised.
///
/// ```
/// use hemato::features::texture::cooccurrence;
/// // 0 1
/// // 1 1   horizontal pairs: (0,1) and (1,1), each counted both ways.
/// let image = image::GrayImage::from_raw(2, 2, vec![0, 1, 1, 1]).unwrap();
/// let mask = image::GrayImage::from_raw(2, 2, vec![255; 4]).unwrap();
/// let m = cooccurrence(&image, &mask, 2, (1, 0));
/// assert_eq!(m.p, vec![0.0, 0.25, 0.25, 0.5]);
/// ```
pub fn cooccurrence(
    quantised: &GrayImage,
    mask: &GrayImage,
    levels: usize,
    offset: (i32, i32),
) -> Cooccurrence {
    let (width, height) = (i64::from(quantised.width()), i64::from(quantised.height()));
    let (dx, dy) = (i64::from(offset.0), i64::from(offset.1));
    let (values, inside) = (quantised.as_raw(), mask.as_raw());
    let mut counts = vec![0u64; levels * levels];
    // Only the pixels whose neighbour at `offset` lies in the image: x in 0..width with
    // x + dx in 0..width, and the same for y.
    let columns = (-dx).max(0)..(width - dx).min(width);
    for y in (-dy).max(0)..(height - dy).min(height) {
        let (row, neighbour_row) = (y * width, (y + dy) * width);
        for x in columns.clone() {
            let (a, b) = ((row + x) as usize, (neighbour_row + x + dx) as usize);
            if inside[a] == 0 || inside[b] == 0 {
                continue;
            }
            let i = usize::from(values[a]).min(levels - 1);
            let j = usize::from(values[b]).min(levels - 1);
            counts[i * levels + j] += 1;
            counts[j * levels + i] += 1;
        }
    }
    let total: u64 = counts.iter().sum();
    let p = counts
        .iter()
        .map(|&c| {
            if total > 0 {
                c as f64 / total as f64
            } else {
                0.0
            }
        })
        .collect();
    Cooccurrence { levels, p }
}

/// Haralick's features of a co-occurrence matrix, in [`HARALICK_COLUMNS`] order:
///
/// - angular second moment `Σ p(i,j)²` (1 for a uniform region);
/// - contrast `Σ (i−j)² p(i,j)`;
/// - correlation `Σ (i−μ)(j−μ) p(i,j) / σ²` (μ, σ of the marginal, equal for a symmetric
///   matrix); 1 when σ = 0;
/// - homogeneity (inverse difference moment) `Σ p(i,j) / (1 + (i−j)²)`;
/// - entropy `−Σ p(i,j) ln p(i,j)` (natural logarithm).
///
/// An empty matrix (no pair in the region) gives `[0, 0, 1, 0, 0]`.
///
/// ```
/// use hemato::features::texture::{haralick, Cooccurrence};
/// let m = Cooccurrence { levels: 2, p: vec![0.0, 0.25, 0.25, 0.5] };
/// let [asm, contrast, _, homogeneity, _] = haralick(&m);
/// assert_eq!(asm, 0.375); // 0.25² + 0.25² + 0.5²
/// assert_eq!(contrast, 0.5); // (0−1)²·0.25 + (1−0)²·0.25
/// assert_eq!(homogeneity, 0.75); // 0.25/2 + 0.25/2 + 0.5
/// ```
pub fn haralick(matrix: &Cooccurrence) -> [f64; 5] {
    let n = matrix.levels;
    let p = &matrix.p;
    if p.iter().all(|&v| v == 0.0) {
        return [0.0, 0.0, 1.0, 0.0, 0.0];
    }
    let mut mean = 0.0;
    for i in 0..n {
        for j in 0..n {
            mean += i as f64 * p[i * n + j];
        }
    }
    let (mut asm, mut contrast, mut variance, mut covariance, mut homogeneity, mut entropy) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        for j in 0..n {
            let v = p[i * n + j];
            if v == 0.0 {
                continue;
            }
            let d = i as f64 - j as f64;
            asm += v * v;
            contrast += d * d * v;
            variance += (i as f64 - mean).powi(2) * v;
            covariance += (i as f64 - mean) * (j as f64 - mean) * v;
            homogeneity += v / (1.0 + d * d);
            entropy -= v * v.ln();
        }
    }
    let correlation = if variance > 1e-12 {
        covariance / variance
    } else {
        1.0
    };
    [asm, contrast, correlation, homogeneity, entropy]
}

/// Haralick features averaged over the four directions 0°, 45°, 90° and 135° at `distance`.
pub fn haralick_averaged(
    quantised: &GrayImage,
    mask: &GrayImage,
    levels: usize,
    distance: i32,
) -> [f64; 5] {
    let offsets = [
        (distance, 0),
        (distance, -distance),
        (0, -distance),
        (-distance, -distance),
    ];
    let mut sum = [0.0; 5];
    for offset in offsets {
        let values = haralick(&cooccurrence(quantised, mask, levels, offset));
        for (total, value) in sum.iter_mut().zip(values) {
            *total += value;
        }
    }
    sum.map(|total| total / offsets.len() as f64)
}

/// `grey` reduced to `levels` levels over the region's own range: values between the 1st and
/// 99th percentile (nearest rank) of the region are spread evenly over the levels, values
/// outside are clipped. Quantising per region makes the texture independent of how dark the
/// stain is.
pub fn quantise_region(grey: &GrayImage, mask: &GrayImage, levels: usize) -> GrayImage {
    let mut inside: Vec<u8> = grey
        .as_raw()
        .iter()
        .zip(mask.as_raw())
        .filter(|(_, &m)| m != 0)
        .map(|(&v, _)| v)
        .collect();
    if inside.is_empty() {
        return GrayImage::new(grey.width(), grey.height());
    }
    inside.sort_unstable();
    let rank = |q: f64| {
        let n = inside.len();
        inside[((q * n as f64).ceil() as usize).clamp(1, n) - 1]
    };
    let (low, high) = (f64::from(rank(0.01)), f64::from(rank(0.99)));
    let span = high - low + 1.0;
    GrayImage::from_fn(grey.width(), grey.height(), |x, y| {
        let v = f64::from(grey.get_pixel(x, y).0[0]);
        let level = ((v - low) * levels as f64 / span).floor();
        Luma([level.clamp(0.0, (levels - 1) as f64) as u8])
    })
}

/// The rotation-invariant uniform LBP code (riu2, 8 neighbours, radius 1) of each pixel of the
/// region, as shares of the region's pixels that have all 8 neighbours (codes 0..=9).
///
/// imageproc's pattern sets a bit where the centre is strictly brighter than the neighbour,
/// the complement of Ojala's `neighbour ≥ centre`; the number of transitions is the same for
/// both, and Ojala's count of ones is 8 minus imageproc's.
pub fn lbp_histogram(grey: &GrayImage, mask: &GrayImage) -> [f64; LBP_CODES] {
    let mut counts = [0u64; LBP_CODES];
    for (x, y, m) in mask.enumerate_pixels() {
        if m.0[0] == 0 {
            continue;
        }
        if let Some(pattern) = local_binary_pattern(grey, x, y) {
            counts[riu2(pattern)] += 1;
        }
    }
    let total: u64 = counts.iter().sum();
    counts.map(|c| {
        if total > 0 {
            c as f64 / total as f64
        } else {
            0.0
        }
    })
}

/// The riu2 code of an imageproc pattern (bit = centre strictly brighter than neighbour).
pub fn riu2(imageproc_pattern: u8) -> usize {
    if count_transitions(imageproc_pattern) <= 2 {
        8 - imageproc_pattern.count_ones() as usize
    } else {
        LBP_CODES - 1
    }
}

/// Mean |value − blurred value| over the region (0 for an empty region); `blurred` is the
/// plane after a Gaussian blur (imageproc's `gaussian_blur_f32`) of the chosen σ.
pub fn granularity(plane: &FloatImage, blurred: &FloatImage, mask: &GrayImage) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for ((value, smooth), m) in plane
        .as_raw()
        .iter()
        .zip(blurred.as_raw())
        .zip(mask.as_raw())
    {
        if *m != 0 {
            sum += f64::from((value - smooth).abs());
            n += 1;
        }
    }
    if n > 0 {
        sum / n as f64
    } else {
        0.0
    }
}

/// The Gaussian blur used by [`granularity`].
pub fn blur(plane: &FloatImage, sigma: f32) -> FloatImage {
    gaussian_blur_f32(plane, sigma)
}
