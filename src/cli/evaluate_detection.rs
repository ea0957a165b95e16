//! `hemato evaluate-detection`: `hemato count`'s detections scored against annotated data.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use hemato::count::evaluation::{
    csv_dataset, folder_dataset, read_subtype_labels, subtype_call, subtype_report, voc_dataset,
    AnnotatedImage, DatasetSummary, ImageScore, Matches, SubtypeResult, TruthClass, SUBTYPE_LABELS,
};
use hemato::count::overlay::{class_colour, draw_dotted_box, draw_overlay};
use hemato::count::CellClass;
use hemato::count::{count_image, CountOptions, WhiteCellClassifier};
use hemato::memory::Footprint;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Score `hemato count` against annotated smears: box datasets (BCCD-style Pascal VOC,
/// Aslan-style CSV) and class folders (PBC), one summary per dataset.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example (the data of ../shared/data):
  hemato evaluate-detection --voc ../shared/data/smears-sample --csv ../shared/data/aslan-sample \\
      --folders ../shared/data/pbc -o accuracy.md

Matching: centroid inside the box, box centre inside the detection, or IoU >= 0.3; one to one
(a red-cell clump counted as n cells matches up to n boxes). See docs/accuracy.md.")]
pub struct Args {
    /// A Pascal VOC dataset (DIR/images, DIR/annotations/*.xml), e.g. BCCD. With a
    /// DIR/labels.csv (columns image, wbc_subtype_kaggle), the class of each labelled image's
    /// white cell is also compared with its label.
    #[arg(long, value_name = "DIR")]
    voc: Vec<PathBuf>,
    /// A box CSV dataset (DIR/images, DIR/annotations.csv), e.g. Aslan.
    #[arg(long, value_name = "DIR")]
    csv: Vec<PathBuf>,
    /// A class-folder dataset of single-cell images (DIR/CLASS/*), e.g. PBC.
    #[arg(long, value_name = "DIR")]
    folders: Vec<PathBuf>,
    /// White-cell model instead of the built-in one.
    #[arg(long, value_name = "MODEL.json")]
    model: Option<PathBuf>,
    /// Take the model's most probable class, without the class gate (as `hemato count
    /// --trust-model`).
    #[arg(long)]
    trust_model: bool,
    /// At most this many images per class folder.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Print one line per image of the box datasets.
    #[arg(long)]
    per_image: bool,
    /// Write an overlay per box-dataset image here: the count's outlines with the annotated
    /// boxes dotted in their class's colour.
    #[arg(long, value_name = "DIR")]
    overlay: Option<PathBuf>,
    /// Also write the report (Markdown) here.
    #[arg(short, long, value_name = "REPORT.md")]
    output: Option<PathBuf>,
    #[command(flatten)]
    memory: super::MemoryArgs,
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.3}"))
}

fn matches_row(name: &str, matches: &Matches) -> String {
    format!(
        "| {name} | {} | {} | {} | {} | {} |\n",
        matches.true_positives,
        matches.false_positives,
        matches.false_negatives,
        ratio(matches.recall()),
        ratio(matches.precision())
    )
}

/// Scores every image; with subtype labels (image name → label), also the class of each
/// labelled image's white cell.
fn score_boxes(
    images: &[AnnotatedImage],
    classifier: &WhiteCellClassifier,
    overlay: Option<&Path>,
    labels: Option<&BTreeMap<String, String>>,
) -> anyhow::Result<Vec<(ImageScore, Option<SubtypeResult>)>> {
    images
        .par_iter()
        .map(|image| {
            let rgb = hemato::io::read_rgb_image(&image.path)?;
            let count = count_image(&rgb, &CountOptions::default(), classifier)
                .with_context(|| format!("cannot count {}", image.path.display()))?;
            if let Some(folder) = overlay {
                let mut drawn = draw_overlay(&rgb, &count);
                for truth in &image.boxes {
                    let class = match truth.class {
                        TruthClass::Rbc => Some(CellClass::Rbc),
                        TruthClass::Platelet => Some(CellClass::Platelet),
                        TruthClass::Wbc => None,
                    };
                    let corners = [truth.xmin, truth.ymin, truth.xmax, truth.ymax];
                    draw_dotted_box(&mut drawn, corners, class_colour(class));
                }
                let name = image.path.file_stem().context("image without a name")?;
                let path = folder.join(Path::new(name).with_extension("png"));
                hemato::io::write_rgb_png(&path, &drawn)?;
            }
            let score = ImageScore::of(image, &count.reported_detections());
            let subtype = labels
                .and_then(|labels| labels.get(&score.image))
                .map(|truth| SubtypeResult {
                    image: score.image.clone(),
                    truth: truth.clone(),
                    call: subtype_call(&image.boxes, &count),
                });
            Ok((score, subtype))
        })
        .collect()
}

