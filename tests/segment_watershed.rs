//! `watershed_by_particle` (parallel, one crop per particle) must equal ImageJ's whole-image
//! watershed as `hemato::watershed::watershed` computes it (that one is checked against ImageJ
//! itself in `tests/watershed_goldens.rs`), on real smear masks and random masks.

use std::path::Path;

use hemato::color::{stain_transmittance, StainMatrix, StainSet, ThirdStain};
use hemato::measure::{find_particles, ParticleOptions};
use hemato::morphology::{fill_holes, mask_from_fn};
use hemato::segment::{watershed_by_particle, watershed_particles};
use hemato::threshold::{self, Background, Method};
use hemato::watershed::watershed;
use image::GrayImage;
use proptest::prelude::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Otsu masks (filled) of the three Giemsa stain channels of the fixture images.
fn fixture_masks() -> Vec<(String, GrayImage)> {
    let giemsa = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
    let mut masks = Vec::new();
    for file in [
        "fixtures/aslan/image-1.png",
        "fixtures/aslan/image-101.png",
        "fixtures/smears/BloodImage_00003.jpg",
        "fixtures/smears/BloodImage_00309.jpg",
        "fixtures/pbc/neutrophil/BNE_100878.jpg",
    ] {
        let image = hemato::io::read_rgb_image(&root().join(file)).unwrap();
        for stain in 0..3 {
            let channel = stain_transmittance(&image, &giemsa, stain).unwrap();
            let histogram = threshold::histogram(&channel);
            for method in [Method::Otsu, Method::Default, Method::Li] {
                let range = threshold::range(method, &histogram, Background::Light).unwrap();
                let mask = threshold::apply(&channel, range);
                masks.push((format!("{file} stain {stain} {method}"), mask.clone()));
                masks.push((
                    format!("{file} stain {stain} {method} filled"),
                    fill_holes(&mask),
                ));
            }
        }
    }
    masks
}

#[test]
fn equals_whole_image_watershed_on_smear_masks() {
    let masks = fixture_masks();
    assert_eq!(masks.len(), 90);
    let mut cut_pixels = 0;
    for (name, mask) in &masks {
        let expected = watershed(mask).unwrap();
        let actual = watershed_by_particle(mask).unwrap();
        cut_pixels += mask
            .as_raw()
            .iter()
            .zip(expected.as_raw())
            .filter(|(a, b)| a != b)
            .count();
        assert!(
            actual == expected,
            "{name}: differs from the whole-image watershed"
        );
        let particles = watershed_particles(mask).unwrap();
        assert!(
            particles == find_particles(&expected, &ParticleOptions::default()),
            "{name}: particles differ from those of the whole-image watershed"
        );
    }
    // The comparison is not vacuous: the watershed cut many lines in these masks.
    assert!(cut_pixels > 5_000, "only {cut_pixels} cut pixels");
}

#[test]
fn same_output_for_one_and_two_threads() {
    let masks = fixture_masks();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                masks
                    .iter()
                    .take(12)
                    .map(|(_, mask)| watershed_by_particle(mask).unwrap())
                    .collect::<Vec<_>>()
            })
    };
    assert!(run(1) == run(2));
}

#[test]
fn special_masks() {
    // Empty, full, single pixel, a particle touching all four borders (whole-image fallback),
    // particles touching one border each, 1-pixel-wide images.
    let cases: Vec<GrayImage> = vec![
        GrayImage::new(10, 7),
        mask_from_fn(9, 9, |_, _| true),
        mask_from_fn(5, 5, |x, y| (x, y) == (2, 2)),
        mask_from_fn(40, 30, |x, y| {
            let disc = |cx: i32, cy: i32| (x as i32 - cx).pow(2) + (y as i32 - cy).pow(2) <= 144;
            disc(10, 12) || disc(27, 15) || x == 0 || y == 29 || x == 39 || y == 0
        }),
        mask_from_fn(40, 24, |x, y| {
            let disc = |cx: i32, cy: i32| (x as i32 - cx).pow(2) + (y as i32 - cy).pow(2) <= 100;
            disc(0, 12) || disc(14, 12) || disc(39, 3) || disc(30, 23)
        }),
        mask_from_fn(1, 30, |_, y| y % 7 != 0),
        mask_from_fn(30, 1, |x, _| x % 5 != 0),
    ];
    for (index, mask) in cases.iter().enumerate() {
        assert_eq!(
            watershed_by_particle(mask).unwrap(),
            watershed(mask).unwrap(),
            "case {index}"
        );
    }
}

/// Random unions of discs: touching, overlapping and border-crossing particles.
fn discs() -> impl Strategy<Value = GrayImage> {
    (
        8u32..70,
        8u32..70,
        prop::collection::vec((0i32..70, 0i32..70, 1i32..14), 1..12),
    )
        .prop_map(|(width, height, discs)| {
            mask_from_fn(width, height, |x, y| {
                discs
                    .iter()
                    .any(|&(cx, cy, r)| (x as i32 - cx).pow(2) + (y as i32 - cy).pow(2) <= r * r)
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn equals_whole_image_watershed_on_random_discs(mask in discs()) {
        let expected = watershed(&mask).unwrap();
        prop_assert_eq!(watershed_by_particle(&mask).unwrap(), expected.clone());
        prop_assert!(
            watershed_particles(&mask).unwrap()
                == find_particles(&expected, &ParticleOptions::default())
        );
    }

    #[test]
    fn equals_whole_image_watershed_on_random_noise(
        width in 1u32..40,
        height in 1u32..40,
        bits in prop::collection::vec(prop::bool::weighted(0.6), 1600),
    ) {
        let mask = mask_from_fn(width, height, |x, y| bits[(y * 40 + x) as usize]);
        prop_assert_eq!(watershed_by_particle(&mask).unwrap(), watershed(&mask).unwrap());
    }
}
