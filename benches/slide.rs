//! Whole-slide throughput against the single-image pipeline (`docs/slides.md`).
//!
//! `cargo bench --bench slide`. The same pixels, a 4 × 4 mosaic of real smear fields
//! (2688 × 2048, 5.5 MP, from `../shared/data/smears-sample`), analysed with the stand-in
//! analysis (slide-wide Default threshold) on 2 threads:
//!
//! - `single_image`: the whole image in memory, one histogram, one Fill Holes, every component
//!   in parallel ([`hemato::slide::analyse_image`]);
//! - `tiled/<tile>`: `hemato slide` on the tiled BigTIFF (Deflate), tiles of 1024 and 2048
//!   pixels with the default overlap, including reading, both passes, checkpoints and the final
//!   `cells.csv`, `counts.csv` and overview.
//!
//! Throughput is reported in pixels per second (criterion's elements/s): the goal is tiled within
//! 15 % of single-image.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hemato::slide::analysis::image_parameters;
use hemato::slide::mosaic::{Mosaic, TiffCompression};
use hemato::slide::tiles::Rect;
use hemato::slide::{analyse_image, run_slides, Level, NoProgress, SlideOptions, StainWatershed};
use hemato::threshold::Method;

const THREADS: usize = 2;

fn fields() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/smears-sample/images");
    let mut fields: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "jpg"))
        .collect();
    fields.sort();
    fields
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mosaic = Mosaic::new(fields(), 4, 4, 16, [220, 220, 220]).unwrap();
    let slide = dir.path().join("mosaic.tif");
    mosaic.write(&slide, 512, TiffCompression::Deflate).unwrap();
    let whole = mosaic.render(Rect::new(0, 0, mosaic.width(), mosaic.height()));
    let pixels = u64::from(mosaic.width()) * u64::from(mosaic.height());
    let analysis = StainWatershed::new(Level::Auto(Method::Default)).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .unwrap();

    let mut group = c.benchmark_group("slide_2688x2048_2_threads");
    group.sample_size(10);
    group.throughput(Throughput::Elements(pixels));
    group.bench_function("single_image", |b| {
        b.iter(|| {
            pool.install(|| {
                let parameters = image_parameters(&analysis, &whole).unwrap();
                analyse_image(&analysis, &whole, &parameters)
            })
        })
    });
    for tile in [1024, 2048] {
        group.bench_function(format!("tiled/{tile}"), |b| {
            b.iter(|| {
                let out = tempfile::tempdir().unwrap();
                let options = SlideOptions {
                    tile,
                    threads: THREADS,
                    ..SlideOptions::default()
                };
                run_slides(
                    &analysis,
                    std::slice::from_ref(&slide),
                    out.path(),
                    &options,
                    &NoProgress,
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
