//! End-to-end tests of `hemato train`, `hemato evaluate` and `hemato predict` on small
//! generated tables: outputs, JSON keys, report files, and clear errors for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hemato(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(arguments)
        .output()
        .expect("hemato runs")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A `;`-separated table in the bloodcells layout: a file-name column with trailing spaces
/// whose names leak the class (so a model that read it would be perfect), two features
/// that separate the classes with a few overlaps, and a Class column.
fn write_table(dir: &Path, name: &str, rows: usize) -> PathBuf {
    let mut out = String::from("image filename;Area;StDev blue;Class\n");
    for i in 0..rows {
        let class = ["Lymphocyte", "Monocyte", "Neutrophil"][i % 3];
        let centre = (i % 3) as f64 * 10.0;
        // Deterministic spread around the centre.
        let jitter = ((i * 7919) % 97) as f64 / 97.0 * 8.0 - 4.0;
        out.push_str(&format!(
            "{class}_{i}.jpg ;{};{};{class}\n",
            1000.0 + 50.0 * (centre + jitter),
            centre - jitter * 0.5
        ));
    }
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

fn train(dir: &Path, table: &Path, model: &str) -> PathBuf {
    let grid = dir.join(format!("{model}-grid.json"));
    std::fs::write(&grid, format!("{{\"model\": \"{model}\"}}")).unwrap();
    let output = dir.join(format!("{model}.json"));
    let run = hemato(&[
        "train",
        table.to_str().unwrap(),
        "--model",
        model,
        "--grid",
        grid.to_str().unwrap(),
        "--cv",
        "3",
        "-o",
        output.to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&run);
    assert!(run.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("<- best") && stdout.contains("wrote"),
        "{stdout}"
    );
    output
}

#[test]
fn train_evaluate_predict_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let table = write_table(dir.path(), "cells.csv", 90);
    let model = train(dir.path(), &table, "logistic");

    // The model never reads the file name, and records the spellings as canonical names.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(saved["schema"], "hemato-classifier");
    assert_eq!(
        saved["feature_names"],
        serde_json::json!(["Area", "StdDev blue"])
    );
    assert_eq!(saved["training"]["cross_validation"]["folds"], 3);

    let evaluate = hemato(&[
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        table.to_str().unwrap(),
        "--json",
        "--report",
        dir.path().join("report").to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&evaluate);
    assert!(evaluate.status.success(), "{stderr}");
    let metrics: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "accuracy",
        "macro_f1",
        "weighted_f1",
        "per_class",
        "confusion_matrix",
        "classes",
    ] {
        assert!(metrics.get(key).is_some(), "no {key} in {stdout}");
    }
    assert_eq!(
        metrics["classes"],
        serde_json::json!(["Lymphocyte", "Monocyte", "Neutrophil"])
    );
    let matrix: Vec<Vec<u64>> =
        serde_json::from_value(metrics["confusion_matrix"].clone()).unwrap();
    assert_eq!(matrix.iter().flatten().sum::<u64>(), 90);
    for name in [
        "report.txt",
        "metrics.json",
        "per_class.csv",
        "confusion_matrix.csv",
        "confusion_matrix_normalised.csv",
    ] {
        assert!(dir.path().join("report").join(name).exists(), "{name}");
    }
    for name in ["confusion_matrix.png", "confusion_matrix_normalised.png"] {
        let image = image::open(dir.path().join("report").join(name)).unwrap();
        assert!(image.width() > 100 && image.height() > 50, "{name}");
    }
    let csv = std::fs::read_to_string(dir.path().join("report/confusion_matrix.csv")).unwrap();
    assert!(
        csv.starts_with("true\\predicted,Lymphocyte,Monocyte,Neutrophil\n"),
        "{csv}"
    );

    let text_run = hemato(&[
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        table.to_str().unwrap(),
    ]);
    let (stdout, _) = text(&text_run);
    assert!(
        stdout.contains("macro F1") && stdout.contains("true \\ predicted"),
        "{stdout}"
    );

    let predictions = dir.path().join("predictions.csv");
    let predict = hemato(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        table.to_str().unwrap(),
        "-o",
        predictions.to_str().unwrap(),
    ]);
    assert!(predict.status.success(), "{}", text(&predict).1);
    let written = std::fs::read_to_string(&predictions).unwrap();
    let mut lines = written.lines();
    assert_eq!(
        lines.next().unwrap(),
        "image filename;Area;StDev blue;Class;Predicted;P(Lymphocyte);P(Monocyte);P(Neutrophil)"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 90);
    for row in &rows {
        let cells: Vec<&str> = row.split(';').collect();
        let p: f64 = cells[5..8].iter().map(|c| c.parse::<f64>().unwrap()).sum();
        assert!((p - 1.0).abs() < 1e-9, "{row}");
    }
    // Predicted column agrees with evaluate's accuracy.
    let correct = rows
        .iter()
        .filter(|r| {
            let c: Vec<&str> = r.split(';').collect();
            c[3] == c[4]
        })
        .count();
    assert!((correct as f64 / 90.0 - metrics["accuracy"].as_f64().unwrap()).abs() < 1e-12);
}

