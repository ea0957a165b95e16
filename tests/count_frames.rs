//! `hemato count` on fields that are not smear from edge to edge: a flat frame around the field
//! (padding, letterboxing) and the black corners of a round field stop (`hemato::count::view`).
//!
//! The reference is the same field without the frame: a frame adds no cell and takes none away.
//! Before the field of view existed, a 16-pixel frame around BCCD_00003 gave 0 cells (black),
//! and around BCCD_00005 3,919 red cells (light grey, taken for the background).

use std::path::Path;

use hemato::count::view::{framed_field, FieldOfView, UNLIT_LEVEL};
use hemato::count::{count_image, CountOptions, ImageCount, WhiteCellClassifier};
use image::{Rgb, RgbImage};

fn field() -> RgbImage {
    hemato::io::read_rgb_image(Path::new("fixtures/smears/BloodImage_00003.jpg")).unwrap()
}

fn framed(image: &RgbImage, margin: u32, colour: [u8; 3]) -> RgbImage {
    let mut framed = RgbImage::from_pixel(
        image.width() + 2 * margin,
        image.height() + 2 * margin,
        Rgb(colour),
    );
    image::imageops::replace(&mut framed, image, i64::from(margin), i64::from(margin));
    framed
}

fn count(image: &RgbImage) -> ImageCount {
    count_image(
        image,
        &CountOptions::default(),
        &WhiteCellClassifier::builtin(),
    )
    .unwrap()
}

/// Every cell of `inner` appears in `outer`, moved by `(shift, shift)`, with the same class,
/// probability and features.
fn assert_same_cells(inner: &ImageCount, outer: &ImageCount, shift: u32) {
    assert_eq!(inner.cells.len(), outer.cells.len());
    for (a, b) in inner.cells.iter().zip(&outer.cells) {
        assert_eq!((a.bx + shift, a.by + shift), (b.bx, b.by));
        assert_eq!((a.x + f64::from(shift), a.y + f64::from(shift)), (b.x, b.y));
        assert_eq!((a.class, a.probability), (b.class, b.probability));
        assert_eq!(a.features, b.features);
    }
    assert_eq!(inner.field.red_cell_area, outer.field.red_cell_area);
}

#[test]
fn a_flat_frame_of_any_colour_changes_no_cell() {
    let image = field();
    let plain = count(&image);
    assert!(plain.cells.len() > 20, "{} cells", plain.cells.len());
    for colour in [[0, 0, 0], [220, 220, 220], [255, 255, 255], [40, 200, 90]] {
        let outer = framed(&image, 16, colour);
        assert_eq!(
            framed_field(&outer),
            Some([16, 16, 16 + image.width(), 16 + image.height()]),
            "{colour:?}"
        );
        assert_same_cells(&plain, &count(&outer), 16);
    }
}

#[test]
fn a_margin_in_the_background_colour_is_background() {
    let image = field();
    let background = FieldOfView::of(&image)
        .background()
        .rgb
        .map(|c| c.round() as u8);
    let outer = framed(&image, 16, background);
    assert_eq!(framed_field(&outer), None);
}

/// Whether `(x, y)` lies outside the round field stop of [`vignetted`].
fn beyond_field_stop(image: &RgbImage, x: u32, y: u32) -> bool {
    let (width, height) = image.dimensions();
    let dx = f64::from(x) - f64::from(width) / 2.0;
    let dy = f64::from(y) - f64::from(height) / 2.0;
    dx.hypot(dy) > 0.45 * f64::from(width.max(height))
}

/// The field with black corners, as behind a round field stop.
fn vignetted(image: &RgbImage) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        if beyond_field_stop(image, x, y) {
            Rgb([UNLIT_LEVEL / 2; 3])
        } else {
            *image.get_pixel(x, y)
        }
    })
}

#[test]
fn black_corners_are_outside_the_view_and_count_nothing() {
    let image = field();
    let outside = |x: u32, y: u32| beyond_field_stop(&image, x, y);
    let vignetted = vignetted(&image);
    let corners = image
        .enumerate_pixels()
        .filter(|(x, y, _)| outside(*x, *y))
        .count();
    let view = FieldOfView::of(&vignetted);
    assert_eq!(view.outside_pixels(), corners);
    // The corners hold a few cells of the plain field; what is left is counted as on the
    // plain field. Without the view, the unlit corners set the cell level above the red cells.
    let plain = count(&image);
    let corner_cells = plain
        .cells
        .iter()
        .filter(|cell| outside(cell.x as u32, cell.y as u32))
        .count();
    let seen = count(&vignetted);
    let expected = plain.cells.len() - corner_cells;
    assert!(
        seen.cells.len().abs_diff(expected) <= 2,
        "{} cells, {} expected ({} in the corners)",
        seen.cells.len(),
        expected,
        corner_cells
    );
    assert!(seen
        .cells
        .iter()
        .all(|cell| !outside(cell.x as u32, cell.y as u32)));
}

/// The white cell's window reaches into the black corners. Left black, they took the feature
/// extractor's grey and nucleus levels (`features::fill_unlit`): the cell was counted but not
/// described, so not typed. Painted in the background colour, it is typed as on the plain
/// field.
#[test]
fn a_white_cell_beside_black_corners_is_typed_as_on_the_plain_field() {
    let white = |count: &ImageCount| -> Vec<(Option<hemato::count::CellClass>, usize)> {
        count
            .cells
            .iter()
            .filter(|cell| cell.kind == hemato::count::Kind::WhiteCell)
            .map(|cell| (cell.class, cell.features.len()))
            .collect()
    };
    let plain = white(&count(&field()));
    let seen = white(&count(&vignetted(&field())));
    assert_eq!(plain.len(), 1, "{plain:?}");
    assert!(plain[0].0.is_some() && plain[0].1 > 0, "{plain:?}");
    assert_eq!(seen, plain);
}

/// A slide run leaves unlit pixels out as `hemato count` does: before, the black corners took
/// the slide's cell level above the red cells (4 red cells of 27 on BloodImage_00005).
#[test]
fn a_slide_with_black_corners_counts_as_the_single_image() {
    let dir = tempfile::tempdir().unwrap();
    let image = vignetted(&field());
    let path = dir.path().join("vignetted.png");
    hemato::io::write_rgb_png(&path, &image).unwrap();
    let out = dir.path().join("slide");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args([
            "slide",
            path.to_str().unwrap(),
            "-q",
            "-o",
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let counts = std::fs::read_to_string(out.join("counts.csv")).unwrap();
    let total = counts
        .lines()
        .find(|line| line.starts_with("total,"))
        .unwrap();
    let red_cells: usize = total.split(',').nth(1).unwrap().parse().unwrap();
    let single = count(&image);
    let expected = single
        .cells
        .iter()
        .filter(|cell| cell.class == Some(hemato::count::CellClass::Rbc))
        .count();
    assert!(expected > 20, "{expected}");
    // Slide-wide parameters from colour bins and per-cluster watersheds (docs/slides.md).
    assert!(
        red_cells.abs_diff(expected) <= 2,
        "slide {red_cells}, single image {expected}"
    );
    // The white cell is typed: the white classes (neutrophil to ig) add up to the white-cell
    // total.
    let values: Vec<usize> = total
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    let (subtypes, white_total) = (&values[2..8], values[9]);
    assert_eq!(white_total, 1, "{total}");
    assert_eq!(subtypes.iter().sum::<usize>(), white_total, "{total}");
}
