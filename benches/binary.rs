//! Throughput of each binary stage on a 2048x2048 smear-like mask (discs of 40-100 px diameter,
//! many touching, some with a hole), in pixels per second (criterion prints Melem/s = MP/s).
//!
//! `cargo bench --bench binary` (measure on a quiet machine; set RAYON_NUM_THREADS to compare
//! thread counts).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hemato::edm::distance_map;
use hemato::morphology::{self, mask_from_fn, BinaryOptions};
use hemato::watershed::{watershed, watershed_of_distance_map};
use image::GrayImage;

const SIZE: u32 = 2048;

/// Discs of radius 20-50 at random positions covering about half the image; every third disc
/// has a pale centre (a hole) as thresholded red cells often do.
fn smear_mask(size: u32) -> GrayImage {
    let mut state = 2024u64;
    let mut random = |n: u32| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % n as u64) as i64
    };
    let count = (size as u64 * size as u64 / 6000) as usize;
    let discs: Vec<(i64, i64, i64)> = (0..count)
        .map(|_| (random(size), random(size), 20 + random(31)))
        .collect();
    // Bucket discs by 64-px cell for a fast lookup.
    let cells = (size as usize).div_ceil(64);
    let mut grid = vec![Vec::new(); cells * cells];
    for (i, &(cx, cy, r)) in discs.iter().enumerate() {
        let (x0, x1) = (((cx - r).max(0) / 64) as usize, ((cx + r) / 64) as usize);
        let (y0, y1) = (((cy - r).max(0) / 64) as usize, ((cy + r) / 64) as usize);
        for gy in y0..=y1.min(cells - 1) {
            for gx in x0..=x1.min(cells - 1) {
                grid[gy * cells + gx].push(i);
            }
        }
    }
    mask_from_fn(size, size, |x, y| {
        let cell = &grid[(y as usize / 64) * cells + x as usize / 64];
        cell.iter().any(|&i| {
            let (cx, cy, r) = discs[i];
            let d2 = (x as i64 - cx).pow(2) + (y as i64 - cy).pow(2);
            d2 <= r * r && !(i % 3 == 0 && d2 <= (r / 4).pow(2))
        })
    })
}

fn stages(c: &mut Criterion) {
    let mask = smear_mask(SIZE);
    let filled = morphology::fill_holes(&mask);
    let edm = distance_map(&filled);
    let options = BinaryOptions::default();
    let mut group = c.benchmark_group("binary_2048");
    group.throughput(Throughput::Elements(SIZE as u64 * SIZE as u64));
    group.sample_size(10);
    group.bench_function("fill_holes", |b| b.iter(|| morphology::fill_holes(&mask)));
    group.bench_function("erode", |b| b.iter(|| morphology::erode(&filled, &options)));
    group.bench_function("dilate", |b| {
        b.iter(|| morphology::dilate(&filled, &options))
    });
    group.bench_function("open", |b| b.iter(|| morphology::open(&filled, &options)));
    group.bench_function("close", |b| b.iter(|| morphology::close(&filled, &options)));
    group.bench_function("size_filter", |b| {
        b.iter(|| morphology::remove_particles_outside(&filled, 100, 20_000))
    });
    group.bench_function("edm", |b| b.iter(|| distance_map(&filled)));
    group.bench_function("watershed_of_edm", |b| {
        b.iter(|| watershed_of_distance_map(&edm).unwrap())
    });
    group.bench_function(BenchmarkId::new("edm_and_watershed", "mask"), |b| {
        b.iter(|| watershed(&filled).unwrap())
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
