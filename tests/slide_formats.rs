//! The slide reader against independent decoders and against the pixels it was given.
//!
//! - JPEG tiles (YCbCr with 2x2 chroma subsampling, PhotometricInterpretation YCbCr and the
//!   Aperio-style RGB label) against libjpeg-turbo's decoding of the same file (Pillow/libtiff):
//!   fixtures and their script in tests/goldens/slide/.
//! - Pyramids: the full-resolution image is chosen, not the first, a reduced level or a label.
//! - Lossless layouts (tiled BigTIFF uncompressed/Deflate, stripped TIFF uncompressed,
//!   16-bit RGB, RGBA, grey, PNG; from tifffile: LZW tiles and strips with and without the
//!   horizontal predictor, PackBits strips and Deflate strips with the predictor (the tiff
//!   crate 0.11's strip writer declares a compression but stores strips raw, so it is used for
//!   uncompressed strips only): every pixel equal to the image written, for whole and partial
//!   reads.
//! - Unsupported codecs are refused by name.
//! - The cache of decoded chunks: overlapping windows read through it give the pixels written
//!   (or, for JPEG, those of a reader without it), each chunk is decoded once when all fit, the
//!   budget bounds the bytes held, and a corrupt chunk is an error on every read.

use std::path::{Path, PathBuf};

use hemato::memory::Limit;
use hemato::slide::chunk_cache::CacheStatistics;
use hemato::slide::mosaic::{write_tiled_tiff, TiffCompression};
use hemato::slide::reader::{SlideReadError, SlideReader, CHUNK_CACHE_BYTES};
use hemato::slide::tiles::{Rect, TileGrid};
use image::RgbImage;

mod png_support;
use png_support::png_header_only;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/goldens/slide")
        .join(name)
}

/// A real smear field (the fixtures' source crop) tiled 3 x 2 into a 900 x 400 image.
fn test_image() -> RgbImage {
    let source = hemato::io::read_rgb_image(&fixture("source.png")).unwrap();
    RgbImage::from_fn(900, 400, |x, y| *source.get_pixel(x % 300, y % 200))
}

fn crop(image: &RgbImage, rect: Rect) -> RgbImage {
    image::imageops::crop_imm(image, rect.x, rect.y, rect.width, rect.height).to_image()
}

/// Rectangles that start and end inside chunks, span several, and touch the borders.
const RECTS: [Rect; 5] = [
    Rect {
        x: 0,
        y: 0,
        width: 900,
        height: 400,
    },
    Rect {
        x: 13,
        y: 7,
        width: 301,
        height: 150,
    },
    Rect {
        x: 250,
        y: 120,
        width: 650,
        height: 280,
    },
    Rect {
        x: 899,
        y: 399,
        width: 1,
        height: 1,
    },
    Rect {
        x: 128,
        y: 64,
        width: 128,
        height: 1,
    },
];

fn assert_reads_exactly(path: &Path, image: &RgbImage) {
    let mut reader = SlideReader::open(path).unwrap();
    assert_eq!(
        reader.dimensions(),
        image.dimensions(),
        "{}",
        path.display()
    );
    let mut other = reader.reopen().unwrap();
    for rect in RECTS {
        let expected = crop(image, rect);
        assert!(
            reader.read(rect).unwrap() == expected,
            "{} {rect:?}",
            path.display()
        );
        assert!(
            other.read(rect).unwrap() == expected,
            "{} {rect:?}",
            path.display()
        );
    }
}

fn write_stripped(
    path: &Path,
    image: &RgbImage,
    rows: u32,
    compression: tiff::encoder::Compression,
) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = tiff::encoder::TiffEncoder::new(file)
        .unwrap()
        .with_compression(compression);
    let mut tiff = encoder
        .new_image::<tiff::encoder::colortype::RGB8>(image.width(), image.height())
        .unwrap();
    tiff.rows_per_strip(rows).unwrap();
    let mut row = 0;
    while tiff.next_strip_sample_count() > 0 {
        let count = tiff.next_strip_sample_count() as usize;
        let start = row * image.width() as usize * 3;
        tiff.write_strip(&image.as_raw()[start..start + count])
            .unwrap();
        row += count / (image.width() as usize * 3);
    }
    tiff.finish().unwrap();
}

