//! Reading and writing images: where every pipeline starts and ends.
//!
//! hemato works on four pixel types, the ones ImageJ has: 8-bit grey, 16-bit grey, 32-bit float
//! grey and 8-bit RGB. [`read_image`] turns PNG, JPEG, TIFF (uncompressed, LZW, Deflate,
//! PackBits; strips or tiles; colour planes interleaved or stored one after the other), BMP
//! and NumPy `.npy` files into one of them (other formats, e.g. WebP or GIF, are refused by
//! name: [`ImageReadError::UnsupportedFormat`]):
//!
//! - RGBA and grey+alpha are flattened by dropping alpha, as ImageJ does when it opens them.
//! - 16-bit RGB is reduced to 8-bit RGB over the bits its samples use ([`narrow_to_8_bits`]:
//!   `round(v / 257)` for full 16-bit data, `round(v · 255 / 4095)` for a camera's 12-bit data
//!   stored in 16 bits); ImageJ has no 16-bit RGB type.
//! - Anything else (float RGB, 32-bit integer grey as an intensity image, ...) is refused with
//!   [`ImageReadError::UnsupportedPixelType`].
//!
//! Label images (one integer per particle, as Cellpose, StarDist or QuPath write them) are read
//! by [`read_label_image`], which also accepts 32-bit integer TIFFs and integer `.npy` arrays.
//!
//! Every failure is an [`ImageReadError`] naming the file and the reason; nothing here panics
//! on bad input. All writers go through [`crate::output::write_atomically`].

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use image::{DynamicImage, GrayImage, ImageBuffer, ImageDecoder, ImageReader, Luma, RgbImage};

use rayon::prelude::*;

use crate::output::{write_atomically, OutputError};

/// 16-bit greyscale image.
pub type Gray16Image = ImageBuffer<Luma<u16>, Vec<u16>>;
/// 32-bit float greyscale image (distance maps, absorbance, float intensities).
pub type FloatImage = ImageBuffer<Luma<f32>, Vec<f32>>;
/// Label image: 0 is background, every other value one particle.
pub type LabelImage = ImageBuffer<Luma<u32>, Vec<u32>>;

/// File extensions (lower case) of the images taken from a folder.
pub const IMAGE_EXTENSIONS: [&str; 7] = ["png", "jpg", "jpeg", "tif", "tiff", "bmp", "npy"];

/// Whether a folder entry is hidden: its name starts with `.`. Folders copied between systems
/// collect such files beside the images (macOS's `._NAME.png` resource forks, `.DS_Store`,
/// thumbnails caches), and they are never the user's images, so folder listings skip them;
/// a hidden file named on the command line is still read.
///
/// ```
/// use std::path::Path;
/// assert!(hemato::io::is_hidden(Path::new("fields/._image-1.png")));
/// assert!(!hemato::io::is_hidden(Path::new("fields/image-1.png")));
/// ```
pub fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with('.'))
}

/// Whether a folder entry is an image to read: an image extension ([`IMAGE_EXTENSIONS`], any
/// case) and not hidden ([`is_hidden`]).
pub fn is_folder_image(path: &Path) -> bool {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    !is_hidden(path) && extension.is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// Suffixes of the files that go with an image of the same stem (`X_mask.png`,
/// `X_cp_masks.png` for `X.png`): masks and label images, as `--mask` and `--labels` find them.
pub const COMPANION_SUFFIXES: [&str; 4] = ["_mask", "_masks", "_labels", "_cp_masks"];

/// The images of one folder without those that are another one's companion: a file whose stem
/// is another file's stem plus a [`COMPANION_SUFFIXES`] suffix. Cellpose saves its masks beside
/// the images (`X_cp_masks.png` next to `X.png`); they are not fields to count. Order kept.
///
/// ```
/// use std::path::PathBuf;
/// let files = ["a.png", "a_cp_masks.png", "b_mask.png"].map(PathBuf::from).to_vec();
/// // b_mask.png has no b.png beside it: it stays an image.
/// assert_eq!(
///     hemato::io::without_companions(files),
///     ["a.png", "b_mask.png"].map(PathBuf::from).to_vec()
/// );
/// ```
pub fn without_companions(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let stem = |path: &Path| {
        path.file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
    };
    let stems: std::collections::HashSet<String> =
        files.iter().filter_map(|path| stem(path)).collect();
    let is_companion = |path: &Path| {
        stem(path).is_some_and(|stem| {
            COMPANION_SUFFIXES.iter().any(|suffix| {
                stem.strip_suffix(suffix)
                    .is_some_and(|base| stems.contains(base))
            })
        })
    };
    files
        .into_iter()
        .filter(|path| !is_companion(path))
        .collect()
}

/// Largest image [`read_image`] decodes whole: 2³⁰ pixels (e.g. 32768 × 32768), 3 GiB as RGB.
/// Larger files are whole-slide images and are read tile by tile instead.
pub const MAX_PIXELS: u64 = 1 << 30;

/// Most bytes a decoder may allocate for one image: [`MAX_PIXELS`] of up to four 16-bit
/// channels.
const MAX_DECODED_BYTES: u64 = MAX_PIXELS * 4 * 2;

/// An image as read from a file, in one of the four pixel types ImageJ has.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyImage {
    /// 8-bit grey.
    Gray8(GrayImage),
    /// 16-bit grey.
    Gray16(Gray16Image),
    /// 32-bit float grey.
    Gray32(FloatImage),
    /// 8-bit RGB.
    Rgb8(RgbImage),
}

impl AnyImage {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.dimensions().0
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.dimensions().1
    }

    /// (width, height) in pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        match self {
            AnyImage::Gray8(image) => image.dimensions(),
            AnyImage::Gray16(image) => image.dimensions(),
            AnyImage::Gray32(image) => image.dimensions(),
            AnyImage::Rgb8(image) => image.dimensions(),
        }
    }

    /// A short name of the pixel type, as ImageJ names it ("8-bit", "16-bit", "32-bit", "RGB").
    pub fn kind(&self) -> &'static str {
        match self {
            AnyImage::Gray8(_) => "8-bit",
            AnyImage::Gray16(_) => "16-bit",
            AnyImage::Gray32(_) => "32-bit",
            AnyImage::Rgb8(_) => "RGB",
        }
    }
}

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageReadError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not one of the supported formats.
    #[error("{path}: not a supported image format (PNG, JPEG, TIFF, BMP or NumPy .npy)")]
    UnknownFormat { path: PathBuf },
    /// The bytes are an image format hemato does not read (WebP, GIF, ...).
    #[error("{path}: {format} images are not read; convert it to PNG, JPEG, TIFF or BMP")]
    UnsupportedFormat { path: PathBuf, format: String },
    /// The format is known but the data is damaged or cut short.
    #[error("{path}: corrupt or truncated image: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// The pixel type is not one hemato can use for this purpose.
    #[error("{path}: unsupported pixel type: {kind}")]
    UnsupportedPixelType { path: PathBuf, kind: String },
    /// The image has no pixels.
    #[error("{path}: the image is empty ({width} x {height} pixels)")]
    Empty {
        path: PathBuf,
        width: u64,
        height: u64,
    },
    /// The image is too large to hold in memory whole.
    #[error(
        "{path}: {width} x {height} pixels is more than the {limit} pixels hemato decodes whole; \
         process it tile by tile with `hemato slide` (a PNG, JPEG or BMP this large must first \
         become a tiled TIFF, e.g. `vips tiffsave IMAGE out.tif --tile --bigtiff`)"
    )]
    TooLarge {
        path: PathBuf,
        width: u64,
        height: u64,
        limit: u64,
    },
    /// A label image holds a value that is not a particle number.
    #[error("{path}: not a label image: {reason}")]
    InvalidLabels { path: PathBuf, reason: String },
}

