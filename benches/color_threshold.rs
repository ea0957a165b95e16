//! Speed of colour deconvolution, RGB → grey and auto threshold on a 2048 × 2048 smear-like
//! image (a real BCCD smear crop from the goldens, tiled).
//!
//!     cargo bench --bench color_threshold
//!
//! Throughput is in pixels; "1 thread" runs inside a one-thread rayon pool (the per-core speed),
//! the others use rayon's default pool.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hemato::color::{
    deconvolve_absorbance, deconvolve_transmittance, rgb_to_gray, stain_transmittance, StainMatrix,
    StainSet, ThirdStain,
};
use hemato::threshold::{self, Method};
use image::RgbImage;

const SIDE: u32 = 2048;

fn smear_like() -> RgbImage {
    let tile = hemato::io::read_rgb_image(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/goldens/color/rgb-to-gray/inputs/smear-00020.png"),
    )
    .expect("the golden smear crop");
    RgbImage::from_fn(SIDE, SIDE, |x, y| {
        *tile.get_pixel(x % tile.width(), y % tile.height())
    })
}

fn one_thread<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(work)
}

fn benches(c: &mut Criterion) {
    let image = smear_like();
    let giemsa = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();

    let mut group = c.benchmark_group("color");
    group.throughput(Throughput::Elements(u64::from(SIDE * SIDE)));
    group.sample_size(20);
    group.bench_function("deconvolve_transmittance 3 stains, 1 thread", |b| {
        b.iter(|| pool.install(|| deconvolve_transmittance(black_box(&image), &giemsa)))
    });
    group.bench_function("deconvolve_transmittance 3 stains", |b| {
        b.iter(|| deconvolve_transmittance(black_box(&image), &giemsa))
    });
    group.bench_function("stain_transmittance 1 stain, 1 thread", |b| {
        b.iter(|| pool.install(|| stain_transmittance(black_box(&image), &giemsa, 0).unwrap()))
    });
    group.bench_function("deconvolve_absorbance 3 stains, 1 thread", |b| {
        b.iter(|| pool.install(|| deconvolve_absorbance(black_box(&image), &giemsa)))
    });
    group.bench_function("rgb_to_gray", |b| b.iter(|| rgb_to_gray(black_box(&image))));
    group.finish();

    let gray = one_thread(|| stain_transmittance(&image, &giemsa, 0).unwrap());
    let histogram = threshold::histogram(&gray);
    let mut group = c.benchmark_group("threshold");
    group.throughput(Throughput::Elements(u64::from(SIDE * SIDE)));
    group.bench_function("histogram", |b| {
        b.iter(|| threshold::histogram(black_box(&gray)))
    });
    let range = threshold::ranges(Method::Otsu, &histogram).unwrap().0;
    group.bench_function("apply", |b| {
        b.iter(|| threshold::apply(black_box(&gray), range))
    });
    group.finish();

    let mut group = c.benchmark_group("threshold levels");
    group.bench_function("all 17 methods on one histogram", |b| {
        b.iter(|| {
            Method::ALL.map(|method| threshold::level(method, black_box(&histogram)).unwrap())
        })
    });
    group.finish();
}

criterion_group!(color_threshold, benches);
criterion_main!(color_threshold);
