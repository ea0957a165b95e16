//! White-cell features beyond ImageJ's: the cell of interest found in an RGB image, its nucleus
//! and cytoplasm measured separately (sizes, nucleus:cytoplasm ratio, lobes, stain statistics)
//! and their texture (Haralick, local binary patterns, granularity).
//!
//! | step | module |
//! | --- | --- |
//! | pixels per red-cell diameter, resampling to the normalised scale | [`scale`] |
//! | colour normalisation against the background and the red cells | [`normalise`] |
//! | stain planes (Giemsa deconvolution) and their statistics | [`colour`] |
//! | nucleus and cell masks of the cell of interest | [`cell`] |
//! | shape, nucleus:cytoplasm ratio, lobes | [`nucleus`] |
//! | GLCM / Haralick, LBP, granularity | [`texture`] |
//! | feature tables of folder-per-class image collections | [`table`] |
//!
//! Every feature is computed on the image resampled to
//! [`NORMALISED_RED_CELL_DIAMETER`] pixels per red-cell diameter, and lengths are reported in
//! red-cell diameters, so that cells photographed at other magnifications give the same
//! numbers. The resampled image is then smoothed to a common optical resolution
//! ([`SMOOTHING_SIGMA`]) and its colours normalised against its own background and red cells
//! ([`normalise`]), so that cells photographed on other microscopes give close numbers too.
//! `docs/features.md` lists every column with its definition.
//!
//! # Stable API
//!
//! These signatures are kept stable for callers such as smear-field counting:
//!
//! - [`feature_names`]`() -> Vec<String>`: the column names, in table order;
//! - [`describe_centred_cell`]`(image: &RgbImage, scale: Option<Scale>) -> Result<WhiteCell,
//!   FeatureError>`: the cell nearest the middle of a single-cell (PBC-style) image;
//! - [`describe_cell_at`]`(image: &RgbImage, centre_x: f64, centre_y: f64, scale: Scale) ->
//!   Result<WhiteCell, FeatureError>`: the cell whose nucleus is at or near a point of a smear
//!   field, with the same columns (so a model trained on a PBC table applies);
//! - [`measure_scale`]`(image: &RgbImage) -> Result<Scale, FeatureError>` and
//!   [`Scale::from_red_cell_diameter`]`(pixels: f64) -> Result<Scale, FeatureError>`;
//! - [`WhiteCell`]`{ features, bounds, nucleus_mask, cell_mask, scale }`.
//!
//! ```no_run
//! use hemato::features::{describe_centred_cell, feature_names};
//! let image = hemato::io::read_rgb_image("fixtures/pbc/neutrophil/BNE_100878.jpg".as_ref()).unwrap();
//! let cell = describe_centred_cell(&image, None).unwrap();
//! for (name, value) in feature_names().iter().zip(&cell.features) {
//!     println!("{name} = {value}");
//! }
//! ```

pub mod cell;
pub mod colour;
pub mod normalise;
pub mod nucleus;
pub mod scale;
pub mod table;
pub mod texture;

use image::{GrayImage, Luma, Rgb, RgbImage};

use crate::io::FloatImage;
use crate::measure::Bounds;
use colour::{Channel, Planes, STATISTICS};
use nucleus::{NUCLEUS_COLUMNS, RATIO_COLUMNS, SHAPE_COLUMNS};
pub use scale::{estimate_red_cell_diameter, Scale, NORMALISED_RED_CELL_DIAMETER};
use texture::{GLCM_LEVELS, HARALICK_COLUMNS, LBP_CODES};

