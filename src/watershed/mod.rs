//! Binary watershed: cuts touching particles apart along the necks of their distance map,
//! exactly as ImageJ's Process > Binary > Watershed (`ij/plugin/filter/EDM.java` with
//! `ij/plugin/filter/MaximumFinder.java`, segmentation of the EDM with prominence 0.5).
//!
//! The steps, each in its own module:
//!
//! 1. The float Euclidean distance map of the mask, as [`crate::edm::distance_map`], made
//!    particle by particle from each particle's runs (`crate::edm::particle_distance_map`).
//! 2. `maxima`: local maxima of the EDM with interpolated ridge heights; maxima less than 0.5
//!    above the saddle to a higher maximum are rejected.
//! 3. `levels`: the EDM as an 8-bit level image (about one level per pixel of distance,
//!    accepted maximum areas 255); rejected maxima are flattened to their saddle level.
//! 4. `segment`: from level 254 down to 1, the 255-regions grow into each level with passes in
//!    a fixed direction order, never joining two regions. Unreached pixels become 1-pixel,
//!    4-connected separating lines.
//! 5. Everything below 255 becomes background.
//!
//! The output is pixel-identical to ImageJ's (tested on real and synthetic masks) and the same
//! for any number of threads: every step runs particle by particle (a pixel's distance depends
//! only on its particle and the background around it; floods never leave a particle), each
//! particle in ImageJ's order, and only the map's range is image-wide.
//!
//! ```
//! use image::GrayImage;
//! // Two discs of radius 10 that overlap a little: watershed cuts them apart.
//! let mask = hemato::morphology::mask_from_fn(50, 24, |x, y| {
//!     let inside = |cx: i32| (x as i32 - cx).pow(2) + (y as i32 - 12).pow(2) <= 100;
//!     inside(14) || inside(32)
//! });
//! let cut = hemato::watershed::watershed(&mask).unwrap();
//! assert_eq!(cut.get_pixel(23, 12).0[0], 0); // the neck is cut
//! assert_eq!(cut.get_pixel(14, 12).0[0], 255);
//! assert_eq!(cut.get_pixel(32, 12).0[0], 255);
//! ```

mod frame;
mod levels;
mod maxima;
mod segment;

use image::GrayImage;

use crate::edm::{distance_map, particle_distance_map, ParticleSweeps, RowRun};
use crate::io::FloatImage;
use crate::morphology::{Particles, Regions, BACKGROUND, OBJECT};
use frame::Frame;
use rayon::prelude::*;
use std::ops::Range;

/// Why the watershed cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WatershedError {
    /// Pixel positions are 32-bit internally (as in ImageJ): the image plus a one-pixel frame
    /// must have fewer than 2³² pixels, and each side fewer than 2²⁹ (the distance map's limit).
    #[error(
        "image of {width}x{height} pixels is too large for the watershed (at most 2^32 pixels, sides below 2^29)"
    )]
    TooLarge {
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
    },
}

fn frame_of(width: u32, height: u32) -> Result<Frame, WatershedError> {
    let frame = Frame::new(width as usize, height as usize);
    if u32::try_from(frame.len()).is_err() || !crate::edm::side_fits(width, height) {
        return Err(WatershedError::TooLarge { width, height });
    }
    Ok(frame)
}

/// Watershed-segments a binary mask (non-zero = object): touching particles are separated by
/// 1-pixel background lines, as ImageJ's Process > Binary > Watershed. Objects = 255 on 0.
///
/// The distance map is made particle by particle too, from each particle's runs: a pixel's
/// distance depends only on the pixels of its own 8-connected particle and the background
/// around it (ImageJ's sweeps carry a nearest background point from neighbour to neighbour, and
/// the object neighbours of an object pixel are in its particle), so a particle's map made
/// alone is the whole image's map there ([`crate::edm`] has the details). Its cost is the
/// particle's pixels, and no whole-image map is held (docs/performance-notes.md).
pub fn watershed(mask: &GrayImage) -> Result<GrayImage, WatershedError> {
    watershed_in_shares(mask, shares())
}

