//! `hemato segment` and the segmentation side of `hemato measure`, end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hemato::segment::{Objects, PipelineConfig, SourceChannel};
use hemato::threshold::Method;

fn hemato(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(arguments)
        .output()
        .unwrap()
}

fn goldens() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/segment")
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn print_config_shows_the_documented_defaults() {
    let output = hemato(&["segment", "--print-config"]);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // The defaults documented in docs/segmentation.md.
    assert_eq!(
        json,
        serde_json::json!({
            "channel": "stain2", "stains": "Giemsa", "threshold": "Otsu", "objects": "dark",
            "fill_holes": true, "watershed": true, "min_size": 0.0, "max_size": null,
            "exclude_edges": false
        })
    );
}

#[test]
fn flags_override_the_config_file_and_every_field_has_a_flag() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("pipeline.json");
    std::fs::write(
        &file,
        r#"{"channel": "green", "threshold": "Li", "min_size": 30}"#,
    )
    .unwrap();
    let output = hemato(&[
        "segment",
        "--print-config",
        "--config",
        text(&file),
        "--channel",
        "stain1",
        "--stains",
        "h&e",
        "--objects",
        "bright",
        "--fill-holes",
        "false",
        "--watershed",
        "false",
        "--max-size",
        "5000",
        "--exclude-edges",
        "true",
    ]);
    assert!(output.status.success(), "{output:?}");
    let config = PipelineConfig::from_json(std::str::from_utf8(&output.stdout).unwrap()).unwrap();
    assert_eq!(
        config,
        PipelineConfig {
            channel: SourceChannel::Stain1,
            stains: hemato::color::StainSet::HAndE,
            threshold: Method::Li,
            objects: Objects::Bright,
            fill_holes: false,
            watershed: false,
            min_size: 30.0,
            max_size: Some(5000.0),
            exclude_edges: true,
        }
    );
    // The printed configuration reads back as the same pipeline.
    std::fs::write(&file, &output.stdout).unwrap();
    let again = hemato(&["segment", "--print-config", "--config", text(&file)]);
    assert_eq!(again.stdout, output.stdout);
}

