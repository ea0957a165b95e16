//! Binary morphology as ImageJ's Process > Binary menu: fill holes, erode, dilate, open, close,
//! and the size filter of Analyze Particles.
//!
//! Masks are 8-bit images with objects = 255 on background = 0 (ImageJ with "Black
//! background" on). Every function here reads any non-zero pixel as object and writes only 0
//! and 255; [`check_binary`] tells a caller whether an image really is such a mask.
//!
//! | operation | ImageJ | rule |
//! | --- | --- | --- |
//! | [`fill_holes`] | Process > Binary > Fill Holes | background not 4-connected to the image border becomes object |
//! | [`erode`] | Process > Binary > Erode | an object pixel with at least `count` background neighbours (of 8) becomes background |
//! | [`dilate`] | Process > Binary > Dilate | a background pixel with at least `count` object neighbours becomes object |
//! | [`open`] | Process > Binary > Open | `iterations` erosions, then `iterations` dilations |
//! | [`close`] | Process > Binary > Close | `iterations` dilations, then `iterations` erosions |
//! | [`remove_particles_outside`] | Analyze Particles, size=min-max, show=Masks | keeps 8-connected particles whose pixel count is in range |
//!
//! Pixels outside the image count as background for erode and dilate, so erosion eats particles
//! from the image border; with [`BinaryOptions::with_pad_edges`] (ImageJ's "Pad edges when
//! eroding") they count as object for erosion instead.
//!
//! ```
//! use image::GrayImage;
//! use hemato::morphology::{erode, BinaryOptions};
//!
//! // A 3x3 square in a 5x5 image loses its 8 edge pixels, keeping the centre.
//! let square = GrayImage::from_fn(5, 5, |x, y| {
//!     image::Luma([if (1..4).contains(&x) && (1..4).contains(&y) { 255 } else { 0 }])
//! });
//! let eroded = erode(&square, &BinaryOptions::default());
//! assert_eq!(eroded.pixels().filter(|p| p.0[0] == 255).count(), 1);
//! assert_eq!(eroded.get_pixel(2, 2).0[0], 255);
//! ```

use std::ops::Range;

use image::{GrayImage, Luma};
use rayon::prelude::*;

/// Pixel value of objects in a mask.
pub const OBJECT: u8 = 255;
/// Pixel value of background in a mask.
pub const BACKGROUND: u8 = 0;

/// The "Binary Options" of ImageJ (`run("Options...", "iterations=N count=C black [pad]")`)
/// that erode, dilate, open and close use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinaryOptions {
    iterations: u32,
    count: u32,
    pad_edges: bool,
}

/// Binary options outside the ranges ImageJ accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BinaryOptionsError {
    /// ImageJ accepts 1 to 100 iterations.
    #[error("iterations must be between 1 and 100 (as in ImageJ), got {0}")]
    Iterations(u32),
    /// The count is a number of neighbours: 1 to 8.
    #[error("count must be between 1 and 8 neighbours (as in ImageJ), got {0}")]
    Count(u32),
}

impl BinaryOptions {
    /// Largest number of iterations ImageJ's Binary Options dialog accepts.
    pub const MAX_ITERATIONS: u32 = 100;

    /// Options with `iterations` (1-100) repetitions and a neighbour `count` (1-8); edges are
    /// not padded.
    pub fn new(iterations: u32, count: u32) -> Result<Self, BinaryOptionsError> {
        if !(1..=Self::MAX_ITERATIONS).contains(&iterations) {
            return Err(BinaryOptionsError::Iterations(iterations));
        }
        if !(1..=8).contains(&count) {
            return Err(BinaryOptionsError::Count(count));
        }
        Ok(Self {
            iterations,
            count,
            pad_edges: false,
        })
    }

    /// ImageJ's "Pad edges when eroding": pixels outside the image count as object when
    /// eroding, so particles touching the border are not eroded from that side.
    pub fn with_pad_edges(self, pad_edges: bool) -> Self {
        Self { pad_edges, ..self }
    }

    /// How many times erode or dilate is applied.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Number of neighbours (of 8) of the other kind needed to change a pixel.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether pixels outside the image count as object when eroding.
    pub fn pad_edges(&self) -> bool {
        self.pad_edges
    }
}

