//! The segmentation chain against ImageJ 1.53t itself (tests/goldens/segment): on 8-bit channel
//! images of real smears, `setAutoThreshold` + Convert to Mask + Fill Holes + Watershed +
//! Analyze Particles (Count Masks) in ImageJ must give hemato's mask, particle areas, centroids,
//! bounding boxes and label image, for four threshold jobs per image.

use std::io::Read;
use std::path::{Path, PathBuf};

use hemato::io::{read_image, AnyImage, LabelImage};
use hemato::segment::{segment, segment_gray, Objects, PipelineConfig};
use hemato::threshold::Method;

fn goldens() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/segment")
}

/// The jobs of `segment_chain.ijm`: (file suffix, method, objects).
const JOBS: [(&str, Method, Objects); 4] = [
    ("Otsu", Method::Otsu, Objects::Dark),
    ("Default", Method::Default, Objects::Dark),
    ("Li", Method::Li, Objects::Dark),
    ("Otsu_dark", Method::Otsu, Objects::Bright),
];

fn inputs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(goldens().join("inputs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    files
}

fn gray(path: &Path) -> image::GrayImage {
    match read_image(path).unwrap() {
        AnyImage::Gray8(image) => image,
        other => panic!("{}: {}", path.display(), other.kind()),
    }
}

/// ImageJ's Count Masks (16-bit TIFF, gzipped) as labels.
fn imagej_labels(path: &Path) -> LabelImage {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let tiff = directory.path().join("labels.tif");
    std::fs::write(&tiff, bytes).unwrap();
    hemato::io::read_label_image(&tiff).unwrap()
}

/// ImageJ's Results rows: (area, x, y, bx, by, width, height).
fn imagej_rows(path: &Path) -> Vec<[f64; 7]> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let columns = ["Area", "X", "Y", "BX", "BY", "Width", "Height"].map(column);
    lines
        .map(|line| {
            let fields: Vec<f64> = line
                .split(',')
                .map(|f| f.parse().unwrap_or(f64::NAN))
                .collect();
            columns.map(|c| fields[c])
        })
        .collect()
}

fn config(method: Method, objects: Objects) -> PipelineConfig {
    PipelineConfig {
        threshold: method,
        objects,
        ..PipelineConfig::default()
    }
}

#[test]
fn chain_equals_imagej() {
    let files = inputs();
    assert_eq!(files.len(), 7);
    let mut particles_compared = 0;
    for file in &files {
        let channel = gray(file);
        let stem = file.file_stem().unwrap().to_str().unwrap();
        for (suffix, method, objects) in JOBS {
            let name = format!("{stem}__{suffix}");
            let expected = goldens().join("imagej");
            let segmented = segment_gray(&channel, &config(method, objects)).unwrap();
            let mask = gray(&expected.join(format!("{name}.png")));
            assert!(segmented.mask == mask, "{name}: mask differs from ImageJ's");
            assert!(
                segmented.labels() == imagej_labels(&expected.join(format!("{name}.tif.gz"))),
                "{name}: labels differ from ImageJ's Count Masks"
            );
            let rows = imagej_rows(&expected.join(format!("{name}.csv")));
            assert_eq!(
                segmented.particles.len(),
                rows.len(),
                "{name}: particle count"
            );
            for (particle, row) in segmented.particles.iter().zip(&rows) {
                let measured = hemato::measure::measure_shape(particle, &Default::default());
                let ours = [
                    measured.area,
                    measured.x,
                    measured.y,
                    measured.bx,
                    measured.by,
                    measured.width,
                    measured.height,
                ];
                for (a, b) in ours.iter().zip(row) {
                    assert!((a - b).abs() < 1e-6, "{name}: {ours:?} vs ImageJ {row:?}");
                }
            }
            particles_compared += rows.len();
        }
    }
    assert!(particles_compared > 500, "{particles_compared}");
}

#[test]
fn grey_image_input_is_thresholded_as_it_is() {
    // `segment` on the PNG (an 8-bit grey image) ignores `channel` and equals ImageJ's chain.
    let file = &inputs()[0];
    let image = read_image(file).unwrap();
    let name = format!("{}__Otsu", file.file_stem().unwrap().to_str().unwrap());
    for channel in [
        hemato::segment::SourceChannel::Stain1,
        hemato::segment::SourceChannel::Red,
    ] {
        let config = PipelineConfig {
            channel,
            ..PipelineConfig::default()
        };
        let segmented = segment(&image, &config).unwrap();
        assert!(segmented.mask == gray(&goldens().join("imagej").join(format!("{name}.png"))));
    }
}

#[test]
fn same_output_for_one_and_two_threads() {
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                inputs()
                    .iter()
                    .map(|file| segment_gray(&gray(file), &PipelineConfig::default()).unwrap())
                    .collect::<Vec<_>>()
            })
    };
    assert!(run(1) == run(2));
}

/// Writes `inputs/`: 8-bit channels of real smears, made by hemato from `../shared/data`.
#[test]
#[ignore = "regenerates the golden inputs; run by tests/goldens/segment/regenerate.sh"]
fn generate_inputs() {
    use hemato::color::{stain_transmittance, StainMatrix, StainSet, ThirdStain};
    use image::RgbImage;
    let data = std::env::var_os("HEMATO_SHARED")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
            PathBuf::from,
        )
        .join("data");
    let giemsa = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
    let crop = |image: &RgbImage, x: u32, y: u32, width: u32, height: u32| {
        image::imageops::crop_imm(image, x, y, width, height).to_image()
    };
    let output = goldens().join("inputs");
    std::fs::create_dir_all(&output).unwrap();
    // (output name, source, crop x, y, width, height, channel: 0-2 stain, 3 green)
    let jobs: [(&str, &str, u32, u32, u32, u32, usize); 7] = [
        (
            "aslan-1-stain2",
            "aslan-sample/images/image-1.png",
            0,
            0,
            256,
            256,
            1,
        ),
        (
            "aslan-101-stain1",
            "aslan-sample/images/image-101.png",
            0,
            0,
            256,
            256,
            0,
        ),
        (
            "aslan-12-green",
            "aslan-sample/images/image-12.png",
            0,
            0,
            256,
            256,
            3,
        ),
        (
            "smear-00003-stain2",
            "smears-sample/images/BloodImage_00003.jpg",
            0,
            0,
            320,
            240,
            1,
        ),
        (
            "smear-00309-stain1",
            "smears-sample/images/BloodImage_00309.jpg",
            160,
            0,
            320,
            240,
            0,
        ),
        (
            "pbc-neutrophil-stain2",
            "pbc/neutrophil/BNE_100878.jpg",
            60,
            60,
            240,
            240,
            1,
        ),
        (
            "pbc-lymphocyte-stain1",
            "pbc/lymphocyte/LY_102859.jpg",
            60,
            60,
            240,
            240,
            0,
        ),
    ];
    for (name, source, x, y, width, height, channel) in jobs {
        let image = hemato::io::read_rgb_image(&data.join(source)).unwrap();
        let part = crop(&image, x, y, width, height);
        let gray = if channel < 3 {
            stain_transmittance(&part, &giemsa, channel).unwrap()
        } else {
            hemato::measure::rgb_channel(&part, 1)
        };
        hemato::io::write_gray_png(&output.join(format!("{name}.png")), &gray).unwrap();
    }
}
