//! The `hemato binary`, `hemato edm` and `hemato watershed` commands: results equal to ImageJ's
//! goldens, and clear errors (no panic, no output file) for bad input.

mod morphology_support;

use std::path::Path;
use std::process::Command;

use hemato::io::{read_image, AnyImage};
use morphology_support::{expected_float, expected_mask, golden_dir};

fn hemato(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(arguments)
        .output()
        .expect("hemato runs")
}

fn input(name: &str) -> String {
    golden_dir()
        .join("inputs/real")
        .join(format!("{name}.png"))
        .display()
        .to_string()
}

fn read_gray(path: &Path) -> image::GrayImage {
    match read_image(path).unwrap() {
        AnyImage::Gray8(image) => image,
        other => panic!("expected 8-bit output, got {}", other.kind()),
    }
}

#[test]
fn commands_reproduce_imagej() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let mask = input("aslan_7");

    let status = hemato(&["watershed", &mask, "-o", &out("w.png")]);
    assert!(status.status.success(), "{status:?}");
    assert_eq!(
        read_gray(Path::new(&out("w.png"))),
        expected_mask("watershed", "aslan_7")
    );

    let status = hemato(&["edm", &mask, "-o", &out("e.tif")]);
    assert!(status.status.success(), "{status:?}");
    let AnyImage::Gray32(edm) = read_image(Path::new(&out("e.tif"))).unwrap() else {
        panic!("EDM must be a 32-bit float TIFF");
    };
    assert_eq!(edm, expected_float("edm", "aslan_7"));

    for (arguments, golden) in [
        (vec!["fill-holes"], "fill_holes"),
        (
            vec!["erode", "--iterations", "2", "--count", "3"],
            "erode_i2_c3",
        ),
        (
            vec!["erode", "--iterations", "3", "--pad-edges"],
            "erode_i3_c1_pad",
        ),
        (vec!["dilate", "--count", "5"], "dilate_i1_c5"),
        (
            vec!["open", "--iterations", "2", "--count", "2"],
            "open_i2_c2",
        ),
        (
            vec!["close", "--iterations", "3", "--count", "4"],
            "close_i3_c4",
        ),
        (
            vec!["size-filter", "--min", "50", "--max", "5000"],
            "size_50-5000",
        ),
        (vec!["size-filter", "--min", "1000"], "size_1000-Infinity"),
    ] {
        let output = out("b.png");
        let mut all = vec!["binary"];
        all.extend(&arguments);
        all.extend([mask.as_str(), "-o", output.as_str()]);
        let status = hemato(&all);
        assert!(status.status.success(), "{arguments:?}: {status:?}");
        assert_eq!(
            read_gray(Path::new(&out("b.png"))),
            expected_mask(golden, "aslan_7"),
            "{arguments:?}"
        );
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let grey = dir.path().join("grey.png");
    let mut image = image::GrayImage::new(4, 3);
    image.put_pixel(1, 2, image::Luma([128]));
    image.save(&grey).unwrap();
    let rgb = dir.path().join("rgb.png");
    image::RgbImage::new(4, 3).save(&rgb).unwrap();
    let output = dir.path().join("out.png");
    let out = output.display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "watershed".into(),
                grey.display().to_string(),
                "-o".into(),
                out.clone(),
            ],
            "not a binary mask: pixel (1, 2) is 128",
        ),
        (
            vec![
                "edm".into(),
                rgb.display().to_string(),
                "-o".into(),
                out.clone(),
            ],
            "8-bit grey",
        ),
        (
            vec![
                "watershed".into(),
                "/no/such/mask.png".into(),
                "-o".into(),
                out.clone(),
            ],
            "/no/such/mask.png",
        ),
        (
            vec![
                "binary".into(),
                "erode".into(),
                "--count".into(),
                "9".into(),
                input("aslan_7"),
                "-o".into(),
                out.clone(),
            ],
            "count must be between 1 and 8",
        ),
        (
            vec![
                "binary".into(),
                "size-filter".into(),
                "--min".into(),
                "10".into(),
                "--max".into(),
                "5".into(),
                input("aslan_7"),
                "-o".into(),
                out.clone(),
            ],
            "smaller than --min",
        ),
    ];
    for (arguments, message) in cases {
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        let result = hemato(&arguments);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{arguments:?} should fail");
        assert!(stderr.contains(message), "{arguments:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!output.exists(), "no output may be written on error");
    }
}
