//! What the slide machinery runs on each piece of a slide: the [`Analysis`] contract, the
//! single-image reference [`analyse_image`], and [`StainWatershed`], the analysis used until
//! `hemato::count`'s pipeline is plugged in.
//!
//! # The contract that makes tiling exact
//!
//! An analysis is split into steps whose reach is known, so the driver can cut a slide into
//! windows and still get, for every cell, exactly what one run over the whole slide gives:
//!
//! 1. **Slide-wide statistics** ([`Analysis::add_statistics`]): additive counters (e.g. the
//!    256-bin histogram of a stain channel) summed over every pixel of the slide once, then turned
//!    into the slide-wide [`Analysis::Parameters`] (e.g. an automatic threshold level). Computed
//!    once per slide, never per tile.
//! 2. **Foreground** ([`Analysis::foreground`]): a binary mask in which each pixel depends only
//!    on that pixel's colour and the parameters (e.g. a threshold of a stain channel).
//! 3. **Fill holes** ([`Analysis::fills_holes`]): ImageJ's Fill Holes on the whole slide's mask.
//!    The driver does this step itself, because it is the one step whose reach is unbounded
//!    (see `docs/slides.md`).
//! 4. **Components** ([`Analysis::analyse_component`]): each 8-connected particle of the filled
//!    mask (a single cell or a clump of touching cells) is analysed on its own: the analysis sees
//!    the component's mask and the RGB pixels of its bounding box plus a margin of
//!    [`Analysis::context`] pixels (1 unless the analysis asks for more), and returns its cells.
//!    Nothing outside the component's mask may influence them except those RGB pixels. A
//!    component that cannot be analysed is an error ([`ComponentError`]) that stops the run,
//!    never a silent gap or a made-up cell.
//!
//! [`analyse_image`] runs these steps on one whole image; it is the reference the tiled runs are
//! tested against.

use image::{GrayImage, RgbImage};
use rayon::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

use super::components::{foreground_components, Component};
use super::tiles::{Rect, Sides};
use crate::color::{StainMatrix, StainSet, ThirdStain, TransmittanceTables};
use crate::measure::{
    find_particles, measure, Calibration, Intensity, IntensityImage, Measurements, ParticleOptions,
};
use crate::morphology::fill_holes;
use crate::threshold::{self, Background, Method, Range};

/// Why an analysis could not be set up for a slide.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The slide-wide threshold could not be computed.
    #[error("slide-wide threshold: {0}")]
    Threshold(#[from] threshold::ThresholdError),
    /// The stain vectors are unusable.
    #[error("stain vectors: {0}")]
    Color(#[from] crate::color::ColorError),
    /// The settings are inconsistent.
    #[error("{0}")]
    Settings(String),
    /// Every pixel of the slide is grey: the count finds white cells and platelets by their
    /// stain colour.
    #[error(
        "the slide has no colour (every pixel is grey): white cells and platelets are found by \
         their stain colour, so give the RGB scan of a stained smear"
    )]
    NotColour,
}

/// Why an analysis could not analyse one component (the run stops: a slide with a hole in its
/// results must not look complete).
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    /// The component is too large for the watershed.
    #[error(transparent)]
    Watershed(#[from] crate::watershed::WatershedError),
    /// The white-cell classifier failed on a cell.
    #[error("white-cell classifier: {0}")]
    Classifier(String),
}

/// A [`ComponentError`] with where it happened.
#[derive(Debug, thiserror::Error)]
#[error("the component whose first pixel is ({}, {}) (box {}x{} at ({}, {})): {source}", .first.0, .first.1, .bounds.width, .bounds.height, .bounds.x, .bounds.y)]
pub struct ComponentFailure {
    /// The component's first pixel in raster order (slide coordinates).
    pub first: (u32, u32),
    /// Its bounding box (slide coordinates).
    pub bounds: Rect,
    /// What went wrong.
    #[source]
    pub source: ComponentError,
}

