//! `hemato edm MASK -o OUT.tif`: ImageJ's Process > Binary > Distance Map as a 32-bit TIFF.

use std::path::PathBuf;

use hemato::edm::distance_map;
use hemato::io::write_float_tiff;

/// Arguments of `hemato edm`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Binary mask: 8-bit image with objects = 255 on background = 0.
    mask: PathBuf,
    /// Output distance map (32-bit float TIFF).
    #[arg(short, long)]
    output: PathBuf,
}

/// Runs `hemato edm`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mask = super::binary::read_mask(&args.mask)?;
    if !hemato::edm::side_fits(mask.width(), mask.height()) {
        anyhow::bail!(
            "{}: a {}x{} mask is too large for the distance map (sides below {} pixels)",
            args.mask.display(),
            mask.width(),
            mask.height(),
            hemato::edm::MAX_SIDE
        );
    }
    write_float_tiff(&args.output, &distance_map(&mask))?;
    Ok(())
}