/// Reads an image file into one of hemato's four pixel types.
///
/// The format is recognised from the file's first bytes, not its extension.
pub fn read_image(path: &Path) -> Result<AnyImage, ImageReadError> {
    if has_npy_magic(path)? {
        return npy::read(path)?.into_any_image(path);
    }
    if has_tiff_magic(path)? {
        return tiff_io::read_image(path);
    }
    if read_magic(path, 2)? == [0xFF, 0xD8] {
        check_jpeg_complete(path)?;
    }
    let dynamic = decode_with_image_crate(path)?;
    from_dynamic(path, dynamic)
}

/// (width, height) of an image file from its header, without decoding its pixels: for
/// checking, before reading, that an image fits in memory ([`crate::memory`]). Errors as
/// [`read_image`] gives them for a missing, unknown, empty or over-large file.
pub fn image_dimensions(path: &Path) -> Result<(u64, u64), ImageReadError> {
    let (width, height) = if has_npy_magic(path)? {
        npy::dimensions(path)?
    } else if has_tiff_magic(path)? {
        tiff_io::dimensions(path)?
    } else {
        let (width, height) = image_crate_reader(path)?
            .into_dimensions()
            .map_err(image_crate_error(path))?;
        (width.into(), height.into())
    };
    check_dimensions(path, width, height)?;
    Ok((width, height))
}

/// Rows per band of [`read_image_with_plane`]: one task of the thread pool each.
const ROWS_PER_BAND: usize = 16;

/// Reads an image as [`read_image`] does and, when it is 8-bit RGB, also makes the 8-bit plane
/// `plane` computes from it: `plane(rgb, out)` gets the RGB bytes of whole rows and writes one
/// byte per pixel of those rows to `out` (each pixel on its own, so any split of the rows gives
/// the same plane). Other pixel types give no plane.
///
/// A non-interlaced 8-bit RGB PNG is decoded row by row and each band of rows goes to the
/// thread pool as soon as it is decoded, so the plane is made while the rest of the file is
/// still being inflated (decoding is serial; this hides the plane's cost behind it). Any other
/// file, or any PNG the row reader does not take, is read by [`read_image`] (so errors are the
/// same) and the plane made afterwards, bands in parallel.
pub fn read_image_with_plane(
    path: &Path,
    plane: impl Fn(&[u8], &mut [u8]) + Sync,
) -> Result<(AnyImage, Option<GrayImage>), ImageReadError> {
    if let Some((image, made)) = read_rgb_png_with_plane(path, &plane) {
        return Ok((AnyImage::Rgb8(image), Some(made)));
    }
    let image = read_image(path)?;
    let made = match &image {
        AnyImage::Rgb8(rgb) => {
            let width = rgb.width() as usize;
            let mut out = vec![0u8; width * rgb.height() as usize];
            let band = (width * ROWS_PER_BAND).max(1);
            out.par_chunks_mut(band)
                .zip(rgb.as_raw().par_chunks(band * 3))
                .for_each(|(out, rgb)| plane(rgb, out));
            Some(GrayImage::from_raw(rgb.width(), rgb.height(), out).expect("same size"))
        }
        _ => None,
    };
    Ok((image, made))
}

/// The fast path of [`read_image_with_plane`]: `None` unless `path` is a PNG whose decoded
/// pixels are 8-bit RGB, not interlaced, not animated, within [`MAX_PIXELS`] and without a
/// decoding error (the caller then reads it the general way, which reports any error).
fn read_rgb_png_with_plane(
    path: &Path,
    plane: &(impl Fn(&[u8], &mut [u8]) + Sync),
) -> Option<(RgbImage, GrayImage)> {
    if read_magic(path, 8).ok()? != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let file = File::open(path).ok()?;
    let limits = png::Limits {
        bytes: usize::try_from(MAX_DECODED_BYTES).unwrap_or(usize::MAX),
    };
    let mut decoder = png::Decoder::new_with_limits(BufReader::new(file), limits);
    // The image crate's setting: expand low bit depths, palettes and transparency, so the
    // output is 8-bit RGB exactly when the image crate would give an RGB8 image.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().ok()?;
    let info = reader.info();
    let (width, height) = (info.width, info.height);
    let plain = !info.interlaced && info.animation_control.is_none();
    if !plain
        || reader.output_color_type() != (png::ColorType::Rgb, png::BitDepth::Eight)
        || check_dimensions(path, width.into(), height.into()).is_err()
    {
        return None;
    }
    let (width, height) = (width as usize, height as usize);
    let row_bytes = width * 3;
    let mut rgb = vec![0u8; row_bytes * height];
    let mut out = vec![0u8; width * height];
    let decoded = rayon::scope(|scope| {
        let mut rgb_left: &mut [u8] = &mut rgb;
        let mut out_left: &mut [u8] = &mut out;
        while !rgb_left.is_empty() {
            let rows = ROWS_PER_BAND.min(rgb_left.len() / row_bytes);
            let (rgb_band, rgb_rest) = std::mem::take(&mut rgb_left).split_at_mut(rows * row_bytes);
            let (out_band, out_rest) = std::mem::take(&mut out_left).split_at_mut(rows * width);
            (rgb_left, out_left) = (rgb_rest, out_rest);
            for row in rgb_band.chunks_exact_mut(row_bytes) {
                reader.read_row(row).ok()??;
            }
            let rgb_band: &[u8] = rgb_band;
            scope.spawn(move |_| plane(rgb_band, out_band));
        }
        // Past the last row the reader finishes the image data as the image crate's decoder
        // does (no further rows, checksum of the stream).
        matches!(reader.read_row(&mut []), Ok(None)).then_some(())
    });
    decoded?;
    let rgb = RgbImage::from_raw(width as u32, height as u32, rgb)?;
    let out = GrayImage::from_raw(width as u32, height as u32, out)?;
    Some((rgb, out))
}

/// Reads an 8-bit RGB image; grey images are expanded to three equal channels.
pub fn read_rgb_image(path: &Path) -> Result<RgbImage, ImageReadError> {
    match read_image(path)? {
        AnyImage::Rgb8(image) => Ok(image),
        AnyImage::Gray8(image) => Ok(DynamicImage::ImageLuma8(image).to_rgb8()),
        other => Err(ImageReadError::UnsupportedPixelType {
            path: path.to_path_buf(),
            kind: format!("{} grey where an RGB colour image is needed", other.kind()),
        }),
    }
}

/// Reads a label image: 0 = background, each other value = one particle.
///
/// Accepts 8- and 16-bit grey PNG/TIFF, 32-bit integer TIFF (unsigned or signed), 32-bit float
/// TIFF holding whole numbers, and integer or whole-valued float `.npy` arrays of shape
/// (height, width). Negative or fractional values and colour images are refused.
pub fn read_label_image(path: &Path) -> Result<LabelImage, ImageReadError> {
    let invalid = |reason: String| ImageReadError::InvalidLabels {
        path: path.to_path_buf(),
        reason,
    };
    if has_npy_magic(path)? {
        let array = npy::read(path)?;
        let (width, height) = (array.width, array.height);
        let labels = array
            .values
            .iter()
            .map(|&value| label_from_f64(value).ok_or(value))
            .collect::<Result<Vec<u32>, f64>>()
            .map_err(|value| invalid(format!("value {value} is not a whole number ≥ 0")))?;
        return Ok(LabelImage::from_raw(width, height, labels).expect("length checked by npy"));
    }
    if has_tiff_magic(path)? {
        return tiff_io::read_labels(path);
    }
    match read_image(path)? {
        AnyImage::Gray8(image) => Ok(convert_luma(&image, u32::from)),
        AnyImage::Gray16(image) => Ok(convert_luma(&image, u32::from)),
        AnyImage::Gray32(image) => float_labels(path, &image),
        AnyImage::Rgb8(_) => Err(invalid(
            "an RGB image; labels must be one grey channel of whole numbers".into(),
        )),
    }
}

/// Writes an 8-bit grey image as PNG, atomically.
pub fn write_gray_png(path: &Path, image: &GrayImage) -> Result<(), OutputError> {
    write_png(path, &DynamicImage::ImageLuma8(image.clone()))
}

