//! Finding the cell of interest: its nucleus and the whole cell (nucleus + cytoplasm), as
//! masks, in an image at the normalised scale.
//!
//! 1. **Nucleus candidates** ([`nucleus_like`]): foreground pixels whose methylene-blue 8-bit
//!    transmittance is at or below its Otsu level over the foreground: nuclei are the most
//!    blue-stained pixels.
//!    8-connected pieces smaller than [`MIN_NUCLEUS_PIECE`] are dropped; holes are filled.
//! 2. **The nucleus**: the piece containing the seed point, else the nearest one (within
//!    [`MAX_SEED_DISTANCE`] of a given point; anywhere in a single-cell image, whose cell is
//!    not always exactly centred). Pieces within [`LOBE_GAP`] of the nucleus and at least
//!    [`MIN_LOBE_SHARE`] of its first piece's area join it, repeatedly: these are the lobes of
//!    a segmented nucleus, whose thin chromatin bridges fall below the threshold.
//! 3. **Foreground** ([`foreground_range`]): grey at or below its Triangle level, holes
//!    filled, touching objects cut apart with ImageJ's binary watershed.
//! 4. **The cell**: the foreground pieces that overlap the nucleus, plus the nucleus, within a
//!    disc of radius `1.6·r + 0.2` red-cell diameters around the nucleus centroid (r = the
//!    nucleus's equivalent radius); the 8-connected piece holding the nucleus, holes filled.
//!    Cytoplasm = cell − nucleus.
//!
//! All lengths here are in pixels of the normalised scale
//! ([`super::NORMALISED_RED_CELL_DIAMETER`] per red-cell diameter).

use image::{GrayImage, Luma, RgbImage};

use super::colour::Planes;
use super::scale::NORMALISED_RED_CELL_DIAMETER as D;
use super::FeatureError;
use crate::edm::distance_map;
use crate::io::FloatImage;
use crate::measure::{find_particles, Particle, ParticleOptions};
use crate::morphology::fill_holes;
use crate::threshold::{self, Background, Method, Range};
use crate::watershed::watershed;
use imageproc::filter::gaussian_blur_f32;

/// Smallest nucleus piece kept: 0.0053 red-cell diameters² (30 pixels in PBC's images).
pub const MIN_NUCLEUS_PIECE: f64 = 0.0053 * D * D;
/// Farthest a nucleus may lie from a seed point given by a caller: 0.5 red-cell diameters.
pub const MAX_SEED_DISTANCE: f64 = 0.5 * D;
/// Largest gap between lobes of one nucleus: 0.3 red-cell diameters.
pub const LOBE_GAP: f64 = 0.3 * D;
/// Smallest lobe, relative to the nucleus piece found first.
pub const MIN_LOBE_SHARE: f64 = 0.08;
/// Share of nucleus pixels that makes a foreground piece part of the cell.
pub const MIN_NUCLEUS_SHARE_OF_PIECE: f64 = 0.1;
/// Gaussian σ (pixels) of the methylene-blue plane when the nucleus is refined inside the cell.
pub const REFINE_SIGMA: f32 = 1.0;
/// Cell radius limit: `CELL_RADIUS_FACTOR · r_nucleus + CELL_RADIUS_MARGIN`.
pub const CELL_RADIUS_FACTOR: f64 = 1.6;
/// See [`CELL_RADIUS_FACTOR`]: 0.2 red-cell diameters.
pub const CELL_RADIUS_MARGIN: f64 = 0.2 * D;

/// The masks of one cell (objects = 255), the size of the planes they were found in.
#[derive(Clone, Debug)]
pub struct CellMasks {
    /// The nucleus (all its lobes).
    pub nucleus: GrayImage,
    /// The whole cell: nucleus and cytoplasm.
    pub cell: GrayImage,
    /// How many separate pieces the nucleus is made of.
    pub nucleus_pieces: usize,
}

/// The grey levels of cells (red and white) as opposed to the bright background: at or below
/// the Triangle level of the grey histogram (ImageJ's Triangle method suits a histogram with
/// one dominant background peak: it cuts at the foot of that peak, so pale red-cell centres
/// and pale cytoplasm count as foreground).
pub fn foreground_range(grey: &GrayImage) -> Range {
    let level = threshold::level(Method::Triangle, &threshold::histogram(grey)).unwrap_or(0);
    Range::for_level(level, Background::Light)
}

