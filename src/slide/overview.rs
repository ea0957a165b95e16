//! The downscaled overview of a slide, with cells drawn in their class colours.
//!
//! The overview is the slide shrunk by a whole factor `scale` (the smallest that makes its longer
//! side at most [`OVERVIEW_SIZE`] pixels): each overview pixel is the mean colour of the
//! `scale` × `scale` slide pixels it covers (fewer at the right and bottom borders). Tiles add
//! exact integer sums for the overview pixels their core touches ([`OverviewBlock`]), so the
//! picture does not depend on the tiling. Cells are then drawn as filled discs of half their
//! equivalent radius (at least one overview pixel) in the colour of their class, so the slide
//! stays visible between them.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::tiles::Rect;

/// Longest side of an overview, in pixels.
pub const OVERVIEW_SIZE: u32 = 2048;

/// Class colours, in class order (red cells, white cells, platelets, then others).
const CLASS_COLOURS: [[u8; 3]; 8] = [
    [220, 30, 40],
    [30, 90, 230],
    [250, 170, 0],
    [0, 170, 80],
    [170, 0, 200],
    [0, 190, 210],
    [120, 70, 20],
    [90, 90, 90],
];

/// The colour of class `class` in the overview.
pub fn class_colour(class: usize) -> [u8; 3] {
    CLASS_COLOURS[class % CLASS_COLOURS.len()]
}

/// Size of a slide's overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewGeometry {
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
            scale,
            width: width.div_ceil(scale),
            height: height.div_ceil(scale),
        }
    }
}

/// Sums of the slide pixels of one tile core over the overview pixels it touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewBlock {
    /// Overview rectangle covered.
    pub rect: Rect,
    /// Per overview pixel: sum of red, green, blue and the number of slide pixels. Checkpoints
    /// keep the sums in a binary file beside the batch's JSON summary (see
    /// [`super::checkpoint`]), so the summary leaves them out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sums: Vec<u32>,
}

impl OverviewBlock {
    /// The sums of `core` (slide coordinates) from `rgb`, which covers `rgb_rect`.
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
        let mut sums = vec![0u32; rect.area() as usize * 4];
        for y in core.y..core.bottom() {
            let row = ((y / scale - y0) * rect.width) as usize;
            let source = &rgb.as_raw()[((y - rgb_rect.y) as usize * rgb_rect.width as usize
                + (core.x - rgb_rect.x) as usize)
                * 3..][..core.width as usize * 3];
            for (offset, pixel) in source.chunks_exact(3).enumerate() {
                let x = core.x + offset as u32;
                let sum = &mut sums[(row + (x / scale - x0) as usize) * 4..][..4];
                sum[0] += u32::from(pixel[0]);
                sum[1] += u32::from(pixel[1]);
                sum[2] += u32::from(pixel[2]);
                sum[3] += 1;
            }
        }
        OverviewBlock { rect, sums }
    }
}

/// Accumulates blocks into an overview picture and draws cells on it.
#[derive(Debug, Clone)]
pub struct Overview {
    geometry: OverviewGeometry,
    sums: Vec<u64>,
    image: Option<RgbImage>,
}

impl Overview {
    /// An empty overview.
    pub fn new(geometry: OverviewGeometry) -> Overview {
        Overview {
            geometry,
            sums: vec![0; geometry.width as usize * geometry.height as usize * 4],
            image: None,
        }
    }

    /// Adds one tile's block.
    ///
    /// Returns `false` (and adds nothing) for a block that does not fit this overview (e.g. from
    /// a damaged checkpoint) or once cells have been drawn.
    #[must_use]
    pub fn add(&mut self, block: &OverviewBlock) -> bool {
        let fits = self.image.is_none()
            && block.rect.right() <= self.geometry.width
            && block.rect.bottom() <= self.geometry.height
            && block.sums.len() as u64 == block.rect.area() * 4;
        if !fits {
            return false;
        }
        let width = self.geometry.width as usize;
        for y in 0..block.rect.height as usize {
            for x in 0..block.rect.width as usize {
                let target = ((block.rect.y as usize + y) * width + block.rect.x as usize + x) * 4;
                let source = (y * block.rect.width as usize + x) * 4;
                for channel in 0..4 {
                    self.sums[target + channel] += u64::from(block.sums[source + channel]);
                }
            }
        }
        true
    }

    fn picture(&mut self) -> &mut RgbImage {
        if self.image.is_none() {
            let pixels = self
                .sums
                .chunks_exact(4)
                .flat_map(|sum| {
                    let count = sum[3].max(1);
                    [0, 1, 2].map(|channel| ((sum[channel] + count / 2) / count) as u8)
                })
                .collect();
            self.image = Some(
                RgbImage::from_raw(self.geometry.width, self.geometry.height, pixels)
                    .expect("overview size"),
            );
            // Blocks can no longer be added; the sums are not needed any more.
            self.sums = Vec::new();
        }
        self.image.as_mut().expect("just made")
    }

    /// Draws a cell (slide coordinates) as a disc of half its equivalent radius.
    pub fn draw_cell(&mut self, x: f64, y: f64, area: f64, class: usize) {
        let scale = f64::from(self.geometry.scale);
        let colour = class_colour(class);
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
        self.image.expect("made by picture")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_average_exactly_whatever_the_tiling() {
        // A 10x7 slide at scale 3, cut once into one core and once into four.
        let geometry = OverviewGeometry {
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
        let geometry = OverviewGeometry::new(100, 100);
        let mut overview = Overview::new(geometry);
        overview.draw_cell(50.0, 50.0, 300.0, 1);
        let image = overview.into_image();
        assert_eq!(image.get_pixel(50, 50).0, class_colour(1));
        assert_eq!(image.get_pixel(70, 50).0, [0, 0, 0]);
    }
}
