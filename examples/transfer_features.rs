//! Which white-cell features transfer from the PBC training images to smear fields of other
//! microscopes, judged without any white-cell label of those fields.
//!
//! ```sh
//! cargo run --release --example transfer_features -- pbc_features.csv bccd_cells.csv aslan_cells.csv
//! ```
//!
//! The first table is a `hemato features` table of the training images; the others are
//! `hemato count --cells` tables of fields from other microscopes (only their white cells, the
//! rows with features, are read; their classes are ignored). For each feature: its median over
//! each field table's white cells, as a z-score against the training table (mean and
//! population standard deviation over all its rows). A feature transfers when every |z| is at
//! most 1 (one training standard deviation, about what a different mix of cell types alone
//! moves a median by) and it does not depend on where the cytoplasm ends (`cell_*`,
//! `cytoplasm_area`, `nc_ratio`, `nucleus_fraction`, `nucleus_offset`: pale cytoplasm merges
//! with the background on some microscopes). Prints every feature's z-scores on standard error
//! and the transferring features, comma-separated, on standard output (for
//! `hemato train --features`). `models/README.md` gives the exact run.

use std::error::Error;

/// Largest |z| of a transferring feature.
const MAX_SHIFT: f64 = 1.0;

/// Features that measure the extent of the cytoplasm.
fn depends_on_cell_outline(name: &str) -> bool {
    name.starts_with("cell_")
        || matches!(
            name,
            "cytoplasm_area" | "nc_ratio" | "nucleus_fraction" | "nucleus_offset"
        )
}

/// A CSV table: its columns and its rows.
type Table = (Vec<String>, Vec<Vec<String>>);

/// Columns and rows of a CSV table (rows with an empty cell in column `required` skipped).
fn read(path: &str, required: &str) -> Result<Table, Box<dyn Error>> {
    let mut reader = csv::Reader::from_path(path)?;
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let required = header
        .iter()
        .position(|c| c == required)
        .ok_or_else(|| format!("{path}: no column {required}"))?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        if !record.get(required).unwrap_or("").is_empty() {
            rows.push(record.iter().map(str::to_string).collect());
        }
    }
    Ok((header, rows))
}

fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Result<Vec<f64>, Box<dyn Error>> {
    let index = header
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| format!("no column {name}"))?;
    rows.iter()
        .map(|row| Ok(row[index].parse::<f64>()?))
        .collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if arguments.len() < 2 {
        return Err("usage: transfer_features TRAINING.csv CELLS.csv [CELLS.csv ...]".into());
    }
    let names = hemato::features::feature_names();
    let (train_header, train_rows) = read(&arguments[0], &names[0])?;
    let fields: Vec<Table> = arguments[1..]
        .iter()
        .map(|path| read(path, &names[0]))
        .collect::<Result<_, _>>()?;
    for (path, (_, rows)) in arguments[1..].iter().zip(&fields) {
        eprintln!("{path}: {} white cells", rows.len());
        if rows.is_empty() {
            return Err(format!("{path}: no white cell with features").into());
        }
    }
    let mut transferring = Vec::new();
    for name in &names {
        let training = column(&train_header, &train_rows, name)?;
        let n = training.len() as f64;
        let mean = training.iter().sum::<f64>() / n;
        let sd = (training.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let mut shifts = Vec::new();
        for (header, rows) in &fields {
            let mut values = column(header, rows, name)?;
            let shift = if sd > 0.0 {
                (median(&mut values) - mean) / sd
            } else {
                0.0
            };
            shifts.push(shift);
        }
        let largest = shifts.iter().fold(0.0f64, |m, z| m.max(z.abs()));
        let keep = largest <= MAX_SHIFT && !depends_on_cell_outline(name);
        let shown: Vec<String> = shifts.iter().map(|z| format!("{z:+.2}")).collect();
        eprintln!(
            "{name}\t{}\t{}",
            shown.join("\t"),
            if keep { "kept" } else { "" }
        );
        if keep {
            transferring.push(name.clone());
        }
    }
    eprintln!(
        "{} of {} features transfer",
        transferring.len(),
        names.len()
    );
    println!("{}", transferring.join(","));
    Ok(())
}
