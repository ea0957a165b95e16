//! End-to-end tests of `hemato features`: the training table of the PBC fixtures, identical
//! bytes for 1 and 2 threads, and clear errors or reported skips for bad input.

use std::path::Path;
use std::process::{Command, Output};

fn hemato(arguments: &[&str], threads: Option<usize>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hemato"));
    command.args(arguments);
    if let Some(threads) = threads {
        command.env("RAYON_NUM_THREADS", threads.to_string());
    }
    command.output().expect("hemato runs")
}

/// `hemato features FOLDER --class-from-dir -o TABLE`.
fn features_by_class(folder: &Path, table: &Path, threads: Option<usize>) -> Output {
    hemato(
        &[
            "features",
            folder.to_str().unwrap(),
            "--class-from-dir",
            "-o",
            table.to_str().unwrap(),
        ],
        threads,
    )
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const CLASSES: [&str; 8] = [
    "basophil",
    "eosinophil",
    "erythroblast",
    "ig",
    "lymphocyte",
    "monocyte",
    "neutrophil",
    "platelet",
];

#[test]
fn the_pbc_fixtures_give_one_row_per_image_with_its_folder_as_class() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("pbc.csv");
    let run = features_by_class(Path::new("fixtures/pbc"), &table, Some(2));
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("8 row(s) written"),
        "{}",
        stderr(&run)
    );
    let mut reader = csv::Reader::from_path(&table).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut expected = vec!["image".to_string(), "Class".to_string()];
    expected.extend(hemato::features::feature_names());
    assert_eq!(header, expected);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let classes: Vec<&str> = rows.iter().map(|row| &row[1]).collect();
    assert_eq!(classes, CLASSES);
    assert_eq!(&rows[0][0], "basophil/BA_101611.jpg");
    for row in &rows {
        for cell in row.iter().skip(2) {
            assert!(cell.parse::<f64>().unwrap().is_finite(), "{cell}");
        }
    }
    // hemato train reads it: every feature column, the image column as identifier.
    let options = hemato::classify::TableOptions {
        label: "Class".to_string(),
        features: None,
        require_label: true,
    };
    let read = hemato::classify::read_table(&table, &options).unwrap();
    assert_eq!(read.feature_names, hemato::features::feature_names());
}

#[test]
fn one_and_two_threads_write_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut tables = Vec::new();
    for threads in [1, 2] {
        let table = dir.path().join(format!("t{threads}.csv"));
        let run = features_by_class(Path::new("fixtures/pbc"), &table, Some(threads));
        assert!(run.status.success(), "{}", stderr(&run));
        tables.push(std::fs::read(&table).unwrap());
    }
    assert_eq!(tables[0], tables[1]);
}

/// A class folder collection with two good images, a corrupt one and a text file.
fn collection_with_a_corrupt_image(root: &Path) {
    for (class, file) in [
        ("lymphocyte", "LY_102859.jpg"),
        ("neutrophil", "BNE_100878.jpg"),
    ] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        std::fs::copy(
            format!("fixtures/pbc/{class}/{file}"),
            root.join(class).join(file),
        )
        .unwrap();
    }
    std::fs::write(root.join("neutrophil/broken.jpg"), b"not a jpeg").unwrap();
    std::fs::write(root.join("neutrophil/notes.txt"), b"ignored").unwrap();
}

#[test]
fn a_corrupt_image_is_skipped_and_counted_or_stops_a_strict_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cells");
    collection_with_a_corrupt_image(&root);
    let table = dir.path().join("cells.csv");
    let arguments = [
        "features",
        root.to_str().unwrap(),
        "--class-from-dir",
        "-o",
        table.to_str().unwrap(),
    ];
    let run = hemato(&arguments, None);
    let message = stderr(&run);
    assert!(run.status.success(), "{message}");
    assert!(
        message.contains("skipped neutrophil/broken.jpg"),
        "{message}"
    );
    assert!(message.contains("2 row(s) written"), "{message}");
    assert!(message.contains("1 image(s) skipped"), "{message}");
    let text = std::fs::read_to_string(&table).unwrap();
    assert_eq!(text.lines().count(), 3, "header + 2 rows");
    assert!(!text.contains("notes.txt"));

    std::fs::remove_file(&table).unwrap();
    let mut strict = arguments.to_vec();
    strict.push("--strict");
    let run = hemato(&strict, None);
    let message = stderr(&run);
    assert!(!run.status.success());
    assert!(message.contains("broken.jpg"), "{message}");
    assert!(!table.exists(), "no table is written when the run fails");
}

#[test]
fn a_folder_without_class_folders_is_refused_with_the_layout_expected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "fixtures/pbc/lymphocyte/LY_102859.jpg",
        dir.path().join("LY_102859.jpg"),
    )
    .unwrap();
    let table = dir.path().join("out.csv");
    let run = features_by_class(dir.path(), &table, None);
    let message = stderr(&run);
    assert!(!run.status.success());
    assert!(message.contains("LY_102859.jpg"), "{message}");
    assert!(message.contains("DIR/CLASS/image.jpg"), "{message}");
    assert!(!table.exists());
}

#[test]
fn empty_folders_missing_paths_and_bad_scales_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("out.csv");
    let out = table.to_str().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let run = hemato(&["features", empty.to_str().unwrap(), "-o", out], None);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("no images"), "{}", stderr(&run));

    let run = hemato(&["features", "no/such/folder", "-o", out], None);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("no/such/folder"), "{}", stderr(&run));

    let run = hemato(&["features", "fixtures/pbc", "--scale=-3", "-o", out], None);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("--scale"), "{}", stderr(&run));
    assert!(!table.exists());
}

#[test]
fn a_given_scale_and_class_name_are_used_for_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("ly.csv");
    let overlays = dir.path().join("overlays");
    let run = hemato(
        &[
            "features",
            "fixtures/pbc/lymphocyte/LY_102859.jpg",
            "--class",
            "lymphocyte",
            "--scale",
            "72",
            "--overlays",
            overlays.to_str().unwrap(),
            "-o",
            table.to_str().unwrap(),
        ],
        None,
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let text = std::fs::read_to_string(&table).unwrap();
    let row = text.lines().nth(1).unwrap();
    assert!(row.starts_with("LY_102859.jpg,lymphocyte,"), "{row}");
    let overlay = hemato::io::read_rgb_image(&overlays.join("LY_102859.png")).unwrap();
    assert_eq!(overlay.dimensions(), (360, 363));
}
