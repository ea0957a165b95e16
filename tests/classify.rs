//! Library tests of the built-in classifiers: metrics against hand-computed and published
//! values, every model on a linearly separable problem, save/load round trips, determinism
//! across thread counts, class weighting, and the table reader's quirks and errors.

use std::path::Path;

use hemato::classify::metrics::Evaluation;
use hemato::classify::table::RawTable;
use hemato::classify::{read_table, FeatureTable, Model, ModelSpec, TableError, TableOptions};
use ndarray::Array2;

/// Deterministic test data without the crate's private generator: a 64-bit LCG (Knuth's
/// MMIX constants) and Box–Muller normals.
struct TestRandom(u64);

impl TestRandom {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Three well separated Gaussian blobs in 4 features (means 10 apart, sd 1), `per_class`
/// rows each; features on different scales so standardisation matters.
fn blobs(per_class: usize, seed: u64) -> FeatureTable {
    let mut random = TestRandom(seed);
    let centres = [
        [0.0, 0.0, 0.0, 0.0],
        [10.0, 0.0, 10.0, 0.0],
        [0.0, 10.0, 0.0, 10.0],
    ];
    let scales = [1.0, 100.0, 0.01, 1000.0];
    let names = ["alpha", "beta", "gamma"];
    let n = 3 * per_class;
    let mut rows = Array2::zeros((n, 4));
    let mut labels = Vec::new();
    for i in 0..n {
        let c = i % 3;
        for f in 0..4 {
            rows[[i, f]] = (centres[c][f] + random.normal()) * scales[f];
        }
        labels.push(names[c].to_string());
    }
    FeatureTable {
        feature_names: vec!["f1".into(), "f2".into(), "f3".into(), "f4".into()],
        rows,
        labels: Some(labels),
        ids: (1..=n).map(|i| i.to_string()).collect(),
    }
}

/// Small settings of every family (the defaults, with fewer trees and rounds for speed).
fn every_family() -> Vec<ModelSpec> {
    let grid = serde_json::json!([
        {"model": "logistic"},
        {"model": "mlp", "hidden_layers": [[16]]},
        {"model": "forest", "trees": 30},
        {"model": "boosting", "rounds": 30, "min_samples_leaf": 5},
        {"model": "svm"}
    ]);
    hemato::classify::grid::expand(&grid, "test").unwrap()
}

fn labels_of(model: &Model, predicted: &[usize]) -> Vec<String> {
    predicted
        .iter()
        .map(|&c| model.class_names()[c].clone())
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// Metrics

#[test]
fn binary_confusion_matrix_with_hand_computed_scores() {
    // truth a a a a b b, predicted a a a b b a:
    // a: TP 3, FP 1, FN 1 -> precision 3/4, recall 3/4, F1 3/4, support 4
    // b: TP 1, FP 1, FN 1 -> 1/2, 1/2, 1/2, support 2
    // macro F1 (3/4 + 1/2) / 2 = 5/8; weighted (4 * 3/4 + 2 * 1/2) / 6 = 2/3; accuracy 4/6.
    let e = Evaluation::new(
        strings(&["a", "b"]),
        &[0, 0, 0, 0, 1, 1],
        &[0, 0, 0, 1, 1, 0],
    );
    assert_eq!(e.confusion_matrix, vec![vec![3, 1], vec![1, 1]]);
    assert!((e.per_class[0].f1 - 0.75).abs() < 1e-15);
    assert!((e.per_class[1].f1 - 0.5).abs() < 1e-15);
    assert!((e.macro_f1 - 0.625).abs() < 1e-15);
    assert!((e.weighted_f1 - 2.0 / 3.0).abs() < 1e-15);
    assert!((e.accuracy - 4.0 / 6.0).abs() < 1e-15);
    assert_eq!(e.confusion_matrix_normalised[0], vec![0.75, 0.25]);
}

#[test]
fn three_class_example_from_the_scikit_learn_documentation() {
    // sklearn.metrics.f1_score docstring: y_true = [0, 1, 2, 0, 1, 2],
    // y_pred = [0, 2, 1, 0, 0, 1] -> per class [0.8, 0, 0], macro 0.2666..., weighted 0.2666...
    let e = Evaluation::new(
        strings(&["0", "1", "2"]),
        &[0, 1, 2, 0, 1, 2],
        &[0, 2, 1, 0, 0, 1],
    );
    let f1: Vec<f64> = e.per_class.iter().map(|s| s.f1).collect();
    assert!((f1[0] - 0.8).abs() < 1e-12 && f1[1] == 0.0 && f1[2] == 0.0);
    assert!((e.macro_f1 - 0.26666666666666666).abs() < 1e-12);
    assert!((e.weighted_f1 - 0.26666666666666666).abs() < 1e-12);
    // Precision of class 0: 2 of 3 predictions right.
    assert!((e.per_class[0].precision - 2.0 / 3.0).abs() < 1e-15);
}

#[test]
fn classes_absent_from_truth_and_predictions_leave_the_macro_mean_alone() {
    // Class "c" never occurs: macro F1 over a and b only, as scikit-learn's default.
    let e = Evaluation::new(strings(&["a", "b", "c"]), &[0, 1], &[0, 1]);
    assert_eq!(e.macro_f1, 1.0);
    assert_eq!(e.per_class[2].support, 0);
    // A class predicted but never true has precision 0 and counts in the mean.
    let e = Evaluation::new(strings(&["a", "b", "c"]), &[0, 0], &[0, 2]);
    // a: P 1, R 1/2, F1 2/3; c: P 0, R 0 (no support), F1 0 -> macro 1/3.
    assert!((e.macro_f1 - 1.0 / 3.0).abs() < 1e-15);
}

// ---------------------------------------------------------------------------------------
// Models

#[test]
fn every_model_solves_a_linearly_separable_problem() {
    let train = blobs(40, 1);
    let test = blobs(30, 2);
    for spec in every_family() {
        let model = Model::fit(&spec, &train, 7).unwrap();
        for (name, table) in [("training", &train), ("held-out", &test)] {
            let (predicted, probabilities) = model.predict_table(table).unwrap();
            assert_eq!(
                &labels_of(&model, &predicted),
                table.labels.as_ref().unwrap(),
                "{} on {name} rows",
                spec.family()
            );
            for row in probabilities.rows() {
                assert!((row.sum() - 1.0).abs() < 1e-6, "{}", spec.family());
                assert!(row.iter().all(|&p| (0.0..=1.0).contains(&p)));
            }
        }
    }
}

#[test]
fn saved_and_loaded_models_predict_identically() {
    let train = blobs(20, 3);
    let test = blobs(20, 4);
    let dir = tempfile::tempdir().unwrap();
    for spec in every_family() {
        let model = Model::fit(&spec, &train, 11).unwrap();
        let path = dir.path().join(format!("{}.json", spec.family()));
        model.save(&path).unwrap();
        let loaded = Model::load(&path).unwrap();
        assert_eq!(loaded, model, "{}", spec.family());
        let before = model.predict_proba(test.rows.view()).unwrap();
        let after = loaded.predict_proba(test.rows.view()).unwrap();
        // Bit-identical, not merely close.
        let bits = |a: &Array2<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&before), bits(&after), "{}", spec.family());
        assert_eq!(
            model.predict(test.rows.view()).unwrap(),
            loaded.predict(test.rows.view()).unwrap()
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), loaded.to_json());
    }
}

