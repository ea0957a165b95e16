//! Properties of the watershed and the distance map on random masks (proptest): the watershed
//! only removes pixels, never joins particles that were separate, cuts with lines one pixel
//! wide, and gives the same result on 1 and 2 threads; the EDM is 0 exactly on background.

use hemato::edm::distance_map;
use hemato::morphology::{self, mask_from_fn, BinaryOptions};
use hemato::watershed::{ultimate_points, watershed};
use image::GrayImage;
use proptest::prelude::*;

/// Overlapping discs: the realistic case (touching cells).
fn discs() -> impl Strategy<Value = GrayImage> {
    (
        8u32..72,
        8u32..72,
        prop::collection::vec((0.0f64..1.0, 0.0f64..1.0, 2.0f64..16.0), 1..10),
    )
        .prop_map(|(width, height, discs)| {
            mask_from_fn(width, height, |x, y| {
                discs.iter().any(|&(cx, cy, r)| {
                    let (dx, dy) = (x as f64 - cx * width as f64, y as f64 - cy * height as f64);
                    dx * dx + dy * dy <= r * r
                })
            })
        })
}

/// Random speckle: odd shapes, thin bridges, holes.
fn speckle() -> impl Strategy<Value = GrayImage> {
    (1u32..40, 1u32..40, 0u32..100, any::<u64>()).prop_map(|(width, height, density, seed)| {
        let mut state = seed;
        mask_from_fn(width, height, |_, _| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % 100) < density as u64
        })
    })
}

fn masks() -> impl Strategy<Value = GrayImage> {
    prop_oneof![discs(), speckle()]
}

/// 8-connected labels (0 = background), by flood fill.
fn labels(mask: &GrayImage) -> Vec<u32> {
    let (width, height) = (mask.width() as i64, mask.height() as i64);
    let mut labels = vec![0u32; mask.as_raw().len()];
    let mut next = 0;
    for start in 0..labels.len() {
        if mask.as_raw()[start] == 0 || labels[start] != 0 {
            continue;
        }
        next += 1;
        labels[start] = next;
        let mut stack = vec![start];
        while let Some(index) = stack.pop() {
            let (x, y) = (index as i64 % width, index as i64 / width);
            for (dx, dy) in [
                (-1, -1),
                (0, -1),
                (1, -1),
                (-1, 0),
                (1, 0),
                (-1, 1),
                (0, 1),
                (1, 1),
            ] {
                let (nx, ny) = (x + dx, y + dy);
                if nx < 0 || ny < 0 || nx >= width || ny >= height {
                    continue;
                }
                let neighbour = (ny * width + nx) as usize;
                if mask.as_raw()[neighbour] != 0 && labels[neighbour] == 0 {
                    labels[neighbour] = next;
                    stack.push(neighbour);
                }
            }
        }
    }
    labels
}

fn on_threads<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(work)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn watershed_only_removes_pixels(mask in masks()) {
        let cut = watershed(&mask).unwrap();
        for (input, output) in mask.pixels().zip(cut.pixels()) {
            prop_assert!(output.0[0] == 0 || input.0[0] == 255);
            prop_assert!(output.0[0] == 0 || output.0[0] == 255);
        }
    }

    #[test]
    fn watershed_never_joins_separate_particles(mask in masks()) {
        let before = labels(&mask);
        let after = labels(&watershed(&mask).unwrap());
        // Every particle after the watershed lies inside one particle before it.
        let mut parent = std::collections::HashMap::new();
        for (&old, &new) in before.iter().zip(&after) {
            if new != 0 {
                let first = *parent.entry(new).or_insert(old);
                prop_assert_eq!(first, old);
            }
        }
    }

    #[test]
    fn separating_lines_are_one_pixel_wide(mask in discs()) {
        // Line pixels = object pixels the watershed removed. A line one pixel wide never fills
        // a 2x2 block, and each line pixel touches (8-connected) a remaining object pixel.
        let cut = watershed(&mask).unwrap();
        let (width, height) = mask.dimensions();
        let is_line = |x: u32, y: u32| mask.get_pixel(x, y).0[0] == 255 && cut.get_pixel(x, y).0[0] == 0;
        for y in 0..height {
            for x in 0..width {
                if !is_line(x, y) {
                    continue;
                }
                if x + 1 < width && y + 1 < height {
                    prop_assert!(
                        !(is_line(x + 1, y) && is_line(x, y + 1) && is_line(x + 1, y + 1)),
                        "2x2 block of line pixels at ({}, {})", x, y
                    );
                }
                let touches_object = (y.saturating_sub(1)..(y + 2).min(height)).any(|ny| {
                    (x.saturating_sub(1)..(x + 2).min(width))
                        .any(|nx| cut.get_pixel(nx, ny).0[0] == 255)
                });
                prop_assert!(touches_object, "isolated line pixel at ({}, {})", x, y);
            }
        }
    }

    #[test]
    fn distance_map_is_zero_exactly_on_background(mask in masks()) {
        let edm = distance_map(&mask);
        for (pixel, distance) in mask.pixels().zip(edm.pixels()) {
            if pixel.0[0] == 0 {
                prop_assert_eq!(distance.0[0], 0.0);
            } else {
                prop_assert!(distance.0[0] >= 1.0);
            }
        }
    }

    #[test]
    fn results_are_identical_on_one_and_two_threads(mask in masks()) {
        let options = BinaryOptions::new(2, 2).unwrap();
        let run = || {
            (
                distance_map(&mask),
                watershed(&mask).unwrap(),
                ultimate_points(&mask).unwrap(),
                morphology::erode(&mask, &options),
                morphology::dilate(&mask, &options),
                morphology::fill_holes(&mask),
                morphology::remove_particles_outside(&mask, 3, 50),
            )
        };
        let one = on_threads(1, run);
        let two = on_threads(2, run);
        prop_assert!(one == two);
    }
}

#[test]
fn large_smear_is_identical_on_one_and_two_threads() {
    // Big enough that every parallel step really splits its work.
    let mask = smear_like(600, 500);
    let one = on_threads(1, || (distance_map(&mask), watershed(&mask).unwrap()));
    let two = on_threads(2, || (distance_map(&mask), watershed(&mask).unwrap()));
    assert!(one == two);
    assert!(one.1.pixels().filter(|p| p.0[0] == 255).count() > 50_000);
}

/// Touching discs of 20-50 px diameter scattered over the image (deterministic).
fn smear_like(width: u32, height: u32) -> GrayImage {
    let mut state = 12_345u64;
    let mut random = |n: u32| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % n as u64) as i64
    };
    let discs: Vec<(i64, i64, i64)> = (0..width * height / 900)
        .map(|_| (random(width), random(height), 10 + random(16)))
        .collect();
    mask_from_fn(width, height, |x, y| {
        discs
            .iter()
            .any(|&(cx, cy, r)| (x as i64 - cx).pow(2) + (y as i64 - cy).pow(2) <= r * r)
    })
}