/// Why a cell could not be described.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeatureError {
    /// The image is too small to hold a cell.
    #[error("the image is {width}x{height} pixels; at least {MIN_SIDE}x{MIN_SIDE} are needed")]
    TooSmall {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The image is too large for the watershed's 32-bit pixel positions.
    #[error("the image of {width}x{height} pixels is too large")]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// Every pixel is grey: stains cannot be told apart.
    #[error(
        "the image has no colour (every pixel is grey); white cells are found by their stain \
         colours, so give the RGB image of a stained smear"
    )]
    NotColour,
    /// No nucleus-stained object near the seed point.
    #[error("no nucleus found near the cell's position (no blue-violet stained object)")]
    NoNucleus,
    /// Too few red cells to measure the scale.
    #[error(
        "{found} red cell(s) found, too few to measure the scale (pixels per red-cell \
         diameter); give the scale explicitly"
    )]
    NoRedCells {
        /// How many were found.
        found: usize,
    },
    /// A red-cell diameter outside the accepted range.
    #[error(
        "a red-cell diameter of {pixels} pixels is outside the accepted {}..={} pixels",
        scale::RED_CELL_DIAMETER_RANGE.0,
        scale::RED_CELL_DIAMETER_RANGE.1
    )]
    InvalidScale {
        /// The diameter given or measured.
        pixels: f64,
    },
    /// The seed point lies outside the image.
    #[error("the point ({x}, {y}) lies outside the {width}x{height} image")]
    SeedOutside {
        /// Seed x.
        x: f64,
        /// Seed y.
        y: f64,
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
    },
}

/// Smallest image side accepted.
pub const MIN_SIDE: u32 = 16;

/// Half the side of the window [`describe_cell_at`] looks at around its point, in red-cell
/// diameters: PBC's 360x363 images show about 5.2 red-cell diameters (at about 69 pixels per
/// diameter) around their centred cell, so the window shows the same surroundings the training
/// images did.
pub const WINDOW_RADIUS: f64 = 2.6;

/// Gaussian σ, in pixels of the normalised scale (1/43 of a red-cell diameter, about 0.18 µm),
/// of the smoothing every image gets before anything is measured: sharp images (PBC's
/// CellaVision) and softer ones (other microscopes, JPEG fields) then show cells at a closer
/// optical resolution, so texture and outlines transfer between them. Chosen by a transfer
/// check on PBC images (`examples/transfer_check.rs`: the class of an image blurred by σ = 1.5
/// pixels stays the same for 89% of held-out images, against 80% without smoothing) at no
/// cost in cross-validated macro F1 (`models/README.md`).
pub const SMOOTHING_SIGMA: f32 = 1.5;

/// One white cell: its features, where it is and its masks.
#[derive(Clone, Debug, PartialEq)]
pub struct WhiteCell {
    /// Feature values, in the order of [`feature_names`]; all finite.
    pub features: Vec<f64>,
    /// The cell's bounding box in the image.
    pub bounds: Bounds,
    /// The nucleus, `bounds.width` x `bounds.height`: pixel (x, y) is image pixel
    /// (bounds.x + x, bounds.y + y); 255 = nucleus.
    pub nucleus_mask: GrayImage,
    /// The whole cell (nucleus + cytoplasm), in the same frame as `nucleus_mask`.
    pub cell_mask: GrayImage,
    /// The scale the cell was measured at.
    pub scale: Scale,
}

impl WhiteCell {
    /// (name, value) pairs in column order.
    pub fn named_features(&self) -> Vec<(String, f64)> {
        feature_names()
            .into_iter()
            .zip(self.features.iter().copied())
            .collect()
    }
}

/// Region names in column order.
const REGIONS: [&str; 2] = ["nucleus", "cytoplasm"];
/// GLCM distances (pixels at the normalised scale).
const GLCM_DISTANCES: [i32; 3] = [1, 2, 4];
/// Stains whose granularity is measured.
const GRANULARITY_CHANNELS: [(&str, usize); 2] = [("methylene_blue", 0), ("eosin", 1)];
/// Gaussian σ of the granularity measures (pixels at the normalised scale).
const GRANULARITY_SIGMAS: [f32; 2] = [1.0, 2.0];

