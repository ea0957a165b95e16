//! Overlay images: the input with every counted cell outlined in its class's colour, and a
//! panel to the right with the legend and the counts (so nothing covers the cells).

use image::{Rgb, RgbImage};

use super::{CellClass, ImageCount};
use crate::draw::{draw_box, draw_text, text_width, GLYPH};
use crate::measure::Particle;

/// Background of the legend panel.
const PANEL: Rgb<u8> = Rgb([32, 32, 32]);
/// Text colour of the legend.
const TEXT: Rgb<u8> = Rgb([235, 235, 235]);

/// Colour of an outline of `class`; `None` (a white cell no model classified) is white.
pub fn class_colour(class: Option<CellClass>) -> Rgb<u8> {
    Rgb(match class {
        Some(CellClass::Rbc) => [230, 30, 30],
        Some(CellClass::Platelet) => [255, 200, 0],
        Some(CellClass::Neutrophil) => [0, 80, 255],
        Some(CellClass::Lymphocyte) => [0, 190, 0],
        Some(CellClass::Monocyte) => [150, 0, 210],
        Some(CellClass::Eosinophil) => [255, 120, 0],
        Some(CellClass::Basophil) => [40, 40, 40],
        Some(CellClass::Ig) => [0, 200, 200],
        Some(CellClass::Erythroblast) => [255, 0, 200],
        None => [255, 255, 255],
    })
}

/// Outline thickness and text magnification for an image: 1 up to 511 pixels wide, then one
/// more per 512 pixels, so outlines and text stay visible on large fields.
fn magnification(width: u32) -> u32 {
    1 + width / 512
}

/// The overlay of `image` with the cells of `count`.
pub fn draw_overlay(image: &RgbImage, count: &ImageCount) -> RgbImage {
    let magnification = magnification(image.width());
    let lines = legend_lines(count);
    let line_height = (GLYPH + 4) * magnification;
    let swatch = GLYPH * magnification;
    let margin = 6 * magnification;
    let widest = lines
        .iter()
        .map(|(_, text)| text_width(text) * magnification)
        .max()
        .unwrap_or(0);
    let panel_width = margin * 3 + swatch + widest;
    let panel_height = margin * 2 + line_height * lines.len() as u32;
    let width = image.width() + panel_width;
    let height = image.height().max(panel_height);
    let mut canvas = RgbImage::from_pixel(width, height, PANEL);
    image::imageops::replace(&mut canvas, image, 0, 0);

    for (index, detection) in count.field.detections.iter().enumerate() {
        let class = count
            .cells
            .iter()
            .find(|cell| cell.detection == index)
            .map(|cell| cell.class);
        if let Some(class) = class {
            draw_outline(
                &mut canvas,
                &detection.particle,
                magnification,
                class_colour(class),
            );
        }
    }

    let left = image.width() + margin;
    for (row, (colour, text)) in lines.iter().enumerate() {
        let top = margin + row as u32 * line_height;
        if let Some(colour) = colour {
            draw_box(&mut canvas, (left, top), (swatch, swatch), *colour, *colour);
        }
        draw_magnified_text(
            &mut canvas,
            (left + swatch + margin, top),
            text,
            magnification,
        );
    }
    canvas
}

/// Draws legend text at an integer magnification: the 8x8 glyphs of [`crate::draw`] drawn
/// once, then enlarged pixel by pixel (nearest neighbour) so that text stays legible on large
/// fields.
fn draw_magnified_text(canvas: &mut RgbImage, (x, y): (u32, u32), text: &str, magnification: u32) {
    let mut small = RgbImage::from_pixel(text_width(text).max(1), GLYPH, PANEL);
    draw_text(&mut small, 0, 0, text, TEXT);
    let large = image::imageops::resize(
        &small,
        small.width() * magnification,
        GLYPH * magnification,
        image::imageops::FilterType::Nearest,
    );
    image::imageops::replace(canvas, &large, i64::from(x), i64::from(y));
}

