//! Whole-slide throughput against the single-image pipeline (`docs/slides.md`).
//!
//! `cargo bench --bench slide`. The same pixels, a 4 × 4 mosaic of real smear fields
//! (2688 × 2048, 5.5 MP, from `../shared/data/smears-sample`) stored as a tiled BigTIFF (Deflate,
//! 512-pixel TIFF tiles), analysed with the stand-in analysis (slide-wide Default threshold) on 2
//! threads:
//!
//! - `single_image/file`: what the single-image path costs a user on that file: decode the whole
//!   TIFF ([`hemato::io::read_rgb_image`]), one histogram, one Fill Holes, every component in
//!   parallel ([`hemato::slide::analyse_image`]), then `cells.csv` and `counts.csv` written
//!   (atomically, as every hemato output). This is the baseline the tiled run is judged against;
//!   its `cells.csv` is byte for byte the tiled run's.
//! - `single_image/in_memory`: the analysis alone, on pixels already in memory (no decoding, no
//!   files): the floor.
//! - `tiled/<tile>`: `hemato slide` on the same file ([`hemato::slide::run_slides`]), tiles of
//!   1024 and 2048 pixels with the default overlap, including reading, both passes, checkpoints
//!   and the final `cells.csv`, `counts.csv`, `summary.json` and overview.
//!
//! Throughput is reported in pixels per second (criterion's elements/s): the goal is the tiled
//! run within 15 % of `single_image/file`.

use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hemato::slide::analysis::{image_parameters, ComponentCells};
use hemato::slide::checkpoint::format_value;
use hemato::slide::mosaic::{Mosaic, TiffCompression};
use hemato::slide::tiles::Rect;
use hemato::slide::{
    analyse_image, run_slides, Analysis, Level, NoProgress, SlideOptions, StainWatershed,
};
use hemato::threshold::Method;

const THREADS: usize = 2;

fn fields() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/smears-sample/images");
    hemato::count::list_images(&[dir]).unwrap()
}

/// Writes `cells.csv` and `counts.csv` as `hemato slide` does, for one image named `id`.
fn write_tables(analysis: &StainWatershed, id: &str, components: &[ComponentCells], out: &Path) {
    let classes = analysis.classes();
    let mut counts = vec![0u64; classes.len()];
    hemato::output::write_atomically(&out.join("cells.csv"), |writer| {
        write!(writer, "slide,class")?;
        for column in analysis.columns() {
            write!(writer, ",{column}")?;
        }
        writeln!(writer)?;
        for cell in components.iter().flat_map(|component| &component.cells) {
            write!(writer, "{id},{}", classes[cell.class])?;
            for value in &cell.values {
                write!(writer, ",{}", format_value(*value))?;
            }
            writeln!(writer)?;
            counts[cell.class] += 1;
        }
        Ok(())
    })
    .unwrap();
    // One column per class (the stain-watershed analysis names no `count_columns`), one row
    // for the image and the total row.
    let header = classes.join(",");
    let values = counts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let table = format!("image,{header}\n{id},{values}\ntotal,{values}\n");
    hemato::output::write_bytes_atomically(&out.join("counts.csv"), table.as_bytes()).unwrap();
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

    // The single-image path and the tiled run write the same table.
    let single_out = tempfile::tempdir().unwrap();
    let tiled_out = tempfile::tempdir().unwrap();
    pool.install(|| {
        let rgb = hemato::io::read_rgb_image(&slide).unwrap();
        let parameters = image_parameters(&analysis, &rgb).unwrap();
        let components = analyse_image(&analysis, &rgb, &parameters).unwrap();
        write_tables(&analysis, "mosaic", &components, single_out.path());
    });
    let options = SlideOptions {
        threads: THREADS,
        ..SlideOptions::default()
    };
    run_slides(
        &analysis,
        std::slice::from_ref(&slide),
        tiled_out.path(),
        &options,
        &NoProgress,
    )
    .unwrap();
    for table in ["cells.csv", "counts.csv"] {
        assert_eq!(
            std::fs::read(single_out.path().join(table)).unwrap(),
            std::fs::read(tiled_out.path().join(table)).unwrap(),
            "{table} of the single-image path and of the tiled run differ"
        );
    }

    let mut group = c.benchmark_group("slide_2688x2048_2_threads");
    group.sample_size(10);
    group.throughput(Throughput::Elements(pixels));
    group.bench_function("single_image/file", |b| {
        b.iter(|| {
            let out = tempfile::tempdir().unwrap();
            pool.install(|| {
                let rgb = hemato::io::read_rgb_image(&slide).unwrap();
                let parameters = image_parameters(&analysis, &rgb).unwrap();
                let components = analyse_image(&analysis, &rgb, &parameters).unwrap();
                write_tables(&analysis, "mosaic", &components, out.path());
            })
        })
    });
    group.bench_function("single_image/in_memory", |b| {
        b.iter(|| {
            pool.install(|| {
                let parameters = image_parameters(&analysis, &whole).unwrap();
                analyse_image(&analysis, &whole, &parameters).unwrap()
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
