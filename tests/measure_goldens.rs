//! hemato's particle analysis against ImageJ 1.53t's Analyze Particles.
//!
//! The goldens under `tests/goldens/measure/` were made by ImageJ itself from the inputs beside
//! them (see `regenerate.sh`). Every job names a mask, an optional intensity image, Analyze
//! Particles options and an optional Set Scale; ImageJ measured all columns at 9 decimals
//! (`expected/NAME.9.csv`) and at 3 decimals (`expected/NAME.3.csv`).
//!
//! Checked here, for every job: the same particles in the same order, every column equal for
//! integers and within 1e-6 relative otherwise (9-decimal files), and hemato's ImageJ CSV writer
//! byte-equal to ImageJ's 3-decimal file.
//!
//! `cargo test --release --test measure_goldens -- --ignored generate_golden_inputs` rewrites the
//! inputs and `jobs.txt` (only needed when changing the golden set).

mod measure_support;

use std::path::{Path, PathBuf};

use hemato::io::{read_image, AnyImage};
use hemato::measure::table::{write_imagej_csv, Table, TableRow};
use hemato::measure::{find_particles, measure_all, Intensity, IntensityImage};
use measure_support::{parse_imagej_csv, Job};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/measure")
}

/// Runs one job with hemato: particles of the mask measured on the intensity image (or on the
/// thresholded mask itself, as ImageJ does without a redirect image).
fn run_job(job: &Job, dir: &Path) -> Table {
    let mask = match read_image(&dir.join("inputs").join(&job.mask)).unwrap() {
        AnyImage::Gray8(mask) => mask,
        other => panic!("{}: mask is {}", job.mask, other.kind()),
    };
    let calibration = job.calibration();
    let options = job.particle_options(&calibration);
    let particles = find_particles(&mask, &options);
    let intensity_image = job
        .gray
        .as_ref()
        .map(|gray| read_image(&dir.join("inputs").join(gray)).unwrap());
    let intensity = match &intensity_image {
        None => Intensity {
            image: IntensityImage::Gray8(&mask),
            threshold: Some((255.0, 255.0)),
        },
        Some(AnyImage::Gray8(image)) => Intensity::from(image),
        Some(AnyImage::Gray16(image)) => Intensity::from(image),
        Some(AnyImage::Gray32(image)) => Intensity::from(image),
        Some(AnyImage::Rgb8(image)) => Intensity {
            image: IntensityImage::Rgb(image),
            threshold: None,
        },
    };
    let rows = measure_all(&particles, &[intensity], &calibration)
        .into_iter()
        .map(|particle| TableRow {
            image: job.mask.clone(),
            class: None,
            particle,
        })
        .collect();
    Table {
        channels: vec!["image".to_string()],
        rows,
    }
}

#[test]
fn imagej_goldens_match() {
    let dir = golden_dir();
    let jobs = Job::read_all(&dir.join("jobs.txt"));
    assert!(!jobs.is_empty());
    let mut failures = Vec::new();
    for job in &jobs {
        let table = run_job(job, &dir);
        let expected_path = dir.join("expected").join(format!("{}.9.csv", job.name));
        let expected_text = std::fs::read_to_string(&expected_path).unwrap();
        let expected = parse_imagej_csv(&expected_text);
        let mut ours_text = Vec::new();
        write_imagej_csv(&mut ours_text, &table, 9).unwrap();
        let ours = parse_imagej_csv(std::str::from_utf8(&ours_text).unwrap());
        if let Err(message) = measure_support::compare_tables(&expected, &ours) {
            failures.push(format!("{}: {message}", job.name));
        }
        let expected3 =
            std::fs::read(dir.join("expected").join(format!("{}.3.csv", job.name))).unwrap();
        let mut ours3 = Vec::new();
        write_imagej_csv(&mut ours3, &table, 3).unwrap();
        if ours3 != expected3 {
            let first_difference = String::from_utf8_lossy(&ours3)
                .lines()
                .zip(String::from_utf8_lossy(&expected3).lines())
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("\n  ours:   {a}\n  imagej: {b}"))
                .unwrap_or_else(|| "(lengths differ)".to_string());
            failures.push(format!(
                "{}: 3-decimal CSV differs from ImageJ's{first_difference}",
                job.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} jobs differ:\n{}",
        failures.len(),
        jobs.len(),
        failures.join("\n")
    );
}

/// Particle counts per mode, so the size of the golden set is visible and cannot shrink
/// silently.
#[test]
fn golden_set_is_large_enough() {
    let dir = golden_dir();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for job in Job::read_all(&dir.join("jobs.txt")) {
        let text =
            std::fs::read_to_string(dir.join("expected").join(format!("{}.9.csv", job.name)))
                .unwrap();
        let rows = parse_imagej_csv(&text).rows.len();
        let mode = if job.extra.contains("include") {
            "include"
        } else if job.extra.contains("exclude") {
            "exclude"
        } else {
            "default"
        };
        *counts.entry(mode).or_default() += rows;
    }
    println!("golden particles per mode: {counts:?}");
    for mode in ["default", "include", "exclude"] {
        assert!(
            counts.get(mode).copied().unwrap_or(0) >= 1000,
            "fewer than 1000 golden particles in {mode} mode: {counts:?}"
        );
    }
}

#[test]
#[ignore = "writes the golden inputs; run by regenerate.sh"]
fn generate_golden_inputs() {
    measure_support::generate_inputs(&golden_dir());
}
