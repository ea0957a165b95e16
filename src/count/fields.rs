//! Finding red cells, white cells and platelets in a Romanowsky-stained smear field.
//!
//! Every threshold adapts to the image itself, so that the same code serves smears of other
//! microscopes, stains and magnifications (see `docs/counting.md`):
//!
//! 1. **Background and stains** ([`super::stain_maps`]): optical densities relative to the
//!    background colour, unmixed into methylene blue and eosin.
//! 2. **Cells**: the total density above `cell_edge_fraction` (0.4) of the typical red-cell
//!    density (the mode above Otsu's level, both from the non-violet pixels; never above Otsu,
//!    never below `min_cell_density`), holes filled (pale red-cell centres).
//! 3. **Scale**: the cell mask is cut with ImageJ's watershed; the median area of the round
//!    (solidity ≥ 0.9, aspect ratio ≤ 1.4) pieces away from the border and without nucleus
//!    pixels is the area of one red cell, `A`, and `d = 2√(A/π)` its diameter. Every size below
//!    is a fraction of `A` or `d`.
//! 4. **Nuclei**: pixels that absorb red more than blue (violet-blue: nuclei and platelets; pink
//!    red cells absorb blue more than red). Pieces closer than `nucleus_reach`·d form one group
//!    (the lobes of a neutrophil), unless two large pieces would together be wider than
//!    `nucleus_extent`·d (two touching white cells), or a platelet-sized piece lies beside a
//!    large one: more than `lobe_gap`·d away, mostly across background.
//! 5. **White cells**: groups with a nucleus area ≥ `white_nucleus`·A, with the cell mask within
//!    `cytoplasm`·d of the nucleus; watershed pieces that lie mostly outside that reach stay
//!    red cells. **Platelets**: smaller groups, down to `platelet_min`·A, outside white cells.
//! 6. **Red cells**: the other watershed pieces of the cell mask. A piece up to 1.5 A is one
//!    cell, a larger one `1 + round((area − A) / (overlap_share·A))` (overlapping cells hide part
//!    of each other); pieces below `fragment`·A (`border_fragment`·A at the image border, where
//!    cells are cut) are dropped.

use image::{GrayImage, Luma};
use rayon::prelude::*;

use super::stain_maps::{Background, StainMaps};
use super::view::FieldOfView;
use crate::edm::distance_map;
use crate::measure::shape::convex_hull;
use crate::measure::trace::Vertex;
use crate::measure::{find_particles, measure_shape, Calibration, Particle, ParticleOptions, Run};
use crate::morphology::{fill_holes, BACKGROUND, OBJECT};
use crate::segment::{mask_of, watershed_particles};
use crate::threshold::{self, Background as ThresholdBackground, Method, Range};
use crate::watershed::WatershedError;

/// The fractions every threshold of the detector is derived from (see the module docs); the
/// defaults were chosen on the development data (`docs/counting.md`).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Cell pixels have at least this total optical density (sum over R, G, B, relative to the
    /// background): below it, a field is empty whatever the histogram says.
    pub min_cell_density: f32,
    /// The cell edge lies at this fraction of the typical cell density.
    pub cell_edge_fraction: f32,
    /// A nucleus pixel is a cell pixel that absorbs red more than blue by at least this much
    /// (optical density, [`StainMaps::violet`], averaged over 3x3 pixels).
    pub nucleus_violet: f32,
    /// Nucleus pieces closer than this fraction of the red-cell diameter belong to one cell.
    pub nucleus_reach: f64,
    /// A white cell's nucleus covers at least this fraction of a red cell's area.
    pub white_nucleus: f64,
    /// Two large nucleus pieces (each a possible white cell) join into one nucleus only when
    /// the joined pieces are at most this many red-cell diameters wide (the largest distance
    /// between their outline corners): the lobes of one neutrophil, or the nucleus and violet
    /// granules of one eosinophil, fit inside one cell, and no normal white cell is wider than
    /// 20 µm (large monocytes), 2.67 red cells of 7.5 µm; two touching white cells span more.
    pub nucleus_extent: f64,
    /// A piece of the cell mask whose pixels are at least this share white-cell nucleus belongs
    /// to the white cell, not to the red cells.
    pub red_nucleus_share: f64,
    /// In a clump of overlapping red cells, each cell after the first adds this share of a red
    /// cell's area (overlap hides the rest).
    pub overlap_share: f64,
    /// A platelet covers at least this fraction of a red cell's area.
    pub platelet_min: f64,
    /// Violet pieces smaller than this fraction of a red cell's area are granules or specks
    /// (a disc of [`LARGEST_GRANULE_UM`]): they join a nucleus anywhere within `nucleus_reach`,
    /// as granules lie anywhere in a white cell's cytoplasm.
    pub granule: f64,
    /// A violet piece between `granule` and `white_nucleus` (the size of a platelet or of a
    /// small lobe) joins a group holding a large nucleus piece across a gap of at most this
    /// many red-cell diameters (lobes are tied to the rest of the nucleus by chromatin
    /// threads, [`LOBE_GAP_UM`]); beyond it, only when the way between them leads at least
    /// half through cell pixels (granule clumps in the cytoplasm), not across background (a
    /// platelet beside a white cell).
    pub lobe_gap: f64,
    /// A white cell's cytoplasm reaches this fraction of the red-cell diameter beyond its nucleus.
    pub cytoplasm: f64,
    /// Red-cell pieces smaller than this fraction of a red cell are fragments (inside the field).
    pub fragment: f64,
    /// ... at the image border, where cells are cut.
    pub border_fragment: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            min_cell_density: 0.15,
            cell_edge_fraction: 0.4,
            nucleus_violet: 0.15,
            nucleus_reach: 0.4,
            white_nucleus: 0.3,
            nucleus_extent: LARGEST_WHITE_CELL_UM / super::scale::RED_CELL_DIAMETER_UM,
            red_nucleus_share: 0.1,
            overlap_share: 0.75,
            platelet_min: 0.01,
            granule: (LARGEST_GRANULE_UM / super::scale::RED_CELL_DIAMETER_UM).powi(2),
            lobe_gap: LOBE_GAP_UM / super::scale::RED_CELL_DIAMETER_UM,
            cytoplasm: 0.35,
            fragment: 0.35,
            border_fragment: 0.1,
        }
    }
}

/// The diameter of the largest normal white cells (monocytes: 12-20 µm), in µm.
pub const LARGEST_WHITE_CELL_UM: f64 = 20.0;

/// The diameter of the largest granules of a white cell (eosinophil granules 0.5-1 µm), in µm.
/// A violet piece of at most a disc this wide is a granule or speck; platelets (1.5-3 µm) and
/// lobes are larger.
pub const LARGEST_GRANULE_UM: f64 = 1.0;

