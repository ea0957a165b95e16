//! Auto threshold against ImageJ 1.53t itself.
//!
//! `tests/goldens/threshold/inputs/` holds 8-bit grey PNGs made from the real images of
//! `../shared/data` (grey conversions, single RGB channels, Giemsa stain channels), synthetic
//! edge cases, a few RGB and 16-bit PNGs. ImageJ ran `setAutoThreshold("METHOD dark")` and
//! `setAutoThreshold("METHOD")` for all 17 methods on each (`batch_autothreshold.ijm`) and wrote
//! `imagej/thresholds.csv`, its histograms (`imagej/histograms.csv`) and, for RGB and 16-bit
//! inputs, its 8-bit conversion (`imagej/8bit/`). `regenerate.sh` remakes all of it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hemato::io::{read_image, AnyImage};
use hemato::threshold::{self, Histogram, Method, Range};

fn goldens() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/threshold")
}

/// ImageJ's ranges: image → method name → (dark, light).
fn imagej_thresholds() -> BTreeMap<String, BTreeMap<String, (Range, Range)>> {
    let mut reader = csv::Reader::from_path(goldens().join("imagej/thresholds.csv")).unwrap();
    let mut table: BTreeMap<String, BTreeMap<String, (Range, Range)>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let number = |i: usize| record[i].parse::<i32>().unwrap();
        let dark = Range {
            lower: number(2),
            upper: number(3),
        };
        let light = Range {
            lower: number(4),
            upper: number(5),
        };
        table
            .entry(record[0].to_string())
            .or_default()
            .insert(record[1].to_string(), (dark, light));
    }
    table
}

/// ImageJ's histograms (after its 8-bit conversion): image → counts.
fn imagej_histograms() -> BTreeMap<String, Histogram> {
    let mut reader = csv::Reader::from_path(goldens().join("imagej/histograms.csv")).unwrap();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            let counts: Vec<u32> = record[2]
                .split(' ')
                .map(|count| count.parse().unwrap())
                .collect();
            (record[0].to_string(), counts.try_into().unwrap())
        })
        .collect()
}

fn input_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(goldens().join("inputs"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".png"))
        .collect();
    names.sort();
    names
}

fn eight_bit_input(name: &str) -> hemato::io::AnyImage {
    read_image(&goldens().join("inputs").join(name)).unwrap()
}

