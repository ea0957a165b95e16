//! Text on overlay images: the public-domain 8x8 glyphs of `font8x8`, drawn at an integer
//! magnification so that labels stay legible on large fields (no font files or system fonts
//! needed). Characters outside ASCII are drawn as `?`.
//!
//! ```
//! use hemato::count::font::{draw_text, text_size};
//! let mut image = image::RgbImage::new(20, 10);
//! draw_text(&mut image, 1, 1, "I", 1, image::Rgb([255, 255, 255]));
//! assert_eq!(text_size("ab", 2), (32, 16));
//! // The glyph "I" has ink in its top row, columns 1-4.
//! assert_eq!(image.get_pixel(2, 1).0, [255, 255, 255]);
//! assert_eq!(image.get_pixel(0, 1).0, [0, 0, 0]);
//! ```

use image::{Rgb, RgbImage};

/// Width and height of one glyph at magnification 1, pixels.
pub const GLYPH_SIZE: u32 = 8;

fn glyph(character: char) -> [u8; 8] {
    let code = if character.is_ascii() {
        character as usize
    } else {
        usize::from(b'?')
    };
    font8x8::legacy::BASIC_LEGACY[code]
}

/// The size (width, height) of `text` drawn at `magnification`, pixels.
pub fn text_size(text: &str, magnification: u32) -> (u32, u32) {
    let step = GLYPH_SIZE * magnification;
    (text.chars().count() as u32 * step, step)
}

/// Draws `text` with its top-left corner at (`x`, `y`), each glyph pixel a square of
/// `magnification` pixels; whatever falls outside the image is clipped.
pub fn draw_text(
    image: &mut RgbImage,
    x: u32,
    y: u32,
    text: &str,
    magnification: u32,
    colour: Rgb<u8>,
) {
    let step = GLYPH_SIZE * magnification;
    for (index, character) in text.chars().enumerate() {
        let left = x + index as u32 * step;
        for (row, bits) in glyph(character).iter().enumerate() {
            for column in 0..GLYPH_SIZE {
                if bits & (1 << column) == 0 {
                    continue;
                }
                let px = left + column * magnification;
                let py = y + row as u32 * magnification;
                fill_rectangle(image, px, py, magnification, magnification, colour);
            }
        }
    }
}

/// Fills the rectangle at (`x`, `y`) of `width` x `height` pixels, clipped to the image.
pub fn fill_rectangle(
    image: &mut RgbImage,
    x: u32,
    y: u32,
    width: u32,
    height: u32,
    colour: Rgb<u8>,
) {
    let right = x.saturating_add(width).min(image.width());
    let bottom = y.saturating_add(height).min(image.height());
    for py in y..bottom {
        for px in x..right {
            image.put_pixel(px, py, colour);
        }
    }
}
