//! Subcommands. Each file defines its clap arguments and a `run` function that calls the
//! library and reports; no image or table logic lives here.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use hemato::memory::Footprint;

mod binary;
mod count;
mod deconvolve;
mod edm;
mod evaluate;
mod evaluate_detection;
mod features;
mod measure;
mod merge;
mod mosaic;
mod predict;
mod segment;
mod slide;
mod threshold;
mod train;
mod watershed;

/// hemato: stained blood-smear images in, counts of each cell type out.
#[derive(Debug, Parser)]
#[command(name = "hemato", version, about, long_about = None)]
pub struct Arguments {
    #[command(subcommand)]
    command: Command,
}

/// Subcommands in pipeline order.
#[derive(Debug, Subcommand)]
enum Command {
    /// Separate the stains of an RGB image (colour deconvolution).
    Deconvolve(deconvolve::Args),
    /// Print the ranges ImageJ's auto threshold methods select on an image.
    Threshold(threshold::Args),
    /// Binary operations (fill holes, erode, dilate, open, close, size filter) as ImageJ.
    Binary(binary::Args),
    /// Euclidean distance map of a mask as ImageJ's Distance Map (32-bit TIFF).
    Edm(edm::Args),
    /// Cut touching particles apart as ImageJ's Binary > Watershed.
    Watershed(watershed::Args),
    /// Segment an image: stain channel, threshold, fill holes, watershed → mask and labels.
    Segment(segment::Args),
    /// Count red cells, platelets and each white-cell type in smear images.
    Count(count::Args),
    /// Score `hemato count` against annotated datasets (boxes, class folders).
    EvaluateDetection(evaluate_detection::Args),
    /// Measure particles (mask or labels) as ImageJ's Analyze Particles: one row per particle.
    Measure(measure::Args),
    /// Count and measure the cells of whole-slide images, tile by tile (resumable, shardable).
    Slide(slide::Args),
    /// Combine the outputs of `hemato slide --shard` tasks.
    Merge(merge::Args),
    /// Write a large tiled BigTIFF test slide from microscope fields.
    Mosaic(mosaic::Args),
    /// Describe the white cell in the middle of each image: a feature table for training.
    Features(features::Args),
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
        Command::Deconvolve(args) => deconvolve::run(args),
        Command::Threshold(args) => threshold::run(args),
        Command::Binary(args) => binary::run(args),
        Command::Edm(args) => edm::run(args),
        Command::Watershed(args) => watershed::run(args),
        Command::Segment(args) => segment::run(args),
        Command::Count(args) => count::run(args),
        Command::EvaluateDetection(args) => evaluate_detection::run(args),
        Command::Measure(args) => measure::run(args),
        Command::Slide(args) => slide::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Mosaic(args) => mosaic::run(args),
        Command::Features(args) => features::run(args),
        Command::Train(args) => train::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Predict(args) => predict::run(args),
    }
}

/// `--max-memory`, for the commands that process each image whole (`count`, `measure`,
/// `segment`, `features`, `evaluate-detection`).
#[derive(Debug, clap::Args)]
struct MemoryArgs {
    /// Most memory one image may need (e.g. 8G, 512M; powers of 1024). An image whose
    /// estimated peak exceeds it is refused before it is decoded, with what to do instead
    /// (e.g. `hemato slide`); images that fit one by one but not together run one at a time.
    /// Default: the memory available when the run starts (the kernel's MemAvailable, or less
    /// under a cgroup limit, as in Slurm or Kubernetes jobs).
    #[arg(long, value_name = "SIZE", value_parser = hemato::memory::parse_size)]
    max_memory: Option<u64>,
}

