//! Label images, the bloodcells layout, JSON, thread independence and the CLI, checked against
//! ImageJ's goldens (`tests/goldens/measure/`) and hand-computed cases.

mod measure_support;

use std::path::{Path, PathBuf};

use hemato::io::{read_image, AnyImage, LabelImage};
use hemato::measure::table::{
    python_float_repr, write_bloodcells_csv, write_imagej_csv, write_json, Table, TableRow,
    BLOODCELLS_HEADER,
};
use hemato::measure::{
    find_particles, measure_all, measure_image, particles_from_labels, Calibration, Channel,
    Intensity, ParticleOptions, Segmentation,
};
use image::{GrayImage, Luma, RgbImage};
use measure_support::{compare_tables, parse_imagej_csv, Job};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/measure")
}

fn read_gray(path: &Path) -> GrayImage {
    match read_image(path).unwrap() {
        AnyImage::Gray8(image) => image,
        other => panic!("{} is {}", path.display(), other.kind()),
    }
}

/// Labels numbered in ImageJ's raster order of the particles' first pixels.
fn labels_from_mask(mask: &GrayImage) -> LabelImage {
    let mut labels = LabelImage::new(mask.width(), mask.height());
    for (index, particle) in find_particles(mask, &ParticleOptions::default())
        .iter()
        .enumerate()
    {
        for run in &particle.runs {
            for x in run.x_start..run.x_end {
                labels.put_pixel(x, run.y, Luma([index as u32 + 1]));
            }
        }
    }
    labels
}

fn single_channel_table(
    image_name: &str,
    particles: Vec<hemato::measure::ParticleMeasurements>,
) -> Table {
    Table {
        channels: vec!["image".into()],
        rows: particles
            .into_iter()
            .map(|particle| TableRow {
                image: image_name.into(),
                class: None,
                particle,
            })
            .collect(),
    }
}

/// A label image whose labels are the mask's particles (numbered in raster order) must give
/// ImageJ's Analyze Particles rows exactly, in default and exclude mode with every filter.
#[test]
fn labels_reproduce_imagej_mask_results() {
    let dir = golden_dir();
    let mut jobs_checked = 0;
    let mut particles_checked = 0;
    for job in Job::read_all(&dir.join("jobs.txt")) {
        if job.extra.contains("include") || job.gray.is_none() {
            continue;
        }
        let mask = read_gray(&dir.join("inputs").join(&job.mask));
        let labels = labels_from_mask(&mask);
        let calibration = job.calibration();
        let options = job.particle_options(&calibration);
        let intensity_image =
            read_image(&dir.join("inputs").join(job.gray.as_ref().unwrap())).unwrap();
        let intensity = match &intensity_image {
            AnyImage::Gray8(image) => Intensity::from(image),
            AnyImage::Gray16(image) => Intensity::from(image),
            AnyImage::Gray32(image) => Intensity::from(image),
            AnyImage::Rgb8(image) => Intensity {
                image: hemato::measure::IntensityImage::Rgb(image),
                threshold: None,
            },
        };
        let particles = particles_from_labels(&labels, &options);
        let measured = measure_all(&particles, &[intensity], &calibration);
        // Label columns aside, the table must be ImageJ's.
        let mut measured = measured;
        for particle in &mut measured {
            particle.label = None;
        }
        let table = single_channel_table(&job.mask, measured);
        let mut ours = Vec::new();
        write_imagej_csv(&mut ours, &table, 9).unwrap();
        let expected =
            std::fs::read_to_string(dir.join("expected").join(format!("{}.9.csv", job.name)))
                .unwrap();
        let expected = parse_imagej_csv(&expected);
        compare_tables(
            &expected,
            &parse_imagej_csv(std::str::from_utf8(&ours).unwrap()),
        )
        .unwrap_or_else(|message| panic!("{}: {message}", job.name));
        jobs_checked += 1;
        particles_checked += expected.rows.len();
    }
    assert!(
        jobs_checked > 40 && particles_checked > 2000,
        "{jobs_checked} jobs, {particles_checked} particles"
    );
}

fn labels(width: u32, values: &[u32]) -> LabelImage {
    LabelImage::from_raw(width, values.len() as u32 / width, values.to_vec()).unwrap()
}

/// Touching labels are measured apart: each exactly as its own mask would be.
#[test]
fn touching_labels_measure_as_separate_masks() {
    #[rustfmt::skip]
    let image = labels(6, &[
        0, 5, 5, 9, 9, 0,
        0, 5, 5, 9, 9, 9,
        0, 5, 5, 5, 9, 0,
        0, 0, 5, 0, 0, 0,
    ]);
    let grey = GrayImage::from_fn(6, 4, |x, y| Luma([(x * 40 + y * 7) as u8]));
    let calibration = Calibration::default();
    let from_labels = measure_all(
        &particles_from_labels(&image, &ParticleOptions::default()),
        &[Intensity::from(&grey)],
        &calibration,
    );
    assert_eq!(from_labels.len(), 2);
    for (row, label) in from_labels.iter().zip([5, 9]) {
        assert_eq!(row.label, Some(label));
        let mask = GrayImage::from_fn(6, 4, |x, y| {
            Luma([if image.get_pixel(x, y)[0] == label {
                255
            } else {
                0
            }])
        });
        let alone = measure_all(
            &find_particles(&mask, &ParticleOptions::default()),
            &[Intensity::from(&grey)],
            &calibration,
        );
        assert_eq!(alone.len(), 1);
        assert_eq!(row.shape, alone[0].shape);
        assert_eq!(row.channels, alone[0].channels);
    }
}

