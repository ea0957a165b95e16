//! White-cell feature cost on the PBC fixtures (`docs/features.md`).
//!
//! `cargo bench --bench features`. Four parts: one whole PBC image (scale measured from its red
//! cells, cell found, every column), the same at a given scale, one cell in a smear field by
//! its point (`describe_cell_at`), and the eight fixtures as a collection in parallel
//! (`hemato features`' own path).

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use hemato::features::table::{describe_all, list_images, ClassFrom};
use hemato::features::{describe_cell_at, describe_centred_cell, Scale};

fn bench(c: &mut Criterion) {
    let image =
        hemato::io::read_rgb_image("fixtures/pbc/neutrophil/BNE_100878.jpg".as_ref()).unwrap();
    let scale = describe_centred_cell(&image, None).unwrap().scale;
    let mut group = c.benchmark_group("features");
    group.sample_size(20);
    group.bench_function("pbc_image_measured_scale", |b| {
        b.iter(|| describe_centred_cell(&image, None).unwrap())
    });
    group.bench_function("pbc_image_given_scale", |b| {
        b.iter(|| describe_centred_cell(&image, Some(scale)).unwrap())
    });
    let field =
        hemato::io::read_rgb_image("fixtures/smears/BloodImage_00003.jpg".as_ref()).unwrap();
    // BCCD fields: about 100 pixels per red-cell diameter; the middle of the white cell's box.
    let field_scale = Scale::from_red_cell_diameter(100.0).unwrap();
    group.bench_function("smear_field_cell_at", |b| {
        b.iter(|| describe_cell_at(&field, 235.0, 133.0, field_scale).unwrap())
    });
    let entries = list_images(&[PathBuf::from("fixtures/pbc")], &ClassFrom::Folder).unwrap();
    group.bench_function("eight_pbc_images_parallel", |b| {
        b.iter(|| describe_all(&entries, None, None, || {}))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
