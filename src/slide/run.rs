//! The slide driver: tiles in parallel, bounded memory, checkpoints.
//!
//! For each slide:
//!
//! 1. **Statistics** (only if the analysis needs them): every tile core is read once and its
//!    counters (e.g. a stain histogram) are added up; the sum gives the slide-wide parameters,
//!    saved in the checkpoint.
//! 2. **Cells**: every tile is read with its overlap (its *window*), its foreground made and
//!    holes filled, and its components labelled. A component belongs to the tile whose core holds
//!    its first pixel (raster order). An owned component that does not touch the window's border
//!    (other than the slide's border) is analysed from the window. One that does is read again
//!    from a larger region around it, grown until the component lies inside it, at most
//!    `max_component` pixels wide and high (`regrow`); larger components are skipped with a
//!    warning.
//! 3. The results of each batch of tiles are written to the checkpoint as soon as the batch is
//!    complete; then `merge::finalize` writes `cells.csv`, `counts.csv` and the overview.
//!
//! Workers (one more than the pool's threads) are threads of their own that take tiles in
//! row-major order from a shared counter and run each tile inside the rayon pool (see
//! `run_pool` for why they are not pool tasks, and why one more); each
//! holds one window (plus at most one grown region) at a time, and completed results wait only
//! for their batch, which is never more than a few batches ahead of the oldest unfinished one. A
//! slide small enough (`kept_slide_budget`) is kept decoded by the first pass for the second,
//! so that it is decoded once. Peak memory is therefore set by the tile size, the overlap,
//! `max_component` and the number of threads, not by the size of the slide.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};

use image::{GrayImage, RgbImage};
use rayon::prelude::*;

use super::analysis::{
    analyse_window_component, Analysis, AnalysisError, ComponentCells, ComponentFailure,
};
use super::checkpoint::{
    Checkpoint, CheckpointError, ComponentSummary, RegionQuery, RunInfo, SlideIdentity, TileResult,
    TileSummary, FORMAT,
};
use super::components::{foreground_components, BackgroundLabels, Component};
use super::merge::{finalize, FinalizeError, SlideParts};
use super::overview::{OverviewBlock, OverviewGeometry};
use super::reader::{copy_part, SlideReadError, SlideReader};
use super::shard::Shard;
use super::tiles::{GridError, Rect, Sides, TileGrid};
use crate::measure::Run;
use crate::morphology::fill_holes;

/// Settings of a slide run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlideOptions {
    /// Core size of the tiles, in pixels.
    pub tile: u32,
    /// Overlap added on each side of a core; should exceed the largest cell.
    pub overlap: u32,
    /// Worker threads (0 = one per CPU core).
    pub threads: usize,
    /// Largest component (width or height, in pixels) analysed whole; larger ones are skipped.
    pub max_component: u32,
    /// Tiles per checkpoint batch.
    pub batch: usize,
    /// Continue a run found in the output folder.
    pub resume: bool,
    /// Only this shard's part of the work.
    pub shard: Option<Shard>,
    /// The memory a slide that is not a TIFF may take to decode whole (it is refused, before
    /// the run starts, when it would need more: [`SlideReader::check_memory`]); `None`: not
    /// checked.
    pub memory_limit: Option<crate::memory::Limit>,
}

impl Default for SlideOptions {
    fn default() -> Self {
        SlideOptions {
            tile: 2048,
            overlap: 256,
            threads: 0,
            max_component: 4096,
            batch: 8,
            resume: false,
            shard: None,
            memory_limit: None,
        }
    }
}

/// A run that finds the cells of a sample of each large slide only (the red-cell run,
/// [`crate::slide::count::measure_red_cell_areas`]): a slide of more than `budget` pixels is
/// cut into a grid of its own, `tile`-pixel cores with the run's overlap (whatever the run's
/// `--tile`), of which every k-th tile in diagonal order ([`TileGrid::diagonal_sample`]) is
/// analysed, k = ⌈slide pixels / budget⌉: about `budget` pixels spread over the slide. The
/// statistics pass still reads every tile. Cells are owned as in any run (by their first
/// pixel, grown beyond the window where needed), so the sample's cells do not depend on
/// `--tile`, the threads or a resume. A slide of at most `budget` pixels is analysed whole,
/// with the run's tiles, exactly as without sampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampling {
    /// Largest slide analysed whole, in pixels.
    pub budget: u64,
    /// Core size of the sample's grid.
    pub tile: u32,
}

impl Sampling {
    /// The sample's grid and tiles of a `width` × `height` slide, or `None` if the slide is
    /// analysed whole.
    pub fn tiles(
        &self,
        width: u32,
        height: u32,
        overlap: u32,
    ) -> Result<Option<(TileGrid, Vec<usize>)>, GridError> {
        let pixels = u64::from(width) * u64::from(height);
        if pixels <= self.budget {
            return Ok(None);
        }
        let grid = TileGrid::new(width, height, self.tile, overlap)?;
        let every = pixels.div_ceil(self.budget.max(1));
        Ok(Some((grid, grid.diagonal_sample(every as usize))))
    }
}

/// The stage a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// First pass: slide-wide statistics.
    Statistics,
    /// Second pass: cells.
    Cells,
}