/// The longest gap, in µm, across which a platelet-sized violet piece still joins a white-cell
/// nucleus as one of its lobes: the segments of a neutrophil's nucleus are joined by thin
/// chromatin threads, about a micrometre long, that fall below the violet threshold; on the
/// 70 annotated fields the gaps of lobes were 0.03-0.15 d (at most 1.1 µm) and those of the
/// platelets boxed beside white cells 0.19-0.27 d (1.4-2.0 µm): see `docs/accuracy.md`.
pub const LOBE_GAP_UM: f64 = 1.25;

/// How far, in pixels, [`find_cells`] looks across background from a nucleus pixel for a red
/// cell of `red_cell_diameter` pixels: nucleus pieces join when their outlines are within
/// `nucleus_reach`·d (pixel centres within that plus √2), and a white cell's reach takes cell
/// pixels within `cytoplasm`·d of its nucleus. Two nucleus pixels that may join are each within
/// half the first distance (plus a pixel for rounding) of their midpoint, so discs of this
/// radius around nucleus pixels connect everything that can interact.
pub fn interaction_reach(red_cell_diameter: f64, settings: &Settings) -> u32 {
    let joining = settings.nucleus_reach * red_cell_diameter / 2.0 + 2.0;
    let cytoplasm = settings.cytoplasm * red_cell_diameter + 1.0;
    joining.max(cytoplasm).ceil() as u32
}

/// What a detection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Kind {
    /// A red cell, or a clump of red cells counted by area.
    RedCell,
    /// A platelet (or a small clump of them).
    Platelet,
    /// A nucleated cell: a white cell (or an erythroblast; the classifier decides).
    WhiteCell,
}

/// One thing found in the field.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// What it is.
    pub kind: Kind,
    /// Its pixels and outline (for a white cell: nucleus and cytoplasm).
    pub particle: Particle,
    /// How many cells it stands for (more than 1 for red-cell clumps).
    pub cells: u32,
    /// The nucleus pixels of a white cell (all its pieces), in raster order; empty otherwise.
    pub nucleus: Vec<Run>,
}

/// Everything found in one field, with the quantities the thresholds were derived from.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDetections {
    /// The background colour.
    pub background: Background,
    /// Median total optical density of the cell pixels (0 for an empty field).
    pub cell_density: f32,
    /// Area of one red cell in pixels (median of the compact particles), if any were found.
    pub red_cell_area: Option<f64>,
    /// The detections: white cells, then platelets, then red cells, each in raster order.
    pub detections: Vec<Detection>,
}

