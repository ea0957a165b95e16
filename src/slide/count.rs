//! `hemato count`'s pipeline on whole slides: [`CountAnalysis`], an [`Analysis`] the slide
//! driver runs tile by tile, and [`measure_red_cell_areas`], the run before it that measures the
//! size of a red cell on each slide.
//!
//! `hemato count` ([`crate::count::fields::detect_with`]) derives three quantities from the
//! whole field before it finds any cell; on a slide they are slide-wide [`CountParameters`]:
//!
//! 1. **Background colour** and **cell level** from additive statistics of every pixel
//!    ([`add_colour_statistics`]): a histogram of brightness (R + G + B, 766 bins) and, per
//!    colour bin of 8 × 8 × 8 levels, the number of pixels and the sums of their R, G and B. The
//!    background is `estimate_background`'s: the brightest 40 % of pixels (the exact brightness
//!    cut), the background's colour bin among them (`background_bin`: the fullest bin of the
//!    brightest major colour cloud), the mean colour of that bin and its 26 neighbours (exact
//!    sums). A bin counts as bright when its mean brightness reaches the cut
//!    (the single-image code decides per pixel). The cell level is `cell_level` of the density
//!    histogram, with each bin's pixels spread evenly over the bin's 512 colours (the
//!    single-image code uses each pixel's own density).
//! 2. **Red-cell area** `A`: given (`--pixel-size`, `--red-cell-area`), or measured by a first
//!    slide run of [`PieceShapes`] (the cell mask's watershed pieces, component by component,
//!    with their area, roundness and whether they touch the slide's border), from which
//!    [`crate::count::fields::single_cell_area`] takes the median as on a single image.
//!
//! # Reach and ownership
//!
//! The detection steps after the cell mask reach across background: nucleus pieces closer
//! than `nucleus_reach`·d form one group, a white cell takes cell pixels within `cytoplasm`·d of
//! its nucleus, and the white-cell classifier reads the RGB pixels within
//! [`crate::features::WINDOW_RADIUS`]·d of the nucleus centre. So the foreground the driver
//! splits into components is not the cell mask alone but the cell mask plus every pixel within
//! [`interaction_reach`] of a violet pixel (red OD above blue OD by `nucleus_violet`, the seed of
//! every nucleus pixel within one pixel): cells that can interact through a nucleus lie in one
//! component (a *cluster*), which is analysed whole, and cells of different clusters cannot
//! interact. Each cluster belongs to the tile that holds its first pixel, is read with its box
//! plus [`Analysis::context`] (the classifier's window) and is analysed alone: the cell mask,
//! nucleus mask and watershed pieces restricted to the cluster, exactly what a run over the
//! whole slide with the same parameters finds there, except for one documented difference (the
//! watershed's 8-bit distance levels are offset by the cluster's largest distance rather than
//! the image's, as ImageJ scales them per image: see `docs/slides.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::{GrayImage, RgbImage};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::analysis::{
    crop_image, imagej_histogram, Analysis, AnalysisError, Cell, ComponentError, ComponentImage,
};
use super::cuts::{ParticleKey, WatershedCuts};
use super::reach::mark_within_distance;
use super::run::{run_sampled_slides, Handover, Progress, Sampling, SlideError, SlideOptions};
use super::tiles::{Rect, Sides};
use crate::count::fields::{
    cell_level, cell_threshold, describe_pieces, find_cells, interaction_reach, nucleus_mask,
    scaled_value, single_cell_area, threshold_density, PieceShape, Settings,
};
use crate::count::report::UNCLASSIFIED_WHITE;
use crate::count::stain_maps::{
    background_bin, brightest_fraction_cut, Background, PixelStains, StainMaps, COLOUR_BINS,
};
use crate::count::view::is_unlit;
use crate::count::{shape_values, CellClass, Kind, Scale, WhiteCellClassifier, SHAPE_COLUMNS};
use crate::measure::{find_particles, measure_shape, Calibration, Particle, ParticleOptions};
use crate::morphology::{fill_holes, OBJECT};
use crate::segment::watershed_particles;
use crate::watershed::{watershed, WatershedError};

/// Bins of the brightness histogram (R + G + B: 0 to 765).
const BRIGHTNESS_BINS: usize = 766;
/// Length of the statistics: brightness histogram, then per colour bin its count and the sums
/// of R, G and B.
pub const STATISTICS_LEN: usize = BRIGHTNESS_BINS + 4 * COLOUR_BINS;

/// The name under which [`CountAnalysis`] and [`PieceShapes`] share their statistics (both
/// add up [`add_colour_statistics`]), so that the count run after the red-cell run does not
/// count them again ([`crate::slide::run::Handover`]).
const COLOUR_STATISTICS: &str = "colour statistics";

/// Adds the background and density statistics of `rgb` (see the module docs) to `statistics`
/// ([`STATISTICS_LEN`] counters). Unlit pixels show no smear and are left out, as a single
/// image leaves them out of its background and level ([`crate::count::view`]).
pub fn add_colour_statistics(rgb: &RgbImage, statistics: &mut [u64]) {
    let (brightness, colours) = statistics.split_at_mut(BRIGHTNESS_BINS);
    for pixel in rgb.pixels() {
        if is_unlit(&pixel.0) {
            continue;
        }
        let [r, g, b] = pixel.0;
        brightness[usize::from(r) + usize::from(g) + usize::from(b)] += 1;
        let bin = (usize::from(r / 8) * 32 + usize::from(g / 8)) * 32 + usize::from(b / 8);
        let entry = &mut colours[4 * bin..4 * bin + 4];
        entry[0] += 1;
        entry[1] += u64::from(r);
        entry[2] += u64::from(g);
        entry[3] += u64::from(b);
    }
}