/// Receives progress from a run (the command line shows a progress bar).
pub trait Progress: Sync {
    /// A stage of a slide starts: `tiles` tiles of `pixels` pixels in total are to be done.
    fn start(&self, _slide: &str, _stage: Stage, _tiles: usize, _pixels: u64) {}
    /// A tile is done: its core's pixels and the cells found.
    fn tile(&self, _pixels: u64, _cells: u64) {}
    /// The stage is over.
    fn finish(&self) {}
    /// Something the user should know (e.g. a skipped component).
    fn warn(&self, _message: &str) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Why a slide run failed.
#[derive(Debug, thiserror::Error)]
pub enum SlideError {
    /// The slide could not be read.
    #[error(transparent)]
    Read(#[from] SlideReadError),
    /// The tile grid is impossible.
    #[error(transparent)]
    Grid(#[from] GridError),
    /// A checkpoint could not be used.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The analysis could not be set up.
    #[error("{slide}: {source}")]
    Analysis {
        /// The slide.
        slide: String,
        /// What went wrong.
        #[source]
        source: AnalysisError,
    },
    /// A component could not be analysed: the run stops, and no `cells.csv` or `counts.csv` is
    /// written (the checkpoints of the tiles done are kept).
    #[error("{slide}: {source}")]
    Component {
        /// The slide.
        slide: String,
        /// What went wrong, and where.
        #[source]
        source: ComponentFailure,
    },
    /// The outputs could not be written.
    #[error(transparent)]
    Finalize(#[from] FinalizeError),
    /// Two slides would write to the same place.
    #[error("two slides are named {0:?}; slide names (file names without extension) must differ")]
    DuplicateName(String),
    /// Settings that cannot work.
    #[error("{0}")]
    Settings(String),
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// Why not.
        reason: String,
    },
    /// The output folder could not be made.
    #[error("cannot create {path}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    /// Slides processed by this run (this shard's share).
    pub slides: Vec<String>,
    /// Whether the final outputs were written (false for a shard of one slide's tiles, which
    /// `hemato merge` completes).
    pub finalized: bool,
    /// Cells written to `cells.csv`.
    pub cells: u64,
    /// Pixels analysed.
    pub pixels: u64,
    /// Components skipped for being larger than `max_component`.
    pub oversized: usize,
}

/// The name of a slide in outputs: its file name without the extension.
pub fn slide_id(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "slide".to_string());
    for suffix in [".ome.tiff", ".ome.tif"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return stem.to_string();
        }
    }
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => name,
    }
}

/// The checkpoint folder of slide `id` under `outdir`.
pub fn parts_dir(outdir: &Path, id: &str) -> PathBuf {
    outdir.join("parts").join(id)
}

/// Runs `analysis` on `slides`, writing `cells.csv`, `counts.csv` and the overviews into
/// `outdir` (see the module documentation).
pub fn run_slides<A: Analysis>(
    analysis: &A,
    slides: &[PathBuf],
    outdir: &Path,
    options: &SlideOptions,
    progress: &dyn Progress,
) -> Result<RunReport, SlideError> {
    run_slides_handing_over(
        analysis,
        slides,
        outdir,
        options,
        progress,
        &mut Handover::default(),
    )
}

/// What one run over a list of slides hands to the next run over the same slides (the
/// red-cell run to the count run, [`crate::slide::count`]), so that the next run does not
/// read and count every pixel again: where the earlier run's checkpoints hold each slide's
/// statistics (used when both analyses share them, [`Analysis::shared_statistics`], and the
/// earlier run's first pass of that very slide file is complete), and the last slide the
/// earlier run held decoded in memory (used if the next run starts with it, dropped
/// otherwise, so it never waits in memory beside other slides).
///
/// The statistics are the same counters the next run would add up, so the parameters are
/// the same, whatever the tiling of either run.
#[derive(Debug, Default)]
pub struct Handover {
    /// The earlier run's output folder and the name of its statistics.
    statistics: Option<(PathBuf, &'static str)>,
    /// The last slide the earlier run held in memory.
    kept: Option<(PathBuf, Arc<RgbImage>)>,
}

impl Handover {
    /// The statistics of the slide of `info` from the earlier run, if they can be used (see
    /// the type's docs).
    fn statistics<A: Analysis>(
        &self,
        analysis: &A,
        info: &RunInfo,
    ) -> Result<Option<Vec<u64>>, SlideError> {
        let Some((outdir, name)) = &self.statistics else {
            return Ok(None);
        };
        if analysis.shared_statistics() != Some(*name) {
            return Ok(None);
        }
        let dir = parts_dir(outdir, &info.slide.id);
        if !dir.join("run.json").exists() {
            return Ok(None);
        }
        let (checkpoint, earlier) = Checkpoint::open(&dir)?;
        if earlier.slide != info.slide || !checkpoint.has_parameters() {
            return Ok(None);
        }
        let grid = TileGrid::new(
            earlier.slide.width,
            earlier.slide.height,
            earlier.tile,
            earlier.overlap,
        )?;
        let (tiles, statistics) = checkpoint.statistics(analysis.statistics_len())?;
        Ok((tiles.len() == grid.len()).then_some(statistics))
    }

