//! `hemato measure`: particles of a mask or label image measured on images, one table out.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::ValueEnum;
use hemato::io::{read_image, read_label_image, AnyImage};
use hemato::measure::table::{write_bloodcells_csv, write_imagej_csv, write_json, Table, TableRow};
use hemato::measure::{
    measure_image, measure_particles, Calibration, Channel, ParticleOptions, Segmentation,
};
use indicatif::{ProgressBar, ProgressStyle};

/// Table layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// ImageJ's Results table CSV (` ,Area,Mean,...`), as ImageJ saves it.
    Imagej,
    /// The layout of the bloodcells dataset (`;`, red/green/blue statistics, Class).
    Bloodcells,
    /// JSON array, one object per particle.
    Json,
}

/// Measure particles as ImageJ's Analyze Particles does (all 33 measurements).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  hemato measure smear.png --mask smear_mask.png -o results.csv
  hemato measure cells/ --labels cellpose_masks/ --format bloodcells --class-from-dir -o features.csv
  hemato measure field.png --mask mask.png --intensity field16.tif --pixel-size 0.25 --format json -o out.json
  hemato measure smear.jpg --channel stain2 --channels red,green,blue,stain1 -o cells.csv   (segments first)

See docs/measurements.md for every column and how it matches ImageJ.")]
pub struct Args {
    /// Images to measure, or folders of images (PNG, JPEG, TIFF, BMP, .npy; hidden files skipped).
    #[arg(required = true, value_name = "IMAGE|DIR")]
    inputs: Vec<PathBuf>,
    /// Binary mask (objects = 255): a file for one image, or a folder holding one mask per image
    /// named like the image (same stem, optionally with _mask, _masks, _labels or _cp_masks).
    /// Without --mask and --labels, each image is segmented with the pipeline (--config and the
    /// flags of `hemato segment`).
    #[arg(long, value_name = "MASK", conflicts_with = "labels")]
    mask: Option<PathBuf>,
    /// Label image (0 = background, each value one particle; 8/16/32-bit PNG or TIFF, or .npy),
    /// a file or a folder, found as for --mask.
    #[arg(long, value_name = "LABELS")]
    labels: Option<PathBuf>,
    /// Measure this image instead of IMAGE (ImageJ's "Redirect to"): a file or a folder, found
    /// as for --mask.
    #[arg(long, value_name = "IMAGE")]
    intensity: Option<PathBuf>,
    /// Intensity channels, comma-separated: image (the image as it is; RGB as ImageJ measures
    /// RGB), red, green, blue, stain1, stain2, stain3 (Giemsa colour deconvolution, 8-bit
    /// transmittance). Default: image; red,green,blue for --format bloodcells.
    #[arg(long, value_delimiter = ',', value_parser = parse_channel)]
    channels: Vec<Channel>,
    /// Table layout.
    #[arg(long, value_enum, default_value = "imagej")]
    format: Format,
    /// Output file.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Decimal places of the ImageJ table (0-9).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=9))]
    decimals: u8,
    /// Pixel size in --unit (square pixels); sizes for --size are then in unit².
    #[arg(long, value_name = "SIZE")]
    pixel_size: Option<f64>,
    /// Unit of --pixel-size.
    #[arg(long, default_value = "µm", requires = "pixel_size")]
    unit: String,
    /// Count everything inside a particle's outer boundary (ImageJ's "Include holes").
    #[arg(long)]
    include_holes: bool,
    /// Drop particles touching the image border (ImageJ's "Exclude on edges").
    #[arg(long)]
    exclude_edges: bool,
    /// Keep particles with MIN ≤ size ≤ MAX: pixels, or unit² with --pixel-size. MAX may be
    /// "Infinity".
    #[arg(long, value_name = "MIN-MAX", value_parser = parse_range)]
    size: Option<(f64, f64)>,
    /// Keep particles with MIN ≤ circularity ≤ MAX.
    #[arg(long, value_name = "MIN-MAX", value_parser = parse_range)]
    circularity: Option<(f64, f64)>,
    /// Class name for every row (the bloodcells layout's Class column).
    #[arg(long, value_name = "NAME", conflicts_with = "class_from_dir")]
    class: Option<String>,
    /// Class = the name of each image's folder.
    #[arg(long)]
    class_from_dir: bool,
    /// Measure the other images when one cannot be read or measured: each such image is named
    /// on stderr with the reason and has no rows; the table is written for the others and the
    /// run then still ends with an error. Without it, the first such image stops the run and
    /// nothing is written.
    #[arg(long)]
    keep_going: bool,
    #[command(flatten)]
    memory: super::MemoryArgs,
    #[command(flatten)]
    pipeline: super::segment::PipelineArgs,
}

