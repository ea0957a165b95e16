//! The downscaled overview of a slide, with cells drawn in their class colours.
//!
//! The overview is the slide shrunk by a whole factor `scale` (the smallest that makes its longer
//! side at most [`OVERVIEW_SIZE`] pixels): each overview pixel is the mean colour of the
//! `scale` × `scale` slide pixels it covers (fewer at the right and bottom borders). Tiles add
//! exact integer sums for the overview pixels their core shares with other cores, and the final
//! colour of those it covers whole ([`OverviewBlock`]), so the picture does not depend on the
//! tiling. Cells are then drawn as filled discs of half their
//! equivalent radius (at least one overview pixel) in the colour of their class, so the slide
//! stays visible between them.

use std::collections::HashMap;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::tiles::Rect;
use crate::count::{overlay, CellClass};

/// Longest side of an overview, in pixels.
pub const OVERVIEW_SIZE: u32 = 2048;

/// Colour of cells of a class without a colour of its own (a custom analysis's classes).
const OTHER_CLASS: [u8; 3] = [90, 90, 90];

/// The overview colour of the class called `name`: the colour `hemato count`'s overlays give
/// it ([`crate::count::overlay::class_colour`]; `wbc`, a white cell without a subtype, is
/// white), so a slide's overview and a field's overlay read the same way.
pub fn class_colour(name: &str) -> [u8; 3] {
    match CellClass::from_name(name) {
        Some(class) => overlay::class_colour(Some(class)).0,
        None if name == "wbc" => overlay::class_colour(None).0,
        None => OTHER_CLASS,
    }
}

/// Size of a slide's overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewGeometry {
    /// Width of the slide.
    pub slide_width: u32,
    /// Height of the slide.
    pub slide_height: u32,
    /// Slide pixels per overview pixel, in each direction.
    pub scale: u32,
    /// Overview width.
    pub width: u32,
    /// Overview height.
    pub height: u32,
}

impl OverviewGeometry {
    /// The overview of a `width` × `height` slide.
    ///
    /// ```
    /// use hemato::slide::overview::OverviewGeometry;
    /// let geometry = OverviewGeometry::new(100_000, 40_000);
    /// assert_eq!((geometry.scale, geometry.width, geometry.height), (49, 2041, 817));
    /// ```
    pub fn new(width: u32, height: u32) -> OverviewGeometry {
        let scale = width.max(height).div_ceil(OVERVIEW_SIZE).max(1);
        OverviewGeometry {
            slide_width: width,
            slide_height: height,
            scale,
            width: width.div_ceil(scale),
            height: height.div_ceil(scale),
        }
    }
}

/// What one tile core contributes to the overview: the overview pixels it touches.
///
/// An overview pixel whose slide pixels all lie in the core is final: the block holds its mean
/// colour. A pixel the core covers only in part (where the core's edge does not fall on a
/// multiple of the scale) is shared with the neighbouring cores: the block holds the exact sums
/// of its share, which [`Overview`] adds up over the tiles before dividing. Only a thin frame of
/// pixels is ever shared, so a block is about a quarter of the size of one with sums for every
/// pixel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewBlock {
    /// Overview rectangle covered.
    pub rect: Rect,
    /// The block's contents as 32-bit words (checkpoints keep them in a binary file beside the
    /// batch's JSON summary, see [`super::checkpoint`], so the summary leaves them out):
    /// `rect.area()` pixels in raster order, each `0x00RRGGBB` (0 where shared), then five words
    /// per shared pixel: its index in the rectangle and the sums of red, green and blue and the
    /// number of slide pixels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<u32>,
}

/// The mean of `sum` over `count` pixels, rounded half up.
fn mean(sum: u64, count: u64) -> u8 {
    let count = count.max(1);
    ((sum + count / 2) / count) as u8
}

fn pack([red, green, blue]: [u8; 3]) -> u32 {
    u32::from(red) << 16 | u32::from(green) << 8 | u32::from(blue)
}

fn unpack(value: u32) -> [u8; 3] {
    [(value >> 16) as u8, (value >> 8) as u8, value as u8]
}

