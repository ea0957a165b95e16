//! Drawing for the images hemato writes for people (confusion heatmaps, count overlays, slide
//! overviews): text, boxes and outlines on an `RgbImage`.
//!
//! Shapes come from `imageproc::drawing`. Text uses the public-domain 8x8 glyphs of `font8x8`,
//! because `imageproc`'s text drawing needs a TrueType font file, and the offline build and CI
//! machines have none to ship or find.
//!
//! ```
//! use hemato::draw::{draw_text, text_width, GLYPH};
//! use image::{Rgb, RgbImage};
//! let mut image = RgbImage::new(text_width("Hi"), GLYPH);
//! draw_text(&mut image, 0, 0, "Hi", Rgb([255, 255, 255]));
//! // "H" has ink in its left column, on rows 0-6 of the glyph.
//! assert_eq!(*image.get_pixel(0, 0), Rgb([255, 255, 255]));
//! ```

use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_hollow_rect_mut};
use imageproc::rect::Rect;

/// Width and height of one character, in pixels.
pub const GLYPH: u32 = 8;

fn glyph(character: char) -> [u8; 8] {
    let code = character as usize;
    if code < 128 {
        font8x8::legacy::BASIC_LEGACY[code]
    } else {
        font8x8::legacy::BASIC_LEGACY[b'?' as usize]
    }
}

/// Draws `text` with its top-left corner at (x, y), clipped at the image border. Characters
/// outside ASCII are drawn as `?`.
pub fn draw_text(image: &mut RgbImage, x: u32, y: u32, text: &str, colour: Rgb<u8>) {
    for (index, character) in text.chars().enumerate() {
        let bits = glyph(character);
        for (row, byte) in bits.iter().enumerate() {
            for column in 0..GLYPH {
                if byte & (1 << column) == 0 {
                    continue;
                }
                let px = x + index as u32 * GLYPH + column;
                let py = y + row as u32;
                if px < image.width() && py < image.height() {
                    image.put_pixel(px, py, colour);
                }
            }
        }
    }
}

/// Width of `text` drawn by [`draw_text`], in pixels.
pub fn text_width(text: &str) -> u32 {
    text.chars().count() as u32 * GLYPH
}

/// Fills the `width` x `height` box at (x, y) with `fill` and outlines it with `border`
/// (clipped at the image border; an empty box draws nothing).
pub fn draw_box(
    image: &mut RgbImage,
    (x, y): (u32, u32),
    (width, height): (u32, u32),
    fill: Rgb<u8>,
    border: Rgb<u8>,
) {
    if width == 0 || height == 0 {
        return;
    }
    let rect = Rect::at(x as i32, y as i32).of_size(width, height);
    draw_filled_rect_mut(image, rect, fill);
    draw_hollow_rect_mut(image, rect, border);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_has_its_border_and_fill() {
        let mut image = RgbImage::new(6, 5);
        draw_box(&mut image, (1, 1), (4, 3), Rgb([9, 9, 9]), Rgb([200, 0, 0]));
        assert_eq!(*image.get_pixel(1, 1), Rgb([200, 0, 0]));
        assert_eq!(*image.get_pixel(4, 3), Rgb([200, 0, 0]));
        assert_eq!(*image.get_pixel(2, 2), Rgb([9, 9, 9]));
        assert_eq!(*image.get_pixel(0, 0), Rgb([0, 0, 0]));
        assert_eq!(*image.get_pixel(5, 4), Rgb([0, 0, 0]));
    }

    #[test]
    fn text_is_clipped_not_a_panic() {
        let mut image = RgbImage::new(3, 3);
        draw_text(&mut image, 1, 1, "Wide text é", Rgb([255, 255, 255]));
        assert_eq!(text_width("abc"), 24);
    }

    #[test]
    fn every_glyph_bit_is_one_pixel_of_ink() {
        // Every set bit of font8x8's glyph is ink, every clear bit is not.
        let mut image = RgbImage::new(GLYPH, GLYPH);
        draw_text(&mut image, 0, 0, "L", Rgb([255, 255, 255]));
        let expected = font8x8::legacy::BASIC_LEGACY[b'L' as usize];
        for (row, byte) in expected.iter().enumerate() {
            for column in 0..GLYPH {
                let ink = *image.get_pixel(column, row as u32) == Rgb([255, 255, 255]);
                assert_eq!(ink, byte & (1 << column) != 0);
            }
        }
    }
}
