//! The cache of decoded chunks shared by a slide's readers: overlapping windows read through it
//! give the pixels written (lossless files) and the pixels of a reader without a cache (JPEG),
//! every chunk is decoded once when the budget holds them all, the budget bounds the bytes
//! held, and a corrupt chunk is an error on every read.

use std::path::{Path, PathBuf};

use hemato::slide::mosaic::{write_tiled_tiff, TiffCompression};
use hemato::slide::reader::{SlideReadError, SlideReader};
use hemato::slide::tiles::{Rect, TileGrid};
use image::RgbImage;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/goldens/slide")
        .join(name)
}

/// A real smear field tiled 3 x 2 into a 900 x 400 image.
fn test_image() -> RgbImage {
    let source = hemato::io::read_rgb_image(&fixture("source.png")).unwrap();
    RgbImage::from_fn(900, 400, |x, y| *source.get_pixel(x % 300, y % 200))
}

fn crop(image: &RgbImage, rect: Rect) -> RgbImage {
    image::imageops::crop_imm(image, rect.x, rect.y, rect.width, rect.height).to_image()
}

/// The windows of a grid of 200-pixel tiles with a 40-pixel overlap (neighbouring windows
/// share 80 pixels), in the order the slide run reads them.
fn windows(width: u32, height: u32) -> Vec<Rect> {
    let grid = TileGrid::new(width, height, 200, 40).unwrap();
    (0..grid.len()).map(|tile| grid.tile(tile).window).collect()
}

/// Reads every window, alternating between `reader` and a reopened copy (which shares its
/// cache), and checks each against `expected`.
fn assert_windows_read(path: &Path, budget: usize, expected: &dyn Fn(Rect) -> RgbImage) {
    let mut reader = SlideReader::open_with_chunk_cache(path, budget).unwrap();
    let mut other = reader.reopen().unwrap();
    let (width, height) = reader.dimensions();
    for (index, window) in windows(width, height).into_iter().enumerate() {
        let which = if index % 2 == 0 {
            &mut reader
        } else {
            &mut other
        };
        let pixels = which.read(window).unwrap();
        assert!(
            pixels == expected(window),
            "{} {window:?}, budget {budget}",
            path.display()
        );
    }
}

/// Bytes of `count` decoded 64 x 64 RGB tiles.
fn tiles(count: usize) -> usize {
    count * 64 * 64 * 3
}

#[test]
fn overlapping_windows_through_the_cache_give_the_pixels_written() {
    let dir = tempfile::tempdir().unwrap();
    let image = test_image();
    let deflate = dir.path().join("deflate.tif");
    write_tiled_tiff(&deflate, 900, 400, 64, TiffCompression::Deflate, |rect| {
        crop(&image, rect)
    })
    .unwrap();
    // 16-bit RGB strips holding v·257 (another decoding path: reduced to 8 bits as v).
    let wide: Vec<u16> = image.as_raw().iter().map(|&v| u16::from(v) * 257).collect();
    let strips = dir.path().join("rgb16.tif");
    tiff::encoder::TiffEncoder::new(std::fs::File::create(&strips).unwrap())
        .unwrap()
        .write_image::<tiff::encoder::colortype::RGB16>(900, 400, &wide)
        .unwrap();
    let lzw = fixture("lzw_tiles_predictor.tif");
    let source = hemato::io::read_rgb_image(&fixture("source.png")).unwrap();
    // No cache, a budget of three tiles (evicting all the time), the default.
    for budget in [0, tiles(3), hemato::slide::reader::CHUNK_CACHE_BYTES] {
        assert_windows_read(&deflate, budget, &|rect| crop(&image, rect));
        assert_windows_read(&strips, budget, &|rect| crop(&image, rect));
        assert_windows_read(&lzw, budget, &|rect| crop(&source, rect));
    }
}

#[test]
fn jpeg_windows_through_the_cache_match_reads_without_it() {
    let path = fixture("ycbcr_jpeg_pyramid.tif");
    let mut uncached = SlideReader::open_with_chunk_cache(&path, 0).unwrap();
    let expected: Vec<(Rect, RgbImage)> = windows(300, 200)
        .into_iter()
        .map(|rect| (rect, uncached.read(rect).unwrap()))
        .collect();
    for budget in [tiles(1), tiles(100)] {
        assert_windows_read(&path, budget, &|rect| {
            let (_, pixels) = expected.iter().find(|(r, _)| *r == rect).unwrap();
            pixels.clone()
        });
    }
}

