//! The pixels within a Euclidean distance of a mask's object pixels: the dilation of the violet
//! pixels by the interaction reach that makes a slide's clusters (docs/slides.md, "Reach and
//! ownership").
//!
//! The clusters must hold every pixel the per-cluster analysis can reach from a nucleus, and
//! that analysis decides "within the radius" with ImageJ's distance map
//! ([`crate::count::fields::within_distance`]). ImageJ's map gives each pixel the distance to
//! *some* object pixel, never less than the true nearest distance, so the true Euclidean disc
//! around every object pixel holds every pixel `within_distance` marks (a superset, tested), and
//! beyond that it depends only on the object pixels within the radius: a window's dilation equals
//! the whole slide's at least the radius away from the window's border, with no propagation from
//! farther away.
//!
//! Computed without a distance map, in time linear in the pixels. A pixel (X, Y) lies within
//! the radius when some column x holds an object pixel at a vertical distance g with
//! (X − x)² + g² within the limit, and only the nearest object pixel of column x above row Y
//! and the nearest below can be that pixel. So one sweep down the rows keeps, per column, the
//! distance to the nearest object pixel at or above the row, one sweep up the same below, and
//! every column within the radius marks the interval `x ± half_width[g]` of the row.
//! The rows are split in two bands on two threads; each band reads the radius's rows beyond its
//! ends to start its sweeps.
//!
//! ```text
//! radius 1.5, object pixel in the centre:   . . . . .      . . . . .
//!                                           . . . . .      . # # # .
//!                                           . . # . .  ->  . # # # .
//!                                           . . . . .      . # # # .
//!                                           . . . . .      . . . . .
//! ```

use image::GrayImage;

use crate::morphology::OBJECT;

/// The largest squared distance `d` whose distance (`sqrt(d as f32)`, as `within_distance`
/// computes it) is at most `radius as f32`; -1 when no distance is (a negative or NaN radius).
fn squared_limit(radius: f64) -> i64 {
    let radius = radius as f32;
    if radius.is_nan() || radius < 0.0 {
        return -1;
    }
    if radius >= (1u64 << 31) as f32 {
        return i64::MAX; // beyond any image: every pixel is within it
    }
    let within = |d: i64| (d as f32).sqrt() <= radius;
    let mut limit = (f64::from(radius) * f64::from(radius)).ceil() as i64 + 2;
    while limit >= 0 && !within(limit) {
        limit -= 1;
    }
    limit
}

/// `half_widths[g]`: the largest horizontal offset `w` with `w² + g² <= limit`, for every
/// vertical distance `g` with `g² <= limit` (so the last index is the radius in whole rows).
fn half_widths(limit: i64) -> Vec<usize> {
    let mut widths = Vec::new();
    let mut width = 0i64;
    while width * width <= limit {
        width += 1;
    }
    for gap in 0i64.. {
        if gap * gap > limit {
            break;
        }
        while width * width + gap * gap > limit {
            width -= 1;
        }
        widths.push(width as usize);
    }
    widths
}

/// Rows from which the two bands run on two threads.
const PARALLEL_FROM_ROWS: usize = 256;

/// Marks in `near` the pixels of `mask` whose Euclidean distance to an object pixel of `mask`
/// is within `radius` (see the module docs); other pixels of `near` are left as they are.
/// `near` has `mask`'s size.
///
/// ```
/// use image::{GrayImage, Luma};
/// let mut mask = GrayImage::new(5, 5);
/// mask.put_pixel(2, 2, Luma([255]));
/// let mut near = GrayImage::new(5, 5);
/// hemato::slide::reach::mark_within_distance(&mask, 1.5, &mut near);
/// // The 3 × 3 square: the diagonal neighbours lie at √2 ≈ 1.41.
/// assert_eq!(near.as_raw().iter().filter(|&&value| value == 255).count(), 9);
/// assert_eq!(near.get_pixel(2, 0).0[0], 0);
/// ```
pub fn mark_within_distance(mask: &GrayImage, radius: f64, near: &mut GrayImage) {
    assert_eq!(mask.dimensions(), near.dimensions(), "same size");
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    // No two pixels of the image lie farther apart than its diagonal.
    let diagonal = (width as i64 - 1).pow(2) + (height as i64 - 1).pow(2);
    let limit = squared_limit(radius).min(diagonal);
    if width == 0 || height == 0 || limit < 0 {
        return;
    }
    let half_widths = half_widths(limit);
    let mask = mask.as_raw();
    let near = near.as_mut();
    if height < PARALLEL_FROM_ROWS {
        mark_band(mask, width, 0..height, &half_widths, near);
        return;
    }
    let middle = height / 2;
    let (top, bottom) = near.split_at_mut(middle * width);
    rayon::join(
        || mark_band(mask, width, 0..middle, &half_widths, top),
        || mark_band(mask, width, middle..height, &half_widths, bottom),
    );
}