/// One connected component of the filled foreground, as an analysis sees it.
#[derive(Debug, Clone, Copy)]
pub struct ComponentImage<'a> {
    /// RGB pixels of the component's bounding box plus a margin of [`Analysis::crop_margin`]
    /// pixels (no margin beyond the slide's border).
    pub rgb: &'a RgbImage,
    /// The component: 255 on its pixels, 0 elsewhere (other components in the box are 0).
    pub mask: &'a GrayImage,
    /// Slide coordinates of the top-left pixel of `rgb` and `mask`.
    pub origin: (u32, u32),
    /// Width and height of the slide.
    pub slide_size: (u32, u32),
    /// The component's bounding box, slide coordinates.
    pub bounds: Rect,
    /// The window the component was cut from, which holds its box plus [`Analysis::context`]
    /// pixels (clipped to the slide), for [`ComponentImage::surroundings`].
    pub window: &'a RgbImage,
    /// Slide coordinates of the top-left pixel of `window`.
    pub window_origin: (u32, u32),
}

impl ComponentImage<'_> {
    /// The RGB pixels of the component's box plus `margin` pixels (clipped to the slide; at
    /// most [`Analysis::context`]), and the slide coordinates of their top-left pixel: for an
    /// analysis that reads more around some components than around most (the count analysis
    /// reads a white cell's surroundings, and only a red cell's box).
    pub fn surroundings(&self, margin: u32) -> (RgbImage, (u32, u32)) {
        let crop = self
            .bounds
            .grown(Sides::all(margin), self.slide_size.0, self.slide_size.1);
        let (x0, y0) = (crop.x - self.window_origin.0, crop.y - self.window_origin.1);
        let rgb = crop_image(self.window, Rect::new(x0, y0, crop.width, crop.height));
        (rgb, (crop.x, crop.y))
    }

    /// Whether a box (in the coordinates of `rgb`) touches the slide's border.
    pub fn touches_slide_border(&self, bounds: &crate::measure::Bounds) -> bool {
        let (x, y) = (bounds.x + self.origin.0, bounds.y + self.origin.1);
        x == 0
            || y == 0
            || x + bounds.width == self.slide_size.0
            || y + bounds.height == self.slide_size.1
    }

    /// Whether a piece (coordinates of `rgb` and `mask`) is cut by the slide's border or by
    /// unlit pixels ([`crate::count::view`]): where `hemato count` keeps the smaller fragments.
    /// `rgb` holds a margin of at least one pixel around the piece wherever the slide does.
    pub fn piece_at_border(&self, piece: &crate::measure::Particle) -> bool {
        self.touches_slide_border(&piece.bounds)
            || crate::count::view::touches_where(piece, self.rgb.dimensions(), |x, y| {
                crate::count::view::is_unlit(&self.rgb.get_pixel(x, y).0)
            })
    }
}

/// One cell found by an analysis, in slide coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Cell {
    /// The cell's first pixel in raster order (orders cells within their component).
    pub first: (u32, u32),
    /// Index into [`Analysis::classes`].
    pub class: usize,
    /// Centroid x (for the overview).
    pub x: f64,
    /// Centroid y (for the overview).
    pub y: f64,
    /// Area in pixels (for the overview).
    pub area: f64,
    /// One value per [`Analysis::columns`].
    pub values: Vec<f64>,
}

/// An image analysis the slide machinery can run tile by tile (see the module documentation for
/// the contract).
pub trait Analysis: Sync {
    /// Slide-wide parameters computed from the statistics (e.g. a threshold level).
    type Parameters: Clone
        + std::fmt::Debug
        + PartialEq
        + Serialize
        + DeserializeOwned
        + Send
        + Sync;

    /// A description of the analysis and its settings; a checkpoint made with other settings is
    /// not resumed. An optional `"count_columns"` entry, a list of `[name, [class indices]]`,
    /// sets the columns of `counts.csv` (by default one per class).
    fn settings(&self) -> serde_json::Value;

    /// The class names cells are sorted into.
    fn classes(&self) -> Vec<String>;

    /// Names of the per-cell values in `cells.csv`.
    fn columns(&self) -> Vec<String>;

    /// Number of additive slide-wide counters (0: no statistics pass is needed).
    fn statistics_len(&self) -> usize;

    /// Adds the counters of the pixels of `rgb` to `statistics` (`statistics_len()` long).
    fn add_statistics(&self, rgb: &RgbImage, statistics: &mut [u64]);