fn parse_channel(text: &str) -> Result<Channel, String> {
    Channel::from_name(text.trim()).ok_or_else(|| {
        format!("unknown channel `{text}` (use image, red, green, blue, stain1, stain2 or stain3)")
    })
}

/// `MIN-MAX` as ImageJ reads it: two numbers, MAX may be Infinity.
fn parse_range(text: &str) -> Result<(f64, f64), String> {
    let (low, high) = text
        .split_once('-')
        .ok_or_else(|| format!("`{text}` is not MIN-MAX"))?;
    let number = |part: &str| {
        part.trim()
            .parse::<f64>()
            .map_err(|_| format!("`{part}` in `{text}` is not a number"))
    };
    let (low, high) = (number(low)?, number(high)?);
    if low.is_nan() || high.is_nan() || low < 0.0 || high < low {
        return Err(format!("`{text}`: need 0 ≤ MIN ≤ MAX"));
    }
    Ok((low, high))
}

/// Image file extensions looked for in folders.
/// The image files named on the command line, folders expanded (sorted, not recursive, hidden
/// files skipped: [`hemato::io::is_folder_image`]; masks and label images beside their images
/// left out: [`hemato::io::without_companions`]).
fn image_files(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .with_context(|| format!("cannot list {}", input.display()))?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.is_file() && hemato::io::is_folder_image(path))
                .collect();
            found.sort();
            if found.is_empty() {
                bail!(
                    "{}: no images in this folder{}",
                    input.display(),
                    super::subfolder_hint(std::slice::from_ref(input))
                );
            }
            files.extend(hemato::io::without_companions(found));
        } else if input.is_file() {
            files.push(input.clone());
        } else {
            bail!("{}: no such file or folder", input.display());
        }
    }
    Ok(files)
}

