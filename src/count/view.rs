//! The field of view: which pixels of an image show the smear.
//!
//! Microscope images are not always smear from edge to edge. A camera behind a round field
//! stop records black corners; software pads or letterboxes images with a flat frame. Such
//! pixels are not background and not cells, and left in they wreck every estimate that is
//! relative to the image: on a BCCD field a 16-pixel black frame took the cell level above
//! every red cell (0 cells instead of 28), black corners left 4 red cells of 28, and a light
//! grey frame became "the background", which made the whole smear "cell" (3,919 red cells).
//!
//! Two kinds of pixels are left out:
//!
//! 1. **A flat frame** ([`framed_field`]): rows and columns at the image's edges in which every
//!    pixel has the frame's exact colour (a corner's), peeled side by side while they last,
//!    when that colour does not pass for the background of the rest: brighter than it by
//!    more than [`SAME_AS_BACKGROUND`] levels in a channel (it would be taken for the
//!    background), or darker by [`BACKGROUND_DENSITY`] of optical density or more (it would
//!    be cell). `hemato count` counts the rectangle inside such a frame as the image (the same
//!    cells as the image without its frame) and reports positions in the framed image. A
//!    margin that passes for background (a mosaic's padding in the fields' background colour,
//!    an empty strip of slide) stays.
//! 2. **Unlit pixels** ([`is_unlit`]): pixels with every channel below [`UNLIT_LEVEL`], the
//!    black corners of a round field stop, black padding, a scanner's black filler. No stain is
//!    that dark: over the 70 annotated fields and 160 PBC images of `../shared/data`, the
//!    darkest pixel's brightest channel is 53 (a single dark speck of 29 pixels in an Aslan
//!    corner excepted). Unlit pixels have no optical density
//!    ([`super::stain_maps::PixelStains`]), so they are neither cell nor nucleus, on single
//!    images and slides alike; they take no part in the background colour or the cell level
//!    ([`FieldOfView`], and a slide's statistics); and a piece beside them is cut by the edge
//!    of the view, as a piece at the image's border is (it keeps the smaller fragment limit;
//!    on slides `ComponentImage::piece_at_border`).
//!
//! ```
//! use hemato::count::view::{framed_field, FieldOfView};
//! use image::{Rgb, RgbImage};
//!
//! // A 6 × 4 grey field with one violet pixel, inside a one-pixel black frame.
//! let image = RgbImage::from_fn(8, 6, |x, y| {
//!     let inside = (1..7).contains(&x) && (1..5).contains(&y);
//!     Rgb(match (inside, x, y) {
//!         (false, _, _) => [0, 0, 0],
//!         (true, 3, 2) => [120, 40, 150],
//!         _ => [200, 190, 180],
//!     })
//! });
//! assert_eq!(framed_field(&image), Some([1, 1, 7, 5]));
//! // Without the crop, the black frame is unlit: outside the view.
//! let view = FieldOfView::of(&image);
//! assert_eq!(view.outside_pixels(), 48 - 24);
//! assert!(!view.contains(0) && view.contains(8 + 1));
//! ```

use image::{GrayImage, RgbImage};

use crate::measure::Particle;
use crate::morphology::{BACKGROUND, OBJECT};

use super::stain_maps::{estimate_background, estimate_background_of, Background};

pub use crate::color::{is_unlit, UNLIT_LEVEL};

/// A flat frame brighter than the background by more than this many levels in a channel is a
/// frame, not background (the background's own bin neighbourhood spans about ±8 levels around
/// its mode).
pub const SAME_AS_BACKGROUND: f64 = 8.0;

/// A flat frame darker than the background by this much total optical density or more is a
/// frame, not background: the lowest cell level (`Settings::min_cell_density`).
pub const BACKGROUND_DENSITY: f64 = 0.15;

/// The pixels of an image that show the smear, and the background colour estimated from them.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldOfView {
    /// [`OBJECT`] where a pixel lies outside the view; `None` when every pixel is in view.
    outside: Option<GrayImage>,
    /// The background colour of the pixels in view.
    background: Background,
}

impl FieldOfView {
    /// Finds the unlit pixels of `image` (module docs) and the background colour of the rest.
    pub fn of(image: &RgbImage) -> FieldOfView {
        if !image.pixels().any(|pixel| is_unlit(&pixel.0)) {
            return FieldOfView::whole(estimate_background(image));
        }
        let outside = GrayImage::from_fn(image.width(), image.height(), |x, y| {
            image::Luma([if is_unlit(&image.get_pixel(x, y).0) {
                OBJECT
            } else {
                BACKGROUND
            }])
        });
        let background =
            estimate_background_of(image, |index| outside.as_raw()[index] == BACKGROUND);
        FieldOfView {
            outside: Some(outside),
            background,
        }
    }

    /// A view that holds every pixel, with the given background.
    pub fn whole(background: Background) -> FieldOfView {
        FieldOfView {
            outside: None,
            background,
        }
    }

    /// The background colour of the pixels in view.
    pub fn background(&self) -> Background {
        self.background
    }