impl OverviewBlock {
    /// The block of `core` (slide coordinates) from `rgb`, which covers `rgb_rect`.
    pub fn new(
        geometry: &OverviewGeometry,
        rgb: &RgbImage,
        rgb_rect: Rect,
        core: Rect,
    ) -> OverviewBlock {
        let scale = geometry.scale;
        let x0 = core.x / scale;
        let y0 = core.y / scale;
        let x1 = core.right().div_ceil(scale);
        let y1 = core.bottom().div_ceil(scale);
        let rect = Rect::new(x0, y0, x1 - x0, y1 - y0);
        // The slide pixels of overview pixel (x, y), clipped to the slide.
        let slide_pixels = |x: u32, y: u32| {
            let width = (x * scale + scale).min(geometry.slide_width) - x * scale;
            let height = (y * scale + scale).min(geometry.slide_height) - y * scale;
            u32::try_from(u64::from(width) * u64::from(height)).unwrap_or(u32::MAX)
        };
        let mut values = Vec::with_capacity(rect.area() as usize);
        let mut shared = Vec::new();
        // Sums of red, green, blue and count of one row of overview pixels.
        let mut sums = vec![0u32; rect.width as usize * 4];
        for overview_y in y0..y1 {
            sums.fill(0);
            let top = (overview_y * scale).max(core.y);
            let bottom = (overview_y * scale + scale).min(core.bottom());
            for y in top..bottom {
                let source = &rgb.as_raw()[((y - rgb_rect.y) as usize * rgb_rect.width as usize
                    + (core.x - rgb_rect.x) as usize)
                    * 3..][..core.width as usize * 3];
                // One run of up to `scale` slide pixels per overview pixel of the row.
                let mut x = core.x;
                while x < core.right() {
                    let end = ((x / scale + 1) * scale).min(core.right());
                    let run = &source[(x - core.x) as usize * 3..(end - core.x) as usize * 3];
                    let mut colour = [0u32; 3];
                    for pixel in run.chunks_exact(3) {
                        colour[0] += u32::from(pixel[0]);
                        colour[1] += u32::from(pixel[1]);
                        colour[2] += u32::from(pixel[2]);
                    }
                    let sum = &mut sums[(x / scale - x0) as usize * 4..][..4];
                    sum[0] += colour[0];
                    sum[1] += colour[1];
                    sum[2] += colour[2];
                    sum[3] += end - x;
                    x = end;
                }
            }
            for (column, sum) in sums.chunks_exact(4).enumerate() {
                if sum[3] == slide_pixels(x0 + column as u32, overview_y) {
                    let count = u64::from(sum[3]);
                    values.push(pack(
                        [0, 1, 2].map(|channel| mean(u64::from(sum[channel]), count)),
                    ));
                } else {
                    let index = values.len() as u32;
                    values.push(0);
                    shared.extend_from_slice(&[index, sum[0], sum[1], sum[2], sum[3]]);
                }
            }
        }
        values.extend(shared);
        OverviewBlock { rect, values }
    }
}

/// Accumulates blocks into an overview picture and draws cells on it.
#[derive(Debug, Clone)]
pub struct Overview {
    geometry: OverviewGeometry,
    /// Final pixels, as blocks deliver them.
    pixels: RgbImage,
    /// Sums of red, green, blue and count of the shared pixels, by pixel index.
    shared: HashMap<usize, [u64; 4]>,
    /// Whether the shared pixels have been resolved (no more blocks can be added).
    finished: bool,
}

impl Overview {
    /// An empty overview.
    pub fn new(geometry: OverviewGeometry) -> Overview {
        Overview {
            geometry,
            pixels: RgbImage::new(geometry.width, geometry.height),
            shared: HashMap::new(),
            finished: false,
        }
    }

    /// Adds one tile's block.
    ///
    /// Returns `false` (and adds nothing) for a block that does not fit this overview (e.g. from
    /// a damaged checkpoint) or once cells have been drawn.
    #[must_use]
    pub fn add(&mut self, block: &OverviewBlock) -> bool {
        let area = block.rect.area() as usize;
        let fits = !self.finished
            && block.rect.right() <= self.geometry.width
            && block.rect.bottom() <= self.geometry.height
            && block.values.len() >= area
            && (block.values.len() - area) % 5 == 0;
        if !fits {
            return false;
        }
        let (pixels, shared) = block.values.split_at(area);
        if shared
            .chunks_exact(5)
            .any(|entry| entry[0] as usize >= area)
        {
            return false;
        }
        let width = self.geometry.width as usize;
        let block_width = block.rect.width as usize;
        for (y, row) in pixels.chunks_exact(block_width.max(1)).enumerate() {
            let start = ((block.rect.y as usize + y) * width + block.rect.x as usize) * 3;
            let target = &mut self.pixels.as_mut()[start..start + block_width * 3];
            for (pixel, &value) in target.chunks_exact_mut(3).zip(row) {
                pixel.copy_from_slice(&unpack(value));
            }
        }
        for entry in shared.chunks_exact(5) {
            let index = entry[0] as usize;
            let (x, y) = (index % block_width, index / block_width);
            let pixel = (block.rect.y as usize + y) * width + block.rect.x as usize + x;
            let total = self.shared.entry(pixel).or_insert([0; 4]);
            for (sum, &value) in total.iter_mut().zip(&entry[1..]) {
                *sum += u64::from(value);
            }
        }
        true
    }

