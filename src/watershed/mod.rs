//! Binary watershed: cuts touching particles apart along the necks of their distance map,
//! exactly as ImageJ's Process > Binary > Watershed (`ij/plugin/filter/EDM.java` with
//! `ij/plugin/filter/MaximumFinder.java`, segmentation of the EDM with prominence 0.5).
//!
//! The steps, each in its own module:
//!
//! 1. [`crate::edm::distance_map`]: the float Euclidean distance map of the mask.
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
//! for any number of threads: the parallel steps (distance map sweeps, ridge heights, level
//! image) compute every pixel independently, the flooding steps run in ImageJ's order.
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

use crate::edm::distance_map;
use crate::io::FloatImage;
use crate::morphology::{BACKGROUND, OBJECT};
use frame::Frame;

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
pub fn watershed(mask: &GrayImage) -> Result<GrayImage, WatershedError> {
    let frame = frame_of(mask.width(), mask.height())?;
    let edm = distance_map(mask);
    Ok(watershed_distance_map(frame, &edm))
}

/// Watershed segmentation of a distance map made by [`crate::edm::distance_map`] (for callers
/// that already have the map).
pub fn watershed_of_distance_map(edm: &FloatImage) -> Result<GrayImage, WatershedError> {
    let frame = frame_of(edm.width(), edm.height())?;
    Ok(watershed_distance_map(frame, edm))
}

fn watershed_distance_map(frame: Frame, edm: &FloatImage) -> GrayImage {
    let edm_padded = frame.pad(edm.as_raw(), 0.0);
    let mut maxima = maxima::find_edm_maxima(&frame, &edm_padded);
    let mut levels = levels::level_image(&frame, &edm_padded, &maxima);
    levels::lower_rejected_maxima(&frame, &mut levels, &mut maxima);
    drop(maxima);
    // Called from parallel code (e.g. one particle per task), the workers are busy already:
    // sharing this image's particles out again would only add copies.
    let groups = match rayon::current_thread_index() {
        Some(_) => 1,
        None => rayon::current_num_threads(),
    };
    segment::flood_levels_in_parallel(&frame, &mut levels, groups);
    let mut pixels = Vec::with_capacity(frame.width * frame.height);
    for y in 0..frame.height {
        pixels.extend(levels[frame.row(y)].iter().map(|&level| {
            if level == 255 {
                OBJECT
            } else {
                BACKGROUND
            }
        }));
    }
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

    /// The watershed with the fast flooding (sequential, and particles shared out among 3
    /// workers) and with the literal transcription of ImageJ's.
    fn both_floods(mask: &GrayImage) -> (Vec<bool>, Vec<bool>) {
        let frame = Frame::new(mask.width() as usize, mask.height() as usize);
        let edm = distance_map(mask);
        let edm_padded = frame.pad(edm.as_raw(), 0.0);
        let mut maxima = maxima::find_edm_maxima(&frame, &edm_padded);
        let mut levels = levels::level_image(&frame, &edm_padded, &maxima);
        levels::lower_rejected_maxima(&frame, &mut levels, &mut maxima);
        let mut literal = levels.clone();
        let mut shared = levels.clone();
        segment::flood_levels(&frame, &mut levels);
        segment::flood_levels_literally(&frame, &mut literal);
        segment::flood_levels_in_parallel(&frame, &mut shared, 3);
        let objects = |levels: Vec<u8>| -> Vec<bool> { levels.iter().map(|&l| l == 255).collect() };
        let (fast, shared) = (objects(levels), objects(shared));
        assert_eq!(fast, shared, "sharing particles out changed the result");
        (fast, objects(literal))
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
