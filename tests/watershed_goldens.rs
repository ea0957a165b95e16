//! Watershed and ultimate points against ImageJ 1.53t (Process > Binary > Watershed, Ultimate
//! Points with 32-bit output) on every golden input: real masks from ../shared/data as
//! thresholded and after Fill Holes, and synthetic edge cases. Masks must be pixel-identical.

mod morphology_support;

use hemato::morphology::fill_holes;
use hemato::watershed::{ultimate_points, watershed};
use morphology_support::{assert_all_identical, expected_float, expected_mask, inputs};

#[test]
fn watershed_matches_imagej() {
    assert!(assert_all_identical("watershed", |mask| watershed(mask).unwrap()) > 0);
}

#[test]
fn goldens_have_many_cuts() {
    // The comparison above means something only if ImageJ cut a lot: count the object pixels
    // that ImageJ's watershed turned into lines, per kind of input.
    let (mut real, mut synthetic, mut inputs_cut) = (0, 0, 0);
    for input in inputs() {
        for operation in ["watershed", "fill_holes_watershed"] {
            let expected = expected_mask(operation, &input.name);
            let reference = if operation == "watershed" {
                input.mask.clone()
            } else {
                fill_holes(&input.mask)
            };
            let cut = reference
                .pixels()
                .zip(expected.pixels())
                .filter(|(a, b)| a.0[0] == 255 && b.0[0] == 0)
                .count();
            inputs_cut += usize::from(cut > 0);
            if input.real {
                real += cut;
            } else {
                synthetic += cut;
            }
        }
    }
    println!("line pixels: real {real}, synthetic {synthetic}; inputs with cuts {inputs_cut}");
    assert!(real > 5000 && synthetic > 200 && inputs_cut > 40);
}

#[test]
fn watershed_after_fill_holes_matches_imagej() {
    let objects = assert_all_identical("fill_holes_watershed", |mask| {
        watershed(&fill_holes(mask)).unwrap()
    });
    assert!(objects > 0);
}

#[test]
fn ultimate_points_match_imagej() {
    let mut failures = Vec::new();
    let mut points = 0;
    for input in inputs() {
        let expected = expected_float("ultimate_points", &input.name);
        let ours = ultimate_points(&input.mask).unwrap();
        points += expected.pixels().filter(|p| p.0[0] > 0.0).count();
        let differing: Vec<(u32, u32, f32, f32)> = ours
            .enumerate_pixels()
            .zip(expected.pixels())
            .filter(|((_, _, a), b)| a.0[0].to_bits() != b.0[0].to_bits())
            .map(|((x, y, a), b)| (x, y, a.0[0], b.0[0]))
            .collect();
        if !differing.is_empty() {
            failures.push(format!(
                "{}: {} pixels differ, first (x, y, hemato, ImageJ) = {:?}",
                input.name,
                differing.len(),
                differing[0]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "ultimate points differ:\n{}",
        failures.join("\n")
    );
    assert!(points > 100);
}
