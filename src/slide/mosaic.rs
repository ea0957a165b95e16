//! Large test slides: mosaics of real microscope fields, written as tiled BigTIFF.
//!
//! A mosaic is a grid of fields (images of the same size, used in turn), each surrounded by a
//! margin of a plain background colour, so neighbouring fields never touch. With a fixed
//! threshold level that the background colour does not reach, every component of the mosaic lies
//! inside one padded field, and the mosaic's cell count is exactly the sum of the padded fields'
//! single-image counts ([`field_counts`]); with an automatic threshold the slide-wide level
//! differs a little from each field's own.
//!
//! [`write_tiled_tiff`] streams any image, given as a function from rectangles to pixels, into a
//! tiled BigTIFF one row of tiles at a time. It uses the `tiff` crate's directory encoder for the
//! container (tiles are written as raw data with their offset and byte-count tags, since the
//! crate's image encoder writes strips only) and its Deflate compressor. (Its LZW encoder is not
//! offered: with `tiff` 0.11.3 / `weezl` 0.1.12 its output is rejected as corrupt both by the
//! crate's own decoder and by libtiff-compatible ones.)

use std::path::{Path, PathBuf};

use image::RgbImage;
use rayon::prelude::*;
use tiff::encoder::compression::{CompressionAlgorithm, Deflate, DeflateLevel};
use tiff::encoder::TiffEncoder;
use tiff::tags::Tag;

use super::analysis::{analyse_image, image_parameters, Analysis, AnalysisError, ComponentFailure};
use super::tiles::Rect;
use crate::output::{write_atomically, OutputError};

/// Why a mosaic could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MosaicError {
    /// A field could not be read.
    #[error(transparent)]
    Read(#[from] crate::io::ImageReadError),
    /// The fields differ in size.
    #[error("{path} is {width} x {height}, but the first field is {first_width} x {first_height}; all fields must have the same size")]
    FieldSize {
        /// The odd field.
        path: PathBuf,
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
        /// The first field's width.
        first_width: u32,
        /// The first field's height.
        first_height: u32,
    },
    /// No fields, or a layout that does not fit.
    #[error("{0}")]
    Layout(String),
    /// The TIFF could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// `hemato count` failed on a field.
    #[error("{path}: {source}")]
    Count {
        /// The field.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: crate::count::CountError,
    },
    /// The analysis could not be set up for a field.
    #[error("{path}: {source}")]
    Analysis {
        /// The field.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: AnalysisError,
    },
    /// A component of a field could not be analysed.
    #[error("{path}: {source}")]
    Component {
        /// The field.
        path: PathBuf,
        /// What went wrong, and where.
        #[source]
        source: ComponentFailure,
    },
}

/// Compression of the tiles of a written TIFF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TiffCompression {
    /// Uncompressed.
    None,
    /// Deflate (fast level).
    Deflate,
}

impl TiffCompression {
    fn code(self) -> u16 {
        match self {
            TiffCompression::None => 1,
            TiffCompression::Deflate => 8,
        }
    }

    fn compress(self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(bytes.len() / 2);
        match self {
            TiffCompression::None => out.extend_from_slice(bytes),
            TiffCompression::Deflate => {
                Deflate::with_level(DeflateLevel::Fast).write_to(&mut out, bytes)?;
            }
        }
        Ok(out)
    }
}