    /// The earlier run's decoded pixels of `path`, if it held them last.
    fn take_kept(&mut self, path: &Path) -> Option<Arc<RgbImage>> {
        self.kept
            .take()
            .filter(|(kept, _)| kept == path)
            .map(|(_, image)| image)
    }
}

/// [`run_slides`], taking what an earlier run over the same slides left in `handover` and
/// leaving there what this run hands to the next one ([`Handover`]).
pub fn run_slides_handing_over<A: Analysis>(
    analysis: &A,
    slides: &[PathBuf],
    outdir: &Path,
    options: &SlideOptions,
    progress: &dyn Progress,
    handover: &mut Handover,
) -> Result<RunReport, SlideError> {
    run_sampled_slides(analysis, slides, outdir, options, None, progress, handover)
}

/// [`run_slides_handing_over`] that finds cells only in a sample of each slide larger than
/// `sampling`'s budget ([`Sampling`]); `None`: in every tile.
pub fn run_sampled_slides<A: Analysis>(
    analysis: &A,
    slides: &[PathBuf],
    outdir: &Path,
    options: &SlideOptions,
    sampling: Option<Sampling>,
    progress: &dyn Progress,
    handover: &mut Handover,
) -> Result<RunReport, SlideError> {
    let mut earlier = std::mem::take(handover);
    if options.tile < 16 {
        return Err(SlideError::Settings(format!(
            "--tile {} is too small; use at least 16 pixels",
            options.tile
        )));
    }
    if options.max_component < 1 {
        return Err(SlideError::Settings(
            "--max-component must be at least 1".into(),
        ));
    }
    let mut names = BTreeSet::new();
    for path in slides {
        let id = slide_id(path);
        if !names.insert(id.clone()) {
            return Err(SlideError::DuplicateName(id));
        }
    }
    // A slide this run would refuse for memory is refused before anything is written or any
    // slide processed.
    for (position, path) in slides.iter().enumerate() {
        if is_this_shards_slide(options.shard, slides.len(), position) {
            SlideReader::check_memory(path, options.memory_limit)?;
        }
    }
    std::fs::create_dir_all(outdir).map_err(|source| SlideError::CreateDir {
        path: outdir.to_path_buf(),
        source,
    })?;
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|error| SlideError::Threads {
            threads,
            reason: error.to_string(),
        })?;
    let tile_shard = options.shard.filter(|_| slides.len() == 1);
    let mut report = RunReport::default();
    let mut parts = Vec::new();
    for (position, path) in slides.iter().enumerate() {
        if !is_this_shards_slide(options.shard, slides.len(), position) {
            continue;
        }
        let slide = process_slide(
            analysis,
            &pool,
            threads,
            path,
            position,
            outdir,
            options,
            sampling,
            tile_shard,
            progress,
            &mut earlier,
        )?;
        // Only the last slide's pixels are handed over (see `Handover`).
        earlier.kept = None;
        handover.kept = slide.kept.map(|image| (path.clone(), image));
        report.slides.push(slide.id.clone());
        report.pixels += slide.pixels;
        parts.push(slide.parts);
    }
    handover.statistics = analysis
        .shared_statistics()
        .map(|name| (outdir.to_path_buf(), name));
    if tile_shard.is_none() {
        let summary = finalize(&parts, outdir)?;
        report.finalized = true;
        report.cells = summary.cells;
        report.oversized = summary.oversized;
    }
    Ok(report)
}

struct ProcessedSlide {
    id: String,
    pixels: u64,
    parts: SlideParts,
    /// The slide's pixels, when the run held them decoded (for [`Handover`]).
    kept: Option<Arc<RgbImage>>,
}

/// Reads `rect` in bands of whole rows of the file's chunks (at least 256 slide rows), in
/// parallel (each band with a reader of its own), returning each band with its pixels.
fn read_bands(reader: &SlideReader, rect: Rect) -> Result<Vec<(Rect, RgbImage)>, SlideError> {
    let chunk_rows = reader.chunk_rows().max(1);
    let rows = chunk_rows * 256u32.div_ceil(chunk_rows);
    let mut bands = Vec::new();
    let mut top = rect.y;
    while top < rect.bottom() {
        let bottom = ((top / rows + 1) * rows).min(rect.bottom());
        bands.push(Rect::new(rect.x, top, rect.width, bottom - top));
        top = bottom;
    }
    bands
        .into_par_iter()
        .map(|band| {
            let rgb = reader.reopen()?.read(band)?;
            Ok((band, rgb))
        })
        .collect()
}

/// Bytes of a slide's RGB pixels.
fn slide_bytes(width: u32, height: u32) -> u64 {
    u64::from(width) * u64::from(height) * 3
}

/// The largest slide (bytes of RGB) that the first pass keeps decoded for the second: 64 MiB,
/// or the RGB windows of two tiles per thread if that is more. The second pass holds several
/// times as much per thread (window, masks, labels) anyway, so keeping the slide raises peak
/// memory by at most a fraction of it, and slides larger than this are read twice with the peak
/// memory unchanged.
fn kept_slide_budget(options: &SlideOptions, threads: usize) -> u64 {
    let window = u64::from(options.tile) + 2 * u64::from(options.overlap);
    let windows = 2 * threads as u64 * slide_bytes(1, 1) * window * window;
    windows.max(64 << 20)
}