/// Runs `hemato evaluate-detection`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.voc.is_empty() && args.csv.is_empty() && args.folders.is_empty() {
        bail!("give at least one dataset: --voc DIR, --csv DIR or --folders DIR");
    }
    let classifier = super::count::white_cell_classifier(args.model.as_deref(), args.trust_model)?;
    let mut datasets: Vec<(PathBuf, Vec<AnnotatedImage>)> = Vec::new();
    for directory in &args.voc {
        datasets.push((directory.clone(), voc_dataset(directory)?));
    }
    for directory in &args.csv {
        datasets.push((directory.clone(), csv_dataset(directory)?));
    }
    let mut folder_datasets: Vec<(PathBuf, Vec<(PathBuf, String)>)> = Vec::new();
    for directory in &args.folders {
        folder_datasets.push((directory.clone(), folder_dataset(directory, args.limit)?));
    }
    // Every image is counted whole, as `hemato count` does: one too large for memory stops
    // the run before any is counted (an evaluation with an image left out would not be the
    // dataset's), and a dataset whose largest images do not fit together runs one at a time.
    let paths: Vec<PathBuf> = datasets
        .iter()
        .flat_map(|(_, images)| images.iter().map(|image| image.path.clone()))
        .chain(
            folder_datasets
                .iter()
                .flat_map(|(_, images)| images.iter().map(|(path, _)| path.clone())),
        )
        .collect();
    let memory = args.memory.plan(&paths, Footprint::COUNT);
    for (index, path) in paths.iter().enumerate() {
        memory.check(index, path)?;
    }
    let report = memory.run(|| report(&args, &classifier, &datasets, &folder_datasets))??;
    print!("{report}");
    if let Some(path) = &args.output {
        hemato::output::write_bytes_atomically(path, report.as_bytes())?;
    }
    Ok(())
}

/// The Markdown report of every dataset, box datasets first.
fn report(
    args: &Args,
    classifier: &WhiteCellClassifier,
    datasets: &[(PathBuf, Vec<AnnotatedImage>)],
    folder_datasets: &[(PathBuf, Vec<(PathBuf, String)>)],
) -> anyhow::Result<String> {
    let mut report = String::new();
    for (directory, images) in datasets {
        if let Some(folder) = &args.overlay {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        let label_file = directory.join(SUBTYPE_LABELS);
        let labels = if label_file.is_file() {
            Some(read_subtype_labels(&label_file)?)
        } else {
            None
        };
        let scored = score_boxes(images, classifier, args.overlay.as_deref(), labels.as_ref())?;
        let (scores, subtypes): (Vec<ImageScore>, Vec<Option<SubtypeResult>>) =
            scored.into_iter().unzip();
        let subtypes: Vec<SubtypeResult> = subtypes.into_iter().flatten().collect();
        let summary = DatasetSummary::of(&scores);
        writeln!(
            report,
            "## {} ({} images)\n",
            directory.display(),
            summary.images
        )?;
        writeln!(
            report,
            "Red cells: {} annotated, {} counted; per image mean |error| {:.1} %, mean signed error {:+.1} %.\n",
            summary.red_boxes, summary.red_counted, summary.red_mean_absolute_error, summary.red_mean_error
        )?;
        report.push_str("| class | TP | FP | FN | recall | precision |\n| --- | --- | --- | --- | --- | --- |\n");
        report.push_str(&matches_row("red cells", &summary.red));
        report.push_str(&matches_row("white cells", &summary.white));
        report.push_str(&matches_row("platelets", &summary.platelets));
        report.push('\n');
        if !subtypes.is_empty() {
            writeln!(
                report,
                "White-cell subtypes against {} (the class of the nucleated cell matching the white-cell box):\n",
                label_file.display()
            )?;
            report.push_str(&subtype_report(&subtypes));
        }
        if args.per_image {
            report.push_str("| image | red boxes | red counted | error % | WBC TP/FP/FN | platelet TP/FP/FN |\n| --- | --- | --- | --- | --- | --- |\n");
            for score in &scores {
                writeln!(
                    report,
                    "| {} | {} | {} | {} | {}/{}/{} | {}/{}/{} |",
                    score.image,
                    score.red_boxes,
                    score.red_counted,
                    score
                        .red_count_error()
                        .map_or("–".into(), |e| format!("{e:+.1}")),
                    score.white.true_positives,
                    score.white.false_positives,
                    score.white.false_negatives,
                    score.platelets.true_positives,
                    score.platelets.false_positives,
                    score.platelets.false_negatives
                )?;
            }
            report.push('\n');
        }
    }
    for (directory, images) in folder_datasets {
        report.push_str(&hemato::count::evaluation::folder_report(
            directory, images, classifier,
        )?);
    }
    Ok(report)
}