impl Detection {
    /// The same detection moved by `(dx, dy)` pixels (from a crop's coordinates to the image's
    /// or the slide's); `None` when a coordinate would leave the `u32` range.
    pub fn translated(&self, dx: u32, dy: u32) -> Option<Detection> {
        let nucleus = self
            .nucleus
            .iter()
            .map(|run| {
                Some(Run {
                    y: run.y.checked_add(dy)?,
                    x_start: run.x_start.checked_add(dx)?,
                    x_end: run.x_end.checked_add(dx)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Detection {
            kind: self.kind,
            particle: self.particle.translated(i64::from(dx), i64::from(dy))?,
            cells: self.cells,
            nucleus,
        })
    }

    /// The detection in an image `factor` times smaller than the one it was found in (an
    /// enlarged copy, [`super::enlargement`]): a pixel of the small image belongs to it when
    /// the centre of its `factor` × `factor` block does, and a detection no block centre falls
    /// in keeps the one pixel that holds its first pixel.
    pub fn reduced(&self, factor: u32) -> Detection {
        let mut runs = reduced_runs(&self.particle.runs, factor);
        if runs.is_empty() {
            let (x, y) = self.particle.start;
            runs.push(Run {
                y: y / factor,
                x_start: x / factor,
                x_end: x / factor + 1,
            });
        }
        let particle = particle_of_runs(&runs).expect("at least one pixel");
        Detection {
            kind: self.kind,
            particle,
            cells: self.cells,
            nucleus: reduced_runs(&self.nucleus, factor),
        }
    }
}

/// The pixels of an image `factor` times smaller whose block centre (`factor · x + factor / 2`,
/// the same in y) lies in `runs` (raster order), as runs in raster order.
///
/// With factor 2, row 1 (the centre row of small row 0) holding x 1..5 covers the centres 1
/// and 3 of small pixels 0 and 1; row 0, no centre row, counts for nothing.
pub fn reduced_runs(runs: &[Run], factor: u32) -> Vec<Run> {
    let centre = factor / 2;
    let mut reduced: Vec<Run> = Vec::new();
    for run in runs.iter().filter(|run| run.y % factor == centre) {
        // Small pixels x with x·factor + centre in [x_start, x_end).
        let first = run.x_start.saturating_sub(centre).div_ceil(factor);
        let end = (run.x_end + factor - 1 - centre) / factor;
        if first >= end {
            continue;
        }
        let y = run.y / factor;
        match reduced.last_mut() {
            Some(last) if last.y == y && last.x_end == first => last.x_end = end,
            _ => reduced.push(Run {
                y,
                x_start: first,
                x_end: end,
            }),
        }
    }
    reduced
}

impl FieldDetections {
    /// Diameter of a red cell in pixels, `2√(A/π)`.
    pub fn red_cell_diameter(&self) -> Option<f64> {
        self.red_cell_area
            .map(|area| 2.0 * (area / std::f64::consts::PI).sqrt())
    }

    /// Number of cells of `kind` (clumps count as their estimated number of cells).
    pub fn count(&self, kind: Kind) -> u64 {
        self.detections
            .iter()
            .filter(|detection| detection.kind == kind)
            .map(|detection| u64::from(detection.cells))
            .sum()
    }
}

/// Finds the cells of an RGB smear field. `red_cell_area`, when given, replaces the area
/// estimated from the image (e.g. from a known pixel size).
pub fn detect(
    image: &image::RgbImage,
    red_cell_area: Option<f64>,
) -> Result<FieldDetections, WatershedError> {
    detect_with(image, red_cell_area, &Settings::default())
}

/// [`detect`] with other settings.
///
/// The steps are the public functions below, in this order: [`FieldOfView`] (with the
/// background colour) and [`StainMaps`], [`density_histogram`] → [`cell_level`] (together
/// [`stains_and_level`]) → [`cell_mask`], [`nucleus_mask`], the watershed pieces and
/// [`single_cell_area`], then [`find_cells`]. Whole slides
/// (`hemato::slide::count`) run the same functions with slide-wide parameters.
pub fn detect_with(
    image: &image::RgbImage,
    red_cell_area: Option<f64>,
    settings: &Settings,
) -> Result<FieldDetections, WatershedError> {
    let FieldMasks {
        view,
        cells,
        nuclei,
        cell_density,
    } = field_masks(image, settings);
    let empty = FieldDetections {
        background: view.background(),
        cell_density,
        red_cell_area: None,
        detections: Vec::new(),
    };
    if cell_density == 0.0 {
        return Ok(empty);
    }
    let pieces = watershed_particles(&cells)?;
    let at_border = cut_by_edge(&view, cells.dimensions());
    let estimated =
        red_cell_area.or_else(|| single_cell_area(&describe_pieces(&pieces, &nuclei, &at_border)));
    let Some(area) = estimated else {
        return Ok(empty);
    };
    let detections = find_cells(&cells, &nuclei, pieces, area, settings, &at_border);
    Ok(FieldDetections {
        red_cell_area: Some(area),
        detections,
        ..empty
    })
}

/// The pieces of a field's cell mask that [`detect`] estimates the red-cell area from
/// ([`describe_pieces`]; empty for a field without cells). Pooled over several fields of one
/// microscope, [`single_cell_area`] gives one area for all of them, as a slide run does over
/// its slide.
pub fn red_cell_pieces(
    image: &image::RgbImage,
    settings: &Settings,
) -> Result<Vec<PieceShape>, WatershedError> {
    own_red_cell_pieces(&field_masks(image, settings))
}

/// [`red_cell_pieces`] of a field's masks: its watershed pieces, described.
fn own_red_cell_pieces(masks: &FieldMasks) -> Result<Vec<PieceShape>, WatershedError> {
    if masks.cell_density == 0.0 {
        return Ok(Vec::new());
    }
    let pieces = watershed_particles(&masks.cells)?;
    let at_border = cut_by_edge(&masks.view, masks.cells.dimensions());
    Ok(describe_pieces(&pieces, &masks.nuclei, &at_border))
}

/// Steps 1 and 2 of the module docs: what both the scale and the cells come from.
struct FieldMasks {
    view: FieldOfView,
    /// The cell mask, holes filled.
    cells: GrayImage,
    /// Its nucleus pixels (none for a field without cells).
    nuclei: GrayImage,
    /// Median total density of the cell pixels; 0 when there are none.
    cell_density: f32,
}

/// Whether a piece touches the border of a `width` × `height` image or the edge of its field
/// of view, where cells are cut.
fn cut_by_edge(
    view: &FieldOfView,
    (width, height): (u32, u32),
) -> impl Fn(&Particle) -> bool + Sync + '_ {
    move |piece: &Particle| {
        ParticleOptions::touches_edge(&piece.bounds, width, height) || view.touches(piece)
    }
}

/// The field of view, the cell mask and its nucleus mask of `image`.
fn field_masks(image: &image::RgbImage, settings: &Settings) -> FieldMasks {
    let (view, maps, level) = stains_and_level(image, settings);
    let cells = cell_mask(&maps, level);
    let cell_density = median_cell_density(&maps, &cells);
    let nuclei = if cell_density == 0.0 {
        GrayImage::new(image.width(), image.height())
    } else {
        nucleus_mask(&maps, &cells, settings)
    };
    FieldMasks {
        view,
        cells,
        nuclei,
        cell_density,
    }
}

/// The cells of a field segmented by someone else (a label image from Cellpose, StarDist,
/// QuPath...): each label is one cell, and only what it is comes from hemato. A label is a
/// **white cell** when its nucleus pixels ([`nucleus_mask`], as [`detect_with`] finds them)
/// cover at least `white_nucleus`·A, a **platelet** when they cover at least `platelet_min`·A
/// and the label's other cell pixels ([`cell_mask`]) are fewer than a fragment of a red cell
/// (`fragment`·A), and a **red cell** otherwise (a platelet lying on a red cell leaves it a red
/// cell). A, the area of one red cell, is `red_cell_area` when given, else the
/// [`single_cell_area`] of the labels without a nucleus pixel when at least 3 of them lie
/// inside the image, else the field's own estimate (for label images of white cells only).
/// Detections come as [`detect_with`]'s: white cells, then platelets, then red cells, each in
/// label order; a field without a nucleus pixel or a red-cell area has only red cells, and one
/// without labels none.
pub fn detect_labelled(
    image: &image::RgbImage,
    labels: Vec<Particle>,
    red_cell_area: Option<f64>,
    settings: &Settings,
) -> Result<FieldDetections, WatershedError> {
    let masks = field_masks(image, settings);
    let violet: Vec<usize> = labels
        .iter()
        .map(|label| pixels_in(&masks.nuclei, &label.runs))
        .collect();
    let area = match red_cell_area {
        Some(area) => Some(area),
        None => {
            // `describe_pieces` keeps the labels without a nucleus pixel.
            let (width, height) = image.dimensions();
            let at_border =
                |label: &Particle| ParticleOptions::touches_edge(&label.bounds, width, height);
            let described = describe_pieces(&labels, &masks.nuclei, &at_border);
            if described.iter().filter(|piece| piece.inside).count() >= 3 {
                single_cell_area(&described)
            } else {
                single_cell_area(&own_red_cell_pieces(&masks)?)
            }
        }
    };
    let kind_of = |label: &Particle, violet: usize| {
        // Cell pixels that are not nucleus: a red cell's, or a white cell's cytoplasm.
        let other = pixels_in(&masks.cells, &label.runs).saturating_sub(violet) as f64;
        let violet = violet as f64;
        match area {
            Some(area) if violet >= settings.white_nucleus * area => Kind::WhiteCell,
            Some(area)
                if violet >= settings.platelet_min * area && other < settings.fragment * area =>
            {
                Kind::Platelet
            }
            _ => Kind::RedCell,
        }
    };
    let mut detections: Vec<Detection> = labels
        .into_iter()
        .zip(violet)
        .map(|(label, violet)| {
            let kind = kind_of(&label, violet);
            let nucleus = match kind {
                Kind::WhiteCell => runs_within(&masks.nuclei, &label.runs),
                _ => Vec::new(),
            };
            Detection {
                kind,
                particle: label,
                cells: 1,
                nucleus,
            }
        })
        .collect();
    let order = |kind: Kind| match kind {
        Kind::WhiteCell => 0,
        Kind::Platelet => 1,
        Kind::RedCell => 2,
    };
    detections.sort_by_key(|detection| order(detection.kind));
    Ok(FieldDetections {
        background: masks.view.background(),
        cell_density: masks.cell_density,
        red_cell_area: area,
        detections,
    })
}

/// The first steps of [`detect_with`]: the field of view (with its background colour), the
/// stain maps (no stain outside the view) and the cell level.
pub fn stains_and_level(
    image: &image::RgbImage,
    settings: &Settings,
) -> (FieldOfView, StainMaps, i32) {
    let view = FieldOfView::of(image);
    let maps = StainMaps::new(image, &view.background());
    let level = cell_level(&density_histogram(&maps, &view, settings), settings);
    (view, maps, level)
}

/// Finds white cells, platelets and red cells given the cell mask (holes filled), its nucleus
/// mask, its watershed pieces and the area `A` of one red cell (steps 4 to 6 of the module
/// docs). `at_border` tells whether a piece touches the border of the image (or slide) or of
/// its field of view, where cells are cut and smaller fragments are kept.
///
/// Everything here reaches at most `max(nucleus_reach / 2 + 2 px, cytoplasm + 1 px)` red-cell
/// diameters from a nucleus pixel across background ([`interaction_reach`]): the result on a
/// part of the masks holding every pixel within that reach of its nuclei is the result on the
/// whole.
pub fn find_cells(
    cells: &GrayImage,
    nuclei: &GrayImage,
    pieces: Vec<Particle>,
    area: f64,
    settings: &Settings,
    at_border: &dyn Fn(&Particle) -> bool,
) -> Vec<Detection> {
    let (width, height) = cells.dimensions();
    let diameter = 2.0 * (area / std::f64::consts::PI).sqrt();
    let groups = nucleus_groups(nuclei, cells, diameter, area, settings);
    let mut detections = Vec::new();
    let mut taken = GrayImage::new(width, height);
    // White cells: large nucleus groups with their cytoplasm.
    let white: Vec<&NucleusGroup> = groups
        .iter()
        .filter(|group| group.area as f64 >= settings.white_nucleus * area)
        .collect();
    let mut white_nuclei = GrayImage::new(width, height);
    for group in &white {
        paint(&mut white_nuclei, &group.runs, OBJECT);
    }
    let reach = within_distance(&white_nuclei, diameter * settings.cytoplasm);
    // Red-cell pieces: pieces of the cut cell mask with (almost) no white nucleus that lie
    // mostly outside the white cells' reach. They stay whole even where a white cell's reach
    // overlaps them.
    let (red_pieces, other_pieces): (Vec<Particle>, Vec<Particle>) =
        pieces.into_iter().partition(|piece| {
            let size = piece.pixel_count() as f64;
            let nucleus = pixels_in(&white_nuclei, &piece.runs) as f64;
            let near = pixels_in(&reach, &piece.runs) as f64;
            nucleus < settings.red_nucleus_share * size && near < 0.5 * size
        });
    // Platelet-sized groups (kept apart from the nuclei beside them by `nucleus_groups`) are
    // not a white cell's cytoplasm.
    let small: Vec<&NucleusGroup> = groups
        .iter()
        .filter(|group| {
            let size = group.area as f64;
            size < settings.white_nucleus * area && size >= settings.platelet_min * area
        })
        .collect();
    let mut white_cells = mask_of(&other_pieces, width, height);
    for group in &small {
        paint(&mut white_cells, &group.runs, BACKGROUND);
    }
    for group in &white {
        paint(&mut white_cells, &group.runs, OBJECT);
    }
    for group in &white {
        let region = cell_region(group, &white_cells, &reach, diameter * settings.cytoplasm);
        paint(&mut taken, &region.runs, OBJECT);
        detections.push(Detection {
            kind: Kind::WhiteCell,
            particle: region,
            cells: 1,
            nucleus: group.runs.clone(),
        });
    }
    // Platelets: small groups outside white cells.
    let mut platelets = GrayImage::new(width, height);
    for group in small {
        if group.runs.iter().any(|run| covers(&taken, run)) {
            continue;
        }
        if let Some(particle) = particle_of_runs(&group.runs) {
            paint(&mut platelets, &particle.runs, OBJECT);
            detections.push(Detection {
                kind: Kind::Platelet,
                particle,
                cells: 1,
                nucleus: Vec::new(),
            });
        }
    }
    // Red cells: the red-cell pieces that are not mostly a platelet or a fragment; a piece
    // counts as round(area / A) cells.
    for piece in red_pieces {
        let size = piece.pixel_count() as f64;
        if pixels_in(&platelets, &piece.runs) as f64 >= 0.5 * size {
            continue;
        }
        let smallest = if at_border(&piece) {
            settings.border_fragment
        } else {
            settings.fragment
        } * area;
        if size < smallest {
            continue;
        }
        let cells = red_cells_in(size, area, settings.overlap_share);
        detections.push(Detection {
            kind: Kind::RedCell,
            particle: piece,
            cells,
            nucleus: Vec::new(),
        });
    }
    detections
}

/// The total density of each pixel in hundredths (`round(100·density)`, at most 255): the
/// image the cell mask thresholds.
pub fn scaled_density(maps: &StainMaps) -> GrayImage {
    let scaled: Vec<u8> = maps
        .density
        .iter()
        .map(|&density| scaled_value(density))
        .collect();
    GrayImage::from_raw(maps.width, maps.height, scaled).expect("same size")
}

/// One density in hundredths, as [`scaled_density`].
pub fn scaled_value(density: f32) -> u8 {
    (density * 100.0).round().clamp(0.0, 255.0) as u8
}

/// The histogram the cell level comes from: [`scaled_density`] of the pixels that are not
/// violet (background and red cells: a large dark white cell must not set the level red cells
/// are cut at) and lie in the field of view. Additive: the histogram of an image is the sum of
/// its parts' histograms.
pub fn density_histogram(
    maps: &StainMaps,
    view: &FieldOfView,
    settings: &Settings,
) -> threshold::Histogram {
    let mut histogram = [0u32; 256];
    let pixels = maps.density.iter().zip(&maps.violet).enumerate();
    for (index, (&density, &violet)) in pixels {
        if violet <= settings.nucleus_violet && view.contains(index) {
            histogram[usize::from(scaled_value(density))] += 1;
        }
    }
    histogram
}

/// The level of the cell mask (in hundredths of density) from [`density_histogram`]:
/// `cell_edge_fraction` of the density of a typical cell pixel, and at least
/// `min_cell_density`.
///
/// Cells are blurred at their edge, so their density ramps from the background's to the cell's
/// over several pixels, and the edge lies part-way up the ramp (as the half maximum of a blurred
/// step; a little lower catches the pale rims of red cells with a large central pallor). The
/// typical cell density is the mode of the density histogram above Otsu's level (Otsu separates
/// cells from background; its own level lies inside the ramp and would cut pale cells short).
pub fn cell_level(histogram: &threshold::Histogram, settings: &Settings) -> i32 {
    let minimum = (settings.min_cell_density * 100.0) as i32;
    let otsu = threshold::level(Method::Otsu, histogram)
        .unwrap_or(minimum)
        .max(minimum);
    match cell_mode(histogram, otsu) {
        Some(mode) => ((mode as f32 * settings.cell_edge_fraction) as i32).clamp(minimum, otsu),
        None => otsu,
    }
}

/// The cells: [`scaled_density`] above `level`, holes filled (pale red-cell centres).
pub fn cell_mask(maps: &StainMaps, level: i32) -> GrayImage {
    fill_holes(&cell_threshold(maps, level))
}

/// The cell pixels before Fill Holes: [`scaled_density`] above `level`. Each pixel depends only
/// on its own colour (and the background).
pub fn cell_threshold(maps: &StainMaps, level: i32) -> GrayImage {
    threshold_density(&scaled_density(maps), level)
}

/// [`cell_threshold`] of an image of [`scaled_density`] values (made by the caller, e.g. pixel
/// by pixel without the maps).
pub fn threshold_density(scaled: &GrayImage, level: i32) -> GrayImage {
    threshold::apply(scaled, Range::for_level(level, ThresholdBackground::Dark))
}

/// The most frequent value above `level` (histogram smoothed over 5 bins; 255, where saturated
/// densities pile up, is left out), or `None` when nothing lies above.
fn cell_mode(histogram: &threshold::Histogram, level: i32) -> Option<i32> {
    let start = usize::try_from(level + 1).ok()?;
    (start..255)
        .map(|value| {
            let window = value.saturating_sub(2)..(value + 3).min(255);
            let sum: u64 = histogram[window]
                .iter()
                .map(|&count| u64::from(count))
                .sum();
            (sum, value)
        })
        .filter(|&(sum, _)| sum > 0)
        .max_by_key(|&(sum, value)| (sum, std::cmp::Reverse(value)))
        .map(|(_, value)| value as i32)
}

/// Pixels that absorb red more than blue (violet-blue): nuclei and platelets. The difference
/// is averaged over each pixel's 3x3 neighbourhood (within the image) against JPEG block noise.
/// Pixels outside the cell mask count when their density reaches `min_cell_density` (pale
/// platelets below the cell edge).
pub fn nucleus_mask(maps: &StainMaps, cells: &GrayImage, settings: &Settings) -> GrayImage {
    let (width, height) = (maps.width as usize, maps.height as usize);
    let violet = &maps.violet;
    let pixels = cells
        .as_raw()
        .par_iter()
        .enumerate()
        .map(|(index, &cell)| {
            if cell != OBJECT && maps.density[index] < settings.min_cell_density {
                return BACKGROUND;
            }
            let (x, y) = (index % width, index / width);
            let (mut sum, mut count) = (0.0f32, 0.0f32);
            for ny in y.saturating_sub(1)..(y + 2).min(height) {
                for nx in x.saturating_sub(1)..(x + 2).min(width) {
                    sum += violet[ny * width + nx];
                    count += 1.0;
                }
            }
            if sum / count > settings.nucleus_violet {
                OBJECT
            } else {
                BACKGROUND
            }
        })
        .collect();
    GrayImage::from_raw(maps.width, maps.height, pixels).expect("same size")
}

/// What the red-cell area is estimated from, per piece of the cut cell mask: its area, whether
/// it lies away from the border, whether it is round.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PieceShape {
    /// Area in pixels.
    pub area: f64,
    /// The piece does not touch the border of the image (or slide).
    pub inside: bool,
    /// Solidity ≥ 0.9 and aspect ratio ≤ 1.4.
    pub round: bool,
}

/// The pieces [`single_cell_area`] looks at: at least 20 pixels and no nucleus pixel, with
/// their shape. `at_border` tells whether a piece touches the image's (slide's) border or the
/// edge of its field of view.
pub fn describe_pieces(
    pieces: &[Particle],
    nuclei: &GrayImage,
    at_border: &(dyn Fn(&Particle) -> bool + Sync),
) -> Vec<PieceShape> {
    let calibration = Calibration::default();
    pieces
        .par_iter()
        .filter(|piece| piece.pixel_count() >= 20)
        .filter(|piece| !piece.runs.iter().any(|run| covers(nuclei, run)))
        .map(|piece| {
            let shape = measure_shape(piece, &calibration);
            PieceShape {
                area: shape.area,
                inside: !at_border(piece),
                round: shape.solidity >= 0.9 && shape.aspect_ratio <= 1.4,
            }
        })
        .collect()
}

/// The area of one red cell: the median area of the round pieces of the cell mask (solidity
/// ≥ 0.9, aspect ratio ≤ 1.4; at least 20 pixels) that do not touch the border and hold no
/// nucleus pixels ([`describe_pieces`]), after dropping pieces smaller than a fifth of their
/// area-weighted median (specks of noise: the area-weighted median is the size of the piece a
/// typical cell pixel belongs to). Falls back to all pieces without nuclei away from the border
/// when fewer than 3 are round, then to all pieces without nuclei.
pub fn single_cell_area(described: &[PieceShape]) -> Option<f64> {
    let pick = |keep: &dyn Fn(&PieceShape) -> bool| {
        let areas: Vec<f64> = described
            .iter()
            .filter(|d| keep(d))
            .map(|d| d.area)
            .collect();
        // Specks of noise are small: look only at pieces of at least a fifth of the
        // area-weighted median, then take the plain median (single cells outnumber clumps).
        let typical = weighted_median(areas.clone())?;
        median(
            areas
                .into_iter()
                .filter(|&area| area >= typical / 5.0)
                .map(|area| area as f32)
                .collect(),
        )
        .map(f64::from)
    };
    if described.iter().filter(|d| d.inside && d.round).count() >= 3 {
        pick(&|d| d.inside && d.round)
    } else if described.iter().any(|d| d.inside) {
        pick(&|d| d.inside)
    } else {
        pick(&|_| true)
    }
}

/// The value at which half of the total (sum of values) is reached, in increasing order.
fn weighted_median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_unstable_by(f64::total_cmp);
    let total: f64 = values.iter().sum();
    let mut running = 0.0;
    for value in &values {
        running += value;
        if running >= total / 2.0 {
            return Some(*value);
        }
    }
    None
}

