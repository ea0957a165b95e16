//! `hemato slide SLIDE... -o OUTDIR`: whole-slide images tile by tile.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use hemato::count::scale::red_cell_area_pixels;
use hemato::slide::count::{measure_red_cell_areas, RED_CELL_SAMPLE_PIXELS};
use hemato::slide::cuts::WatershedCuts;
use hemato::slide::{
    run_slides, run_slides_handing_over, CountAnalysis, Handover, Level, Progress, RedCellArea,
    Shard, SlideOptions, Stage, StainWatershed,
};
use hemato::threshold::Method;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Count and measure the cells of whole-slide images, tile by tile, in bounded memory.
///
/// Writes OUTDIR/cells.csv (one row per cell), OUTDIR/counts.csv (cells per class), a
/// downscaled overview PNG with cells in their class colours, and OUTDIR/summary.json.
/// Checkpoints go to OUTDIR/parts/: a killed run continues with --resume.
///
/// The analysis is `hemato count`'s (red cells, platelets, white cells and their subtype with
/// the built-in model), with the background colour, cell level and red-cell size measured once
/// per slide; without --pixel-size or --red-cell-area a first run measures the red-cell size
/// (into OUTDIR/scale/). --analysis stain-watershed runs the older ImageJ-step stand-in.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  hemato slide smear.svs -o results/
  hemato slide slides/*.tif --tile 4096 --threads 8 -o results/
  hemato slide big.tif --shard auto -o shard-$SLURM_ARRAY_TASK_ID/   # in a Slurm job array
  hemato merge shard-*/ -o results/

