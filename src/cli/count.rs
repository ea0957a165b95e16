//! `hemato count`: smear images in, counts of each cell type out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use hemato::count::report::{cells_csv, counts_csv, summary};
use hemato::count::{
    count_image, count_labelled, list_images, overlay, red_cell_pieces, shared_red_cell_area,
    ClassChoice, CountOptions, ImageCount, WhiteCellClassifier,
};
use hemato::memory::Footprint;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

/// Count red cells, platelets and each white-cell type in Romanowsky-stained smear images
/// (Giemsa, Wright, May-Grünwald-Giemsa).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  hemato count fixtures/smears/BloodImage_00003.jpg
  hemato count slides/ -o counts.csv --cells cells.csv --overlay overlays/
  hemato count field.png --pixel-size 0.1 --model my_model.json

Without -o the counts table goes to stdout; the summary (counts and the white-cell
differential) always goes to stderr. See docs/counting.md.")]
pub struct Args {
    /// Images, or folders of images (png, jpg, tif, bmp; not recursive; hidden files skipped).
    #[arg(required = true, value_name = "IMAGE|DIR")]
    inputs: Vec<PathBuf>,
    /// White-cell model (hemato model file) instead of the built-in one.
    #[arg(long, value_name = "MODEL.json")]
    model: Option<PathBuf>,
    /// Take the model's most probable class for every nucleated cell, without the class gate
    /// (for a model trained on this microscope's images; docs/counting.md, step 7).
    #[arg(long)]
    trust_model: bool,
    /// Pixel size in µm (default: estimated from the median red-cell diameter, 7.5 µm).
    #[arg(long, value_name = "UM")]
    pixel_size: Option<f64>,
    /// Estimate one pixel size from the red cells of all the images together, instead of one
    /// per image (for fields of one microscope at one magnification, as `hemato slide` does over
    /// a slide; each image is read twice).
    #[arg(long, conflicts_with = "pixel_size")]
    shared_scale: bool,
    /// Write the counts table here (one row per image, then a total row).
    #[arg(short, long, value_name = "COUNTS.csv")]
    output: Option<PathBuf>,
    /// Write one row per cell (position, box, class, probability, features) here.
    #[arg(long, value_name = "CELLS.csv")]
    cells: Option<PathBuf>,
    /// Write an overlay PNG per image (outlines coloured by class, legend, counts) here.
    #[arg(long, value_name = "DIR")]
    overlay: Option<PathBuf>,
    /// The cells as segmented elsewhere (Cellpose, StarDist, QuPath...): a label image (0 =
    /// background, each other value one cell; 8/16/32-bit PNG or TIFF, or .npy) for one image,
    /// or a folder holding one per image named like it (same stem, optionally with _mask,
    /// _masks, _labels or _cp_masks). hemato then decides what each cell is, types the white
    /// cells and measures them (docs/counting.md, "Cells segmented elsewhere").
    #[arg(long, value_name = "LABELS", conflicts_with = "shared_scale")]
    labels: Option<PathBuf>,
    /// Count the other images when one cannot be read or counted (corrupt, truncated, not a
    /// colour image): each such image is named on stderr with the reason and left out of the
    /// tables, which are written for the others; the run then still ends with an error.
    /// Without it, the first such image stops the run and nothing is written.
    #[arg(long)]
    keep_going: bool,
    #[command(flatten)]
    memory: super::MemoryArgs,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `hemato count`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let images = list_images(&args.inputs)?;
    if images.is_empty() {
        bail!(
            "no images found in the inputs given{}",
            super::subfolder_hint(&args.inputs)
        );
    }
    let overlay_names = match &args.overlay {
        Some(_) => overlay_file_names(&images)?,
        None => Vec::new(),
    };
    if let Some(folder) = &args.overlay {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the overlay folder {}", folder.display()))?;
    }
    let classifier = white_cell_classifier(args.model.as_deref(), args.trust_model)?;
    let memory = args.memory.plan(&images, Footprint::COUNT);
    let progress = |steps: u64, what: &str| {
        if args.quiet || images.len() < 2 {
            ProgressBar::hidden()
        } else {
            let template =
                format!("{{bar:40}} {{pos}}/{{len}} images{what}, {{elapsed}} (eta {{eta}})");
            ProgressBar::new(steps)
                .with_style(ProgressStyle::with_template(&template).expect("valid template"))
        }
    };
    let shared_red_cell_area = if args.shared_scale {
        let bar = progress(images.len() as u64, " measured for the shared scale");
        let area = shared_scale(&images, args.keep_going, &memory, &bar)?;
        bar.finish_and_clear();
        report_shared_scale(area, images.len(), "images");
        area
    } else {
        None
    };
    let options = CountOptions {
        pixel_size: args.pixel_size,
        shared_red_cell_area,
    };
    let count_one = |index: usize, path: &PathBuf| -> anyhow::Result<ImageCount> {
        memory.check(index, path)?;
        let image = hemato::io::read_rgb_image(path)?;
        let counted = match &args.labels {
            Some(labels) => {
                let file = super::measure::companion_file(labels, path, images.len(), "labels")?;
                let labels = hemato::io::read_label_image(&file)?;
                count_labelled(&image, &labels, &options, &classifier)
                    .with_context(|| format!("labels {}", file.display()))
            }
            None => count_image(&image, &options, &classifier).map_err(anyhow::Error::from),
        };
        let mut count = counted.with_context(|| format!("cannot count {}", path.display()))?;
        if let (Some(folder), Some(name)) = (&args.overlay, overlay_names.get(index)) {
            let drawn = overlay::draw_overlay(&image, &count);
            hemato::io::write_rgb_png(&folder.join(name), &drawn)
                .with_context(|| format!("cannot write the overlay of {}", path.display()))?;
        }
        // The tables need the cells only: drop the regions' pixels, which would otherwise
        // be held for every image of a large batch.
        count.field.detections = Vec::new();
        Ok(count)
    };
    let progress = progress(images.len() as u64, "");
    let batch = super::for_each_image(
        &images,
        args.keep_going,
        memory.one_at_a_time,
        "counted",
        &progress,
        count_one,
    )?;
    let named: Vec<(String, &ImageCount)> = batch
        .done
        .iter()
        .map(|(index, count)| (images[*index].display().to_string(), count))
        .collect();
    let table = counts_csv(&named);
    match &args.output {
        Some(path) => hemato::output::write_bytes_atomically(path, table.as_bytes())?,
        None => print!("{table}"),
    }
    if let Some(path) = &args.cells {
        hemato::output::write_bytes_atomically(path, cells_csv(&named).as_bytes())?;
    }
    eprint!("{}", summary(&named));
    batch.finish("the tables hold")
}