/// [`watershed`] with the particles shared out in `shares` groups.
fn watershed_in_shares(mask: &GrayImage, shares: usize) -> Result<GrayImage, WatershedError> {
    let frame = frame_of(mask.width(), mask.height())?;
    let particles = padded_particles(&frame, mask);
    let shares = segment::share_out(&particles, shares);
    let maps: Vec<Vec<f32>> = shares
        .par_iter()
        .with_max_len(1)
        .map(|share| distance_maps_of(&frame, share))
        .collect();
    let global_max = maps
        .par_iter()
        .map(|map| map.iter().fold(0f32, |high, &value| high.max(value)))
        .reduce(|| 0.0, f32::max);
    // The map's minimum is the background's 0; without any background, every pixel holds
    // ImageJ's "no background" value (one particle, all of the image).
    let object_pixels: u64 = particles.sizes.iter().sum();
    let global_min = if object_pixels < (frame.width * frame.height) as u64 {
        0.0
    } else {
        global_max
    };
    Ok(cut_particles(
        frame,
        mask,
        &shares,
        &maps,
        (global_min, global_max),
    ))
}

/// The distance maps of the particles of `share` (ImageJ's, as in the whole image of `frame`):
/// their values, particle after particle, run after run.
fn distance_maps_of(frame: &Frame, share: &segment::Share) -> Vec<f32> {
    let mut sweeps = ParticleSweeps::default();
    let mut row_runs = Vec::new();
    let mut values = Vec::new();
    for runs in share.particles() {
        row_runs.clear();
        row_runs.extend(runs.iter().map(|run| {
            let (x, y) = frame.coordinates(run.start);
            RowRun {
                y,
                columns: x..x + run.len(),
            }
        }));
        particle_distance_map(
            &row_runs,
            frame.width,
            frame.height,
            &mut sweeps,
            &mut values,
        );
    }
    values
}

/// Watershed segmentation of a distance map made by [`crate::edm::distance_map`] (for callers
/// that already have the map).
pub fn watershed_of_distance_map(edm: &FloatImage) -> Result<GrayImage, WatershedError> {
    let frame = frame_of(edm.width(), edm.height())?;
    let objects = edm
        .as_raw()
        .iter()
        .map(|&value| if value > 0.0 { OBJECT } else { BACKGROUND })
        .collect();
    let objects = GrayImage::from_raw(edm.width(), edm.height(), objects).expect("same size");
    let edm = frame.pad(edm.as_raw(), 0.0);
    let particles = padded_particles(&frame, &objects);
    let shares = segment::share_out(&particles, shares());
    let maps: Vec<Vec<f32>> = shares
        .iter()
        .map(|share| {
            share
                .particles()
                .flatten()
                .flat_map(|run| edm[run.clone()].iter().copied())
                .collect()
        })
        .collect();
    let range = maxima::value_range(&frame, &edm);
    Ok(cut_particles(frame, &objects, &shares, &maps, range))
}

/// How many shares the particles are split into: one per thread of the pool, or one when
/// called from parallel code (e.g. one image per task), whose workers are busy already.
fn shares() -> usize {
    match rayon::current_thread_index() {
        Some(_) => 1,
        None => rayon::current_num_threads(),
    }
}

/// The particles (8-connected non-zero regions) of `mask`, with their runs as padded indices.
fn padded_particles(frame: &Frame, mask: &GrayImage) -> Particles {
    let mut particles = Particles::of_mask(mask, Regions::Objects);
    for run in &mut particles.runs {
        let (x, y) = (run.start % frame.width, run.start / frame.width);
        let start = frame.index(x, y);
        *run = start..start + run.len();
    }
    particles
}