/// Whether every pixel [`add_colour_statistics`] counted is grey, as far as its counters
/// tell: each non-empty colour bin lies on the grey diagonal (R, G and B in the same bin of 8
/// levels) and holds equal sums of R, G and B. (Coloured pixels that balance exactly within
/// such bins would pass for grey; a stained smear has most of its pixels in other bins.) A
/// slide without lit pixels counts as grey, as an all-black image does for
/// [`crate::color::is_grey`].
fn is_grey_from_statistics(statistics: &[u64]) -> bool {
    let colours = &statistics[BRIGHTNESS_BINS..];
    colours
        .chunks_exact(4)
        .enumerate()
        .filter(|(_, entry)| entry[0] > 0)
        .all(|(bin, entry)| {
            let (red, green, blue) = (bin / 1024, bin / 32 % 32, bin % 32);
            red == green && green == blue && entry[1] == entry[2] && entry[2] == entry[3]
        })
}

/// The background colour from [`add_colour_statistics`]' counters, as
/// [`crate::count::stain_maps::estimate_background`] finds it on one image (white when empty).
pub fn background_from_statistics(statistics: &[u64]) -> Background {
    let (brightness, colours) = statistics.split_at(BRIGHTNESS_BINS);
    let total: u64 = brightness.iter().sum();
    if total == 0 {
        return Background { rgb: [255.0; 3] };
    }
    let cut = brightest_fraction_cut(brightness);
    let entry = |bin: usize| &colours[4 * bin..4 * bin + 4];
    // The bright bins' histogram, and the background's bin in it.
    let bright: Vec<u64> = (0..COLOUR_BINS)
        .map(|bin| {
            let [count, r, g, b] = [0, 1, 2, 3].map(|i| entry(bin)[i]);
            let is_bright = count > 0 && (r + g + b) as f64 / count as f64 >= cut as f64;
            if is_bright {
                count
            } else {
                0
            }
        })
        .collect();
    let mode = background_bin(&bright);
    let mut sum = [0u64; 3];
    let mut count = 0u64;
    for bin in 0..COLOUR_BINS {
        let bins = [bin / 1024, (bin / 32) % 32, bin % 32];
        if (0..3).all(|c| bins[c].abs_diff(mode[c]) <= 1) {
            let values = entry(bin);
            count += values[0];
            for c in 0..3 {
                sum[c] += values[c + 1];
            }
        }
    }
    Background {
        rgb: sum.map(|s| (s as f64 / count as f64).max(1.0)),
    }
}

/// The cell level ([`cell_level`]) from [`add_colour_statistics`]' counters and the background:
/// the density histogram of the non-violet pixels, each colour bin's pixels spread evenly over
/// the bin's 8 × 8 × 8 colours, each at its own density.
///
/// Why spread: a bin of 8 levels per channel spans about 16 hundredths of density at a red
/// cell's colour. Put at the density of their mean colour (as before 2026-11-24), a bin's pixels
/// make a spike, and the mode above Otsu that the level comes from (5 hundredths wide) fell on a
/// spike: on a 4 × 4 mosaic of BCCD fields level 15 where the same pixels give 21, which cost
/// 7 % of the cells. Spread, the level is within 1 of the pixels' on the mosaics of 6 to 80 BCCD
/// fields (20, 20, 19, 19 against 20, 21, 19, 19) and within 2 on single fields.
pub fn level_from_statistics(
    statistics: &[u64],
    background: &Background,
    settings: &Settings,
) -> i32 {
    let colours = &statistics[BRIGHTNESS_BINS..];
    let od: [[f32; 256]; 3] = std::array::from_fn(|channel| {
        std::array::from_fn(|value| {
            (background.rgb[channel] / (value as f64).max(1.0))
                .ln()
                .max(0.0) as f32
        })
    });
    let mut counts = [0u64; 256];
    for bin in 0..COLOUR_BINS {
        let pixels = colours[4 * bin];
        if pixels == 0 {
            continue;
        }
        let [r0, g0, b0] = [bin / 1024, (bin / 32) % 32, bin % 32].map(|b| b * 8);
        for r in r0..r0 + 8 {
            for g in g0..g0 + 8 {
                for b in b0..b0 + 8 {
                    let [red, green, blue] = [od[0][r], od[1][g], od[2][b]];
                    if red - blue <= settings.nucleus_violet {
                        counts[usize::from(scaled_value(red + green + blue))] += pixels;
                    }
                }
            }
        }
    }
    cell_level(&imagej_histogram(&counts), settings)
}

/// How the red-cell area `A` of each slide is known.
#[derive(Debug, Clone, PartialEq)]
pub enum RedCellArea {
    /// The same area for every slide (from a known pixel size, or given), in pixels.
    Fixed(f64),
    /// Measured per slide beforehand ([`measure_red_cell_areas`]); `None` when a slide has no
    /// pieces to measure (nothing is counted on it).
    PerSlide(BTreeMap<String, Option<f64>>),
}

/// The slide-wide parameters of [`CountAnalysis`] and [`PieceShapes`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountParameters {
    /// Background colour (mean R, G, B).
    pub background: [f64; 3],
    /// Cell level, in hundredths of total optical density.
    pub level: i32,
    /// Area of one red cell in pixels (`None`: not known, nothing is counted).
    pub red_cell_area: Option<f64>,
}

impl CountParameters {
    /// The parameters of a slide from its statistics; a slide with no colour is refused, as
    /// `hemato count` refuses such an image ([`crate::count::CountError::NotColour`]).
    fn from_statistics(
        statistics: &[u64],
        settings: &Settings,
        area: Option<f64>,
    ) -> Result<Self, AnalysisError> {
        if is_grey_from_statistics(statistics) {
            return Err(AnalysisError::NotColour);
        }
        let background = background_from_statistics(statistics);
        Ok(CountParameters {
            background: background.rgb,
            level: level_from_statistics(statistics, &background, settings),
            red_cell_area: area,
        })
    }

    fn background(&self) -> Background {
        Background {
            rgb: self.background,
        }
    }

    fn diameter(&self) -> Option<f64> {
        self.red_cell_area
            .map(|area| 2.0 * (area / std::f64::consts::PI).sqrt())
    }
}