/// Nucleus-like pixels (255): foreground pixels ([`foreground_range`]) that are blue-violet
/// (blue channel above red: red cells are pink, blue below red) and whose methylene-blue
/// transmittance is at or below the Otsu level of the foreground's methylene-blue histogram.
///
/// The Otsu level alone separates nuclei from red cells when the nucleus is large; when it is
/// small (a platelet) the level falls inside the red cells' range and the colour test removes
/// them.
pub fn nucleus_like(rgb: &RgbImage, grey: &GrayImage, blue_transmittance: &GrayImage) -> GrayImage {
    let foreground = foreground_range(grey);
    let mut histogram = [0u32; 256];
    for (&g, &b) in grey.as_raw().iter().zip(blue_transmittance.as_raw()) {
        if foreground.contains(g) {
            histogram[usize::from(b)] += 1;
        }
    }
    let Ok(level) = threshold::level(Method::Otsu, &histogram) else {
        return GrayImage::new(grey.width(), grey.height());
    };
    let nucleus = Range::for_level(level, Background::Light);
    let pixels = grey
        .as_raw()
        .iter()
        .zip(blue_transmittance.as_raw())
        .zip(rgb.as_raw().chunks_exact(3))
        .map(|((&g, &b), colour)| {
            if foreground.contains(g) && nucleus.contains(b) && colour[2] > colour[0] {
                255
            } else {
                0
            }
        })
        .collect();
    GrayImage::from_raw(grey.width(), grey.height(), pixels).expect("same size")
}

