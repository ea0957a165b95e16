//! PNG heatmaps of a confusion matrix, drawn pixel by pixel with the `image` crate and the
//! public-domain 8x8 glyphs of `font8x8` (so no system fonts or font files are needed; the
//! plotting crates need fontconfig or a bundled TrueType font for text).
//!
//! Cells shade from white (0) to dark blue (the largest value, or 1 when row-normalised);
//! each cell shows its value, in white on dark cells.

use image::{Rgb, RgbImage};

use super::metrics::Evaluation;

/// Which numbers a heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatmapValues {
    /// Row counts.
    Counts,
    /// Counts divided by the true class's row total.
    RowNormalised,
}

const GLYPH: u32 = 8;
const MARGIN: u32 = 12;
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const BLACK: Rgb<u8> = Rgb([0, 0, 0]);
const DARK: [f64; 3] = [8.0, 48.0, 107.0];

fn glyph(character: char) -> [u8; 8] {
    let code = character as usize;
    if code < 128 {
        font8x8::legacy::BASIC_LEGACY[code]
    } else {
        font8x8::legacy::BASIC_LEGACY[b'?' as usize]
    }
}

/// Draws `text` with its top-left corner at (x, y), clipping at the image border.
fn draw_text(image: &mut RgbImage, x: u32, y: u32, text: &str, colour: Rgb<u8>) {
    for (i, character) in text.chars().enumerate() {
        let bits = glyph(character);
        for (row, byte) in bits.iter().enumerate() {
            for column in 0..8u32 {
                if byte & (1 << column) != 0 {
                    let (px, py) = (x + i as u32 * GLYPH + column, y + row as u32);
                    if px < image.width() && py < image.height() {
                        image.put_pixel(px, py, colour);
                    }
                }
            }
        }
    }
}

fn text_width(text: &str) -> u32 {
    text.chars().count() as u32 * GLYPH
}

/// Colour of a cell holding `fraction` (0..=1) of the largest value.
fn shade(fraction: f64) -> Rgb<u8> {
    let f = fraction.clamp(0.0, 1.0);
    let mix = |dark: f64| (255.0 + (dark - 255.0) * f).round() as u8;
    Rgb([mix(DARK[0]), mix(DARK[1]), mix(DARK[2])])
}

/// The heatmap of `evaluation`'s confusion matrix.
pub fn confusion_heatmap(evaluation: &Evaluation, values: HeatmapValues) -> RgbImage {
    let names: Vec<String> = evaluation
        .classes
        .iter()
        .map(|n| n.chars().take(24).collect())
        .collect();
    let k = names.len() as u32;
    let texts: Vec<Vec<String>> = match values {
        HeatmapValues::Counts => evaluation
            .confusion_matrix
            .iter()
            .map(|row| row.iter().map(|v| v.to_string()).collect())
            .collect(),
        HeatmapValues::RowNormalised => evaluation
            .confusion_matrix_normalised
            .iter()
            .map(|row| row.iter().map(|v| format!("{v:.2}")).collect())
            .collect(),
    };
    let fractions: Vec<Vec<f64>> = match values {
        HeatmapValues::Counts => {
            let max = evaluation
                .confusion_matrix
                .iter()
                .flatten()
                .copied()
                .max()
                .unwrap_or(0)
                .max(1) as f64;
            evaluation
                .confusion_matrix
                .iter()
                .map(|row| row.iter().map(|&v| v as f64 / max).collect())
                .collect()
        }
        HeatmapValues::RowNormalised => evaluation.confusion_matrix_normalised.clone(),
    };
    let widest_value = texts
        .iter()
        .flatten()
        .map(|t| text_width(t))
        .max()
        .unwrap_or(8);
    let widest_name = names.iter().map(|n| text_width(n)).max().unwrap_or(8);
    let cell_width = widest_value.max(widest_name).max(5 * GLYPH) + 2 * GLYPH;
    let cell_height = 4 * GLYPH;
    let title = match values {
        HeatmapValues::Counts => "Confusion matrix (counts)",
        HeatmapValues::RowNormalised => "Confusion matrix (row-normalised)",
    };
    let left = MARGIN + widest_name.max(text_width("true class")) + GLYPH;
    let top = MARGIN + 5 * GLYPH;
    let width = (left + k * cell_width + MARGIN).max(2 * MARGIN + text_width(title));
    let height = top + k * cell_height + MARGIN;
    let mut image = RgbImage::from_pixel(width, height, WHITE);
    draw_text(&mut image, MARGIN, MARGIN, title, BLACK);
    draw_text(
        &mut image,
        left,
        MARGIN + 2 * GLYPH,
        "predicted class",
        BLACK,
    );
    draw_text(&mut image, MARGIN, top - 2 * GLYPH + 2, "true class", BLACK);
    for (c, name) in names.iter().enumerate() {
        let x = left + c as u32 * cell_width + (cell_width - text_width(name)) / 2;
        draw_text(&mut image, x, MARGIN + 3 * GLYPH + 4, name, BLACK);
        let y = top + c as u32 * cell_height + (cell_height - GLYPH) / 2;
        draw_text(&mut image, MARGIN, y, name, BLACK);
    }
    for t in 0..k as usize {
        for p in 0..k as usize {
            let colour = shade(fractions[t][p]);
            let (x0, y0) = (left + p as u32 * cell_width, top + t as u32 * cell_height);
            for y in y0..y0 + cell_height {
                for x in x0..x0 + cell_width {
                    let border =
                        x == x0 || y == y0 || x == x0 + cell_width - 1 || y == y0 + cell_height - 1;
                    image.put_pixel(x, y, if border { Rgb([200, 200, 200]) } else { colour });
                }
            }
            let text = &texts[t][p];
            let ink = if fractions[t][p] > 0.5 { WHITE } else { BLACK };
            draw_text(
                &mut image,
                x0 + (cell_width - text_width(text)) / 2,
                y0 + (cell_height - GLYPH) / 2,
                text,
                ink,
            );
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_shade_with_their_value() {
        let classes = vec!["a".to_string(), "b".to_string()];
        let evaluation = Evaluation::new(classes, &[0, 0, 0, 1], &[0, 0, 0, 0]);
        let image = confusion_heatmap(&evaluation, HeatmapValues::Counts);
        // Top-left cell (3 counts, the maximum) is dark at its corner, bottom-right (0) white.
        let names = text_width("true class") + MARGIN + GLYPH;
        let cell = 5 * GLYPH + 2 * GLYPH;
        let top = MARGIN + 5 * GLYPH;
        assert_eq!(*image.get_pixel(names + 2, top + 2), shade(1.0));
        assert_eq!(
            *image.get_pixel(names + cell + 2, top + 4 * GLYPH + 2),
            WHITE
        );
    }
}