/// Prints the shared scale `hemato count` and `hemato mosaic` count `count` images (`what`) at.
pub fn report_shared_scale(red_cell_area: Option<f64>, count: usize, what: &str) {
    match red_cell_area.and_then(hemato::count::Scale::of_red_cell_area) {
        Some(scale) => eprintln!(
            "one pixel size for all {count} {what}: {:.4} µm (red-cell diameter {:.1} px)",
            scale.pixel_size,
            scale.red_cell_diameter.unwrap_or(f64::NAN)
        ),
        None => {
            eprintln!("no red cells in any of the {count} {what}: each is counted at its own scale")
        }
    }
}

/// One red cell's area over all `images` ([`shared_red_cell_area`]), the images read in
/// parallel; with `keep_going`, over those that can be read (the count names the others).
fn shared_scale(
    images: &[PathBuf],
    keep_going: bool,
    memory: &super::MemoryPlan,
    progress: &ProgressBar,
) -> anyhow::Result<Option<f64>> {
    let measure = |(index, path): (usize, &PathBuf)| -> anyhow::Result<Vec<_>> {
        memory.check(index, path)?;
        let image = hemato::io::read_rgb_image(path)?;
        let pieces = red_cell_pieces(&image)
            .with_context(|| format!("cannot measure the red cells of {}", path.display()))?;
        progress.inc(1);
        Ok(pieces)
    };
    let measured: Vec<anyhow::Result<Vec<_>>> = if memory.one_at_a_time {
        images.iter().enumerate().map(measure).collect()
    } else {
        images.par_iter().enumerate().map(measure).collect()
    };
    let pieces: Vec<Vec<_>> = if keep_going {
        measured.into_iter().filter_map(Result::ok).collect()
    } else {
        measured.into_iter().collect::<anyhow::Result<_>>()?
    };
    Ok(shared_red_cell_area(pieces.iter().map(Vec::as_slice)))
}

/// Overlay file names: each image's file stem with `.png`; two inputs with the same stem
/// (from different folders) are refused rather than overwritten.
fn overlay_file_names(images: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut seen = BTreeSet::new();
    images
        .iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .with_context(|| format!("{} has no file name", path.display()))?;
            let name = Path::new(stem).with_extension("png");
            if !seen.insert(name.clone()) {
                bail!(
                    "two inputs would write the same overlay {}: count them in separate runs",
                    name.display()
                );
            }
            Ok(name)
        })
        .collect()
}

/// The model file's classifier, else the built-in one; with `trust`, choosing the most
/// probable class ([`ClassChoice::MostProbable`]) instead of the gated one.
pub fn white_cell_classifier(
    model: Option<&Path>,
    trust: bool,
) -> anyhow::Result<WhiteCellClassifier> {
    let classifier = match model {
        Some(path) => WhiteCellClassifier::load(path)?,
        None => WhiteCellClassifier::builtin(),
    };
    let choice = if trust {
        ClassChoice::MostProbable
    } else {
        ClassChoice::Gated
    };
    Ok(classifier.with_choice(choice))
}