impl Default for BinaryOptions {
    /// ImageJ's defaults: 1 iteration, count 1, no edge padding.
    fn default() -> Self {
        Self {
            iterations: 1,
            count: 1,
            pad_edges: false,
        }
    }
}

/// A pixel that is neither 0 nor 255 in what should be a binary mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a binary mask: pixel ({x}, {y}) is {value}; masks hold only 0 (background) and 255 (objects)")]
pub struct NotBinaryError {
    /// Column of the first offending pixel.
    pub x: u32,
    /// Row of the first offending pixel.
    pub y: u32,
    /// Its value.
    pub value: u8,
}

/// Checks that `mask` holds only 0 and 255, as ImageJ requires of binary images.
pub fn check_binary(mask: &GrayImage) -> Result<(), NotBinaryError> {
    match mask
        .enumerate_pixels()
        .find(|(_, _, pixel)| pixel.0[0] != OBJECT && pixel.0[0] != BACKGROUND)
    {
        Some((x, y, pixel)) => Err(NotBinaryError {
            x,
            y,
            value: pixel.0[0],
        }),
        None => Ok(()),
    }
}

/// Fills holes: background regions that are not 4-connected to the image border become object,
/// as Process > Binary > Fill Holes (`ij/plugin/filter/Binary.java`, `fill`), which flood-fills
/// the background 4-connected from every border pixel and turns everything not reached into
/// object.
///
/// ```
/// use image::GrayImage;
/// // A ring with a one-pixel hole in the middle.
/// let ring = GrayImage::from_fn(3, 3, |x, y| image::Luma([if (x, y) == (1, 1) { 0 } else { 255 }]));
/// let filled = hemato::morphology::fill_holes(&ring);
/// assert!(filled.pixels().all(|p| p.0[0] == 255));
/// ```
pub fn fill_holes(mask: &GrayImage) -> GrayImage {
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    let background = Particles::of_mask(mask, Regions::Background);
    let mut outside = vec![false; background.sizes.len()];
    for (run, &region) in background.runs.iter().zip(&background.particle_of_run) {
        let (y, x) = (run.start / width, run.start % width);
        if y == 0 || y + 1 == height || x == 0 || x + run.len() == width {
            outside[region as usize] = true;
        }
    }
    // Bands of rows in parallel: object everywhere but on the band's outside runs (a run
    // never spans two rows, so it lies in one band).
    let band_len = (width * ROWS_PER_BAND).max(1);
    let mut filled = vec![BACKGROUND; width * height];
    filled
        .par_chunks_mut(band_len)
        .enumerate()
        .for_each(|(band, pixels)| {
            let offset = band * band_len;
            let end = offset + pixels.len();
            pixels.fill(OBJECT);
            let first = background.runs.partition_point(|run| run.start < offset);
            let runs = background.runs[first..].iter();
            for (run, &region) in runs.zip(&background.particle_of_run[first..]) {
                if run.start >= end {
                    break;
                }
                if outside[region as usize] {
                    pixels[run.start - offset..run.end - offset].fill(BACKGROUND);
                }
            }
        });
    GrayImage::from_raw(mask.width(), mask.height(), filled).expect("same size as the mask")
}

/// Erodes `options.iterations()` times: an object pixel with at least `options.count()`
/// background neighbours becomes background (`ij/process/ByteProcessor.java`, `filter(ERODE)`).
pub fn erode(mask: &GrayImage, options: &BinaryOptions) -> GrayImage {
    let mut bits = Bits::from_mask(mask);
    bits.repeat(Step::Erode, options);
    bits.into_mask()
}

/// Dilates `options.iterations()` times: a background pixel with at least `options.count()`
/// object neighbours becomes object (`ij/process/ByteProcessor.java`, `filter(DILATE)`).
pub fn dilate(mask: &GrayImage, options: &BinaryOptions) -> GrayImage {
    let mut bits = Bits::from_mask(mask);
    bits.repeat(Step::Dilate, options);
    bits.into_mask()
}

