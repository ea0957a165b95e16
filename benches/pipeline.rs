//! Speed of the whole segmentation pipeline (`hemato segment`: Giemsa stain channel → Otsu →
//! fill holes → watershed → particles → label image) on 2048 × 2048 smear-like RGB images: a
//! real BCCD smear crop (the one of the colour bench) and a dense Aslan field, tiled.
//!
//!     cargo bench --bench pipeline
//!
//! Throughput is in pixels; "1 thread" runs inside a one-thread rayon pool, the others use
//! rayon's default pool (the number of cores).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hemato::io::AnyImage;
use hemato::segment::{segment, PipelineConfig};
use image::RgbImage;

const SIDE: u32 = 2048;

fn tiled(file: &str) -> AnyImage {
    let tile = hemato::io::read_rgb_image(&Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .expect("the bench tile");
    AnyImage::Rgb8(RgbImage::from_fn(SIDE, SIDE, |x, y| {
        *tile.get_pixel(x % tile.width(), y % tile.height())
    }))
}

fn benches(c: &mut Criterion) {
    let config = PipelineConfig::default();
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let images = [
        (
            "bccd",
            tiled("tests/goldens/color/rgb-to-gray/inputs/smear-00020.png"),
        ),
        ("aslan", tiled("fixtures/aslan/image-1.png")),
    ];
    let mut group = c.benchmark_group("segment 2048x2048");
    group.throughput(Throughput::Elements(u64::from(SIDE * SIDE)));
    group.sample_size(10);
    for (name, image) in &images {
        group.bench_function(format!("{name}, default pool"), |b| {
            b.iter(|| segment(black_box(image), &config).unwrap().labels())
        });
        group.bench_function(format!("{name}, 1 thread"), |b| {
            b.iter(|| one_thread.install(|| segment(black_box(image), &config).unwrap().labels()))
        });
    }
    group.finish();
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