    /// A name for the statistics [`Self::add_statistics`] adds up, when other analyses add up
    /// the very same ones: a run over the slides after a run of such an analysis takes each
    /// slide's statistics from the earlier run's checkpoints instead of counting them again
    /// ([`crate::slide::run::Handover`]). `None` (the default): never shared.
    fn shared_statistics(&self) -> Option<&'static str> {
        None
    }

    /// The slide-wide parameters of slide `slide` (its name in the outputs) from the counters
    /// summed over the whole slide (and, for some analyses, settings measured per slide
    /// beforehand, such as the size of a red cell).
    fn parameters(
        &self,
        slide: &str,
        statistics: &[u64],
    ) -> Result<Self::Parameters, AnalysisError>;

    /// The foreground mask (255 = object): each pixel may depend only on the colours of the
    /// pixels within `context − 1` of it (Chebyshev distance) and the parameters; pixels near
    /// the border of `rgb` may come out as background where the whole slide has foreground,
    /// never the other way round (e.g. a dilation).
    fn foreground(&self, rgb: &RgbImage, parameters: &Self::Parameters) -> GrayImage;

    /// The margin of RGB pixels around a component's box that [`Analysis::analyse_component`]
    /// reads, and one more than the reach of [`Analysis::foreground`]. The driver analyses a
    /// component only from a region holding its box plus this margin (clipped to the slide).
    fn context(&self, _parameters: &Self::Parameters) -> u32 {
        1
    }

    /// The margin around a component's box in the crop [`Analysis::analyse_component`] gets
    /// (`rgb` and `mask` of [`ComponentImage`]): [`Analysis::context`] unless the analysis reads
    /// that much only around some components, which it then cuts from the window itself
    /// ([`ComponentImage::surroundings`]). At most `context`.
    fn crop_margin(&self, parameters: &Self::Parameters) -> u32 {
        self.context(parameters)
    }

    /// Whether holes of the foreground are filled (ImageJ's Fill Holes) before components are
    /// formed.
    fn fills_holes(&self) -> bool;

    /// The cells of one component. Must depend on nothing but `component` and `parameters`;
    /// an error stops the run.
    fn analyse_component(
        &self,
        component: &ComponentImage,
        parameters: &Self::Parameters,
    ) -> Result<Vec<Cell>, ComponentError>;
}

/// The cells of one component, keyed by the component's first pixel (slide coordinates).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ComponentCells {
    /// First pixel of the component in raster order.
    pub first: (u32, u32),
    /// Its cells, sorted by their first pixel.
    pub cells: Vec<Cell>,
}

/// Cuts the component's box (bounds plus a margin of [`Analysis::crop_margin`] pixels,
/// clipped to the slide) out of a window and runs the analysis on it.
///
/// `window_rgb` holds the window whose top-left pixel is `window_origin` in a slide of
/// `slide_size`; `component` is in window coordinates and must lie inside the window with a
/// margin of `context` ([`Analysis::context`]) pixels (clipped to the slide).
pub(crate) fn analyse_window_component<A: Analysis>(
    analysis: &A,
    parameters: &A::Parameters,
    context: u32,
    window_rgb: &RgbImage,
    window_origin: (u32, u32),
    slide_size: (u32, u32),
    component: &Component,
) -> Result<ComponentCells, ComponentFailure> {
    let bounds = component.bounds;
    let slide_bounds = Rect::new(
        bounds.x + window_origin.0,
        bounds.y + window_origin.1,
        bounds.width,
        bounds.height,
    );
    let margin = analysis.crop_margin(parameters).min(context);
    let crop = slide_bounds.grown(Sides::all(margin), slide_size.0, slide_size.1);
    let (x0, y0) = (crop.x - window_origin.0, crop.y - window_origin.1);
    let rgb = crop_image(window_rgb, Rect::new(x0, y0, crop.width, crop.height));
    let mut mask = GrayImage::new(crop.width, crop.height);
    for run in &component.runs {
        let row = (run.y - y0) * crop.width;
        let start = (row + run.x_start - x0) as usize;
        let end = (row + run.x_end - x0) as usize;
        mask.as_mut()[start..end].fill(255);
    }
    let view = ComponentImage {
        rgb: &rgb,
        mask: &mask,
        origin: (crop.x, crop.y),
        slide_size,
        bounds: slide_bounds,
        window: window_rgb,
        window_origin,
    };
    let first = (
        component.first.0 + window_origin.0,
        component.first.1 + window_origin.1,
    );
    let mut cells = analysis
        .analyse_component(&view, parameters)
        .map_err(|source| ComponentFailure {
            first,
            bounds: slide_bounds,
            source,
        })?;
    cells.sort_by_key(|cell| (cell.first.1, cell.first.0));
    Ok(ComponentCells { first, cells })
}