/// The feature columns of every [`WhiteCell`], in order. `docs/features.md` defines each.
pub fn feature_names() -> Vec<String> {
    let mut names = Vec::new();
    for object in ["nucleus", "cell"] {
        names.extend(SHAPE_COLUMNS.iter().map(|c| format!("{object}_{c}")));
    }
    names.extend(NUCLEUS_COLUMNS.iter().map(|c| c.to_string()));
    names.extend(RATIO_COLUMNS.iter().map(|c| c.to_string()));
    for region in REGIONS {
        for channel in Channel::ALL {
            for statistic in STATISTICS {
                names.push(format!("{region}_{}_{statistic}", channel.name()));
            }
        }
    }
    for region in REGIONS {
        for distance in GLCM_DISTANCES {
            for column in HARALICK_COLUMNS {
                names.push(format!("{region}_glcm{distance}_{column}"));
            }
        }
        for code in 0..LBP_CODES {
            names.push(format!("{region}_lbp_{code}"));
        }
        for (channel, _) in GRANULARITY_CHANNELS {
            for sigma in GRANULARITY_SIGMAS {
                names.push(format!("{region}_granularity_{channel}_{sigma}"));
            }
        }
    }
    names
}

/// Describes the white cell whose nucleus lies at (or nearest to, within
/// [`cell::MAX_SEED_DISTANCE`] at the normalised scale, half a red-cell diameter) the point
/// (`centre_x`, `centre_y`) in image pixels of a smear field with the given scale.
///
/// The window of ±[`WINDOW_RADIUS`] red-cell diameters around the point (clipped to the
/// image) is treated as a single-cell image, as [`describe_centred_cell`] treats a PBC image:
/// the window spans about what a PBC image shows around its cell, so the thresholds see the
/// same mix of background, red cells and white cell, and the features are the same columns
/// (and close values) as in a table made from PBC-style crops. A model trained on such a table
/// applies to the result.
///
/// Errors: [`FeatureError::SeedOutside`] for a point outside the image (or not finite),
/// [`FeatureError::NoNucleus`] when no nucleus lies within half a red-cell diameter of it, and
/// the errors of [`describe_centred_cell`] (checked on the window only, so a large field costs
/// no more than its window).
pub fn describe_cell_at(
    image: &RgbImage,
    centre_x: f64,
    centre_y: f64,
    scale: Scale,
) -> Result<WhiteCell, FeatureError> {
    let (width, height) = image.dimensions();
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(FeatureError::TooSmall { width, height });
    }
    let inside = centre_x >= 0.0
        && centre_y >= 0.0
        && centre_x < f64::from(width)
        && centre_y < f64::from(height);
    if !inside {
        return Err(FeatureError::SeedOutside {
            x: centre_x,
            y: centre_y,
            width,
            height,
        });
    }
    let radius = WINDOW_RADIUS * scale.red_cell_diameter();
    let left = (centre_x - radius).floor().max(0.0) as u32;
    let top = (centre_y - radius).floor().max(0.0) as u32;
    let right = ((centre_x + radius).ceil() as u32).min(width);
    let bottom = ((centre_y + radius).ceil() as u32).min(height);
    let window = Bounds {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
    };
    let crop = image::imageops::crop_imm(image, window.x, window.y, window.width, window.height)
        .to_image();
    check_image(&crop)?;
    describe_in_window(
        &crop,
        window,
        image.dimensions(),
        (centre_x, centre_y),
        scale,
        cell::MAX_SEED_DISTANCE,
    )
}

/// Describes the cell nearest the middle of a single-cell image (the PBC layout: one white
/// cell, usually centred, red cells around it). Without a scale, it is measured from the
/// image's red cells ([`estimate_red_cell_diameter`]).
pub fn describe_centred_cell(
    image: &RgbImage,
    scale: Option<Scale>,
) -> Result<WhiteCell, FeatureError> {
    // A single-cell image padded with black to a common size (a habit of cell-crop
    // collections) is described as the image inside the padding: its middle, and its red cells
    // cut by its edge (padded, they would look whole and small, and shrink the scale). The
    // masks are still placed in `image`.
    let lit = lit_bounds(image);
    let crop = if lit.width == image.width() && lit.height == image.height() {
        std::borrow::Cow::Borrowed(image)
    } else {
        let inside = image::imageops::crop_imm(image, lit.x, lit.y, lit.width, lit.height);
        std::borrow::Cow::Owned(inside.to_image())
    };
    check_image(&crop)?;
    let scale = match scale {
        Some(scale) => scale,
        None => measure_scale(&crop)?,
    };
    let centre = (
        f64::from(lit.x) + f64::from(lit.width) / 2.0 - 0.5,
        f64::from(lit.y) + f64::from(lit.height) / 2.0 - 0.5,
    );
    describe_in_window(&crop, lit, image.dimensions(), centre, scale, f64::INFINITY)
}