/// Opens: `iterations` erosions followed by `iterations` dilations, as Process > Binary > Open.
pub fn open(mask: &GrayImage, options: &BinaryOptions) -> GrayImage {
    let mut bits = Bits::from_mask(mask);
    bits.repeat(Step::Erode, options);
    bits.repeat(Step::Dilate, options);
    bits.into_mask()
}

/// Closes: `iterations` dilations followed by `iterations` erosions, as Process > Binary > Close.
pub fn close(mask: &GrayImage, options: &BinaryOptions) -> GrayImage {
    let mut bits = Bits::from_mask(mask);
    bits.repeat(Step::Dilate, options);
    bits.repeat(Step::Erode, options);
    bits.into_mask()
}

/// Keeps the 8-connected particles whose pixel count lies in `min_pixels..=max_pixels` and
/// clears all others, as Analyze Particles with `size=min-max pixel show=Masks` draws them
/// (`ij/plugin/filter/ParticleAnalyzer.java`: a particle is its 8-connected pixels, holes
/// excluded; a particle inside another's hole is a particle of its own).
///
/// ```
/// use image::GrayImage;
/// // A single pixel and a 2-pixel bar: keep particles of 2 pixels or more.
/// let mask = GrayImage::from_raw(5, 1, vec![255, 0, 255, 255, 0]).unwrap();
/// let kept = hemato::morphology::remove_particles_outside(&mask, 2, u64::MAX);
/// assert_eq!(kept.as_raw(), &vec![0, 0, 255, 255, 0]);
/// ```
pub fn remove_particles_outside(mask: &GrayImage, min_pixels: u64, max_pixels: u64) -> GrayImage {
    let particles = Particles::of_mask(mask, Regions::Objects);
    let mut kept = GrayImage::new(mask.width(), mask.height());
    let pixels: &mut [u8] = &mut kept;
    for (run, &particle) in particles.runs.iter().zip(&particles.particle_of_run) {
        if (min_pixels..=max_pixels).contains(&particles.sizes[particle as usize]) {
            pixels[run.clone()].fill(OBJECT);
        }
    }
    kept
}

/// Which pixels form regions, and how they connect: ImageJ's convention is objects (non-zero)
/// 8-connected and background (zero) 4-connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Regions {
    /// 8-connected non-zero pixels.
    Objects,
    /// 4-connected zero pixels.
    Background,
}

/// The connected regions of a binary image (8-connected particles, or 4-connected background
/// regions), as horizontal runs of pixels.
pub(crate) struct Particles {
    /// Index ranges of the runs (into the image's buffer), in raster order.
    pub runs: Vec<Range<usize>>,
    /// Particle of each run (numbered from 0 in raster order of their first pixel).
    pub particle_of_run: Vec<u32>,
    /// Pixel count of each particle.
    pub sizes: Vec<u64>,
}

impl Particles {
    /// Finds the regions of `pixels`. `rows` gives the index range of each image row in
    /// `pixels`, top to bottom; consecutive rows are `stride` apart (so padded buffers work
    /// too).
    pub fn find(
        pixels: &[u8],
        rows: impl Iterator<Item = Range<usize>>,
        stride: usize,
        regions: Regions,
    ) -> Self {
        let inside = |value: u8| (value != BACKGROUND) == (regions == Regions::Objects);
        // Diagonal contact joins objects only.
        Self::find_where(pixels, rows, stride, inside, regions == Regions::Objects)
    }