/// Writes an 8-bit RGB image as PNG, atomically.
pub fn write_rgb_png(path: &Path, image: &RgbImage) -> Result<(), OutputError> {
    write_png(path, &DynamicImage::ImageRgb8(image.clone()))
}

fn write_png(path: &Path, image: &DynamicImage) -> Result<(), OutputError> {
    write_atomically(path, |writer| {
        image
            .write_to(writer, image::ImageFormat::Png)
            .map_err(std::io::Error::other)
    })
}

/// Writes a 32-bit float grey image as an uncompressed TIFF (as ImageJ saves 32-bit images).
pub fn write_float_tiff(path: &Path, image: &FloatImage) -> Result<(), OutputError> {
    write_atomically(path, |writer| {
        let mut encoder = tiff::encoder::TiffEncoder::new(writer).map_err(std::io::Error::other)?;
        encoder
            .write_image::<tiff::encoder::colortype::Gray32Float>(
                image.width(),
                image.height(),
                image.as_raw(),
            )
            .map_err(std::io::Error::other)
    })
}

/// Writes a label image as a 32-bit unsigned integer TIFF.
pub fn write_label_tiff(path: &Path, labels: &LabelImage) -> Result<(), OutputError> {
    write_atomically(path, |writer| {
        let mut encoder = tiff::encoder::TiffEncoder::new(writer).map_err(std::io::Error::other)?;
        encoder
            .write_image::<tiff::encoder::colortype::Gray32>(
                labels.width(),
                labels.height(),
                labels.as_raw(),
            )
            .map_err(std::io::Error::other)
    })
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> ImageReadError + '_ {
    move |source| ImageReadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_magic(path: &Path, length: usize) -> Result<Vec<u8>, ImageReadError> {
    let mut file = File::open(path).map_err(io_error(path))?;
    let mut magic = Vec::with_capacity(length);
    (&mut file)
        .take(length as u64)
        .read_to_end(&mut magic)
        .map_err(io_error(path))?;
    Ok(magic)
}

fn has_npy_magic(path: &Path) -> Result<bool, ImageReadError> {
    Ok(read_magic(path, 6)? == b"\x93NUMPY")
}

fn has_tiff_magic(path: &Path) -> Result<bool, ImageReadError> {
    let magic = read_magic(path, 4)?;
    Ok(magic == b"II*\0" || magic == b"MM\0*" || magic == b"II+\0" || magic == b"MM\0+")
}

/// JPEG decoders fill a cut-off file with grey and report success, so a JPEG must be checked
/// for its end-of-image marker first: walk the marker segments from SOI, skipping each
/// segment by its length and each entropy-coded scan up to its next marker, until EOI.
fn check_jpeg_complete(path: &Path) -> Result<(), ImageReadError> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    if jpeg_reaches_end_of_image(&bytes) {
        Ok(())
    } else {
        Err(ImageReadError::Corrupt {
            path: path.to_path_buf(),
            reason: "JPEG data ends before its end-of-image marker (truncated file)".into(),
        })
    }
}

fn jpeg_reaches_end_of_image(bytes: &[u8]) -> bool {
    const END_OF_IMAGE: u8 = 0xD9;
    const START_OF_SCAN: u8 = 0xDA;
    let mut position = 2; // after SOI
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(position) == Some(&0xFF) && bytes.get(position + 1) == Some(&0xFF) {
            position += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(position), bytes.get(position + 1)) else {
            return false;
        };
        position += 2;
        match marker {
            END_OF_IMAGE => return true,
            0x01 | 0xD0..=0xD7 => continue, // stand-alone markers without a length
            _ => {}
        }
        let Some(length) = bytes.get(position..position + 2) else {
            return false;
        };
        position += usize::from(u16::from_be_bytes([length[0], length[1]]));
        if marker == START_OF_SCAN {
            // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte) or a restart
            // marker; any other byte after 0xFF is the next marker.
            loop {
                match (bytes.get(position), bytes.get(position + 1)) {
                    (Some(&0xFF), Some(&next))
                        if next != 0x00 && !(0xD0..=0xD7).contains(&next) =>
                    {
                        break
                    }
                    (Some(_), Some(_)) => position += 1,
                    _ => return false,
                }
            }
        }
    }
}

/// Checks dimensions before any pixel memory is allocated.
fn check_dimensions(path: &Path, width: u64, height: u64) -> Result<(), ImageReadError> {
    if width == 0 || height == 0 {
        return Err(ImageReadError::Empty {
            path: path.to_path_buf(),
            width,
            height,
        });
    }
    if width.saturating_mul(height) > MAX_PIXELS {
        return Err(ImageReadError::TooLarge {
            path: path.to_path_buf(),
            width,
            height,
            limit: MAX_PIXELS,
        });
    }
    Ok(())
}

/// The image crate's reader of `path`, its format guessed from the first bytes.
fn image_crate_reader(path: &Path) -> Result<ImageReader<BufReader<File>>, ImageReadError> {
    let file = File::open(path).map_err(io_error(path))?;
    let reader = ImageReader::new(BufReader::new(file))
        .with_guessed_format()
        .map_err(io_error(path))?;
    match reader.format() {
        None => Err(ImageReadError::UnknownFormat {
            path: path.to_path_buf(),
        }),
        Some(format) if !format.reading_enabled() => Err(ImageReadError::UnsupportedFormat {
            path: path.to_path_buf(),
            format: format!("{format:?}"),
        }),
        Some(_) => Ok(reader),
    }
}

/// An image crate error about `path` as hemato reports it.
fn image_crate_error(path: &Path) -> impl Fn(image::ImageError) -> ImageReadError + '_ {
    move |error| match error {
        image::ImageError::Unsupported(unsupported) => ImageReadError::UnsupportedPixelType {
            path: path.to_path_buf(),
            kind: unsupported.to_string(),
        },
        image::ImageError::IoError(source) => ImageReadError::Corrupt {
            path: path.to_path_buf(),
            reason: source.to_string(),
        },
        other => ImageReadError::Corrupt {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    }
}

fn decode_with_image_crate(path: &Path) -> Result<DynamicImage, ImageReadError> {
    let reader = image_crate_reader(path)?;
    let corrupt = image_crate_error(path);
    let mut decoder = reader.into_decoder().map_err(&corrupt)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(path, width.into(), height.into())?;
    let mut limits = image::Limits::no_limits();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    decoder.set_limits(limits).map_err(&corrupt)?;
    let expected_bytes = decoder.total_bytes();
    let mut pixels = vec![0u8; expected_bytes as usize];
    let color = decoder.color_type();
    decoder.read_image(&mut pixels).map_err(&corrupt)?;
    dynamic_from_bytes(path, width, height, color, pixels)
}

fn dynamic_from_bytes(
    path: &Path,
    width: u32,
    height: u32,
    color: image::ColorType,
    bytes: Vec<u8>,
) -> Result<DynamicImage, ImageReadError> {
    use image::ColorType;
    let wrong_length = || ImageReadError::Corrupt {
        path: path.to_path_buf(),
        reason: "decoded pixel data has the wrong length".into(),
    };
    let words = |bytes: &[u8]| -> Vec<u16> { bytemuck_u16(bytes) };
    let image = match color {
        ColorType::L8 => DynamicImage::ImageLuma8(
            ImageBuffer::from_raw(width, height, bytes).ok_or_else(wrong_length)?,
        ),
        ColorType::La8 => DynamicImage::ImageLumaA8(
            ImageBuffer::from_raw(width, height, bytes).ok_or_else(wrong_length)?,
        ),
        ColorType::Rgb8 => DynamicImage::ImageRgb8(
            ImageBuffer::from_raw(width, height, bytes).ok_or_else(wrong_length)?,
        ),
        ColorType::Rgba8 => DynamicImage::ImageRgba8(
            ImageBuffer::from_raw(width, height, bytes).ok_or_else(wrong_length)?,
        ),
        ColorType::L16 => DynamicImage::ImageLuma16(
            ImageBuffer::from_raw(width, height, words(&bytes)).ok_or_else(wrong_length)?,
        ),
        ColorType::La16 => DynamicImage::ImageLumaA16(
            ImageBuffer::from_raw(width, height, words(&bytes)).ok_or_else(wrong_length)?,
        ),
        ColorType::Rgb16 => DynamicImage::ImageRgb16(
            ImageBuffer::from_raw(width, height, words(&bytes)).ok_or_else(wrong_length)?,
        ),
        ColorType::Rgba16 => DynamicImage::ImageRgba16(
            ImageBuffer::from_raw(width, height, words(&bytes)).ok_or_else(wrong_length)?,
        ),
        ColorType::Rgb32F | ColorType::Rgba32F => {
            return Err(ImageReadError::UnsupportedPixelType {
                path: path.to_path_buf(),
                kind: "32-bit float colour".into(),
            })
        }
        other => {
            return Err(ImageReadError::UnsupportedPixelType {
                path: path.to_path_buf(),
                kind: format!("{other:?}"),
            })
        }
    };
    Ok(image)
}