/// Describes the cell nearest `seed` (image coordinates) in `crop`, the pixels of `window` of
/// an image of `image_size`.
fn describe_in_window(
    crop: &RgbImage,
    window: Bounds,
    image_size: (u32, u32),
    seed: (f64, f64),
    scale: Scale,
    max_seed_distance: f64,
) -> Result<WhiteCell, FeatureError> {
    let lit = fill_unlit(crop);
    let normalised = scale::resample(&lit, scale.resampling_factor());
    if normalised.width() < MIN_SIDE || normalised.height() < MIN_SIDE {
        return Err(FeatureError::TooSmall {
            width: window.width,
            height: window.height,
        });
    }
    // Exact per-axis factors after rounding the resampled size.
    let fx = f64::from(normalised.width()) / f64::from(window.width);
    let fy = f64::from(normalised.height()) / f64::from(window.height);
    let seed_normalised = (
        (seed.0 - f64::from(window.x) + 0.5) * fx - 0.5,
        (seed.1 - f64::from(window.y) + 0.5) * fy - 0.5,
    );
    // A common optical resolution, then common colours (module docs).
    let smoothed = imageproc::filter::gaussian_blur_f32(&normalised, SMOOTHING_SIGMA);
    let nucleus_like = stain_mask_native(&smoothed);
    let normalised = normalise::normalise_to_reference(&smoothed, &nucleus_like)?;
    let planes = Planes::new(&normalised);
    let masks = cell::find_cell(&planes, seed_normalised, max_seed_distance)?;
    let features = describe(&planes, &masks);
    let (bounds, nucleus_mask, cell_mask) = masks_in_image(&masks, window, (fx, fy), image_size);
    Ok(WhiteCell {
        features,
        bounds,
        nucleus_mask,
        cell_mask,
        scale,
    })
}

/// The bounding box of `image`'s lit pixels ([`crate::color::is_unlit`]); the whole image when
/// nothing is lit. Everything outside it is unlit by construction.
fn lit_bounds(image: &RgbImage) -> Bounds {
    let (width, height) = image.dimensions();
    bounds_where(width, height, |x, y| {
        !crate::color::is_unlit(&image.get_pixel(x, y).0)
    })
    .unwrap_or(Bounds {
        x: 0,
        y: 0,
        width,
        height,
    })
}

