//! The measurement and classification halves meet: a table written by `hemato measure
//! --format bloodcells` is read by the classifier's table reader with the same 33 features as
//! the dataset it imitates, and the shipped `models/bloodcells.json` predicts on it.

use std::path::Path;
use std::process::Command;

use hemato::classify::{read_table, TableOptions};

fn repository(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn hemato(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(arguments)
        .output()
        .expect("hemato runs")
}

/// Particles of one or two pixels have no skewness or kurtosis (ImageJ prints NaN, the
/// bloodcells layout an empty cell, as pandas does); the classifier refuses such rows by line
/// and column, so tables for training are measured with a size filter, as here.
#[test]
fn a_bloodcells_table_from_measure_is_read_and_classified() {
    let folder = tempfile::tempdir().unwrap();
    let table = folder.path().join("cells.csv");
    let image = repository("fixtures/smears/BloodImage_00003.jpg");
    let run = hemato(&[
        "measure",
        image.to_str().unwrap(),
        "--format",
        "bloodcells",
        "--class",
        "Neutrophil",
        "--size",
        "100-Infinity",
        "-o",
        table.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // The dataset's own header is the reference for the columns the reader must find.
    let options = TableOptions {
        label: "Class".to_string(),
        features: None,
        require_label: true,
    };
    let ours = read_table(&table, &options).expect("hemato's table reads back");
    let rows = std::fs::read_to_string(&table).unwrap().lines().count() - 1;
    assert!(rows > 10, "{rows} particles on a smear field");
    assert_eq!(ours.rows.nrows(), rows);
    assert_eq!(ours.feature_names.len(), 33);
    assert!(ours
        .labels
        .as_ref()
        .unwrap()
        .iter()
        .all(|c| c == "Neutrophil"));

    let model = repository("models/bloodcells.json");
    let model_features = hemato::classify::Model::load(&model)
        .expect("shipped model loads")
        .feature_names()
        .to_vec();
    let mut ours_sorted = ours.feature_names.clone();
    let mut model_sorted = model_features;
    ours_sorted.sort();
    model_sorted.sort();
    assert_eq!(ours_sorted, model_sorted);

    let predictions = folder.path().join("predictions.csv");
    let run = hemato(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        table.to_str().unwrap(),
        "-o",
        predictions.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&predictions).unwrap();
    assert_eq!(text.lines().count() - 1, rows);
    assert!(text.lines().next().unwrap().contains("Predicted"));
}

#[test]
fn an_unfiltered_table_with_nan_cells_is_refused_by_line_and_column() {
    let folder = tempfile::tempdir().unwrap();
    let table = folder.path().join("cells.csv");
    // Two particles: a one-pixel one (no skewness: NaN) and a 3x3 square.
    let mask = image::GrayImage::from_fn(8, 8, |x, y| {
        let object = (x, y) == (1, 1) || ((4..7).contains(&x) && (4..7).contains(&y));
        image::Luma([if object { 255 } else { 0 }])
    });
    let mask_path = folder.path().join("mask.png");
    mask.save(&mask_path).unwrap();
    let rgb = image::RgbImage::from_fn(8, 8, |x, y| {
        image::Rgb([(x * 30) as u8, (y * 30) as u8, 90])
    });
    let image_path = folder.path().join("cells.png");
    rgb.save(&image_path).unwrap();
    let run = hemato(&[
        "measure",
        image_path.to_str().unwrap(),
        "--mask",
        mask_path.to_str().unwrap(),
        "--format",
        "bloodcells",
        "--class",
        "Lymphocyte",
        "-o",
        table.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let options = TableOptions {
        label: "Class".to_string(),
        features: None,
        require_label: true,
    };
    let message = read_table(&table, &options).unwrap_err().to_string();
    assert!(
        message.contains("line 2") && message.contains("Skew"),
        "{message}"
    );
}
