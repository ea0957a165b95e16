//! ImageJ's binary watershed run particle by particle, in parallel, with the same output as
//! [`crate::watershed::watershed`] on the whole mask.
//!
//! Every step of ImageJ's watershed (`ij/plugin/filter/EDM.java`, `MaximumFinder.java`) looks
//! only at a pixel's 8 neighbours, and background (distance 0) stops every flood, so the
//! 8-connected particles of a mask never influence one another, with two exceptions that this
//! module reproduces:
//!
//! - the largest distance of the *whole* image sets the scale of the 8-bit level image and of
//!   the sort key of the maxima (`MaximumFinder.make8bit`, `getSortedMaxPoints`): each particle is
//!   processed in a crop that also holds one isolated pixel at the global largest distance;
//! - pixels on the image border are treated differently from inner pixels (ridge heights are not
//!   interpolated there; pixels outside the image are not background for the distance map): each
//!   crop is the particle's bounding box plus a one-pixel margin, cut at the image border, so a
//!   particle pixel lies on the crop's border exactly when it lies on the image's border. The
//!   extra pixel goes on a side where the particle does not touch the image border.
//!
//! A particle whose bounding box is the whole image has no such side; the whole mask is then
//! processed at once. `tests` compare the result with the whole-image watershed on real and
//! random masks.

use image::{GrayImage, Luma};
use rayon::prelude::*;

use crate::edm::distance_map;
use crate::io::FloatImage;
use crate::measure::{find_particles, Bounds, Particle, ParticleOptions};
use crate::morphology::{BACKGROUND, OBJECT};
use crate::watershed::{watershed, watershed_of_distance_map, WatershedError};

/// A particle's crop: where it sits in the image, and where the extra pixel goes.
#[derive(Clone, Copy, Debug)]
struct Crop {
    /// Image column of the crop's first particle-area column.
    x0: u32,
    /// Image row of the crop's first row.
    y0: u32,
    /// Width and height of the image part (bounding box plus margin, cut at the border).
    width: u32,
    height: u32,
    /// The side that gets the column or row holding the extra pixel.
    side: Side,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Right,
    Left,
    Bottom,
    Top,
}

impl Crop {
    /// The crop of a particle with bounds `bounds` in an image `width` x `height`, or `None`
    /// when the particle touches all four image borders.
    fn new(bounds: &Bounds, width: u32, height: u32) -> Option<Crop> {
        let x0 = bounds.x.saturating_sub(1);
        let y0 = bounds.y.saturating_sub(1);
        let x1 = (bounds.x + bounds.width + 1).min(width);
        let y1 = (bounds.y + bounds.height + 1).min(height);
        let side = if bounds.x + bounds.width < width {
            Side::Right
        } else if bounds.x > 0 {
            Side::Left
        } else if bounds.y + bounds.height < height {
            Side::Bottom
        } else if bounds.y > 0 {
            Side::Top
        } else {
            return None;
        };
        Some(Crop {
            x0,
            y0,
            width: x1 - x0,
            height: y1 - y0,
            side,
        })
    }

    /// Size of the crop buffer, extra column or row included.
    fn buffer_size(&self) -> (u32, u32) {
        match self.side {
            Side::Right | Side::Left => (self.width + 1, self.height),
            Side::Bottom | Side::Top => (self.width, self.height + 1),
        }
    }

    /// Offset of the image part inside the buffer.
    fn offset(&self) -> (u32, u32) {
        match self.side {
            Side::Left => (1, 0),
            Side::Top => (0, 1),
            Side::Right | Side::Bottom => (0, 0),
        }
    }

    /// Where the extra pixel goes: a corner of the extra column or row, two pixels away from
    /// any particle pixel (the margin lies between).
    fn extra_pixel(&self) -> (u32, u32) {
        let (width, height) = self.buffer_size();
        match self.side {
            Side::Right => (width - 1, 0),
            Side::Left => (0, 0),
            Side::Bottom => (0, height - 1),
            Side::Top => (0, 0),
        }
    }
}