/// Native-endian bytes to 16-bit words (the layout `ImageDecoder::read_image` produces).
fn bytemuck_u16(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|pair| u16::from_ne_bytes([pair[0], pair[1]]))
        .collect()
}

fn from_dynamic(path: &Path, dynamic: DynamicImage) -> Result<AnyImage, ImageReadError> {
    let image = match dynamic {
        DynamicImage::ImageLuma8(image) => AnyImage::Gray8(image),
        DynamicImage::ImageLumaA8(_) => AnyImage::Gray8(dynamic.to_luma8()),
        DynamicImage::ImageLuma16(image) => AnyImage::Gray16(image),
        DynamicImage::ImageLumaA16(_) => AnyImage::Gray16(dynamic.to_luma16()),
        DynamicImage::ImageRgb8(image) => AnyImage::Rgb8(image),
        DynamicImage::ImageRgba8(_) => AnyImage::Rgb8(dynamic.to_rgb8()),
        DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgba16(_) => {
            let wide = dynamic.to_rgb16();
            let (width, height) = wide.dimensions();
            let narrow = narrow_to_8_bits(wide.as_raw());
            AnyImage::Rgb8(RgbImage::from_raw(width, height, narrow).expect("same size"))
        }
        other => {
            return Err(ImageReadError::UnsupportedPixelType {
                path: path.to_path_buf(),
                kind: format!("{:?}", other.color()),
            })
        }
    };
    Ok(image)
}

/// 16-bit samples reduced to 8 bits over the bits they use: with `b` the bit length of the
/// largest sample (at least 8), each `v` becomes `round(v · 255 / (2^b − 1))`.
///
/// A full 16-bit image (largest value ≥ 2^15) gives `round(v / 257)`, the inverse of the
/// usual 8 → 16-bit widening `v · 257`. A microscope camera's 10-, 12- or 14-bit data stored
/// in 16-bit samples (largest value 4095 for 12 bits) spans 0-255 too, instead of 0-16 for
/// 12 bits, which left such a field too dark to hold any cell. One factor for all channels
/// keeps the colour (the ratios the stain and density maps depend on), and nothing clips.
///
/// ```
/// // 12-bit data: the largest value, 4095, is 12 bits long; 2048 · 255 / 4095 = 127.5…
/// assert_eq!(hemato::io::narrow_to_8_bits(&[4095, 2048, 0]), [255, 128, 0]);
/// // Full 16 bits: v / 257 rounded.
/// assert_eq!(hemato::io::narrow_to_8_bits(&[65535, 257 * 100 + 128, 0]), [255, 100, 0]);
/// // Values below 256 stay as they are.
/// assert_eq!(hemato::io::narrow_to_8_bits(&[200, 7]), [200, 7]);
/// ```
pub fn narrow_to_8_bits(values: &[u16]) -> Vec<u8> {
    let bits = significant_bits(values.iter().copied().max().unwrap_or(0));
    values
        .iter()
        .map(|&value| narrow_sample(value, bits))
        .collect()
}

/// The bits [`narrow_to_8_bits`] reduces over when `largest` is the largest sample: its bit
/// length, at least 8.
pub fn significant_bits(largest: u16) -> u32 {
    (u16::BITS - largest.leading_zeros()).max(8)
}

/// One sample of `bits` significant bits reduced to 8: `round(value · 255 / (2^bits − 1))`,
/// halves up (`bits` from [`significant_bits`], 8 to 16).
pub fn narrow_sample(value: u16, bits: u32) -> u8 {
    let full = (1u64 << bits) - 1;
    ((u64::from(value) * 510 + full) / (2 * full)) as u8
}

fn convert_luma<T: image::Primitive>(
    image: &ImageBuffer<Luma<T>, Vec<T>>,
    convert: impl Fn(T) -> u32,
) -> LabelImage {
    let values = image.as_raw().iter().map(|&value| convert(value)).collect();
    LabelImage::from_raw(image.width(), image.height(), values).expect("same size")
}

fn label_from_f64(value: f64) -> Option<u32> {
    (value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX))
        .then_some(value as u32)
}

fn float_labels(path: &Path, image: &FloatImage) -> Result<LabelImage, ImageReadError> {
    let values = image
        .as_raw()
        .iter()
        .map(|&value| label_from_f64(f64::from(value)).ok_or(value))
        .collect::<Result<Vec<u32>, f32>>()
        .map_err(|value| ImageReadError::InvalidLabels {
            path: path.to_path_buf(),
            reason: format!("value {value} is not a whole number ≥ 0"),
        })?;
    Ok(LabelImage::from_raw(image.width(), image.height(), values).expect("same size"))
}

/// TIFF files, read with the `tiff` crate: the `image` crate decodes neither 32-bit float nor
/// 32-bit integer grey. Only the first image of a multi-page file is read.
mod tiff_io {
    use super::*;
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::ColorType;

    /// (width, height) of the first image, from its directory alone.
    pub fn dimensions(path: &Path) -> Result<(u64, u64), ImageReadError> {
        let file = File::open(path).map_err(io_error(path))?;
        let mut decoder = Decoder::new(BufReader::new(file)).map_err(corrupt(path))?;
        let (width, height) = decoder.dimensions().map_err(corrupt(path))?;
        Ok((width.into(), height.into()))
    }

