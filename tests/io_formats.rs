//! `hemato::io::read_image` on the file formats of issue 2: TIFF with LZW, Deflate (with
//! predictor) and PackBits, tiled and stripped, written by tifffile/imagecodecs (an independent
//! encoder; `tests/goldens/slide/`), 8- and 16-bit grey TIFF, BMP, and a zero-size image.

use std::path::{Path, PathBuf};

use hemato::io::{read_image, read_rgb_image, AnyImage, ImageReadError};
use image::{GrayImage, ImageBuffer, Luma, RgbImage};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/goldens/slide")
        .join(name)
}

#[test]
fn compressed_tiffs_from_tifffile_read_back_as_their_source() {
    let source = read_rgb_image(&golden("source.png")).unwrap();
    for name in [
        "lzw_tiles_predictor.tif",
        "lzw_strips.tif",
        "deflate_strips_predictor.tif",
        "packbits_strips.tif",
    ] {
        match read_image(&golden(name)) {
            Ok(AnyImage::Rgb8(image)) => assert!(image == source, "{name} differs from source"),
            Ok(other) => panic!("{name}: read as {}", other.kind()),
            Err(error) => panic!("{name}: {error}"),
        }
    }
}

#[test]
fn grey_tiffs_of_8_and_16_bits_and_bmp_round_trip() {
    let folder = tempfile::tempdir().unwrap();
    let grey = GrayImage::from_fn(7, 5, |x, y| Luma([(x * 30 + y) as u8]));
    let path = folder.path().join("grey8.tif");
    grey.save(&path).unwrap();
    assert_eq!(read_image(&path).unwrap(), AnyImage::Gray8(grey.clone()));

    let deep: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_fn(7, 5, |x, y| Luma([(x * 9000 + y * 7) as u16]));
    let path = folder.path().join("grey16.tif");
    deep.save(&path).unwrap();
    assert_eq!(read_image(&path).unwrap(), AnyImage::Gray16(deep));

    let rgb = RgbImage::from_fn(6, 4, |x, y| image::Rgb([x as u8 * 40, y as u8 * 60, 7]));
    let path = folder.path().join("colour.bmp");
    rgb.save(&path).unwrap();
    assert_eq!(read_image(&path).unwrap(), AnyImage::Rgb8(rgb));
}

#[test]
fn a_tiff_truncated_in_its_data_is_an_error_naming_the_file() {
    let folder = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(golden("lzw_strips.tif")).unwrap();
    let path = folder.path().join("cut.tif");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let error = read_image(&path).unwrap_err();
    assert!(error.to_string().contains("cut.tif"), "{error}");
}

#[test]
fn an_image_without_pixels_is_refused() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("empty.npy");
    // A NumPy array of shape (0, 5): a valid file holding no pixels.
    let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 5), }";
    let mut padded = header.to_string();
    while (10 + padded.len() + 1) % 64 != 0 {
        padded.push(' ');
    }
    padded.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(padded.len() as u16).to_le_bytes());
    bytes.extend_from_slice(padded.as_bytes());
    std::fs::write(&path, bytes).unwrap();
    let error = read_image(&path).unwrap_err();
    assert!(
        matches!(error, ImageReadError::Empty { .. }) && error.to_string().contains("empty.npy"),
        "{error}"
    );
}