/// Separates touching particles exactly as [`crate::watershed::watershed`] does on the whole
/// mask (objects = non-zero; output 255 on 0), working on each 8-connected particle in its own
/// crop, in parallel. The output does not depend on the number of threads.
pub fn watershed_by_particle(mask: &GrayImage) -> Result<GrayImage, WatershedError> {
    let particles = watershed_particles(mask)?;
    Ok(super::mask_of(&particles, mask.width(), mask.height()))
}

/// The particles of the watershed-segmented mask, as
/// `find_particles(&watershed(mask)?, &ParticleOptions::default())` would find them (ImageJ's
/// raster order, outlines, runs), computed particle by particle in parallel.
pub fn watershed_particles(mask: &GrayImage) -> Result<Vec<Particle>, WatershedError> {
    let (width, height) = mask.dimensions();
    let binary = GrayImage::from_fn(width, height, |x, y| {
        Luma([if mask.get_pixel(x, y).0[0] != 0 {
            OBJECT
        } else {
            BACKGROUND
        }])
    });
    let particles = find_particles(&binary, &ParticleOptions::default());
    let mut crops = Vec::with_capacity(particles.len());
    for particle in &particles {
        match Crop::new(&particle.bounds, width, height) {
            Some(crop) => crops.push(crop),
            None => {
                return Ok(find_particles(
                    &watershed(&binary)?,
                    &ParticleOptions::default(),
                ))
            }
        }
    }
    let distances: Vec<FloatImage> = particles
        .par_iter()
        .zip(crops.par_iter())
        .map(|(particle, crop)| crop_distance_map(particle, crop))
        .collect();
    let global_max = distances
        .iter()
        .flat_map(|map| map.as_raw().iter().copied())
        .fold(0.0f32, f32::max);
    let pieces: Vec<Vec<Particle>> = crops
        .par_iter()
        .zip(distances.into_par_iter())
        .map(|(crop, map)| split_in_crop(crop, map, global_max))
        .collect::<Result<_, _>>()?;
    let mut pieces: Vec<Particle> = pieces.into_iter().flatten().collect();
    pieces.sort_unstable_by_key(|particle| (particle.start.1, particle.start.0));
    Ok(pieces)
}

/// The distance map of one particle in its crop buffer (extra pixel not yet set).
fn crop_distance_map(particle: &Particle, crop: &Crop) -> FloatImage {
    let (buffer_width, buffer_height) = crop.buffer_size();
    let mut mask = GrayImage::new(crop.width, crop.height);
    for run in &particle.runs {
        for x in run.x_start..run.x_end {
            mask.put_pixel(x - crop.x0, run.y - crop.y0, Luma([OBJECT]));
        }
    }
    // The extra column or row must not count as "outside the image" for the distance map:
    // the map is computed on the image part only and copied into the buffer.
    let part_map = distance_map(&mask);
    let (dx, dy) = crop.offset();
    let mut map = FloatImage::new(buffer_width, buffer_height);
    image::imageops::replace(&mut map, &part_map, i64::from(dx), i64::from(dy));
    map
}

/// Watershed of one particle's crop: the pieces, in image coordinates.
fn split_in_crop(
    crop: &Crop,
    mut map: FloatImage,
    global_max: f32,
) -> Result<Vec<Particle>, WatershedError> {
    let (extra_x, extra_y) = crop.extra_pixel();
    map.put_pixel(extra_x, extra_y, Luma([global_max]));
    let cut = watershed_of_distance_map(&map)?;
    let (dx, dy) = crop.offset();
    let (shift_x, shift_y) = (
        i64::from(crop.x0) - i64::from(dx),
        i64::from(crop.y0) - i64::from(dy),
    );
    Ok(find_particles(&cut, &ParticleOptions::default())
        .into_iter()
        .filter(|piece| piece.start != (extra_x, extra_y))
        .map(|piece| {
            piece
                .translated(shift_x, shift_y)
                .expect("crop coordinates lie inside the image")
        })
        .collect())
}
