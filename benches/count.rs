//! Speed of `hemato count` end to end on real fields: stain maps, detection (cell mask,
//! watershed, nuclei, white cells, platelets, red cells), scale and white-cell typing with the
//! built-in model, for a BCCD field (640 × 480) and an Aslan field (256 × 256); the white-cell
//! typing alone; and the Aslan field counted from a label image (`count_labelled`, labels drawn
//! from the annotated boxes as in `tests/count_labels.rs`).
//!
//!     cargo bench --bench count
//!
//! Throughput is in pixels; "1 thread" runs inside a one-thread rayon pool, the others use
//! rayon's default pool (the number of cores).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hemato::count::evaluation::read_box_csv;
use hemato::count::{count_image, count_labelled, CountOptions, WhiteCellClassifier};
use hemato::io::LabelImage;

fn field(file: &str) -> image::RgbImage {
    hemato::io::read_rgb_image(&Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .expect("the bench field")
}

/// The Aslan fixture's annotated boxes as a label image: the ellipse inside each box (95 %),
/// larger boxes first.
fn aslan_labels() -> LabelImage {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut boxes = read_box_csv(&root.join("fixtures/aslan/annotations.csv")).expect("boxes");
    let mut boxes = boxes.remove("image-1.png").expect("image-1's boxes");
    let area = |b: &hemato::count::evaluation::TruthBox| (b.xmax - b.xmin) * (b.ymax - b.ymin);
    boxes.sort_by(|a, b| area(b).total_cmp(&area(a)));
    let mut labels = LabelImage::new(256, 256);
    for (index, b) in boxes.iter().enumerate() {
        let (cx, cy) = ((b.xmin + b.xmax) / 2.0, (b.ymin + b.ymax) / 2.0);
        let (rx, ry) = ((b.xmax - b.xmin) * 0.475, (b.ymax - b.ymin) * 0.475);
        for (x, y, pixel) in labels.enumerate_pixels_mut() {
            let (dx, dy) = ((f64::from(x) - cx) / rx, (f64::from(y) - cy) / ry);
            if dx * dx + dy * dy <= 1.0 {
                pixel.0[0] = index as u32 + 1;
            }
        }
    }
    labels
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
    let (aslan, labels) = (&fields[1].1, aslan_labels());
    group.throughput(Throughput::Elements(u64::from(
        aslan.width() * aslan.height(),
    )));
    group.bench_function("aslan/labelled/pool", |b| {
        b.iter(|| count_labelled(black_box(aslan), &labels, &options, &classifier).unwrap())
    });
    group.finish();
    c.bench_function("builtin model load", |b| {
        b.iter(WhiteCellClassifier::builtin)
    });
}

criterion_group!(count, benches);
criterion_main!(count);