/// Nucleus pixels grouped by proximity.
struct NucleusGroup {
    /// The nucleus pixels of the group, raster order.
    runs: Vec<Run>,
    /// Their number.
    area: u64,
}

/// Groups nucleus pieces closer than `reach` pixels (the lobes of a neutrophil), closest pairs
/// first, but never joins two groups that each hold a large piece (at least
/// `settings.white_nucleus`·A: each is the nucleus of a cell of its own, as when two white cells
/// touch) wider together than `nucleus_extent`·d, nor a group of platelet size (at least
/// `granule`·A, no large piece) to a group holding a large piece across more than
/// `lobe_gap`·d when at least half of the straight way between their closest outline corners
/// is background of `cells` (a platelet beside a white cell, not a lobe or granule clump
/// inside it); such a group joins nothing else. Pieces of fewer than `platelet_min`·A / 4
/// pixels (noise) are ignored. Groups come in raster order of their first piece.
fn nucleus_groups(
    nuclei: &GrayImage,
    cells: &GrayImage,
    red_cell_diameter: f64,
    red_cell_area: f64,
    settings: &Settings,
) -> Vec<NucleusGroup> {
    let reach = red_cell_diameter * settings.nucleus_reach;
    let widest = red_cell_diameter * settings.nucleus_extent;
    let smallest = (settings.platelet_min * red_cell_area / 4.0).max(2.0);
    let pieces: Vec<Particle> = find_particles(nuclei, &ParticleOptions::default())
        .into_iter()
        .filter(|piece| piece.pixel_count() as f64 >= smallest)
        .collect();
    let large: Vec<bool> = pieces
        .iter()
        .map(|piece| piece.pixel_count() as f64 >= settings.white_nucleus * red_cell_area)
        .collect();
    let lobe_gap = red_cell_diameter * settings.lobe_gap;
    let granule = settings.granule * red_cell_area;
    // Candidate pairs: bounding boxes within reach, then the distance between outlines (and
    // the closest outline corners).
    let mut pairs: Vec<(f64, usize, usize, Segment)> = Vec::new();
    for (i, a) in pieces.iter().enumerate() {
        for (j, b) in pieces.iter().enumerate().skip(i + 1) {
            if box_gap(a, b) > reach {
                continue;
            }
            let (distance, closest) = outline_distance(a, b);
            if distance <= reach {
                pairs.push((distance, i, j, closest));
            }
        }
    }
    pairs.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)).then(p.2.cmp(&q.2)));
    let mut parent: Vec<usize> = (0..pieces.len()).collect();
    let mut holds_large = large;
    let mut detached = vec![false; pieces.len()];
    let mut areas: Vec<f64> = pieces
        .iter()
        .map(|piece| piece.pixel_count() as f64)
        .collect();
    // Convex hull vertices of each group, for the joined width (largest vertex distance).
    let mut hulls: Vec<Vec<Vertex>> = pieces
        .iter()
        .map(|piece| convex_hull(&piece.outline_vertices().collect::<Vec<_>>()))
        .collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (distance, i, j, closest) in pairs {
        let (a, b) = (root(&mut parent, i), root(&mut parent, j));
        if a == b {
            continue;
        }
        if detached[a] || detached[b] {
            continue;
        }
        // A platelet-sized group beside a large nucleus joins it only as a lobe would.
        let beside = |small: usize, nucleus: usize| {
            holds_large[nucleus] && !holds_large[small] && areas[small] >= granule
        };
        if distance > lobe_gap
            && (beside(a, b) || beside(b, a))
            && background_share(cells, closest) >= 0.5
        {
            // It lies beside the nucleus, not inside its cell: a platelet, which nothing
            // else joins (it must not gather other pieces into a nucleus of its own).
            detached[if holds_large[a] { b } else { a }] = true;
            continue;
        }
        let joined: Vec<Vertex> = convex_hull(&[hulls[a].clone(), hulls[b].clone()].concat());
        if holds_large[a] && holds_large[b] && widest_distance(&joined) > widest {
            continue;
        }
        let (low, high) = (a.min(b), a.max(b));
        parent[high] = low;
        hulls[low] = joined;
        holds_large[low] = holds_large[a] || holds_large[b];
        areas[low] = areas[a] + areas[b];
    }
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for index in 0..pieces.len() {
        let top = root(&mut parent, index);
        members.entry(top).or_default().push(index);
    }
    members
        .into_values()
        .map(|indices| {
            let mut runs: Vec<Run> = indices
                .iter()
                .flat_map(|&index| pieces[index].runs.iter().copied())
                .collect();
            runs.sort_unstable();
            let area = runs.iter().map(|run| u64::from(run.len())).sum();
            NucleusGroup { runs, area }
        })
        .collect()
}