    /// Whether the pixel at row-major `index` is in view.
    pub fn contains(&self, index: usize) -> bool {
        self.outside
            .as_ref()
            .map_or(true, |outside| outside.as_raw()[index] == BACKGROUND)
    }

    /// Number of pixels outside the view.
    pub fn outside_pixels(&self) -> usize {
        self.outside.as_ref().map_or(0, |outside| {
            outside
                .pixels()
                .filter(|pixel| pixel.0[0] == OBJECT)
                .count()
        })
    }

    /// Whether a pixel of `particle` has an outside pixel among its 8 neighbours: the piece is
    /// cut by the edge of the view.
    pub fn touches(&self, particle: &Particle) -> bool {
        let Some(outside) = &self.outside else {
            return false;
        };
        touches_where(particle, outside.dimensions(), |x, y| {
            outside.get_pixel(x, y).0[0] == OBJECT
        })
    }
}

/// Whether a pixel of `particle` has, among its 8 neighbours inside a `width` × `height` image,
/// one for which `outside(x, y)` holds.
pub fn touches_where(
    particle: &Particle,
    (width, height): (u32, u32),
    outside: impl Fn(u32, u32) -> bool,
) -> bool {
    particle.runs.iter().any(|run| {
        let rows = run.y.saturating_sub(1)..=(run.y + 1).min(height.saturating_sub(1));
        let columns = run.x_start.saturating_sub(1)..(run.x_end + 1).min(width);
        rows.into_iter()
            .any(|y| columns.clone().any(|x| outside(x, y)))
    })
}

/// The rectangle `[x0, y0, x1, y1]` (ends exclusive) inside a flat frame that is not the
/// background's colour (module docs), or `None` when the image has no such frame. A "frame"
/// that leaves less than half of the image inside is not one (a few cells on an exactly
/// uniform, synthetic background peel down to the cells).
pub fn framed_field(image: &RgbImage) -> Option<[u32; 4]> {
    let ([x0, y0, x1, y1], colour) = inside_flat_frame(image)?;
    let inner_area = u64::from(x1 - x0) * u64::from(y1 - y0);
    let area = u64::from(image.width()) * u64::from(image.height());
    if inner_area < area.div_ceil(2) {
        return None;
    }
    let inside = |x: u32, y: u32| (x0..x1).contains(&x) && (y0..y1).contains(&y);
    let width = image.width() as usize;
    let background = estimate_background_of(image, |index| {
        inside((index % width) as u32, (index / width) as u32)
    });
    (!looks_like_background(colour, &background)).then_some([x0, y0, x1, y1])
}

/// Whether a frame of `colour` is as good as background: no channel more than
/// [`SAME_AS_BACKGROUND`] levels brighter than the background (a brighter colour, all in one
/// bin, would be taken for the background), and darker by less than [`BACKGROUND_DENSITY`] of
/// total optical density (below every cell level, so it is never cell).
fn looks_like_background(colour: [u8; 3], background: &Background) -> bool {
    let values = colour.map(f64::from);
    let not_brighter = (0..3).all(|c| values[c] <= background.rgb[c] + SAME_AS_BACKGROUND);
    let density: f64 = (0..3)
        .map(|c| (background.rgb[c] / values[c].max(1.0)).ln().max(0.0))
        .sum();
    not_brighter && density < BACKGROUND_DENSITY
}

/// The rectangle `[x0, y0, x1, y1]` (ends exclusive) left after peeling rows and columns of
/// one exact colour, the frame's, from the image's sides, side by side while they last, and
/// that colour; `None` when nothing peels or everything does. The frame's colour is that of one
/// of the corners: the one that peels the most pixels (ties: the first of top left, top right,
/// bottom left, bottom right).
fn inside_flat_frame(image: &RgbImage) -> Option<([u32; 4], [u8; 3])> {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return None;
    }
    let corners = [
        (0, 0),
        (width - 1, 0),
        (0, height - 1),
        (width - 1, height - 1),
    ];
    let area = |[x0, y0, x1, y1]: [u32; 4]| u64::from(x1 - x0) * u64::from(y1 - y0);
    let (inner, colour) = corners
        .iter()
        .map(|&(x, y)| {
            let colour = image.get_pixel(x, y).0;
            (peel(image, colour), colour)
        })
        .min_by_key(|&(inner, _)| area(inner))?;
    (inner != [0, 0, width, height] && area(inner) > 0).then_some((inner, colour))
}