/// A label in two pieces is one row: area and intensity over both pieces, perimeter the sum of
/// both outlines, Feret across both (hand-computed: two single pixels at x = 0 and x = 4).
#[test]
fn label_in_two_pieces_is_one_particle() {
    let image = labels(5, &[3, 0, 0, 0, 3]);
    let grey = GrayImage::from_raw(5, 1, vec![10, 0, 0, 0, 30]).unwrap();
    let rows = measure_all(
        &particles_from_labels(&image, &ParticleOptions::default()),
        &[Intensity::from(&grey)],
        &Calibration::default(),
    );
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.shape.area, 2.0);
    assert_eq!(row.channels[0].mean, 20.0);
    // Every other corner of a 1-pixel outline is cut (PolygonRoi.getTracedPerimeter).
    let single_pixel_perimeter = 4.0 - 2.0 * (2.0 - 2.0_f64.sqrt());
    assert!((row.shape.perimeter - 2.0 * single_pixel_perimeter).abs() < 1e-12);
    assert!((row.shape.feret - 26.0_f64.sqrt()).abs() < 1e-12); // corner (0,0) to (5,1)
    assert_eq!((row.shape.bx, row.shape.width), (0.0, 5.0));
}

/// Label 0 is background; missing label values leave no rows; rows ascend by label.
#[test]
fn label_order_and_gaps() {
    let image = labels(4, &[0, 200, 0, 7, 0, 0, 0, 0, 65_536, 0, 0, 0]);
    let particles = particles_from_labels(&image, &ParticleOptions::default());
    let found: Vec<_> = particles.iter().map(|p| p.label.unwrap()).collect();
    assert_eq!(found, vec![7, 200, 65_536]);
}

/// The bloodcells layout: the dataset's header byte for byte, and each cell equal to ImageJ's
/// 3-decimal value for that channel re-printed as pandas does.
#[test]
fn bloodcells_layout_matches_dataset_and_imagej() {
    let dataset = measure_support::shared_data().join("bloodcells/bloodcells_train.csv");
    let dataset_header = std::fs::read_to_string(dataset)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(BLOODCELLS_HEADER, dataset_header);

    let dir = golden_dir().join("inputs");
    for name in ["smear1", "pbc_neutrophil", "aslan1"] {
        let [red, green, blue] =
            ["red", "green", "blue"].map(|c| read_gray(&dir.join(format!("{name}_{c}.png"))));
        let rgb = RgbImage::from_fn(red.width(), red.height(), |x, y| {
            image::Rgb([
                red.get_pixel(x, y)[0],
                green.get_pixel(x, y)[0],
                blue.get_pixel(x, y)[0],
            ])
        });
        let mask = read_gray(&dir.join(format!("{name}_mask.png")));
        let particles = measure_image(
            &AnyImage::Rgb8(rgb),
            Segmentation::Mask(&mask),
            &[Channel::Red, Channel::Green, Channel::Blue],
            &ParticleOptions::default(),
            &Calibration::default(),
        )
        .unwrap();
        let table = Table {
            channels: vec!["red".into(), "green".into(), "blue".into()],
            rows: particles
                .into_iter()
                .map(|particle| TableRow {
                    image: format!("{name}.png"),
                    class: Some("Neutrophil".into()),
                    particle,
                })
                .collect(),
        };
        let mut ours = Vec::new();
        write_bloodcells_csv(&mut ours, &table).unwrap();
        let ours = String::from_utf8(ours).unwrap();

        // ImageJ's texts per channel; then the pandas rule per column.
        let imagej = |channel: &str| {
            parse_imagej_csv(
                &std::fs::read_to_string(
                    golden_dir().join(format!("expected/{name}_{channel}_default.3.csv")),
                )
                .unwrap(),
            )
        };
        let (r, g, b) = (imagej("red"), imagej("green"), imagej("blue"));
        let column = |table: &measure_support::CsvTable, heading: &str| -> Vec<String> {
            let index = table.headings.iter().position(|h| h == heading).unwrap();
            table.rows.iter().map(|row| row[index].clone()).collect()
        };
        let sources: Vec<Vec<String>> = vec![
            column(&r, "Area"),
            column(&r, "Mean"),
            column(&r, "StdDev"),
            column(&r, "Mode"),
            column(&r, "Min"),
            column(&r, "Max"),
            column(&r, "Perim."),
            column(&r, "Circ."),
            column(&r, "Feret"),
            column(&r, "IntDen"),
            column(&r, "Median"),
            column(&r, "Skew"),
            column(&r, "Kurt"),
            column(&r, "RawIntDen"),
            column(&r, "MinFeret"),
            column(&r, "AR"),
            column(&r, "Solidity"),
            column(&b, "Mean"),
            column(&g, "Mean"),
            column(&b, "StdDev"),
            column(&g, "StdDev"),
            column(&b, "Mode"),
            column(&g, "Mode"),
            column(&b, "Min"),
            column(&g, "Min"),
            column(&b, "Max"),
            column(&g, "Max"),
            column(&b, "Median"),
            column(&g, "Median"),
            column(&b, "Skew"),
            column(&g, "Skew"),
            column(&b, "Kurt"),
            column(&g, "Kurt"),
        ];
        let pandas: Vec<Vec<String>> = sources
            .iter()
            .map(|texts| {
                let integers = texts
                    .iter()
                    .all(|t| !t.contains('.') && !t.contains('E') && t != "NaN");
                texts
                    .iter()
                    .map(|t| {
                        if integers {
                            t.clone()
                        } else if t == "NaN" {
                            String::new() // pandas' to_csv writes NaN as an empty cell
                        } else {
                            python_float_repr(t.parse().unwrap())
                        }
                    })
                    .collect()
            })
            .collect();
        let lines: Vec<&str> = ours.lines().collect();
        assert_eq!(lines[0], BLOODCELLS_HEADER);
        assert_eq!(lines.len() - 1, r.rows.len(), "{name}: row count");
        for (row_index, line) in lines[1..].iter().enumerate() {
            let cells: Vec<&str> = line.split(';').collect();
            assert_eq!(cells.len(), 35);
            assert_eq!(cells[0], format!("{name}.png "));
            assert_eq!(cells[34], "Neutrophil");
            for (column_index, expected) in pandas.iter().enumerate() {
                assert_eq!(
                    cells[column_index + 1],
                    expected[row_index],
                    "{name} row {} column {}",
                    row_index + 1,
                    BLOODCELLS_HEADER.split(';').nth(column_index + 1).unwrap()
                );
            }
        }
    }
}