/// The largest distance between two of `points` (the width of their convex hull).
fn widest_distance(points: &[Vertex]) -> f64 {
    let mut best = 0i64;
    for (index, a) in points.iter().enumerate() {
        for b in &points[index + 1..] {
            let (dx, dy) = (i64::from(a.0 - b.0), i64::from(a.1 - b.1));
            best = best.max(dx * dx + dy * dy);
        }
    }
    (best as f64).sqrt()
}

/// The gap between two particles' bounding boxes (0 when they overlap), pixels.
fn box_gap(a: &Particle, b: &Particle) -> f64 {
    let gap = |a0: u32, a1: u32, b0: u32, b1: u32| {
        if a1 <= b0 {
            f64::from(b0 - a1)
        } else if b1 <= a0 {
            f64::from(a0 - b1)
        } else {
            0.0
        }
    };
    let (ab, bb) = (&a.bounds, &b.bounds);
    let dx = gap(ab.x, ab.x + ab.width, bb.x, bb.x + bb.width);
    let dy = gap(ab.y, ab.y + ab.height, bb.y, bb.y + bb.height);
    dx.hypot(dy)
}

/// Two pixel corners (outline vertices), the ends of a straight segment.
pub type Segment = (Vertex, Vertex);

/// The smallest distance between the outline vertices (pixel corners) of two particles, and
/// the two vertices at that distance (the first found in outline order).
pub fn outline_distance(a: &Particle, b: &Particle) -> (f64, Segment) {
    let mut best = (i64::MAX, ((0, 0), (0, 0)));
    for from in a.outline_vertices() {
        for to in b.outline_vertices() {
            let (dx, dy) = (i64::from(from.0 - to.0), i64::from(from.1 - to.1));
            if dx * dx + dy * dy < best.0 {
                best = (dx * dx + dy * dy, (from, to));
            }
        }
    }
    ((best.0 as f64).sqrt(), best.1)
}