/// The bounding box of the pixels of a `width` × `height` image for which `keep` holds; `None`
/// when it holds for none.
fn bounds_where(width: u32, height: u32, keep: impl Fn(u32, u32) -> bool) -> Option<Bounds> {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if keep(x, y) {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    (x0 <= x1).then(|| Bounds {
        x: x0,
        y: y0,
        width: x1 - x0 + 1,
        height: y1 - y0 + 1,
    })
}

/// The bounding box of a mask's pixels; `None` for an empty mask.
fn mask_bounds(mask: &GrayImage) -> Option<Bounds> {
    bounds_where(mask.width(), mask.height(), |x, y| {
        mask.get_pixel(x, y).0[0] != 0
    })
}

/// `image` with its unlit pixels ([`crate::color::is_unlit`]: a field stop's black corners, a
/// black frame) painted in the colour of its background, so that the window of a cell near
/// them is described as if the smear went on there; the image itself when it has none.
///
/// Left in, a black area is a second peak of the grey histogram: the Triangle level that
/// separates foreground from background and the Otsu level that finds nuclei
/// ([`cell::nucleus_like`]) move to it, and the nucleus is lost (a BCCD neutrophil inside a
/// round field stop was not described at all). The background colour is the per-channel
/// median of the lit pixels brighter than the Triangle level of the lit pixels' grey
/// histogram: the background side of [`cell::foreground_range`]'s split, taken over the lit
/// pixels only.
fn fill_unlit(image: &RgbImage) -> std::borrow::Cow<'_, RgbImage> {
    use std::borrow::Cow;
    if !image.pixels().any(|pixel| crate::color::is_unlit(&pixel.0)) {
        return Cow::Borrowed(image);
    }
    let grey = crate::color::rgb_to_gray(image);
    let lit = |index: usize| !crate::color::is_unlit(&image.as_raw()[3 * index..3 * index + 3]);
    let mut histogram = [0u32; 256];
    for (index, &value) in grey.as_raw().iter().enumerate() {
        if lit(index) {
            histogram[usize::from(value)] += 1;
        }
    }
    let Ok(level) = crate::threshold::level(crate::threshold::Method::Triangle, &histogram) else {
        // Nothing is lit: nothing to describe either way.
        return Cow::Borrowed(image);
    };
    let mut channels: [Vec<u8>; 3] = Default::default();
    for (index, &value) in grey.as_raw().iter().enumerate() {
        if lit(index) && i32::from(value) > level {
            for (channel, values) in channels.iter_mut().enumerate() {
                values.push(image.as_raw()[3 * index + channel]);
            }
        }
    }
    if channels[0].is_empty() {
        return Cow::Borrowed(image);
    }
    let background = channels.map(|mut values| {
        let middle = values.len() / 2;
        *values.select_nth_unstable(middle).1
    });
    let mut filled = image.clone();
    for pixel in filled.pixels_mut() {
        if crate::color::is_unlit(&pixel.0) {
            pixel.0 = background;
        }
    }
    Cow::Owned(filled)
}

/// Measures the scale of an image (a single-cell image or a smear field) from its red cells:
/// [`estimate_red_cell_diameter`] with the image's white cells and platelets left out. Gives
/// [`FeatureError::NoRedCells`] when fewer than [`scale::MIN_RED_CELLS`] red cells are found.
///
/// For [`describe_cell_at`] on many cells of one field (or one slide), measure once and reuse.
pub fn measure_scale(image: &RgbImage) -> Result<Scale, FeatureError> {
    check_image(image)?;
    let lit = fill_unlit(image);
    estimate_red_cell_diameter(&lit, &stain_mask_native(&lit))
}

/// The nucleus-like pixels of an image at its own scale.
fn stain_mask_native(image: &RgbImage) -> GrayImage {
    let blue =
        crate::color::stain_transmittance(image, &colour::giemsa(), 0).expect("stain 0 exists");
    cell::nucleus_like(image, &crate::color::rgb_to_gray(image), &blue)
}

fn check_image(image: &RgbImage) -> Result<(), FeatureError> {
    let (width, height) = image.dimensions();
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(FeatureError::TooSmall { width, height });
    }
    if u32::try_from((u64::from(width) + 2) * (u64::from(height) + 2)).is_err() {
        return Err(FeatureError::TooLarge { width, height });
    }
    if crate::color::is_grey(image) {
        return Err(FeatureError::NotColour);
    }
    Ok(())
}