/// Splits tiles (sorted) into batches of at most `size` consecutive tiles of one grid row.
fn batches(tiles: &[usize], columns: usize, size: usize) -> Vec<Vec<usize>> {
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for &tile in tiles {
        match batches.last_mut() {
            Some(batch)
                if batch.len() < size.max(1)
                    && batch.last() == Some(&(tile - 1))
                    && tile / columns == batch[0] / columns =>
            {
                batch.push(tile)
            }
            _ => batches.push(vec![tile]),
        }
    }
    batches
}

/// Whether slide `position` of a list of `slides` is this run's: every slide without a shard,
/// and with one, the shard's share of a list (a single slide's tiles are shared instead).
fn is_this_shards_slide(shard: Option<Shard>, slides: usize, position: usize) -> bool {
    match shard {
        Some(shard) if slides > 1 => shard.has_slide(position),
        _ => true,
    }
}

#[allow(clippy::too_many_arguments)]
fn process_slide<A: Analysis>(
    analysis: &A,
    pool: &rayon::ThreadPool,
    threads: usize,
    path: &Path,
    position: usize,
    outdir: &Path,
    options: &SlideOptions,
    sampling: Option<Sampling>,
    tile_shard: Option<Shard>,
    progress: &dyn Progress,
    earlier: &mut Handover,
) -> Result<ProcessedSlide, SlideError> {
    let mut reader = SlideReader::open(path)?;
    let (width, height) = reader.dimensions();
    let sampled = sampling
        .map(|sampling| sampling.tiles(width, height, options.overlap))
        .transpose()?
        .flatten();
    let (grid, sample) = match sampled {
        Some((grid, tiles)) => (grid, Some(tiles)),
        None => (
            TileGrid::new(width, height, options.tile, options.overlap)?,
            None,
        ),
    };
    let id = slide_id(path);
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let info = RunInfo {
        format: FORMAT,
        slide: SlideIdentity {
            path: path.display().to_string(),
            id: id.clone(),
            position,
            width,
            height,
            bytes,
        },
        tile: grid.tile_size(),
        overlap: options.overlap,
        batch: options.batch,
        max_component: options.max_component,
        analysis: analysis.settings(),
        classes: analysis.classes(),
        columns: analysis.columns(),
        overview: OverviewGeometry::new(width, height),
        sample: sample.clone(),
    };
    let dir = parts_dir(outdir, &id);
    let checkpoint = Checkpoint::prepare(&dir, &info, options.resume)?;
    let analysis_error = |source| SlideError::Analysis {
        slide: id.clone(),
        source,
    };
    let all_tiles: Vec<usize> = (0..grid.len()).collect();
    let columns = grid.columns() as usize;

    // Pass 1: slide-wide statistics and parameters.
    let parameters: A::Parameters = match checkpoint.parameters::<A::Parameters>()? {
        Some(parameters) => parameters,
        None => {
            let len = analysis.statistics_len();
            let handed = match earlier.statistics(analysis, &info)? {
                Some(statistics) => {
                    if let Some(image) = earlier.take_kept(path) {
                        reader = SlideReader::from_shared(path, image);
                    }
                    Some(statistics)
                }
                None => None,
            };
            if len > 0 && handed.is_none() {
                let (done, _) = checkpoint.statistics(len)?;
                let pending: Vec<usize> = all_tiles
                    .iter()
                    .copied()
                    .filter(|t| !done.contains(t))
                    .collect();
                let pixels: u64 = pending.iter().map(|&t| grid.tile(t).core.area()).sum();
                progress.start(&id, Stage::Statistics, pending.len(), pixels);
                // A small slide read from a file is kept whole, so that the second pass does
                // not decode it again.
                let keep = done.is_empty()
                    && !reader.is_in_memory()
                    && slide_bytes(width, height) <= kept_slide_budget(options, threads);
                let mut whole = keep.then(|| RgbImage::new(width, height));
                let slide_rect = Rect::new(0, 0, width, height);
                run_pool(
                    pool,
                    threads,
                    &reader,
                    &batches(&pending, columns, options.batch),
                    |reader, tile| {
                        let core = grid.tile(tile).core;
                        let mut counts = vec![0u64; len];
                        let kept = if keep {
                            // Few tiles: read each core in bands in parallel, so that one
                            // large tile does not leave the other threads idle.
                            let bands = read_bands(reader, core)?;
                            for (_, rgb) in &bands {
                                analysis.add_statistics(rgb, &mut counts);
                            }
                            bands
                        } else {
                            let rgb = reader.read(core)?;
                            analysis.add_statistics(&rgb, &mut counts);
                            Vec::new()
                        };
                        progress.tile(core.area(), 0);
                        Ok((counts, kept))
                    },
                    |tiles, results| {
                        let mut sum = vec![0u64; len];
                        for (counts, bands) in results {
                            for (total, count) in sum.iter_mut().zip(counts) {
                                *total += count;
                            }
                            if let Some(whole) = whole.as_mut() {
                                for (band, rgb) in bands {
                                    copy_part(rgb.as_raw(), band, band, slide_rect, whole);
                                }
                            }
                        }
                        checkpoint.write_statistics(tiles, &sum)?;
                        Ok(())
                    },
                )?;
                progress.finish();
                if let Some(whole) = whole {
                    reader = SlideReader::from_image(path, whole);
                }
            }
            let statistics = match handed {
                Some(statistics) => statistics,
                None => checkpoint.statistics(len)?.1,
            };
            let parameters = analysis
                .parameters(&id, &statistics)
                .map_err(analysis_error)?;
            checkpoint.write_parameters(&parameters)?;
            parameters
        }
    };

    // Pass 2: cells.
    let mut mine: Vec<usize> = match tile_shard {
        Some(shard) => shard.range(grid.len()).collect(),
        None => all_tiles,
    };
    if let Some(sample) = &sample {
        mine.retain(|tile| sample.binary_search(tile).is_ok());
    }
    let done = checkpoint.finished_tiles()?;
    let pending: Vec<usize> = mine.iter().copied().filter(|t| !done.contains(t)).collect();
    let pixels: u64 = mine.iter().map(|&t| grid.tile(t).core.area()).sum();
    let pending_pixels: u64 = pending.iter().map(|&t| grid.tile(t).core.area()).sum();
    let context = TileContext {
        slide: &id,
        analysis,
        parameters: &parameters,
        context: analysis.context(&parameters),
        grid,
        max_component: options.max_component,
        overview: info.overview,
    };
    progress.start(&id, Stage::Cells, pending.len(), pending_pixels);
    run_pool(
        pool,
        threads,
        &reader,
        &batches(&pending, columns, options.batch),
        |reader, tile| {
            let result = process_tile(&context, reader, tile)?;
            for &(x, y) in &result.summary.oversized {
                progress.warn(&format!(
                    "{id}: the component at pixel ({x}, {y}) is larger than --max-component {} \
                     pixels (or joins one that is) and was not analysed",
                    options.max_component
                ));
            }
            let cells: usize = result.cells.iter().map(Vec::len).sum();
            progress.tile(context.grid.tile(tile).core.area(), cells as u64);
            Ok(result)
        },
        |_, results| {
            checkpoint.write_batch(&results)?;
            Ok(())
        },
    )?;
    progress.finish();
    let kept = reader
        .shared_image()
        .filter(|_| slide_bytes(width, height) <= kept_slide_budget(options, threads));
    Ok(ProcessedSlide {
        id,
        pixels,
        parts: SlideParts {
            info,
            dirs: vec![dir],
        },
        kept,
    })
}