/// `hemato count`'s detection and white-cell classification as a slide [`Analysis`] (see the
/// module docs).
#[derive(Debug, Clone)]
pub struct CountAnalysis {
    /// The detector's settings.
    pub settings: Settings,
    /// How white cells get their subtype.
    pub classifier: WhiteCellClassifier,
    /// The red-cell area of each slide.
    pub red_cell_area: RedCellArea,
    /// Known pixel size in µm (for the white-cell features' scale); `None`: from `A`.
    pub pixel_size: Option<f64>,
    /// The red-cell run's watershed cuts, taken instead of cutting a cluster again when it is
    /// a particle that run cut ([`super::cuts`]); `None`: every cluster is cut here.
    pub cuts: Option<Arc<WatershedCuts>>,
}

impl CountAnalysis {
    /// The count analysis with the default settings and the built-in white-cell model.
    pub fn new(red_cell_area: RedCellArea, pixel_size: Option<f64>) -> CountAnalysis {
        CountAnalysis {
            settings: Settings::default(),
            classifier: WhiteCellClassifier::builtin(),
            red_cell_area,
            pixel_size,
            cuts: None,
        }
    }

    /// Index of the unclassified white-cell class.
    fn unclassified() -> usize {
        CellClass::ALL.len()
    }
}

/// The cells mask and nucleus mask of one cluster, as a whole-slide run finds them there.
struct ClusterMasks {
    cells: GrayImage,
    nuclei: GrayImage,
}

impl ClusterMasks {
    /// The cell mask (threshold of the cluster's pixels, holes filled) and the nucleus mask
    /// restricted to the cluster. A hole of the slide's cell mask lies inside the cluster that
    /// holds its rim (the driver fills the cluster's holes), and a background region enclosed
    /// by the cluster's cell pixels is a hole of the slide's mask, so Fill Holes on the box
    /// gives the slide's filled mask on the cluster.
    fn new(component: &ComponentImage, parameters: &CountParameters, settings: &Settings) -> Self {
        let maps = StainMaps::new(component.rgb, &parameters.background());
        let mut cells = cell_threshold(&maps, parameters.level);
        keep_inside(&mut cells, component.mask);
        let cells = fill_holes(&cells);
        let mut nuclei = nucleus_mask(&maps, &cells, settings);
        keep_inside(&mut nuclei, component.mask);
        ClusterMasks { cells, nuclei }
    }
}

/// The smallest density the cell mask selects at `level`: [`threshold_density`] keeps the
/// pixels whose [`scaled_value`] (`round(100·density)`, clamped) lies in its range, and
/// `scaled_value` never decreases as the density grows, so the mask is every density from
/// the smallest `f32` it selects (found by bisection over the ordered bit patterns of the
/// non-negative floats, asking `threshold_density` itself). Comparing each pixel's density
/// with it gives the mask without rounding every pixel and without an 8-bit plane of scaled
/// densities; the unit test checks it against `threshold_density` at every level.
fn density_cut(level: i32) -> f32 {
    let selected = |density: f32| {
        let scaled = GrayImage::from_pixel(1, 1, image::Luma([scaled_value(density)]));
        threshold_density(&scaled, level).as_raw()[0] == OBJECT
    };
    if selected(0.0) {
        return 0.0;
    }
    // Densities are at most 3·ln(255) ≈ 16.6; scaled values saturate from 2.55.
    let (mut low, mut high) = (0f32.to_bits(), 1000f32.to_bits());
    if !selected(f32::from_bits(high)) {
        return f32::INFINITY;
    }
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if selected(f32::from_bits(middle)) {
            high = middle;
        } else {
            low = middle;
        }
    }
    f32::from_bits(high)
}

/// The cell pixels (density of at least [`density_cut`], i.e. [`threshold_density`] of the
/// scaled density) of `rgb` and its violet pixels (red OD above blue OD by more than
/// `nucleus_violet`): what the foreground needs of [`StainMaps`], computed pixel by pixel
/// ([`PixelStains::density`], [`PixelStains::violet`]: the same arithmetic) into two 8-bit
/// planes. The four `f32` planes of the maps would take 16 bytes a pixel of every window and
/// grown region; only a cluster's box gets them ([`ClusterMasks::new`]).
fn cells_and_violet(
    rgb: &RgbImage,
    parameters: &CountParameters,
    settings: &Settings,
) -> (GrayImage, GrayImage) {
    let stains = PixelStains::new(&parameters.background());
    let violet = pixel_mask(rgb, |pixel| stains.violet(pixel) > settings.nucleus_violet);
    (cells_only(rgb, parameters), violet)
}

/// The cell pixels of `rgb` alone (as [`cells_and_violet`], without the violet plane).
fn cells_only(rgb: &RgbImage, parameters: &CountParameters) -> GrayImage {
    let stains = PixelStains::new(&parameters.background());
    let cut = density_cut(parameters.level);
    pixel_mask(rgb, |pixel| stains.density(pixel) >= cut)
}

/// The pixels of `rgb` (as RGB triples) for which `keep` holds, as a mask; rows in parallel.
fn pixel_mask(rgb: &RgbImage, keep: impl Fn(&[u8]) -> bool + Sync) -> GrayImage {
    let (width, height) = rgb.dimensions();
    let row = (width as usize).max(1);
    let mut mask = vec![0u8; width as usize * height as usize];
    mask.par_chunks_mut(row)
        .zip(rgb.as_raw().par_chunks(3 * row))
        .for_each(|(mask_row, rgb_row)| {
            for (value, pixel) in mask_row.iter_mut().zip(rgb_row.chunks_exact(3)) {
                *value = if keep(pixel) { OBJECT } else { 0 };
            }
        });
    GrayImage::from_raw(width, height, mask).expect("same size")
}