/// Every feature of a cell, in [`feature_names`] order.
fn describe(planes: &Planes, masks: &cell::CellMasks) -> Vec<f64> {
    let mut values = Vec::with_capacity(256);
    let nucleus_shape = nucleus::shape_of(&masks.nucleus);
    let cell_shape = nucleus::shape_of(&masks.cell);
    values.extend(nucleus::shape_values(nucleus_shape.as_ref()));
    values.extend(nucleus::shape_values(cell_shape.as_ref()));
    values.extend(nucleus::nucleus_values(masks));
    values.extend(nucleus::ratio_values(masks));

    let cytoplasm = difference(&masks.cell, &masks.nucleus);
    let regions = [&masks.nucleus, &cytoplasm];
    for region in regions {
        for channel in Channel::ALL {
            let mut region_values = colour::region_values(planes, region, channel);
            values.extend(colour::statistics(&mut region_values));
        }
    }
    // The granularity blurs are needed at the regions' pixels only: blur a crop around the
    // cell, with the kernel's reach to spare (exact, see `granularity_box`).
    let area = granularity_box(masks, planes.width(), planes.height());
    let crop_plane = |plane: &[f32]| {
        FloatImage::from_fn(area.width, area.height, |x, y| {
            Luma([plane[((area.y + y) * planes.width() + area.x + x) as usize]])
        })
    };
    let stain_planes: Vec<FloatImage> = GRANULARITY_CHANNELS
        .iter()
        .map(|&(_, stain)| crop_plane(&planes.absorbance[stain]))
        .collect();
    let region_crops: Vec<GrayImage> = regions
        .iter()
        .map(|region| {
            image::imageops::crop_imm(*region, area.x, area.y, area.width, area.height).to_image()
        })
        .collect();
    let blurred: Vec<Vec<FloatImage>> = stain_planes
        .iter()
        .map(|plane| {
            GRANULARITY_SIGMAS
                .iter()
                .map(|&sigma| texture::blur(plane, sigma))
                .collect()
        })
        .collect();
    for (region, region_crop) in regions.into_iter().zip(region_crops) {
        let quantised = texture::quantise_region(&planes.grey, region, GLCM_LEVELS);
        let (quantised, inside) = crop_to_mask(&quantised, region);
        for distance in GLCM_DISTANCES {
            values.extend(texture::haralick_averaged(
                &quantised,
                &inside,
                GLCM_LEVELS,
                distance,
            ));
        }
        values.extend(texture::lbp_histogram(&planes.grey, region));
        for (plane, blurred) in stain_planes.iter().zip(&blurred) {
            for smooth in blurred {
                values.push(texture::granularity(plane, smooth, &region_crop));
            }
        }
    }
    for value in &mut values {
        if !value.is_finite() {
            *value = 0.0;
        }
    }
    values
}

/// The part of a `width` × `height` window the granularity blurs need: the bounding box of the
/// cell and nucleus masks, widened by the reach of the widest Gaussian kernel (imageproc's
/// radius is ⌈2σ⌉) and clipped to the window; the whole window when both masks are empty.
///
/// Exact: a separable blur's value at a pixel depends only on the pixels within the kernel's
/// radius in x and y (clamped at the window's own edges, which the box keeps where it reaches
/// them), summed in kernel order whatever the image's size, and [`texture::granularity`] visits
/// the region's pixels in the same raster order in the box as in the window.
fn granularity_box(masks: &cell::CellMasks, width: u32, height: u32) -> Bounds {
    let reach = GRANULARITY_SIGMAS
        .iter()
        .map(|&sigma| (2.0 * sigma).ceil() as u32)
        .max()
        .unwrap_or(0);
    let in_either = |x: u32, y: u32| {
        masks.cell.get_pixel(x, y).0[0] != 0 || masks.nucleus.get_pixel(x, y).0[0] != 0
    };
    let Some(cell) = bounds_where(width, height, in_either) else {
        return Bounds {
            x: 0,
            y: 0,
            width,
            height,
        };
    };
    let (x0, y0, x1, y1) = (cell.x, cell.y, cell.x + cell.width, cell.y + cell.height);
    let (left, top) = (x0.saturating_sub(reach), y0.saturating_sub(reach));
    let (right, bottom) = ((x1 + reach).min(width), (y1 + reach).min(height));
    Bounds {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
    }
}

/// `image` and `mask` cropped to the mask's bounding box (both whole for an empty mask): the
/// co-occurrence counts pairs of mask pixels only, and both pixels of such a pair lie in the
/// box, so its counts on the crops are its counts on the whole.
fn crop_to_mask(image: &GrayImage, mask: &GrayImage) -> (GrayImage, GrayImage) {
    match mask_bounds(mask) {
        Some(b) => (
            image::imageops::crop_imm(image, b.x, b.y, b.width, b.height).to_image(),
            image::imageops::crop_imm(mask, b.x, b.y, b.width, b.height).to_image(),
        ),
        None => (image.clone(), mask.clone()),
    }
}