impl MemoryArgs {
    /// The memory plan of a batch of `images` processed as `footprint` says: the limit, read
    /// once, each image's size from its header, and whether the images may run in parallel
    /// ([`hemato::memory::fit_together`]; when not, a note says so and they run one at a
    /// time). A header that cannot be read is left to the image's own read to report.
    fn plan(&self, images: &[PathBuf], footprint: Footprint) -> MemoryPlan {
        use rayon::prelude::*;
        let limit = hemato::memory::Limit::resolve(self.max_memory);
        let sizes: Vec<Option<(u64, u64)>> = match limit {
            Some(_) => images
                .par_iter()
                .map(|path| hemato::io::image_dimensions(path).ok())
                .collect(),
            None => vec![None; images.len()],
        };
        let one_at_a_time = match limit {
            Some(limit) if images.len() > 1 => {
                let needs: Vec<u64> = sizes
                    .iter()
                    .flatten()
                    .map(|&(width, height)| footprint.bytes(width, height))
                    .filter(|&need| need <= limit.bytes())
                    .collect();
                let threads = rayon::current_num_threads();
                let together = hemato::memory::fit_together(&needs, threads, limit.bytes());
                if !together {
                    eprintln!(
                        "note: the largest images, {threads} at a time, would need more than the \
                         {} of memory {}: the images are processed one at a time",
                        hemato::memory::human_bytes(limit.bytes()),
                        limit.source()
                    );
                }
                !together
            }
            _ => false,
        };
        MemoryPlan {
            limit,
            footprint,
            sizes,
            one_at_a_time,
        }
    }
}

/// What [`MemoryArgs::plan`] decided for a batch.
struct MemoryPlan {
    limit: Option<hemato::memory::Limit>,
    footprint: Footprint,
    /// Each image's (width, height) from its header, in input order; `None` when unknown.
    sizes: Vec<Option<(u64, u64)>>,
    /// Whether the images run one after the other.
    one_at_a_time: bool,
}

impl MemoryPlan {
    /// Refuses image `index` (at `path`) when processing it whole would exceed the limit.
    fn check(&self, index: usize, path: &Path) -> anyhow::Result<()> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let (width, height) = match self.sizes.get(index).copied().flatten() {
            Some(size) => size,
            None => hemato::io::image_dimensions(path)?,
        };
        hemato::memory::check(path, width, height, self.footprint, limit)?;
        Ok(())
    }

    /// Runs `work` (which processes the batch with rayon) in a pool of one thread when the
    /// images must run one at a time, else in the current pool.
    fn run<T: Send>(&self, work: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
        if !self.one_at_a_time {
            return Ok(work());
        }
        use anyhow::Context as _;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .context("cannot start a thread")?;
        Ok(pool.install(work))
    }
}

/// What a batch of images (`count`, `measure`) gave: the outputs of the images that were done,
/// with their indices in input order, and how many of `total` were skipped (`--keep-going`).
struct Batch<T> {
    done: Vec<(usize, T)>,
    skipped: usize,
    total: usize,
    /// What was done to an image, for the messages ("counted", "measured").
    verb: &'static str,
}

impl<T> Batch<T> {
    /// How the run ends once its outputs are written: fine, or, when images were skipped, an
    /// error saying how many (each already named on stderr after "skipped:") and that
    /// `outputs` hold the others.
    fn finish(&self, outputs: &str) -> anyhow::Result<()> {
        if self.skipped == 0 {
            return Ok(());
        }
        anyhow::bail!(
            "{} of {} image(s) could not be {} (named above, after \"skipped:\"); {outputs} the other {}",
            self.skipped,
            self.total,
            self.verb,
            self.total - self.skipped
        )
    }
}

