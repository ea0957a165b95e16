//! `hemato watershed MASK -o OUT.png`: ImageJ's Process > Binary > Watershed.

use std::path::PathBuf;

use anyhow::Context;

use hemato::io::write_gray_png;
use hemato::watershed::watershed;

/// Arguments of `hemato watershed`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Binary mask: 8-bit image with objects = 255 on background = 0.
    mask: PathBuf,
    /// Output mask with touching particles cut apart (PNG, objects 255 on 0).
    #[arg(short, long)]
    output: PathBuf,
}

/// Runs `hemato watershed`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mask = super::binary::read_mask(&args.mask)?;
    let segmented = watershed(&mask).with_context(|| args.mask.display().to_string())?;
    write_gray_png(&args.output, &segmented)?;
    Ok(())
}
