//! Subcommands. Each file defines its clap arguments and a `run` function that calls the
//! library and reports; no image or table logic lives here.

mod measure;

use clap::{Parser, Subcommand};

/// hemato: stained blood-smear images in, counts of each cell type out.
#[derive(Debug, Parser)]
#[command(name = "hemato", version, about, long_about = None)]
pub struct Arguments {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure particles (mask or labels) as ImageJ's Analyze Particles: one row per particle.
    Measure(measure::Args),
}

/// Runs one subcommand.
pub fn run(arguments: Arguments) -> anyhow::Result<()> {
    match arguments.command {
        Command::Measure(args) => measure::run(args),
    }
}