#[test]
fn tiled_bigtiff_is_read_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let image = test_image();
    for (name, compression) in [
        ("none.tif", TiffCompression::None),
        ("deflate.tif", TiffCompression::Deflate),
    ] {
        let path = dir.path().join(name);
        write_tiled_tiff(&path, 900, 400, 128, compression, |rect| crop(&image, rect)).unwrap();
        assert_reads_exactly(&path, &image);
        let description = SlideReader::open(&path).unwrap().describe();
        assert!(
            description.starts_with("BigTIFF, 128 x 128 tiles"),
            "{description}"
        );
    }
}

#[test]
fn stripped_tiff_is_read_exactly() {
    use tiff::encoder::Compression;
    let dir = tempfile::tempdir().unwrap();
    let image = test_image();
    for (name, rows, compression) in [
        ("strips.tif", 7, Compression::Uncompressed),
        ("one_strip.tif", 400, Compression::Uncompressed),
    ] {
        let path = dir.path().join(name);
        write_stripped(&path, &image, rows, compression);
        assert_reads_exactly(&path, &image);
    }
}

#[test]
fn lzw_packbits_and_deflate_from_tifffile_are_read_exactly() {
    let source = hemato::io::read_rgb_image(&fixture("source.png")).unwrap();
    for name in [
        "lzw_tiles_predictor.tif",
        "lzw_strips.tif",
        "packbits_strips.tif",
        "deflate_strips_predictor.tif",
    ] {
        let mut reader = SlideReader::open(&fixture(name)).unwrap();
        assert_eq!(reader.dimensions(), (300, 200));
        for rect in [Rect::new(0, 0, 300, 200), Rect::new(61, 17, 130, 150)] {
            assert!(
                reader.read(rect).unwrap() == crop(&source, rect),
                "{name} {rect:?}"
            );
        }
    }
}

/// Writes `samples` as a 900 x 400 TIFF of colour type `C` (one strip, uncompressed).
fn write_900_by_400_tiff<C: tiff::encoder::colortype::ColorType>(path: &Path, samples: &[C::Inner])
where
    [C::Inner]: tiff::encoder::TiffValue,
{
    let file = std::fs::File::create(path).unwrap();
    tiff::encoder::TiffEncoder::new(file)
        .unwrap()
        .write_image::<C>(900, 400, samples)
        .unwrap();
}

