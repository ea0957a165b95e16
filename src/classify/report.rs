//! Evaluation reports: a text summary for people, CSV tables, JSON for programs and PNG
//! heatmaps of the confusion matrix (see [`super::heatmap`]).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use super::heatmap::{confusion_heatmap, HeatmapValues};
use super::metrics::Evaluation;
use crate::output::{write_atomically, write_bytes_atomically, OutputError};

/// The summary, per-class table and confusion matrix as aligned text.
pub fn text_report(evaluation: &Evaluation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "rows        {}", evaluation.rows);
    let _ = writeln!(out, "accuracy    {:.4}", evaluation.accuracy);
    let _ = writeln!(out, "macro F1    {:.4}", evaluation.macro_f1);
    let _ = writeln!(out, "weighted F1 {:.4}", evaluation.weighted_f1);
    let _ = writeln!(out);
    let width = evaluation
        .classes
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(5)
        .max("class".len());
    let _ = writeln!(
        out,
        "{:<width$}  precision  recall      F1  support",
        "class"
    );
    for s in &evaluation.per_class {
        let _ = writeln!(
            out,
            "{:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
            s.class, s.precision, s.recall, s.f1, s.support
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "confusion matrix (rows: true class, columns: predicted class)"
    );
    out.push_str(&confusion_text(evaluation));
    out
}

/// The confusion matrix as an aligned text table.
pub fn confusion_text(evaluation: &Evaluation) -> String {
    let names = &evaluation.classes;
    let cell = evaluation
        .confusion_matrix
        .iter()
        .flatten()
        .map(|v| v.to_string().len())
        .chain(names.iter().map(String::len))
        .max()
        .unwrap_or(1);
    let first = names
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(1)
        .max("true \\ predicted".len());
    let mut out = format!("{:<first$}", "true \\ predicted");
    for name in names {
        let _ = write!(out, "  {name:>cell$}");
    }
    out.push('\n');
    for (name, row) in names.iter().zip(&evaluation.confusion_matrix) {
        let _ = write!(out, "{name:<first$}");
        for v in row {
            let _ = write!(out, "  {v:>cell$}");
        }
        out.push('\n');
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A confusion matrix as CSV: header `true\predicted,<classes>`, one row per true class.
pub fn confusion_csv<T: std::fmt::Display>(classes: &[String], matrix: &[Vec<T>]) -> String {
    let mut out = String::from("true\\predicted");
    for name in classes {
        out.push(',');
        out.push_str(&csv_field(name));
    }
    out.push('\n');
    for (name, row) in classes.iter().zip(matrix) {
        out.push_str(&csv_field(name));
        for v in row {
            let _ = write!(out, ",{v}");
        }
        out.push('\n');
    }
    out
}

/// Per-class scores as CSV.
pub fn per_class_csv(evaluation: &Evaluation) -> String {
    let mut out = String::from("class,precision,recall,f1,support\n");
    for s in &evaluation.per_class {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            csv_field(&s.class),
            s.precision,
            s.recall,
            s.f1,
            s.support
        );
    }
    out
}

/// Writes every report file into `folder` (which must exist): `report.txt`, `metrics.json`,
/// `per_class.csv`, `confusion_matrix.csv`, `confusion_matrix_normalised.csv`,
/// `confusion_matrix.png` and `confusion_matrix_normalised.png`.
pub fn write_report(folder: &Path, evaluation: &Evaluation) -> Result<(), OutputError> {
    write_bytes_atomically(
        &folder.join("report.txt"),
        text_report(evaluation).as_bytes(),
    )?;
    let json = serde_json::to_string_pretty(evaluation).expect("evaluations serialise") + "\n";
    write_bytes_atomically(&folder.join("metrics.json"), json.as_bytes())?;
    write_bytes_atomically(
        &folder.join("per_class.csv"),
        per_class_csv(evaluation).as_bytes(),
    )?;
    write_bytes_atomically(
        &folder.join("confusion_matrix.csv"),
        confusion_csv(&evaluation.classes, &evaluation.confusion_matrix).as_bytes(),
    )?;
    write_bytes_atomically(
        &folder.join("confusion_matrix_normalised.csv"),
        confusion_csv(&evaluation.classes, &evaluation.confusion_matrix_normalised).as_bytes(),
    )?;
    for (name, values) in [
        ("confusion_matrix.png", HeatmapValues::Counts),
        (
            "confusion_matrix_normalised.png",
            HeatmapValues::RowNormalised,
        ),
    ] {
        let image = confusion_heatmap(evaluation, values);
        let path = folder.join(name);
        write_atomically(&path, |writer| {
            let mut bytes = Vec::new();
            image
                .write_to(
                    &mut std::io::Cursor::new(&mut bytes),
                    image::ImageFormat::Png,
                )
                .map_err(std::io::Error::other)?;
            writer.write_all(&bytes)
        })?;
    }
    Ok(())
}

/// The rows of `raw` with a `Predicted` column and one `P(<class>)` column per class, in the
/// table's own separator.
pub fn predictions_csv(
    raw: &super::table::RawTable,
    classes: &[String],
    predicted: &[usize],
    probabilities: ndarray::ArrayView2<f64>,
) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(raw.delimiter)
        .from_writer(Vec::new());
    let mut header = raw.header.clone();
    header.push("Predicted".to_string());
    header.extend(classes.iter().map(|c| format!("P({c})")));
    writer.write_record(&header)?;
    for (r, record) in raw.records.iter().enumerate() {
        let mut cells = record.clone();
        cells.push(classes[predicted[r]].clone());
        cells.extend(probabilities.row(r).iter().map(|p| p.to_string()));
        writer.write_record(&cells)?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_csv_quotes_awkward_names() {
        let classes = vec!["a,b".to_string(), "c".to_string()];
        let text = confusion_csv(&classes, &[vec![1, 2], vec![3, 4]]);
        assert_eq!(text, "true\\predicted,\"a,b\",c\n\"a,b\",1,2\nc,3,4\n");
    }
}