/// The RGB pixels and mask of the component's box plus `margin` pixels (within the view), and
/// the box's offset in the view.
fn cluster_box(component: &ComponentImage, margin: u32) -> (RgbImage, GrayImage, (u32, u32)) {
    let mask = component.mask;
    let (width, height) = mask.dimensions();
    let (mut left, mut top, mut right, mut bottom) = (width, height, 0, 0);
    for (y, row) in mask.as_raw().chunks(width as usize).enumerate() {
        if let Some(first) = row.iter().position(|&v| v == OBJECT) {
            let last = row.iter().rposition(|&v| v == OBJECT).unwrap_or(first);
            left = left.min(first as u32);
            right = right.max(last as u32 + 1);
            top = top.min(y as u32);
            bottom = y as u32 + 1;
        }
    }
    if right <= left {
        return (RgbImage::new(0, 0), GrayImage::new(0, 0), (0, 0));
    }
    let (x0, y0) = (left.saturating_sub(margin), top.saturating_sub(margin));
    let (x1, y1) = ((right + margin).min(width), (bottom + margin).min(height));
    let (w, h) = (x1 - x0, y1 - y0);
    (
        crop_image(component.rgb, Rect::new(x0, y0, w, h)),
        crop_image(mask, Rect::new(x0, y0, w, h)),
        (x0, y0),
    )
}

/// What a checkpoint records of the white-cell classifier: its shape, the CRC-32 of its model
/// file's JSON (another model with the same classes and features is another model) and how it
/// chooses classes, so that a run is never resumed with another model.
fn classifier_description(classifier: &WhiteCellClassifier) -> String {
    match classifier {
        WhiteCellClassifier::None => "none".to_string(),
        WhiteCellClassifier::Model { model, choice, .. } => format!(
            "{} classes, {} features, model crc32 {:08x}, {choice:?}",
            model.class_names().len(),
            model.feature_names().len(),
            crc32fast::hash(model.to_json().as_bytes())
        ),
    }
}

/// Clears the pixels of `mask` outside `inside`.
fn keep_inside(mask: &mut GrayImage, inside: &GrayImage) {
    for (value, &keep) in mask.as_mut().iter_mut().zip(inside.as_raw()) {
        if keep != OBJECT {
            *value = 0;
        }
    }
}

impl Analysis for CountAnalysis {
    type Parameters = CountParameters;

    fn settings(&self) -> serde_json::Value {
        let red_cell_area = match &self.red_cell_area {
            RedCellArea::Fixed(area) => serde_json::json!(area),
            RedCellArea::PerSlide(areas) => serde_json::json!(areas),
        };
        let mut count_columns: Vec<(String, Vec<usize>)> = CellClass::ALL
            .iter()
            .enumerate()
            .map(|(index, class)| (class.name().to_string(), vec![index]))
            .collect();
        let mut white: Vec<usize> = CellClass::ALL
            .iter()
            .enumerate()
            .filter(|(_, class)| class.is_white())
            .map(|(index, _)| index)
            .collect();
        white.push(Self::unclassified());
        count_columns.push(("wbc_total".to_string(), white));
        serde_json::json!({
            "analysis": "count",
            "detector": format!("{:?}", self.settings),
            "classifier": classifier_description(&self.classifier),
            "red_cell_area": red_cell_area,
            "pixel_size": self.pixel_size,
            "count_columns": count_columns,
        })
    }

    fn classes(&self) -> Vec<String> {
        let mut classes: Vec<String> = CellClass::ALL
            .iter()
            .map(|class| class.name().to_string())
            .collect();
        classes.push(UNCLASSIFIED_WHITE.to_string());
        classes
    }

    fn columns(&self) -> Vec<String> {
        let mut columns: Vec<String> = ["x", "y", "bx", "by", "width", "height", "probability"]
            .iter()
            .chain(SHAPE_COLUMNS.iter())
            .map(|name| name.to_string())
            .collect();
        columns.extend(crate::features::feature_names());
        columns
    }

    fn statistics_len(&self) -> usize {
        STATISTICS_LEN
    }

    fn add_statistics(&self, rgb: &RgbImage, statistics: &mut [u64]) {
        add_colour_statistics(rgb, statistics);
    }

