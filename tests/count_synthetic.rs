//! `hemato count` on drawn smears whose counts are known by construction: pink discs (red
//! cells), a violet nucleus in a pale cytoplasm (a white cell), small violet dots (platelets)
//! on a green-grey background, at two magnifications and on two backgrounds.

use hemato::count::{
    count_image, red_cell_pieces, shared_red_cell_area, CellClass, CountError, CountOptions, Kind,
    WhiteCellClassifier,
};
use image::{Rgb, RgbImage};

struct Disc {
    x: f64,
    y: f64,
    radius: f64,
    colour: [u8; 3],
}

/// 12 single red cells of radius 20 on a 4 x 3 grid, 60 apart, the first centred at (40, 40).
fn red_cell_grid(colour: [u8; 3]) -> Vec<Disc> {
    let mut discs = Vec::new();
    for row in 0..3 {
        for column in 0..4 {
            discs.push(Disc {
                x: 40.0 + 60.0 * f64::from(column),
                y: 40.0 + 60.0 * f64::from(row),
                radius: 20.0,
                colour,
            });
        }
    }
    discs
}

/// A field: 12 single red cells on a grid, one touching pair, one white cell, two platelets.
/// Lengths scale with `scale` (red-cell radius 20 * scale).
fn field(scale: f64, background: [u8; 3]) -> RgbImage {
    let pink = [200, 120, 140];
    let violet = [90, 60, 160];
    let cytoplasm = [170, 160, 185];
    let mut discs = red_cell_grid(pink);
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
        ..CountOptions::default()
    };
    let count = count_image(&image, &options, &WhiteCellClassifier::None).unwrap();
    let scale = count.scale.unwrap();
    assert!(!scale.estimated);
    assert_eq!(scale.pixel_size, 0.1875);
    // 7.5 µm at 0.1875 µm per pixel: 40 px, the discs' diameter; the counts are the same.
    assert_eq!(count.count(CellClass::Rbc), 14);
    assert_eq!(count.white_total(), 1);
}

/// An ellipse with semi-axes `a` (along x) and `b`, for [`two_lobed_cells`].
struct Ellipse {
    x: f64,
    y: f64,
    a: f64,
    b: f64,
    colour: [u8; 3],
}

/// 12 red cells (diameter 40 px) for the scale, then white cells whose two nucleus lobes are
/// each a large piece (an ellipse of 0.55-0.63 red-cell areas) within joining reach
/// (0.4 d = 16 px) of each other:
/// - one cell 2.67 d wide whose two lobes span 2.5 d (100 px; 12 px apart): a large
///   eosinophil's lobes and granules, one white cell;
/// - two touching cells 1.7 d wide whose lobes span 2.95 d (118 px; 6 px apart): wider than
///   any one white cell, two white cells.
fn two_lobed_cells() -> RgbImage {
    let (pink, violet, cytoplasm) = ([200, 120, 140], [90, 60, 160], [170, 160, 185]);
    let mut shapes = Vec::new();
    for row in 0..3 {
        for column in 0..4 {
            let (x, y) = (
                40.0 + 60.0 * f64::from(column),
                40.0 + 60.0 * f64::from(row),
            );
            shapes.push(Ellipse {
                x,
                y,
                a: 20.0,
                b: 20.0,
                colour: pink,
            });
        }
    }
    // One large cell (107 x 64 px) with lobes of 22 x 10 px semi-axes, centres 56 px apart.
    shapes.push(Ellipse {
        x: 360.0,
        y: 60.0,
        a: 53.0,
        b: 32.0,
        colour: cytoplasm,
    });
    for x in [332.0, 388.0] {
        shapes.push(Ellipse {
            x,
            y: 60.0,
            a: 22.0,
            b: 10.0,
            colour: violet,
        });
    }
    // Two touching cells (radius 34 px, centres 68 px apart) with lobes of 28 x 9 px
    // semi-axes, centres 62 px apart.
    for x in [326.0, 394.0] {
        shapes.push(Ellipse {
            x,
            y: 200.0,
            a: 34.0,
            b: 34.0,
            colour: cytoplasm,
        });
    }
    for x in [329.0, 391.0] {
        shapes.push(Ellipse {
            x,
            y: 200.0,
            a: 28.0,
            b: 9.0,
            colour: violet,
        });
    }
    RgbImage::from_fn(460, 260, |x, y| {
        let (px, py) = (f64::from(x), f64::from(y));
        let colour = shapes
            .iter()
            .rev()
            .find(|e| ((px - e.x) / e.a).powi(2) + ((py - e.y) / e.b).powi(2) <= 1.0)
            .map_or([200, 210, 205], |e| e.colour);
        Rgb(colour)
    })
}

#[test]
fn lobes_join_up_to_the_largest_white_cell() {
    let count = count_image(
        &two_lobed_cells(),
        &CountOptions::default(),
        &WhiteCellClassifier::None,
    )
    .unwrap();
    let diameter = count.field.red_cell_diameter().unwrap();
    assert!((diameter - 40.0).abs() <= 2.0, "{diameter}");
    assert_eq!(count.count(CellClass::Rbc), 12);
    assert_eq!(count.field.count(Kind::WhiteCell), 3);
    // With a limit below the large cell's 2.5 d (the earlier 2.4 d), its lobes are two cells.
    let narrower = hemato::count::fields::Settings {
        nucleus_extent: 2.4,
        ..Default::default()
    };
    let field = hemato::count::fields::detect_with(&two_lobed_cells(), None, &narrower).unwrap();
    assert_eq!(field.count(Kind::WhiteCell), 4);
}