/// The pixels of `rect` (inside `image`), copied row by row (`crop_imm(..).to_image()` copies
/// pixel by pixel: a fifth of a count-analysis slide run went there).
pub(crate) fn crop_image<P: image::Pixel<Subpixel = u8>>(
    image: &image::ImageBuffer<P, Vec<u8>>,
    rect: Rect,
) -> image::ImageBuffer<P, Vec<u8>> {
    let channels = usize::from(P::CHANNEL_COUNT);
    let stride = image.width() as usize * channels;
    let (left, row) = (rect.x as usize * channels, rect.width as usize * channels);
    let mut pixels = Vec::with_capacity(row * rect.height as usize);
    for y in rect.y..rect.bottom() {
        let start = y as usize * stride + left;
        pixels.extend_from_slice(&image.as_raw()[start..start + row]);
    }
    image::ImageBuffer::from_raw(rect.width, rect.height, pixels).expect("the rectangle's size")
}

/// The parameters of an analysis from the statistics of one whole image.
pub fn image_parameters<A: Analysis>(
    analysis: &A,
    rgb: &RgbImage,
) -> Result<A::Parameters, AnalysisError> {
    let mut statistics = vec![0u64; analysis.statistics_len()];
    analysis.add_statistics(rgb, &mut statistics);
    analysis.parameters("", &statistics)
}

/// Runs an analysis on one whole image, as a single-image pipeline does: statistics and
/// parameters of the image, foreground, Fill Holes, then every component. Components come in
/// raster order of their first pixel, cells within a component likewise.
///
/// This is the reference that tiled runs of a slide must reproduce exactly. Fails with the
/// first component (in raster order) that cannot be analysed.
pub fn analyse_image<A: Analysis>(
    analysis: &A,
    rgb: &RgbImage,
    parameters: &A::Parameters,
) -> Result<Vec<ComponentCells>, ComponentFailure> {
    let foreground = analysis.foreground(rgb, parameters);
    let mask = if analysis.fills_holes() {
        fill_holes(&foreground)
    } else {
        foreground
    };
    let components = foreground_components(&mask);
    let size = rgb.dimensions();
    let context = analysis.context(parameters);
    let results: Vec<_> = components
        .par_iter()
        .map(|component| {
            analyse_window_component(analysis, parameters, context, rgb, (0, 0), size, component)
        })
        .collect();
    results.into_iter().collect()
}

/// How the stand-in analysis picks its threshold level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A fixed level: objects are stain transmittance `0..=level`.
    Fixed(u8),
    /// An ImageJ auto-threshold method on the slide-wide histogram (light background).
    Auto(Method),
}

