//! Writes the golden INPUTS of `tests/goldens/binary/` (run by its `regenerate.sh`, never in CI):
//!
//! - the synthetic edge-case masks, drawn here from simple geometry;
//! - RGB PNG copies of the real images (decoded by hemato, so that ImageJ never decodes a
//!   JPEG itself) into `$HEMATO_GOLDEN_RGB_DIR`, which ImageJ then thresholds into masks.
//!
//! `cargo test --release --test morphology_golden_inputs -- --ignored`

use std::path::{Path, PathBuf};

use hemato::io::{read_rgb_image, write_gray_png, write_rgb_png};
use hemato::morphology::mask_from_fn;
use image::GrayImage;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/binary")
}

/// The real images the masks come from (folder under `../shared/data`, file, short name).
const REAL_IMAGES: &[(&str, &str, &str)] = &[
    (
        "smears-sample/images",
        "BloodImage_00003.jpg",
        "smear_00003",
    ),
    (
        "smears-sample/images",
        "BloodImage_00005.jpg",
        "smear_00005",
    ),
    (
        "smears-sample/images",
        "BloodImage_00006.jpg",
        "smear_00006",
    ),
    (
        "smears-sample/images",
        "BloodImage_00008.jpg",
        "smear_00008",
    ),
    (
        "smears-sample/images",
        "BloodImage_00009.jpg",
        "smear_00009",
    ),
    (
        "smears-sample/images",
        "BloodImage_00012.jpg",
        "smear_00012",
    ),
    (
        "smears-sample/images",
        "BloodImage_00020.jpg",
        "smear_00020",
    ),
    (
        "smears-sample/images",
        "BloodImage_00032.jpg",
        "smear_00032",
    ),
    (
        "smears-sample/images",
        "BloodImage_00036.jpg",
        "smear_00036",
    ),
    (
        "smears-sample/images",
        "BloodImage_00038.jpg",
        "smear_00038",
    ),
    ("aslan-sample/images", "image-1.png", "aslan_1"),
    ("aslan-sample/images", "image-2.png", "aslan_2"),
    ("aslan-sample/images", "image-4.png", "aslan_4"),
    ("aslan-sample/images", "image-7.png", "aslan_7"),
    ("aslan-sample/images", "image-8.png", "aslan_8"),
    ("aslan-sample/images", "image-12.png", "aslan_12"),
    ("aslan-sample/images", "image-17.png", "aslan_17"),
    ("aslan-sample/images", "image-18.png", "aslan_18"),
    ("aslan-sample/images", "image-20.png", "aslan_20"),
    ("aslan-sample/images", "image-21.png", "aslan_21"),
    ("pbc/basophil", "BA_101611.jpg", "pbc_BA_101611"),
    ("pbc/eosinophil", "EO_105010.jpg", "pbc_EO_105010"),
    ("pbc/erythroblast", "ERB_102372.jpg", "pbc_ERB_102372"),
    ("pbc/lymphocyte", "LY_102859.jpg", "pbc_LY_102859"),
    ("pbc/neutrophil", "BNE_100878.jpg", "pbc_BNE_100878"),
];

#[test]
#[ignore = "writes golden inputs; run by tests/goldens/binary/regenerate.sh"]
fn write_golden_inputs() {
    let synthetic = golden_dir().join("inputs/synthetic");
    std::fs::create_dir_all(&synthetic).unwrap();
    for (name, mask) in synthetic_masks() {
        write_gray_png(&synthetic.join(format!("{name}.png")), &mask).unwrap();
    }
    let rgb_dir = PathBuf::from(
        std::env::var("HEMATO_GOLDEN_RGB_DIR").expect("HEMATO_GOLDEN_RGB_DIR must be set"),
    );
    std::fs::create_dir_all(&rgb_dir).unwrap();
    // The datasets: ../shared/data beside the repository, unless HEMATO_DATA_DIR says otherwise.
    let data = std::env::var_os("HEMATO_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    for (folder, file, name) in REAL_IMAGES {
        let rgb = read_rgb_image(&data.join(folder).join(file)).unwrap();
        write_rgb_png(&rgb_dir.join(format!("{name}.png")), &rgb).unwrap();
    }
}

/// A small deterministic pseudo-random generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

type Disc = (i32, i32, i32);

fn in_disc(x: u32, y: u32, &(cx, cy, r): &Disc) -> bool {
    let (dx, dy) = (x as i32 - cx, y as i32 - cy);
    dx * dx + dy * dy <= r * r
}

fn discs(width: u32, height: u32, discs: &[Disc]) -> GrayImage {
    mask_from_fn(width, height, |x, y| discs.iter().any(|d| in_disc(x, y, d)))
}