    fn corrupt(path: &Path) -> impl Fn(tiff::TiffError) -> ImageReadError + '_ {
        move |error| match error {
            tiff::TiffError::UnsupportedError(unsupported) => {
                ImageReadError::UnsupportedPixelType {
                    path: path.to_path_buf(),
                    kind: unsupported.to_string(),
                }
            }
            tiff::TiffError::IoError(source) => ImageReadError::Corrupt {
                path: path.to_path_buf(),
                reason: source.to_string(),
            },
            other => ImageReadError::Corrupt {
                path: path.to_path_buf(),
                reason: other.to_string(),
            },
        }
    }

    fn decode(path: &Path) -> Result<(u32, u32, ColorType, DecodingResult), ImageReadError> {
        let corrupt = corrupt(path);
        let file = File::open(path).map_err(io_error(path))?;
        // The tiff crate's default limit on the decoded image (256 MiB) refused RGB images
        // above 89 MP as "limits exceeded"; allow what `check_dimensions` allows instead.
        let mut limits = tiff::decoder::Limits::default();
        limits.decoding_buffer_size = usize::try_from(MAX_DECODED_BYTES).unwrap_or(usize::MAX);
        let mut decoder = Decoder::new(BufReader::new(file))
            .map_err(&corrupt)?
            .with_limits(limits);
        let (width, height) = decoder.dimensions().map_err(&corrupt)?;
        check_dimensions(path, width.into(), height.into())?;
        let color = decoder.colortype().map_err(&corrupt)?;
        let planar = decoder
            .find_tag_unsigned::<u16>(tiff::tags::Tag::PlanarConfiguration)
            .map_err(&corrupt)?;
        let samples = samples_per_pixel(color);
        let pixels = if planar == Some(2) && samples > 1 {
            interleaved_planes(&mut decoder, (width, height), samples).map_err(&corrupt)?
        } else {
            decoder.read_image().map_err(&corrupt)?
        };
        Ok((width, height, color, pixels))
    }

    fn samples_per_pixel(color: ColorType) -> u32 {
        match color {
            ColorType::GrayA(_) => 2,
            ColorType::RGB(_) | ColorType::YCbCr(_) => 3,
            ColorType::RGBA(_) | ColorType::CMYK(_) => 4,
            _ => 1,
        }
    }

    /// The samples of an image whose colour planes are stored one after the other
    /// (PlanarConfiguration 2: all red chunks, then all green, ...), interleaved pixel by
    /// pixel as [`Decoder::read_image`] returns chunky data (that function reads only the
    /// first plane of such a file). Chunk `plane · chunks_per_plane + k` holds chunk `k` of
    /// `plane`.
    fn interleaved_planes(
        decoder: &mut Decoder<BufReader<File>>,
        (width, height): (u32, u32),
        samples: u32,
    ) -> Result<DecodingResult, tiff::TiffError> {
        let (chunk_width, chunk_height) = decoder.chunk_dimensions();
        let across = width.div_ceil(chunk_width.max(1));
        let per_plane = across * height.div_ceil(chunk_height.max(1));
        let length = width as usize * height as usize * samples as usize;
        // One of the two is filled, by the sample type of the file's chunks.
        let (mut eight, mut sixteen): (Option<Vec<u8>>, Option<Vec<u16>>) = (None, None);
        for plane in 0..samples {
            for chunk in 0..per_plane {
                let index = plane * per_plane + chunk;
                let (data_width, data_height) = decoder.chunk_data_dimensions(index);
                let layout = PlaneChunk {
                    x: (chunk % across) * chunk_width,
                    y: (chunk / across) * chunk_height,
                    data_width,
                    data_height,
                    width,
                    height,
                    plane,
                    samples,
                };
                match decoder.read_chunk(index)? {
                    DecodingResult::U8(values) => {
                        layout.place(&values, eight.get_or_insert_with(|| vec![0; length]))
                    }
                    DecodingResult::U16(values) => {
                        layout.place(&values, sixteen.get_or_insert_with(|| vec![0; length]))
                    }
                    _ => {
                        return Err(tiff::TiffError::UnsupportedError(
                            tiff::TiffUnsupportedError::UnsupportedDataType,
                        ))
                    }
                }
            }
        }
        match (eight, sixteen) {
            (Some(values), None) => Ok(DecodingResult::U8(values)),
            (None, Some(values)) => Ok(DecodingResult::U16(values)),
            _ => Err(tiff::TiffError::FormatError(
                tiff::TiffFormatError::InconsistentSizesEncountered,
            )),
        }
    }

    /// Where one chunk of one colour plane goes in the interleaved image.
    struct PlaneChunk {
        x: u32,
        y: u32,
        /// The chunk's rows as decoded (a tile's rows may reach past the image's right edge).
        data_width: u32,
        data_height: u32,
        width: u32,
        height: u32,
        plane: u32,
        samples: u32,
    }

    impl PlaneChunk {
        fn place<T: Copy>(&self, values: &[T], target: &mut [T]) {
            let columns = self.data_width.min(self.width - self.x) as usize;
            let rows = self.data_height.min(self.height - self.y) as usize;
            let samples = self.samples as usize;
            for row in 0..rows {
                let source = values
                    .iter()
                    .skip(row * self.data_width as usize)
                    .take(columns);
                let start = ((self.y as usize + row) * self.width as usize + self.x as usize)
                    * samples
                    + self.plane as usize;
                for (slot, &value) in target[start..].iter_mut().step_by(samples).zip(source) {
                    *slot = value;
                }
            }
        }
    }

    fn unsupported(path: &Path, kind: String) -> ImageReadError {
        ImageReadError::UnsupportedPixelType {
            path: path.to_path_buf(),
            kind,
        }
    }

    /// Intensity TIFFs: 8/16-bit grey, 32-bit float grey, 8/16-bit RGB and RGBA. 32-bit integer
    /// grey becomes 32-bit float, as ImageJ opens it.
    pub fn read_image(path: &Path) -> Result<AnyImage, ImageReadError> {
        let (width, height, color, pixels) = decode(path)?;
        let wrong_length = || ImageReadError::Corrupt {
            path: path.to_path_buf(),
            reason: "decoded pixel data has the wrong length".into(),
        };
        let image = match (color, pixels) {
            (ColorType::Gray(8), DecodingResult::U8(values)) => AnyImage::Gray8(
                GrayImage::from_raw(width, height, values).ok_or_else(wrong_length)?,
            ),
            (ColorType::Gray(16), DecodingResult::U16(values)) => AnyImage::Gray16(
                Gray16Image::from_raw(width, height, values).ok_or_else(wrong_length)?,
            ),
            (ColorType::Gray(32), DecodingResult::F32(values)) => AnyImage::Gray32(
                FloatImage::from_raw(width, height, values).ok_or_else(wrong_length)?,
            ),
            (ColorType::Gray(32), DecodingResult::U32(values)) => AnyImage::Gray32(
                FloatImage::from_raw(
                    width,
                    height,
                    values.into_iter().map(|v| v as f32).collect(),
                )
                .ok_or_else(wrong_length)?,
            ),
            (ColorType::Gray(32), DecodingResult::I32(values)) => AnyImage::Gray32(
                FloatImage::from_raw(
                    width,
                    height,
                    values.into_iter().map(|v| v as f32).collect(),
                )
                .ok_or_else(wrong_length)?,
            ),
            (ColorType::RGB(8), DecodingResult::U8(values)) => {
                AnyImage::Rgb8(RgbImage::from_raw(width, height, values).ok_or_else(wrong_length)?)
            }
            (ColorType::RGBA(8), DecodingResult::U8(values)) => {
                let rgba =
                    image::RgbaImage::from_raw(width, height, values).ok_or_else(wrong_length)?;
                AnyImage::Rgb8(DynamicImage::ImageRgba8(rgba).to_rgb8())
            }
            (ColorType::RGB(16), DecodingResult::U16(values)) => {
                let wide = image::ImageBuffer::<image::Rgb<u16>, Vec<u16>>::from_raw(
                    width, height, values,
                )
                .ok_or_else(wrong_length)?;
                from_dynamic(path, DynamicImage::ImageRgb16(wide))?
            }
            (ColorType::RGBA(16), DecodingResult::U16(values)) => {
                let wide = image::ImageBuffer::<image::Rgba<u16>, Vec<u16>>::from_raw(
                    width, height, values,
                )
                .ok_or_else(wrong_length)?;
                from_dynamic(path, DynamicImage::ImageRgba16(wide))?
            }
            (color, _) => return Err(unsupported(path, format!("TIFF {color:?}"))),
        };
        Ok(image)
    }

    pub fn read_labels(path: &Path) -> Result<LabelImage, ImageReadError> {
        let invalid = |reason: String| ImageReadError::InvalidLabels {
            path: path.to_path_buf(),
            reason,
        };
        let (width, height, color, pixels) = decode(path)?;
        if !matches!(color, ColorType::Gray(_)) {
            return Err(invalid(format!(
                "{color:?} samples; labels must be one grey channel"
            )));
        }
        let values: Vec<u32> = match pixels {
            DecodingResult::U8(values) => values.into_iter().map(u32::from).collect(),
            DecodingResult::U16(values) => values.into_iter().map(u32::from).collect(),
            DecodingResult::U32(values) => values,
            DecodingResult::I8(values) => non_negative(values, &invalid)?,
            DecodingResult::I16(values) => non_negative(values, &invalid)?,
            DecodingResult::I32(values) => non_negative(values, &invalid)?,
            DecodingResult::F32(values) => whole_numbers(values.into_iter().map(f64::from))
                .map_err(|value| invalid(format!("value {value} is not a whole number ≥ 0")))?,
            DecodingResult::F64(values) => whole_numbers(values.into_iter())
                .map_err(|value| invalid(format!("value {value} is not a whole number ≥ 0")))?,
            _ => return Err(unsupported(path, "64-bit integer TIFF samples".into())),
        };
        LabelImage::from_raw(width, height, values).ok_or_else(|| ImageReadError::Corrupt {
            path: path.to_path_buf(),
            reason: "decoded pixel data has the wrong length".into(),
        })
    }

    fn non_negative<T: Copy + Into<i64>>(
        values: Vec<T>,
        invalid: &impl Fn(String) -> ImageReadError,
    ) -> Result<Vec<u32>, ImageReadError> {
        values
            .into_iter()
            .map(|value| {
                let value: i64 = value.into();
                u32::try_from(value).map_err(|_| invalid(format!("negative label {value}")))
            })
            .collect()
    }

    fn whole_numbers(values: impl Iterator<Item = f64>) -> Result<Vec<u32>, f64> {
        values
            .map(|value| label_from_f64(value).ok_or(value))
            .collect()
    }
}