/// Runs `work` on every image of a batch (`count`, `measure`): images in parallel, a single
/// image (or every image, with `one_at_a_time`: a batch too large for memory several at a
/// time, [`MemoryArgs::plan`]) from this thread, so that its own parallel steps (the
/// watershed's shares of particles) use every thread of the pool. The outputs keep the order
/// of `images`, so the tables are the same for any number of threads. Without `keep_going`
/// the first failure stops the others and is returned; with it, each failing image is named
/// on stderr ("skipped: ...", once `progress` is cleared) and left out, and the run fails only
/// when no image is left. `progress` counts the images as they finish.
fn for_each_image<T: Send>(
    images: &[PathBuf],
    keep_going: bool,
    one_at_a_time: bool,
    verb: &'static str,
    progress: &indicatif::ProgressBar,
    work: impl Fn(usize, &PathBuf) -> anyhow::Result<T> + Sync,
) -> anyhow::Result<Batch<T>> {
    use rayon::prelude::*;
    let work = |(index, path): (usize, &PathBuf)| {
        let outcome = work(index, path);
        progress.inc(1);
        outcome
    };
    let parallel = images.len() > 1 && !one_at_a_time;
    // Without keep_going, collecting into one Result stops at the first failure.
    let outcomes: Vec<anyhow::Result<T>> = if keep_going && parallel {
        images.par_iter().enumerate().map(work).collect()
    } else if keep_going {
        images.iter().enumerate().map(work).collect()
    } else {
        let done: Vec<T> = if parallel {
            images
                .par_iter()
                .enumerate()
                .map(work)
                .collect::<anyhow::Result<_>>()?
        } else {
            images
                .iter()
                .enumerate()
                .map(work)
                .collect::<anyhow::Result<_>>()?
        };
        done.into_iter().map(Ok).collect()
    };
    progress.finish_and_clear();
    let mut batch = Batch {
        done: Vec::with_capacity(images.len()),
        skipped: 0,
        total: images.len(),
        verb,
    };
    for (index, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(output) => batch.done.push((index, output)),
            Err(error) if keep_going => {
                eprintln!("skipped: {}", message(&error));
                batch.skipped += 1;
            }
            Err(error) => return Err(error),
        }
    }
    if batch.done.is_empty() {
        anyhow::bail!("none of the {} image(s) could be {verb}", images.len());
    }
    Ok(batch)
}

/// An error with its causes, as `{:#}` prints it (`outer: cause: cause`), but a cause whose text
/// already ends what has been written is not repeated: the library's errors about a file name
/// the file and say why (`cannot read F: reason`) and also hand the reason on as their source.
pub fn message(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.is_empty() {
            text = part;
        } else if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    text
}

/// What to say when the folders given hold no image themselves: folders are not searched
/// recursively, so name the subfolders that hold images (empty when there are none).
fn subfolder_hint(inputs: &[std::path::PathBuf]) -> String {
    let mut hints = Vec::new();
    for input in inputs.iter().filter(|input| input.is_dir()) {
        let Ok(entries) = std::fs::read_dir(input) else {
            continue;
        };
        let mut holding: Vec<String> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.is_dir() && !hemato::io::is_hidden(path))
            .filter(|path| {
                std::fs::read_dir(path).is_ok_and(|mut inside| {
                    inside.any(|entry| {
                        entry.is_ok_and(|entry| hemato::io::is_folder_image(&entry.path()))
                    })
                })
            })
            .filter_map(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        if !holding.is_empty() {
            holding.sort();
            hints.push(format!(
                "{} has images in its subfolders {} (give them, e.g. {}/*)",
                input.display(),
                holding.join(", "),
                input.display()
            ));
        }
    }
    if hints.is_empty() {
        String::new()
    } else {
        format!(
            "; folders are not searched recursively: {}",
            hints.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    /// An error whose message ends with its source's, as the library's file errors are made.
    #[derive(Debug, thiserror::Error)]
    #[error("cannot read f.json: {source}")]
    struct FileError {
        source: std::io::Error,
    }

    #[test]
    fn message_names_a_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(FileError { source: io }).context("cannot count a.png");
        // `{:#}` would end "no such file: no such file".
        assert_eq!(
            super::message(&error),
            "cannot count a.png: cannot read f.json: no such file"
        );
        assert_eq!(super::message(&anyhow::anyhow!("plain")), "plain");
    }
}
