//! `hemato binary OP MASK -o OUT.png`: ImageJ's Process > Binary operations on a mask.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::ValueEnum;
use image::GrayImage;

use hemato::io::{read_image, write_gray_png, AnyImage};
use hemato::morphology::{self, BinaryOptions};

/// Arguments of `hemato binary`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The operation.
    #[arg(value_enum)]
    operation: Operation,
    /// Binary mask: 8-bit image with objects = 255 on background = 0.
    mask: PathBuf,
    /// Output mask (PNG).
    #[arg(short, long)]
    output: PathBuf,
    /// Erode/dilate/open/close: how many times (1-100), as ImageJ's Binary Options.
    #[arg(long, default_value_t = 1)]
    iterations: u32,
    /// Erode/dilate/open/close: neighbours (1-8) of the other kind needed to change a pixel.
    #[arg(long, default_value_t = 1)]
    count: u32,
    /// Erode/open/close: pixels outside the image count as object when eroding ("Pad edges
    /// when eroding").
    #[arg(long)]
    pad_edges: bool,
    /// size-filter: smallest particle kept, in pixels.
    #[arg(long, default_value_t = 0)]
    min: u64,
    /// size-filter: largest particle kept, in pixels (default: no limit).
    #[arg(long)]
    max: Option<u64>,
}

/// Binary operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Operation {
    /// Process > Binary > Fill Holes.
    FillHoles,
    /// Process > Binary > Erode.
    Erode,
    /// Process > Binary > Dilate.
    Dilate,
    /// Process > Binary > Open (erode, then dilate).
    Open,
    /// Process > Binary > Close (dilate, then erode).
    Close,
    /// Keep 8-connected particles of --min to --max pixels (Analyze Particles, show=Masks).
    SizeFilter,
}

/// Runs `hemato binary`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mask = read_mask(&args.mask)?;
    let options = BinaryOptions::new(args.iterations, args.count)
        .context("invalid binary options")?
        .with_pad_edges(args.pad_edges);
    let result = match args.operation {
        Operation::FillHoles => morphology::fill_holes(&mask),
        Operation::Erode => morphology::erode(&mask, &options),
        Operation::Dilate => morphology::dilate(&mask, &options),
        Operation::Open => morphology::open(&mask, &options),
        Operation::Close => morphology::close(&mask, &options),
        Operation::SizeFilter => {
            let max = args.max.unwrap_or(u64::MAX);
            if max < args.min {
                bail!("--max {max} is smaller than --min {}", args.min);
            }
            morphology::remove_particles_outside(&mask, args.min, max)
        }
    };
    write_gray_png(&args.output, &result)?;
    Ok(())
}

/// Reads a binary mask: an 8-bit grey image holding only 0 and 255.
pub(super) fn read_mask(path: &Path) -> anyhow::Result<GrayImage> {
    let image = read_image(path)?;
    let AnyImage::Gray8(mask) = image else {
        bail!(
            "{}: a mask must be an 8-bit grey image (objects 255 on 0), this is {}",
            path.display(),
            image.kind()
        );
    };
    morphology::check_binary(&mask).with_context(|| path.display().to_string())?;
    Ok(mask)
}