/// Pixels in `a` but not in `b`.
fn difference(a: &GrayImage, b: &GrayImage) -> GrayImage {
    let pixels = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&p, &q)| if p != 0 && q == 0 { 255 } else { 0 })
        .collect();
    GrayImage::from_raw(a.width(), a.height(), pixels).expect("same size")
}

/// The masks brought back from the normalised window to image coordinates, cropped to the
/// cell's bounding box (nearest-neighbour sampling).
fn masks_in_image(
    masks: &cell::CellMasks,
    window: Bounds,
    factor: (f64, f64),
    image_size: (u32, u32),
) -> (Bounds, GrayImage, GrayImage) {
    let (nw, nh) = masks.cell.dimensions();
    let (x0, y0, x1, y1) = mask_bounds(&masks.cell).map_or((u32::MAX, u32::MAX, 0, 0), |b| {
        (b.x, b.y, b.x + b.width, b.y + b.height)
    });
    let to_image = |v: u32, f: f64, origin: u32, limit: u32, round_up: bool| {
        let raw = f64::from(v) / f;
        let v = if round_up { raw.ceil() } else { raw.floor() };
        (origin + v as u32).min(limit)
    };
    let left = to_image(x0, factor.0, window.x, image_size.0, false);
    let top = to_image(y0, factor.1, window.y, image_size.1, false);
    let right = to_image(x1, factor.0, window.x, image_size.0, true).max(left + 1);
    let bottom = to_image(y1, factor.1, window.y, image_size.1, true).max(top + 1);
    let bounds = Bounds {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
    };
    let sample = |mask: &GrayImage| {
        GrayImage::from_fn(bounds.width, bounds.height, |x, y| {
            let wx = f64::from(bounds.x + x - window.x);
            let wy = f64::from(bounds.y + y - window.y);
            let nx = ((wx + 0.5) * factor.0 - 0.5)
                .round()
                .clamp(0.0, f64::from(nw - 1)) as u32;
            let ny = ((wy + 0.5) * factor.1 - 0.5)
                .round()
                .clamp(0.0, f64::from(nh - 1)) as u32;
            Luma([mask.get_pixel(nx, ny).0[0]])
        })
    };
    (bounds, sample(&masks.nucleus), sample(&masks.cell))
}

