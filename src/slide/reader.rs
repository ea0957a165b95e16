//! Reading rectangles of a slide without decoding the whole file.
//!
//! [`SlideReader`] opens
//!
//! - **TIFF and BigTIFF**, tiled or stripped, uncompressed, LZW, Deflate, PackBits or JPEG, 8- or
//!   16-bit grey, grey + alpha, RGB or RGBA, and YCbCr. Only the chunks (tiles or strips) a
//!   rectangle touches are decoded; uncompressed 8-bit chunks are read row by row straight from
//!   the file, so even a single-strip uncompressed TIFF is read in bounded memory. Decoded
//!   compressed chunks are kept in a [`ChunkCache`] shared by a reader and its reopened copies
//!   (at most [`CHUNK_CACHE_BYTES`]), so that the overlapping windows of neighbouring tiles do
//!   not decode the same chunks again.
//! - **Pyramids** (Aperio SVS, tifffile/libvips pyramids, OME-TIFF): the full-resolution level is
//!   the largest image among the top-level IFDs that are not marked as reduced-resolution
//!   (`NewSubfileType` bit 0); thumbnails, reduced levels, labels and macro images are skipped.
//! - **PNG, JPEG and the other formats of [`crate::io::read_rgb_image`]**: decoded whole once
//!   (they are field images, at most [`crate::io::MAX_PIXELS`] pixels).
//!
//! # JPEG tiles and YCbCr
//!
//! The `tiff` crate decodes JPEG tiles with `zune-jpeg` but leaves the pixels in the colour
//! space of the JPEG stream. Aperio-style files declare `PhotometricInterpretation = RGB` while
//! their JPEG tiles are ordinary YCbCr JPEGs, and files declaring YCbCr come back as YCbCr too. The
//! reader therefore looks at each JPEG stream's own markers (with the `JPEGTables` prepended), as
//! the decoder does: three components are YCbCr unless the component identifiers are `R`, `G`,
//! `B` or an Adobe APP14 marker has transform 0. YCbCr samples are converted to RGB with the
//! JFIF formulas (ITU-R BT.601, full range) in the 16-bit fixed-point form of libjpeg's
//! `jdcolor.c`, see [`ycbcr_to_rgb`].
//!
//! Codecs the `tiff` crate cannot decode (JPEG 2000, including Aperio's 33003/33005, old-style
//! JPEG, LZMA, Zstandard, WebP, JPEG XL, ...) are refused when the slide is opened, with an error
//! naming the codec.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::RgbImage;
use tiff::decoder::{ChunkType, Decoder, DecodingResult};
use tiff::tags::Tag;
use tiff::ColorType;

use super::chunk_cache::{CacheStatistics, ChunkCache, DecodedChunk};
use super::tiles::Rect;

/// The default budget of decoded chunks a slide's readers share: 128 MiB of RGB pixels.
///
/// A window's chunks are reused by the next window of its grid row (the columns of their shared
/// overlap) and, a grid row later, by the windows below (the rows of their shared overlap).
/// With least-recently-used eviction the second reuse needs the chunks of a whole grid row of
/// windows: the window's height, rounded out to whole chunks, times the slide's width. For the
/// default 2048-pixel tiles with a 256-pixel overlap and 512-pixel TIFF tiles that is 6 chunk
/// rows, 8.8 MiB of RGB per 1000 pixels of slide width: slides up to about 14,000 pixels wide
/// get both reuses (every chunk decoded once per pass), wider ones the first (each window
/// decodes only the chunks its left neighbour did not). On the 10752 x 8192 test mosaic 128 MiB
/// decodes as few chunks as 192 MiB, and 64 MiB a quarter more (docs/performance-notes.md).
/// The budget is fixed, so peak memory does not grow with the slide.
pub const CHUNK_CACHE_BYTES: usize = 128 << 20;

/// Why a slide could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum SlideReadError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read")]
    Io {
        /// The slide.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The TIFF structure or a chunk is damaged.
    #[error("{path}: corrupt or unreadable TIFF: {reason}")]
    Corrupt {
        /// The slide.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// The chunks are compressed with a codec hemato cannot decode.
    #[error(
        "{path}: the image data is compressed with {codec} (TIFF compression {code}), which \
         hemato cannot decode; supported: none, LZW, Deflate, PackBits and JPEG. Convert the \
         slide to a tiled TIFF with one of those (e.g. `vips tiffsave SLIDE out.tif --tile \
         --bigtiff --compression jpeg`)"
    )]
    UnsupportedCodec {
        /// The slide.
        path: PathBuf,
        /// The codec's name.
        codec: &'static str,
        /// The TIFF compression number.
        code: u16,
    },
    /// The samples are not grey, RGB or YCbCr of 8 or 16 bits.
    #[error("{path}: unsupported pixel layout: {kind}")]
    UnsupportedPixels {
        /// The slide.
        path: PathBuf,
        /// What was found.
        kind: String,
    },
    /// A non-TIFF image could not be read.
    #[error(transparent)]
    Image(#[from] crate::io::ImageReadError),
    /// A non-TIFF slide larger than hemato decodes whole.
    #[error(
        "{path}: {width} x {height} pixels; a slide that is not a TIFF (PNG, JPEG, BMP) is \
         decoded whole, which hemato does up to {limit} pixels. Convert it to a tiled TIFF, \
         which is read tile by tile (e.g. `vips tiffsave SLIDE out.tif --tile --bigtiff \
         --compression jpeg`)"
    )]
    TooLargeToDecodeWhole {
        /// The slide.
        path: PathBuf,
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
        /// [`crate::io::MAX_PIXELS`].
        limit: u64,
    },
    /// A non-TIFF slide whose decoding whole would not fit in the memory allowed.
    #[error(transparent)]
    TooLargeForMemory(#[from] crate::memory::TooLargeForMemory),
    /// A rectangle outside the slide was asked for.
    #[error("{path}: rectangle {rect:?} lies outside the {width} x {height} slide")]
    OutOfBounds {
        /// The slide.
        path: PathBuf,
        /// The rectangle.
        rect: Rect,
        /// Slide width.
        width: u32,
        /// Slide height.
        height: u32,
    },
}