#[test]
fn other_sample_layouts_become_rgb() {
    let dir = tempfile::tempdir().unwrap();
    let image = test_image();
    // 16-bit RGB holding v·257: reduced to 8 bits as round(v / 257) = v.
    let wide: Vec<u16> = image.as_raw().iter().map(|&v| u16::from(v) * 257).collect();
    let path = dir.path().join("rgb16.tif");
    write_900_by_400_tiff::<tiff::encoder::colortype::RGB16>(&path, &wide);
    assert_reads_exactly(&path, &image);
    // A camera's 12 bits in 16-bit samples, round(v · 4095 / 255), whose largest value is 12
    // bits long: reduced over 12 bits, round(w · 255 / 4095) = v, as `hemato count` reads
    // the whole image; alpha (65535 here) does not count.
    let twelve = |v: u8| ((u32::from(v) * 4095 + 127) / 255) as u16;
    let samples: Vec<u16> = image.as_raw().iter().map(|&v| twelve(v)).collect();
    let largest = *samples.iter().max().unwrap();
    assert!((2048..4096).contains(&largest), "{largest}");
    let path = dir.path().join("rgb12.tif");
    write_900_by_400_tiff::<tiff::encoder::colortype::RGB16>(&path, &samples);
    assert_reads_exactly(&path, &image);
    assert_eq!(
        hemato::io::read_rgb_image(&path).unwrap(),
        image,
        "the whole-image reader agrees"
    );
    let with_alpha: Vec<u16> = image
        .pixels()
        .flat_map(|p| [twelve(p[0]), twelve(p[1]), twelve(p[2]), 65535])
        .collect();
    let path = dir.path().join("rgba12.tif");
    write_900_by_400_tiff::<tiff::encoder::colortype::RGBA16>(&path, &with_alpha);
    assert_reads_exactly(&path, &image);
    // RGBA: alpha dropped.
    let rgba: Vec<u8> = image
        .pixels()
        .flat_map(|p| [p[0], p[1], p[2], 77])
        .collect();
    let path = dir.path().join("rgba.tif");
    write_900_by_400_tiff::<tiff::encoder::colortype::RGBA8>(&path, &rgba);
    assert_reads_exactly(&path, &image);
    // Grey: repeated in all three channels.
    let grey = image::GrayImage::from_fn(900, 400, |x, y| image::Luma([image.get_pixel(x, y)[1]]));
    let grey_rgb = RgbImage::from_fn(900, 400, |x, y| {
        let v = grey.get_pixel(x, y)[0];
        image::Rgb([v, v, v])
    });
    let path = dir.path().join("grey.tif");
    write_900_by_400_tiff::<tiff::encoder::colortype::Gray8>(&path, grey.as_raw());
    assert_reads_exactly(&path, &grey_rgb);
    // PNG: decoded whole.
    let path = dir.path().join("field.png");
    image.save(&path).unwrap();
    assert_reads_exactly(&path, &image);
}

/// Mean and largest absolute difference per sample.
fn differences(a: &RgbImage, b: &RgbImage) -> (f64, u8) {
    let mut sum = 0u64;
    let mut max = 0u8;
    for (x, y) in a.as_raw().iter().zip(b.as_raw()) {
        let d = x.abs_diff(*y);
        sum += u64::from(d);
        max = max.max(d);
    }
    (sum as f64 / a.as_raw().len() as f64, max)
}

#[test]
fn jpeg_ycbcr_tiles_match_libjpeg_turbo() {
    let expected = hemato::io::read_rgb_image(&fixture("jpeg_tiles.expected.png")).unwrap();
    let source = hemato::io::read_rgb_image(&fixture("source.png")).unwrap();
    let mut decoded = Vec::new();
    for name in ["ycbcr_jpeg_pyramid.tif", "aperio_style_jpeg.tif"] {
        let mut reader = SlideReader::open(&fixture(name)).unwrap();
        assert_eq!(reader.dimensions(), (300, 200), "{name}");
        let image = reader.read(Rect::new(0, 0, 300, 200)).unwrap();
        // zune-jpeg and libjpeg-turbo differ in IDCT and chroma upsampling details only.
        let (mean, max) = differences(&image, &expected);
        assert!(
            mean < 0.5 && max <= 12,
            "{name}: mean {mean}, max {max} vs libjpeg-turbo"
        );
        // Left unconverted, YCbCr would be far off the original colours.
        let (mean, _) = differences(&image, &source);
        assert!(mean < 2.0, "{name}: mean {mean} vs the pixels encoded");
        let part = reader.read(Rect::new(100, 50, 150, 120)).unwrap();
        assert!(part == crop(&image, Rect::new(100, 50, 150, 120)), "{name}");
        decoded.push(image);
    }
    // The two files hold the same JPEG streams under different photometric tags.
    assert!(decoded[0] == decoded[1]);
}

#[test]
fn pyramids_use_the_full_resolution_image() {
    let reader = SlideReader::open(&fixture("ycbcr_jpeg_pyramid.tif")).unwrap();
    let description = reader.describe();
    assert!(description.contains("image 2 of 5"), "{description}");
    assert!(description.contains("JPEG"), "{description}");
}

