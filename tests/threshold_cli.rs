//! `hemato threshold` end to end: its CSV equals ImageJ's ranges (tests/goldens/threshold).

use std::path::{Path, PathBuf};
use std::process::Command;

fn goldens() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/threshold")
}

fn hemato(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(arguments)
        .output()
        .unwrap()
}

/// ImageJ's rows for one image, as `method,dark_lower,dark_upper,light_lower,light_upper`.
fn imagej_rows(image: &str) -> Vec<String> {
    std::fs::read_to_string(goldens().join("imagej/thresholds.csv"))
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix(&format!("{image},")))
        .map(str::to_string)
        .collect()
}

#[test]
fn all_methods_print_imagejs_ranges() {
    for image in ["real-smear-00005-giemsa1.png", "rgb-pbc-monocyte.png"] {
        let path = goldens().join("inputs").join(image);
        let output = hemato(&["threshold", path.to_str().unwrap()]);
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("method,dark_lower,dark_upper,light_lower,light_upper")
        );
        assert_eq!(
            lines.map(str::to_string).collect::<Vec<_>>(),
            imagej_rows(image)
        );
    }
}

#[test]
fn one_method_and_a_manual_level() {
    let image = "real-aslan-2-gray.png";
    let path = goldens().join("inputs").join(image);
    let output = hemato(&[
        "threshold",
        path.to_str().unwrap(),
        "--method",
        "ij_isodata",
        "--level",
        "100",
    ]);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let expected: Vec<String> = imagej_rows(image)
        .into_iter()
        .filter(|row| row.starts_with("IJ_IsoData,"))
        .chain(["manual,101,255,0,100".to_string()])
        .collect();
    assert_eq!(text.lines().skip(1).collect::<Vec<_>>(), expected);
}

#[test]
fn unknown_method_and_float_images_are_clear_errors() {
    let path = goldens().join("inputs/synthetic-ramp.png");
    let output = hemato(&["threshold", path.to_str().unwrap(), "--method", "Otsu2"]);
    assert!(!output.status.success());
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(
        message.contains("unknown threshold method \"Otsu2\""),
        "{message}"
    );
    assert!(message.contains("RenyiEntropy"), "{message}");

    let folder = tempfile::tempdir().unwrap();
    let float = folder.path().join("float.tif");
    let image = hemato::io::FloatImage::from_raw(2, 1, vec![0.25, 0.5]).unwrap();
    hemato::io::write_float_tiff(&float, &image).unwrap();
    let output = hemato(&["threshold", float.to_str().unwrap()]);
    assert!(!output.status.success());
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(message.contains("32-bit"), "{message}");
}