/// NumPy `.npy` arrays (format versions 1-3): 2-D, C or Fortran order, integer, bool or float.
mod npy {
    use super::*;

    /// A decoded 2-D array, values widened to f64 (exact for every integer type up to 32 bits
    /// and for 64-bit integers below 2⁵³).
    pub struct Array {
        pub width: u32,
        pub height: u32,
        pub values: Vec<f64>,
        pub dtype: String,
    }

    impl Array {
        /// Grey image of the narrowest ImageJ type that holds the values exactly.
        pub fn into_any_image(self, path: &Path) -> Result<AnyImage, ImageReadError> {
            let (width, height) = (self.width, self.height);
            let kind = &self.dtype[1..];
            let image = match kind {
                "u1" | "b1" => AnyImage::Gray8(
                    GrayImage::from_raw(width, height, cast(&self.values)).expect("sized"),
                ),
                "u2" => AnyImage::Gray16(
                    Gray16Image::from_raw(width, height, cast(&self.values)).expect("sized"),
                ),
                "f4" | "f8" | "i1" | "i2" | "i4" | "u4" | "i8" | "u8" => AnyImage::Gray32(
                    FloatImage::from_raw(
                        width,
                        height,
                        self.values.iter().map(|&v| v as f32).collect(),
                    )
                    .expect("sized"),
                ),
                other => {
                    return Err(ImageReadError::UnsupportedPixelType {
                        path: path.to_path_buf(),
                        kind: format!("NumPy dtype {other}"),
                    })
                }
            };
            Ok(image)
        }
    }

    fn cast<T: TryFrom<i64> + Default>(values: &[f64]) -> Vec<T> {
        values
            .iter()
            .map(|&value| T::try_from(value as i64).unwrap_or_default())
            .collect()
    }

    /// What a `.npy` header says of the array that follows it.
    struct Header {
        dtype: String,
        fortran: bool,
        width: u64,
        height: u64,
    }

    /// (width, height) from the header alone.
    pub fn dimensions(path: &Path) -> Result<(u64, u64), ImageReadError> {
        let mut file = File::open(path).map_err(io_error(path))?;
        let header = read_header(path, &mut file)?;
        Ok((header.width, header.height))
    }

    fn corrupt_npy(path: &Path, reason: &str) -> ImageReadError {
        ImageReadError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    /// Reads the header, leaving `file` at the first byte of the data.
    fn read_header(path: &Path, file: &mut File) -> Result<Header, ImageReadError> {
        let corrupt = |reason: &str| corrupt_npy(path, reason);
        let mut preamble = [0u8; 8];
        file.read_exact(&mut preamble)
            .map_err(|_| corrupt("shorter than a .npy header"))?;
        let header_length = match preamble[6] {
            1 => {
                let mut length = [0u8; 2];
                file.read_exact(&mut length)
                    .map_err(|_| corrupt("shorter than a .npy header"))?;
                u64::from(u16::from_le_bytes(length))
            }
            2 | 3 => {
                let mut length = [0u8; 4];
                file.read_exact(&mut length)
                    .map_err(|_| corrupt("shorter than a .npy header"))?;
                u64::from(u32::from_le_bytes(length))
            }
            _ => return Err(corrupt("unknown .npy format version")),
        };
        if header_length > 1 << 20 {
            return Err(corrupt("implausibly long .npy header"));
        }
        let mut header = vec![0u8; header_length as usize];
        file.read_exact(&mut header)
            .map_err(|_| corrupt("truncated .npy header"))?;
        let header = String::from_utf8_lossy(&header);
        let dtype = dict_value(&header, "descr").ok_or_else(|| corrupt("no 'descr' in header"))?;
        let dtype = dtype.trim_matches(|c| c == '\'' || c == '"').to_string();
        if dtype.ends_with('O') {
            // Pickled Python objects: Cellpose's `_seg.npy` is a dictionary saved this way.
            return Err(ImageReadError::UnsupportedPixelType {
                path: path.to_path_buf(),
                kind: "NumPy array of Python objects (Cellpose's _seg.npy is a pickled dictionary): give its _cp_masks.png, or save its masks with np.save('masks.npy', seg['masks'])".to_string(),
            });
        }
        let fortran = dict_value(&header, "fortran_order")
            .ok_or_else(|| corrupt("no 'fortran_order' in header"))?
            == "True";
        let shape = dict_value(&header, "shape").ok_or_else(|| corrupt("no 'shape' in header"))?;
        let dims: Vec<u64> = shape
            .trim_matches(|c| c == '(' || c == ')')
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| part.parse::<u64>())
            .collect::<Result<_, _>>()
            .map_err(|_| corrupt("unreadable shape"))?;
        let (height, width) = match dims.as_slice() {
            [height, width] => (*height, *width),
            [height, width, 1] => (*height, *width),
            _ => {
                return Err(ImageReadError::UnsupportedPixelType {
                    path: path.to_path_buf(),
                    kind: format!(
                        "NumPy array of shape {shape}; a 2-D (height, width) array is needed"
                    ),
                })
            }
        };
        check_dimensions(path, width, height)?;
        Ok(Header {
            dtype,
            fortran,
            width,
            height,
        })
    }

    pub fn read(path: &Path) -> Result<Array, ImageReadError> {
        let corrupt = |reason: &str| corrupt_npy(path, reason);
        let mut file = File::open(path).map_err(io_error(path))?;
        let Header {
            dtype,
            fortran,
            width,
            height,
        } = read_header(path, &mut file)?;
        let (little_endian, size) =
            dtype_layout(&dtype).ok_or_else(|| ImageReadError::UnsupportedPixelType {
                path: path.to_path_buf(),
                kind: format!("NumPy dtype {dtype}"),
            })?;
        let count = (width * height) as usize;
        let start = file.stream_position().map_err(io_error(path))?;
        let available = file.metadata().map_err(io_error(path))?.len() - start;
        if available < (count * size) as u64 {
            return Err(corrupt(
                "array data is shorter than its shape says (truncated file)",
            ));
        }
        file.seek(SeekFrom::Start(start)).map_err(io_error(path))?;
        let mut bytes = vec![0u8; count * size];
        file.read_exact(&mut bytes).map_err(io_error(path))?;
        let kind = &dtype[1..];
        let mut values: Vec<f64> = bytes
            .chunks_exact(size)
            .map(|chunk| decode_value(kind, chunk, little_endian))
            .collect();
        if fortran {
            let (w, h) = (width as usize, height as usize);
            let column_major = values;
            values = (0..h * w)
                .map(|index| column_major[(index % w) * h + index / w])
                .collect();
        }
        Ok(Array {
            width: width as u32,
            height: height as u32,
            values,
            dtype,
        })
    }

