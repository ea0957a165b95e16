//! Euclidean distance map of a binary mask, exactly as ImageJ's Process > Binary > Distance Map
//! with 32-bit output (`ij/plugin/filter/EDM.java`, `makeFloatEDM`).
//!
//! Every object pixel gets the distance to the nearest background pixel; background pixels get
//! 0. Pixels outside the image are *not* background, so a particle touching the border is as
//! deep there as its interior allows.
//!
//! ImageJ does not compute the exact Euclidean distance transform: it propagates, for each
//! pixel, a candidate nearest background point from three already visited neighbours, in four
//! sweeps (top-down left-to-right and right-to-left, then bottom-up both ways), and keeps the
//! smallest squared distance found. The result is exact below a distance of about 13 and may
//! be up to ~0.09 short beyond. hemato runs the same sweeps with the same tie-breaking, so its
//! map equals ImageJ's to the last bit (tested against ImageJ on real and synthetic masks).
//!
//! An image without any background pixel has no distance to measure; ImageJ then gives every
//! pixel √(2³¹ − 1) ≈ 46340.95, its "no background found" value, and so does hemato.
//!
//! ```
//! use image::GrayImage;
//! // A 5x1 bar inside a 7x3 frame of background.
//! let mask = GrayImage::from_fn(7, 3, |x, y| image::Luma([if y == 1 && (1..6).contains(&x) { 255 } else { 0 }]));
//! let edm = hemato::edm::distance_map(&mask);
//! assert_eq!(edm.get_pixel(3, 1).0[0], 1.0);
//! assert_eq!(edm.get_pixel(0, 0).0[0], 0.0);
//! ```

use image::GrayImage;
use rayon::prelude::*;

use crate::io::FloatImage;

/// Squared distance ImageJ assigns when no background point has been seen: `Integer.MAX_VALUE`.
const NO_DISTANCE: i64 = i32::MAX as i64;

/// A candidate nearest background point, `x` in the low and `y` in the high 32 bits.
type Point = u64;

/// "No candidate yet" (ImageJ's `NO_POINT`): a point so far to the right of every image that its
/// squared distance to any pixel is at least [`NO_DISTANCE`], so it never wins a comparison and
/// needs no test of its own (images are narrower than 2²⁹ pixels: [`distance_map`] checks).
const NO_POINT: Point = 1 << 30;

fn point(x: usize, y: usize) -> Point {
    x as u64 | (y as u64) << 32
}

fn squared_distance(candidate: Point, x: usize, y: usize) -> i64 {
    let dx = (candidate & 0xffff_ffff) as i64 - x as i64;
    let dy = (candidate >> 32) as i64 - y as i64;
    dx * dx + dy * dy
}

/// Pixel count from which the two vertical sweeps run on two threads (below it, one buffer is
/// swept twice in place: for the many small crops of per-particle work, fewer and smaller
/// allocations count more than a second thread).
const PARALLEL_SWEEPS_FROM: usize = 1 << 18;

/// Sides of a distance map must be below this many pixels (squared distances are 64-bit,
/// positions packed in 32 bits per axis with room for the sentinel).
pub const MAX_SIDE: u32 = 1 << 29;

/// Whether a `width` x `height` mask is small enough for [`distance_map`].
pub fn side_fits(width: u32, height: u32) -> bool {
    width < MAX_SIDE && height < MAX_SIDE
}

/// The 32-bit Euclidean distance map of `mask` (non-zero = object), as ImageJ's Distance Map.
///
/// The two vertical sweeps are independent and run in parallel on large images; the result is
/// the same for any number of threads.
///
/// # Panics
///
/// When the mask is [`MAX_SIDE`] or more pixels wide or high (callers check with
/// [`side_fits`]; `hemato` refuses such images before they get here).
pub fn distance_map(mask: &GrayImage) -> FloatImage {
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    assert!(
        side_fits(mask.width(), mask.height()),
        "distance map of a {width}x{height} image: sides must be below 2^29 pixels"
    );
    let two_buffers = mask.len() >= PARALLEL_SWEEPS_FROM;
    let distances = squared_sweeps(mask, two_buffers);
    FloatImage::from_raw(mask.width(), mask.height(), distances).expect("same size as the mask")
}

/// Where image row y of a map lies in its buffer: `origin + y · stride`, `width` values.
#[derive(Debug, Clone, Copy)]
struct Layout {
    origin: usize,
    stride: usize,
    width: usize,
    height: usize,
}