/// The image with the cell's outline (green) and the nucleus outline (yellow) drawn on it,
/// for checking what was measured.
pub fn overlay(image: &RgbImage, cell: &WhiteCell) -> RgbImage {
    let mut out = image.clone();
    let draw = |out: &mut RgbImage, mask: &GrayImage, colour: Rgb<u8>| {
        let (w, h) = mask.dimensions();
        let inside = |x: i64, y: i64| {
            x >= 0
                && y >= 0
                && x < i64::from(w)
                && y < i64::from(h)
                && mask.get_pixel(x as u32, y as u32).0[0] != 0
        };
        for y in 0..i64::from(h) {
            for x in 0..i64::from(w) {
                if inside(x, y)
                    && !(inside(x - 1, y)
                        && inside(x + 1, y)
                        && inside(x, y - 1)
                        && inside(x, y + 1))
                {
                    out.put_pixel(cell.bounds.x + x as u32, cell.bounds.y + y as u32, colour);
                }
            }
        }
    };
    draw(&mut out, &cell.cell_mask, Rgb([0, 200, 0]));
    draw(&mut out, &cell.nucleus_mask, Rgb([255, 220, 0]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlit_pixels_take_the_background_colour() {
        // A 20 × 20 background of (200, 190, 180) with a dark violet 6 × 6 cell and a black
        // 5-pixel strip on the left: the strip is painted (200, 190, 180), the rest stays.
        let image = RgbImage::from_fn(20, 20, |x, y| {
            Rgb(match (x, y) {
                (0..=4, _) => [10, 10, 10],
                (8..=13, 8..=13) => [90, 60, 160],
                _ => [200, 190, 180],
            })
        });
        let filled = fill_unlit(&image);
        for (x, y, pixel) in filled.enumerate_pixels() {
            let expected = match (x, y) {
                (8..=13, 8..=13) => [90, 60, 160],
                _ => [200, 190, 180],
            };
            assert_eq!(pixel.0, expected, "({x}, {y})");
        }
        // Without unlit pixels the image itself is used.
        let lit = RgbImage::from_pixel(4, 4, Rgb([40, 20, 60]));
        assert!(matches!(fill_unlit(&lit), std::borrow::Cow::Borrowed(_)));
    }

    /// Haralick's features on the crop of [`crop_to_mask`] are bit for bit those on the whole
    /// image, for a region inside it and one touching its edge, at every distance used.
    #[test]
    fn haralick_on_the_masks_box_equals_haralick_on_the_image() {
        let (width, height) = (40, 30);
        let quantised = GrayImage::from_fn(width, height, |x, y| {
            Luma([((x * 31 + y * 17 + x * y) % GLCM_LEVELS as u32) as u8])
        });
        for (x0, y0) in [(12u32, 9u32), (0, 20)] {
            let mask = GrayImage::from_fn(width, height, |x, y| {
                let inside = (x0..x0 + 11).contains(&x) && (y0..y0 + 8).contains(&y) && x != y;
                Luma([if inside { 255 } else { 0 }])
            });
            let (cropped, inside) = crop_to_mask(&quantised, &mask);
            assert!(cropped.width() < width);
            for distance in GLCM_DISTANCES {
                let whole = texture::haralick_averaged(&quantised, &mask, GLCM_LEVELS, distance);
                let boxed = texture::haralick_averaged(&cropped, &inside, GLCM_LEVELS, distance);
                assert_eq!(
                    whole.map(f64::to_bits),
                    boxed.map(f64::to_bits),
                    "{distance}"
                );
            }
        }
        // An empty mask keeps the whole image.
        let empty = GrayImage::new(width, height);
        assert_eq!(
            crop_to_mask(&quantised, &empty).0.dimensions(),
            (width, height)
        );
    }

    /// The granularity measured on the crop of [`granularity_box`] is bit for bit the one
    /// measured on the whole window, for a cell inside the window and one touching its edge.
    #[test]
    fn granularity_on_the_box_equals_granularity_on_the_window() {
        let (width, height) = (61, 47);
        // A plane with detail at every scale (a hash of the position).
        let plane = FloatImage::from_fn(width, height, |x, y| {
            Luma([((x * 7919 + y * 104_729) % 257) as f32 / 37.0])
        });
        let disc = |cx: i64, cy: i64, r: i64| {
            GrayImage::from_fn(width, height, |x, y| {
                let (dx, dy) = (i64::from(x) - cx, i64::from(y) - cy);
                Luma([if dx * dx + dy * dy <= r * r { 255 } else { 0 }])
            })
        };
        for (cx, cy) in [(30, 22), (2, 40)] {
            let masks = cell::CellMasks {
                nucleus: disc(cx, cy, 4),
                cell: disc(cx, cy, 9),
                nucleus_pieces: 1,
            };
            let area = granularity_box(&masks, width, height);
            assert!(area.width < width || area.height < height);
            let crop = |image: &FloatImage| {
                image::imageops::crop_imm(image, area.x, area.y, area.width, area.height).to_image()
            };
            let cell_crop =
                image::imageops::crop_imm(&masks.cell, area.x, area.y, area.width, area.height)
                    .to_image();
            for sigma in GRANULARITY_SIGMAS {
                let whole =
                    texture::granularity(&plane, &texture::blur(&plane, sigma), &masks.cell);
                let cropped = crop(&plane);
                let boxed =
                    texture::granularity(&cropped, &texture::blur(&cropped, sigma), &cell_crop);
                assert_eq!(
                    whole.to_bits(),
                    boxed.to_bits(),
                    "cell at ({cx}, {cy}), σ {sigma}"
                );
                assert!(whole > 0.0);
            }
        }
    }
}
