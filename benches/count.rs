//! Speed of `hemato count` end to end on real fields: stain maps, detection (cell mask,
//! watershed, nuclei, white cells, platelets, red cells), scale and white-cell typing with the
//! built-in model, for a BCCD field (640 × 480) and an Aslan field (256 × 256); and the
//! white-cell typing alone.
//!
//!     cargo bench --bench count
//!
//! Throughput is in pixels; "1 thread" runs inside a one-thread rayon pool, the others use
//! rayon's default pool (the number of cores).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hemato::count::{count_image, CountOptions, WhiteCellClassifier};

fn field(file: &str) -> image::RgbImage {
    hemato::io::read_rgb_image(&Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .expect("the bench field")
}

fn benches(c: &mut Criterion) {
    let classifier = WhiteCellClassifier::builtin();
    let none = WhiteCellClassifier::None;
    let options = CountOptions::default();
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let fields = [
        ("bccd", field("fixtures/smears/BloodImage_00003.jpg")),
        ("aslan", field("fixtures/aslan/image-1.png")),
    ];
    let mut group = c.benchmark_group("count");
    group.sample_size(10);
    for (name, image) in &fields {
        group.throughput(Throughput::Elements(u64::from(
            image.width() * image.height(),
        )));
        group.bench_function(format!("{name}/model/pool"), |b| {
            b.iter(|| count_image(black_box(image), &options, &classifier).unwrap())
        });
        group.bench_function(format!("{name}/model/1 thread"), |b| {
            one_thread.install(|| {
                b.iter(|| count_image(black_box(image), &options, &classifier).unwrap())
            })
        });
        group.bench_function(format!("{name}/detection only/pool"), |b| {
            b.iter(|| count_image(black_box(image), &options, &none).unwrap())
        });
    }
    group.finish();
    c.bench_function("builtin model load", |b| {
        b.iter(WhiteCellClassifier::builtin)
    });
}

criterion_group!(count, benches);
criterion_main!(count);
