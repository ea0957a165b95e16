//! `hemato predict`: classify the rows of a feature table.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use hemato::classify::{Model, RawTable};

/// Predict the class of every row of a feature table.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Model file written by `hemato train`.
    #[arg(long)]
    pub model: PathBuf,
    /// Feature table (a label column, if any, is kept but not used).
    pub table: PathBuf,
    /// Where to write the input rows plus `Predicted` and one `P(class)` column per class.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Column holding a class, if the table has one (never used as a feature).
    #[arg(long, default_value = "Class")]
    pub label: String,
}

/// Runs `hemato predict`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let model = Model::load(&args.model)?;
    let raw = RawTable::read(&args.table)?;
    let table = model.features_of(&raw, &args.label, false)?;
    let (predicted, probabilities) = model.predict_table(&table)?;
    let text = hemato::classify::report::predictions_csv(
        &raw,
        model.class_names(),
        &predicted,
        probabilities.view(),
    )?;
    hemato::output::write_bytes_atomically(&args.output, &text)?;
    eprintln!(
        "wrote {} predictions to {}",
        predicted.len(),
        args.output.display()
    );
    Ok(())
}