/// Writes a `width` × `height` RGB image as a tiled BigTIFF with `tile` × `tile` tiles
/// (`tile` a multiple of 16), atomically. `render` gives the pixels of any rectangle; it is
/// called for one row of tiles at a time (tiles of a row in parallel), so memory stays at one
/// row of tiles.
pub fn write_tiled_tiff<F>(
    path: &Path,
    width: u32,
    height: u32,
    tile: u32,
    compression: TiffCompression,
    render: F,
) -> Result<(), MosaicError>
where
    F: Fn(Rect) -> RgbImage + Sync,
{
    if tile == 0 || tile % 16 != 0 {
        return Err(MosaicError::Layout(format!(
            "TIFF tiles must be a multiple of 16 pixels, not {tile}"
        )));
    }
    if width == 0 || height == 0 {
        return Err(MosaicError::Layout("the image is empty".to_string()));
    }
    let across = width.div_ceil(tile);
    let down = height.div_ceil(tile);
    write_atomically(path, |writer| {
        let tiff_error = std::io::Error::other;
        let mut encoder = TiffEncoder::new_big(writer).map_err(tiff_error)?;
        let mut directory = encoder.image_directory().map_err(tiff_error)?;
        let mut offsets: Vec<u64> = Vec::with_capacity((across * down) as usize);
        let mut counts: Vec<u64> = Vec::with_capacity((across * down) as usize);
        for row in 0..down {
            let tiles: Vec<std::io::Result<Vec<u8>>> = (0..across)
                .into_par_iter()
                .map(|column| {
                    let rect = Rect::new(
                        column * tile,
                        row * tile,
                        tile.min(width - column * tile),
                        tile.min(height - row * tile),
                    );
                    let part = render(rect);
                    // Tiles are always tile × tile; the parts beyond the image are padding.
                    let mut full = vec![0u8; (tile * tile * 3) as usize];
                    for y in 0..rect.height as usize {
                        let source = &part.as_raw()[y * rect.width as usize * 3..]
                            [..rect.width as usize * 3];
                        full[y * tile as usize * 3..][..source.len()].copy_from_slice(source);
                    }
                    compression.compress(&full)
                })
                .collect();
            for data in tiles {
                let data = data?;
                offsets.push(directory.write_data(&data[..]).map_err(tiff_error)?);
                counts.push(data.len() as u64);
            }
        }
        directory
            .write_tag(Tag::ImageWidth, width)
            .map_err(tiff_error)?;
        directory
            .write_tag(Tag::ImageLength, height)
            .map_err(tiff_error)?;
        directory
            .write_tag(Tag::BitsPerSample, &[8u16, 8, 8][..])
            .map_err(tiff_error)?;
        directory
            .write_tag(Tag::Compression, compression.code())
            .map_err(tiff_error)?;
        directory
            .write_tag(Tag::PhotometricInterpretation, 2u16)
            .map_err(tiff_error)?;
        directory
            .write_tag(Tag::SamplesPerPixel, 3u16)
            .map_err(tiff_error)?;
        directory
            .write_tag(Tag::PlanarConfiguration, 1u16)
            .map_err(tiff_error)?;
        directory
            .write_tag(Tag::TileWidth, tile)
            .map_err(tiff_error)?;
        directory
            .write_tag(Tag::TileLength, tile)
            .map_err(tiff_error)?;
        directory
            .write_tag(Tag::TileOffsets, &offsets[..])
            .map_err(tiff_error)?;
        directory
            .write_tag(Tag::TileByteCounts, &counts[..])
            .map_err(tiff_error)?;
        directory.finish().map_err(tiff_error)?;
        Ok(())
    })?;
    Ok(())
}

/// A grid of equally sized fields with background margins.
#[derive(Debug, Clone)]
pub struct Mosaic {
    /// The field files, used in turn (row-major).
    pub sources: Vec<PathBuf>,
    fields: Vec<RgbImage>,
    /// Fields across.
    pub columns: u32,
    /// Fields down.
    pub rows: u32,
    /// Background margin on each side of each field.
    pub margin: u32,
    /// Background colour.
    pub background: [u8; 3],
}

/// The summed optical density between a field's own background and the margin colour above
/// which [`fields_far_from_margin`] reports the field. Measured: the 20 BCCD fields lie
/// within 0.054 of their median background, 48 of Aslan's 50 within 0.045, and the two Aslan
/// fields a slide run cannot count at that colour at 0.19 and 0.31.
pub const FAR_BACKGROUND_OD: f64 = 0.1;

/// The per-channel median of `colours` (upper middle for even counts), rounded.
pub fn median_colour(colours: &[[f64; 3]]) -> [u8; 3] {
    let mut colours = colours.to_vec();
    std::array::from_fn(|channel| {
        colours.sort_by(|a, b| a[channel].total_cmp(&b[channel]));
        colours[colours.len() / 2][channel].round() as u8
    })
}

/// The fields (index into `backgrounds`, their own background colours,
/// [`Mosaic::field_backgrounds`]) whose background lies more than [`FAR_BACKGROUND_OD`] from
/// the `margin` colour, with that distance: the summed optical density
/// `Σ |log10(margin / field)|` over R, G and B. A slide run estimates one background for the
/// whole mosaic (the margins' colour, when they are in the fields' colour) and can take such a
/// field's whole background for cells, where `hemato count` counts the padded field at its own
/// (docs/slides.md, the Aslan mosaic).
pub fn fields_far_from_margin(backgrounds: &[[f64; 3]], margin: [u8; 3]) -> Vec<(usize, f64)> {
    let margin = margin.map(|value| f64::from(value).max(1.0));
    backgrounds
        .iter()
        .map(|own| {
            (0..3)
                .map(|channel| (margin[channel] / own[channel].max(1.0)).log10().abs())
                .sum::<f64>()
        })
        .enumerate()
        .filter(|&(_, distance)| distance > FAR_BACKGROUND_OD)
        .collect()
}