/// The legend: one line per class (swatch colour, name and count), the white-cell total, and the
/// white cells no model classified when there are any.
fn legend_lines(count: &ImageCount) -> Vec<(Option<Rgb<u8>>, String)> {
    let mut lines: Vec<(Option<Rgb<u8>>, String)> = CellClass::ALL
        .iter()
        .map(|&class| {
            (
                Some(class_colour(Some(class))),
                format!("{:<13}{:>5}", class.name(), count.count(class)),
            )
        })
        .collect();
    let unclassified = count.unclassified_white();
    if unclassified > 0 {
        lines.push((
            Some(class_colour(None)),
            format!("{:<13}{:>5}", "wbc (no type)", unclassified),
        ));
    }
    lines.push((
        None,
        format!("{:<13}{:>5}", "wbc total", count.white_total()),
    ));
    lines
}

/// Draws the boundary pixels of `particle` (pixels with a 4-neighbour outside it), thickened
/// towards the inside to `thickness` pixels.
fn draw_outline(canvas: &mut RgbImage, particle: &Particle, thickness: u32, colour: Rgb<u8>) {
    let bounds = &particle.bounds;
    let (width, height) = (bounds.width as usize, bounds.height as usize);
    let mut inside = vec![false; width * height];
    for run in &particle.runs {
        let row = (run.y - bounds.y) as usize * width;
        for x in run.x_start..run.x_end {
            inside[row + (x - bounds.x) as usize] = true;
        }
    }
    let at = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && (x as usize) < width
            && (y as usize) < height
            && inside[y as usize * width + x as usize]
    };
    let reach = i64::from(thickness);
    for y in 0..height as i64 {
        for x in 0..width as i64 {
            if !at(x, y) {
                continue;
            }
            let near_edge = (1..=reach)
                .any(|d| !at(x + d, y) || !at(x - d, y) || !at(x, y + d) || !at(x, y - d));
            if near_edge {
                let (px, py) = (bounds.x + x as u32, bounds.y + y as u32);
                if px < canvas.width() && py < canvas.height() {
                    canvas.put_pixel(px, py, colour);
                }
            }
        }
    }
}

/// Draws the outline of a box (`[xmin, ymin, xmax, ymax]`, max exclusive) one pixel wide,
/// dotted (every other pixel) so it stays apart from the solid cell outlines.
pub fn draw_dotted_box(canvas: &mut RgbImage, corners: [f64; 4], colour: Rgb<u8>) {
    let clamp = |value: f64, limit: u32| value.round().clamp(0.0, f64::from(limit)) as u32;
    let (width, height) = canvas.dimensions();
    let (left, top) = (clamp(corners[0], width), clamp(corners[1], height));
    let (right, bottom) = (
        clamp(corners[2], width).saturating_sub(1),
        clamp(corners[3], height).saturating_sub(1),
    );
    let mut dot = |x: u32, y: u32| {
        if (x + y) % 2 == 0 && x < width && y < height {
            canvas.put_pixel(x, y, colour);
        }
    };
    for x in left..=right {
        dot(x, top);
        dot(x, bottom);
    }
    for y in top..=bottom {
        dot(left, y);
        dot(right, y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{find_particles, ParticleOptions};
    use crate::morphology::mask_from_fn;

    #[test]
    fn outline_of_a_square_is_its_border() {
        // A 5x5 square at (2, 2): its 16 border pixels are drawn, its 9 inner pixels are not.
        let mask = mask_from_fn(9, 9, |x, y| (2..7).contains(&x) && (2..7).contains(&y));
        let particle = &find_particles(&mask, &ParticleOptions::default())[0];
        let mut canvas = RgbImage::new(9, 9);
        draw_outline(&mut canvas, particle, 1, Rgb([255, 0, 0]));
        let drawn = canvas.pixels().filter(|p| p.0 == [255, 0, 0]).count();
        assert_eq!(drawn, 16);
        assert_eq!(canvas.get_pixel(4, 4).0, [0, 0, 0]);
        assert_eq!(canvas.get_pixel(2, 4).0, [255, 0, 0]);
        // Thickness 2: the 16 border pixels and the next ring of 8.
        let mut thick = RgbImage::new(9, 9);
        draw_outline(&mut thick, particle, 2, Rgb([255, 0, 0]));
        assert_eq!(thick.pixels().filter(|p| p.0 == [255, 0, 0]).count(), 24);
    }
}
