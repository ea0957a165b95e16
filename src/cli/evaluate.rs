//! `hemato evaluate`: score a model on a labelled feature table.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args as ClapArgs;
use hemato::classify::names::closest;
use hemato::classify::report::{text_report, write_report};
use hemato::classify::{Evaluation, Model, RawTable};

/// Score a trained model on a labelled feature table.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Model file written by `hemato train`.
    #[arg(long)]
    pub model: PathBuf,
    /// Labelled feature table.
    pub table: PathBuf,
    /// Column holding the true class.
    #[arg(long, default_value = "Class")]
    pub label: String,
    /// Print one JSON object (accuracy, macro_f1, weighted_f1, per_class, confusion_matrix,
    /// classes, ...) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write report.txt, metrics.json, CSV tables and PNG heatmaps into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

/// Runs `hemato evaluate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let model = Model::load(&args.model)?;
    let raw = RawTable::read(&args.table)?;
    let table = model.features_of(&raw, &args.label, true)?;
    let evaluation = model.evaluate(&table)?;
    if let Some(warning) = unknown_classes_warning(&evaluation, model.class_names()) {
        eprintln!("{warning}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&evaluation)?);
    } else {
        print!("{}", text_report(&evaluation));
    }
    if let Some(folder) = &args.report {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create report folder {}", folder.display()))?;
        write_report(folder, &evaluation)?;
        if !args.json {
            println!("wrote the report to {}", folder.display());
        }
    }
    Ok(())
}

/// A warning naming the table's classes that the model does not have: their rows are counted
/// as errors, which a misspelt class name (`Neutrophil` for `neutrophil`) would do silently.
fn unknown_classes_warning(evaluation: &Evaluation, model_classes: &[String]) -> Option<String> {
    let unknown: Vec<String> = evaluation
        .per_class
        .iter()
        .filter(|scores| scores.support > 0 && !model_classes.contains(&scores.class))
        .map(|scores| {
            let rows = scores.support;
            match closest(&scores.class, model_classes) {
                Some(similar) => format!("{} ({rows} rows; {similar}?)", scores.class),
                None => format!("{} ({rows} rows)", scores.class),
            }
        })
        .collect();
    (!unknown.is_empty()).then(|| {
        format!(
            "warning: class(es) the model does not have, counted as errors: {}; the model's classes: {}",
            unknown.join(", "),
            model_classes.join(", ")
        )
    })
}