    /// Finds the regions of the pixels for which `inside` holds, 8-connected when `diagonal`,
    /// else 4-connected (rows as for [`Particles::find`]).
    pub fn find_where(
        pixels: &[u8],
        rows: impl Iterator<Item = Range<usize>>,
        stride: usize,
        inside: impl Fn(u8) -> bool + Sync,
        diagonal: bool,
    ) -> Self {
        // The runs of each band of rows in parallel, then joined in order.
        let rows: Vec<Range<usize>> = rows.collect();
        let bands: Vec<(Vec<Range<usize>>, Vec<usize>)> = rows
            .par_chunks(ROWS_PER_BAND)
            .map(|band| {
                let mut runs = Vec::new();
                let mut run_counts = Vec::with_capacity(band.len());
                for row in band {
                    push_runs(&pixels[row.clone()], row.start, &inside, &mut runs);
                    run_counts.push(runs.len());
                }
                (runs, run_counts)
            })
            .collect();
        let mut runs: Vec<Range<usize>> =
            Vec::with_capacity(bands.iter().map(|(band_runs, _)| band_runs.len()).sum());
        let mut row_starts = Vec::with_capacity(rows.len() + 1);
        row_starts.push(0);
        for (band_runs, run_counts) in bands {
            let before = runs.len();
            row_starts.extend(run_counts.iter().map(|count| before + count));
            runs.extend(band_runs);
        }
        let reach = usize::from(diagonal);
        // Union-find over runs: a run joins the runs of the row above that overlap it (or,
        // for objects, touch it diagonally).
        let mut parent: Vec<u32> = (0..runs.len() as u32).collect();
        fn root(parent: &mut [u32], mut run: u32) -> u32 {
            while parent[run as usize] != run {
                let grandparent = parent[parent[run as usize] as usize];
                parent[run as usize] = grandparent;
                run = grandparent;
            }
            run
        }
        for row in 1..row_starts.len() - 1 {
            let above = row_starts[row - 1]..row_starts[row];
            let here = row_starts[row]..row_starts[row + 1];
            let mut first_above = above.start;
            for current in here {
                // The same columns one row up.
                let start = runs[current].start - stride;
                let end = runs[current].end - stride;
                while first_above < above.end && runs[first_above].end + reach <= start {
                    first_above += 1;
                }
                let mut other = first_above;
                while other < above.end && runs[other].start < end + reach {
                    let (a, b) = (
                        root(&mut parent, current as u32),
                        root(&mut parent, other as u32),
                    );
                    if a != b {
                        parent[a.max(b) as usize] = a.min(b);
                    }
                    other += 1;
                }
            }
        }
        let mut particle_of_root = vec![u32::MAX; runs.len()];
        let mut particle_of_run = Vec::with_capacity(runs.len());
        let mut sizes = Vec::new();
        for (run, range) in runs.iter().enumerate() {
            let top = root(&mut parent, run as u32) as usize;
            if particle_of_root[top] == u32::MAX {
                particle_of_root[top] = sizes.len() as u32;
                sizes.push(0);
            }
            let particle = particle_of_root[top];
            particle_of_run.push(particle);
            sizes[particle as usize] += range.len() as u64;
        }
        Self {
            runs,
            particle_of_run,
            sizes,
        }
    }

    /// The regions of an unpadded mask.
    pub fn of_mask(mask: &GrayImage, regions: Regions) -> Self {
        let width = mask.width() as usize;
        let rows = (0..mask.height() as usize).map(|y| y * width..(y + 1) * width);
        Self::find(mask.as_raw(), rows, width, regions)
    }
}

/// Rows per parallel task when runs are collected.
const ROWS_PER_BAND: usize = 64;

/// Appends the runs of `values` (one row starting at buffer index `start`) where `inside` holds.
fn push_runs(
    values: &[u8],
    start: usize,
    inside: &impl Fn(u8) -> bool,
    runs: &mut Vec<Range<usize>>,
) {
    let mut x = 0;
    while x < values.len() {
        if !inside(values[x]) {
            x += 1;
            continue;
        }
        let run_start = x;
        while x < values.len() && inside(values[x]) {
            x += 1;
        }
        runs.push(start + run_start..start + x);
    }
}

/// One 3x3 neighbour-count step of ImageJ's binary filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Erode,
    Dilate,
}

/// A mask as 0/1 bytes with one extra pixel all round, so that every image pixel has eight
/// neighbours in memory; the extra pixels hold what ImageJ assumes outside the image.
struct Bits {
    width: usize,
    height: usize,
    data: Vec<u8>,
    spare: Vec<u8>,
}

impl Bits {
    fn from_mask(mask: &GrayImage) -> Self {
        let (width, height) = (mask.width() as usize, mask.height() as usize);
        let stride = width + 2;
        let mut data = vec![0u8; stride * (height + 2)];
        for (y, row) in mask.as_raw().chunks_exact(width.max(1)).enumerate() {
            let start = (y + 1) * stride + 1;
            for (bit, &pixel) in data[start..start + width].iter_mut().zip(row) {
                *bit = u8::from(pixel != BACKGROUND);
            }
        }
        let spare = data.clone();
        Self {
            width,
            height,
            data,
            spare,
        }
    }