/// A slide opened for reading rectangles. Each thread opens its own with [`SlideReader::reopen`];
/// a TIFF's reopened readers share its cache of decoded chunks.
pub struct SlideReader {
    path: PathBuf,
    width: u32,
    height: u32,
    source: Source,
}

enum Source {
    Tiff(Box<TiffSource>),
    Memory(Arc<RgbImage>),
}

impl std::fmt::Debug for SlideReader {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SlideReader")
            .field("path", &self.path)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// Whether the file at `path` starts with a TIFF or BigTIFF signature.
fn is_tiff(path: &Path) -> Result<bool, SlideReadError> {
    let mut magic = [0u8; 4];
    let length = File::open(path)
        .and_then(|mut file| file.read(&mut magic))
        .map_err(|source| SlideReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(length == 4 && matches!(&magic, b"II*\0" | b"MM\0*" | b"II+\0" | b"MM\0+"))
}

/// A non-TIFF slide's read error: above the decode limit it says to convert the slide to a
/// tiled TIFF (the user is already running `hemato slide`, which `io`'s message points to).
fn decode_error(error: crate::io::ImageReadError) -> SlideReadError {
    match error {
        crate::io::ImageReadError::TooLarge {
            path,
            width,
            height,
            limit,
        } => SlideReadError::TooLargeToDecodeWhole {
            path,
            width,
            height,
            limit,
        },
        other => SlideReadError::Image(other),
    }
}

/// The TIFF compression numbers hemato decodes, and names for the others.
fn codec_name(code: u16) -> (&'static str, bool) {
    match code {
        1 => ("no compression", true),
        5 => ("LZW", true),
        7 => ("JPEG", true),
        8 | 32946 => ("Deflate", true),
        32773 => ("PackBits", true),
        2 => ("CCITT modified Huffman RLE", false),
        3 => ("CCITT Group 3 fax", false),
        4 => ("CCITT Group 4 fax", false),
        6 => ("old-style JPEG", false),
        33003 => ("JPEG 2000 (Aperio, YCbCr)", false),
        33004 => ("JPEG 2000 (Aperio)", false),
        33005 => ("JPEG 2000 (Aperio, RGB)", false),
        34712 => ("JPEG 2000", false),
        34713 => ("Nikon NEF", false),
        34892 => ("lossy JPEG (DNG)", false),
        34887..=34889 => ("LERC", false),
        34925 => ("LZMA", false),
        34933 => ("PNG", false),
        34934 => ("JPEG XR", false),
        50000 | 34926 => ("Zstandard", false),
        50001 | 34927 => ("WebP", false),
        50002 | 52546 => ("JPEG XL", false),
        _ => ("an unknown codec", false),
    }
}

impl SlideReader {
    /// Opens a slide: TIFF/BigTIFF by its signature, anything else through
    /// [`crate::io::read_rgb_image`]. A TIFF's decoded chunks are cached up to
    /// [`CHUNK_CACHE_BYTES`].
    pub fn open(path: &Path) -> Result<SlideReader, SlideReadError> {
        SlideReader::open_with_chunk_cache(path, CHUNK_CACHE_BYTES)
    }

    /// [`Self::open`] with a cache of at most `budget` bytes of decoded TIFF chunks (0: decode
    /// every chunk on every read).
    pub fn open_with_chunk_cache(
        path: &Path,
        budget: usize,
    ) -> Result<SlideReader, SlideReadError> {
        if is_tiff(path)? {
            let mut source = TiffSource::open(path, None, Arc::new(ChunkCache::new(budget)))?;
            source.sample_bits = source.significant_bits()?;
            let (width, height) = (source.width, source.height);
            return Ok(SlideReader {
                path: path.to_path_buf(),
                width,
                height,
                source: Source::Tiff(Box::new(source)),
            });
        }
        let image = crate::io::read_rgb_image(path).map_err(decode_error)?;
        Ok(SlideReader {
            path: path.to_path_buf(),
            width: image.width(),
            height: image.height(),
            source: Source::Memory(Arc::new(image)),
        })
    }

    /// Refuses a slide that is not a TIFF when decoding it whole
    /// ([`crate::memory::Footprint::SLIDE_DECODED_WHOLE`], estimated from its header) would
    /// exceed `memory_limit`; a TIFF (read tile by tile), or no limit, passes.
    pub fn check_memory(
        path: &Path,
        memory_limit: Option<crate::memory::Limit>,
    ) -> Result<(), SlideReadError> {
        let Some(limit) = memory_limit else {
            return Ok(());
        };
        if is_tiff(path)? {
            return Ok(());
        }
        let (width, height) = crate::io::image_dimensions(path).map_err(decode_error)?;
        let footprint = crate::memory::Footprint::SLIDE_DECODED_WHOLE;
        crate::memory::check(path, width, height, footprint, limit)?;
        Ok(())
    }

    /// A reader of a slide already decoded into memory: `image` holds all of `path`'s
    /// full-resolution pixels (the slide driver keeps a small slide's first-pass pixels for its
    /// second pass). Rectangles are copied out of it.
    pub fn from_image(path: &Path, image: RgbImage) -> SlideReader {
        SlideReader {
            path: path.to_path_buf(),
            width: image.width(),
            height: image.height(),
            source: Source::Memory(Arc::new(image)),
        }
    }

    /// A reader of a slide decoded into memory by an earlier run ([`Self::shared_image`]).
    pub fn from_shared(path: &Path, image: Arc<RgbImage>) -> SlideReader {
        SlideReader {
            path: path.to_path_buf(),
            width: image.width(),
            height: image.height(),
            source: Source::Memory(image),
        }
    }

    /// The whole slide's pixels when they are held in memory (shared, not copied).
    pub fn shared_image(&self) -> Option<Arc<RgbImage>> {
        match &self.source {
            Source::Memory(image) => Some(Arc::clone(image)),
            Source::Tiff(_) => None,
        }
    }

    /// An independent reader of the same slide (for another thread).
    pub fn reopen(&self) -> Result<SlideReader, SlideReadError> {
        let source = match &self.source {
            Source::Tiff(tiff) => {
                let mut source =
                    TiffSource::open(&self.path, Some(tiff.ifd_index), Arc::clone(&tiff.cache))?;
                source.sample_bits = tiff.sample_bits;
                Source::Tiff(Box::new(source))
            }
            Source::Memory(image) => Source::Memory(Arc::clone(image)),
        };
        Ok(SlideReader {
            path: self.path.clone(),
            width: self.width,
            height: self.height,
            source,
        })
    }

    /// Rows of the file's chunks (TIFF tiles or strips): reading bands of whole chunk rows
    /// decodes every chunk once.
    pub fn chunk_rows(&self) -> u32 {
        match &self.source {
            Source::Tiff(tiff) => tiff.chunk_height,
            Source::Memory(_) => 256,
        }
    }

    /// What the cache of decoded chunks did so far (`None` for a slide held in memory).
    pub fn chunk_cache_statistics(&self) -> Option<CacheStatistics> {
        match &self.source {
            Source::Tiff(tiff) => Some(tiff.cache.statistics()),
            Source::Memory(_) => None,
        }
    }

    /// Whether the whole slide is held decoded in memory.
    pub fn is_in_memory(&self) -> bool {
        matches!(self.source, Source::Memory(_))
    }

    /// The slide file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// (width, height) of the full-resolution image.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// A one-line description of the file's layout, for messages.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Tiff(tiff) => tiff.describe(),
            Source::Memory(_) => "image decoded whole".to_string(),
        }
    }