#[test]
fn each_chunk_is_decoded_once_within_the_budget_and_the_budget_bounds_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let image = test_image();
    let path = dir.path().join("deflate.tif");
    write_tiled_tiff(&path, 900, 400, 64, TiffCompression::Deflate, |rect| {
        crop(&image, rect)
    })
    .unwrap();
    // 15 x 7 tiles of 64 pixels (the last column and row padded to whole tiles).
    let chunks = 15 * 7;
    let read_all = |budget: usize| {
        let mut reader = SlideReader::open_with_chunk_cache(&path, budget).unwrap();
        let mut other = reader.reopen().unwrap();
        for (index, window) in windows(900, 400).into_iter().enumerate() {
            let which = if index % 2 == 0 {
                &mut reader
            } else {
                &mut other
            };
            which.read(window).unwrap();
        }
        // The reopened reader shares the cache: both report the same.
        assert_eq!(
            reader.chunk_cache_statistics(),
            other.chunk_cache_statistics()
        );
        reader.chunk_cache_statistics().unwrap()
    };
    let uncached = read_all(0);
    assert_eq!(uncached.hits, 0);
    assert_eq!((uncached.chunks, uncached.peak_bytes), (0, 0));
    // Neighbouring windows share chunks: without a cache some are decoded several times.
    assert!(uncached.decodes > chunks as u64, "{uncached:?}");
    let whole = read_all(tiles(chunks));
    assert_eq!(whole.decodes, chunks as u64, "{whole:?}");
    assert_eq!(whole.hits + whole.decodes, uncached.decodes);
    // The decoder returns the edge tiles' pixels inside the image only: the cache holds the
    // slide's pixels exactly.
    assert_eq!(whole.bytes, 900 * 400 * 3);
    for budget in [tiles(2), tiles(5) + 1, tiles(20) - 1] {
        let bounded = read_all(budget);
        assert!(bounded.peak_bytes <= budget, "{bounded:?} {budget}");
        assert!(bounded.decodes > chunks as u64, "{bounded:?}");
        assert_eq!(bounded.hits + bounded.decodes, uncached.decodes);
    }
    // The memory image of a small slide has no chunk cache.
    let memory = SlideReader::from_image(&path, image);
    assert_eq!(memory.chunk_cache_statistics(), None);
}

#[test]
fn a_corrupt_chunk_is_an_error_on_every_read() {
    let dir = tempfile::tempdir().unwrap();
    let image = test_image();
    let path = dir.path().join("deflate.tif");
    write_tiled_tiff(&path, 900, 400, 64, TiffCompression::Deflate, |rect| {
        crop(&image, rect)
    })
    .unwrap();
    // Overwrite tile 17 (column 2, row 1: pixels 128..192 x 64..128) with bytes that are no
    // zlib stream.
    let mut decoder = tiff::decoder::Decoder::new(std::fs::File::open(&path).unwrap()).unwrap();
    let offsets = decoder
        .get_tag_u64_vec(tiff::tags::Tag::TileOffsets)
        .unwrap();
    let counts = decoder
        .get_tag_u64_vec(tiff::tags::Tag::TileByteCounts)
        .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let start = offsets[17] as usize;
    bytes[start..start + counts[17] as usize].fill(0xFF);
    std::fs::write(&path, &bytes).unwrap();

    let mut reader = SlideReader::open(&path).unwrap();
    let mut other = reader.reopen().unwrap();
    let touching = Rect::new(100, 50, 200, 100);
    let mut messages = Vec::new();
    for _ in 0..3 {
        for which in [&mut reader, &mut other] {
            let error = which.read(touching).unwrap_err();
            assert!(matches!(error, SlideReadError::Corrupt { .. }), "{error}");
            messages.push(error.to_string());
            // The tiles around it are read and cached as before.
            let beside = Rect::new(0, 0, 128, 400);
            assert!(which.read(beside).unwrap() == crop(&image, beside));
        }
    }
    assert!(messages.iter().all(|message| *message == messages[0]));
    // The first failing read decodes tiles 1..=4 of row 0 and tile 16 (kept), then tile 17
    // (fails, the read stops); the first read beside decodes the 12 tiles of columns 0 and 1
    // it does not share with it. Every later read finds those and decodes only tile 17 again.
    let statistics = reader.chunk_cache_statistics().unwrap();
    assert_eq!(statistics.decodes, 6 + 12 + 5, "{statistics:?}");
    assert_eq!(statistics.chunks, 5 + 12, "{statistics:?}");
}
