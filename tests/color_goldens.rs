//! Colour deconvolution against hand-computed pixels, and RGB → grey against ImageJ itself.
//!
//! - `tests/goldens/color/hand_computed.csv`: pixels computed from the formulas of
//!   imagej-reference.md §7 with Python's `math` module only (`hand_computed.py`: its own
//!   normalisation, cross product, legacy complement and cofactor inverse).
//! - `tests/goldens/color/rgb-to-gray/`: RGB PNGs and ImageJ 1.53t's `run("8-bit")` of each.

use std::path::{Path, PathBuf};

use hemato::color::{
    absorbance_of_pixel, deconvolve_absorbance, deconvolve_transmittance, rgb_to_gray,
    stain_absorbance, stain_transmittance, transmittance_of_pixel, StainMatrix, StainSet,
    ThirdStain,
};
use hemato::io::{read_image, AnyImage};
use image::RgbImage;

fn goldens() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/color")
}

struct HandComputed {
    set: String,
    third: String,
    rgb: [u8; 3],
    transmittance: [u8; 3],
    absorbance: [f64; 3],
}

fn hand_computed() -> Vec<HandComputed> {
    let mut reader = csv::Reader::from_path(goldens().join("hand_computed.csv")).unwrap();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            let numbers = |from: usize| -> [f64; 3] {
                std::array::from_fn(|i| record[from + i].parse().unwrap())
            };
            let margin: f64 = record[11].parse().unwrap();
            assert!(
                margin > 1e-6,
                "a hand-computed pixel is too close to a rounding boundary"
            );
            HandComputed {
                set: record[0].to_string(),
                third: record[1].to_string(),
                rgb: numbers(2).map(|v| v as u8),
                transmittance: numbers(5).map(|v| v as u8),
                absorbance: numbers(8),
            }
        })
        .collect()
}

fn matrix(set: &str, third: &str) -> StainMatrix {
    let third = match third {
        "cross" => ThirdStain::CrossProduct,
        "legacy" => ThirdStain::LegacyComplement,
        other => panic!("unknown rule {other}"),
    };
    StainMatrix::new(&StainSet::parse(set).unwrap().vectors(), third).unwrap()
}

#[test]
fn hand_computed_pixels_match_direct_formula_and_fast_path() {
    let rows = hand_computed();
    assert!(rows.len() >= 60, "only {} hand-computed pixels", rows.len());
    for row in &rows {
        let matrix = matrix(&row.set, &row.third);
        let label = format!("{} {} {:?}", row.set, row.third, row.rgb);
        assert_eq!(
            transmittance_of_pixel(&matrix, row.rgb),
            row.transmittance,
            "{label}"
        );
        let image = RgbImage::from_raw(1, 1, row.rgb.to_vec()).unwrap();
        let fast = deconvolve_transmittance(&image, &matrix).map(|plane| plane.as_raw()[0]);
        assert_eq!(fast, row.transmittance, "{label}");
        let direct = absorbance_of_pixel(&matrix, row.rgb);
        let planes = deconvolve_absorbance(&image, &matrix).map(|plane| plane.as_raw()[0]);
        for stain in 0..3 {
            let expected = row.absorbance[stain];
            let tolerance = 1e-6 * expected.abs().max(1e-3);
            assert!(
                (f64::from(direct[stain]) - expected).abs() <= tolerance,
                "{label} stain {stain}: {} vs {expected}",
                direct[stain]
            );
            assert_eq!(planes[stain], direct[stain], "{label}");
        }
    }
}

#[test]
fn one_stain_equals_its_plane_of_all_three() {
    let image = RgbImage::from_fn(61, 37, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 7) as u8, ((x * y) % 256) as u8])
    });
    for set in [StainSet::Giemsa, StainSet::HAndEDab, StainSet::Rgb] {
        let matrix = StainMatrix::new(&set.vectors(), ThirdStain::CrossProduct).unwrap();
        let transmittance = deconvolve_transmittance(&image, &matrix);
        let absorbance = deconvolve_absorbance(&image, &matrix);
        for stain in 0..3 {
            assert_eq!(
                stain_transmittance(&image, &matrix, stain).unwrap(),
                transmittance[stain]
            );
            assert_eq!(
                stain_absorbance(&image, &matrix, stain).unwrap(),
                absorbance[stain]
            );
        }
    }
}

fn rgb_inputs() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(goldens().join("rgb-to-gray/inputs"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn rgb_to_gray_matches_imagej() {
    let names = rgb_inputs();
    assert!(names.len() >= 5);
    let mut pixels = 0;
    for name in names {
        let rgb = match read_image(&goldens().join("rgb-to-gray/inputs").join(&name)).unwrap() {
            AnyImage::Rgb8(rgb) => rgb,
            other => panic!("{name} is {}", other.kind()),
        };
        let imagej = match read_image(&goldens().join("rgb-to-gray/imagej").join(&name)).unwrap() {
            AnyImage::Gray8(gray) => gray,
            other => panic!("ImageJ saved {name} as {}", other.kind()),
        };
        assert_eq!(rgb_to_gray(&rgb), imagej, "{name}");
        pixels += imagej.len();
    }
    assert!(pixels > 100_000);
}

/// Writes the RGB inputs of `rgb-to-gray/`; run by `tests/goldens/color/regenerate.sh`.
#[test]
#[ignore = "regenerates golden inputs from ../shared/data"]
fn generate_inputs() {
    use hemato::io::{read_rgb_image, write_rgb_png};
    let folder = goldens().join("rgb-to-gray/inputs");
    std::fs::create_dir_all(&folder).unwrap();
    let data = std::env::var_os("HEMATO_SHARED")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
            PathBuf::from,
        )
        .join("data");
    let save = |name: &str, image: &RgbImage| {
        write_rgb_png(&folder.join(format!("{name}.png")), image).unwrap();
    };
    // Every combination of 16 levels per channel (0, 17, ..., 255).
    save(
        "colour-grid",
        &RgbImage::from_fn(64, 64, |x, y| {
            let index = y * 64 + x;
            image::Rgb([
                (index % 16 * 17) as u8,
                (index / 16 % 16 * 17) as u8,
                (index / 256 * 17) as u8,
            ])
        }),
    );
    // Pseudo-random colours (64-bit LCG).
    let mut state = 7u64;
    save(
        "random-colours",
        &RgbImage::from_fn(128, 128, |_, _| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let bytes = (state >> 40).to_le_bytes();
            image::Rgb([bytes[0], bytes[1], bytes[2]])
        }),
    );
    let crop = |image: RgbImage, width: u32, height: u32| {
        let (x, y) = ((image.width() - width) / 2, (image.height() - height) / 2);
        image::imageops::crop_imm(&image, x, y, width, height).to_image()
    };
    let smear = read_rgb_image(&data.join("smears-sample/images/BloodImage_00020.jpg")).unwrap();
    save("smear-00020", &crop(smear, 256, 192));
    let dense = read_rgb_image(&data.join("aslan-sample/images/image-8.png")).unwrap();
    save("aslan-8", &dense);
    let cell = read_rgb_image(&data.join("pbc/basophil/BA_101611.jpg")).unwrap();
    save("pbc-basophil", &crop(cell, 200, 200));
}
