//! `hemato segment`: stain channel → threshold → fill holes → watershed → mask and labels.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use hemato::color::StainSet;
use hemato::io::AnyImage;
use hemato::memory::Footprint;
use hemato::segment::{segment_gray, Objects, PipelineConfig, SegmentError, SourceChannel};
use hemato::threshold::Method;
use image::GrayImage;

/// The pipeline settings that make the mask; shared by `segment` and `measure`. Each flag sets
/// the configuration field of the same name; flags override `--config`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PipelineArgs {
    /// Pipeline configuration (JSON; missing fields take their defaults, see --print-config).
    #[arg(long, value_name = "PIPELINE.json")]
    config: Option<PathBuf>,
    /// Channel thresholded for RGB images: stain1, stain2, stain3 (colour deconvolution with
    /// --stains), red, green, blue, gray. Grey images are thresholded as they are.
    #[arg(long, value_name = "NAME", value_parser = parse_channel)]
    channel: Option<SourceChannel>,
    /// Stain set of the stain channels (Colour Deconvolution 2 names: Giemsa, "H&E", ...).
    #[arg(long, value_name = "NAME", value_parser = parse_stains)]
    stains: Option<StainSet>,
    /// ImageJ auto-threshold method (Otsu, Default, Li, Triangle, ...).
    #[arg(long, value_name = "METHOD", value_parser = parse_method)]
    threshold: Option<Method>,
    /// Objects darker (dark) or brighter (bright) than the background.
    #[arg(long, value_name = "dark|bright", value_parser = parse_objects)]
    objects: Option<Objects>,
    /// Fill holes after thresholding (true/false).
    #[arg(long, value_name = "BOOL")]
    fill_holes: Option<bool>,
    /// Cut touching particles apart with ImageJ's watershed (true/false).
    #[arg(long, value_name = "BOOL")]
    watershed: Option<bool>,
}

/// The size and edge filters of the pipeline (in `measure`, its own --size and
/// --exclude-edges play that part).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Smallest particle kept, in pixels.
    #[arg(long, value_name = "PIXELS")]
    min_size: Option<f64>,
    /// Largest particle kept, in pixels ("Infinity" for no limit).
    #[arg(long, value_name = "PIXELS")]
    max_size: Option<f64>,
    /// Drop particles touching the image border (true/false).
    #[arg(long, value_name = "BOOL")]
    exclude_edges: Option<bool>,
}

impl PipelineArgs {
    /// The configuration file (or the defaults) with the flags applied.
    pub fn config(&self) -> anyhow::Result<PipelineConfig> {
        let mut config = match &self.config {
            Some(path) => read_config(path)?,
            None => PipelineConfig::default(),
        };
        if let Some(channel) = self.channel {
            config.channel = channel;
        }
        if let Some(stains) = self.stains {
            config.stains = stains;
        }
        if let Some(method) = self.threshold {
            config.threshold = method;
        }
        if let Some(objects) = self.objects {
            config.objects = objects;
        }
        if let Some(fill_holes) = self.fill_holes {
            config.fill_holes = fill_holes;
        }
        if let Some(watershed) = self.watershed {
            config.watershed = watershed;
        }
        Ok(config)
    }
}

impl FilterArgs {
    /// Applies the filter flags to `config`.
    fn apply(&self, mut config: PipelineConfig) -> anyhow::Result<PipelineConfig> {
        if let Some(min) = self.min_size {
            config.min_size = min;
        }
        if let Some(max) = self.max_size {
            config.max_size = (max != f64::INFINITY).then_some(max);
        }
        if let Some(exclude) = self.exclude_edges {
            config.exclude_edges = exclude;
        }
        config.check()?;
        Ok(config)
    }
}

/// Reads a pipeline configuration file.
pub fn read_config(path: &Path) -> anyhow::Result<PipelineConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    PipelineConfig::from_json(&text).with_context(|| format!("{}", path.display()))
}

fn parse_channel(text: &str) -> Result<SourceChannel, String> {
    SourceChannel::parse(text).map_err(|error| error.to_string())
}