/// Marks the rows `band` of the image (`near` holds just those rows): a sweep down that starts
/// the radius's rows above the band, and a sweep up that starts the radius's rows below it.
fn mark_band(
    mask: &[u8],
    width: usize,
    band: std::ops::Range<usize>,
    half_widths: &[usize],
    near: &mut [u8],
) {
    let height = mask.len() / width;
    let reach = half_widths.len() - 1;
    let mut gaps = vec![0u32; width];
    let mut sweep = |rows: &mut dyn Iterator<Item = usize>| {
        gaps.fill(far(reach));
        for y in rows {
            let any_near = step_gaps(&mut gaps, &mask[y * width..(y + 1) * width], reach);
            if any_near && band.contains(&y) {
                let start = (y - band.start) * width;
                mark_row(&gaps, half_widths, &mut near[start..start + width]);
            }
        }
    };
    sweep(&mut (band.start.saturating_sub(reach)..band.end));
    sweep(&mut (band.start..(band.end + reach).min(height)).rev());
}

/// The gap that stands for "no object pixel within the radius's rows".
fn far(reach: usize) -> u32 {
    u32::try_from(reach).map_or(u32::MAX, |reach| reach.saturating_add(1))
}

/// Moves the sweep one row on: `gaps[x]`, the vertical distance to the nearest object pixel of
/// column `x` seen so far (at most [`far`]), becomes 0 on an object pixel of `row` and one more
/// elsewhere. Returns whether any column now lies within the radius.
fn step_gaps(gaps: &mut [u32], row: &[u8], reach: usize) -> bool {
    let far = far(reach);
    let mut nearest = far;
    for (gap, &pixel) in gaps.iter_mut().zip(row) {
        *gap = if pixel == OBJECT {
            0
        } else {
            gap.saturating_add(1).min(far)
        };
        nearest = nearest.min(*gap);
    }
    nearest < far
}