/// [`inside_flat_frame`] for one frame colour.
fn peel(image: &RgbImage, colour: [u8; 3]) -> [u32; 4] {
    let (mut x0, mut y0, mut x1, mut y1) = (0, 0, image.width(), image.height());
    let row = |y: u32, x0: u32, x1: u32| (x0..x1).all(|x| image.get_pixel(x, y).0 == colour);
    let column = |x: u32, y0: u32, y1: u32| (y0..y1).all(|y| image.get_pixel(x, y).0 == colour);
    loop {
        let before = [x0, y0, x1, y1];
        while y0 < y1 && row(y0, x0, x1) {
            y0 += 1;
        }
        while y1 > y0 && row(y1 - 1, x0, x1) {
            y1 -= 1;
        }
        while x0 < x1 && column(x0, y0, y1) {
            x0 += 1;
        }
        while x1 > x0 && column(x1 - 1, y0, y1) {
            x1 -= 1;
        }
        if [x0, y0, x1, y1] == before {
            return before;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::stain_maps::StainMaps;
    use crate::measure::{find_particles, ParticleOptions};
    use image::Rgb;

    /// A 12 × 10 grey field with one pink pixel, inside frames of `left, top, right, bottom`
    /// pixels of `colour`.
    fn framed(colour: [u8; 3], [left, top, right, bottom]: [u32; 4]) -> RgbImage {
        RgbImage::from_fn(12 + left + right, 10 + top + bottom, |x, y| {
            let inside = (left..left + 12).contains(&x) && (top..top + 10).contains(&y);
            Rgb(match (inside, x - left.min(x), y - top.min(y)) {
                (false, _, _) => colour,
                (true, 2, 2) => [190, 110, 150],
                _ => [200, 195, 190],
            })
        })
    }

    #[test]
    fn frames_of_uneven_width_are_peeled() {
        let image = framed([255, 255, 255], [1, 0, 3, 2]);
        assert_eq!(framed_field(&image), Some([1, 0, 13, 10]));
        // No frame: the grey field's uniform rows peel down to its pink pixel, which is less
        // than half of the image.
        assert_eq!(framed_field(&framed([0, 0, 0], [0; 4])), None);
    }

    #[test]
    fn a_frame_of_the_background_colour_is_kept() {
        // Background (200, 195, 190). At most 8 levels brighter: background.
        assert_eq!(framed_field(&framed([208, 203, 198], [2; 4])), None);
        let frame = Some([2, 2, 14, 12]);
        assert_eq!(framed_field(&framed([209, 195, 190], [2; 4])), frame);
        // Darker by less than 0.15 of optical density: background. ln(200 / 180) +
        // ln(195 / 190) = 0.131; ln(200 / 180) + ln(195 / 185) = 0.158.
        assert_eq!(framed_field(&framed([180, 190, 190], [2; 4])), None);
        assert_eq!(framed_field(&framed([180, 185, 190], [2; 4])), frame);
    }

    #[test]
    fn unlit_pixels_are_outside_wherever_they_are() {
        // Unlit pixels: a column on the left edge, and one in the middle.
        let image = RgbImage::from_fn(6, 5, |x, y| {
            Rgb(if x == 0 || (x == 3 && y == 2) {
                [UNLIT_LEVEL - 1, 10, 0]
            } else {
                [200, 200, 200]
            })
        });
        let view = FieldOfView::of(&image);
        assert_eq!(view.outside_pixels(), 6);
        assert!(!view.contains(6) && !view.contains(2 * 6 + 3) && view.contains(1));
        assert_eq!(view.background().rgb, [200.0; 3]);
        // One channel at the level is lit.
        let lit = RgbImage::from_pixel(3, 3, Rgb([0, UNLIT_LEVEL, 0]));
        assert_eq!(FieldOfView::of(&lit).outside_pixels(), 0);
    }

    #[test]
    fn pieces_beside_the_unlit_region_touch_the_view_edge() {
        // Unlit left column; one piece beside it (columns 1-2), one a column away (4).
        let image = RgbImage::from_fn(6, 4, |x, _| Rgb(if x == 0 { [0; 3] } else { [200; 3] }));
        let view = FieldOfView::of(&image);
        let mask = GrayImage::from_fn(6, 4, |x, y| {
            image::Luma([if (y == 1 && (1..=2).contains(&x)) || x == 4 {
                OBJECT
            } else {
                BACKGROUND
            }])
        });
        let pieces = find_particles(&mask, &ParticleOptions::default());
        let touching: Vec<bool> = pieces.iter().map(|piece| view.touches(piece)).collect();
        // Raster order: the column (first pixel at row 0), then the row piece.
        assert_eq!(touching, [false, true]);
        assert!(!FieldOfView::whole(view.background()).touches(&pieces[1]));
    }

    #[test]
    fn unlit_pixels_carry_no_stain() {
        let background = Background { rgb: [200.0; 3] };
        let image = RgbImage::from_fn(2, 1, |x, _| {
            Rgb(if x == 0 { [31, 31, 31] } else { [32, 31, 31] })
        });
        let maps = StainMaps::new(&image, &background);
        assert_eq!(
            [maps.density[0], maps.blue[0], maps.eosin[0], maps.violet[0]],
            [0.0; 4]
        );
        // ln(200 / 32) + 2 ln(200 / 31), by hand.
        let expected = (200f64 / 32.0).ln() + 2.0 * (200f64 / 31.0).ln();
        assert!((f64::from(maps.density[1]) - expected).abs() < 1e-5);
    }
}