/// The watershed of `mask`, whose particles are shared out in `shares`; `maps[s]` holds the
/// distance map's values of share s's particles, run after run, and `range` is the whole map's
/// smallest and largest value.
///
/// Everything after the distance map works particle by particle: the flood fills of the maxima
/// analysis, the lowering of rejected maxima and the level flooding all stay inside the
/// 8-connected object region they start in (they never step on background, whose EDM and level
/// are 0), and a particle's maxima are visited in the order the whole image's sorted list has
/// them. So the particles are shared out among the threads (largest first, to the lightest
/// share), each share runs the whole ImageJ sequence one particle after the other, each in a
/// [`Window`] of its own (so that a particle's pixels stay in cache from step to step), and the
/// result is the same as one pass over the whole image, for any number of threads (checked
/// against that pass in the tests). Only the map's range is image-wide: it sets the maxima's
/// sorting key and the level scale.
fn cut_particles(
    frame: Frame,
    mask: &GrayImage,
    shares: &[segment::Share],
    maps: &[Vec<f32>],
    (global_min, global_max): (f32, f32),
) -> GrayImage {
    let width = frame.width;
    // Without anything below the maximum there are no maxima: ImageJ then counts every pixel
    // as within the prominence (and every particle has a maximum otherwise).
    let has_maxima = global_max > global_min;
    let scale = levels::LevelScale::new(global_max);
    let cut: Vec<Vec<usize>> = shares
        .par_iter()
        .zip(maps)
        .with_max_len(1)
        .map(|(share, map)| {
            let mut window = Window::default();
            let mut flood = segment::Flood::default();
            let mut cut = Vec::new();
            let mut values = map.as_slice();
            for runs in share.particles() {
                let local = window.place(&frame, runs);
                window.clear(&local);
                values = window.fill_distances(values);
                if has_maxima {
                    window.fill_heights(&frame, &local);
                }
                let Window {
                    edm,
                    heights,
                    types,
                    levels,
                    runs,
                } = &mut window;
                let sorted = if has_maxima {
                    let sorted = maxima::sorted_local_maxima_of_runs(
                        &local, edm, heights, runs, global_min, global_max,
                    );
                    maxima::analyse_maxima(&local, edm, heights, types, &sorted);
                    sorted
                } else {
                    Vec::new()
                };
                for run in runs.iter() {
                    for index in run.clone() {
                        let kind = if has_maxima {
                            types[index]
                        } else {
                            maxima::MAX_AREA
                        };
                        levels[index] = scale.level(edm[index], kind);
                    }
                }
                levels::lower_rejected(&local, levels, types, &sorted);
                flood.flood_runs(&local, levels, runs);
                // The object pixels left below 255: the separating lines (few pixels).
                cut.extend(
                    runs.iter()
                        .flat_map(|run| run.clone())
                        .filter(|&index| levels[index] != 255)
                        .map(|index| {
                            let (x, y) = local.coordinates(index);
                            y * width + x
                        }),
                );
            }
            cut
        })
        .collect();
    let mut pixels: Vec<u8> = mask
        .as_raw()
        .par_iter()
        .map(|&value| if value != 0 { OBJECT } else { BACKGROUND })
        .collect();
    for index in cut.iter().flatten() {
        pixels[*index] = BACKGROUND;
    }
    GrayImage::from_raw(mask.width(), mask.height(), pixels).expect("same size as the mask")
}

/// The buffers of one particle: its bounding box with a frame of one pixel, holding the
/// particle's distance map and ridge heights (0 elsewhere), the maxima flags and the level
/// image. Reused from particle to particle, so a share never touches whole-image buffers
/// of its own, and a particle's pixels lie close together in memory.
///
/// Exact because every step reads only the particle's pixels and their 8-neighbours (the
/// neighbours of an 8-connected component are background: EDM, ridge height and level 0, as
/// here), and positions keep their raster order and their image coordinates (the maxima's
/// sorting ties and centroids).
#[derive(Default)]
struct Window {
    edm: Vec<f32>,
    heights: Vec<f32>,
    types: Vec<u8>,
    levels: Vec<u8>,
    runs: Vec<Range<usize>>,
}

impl Window {
    /// Places the particle of `runs` (padded indices of `frame`, raster order) in a window of
    /// its own: its runs in the window are `self.runs`; returns the window's frame.
    fn place(&mut self, frame: &Frame, runs: &[Range<usize>]) -> Frame {
        let (first, last) = (runs[0].start, runs[runs.len() - 1].start);
        let (y0, y1) = (frame.coordinates(first).1, frame.coordinates(last).1);
        let (x0, x1) = runs.iter().fold((usize::MAX, 0), |(low, high), run| {
            let start = frame.coordinates(run.start).0;
            (low.min(start), high.max(start + run.len() - 1))
        });
        let local = Frame::window(x0, y0, x1 + 1 - x0, y1 + 1 - y0);
        self.runs.clear();
        for run in runs {
            let (x, y) = frame.coordinates(run.start);
            let start = local.index(x - x0, y - y0);
            self.runs.push(start..start + run.len());
        }
        local
    }

    /// Clears the buffers of the watershed's steps for the window `local`.
    fn clear(&mut self, local: &Frame) {
        let len = local.len();
        reset(&mut self.edm, len, 0.0);
        reset(&mut self.heights, len, 0.0);
        reset(&mut self.levels, len, 0);
        maxima::reset_types(local, &mut self.types);
    }