impl Layout {
    /// Rows one after the other, as in an image.
    fn plain(width: usize, height: usize) -> Self {
        Self {
            origin: 0,
            stride: width,
            width,
            height,
        }
    }

    /// One pixel of frame all round (the watershed's layout).
    fn padded(width: usize, height: usize) -> Self {
        Self {
            origin: width + 3,
            stride: width + 2,
            width,
            height,
        }
    }

    fn len(&self) -> usize {
        match self.origin {
            0 => self.stride * self.height,
            _ => self.stride * (self.height + 2),
        }
    }

    fn row(&self, y: usize) -> std::ops::Range<usize> {
        let start = self.origin + y * self.stride;
        start..start + self.width
    }
}

/// The distance map of a large mask laid out with one pixel of 0 all round (rows of
/// `width + 2` values, image row y at row y + 1, column x at column x + 1: the watershed's
/// layout, so that no copy of the whole map is needed), and, when the sweeps ran on two
/// threads, the second sweep's buffer: same layout, frame 0, inside meaningless, free for the
/// caller to reuse (the watershed's ridge heights).
///
/// # Panics
///
/// As [`distance_map`].
pub(crate) fn padded_distance_map(mask: &GrayImage) -> (Vec<f32>, Option<Vec<f32>>) {
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    assert!(
        side_fits(mask.width(), mask.height()),
        "distance map of a {width}x{height} image: sides must be below 2^29 pixels"
    );
    let layout = Layout::padded(width, height);
    if width == 0 || height == 0 {
        return (vec![0f32; layout.len()], None);
    }
    let (mut distances, spare) =
        squared_sweeps_into(mask, layout, mask.len() >= PARALLEL_SWEEPS_FROM);
    let pixels = mask.as_raw();
    let rows = distances[layout.origin..]
        .par_chunks_mut(layout.stride)
        .take(height)
        .enumerate();
    match &spare {
        Some(other) => rows.for_each(|(y, row)| {
            let others = &other[layout.row(y)];
            let image_row = &pixels[y * width..(y + 1) * width];
            for ((distance, &other), &pixel) in row[..width].iter_mut().zip(others).zip(image_row) {
                *distance = distance_of(pixel, *distance, other);
            }
        }),
        None => rows.for_each(|(y, row)| {
            let image_row = &pixels[y * width..(y + 1) * width];
            for (distance, &pixel) in row[..width].iter_mut().zip(image_row) {
                *distance = distance_of(pixel, *distance, f32::MAX);
            }
        }),
    }
    (distances, spare)
}

/// The smallest squared distances of the four passes, in `layout`: in one buffer (both
/// vertical sweeps one after the other), or, with `two_buffers`, the two vertical sweeps on two
/// threads, each into its own buffer (the smaller of the two is the same value). Entries
/// outside the layout's rows stay 0.
fn squared_sweeps_into(
    mask: &GrayImage,
    layout: Layout,
    two_buffers: bool,
) -> (Vec<f32>, Option<Vec<f32>>) {
    let pixels = mask.as_raw();
    if !two_buffers {
        let mut squared = vec![0f32; layout.len()];
        sweep(
            pixels,
            layout,
            Vertical::Down,
            &mut squared,
            Keep::Overwrite,
        );
        sweep(pixels, layout, Vertical::Up, &mut squared, Keep::Smaller);
        (squared, None)
    } else {
        let (mut downwards, mut upwards) = (vec![0f32; layout.len()], vec![0f32; layout.len()]);
        rayon::join(
            || {
                sweep(
                    pixels,
                    layout,
                    Vertical::Down,
                    &mut downwards,
                    Keep::Overwrite,
                )
            },
            || sweep(pixels, layout, Vertical::Up, &mut upwards, Keep::Overwrite),
        );
        (downwards, Some(upwards))
    }
}

/// The distances of [`distance_map`]: the four passes in one buffer, or the two vertical sweeps
/// on two threads, each into its own buffer (same result).
fn squared_sweeps(mask: &GrayImage, two_buffers: bool) -> Vec<f32> {
    let pixels = mask.as_raw();
    let layout = Layout::plain(mask.width() as usize, mask.height() as usize);
    match squared_sweeps_into(mask, layout, two_buffers) {
        (mut squared, None) => {
            for (distance, &pixel) in squared.iter_mut().zip(pixels) {
                *distance = distance_of(pixel, *distance, f32::MAX);
            }
            squared
        }
        (mut downwards, Some(upwards)) => {
            downwards
                .par_iter_mut()
                .zip(upwards.par_iter())
                .zip(pixels.par_iter())
                .for_each(|((distance, &other), &pixel)| {
                    *distance = distance_of(pixel, *distance, other);
                });
            downwards
        }
    }
}

