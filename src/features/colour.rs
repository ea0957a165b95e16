//! Stain and colour planes of a cell image, and statistics of each plane inside a region.
//!
//! May-Grünwald-Giemsa stains nuclei and basophilic cytoplasm with methylene blue / azure
//! (blue-violet) and red cells and eosinophil granules with eosin (pink-orange). Colour
//! deconvolution ([`crate::color`], Giemsa vectors) turns each pixel into the amount of each
//! stain, which is what a haematologist reads from the colours.

use image::{GrayImage, RgbImage};

use crate::color::{
    deconvolve_absorbance, rgb_to_gray, stain_transmittance, StainMatrix, StainSet, ThirdStain,
};

/// The planes every feature is computed from, all the same size.
#[derive(Clone, Debug)]
pub struct Planes {
    /// The RGB pixels.
    pub rgb: RgbImage,
    /// ImageJ's RGB → 8-bit grey (unweighted mean).
    pub grey: GrayImage,
    /// Methylene-blue 8-bit transmittance (255 = no stain), thresholded for nuclei.
    pub blue_transmittance: GrayImage,
    /// Absorbance (CD2's 32-bit absorbance, log10) of methylene blue, eosin and the residual
    /// third colour, row-major.
    pub absorbance: [Vec<f32>; 3],
}

/// The Giemsa stain matrix (methylene blue, eosin, cross-product third colour).
pub fn giemsa() -> StainMatrix {
    StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct)
        .expect("the built-in Giemsa vectors are independent")
}

impl Planes {
    /// Computes every plane of `rgb`.
    pub fn new(rgb: &RgbImage) -> Planes {
        let matrix = giemsa();
        let absorbance = deconvolve_absorbance(rgb, &matrix).map(|plane| plane.into_raw());
        Planes {
            rgb: rgb.clone(),
            grey: rgb_to_gray(rgb),
            blue_transmittance: stain_transmittance(rgb, &matrix, 0).expect("stain 0 exists"),
            absorbance,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.rgb.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.rgb.height()
    }

    /// The value of `channel` at pixel index `index` (row-major).
    pub fn value(&self, channel: Channel, index: usize) -> f64 {
        match channel {
            Channel::MethyleneBlue => f64::from(self.absorbance[0][index]),
            Channel::Eosin => f64::from(self.absorbance[1][index]),
            Channel::Residual => f64::from(self.absorbance[2][index]),
            Channel::BlueShare => {
                let blue = f64::from(self.absorbance[0][index]).max(0.0);
                let eosin = f64::from(self.absorbance[1][index]).max(0.0);
                if blue + eosin > 0.0 {
                    blue / (blue + eosin)
                } else {
                    0.5
                }
            }
            Channel::Red => f64::from(self.rgb.as_raw()[3 * index]),
            Channel::Green => f64::from(self.rgb.as_raw()[3 * index + 1]),
            Channel::Blue => f64::from(self.rgb.as_raw()[3 * index + 2]),
        }
    }
}

/// A plane whose statistics are features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Methylene-blue absorbance (nuclear chromatin, basophilic cytoplasm).
    MethyleneBlue,
    /// Eosin absorbance (red cells, eosinophil granules, pink cytoplasm).
    Eosin,
    /// Absorbance left over by the two stains (the cross-product colour).
    Residual,
    /// Methylene blue / (methylene blue + eosin), negative absorbances taken as 0: the hue of
    /// the stain mix, independent of how much stain there is.
    BlueShare,
    /// Red 0–255.
    Red,
    /// Green 0–255.
    Green,
    /// Blue 0–255.
    Blue,
}

impl Channel {
    /// Every channel, in column order.
    pub const ALL: [Channel; 7] = [
        Channel::MethyleneBlue,
        Channel::Eosin,
        Channel::Residual,
        Channel::BlueShare,
        Channel::Red,
        Channel::Green,
        Channel::Blue,
    ];

    /// The name used in feature columns.
    pub fn name(self) -> &'static str {
        match self {
            Channel::MethyleneBlue => "methylene_blue",
            Channel::Eosin => "eosin",
            Channel::Residual => "residual",
            Channel::BlueShare => "blue_share",
            Channel::Red => "red",
            Channel::Green => "green",
            Channel::Blue => "blue",
        }
    }
}

/// The statistics of a region's values, in column order.
pub const STATISTICS: [&str; 6] = ["mean", "sd", "p10", "p50", "p90", "skewness"];

/// Mean, population standard deviation, 10th/50th/90th percentiles (nearest rank on the sorted
/// values) and skewness (third central moment / sd³, 0 when sd = 0) of `values`.
/// An empty region gives zeros.
pub fn statistics(values: &mut [f64]) -> [f64; 6] {
    if values.is_empty() {
        return [0.0; 6];
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let (mut m2, mut m3) = (0.0, 0.0);
    for &value in values.iter() {
        let d = value - mean;
        m2 += d * d;
        m3 += d * d * d;
    }
    let variance = m2 / n;
    let sd = variance.sqrt();
    let skewness = if sd > 1e-12 {
        (m3 / n) / (sd * sd * sd)
    } else {
        0.0
    };
    values.sort_by(f64::total_cmp);
    [
        mean,
        sd,
        percentile(values, 0.10),
        percentile(values, 0.50),
        percentile(values, 0.90),
        skewness,
    ]
}

/// Nearest-rank percentile of sorted values: the value at rank ⌈q·n⌉ (1-based), at least 1.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// The values of `channel` at the pixels of `mask` (non-zero), in raster order.
pub fn region_values(planes: &Planes, mask: &GrayImage, channel: Channel) -> Vec<f64> {
    mask.as_raw()
        .iter()
        .enumerate()
        .filter(|(_, &value)| value != 0)
        .map(|(index, _)| planes.value(channel, index))
        .collect()
}