/// The share of the pixels along `segment` (two samples per pixel of length, at the middles
/// of equal steps, each in the pixel it falls in) that are background of `cells`: how much of
/// the way between two pieces leads across background rather than through a cell.
pub fn background_share(cells: &GrayImage, segment: Segment) -> f64 {
    let ((x0, y0), (x1, y1)) = segment;
    let (dx, dy) = (f64::from(x1 - x0), f64::from(y1 - y0));
    let samples = ((2.0 * dx.hypot(dy)).ceil() as u32).max(1);
    let (width, height) = cells.dimensions();
    let outside = (0..samples)
        .filter(|&step| {
            let t = (f64::from(step) + 0.5) / f64::from(samples);
            let x = (f64::from(x0) + t * dx)
                .floor()
                .clamp(0.0, f64::from(width - 1)) as u32;
            let y = (f64::from(y0) + t * dy)
                .floor()
                .clamp(0.0, f64::from(height - 1)) as u32;
            cells.get_pixel(x, y).0[0] != OBJECT
        })
        .count();
    outside as f64 / f64::from(samples)
}

/// Pixels within `radius` of an object pixel of `mask` (Euclidean, by ImageJ's distance map
/// of the background).
pub fn within_distance(mask: &GrayImage, radius: f64) -> GrayImage {
    let inverted = GrayImage::from_fn(mask.width(), mask.height(), |x, y| {
        Luma([if mask.get_pixel(x, y).0[0] == OBJECT {
            BACKGROUND
        } else {
            OBJECT
        }])
    });
    let distances = distance_map(&inverted);
    let radius = radius as f32;
    let pixels = distances
        .as_raw()
        .iter()
        .map(|&distance| {
            if distance <= radius {
                OBJECT
            } else {
                BACKGROUND
            }
        })
        .collect();
    GrayImage::from_raw(mask.width(), mask.height(), pixels).expect("same size")
}