    fn into_mask(self) -> GrayImage {
        let stride = self.width + 2;
        let mut pixels = Vec::with_capacity(self.width * self.height);
        for y in 0..self.height {
            let start = (y + 1) * stride + 1;
            pixels.extend(self.data[start..start + self.width].iter().map(|&bit| {
                if bit == 1 {
                    OBJECT
                } else {
                    BACKGROUND
                }
            }));
        }
        GrayImage::from_raw(self.width as u32, self.height as u32, pixels)
            .expect("same size as the mask")
    }

    /// Sets the one-pixel frame around the image to `value`.
    fn set_frame(&mut self, value: u8) {
        let stride = self.width + 2;
        let rows = self.height + 2;
        self.data[..stride].fill(value);
        self.data[(rows - 1) * stride..].fill(value);
        for y in 1..rows - 1 {
            self.data[y * stride] = value;
            self.data[y * stride + stride - 1] = value;
        }
    }

    fn repeat(&mut self, step: Step, options: &BinaryOptions) {
        // ByteProcessor.filterEdge: outside pixels are background, except when eroding with
        // Prefs.padEdges, where they are foreground.
        let outside = u8::from(step == Step::Erode && options.pad_edges);
        self.set_frame(outside);
        for _ in 0..options.iterations {
            self.apply(step, options.count as u8);
        }
    }

    /// One erosion or dilation; every output pixel depends only on the input, so rows are
    /// computed in parallel with identical results for any number of threads.
    fn apply(&mut self, step: Step, count: u8) {
        let (width, height) = (self.width, self.height);
        if width == 0 || height == 0 {
            return;
        }
        let stride = width + 2;
        self.spare.copy_from_slice(&self.data);
        let input = &self.spare;
        self.data[stride..stride * (height + 1)]
            .par_chunks_mut(stride)
            .enumerate()
            .for_each(|(y, output)| {
                let above = &input[y * stride..(y + 1) * stride];
                let centre = &input[(y + 1) * stride..(y + 2) * stride];
                let below = &input[(y + 2) * stride..(y + 3) * stride];
                for x in 0..width {
                    let neighbours = above[x]
                        + above[x + 1]
                        + above[x + 2]
                        + centre[x]
                        + centre[x + 2]
                        + below[x]
                        + below[x + 1]
                        + below[x + 2];
                    let pixel = centre[x + 1];
                    output[x + 1] = match step {
                        Step::Erode => u8::from(pixel == 1 && 8 - neighbours < count),
                        Step::Dilate => u8::from(pixel == 1 || neighbours >= count),
                    };
                }
            });
    }
}

