//! `hemato train`: cross-validate settings on a feature table, refit the best, save it.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use hemato::classify::cv::CvScores;
use hemato::classify::grid::{builtin_grid, read_grid};
use hemato::classify::tuning::{tune_and_fit, TuningOptions};
use hemato::classify::{read_table, TableOptions};

/// Train a classifier on a labelled feature table.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Feature table (`,`, `;` or tab separated; ImageJ Results, hemato's own, bloodcells).
    pub table: PathBuf,
    /// Model family: logistic, mlp, forest, boosting, svm, or auto (every family's grid).
    #[arg(long, default_value = "auto")]
    pub model: String,
    /// Folds of stratified cross-validation (0: no cross-validation, fit the first setting).
    #[arg(long, default_value_t = 5)]
    pub cv: usize,
    /// Grid file (JSON) of settings to try instead of the built-in grid.
    #[arg(long)]
    pub grid: Option<PathBuf>,
    /// Seed of folds and models: the same seed gives the same model file.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Column holding the class.
    #[arg(long, default_value = "Class")]
    pub label: String,
    /// Feature columns, comma-separated (default: every numeric column but the label and
    /// identifier columns).
    #[arg(long, value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Where to write the model (JSON).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Print the cross-validation results as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write the fold of each row (CSV: row,fold; rows numbered from 0 in table order).
    #[arg(long)]
    pub folds_out: Option<PathBuf>,
}

fn print_table(scores: &[CvScores], best: usize) {
    println!(
        "{:>3}  {:<9} {:>8} {:>8} {:>8}  settings",
        "#", "model", "mean F1", "std", "fit s"
    );
    for (i, s) in scores.iter().enumerate() {
        let fit = s.fit_seconds.iter().sum::<f64>() / s.fit_seconds.len().max(1) as f64;
        println!(
            "{:>3}  {:<9} {:>8.4} {:>8.4} {:>8.2}  {}{}",
            i + 1,
            s.spec.family(),
            s.mean,
            s.std,
            fit,
            s.spec.settings_text(),
            if i == best { "  <- best" } else { "" }
        );
    }
}

/// Runs `hemato train`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let options = TableOptions {
        label: args.label.clone(),
        features: args.features.clone(),
        require_label: true,
    };
    let table = read_table(&args.table, &options)?;
    let candidates = match &args.grid {
        Some(path) => {
            let specs = read_grid(path)?;
            if args.model != "auto" {
                if let Some(other) = specs.iter().find(|s| s.family() != args.model) {
                    bail!(
                        "--model {} but the grid {} lists {} settings",
                        args.model,
                        path.display(),
                        other.family()
                    );
                }
            }
            specs
        }
        None => builtin_grid(&args.model)?,
    };
    if args.cv == 0 && candidates.len() > 1 {
        bail!(
            "{} settings to choose from but --cv 0: cross-validation picks among them (give a grid with one setting to skip it)",
            candidates.len()
        );
    }
    let tuning = TuningOptions {
        candidates,
        folds: args.cv,
        seed: args.seed,
        table_name: args
            .table
            .file_name()
            .map(|name| name.to_string_lossy().into_owned()),
    };
    if !args.json {
        eprintln!(
            "{}: {} rows, {} features; {} setting(s), {}",
            args.table.display(),
            table.rows.nrows(),
            table.feature_names.len(),
            tuning.candidates.len(),
            if args.cv > 0 {
                format!("{}-fold stratified cross-validation on macro F1", args.cv)
            } else {
                "no cross-validation".to_string()
            }
        );
    }
    let outcome = tune_and_fit(&table, &tuning).context("training failed")?;
    if let Some(path) = &args.folds_out {
        let mut text = String::from("row,fold\n");
        for (row, fold) in outcome.folds.iter().enumerate() {
            text.push_str(&format!("{row},{fold}\n"));
        }
        hemato::output::write_bytes_atomically(path, text.as_bytes())?;
    }
    outcome.model.save(&args.output)?;
    if args.json {
        let value = serde_json::json!({
            "model": args.output,
            "rows": table.rows.nrows(),
            "features": table.feature_names,
            "classes": outcome.model.class_names(),
            "folds": args.cv,
            "seed": args.seed,
            "best": outcome.best,
            "cross_validation": outcome.scores,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        if !outcome.scores.is_empty() {
            print_table(&outcome.scores, outcome.best);
            let best = &outcome.scores[outcome.best];
            println!(
                "best: {} {} with macro F1 {:.4} ± {:.4} over {} folds; refitted on all {} rows",
                best.spec.family(),
                best.spec.settings_text(),
                best.mean,
                best.std,
                args.cv,
                table.rows.nrows()
            );
        }
        println!("wrote {}", args.output.display());
    }
    Ok(())
}