/// Results are the same with 1 and 4 worker threads.
#[test]
fn one_and_many_threads_agree() {
    let dir = golden_dir().join("inputs");
    let mask = read_gray(&dir.join("blobs_d.png"));
    let grey = read_gray(&dir.join("gray8_256x256.png"));
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                measure_all(
                    &find_particles(&mask, &ParticleOptions::default()),
                    &[Intensity::from(&grey)],
                    &Calibration::default(),
                )
            })
    };
    let one = run(1);
    assert!(one.len() > 100);
    // Debug text compares NaN cells too.
    assert_eq!(format!("{one:?}"), format!("{:?}", run(4)));
}

/// JSON carries image, label and every column; NaN becomes null.
#[test]
fn json_has_labels_and_columns() {
    let image = labels(3, &[0, 4, 4]);
    let grey = GrayImage::from_raw(3, 1, vec![9, 9, 9]).unwrap();
    let rows = measure_all(
        &particles_from_labels(&image, &ParticleOptions::default()),
        &[Intensity::from(&grey)],
        &Calibration::default(),
    );
    let table = single_channel_table("cells.png", rows);
    let mut out = Vec::new();
    write_json(&mut out, &table).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let row = &value[0];
    assert_eq!(row["image"], "cells.png");
    assert_eq!(row["label"], 4);
    assert_eq!(row["shape"]["area"], 2.0);
    assert_eq!(row["channels"]["image"]["mean"], 9.0);
    assert!(row["channels"]["image"]["skewness"].is_null()); // constant values: NaN
}

/// The CLI end to end: ImageJ's own 3-decimal table for a golden job, byte for byte; a clear
/// error without a segmentation.
#[test]
fn cli_writes_imagej_table() {
    let dir = golden_dir();
    let out = tempfile::tempdir().unwrap();
    let output = out.path().join("results.csv");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(["measure"])
        .arg(dir.join("inputs/blobs_a.png"))
        .arg("--intensity")
        .arg(dir.join("inputs/gray8_200x160.png"))
        .arg("--mask")
        .arg(dir.join("inputs/blobs_a.png"))
        .arg("--exclude-edges")
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(
        std::fs::read(&output).unwrap(),
        std::fs::read(dir.join("expected/blobs_a_gray8_exclude.3.csv")).unwrap()
    );

    // Without --mask or --labels the image is segmented with the pipeline (tests/segment_cli.rs
    // checks that table against the --mask one).
    let segmented = std::process::Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(["measure"])
        .arg(dir.join("inputs/blobs_a.png"))
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    assert!(segmented.status.success());
}
