//! Shared by the golden tests of `tests/goldens/binary/` (morphology, EDM, watershed): reading
//! the committed inputs and ImageJ's outputs, and comparing images.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use hemato::io::{read_image, AnyImage, FloatImage};
use image::GrayImage;

/// `tests/goldens/binary`.
pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/binary")
}

/// A golden input mask.
pub struct Input {
    /// File stem, e.g. `smear_00003` or `pair_equal`.
    pub name: String,
    /// Whether it comes from a real image (`inputs/real`) rather than `inputs/synthetic`.
    pub real: bool,
    pub mask: GrayImage,
}

fn read_mask(path: &Path) -> GrayImage {
    match read_image(path).unwrap_or_else(|e| panic!("{e}")) {
        AnyImage::Gray8(mask) => mask,
        other => panic!(
            "{}: expected an 8-bit mask, got {}",
            path.display(),
            other.kind()
        ),
    }
}

/// All golden input masks, real ones first, each folder in file-name order.
pub fn inputs() -> Vec<Input> {
    let mut inputs = Vec::new();
    for (folder, real) in [("real", true), ("synthetic", false)] {
        let dir = golden_dir().join("inputs").join(folder);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "png"))
            .collect();
        files.sort();
        for path in files {
            inputs.push(Input {
                name: path.file_stem().unwrap().to_string_lossy().into_owned(),
                real,
                mask: read_mask(&path),
            });
        }
    }
    assert!(inputs.iter().filter(|i| i.real).count() >= 20);
    inputs
}

/// ImageJ's output mask for `operation` on input `name`.
pub fn expected_mask(operation: &str, name: &str) -> GrayImage {
    read_mask(
        &golden_dir()
            .join("expected")
            .join(operation)
            .join(format!("{name}.png")),
    )
}

/// ImageJ's 32-bit output for `operation` on input `name` (stored as a gzipped TIFF).
pub fn expected_float(operation: &str, name: &str) -> FloatImage {
    let path = golden_dir()
        .join("expected")
        .join(operation)
        .join(format!("{name}.tif.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut tiff = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut tiff)
        .unwrap();
    let mut decoder = tiff::decoder::Decoder::new(std::io::Cursor::new(tiff)).unwrap();
    let (width, height) = decoder.dimensions().unwrap();
    let tiff::decoder::DecodingResult::F32(values) = decoder.read_image().unwrap() else {
        panic!("{}: not a 32-bit float TIFF", path.display());
    };
    FloatImage::from_raw(width, height, values).unwrap()
}

/// Number of differing pixels and the first one (x, y, ours, expected), for messages.
pub fn mask_difference(
    ours: &GrayImage,
    expected: &GrayImage,
) -> (usize, Option<(u32, u32, u8, u8)>) {
    assert_eq!(ours.dimensions(), expected.dimensions());
    let mut first = None;
    let mut count = 0;
    for (x, y, pixel) in ours.enumerate_pixels() {
        let other = expected.get_pixel(x, y);
        if pixel != other {
            count += 1;
            first.get_or_insert((x, y, pixel.0[0], other.0[0]));
        }
    }
    (count, first)
}

/// Checks every input against ImageJ's output of `operation`; returns the number of
/// 255-pixels compared, so callers can assert that the test saw real content.
pub fn assert_all_identical(operation: &str, ours: impl Fn(&GrayImage) -> GrayImage) -> usize {
    let mut failures = Vec::new();
    let mut objects = 0;
    for input in inputs() {
        let expected = expected_mask(operation, &input.name);
        objects += expected.pixels().filter(|p| p.0[0] == 255).count();
        let result = ours(&input.mask);
        let (count, first) = mask_difference(&result, &expected);
        if count > 0 {
            failures.push(format!(
                "{}: {count} pixels differ, first (x, y, hemato, ImageJ) = {first:?}",
                input.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{operation} differs from ImageJ:\n{}",
        failures.join("\n")
    );
    objects
}