    /// The text after `'key':` up to the next top-level comma of the header dict.
    fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
        let start = header.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = header[start..].trim_start().strip_prefix(':')?.trim_start();
        let mut depth = 0;
        for (index, character) in rest.char_indices() {
            match character {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&rest[..=index]);
                    }
                }
                ',' | '}' if depth == 0 => return Some(rest[..index].trim()),
                _ => {}
            }
        }
        None
    }

    /// (little endian?, bytes per value) of a supported dtype.
    fn dtype_layout(dtype: &str) -> Option<(bool, usize)> {
        let order = dtype.chars().next()?;
        let little = match order {
            '<' | '|' | '=' => true,
            '>' => false,
            _ => return None,
        };
        let size = match &dtype[1..] {
            "u1" | "i1" | "b1" => 1,
            "u2" | "i2" => 2,
            "u4" | "i4" | "f4" => 4,
            "u8" | "i8" | "f8" => 8,
            _ => return None,
        };
        Some((little, size))
    }

    fn decode_value(kind: &str, chunk: &[u8], little: bool) -> f64 {
        let mut buffer = [0u8; 8];
        buffer[..chunk.len()].copy_from_slice(chunk);
        if !little {
            buffer[..chunk.len()].reverse();
        }
        match kind {
            "u1" | "b1" => f64::from(buffer[0]),
            "i1" => f64::from(buffer[0] as i8),
            "u2" => f64::from(u16::from_le_bytes([buffer[0], buffer[1]])),
            "i2" => f64::from(i16::from_le_bytes([buffer[0], buffer[1]])),
            "u4" => f64::from(u32::from_le_bytes(buffer[..4].try_into().unwrap())),
            "i4" => f64::from(i32::from_le_bytes(buffer[..4].try_into().unwrap())),
            "f4" => f64::from(f32::from_le_bytes(buffer[..4].try_into().unwrap())),
            "u8" => u64::from_le_bytes(buffer) as f64,
            "i8" => i64::from_le_bytes(buffer) as f64,
            _ => f64::from_le_bytes(buffer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn png_bytes(image: &DynamicImage) -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
        bytes.into_inner()
    }

    #[test]
    fn rgb_tiffs_above_256_mib_are_read() {
        // 9,600² RGB = 276 MB decoded: above the tiff crate's default limit of 256 MiB
        // (268 MB), which refused it as "limits exceeded"; Packbits keeps the file small.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.tif");
        let side = 9_600u32;
        let mut pixels = vec![200u8; (side * side * 3) as usize];
        let last = pixels.len() - 3;
        pixels[last..].copy_from_slice(&[10, 20, 30]);
        let file = File::create(&path).unwrap();
        tiff::encoder::TiffEncoder::new(std::io::BufWriter::new(file))
            .unwrap()
            .with_compression(tiff::encoder::Compression::Packbits)
            .write_image::<tiff::encoder::colortype::RGB8>(side, side, &pixels)
            .unwrap();
        drop(pixels);
        let image = read_rgb_image(&path).unwrap();
        assert_eq!(image.dimensions(), (side, side));
        assert_eq!(image.get_pixel(0, 0).0, [200, 200, 200]);
        assert_eq!(image.get_pixel(side - 1, side - 1).0, [10, 20, 30]);
    }

    #[test]
    fn rgba_png_is_flattened_by_dropping_alpha() {
        let dir = tempfile::tempdir().unwrap();
        let rgba = image::RgbaImage::from_raw(2, 1, vec![10, 20, 30, 0, 40, 50, 60, 255]).unwrap();
        let path = temp_file(&dir, "a.png", &png_bytes(&DynamicImage::ImageRgba8(rgba)));
        let AnyImage::Rgb8(rgb) = read_image(&path).unwrap() else {
            panic!("expected RGB")
        };
        assert_eq!(rgb.as_raw(), &[10, 20, 30, 40, 50, 60]);
    }

    #[test]
    fn sixteen_bit_rgb_is_reduced_over_the_bits_it_uses() {
        let dir = tempfile::tempdir().unwrap();
        let wide = image::ImageBuffer::<image::Rgb<u16>, Vec<u16>>::from_raw(
            1,
            1,
            vec![65535, 257 * 100 + 128, 0],
        )
        .unwrap();
        let path = temp_file(&dir, "w.png", &png_bytes(&DynamicImage::ImageRgb16(wide)));
        let AnyImage::Rgb8(rgb) = read_image(&path).unwrap() else {
            panic!("expected RGB")
        };
        assert_eq!(rgb.as_raw(), &[255, 100, 0]);
        // A camera's 12-bit data in 16-bit samples (largest 4095): v · 255 / 4095, rounded by
        // hand: 62.27, 186.81, 1.06.
        let twelve = image::ImageBuffer::<image::Rgb<u16>, Vec<u16>>::from_raw(
            2,
            1,
            vec![4095, 1000, 0, 3000, 17, 2048],
        )
        .unwrap();
        let path = temp_file(&dir, "t.png", &png_bytes(&DynamicImage::ImageRgb16(twelve)));
        let AnyImage::Rgb8(rgb) = read_image(&path).unwrap() else {
            panic!("expected RGB")
        };
        assert_eq!(rgb.as_raw(), &[255, 62, 0, 187, 1, 128]);
    }

    #[test]
    fn truncated_png_is_a_corrupt_error() {
        let dir = tempfile::tempdir().unwrap();
        let grey = GrayImage::from_fn(64, 64, |x, y| image::Luma([(x * y) as u8]));
        let bytes = png_bytes(&DynamicImage::ImageLuma8(grey));
        let path = temp_file(&dir, "t.png", &bytes[..bytes.len() / 2]);
        let error = read_image(&path).unwrap_err();
        assert!(matches!(error, ImageReadError::Corrupt { .. }), "{error}");
        assert!(error.to_string().contains("t.png"));
    }

    /// A plane made by hand for the tests: red XOR green.
    fn red_xor_green(rgb: &[u8], out: &mut [u8]) {
        for (value, pixel) in out.iter_mut().zip(rgb.chunks_exact(3)) {
            *value = pixel[0] ^ pixel[1];
        }
    }

    #[test]
    fn plane_made_while_decoding_equals_the_plane_of_each_pixel() {
        let dir = tempfile::tempdir().unwrap();
        // 53 rows: three whole bands of 16 and a short one.
        let rgb = RgbImage::from_fn(37, 53, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 9]));
        let expected: Vec<u8> = rgb.pixels().map(|p| p.0[0] ^ p.0[1]).collect();
        let rgba = DynamicImage::ImageRgb8(rgb.clone()).to_rgba8();
        let files = [
            ("rgb.png", png_bytes(&DynamicImage::ImageRgb8(rgb.clone()))),
            ("rgba.png", png_bytes(&DynamicImage::ImageRgba8(rgba))),
        ];
        for (name, bytes) in files {
            let path = temp_file(&dir, name, &bytes);
            let (image, plane) = read_image_with_plane(&path, red_xor_green).unwrap();
            assert_eq!(image, AnyImage::Rgb8(rgb.clone()), "{name}");
            assert_eq!(plane.unwrap().as_raw(), &expected, "{name}");
        }
        // JPEG (read whole, plane afterwards): the plane of the decoded pixels.
        let path = temp_file(&dir, "rgb.jpg", &jpeg_bytes(&DynamicImage::ImageRgb8(rgb)));
        let (image, plane) = read_image_with_plane(&path, red_xor_green).unwrap();
        let AnyImage::Rgb8(decoded) = &image else {
            panic!("expected RGB")
        };
        let of_decoded: Vec<u8> = decoded.pixels().map(|p| p.0[0] ^ p.0[1]).collect();
        assert_eq!(plane.unwrap().as_raw(), &of_decoded);
        assert_eq!(image, read_image(&path).unwrap());
        // Grey: no plane.
        let grey = GrayImage::from_pixel(3, 2, image::Luma([7]));
        let path = temp_file(&dir, "g.png", &png_bytes(&DynamicImage::ImageLuma8(grey)));
        assert!(read_image_with_plane(&path, red_xor_green)
            .unwrap()
            .1
            .is_none());
    }

    #[test]
    fn damaged_rgb_png_gives_the_error_of_read_image() {
        let dir = tempfile::tempdir().unwrap();
        let rgb = RgbImage::from_fn(64, 64, |x, y| image::Rgb([(x * y) as u8, x as u8, y as u8]));
        let bytes = png_bytes(&DynamicImage::ImageRgb8(rgb));
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0xFF;
        for (name, bytes) in [("cut.png", &bytes[..middle]), ("flipped.png", &flipped[..])] {
            let path = temp_file(&dir, name, bytes);
            // A flipped byte may still inflate: then both readers give the same pixels.
            match (
                read_image_with_plane(&path, red_xor_green),
                read_image(&path),
            ) {
                (Ok((image, _)), Ok(read)) => assert_eq!(image, read, "{name}"),
                (Err(error), Err(read)) => assert_eq!(error.to_string(), read.to_string()),
                (with_plane, read) => panic!("{name}: {:?} vs {:?}", with_plane.is_ok(), read),
            }
        }
        let path = temp_file(&dir, "cut.png", &bytes[..middle]);
        assert!(read_image_with_plane(&path, red_xor_green).is_err());
    }

    fn jpeg_bytes(image: &DynamicImage) -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image
            .write_to(&mut bytes, image::ImageFormat::Jpeg)
            .unwrap();
        bytes.into_inner()
    }

    #[test]
    fn truncated_jpeg_is_a_corrupt_error_not_a_grey_image() {
        let dir = tempfile::tempdir().unwrap();
        let rgb = RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
        let bytes = jpeg_bytes(&DynamicImage::ImageRgb8(rgb));
        let whole = temp_file(&dir, "whole.jpg", &bytes);
        assert_eq!(read_image(&whole).unwrap().dimensions(), (64, 48));
        for cut in [bytes.len() - 2, bytes.len() / 2, 200] {
            let path = temp_file(&dir, "cut.jpg", &bytes[..cut]);
            let error = read_image(&path).unwrap_err();
            assert!(
                matches!(error, ImageReadError::Corrupt { .. }),
                "cut at {cut}: {error}"
            );
        }
    }

    #[test]
    fn text_file_is_an_unknown_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = temp_file(&dir, "notes.png", b"this is not an image");
        assert!(matches!(
            read_image(&path),
            Err(ImageReadError::UnknownFormat { .. })
        ));
    }

    #[test]
    fn a_format_hemato_does_not_read_is_named() {
        let dir = tempfile::tempdir().unwrap();
        // The first bytes of a lossless WebP file (RIFF container, "WEBPVP8L" chunk).
        let path = temp_file(
            &dir,
            "cells.webp",
            b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0",
        );
        let error = read_image(&path).unwrap_err();
        assert!(
            matches!(error, ImageReadError::UnsupportedFormat { .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("WebP images are not read"),
            "{error}"
        );
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let error = read_image(Path::new("/no/such/image.png")).unwrap_err();
        assert!(matches!(error, ImageReadError::Io { .. }));
    }

    #[test]
    fn huge_declared_dimensions_are_refused_before_allocating() {
        let dir = tempfile::tempdir().unwrap();
        let path = temp_file(&dir, "huge.png", &png_header_only(100_000, 100_000));
        let error = read_image(&path).unwrap_err();
        assert!(matches!(error, ImageReadError::TooLarge { .. }), "{error}");
        let error = image_dimensions(&path).unwrap_err();
        assert!(matches!(error, ImageReadError::TooLarge { .. }), "{error}");
    }

    #[test]
    fn dimensions_come_from_the_header_of_each_format() {
        let dir = tempfile::tempdir().unwrap();
        let image = DynamicImage::ImageRgb8(RgbImage::new(7, 5));
        let png = temp_file(&dir, "a.png", &png_bytes(&image));
        let jpeg = temp_file(&dir, "a.jpg", &jpeg_bytes(&image));
        let tiff = dir.path().join("a.tif");
        write_float_tiff(&tiff, &FloatImage::new(7, 5)).unwrap();
        let npy = temp_file(&dir, "a.npy", &npy_bytes("|u1", false, "(5, 7)", &[0; 35]));
        for path in [&png, &jpeg, &tiff, &npy] {
            assert_eq!(
                image_dimensions(path).unwrap(),
                (7, 5),
                "{}",
                path.display()
            );
        }
        // A header with no pixel data: the size is known without decoding anything.
        let header = temp_file(&dir, "b.png", &png_header_only(20_000, 30_000));
        assert_eq!(image_dimensions(&header).unwrap(), (20_000, 30_000));
        let text = temp_file(&dir, "c.png", b"not an image");
        assert!(matches!(
            image_dimensions(&text),
            Err(ImageReadError::UnknownFormat { .. })
        ));
    }

    /// A valid PNG header declaring `width × height` RGB pixels, and no pixel data.
    fn png_header_only(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        bytes.extend_from_slice(&13u32.to_be_bytes());
        bytes.extend_from_slice(&ihdr);
        bytes.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
            bytes.extend_from_slice(&0u32.to_be_bytes());
            bytes.extend_from_slice(chunk);
            bytes.extend_from_slice(&crc32(chunk).to_be_bytes());
        }
        bytes
    }

    /// CRC-32 (IEEE) for the PNG chunk above, computed bit by bit.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn float_tiff_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edm.tif");
        let image = FloatImage::from_raw(3, 1, vec![0.0, 1.5, -2.25]).unwrap();
        write_float_tiff(&path, &image).unwrap();
        assert_eq!(read_image(&path).unwrap(), AnyImage::Gray32(image));
    }

    #[test]
    fn label_tiff_round_trips_32_bit_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels.tif");
        let labels = LabelImage::from_raw(2, 2, vec![0, 1, 70_000, 4_000_000_000]).unwrap();
        write_label_tiff(&path, &labels).unwrap();
        assert_eq!(read_label_image(&path).unwrap(), labels);
    }

    /// Builds a version-1 .npy file by hand, as numpy.save writes it.
    fn npy_bytes(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut header = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    #[test]
    fn npy_labels_in_c_and_fortran_order() {
        let dir = tempfile::tempdir().unwrap();
        // [[1, 2, 3], [4, 5, 6]] as little-endian int32.
        let c_order: Vec<u8> = [1i32, 2, 3, 4, 5, 6]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let fortran_order: Vec<u8> = [1i32, 4, 2, 5, 3, 6]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let c_path = temp_file(&dir, "c.npy", &npy_bytes("<i4", false, "(2, 3)", &c_order));
        let f_path = temp_file(
            &dir,
            "f.npy",
            &npy_bytes("<i4", true, "(2, 3)", &fortran_order),
        );
        let expected = LabelImage::from_raw(3, 2, vec![1, 2, 3, 4, 5, 6]).unwrap();
        assert_eq!(read_label_image(&c_path).unwrap(), expected);
        assert_eq!(read_label_image(&f_path).unwrap(), expected);
    }

    #[test]
    fn a_pickled_npy_names_cellposes_masks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image_seg.npy");
        std::fs::write(&path, npy_bytes("|O", false, "()", b"")).unwrap();
        let message = read_label_image(&path).unwrap_err().to_string();
        assert!(message.contains("_cp_masks.png"), "{message}");
    }

    #[test]
    fn npy_negative_labels_and_truncation_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = [0i16, -1].iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = temp_file(&dir, "n.npy", &npy_bytes("<i2", false, "(1, 2)", &data));
        assert!(matches!(
            read_label_image(&path),
            Err(ImageReadError::InvalidLabels { .. })
        ));
        let path = temp_file(&dir, "t.npy", &npy_bytes("<i2", false, "(10, 2)", &data));
        assert!(matches!(
            read_label_image(&path),
            Err(ImageReadError::Corrupt { .. })
        ));
    }

    #[test]
    fn rgb_label_image_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let rgb = RgbImage::from_raw(1, 1, vec![1, 2, 3]).unwrap();
        let path = temp_file(&dir, "rgb.png", &png_bytes(&DynamicImage::ImageRgb8(rgb)));
        assert!(matches!(
            read_label_image(&path),
            Err(ImageReadError::InvalidLabels { .. })
        ));
    }
}