    fn picture(&mut self) -> &mut RgbImage {
        if !self.finished {
            for (&pixel, sums) in &self.shared {
                let colour = [0, 1, 2].map(|channel| mean(sums[channel], sums[3]));
                self.pixels.as_mut()[pixel * 3..pixel * 3 + 3].copy_from_slice(&colour);
            }
            // Blocks can no longer be added; the sums are not needed any more.
            self.shared = HashMap::new();
            self.finished = true;
        }
        &mut self.pixels
    }

    /// Draws a cell (slide coordinates) as a disc of half its equivalent radius in `colour`
    /// ([`class_colour`]).
    pub fn draw_cell(&mut self, x: f64, y: f64, area: f64, colour: [u8; 3]) {
        let scale = f64::from(self.geometry.scale);
        let radius = (0.5 * (area.max(0.0) / std::f64::consts::PI).sqrt() / scale).max(1.0);
        let (cx, cy) = (x / scale, y / scale);
        let picture = self.picture();
        let (width, height) = (picture.width() as i64, picture.height() as i64);
        let reach = radius.ceil() as i64;
        let (px, py) = (cx.floor() as i64, cy.floor() as i64);
        for oy in py - reach..=py + reach {
            for ox in px - reach..=px + reach {
                if ox < 0 || oy < 0 || ox >= width || oy >= height {
                    continue;
                }
                let (dx, dy) = (ox as f64 + 0.5 - cx, oy as f64 + 0.5 - cy);
                if dx * dx + dy * dy <= radius * radius {
                    picture.put_pixel(ox as u32, oy as u32, image::Rgb(colour));
                }
            }
        }
    }

    /// The finished picture.
    pub fn into_image(mut self) -> RgbImage {
        self.picture();
        self.pixels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_average_exactly_whatever_the_tiling() {
        // A 10x7 slide at scale 3, cut once into one core and once into four.
        let geometry = OverviewGeometry {
            slide_width: 10,
            slide_height: 7,
            scale: 3,
            width: 4,
            height: 3,
        };
        let rgb = RgbImage::from_fn(10, 7, |x, y| {
            image::Rgb([(x * 20) as u8, (y * 30) as u8, 7])
        });
        let whole = Rect::new(0, 0, 10, 7);
        let mut one = Overview::new(geometry);
        assert!(one.add(&OverviewBlock::new(&geometry, &rgb, whole, whole)));
        let mut four = Overview::new(geometry);
        for core in [
            Rect::new(0, 0, 4, 4),
            Rect::new(4, 0, 6, 4),
            Rect::new(0, 4, 4, 3),
            Rect::new(4, 4, 6, 3),
        ] {
            assert!(four.add(&OverviewBlock::new(&geometry, &rgb, whole, core)));
        }
        let (one, four) = (one.into_image(), four.into_image());
        assert_eq!(one, four);
        // Overview pixel (0, 0): x 0..3 → red 0, 20, 40 → 20; y 0..3 → green 0, 30, 60 → 30.
        assert_eq!(one.get_pixel(0, 0).0, [20, 30, 7]);
        // Last column covers only x = 9: red 180; last row only y = 6: green 180.
        assert_eq!(one.get_pixel(3, 2).0, [180, 180, 7]);
    }

    #[test]
    fn cells_are_drawn_in_their_class_colour() {
        assert_eq!(class_colour("rbc"), [230, 30, 30]);
        assert_eq!(class_colour("wbc"), [255, 255, 255]);
        assert_eq!(class_colour("my_class"), OTHER_CLASS);
        let geometry = OverviewGeometry::new(100, 100);
        let mut overview = Overview::new(geometry);
        overview.draw_cell(50.0, 50.0, 300.0, class_colour("lymphocyte"));
        let image = overview.into_image();
        assert_eq!(image.get_pixel(50, 50).0, [0, 190, 0]);
        assert_eq!(image.get_pixel(70, 50).0, [0, 0, 0]);
    }
}