#[test]
fn every_method_matches_imagej_dark_and_light() {
    let expected = imagej_thresholds();
    let names = input_names();
    assert_eq!(
        names.len(),
        expected.len(),
        "every input has ImageJ's thresholds"
    );
    let real = names
        .iter()
        .filter(|name| name.starts_with("real-"))
        .count();
    assert!(real >= 20, "only {real} real images");
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for name in &names {
        let gray = threshold::to_8bit(&eight_bit_input(name)).unwrap();
        let histogram = threshold::histogram(&gray);
        let by_method = &expected[name];
        assert_eq!(by_method.len(), 17, "{name}: ImageJ reported every method");
        for method in Method::ALL {
            let imagej = by_method[method.name()];
            let ours = threshold::ranges(method, &histogram).unwrap();
            compared += 1;
            if ours != imagej {
                mismatches.push(format!(
                    "{name} {method}: hemato {ours:?}, ImageJ {imagej:?}"
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn histograms_match_imagej() {
    let expected = imagej_histograms();
    for name in input_names() {
        let gray = threshold::to_8bit(&eight_bit_input(&name)).unwrap();
        assert_eq!(
            threshold::histogram(&gray),
            expected[&name],
            "{name}: ImageJ and hemato decode or convert it differently"
        );
    }
}

#[test]
fn rgb_and_16_bit_conversions_match_imagej() {
    let mut converted = 0;
    for name in input_names() {
        let input = eight_bit_input(&name);
        if matches!(input, AnyImage::Gray8(_)) {
            continue;
        }
        let imagej = match read_image(&goldens().join("imagej/8bit").join(&name)).unwrap() {
            AnyImage::Gray8(gray) => gray,
            other => panic!("{name}: ImageJ saved a {} image", other.kind()),
        };
        assert_eq!(threshold::to_8bit(&input).unwrap(), imagej, "{name}");
        converted += 1;
    }
    assert!(converted >= 4, "only {converted} RGB/16-bit inputs");
}

#[test]
fn masks_select_the_range() {
    let gray = match eight_bit_input("synthetic-bimodal.png") {
        AnyImage::Gray8(gray) => gray,
        _ => unreachable!(),
    };
    let histogram = threshold::histogram(&gray);
    let (dark, light) = threshold::ranges(Method::Otsu, &histogram).unwrap();
    let dark_mask = threshold::apply(&gray, dark);
    let light_mask = threshold::apply(&gray, light);
    for ((&value, &d), &l) in gray
        .as_raw()
        .iter()
        .zip(dark_mask.as_raw())
        .zip(light_mask.as_raw())
    {
        let level = light.upper;
        assert_eq!(d == 255, i32::from(value) > level);
        assert_eq!(l == 255, i32::from(value) <= level);
    }
}

/// Writes the golden inputs. Run by `tests/goldens/threshold/regenerate.sh`; reads the real
/// images from `$HEMATO_SHARED/data` (default `../shared` beside the repository).
#[test]
#[ignore = "regenerates golden inputs from ../shared/data"]
fn generate_inputs() {
    inputs::generate(&goldens().join("inputs"));
}

mod inputs {
    use std::path::{Path, PathBuf};

    use hemato::color::{stain_transmittance, StainMatrix, StainSet, ThirdStain};
    use hemato::io::{read_rgb_image, write_gray_png, write_rgb_png, Gray16Image};
    use image::{GrayImage, RgbImage};

    fn shared_data() -> PathBuf {
        let shared = std::env::var_os("HEMATO_SHARED").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
            PathBuf::from,
        );
        shared.join("data")
    }

    fn crop(image: &RgbImage, width: u32, height: u32) -> RgbImage {
        let x = (image.width() - width) / 2;
        let y = (image.height() - height) / 2;
        image::imageops::crop_imm(image, x, y, width, height).to_image()
    }

    fn channel(image: &RgbImage, index: usize) -> GrayImage {
        GrayImage::from_fn(image.width(), image.height(), |x, y| {
            image::Luma([image.get_pixel(x, y).0[index]])
        })
    }

    /// Deterministic pseudo-random numbers in [0, 1) (64-bit LCG, top 53 bits).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Roughly normal: the sum of 12 uniforms, centred.
        fn normal(&mut self, mean: f64, deviation: f64) -> u8 {
            let sum: f64 = (0..12).map(|_| self.next()).sum();
            (mean + (sum - 6.0) * deviation).round().clamp(0.0, 255.0) as u8
        }
    }

    fn from_values(width: u32, height: u32, mut value: impl FnMut(u32, u32) -> u8) -> GrayImage {
        GrayImage::from_fn(width, height, |x, y| image::Luma([value(x, y)]))
    }

    pub fn generate(folder: &Path) {
        std::fs::create_dir_all(folder).unwrap();
        let save = |name: &str, image: &GrayImage| {
            write_gray_png(&folder.join(format!("{name}.png")), image).unwrap();
        };
        let data = shared_data();
        let giemsa =
            StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();

        // Real images: grey conversions, single channels, Giemsa stain channels.
        for number in ["00003", "00005", "00006", "00008"] {
            let path = data.join(format!("smears-sample/images/BloodImage_{number}.jpg"));
            let rgb = crop(&read_rgb_image(&path).unwrap(), 256, 192);
            let stem = format!("real-smear-{number}");
            save(&format!("{stem}-gray"), &hemato::color::rgb_to_gray(&rgb));
            save(&format!("{stem}-green"), &channel(&rgb, 1));
            for stain in 0..2 {
                let plane = stain_transmittance(&rgb, &giemsa, stain).unwrap();
                save(&format!("{stem}-giemsa{}", stain + 1), &plane);
            }
        }
        for number in [1, 2, 4] {
            let path = data.join(format!("aslan-sample/images/image-{number}.png"));
            let rgb = read_rgb_image(&path).unwrap();
            let stem = format!("real-aslan-{number}");
            save(&format!("{stem}-gray"), &hemato::color::rgb_to_gray(&rgb));
            save(&format!("{stem}-red"), &channel(&rgb, 0));
        }
        for file in [
            "neutrophil/BNE_100878.jpg",
            "lymphocyte/LY_102859.jpg",
            "eosinophil/EO_105010.jpg",
        ] {
            let rgb = crop(
                &read_rgb_image(&data.join("pbc").join(file)).unwrap(),
                200,
                200,
            );
            let class = file.split('/').next().unwrap();
            let stem = format!("real-pbc-{class}");
            save(&format!("{stem}-gray"), &hemato::color::rgb_to_gray(&rgb));
            save(
                &format!("{stem}-giemsa1"),
                &stain_transmittance(&rgb, &giemsa, 0).unwrap(),
            );
        }

        // RGB inputs (ImageJ converts them to 8-bit first).
        for (name, path, size) in [
            (
                "rgb-smear-00009",
                data.join("smears-sample/images/BloodImage_00009.jpg"),
                (160, 120),
            ),
            (
                "rgb-aslan-7",
                data.join("aslan-sample/images/image-7.png"),
                (128, 128),
            ),
            (
                "rgb-pbc-monocyte",
                data.join("pbc/monocyte/MO_101258.jpg"),
                (120, 120),
            ),
        ] {
            let rgb = crop(&read_rgb_image(&path).unwrap(), size.0, size.1);
            write_rgb_png(&folder.join(format!("{name}.png")), &rgb).unwrap();
        }

        // 16-bit inputs (ImageJ scales them over min..max to 8 bits first).
        let smear = crop(
            &read_rgb_image(&data.join("smears-sample/images/BloodImage_00012.jpg")).unwrap(),
            160,
            120,
        );
        let green16 = Gray16Image::from_fn(160, 120, |x, y| {
            image::Luma([300 + 37 * u16::from(smear.get_pixel(x, y).0[1])])
        });
        let ramp16 = Gray16Image::from_fn(64, 64, |x, y| image::Luma([(x * 64 + y) as u16 * 7]));
        let mut random = Lcg(99);
        let noise16 = Gray16Image::from_fn(64, 48, |_, _| {
            image::Luma([1000 + (random.next() * 40.0) as u16])
        });
        for (name, image) in [
            ("16bit-smear-00012-green", green16),
            ("16bit-ramp", ramp16),
            ("16bit-narrow-noise", noise16),
        ] {
            image::DynamicImage::ImageLuma16(image)
                .save(folder.join(format!("{name}.png")))
                .unwrap();
        }

        // Synthetic edge cases.
        let mut random = Lcg(2024);
        save("synthetic-constant-0", &from_values(16, 16, |_, _| 0));
        save("synthetic-constant-128", &from_values(16, 16, |_, _| 128));
        save(
            "synthetic-all-foreground-255",
            &from_values(16, 16, |_, _| 255),
        );
        save("synthetic-one-pixel-77", &from_values(1, 1, |_, _| 77));
        save("synthetic-one-pixel-0", &from_values(1, 1, |_, _| 0));
        save(
            "synthetic-two-values-0-255",
            &from_values(16, 16, |x, _| if x < 8 { 0 } else { 255 }),
        );
        save(
            "synthetic-two-values-0-1",
            &from_values(16, 16, |x, y| u8::from((x + y) % 3 == 0)),
        );
        save(
            "synthetic-two-values-100-101",
            &from_values(20, 10, |x, _| if x < 5 { 100 } else { 101 }),
        );
        save(
            "synthetic-two-values-minority",
            &from_values(40, 25, |x, y| if (x, y) == (7, 3) { 200 } else { 50 }),
        );
        save(
            "synthetic-one-dark-pixel",
            &from_values(30, 30, |x, y| if (x, y) == (0, 0) { 0 } else { 255 }),
        );
        save(
            "synthetic-three-values",
            &from_values(30, 10, |x, _| [10, 128, 250][(x / 10) as usize]),
        );
        save(
            "synthetic-thin-lines",
            &from_values(64, 64, |x, y| if x % 16 == 5 || y == 40 { 230 } else { 20 }),
        );
        save(
            "synthetic-thin-lines-noisy",
            &from_values(64, 64, |x, y| {
                let base = if x == y || x == 63 - y { 200.0 } else { 40.0 };
                let noise = 10.0;
                (base + (random.next() - 0.5) * 2.0 * noise) as u8
            }),
        );
        save(
            "synthetic-bimodal",
            &from_values(128, 128, |x, _| {
                if x < 80 {
                    random.normal(60.0, 12.0)
                } else {
                    random.normal(180.0, 20.0)
                }
            }),
        );
        save(
            "synthetic-bimodal-unequal",
            &from_values(100, 100, |x, y| {
                if x < 10 && y < 30 {
                    random.normal(210.0, 8.0)
                } else {
                    random.normal(90.0, 25.0)
                }
            }),
        );
        save(
            "synthetic-unimodal",
            &from_values(100, 100, |_, _| random.normal(120.0, 15.0)),
        );
        save(
            "synthetic-skewed",
            &from_values(100, 100, |_, _| {
                (-(1.0 - random.next()).ln() * 12.0).min(255.0) as u8
            }),
        );
        save("synthetic-ramp", &from_values(256, 4, |x, _| x as u8));
        save(
            "synthetic-sparse",
            &from_values(60, 60, |x, y| (((x * 7 + y * 13) % 16) * 17) as u8),
        );
        save(
            "synthetic-saturated-ends",
            &from_values(100, 100, |x, _| match x {
                0..=39 => 0,
                40..=79 => 255,
                _ => random.normal(128.0, 30.0),
            }),
        );
        // 40,000 pixels at 250: 250² · 40,000 overflows Java's int in MinError.
        save(
            "synthetic-large-bin",
            &from_values(256, 256, |x, y| {
                if y * 256 + x < 40_000 {
                    250
                } else {
                    random.normal(100.0, 30.0)
                }
            }),
        );
        // 12.6 million pixels at 200: IsoData's int sum 200 · 12.6M overflows.
        save(
            "synthetic-huge-isodata-overflow",
            &from_values(4096, 4096, |_, y| if y < 3072 { 200 } else { 220 }),
        );
    }
}
