//! Subcommands. Each file defines its clap arguments and a `run` function that calls the
//! library and reports; no image or table logic lives here.

use clap::{Parser, Subcommand};

mod binary;
mod edm;
mod watershed;

/// hemato: stained blood-smear images in, counts of each cell type out.
#[derive(Debug, Parser)]
#[command(name = "hemato", version, about, long_about = None)]
pub struct Arguments {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Binary operations (fill holes, erode, dilate, open, close, size filter) as ImageJ.
    Binary(binary::Args),
    /// Euclidean distance map of a mask as ImageJ's Distance Map (32-bit TIFF).
    Edm(edm::Args),
    /// Cut touching particles apart as ImageJ's Binary > Watershed.
    Watershed(watershed::Args),
}

/// Runs one subcommand.
pub fn run(arguments: Arguments) -> anyhow::Result<()> {
    match arguments.command {
        Command::Binary(args) => binary::run(args),
        Command::Edm(args) => edm::run(args),
        Command::Watershed(args) => watershed::run(args),
    }
}