/// Sets the Compression tag of a little-endian classic TIFF to `code`.
fn patch_compression(path: &Path, code: u16) {
    let mut bytes = std::fs::read(path).unwrap();
    let ifd = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let count = u16::from_le_bytes(bytes[ifd..ifd + 2].try_into().unwrap()) as usize;
    let entry = (0..count)
        .map(|i| ifd + 2 + 12 * i)
        .find(|&e| u16::from_le_bytes(bytes[e..e + 2].try_into().unwrap()) == 259)
        .expect("a Compression tag");
    bytes[entry + 8..entry + 10].copy_from_slice(&code.to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn unsupported_codecs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jp2k.tif");
    write_stripped(
        &path,
        &test_image(),
        16,
        tiff::encoder::Compression::Uncompressed,
    );
    for (code, name) in [
        (33003, "JPEG 2000 (Aperio, YCbCr)"),
        (34712, "JPEG 2000"),
        (50000, "Zstandard"),
    ] {
        patch_compression(&path, code);
        let error = SlideReader::open(&path).unwrap_err();
        assert!(
            matches!(error, SlideReadError::UnsupportedCodec { .. }),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains(name) && message.contains(&code.to_string()),
            "{message}"
        );
    }
}

/// A PNG larger than hemato decodes whole is not sent back to `hemato slide` (which it is
/// already in): the message says to convert it to a tiled TIFF. The file is a PNG header that
/// declares 40,000 x 30,000 pixels and holds no pixel data.
#[test]
fn a_png_too_large_to_decode_whole_asks_for_a_tiled_tiff() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.png");
    std::fs::write(&path, png_header_only(40_000, 30_000)).unwrap();
    let error = SlideReader::open(&path).unwrap_err();
    assert!(
        matches!(error, SlideReadError::TooLargeToDecodeWhole { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("40000 x 30000 pixels") && message.contains("tiled TIFF"),
        "{message}"
    );
    assert!(!message.contains("with `hemato slide`"), "{message}");
}

/// Under a memory limit a PNG slide is refused from its header when decoding it whole would
/// exceed it (384 MiB + 7 bytes per pixel: 3,202,653,184 bytes at 20,000², by hand), and read
/// as usual when it fits; a TIFF is never checked (read tile by tile).
#[test]
fn a_png_slide_over_the_memory_limit_is_refused_from_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.png");
    std::fs::write(&path, png_header_only(20_000, 20_000)).unwrap();
    let gib = Some(Limit::Given(1 << 30));
    match SlideReader::check_memory(&path, gib).unwrap_err() {
        SlideReadError::TooLargeForMemory(refused) => {
            assert_eq!(refused.needed, 3_202_653_184);
            assert_eq!((refused.width, refused.height), (20_000, 20_000));
        }
        other => panic!("{other}"),
    }
    // Within 4 GiB the check passes, and the missing pixel data is what fails the read.
    assert!(SlideReader::check_memory(&path, Some(Limit::Given(4 << 30))).is_ok());
    let error = SlideReader::open(&path).unwrap_err();
    assert!(matches!(error, SlideReadError::Image(_)), "{error}");
    // A real field passes within 1 GiB (384 MiB + 7 × 60,000 bytes) and opens; a TIFF passes
    // any limit, even 1 byte.
    let field = fixture("source.png");
    assert!(SlideReader::check_memory(&field, gib).is_ok());
    assert_eq!(SlideReader::open(&field).unwrap().dimensions(), (300, 200));
    let tiff = fixture("lzw_strips.tif");
    assert!(SlideReader::check_memory(&tiff, Some(Limit::Given(1))).is_ok());
}

#[test]
fn bad_requests_and_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.tif");
    write_tiled_tiff(&path, 50, 40, 16, TiffCompression::None, |rect| {
        RgbImage::new(rect.width, rect.height)
    })
    .unwrap();
    let mut reader = SlideReader::open(&path).unwrap();
    let error = reader.read(Rect::new(40, 30, 11, 10)).unwrap_err();
    assert!(
        matches!(error, SlideReadError::OutOfBounds { .. }),
        "{error}"
    );
    // Truncated: the tiles' data is cut off.
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.tif");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    assert!(SlideReader::open(&cut)
        .and_then(|mut r| r.read(Rect::new(0, 0, 50, 40)))
        .is_err());
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not an image").unwrap();
    assert!(SlideReader::open(&text).is_err());
}