#[test]
fn mask_and_labels_equal_imagej() {
    let directory = tempfile::tempdir().unwrap();
    let (mask, labels) = (
        directory.path().join("mask.png"),
        directory.path().join("labels.tif"),
    );
    let input = goldens().join("inputs/smear-00003-stain2.png");
    let output = hemato(&[
        "segment",
        text(&input),
        "--threshold",
        "Default",
        "-o",
        text(&mask),
        "--labels",
        text(&labels),
    ]);
    assert!(output.status.success(), "{output:?}");
    let expected =
        hemato::io::read_image(&goldens().join("imagej/smear-00003-stain2__Default.png")).unwrap();
    assert!(hemato::io::read_image(&mask).unwrap() == expected);
    let labels = hemato::io::read_label_image(&labels).unwrap();
    let count = labels.as_raw().iter().copied().max().unwrap();
    let rows = std::fs::read_to_string(goldens().join("imagej/smear-00003-stain2__Default.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(count as usize, rows);
    assert!(
        stderr(&output).contains(&format!("{rows} particles")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn label_k_is_row_k_of_the_measure_table() {
    let directory = tempfile::tempdir().unwrap();
    let image = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aslan/image-101.png");
    let (mask, labels) = (
        directory.path().join("mask.png"),
        directory.path().join("labels.tif"),
    );
    let output = hemato(&[
        "segment",
        text(&image),
        "-o",
        text(&mask),
        "--labels",
        text(&labels),
    ]);
    assert!(output.status.success(), "{output:?}");
    let table = |name: &str, extra: &[&str]| {
        let path = directory.path().join(name);
        let mut arguments = vec!["measure", text(&image), "-o", text(&path)];
        arguments.extend_from_slice(extra);
        let output = hemato(&arguments);
        assert!(output.status.success(), "{output:?}");
        std::fs::read_to_string(path).unwrap()
    };
    let from_mask = table("mask.csv", &["--mask", text(&mask)]);
    let from_labels = table("labels.csv", &["--labels", text(&labels)]);
    let segmented_by_measure = table("segmented.csv", &[]);
    assert!(from_mask.lines().count() > 20);
    // The label table has a Label column "IMAGE:k"; on row k it must name label k, and the other
    // columns must be the mask table's.
    let without_label: Vec<String> = from_labels
        .lines()
        .enumerate()
        .map(|(row, line)| {
            let mut fields: Vec<&str> = line.split(',').collect();
            let label = fields.remove(1);
            if row > 0 {
                assert_eq!(label, format!("image-101.png:{row}"));
            }
            fields.join(",")
        })
        .collect();
    assert_eq!(without_label, from_mask.lines().collect::<Vec<_>>());
    assert_eq!(segmented_by_measure, from_mask);
    // A different pipeline through measure's flags changes the particles.
    let nuclei = table(
        "nuclei.csv",
        &["--channel", "stain1", "--watershed", "false"],
    );
    assert_ne!(nuclei, from_mask);
}

#[test]
fn measure_stain_channels_match_hand_computed_colour_deconvolution() {
    // Two uniform squares on white; stain values from tests/goldens/color/hand_computed.csv
    // (Colour Deconvolution 2's formulas evaluated independently in Python):
    // (90, 60, 150) → transmittance 81, 102, 243; (230, 160, 170) → 235, 152, 198.
    let directory = tempfile::tempdir().unwrap();
    let image = image::RgbImage::from_fn(20, 10, |x, y| {
        image::Rgb(match (x, y) {
            (2..=6, 2..=6) => [90, 60, 150],
            (12..=17, 2..=7) => [230, 160, 170],
            _ => [255, 255, 255],
        })
    });
    let mask = image::GrayImage::from_fn(20, 10, |x, y| {
        image::Luma([if image.get_pixel(x, y).0 == [255, 255, 255] {
            0
        } else {
            255
        }])
    });
    let (image_path, mask_path, table) = (
        directory.path().join("image.png"),
        directory.path().join("mask.png"),
        directory.path().join("table.csv"),
    );
    image.save(&image_path).unwrap();
    mask.save(&mask_path).unwrap();
    let output = hemato(&[
        "measure",
        text(&image_path),
        "--mask",
        text(&mask_path),
        "--channels",
        "stain1,stain2,stain3",
        "-o",
        text(&table),
    ]);
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(&table).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|line| line.split(',').collect()).collect();
    let value = |row: usize, column: &str| -> f64 {
        let index = header.iter().position(|h| *h == column).unwrap();
        rows[row][index].parse().unwrap()
    };
    assert_eq!(rows.len(), 2);
    for (row, expected) in [[81.0, 102.0, 243.0], [235.0, 152.0, 198.0]]
        .iter()
        .enumerate()
    {
        for (stain, expected) in expected.iter().enumerate() {
            let column = format!("Mean stain{}", stain + 1);
            assert_eq!(value(row, &column), *expected, "row {row} {column}");
            assert_eq!(value(row, &format!("StdDev stain{}", stain + 1)), 0.0);
        }
    }
}

#[test]
fn bad_input_gets_clear_errors() {
    let directory = tempfile::tempdir().unwrap();
    let input = goldens().join("inputs/aslan-1-stain2.png");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["segment".into(), text(&input).into()],
            "nothing to write",
        ),
        (
            vec![
                "segment".into(),
                "missing.png".into(),
                "-o".into(),
                "m.png".into(),
            ],
            "missing.png",
        ),
        (
            vec![
                "segment".into(),
                text(&input).into(),
                "--threshold".into(),
                "Otsu2".into(),
                "-o".into(),
                "m.png".into(),
            ],
            "unknown threshold method",
        ),
        (
            vec![
                "segment".into(),
                text(&input).into(),
                "--min-size".into(),
                "50".into(),
                "--max-size".into(),
                "10".into(),
                "--print-config".into(),
            ],
            "min_size ≤ max_size",
        ),
    ];
    for (arguments, message) in cases {
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        let output = hemato(&arguments);
        assert!(!output.status.success(), "{arguments:?}");
        assert!(
            stderr(&output).contains(message),
            "{arguments:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("panicked"));
    }
    // A bad configuration file names the file and the field.
    let file = directory.path().join("bad.json");
    std::fs::write(&file, r#"{"chanel": "red"}"#).unwrap();
    let output = hemato(&[
        "segment",
        text(&input),
        "--config",
        text(&file),
        "-o",
        "m.png",
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("unknown field `chanel`"),
        "{}",
        stderr(&output)
    );
    // A 32-bit float image cannot be thresholded.
    let float = directory.path().join("float.tif");
    hemato::io::write_float_tiff(&float, &hemato::io::FloatImage::new(8, 8)).unwrap();
    let output = hemato(&[
        "segment",
        text(&float),
        "-o",
        text(&directory.path().join("m.png")),
    ]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("32-bit"), "{}", stderr(&output));
    // An image without objects gives an empty mask, not an error.
    let blank = directory.path().join("blank.png");
    image::GrayImage::from_pixel(16, 16, image::Luma([200]))
        .save(&blank)
        .unwrap();
    let mask = directory.path().join("blank-mask.png");
    let output = hemato(&["segment", text(&blank), "-o", text(&mask)]);
    assert!(output.status.success(), "{output:?}");
}

/// `hemato measure` over several images with one truncated: it stops and writes nothing by
/// default; with --keep-going the table equals the one of the readable images alone, the bad
/// one is named, and the run still fails.
#[test]
fn measure_keep_going_leaves_out_only_the_unreadable_image() {
    let directory = tempfile::tempdir().unwrap();
    let image = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aslan/image-1.png");
    let bytes = std::fs::read(&image).unwrap();
    let truncated = directory.path().join("truncated.png");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let table = directory.path().join("all.csv");
    let alone = directory.path().join("alone.csv");
    let inputs = [text(&image), text(&truncated)];

    let stopped = hemato(&["measure", inputs[0], inputs[1], "-o", text(&table)]);
    assert!(!stopped.status.success());
    assert!(
        stderr(&stopped).contains("truncated.png"),
        "{}",
        stderr(&stopped)
    );
    assert!(!table.exists());

    let kept = hemato(&[
        "measure",
        inputs[0],
        inputs[1],
        "--keep-going",
        "-o",
        text(&table),
    ]);
    let message = stderr(&kept);
    assert!(!kept.status.success(), "{message}");
    assert!(
        message.contains("skipped: ") && message.contains("truncated.png"),
        "{message}"
    );
    assert!(
        message.contains("1 of 2 image(s) could not be measured"),
        "{message}"
    );
    let single = hemato(&["measure", inputs[0], "-o", text(&alone)]);
    assert!(single.status.success(), "{}", stderr(&single));
    assert_eq!(
        std::fs::read(&table).unwrap(),
        std::fs::read(&alone).unwrap()
    );
}

/// `hemato measure` over several images measures them in parallel: on 1 and 2 threads the
/// table is byte-identical, and its rows are those of each image measured alone, in the order
/// the images were given (the row number runs on over the images, and a Label column names
/// each row's image).
#[test]
fn measure_batch_keeps_input_order_on_any_thread_count() {
    let directory = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let images = [
        root.join("fixtures/smears/BloodImage_00003.jpg"),
        root.join("fixtures/aslan/image-1.png"),
        root.join("fixtures/aslan/image-101.png"),
    ];
    // The rows after the row number; a table of one image has no Label column, so the
    // expected rows get the image's file name in front.
    let rows_without_number = |table: &Path| -> Vec<String> {
        let text = std::fs::read_to_string(table).unwrap();
        text.lines()
            .skip(1)
            .map(|line| line.split_once(',').unwrap().1.to_string())
            .collect()
    };
    let mut expected = Vec::new();
    for (index, image) in images.iter().enumerate() {
        let table = directory.path().join(format!("alone-{index}.csv"));
        let output = hemato(&["measure", text(image), "-o", text(&table)]);
        assert!(output.status.success(), "{}", stderr(&output));
        let name = image.file_name().unwrap().to_str().unwrap();
        expected.extend(
            rows_without_number(&table)
                .into_iter()
                .map(|row| format!("{name},{row}")),
        );
    }
    let mut tables = Vec::new();
    for threads in ["1", "2"] {
        let table = directory.path().join(format!("batch-{threads}.csv"));
        let output = Command::new(env!("CARGO_BIN_EXE_hemato"))
            .args([
                "measure",
                text(&images[0]),
                text(&images[1]),
                text(&images[2]),
            ])
            .args(["-o", text(&table)])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(rows_without_number(&table), expected, "{threads} thread(s)");
        tables.push(std::fs::read(&table).unwrap());
    }
    assert!(expected.len() > 50, "{} rows", expected.len());
    assert_eq!(tables[0], tables[1]);
}