/// One field of a mosaic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedField {
    /// Grid column.
    pub column: u32,
    /// Grid row.
    pub row: u32,
    /// The padded field's rectangle in the mosaic.
    pub rect: Rect,
    /// Index into [`Mosaic::sources`].
    pub source: usize,
}

impl Mosaic {
    /// Reads the fields and lays them out `columns` × `rows`.
    pub fn new(
        sources: Vec<PathBuf>,
        columns: u32,
        rows: u32,
        margin: u32,
        background: [u8; 3],
    ) -> Result<Mosaic, MosaicError> {
        if sources.is_empty() || columns == 0 || rows == 0 {
            return Err(MosaicError::Layout(
                "a mosaic needs at least one field and one column and row".to_string(),
            ));
        }
        let fields = sources
            .iter()
            .map(|path| crate::io::read_rgb_image(path))
            .collect::<Result<Vec<_>, _>>()?;
        let (first_width, first_height) = fields[0].dimensions();
        for (path, field) in sources.iter().zip(&fields) {
            if field.dimensions() != (first_width, first_height) {
                return Err(MosaicError::FieldSize {
                    path: path.clone(),
                    width: field.width(),
                    height: field.height(),
                    first_width,
                    first_height,
                });
            }
        }
        let mosaic = Mosaic {
            sources,
            fields,
            columns,
            rows,
            margin,
            background,
        };
        let (width, height) = (
            u64::from(mosaic.pitch().0) * u64::from(columns),
            u64::from(mosaic.pitch().1) * u64::from(rows),
        );
        if width > u64::from(u32::MAX) || height > u64::from(u32::MAX) {
            return Err(MosaicError::Layout(format!(
                "{width} x {height} pixels is too large"
            )));
        }
        Ok(mosaic)
    }

    /// The fields' own background colour: per channel, the median over the fields of
    /// [`crate::count::stain_maps::estimate_background`] (upper middle for even counts),
    /// rounded. Margins in this colour make the mosaic look like one smear, as `hemato count`
    /// sees each field; margins of another flat colour are a frame that `hemato count` crops
    /// ([`crate::count::view`]) but a slide run, which estimates one background for the whole
    /// slide, may take for the background.
    pub fn fields_background(&self) -> [u8; 3] {
        median_colour(&self.field_backgrounds())
    }

    /// Each field's own background colour
    /// ([`crate::count::stain_maps::estimate_background`]), index = source.
    pub fn field_backgrounds(&self) -> Vec<[f64; 3]> {
        self.fields
            .par_iter()
            .map(|field| crate::count::stain_maps::estimate_background(field).rgb)
            .collect()
    }

    /// The grid (columns, rows) of whole fields that covers at least `width` × `height`.
    pub fn grid_for(field: (u32, u32), margin: u32, width: u32, height: u32) -> (u32, u32) {
        let pitch = (field.0 + 2 * margin, field.1 + 2 * margin);
        (
            width.div_ceil(pitch.0).max(1),
            height.div_ceil(pitch.1).max(1),
        )
    }

    /// Size of one padded field.
    pub fn pitch(&self) -> (u32, u32) {
        let (width, height) = self.fields[0].dimensions();
        (width + 2 * self.margin, height + 2 * self.margin)
    }

    /// Mosaic width.
    pub fn width(&self) -> u32 {
        self.pitch().0 * self.columns
    }

    /// Mosaic height.
    pub fn height(&self) -> u32 {
        self.pitch().1 * self.rows
    }

    /// The field shown at grid position (`column`, `row`): the fields in turn, row-major, except
    /// that when the number of columns is a multiple of the number of fields every row starts
    /// one field later, so that no column repeats one field from top to bottom. (A column of
    /// copies of one field whose cells reach its top and bottom edges chains, through the thin
    /// margins, into one cluster as tall as the slide: a property of such a mosaic, not of a
    /// smear.)
    fn source_at(&self, column: u32, row: u32) -> usize {
        let count = self.fields.len();
        let row_shift = usize::from(self.columns as usize % count == 0);
        (row as usize * (self.columns as usize + row_shift) + column as usize) % count
    }

    /// Every placed field, row-major.
    pub fn placed(&self) -> Vec<PlacedField> {
        let (pw, ph) = self.pitch();
        (0..self.rows)
            .flat_map(|row| (0..self.columns).map(move |column| (column, row)))
            .map(|(column, row)| PlacedField {
                column,
                row,
                rect: Rect::new(column * pw, row * ph, pw, ph),
                source: self.source_at(column, row),
            })
            .collect()
    }