    fn shared_statistics(&self) -> Option<&'static str> {
        Some(COLOUR_STATISTICS)
    }

    fn parameters(
        &self,
        slide: &str,
        statistics: &[u64],
    ) -> Result<CountParameters, AnalysisError> {
        let area = match &self.red_cell_area {
            RedCellArea::Fixed(area) => Some(*area),
            RedCellArea::PerSlide(areas) => *areas.get(slide).ok_or_else(|| {
                AnalysisError::Settings(format!("no red-cell area was measured for {slide}"))
            })?,
        };
        if let Some(area) = area {
            if !(area.is_finite() && area > 0.0) {
                return Err(AnalysisError::Settings(format!(
                    "the red-cell area must be a positive number of pixels, not {area}"
                )));
            }
        }
        CountParameters::from_statistics(statistics, &self.settings, area)
    }

    /// The cell pixels, plus every pixel within [`interaction_reach`] of a violet pixel (see
    /// the module docs); nothing without a red-cell area.
    fn foreground(&self, rgb: &RgbImage, parameters: &CountParameters) -> GrayImage {
        let Some(diameter) = parameters.diameter() else {
            return GrayImage::new(rgb.width(), rgb.height());
        };
        let (mut mask, violet) = cells_and_violet(rgb, parameters, &self.settings);
        if violet.as_raw().contains(&OBJECT) {
            let reach = interaction_reach(diameter, &self.settings);
            mark_within_distance(&violet, f64::from(reach), &mut mask);
        }
        mask
    }

    /// The dilation's reach plus 2 (a nucleus pixel lies within one pixel of a violet pixel),
    /// or the white-cell classifier's window around a nucleus centre, whichever is larger.
    fn context(&self, parameters: &CountParameters) -> u32 {
        match parameters.diameter() {
            Some(diameter) => {
                let reach = interaction_reach(diameter, &self.settings) + 2;
                let window = (crate::features::WINDOW_RADIUS * diameter).ceil() as u32 + 2;
                reach.max(window)
            }
            None => 1,
        }
    }

    /// Detection reads the cluster's box plus 2 pixels; the classifier's context is cut from
    /// the window for the clusters with a white cell ([`ComponentImage::surroundings`]).
    fn crop_margin(&self, parameters: &CountParameters) -> u32 {
        self.context(parameters).min(2)
    }

    fn fills_holes(&self) -> bool {
        true
    }

    fn analyse_component(
        &self,
        component: &ComponentImage,
        parameters: &CountParameters,
    ) -> Result<Vec<Cell>, ComponentError> {
        let Some(area) = parameters.red_cell_area else {
            return Ok(Vec::new());
        };
        // Detection needs only the cluster and one pixel around it (the nucleus mask's 3 × 3
        // mean), so it runs on the cluster's box plus 2 pixels (the crop is that already,
        // `crop_margin`); the classifier reads the whole context, cut from the window only
        // for a cluster with a white cell. Cells are measured in the frame of that context
        // (its top-left pixel the origin), whichever pixels are copied: the same coordinates,
        // so the same floating-point sums, for any tiling.
        let (sub_rgb, sub_mask, (box_x, box_y)) = cluster_box(component, 2);
        let sub = ComponentImage {
            rgb: &sub_rgb,
            mask: &sub_mask,
            origin: (component.origin.0 + box_x, component.origin.1 + box_y),
            ..*component
        };
        let context = self.context(parameters);
        let (width, height) = component.slide_size;
        let frame = component.bounds.grown(Sides::all(context), width, height);
        // Where the detection box lies in the frame the cells are measured in.
        let (sx, sy) = (sub.origin.0 - frame.x, sub.origin.1 - frame.y);
        let masks = ClusterMasks::new(&sub, parameters, &self.settings);
        let pieces = pieces_taking_cut(&masks.cells, sub.origin, self.cuts.as_deref())?;
        let detections: Vec<_> = find_cells(
            &masks.cells,
            &masks.nuclei,
            pieces,
            area,
            &self.settings,
            &|piece| sub.piece_at_border(piece),
        )
        .into_iter()
        .filter_map(|detection| detection.translated(sx, sy))
        .collect();
        let scale = Scale::of(self.pixel_size, parameters.diameter());
        let calibration = Calibration::default();
        let (ox, oy) = (frame.x, frame.y);
        let (dx, dy) = (f64::from(ox), f64::from(oy));
        let feature_count = crate::features::feature_names().len();
        let surroundings = detections
            .iter()
            .any(|detection| detection.kind == Kind::WhiteCell)
            .then(|| component.surroundings(context).0);
        let mut cells = Vec::new();
        for detection in &detections {
            let shape = measure_shape(&detection.particle, &calibration);
            let (class, probability, features) = match detection.kind {
                Kind::RedCell => (CellClass::Rbc as usize, 1.0, Vec::new()),
                Kind::Platelet => (CellClass::Platelet as usize, 1.0, Vec::new()),
                Kind::WhiteCell => {
                    let decision = self
                        .classifier
                        .classify(
                            surroundings.as_ref().expect("cut for white cells"),
                            detection,
                            scale.as_ref(),
                        )
                        .map_err(ComponentError::Classifier)?;
                    (
                        decision
                            .class
                            .map_or(Self::unclassified(), |class| class as usize),
                        decision.probability,
                        decision.features,
                    )
                }
            };
            let bounds = detection.particle.bounds;
            let first = detection
                .particle
                .runs
                .first()
                .map_or((bounds.x, bounds.y), |run| (run.x_start, run.y));
            let mut values = vec![
                shape.x + dx,
                shape.y + dy,
                f64::from(bounds.x + ox),
                f64::from(bounds.y + oy),
                f64::from(bounds.width),
                f64::from(bounds.height),
                probability,
            ];
            values.extend(shape_values(&shape, detection.cells));
            if features.len() == feature_count {
                values.extend(features.iter().map(|(_, value)| *value));
            } else {
                values.resize(values.len() + feature_count, f64::NAN);
            }
            for _ in 0..detection.cells {
                cells.push(Cell {
                    first: (first.0 + ox, first.1 + oy),
                    class,
                    x: shape.x + dx,
                    y: shape.y + dy,
                    area: shape.area / f64::from(detection.cells),
                    values: values.clone(),
                });
            }
        }
        Ok(cells)
    }
}

/// The first slide run when the red-cell area is measured: the watershed pieces of the cell
/// mask, component by component, with what [`single_cell_area`] needs (class `round`: round and
/// away from the slide's border; `inside`: away from the border; `border`), and their area.
#[derive(Debug, Clone, Default)]
pub struct PieceShapes {
    /// The detector's settings.
    pub settings: Settings,
    /// Where each component's watershed cut is recorded for the count run ([`super::cuts`]).
    pub cuts: Option<Arc<WatershedCuts>>,
}

/// Classes of [`PieceShapes`].
const PIECE_CLASSES: [&str; 3] = ["round", "inside", "border"];

impl Analysis for PieceShapes {
    type Parameters = CountParameters;

    fn settings(&self) -> serde_json::Value {
        serde_json::json!({
            "analysis": "red-cell pieces",
            "detector": format!("{:?}", self.settings),
        })
    }

    fn classes(&self) -> Vec<String> {
        PIECE_CLASSES.iter().map(|name| name.to_string()).collect()
    }

    fn columns(&self) -> Vec<String> {
        vec!["area".to_string()]
    }

    fn statistics_len(&self) -> usize {
        STATISTICS_LEN
    }

    fn add_statistics(&self, rgb: &RgbImage, statistics: &mut [u64]) {
        add_colour_statistics(rgb, statistics);
    }