#[test]
fn predict_works_without_a_label_column_and_same_seed_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let table = write_table(dir.path(), "cells.csv", 60);
    let first = train(dir.path(), &table, "forest");
    let first_bytes = std::fs::read(&first).unwrap();
    let again = train(dir.path(), &table, "forest");
    assert_eq!(first_bytes, std::fs::read(&again).unwrap());

    let unlabelled = dir.path().join("unlabelled.csv");
    std::fs::write(&unlabelled, "Area,StdDev blue\n1000,0\n2000,20\n").unwrap();
    let out = dir.path().join("p.csv");
    let run = hemato(&[
        "predict",
        "--model",
        first.to_str().unwrap(),
        unlabelled.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run).1);
    let written = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert!(lines[1].contains(",Lymphocyte,"), "{written}");
    assert!(lines[2].contains(",Neutrophil,"), "{written}");
}

#[test]
fn bad_inputs_fail_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let table = write_table(dir.path(), "cells.csv", 60);
    let model = train(dir.path(), &table, "logistic");
    let out = dir.path().join("out.json");
    let cases: Vec<(String, &str, Vec<String>)> = vec![
        ("a,b,Class\n1,2,x\n3,NaN,y\n".into(), "line 3", vec![]),
        ("a,b,Class\n1,2,x\n2,3,x\n".into(), "two classes", vec![]),
        ("a,b\n1,2\n2,3\n".into(), "no column \"Class\"", vec![]),
        ("".into(), "empty", vec![]),
        ("a,b,Class\n".into(), "no data rows", vec![]),
        (
            "a,b,Class\n1,2,x\n2,3,y\n".into(),
            "no column \"zz\"",
            vec!["--features".into(), "a,zz".into()],
        ),
        (
            "a,b,Class\n1,2,x\n2,3,y\n".into(),
            "fewer than the 5 folds",
            vec![],
        ),
    ];
    for (i, (contents, expected, extra)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.csv"));
        std::fs::write(&path, contents).unwrap();
        let mut arguments = vec![
            "train".to_string(),
            path.to_str().unwrap().to_string(),
            "--model".into(),
            "logistic".into(),
            "-o".into(),
            out.to_str().unwrap().to_string(),
        ];
        arguments.extend(extra.iter().cloned());
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        let run = hemato(&arguments);
        let (_, stderr) = text(&run);
        assert!(!run.status.success(), "case {i} succeeded");
        assert!(
            stderr.contains(expected),
            "case {i}: expected {expected:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!out.exists(), "no model file after a failed run");

    // A table without the model's features.
    let other = dir.path().join("other.csv");
    std::fs::write(&other, "Perim.,Class\n3,Monocyte\n").unwrap();
    let run = hemato(&[
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    let (_, stderr) = text(&run);
    assert!(!run.status.success());
    assert!(
        stderr.contains("lacks") && stderr.contains("Area") && stderr.contains("Perim."),
        "{stderr}"
    );

    // A model file of another schema version.
    let json = std::fs::read_to_string(&model).unwrap();
    let future = dir.path().join("future.json");
    std::fs::write(
        &future,
        json.replace("\"schema_version\":1", "\"schema_version\":9"),
    )
    .unwrap();
    let run = hemato(&[
        "predict",
        "--model",
        future.to_str().unwrap(),
        table.to_str().unwrap(),
        "-o",
        "x.csv",
    ]);
    let (_, stderr) = text(&run);
    assert!(
        !run.status.success() && stderr.contains("schema version 9"),
        "{stderr}"
    );

    // --cv 0 with several settings is refused rather than silently picking one.
    let run = hemato(&[
        "train",
        table.to_str().unwrap(),
        "--model",
        "svm",
        "--cv",
        "0",
        "-o",
        "x.json",
    ]);
    let (_, stderr) = text(&run);
    assert!(
        !run.status.success() && stderr.contains("--cv 0"),
        "{stderr}"
    );
}

#[test]
fn renamed_columns_and_unknown_classes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let table = write_table(dir.path(), "cells.csv", 60);
    let model = train(dir.path(), &table, "logistic");
    let contents = std::fs::read_to_string(&table).unwrap();
    let evaluate = |name: &str, contents: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let run = hemato(&[
            "evaluate",
            "--model",
            model.to_str().unwrap(),
            path.to_str().unwrap(),
        ]);
        let (stdout, stderr) = text(&run);
        (run.status.success(), stdout, stderr)
    };

    // A feature column saved under another spelling, and the label column in lower case:
    // each error names the column the table has instead.
    let (ok, _, stderr) = evaluate(
        "renamed.csv",
        contents.replacen("StDev blue", "StDev_Blue ", 1),
    );
    assert!(!ok);
    assert!(
        stderr.contains("lacks 1 feature column(s)")
            && stderr.contains("StdDev blue (the table has \"StdDev_Blue\": renamed?)"),
        "{stderr}"
    );
    let (ok, _, stderr) = evaluate("label.csv", contents.replacen(";Class", ";class", 1));
    assert!(!ok);
    assert!(
        stderr.contains("no column \"Class\" (the table has \"class\": renamed?)"),
        "{stderr}"
    );

    // Class names the model does not have: scored as errors, with a warning that names them,
    // their rows, and the model class a misspelt one probably is.
    let relabelled =
        contents
            .replace(";Monocyte\n", ";monocyte\n")
            .replacen(";Neutrophil\n", ";Basophil\n", 1);
    let (ok, stdout, stderr) = evaluate("classes.csv", relabelled);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains(
            "class(es) the model does not have, counted as errors: Basophil (1 rows), monocyte (20 rows; Monocyte?)"
        ) && stderr.contains("the model's classes: Lymphocyte, Monocyte, Neutrophil"),
        "{stderr}"
    );
    assert!(stdout.contains("accuracy"), "{stdout}");
    let (_, _, stderr) = evaluate("same.csv", contents);
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn the_data_source_is_recorded_in_the_model_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let table = write_table(dir.path(), "cells.csv", 60);
    let without = train(dir.path(), &table, "logistic");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&without).unwrap()).unwrap();
    assert!(saved["training"].get("data_source").is_none());

    let with = dir.path().join("attributed.json");
    let source = "Example dataset, CC BY 4.0";
    let run = hemato(&[
        "train",
        table.to_str().unwrap(),
        "--model",
        "logistic",
        "--cv",
        "0",
        "--grid",
        dir.path().join("logistic-grid.json").to_str().unwrap(),
        "--data-source",
        source,
        "-o",
        with.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run).1);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&with).unwrap()).unwrap();
    assert_eq!(saved["training"]["data_source"], source);
    // A model with the field loads and predicts.
    let predict = hemato(&[
        "predict",
        "--model",
        with.to_str().unwrap(),
        table.to_str().unwrap(),
        "-o",
        dir.path().join("predictions.csv").to_str().unwrap(),
    ]);
    assert!(predict.status.success(), "{}", text(&predict).1);
}