/// The stand-in per-cell analysis until `hemato::count` is plugged in, composed of hemato's
/// ImageJ-exact steps:
///
/// 1. foreground: Colour Deconvolution 2 transmittance of one stain
///    ([`crate::color::stain_transmittance`];
///    Giemsa, stain 2 = eosin by default), thresholded at a fixed level or an ImageJ method on
///    the slide-wide histogram (objects are the darker, stained pixels: `0..=level`);
/// 2. Fill Holes (by the driver);
/// 3. per component: ImageJ's Binary > Watershed of the component
///    ([`crate::watershed::watershed`]), Analyze Particles ([`find_particles`], size ≥
///    `min_size` pixels) and all 33 measurements on the RGB pixels
///    ([`measure`], as ImageJ measures RGB);
/// 4. class: `wbc` (white cell, subtype not decided) or `platelet` when at least
///    `blue_fraction` of the cell's pixels have a methylene-blue (stain 1) transmittance of at
///    most `blue_level` (platelet when the area is at most `platelet_max_area` pixels), `rbc`
///    otherwise; `rbc` particles smaller than `min_red_area` pixels are fragments and dropped.
///
/// The watershed runs on each component alone, so the 8-bit level image ImageJ builds from the
/// distance map is scaled by that component's largest distance rather than the whole image's:
/// the one difference from ImageJ's Watershed on a whole image (see `docs/slides.md`).
#[derive(Debug, Clone)]
pub struct StainWatershed {
    /// Stain vectors.
    pub stains: StainSet,
    /// The stain (0, 1, 2) thresholded for the foreground.
    pub stain: usize,
    /// Threshold level.
    pub level: Level,
    /// Smallest cell kept, in pixels.
    pub min_size: f64,
    /// The stain whose dark pixels mark white cells and platelets.
    pub blue_stain: usize,
    /// Transmittance at or below which a pixel counts as blue.
    pub blue_level: u8,
    /// Share of blue pixels that makes a cell white (or a platelet).
    pub blue_fraction: f64,
    /// Largest area of a platelet, in pixels.
    pub platelet_max_area: f64,
    /// Smallest red cell, in pixels: smaller unstained particles are fragments (pieces of red
    /// cells cut at their pale centres by the threshold and the watershed), not cells.
    pub min_red_area: f64,
    /// The deconvolution tables of the stain matrix, built once (every tile and every
    /// component's crop is deconvolved with them).
    transmittance: TransmittanceTables,
}

/// The slide-wide parameters of [`StainWatershed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StainParameters {
    /// Objects are stain transmittance `0..=level`.
    pub level: i32,
}

/// The 33 ImageJ columns the stand-in writes, in ImageJ's order, then the blue fraction.
const STAND_IN_COLUMNS: [&str; 34] = [
    "Area",
    "Mean",
    "StdDev",
    "Mode",
    "Min",
    "Max",
    "X",
    "Y",
    "XM",
    "YM",
    "Perim.",
    "BX",
    "BY",
    "Width",
    "Height",
    "Major",
    "Minor",
    "Angle",
    "Circ.",
    "Feret",
    "IntDen",
    "Median",
    "Skew",
    "Kurt",
    "%Area",
    "RawIntDen",
    "FeretX",
    "FeretY",
    "FeretAngle",
    "MinFeret",
    "AR",
    "Round",
    "Solidity",
    "BlueFraction",
];

/// Class names of the stand-in, as `hemato::count` names them (`rbc`, `platelet`); `wbc` is a
/// white cell whose subtype the stand-in cannot tell.
const STAND_IN_CLASSES: [&str; 3] = ["rbc", "wbc", "platelet"];

impl StainWatershed {
    /// The stand-in with its defaults (Giemsa eosin transmittance, IJ_IsoData "Default" level,
    /// cells of at least 50 pixels, blue = methylene-blue transmittance ≤ 150 on ≥ 20 % of the
    /// cell, platelets up to 2500 pixels), with the given level.
    pub fn new(level: Level) -> Result<StainWatershed, AnalysisError> {
        let stains = StainSet::Giemsa;
        let matrix = StainMatrix::new(&stains.vectors(), ThirdStain::CrossProduct)?;
        Ok(StainWatershed {
            stains,
            stain: 1,
            level,
            min_size: 50.0,
            blue_stain: 0,
            blue_level: 150,
            blue_fraction: 0.2,
            platelet_max_area: 2500.0,
            min_red_area: 600.0,
            transmittance: TransmittanceTables::new(&matrix),
        })
    }

    fn channel(&self, rgb: &RgbImage, stain: usize) -> GrayImage {
        self.transmittance
            .stain(rgb, stain)
            .expect("stain index checked")
    }

    fn classify(&self, area: f64, blue_fraction: f64) -> usize {
        if blue_fraction >= self.blue_fraction {
            if area <= self.platelet_max_area {
                2
            } else {
                1
            }
        } else {
            0
        }
    }
}