/// Marks in `near` (one row) every pixel within the radius of a column's nearest object pixel:
/// the interval `x - half_widths[gap] ..= x + half_widths[gap]` of every column `x` with a gap
/// within the radius. The right halves are marked left to right and the left halves right to
/// left, each skipping what an earlier interval of its pass covered, so that a pixel is
/// written at most twice however many intervals hold it.
fn mark_row(gaps: &[u32], half_widths: &[usize], near: &mut [u8]) {
    let width = near.len();
    let half_width = |x: usize| half_widths.get(gaps[x] as usize).copied();
    let mut marked_to = 0; // pixels before this index are marked by the rightward pass
    for x in 0..width {
        if let Some(half) = half_width(x) {
            let end = (x + half + 1).min(width);
            let start = x.max(marked_to);
            if start < end {
                near[start..end].fill(OBJECT);
                marked_to = end;
            }
        }
    }
    let mut marked_from = width; // pixels from this index on are marked by the leftward pass
    for x in (0..width).rev() {
        if let Some(half) = half_width(x) {
            let start = x.saturating_sub(half);
            let end = (x + 1).min(marked_from);
            if start < end {
                near[start..end].fill(OBJECT);
                marked_from = start;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::fields::within_distance;
    use proptest::prelude::*;

    fn marked(mask: &GrayImage, radius: f64) -> GrayImage {
        let mut near = GrayImage::new(mask.width(), mask.height());
        mark_within_distance(mask, radius, &mut near);
        near
    }

    #[test]
    fn limits_are_the_squares_of_whole_radii() {
        assert_eq!(squared_limit(0.0), 0);
        assert_eq!(squared_limit(1.0), 1);
        assert_eq!(squared_limit(32.0), 1024);
        // √1056 = 32.496..., √1057 = 32.511...
        assert_eq!(squared_limit(32.5), 1056);
        assert_eq!(squared_limit(-1.0), -1);
    }

    #[test]
    fn a_point_grows_into_a_disc() {
        let mut mask = GrayImage::new(9, 9);
        mask.put_pixel(4, 4, image::Luma([OBJECT]));
        let near = marked(&mask, 2.0);
        // By hand: the 13 pixels with dx² + dy² <= 4.
        let expected = GrayImage::from_fn(9, 9, |x, y| {
            let (dx, dy) = (x as i64 - 4, y as i64 - 4);
            image::Luma([if dx * dx + dy * dy <= 4 { OBJECT } else { 0 }])
        });
        assert_eq!(near, expected);
        assert_eq!(near.as_raw().iter().filter(|&&v| v == OBJECT).count(), 13);
    }

    #[test]
    fn radii_beyond_the_image_mark_all_of_it() {
        let mut mask = GrayImage::new(7, 4);
        mask.put_pixel(6, 3, image::Luma([OBJECT]));
        for radius in [7.3, 1e12, f64::INFINITY] {
            assert!(marked(&mask, radius).as_raw().iter().all(|&v| v == OBJECT));
        }
        // √(6² + 3²) = 6.71: the far corner lies just beyond 6.7.
        assert_eq!(marked(&mask, 6.7).get_pixel(0, 0).0[0], 0);
        assert_eq!(squared_limit(f64::INFINITY), i64::MAX);
        assert_eq!(squared_limit(f64::NAN), -1);
    }

    #[test]
    fn empty_masks_mark_nothing() {
        assert_eq!(marked(&GrayImage::new(5, 3), 10.0), GrayImage::new(5, 3));
        assert_eq!(marked(&GrayImage::new(0, 3), 10.0), GrayImage::new(0, 3));
    }

    /// The reference: every object pixel paints, pixel by pixel, the disc of the squared limit
    /// around it.
    fn painted_discs(mask: &GrayImage, radius: f64) -> GrayImage {
        let limit = squared_limit(radius);
        let reach = (limit as f64).sqrt() as i64 + 1;
        let (width, height) = (i64::from(mask.width()), i64::from(mask.height()));
        let mut near = GrayImage::new(mask.width(), mask.height());
        for (x, y, pixel) in mask.enumerate_pixels() {
            if pixel.0[0] != OBJECT {
                continue;
            }
            let (x, y) = (i64::from(x), i64::from(y));
            for ny in (y - reach).max(0)..(y + reach + 1).min(height) {
                for nx in (x - reach).max(0)..(x + reach + 1).min(width) {
                    if (nx - x).pow(2) + (ny - y).pow(2) <= limit {
                        near.put_pixel(nx as u32, ny as u32, image::Luma([OBJECT]));
                    }
                }
            }
        }
        near
    }

    fn holds(outer: &GrayImage, inner: &GrayImage) -> bool {
        outer
            .as_raw()
            .iter()
            .zip(inner.as_raw())
            .all(|(&outer, &inner)| inner != OBJECT || outer == OBJECT)
    }

    #[test]
    fn half_widths_by_hand() {
        // Radius 2 (limit 4): rows at 0, 1, 2 pixels from a point keep 2, 1 (1 + 1 <= 4 < 4 + 1)
        // and 0 pixels on each side.
        assert_eq!(half_widths(4), vec![2, 1, 0]);
        assert_eq!(half_widths(0), vec![0]);
        // Limit 1056 (radius 32.5): 32² + 4² = 1040 <= 1056 < 33² + 0².
        assert_eq!(half_widths(1056)[4], 32);
        assert_eq!(half_widths(1056).len(), 33);
    }

    #[test]
    fn violet_pixels_of_a_field_grow_into_discs() {
        // The violet pixels of a real BCCD field at radii around the reach of its red-cell size
        // (≈ 32 px), where ImageJ's distance map is no longer exact: the discs hold everything
        // `within_distance` marks, and a few pixels more.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/smears/BloodImage_00003.jpg");
        let image = crate::io::read_rgb_image(&path).unwrap();
        let background = crate::count::stain_maps::estimate_background(&image);
        let stains = crate::count::stain_maps::PixelStains::new(&background);
        let settings = crate::count::fields::Settings::default();
        let violet = GrayImage::from_fn(image.width(), image.height(), |x, y| {
            let value = stains.violet(&image.get_pixel(x, y).0);
            image::Luma([if value > settings.nucleus_violet {
                OBJECT
            } else {
                0
            }])
        });
        assert!(violet.as_raw().contains(&OBJECT));
        for radius in [13.0, 32.0, 33.0, 47.5] {
            let discs = marked(&violet, radius);
            let imagej = within_distance(&violet, radius);
            assert!(holds(&discs, &imagej), "{radius}");
            let count = |image: &GrayImage| image.as_raw().iter().filter(|&&v| v == OBJECT).count();
            // ImageJ's candidates are at most a few pixels per thousand short of the discs.
            assert!(
                count(&discs) - count(&imagej) <= count(&discs) / 200,
                "{radius}"
            );
        }
        // Tall enough for the two bands: the field is 480 rows.
        assert!(image.height() as usize >= PARALLEL_FROM_ROWS);
        assert_eq!(marked(&violet, 32.0), painted_discs(&violet, 32.0));
    }

    proptest! {
        #[test]
        fn sparse_masks_grow_into_discs(
            width in 1u32..90,
            height in 1u32..300,
            seeds in proptest::collection::vec((0u32..90, 0u32..300), 0..12),
            radius in 0.0f64..40.0,
        ) {
            let mut mask = GrayImage::new(width, height);
            for (x, y) in seeds {
                if x < width && y < height {
                    mask.put_pixel(x, y, image::Luma([OBJECT]));
                }
            }
            let discs = marked(&mask, radius);
            prop_assert_eq!(&discs, &painted_discs(&mask, radius));
            prop_assert!(holds(&discs, &within_distance(&mask, radius)));
        }
    }
}