fn synthetic_masks() -> Vec<(&'static str, GrayImage)> {
    let mut masks = vec![
        ("empty", mask_from_fn(40, 30, |_, _| false)),
        ("full", mask_from_fn(40, 30, |_, _| true)),
        ("one_pixel", mask_from_fn(15, 11, |x, y| (x, y) == (7, 5))),
        (
            "one_pixel_corner",
            mask_from_fn(9, 7, |x, y| (x, y) == (0, 0)),
        ),
        ("single_object_1x1", mask_from_fn(1, 1, |_, _| true)),
        ("single_background_1x1", mask_from_fn(1, 1, |_, _| false)),
        (
            "row_1px_high",
            mask_from_fn(30, 1, |x, _| (2..9).contains(&x) || x == 11 || x >= 15),
        ),
        (
            "column_1px_wide",
            mask_from_fn(1, 25, |_, y| {
                y < 4 || (8..9).contains(&y) || (12..20).contains(&y)
            }),
        ),
        ("lines_1px", lines(1)),
        ("lines_2px", lines(2)),
        ("pair_equal", discs(80, 50, &[(28, 25, 15), (52, 25, 15)])),
        ("pair_unequal", discs(80, 50, &[(24, 24, 18), (52, 28, 11)])),
        (
            "pair_barely_touching",
            discs(60, 30, &[(15, 15, 10), (36, 15, 10)]),
        ),
        (
            "chain_5",
            discs(
                150,
                50,
                &[
                    (16, 25, 12),
                    (40, 24, 14),
                    (64, 27, 9),
                    (82, 25, 12),
                    (110, 24, 18),
                ],
            ),
        ),
        (
            "clump_3",
            discs(80, 80, &[(30, 30, 16), (52, 32, 13), (40, 52, 14)]),
        ),
        (
            "clump_4",
            discs(
                90,
                90,
                &[(30, 30, 18), (58, 28, 14), (28, 60, 12), (55, 57, 16)],
            ),
        ),
        (
            "clump_5",
            discs(
                110,
                100,
                &[
                    (30, 30, 20),
                    (62, 26, 14),
                    (84, 44, 11),
                    (40, 66, 17),
                    (70, 70, 19),
                ],
            ),
        ),
        (
            "borders",
            discs(
                90,
                70,
                &[
                    (0, 35, 10),
                    (89, 30, 12),
                    (45, 0, 9),
                    (40, 69, 11),
                    (0, 0, 8),
                    (89, 0, 6),
                    (0, 69, 7),
                    (89, 69, 10),
                    (45, 35, 12),
                    (62, 6, 8),
                    (70, 6, 8),
                ],
            ),
        ),
        ("holes", holes()),
        ("big_disc", discs(100, 100, &[(50, 50, 40)])),
        // Distances above 254: the watershed's 8-bit levels get coarser than 1 per pixel.
        (
            "huge_discs",
            discs(760, 600, &[(290, 300, 285), (590, 330, 170), (700, 80, 60)]),
        ),
        (
            "ellipses",
            mask_from_fn(120, 80, |x, y| {
                let (x, y) = (x as f64, y as f64);
                let a = ((x - 40.0) / 35.0).powi(2) + ((y - 30.0) / 12.0).powi(2) <= 1.0;
                let b = ((x - 75.0) / 14.0).powi(2) + ((y - 50.0) / 28.0).powi(2) <= 1.0;
                a || b
            }),
        ),
    ];
    let mut random = Lcg(20_240_531);
    masks.push((
        "speckle",
        mask_from_fn(64, 64, |_, _| random.below(100) < 45),
    ));
    let mut random = Lcg(7);
    let smear: Vec<Disc> = (0..40)
        .map(|_| {
            (
                random.below(200) as i32,
                random.below(150) as i32,
                10 + random.below(16) as i32,
            )
        })
        .collect();
    masks.push(("smear_like", discs(200, 150, &smear)));
    masks
}

/// Straight 1- or 2-pixel lines: horizontal, vertical, both diagonals, one along the border,
/// a cross and an L.
fn lines(thickness: i32) -> GrayImage {
    mask_from_fn(70, 50, |x, y| {
        let (x, y) = (x as i32, y as i32);
        let t = thickness;
        let horizontal = (5..55).contains(&x) && (5..5 + t).contains(&y);
        let vertical = (10..10 + t).contains(&x) && (10..40).contains(&y);
        let diagonal = (20..40).contains(&x) && (0..t).contains(&(y - 12 - (x - 20)));
        let anti_diagonal = (45..65).contains(&x) && (0..t).contains(&(y - 35 + (x - 45)));
        let border = (15..60).contains(&x) && y >= 50 - t;
        let cross = ((28..29 + t).contains(&x) && (36..46).contains(&y))
            || ((22..36).contains(&x) && (40..40 + t).contains(&y));
        let ell = ((60..60 + t).contains(&x) && (2..20).contains(&y))
            || ((60..69).contains(&x) && (19..19 + t).contains(&y));
        horizontal || vertical || diagonal || anti_diagonal || border || cross || ell
    })
}

/// Particles with holes: a ring, a disc with three holes, a 1-pixel hole, a hole open to the
/// border (not a hole), a particle inside a hole, and a hole closed only diagonally.
fn holes() -> GrayImage {
    mask_from_fn(120, 60, |x, y| {
        let d = |cx: i32, cy: i32, r: i32| {
            let (dx, dy) = (x as i32 - cx, y as i32 - cy);
            dx * dx + dy * dy <= r * r
        };
        let ring = d(15, 15, 12) && !d(15, 15, 6);
        let swiss = d(45, 18, 14) && !d(40, 13, 3) && !d(50, 20, 4) && !d(43, 26, 2);
        let tiny_hole = (70..79).contains(&x) && (5..14).contains(&y) && (x, y) != (74, 9);
        let open_notch = (95..120).contains(&x) && (5..25).contains(&y) && !(y == 15 && x >= 100);
        let island = (d(25, 45, 13) && !d(25, 45, 8)) || d(25, 45, 3);
        let diagonal_hole = {
            let (dx, dy) = (x as i32 - 60, y as i32 - 45);
            dx.abs() + dy.abs() == 4
        };
        let two_px_ring = (85..95).contains(&x)
            && (38..50).contains(&y)
            && !((87..93).contains(&x) && (40..48).contains(&y));
        ring || swiss || tiny_hole || open_notch || island || diagonal_hole || two_px_ring
    })
}