    /// Field `source` with its margin, as it appears in the mosaic.
    pub fn padded_field(&self, source: usize) -> RgbImage {
        let (pw, ph) = self.pitch();
        let mut padded = RgbImage::from_pixel(pw, ph, image::Rgb(self.background));
        image::imageops::replace(
            &mut padded,
            &self.fields[source],
            i64::from(self.margin),
            i64::from(self.margin),
        );
        padded
    }

    /// The pixels of `rect` of the mosaic.
    pub fn render(&self, rect: Rect) -> RgbImage {
        let (pw, ph) = self.pitch();
        let (fw, fh) = self.fields[0].dimensions();
        let mut out = RgbImage::from_pixel(rect.width, rect.height, image::Rgb(self.background));
        for y in rect.y..rect.bottom() {
            let (row, v) = (y / ph, y % ph);
            if v < self.margin || v >= self.margin + fh {
                continue;
            }
            let field_y = v - self.margin;
            let mut x = rect.x;
            while x < rect.right() {
                let (column, u) = (x / pw, x % pw);
                let cell_end = ((column + 1) * pw).min(rect.right());
                let source = self.source_at(column, row);
                let start = u.max(self.margin);
                let end = (u + cell_end - x).min(self.margin + fw);
                if start < end {
                    let field = &self.fields[source];
                    let from = ((field_y * fw + start - self.margin) * 3) as usize;
                    let to = (((y - rect.y) * rect.width + x + start - u - rect.x) * 3) as usize;
                    let length = ((end - start) * 3) as usize;
                    out.as_mut()[to..to + length]
                        .copy_from_slice(&field.as_raw()[from..from + length]);
                }
                x = cell_end;
            }
        }
        out
    }

    /// Writes the mosaic as a tiled BigTIFF.
    pub fn write(
        &self,
        path: &Path,
        tile: u32,
        compression: TiffCompression,
    ) -> Result<(), MosaicError> {
        write_tiled_tiff(
            path,
            self.width(),
            self.height(),
            tile,
            compression,
            |rect| self.render(rect),
        )
    }
}

/// The single-image cell count of each padded field (index = source), each with its own
/// slide-wide parameters (its own automatic threshold, or the fixed level).
pub fn field_counts<A: Analysis>(analysis: &A, mosaic: &Mosaic) -> Result<Vec<usize>, MosaicError> {
    (0..mosaic.sources.len())
        .into_par_iter()
        .map(|source| {
            let padded = mosaic.padded_field(source);
            let parameters = image_parameters(analysis, &padded).map_err(|source_error| {
                MosaicError::Analysis {
                    path: mosaic.sources[source].clone(),
                    source: source_error,
                }
            })?;
            let components = analyse_image(analysis, &padded, &parameters).map_err(|failure| {
                MosaicError::Component {
                    path: mosaic.sources[source].clone(),
                    source: failure,
                }
            })?;
            Ok(components
                .iter()
                .map(|component| component.cells.len())
                .sum())
        })
        .collect()
}

/// The cell count of each padded field (index = source) by `hemato count` on that field alone
/// ([`crate::count::count_image`] with the built-in model and `options`): what `hemato slide`'s
/// count analysis should find on the mosaic with the same options, within the differences
/// `docs/slides.md` lists. With an estimated pixel size each field has its own red-cell size
/// and the slide one for all, so give a known pixel size for a comparison within 2 %.
pub fn count_field_counts(
    mosaic: &Mosaic,
    options: &crate::count::CountOptions,
) -> Result<Vec<usize>, MosaicError> {
    let classifier = crate::count::WhiteCellClassifier::builtin();
    (0..mosaic.sources.len())
        .into_par_iter()
        .map(|source| {
            let padded = mosaic.padded_field(source);
            crate::count::count_image(&padded, options, &classifier)
                .map(|count| count.cells.len())
                .map_err(|error| MosaicError::Count {
                    path: mosaic.sources[source].clone(),
                    source: error,
                })
        })
        .collect()
}