#[test]
fn same_seed_gives_the_same_model_file_on_one_and_two_threads() {
    // Overlapping classes so that trees, the perceptron and the SVM have real work to do.
    let mut train = blobs(30, 5);
    train.rows.mapv_inplace(|v| v * 0.3);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for spec in every_family() {
        let a = one.install(|| Model::fit(&spec, &train, 42).unwrap().to_json());
        let b = two.install(|| Model::fit(&spec, &train, 42).unwrap().to_json());
        assert_eq!(a, b, "{} differs between 1 and 2 threads", spec.family());
        let c = two.install(|| Model::fit(&spec, &train, 42).unwrap().to_json());
        assert_eq!(b, c, "{} differs between runs", spec.family());
    }
    // The seed matters where there is randomness.
    let forest = &every_family()[2];
    assert_ne!(
        Model::fit(forest, &train, 1).unwrap().to_json(),
        Model::fit(forest, &train, 2).unwrap().to_json()
    );
}

#[test]
fn cross_validation_is_the_same_on_one_and_two_threads() {
    use hemato::classify::tuning::{tune_and_fit, TuningOptions};
    let mut train = blobs(20, 8);
    train.rows.mapv_inplace(|v| v * 0.2);
    let options = TuningOptions {
        candidates: every_family(),
        folds: 3,
        seed: 5,
        table_name: None,
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| tune_and_fit(&train, &options).unwrap())
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.folds, b.folds);
    assert_eq!(a.best, b.best);
    let scores = |o: &hemato::classify::tuning::TuningOutcome| {
        o.scores
            .iter()
            .map(|s| s.fold_scores.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(scores(&a), scores(&b));
    assert_eq!(a.model.to_json(), b.model.to_json());
}

#[test]
fn balanced_class_weights_raise_the_recall_of_a_rare_class() {
    // 200 rows of "common" around 0, 20 of "rare" around 1.2 (sd 1, one feature): unweighted
    // logistic regression favours the common class; balanced weights move the boundary
    // towards it, so the rare class's recall must rise.
    let mut random = TestRandom(9);
    let n = 220;
    let mut rows = Array2::zeros((n, 1));
    let mut labels = Vec::new();
    for i in 0..n {
        let rare = i >= 200;
        rows[[i, 0]] = random.normal() + if rare { 1.2 } else { 0.0 };
        labels.push(if rare { "rare" } else { "common" }.to_string());
    }
    let table = FeatureTable {
        feature_names: vec!["x".into()],
        rows,
        labels: Some(labels),
        ids: (1..=n).map(|i| i.to_string()).collect(),
    };
    let recall = |weighting: &str| {
        let spec: ModelSpec = serde_json::from_value(
            serde_json::json!({"model": "logistic", "class_weight": weighting}),
        )
        .unwrap();
        let model = Model::fit(&spec, &table, 0).unwrap();
        let evaluation = model.evaluate(&table).unwrap();
        evaluation.per_class[1].recall
    };
    let (plain, balanced) = (recall("none"), recall("balanced"));
    assert!(balanced > plain + 0.2, "rare recall {plain} -> {balanced}");
}

#[test]
fn early_stopping_ends_the_perceptron_before_its_epoch_limit() {
    let train = blobs(40, 12);
    let spec: ModelSpec = serde_json::from_value(serde_json::json!(
        {"model": "mlp", "hidden_layers": [8], "epochs": 5000, "patience": 5}
    ))
    .unwrap();
    let model = Model::fit(&spec, &train, 0).unwrap();
    let json: serde_json::Value = serde_json::from_str(&model.to_json()).unwrap();
    let epochs = json["state"]["epochs_run"].as_u64().unwrap();
    assert!(epochs < 5000, "ran all {epochs} epochs");
}

#[test]
fn fitting_errors_are_clear() {
    let mut table = blobs(5, 1);
    table.labels = Some(vec!["only".to_string(); 15]);
    let spec = ModelSpec::default_for("svm").unwrap();
    let message = Model::fit(&spec, &table, 0).unwrap_err().to_string();
    assert!(
        message.contains("\"only\"") && message.contains("two classes"),
        "{message}"
    );
    table.labels = None;
    assert!(Model::fit(&spec, &table, 0).is_err());
    let bad: ModelSpec =
        serde_json::from_value(serde_json::json!({"model": "svm", "c": -1})).unwrap();
    let table = blobs(5, 1);
    let message = Model::fit(&bad, &table, 0).unwrap_err().to_string();
    assert!(
        message.contains("svm") && message.contains("c must be"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------------
// Model files and features

#[test]
fn a_model_rejects_tables_with_other_features() {
    let train = blobs(10, 1);
    let model = Model::fit(&ModelSpec::default_for("logistic").unwrap(), &train, 0).unwrap();
    let names = strings(&["f1", "f2", "f5", "f6"]);
    let message = model.check_features(&names).unwrap_err().to_string();
    assert!(
        message.contains("lacks") && message.contains("f3, f4"),
        "{message}"
    );
    assert!(
        message.contains("does not know") && message.contains("f5, f6"),
        "{message}"
    );
    let reordered = strings(&["f2", "f1", "f3", "f4"]);
    assert!(model
        .check_features(&reordered)
        .unwrap_err()
        .to_string()
        .contains("order"));
    assert!(model.check_features(&train.feature_names).is_ok());
    // A table file lacking a column names it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, "f1,f2,f3,Class\n1,2,3,alpha\n").unwrap();
    let raw = RawTable::read(&path).unwrap();
    let message = model
        .features_of(&raw, "Class", true)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("f4") && message.contains("t.csv"),
        "{message}"
    );
}

#[test]
fn model_files_of_another_schema_version_or_kind_are_refused() {
    let train = blobs(10, 1);
    let model = Model::fit(&ModelSpec::default_for("logistic").unwrap(), &train, 0).unwrap();
    let json = model.to_json();
    let path = Path::new("m.json");
    let newer = json.replace("\"schema_version\":1", "\"schema_version\":2");
    let message = Model::from_json(path, &newer).unwrap_err().to_string();
    assert!(
        message.contains("schema version 2") && message.contains("reads version 1"),
        "{message}"
    );
    let message = Model::from_json(path, "{\"weights\": []}")
        .unwrap_err()
        .to_string();
    assert!(message.contains("not a hemato model"), "{message}");
    let message = Model::from_json(path, "not json").unwrap_err().to_string();
    assert!(message.contains("not valid JSON"), "{message}");
    // Right schema, inconsistent state: caught on load, not at prediction.
    let damaged = json.replace("\"feature_names\":[\"f1\",", "\"feature_names\":[");
    let message = Model::from_json(path, &damaged).unwrap_err().to_string();
    assert!(message.contains("damaged"), "{message}");
}

// ---------------------------------------------------------------------------------------
// Tables

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn table_error(text: &str, options: &TableOptions) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bad.csv", text);
    read_table(&path, options).unwrap_err().to_string()
}

#[test]
fn reads_the_bloodcells_layout() {
    // Facts from /work/shared/data/bloodcells/README.md: 5,087 rows, 35 columns (file name,
    // 33 features, Class), ';'-separated, class totals, StDev/StdDev spellings.
    // CI has shared/ beside the repository; elsewhere HEMATO_SHARED may name it.
    let shared = std::env::var("HEMATO_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let path = shared.join("data/bloodcells/bloodcells_train.csv");
    if !path.exists() {
        eprintln!("skipped: {} not found", path.display());
        return;
    }
    let table = read_table(&path, &TableOptions::default()).unwrap();
    assert_eq!(table.rows.dim(), (5087, 33));
    assert!(!table.feature_names.iter().any(|n| n.contains("filename")));
    assert!(table.feature_names.contains(&"StdDev blue".to_string()));
    assert!(!table.feature_names.iter().any(|n| n.starts_with("StDev")));
    let labels = table.labels.unwrap();
    let count = |c: &str| labels.iter().filter(|l| *l == c).count();
    assert_eq!(
        [
            count("Neutrophil"),
            count("Lymphocyte"),
            count("Eosinophil"),
            count("Monocyte"),
            count("Basophil")
        ],
        [3115, 1213, 372, 281, 106]
    );
    // File names (with their trailing space trimmed) identify the rows.
    assert!(table.ids[0].ends_with(".jpg"), "{}", table.ids[0]);
    // IntDen = Area x Mean red in every row (README); check the first row's parse.
    let area = table
        .feature_names
        .iter()
        .position(|n| n == "Area")
        .unwrap();
    let mean = table
        .feature_names
        .iter()
        .position(|n| n == "Mean red")
        .unwrap();
    let intden = table
        .feature_names
        .iter()
        .position(|n| n == "IntDen")
        .unwrap();
    let row = table.rows.row(0);
    assert!((row[area] * row[mean] - row[intden]).abs() / row[intden] < 1e-4);
}

#[test]
fn reads_an_imagej_results_table() {
    // ImageJ's Results CSV: a blank-named row-number column first, a Label column.
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "Results.csv",
        " ,Label,Area,Mean,StdDev,Class\n1,img1.tif,120,33.5,4.1,a\n2,img1.tif,98,40.25,5,b\n",
    );
    let table = read_table(&path, &TableOptions::default()).unwrap();
    assert_eq!(table.feature_names, strings(&["Area", "Mean", "StdDev"]));
    assert_eq!(table.rows[[1, 1]], 40.25);
    assert_eq!(table.ids, strings(&["img1.tif", "img1.tif"]));
}

#[test]
fn reads_listed_features_a_custom_label_and_decimal_commas() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.csv", "a;b;c;Type\n1,5;2;3;x\n4;5;6,25;y\n");
    let options = TableOptions {
        label: "Type".into(),
        features: Some(strings(&["c", "a"])),
        require_label: true,
    };
    let table = read_table(&path, &options).unwrap();
    assert_eq!(table.feature_names, strings(&["c", "a"]));
    assert_eq!(table.rows.row(0).to_vec(), vec![3.0, 1.5]);
    assert_eq!(table.rows.row(1).to_vec(), vec![6.25, 4.0]);
    assert_eq!(table.labels.unwrap(), strings(&["x", "y"]));
}

#[test]
fn bad_tables_are_errors_naming_line_and_column() {
    let default = TableOptions::default();
    let m = table_error("a,b,Class\n1,2,x\n3,NaN,y\n", &default);
    assert!(
        m.contains("line 3") && m.contains("\"b\"") && m.contains("NaN"),
        "{m}"
    );
    let m = table_error("a,b,Class\n1,2,x\n3,inf,y\n", &default);
    assert!(m.contains("line 3") && m.contains("finite"), "{m}");
    let m = table_error("a,b,Class\n1,2,x\n3,abc,y\n", &default);
    assert!(
        m.contains("line 3") && m.contains("\"abc\" is not a number"),
        "{m}"
    );
    let m = table_error("a,b\n1,2\n", &default);
    assert!(
        m.contains("no column \"Class\"") && m.contains("a, b"),
        "{m}"
    );
    let listed = TableOptions {
        features: Some(strings(&["a", "zz"])),
        ..TableOptions::default()
    };
    let m = table_error("a,b,Class\n1,2,x\n", &listed);
    assert!(m.contains("no column \"zz\""), "{m}");
    let m = table_error("", &default);
    assert!(m.contains("empty"), "{m}");
    let m = table_error("a,b,Class\n", &default);
    assert!(m.contains("no data rows"), "{m}");
    let m = table_error("a,b,Class\n1,2,x\n3,y\n", &default);
    assert!(m.contains("line 3") && m.contains("2 cells"), "{m}");
    let m = table_error("a,b,Class\n1,2,x\n3,4,\n", &default);
    assert!(m.contains("line 3") && m.contains("empty"), "{m}");
    let m = table_error("a,StDev x,StdDev x,Class\n1,2,3,x\n", &default);
    assert!(m.contains("appears twice"), "{m}");
    let m = table_error("name,Class\nq,x\n", &default);
    assert!(m.contains("no numeric feature columns"), "{m}");
    let identifier = TableOptions {
        features: Some(strings(&["image filename", "a"])),
        ..TableOptions::default()
    };
    let m = table_error("image filename,a,Class\nf.jpg,1,x\n", &identifier);
    assert!(m.contains("never a feature"), "{m}");
    let label_too = TableOptions {
        features: Some(strings(&["Class"])),
        ..TableOptions::default()
    };
    let m = table_error("a,Class\n1,2\n", &label_too);
    assert!(m.contains("is the label"), "{m}");
}

#[test]
fn numeric_row_number_columns_are_never_features() {
    // A numeric "#" or "Index" column looks like a feature but numbers rows.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.csv", "#,Index,x,Class\n1,0,5,a\n2,1,6,b\n");
    let table = read_table(&path, &TableOptions::default()).unwrap();
    assert_eq!(table.feature_names, strings(&["x"]));
    let error: TableError = RawTable::read(&dir.path().join("missing.csv")).unwrap_err();
    assert!(error.to_string().contains("missing.csv"));
}