/// The companion file (mask, labels, intensity) of `image`: `companion` itself when it is a file
/// and there is one image, else the file in folder `companion` named like the image.
pub(super) fn companion_file(
    companion: &Path,
    image: &Path,
    images: usize,
    what: &str,
) -> anyhow::Result<PathBuf> {
    if companion.is_file() {
        if images > 1 {
            bail!(
                "--{what} {} is one file but {images} images are given; give a folder with one {what} per image",
                companion.display()
            );
        }
        return Ok(companion.to_path_buf());
    }
    if !companion.is_dir() {
        bail!("--{what} {}: no such file or folder", companion.display());
    }
    let stem = image
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default();
    // In the image's own folder (Cellpose saves its masks beside the images), the image is not
    // its own companion.
    let image_path = image.canonicalize().ok();
    let is_image =
        |candidate: &Path| image_path.is_some() && candidate.canonicalize().ok() == image_path;
    let mut candidates = Vec::new();
    for suffix in std::iter::once("").chain(hemato::io::COMPANION_SUFFIXES) {
        for extension in hemato::io::IMAGE_EXTENSIONS {
            let candidate = companion.join(format!("{stem}{suffix}.{extension}"));
            if candidate.is_file() && !is_image(&candidate) {
                candidates.push(candidate);
            }
        }
    }
    match candidates.len() {
        0 => bail!(
            "no {what} for {} in {} (looked for {stem}.png, {stem}_mask.png, {stem}_cp_masks.png, ... )",
            image.display(),
            companion.display()
        ),
        1 => Ok(candidates.remove(0)),
        _ => bail!(
            "several {what} files for {} in {}: {}",
            image.display(),
            companion.display(),
            candidates
                .iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Reads a binary mask: 8-bit grey with only 0 and 255.
fn read_mask(path: &Path) -> anyhow::Result<image::GrayImage> {
    let mask = match read_image(path)? {
        AnyImage::Gray8(mask) => mask,
        other => bail!(
            "{}: a mask must be 8-bit grey with objects = 255, but this is {} (use --labels for label images)",
            path.display(),
            other.kind()
        ),
    };
    if let Some(value) = mask.as_raw().iter().find(|&&v| v != 0 && v != 255) {
        bail!(
            "{}: a mask holds only 0 and 255, but this one has {value} (use --labels for label images)",
            path.display()
        );
    }
    Ok(mask)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs `hemato measure`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let pipeline = if args.mask.is_none() && args.labels.is_none() {
        Some(args.pipeline.config()?)
    } else {
        None
    };
    let channels = if !args.channels.is_empty() {
        args.channels.clone()
    } else if args.format == Format::Bloodcells {
        vec![Channel::Red, Channel::Green, Channel::Blue]
    } else {
        vec![Channel::Image]
    };
    if args.format == Format::Bloodcells
        && ![Channel::Red, Channel::Green, Channel::Blue]
            .iter()
            .all(|channel| channels.contains(channel))
    {
        bail!("--format bloodcells needs the channels red, green and blue");
    }
    let calibration = match args.pixel_size {
        Some(size) if size.is_finite() && size > 0.0 => Calibration::square(size, &args.unit),
        Some(size) => bail!("--pixel-size must be a positive number, not {size}"),
        None => Calibration::default(),
    };
    let mut options = ParticleOptions {
        include_holes: args.include_holes,
        exclude_edges: args.exclude_edges,
        ..ParticleOptions::default()
    };
    if let Some((min, max)) = args.size {
        options = options.with_calibrated_size(min, max, &calibration);
    }
    if let Some((min, max)) = args.circularity {
        options.min_circularity = min;
        options.max_circularity = max;
    }

    let images = image_files(&args.inputs)?;
    let progress = if images.len() > 1 {
        let bar = ProgressBar::new(images.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} images {eta}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut table = Table {
        channels: channels
            .iter()
            .map(|channel| channel.name().to_string())
            .collect(),
        rows: Vec::new(),
    };
    let memory = args
        .memory
        .plan(&images, hemato::memory::Footprint::SEGMENT);
    let measure_one = |index: usize, image_path: &PathBuf| -> anyhow::Result<Vec<TableRow>> {
        memory.check(index, image_path)?;
        let measured_path = match &args.intensity {
            Some(intensity) => companion_file(intensity, image_path, images.len(), "intensity")?,
            None => image_path.clone(),
        };
        // Segmented and measured image are one: the pipeline's channel is made while the
        // image is decoded, and its particles and channel are measured as they are.
        let (image, source) = match (&pipeline, &args.intensity) {
            (Some(config), None) => {
                let (image, source) = super::segment::read_source_channel(image_path, config)?;
                (image, Some(source))
            }
            _ => (read_image(&measured_path)?, None),
        };
        let particles = if let Some(mask_path) = &args.mask {
            let mask_path = companion_file(mask_path, image_path, images.len(), "mask")?;
            let mask = read_mask(&mask_path)?;
            measure_image(
                &image,
                Segmentation::Mask(&mask),
                &channels,
                &options,
                &calibration,
            )
        } else if let Some(config) = &pipeline {
            match &args.intensity {
                // The pipeline sees IMAGE; --intensity only says what is measured.
                Some(_) => {
                    let segmented = hemato::segment::segment(&read_image(image_path)?, config)
                        .with_context(|| format!("cannot segment {}", image_path.display()))?;
                    measure_image(
                        &image,
                        Segmentation::Mask(&segmented.mask),
                        &channels,
                        &options,
                        &calibration,
                    )
                }
                None => {
                    let source = source.expect("read with the source channel above");
                    let segmented = hemato::segment::segment_gray(&source, config)
                        .with_context(|| format!("cannot segment {}", image_path.display()))?;
                    let ready = match image {
                        AnyImage::Rgb8(_) => hemato::segment::measured_channel(config)
                            .map(|channel| (channel, &source)),
                        _ => None,
                    };
                    measure_particles(
                        &image,
                        &segmented.particles_with(&options),
                        &channels,
                        ready,
                        &calibration,
                    )
                }
            }
        } else {
            let labels_path = args.labels.as_ref().expect("checked above");
            let labels_path = companion_file(labels_path, image_path, images.len(), "labels")?;
            let labels = read_label_image(&labels_path)?;
            measure_image(
                &image,
                Segmentation::Labels(&labels),
                &channels,
                &options,
                &calibration,
            )
        }
        .with_context(|| format!("cannot measure {}", measured_path.display()))?;
        let class = if args.class_from_dir {
            image_path.canonicalize().ok().and_then(|path| {
                path.parent()
                    .and_then(|parent| parent.file_name())
                    .map(|name| name.to_string_lossy().into_owned())
            })
        } else {
            args.class.clone()
        };
        let name = file_name(image_path);
        Ok(particles
            .into_iter()
            .map(|particle| TableRow {
                image: name.clone(),
                class: class.clone(),
                particle,
            })
            .collect())
    };
    let mut batch = super::for_each_image(
        &images,
        args.keep_going,
        memory.one_at_a_time,
        "measured",
        &progress,
        measure_one,
    )?;
    let measured = batch.done.len();
    for (_, rows) in std::mem::take(&mut batch.done) {
        table.rows.extend(rows);
    }

    let format = args.format;
    let decimals = usize::from(args.decimals);
    hemato::output::write_atomically(&args.output, |writer| match format {
        Format::Imagej => write_imagej_csv(writer, &table, decimals),
        Format::Json => write_json(writer, &table),
        Format::Bloodcells => write_bloodcells_csv(writer, &table).map_err(std::io::Error::other),
    })
    .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!(
        "{} particles from {} image(s) written to {}",
        table.rows.len(),
        measured,
        args.output.display()
    );
    batch.finish("the table holds")
}