/// Turns a 0/1 image into a mask (used by tests and benches to build inputs).
#[doc(hidden)]
pub fn mask_from_fn(
    width: u32,
    height: u32,
    mut object: impl FnMut(u32, u32) -> bool,
) -> GrayImage {
    GrayImage::from_fn(width, height, |x, y| {
        Luma([if object(x, y) { OBJECT } else { BACKGROUND }])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(width: u32, rows: &[&str]) -> GrayImage {
        let pixels: Vec<u8> = rows
            .iter()
            .flat_map(|row| row.bytes().map(|c| if c == b'#' { 255 } else { 0 }))
            .collect();
        GrayImage::from_raw(width, rows.len() as u32, pixels).unwrap()
    }

    fn rows(mask: &GrayImage) -> Vec<String> {
        mask.rows()
            .map(|row| row.map(|p| if p.0[0] == 255 { '#' } else { '.' }).collect())
            .collect()
    }

    #[test]
    fn options_are_checked_like_imagej() {
        assert_eq!(
            BinaryOptions::new(0, 1),
            Err(BinaryOptionsError::Iterations(0))
        );
        assert_eq!(
            BinaryOptions::new(101, 1),
            Err(BinaryOptionsError::Iterations(101))
        );
        assert_eq!(BinaryOptions::new(1, 0), Err(BinaryOptionsError::Count(0)));
        assert_eq!(BinaryOptions::new(1, 9), Err(BinaryOptionsError::Count(9)));
        assert_eq!(BinaryOptions::new(1, 1).unwrap(), BinaryOptions::default());
    }

    #[test]
    fn erosion_counts_outside_pixels_as_background_unless_padded() {
        let full = mask(3, &["###", "###", "###"]);
        // Hand-computed: without padding only the centre has no background neighbour.
        assert_eq!(
            rows(&erode(&full, &BinaryOptions::default())),
            ["...", ".#.", "..."]
        );
        let padded = BinaryOptions::default().with_pad_edges(true);
        assert_eq!(rows(&erode(&full, &padded)), ["###", "###", "###"]);
    }

    #[test]
    fn count_needs_that_many_neighbours() {
        let plus = mask(5, &[".....", "..#..", ".###.", "..#..", "....."]);
        // Hand count: each background corner of the 3x3 box touches 3 object pixels, every
        // other background pixel at most 1.
        let options = BinaryOptions::new(1, 3).unwrap();
        assert_eq!(
            rows(&dilate(&plus, &options)),
            [".....", ".###.", ".###.", ".###.", "....."]
        );
        let options = BinaryOptions::new(1, 4).unwrap();
        assert_eq!(rows(&dilate(&plus, &options)), rows(&plus));
        let options = BinaryOptions::new(1, 6).unwrap();
        // Arm tips have 5 background neighbours of 8: not eroded with count 6; centre has 4.
        assert_eq!(rows(&erode(&plus, &options)), rows(&plus));
        let options = BinaryOptions::new(1, 5).unwrap();
        assert_eq!(
            rows(&erode(&plus, &options)),
            [".....", ".....", "..#..", ".....", "....."]
        );
    }

    #[test]
    fn fill_holes_keeps_border_connected_background() {
        let shape = mask(
            6,
            &[
                "######", //
                "#..#.#", //
                "####.#", //
                "#.##..", //
                "######",
            ],
        );
        // The two-pixel hole and the single hole are filled; the notch open to the right
        // border (4-connected to it) is not.
        assert_eq!(
            rows(&fill_holes(&shape)),
            ["######", "####.#", "####.#", "####..", "######"]
        );
    }

    #[test]
    fn diagonal_gaps_do_not_close_a_hole() {
        // Background is 4-connected: the centre cannot leak out through the diagonal gaps.
        let diamond = mask(3, &[".#.", "#.#", ".#."]);
        assert_eq!(rows(&fill_holes(&diamond)), [".#.", "###", ".#."]);
    }

    #[test]
    fn particles_are_8_connected() {
        let shape = mask(5, &["#...#", ".#..#", "..#..", ".....", "##..#"]);
        let particles = Particles::of_mask(&shape, Regions::Objects);
        // Hand count: {(0,0),(1,1),(2,2)} = 3, {(4,0),(4,1)} = 2, {(0,4),(1,4)} = 2, {(4,4)} = 1.
        assert_eq!(particles.sizes, vec![3, 2, 2, 1]);
        let kept = remove_particles_outside(&shape, 2, 2);
        assert_eq!(rows(&kept), [("....#"), "....#", ".....", ".....", "##..."]);
    }

    #[test]
    fn degenerate_images_do_not_panic() {
        let options = BinaryOptions::new(3, 2).unwrap();
        for (width, height) in [(0, 0), (0, 3), (3, 0), (1, 1), (1, 4), (4, 1), (2, 2)] {
            for value in [0u8, 255] {
                let image = GrayImage::from_pixel(width, height, Luma([value]));
                for result in [
                    fill_holes(&image),
                    erode(&image, &options),
                    dilate(&image, &options),
                    open(&image, &options),
                    close(&image, &options),
                    remove_particles_outside(&image, 1, 10),
                ] {
                    assert_eq!(result.dimensions(), (width, height));
                }
            }
        }
    }

    #[test]
    fn check_binary_names_the_first_bad_pixel() {
        let mut image = GrayImage::from_pixel(3, 2, Luma([255]));
        assert!(check_binary(&image).is_ok());
        image.put_pixel(2, 1, Luma([7]));
        assert_eq!(
            check_binary(&image),
            Err(NotBinaryError {
                x: 2,
                y: 1,
                value: 7
            })
        );
    }
}