See docs/slides.md (how tiling stays exact) and docs/cluster.md (job arrays).")]
pub struct Args {
    /// Slides: TIFF/BigTIFF (tiled or stripped, pyramids, JPEG/LZW/Deflate), PNG or JPEG.
    #[arg(required = true, value_name = "SLIDE")]
    slides: Vec<PathBuf>,
    /// Output folder.
    #[arg(short, long, value_name = "OUTDIR")]
    output: PathBuf,
    /// Tile core size in pixels.
    #[arg(long, default_value_t = 2048, value_name = "PIXELS")]
    tile: u32,
    /// Overlap on each side of a tile, in pixels; make it larger than the largest cell. Cells of
    /// larger clumps are still exact (their region is read again), only slower.
    #[arg(long, default_value_t = 256, value_name = "PIXELS")]
    overlap: u32,
    /// Worker threads (default: one per CPU core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Work on part of the job only: I/N (0-based task I of N), or "auto" / "auto/N" to read the
    /// task from Slurm (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) or Kubernetes
    /// (JOB_COMPLETION_INDEX, with the count as auto/N or in HEMATO_SHARD_COUNT). Several
    /// slides are split between tasks; one slide's tiles are.
    #[arg(long, value_name = "I/N|auto|auto/N")]
    shard: Option<String>,
    /// Continue the run found in OUTDIR.
    #[arg(long)]
    resume: bool,
    /// Largest clump (width or height, pixels) analysed whole; larger ones are skipped with a
    /// warning. Peak memory grows with its square.
    #[arg(long, default_value_t = 4096, value_name = "PIXELS")]
    max_component: u32,
    /// Tiles per checkpoint.
    #[arg(long, default_value_t = 8, value_name = "TILES")]
    batch: usize,
    /// The analysis: count (`hemato count`'s pipeline) or stain-watershed (the ImageJ-step
    /// stand-in: eosin threshold, watershed per clump, 33 ImageJ measurements).
    #[arg(long, value_name = "NAME", default_value = "count")]
    analysis: String,
    /// White-cell model (hemato model file) instead of the built-in one (count analysis).
    #[arg(long, value_name = "MODEL.json")]
    model: Option<PathBuf>,
    /// Take the model's most probable class for every nucleated cell, without the class gate
    /// (count analysis; as `hemato count --trust-model`).
    #[arg(long)]
    trust_model: bool,
    /// Pixel size in µm: the red-cell area is that of a 7.5 µm disc (count analysis; default:
    /// measured on each slide).
    #[arg(long, value_name = "UM", conflicts_with = "red_cell_area")]
    pixel_size: Option<f64>,
    /// Area of one red cell in pixels (count analysis; default: measured on each slide).
    #[arg(long, value_name = "PIXELS")]
    red_cell_area: Option<f64>,
    /// Megapixels of each slide in which the red-cell run measures the red-cell size: a larger
    /// slide is measured on a sample of tiles spread over it (count analysis).
    #[arg(long, value_name = "MP", default_value_t = RED_CELL_SAMPLE_PIXELS as f64 / 1e6)]
    scale_sample_mp: f64,
    /// Fixed threshold level (0-255) of the stain transmittance: objects are 0..=LEVEL
    /// (stain-watershed analysis).
    #[arg(long, value_name = "0-255", conflicts_with = "method")]
    level: Option<u8>,
    /// ImageJ auto-threshold method, applied to the histogram of the whole slide
    /// (stain-watershed analysis; default Default).
    #[arg(long, value_name = "NAME")]
    method: Option<String>,
    /// Most memory a slide that is not a TIFF (PNG, JPEG, BMP; decoded whole, unlike a TIFF,
    /// which is read tile by tile) may take to decode, e.g. 8G or 512M (powers of 1024): a larger
    /// one is refused before it is decoded, with the advice to convert it to a tiled TIFF.
    /// Default: the memory available when the run starts (MemAvailable, or less under a cgroup
    /// limit).
    #[arg(long, value_name = "SIZE", value_parser = hemato::memory::parse_size)]
    max_memory: Option<u64>,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

/// The progress bar: tiles, cells, MP/s and ETA on stderr, only on a terminal.
struct Bar {
    bar: Mutex<Option<ProgressBar>>,
    visible: bool,
    cells: AtomicU64,
    pixels: AtomicU64,
    started: Mutex<Instant>,
    counting_cells: AtomicBool,
}

impl Bar {
    fn new(visible: bool) -> Bar {
        Bar {
            bar: Mutex::new(None),
            visible,
            cells: AtomicU64::new(0),
            pixels: AtomicU64::new(0),
            started: Mutex::new(Instant::now()),
            counting_cells: AtomicBool::new(false),
        }
    }
}

impl Progress for Bar {
    fn start(&self, slide: &str, stage: Stage, tiles: usize, _pixels: u64) {
        let bar = if self.visible {
            let bar =
                ProgressBar::with_draw_target(Some(tiles as u64), ProgressDrawTarget::stderr());
            let template = "{prefix} [{bar:30}] {pos}/{len} tiles {msg} ETA {eta}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            let stage = match stage {
                Stage::Statistics => "histogram",
                Stage::Cells => "cells",
            };
            bar.set_prefix(format!("{slide} {stage}"));
            bar
        } else {
            ProgressBar::hidden()
        };
        self.counting_cells
            .store(stage == Stage::Cells, Ordering::Relaxed);
        self.cells.store(0, Ordering::Relaxed);
        self.pixels.store(0, Ordering::Relaxed);
        *self.started.lock().expect("progress lock") = Instant::now();
        *self.bar.lock().expect("progress lock") = Some(bar);
    }