/// 12 red cells (diameter d = 40 px) for the scale, then two white cells, each with a small
/// violet piece (radius 4 px: 0.04 red-cell areas, platelet-sized, above the 1 µm granule
/// limit of 0.018 A) 12 px (0.3 d) from its nucleus, within the 0.4 d joining reach:
/// - a lymphocyte-like cell (nucleus radius 15 px, cytoplasm rim 3 px) with the piece on the
///   background beside it: a platelet;
/// - a cell with a wide cytoplasm (nucleus radius 14 px, cytoplasm radius 34 px) with the piece
///   inside the cytoplasm: a granule clump or lobe of that cell, no platelet.
fn platelet_beside_white_cell() -> RgbImage {
    let (pink, violet, cytoplasm) = ([200, 120, 140], [90, 60, 160], [170, 160, 185]);
    let mut discs = red_cell_grid(pink);
    let mut white = |x: f64, y: f64, nucleus: f64, cell: f64, piece_x: f64| {
        discs.push(Disc {
            x,
            y,
            radius: cell,
            colour: cytoplasm,
        });
        for (x, radius) in [(x, nucleus), (piece_x, 4.0)] {
            discs.push(Disc {
                x,
                y,
                radius,
                colour: violet,
            });
        }
    };
    // Beside: nucleus edge at x = 335, piece from 347 to 355 (cytoplasm ends at 338).
    white(320.0, 70.0, 15.0, 18.0, 351.0);
    // Inside: nucleus edge at x = 334, piece from 346 to 354 (cytoplasm ends at 354).
    white(320.0, 190.0, 14.0, 34.0, 350.0);
    RgbImage::from_fn(460, 260, |x, y| {
        let (px, py) = (f64::from(x), f64::from(y));
        let colour = discs
            .iter()
            .rev()
            .find(|d| (px - d.x).powi(2) + (py - d.y).powi(2) <= d.radius * d.radius)
            .map_or([200, 210, 205], |d| d.colour);
        Rgb(colour)
    })
}

#[test]
fn a_platelet_beside_a_white_cell_stays_a_platelet() {
    let image = platelet_beside_white_cell();
    let count = count_image(&image, &CountOptions::default(), &WhiteCellClassifier::None).unwrap();
    let diameter = count.field.red_cell_diameter().unwrap();
    assert!((diameter - 40.0).abs() <= 2.0, "{diameter}");
    assert_eq!(count.count(CellClass::Rbc), 12);
    assert_eq!(count.field.count(Kind::WhiteCell), 2);
    assert_eq!(count.count(CellClass::Platelet), 1);
    let platelet = count
        .field
        .detections
        .iter()
        .find(|detection| detection.kind == Kind::Platelet)
        .unwrap();
    let bounds = platelet.particle.bounds;
    assert!(
        bounds.x >= 345 && bounds.x + bounds.width <= 357,
        "{bounds:?}"
    );
    assert!(
        bounds.y >= 62 && bounds.y + bounds.height <= 78,
        "{bounds:?}"
    );
    // Neither white cell's region takes the platelet's pixels.
    for detection in &count.field.detections {
        if detection.kind == Kind::WhiteCell {
            assert!(!detection
                .particle
                .runs
                .iter()
                .any(|run| run.y == 70 && run.x_start <= 351 && 351 < run.x_end));
        }
    }
    // Joining small pieces across the whole reach (the former rule) takes the platelet into
    // the white cell.
    let former = hemato::count::fields::Settings {
        lobe_gap: 0.4,
        ..Default::default()
    };
    let field = hemato::count::fields::detect_with(&image, None, &former).unwrap();
    assert_eq!(field.count(Kind::Platelet), 0);
    assert_eq!(field.count(Kind::WhiteCell), 2);
}

/// Two drawn fields of one magnification (discs of radius 20 px): the red-cell area pooled over
/// both is a disc's (within 5 %), and each field counted at it counts exactly, with that one
/// estimated scale.
#[test]
fn a_shared_red_cell_area_is_pooled_over_fields_and_used_by_each() {
    let fields = [field(1.0, [200, 210, 205]), field(1.0, [235, 225, 200])];
    let pieces: Vec<_> = fields
        .iter()
        .map(|image| red_cell_pieces(image).unwrap())
        .collect();
    let area = shared_red_cell_area(pieces.iter().map(Vec::as_slice)).unwrap();
    let disc = std::f64::consts::PI * 400.0;
    assert!((area - disc).abs() <= 0.05 * disc, "{area}");
    let options = CountOptions {
        shared_red_cell_area: Some(area),
        ..CountOptions::default()
    };
    for image in &fields {
        let count = count_image(image, &options, &WhiteCellClassifier::None).unwrap();
        assert_eq!(count.count(CellClass::Rbc), 14);
        assert_eq!(count.count(CellClass::Platelet), 2);
        assert_eq!(count.white_total(), 1);
        let scale = count.scale.unwrap();
        assert!(scale.estimated);
        let diameter = 2.0 * (area / std::f64::consts::PI).sqrt();
        assert!((scale.pixel_size - 7.5 / diameter).abs() < 1e-12);
    }
}

#[test]
fn a_shared_red_cell_area_must_be_a_positive_number() {
    let image = field(1.0, [200, 210, 205]);
    for area in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        let options = CountOptions {
            shared_red_cell_area: Some(area),
            ..CountOptions::default()
        };
        let result = count_image(&image, &options, &WhiteCellClassifier::None);
        assert!(
            matches!(result, Err(CountError::BadRedCellArea(_))),
            "{area}"
        );
    }
    // No image with red cells: no shared area.
    let empty = RgbImage::from_pixel(64, 64, Rgb([200, 210, 205]));
    assert_eq!(
        shared_red_cell_area([red_cell_pieces(&empty).unwrap().as_slice()]),
        None
    );
}
