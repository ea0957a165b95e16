//! Particle analysis cost: 10,000 particles on a 4096 x 4096 mask (`docs/performance.md`).
//!
//! `cargo bench --bench measure`. Three parts: finding particles (trace + flood fill), the same
//! with include holes (polygon fill), and measuring all 33 columns on an 8-bit image.

use criterion::{criterion_group, criterion_main, Criterion};
use hemato::measure::{
    find_particles, measure_all, measure_intensity, measure_shape, Calibration, Intensity,
    ParticleOptions,
};
use image::{GrayImage, Luma};

const SIZE: u32 = 4096;
const GRID: u32 = 100; // 100 x 100 = 10,000 particles
const SPACING: u32 = SIZE / GRID;

/// Cells of radius 10-17 px with a notch and a hole in some: 10,000 particles.
fn mask() -> GrayImage {
    GrayImage::from_fn(SIZE, SIZE, |x, y| {
        let (cell_x, cell_y) = (x / SPACING, y / SPACING);
        if cell_x >= GRID || cell_y >= GRID {
            return Luma([0]);
        }
        let (dx, dy) = (
            f64::from(x % SPACING) - f64::from(SPACING) / 2.0,
            f64::from(y % SPACING) - f64::from(SPACING) / 2.0,
        );
        let radius = 10.0 + f64::from((cell_x * 7 + cell_y * 13) % 8);
        let distance = (dx * dx + dy * dy).sqrt();
        let hole = (cell_x + cell_y) % 3 == 0 && distance < 3.0;
        let notch = dx > 0.0 && dy.abs() < 2.0;
        Luma([if distance <= radius && !hole && !notch {
            255
        } else {
            0
        }])
    })
}

fn bench(c: &mut Criterion) {
    let mask = mask();
    let grey = GrayImage::from_fn(SIZE, SIZE, |x, y| Luma([((x * 31 + y * 17) % 251) as u8]));
    let particles = find_particles(&mask, &ParticleOptions::default());
    assert_eq!(particles.len(), 10_000);
    let mut group = c.benchmark_group("measure_4096x4096_10000_particles");
    group.sample_size(10);
    group.bench_function("find_particles", |b| {
        b.iter(|| find_particles(&mask, &ParticleOptions::default()))
    });
    let include = ParticleOptions {
        include_holes: true,
        ..ParticleOptions::default()
    };
    group.bench_function("find_particles_include_holes", |b| {
        b.iter(|| find_particles(&mask, &include))
    });
    group.bench_function("measure_all_33_columns", |b| {
        b.iter(|| {
            measure_all(
                &particles,
                &[Intensity::from(&grey)],
                &Calibration::default(),
            )
        })
    });
    group.bench_function("shape_columns_only", |b| {
        b.iter(|| {
            particles
                .iter()
                .map(|p| measure_shape(p, &Calibration::default()).feret)
                .sum::<f64>()
        })
    });
    group.bench_function("intensity_columns_only", |b| {
        b.iter(|| {
            particles
                .iter()
                .map(|p| {
                    measure_intensity(p, &Intensity::from(&grey), &Calibration::default()).mean
                })
                .sum::<f64>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