/// A white cell's region: its nucleus plus the cell-mask pixels within reach of it that are
/// nearer to it than to any other white nucleus group, as one particle.
fn cell_region(
    group: &NucleusGroup,
    cells: &GrayImage,
    reach: &GrayImage,
    cytoplasm: f64,
) -> Particle {
    // Work in the group's bounding box grown by the reach (plus a margin), so that a field
    // with many white cells does not compute a whole-image distance map per cell. Pixels
    // outside the image are not background for the distance map (`crate::edm`), so the crop
    // gives the same distances as the whole image.
    let (width, height) = cells.dimensions();
    let margin = cytoplasm.ceil() as u32 + 2;
    let left = group.runs.iter().map(|run| run.x_start).min().unwrap_or(0);
    let right = group.runs.iter().map(|run| run.x_end).max().unwrap_or(0);
    let top = group.runs.first().map_or(0, |run| run.y);
    let bottom = group.runs.last().map_or(0, |run| run.y + 1);
    let (x0, y0) = (left.saturating_sub(margin), top.saturating_sub(margin));
    let (x1, y1) = ((right + margin).min(width), (bottom + margin).min(height));
    let own = mask_of_runs(&runs_from(&group.runs, x0, y0), x1 - x0, y1 - y0);
    let near = within_distance(&own, cytoplasm);
    let mask = GrayImage::from_fn(x1 - x0, y1 - y0, |x, y| {
        let (ix, iy) = (x + x0, y + y0);
        let nucleus = own.get_pixel(x, y).0[0] == OBJECT;
        let cytoplasm = near.get_pixel(x, y).0[0] == OBJECT
            && reach.get_pixel(ix, iy).0[0] == OBJECT
            && cells.get_pixel(ix, iy).0[0] == OBJECT;
        Luma([if nucleus || cytoplasm {
            OBJECT
        } else {
            BACKGROUND
        }])
    });
    merged_particle(&mask)
        .expect("the nucleus is in the mask")
        .translated(i64::from(x0), i64::from(y0))
        .expect("crop coordinates lie inside the image")
}

/// The pixels of `runs` (raster order) as one particle, traced in their bounding box only.
fn particle_of_runs(runs: &[Run]) -> Option<Particle> {
    let left = runs.iter().map(|run| run.x_start).min()?;
    let right = runs.iter().map(|run| run.x_end).max()?;
    let (top, bottom) = (runs.first()?.y, runs.last()?.y + 1);
    merged_particle(&mask_of_runs(
        &runs_from(runs, left, top),
        right - left,
        bottom - top,
    ))?
    .translated(i64::from(left), i64::from(top))
}

/// `runs` in the coordinates of a crop whose top-left pixel is (`left`, `top`) (every run lies
/// at or right of `left` and at or below `top`).
fn runs_from(runs: &[Run], left: u32, top: u32) -> Vec<Run> {
    runs.iter()
        .map(|run| Run {
            y: run.y - top,
            x_start: run.x_start - left,
            x_end: run.x_end - left,
        })
        .collect()
}

/// All object pixels of `mask` as one particle (pieces merged: outlines of every piece, runs
/// in raster order), or `None` for an empty mask.
fn merged_particle(mask: &GrayImage) -> Option<Particle> {
    let mut pieces = find_particles(mask, &ParticleOptions::default()).into_iter();
    let mut first = pieces.next()?;
    for piece in pieces {
        first.outlines.extend(piece.outlines);
        first.runs.extend(piece.runs);
        let right = (first.bounds.x + first.bounds.width).max(piece.bounds.x + piece.bounds.width);
        let bottom =
            (first.bounds.y + first.bounds.height).max(piece.bounds.y + piece.bounds.height);
        first.bounds.x = first.bounds.x.min(piece.bounds.x);
        first.bounds.y = first.bounds.y.min(piece.bounds.y);
        first.bounds.width = right - first.bounds.x;
        first.bounds.height = bottom - first.bounds.y;
    }
    first.runs.sort_unstable();
    first.is_rectangle = false;
    Some(first)
}

/// Sets the pixels of `runs` in `mask` to `value`.
fn paint(mask: &mut GrayImage, runs: &[Run], value: u8) {
    for run in runs {
        for x in run.x_start..run.x_end {
            mask.put_pixel(x, run.y, Luma([value]));
        }
    }
}

fn mask_of_runs(runs: &[Run], width: u32, height: u32) -> GrayImage {
    let mut mask = GrayImage::new(width, height);
    paint(&mut mask, runs, OBJECT);
    mask
}

/// The number of red cells in a piece of `size` pixels: 1 for a piece up to 1.5 red cells,
/// else 1 plus the rest of its area in units of `overlap_share`·`red_cell_area`, rounded.
fn red_cells_in(size: f64, red_cell_area: f64, overlap_share: f64) -> u32 {
    if size <= 1.5 * red_cell_area {
        return 1;
    }
    let more = (size - red_cell_area) / (overlap_share * red_cell_area);
    1 + more.round().max(1.0) as u32
}

/// Number of object pixels of `mask` under `runs`.
fn pixels_in(mask: &GrayImage, runs: &[Run]) -> usize {
    runs.iter()
        .map(|run| {
            (run.x_start..run.x_end)
                .filter(|&x| mask.get_pixel(x, run.y).0[0] == OBJECT)
                .count()
        })
        .sum()
}

