//! Properties of particle finding on random masks (proptest): facts that hold for any mask,
//! independent of ImageJ's numbers.

use hemato::io::LabelImage;
use hemato::measure::{
    find_particles, measure_all, particles_from_labels, Calibration, Intensity, Particle,
    ParticleOptions,
};
use image::{GrayImage, Luma};
use proptest::prelude::*;

fn mask_strategy() -> impl Strategy<Value = GrayImage> {
    (1_u32..24, 1_u32..24).prop_flat_map(|(width, height)| {
        proptest::collection::vec(proptest::bool::weighted(0.45), (width * height) as usize)
            .prop_map(move |bits| {
                GrayImage::from_fn(width, height, |x, y| {
                    Luma([if bits[(y * width + x) as usize] {
                        255
                    } else {
                        0
                    }])
                })
            })
    })
}

fn owner_map(particles: &[Particle], width: u32, height: u32) -> Vec<Option<usize>> {
    let mut owners = vec![None; (width * height) as usize];
    for (index, particle) in particles.iter().enumerate() {
        for run in &particle.runs {
            for x in run.x_start..run.x_end {
                let cell = &mut owners[(run.y * width + x) as usize];
                assert!(cell.is_none(), "pixel ({x}, {}) in two particles", run.y);
                *cell = Some(index);
            }
        }
    }
    owners
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Default mode: every object pixel is in exactly one particle, no background pixel is, and
    /// 8-neighbouring object pixels share their particle.
    #[test]
    fn particles_partition_the_objects(mask in mask_strategy()) {
        let (width, height) = mask.dimensions();
        let particles = find_particles(&mask, &ParticleOptions::default());
        let owners = owner_map(&particles, width, height);
        for y in 0..height {
            for x in 0..width {
                let object = mask.get_pixel(x, y)[0] == 255;
                let owner = owners[(y * width + x) as usize];
                prop_assert_eq!(object, owner.is_some());
                if !object { continue; }
                for (dx, dy) in [(1_i64, 0_i64), (-1, 1), (0, 1), (1, 1)] {
                    let (nx, ny) = (i64::from(x) + dx, i64::from(y) + dy);
                    if nx >= 0 && ny >= 0 && nx < i64::from(width) && ny < i64::from(height) {
                        let neighbour = owners[(ny as u32 * width + nx as u32) as usize];
                        if neighbour.is_some() {
                            prop_assert_eq!(owner, neighbour);
                        }
                    }
                }
            }
        }
    }

    /// Each particle's outline encloses its pixels: the bounds of the runs equal the outline's
    /// bounds, and rows come in raster order of their first pixels.
    #[test]
    fn outline_bounds_match_pixels(mask in mask_strategy()) {
        let particles = find_particles(&mask, &ParticleOptions::default());
        let mut previous = None;
        for particle in &particles {
            let min_x = particle.runs.iter().map(|r| r.x_start).min().unwrap();
            let max_x = particle.runs.iter().map(|r| r.x_end).max().unwrap();
            let min_y = particle.runs.first().unwrap().y;
            let max_y = particle.runs.last().unwrap().y + 1;
            let b = particle.bounds;
            prop_assert_eq!((b.x, b.y, b.x + b.width, b.y + b.height), (min_x, min_y, max_x, max_y));
            let start = (particle.start.1, particle.start.0);
            prop_assert!(previous.map_or(true, |p| p < start));
            previous = Some(start);
        }
    }

    /// Include holes: every object pixel is still covered, each particle covers at least what it
    /// covers by default, and there are never more particles.
    #[test]
    fn include_holes_covers_more(mask in mask_strategy()) {
        let (width, height) = mask.dimensions();
        let include = ParticleOptions { include_holes: true, ..ParticleOptions::default() };
        let filled = find_particles(&mask, &include);
        let plain = find_particles(&mask, &ParticleOptions::default());
        prop_assert!(filled.len() <= plain.len());
        let owners = owner_map(&filled, width, height);
        for y in 0..height {
            for x in 0..width {
                if mask.get_pixel(x, y)[0] == 255 {
                    prop_assert!(owners[(y * width + x) as usize].is_some());
                }
            }
        }
    }

    /// A label image of the mask's particles gives the same measurements as the mask.
    #[test]
    fn labels_of_components_equal_the_mask(mask in mask_strategy()) {
        let (width, height) = mask.dimensions();
        let particles = find_particles(&mask, &ParticleOptions::default());
        let mut labels = LabelImage::new(width, height);
        for (index, particle) in particles.iter().enumerate() {
            for run in &particle.runs {
                for x in run.x_start..run.x_end {
                    labels.put_pixel(x, run.y, Luma([index as u32 + 1]));
                }
            }
        }
        let grey = GrayImage::from_fn(width, height, |x, y| Luma([(x * 7 + y * 13) as u8]));
        let intensity = [Intensity::from(&grey)];
        let calibration = Calibration::default();
        let from_mask = measure_all(&particles, &intensity, &calibration);
        let from_labels = measure_all(&particles_from_labels(&labels, &ParticleOptions::default()), &intensity, &calibration);
        prop_assert_eq!(from_mask.len(), from_labels.len());
        for (a, b) in from_mask.iter().zip(&from_labels) {
            prop_assert_eq!(format!("{:?}", a.shape), format!("{:?}", b.shape));
            prop_assert_eq!(format!("{:?}", a.channels), format!("{:?}", b.channels));
        }
    }

    /// Moving a particle moves its position columns and nothing else.
    #[test]
    fn translation_shifts_positions(mask in mask_strategy(), dx in 0_i64..50, dy in 0_i64..50) {
        let (width, height) = mask.dimensions();
        let particles = find_particles(&mask, &ParticleOptions::default());
        let big = GrayImage::from_fn(width + 50, height + 50, |x, y| Luma([((x + y) % 200) as u8]));
        let small = GrayImage::from_fn(width, height, |x, y| Luma([((x + dx as u32 + y + dy as u32) % 200) as u8]));
        let calibration = Calibration::default();
        for particle in &particles {
            let moved = particle.translated(dx, dy).unwrap();
            let here = hemato::measure::measure(particle, &Intensity::from(&small), &calibration);
            let there = hemato::measure::measure(&moved, &Intensity::from(&big), &calibration);
            let shifted = here.translated(dx as f64, dy as f64, &calibration);
            for (a, b) in [(shifted.x, there.x), (shifted.bx, there.bx), (shifted.feret_x, there.feret_x), (shifted.ym, there.ym)] {
                prop_assert!((a - b).abs() < 1e-9, "{} vs {}", a, b);
            }
            prop_assert_eq!(here.area, there.area);
            prop_assert_eq!(here.mean, there.mean);
            prop_assert!((here.perimeter - there.perimeter).abs() < 1e-12);
            prop_assert!((here.min_feret - there.min_feret).abs() < 1e-9);
        }
    }
}
