//! The distance map against ImageJ 1.53t's Process > Binary > Distance Map (32-bit output) on
//! every golden input: real masks from ../shared/data and synthetic edge cases.

mod morphology_support;

use hemato::edm::distance_map;
use morphology_support::{expected_float, inputs};

#[test]
fn distance_map_matches_imagej() {
    let mut failures = Vec::new();
    let mut compared = 0usize;
    let mut bit_identical = 0usize;
    for input in inputs() {
        let expected = expected_float("edm", &input.name);
        let ours = distance_map(&input.mask);
        assert_eq!(ours.dimensions(), expected.dimensions(), "{}", input.name);
        let mut worst = (0f32, 0, 0);
        for ((x, y, a), b) in ours.enumerate_pixels().zip(expected.pixels()) {
            let difference = (a.0[0] - b.0[0]).abs();
            compared += 1;
            if a.0[0].to_bits() == b.0[0].to_bits() {
                bit_identical += 1;
            }
            if difference > worst.0 {
                worst = (difference, x, y);
            }
        }
        if worst.0 > 1e-4 {
            failures.push(format!(
                "{}: |difference| {} at {:?}",
                input.name,
                worst.0,
                (worst.1, worst.2)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "EDM differs from ImageJ:\n{}",
        failures.join("\n")
    );
    // The port follows ImageJ's float arithmetic, so it is in fact bit-identical.
    assert_eq!(bit_identical, compared);
}

#[test]
fn distance_map_is_zero_exactly_on_background() {
    for input in inputs() {
        let edm = distance_map(&input.mask);
        for (mask, distance) in input.mask.pixels().zip(edm.pixels()) {
            assert_eq!(mask.0[0] == 0, distance.0[0] == 0.0, "{}", input.name);
        }
    }
}
