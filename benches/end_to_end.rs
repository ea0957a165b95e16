//! End to end, as `hemato measure IMAGE --channels stain2` runs it: decode the file, Giemsa
//! eosin channel → Otsu → fill holes → EDM → watershed → particles → all 33 ImageJ columns on
//! the eosin channel. On a real BCCD smear field (640 × 480 JPEG) and on a 2048 × 2048
//! smear-like mosaic of it (PNG), with one thread and with rayon's default pool.
//!
//!     cargo bench --bench end_to_end
//!
//! Two throughputs per input: pixels per second (group `... pixels`) and cells per second
//! (group `... cells`). Decoding alone is timed too, since it is part of every run.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hemato::io::{read_image, AnyImage};
use hemato::measure::{measure_particles, Calibration, Channel};
use hemato::segment::{segment_gray, source_channel, PipelineConfig};
use image::RgbImage;

const MOSAIC_SIDE: u32 = 2048;
const FIELD: &str = "fixtures/smears/BloodImage_00003.jpg";

fn repository(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The field repeated to a square mosaic, written once as PNG under target/.
fn mosaic_file() -> PathBuf {
    let path = repository("target/bench-inputs/smear-mosaic-2048.png");
    if !path.exists() {
        let field = hemato::io::read_rgb_image(&repository(FIELD)).expect("the bench field");
        let mosaic = RgbImage::from_fn(MOSAIC_SIDE, MOSAIC_SIDE, |x, y| {
            *field.get_pixel(x % field.width(), y % field.height())
        });
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        hemato::io::write_rgb_png(&path, &mosaic).expect("mosaic written");
    }
    path
}

/// Everything after decoding, as the CLI runs it: the eosin channel is made once, thresholded
/// for the segmentation and measured as it is. Returns the number of cells measured.
fn analyse(image: &AnyImage, config: &PipelineConfig) -> usize {
    let channel = source_channel(image, config).expect("stain channel");
    let segmented = segment_gray(&channel, config).expect("segmented");
    let rows = measure_particles(
        image,
        &segmented.particles,
        &[Channel::Stain2],
        Some((Channel::Stain2, &channel)),
        &Calibration::default(),
    )
    .expect("measured");
    rows.len()
}

fn benches(c: &mut Criterion) {
    let config = PipelineConfig::default();
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let inputs = [
        ("real field 640x480 jpeg", repository(FIELD)),
        ("mosaic 2048x2048 png", mosaic_file()),
    ];
    for (name, path) in &inputs {
        let image = read_image(path).expect("bench input");
        let (width, height) = image.dimensions();
        let cells = analyse(&image, &config) as u64;

        let mut group = c.benchmark_group(format!("end to end {name} pixels"));
        group.throughput(Throughput::Elements(u64::from(width) * u64::from(height)));
        group.sample_size(10);
        group.bench_function("decode", |b| b.iter(|| read_image(black_box(path))));
        group.bench_function("decode + analyse, default pool", |b| {
            b.iter(|| analyse(&read_image(black_box(path)).unwrap(), &config))
        });
        group.bench_function("decode + analyse, 1 thread", |b| {
            b.iter(|| {
                one_thread.install(|| analyse(&read_image(black_box(path)).unwrap(), &config))
            })
        });
        group.finish();

        let mut group = c.benchmark_group(format!("end to end {name} cells"));
        group.throughput(Throughput::Elements(cells));
        group.sample_size(10);
        group.bench_function("analyse, default pool", |b| {
            b.iter(|| analyse(black_box(&image), &config))
        });
        group.finish();
    }
}

criterion_group!(end_to_end, benches);
criterion_main!(end_to_end);