/// The 33 measurement values in ImageJ's column order.
fn measurement_values(row: &Measurements) -> [f64; 33] {
    [
        row.area,
        row.mean,
        row.std_dev,
        row.mode,
        row.min,
        row.max,
        row.x,
        row.y,
        row.xm,
        row.ym,
        row.perimeter,
        row.bx,
        row.by,
        row.width,
        row.height,
        row.major,
        row.minor,
        row.angle,
        row.circularity,
        row.feret,
        row.integrated_density,
        row.median,
        row.skewness,
        row.kurtosis,
        row.area_fraction,
        row.raw_integrated_density,
        row.feret_x,
        row.feret_y,
        row.feret_angle,
        row.min_feret,
        row.aspect_ratio,
        row.roundness,
        row.solidity,
    ]
}

/// ImageJ's auto-threshold methods compute with Java `int`s, so a histogram may count at most
/// 2³¹ − 1 pixels. Larger slides have their counts divided by the smallest whole factor that
/// fits (rounded to nearest, a non-empty bin keeps at least 1).
pub fn imagej_histogram(counts: &[u64]) -> threshold::Histogram {
    let total: u64 = counts.iter().sum();
    let limit = i32::MAX as u64;
    let factor = total.div_ceil(limit).max(1);
    let mut histogram = [0u32; 256];
    for (bin, &count) in histogram.iter_mut().zip(counts) {
        let scaled = if factor == 1 {
            count
        } else {
            ((count + factor / 2) / factor).max(u64::from(count > 0))
        };
        *bin = scaled.min(limit) as u32;
    }
    // Rounding up many bins could still overshoot the limit: trim the fullest bin.
    let sum: u64 = histogram.iter().map(|&c| u64::from(c)).sum();
    if sum > limit {
        let fullest = (0..256).max_by_key(|&bin| histogram[bin]).unwrap_or(0);
        histogram[fullest] -= (sum - limit) as u32;
    }
    histogram
}

impl Analysis for StainWatershed {
    type Parameters = StainParameters;

    fn settings(&self) -> serde_json::Value {
        serde_json::json!({
            "analysis": "stain-watershed",
            "stains": self.stains.name(),
            "stain": self.stain,
            "level": match self.level {
                Level::Fixed(level) => format!("fixed {level}"),
                Level::Auto(method) => format!("auto {}", method.name()),
            },
            "min_size": self.min_size,
            "blue_stain": self.blue_stain,
            "blue_level": self.blue_level,
            "blue_fraction": self.blue_fraction,
            "platelet_max_area": self.platelet_max_area,
            "min_red_area": self.min_red_area,
        })
    }

    fn classes(&self) -> Vec<String> {
        STAND_IN_CLASSES
            .iter()
            .map(|name| name.to_string())
            .collect()
    }

    fn columns(&self) -> Vec<String> {
        STAND_IN_COLUMNS
            .iter()
            .map(|name| name.to_string())
            .collect()
    }

    fn statistics_len(&self) -> usize {
        match self.level {
            Level::Fixed(_) => 0,
            Level::Auto(_) => 256,
        }
    }

    fn add_statistics(&self, rgb: &RgbImage, statistics: &mut [u64]) {
        if let Level::Auto(_) = self.level {
            let channel = self.channel(rgb, self.stain);
            for &value in channel.as_raw() {
                statistics[usize::from(value)] += 1;
            }
        }
    }

    fn parameters(
        &self,
        _slide: &str,
        statistics: &[u64],
    ) -> Result<StainParameters, AnalysisError> {
        match self.level {
            Level::Fixed(level) => Ok(StainParameters {
                level: i32::from(level),
            }),
            Level::Auto(method) => {
                let histogram = imagej_histogram(statistics);
                let level = threshold::level(method, &histogram)?;
                Ok(StainParameters { level })
            }
        }
    }

    fn foreground(&self, rgb: &RgbImage, parameters: &StainParameters) -> GrayImage {
        let range = Range::for_level(parameters.level, Background::Light);
        threshold::apply(&self.channel(rgb, self.stain), range)
    }

    fn fills_holes(&self) -> bool {
        true
    }

