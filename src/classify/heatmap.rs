//! PNG heatmaps of a confusion matrix, drawn with [`crate::draw`] (boxes from `imageproc`,
//! text from the public-domain 8x8 glyphs of `font8x8`: the plotting crates need fontconfig or
//! a bundled TrueType font for text).
//!
//! Cells shade from white (0) to dark blue (the largest value, or 1 when row-normalised);
//! each cell shows its value, in white on dark cells.

use image::{Rgb, RgbImage};

use crate::draw::{draw_box, draw_text, text_width, GLYPH};

use super::metrics::Evaluation;

/// Which numbers a heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatmapValues {
    /// Row counts.
    Counts,
    /// Counts divided by the true class's row total.
    RowNormalised,
}

const MARGIN: u32 = 12;
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const BLACK: Rgb<u8> = Rgb([0, 0, 0]);
const DARK: [f64; 3] = [8.0, 48.0, 107.0];

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
            draw_box(
                &mut image,
                (x0, y0),
                (cell_width, cell_height),
                colour,
                Rgb([200, 200, 200]),
            );
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
