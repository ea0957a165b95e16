//! The pixels within a distance of a mask's object pixels, decided exactly as
//! [`crate::count::fields::within_distance`] decides them (ImageJ's distance map of the
//! background, then `distance <= radius`), without the distance map.
//!
//! `within_distance` inverts the mask, runs ImageJ's Euclidean distance map over it
//! ([`crate::edm`], `makeFloatEDM`: four passes that each propagate a candidate nearest object
//! point from three neighbours) into a plane of `f32`, takes square roots and compares. On every
//! window of a slide that was about 7 % of a count run (and five planes of the window's size).
//! Here the same four passes run with the same candidates and the same tie-breaking, and each
//! pass marks the pixels whose squared distance is at most `squared_limit` of the radius:
//! `sqrt(d as f32) <= radius as f32` is monotonic in `d`, and the smallest of the four passes is
//! within the radius exactly when one of them is. The two vertical sweeps run on two threads.
//! `tests` checks the result against `within_distance` pixel for pixel.

use image::GrayImage;

use crate::edm::{nearest_seed_pass, Point, NO_POINT};
use crate::morphology::OBJECT;

/// The largest squared distance `d` whose distance map value (`sqrt(d as f32)`, as
/// `within_distance` computes it) is at most `radius as f32`.
fn squared_limit(radius: f64) -> i64 {
    let radius = radius as f32;
    if radius.is_nan() || radius < 0.0 {
        return -1;
    }
    let within = |d: i64| (d as f32).sqrt() <= radius;
    let mut limit = (f64::from(radius) * f64::from(radius)).ceil() as i64 + 2;
    while limit >= 0 && !within(limit) {
        limit -= 1;
    }
    limit
}

/// Marks in `near` the pixels of `mask` within `radius` of an object pixel of `mask`, as
/// [`crate::count::fields::within_distance`] (see the module docs); other pixels of `near`
/// are left as they are. `near` has `mask`'s size.
pub fn mark_within_distance(mask: &GrayImage, radius: f64, near: &mut GrayImage) {
    assert_eq!(mask.dimensions(), near.dimensions(), "same size");
    let limit = squared_limit(radius);
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    if width == 0 || height == 0 || limit < 0 {
        return;
    }
    let mut upwards = vec![0u8; width * height];
    rayon::join(
        || sweep(mask.as_raw(), width, Vertical::Down, limit, near.as_mut()),
        || sweep(mask.as_raw(), width, Vertical::Up, limit, &mut upwards),
    );
    for ((near, up), &pixel) in near.as_mut().iter_mut().zip(upwards).zip(mask.as_raw()) {
        if up == OBJECT || pixel == OBJECT {
            *near = OBJECT;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vertical {
    Down,
    Up,
}

/// One vertical sweep (ImageJ's passes 1-2 or 3-4): for each row in order, a left-to-right and
/// a right-to-left pass, each with its own candidates per column; marks `OBJECT` in `near` where
/// a pass finds a squared distance within `limit` (the object pixels, at distance 0, are
/// marked by [`mark_within_distance`]).
fn sweep(mask: &[u8], width: usize, vertical: Vertical, limit: i64, near: &mut [u8]) {
    let height = mask.len() / width;
    let mut left_to_right = vec![NO_POINT; width];
    let mut right_to_left = vec![NO_POINT; width];
    let mut line = |y: usize| {
        let rows = y * width..(y + 1) * width;
        let (row, out) = (&mask[rows.clone()], &mut near[rows]);
        line_pass(row, out, &mut left_to_right, y, 0..width, limit);
        line_pass(row, out, &mut right_to_left, y, (0..width).rev(), limit);
    };
    match vertical {
        Vertical::Down => (0..height).for_each(&mut line),
        Vertical::Up => (0..height).rev().for_each(&mut line),
    }
}

/// One horizontal pass over a row ([`nearest_seed_pass`] with the object pixels as seeds):
/// marks the pixels within `limit` (the seeds themselves are marked by
/// [`mark_within_distance`]).
#[inline]
fn line_pass(
    row: &[u8],
    near: &mut [u8],
    nearest: &mut [Point],
    y: usize,
    columns: impl Iterator<Item = usize>,
    limit: i64,
) {
    nearest_seed_pass(row, OBJECT, nearest, y, columns, |x, distance| {
        if distance <= limit {
            near[x] = OBJECT;
        }
    });
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
    fn empty_masks_mark_nothing() {
        assert_eq!(marked(&GrayImage::new(5, 3), 10.0), GrayImage::new(5, 3));
        assert_eq!(marked(&GrayImage::new(0, 3), 10.0), GrayImage::new(0, 3));
    }

    #[test]
    fn violet_pixels_of_a_field_grow_as_within_distance() {
        // The violet pixels of a real BCCD field at the reach of its red-cell size (≈ 32 px),
        // where ImageJ's distance map is no longer exact: the passes must match to the pixel.
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
            assert_eq!(
                marked(&violet, radius),
                within_distance(&violet, radius),
                "{radius}"
            );
        }
    }

    proptest! {
        #[test]
        fn sparse_masks_grow_as_within_distance(
            width in 1u32..90,
            height in 1u32..90,
            seeds in proptest::collection::vec((0u32..90, 0u32..90), 0..12),
            radius in 0.0f64..40.0,
        ) {
            let mut mask = GrayImage::new(width, height);
            for (x, y) in seeds {
                if x < width && y < height {
                    mask.put_pixel(x, y, image::Luma([OBJECT]));
                }
            }
            prop_assert_eq!(marked(&mask, radius), within_distance(&mask, radius));
        }
    }
}
