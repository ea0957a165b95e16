//! Per-pixel stain amounts relative to the slide's own background.
//!
//! Smears differ in background tint (neutral grey in BCCD, green-cyan in the Aslan fields, cream
//! in PBC) and in exposure. Dividing each channel by the background's value before taking the
//! optical density (Beer-Lambert: `OD_c = ln(background_c / I_c)`) makes the background OD 0 in
//! every channel, whatever its tint, so the same stain vectors apply to every look. The ODs are
//! then unmixed with the Giemsa vectors of Colour Deconvolution 2 ([`crate::color::StainSet`]):
//! methylene blue (nuclei, platelets, basophilic cytoplasm) and eosin (red cells).

use image::RgbImage;
use rayon::prelude::*;

use crate::color::{StainMatrix, StainSet, ThirdStain};

/// The colour of the empty slide between cells.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Background {
    /// Mean R, G, B of the background pixels.
    pub rgb: [f64; 3],
}

/// The brightness (R + G + B) from which up lie at least 40 % of the pixels counted in
/// `brightness_counts` (one counter per brightness 0 to 765): where [`estimate_background`]
/// looks for the background's colour. 0 when fewer than 40 % are found above 0.
pub(crate) fn brightest_fraction_cut(brightness_counts: &[u64]) -> usize {
    let total: u64 = brightness_counts.iter().sum();
    let wanted = total * 4 / 10;
    let mut cut = brightness_counts.len() - 1;
    let mut seen = 0;
    while cut > 0 {
        seen += brightness_counts[cut];
        if seen >= wanted {
            break;
        }
        cut -= 1;
    }
    cut
}

/// Estimates the background colour: among the brightest 40 % of pixels (by R + G + B), the
/// fullest colour bin (3-D histogram with bins of 8 levels) of the brightest major colour cloud
/// (`background_bin`), refined as the mean of the pixels in that bin and its 26 neighbours.
/// Cells are darker than the slide in every stain; red-cell centres and refractile specks are
/// bright too, but vary in colour, and where pale red-cell centres do form a large cloud (dense
/// fields), it is darker than the background's.
///
/// An empty image gives white.
pub fn estimate_background(image: &RgbImage) -> Background {
    estimate_background_of(image, |_| true)
}

/// [`estimate_background`] of the pixels for which `in_view` (given the row-major index) holds:
/// the field of view ([`super::view`]). White when there are none.
pub fn estimate_background_of(image: &RgbImage, in_view: impl Fn(usize) -> bool) -> Background {
    let pixels = || {
        image
            .pixels()
            .enumerate()
            .filter(|&(index, _)| in_view(index))
            .map(|(_, pixel)| pixel)
    };
    let mut brightness_counts = [0u64; 766];
    for pixel in pixels() {
        brightness_counts[brightness(pixel.0)] += 1;
    }
    if brightness_counts.iter().all(|&count| count == 0) {
        return Background { rgb: [255.0; 3] };
    }
    let cut = brightest_fraction_cut(&brightness_counts);
    let bin = |value: u8| usize::from(value / 8);
    let mut histogram = vec![0u64; COLOUR_BINS];
    for pixel in pixels() {
        if brightness(pixel.0) >= cut {
            let [r, g, b] = pixel.0.map(bin);
            histogram[(r * 32 + g) * 32 + b] += 1;
        }
    }
    let mode = background_bin(&histogram);
    let mut sum = [0f64; 3];
    let mut count = 0f64;
    for pixel in pixels() {
        let bins = pixel.0.map(bin);
        if (0..3).all(|c| bins[c].abs_diff(mode[c]) <= 1) {
            for (total, &value) in sum.iter_mut().zip(&pixel.0) {
                *total += f64::from(value);
            }
            count += 1.0;
        }
    }
    Background {
        rgb: sum.map(|s| (s / count).max(1.0)),
    }
}

/// Number of bins of the colour histograms: 32 per channel (8 levels each), index
/// `(r * 32 + g) * 32 + b`.
pub(crate) const COLOUR_BINS: usize = 32 * 32 * 32;