fn parse_stains(text: &str) -> Result<StainSet, String> {
    StainSet::parse(text).map_err(|error| error.to_string())
}

fn parse_method(text: &str) -> Result<Method, String> {
    Method::parse(text).map_err(|error| error.to_string())
}

fn parse_objects(text: &str) -> Result<Objects, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "dark" => Ok(Objects::Dark),
        "bright" => Ok(Objects::Bright),
        _ => Err(format!("`{text}`: objects are dark or bright")),
    }
}

/// Segment an image: stain channel → threshold → fill holes → watershed → particles, as the
/// ImageJ macro chain Colour Deconvolution, setAutoThreshold, Convert to Mask, Fill Holes,
/// Watershed, Analyze Particles.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  hemato segment smear.jpg -o mask.png --labels labels.tif
  hemato segment smear.jpg --channel stain1 --min-size 50 -o nuclei.png
  hemato segment --print-config > pipeline.json     # edit, then:
  hemato segment smear.jpg --config pipeline.json --labels labels.tif
  hemato measure smear.jpg --config pipeline.json -o cells.csv

Label k of LABELS.tif is row k of `hemato measure IMAGE --mask MASK.png`. See docs/segmentation.md.")]
pub struct Args {
    /// The image (RGB or grey: PNG, JPEG, TIFF, BMP, .npy).
    #[arg(required_unless_present = "print_config", value_name = "IMAGE")]
    image: Option<PathBuf>,
    /// Binary mask of the particles (objects = 255), PNG.
    #[arg(short, long, value_name = "MASK.png")]
    output: Option<PathBuf>,
    /// 32-bit label image (0 = background, particles 1..n in ImageJ's raster order), TIFF.
    #[arg(long, value_name = "LABELS.tif")]
    labels: Option<PathBuf>,
    /// Print the effective configuration (defaults, --config, flags) as JSON and exit.
    #[arg(long)]
    print_config: bool,
    #[command(flatten)]
    pipeline: PipelineArgs,
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    memory: super::MemoryArgs,
}

/// The image at `path` and the channel the pipeline thresholds in it
/// ([`hemato::segment::read_with_source_channel`]); a file that cannot be read is reported as
/// such, a channel that cannot be made as an image that cannot be segmented.
pub(super) fn read_source_channel(
    path: &Path,
    config: &PipelineConfig,
) -> anyhow::Result<(AnyImage, GrayImage)> {
    match hemato::segment::read_with_source_channel(path, config) {
        Ok(read) => Ok(read),
        Err(SegmentError::Read(error)) => Err(error.into()),
        Err(error) => {
            Err(anyhow::Error::from(error).context(format!("cannot segment {}", path.display())))
        }
    }
}

/// Runs `hemato segment`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let config = args.filters.apply(args.pipeline.config()?)?;
    if args.print_config {
        println!("{}", config.to_json());
        return Ok(());
    }
    let image_path = args.image.as_ref().expect("clap requires IMAGE");
    if args.output.is_none() && args.labels.is_none() {
        bail!("nothing to write: give -o MASK.png and/or --labels LABELS.tif");
    }
    args.memory
        .plan(std::slice::from_ref(image_path), Footprint::SEGMENT)
        .check(0, image_path)?;
    let (image, source) = read_source_channel(image_path, &config)?;
    let segmented = segment_gray(&source, &config)
        .with_context(|| format!("cannot segment {}", image_path.display()))?;
    if let Some(path) = &args.output {
        hemato::io::write_gray_png(path, &segmented.mask)?;
    }
    if let Some(path) = &args.labels {
        hemato::io::write_label_tiff(path, &segmented.labels())?;
    }
    eprintln!(
        "{}: {} particles ({} {}, level {})",
        image_path.display(),
        segmented.particles.len(),
        config.threshold,
        if matches!(image, hemato::io::AnyImage::Rgb8(_)) {
            config.channel.name()
        } else {
            "grey image"
        },
        segmented.level
    );
    Ok(())
}