/// The distance of a pixel from the smallest squared distances of the sweeps
/// (`FloatProcessor.sqrt`: values <= 0 become 0; background is 0).
#[inline]
fn distance_of(pixel: u8, squared: f32, other: f32) -> f32 {
    if pixel == 0 || squared <= 0.0 {
        0.0
    } else {
        squared.min(other).sqrt()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vertical {
    Down,
    Up,
}

/// How a sweep's first row pass stores its squared distances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Into a fresh buffer (background entries are never read).
    Overwrite,
    /// Into a buffer another sweep filled: keep the smaller.
    Smaller,
}

/// One vertical sweep of ImageJ's EDM (`makeFloatEDM`, passes 1-2 or 3-4): for each row in
/// order, a left-to-right and a right-to-left pass (`edmLine`). Stores, for every object pixel,
/// the smallest squared distance found (as f32, like ImageJ's float pixels; converting the
/// integer distances is monotonic, so the smallest float is the float of the smallest).
fn sweep(pixels: &[u8], layout: Layout, vertical: Vertical, squared: &mut [f32], keep: Keep) {
    let width = layout.width;
    let mut left_to_right = vec![NO_POINT; width];
    let mut right_to_left = vec![NO_POINT; width];
    let mut line = |y: usize| {
        let row = &pixels[y * width..(y + 1) * width];
        let out = &mut squared[layout.row(y)];
        match keep {
            Keep::Overwrite => line_pass(row, out, &mut left_to_right, y, 0..width, |old, new| {
                *old = new
            }),
            Keep::Smaller => line_pass(row, out, &mut left_to_right, y, 0..width, keep_smaller),
        }
        line_pass(
            row,
            out,
            &mut right_to_left,
            y,
            (0..width).rev(),
            keep_smaller,
        );
    };
    match vertical {
        Vertical::Down => (0..layout.height).for_each(&mut line),
        Vertical::Up => (0..layout.height).rev().for_each(&mut line),
    }
}

#[inline]
fn keep_smaller(old: &mut f32, new: f32) {
    if *old > new {
        *old = new;
    }
}

/// One horizontal pass over a row (half of ImageJ's `edmLine`). `nearest[x]` holds the nearest
/// background point found so far for column `x` in this pass direction; `previous` is the
/// point of the pixel just visited in this row and `diagonal` that of the previous row.
/// `keep` stores a squared distance: the first pass of a row overwrites, the others keep the
/// smaller (ImageJ starts from `Float.MAX_VALUE` and keeps the smaller every time, which is the
/// same since every pass finds a distance for every object pixel).
#[inline]
fn line_pass(
    row: &[u8],
    squared: &mut [f32],
    nearest: &mut [Point],
    y: usize,
    columns: impl Iterator<Item = usize>,
    keep: impl Fn(&mut f32, f32),
) {
    let mut previous = NO_POINT;
    let mut diagonal = NO_POINT;
    for x in columns {
        let next_diagonal = nearest[x];
        if row[x] == 0 {
            nearest[x] = point(x, y);
        } else {
            let distance = nearest_of_three(&mut nearest[x], previous, diagonal, x, y) as f32;
            keep(&mut squared[x], distance);
        }
        previous = nearest[x];
        diagonal = next_diagonal;
    }
}

/// ImageJ's `minDist2`: the smallest squared distance from (x, y) to the candidates of the pixel
/// above, the diagonal pixel and the previous pixel, in that order of preference (a later one
/// wins only when strictly nearer, so a candidate equal to an earlier one never wins), updating
/// `above` to the winning point. [`NO_POINT`] is farther than [`NO_DISTANCE`] and never wins.
/// A candidate that is the best point so far (neighbours mostly share their nearest
/// background point) cannot be strictly nearer, so its distance is not computed: the same
/// result with 11 % fewer instructions in the sweeps (callgrind, 1 MP mask).
#[inline]
fn nearest_of_three(
    above: &mut Point,
    previous: Point,
    diagonal: Point,
    x: usize,
    y: usize,
) -> i64 {
    let mut best_point = *above;
    let mut best = NO_DISTANCE.min(squared_distance(best_point, x, y));
    if diagonal != best_point {
        let distance = squared_distance(diagonal, x, y);
        if distance < best {
            best_point = diagonal;
            best = distance;
        }
    }
    if previous != best_point {
        let distance = squared_distance(previous, x, y);
        if distance < best {
            best_point = previous;
            best = distance;
        }
    }
    *above = best_point;
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    fn exact_distance_transform(mask: &GrayImage) -> Vec<f64> {
        let background: Vec<(i64, i64)> = mask
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0[0] == 0)
            .map(|(x, y, _)| (x as i64, y as i64))
            .collect();
        mask.enumerate_pixels()
            .map(|(x, y, p)| {
                if p.0[0] == 0 {
                    return 0.0;
                }
                background
                    .iter()
                    .map(|&(bx, by)| ((bx - x as i64).pow(2) + (by - y as i64).pow(2)) as f64)
                    .fold(f64::MAX, f64::min)
                    .sqrt()
            })
            .collect()
    }

    #[test]
    fn small_distances_are_exact() {
        // ImageJ's EDM is exact below ~13 (EDM.java): a disc of radius 10 must match brute force.
        let mask = GrayImage::from_fn(25, 23, |x, y| {
            let (dx, dy) = (x as i32 - 12, y as i32 - 11);
            Luma([if dx * dx + dy * dy <= 100 { 255 } else { 0 }])
        });
        let edm = distance_map(&mask);
        for (value, exact) in edm.as_raw().iter().zip(exact_distance_transform(&mask)) {
            assert!((*value as f64 - exact).abs() < 1e-6, "{value} vs {exact}");
        }
    }

    #[test]
    fn image_border_is_not_background() {
        // A 1x4 column of objects touching both ends: only the bottom pixel is background.
        let mask = GrayImage::from_raw(1, 4, vec![255, 255, 255, 0]).unwrap();
        assert_eq!(distance_map(&mask).as_raw(), &vec![3.0, 2.0, 1.0, 0.0]);
    }

    #[test]
    fn no_background_gives_imagej_sentinel() {
        let mask = GrayImage::from_pixel(3, 2, Luma([255]));
        let expected = (i32::MAX as f32).sqrt();
        assert!(distance_map(&mask).pixels().all(|p| p.0[0] == expected));
        assert!((expected - 46340.95).abs() < 0.01);
    }

    #[test]
    fn in_place_and_parallel_sweeps_agree() {
        let mask = GrayImage::from_fn(600, 500, |x, y| {
            let hash = (x * x * 3 + y * y * 5 + x * y) % 97;
            Luma([if hash < 80 && (x + 2 * y) % 61 != 0 {
                255
            } else {
                0
            }])
        });
        let bits = |map: Vec<f32>| map.iter().map(|d| d.to_bits()).collect::<Vec<_>>();
        let in_place = bits(squared_sweeps(&mask, false));
        assert_eq!(in_place, bits(squared_sweeps(&mask, true)));
        assert!(in_place.iter().any(|&d| f32::from_bits(d) > 3.0));
        // distance_map takes the two-buffer path for this size.
        assert!(mask.len() >= PARALLEL_SWEEPS_FROM);
        assert_eq!(in_place, bits(distance_map(&mask).into_raw()));
        // The padded layout holds the same values, with a frame of 0.
        let (width, height) = (600, 500);
        let (padded, spare) = padded_distance_map(&mask);
        assert!(spare.is_some());
        assert_eq!(padded.len(), (width + 2) * (height + 2));
        for y in 0..height + 2 {
            for x in 0..width + 2 {
                let value = padded[y * (width + 2) + x].to_bits();
                let inside = (1..=width).contains(&x) && (1..=height).contains(&y);
                let expected = if inside {
                    in_place[(y - 1) * width + x - 1]
                } else {
                    0
                };
                assert_eq!(value, expected, "({x}, {y})");
            }
        }
        let small =
            GrayImage::from_fn(30, 20, |x, y| Luma([if (x * y) % 7 < 5 { 255 } else { 0 }]));
        let unpadded = bits(distance_map(&small).into_raw());
        let padded: Vec<u32> = bits(padded_distance_map(&small).0)
            .chunks(32)
            .skip(1)
            .take(20)
            .flat_map(|row| row[1..31].to_vec())
            .collect();
        assert_eq!(unpadded, padded);
    }

    #[test]
    fn empty_images() {
        for (width, height) in [(0, 0), (0, 5), (5, 0)] {
            let edm = distance_map(&GrayImage::new(width, height));
            assert_eq!(edm.dimensions(), (width, height));
        }
        let edm = distance_map(&GrayImage::new(4, 4));
        assert!(edm.pixels().all(|p| p.0[0] == 0.0));
    }
}
