//! `hemato merge SHARD_DIR... -o OUTDIR`: the outputs of a job array's shards as one run.

use std::path::PathBuf;

use anyhow::Context;
use hemato::slide::merge_shards;

/// Combine the output folders of `hemato slide --shard` tasks into one cells.csv, counts.csv and
/// overview, identical to a run in one process.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  hemato merge shards/task-*/ -o results/

See docs/cluster.md.")]
pub struct Args {
    /// The shards' output folders (each holding parts/).
    #[arg(required = true, value_name = "SHARD_DIR")]
    shards: Vec<PathBuf>,
    /// Output folder.
    #[arg(short, long, value_name = "OUTDIR")]
    output: PathBuf,
}

/// Runs `hemato merge`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let summary = merge_shards(&args.shards, &args.output)
        .with_context(|| format!("hemato merge -o {}", args.output.display()))?;
    eprintln!("{} cells → {}", summary.cells, args.output.display());
    Ok(())
}