/// The windows of a grid of 200-pixel tiles with a 40-pixel overlap (neighbouring windows
/// share 80 pixels), in the order the slide run reads them.
fn windows(width: u32, height: u32) -> Vec<Rect> {
    let grid = TileGrid::new(width, height, 200, 40).unwrap();
    (0..grid.len()).map(|tile| grid.tile(tile).window).collect()
}

/// Reads every window, alternating between a reader with a cache of `budget` bytes and a
/// reopened copy (which shares its cache): the pixels of each, and what the cache did.
fn read_windows(path: &Path, budget: usize) -> (Vec<(Rect, RgbImage)>, CacheStatistics) {
    let mut reader = SlideReader::open_with_chunk_cache(path, budget).unwrap();
    let mut other = reader.reopen().unwrap();
    let (width, height) = reader.dimensions();
    let pixels = windows(width, height)
        .into_iter()
        .enumerate()
        .map(|(index, window)| {
            let which = if index % 2 == 0 {
                &mut reader
            } else {
                &mut other
            };
            (window, which.read(window).unwrap())
        })
        .collect();
    // Both readers report the one cache they share.
    assert_eq!(
        reader.chunk_cache_statistics(),
        other.chunk_cache_statistics()
    );
    (pixels, reader.chunk_cache_statistics().unwrap())
}

fn assert_windows_read(path: &Path, budget: usize, expected: &dyn Fn(Rect) -> RgbImage) {
    for (window, pixels) in read_windows(path, budget).0 {
        assert!(
            pixels == expected(window),
            "{} {window:?}, budget {budget}",
            path.display()
        );
    }
}

/// `image` as a Deflate BigTIFF of 64-pixel tiles in `dir`.
fn deflate_tiles(dir: &Path, image: &RgbImage) -> PathBuf {
    let path = dir.join("deflate-64.tif");
    write_tiled_tiff(
        &path,
        image.width(),
        image.height(),
        64,
        TiffCompression::Deflate,
        |rect| crop(image, rect),
    )
    .unwrap();
    path
}

/// Bytes of `count` decoded 64 x 64 RGB tiles.
fn tiles(count: usize) -> usize {
    count * 64 * 64 * 3
}

#[test]
fn overlapping_windows_through_the_cache_give_the_pixels_written() {
    let dir = tempfile::tempdir().unwrap();
    let image = test_image();
    let deflate = deflate_tiles(dir.path(), &image);
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
    for budget in [0, tiles(3), CHUNK_CACHE_BYTES] {
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
    let path = deflate_tiles(dir.path(), &image);
    // 15 x 7 tiles of 64 pixels (the last column and row padded to whole tiles).
    let chunks = 15 * 7;
    let read_all = |budget| read_windows(&path, budget).1;
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
    let path = deflate_tiles(dir.path(), &image);
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

#[test]
fn separate_colour_planes_are_interleaved_by_the_whole_image_reader() {
    // tifffile's files (tests/goldens/slide/README.md): the top-left 150 x 100 pixels of
    // source.png, planes stored one after the other, in strips and in partial tiles.
    let source = hemato::io::read_rgb_image(&fixture("source.png")).unwrap();
    let corner = crop(&source, Rect::new(0, 0, 150, 100));
    for name in ["planar_strips.tif", "planar_tiles_16bit.tif"] {
        let read = hemato::io::read_rgb_image(&fixture(name)).unwrap();
        assert!(read == corner, "{name}");
    }
    // The slide reader, which reads chunk by chunk, refuses them by name.
    let error = SlideReader::open(&fixture("planar_strips.tif")).unwrap_err();
    assert!(
        error.to_string().contains("separate colour planes"),
        "{error}"
    );
}