    fn analyse_component(
        &self,
        component: &ComponentImage,
        _parameters: &StainParameters,
    ) -> Result<Vec<Cell>, ComponentError> {
        let cut = crate::watershed::watershed(component.mask)?;
        let options = ParticleOptions {
            min_size: self.min_size,
            ..ParticleOptions::default()
        };
        let particles = find_particles(&cut, &options);
        if particles.is_empty() {
            return Ok(Vec::new());
        }
        let blue = self.channel(component.rgb, self.blue_stain);
        let calibration = Calibration::default();
        let intensity = Intensity {
            image: IntensityImage::Rgb(component.rgb),
            threshold: None,
        };
        let (dx, dy) = (f64::from(component.origin.0), f64::from(component.origin.1));
        Ok(particles
            .iter()
            .filter_map(|particle| {
                let row =
                    measure(particle, &intensity, &calibration).translated(dx, dy, &calibration);
                let mut blue_pixels = 0u64;
                for run in &particle.runs {
                    let start = (run.y * blue.width() + run.x_start) as usize;
                    let end = (run.y * blue.width() + run.x_end) as usize;
                    blue_pixels += blue.as_raw()[start..end]
                        .iter()
                        .filter(|&&value| value <= self.blue_level)
                        .count() as u64;
                }
                let blue_fraction = blue_pixels as f64 / particle.pixel_count() as f64;
                let class = self.classify(row.area, blue_fraction);
                if class == 0 && row.area < self.min_red_area {
                    return None;
                }
                let mut values = measurement_values(&row).to_vec();
                values.push(blue_fraction);
                Some(Cell {
                    first: (
                        particle.start.0 + component.origin.0,
                        particle.start.1 + component.origin.1,
                    ),
                    class,
                    x: row.x,
                    y: row.y,
                    area: row.area,
                    values,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surroundings_are_the_box_plus_the_margin_within_the_slide() {
        // A 6 x 4 window at (10, 20) of a 16 x 24 slide; pixel (x, y) of the window holds
        // (x, y, 0). The component's box is the 2 x 1 pixels at slide (12, 22).
        let window = RgbImage::from_fn(6, 4, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let mask = GrayImage::new(2, 1);
        let component = ComponentImage {
            rgb: &window,
            mask: &mask,
            origin: (12, 22),
            slide_size: (16, 24),
            bounds: Rect::new(12, 22, 2, 1),
            window: &window,
            window_origin: (10, 20),
        };
        let (rgb, origin) = component.surroundings(1);
        assert_eq!(origin, (11, 21));
        assert_eq!(rgb.dimensions(), (4, 3));
        assert_eq!(rgb.get_pixel(0, 0).0, [1, 1, 0]);
        assert_eq!(rgb.get_pixel(3, 2).0, [4, 3, 0]);
        // A margin of 2 reaches the slide's bottom edge (row 23): clipped there.
        let (rgb, origin) = component.surroundings(2);
        assert_eq!(origin, (10, 20));
        assert_eq!(rgb.dimensions(), (6, 4));
        assert_eq!(rgb, window);
    }

    #[test]
    fn small_histograms_are_kept_exactly() {
        let mut counts = [0u64; 256];
        counts[3] = 10;
        counts[200] = 7;
        let histogram = imagej_histogram(&counts);
        assert_eq!((histogram[3], histogram[200]), (10, 7));
    }

    #[test]
    fn huge_histograms_are_scaled_to_imagej_int_range() {
        let mut counts = [0u64; 256];
        counts[10] = 6_000_000_000;
        counts[20] = 3_000_000_000;
        counts[30] = 1;
        let histogram = imagej_histogram(&counts);
        // 9e9 / (2^31 - 1) → factor 5.
        assert_eq!(histogram[10], 1_200_000_000);
        assert_eq!(histogram[20], 600_000_000);
        assert_eq!(histogram[30], 1);
    }

    #[test]
    fn classes_follow_blue_share_and_area() {
        let analysis = StainWatershed::new(Level::Fixed(200)).unwrap();
        assert_eq!(analysis.classify(5000.0, 0.0), 0);
        assert_eq!(analysis.classify(5000.0, 0.5), 1);
        assert_eq!(analysis.classify(800.0, 0.5), 2);
    }
}