    /// The RGB pixels of `rect`.
    pub fn read(&mut self, rect: Rect) -> Result<RgbImage, SlideReadError> {
        if rect.right() > self.width || rect.bottom() > self.height {
            return Err(SlideReadError::OutOfBounds {
                path: self.path.clone(),
                rect,
                width: self.width,
                height: self.height,
            });
        }
        match &mut self.source {
            Source::Memory(image) => {
                let mut output = RgbImage::new(rect.width, rect.height);
                let whole = Rect::new(0, 0, self.width, self.height);
                copy_part(image.as_raw(), whole, rect, rect, &mut output);
                Ok(output)
            }
            Source::Tiff(tiff) => tiff.read(rect),
        }
    }
}

/// The colour space of a JPEG stream, as its markers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JpegColour {
    /// One component.
    Grey,
    /// Three components stored as YCbCr (the JFIF default).
    YCbCr,
    /// Three components stored as RGB (identifiers `R`, `G`, `B`, or Adobe transform 0).
    Rgb,
    /// Something else (four components, ...).
    Other,
}

/// Reads the colour space of a JPEG stream from its markers up to the start of scan: the
/// component count and identifiers of the frame header and an Adobe APP14 transform flag, with
/// the rules of the decoder the `tiff` crate uses (`zune-jpeg`), which follow libjpeg's.
///
/// `parts` are read as one stream (the `JPEGTables` without their end marker, then the chunk
/// without its start marker, as the `tiff` crate joins them); `None` if no frame header is found.
///
/// ```
/// use hemato::slide::reader::{jpeg_colour, JpegColour};
/// // SOI, SOF0 with three components numbered 1, 2, 3, SOS.
/// let stream = [0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0, 16, 0, 16, 3,
///     1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xDA, 0, 2];
/// assert_eq!(jpeg_colour(&[&stream]), Some(JpegColour::YCbCr));
/// ```
pub fn jpeg_colour(parts: &[&[u8]]) -> Option<JpegColour> {
    let stream: Vec<u8> = parts.concat();
    let mut position = 2; // after SOI
    let mut adobe_transform: Option<u8> = None;
    let mut components: Option<Vec<u8>> = None;
    loop {
        while stream.get(position) == Some(&0xFF) && stream.get(position + 1) == Some(&0xFF) {
            position += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (stream.get(position), stream.get(position + 1)) else {
            break;
        };
        position += 2;
        match marker {
            0xD8 | 0x01 | 0xD0..=0xD7 => continue,
            0xD9 | 0xDA => break,
            _ => {}
        }
        let Some(length) = stream.get(position..position + 2) else {
            break;
        };
        let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
        let segment = stream.get(position + 2..position + length).unwrap_or(&[]);
        let is_frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame && segment.len() >= 6 {
            let count = usize::from(segment[5]);
            components = Some(
                (0..count)
                    .filter_map(|index| segment.get(6 + 3 * index).copied())
                    .collect(),
            );
        }
        if marker == 0xEE && segment.len() >= 12 && segment.starts_with(b"Adobe") {
            adobe_transform = Some(segment[11]);
        }
        position += length;
    }
    let components = components?;
    Some(match components.len() {
        1 => JpegColour::Grey,
        3 if components == b"RGB" => JpegColour::Rgb,
        3 if adobe_transform == Some(0) => JpegColour::Rgb,
        3 => JpegColour::YCbCr,
        _ => JpegColour::Other,
    })
}

/// Converts full-range YCbCr (JFIF, ITU-R BT.601) to RGB in place:
///
/// R = Y + 1.402 (Cr − 128), G = Y − 0.344136 (Cb − 128) − 0.714136 (Cr − 128),
/// B = Y + 1.772 (Cb − 128),
///
/// in libjpeg's 16-bit fixed-point form (`jdcolor.c`, `build_ycc_rgb_table`: each coefficient
/// scaled by 2¹⁶ and rounded; R and B round their term on its own, G rounds the sum of its two
/// terms), clamped to 0..=255.
///
/// ```
/// use hemato::slide::reader::ycbcr_to_rgb;
/// let mut pixels = [128, 128, 128, 100, 128, 228, 76, 85, 255];
/// ycbcr_to_rgb(&mut pixels);
/// // Grey stays grey; Cr + 100 adds 140.2 → 140 to red; pure red (BT.601) comes back.
/// assert_eq!(&pixels[..6], &[128, 128, 128, 240, 29, 100]);
/// assert_eq!(&pixels[6..], &[254, 0, 0]);
/// ```
pub fn ycbcr_to_rgb(pixels: &mut [u8]) {
    const SCALE_BITS: i32 = 16;
    const HALF: i32 = 1 << (SCALE_BITS - 1);
    const fn fix(value: f64) -> i32 {
        (value * (1 << SCALE_BITS) as f64 + 0.5) as i32
    }
    let red_from_cr: [i32; 256] =
        std::array::from_fn(|i| (fix(1.40200) * (i as i32 - 128) + HALF) >> SCALE_BITS);
    let blue_from_cb: [i32; 256] =
        std::array::from_fn(|i| (fix(1.77200) * (i as i32 - 128) + HALF) >> SCALE_BITS);
    let green_from_cr: [i32; 256] = std::array::from_fn(|i| -fix(0.71414) * (i as i32 - 128));
    let green_from_cb: [i32; 256] =
        std::array::from_fn(|i| -fix(0.34414) * (i as i32 - 128) + HALF);
    for pixel in pixels.chunks_exact_mut(3) {
        let (y, cb, cr) = (
            i32::from(pixel[0]),
            usize::from(pixel[1]),
            usize::from(pixel[2]),
        );
        pixel[0] = (y + red_from_cr[cr]).clamp(0, 255) as u8;
        pixel[1] =
            (y + ((green_from_cb[cb] + green_from_cr[cr]) >> SCALE_BITS)).clamp(0, 255) as u8;
        pixel[2] = (y + blue_from_cb[cb]).clamp(0, 255) as u8;
    }
}

/// The image of a TIFF file that is read: layout of its chunks and how to turn them into RGB.
struct TiffSource {
    path: PathBuf,
    decoder: Decoder<BufReader<File>>,
    /// A second handle for reading raw bytes (uncompressed rows, JPEG headers).
    raw: File,
    ifd_index: usize,
    ifd_count: usize,
    is_bigtiff: bool,
    width: u32,
    height: u32,
    chunk_type: ChunkType,
    chunk_width: u32,
    chunk_height: u32,
    chunks_across: u32,
    compression: u16,
    colour: ColorType,
    chunky: bool,
    offsets: Vec<u64>,
    byte_counts: Vec<u64>,
    jpeg_tables: Option<Vec<u8>>,
    /// Decoded compressed chunks, shared with the reopened readers of the same image.
    cache: Arc<ChunkCache>,
    /// The bits 16-bit samples are reduced to 8 over ([`crate::io::narrow_sample`]): the
    /// bit length of the slide's largest colour sample, found when the slide is first opened
    /// ([`TiffSource::significant_bits`]); 16 until then.
    sample_bits: u32,
}

impl TiffSource {
    fn open(
        path: &Path,
        ifd_index: Option<usize>,
        cache: Arc<ChunkCache>,
    ) -> Result<TiffSource, SlideReadError> {
        let io = |source| SlideReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let corrupt = |error: tiff::TiffError| SlideReadError::Corrupt {
            path: path.to_path_buf(),
            reason: error.to_string(),
        };
        let file = File::open(path).map_err(io)?;
        let mut header = [0u8; 4];
        File::open(path)
            .and_then(|mut f| f.read_exact(&mut header))
            .map_err(io)?;
        let is_bigtiff = header[2] == 43 || header[3] == 43;
        let mut decoder = Decoder::new(BufReader::new(file)).map_err(corrupt)?;
        let (ifd_index, ifd_count) = match ifd_index {
            Some(index) => (index, 0),
            None => full_resolution_ifd(&mut decoder).map_err(corrupt)?,
        };
        decoder.seek_to_image(ifd_index).map_err(corrupt)?;
        let compression = decoder
            .find_tag_unsigned::<u16>(Tag::Compression)
            .map_err(corrupt)?
            .unwrap_or(1);
        let (codec, supported) = codec_name(compression);
        if !supported {
            return Err(SlideReadError::UnsupportedCodec {
                path: path.to_path_buf(),
                codec,
                code: compression,
            });
        }
        let (width, height) = decoder.dimensions().map_err(corrupt)?;
        let colour = decoder
            .colortype()
            .map_err(|error| SlideReadError::UnsupportedPixels {
                path: path.to_path_buf(),
                kind: error.to_string(),
            })?;
        let supported_colour = matches!(
            colour,
            ColorType::Gray(8 | 16)
                | ColorType::GrayA(8 | 16)
                | ColorType::RGB(8 | 16)
                | ColorType::RGBA(8 | 16)
                | ColorType::YCbCr(8)
        );
        if !supported_colour {
            return Err(SlideReadError::UnsupportedPixels {
                path: path.to_path_buf(),
                kind: format!(
                    "{colour:?} samples; slides must be 8- or 16-bit grey, RGB or RGBA, or 8-bit YCbCr"
                ),
            });
        }
        let planar = decoder
            .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
            .map_err(corrupt)?
            .unwrap_or(1);
        let chunky = planar == 1;
        if !chunky && !matches!(colour, ColorType::Gray(_)) {
            return Err(SlideReadError::UnsupportedPixels {
                path: path.to_path_buf(),
                kind: "separate colour planes (PlanarConfiguration 2); store the channels \
                       interleaved"
                    .to_string(),
            });
        }
        let chunk_type = decoder.get_chunk_type();
        let (chunk_width, chunk_height) = decoder.chunk_dimensions();
        let (offset_tag, count_tag) = match chunk_type {
            ChunkType::Tile => (Tag::TileOffsets, Tag::TileByteCounts),
            ChunkType::Strip => (Tag::StripOffsets, Tag::StripByteCounts),
        };
        let offsets = decoder.get_tag_u64_vec(offset_tag).map_err(corrupt)?;
        let byte_counts = decoder.get_tag_u64_vec(count_tag).map_err(corrupt)?;
        let chunks_across = width.div_ceil(chunk_width.max(1));
        let chunks_down = height.div_ceil(chunk_height.max(1));
        let expected = chunks_across as usize * chunks_down as usize;
        if chunk_width == 0
            || chunk_height == 0
            || offsets.len() < expected
            || byte_counts.len() < expected
        {
            return Err(SlideReadError::Corrupt {
                path: path.to_path_buf(),
                reason: format!(
                    "{} chunk offsets and {} byte counts for {expected} chunks of {chunk_width} x \
                     {chunk_height}",
                    offsets.len(),
                    byte_counts.len()
                ),
            });
        }
        let jpeg_tables = if compression == 7 {
            decoder.get_tag_u8_vec(Tag::JPEGTables).ok()
        } else {
            None
        };
        let raw = File::open(path).map_err(io)?;
        Ok(TiffSource {
            path: path.to_path_buf(),
            decoder,
            raw,
            ifd_index,
            ifd_count,
            is_bigtiff,
            width,
            height,
            chunk_type,
            chunk_width,
            chunk_height,
            chunks_across,
            compression,
            colour,
            chunky,
            offsets,
            byte_counts,
            jpeg_tables,
            cache,
            sample_bits: 16,
        })
    }

    /// The bit length of the largest colour sample of a 16-bit slide (alpha left out; at least
    /// 8), read from every chunk: a camera's 12-bit data stored in 16-bit samples is reduced
    /// to 8 bits over 12, as [`crate::io::read_image`] reduces a whole image. 8-bit slides
    /// need no pass and give 8.
    fn significant_bits(&mut self) -> Result<u32, SlideReadError> {
        if !matches!(
            self.colour,
            ColorType::Gray(16) | ColorType::GrayA(16) | ColorType::RGB(16) | ColorType::RGBA(16)
        ) {
            return Ok(8);
        }
        let samples = self.samples();
        let has_alpha = matches!(self.colour, ColorType::GrayA(_) | ColorType::RGBA(_));
        let colours = if has_alpha { samples - 1 } else { samples };
        let mut largest = 0u16;
        let chunks = self.chunks_across * self.height.div_ceil(self.chunk_height);
        for index in 0..chunks {
            let values = match self.decoder.read_chunk(index) {
                Ok(DecodingResult::U16(values)) => values,
                Ok(_) => continue,
                Err(error) => return Err(self.corrupt(error)),
            };
            let chunk_largest = values
                .chunks(samples)
                .flat_map(|pixel| &pixel[..colours.min(pixel.len())])
                .copied()
                .max()
                .unwrap_or(0);
            largest = largest.max(chunk_largest);
        }
        Ok(crate::io::significant_bits(largest))
    }

    fn describe(&self) -> String {
        let kind = if self.is_bigtiff { "BigTIFF" } else { "TIFF" };
        let chunks = match self.chunk_type {
            ChunkType::Tile => format!("{} x {} tiles", self.chunk_width, self.chunk_height),
            ChunkType::Strip => format!("strips of {} rows", self.chunk_height),
        };
        let level = if self.ifd_count > 1 {
            format!(
                ", image {} of {} (full resolution)",
                self.ifd_index + 1,
                self.ifd_count
            )
        } else {
            String::new()
        };
        format!(
            "{kind}, {chunks}, {}, {:?}{level}",
            codec_name(self.compression).0,
            self.colour
        )
    }

    fn io_error(&self, source: std::io::Error) -> SlideReadError {
        SlideReadError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, error: tiff::TiffError) -> SlideReadError {
        SlideReadError::Corrupt {
            path: self.path.clone(),
            reason: error.to_string(),
        }
    }

    /// The slide rectangle of chunk `index`.
    fn chunk_rect(&self, index: u32) -> Rect {
        let column = index % self.chunks_across;
        let row = index / self.chunks_across;
        let (x, y) = (column * self.chunk_width, row * self.chunk_height);
        Rect::new(
            x,
            y,
            self.chunk_width.min(self.width - x),
            self.chunk_height.min(self.height - y),
        )
    }

    fn samples(&self) -> usize {
        match self.colour {
            ColorType::Gray(_) => 1,
            ColorType::GrayA(_) => 2,
            ColorType::RGB(_) | ColorType::YCbCr(_) => 3,
            ColorType::RGBA(_) => 4,
            _ => 0,
        }
    }

    /// Uncompressed 8-bit interleaved data can be read row by row from the file.
    fn reads_rows_directly(&self) -> bool {
        self.compression == 1
            && self.chunky
            && matches!(
                self.colour,
                ColorType::Gray(8) | ColorType::GrayA(8) | ColorType::RGB(8) | ColorType::RGBA(8)
            )
    }

    fn read(&mut self, rect: Rect) -> Result<RgbImage, SlideReadError> {
        let mut output = RgbImage::new(rect.width, rect.height);
        if rect.width == 0 || rect.height == 0 {
            return Ok(output);
        }
        let first_column = rect.x / self.chunk_width;
        let last_column = (rect.right() - 1) / self.chunk_width;
        let first_row = rect.y / self.chunk_height;
        let last_row = (rect.bottom() - 1) / self.chunk_height;
        for row in first_row..=last_row {
            for column in first_column..=last_column {
                let index = row * self.chunks_across + column;
                let chunk = self.chunk_rect(index);
                let part = chunk.intersection(&rect);
                if self.reads_rows_directly() {
                    self.copy_rows_directly(index, chunk, part, rect, &mut output)?;
                } else {
                    let decoded = self.decoded_chunk(index, chunk)?;
                    copy_part(&decoded.rgb, decoded.rect, part, rect, &mut output);
                }
            }
        }
        Ok(output)
    }

    /// Chunk `index` (the slide rectangle `chunk`) decoded to RGB, from the cache or decoded now.
    fn decoded_chunk(
        &mut self,
        index: u32,
        chunk: Rect,
    ) -> Result<Arc<DecodedChunk>, SlideReadError> {
        let cache = Arc::clone(&self.cache);
        cache.get_or_decode(index, || {
            if self.decodes_rgb_directly() {
                self.decode_rgb(index, chunk)
            } else {
                self.decode_chunk(index, chunk)
            }
        })
    }

    /// Compressed 8-bit RGB (other than JPEG, whose colour space needs a look at each stream)
    /// is already RGB as decoded: its data rows are kept as they are, without a chunk-sized copy.
    fn decodes_rgb_directly(&self) -> bool {
        self.compression != 7 && self.chunky && matches!(self.colour, ColorType::RGB(8))
    }

    /// Decodes compressed 8-bit RGB chunk `index`: the chunk's whole data rectangle.
    fn decode_rgb(&mut self, index: u32, chunk: Rect) -> Result<DecodedChunk, SlideReadError> {
        // The chunk's data may be wider and higher than its part of the slide (edge tiles).
        let (data_width, data_height) = self.decoder.chunk_data_dimensions(index);
        if data_width < chunk.width || data_height < chunk.height {
            return Err(SlideReadError::Corrupt {
                path: self.path.clone(),
                reason: format!("chunk {index} holds {data_width} x {data_height} pixels"),
            });
        }
        let mut rgb = vec![0u8; data_width as usize * data_height as usize * 3];
        if let Err(error) = self.decoder.read_chunk_bytes(index, &mut rgb) {
            return Err(SlideReadError::Corrupt {
                path: self.path.clone(),
                reason: error.to_string(),
            });
        }
        Ok(DecodedChunk {
            rect: Rect::new(chunk.x, chunk.y, data_width, data_height),
            rgb,
        })
    }

    fn copy_rows_directly(
        &mut self,
        index: u32,
        chunk: Rect,
        part: Rect,
        rect: Rect,
        output: &mut RgbImage,
    ) -> Result<(), SlideReadError> {
        let samples = self.samples();
        let row_bytes = self.chunk_width as u64 * samples as u64;
        let mut buffer = vec![0u8; part.width as usize * samples];
        let base = self.offsets[index as usize];
        let available = self.byte_counts[index as usize];
        for y in part.y..part.bottom() {
            let within =
                (y - chunk.y) as u64 * row_bytes + (part.x - chunk.x) as u64 * samples as u64;
            if within + buffer.len() as u64 > available {
                return Err(SlideReadError::Corrupt {
                    path: self.path.clone(),
                    reason: format!("chunk {index} is shorter than its rows"),
                });
            }
            self.raw
                .seek(SeekFrom::Start(base + within))
                .and_then(|_| self.raw.read_exact(&mut buffer))
                .map_err(|error| self.io_error(error))?;
            let out_row = (y - rect.y) as usize;
            let start = (out_row * rect.width as usize + (part.x - rect.x) as usize) * 3;
            let target = &mut output.as_mut()[start..start + part.width as usize * 3];
            samples_to_rgb(&buffer, samples, target);
        }
        Ok(())
    }

    /// The colour space of chunk `index`'s JPEG stream.
    fn chunk_jpeg_colour(&mut self, index: u32) -> Result<Option<JpegColour>, SlideReadError> {
        let length = self.byte_counts[index as usize].min(1 << 16) as usize;
        let mut head = vec![0u8; length];
        self.raw
            .seek(SeekFrom::Start(self.offsets[index as usize]))
            .and_then(|_| self.raw.read_exact(&mut head))
            .map_err(|error| self.io_error(error))?;
        Ok(match &self.jpeg_tables {
            Some(tables) if tables.len() >= 2 && head.len() >= 2 => {
                jpeg_colour(&[&tables[..tables.len() - 2], &head[2..]])
            }
            _ => jpeg_colour(&[&head]),
        })
    }

    /// Decodes chunk `index` (any other layout) into RGB, chunk-sized.
    fn decode_chunk(&mut self, index: u32, chunk: Rect) -> Result<DecodedChunk, SlideReadError> {
        let result = self
            .decoder
            .read_chunk(index)
            .map_err(|error| self.corrupt(error))?;
        let (data_width, data_height) = self.decoder.chunk_data_dimensions(index);
        let samples = self.samples();
        // The tiff crate returns the chunk's data rows, which may be wider than the slide part.
        let eight_bit: Vec<u8> = match result {
            DecodingResult::U8(values) => values,
            DecodingResult::U16(values) => values
                .into_iter()
                .map(|value| crate::io::narrow_sample(value, self.sample_bits))
                .collect(),
            other => {
                return Err(SlideReadError::UnsupportedPixels {
                    path: self.path.clone(),
                    kind: format!("{:?} samples", std::mem::discriminant(&other)),
                })
            }
        };
        let expected = data_width as usize * data_height as usize * samples;
        if eight_bit.len() < expected || data_width < chunk.width || data_height < chunk.height {
            return Err(SlideReadError::Corrupt {
                path: self.path.clone(),
                reason: format!("chunk {index} decoded to {} bytes", eight_bit.len()),
            });
        }
        let mut rgb = vec![0u8; chunk.width as usize * chunk.height as usize * 3];
        for y in 0..chunk.height as usize {
            let source =
                &eight_bit[y * data_width as usize * samples..][..chunk.width as usize * samples];
            let target = &mut rgb[y * chunk.width as usize * 3..][..chunk.width as usize * 3];
            samples_to_rgb(source, samples, target);
        }
        let is_ycbcr = match (self.compression, self.colour) {
            (7, ColorType::RGB(8) | ColorType::YCbCr(8)) => {
                self.chunk_jpeg_colour(index)? == Some(JpegColour::YCbCr)
            }
            (_, ColorType::YCbCr(_)) => true,
            _ => false,
        };
        if is_ycbcr {
            ycbcr_to_rgb(&mut rgb);
        }
        Ok(DecodedChunk { rect: chunk, rgb })
    }
}

/// Expands 1-4 interleaved 8-bit samples per pixel to RGB (grey repeated, alpha dropped).
fn samples_to_rgb(source: &[u8], samples: usize, target: &mut [u8]) {
    match samples {
        3 => target.copy_from_slice(&source[..target.len()]),
        1 | 2 => {
            for (pixel, value) in target.chunks_exact_mut(3).zip(source.chunks_exact(samples)) {
                pixel.fill(value[0]);
            }
        }
        _ => {
            for (pixel, value) in target.chunks_exact_mut(3).zip(source.chunks_exact(samples)) {
                pixel.copy_from_slice(&value[..3]);
            }
        }
    }
}

/// Copies `part` (slide coordinates) from `rgb`, which holds the slide rectangle `chunk`, into
/// `output`, which holds the slide rectangle `rect`; `part` lies in both.
pub(crate) fn copy_part(rgb: &[u8], chunk: Rect, part: Rect, rect: Rect, output: &mut RgbImage) {
    let width = part.width as usize * 3;
    for y in part.y..part.bottom() {
        let source_start =
            ((y - chunk.y) as usize * chunk.width as usize + (part.x - chunk.x) as usize) * 3;
        let target_start =
            ((y - rect.y) as usize * rect.width as usize + (part.x - rect.x) as usize) * 3;
        output.as_mut()[target_start..target_start + width]
            .copy_from_slice(&rgb[source_start..source_start + width]);
    }
}

/// The index of the full-resolution image among the top-level IFDs and the number of IFDs: the
/// largest image not flagged as a reduced-resolution version (`NewSubfileType` bit 0, or the
/// old `SubfileType` = 2); the first of equal sizes.
fn full_resolution_ifd(
    decoder: &mut Decoder<BufReader<File>>,
) -> Result<(usize, usize), tiff::TiffError> {
    let mut best: Option<(u64, usize)> = None;
    let mut fallback: Option<(u64, usize)> = None;
    let mut index = 0;
    loop {
        let (width, height) = decoder.dimensions()?;
        let pixels = u64::from(width) * u64::from(height);
        let new_subfile = decoder
            .find_tag_unsigned::<u32>(Tag::NewSubfileType)?
            .unwrap_or(0);
        let old_subfile = decoder
            .find_tag_unsigned::<u16>(Tag::SubfileType)?
            .unwrap_or(1);
        let reduced = new_subfile & 1 != 0 || old_subfile == 2;
        let candidate = if reduced { &mut fallback } else { &mut best };
        if candidate.map_or(true, |(size, _)| pixels > size) {
            *candidate = Some((pixels, index));
        }
        if !decoder.more_images() {
            break;
        }
        decoder.next_image()?;
        index += 1;
    }
    let chosen = best.or(fallback).map(|(_, index)| index).unwrap_or(0);
    Ok((chosen, index + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codecs_are_named() {
        assert_eq!(codec_name(33003), ("JPEG 2000 (Aperio, YCbCr)", false));
        assert_eq!(codec_name(7), ("JPEG", true));
        assert!(!codec_name(65000).1);
    }

    /// JFIF formulas in floating point, rounded to nearest: libjpeg's fixed point gives the same
    /// value or one that differs by at most 1 (the rounding of the separate terms).
    #[test]
    fn fixed_point_conversion_follows_the_jfif_formulas() {
        for y in (0..=255).step_by(5) {
            for cb in (0..=255).step_by(3) {
                for cr in (0..=255).step_by(7) {
                    let mut pixel = [y as u8, cb as u8, cr as u8];
                    ycbcr_to_rgb(&mut pixel);
                    let (y, cb, cr) = (y as f64, cb as f64 - 128.0, cr as f64 - 128.0);
                    let expected = [
                        y + 1.402 * cr,
                        y - 0.344136 * cb - 0.714136 * cr,
                        y + 1.772 * cb,
                    ]
                    .map(|v| v.round().clamp(0.0, 255.0));
                    for (got, want) in pixel.iter().zip(expected) {
                        assert!(
                            (f64::from(*got) - want).abs() <= 1.0,
                            "{pixel:?} {expected:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn adobe_transform_zero_means_rgb() {
        let mut stream = vec![0xFF, 0xD8];
        // APP14 "Adobe", version 100, flags 0, 0, transform 0.
        stream.extend([0xFF, 0xEE, 0, 14]);
        stream.extend(b"Adobe");
        stream.extend([0, 100, 0, 0, 0, 0, 0]);
        stream.extend([
            0xFF, 0xC0, 0, 17, 8, 0, 8, 0, 8, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1,
        ]);
        stream.extend([0xFF, 0xDA, 0, 2]);
        assert_eq!(jpeg_colour(&[&stream]), Some(JpegColour::Rgb));
        // Identifiers 'R', 'G', 'B' without Adobe marker.
        let rgb_ids = [
            0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0, 8, 0, 8, 3, b'R', 0x11, 0, b'G', 0x11, 1, b'B',
            0x11, 1, 0xFF, 0xDA, 0, 2,
        ];
        assert_eq!(jpeg_colour(&[&rgb_ids]), Some(JpegColour::Rgb));
        assert_eq!(jpeg_colour(&[&[0xFF, 0xD8, 0xFF, 0xD9]]), None);
    }
}