    /// Copies the particle's distances from the front of `values` (run after run) into the
    /// window; returns the values left.
    fn fill_distances<'a>(&mut self, mut values: &'a [f32]) -> &'a [f32] {
        for run in &self.runs {
            let (these, rest) = values.split_at(run.len());
            self.edm[run.clone()].copy_from_slice(these);
            values = rest;
        }
        values
    }

    /// The particle's ridge heights ([`maxima::true_heights`]), edges being the image's.
    fn fill_heights(&mut self, frame: &Frame, local: &Frame) {
        maxima::true_heights_of_runs(local, frame, &self.edm, &mut self.heights, &self.runs);
    }
}

/// Makes `buffer` `len` values of `value`.
fn reset<T: Copy>(buffer: &mut Vec<T>, len: usize, value: T) {
    buffer.clear();
    buffer.resize(len, value);
}

/// The watershed as one pass over the whole image, step by step as ImageJ runs it: the
/// reference that [`watershed_distance_map`] must equal.
#[cfg(test)]
fn watershed_whole_image(edm: &FloatImage) -> GrayImage {
    let frame = Frame::new(edm.width() as usize, edm.height() as usize);
    let edm_padded = frame.pad(edm.as_raw(), 0.0);
    let mut maxima = maxima::find_edm_maxima(&frame, &edm_padded);
    let mut levels = levels::level_image(&frame, &edm_padded, &maxima);
    levels::lower_rejected_maxima(&frame, &mut levels, &mut maxima);
    segment::flood_levels(&frame, &mut levels);
    let pixels = frame
        .unpad(&levels)
        .iter()
        .map(|&level| if level == 255 { OBJECT } else { BACKGROUND })
        .collect();
    GrayImage::from_raw(edm.width(), edm.height(), pixels).expect("same size as the map")
}