/// The background's bin `[r, g, b]` in a colour histogram of the brightest pixels
/// ([`COLOUR_BINS`] counters): the fullest bin of the brightest major colour cloud. A cloud is a
/// bin whose neighbourhood (itself and its up to 26 neighbours) holds at least as many pixels
/// as any neighbour's; it is major when that is at least half of the fullest cloud's. Ties go
/// to the later (brighter) index, so the result never depends on order.
///
/// Why not simply the fullest bin: in a dense field the pale centres of the red cells, darker
/// than the background in every channel, can fill one bin more than the background does.
/// Among 800 PBC images the fullest bin was a red-cell colour in two (EO_641313,
/// ERB_27464: the background's fullest bin held 0.77 and 0.60 of it), which counted the red
/// cells as background (fragments of red cells, an eosinophil split in two), and one more was
/// within 2 % of it (EO_291508). Cells never are brighter than the slide, so of two large
/// clouds the brighter is the background.
pub(crate) fn background_bin(histogram: &[u64]) -> [usize; 3] {
    let bins = |index: usize| [index / 1024, (index / 32) % 32, index % 32];
    let index = |[r, g, b]: [usize; 3]| (r * 32 + g) * 32 + b;
    let near = |centre: usize| centre.saturating_sub(1)..=(centre + 1).min(31);
    let neighbours = |[r, g, b]: [usize; 3]| {
        near(r).flat_map(move |r| near(g).flat_map(move |g| near(b).map(move |b| [r, g, b])))
    };
    let mass: Vec<u64> = (0..COLOUR_BINS)
        .map(|at| {
            if histogram[at] == 0 {
                return 0;
            }
            neighbours(bins(at)).map(|bin| histogram[index(bin)]).sum()
        })
        .collect();
    let largest = mass.iter().copied().max().unwrap_or(0);
    let cloud = (0..COLOUR_BINS)
        .filter(|&at| mass[at] > 0 && 2 * mass[at] >= largest)
        .filter(|&at| {
            neighbours(bins(at)).all(|bin| (mass[index(bin)], index(bin)) <= (mass[at], at))
        })
        .max_by_key(|&at| (bins(at).iter().sum::<usize>(), at))
        .map(bins);
    match cloud {
        Some(centre) => neighbours(centre)
            .max_by_key(|&bin| (histogram[index(bin)], index(bin)))
            .unwrap_or(centre),
        None => [31, 31, 31],
    }
}

fn brightness(rgb: [u8; 3]) -> usize {
    rgb.iter().map(|&v| usize::from(v)).sum()
}

/// Stain amounts per pixel (row-major, same size as the image).
#[derive(Clone, Debug, PartialEq)]
pub struct StainMaps {
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Total optical density relative to the background (sum over R, G, B; ≥ 0).
    pub density: Vec<f32>,
    /// Methylene-blue amount (Giemsa colour 1).
    pub blue: Vec<f32>,
    /// Eosin amount (Giemsa colour 2).
    pub eosin: Vec<f32>,
    /// Red OD minus blue OD: how much more the pixel absorbs red than blue, against the
    /// background. Violet-blue nuclei, platelets and basophilic cytoplasm absorb red (positive);
    /// pink red cells absorb blue more than red (negative or near 0). Independent of how dark the
    /// pixel is, so pale nuclei count as well as dark ones.
    pub violet: Vec<f32>,
}

/// The per-pixel step of [`StainMaps`]: the optical-density tables of one background and the
/// inverse Giemsa matrix, so that callers that need only some of the amounts (a whole-slide
/// window needs density and violet, not four planes of `f32`) compute them pixel by pixel,
/// with the very same arithmetic.
#[derive(Clone, Debug)]
pub struct PixelStains {
    /// OD of each 8-bit value in each channel, relative to the background.
    tables: [[f32; 256]; 3],
    /// The inverse stain matrix, in `f32`.
    inverse: [[f32; 3]; 3],
}

impl PixelStains {
    /// The tables of `background`.
    pub fn new(background: &Background) -> PixelStains {
        let matrix = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct)
            .expect("the built-in Giemsa vectors are independent");
        let inverse = matrix.inverse();
        PixelStains {
            tables: std::array::from_fn(|channel| {
                std::array::from_fn(|value| {
                    (background.rgb[channel] / (value.max(1) as f64))
                        .ln()
                        .max(0.0) as f32
                })
            }),
            inverse: inverse.map(|row| row.map(|value| value as f32)),
        }
    }

    /// The optical densities of one pixel's R, G and B against the background; none for an
    /// unlit pixel, which shows no smear ([`super::view`]).
    #[inline(always)]
    fn od(&self, rgb: &[u8]) -> [f32; 3] {
        let (r, g, b) = (rgb[0], rgb[1], rgb[2]);
        if super::view::is_unlit(&[r, g, b]) {
            return [0.0; 3];
        }
        [
            self.tables[0][usize::from(r)],
            self.tables[1][usize::from(g)],
            self.tables[2][usize::from(b)],
        ]
    }

    /// The density of one pixel alone (the first value of [`PixelStains::of`], the same
    /// arithmetic), for callers that need nothing else: the cell mask.
    #[inline]
    pub fn density(&self, rgb: &[u8]) -> f32 {
        let od = self.od(rgb);
        od[0] + od[1] + od[2]
    }

    /// The violet value of one pixel alone (the last value of [`PixelStains::of`]).
    #[inline]
    pub fn violet(&self, rgb: &[u8]) -> f32 {
        let od = self.od(rgb);
        od[0] - od[2]
    }

    /// Density, blue, eosin and violet of one pixel (the fields of [`StainMaps`]).
    #[inline]
    pub fn of(&self, rgb: &[u8]) -> [f32; 4] {
        let od = self.od(rgb);
        let inverse = &self.inverse;
        let stain =
            |i: usize| od[0] * inverse[0][i] + od[1] * inverse[1][i] + od[2] * inverse[2][i];
        [od[0] + od[1] + od[2], stain(0), stain(1), od[0] - od[2]]
    }
}