/// Finds the nucleus nearest `seed` (x, y in pixels), at most `max_seed_distance` pixels away,
/// and its cell.
pub fn find_cell(
    planes: &Planes,
    seed: (f64, f64),
    max_seed_distance: f64,
) -> Result<CellMasks, FeatureError> {
    let (width, height) = (planes.width(), planes.height());
    let candidates = nucleus_like(&planes.rgb, &planes.grey, &planes.blue_transmittance);
    let options = ParticleOptions {
        include_holes: true,
        min_size: MIN_NUCLEUS_PIECE,
        ..ParticleOptions::default()
    };
    let pieces = find_particles(&candidates, &options);
    let (first, distance) = pieces
        .iter()
        .enumerate()
        .map(|(index, piece)| (index, distance_to_particle(piece, seed)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or(FeatureError::NoNucleus)?;
    if distance > max_seed_distance {
        return Err(FeatureError::NoNucleus);
    }
    let mut chosen = vec![false; pieces.len()];
    chosen[first] = true;
    let first_area = pieces[first].pixel_count() as f64;
    let mut nucleus = GrayImage::new(width, height);
    paint(&mut nucleus, &pieces[first]);
    loop {
        // Distance of every pixel to the nucleus so far: the EDM of its complement.
        let outside = invert(&nucleus);
        let distance = distance_map(&outside);
        let mut added = false;
        for (index, piece) in pieces.iter().enumerate() {
            if chosen[index] || (piece.pixel_count() as f64) < MIN_LOBE_SHARE * first_area {
                continue;
            }
            let gap = piece
                .runs
                .iter()
                .flat_map(|run| (run.x_start..run.x_end).map(move |x| (x, run.y)))
                .map(|(x, y)| distance.get_pixel(x, y).0[0])
                .fold(f32::INFINITY, f32::min);
            if f64::from(gap) <= LOBE_GAP {
                chosen[index] = true;
                paint(&mut nucleus, piece);
                added = true;
            }
        }
        if !added {
            break;
        }
    }
    let cell = cell_around(planes, &nucleus);
    let nucleus = refine_nucleus(planes, &cell, &nucleus);
    let nucleus_pieces = find_particles(&nucleus, &ParticleOptions::default()).len();
    Ok(CellMasks {
        nucleus,
        cell,
        nucleus_pieces,
    })
}

/// The cell around a nucleus mask (step 3 and 4 of the module documentation).
fn cell_around(planes: &Planes, nucleus: &GrayImage) -> GrayImage {
    let (width, height) = nucleus.dimensions();
    let foreground = fill_holes(&threshold::apply(
        &planes.grey,
        foreground_range(&planes.grey),
    ));
    let separated = watershed(&foreground).unwrap_or(foreground);
    let mut cell = nucleus.clone();
    for piece in find_particles(&separated, &ParticleOptions::default()) {
        let nucleus_pixels = pixels_inside(&piece, nucleus);
        if nucleus_pixels as f64 >= MIN_NUCLEUS_SHARE_OF_PIECE * piece.pixel_count() as f64 {
            paint(&mut cell, &piece);
        }
    }
    // Limit to a disc around the nucleus centroid.
    let (count, sum_x, sum_y) = nucleus
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[0] != 0)
        .fold((0.0, 0.0, 0.0), |(n, sx, sy), (x, y, _)| {
            (n + 1.0, sx + f64::from(x), sy + f64::from(y))
        });
    let (cx, cy) = (sum_x / count, sum_y / count);
    let radius = CELL_RADIUS_FACTOR * (count / std::f64::consts::PI).sqrt() + CELL_RADIUS_MARGIN;
    for (x, y, pixel) in cell.enumerate_pixels_mut() {
        let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
        if dx * dx + dy * dy > radius * radius && nucleus.get_pixel(x, y).0[0] == 0 {
            pixel.0[0] = 0;
        }
    }
    // Keep the pieces holding nucleus pixels (the disc can leave fragments of neighbours).
    let mut kept = GrayImage::new(width, height);
    for piece in find_particles(&cell, &ParticleOptions::default()) {
        if pixels_inside(&piece, nucleus) > 0 {
            paint(&mut kept, &piece);
        }
    }
    fill_holes(&kept)
}

/// The nucleus re-thresholded inside its cell: the methylene-blue transmittance, smoothed
/// (Gaussian σ = [`REFINE_SIGMA`]) so chromatin texture does not fragment it, at or below its
/// Otsu level over the cell's pixels; the pieces overlapping the first nucleus, holes filled.
/// The cell's own histogram separates nucleus from cytoplasm better than the window's, where
/// red cells dominate.
fn refine_nucleus(planes: &Planes, cell: &GrayImage, coarse: &GrayImage) -> GrayImage {
    let (width, height) = cell.dimensions();
    let blue = FloatImage::from_fn(width, height, |x, y| {
        Luma([f32::from(planes.blue_transmittance.get_pixel(x, y).0[0])])
    });
    let smooth = gaussian_blur_f32(&blue, REFINE_SIGMA);
    let level_of = |x: u32, y: u32| smooth.get_pixel(x, y).0[0].round().clamp(0.0, 255.0) as u8;
    let mut histogram = [0u32; 256];
    for (x, y, p) in cell.enumerate_pixels() {
        if p.0[0] != 0 {
            histogram[usize::from(level_of(x, y))] += 1;
        }
    }
    let Ok(level) = threshold::level(Method::Otsu, &histogram) else {
        return coarse.clone();
    };
    let range = Range::for_level(level, Background::Light);
    let fine = GrayImage::from_fn(width, height, |x, y| {
        let inside = cell.get_pixel(x, y).0[0] != 0 && range.contains(level_of(x, y));
        Luma([if inside { 255 } else { 0 }])
    });
    let options = ParticleOptions {
        include_holes: true,
        min_size: MIN_NUCLEUS_PIECE,
        ..ParticleOptions::default()
    };
    let mut refined = GrayImage::new(width, height);
    for piece in find_particles(&fine, &options) {
        if pixels_inside(&piece, coarse) > 0 {
            paint(&mut refined, &piece);
        }
    }
    if refined.as_raw().iter().all(|&v| v == 0) {
        return coarse.clone();
    }
    refined
}

/// Euclidean distance from `point` to the nearest pixel centre of `particle`.
fn distance_to_particle(particle: &Particle, point: (f64, f64)) -> f64 {
    particle
        .runs
        .iter()
        .map(|run| {
            let x = point
                .0
                .clamp(f64::from(run.x_start), f64::from(run.x_end - 1));
            let (dx, dy) = (x - point.0, f64::from(run.y) - point.1);
            dx * dx + dy * dy
        })
        .fold(f64::INFINITY, f64::min)
        .sqrt()
}

/// How many pixels of `particle` are set (non-zero) in `mask`.
pub(crate) fn pixels_inside(particle: &Particle, mask: &GrayImage) -> usize {
    particle
        .runs
        .iter()
        .map(|run| {
            (run.x_start..run.x_end)
                .filter(|&x| mask.get_pixel(x, run.y).0[0] != 0)
                .count()
        })
        .sum()
}

/// Sets the pixels of `particle` to 255.
pub(crate) fn paint(mask: &mut GrayImage, particle: &Particle) {
    for run in &particle.runs {
        for x in run.x_start..run.x_end {
            mask.put_pixel(x, run.y, Luma([255]));
        }
    }
}

/// 255 where `mask` is 0 and 0 elsewhere.
pub(crate) fn invert(mask: &GrayImage) -> GrayImage {
    let pixels = mask
        .as_raw()
        .iter()
        .map(|&v| if v == 0 { 255 } else { 0 })
        .collect();
    GrayImage::from_raw(mask.width(), mask.height(), pixels).expect("same size")
}
