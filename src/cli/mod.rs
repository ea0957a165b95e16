//! Subcommands. Each file defines its clap arguments and a `run` function that calls the
//! library and reports; no image or table logic lives here.

mod evaluate;
mod predict;
mod train;

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
    /// Train a classifier on a labelled feature table (cross-validated grid search).
    Train(train::Args),
    /// Score a trained classifier on a labelled feature table.
    Evaluate(evaluate::Args),
    /// Classify every row of a feature table.
    Predict(predict::Args),
}

/// Runs one subcommand.
pub fn run(arguments: Arguments) -> anyhow::Result<()> {
    match arguments.command {
        Command::Train(args) => train::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Predict(args) => predict::run(args),
    }
}
