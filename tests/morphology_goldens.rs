//! Binary operations against ImageJ 1.53t itself: every golden input (real masks from
//! ../shared/data and synthetic edge cases) through fill holes, erode, dilate, open, close with
//! several iteration/count/pad settings, and the Analyze Particles size filter, compared pixel
//! by pixel with ImageJ's output (`tests/goldens/binary/regenerate.sh` made them).

mod morphology_support;

use hemato::morphology::{
    close, dilate, erode, fill_holes, open, remove_particles_outside, BinaryOptions,
};
use morphology_support::assert_all_identical;

fn options(iterations: u32, count: u32, pad_edges: bool) -> BinaryOptions {
    BinaryOptions::new(iterations, count)
        .unwrap()
        .with_pad_edges(pad_edges)
}

#[test]
fn fill_holes_matches_imagej() {
    assert!(assert_all_identical("fill_holes", fill_holes) > 0);
}

#[test]
fn erode_matches_imagej() {
    for (iterations, count, pad) in [
        (1, 1, false),
        (2, 3, false),
        (1, 5, false),
        (3, 1, true),
        (1, 2, true),
    ] {
        let name = format!(
            "erode_i{iterations}_c{count}{}",
            if pad { "_pad" } else { "" }
        );
        let settings = options(iterations, count, pad);
        assert!(assert_all_identical(&name, |mask| erode(mask, &settings)) > 0);
    }
}

#[test]
fn dilate_matches_imagej() {
    for (iterations, count) in [(1, 1), (2, 3), (1, 5)] {
        let settings = options(iterations, count, false);
        let name = format!("dilate_i{iterations}_c{count}");
        assert!(assert_all_identical(&name, |mask| dilate(mask, &settings)) > 0);
    }
}

#[test]
fn open_matches_imagej() {
    for (iterations, count, pad) in [(1, 1, false), (2, 2, false), (1, 3, true)] {
        let name = format!(
            "open_i{iterations}_c{count}{}",
            if pad { "_pad" } else { "" }
        );
        let settings = options(iterations, count, pad);
        assert!(assert_all_identical(&name, |mask| open(mask, &settings)) > 0);
    }
}

#[test]
fn close_matches_imagej() {
    for (iterations, count) in [(1, 1), (2, 2), (3, 4)] {
        let settings = options(iterations, count, false);
        let name = format!("close_i{iterations}_c{count}");
        assert!(assert_all_identical(&name, |mask| close(mask, &settings)) > 0);
    }
}

#[test]
fn size_filter_matches_analyze_particles() {
    for (name, min, max) in [
        ("size_0-20", 0, 20),
        ("size_50-5000", 50, 5000),
        ("size_1000-Infinity", 1000, u64::MAX),
    ] {
        assert!(assert_all_identical(name, |mask| remove_particles_outside(mask, min, max)) > 0);
    }
}