/// One red cell's area over the padded fields as placed on the mosaic
/// ([`crate::count::shared_red_cell_area`], a field placed twice counting twice): the scale
/// `hemato mosaic --shared-scale` counts the fields at, pooled as `hemato slide` pools the
/// pieces of the whole mosaic.
pub fn shared_red_cell_area(mosaic: &Mosaic) -> Result<Option<f64>, MosaicError> {
    let pieces = (0..mosaic.sources.len())
        .into_par_iter()
        .map(|source| {
            crate::count::red_cell_pieces(&mosaic.padded_field(source)).map_err(|error| {
                MosaicError::Count {
                    path: mosaic.sources[source].clone(),
                    source: error.into(),
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let placed = mosaic.placed();
    Ok(crate::count::shared_red_cell_area(
        placed.iter().map(|field| pieces[field.source].as_slice()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_mosaic() -> Mosaic {
        let fields = vec![
            RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8, y as u8, 1])),
            RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 + 100, y as u8, 2])),
        ];
        Mosaic {
            sources: vec!["a".into(), "b".into()],
            fields,
            columns: 3,
            rows: 2,
            margin: 2,
            background: [200, 200, 200],
        }
    }

    #[test]
    fn fields_far_from_the_margin_colour_are_reported() {
        // Flat fields are their own background. (190, 200, 195) against margins of
        // (200, 200, 200): 0.022 + 0 + 0.011 = 0.033, near; (120, 170, 190): 0.222 + 0.073 +
        // 0.023 = 0.318, far.
        let mosaic = Mosaic {
            fields: vec![
                RgbImage::from_pixel(8, 8, image::Rgb([200, 200, 200])),
                RgbImage::from_pixel(8, 8, image::Rgb([190, 200, 195])),
                RgbImage::from_pixel(8, 8, image::Rgb([120, 170, 190])),
            ],
            sources: vec!["a".into(), "b".into(), "c".into()],
            ..tiny_mosaic()
        };
        let far = fields_far_from_margin(&mosaic.field_backgrounds(), mosaic.background);
        assert_eq!(far.len(), 1, "{far:?}");
        assert_eq!(far[0].0, 2);
        let expected =
            (200.0f64 / 120.0).log10() + (200.0f64 / 170.0).log10() + (200.0f64 / 190.0).log10();
        assert!(
            (far[0].1 - expected).abs() < 0.01,
            "{far:?} against {expected}"
        );
    }

    #[test]
    fn no_column_repeats_one_field_when_the_columns_are_a_multiple_of_the_fields() {
        // 2 fields on 4 columns: row-major turns would put field 0 in columns 0 and 2 of every
        // row; each row starts one field later instead.
        let mosaic = Mosaic {
            columns: 4,
            rows: 3,
            ..tiny_mosaic()
        };
        let sources: Vec<usize> = mosaic.placed().iter().map(|field| field.source).collect();
        assert_eq!(sources, [0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1]);
        // The pixels follow: field (0, 1) is source 1, whose pixel (0, 0) is (100, 0, 2).
        let whole = mosaic.render(Rect::new(0, 0, mosaic.width(), mosaic.height()));
        assert_eq!(whole.get_pixel(2, 9).0, [100, 0, 2]);
        assert_eq!(whole.get_pixel(2, 2).0, [0, 0, 1]);
        // 3 columns (not a multiple of 2): the plain turns, as before.
        let plain: Vec<usize> = tiny_mosaic().placed().iter().map(|f| f.source).collect();
        assert_eq!(plain, [0, 1, 0, 1, 0, 1]);
    }

    #[test]
    fn any_rectangle_renders_like_the_whole() {
        let mosaic = tiny_mosaic();
        assert_eq!((mosaic.width(), mosaic.height()), (27, 14));
        let whole = mosaic.render(Rect::new(0, 0, 27, 14));
        // Field (1, 0) is source 1: its pixel (0, 0) sits at (9 + 2, 2).
        assert_eq!(whole.get_pixel(11, 2).0, [100, 0, 2]);
        assert_eq!(whole.get_pixel(10, 2).0, [200, 200, 200]);
        // Field (0, 1) is source 1 again (2 sources cycle row-major: index 3 → 1).
        assert_eq!(whole.get_pixel(2, 9).0, [100, 0, 2]);
        for rect in [
            Rect::new(3, 1, 10, 7),
            Rect::new(8, 6, 19, 8),
            Rect::new(26, 13, 1, 1),
        ] {
            let part = mosaic.render(rect);
            let expected =
                image::imageops::crop_imm(&whole, rect.x, rect.y, rect.width, rect.height)
                    .to_image();
            assert_eq!(part, expected, "{rect:?}");
        }
        let padded = mosaic.padded_field(1);
        let placed = &mosaic.placed()[3];
        let expected =
            image::imageops::crop_imm(&whole, placed.rect.x, placed.rect.y, 9, 7).to_image();
        assert_eq!(padded, expected);
    }

    #[test]
    fn grid_covers_the_requested_size() {
        // 40000 / 672 = 59.5 → 60 padded fields across; 40000 / 512 = 78.1 → 79 down.
        assert_eq!(Mosaic::grid_for((640, 480), 16, 40_000, 40_000), (60, 79));
    }
}
