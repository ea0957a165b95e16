//! `hemato features`: a feature table of the centred white cell of each image.

use std::path::PathBuf;

use anyhow::{bail, Context};
use hemato::features::table::{describe_all, list_images, write_csv, ClassFrom, Skipped};
use hemato::features::Scale;
use hemato::memory::Footprint;
use indicatif::{ProgressBar, ProgressStyle};

/// Describe the white cell in the middle of each image (nucleus, cytoplasm, texture): one row
/// per image, for `hemato train`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  hemato features ../shared/data/pbc --class-from-dir -o pbc_features.csv
  hemato features my_cells/ --class lymphocyte -o lymphocytes.csv
  hemato features cell.jpg --scale 75 --overlays check/ -o cell.csv

Files that are not images (png, jpg, jpeg, tif, tiff, bmp) are ignored. Images that cannot be
read or whose cell cannot be found are skipped, each named with the reason, and counted (or stop
the run with --strict). Rows are in sorted path order, the same for any number of threads.
See docs/features.md for every column.")]
pub struct Args {
    /// Single-cell images, or folders of them (searched recursively; hidden files and folders skipped).
    #[arg(required = true, value_name = "IMAGE|DIR")]
    inputs: Vec<PathBuf>,
    /// Class = the first folder below the folder given (DIR/CLASS/image.jpg: folder-per-class
    /// collections such as PBC); an image given directly: the folder holding it.
    #[arg(long)]
    class_from_dir: bool,
    /// Class name for every row.
    #[arg(long, value_name = "NAME", conflicts_with = "class_from_dir")]
    class: Option<String>,
    /// Pixels per red-cell diameter of every image (default: measured in each image from its
    /// red cells).
    #[arg(long, value_name = "PIXELS")]
    scale: Option<f64>,
    /// Write each image with the outlines of the cell (green) and nucleus (yellow) found, as
    /// PNG, into this folder.
    #[arg(long, value_name = "DIR")]
    overlays: Option<PathBuf>,
    /// Fail, naming the first image (in path order) that cannot be read or described, instead
    /// of skipping such images; no table is written.
    #[arg(long)]
    strict: bool,
    /// Output table (CSV).
    #[arg(short, long, value_name = "TABLE.csv")]
    output: PathBuf,
    #[command(flatten)]
    memory: super::MemoryArgs,
}

/// Runs `hemato features`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let class = match (&args.class, args.class_from_dir) {
        (Some(name), _) if name.trim().is_empty() => bail!("--class needs a non-empty name"),
        (Some(name), _) => ClassFrom::Name(name.clone()),
        (None, true) => ClassFrom::Folder,
        (None, false) => ClassFrom::Nothing,
    };
    let scale = args
        .scale
        .map(Scale::from_red_cell_diameter)
        .transpose()
        .context("--scale")?;
    let listed = list_images(&args.inputs, &class)?;
    // An image too large to describe in memory is refused from its header: skipped with the
    // reason, or the end of a --strict run before any image is described.
    let paths: Vec<PathBuf> = listed.iter().map(|entry| entry.path.clone()).collect();
    let memory = args.memory.plan(&paths, Footprint::FEATURES);
    let mut refused = Vec::new();
    let mut entries = Vec::with_capacity(listed.len());
    for (index, entry) in listed.into_iter().enumerate() {
        match memory.check(index, &entry.path) {
            Ok(()) => entries.push(entry),
            Err(error) if args.strict => return Err(error),
            Err(error) => refused.push(Skipped {
                image: entry.name,
                reason: super::message(&error),
            }),
        }
    }
    if let Some(folder) = &args.overlays {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    let progress = if entries.len() > 1 {
        let bar = ProgressBar::new(entries.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} images {eta}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let describe = || {
        describe_all(&entries, scale, args.overlays.as_deref(), || {
            progress.inc(1)
        })
    };
    let described = memory.run(describe)?;
    progress.finish_and_clear();
    let rows = &described.rows;
    let skipped: Vec<&Skipped> = refused.iter().chain(&described.skipped).collect();
    if args.strict {
        if let Some(first) = skipped.first() {
            bail!("{}: {}", first.image, first.reason);
        }
    }
    for skip in &skipped {
        eprintln!("skipped {}: {}", skip.image, skip.reason);
    }
    if rows.is_empty() {
        bail!(
            "no cell could be described in any of the {} image(s)",
            entries.len() + refused.len()
        );
    }
    if scale.is_none() && !described.scales.is_empty() {
        let mut scales = described.scales.clone();
        scales.sort_by(f64::total_cmp);
        eprintln!(
            "red-cell diameter measured per image: median {:.1} px (10th–90th percentile {:.1}–{:.1}){}",
            scales[scales.len() / 2],
            scales[scales.len() / 10],
            scales[scales.len() * 9 / 10],
            if described.median_scale_rows > 0 {
                format!(
                    "; {} image(s) with too few red cells used the median",
                    described.median_scale_rows
                )
            } else {
                String::new()
            }
        );
    }
    hemato::output::write_atomically(&args.output, |writer| write_csv(writer, rows))
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!(
        "{} row(s) written to {}{}",
        rows.len(),
        args.output.display(),
        if skipped.is_empty() {
            String::new()
        } else {
            format!("; {} image(s) skipped", skipped.len())
        }
    );
    Ok(())
}