impl StainMaps {
    /// The maps of `image` against `background`. Rows are computed in parallel; every pixel is
    /// computed alone ([`PixelStains::of`]), so the result does not depend on the number of
    /// threads.
    pub fn new(image: &RgbImage, background: &Background) -> StainMaps {
        let stains = PixelStains::new(background);
        let (width, height) = image.dimensions();
        let row = (width as usize).max(1);
        let pixels = width as usize * height as usize;
        // The four planes are written in place, row by row (no per-pixel temporary of the
        // whole image: on a slide window that would double the memory of the maps).
        let [mut density, mut blue, mut eosin, mut violet] = [(); 4].map(|_| vec![0f32; pixels]);
        density
            .par_chunks_mut(row)
            .zip(blue.par_chunks_mut(row))
            .zip(eosin.par_chunks_mut(row))
            .zip(violet.par_chunks_mut(row))
            .zip(image.as_raw().par_chunks(3 * row))
            .for_each(|((((density, blue), eosin), violet), rgb_row)| {
                for (x, rgb) in rgb_row.chunks_exact(3).enumerate() {
                    [density[x], blue[x], eosin[x], violet[x]] = stains.of(rgb);
                }
            });
        StainMaps {
            width,
            height,
            density,
            blue,
            eosin,
            violet,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_is_the_bright_uniform_colour() {
        // 70 % green-cyan background, 30 % dark pink cells.
        let image = RgbImage::from_fn(10, 10, |x, _| {
            image::Rgb(if x < 7 {
                [180, 220, 190]
            } else {
                [150, 60, 90]
            })
        });
        assert_eq!(estimate_background(&image).rgb, [180.0, 220.0, 190.0]);
    }

    #[test]
    fn the_background_is_the_brightest_major_cloud() {
        let at = |r: usize, g: usize, b: usize| (r * 32 + g) * 32 + b;
        let mut histogram = vec![0u64; COLOUR_BINS];
        // Pale red-cell centres fill one bin; the cream background is spread over two, with
        // fewer pixels in its fullest bin but more than half of the red cells' in all.
        histogram[at(26, 22, 21)] = 6000;
        histogram[at(31, 28, 25)] = 3000;
        histogram[at(31, 28, 24)] = 2000;
        assert_eq!(background_bin(&histogram), [31, 28, 25]);
        // Less than half: the brighter cloud is not a major one.
        histogram[at(31, 28, 24)] = 0;
        histogram[at(31, 28, 25)] = 2999;
        assert_eq!(background_bin(&histogram), [26, 22, 21]);
        // An empty histogram gives white.
        assert_eq!(background_bin(&vec![0; COLOUR_BINS]), [31, 31, 31]);
    }

    #[test]
    fn background_has_zero_density_and_stains_separate() {
        let background = Background {
            rgb: [200.0, 200.0, 200.0],
        };
        // Background, a pink (eosin) pixel and a violet (methylene blue) pixel.
        let image =
            RgbImage::from_raw(3, 1, vec![200, 200, 200, 190, 110, 150, 90, 80, 170]).unwrap();
        let maps = StainMaps::new(&image, &background);
        assert_eq!(maps.density[0], 0.0);
        assert!(maps.eosin[1] > maps.blue[1]);
        assert!(maps.blue[2] > maps.eosin[2]);
        // Density of the pink pixel: ln(200/190) + ln(200/110) + ln(200/150), by hand.
        let expected = (200f64 / 190.0).ln() + (200f64 / 110.0).ln() + (200f64 / 150.0).ln();
        assert!((f64::from(maps.density[1]) - expected).abs() < 1e-6);
    }
}