/// How far the workers may run ahead: the oldest batch not yet complete, and whether the run
/// is being abandoned. Workers wait on the condition variable; the collecting thread wakes
/// them when either changes.
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

struct GateState {
    oldest_open: usize,
    abort: bool,
}

impl Gate {
    fn new() -> Gate {
        Gate {
            state: Mutex::new(GateState {
                oldest_open: 0,
                abort: false,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        // A worker that panicked holds no invariant of the state: keep using it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until `batch` is less than `max_ahead` batches after the oldest open one; `false`
    /// if the run is abandoned.
    fn wait_for(&self, batch: usize, max_ahead: usize) -> bool {
        let mut state = self.lock();
        while batch >= state.oldest_open + max_ahead && !state.abort {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        !state.abort
    }

    fn aborted(&self) -> bool {
        self.lock().abort
    }

    fn abort(&self) {
        self.lock().abort = true;
        self.changed.notify_all();
    }

    fn advance(&self, oldest_open: usize) {
        self.lock().oldest_open = oldest_open;
        self.changed.notify_all();
    }
}

/// Abandons the run if a worker thread unwinds (a panic in the analysis), so that the other
/// workers stop waiting for batches that will never complete; the panic then surfaces when the
/// threads are joined.
struct AbortOnPanic<'a>(&'a Gate);

impl Drop for AbortOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.abort();
        }
    }
}

/// Runs `work` on every tile of `batches` with `threads + 1` workers, each with its own reader,
/// and hands each batch's results (in tile order) to `done` as soon as the batch is complete.
///
/// One worker more than the pool has threads: a tile's last clusters (a large clump is analysed
/// on one thread) leave a pool thread idle while its worker waits for them, unless another tile
/// is under way to give it work. With as many workers as threads, the 88 MP mosaic ran 14 % of
/// the time on one core; one more worker took the wall time 6 % down for 15 % more peak memory
/// (a third window), and a fourth gained nothing more (docs/slides.md, "Speed").
///
/// Each worker is a thread of its own that takes tiles in order and runs `work` inside `pool`
/// (whose threads also run the parallel loops within a tile). Waiting (for the batches to
/// catch up) happens only on these worker threads, never on a pool thread: a pool thread that
/// waits for other work while it steals jobs could run a worker's loop on top of an unfinished
/// tile of the batch it waits for, and wait forever.
fn run_pool<T, W, D>(
    pool: &rayon::ThreadPool,
    threads: usize,
    reader: &SlideReader,
    batches: &[Vec<usize>],
    work: W,
    mut done: D,
) -> Result<(), SlideError>
where
    T: Send,
    W: Fn(&mut SlideReader, usize) -> Result<T, SlideError> + Sync,
    D: FnMut(&[usize], Vec<T>) -> Result<(), SlideError>,
{
    if batches.is_empty() {
        return Ok(());
    }
    let jobs: Vec<(usize, usize, usize)> = batches
        .iter()
        .enumerate()
        .flat_map(|(batch, tiles)| {
            tiles
                .iter()
                .enumerate()
                .map(move |(slot, &tile)| (batch, slot, tile))
        })
        .collect();
    let workers = (threads + 1).min(jobs.len()).max(1);
    let readers = (0..workers)
        .map(|_| reader.reopen())
        .collect::<Result<Vec<_>, _>>()?;
    // Workers may run at most this many batches ahead of the oldest unfinished one.
    let max_ahead = 2 + workers;
    let next = AtomicUsize::new(0);
    let gate = Gate::new();
    let (sender, receiver) = mpsc::channel::<(usize, usize, Result<T, SlideError>)>();
    std::thread::scope(|scope| {
        for mut reader in readers {
            let sender = sender.clone();
            let (jobs, next, gate, work) = (&jobs, &next, &gate, &work);
            scope.spawn(move || {
                let _guard = AbortOnPanic(gate);
                loop {
                    if gate.aborted() {
                        break;
                    }
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(batch, slot, tile)) = jobs.get(job) else {
                        break;
                    };
                    if !gate.wait_for(batch, max_ahead) {
                        break;
                    }
                    let result = pool.install(|| work(&mut reader, tile));
                    if sender.send((batch, slot, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut slots: Vec<Vec<Option<T>>> = batches
            .iter()
            .map(|tiles| tiles.iter().map(|_| None).collect())
            .collect();
        let mut missing: Vec<usize> = batches.iter().map(Vec::len).collect();
        let mut complete = vec![false; batches.len()];
        let mut oldest = 0;
        let mut failure: Option<SlideError> = None;
        for (batch, slot, result) in receiver {
            if failure.is_some() {
                continue;
            }
            let value = match result {
                Ok(value) => value,
                Err(error) => {
                    gate.abort();
                    failure = Some(error);
                    continue;
                }
            };
            slots[batch][slot] = Some(value);
            missing[batch] -= 1;
            if missing[batch] > 0 {
                continue;
            }
            let values: Vec<T> = slots[batch]
                .iter_mut()
                .map(|value| value.take().expect("every slot filled"))
                .collect();
            if let Err(error) = done(&batches[batch], values) {
                gate.abort();
                failure = Some(error);
                continue;
            }
            complete[batch] = true;
            while oldest < complete.len() && complete[oldest] {
                oldest += 1;
            }
            gate.advance(oldest);
        }
        failure.map_or(Ok(()), Err)
    })
}

/// What every tile of a slide needs.
struct TileContext<'a, A: Analysis> {
    /// The slide's name (for messages).
    slide: &'a str,
    analysis: &'a A,
    parameters: &'a A::Parameters,
    /// [`Analysis::context`]: the margin a component needs around its box.
    context: u32,
    grid: TileGrid,
    max_component: u32,
    overview: OverviewGeometry,
}

impl<A: Analysis> TileContext<'_, A> {
    fn slide_size(&self) -> (u32, u32) {
        (self.grid.width(), self.grid.height())
    }

    /// The run's error for a component that could not be analysed.
    fn failed(&self, source: ComponentFailure) -> SlideError {
        SlideError::Component {
            slide: self.slide.to_string(),
            source,
        }
    }

    /// Whether a component whose box is `bounds` (slide coordinates) lies inside `region` with
    /// its context margin (clipped to the slide), so that it can be analysed from `region`.
    fn fits(&self, bounds: Rect, region: Rect) -> bool {
        let (width, height) = self.slide_size();
        region.contains_rect(&bounds.grown(Sides::all(self.context), width, height))
    }

    /// Foreground (unfilled) and the mask whose components are analysed (filled if asked).
    fn masks(&self, rgb: &RgbImage) -> (GrayImage, Option<GrayImage>) {
        let foreground = self.analysis.foreground(rgb, self.parameters);
        let filled = self.analysis.fills_holes().then(|| fill_holes(&foreground));
        (foreground, filled)
    }
}

/// A component in slide coordinates, remembered so that its other pixels are not grown again.
struct KnownComponent {
    bounds: Rect,
    component: Component,
}

impl KnownComponent {
    fn new(component: &Component, origin: (u32, u32)) -> KnownComponent {
        let runs = component
            .runs
            .iter()
            .map(|run| Run {
                y: run.y + origin.1,
                x_start: run.x_start + origin.0,
                x_end: run.x_end + origin.0,
            })
            .collect();
        let bounds = Rect::new(
            component.bounds.x + origin.0,
            component.bounds.y + origin.1,
            component.bounds.width,
            component.bounds.height,
        );
        KnownComponent {
            bounds,
            component: Component {
                first: (component.first.0 + origin.0, component.first.1 + origin.1),
                bounds,
                runs,
                touches: component.touches,
            },
        }
    }

    fn contains(&self, (x, y): (u32, u32)) -> bool {
        self.bounds.contains(x, y) && self.component.contains(x, y)
    }
}

/// The outcome of growing a region around a component that touches its window's border.
enum Regrown {
    /// The component starts at the pixel it was grown from and lies inside `region`.
    Owned {
        region: Rect,
        rgb: RgbImage,
        component: Component,
    },
    /// The component starts before the pixel it was grown from: another tile owns it.
    NotOwned(KnownComponent),
    /// The component does not fit in `max_component` × `max_component` pixels.
    Oversized(KnownComponent),
}

/// Grows a region around the component whose first pixel in the window was `start` (slide
/// coordinates), first seen within `bounds`, until the component no longer touches the region's
/// border away from the slide's border.
///
/// A component whose first pixel is `start` and whose box is at most `max_component` on each
/// side lies within `reach`: columns `start.x ± (max_component − 1)`, rows `start.y` to
/// `start.y + max_component − 1`, plus the context margin. Each region is the component's box as
/// known so far plus the context margin, and more only on the sides where the component came
/// within the context margin of the region's border (it may go on there): a margin that doubles
/// from the overlap up to [`MAX_GROWTH`] times it. So a region is never much larger than the
/// component's box plus its context (the foreground of a region takes some 16 bytes a pixel:
/// regions grown on every side by doubling margins were 3-4 times the box's area and set the
/// peak memory of a slide). A component that still needs to grow where the region cannot
/// (`reach`'s border) is larger than allowed (or does not start at `start`).
fn regrow<A: Analysis>(
    context: &TileContext<A>,
    reader: &mut SlideReader,
    start: (u32, u32),
    bounds: Rect,
) -> Result<Regrown, SlideError> {
    let (width, height) = context.slide_size();
    let limit = context.max_component;
    let extra = context.context;
    let left = start.0.saturating_sub(limit - 1 + extra);
    let top = start.1.saturating_sub(extra);
    let right = start.0.saturating_add(limit + extra).min(width);
    let bottom = start.1.saturating_add(limit + extra).min(height);
    let reach = Rect::new(left, top, right - left, bottom - top);
    let base = context.grid.overlap().max(32).max(extra);
    let mut margin = base;
    // The first region: the box seen in the window, grown on every side.
    let mut region = bounds
        .grown(Sides::all(margin), width, height)
        .intersection(&reach);
    loop {
        let rgb = reader.read(region)?;
        let (foreground, filled) = context.masks(&rgb);
        let mask = filled.as_ref().unwrap_or(&foreground);
        let local = (start.0 - region.x, start.1 - region.y);
        let component = foreground_components(mask)
            .into_iter()
            .find(|component| {
                component.bounds.contains(local.0, local.1) && component.contains(local.0, local.1)
            })
            .expect("the start pixel is foreground");
        drop((foreground, filled));
        let known = KnownComponent::new(&component, (region.x, region.y));
        if component.first != local {
            return Ok(Regrown::NotOwned(known));
        }
        if context.fits(known.bounds, region) {
            return Ok(Regrown::Owned {
                region,
                rgb,
                component,
            });
        }
        if component.bounds.width > limit || component.bounds.height > limit {
            return Ok(Regrown::Oversized(known));
        }
        drop(rgb);
        margin = margin
            .saturating_mul(2)
            .min(base.saturating_mul(MAX_GROWTH));
        let needed = known.bounds.grown(Sides::all(extra), width, height);
        let grow = |short: bool| if short { margin } else { extra };
        let sides = Sides {
            left: grow(needed.x < region.x),
            top: grow(needed.y < region.y),
            right: grow(needed.right() > region.right()),
            bottom: grow(needed.bottom() > region.bottom()),
        };
        let next = known
            .bounds
            .grown(sides, width, height)
            .intersection(&reach);
        if next == region {
            return Ok(Regrown::Oversized(known));
        }
        region = next;
    }
}

/// How far a region grows on a side (in overlaps) at most per step: see [`regrow`].
const MAX_GROWTH: u32 = 4;

/// Analyses one tile: its owned components (grown where needed), the background labels of its
/// core and its overview block.
fn process_tile<A: Analysis>(
    context: &TileContext<A>,
    reader: &mut SlideReader,
    index: usize,
) -> Result<TileResult, SlideError> {
    let grid = &context.grid;
    let tile = grid.tile(index);
    let (window, core) = (tile.window, tile.core);
    let slide_size = context.slide_size();
    let origin = (window.x, window.y);
    let rgb = reader.read(window)?;
    let (foreground, filled) = context.masks(&rgb);
    let components = foreground_components(filled.as_ref().unwrap_or(&foreground));
    drop(filled);
    let (mut whole, mut cut, mut oversized) = (Vec::new(), Vec::new(), Vec::new());
    for component in &components {
        let first = (component.first.0 + origin.0, component.first.1 + origin.1);
        if !core.contains(first.0, first.1) {
            continue;
        }
        let bounds = Rect::new(
            component.bounds.x + origin.0,
            component.bounds.y + origin.1,
            component.bounds.width,
            component.bounds.height,
        );
        if bounds.width > context.max_component || bounds.height > context.max_component {
            // Too large whatever the tiling (a large window may hold it whole).
            oversized.push(first);
        } else if context.fits(bounds, window) {
            whole.push(component);
        } else {
            cut.push(component);
        }
    }
    let analysed: Vec<Result<ComponentCells, ComponentFailure>> = whole
        .par_iter()
        .map(|component| {
            analyse_window_component(
                context.analysis,
                context.parameters,
                context.context,
                &rgb,
                origin,
                slide_size,
                component,
            )
        })
        .collect();
    let mut owned = analysed
        .into_iter()
        .collect::<Result<Vec<ComponentCells>, _>>()
        .map_err(|failure| context.failed(failure))?;
    let mut known: Vec<KnownComponent> = Vec::new();
    let mut grown = 0;
    for component in cut {
        let start = (component.first.0 + origin.0, component.first.1 + origin.1);
        if known.iter().any(|known| known.contains(start)) {
            continue;
        }
        let bounds = Rect::new(
            component.bounds.x + origin.0,
            component.bounds.y + origin.1,
            component.bounds.width,
            component.bounds.height,
        );
        match regrow(context, reader, start, bounds)? {
            Regrown::Owned {
                region,
                rgb,
                component,
            } => {
                owned.push(
                    analyse_window_component(
                        context.analysis,
                        context.parameters,
                        context.context,
                        &rgb,
                        (region.x, region.y),
                        slide_size,
                        &component,
                    )
                    .map_err(|failure| context.failed(failure))?,
                );
                known.push(KnownComponent::new(&component, (region.x, region.y)));
                grown += 1;
            }
            Regrown::NotOwned(component) => known.push(component),
            Regrown::Oversized(component) => {
                oversized.push(start);
                known.push(component);
            }
        }
    }
    owned.sort_by_key(|component| (component.first.1, component.first.0));
    let (labels, edges, outsides) = if context.analysis.fills_holes() {
        let core_in_window = Rect::new(
            core.x - origin.0,
            core.y - origin.1,
            core.width,
            core.height,
        );
        let background = BackgroundLabels::new(&foreground, core_in_window);
        let outsides: Vec<Option<RegionQuery>> = owned
            .iter()
            .map(|component| {
                let (x, y) = component.first;
                if y == 0 {
                    None
                } else if y > core.y {
                    Some(RegionQuery::Label {
                        tile: index,
                        label: background.label_at(x - origin.0, y - 1 - origin.1),
                    })
                } else {
                    Some(RegionQuery::BottomEdge {
                        tile: grid.index(tile.column, tile.row - 1),
                        position: x - core.x,
                    })
                }
            })
            .collect();
        (background.count(), Some(background.edges()), outsides)
    } else {
        (0, None, vec![None; owned.len()])
    };
    let overview = OverviewBlock::new(&context.overview, &rgb, window, core);
    let summary = TileSummary {
        tile: index,
        components: owned
            .iter()
            .zip(outsides)
            .map(|(component, outside)| ComponentSummary {
                first: component.first,
                outside,
                cells: component.cells.len(),
            })
            .collect(),
        labels,
        edges,
        oversized,
        grown,
        overview,
    };
    Ok(TileResult {
        summary,
        cells: owned.into_iter().map(|component| component.cells).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_stay_within_a_grid_row() {
        assert_eq!(
            batches(&[0, 1, 2, 3, 4, 5, 6, 8, 9], 4, 3),
            vec![vec![0, 1, 2], vec![3], vec![4, 5, 6], vec![8, 9]]
        );
    }

    #[test]
    fn small_slides_are_kept_within_two_windows_per_thread_or_64_mib() {
        let options = SlideOptions::default();
        // Windows of 2048 + 2 x 256 = 2560 pixels: 2 threads x 2 windows x 2560² x 3 bytes.
        assert_eq!(kept_slide_budget(&options, 2), 4 * 2560 * 2560 * 3);
        // 8,388,608 x 3 bytes is 24 MiB: the 64 MiB floor applies.
        let small = SlideOptions {
            tile: 1024,
            overlap: 512,
            ..options
        };
        assert_eq!(kept_slide_budget(&small, 1), 64 << 20);
        assert_eq!(slide_bytes(2688, 2048), 16_515_072);
    }

    #[test]
    fn slides_over_the_budget_are_sampled_every_kth_diagonal_tile() {
        let sampling = Sampling {
            budget: 1_000_000,
            tile: 1024,
        };
        // 1000 × 1000 pixels: exactly the budget, analysed whole.
        assert_eq!(sampling.tiles(1000, 1000, 64).unwrap(), None);
        // 4000 × 3000 = 12 MP: k = 12; 4 × 3 tiles of which the first in diagonal order.
        let (grid, tiles) = sampling.tiles(4000, 3000, 64).unwrap().unwrap();
        assert_eq!((grid.columns(), grid.rows(), grid.overlap()), (4, 3, 64));
        assert_eq!(tiles, vec![0]);
        // 4000 × 3000 with a 4 MP budget: k = 3, positions 0, 3, 6, 9 of
        // 0 | 1 4 | 2 5 8 | 3 6 9 | 7 10 | 11.
        let four = Sampling {
            budget: 4_000_000,
            ..sampling
        };
        assert_eq!(
            four.tiles(4000, 3000, 64).unwrap().unwrap().1,
            vec![0, 2, 3, 7]
        );
        // One pixel over: k = 2.
        let (_, tiles) = sampling.tiles(1000, 1001, 0).unwrap().unwrap();
        assert_eq!(tiles, vec![0]);
    }

    #[test]
    fn slide_ids_drop_the_extension() {
        assert_eq!(slide_id(Path::new("/data/a.b.svs")), "a.b");
        assert_eq!(slide_id(Path::new("x.ome.tif")), "x");
        assert_eq!(slide_id(Path::new("plain")), "plain");
    }
}