    fn tile(&self, pixels: u64, cells: u64) {
        let cells = self.cells.fetch_add(cells, Ordering::Relaxed) + cells;
        let pixels = self.pixels.fetch_add(pixels, Ordering::Relaxed) + pixels;
        let seconds = self
            .started
            .lock()
            .expect("progress lock")
            .elapsed()
            .as_secs_f64();
        if let Some(bar) = self.bar.lock().expect("progress lock").as_ref() {
            let rate = pixels as f64 / 1e6 / seconds.max(1e-9);
            if self.counting_cells.load(Ordering::Relaxed) {
                bar.set_message(format!("{cells} cells {rate:.1} MP/s"));
            } else {
                bar.set_message(format!("{rate:.1} MP/s"));
            }
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("progress lock").take() {
            bar.finish_and_clear();
        }
    }

    fn warn(&self, message: &str) {
        match self.bar.lock().expect("progress lock").as_ref() {
            Some(bar) => bar.suspend(|| eprintln!("warning: {message}")),
            None => eprintln!("warning: {message}"),
        }
    }
}

/// Parses --shard (reading the environment for "auto").
pub fn parse_shard(text: &str) -> anyhow::Result<Shard> {
    Ok(Shard::parse(text, |name| std::env::var(name).ok())?)
}

/// The red-cell run's sample size in pixels from --scale-sample-mp.
fn sample_pixels(megapixels: f64) -> anyhow::Result<u64> {
    if !(megapixels.is_finite() && megapixels >= 0.001) {
        anyhow::bail!("--scale-sample-mp must be at least 0.001 megapixels, not {megapixels}");
    }
    Ok((megapixels * 1e6).round() as u64)
}

/// Runs `hemato slide`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let options = SlideOptions {
        tile: args.tile,
        overlap: args.overlap,
        threads: args.threads.unwrap_or(0),
        max_component: args.max_component,
        batch: args.batch,
        resume: args.resume,
        shard: args.shard.as_deref().map(parse_shard).transpose()?,
        memory_limit: hemato::memory::Limit::resolve(args.max_memory),
    };
    let bar = Bar::new(!args.quiet && std::io::stderr().is_terminal());
    let started = Instant::now();
    let context = || format!("hemato slide -o {}", args.output.display());
    let report = match args.analysis.as_str() {
        "count" => {
            if args.level.is_some() || args.method.is_some() {
                anyhow::bail!(
                    "--level and --method belong to --analysis stain-watershed; the count analysis finds its own cell level"
                );
            }
            let classifier =
                super::count::white_cell_classifier(args.model.as_deref(), args.trust_model)?;
            // The red-cell run hands its statistics and decoded pixels to the count run.
            let mut handover = Handover::default();
            // And the watershed cuts of the red-cell components, so that the count run does
            // not cut them again (hemato::slide::cuts).
            let cuts = Arc::new(WatershedCuts::default());
            let red_cell_area = match (args.pixel_size, args.red_cell_area) {
                (Some(size), _) => {
                    if !(size.is_finite() && size > 0.0) {
                        anyhow::bail!("--pixel-size must be a positive number of µm, not {size}");
                    }
                    RedCellArea::Fixed(red_cell_area_pixels(size))
                }
                (None, Some(area)) => {
                    if !(area.is_finite() && area > 0.0) {
                        anyhow::bail!(
                            "--red-cell-area must be a positive number of pixels, not {area}"
                        );
                    }
                    RedCellArea::Fixed(area)
                }
                (None, None) => RedCellArea::PerSlide(
                    measure_red_cell_areas(
                        &args.slides,
                        &args.output,
                        &options,
                        sample_pixels(args.scale_sample_mp)?,
                        &bar,
                        &mut handover,
                        Some(Arc::clone(&cuts)),
                    )
                    .with_context(context)?,
                ),
            };
            let analysis = CountAnalysis {
                cuts: Some(cuts),
                classifier,
                ..CountAnalysis::new(red_cell_area, args.pixel_size)
            };
            run_slides_handing_over(
                &analysis,
                &args.slides,
                &args.output,
                &options,
                &bar,
                &mut handover,
            )
        }
        "stain-watershed" => {
            if args.pixel_size.is_some()
                || args.red_cell_area.is_some()
                || args.model.is_some()
                || args.trust_model
            {
                anyhow::bail!(
                    "--pixel-size, --red-cell-area, --model and --trust-model belong to --analysis count"
                );
            }
            let level = match args.level {
                Some(level) => Level::Fixed(level),
                None => Level::Auto(Method::parse(args.method.as_deref().unwrap_or("Default"))?),
            };
            let analysis = StainWatershed::new(level)?;
            run_slides(&analysis, &args.slides, &args.output, &options, &bar)
        }
        other => anyhow::bail!("unknown --analysis {other:?}; use count or stain-watershed"),
    }
    .with_context(context)?;
    if !args.quiet {
        let seconds = started.elapsed().as_secs_f64();
        let rate = report.pixels as f64 / 1e6 / seconds.max(1e-9);
        if report.finalized {
            eprintln!(
                "{} slide(s), {} cells, {:.0} MP in {seconds:.1} s ({rate:.1} MP/s) → {}",
                report.slides.len(),
                report.cells,
                report.pixels as f64 / 1e6,
                args.output.display()
            );
        } else {
            eprintln!(
                "shard {} of {} done ({:.0} MP in {seconds:.1} s); combine the shards with `hemato merge`",
                options.shard.map(|s| s.to_string()).unwrap_or_default(),
                report.slides.join(", "),
                report.pixels as f64 / 1e6,
            );
        }
        if report.oversized > 0 {
            eprintln!(
                "warning: {} clump(s) larger than --max-component {} were not analysed (see summary.json)",
                report.oversized, args.max_component
            );
        }
    }
    Ok(())
}