    fn shared_statistics(&self) -> Option<&'static str> {
        Some(COLOUR_STATISTICS)
    }

    fn parameters(
        &self,
        _slide: &str,
        statistics: &[u64],
    ) -> Result<CountParameters, AnalysisError> {
        CountParameters::from_statistics(statistics, &self.settings, None)
    }

    /// The cell mask: each pixel's density alone (`cells_only`: no violet plane, no stain
    /// unmixing).
    fn foreground(&self, rgb: &RgbImage, parameters: &CountParameters) -> GrayImage {
        cells_only(rgb, parameters)
    }

    /// The nucleus mask averages over 3 × 3 pixels.
    fn context(&self, _parameters: &CountParameters) -> u32 {
        2
    }

    fn fills_holes(&self) -> bool {
        true
    }

    fn analyse_component(
        &self,
        component: &ComponentImage,
        parameters: &CountParameters,
    ) -> Result<Vec<Cell>, ComponentError> {
        // The component is the cell mask there, holes filled (see [`piece_nuclei`]); a piece
        // is a part of it, so a component of fewer than `MIN_PIECE` pixels has no piece to
        // describe and needs no watershed.
        let cells = component.mask;
        if cells.as_raw().iter().filter(|&&v| v == OBJECT).count() < MIN_PIECE {
            return Ok(Vec::new());
        }
        let nuclei = piece_nuclei(component, parameters, &self.settings);
        let pieces = pieces_recording_cut(cells, component.origin, self.cuts.as_deref())?;
        let shapes = describe_pieces(&pieces, &nuclei, &|piece| component.piece_at_border(piece));
        let (ox, oy) = component.origin;
        // `describe_pieces` keeps the pieces of at least 20 pixels without nucleus pixels, in
        // order: pair them again with their pieces for positions.
        let kept = pieces.iter().filter(|piece| {
            piece.pixel_count() >= MIN_PIECE as u64
                && !piece.runs.iter().any(|run| {
                    (run.x_start..run.x_end).any(|x| nuclei.get_pixel(x, run.y).0[0] == OBJECT)
                })
        });
        Ok(kept
            .zip(shapes)
            .map(|(piece, shape)| {
                let class = match (shape.inside, shape.round) {
                    (true, true) => 0,
                    (true, false) => 1,
                    (false, _) => 2,
                };
                let bounds = piece.bounds;
                let first = piece
                    .runs
                    .first()
                    .map_or((bounds.x, bounds.y), |run| (run.x_start, run.y));
                Cell {
                    first: (first.0 + ox, first.1 + oy),
                    class,
                    x: f64::from(ox) + f64::from(bounds.x) + f64::from(bounds.width) / 2.0,
                    y: f64::from(oy) + f64::from(bounds.y) + f64::from(bounds.height) / 2.0,
                    area: shape.area,
                    values: vec![shape.area],
                }
            })
            .collect())
    }
}

/// The smallest piece [`describe_pieces`] describes, in pixels.
const MIN_PIECE: usize = 20;

/// The watershed pieces of `cells` (a crop whose top-left pixel is `origin` in the slide),
/// recording the cut pixels in `cuts` when the crop holds one particle.
fn pieces_recording_cut(
    cells: &GrayImage,
    origin: (u32, u32),
    cuts: Option<&WatershedCuts>,
) -> Result<Vec<Particle>, WatershedError> {
    let cut_mask = watershed(cells)?;
    if let Some(cuts) = cuts {
        if let Some(key) = ParticleKey::of_single_particle(cells, origin) {
            let cut = cells
                .enumerate_pixels()
                .filter(|&(x, y, value)| value.0[0] != 0 && cut_mask.get_pixel(x, y).0[0] == 0)
                .map(|(x, y, _)| (origin.0 + x, origin.1 + y))
                .collect();
            cuts.record(key, cut);
        }
    }
    Ok(find_particles(&cut_mask, &ParticleOptions::default()))
}

/// The watershed pieces of `cells` (as [`watershed_particles`]; a crop whose top-left pixel is
/// `origin` in the slide), from the cut recorded in `cuts` when the crop is one particle the
/// red-cell run cut, else by cutting it here.
fn pieces_taking_cut(
    cells: &GrayImage,
    origin: (u32, u32),
    cuts: Option<&WatershedCuts>,
) -> Result<Vec<Particle>, WatershedError> {
    let recorded = cuts.and_then(|cuts| {
        let key = ParticleKey::of_single_particle(cells, origin)?;
        cuts.take(&key)
    });
    let Some(cut) = recorded else {
        return watershed_particles(cells);
    };
    let objects = cells
        .as_raw()
        .iter()
        .map(|&value| if value != 0 { OBJECT } else { 0 });
    let mut cut_mask =
        GrayImage::from_raw(cells.width(), cells.height(), objects.collect()).expect("same size");
    for (x, y) in cut {
        cut_mask.put_pixel(x - origin.0, y - origin.1, image::Luma([0]));
    }
    Ok(find_particles(&cut_mask, &ParticleOptions::default()))
}

/// The nucleus pixels of a [`PieceShapes`] component: [`nucleus_mask`] on the component's
/// pixels, without the four stain planes it is computed from.
///
/// The component is exactly the cell mask there, holes filled: it is a component of the
/// filled cell mask, and the cell pixels inside it with Fill Holes on its box give it back (a
/// hole of the window's mask next to the component is enclosed by the component's own cell
/// pixels). Pieces lie inside it, so only its pixels' nucleus values are needed, and there
/// [`nucleus_mask`] reduces to the 3 × 3 mean (within the image) of the violet value (red OD
/// minus blue OD, [`PixelStains::violet`]) above `nucleus_violet`: the same sums, in the same
/// order, in `f32`. The unit test compares it with [`nucleus_mask`] on a real field.
fn piece_nuclei(
    component: &ComponentImage,
    parameters: &CountParameters,
    settings: &Settings,
) -> GrayImage {
    let stains = PixelStains::new(&parameters.background());
    let violet: Vec<f32> = component
        .rgb
        .as_raw()
        .chunks_exact(3)
        .map(|rgb| stains.violet(rgb))
        .collect();
    let (width, height) = component.mask.dimensions();
    let (w, h) = (width as usize, height as usize);
    let mut nuclei = GrayImage::new(width, height);
    for (index, (nucleus, &cell)) in nuclei
        .as_mut()
        .iter_mut()
        .zip(component.mask.as_raw())
        .enumerate()
    {
        if cell != OBJECT {
            continue;
        }
        let (x, y) = (index % w, index / w);
        let (mut sum, mut count) = (0.0f32, 0.0f32);
        for row in violet[y.saturating_sub(1) * w..(y + 2).min(h) * w].chunks_exact(w) {
            for &value in &row[x.saturating_sub(1)..(x + 2).min(w)] {
                sum += value;
                count += 1.0;
            }
        }
        if sum / count > settings.nucleus_violet {
            *nucleus = OBJECT;
        }
    }
    nuclei
}