/// The object pixels of `mask` under `runs`, as runs in raster order.
fn runs_within(mask: &GrayImage, runs: &[Run]) -> Vec<Run> {
    let mut within = Vec::new();
    for run in runs {
        let mut start = None;
        for x in run.x_start..=run.x_end {
            let object = x < run.x_end && mask.get_pixel(x, run.y).0[0] == OBJECT;
            match (object, start) {
                (true, None) => start = Some(x),
                (false, Some(first)) => {
                    within.push(Run {
                        y: run.y,
                        x_start: first,
                        x_end: x,
                    });
                    start = None;
                }
                _ => {}
            }
        }
    }
    within
}

/// The median total optical density of the pixels of `cells` (0 when there are none).
fn median_cell_density(maps: &StainMaps, cells: &GrayImage) -> f32 {
    median(
        maps.density
            .iter()
            .zip(cells.as_raw())
            .filter(|(_, &mask)| mask == OBJECT)
            .map(|(&density, _)| density)
            .collect(),
    )
    .unwrap_or(0.0)
}

/// Whether any pixel of `run` is an object pixel of `mask`.
fn covers(mask: &GrayImage, run: &Run) -> bool {
    (run.x_start..run.x_end).any(|x| mask.get_pixel(x, run.y).0[0] == OBJECT)
}

/// The median (lower middle for even counts) of finite values, `None` when empty: the value
/// a sort would put in the middle, found without sorting (the cell density's median runs over
/// every cell pixel of a field).
fn median(mut values: Vec<f32>) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    let middle = (values.len() - 1) / 2;
    Some(*values.select_nth_unstable_by(middle, f32::total_cmp).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(y: u32, x_start: u32, x_end: u32) -> Run {
        Run { y, x_start, x_end }
    }

    #[test]
    fn reduced_runs_keep_the_pixels_whose_block_centre_they_hold() {
        // Factor 2, centres at 1, 3, 5...: row 0 is no centre row; row 1's x 1..5 holds the
        // centres of small pixels 0 and 1; x 5..6 on the same row holds small pixel 2 and
        // joins them; row 3's x 2..3 holds no centre (3 is not in 2..3).
        let runs = [run(0, 0, 9), run(1, 1, 5), run(1, 5, 6), run(3, 2, 3)];
        assert_eq!(reduced_runs(&runs, 2), [run(0, 0, 3)]);
        // Factor 3, centres at 1, 4, 7: row 4 (small row 1), x 0..3 holds only centre 1.
        assert_eq!(reduced_runs(&[run(4, 0, 3)], 3), [run(1, 0, 1)]);
        // Any mask enlarged by blocks reduces back to itself.
        let small = [run(0, 2, 5), run(1, 0, 1), run(1, 3, 7), run(2, 4, 5)];
        for factor in 1..=4 {
            let blocks: Vec<Run> = small
                .iter()
                .flat_map(|r| {
                    (0..factor)
                        .map(move |dy| run(r.y * factor + dy, r.x_start * factor, r.x_end * factor))
                })
                .collect();
            let mut sorted = blocks.clone();
            sorted.sort_unstable();
            assert_eq!(reduced_runs(&sorted, factor), small, "factor {factor}");
        }
    }

    #[test]
    fn a_detection_too_small_for_any_block_centre_keeps_one_pixel() {
        // A 1 x 1 piece at (8, 9) of an image enlarged 4x (centres at 2, 6, 10): no centre.
        let particle = particle_of_runs(&[run(9, 8, 9)]).unwrap();
        let detection = Detection {
            kind: Kind::Platelet,
            particle,
            cells: 1,
            nucleus: Vec::new(),
        };
        let reduced = detection.reduced(4);
        assert_eq!(reduced.particle.runs, [run(2, 2, 3)]);
        assert_eq!(reduced.particle.pixel_count(), 1);
    }

    #[test]
    fn runs_within_keeps_the_object_pixels_of_each_run() {
        let mut mask = GrayImage::new(8, 2);
        for x in [2, 3, 4, 6] {
            mask.put_pixel(x, 1, Luma([OBJECT]));
        }
        let run = |y, x_start, x_end| Run { y, x_start, x_end };
        let within = runs_within(&mask, &[run(0, 0, 8), run(1, 0, 8), run(1, 3, 7)]);
        assert_eq!(
            within,
            [run(1, 2, 5), run(1, 6, 7), run(1, 3, 5), run(1, 6, 7)]
        );
    }

    #[test]
    fn median_is_the_lower_middle_of_the_sorted_values() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![5.0]), Some(5.0));
        assert_eq!(median(Vec::new()), None);
        // Against a sort, on values with many ties.
        let mut state = 12345u32;
        let values: Vec<f32> = (0..1001)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as f32 / 7.0
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f32::total_cmp);
        assert_eq!(median(values), Some(sorted[500]));
    }

    /// A mask of `width` x `height` with object pixels where `object(x, y)`.
    fn mask(width: u32, height: u32, object: impl Fn(u32, u32) -> bool) -> GrayImage {
        GrayImage::from_fn(width, height, |x, y| {
            Luma([if object(x, y) { OBJECT } else { BACKGROUND }])
        })
    }

    #[test]
    fn background_share_counts_the_way_across_background() {
        // Row 2 of a 10 x 5 mask: pixels 0-3 are cell, 4-9 background. The segment from the
        // corner (0, 2) to (10, 2) runs along the top edge of row 2: 20 samples, 8 of them in
        // pixels 0-3.
        let cells = mask(10, 5, |x, _| x < 4);
        assert_eq!(background_share(&cells, ((0, 2), (10, 2))), 0.6);
        // A diagonal from (0, 0) to (4, 4) crosses pixels (k, k), all cell.
        assert_eq!(background_share(&cells, ((0, 0), (4, 4))), 0.0);
        // Reversed, the same way.
        assert_eq!(background_share(&cells, ((10, 2), (0, 2))), 0.6);
        // A segment of length 0 looks at the one pixel it points to.
        assert_eq!(background_share(&cells, ((6, 1), (6, 1))), 1.0);
    }

    #[test]
    fn outline_distance_is_between_the_closest_corners() {
        // Two 2 x 2 squares, at x 0-1 and x 5-6 of row 0-1: their outlines (pixel corners)
        // are 3 apart, at x = 2 and x = 5.
        let pieces = find_particles(
            &mask(8, 3, |x, y| y < 2 && (x < 2 || (5..7).contains(&x))),
            &ParticleOptions::default(),
        );
        assert_eq!(pieces.len(), 2);
        let (distance, ((x0, _), (x1, _))) = outline_distance(&pieces[0], &pieces[1]);
        assert_eq!(distance, 3.0);
        assert_eq!((x0, x1), (2, 5));
    }
}
