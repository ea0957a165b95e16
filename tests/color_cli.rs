//! `hemato deconvolve` end to end.

use std::path::{Path, PathBuf};
use std::process::Command;

use hemato::color::{
    deconvolve_absorbance, deconvolve_transmittance, StainMatrix, StainSet, ThirdStain,
};
use hemato::io::{read_image, read_rgb_image, AnyImage};

fn smear() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/goldens/color/rgb-to-gray/inputs/smear-00020.png")
}

fn hemato(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(arguments)
        .output()
        .unwrap()
}

fn gray(path: &Path) -> image::GrayImage {
    match read_image(path).unwrap() {
        AnyImage::Gray8(gray) => gray,
        other => panic!("{} is {}", path.display(), other.kind()),
    }
}

#[test]
fn writes_three_transmittance_pngs_giemsa_by_default() {
    let folder = tempfile::tempdir().unwrap();
    let prefix = folder.path().join("smear");
    let output = hemato(&[
        "deconvolve",
        smear().to_str().unwrap(),
        "-o",
        prefix.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let matrix = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
    let expected = deconvolve_transmittance(&read_rgb_image(&smear()).unwrap(), &matrix);
    for (number, plane) in (1..).zip(&expected) {
        assert_eq!(
            &gray(&folder.path().join(format!("smear-{number}.png"))),
            plane
        );
    }
}

#[test]
fn custom_vectors_legacy_third_and_absorbance() {
    let folder = tempfile::tempdir().unwrap();
    let vectors = folder.path().join("he.json");
    std::fs::write(
        &vectors,
        r#"{"name": "my H&E", "vectors": [[0.644211, 0.716556, 0.266844], [0.092789, 0.954111, 0.283111], [0, 0, 0]]}"#,
    )
    .unwrap();
    let prefix = folder.path().join("out");
    let output = hemato(&[
        "deconvolve",
        smear().to_str().unwrap(),
        "--vectors",
        vectors.to_str().unwrap(),
        "--legacy-third",
        "--absorbance",
        "-o",
        prefix.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let matrix =
        StainMatrix::new(&StainSet::HAndE.vectors(), ThirdStain::LegacyComplement).unwrap();
    let expected = deconvolve_absorbance(&read_rgb_image(&smear()).unwrap(), &matrix);
    for (number, plane) in (1..).zip(&expected) {
        match read_image(&folder.path().join(format!("out-{number}.tif"))).unwrap() {
            AnyImage::Gray32(written) => assert_eq!(&written, plane),
            other => panic!("wrote a {} image", other.kind()),
        }
    }
}

#[test]
fn named_stain_sets_ignore_case() {
    let folder = tempfile::tempdir().unwrap();
    let prefix = folder.path().join("hdab");
    let output = hemato(&[
        "deconvolve",
        smear().to_str().unwrap(),
        "--stain",
        "h dab",
        "-o",
        prefix.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let matrix = StainMatrix::new(&StainSet::HDab.vectors(), ThirdStain::CrossProduct).unwrap();
    let expected = deconvolve_transmittance(&read_rgb_image(&smear()).unwrap(), &matrix);
    assert_eq!(gray(&folder.path().join("hdab-2.png")), expected[1]);
}

#[test]
fn bad_input_gives_clear_errors_and_no_output() {
    let folder = tempfile::tempdir().unwrap();
    let prefix = folder.path().join("out");
    let input = smear();
    let run = |extra: &[&str]| {
        let mut arguments = vec!["deconvolve", input.to_str().unwrap()];
        arguments.extend_from_slice(extra);
        arguments.extend_from_slice(&["-o", prefix.to_str().unwrap()]);
        let output = hemato(&arguments);
        assert!(!output.status.success());
        String::from_utf8(output.stderr).unwrap()
    };
    let message = run(&["--stain", "Gram"]);
    assert!(message.contains("unknown stain set \"Gram\""), "{message}");
    assert!(message.contains("Masson Trichrome"), "{message}");

    let json = folder.path().join("bad.json");
    std::fs::write(&json, r#"{"vectors": [[1, 2], [0, 1, 0]]}"#).unwrap();
    let message = run(&["--vectors", json.to_str().unwrap()]);
    assert!(message.contains("bad.json"), "{message}");
    assert!(message.contains("colour 1 has 2 numbers"), "{message}");

    std::fs::write(&json, r#"{"vectors": [[1, 2, 3], [2, 4, 6]]}"#).unwrap();
    let message = run(&["--vectors", json.to_str().unwrap()]);
    assert!(message.contains("singular"), "{message}");

    let message = run(&["--stain", "giemsa", "--vectors", json.to_str().unwrap()]);
    assert!(message.contains("cannot be used with"), "{message}");

    assert_eq!(
        std::fs::read_dir(folder.path()).unwrap().count(),
        1,
        "only bad.json"
    );
}