/// Ultimate eroded points, as ImageJ's Process > Binary > Ultimate Points with 32-bit output:
/// the distance map at the single point standing for each accepted EDM maximum (the centre of
/// the largest inscribed circle of each particle lobe), 0 everywhere else.
pub fn ultimate_points(mask: &GrayImage) -> Result<FloatImage, WatershedError> {
    let frame = frame_of(mask.width(), mask.height())?;
    let edm = distance_map(mask);
    let edm_padded = frame.pad(edm.as_raw(), 0.0);
    let maxima = maxima::find_edm_maxima(&frame, &edm_padded);
    let types = frame.unpad(&maxima.types);
    let values = edm
        .as_raw()
        .iter()
        .zip(types)
        .map(|(&value, kind)| {
            if kind & maxima::MAX_POINT != 0 {
                value
            } else {
                0.0
            }
        })
        .collect();
    Ok(FloatImage::from_raw(mask.width(), mask.height(), values).expect("same size as the mask"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::morphology::mask_from_fn;
    use image::Luma;

    fn disc(cx: i32, cy: i32, r: i32) -> impl Fn(u32, u32) -> bool {
        move |x, y| (x as i32 - cx).pow(2) + (y as i32 - cy).pow(2) <= r * r
    }

    #[test]
    fn separate_discs_have_one_ultimate_point_each_at_the_centre() {
        let (a, b) = (disc(10, 10, 6), disc(30, 12, 8));
        let mask = mask_from_fn(42, 24, |x, y| a(x, y) || b(x, y));
        let points = ultimate_points(&mask).unwrap();
        let found: Vec<(u32, u32, f32)> = points
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0[0] > 0.0)
            .map(|(x, y, p)| (x, y, p.0[0]))
            .collect();
        // Hand-computed: the background pixel nearest to the centre of the digital disc
        // x² + y² <= r² is (1, r): at √(r² + 1).
        assert_eq!(found, vec![(10, 10, 37f32.sqrt()), (30, 12, 65f32.sqrt())]);
    }

    /// The watershed with the fast flooding and with the literal transcription of ImageJ's.
    fn both_floods(mask: &GrayImage) -> (Vec<bool>, Vec<bool>) {
        let frame = Frame::new(mask.width() as usize, mask.height() as usize);
        let edm = distance_map(mask);
        let edm_padded = frame.pad(edm.as_raw(), 0.0);
        let mut maxima = maxima::find_edm_maxima(&frame, &edm_padded);
        let mut levels = levels::level_image(&frame, &edm_padded, &maxima);
        levels::lower_rejected_maxima(&frame, &mut levels, &mut maxima);
        let mut literal = levels.clone();
        segment::flood_levels(&frame, &mut levels);
        segment::flood_levels_literally(&frame, &mut literal);
        let objects = |levels: Vec<u8>| -> Vec<bool> { levels.iter().map(|&l| l == 255).collect() };
        (objects(levels), objects(literal))
    }

    #[test]
    fn flooding_shortcut_equals_imagej_transcription() {
        // Chains and clumps of discs of several radii, some cut by the border.
        let discs = [
            disc(10, 10, 8),
            disc(24, 12, 7),
            disc(36, 9, 9),
            disc(14, 30, 11),
            disc(30, 30, 6),
            disc(41, 33, 10),
            disc(2, 44, 5),
        ];
        let mask = mask_from_fn(48, 46, |x, y| discs.iter().any(|d| d(x, y)));
        let (fast, literal) = both_floods(&mask);
        assert_eq!(fast, literal);
        assert!(fast.iter().filter(|&&object| object).count() > 1000);
    }

    proptest::proptest! {
        #[test]
        fn flooding_shortcut_equals_transcription_on_random_masks(
            width in 1u32..60,
            height in 1u32..60,
            discs in proptest::collection::vec((0u32..60, 0u32..60, 1u32..14), 0..12),
            noise in proptest::collection::vec(0u32..3600, 0..40),
        ) {
            let mask = mask_from_fn(width, height, |x, y| {
                noise.contains(&(y * 60 + x))
                    || discs.iter().any(|&(cx, cy, r)| disc(cx as i32, cy as i32, r as i32)(x, y))
            });
            let (fast, literal) = both_floods(&mask);
            proptest::prop_assert_eq!(fast, literal);
        }
    }

    /// The particle-by-particle watershed in 1, 2 and 3 shares equals the whole-image pass.
    fn assert_equals_whole_image(mask: &GrayImage) {
        assert_particle_maps_equal_whole_map(mask);
        let reference = watershed_whole_image(&distance_map(mask));
        for shares in 1..=3 {
            let cut = watershed_in_shares(mask, shares).unwrap();
            assert_eq!(cut, reference, "{shares} shares");
        }
    }

    /// Each particle's distance map, made from its runs alone, holds the whole image's values
    /// bit for bit.
    fn assert_particle_maps_equal_whole_map(mask: &GrayImage) {
        let whole = distance_map(mask);
        let particles = Particles::of_mask(mask, Regions::Objects);
        let width = mask.width() as usize;
        let mut sweeps = ParticleSweeps::default();
        for particle in 0..particles.sizes.len() {
            let runs: Vec<RowRun> = particles
                .runs
                .iter()
                .zip(&particles.particle_of_run)
                .filter(|(_, &owner)| owner as usize == particle)
                .map(|(run, _)| RowRun {
                    y: run.start / width,
                    columns: run.start % width..run.start % width + run.len(),
                })
                .collect();
            let mut values = vec![-1.0];
            particle_distance_map(
                &runs,
                width,
                mask.height() as usize,
                &mut sweeps,
                &mut values,
            );
            let expected = runs.iter().flat_map(|run| {
                run.columns
                    .clone()
                    .map(|x| whole.get_pixel(x as u32, run.y as u32).0[0])
            });
            let expected: Vec<u32> = std::iter::once(-1f32)
                .chain(expected)
                .map(f32::to_bits)
                .collect();
            let found: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
            assert_eq!(found, expected, "particle {particle}");
        }
    }

    #[test]
    fn particle_windows_hold_only_their_particle() {
        // A ring whose bounding box holds a separate disc, and two overlapping discs cut by
        // the top-left image border (their window's frame is the image's).
        let ring = |x: u32, y: u32| (14 * 14 + 1..=20 * 20).contains(&d2(x, y, 30, 30));
        let inner = disc(30, 30, 8);
        let corner = |x: u32, y: u32| disc(3, 3, 7)(x, y) || disc(16, 4, 7)(x, y);
        let mask = mask_from_fn(60, 60, |x, y| ring(x, y) || inner(x, y) || corner(x, y));
        assert_equals_whole_image(&mask);
        // Each particle is cut as if it were alone in the image.
        let alone = |f: &dyn Fn(u32, u32) -> bool| watershed(&mask_from_fn(60, 60, f)).unwrap();
        let (ring_cut, inner_cut, corner_cut) = (alone(&ring), alone(&inner), alone(&corner));
        let cut = watershed(&mask).unwrap();
        for (x, y, pixel) in cut.enumerate_pixels() {
            let alone_value = [&ring_cut, &inner_cut, &corner_cut]
                .iter()
                .map(|image| image.get_pixel(x, y).0[0])
                .max()
                .unwrap();
            assert_eq!(pixel.0[0], alone_value, "({x}, {y})");
        }
        // By hand: a disc has one maximum, so it is not cut; the two corner discs are.
        assert!(inner_cut
            .enumerate_pixels()
            .all(|(x, y, p)| (p.0[0] == 255) == inner(x, y)));
        let count = |m: &GrayImage| Particles::of_mask(m, Regions::Objects).sizes.len();
        assert_eq!(count(&mask_from_fn(60, 60, corner)), 1);
        assert_eq!(count(&corner_cut), 2);
    }

    fn d2(x: u32, y: u32, cx: i32, cy: i32) -> i32 {
        (x as i32 - cx).pow(2) + (y as i32 - cy).pow(2)
    }

    #[test]
    fn particle_by_particle_equals_whole_image() {
        let discs = [
            disc(10, 10, 8),
            disc(24, 12, 7),
            disc(36, 9, 9),
            disc(14, 30, 11),
            disc(30, 30, 6),
            disc(41, 33, 10),
            disc(2, 44, 5),
            disc(60, 20, 12),
            disc(75, 24, 9),
        ];
        let mask = mask_from_fn(90, 46, |x, y| discs.iter().any(|d| d(x, y)));
        assert_equals_whole_image(&mask);
        // The cut really cuts: more particles than the mask has.
        let cut = watershed(&mask).unwrap();
        let count = |m: &GrayImage| Particles::of_mask(m, Regions::Objects).sizes.len();
        assert!(count(&cut) > count(&mask));
        // Large enough for the whole-image map's two-buffer sweeps (the reference): a field of
        // overlapping discs on a lattice.
        let large = mask_from_fn(640, 480, |x, y| {
            let (cx, cy) = ((x % 40) as i32 - 20, (y % 36) as i32 - 18);
            let r = 12 + ((x / 40 + y / 36) % 9) as i32;
            cx * cx + cy * cy <= r * r
        });
        assert!(large.len() >= 1 << 18);
        assert_equals_whole_image(&large);
        // One particle large enough for its own two-thread sweeps (2^15 pixels): two
        // overlapping discs, with holes, clear of the image's border.
        let (a, b) = (disc(250, 270, 240), disc(420, 260, 150));
        let big = mask_from_fn(620, 540, |x, y| {
            (a(x, y) || b(x, y)) && (x % 37 != 5 || y % 41 != 7)
        });
        assert!(big.get_pixel(0, 0).0[0] == 0 && big.get_pixel(619, 539).0[0] == 0);
        assert_equals_whole_image(&big);
    }

    proptest::proptest! {
        #[test]
        fn particle_by_particle_equals_whole_image_on_random_masks(
            width in 1u32..70,
            height in 1u32..70,
            discs in proptest::collection::vec((0u32..70, 0u32..70, 1u32..14), 0..14),
            noise in proptest::collection::vec(0u32..4900, 0..60),
        ) {
            let mask = mask_from_fn(width, height, |x, y| {
                noise.contains(&(y * 70 + x))
                    || discs.iter().any(|&(cx, cy, r)| disc(cx as i32, cy as i32, r as i32)(x, y))
            });
            assert_equals_whole_image(&mask);
        }
    }

    #[test]
    fn degenerate_images() {
        for (width, height) in [(0, 0), (0, 4), (4, 0), (1, 1), (1, 5), (5, 1), (2, 2)] {
            for value in [0u8, 255] {
                let mask = GrayImage::from_pixel(width, height, Luma([value]));
                let cut = watershed(&mask).unwrap();
                // Uniform masks have nothing to cut.
                assert_eq!(cut, mask, "{width}x{height} of {value}");
                let points = ultimate_points(&mask).unwrap();
                assert!(points.pixels().all(|p| p.0[0] == 0.0));
            }
        }
    }
}
