//! `hemato count` on drawn smears whose counts are known by construction: pink discs (red
//! cells), a violet nucleus in a pale cytoplasm (a white cell), small violet dots (platelets)
//! on a green-grey background, at two magnifications and on two backgrounds.

use hemato::count::{count_image, CellClass, CountOptions, Kind, WhiteCellClassifier};
use image::{Rgb, RgbImage};

struct Disc {
    x: f64,
    y: f64,
    radius: f64,
    colour: [u8; 3],
}

/// A field: 12 single red cells on a grid, one touching pair, one white cell, two platelets.
/// Lengths scale with `scale` (red-cell radius 20 * scale).
fn field(scale: f64, background: [u8; 3]) -> RgbImage {
    let pink = [200, 120, 140];
    let violet = [90, 60, 160];
    let cytoplasm = [170, 160, 185];
    let mut discs = Vec::new();
    for row in 0..3 {
        for column in 0..4 {
            discs.push(Disc {
                x: 40.0 + 60.0 * f64::from(column),
                y: 40.0 + 60.0 * f64::from(row),
                radius: 20.0,
                colour: pink,
            });
        }
    }
    // Two cells overlapping a little: the watershed cuts them apart.
    discs.push(Disc {
        x: 300.0,
        y: 40.0,
        radius: 20.0,
        colour: pink,
    });
    discs.push(Disc {
        x: 336.0,
        y: 40.0,
        radius: 20.0,
        colour: pink,
    });
    // The white cell: cytoplasm, then nucleus on top.
    discs.push(Disc {
        x: 320.0,
        y: 160.0,
        radius: 26.0,
        colour: cytoplasm,
    });
    discs.push(Disc {
        x: 320.0,
        y: 160.0,
        radius: 15.0,
        colour: violet,
    });
    // Platelets.
    discs.push(Disc {
        x: 265.0,
        y: 230.0,
        radius: 4.0,
        colour: violet,
    });
    discs.push(Disc {
        x: 360.0,
        y: 240.0,
        radius: 4.0,
        colour: violet,
    });
    let (width, height) = ((400.0 * scale) as u32, (280.0 * scale) as u32);
    RgbImage::from_fn(width, height, |x, y| {
        let (px, py) = (f64::from(x) / scale, f64::from(y) / scale);
        let colour = discs
            .iter()
            .rev()
            .find(|d| (px - d.x).powi(2) + (py - d.y).powi(2) <= d.radius * d.radius)
            .map_or(background, |d| d.colour);
        Rgb(colour)
    })
}

fn check(image: &RgbImage, expected_diameter: f64) {
    let count = count_image(image, &CountOptions::default(), &WhiteCellClassifier::None).unwrap();
    assert_eq!(count.count(CellClass::Rbc), 14);
    assert_eq!(count.count(CellClass::Platelet), 2);
    assert_eq!(count.white_total(), 1);
    assert_eq!(count.field.count(Kind::WhiteCell), 1);
    // The red-cell diameter is measured from the discs (within 5 %).
    let diameter = count.field.red_cell_diameter().unwrap();
    assert!(
        (diameter - expected_diameter).abs() <= 0.05 * expected_diameter,
        "{diameter}"
    );
    let scale = count.scale.unwrap();
    assert!(scale.estimated);
    assert!((scale.pixel_size - 7.5 / diameter).abs() < 1e-12);
}

#[test]
fn drawn_field_counts_exactly() {
    check(&field(1.0, [200, 210, 205]), 40.0);
}

#[test]
fn twice_the_magnification_counts_the_same() {
    check(&field(2.0, [200, 210, 205]), 80.0);
}

#[test]
fn a_cream_background_counts_the_same() {
    check(&field(1.0, [235, 225, 200]), 40.0);
}

#[test]
fn a_known_pixel_size_is_used_as_given() {
    let image = field(1.0, [200, 210, 205]);
    let options = CountOptions {
        pixel_size: Some(0.1875),
    };
    let count = count_image(&image, &options, &WhiteCellClassifier::None).unwrap();
    let scale = count.scale.unwrap();
    assert!(!scale.estimated);
    assert_eq!(scale.pixel_size, 0.1875);
    // 7.5 µm at 0.1875 µm per pixel: 40 px, the discs' diameter; the counts are the same.
    assert_eq!(count.count(CellClass::Rbc), 14);
    assert_eq!(count.white_total(), 1);
}