/// Why the red-cell areas could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    /// The pieces run failed.
    #[error(transparent)]
    Slide(#[from] SlideError),
    /// Its table could not be read.
    #[error("{path}: {message}")]
    Table {
        /// The table.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The most pixels of a slide the red-cell run analyses by default ([`Sampling`]): 64 MP. A
/// red cell covers some 100 to 6,000 pixels (7 µm across at 0.7 to 0.1 µm a pixel), so even
/// a sparse smear whose cells cover a tenth of the sample gives thousands of them, and the
/// median of n areas has a standard error of about 1.25·σ/√n: well under 1 % of the area
/// for a spread σ of a fifth of it and n ≥ 1,000.
pub const RED_CELL_SAMPLE_PIXELS: u64 = 64_000_000;

/// Core size of the red-cell run's tiles on a slide it samples: small enough that a sample
/// of 64 tiles or more spreads over the slide, large enough that few cells cross a core's
/// edge and need growing.
pub const RED_CELL_SAMPLE_TILE: u32 = 1024;

/// Measures the red-cell area of each slide: a slide run of [`PieceShapes`] into
/// `OUTDIR/scale` (resumable like any run), then [`single_cell_area`] of each slide's pieces.
/// The pieces of a slide of more than `sample_pixels` pixels are found in a sample of about
/// that many pixels spread over the slide ([`Sampling`], tiles of [`RED_CELL_SAMPLE_TILE`]
/// pixels); its statistics still cover every pixel.
/// With a shard of a slide list, only the shard's slides are measured; with a shard of one
/// slide's tiles, every task measures the whole slide (the same value), so give the area when
/// running such shards.
///
/// `handover` receives what the count run over the same slides can take from this run
/// ([`run_sampled_slides`]): the slides' colour statistics (the count run's parameters
/// come from the same counters) and the last slide's decoded pixels.
pub fn measure_red_cell_areas(
    slides: &[PathBuf],
    outdir: &Path,
    options: &SlideOptions,
    sample_pixels: u64,
    progress: &dyn Progress,
    handover: &mut Handover,
    cuts: Option<Arc<WatershedCuts>>,
) -> Result<BTreeMap<String, Option<f64>>, ScaleError> {
    let scale_dir = outdir.join("scale");
    let options = SlideOptions {
        shard: options.shard.filter(|_| slides.len() > 1),
        ..options.clone()
    };
    let analysis = PieceShapes {
        cuts,
        ..PieceShapes::default()
    };
    let sampling = Sampling {
        budget: sample_pixels,
        tile: RED_CELL_SAMPLE_TILE,
    };
    let report = run_sampled_slides(
        &analysis,
        slides,
        &scale_dir,
        &options,
        Some(sampling),
        progress,
        handover,
    )?;
    let path = scale_dir.join("cells.csv");
    let table_error = |message: String| ScaleError::Table {
        path: path.clone(),
        message,
    };
    let mut pieces: BTreeMap<String, Vec<PieceShape>> = report
        .slides
        .iter()
        .map(|slide| (slide.clone(), Vec::new()))
        .collect();
    let mut reader = csv::Reader::from_path(&path).map_err(|e| table_error(e.to_string()))?;
    for record in reader.records() {
        let record = record.map_err(|e| table_error(e.to_string()))?;
        let (Some(slide), Some(class), Some(area)) = (record.get(0), record.get(1), record.get(2))
        else {
            return Err(table_error("a row has fewer than 3 fields".into()));
        };
        let area: f64 = area
            .parse()
            .map_err(|_| table_error(format!("area {area:?} is not a number")))?;
        let shape = PieceShape {
            area,
            inside: class != PIECE_CLASSES[2],
            round: class == PIECE_CLASSES[0],
        };
        pieces.entry(slide.to_string()).or_default().push(shape);
    }
    Ok(pieces
        .into_iter()
        .map(|(slide, shapes)| (slide, single_cell_area(&shapes)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::stain_maps::estimate_background;

    fn field() -> RgbImage {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/slide/source.png");
        crate::io::read_rgb_image(&path).unwrap()
    }

    #[test]
    fn background_from_statistics_matches_the_single_image_estimate() {
        let image = field();
        let mut statistics = vec![0u64; STATISTICS_LEN];
        add_colour_statistics(&image, &mut statistics);
        assert_eq!(
            background_from_statistics(&statistics),
            estimate_background(&image)
        );
    }

    #[test]
    fn statistics_of_parts_add_up_to_the_whole() {
        let image = field();
        let mut whole = vec![0u64; STATISTICS_LEN];
        add_colour_statistics(&image, &mut whole);
        let mut parts = vec![0u64; STATISTICS_LEN];
        let half = image.height() / 2;
        for (y, height) in [(0, half), (half, image.height() - half)] {
            let part = image::imageops::crop_imm(&image, 0, y, image.width(), height).to_image();
            add_colour_statistics(&part, &mut parts);
        }
        assert_eq!(whole, parts);
    }

    /// Every component of the test field's filled cell mask, cut out with the context of
    /// [`PieceShapes`] as the driver cuts it.
    fn piece_components(
        image: &RgbImage,
        parameters: &CountParameters,
    ) -> Vec<(RgbImage, GrayImage)> {
        let analysis = PieceShapes::default();
        let mask = fill_holes(&analysis.foreground(image, parameters));
        let context = analysis.context(parameters);
        let size = image.dimensions();
        super::super::components::foreground_components(&mask)
            .iter()
            .map(|component| {
                let crop = component.bounds.grown(
                    super::super::tiles::Sides::all(context),
                    size.0,
                    size.1,
                );
                let mut mask = GrayImage::new(crop.width, crop.height);
                for run in &component.runs {
                    for x in run.x_start..run.x_end {
                        mask.put_pixel(x - crop.x, run.y - crop.y, image::Luma([OBJECT]));
                    }
                }
                (crop_image(image, crop), mask)
            })
            .collect()
    }

    #[test]
    fn a_grey_slide_is_refused_and_a_colour_one_is_not() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/smears/BloodImage_00003.jpg");
        let colour = crate::io::read_rgb_image(&path).unwrap();
        let grey = image::DynamicImage::ImageLuma8(crate::color::rgb_to_gray(&colour)).to_rgb8();
        let settings = Settings::default();
        let parameters = |image: &RgbImage| {
            let mut statistics = vec![0u64; STATISTICS_LEN];
            add_colour_statistics(image, &mut statistics);
            CountParameters::from_statistics(&statistics, &settings, None)
        };
        assert!(parameters(&colour).is_ok());
        assert!(matches!(parameters(&grey), Err(AnalysisError::NotColour)));
        // One pixel off the grey diagonal is colour.
        let mut tinted = grey.clone();
        tinted.put_pixel(5, 5, image::Rgb([200, 100, 150]));
        assert!(parameters(&tinted).is_ok());
        // A pixel whose channels differ but share a bin of 8 levels is told by the sums.
        let mut within_bin = grey;
        within_bin.put_pixel(5, 5, image::Rgb([129, 128, 130]));
        assert!(parameters(&within_bin).is_ok());
    }

    #[test]
    fn piece_nuclei_and_the_component_are_the_cluster_masks() {
        // A whole BCCD field (640 × 480): red cells, clumps, a white cell, platelets.
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/smears/BloodImage_00003.jpg");
        let image = crate::io::read_rgb_image(&path).unwrap();
        let settings = Settings::default();
        let mut statistics = vec![0u64; STATISTICS_LEN];
        add_colour_statistics(&image, &mut statistics);
        let parameters = CountParameters::from_statistics(&statistics, &settings, None).unwrap();
        let components = piece_components(&image, &parameters);
        assert!(components.len() > 20, "{} components", components.len());
        let mut nucleus_pixels = 0;
        for (rgb, mask) in &components {
            let component = ComponentImage {
                rgb,
                mask,
                origin: (0, 0),
                slide_size: image.dimensions(),
                bounds: Rect::new(0, 0, mask.width(), mask.height()),
                window: rgb,
                window_origin: (0, 0),
            };
            // The masks computed the long way: four stain planes, threshold, Fill Holes and
            // `nucleus_mask`, restricted to the component.
            let masks = ClusterMasks::new(&component, &parameters, &settings);
            assert_eq!(&masks.cells, mask);
            let nuclei = piece_nuclei(&component, &parameters, &settings);
            assert_eq!(nuclei, masks.nuclei);
            nucleus_pixels += nuclei.as_raw().iter().filter(|&&v| v == OBJECT).count();
        }
        assert!(nucleus_pixels > 100, "{nucleus_pixels} nucleus pixels");
    }

    #[test]
    fn the_density_cut_selects_what_threshold_density_selects() {
        let image = field();
        let background = estimate_background(&image);
        let stains = PixelStains::new(&background);
        let densities: Vec<f32> = image.pixels().map(|p| stains.density(&p.0)).collect();
        let scaled = GrayImage::from_raw(
            image.width(),
            image.height(),
            densities.iter().map(|&d| scaled_value(d)).collect(),
        )
        .unwrap();
        for level in -3..=258 {
            let cut = density_cut(level);
            let expected = threshold_density(&scaled, level);
            let by_cut: Vec<u8> = densities
                .iter()
                .map(|&d| if d >= cut { OBJECT } else { 0 })
                .collect();
            assert_eq!(&by_cut, expected.as_raw(), "level {level}");
            // At the cut itself and one float below it, as threshold_density decides.
            if cut.is_finite() && cut > 0.0 {
                let below = f32::from_bits(cut.to_bits() - 1);
                let one = |d: f32| GrayImage::from_pixel(1, 1, image::Luma([scaled_value(d)]));
                assert_eq!(threshold_density(&one(cut), level).as_raw()[0], OBJECT);
                assert_eq!(threshold_density(&one(below), level).as_raw()[0], 0);
            }
        }
        // By hand: level 60 keeps scaled densities from 61, round(100·d) >= 61, d >= 0.605.
        assert!(
            (density_cut(60) - 0.605).abs() < 1e-6,
            "{}",
            density_cut(60)
        );
        assert_eq!(density_cut(-1), 0.0);
        // ImageJ's range for level 255 still keeps 255 (the range is clamped to 0-255).
        assert_eq!(scaled_value(density_cut(255)), 255);
        assert_eq!(density_cut(300), density_cut(255));
    }

    #[test]
    fn the_cell_level_is_close_to_the_single_image_level() {
        let image = field();
        let settings = Settings::default();
        let background = estimate_background(&image);
        let maps = StainMaps::new(&image, &background);
        let exact = cell_level(
            &crate::count::fields::density_histogram(
                &maps,
                &crate::count::view::FieldOfView::whole(background),
                &settings,
            ),
            &settings,
        );
        let mut statistics = vec![0u64; STATISTICS_LEN];
        add_colour_statistics(&image, &mut statistics);
        let binned = level_from_statistics(&statistics, &background, &settings);
        assert!((exact - binned).abs() <= 1, "{exact} vs {binned}");
    }
}
