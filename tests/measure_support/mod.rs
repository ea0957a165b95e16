//! Shared helpers of the measure tests: golden jobs, CSV parsing and comparison, and the
//! generator of the golden inputs.
#![allow(dead_code)]

use std::path::Path;

use hemato::io::{read_rgb_image, write_float_tiff, write_gray_png, FloatImage, Gray16Image};
use hemato::measure::{Calibration, ParticleOptions};
use image::{GrayImage, Luma, RgbImage};

/// One ImageJ run: `name;mask;gray;extra;scale` in `jobs.txt`.
#[derive(Clone, Debug)]
pub struct Job {
    pub name: String,
    pub mask: String,
    pub gray: Option<String>,
    /// Analyze Particles keywords: include, exclude, pixel, size=a-b, circularity=a-b.
    pub extra: String,
    /// Set Scale arguments, e.g. `distance=4 known=1 pixel=1.5 unit=um`; empty = uncalibrated.
    pub scale: String,
}

impl Job {
    pub fn read_all(path: &Path) -> Vec<Job> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .map(|line| {
                let fields: Vec<&str> = line.split(';').collect();
                assert_eq!(fields.len(), 5, "bad job line {line}");
                Job {
                    name: fields[0].to_string(),
                    mask: fields[1].to_string(),
                    gray: (!fields[2].is_empty()).then(|| fields[2].to_string()),
                    extra: fields[3].to_string(),
                    scale: fields[4].to_string(),
                }
            })
            .collect()
    }

    fn keyword(text: &str, key: &str) -> Option<String> {
        text.split_whitespace()
            .find_map(|token| token.strip_prefix(&format!("{key}=")))
            .map(str::to_string)
    }

    /// The calibration ImageJ's Set Scale makes: pixel width = known / distance, pixel height =
    /// pixel width × aspect ratio.
    pub fn calibration(&self) -> Calibration {
        if self.scale.is_empty() {
            return Calibration::default();
        }
        let number = |key: &str| {
            Self::keyword(&self.scale, key)
                .unwrap()
                .parse::<f64>()
                .unwrap()
        };
        let pixel_width = number("known") / number("distance");
        Calibration {
            pixel_width,
            pixel_height: pixel_width * number("pixel"),
            unit: Self::keyword(&self.scale, "unit").unwrap(),
        }
    }

    /// The particle options ImageJ derives from the keywords (sizes in calibrated units unless
    /// `pixel`).
    pub fn particle_options(&self, calibration: &Calibration) -> ParticleOptions {
        let words: Vec<&str> = self.extra.split_whitespace().collect();
        let range = |key: &str| {
            Self::keyword(&self.extra, key).map(|range| {
                let (low, high) = range.split_once('-').unwrap();
                (
                    low.parse::<f64>().unwrap(),
                    high.parse::<f64>().unwrap_or(f64::INFINITY),
                )
            })
        };
        let mut options = ParticleOptions {
            include_holes: words.contains(&"include"),
            exclude_edges: words.contains(&"exclude"),
            ..ParticleOptions::default()
        };
        if let Some((low, high)) = range("size") {
            let unit_squared = if words.contains(&"pixel") {
                1.0
            } else {
                calibration.pixel_area()
            };
            options.min_size = low / unit_squared;
            options.max_size = high / unit_squared;
        }
        if let Some((low, high)) = range("circularity") {
            options.min_circularity = low;
            options.max_circularity = high;
        }
        options
    }
}

/// A parsed Results CSV: headings and rows of cells.
#[derive(Debug)]
pub struct CsvTable {
    pub headings: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub fn parse_imagej_csv(text: &str) -> CsvTable {
    let mut lines = text.lines();
    let headings = lines
        .next()
        .map(|line| line.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let rows = lines
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect();
    CsvTable { headings, rows }
}

/// Columns that hold whole numbers (compared exactly).
const INTEGER_COLUMNS: [&str; 3] = ["Mode", "Min", "Max"];

fn close(expected: f64, actual: f64) -> bool {
    if expected.is_nan() || actual.is_nan() {
        return expected.is_nan() && actual.is_nan();
    }
    let scale = expected.abs().max(actual.abs());
    (expected - actual).abs() <= 1e-6 * scale || (expected - actual).abs() <= 1e-9
}

/// Every column equal for integers, within 1e-6 relative otherwise, in the same row order.
pub fn compare_tables(expected: &CsvTable, actual: &CsvTable) -> Result<(), String> {
    if expected.rows.is_empty() && actual.rows.is_empty() {
        return Ok(());
    }
    if expected.headings != actual.headings {
        return Err(format!(
            "headings differ:\n  imagej: {:?}\n  ours:   {:?}",
            expected.headings, actual.headings
        ));
    }
    if expected.rows.len() != actual.rows.len() {
        return Err(format!(
            "{} particles in ImageJ, {} in hemato",
            expected.rows.len(),
            actual.rows.len()
        ));
    }
    let mut errors = Vec::new();
    for (row_index, (e_row, a_row)) in expected.rows.iter().zip(&actual.rows).enumerate() {
        for (column, heading) in expected.headings.iter().enumerate().skip(1) {
            let (e_text, a_text) = (&e_row[column], &a_row[column]);
            let e: f64 = e_text.parse().unwrap_or(f64::NAN);
            let a: f64 = a_text.parse().unwrap_or(f64::NAN);
            let integer_column = INTEGER_COLUMNS.contains(&heading.as_str())
                && !e_text.contains('.')
                && !e_text.contains('E');
            let same = if integer_column || !e_text.contains('.') && !e_text.contains('E') {
                // Whole numbers as ImageJ printed them: equal (also as text).
                e == a || (e.is_nan() && a.is_nan())
            } else {
                close(e, a)
            };
            if !same {
                errors.push(format!(
                    "row {} {heading}: imagej {e_text}, ours {a_text}",
                    row_index + 1
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let shown: Vec<_> = errors.iter().take(12).cloned().collect();
        Err(format!(
            "{} cells differ:\n{}",
            errors.len(),
            shown.join("\n")
        ))
    }
}

/// A small deterministic random generator (xorshift64*), so the inputs regenerate identically.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A mask drawn as text: `#` = 255, anything else 0.
pub fn mask_from_rows(rows: &[&str]) -> GrayImage {
    let width = rows.iter().map(|row| row.len()).max().unwrap() as u32;
    GrayImage::from_fn(width, rows.len() as u32, |x, y| {
        let byte = rows[y as usize].as_bytes().get(x as usize).copied();
        Luma([if byte == Some(b'#') { 255 } else { 0 }])
    })
}

/// Random blobs: uniform noise, box-blurred twice, thresholded at `level` (0..255). Produces
/// particles of every shape: holes, diagonal contacts, thin bridges, border contacts.
pub fn blob_mask(width: u32, height: u32, seed: u64, level: u8, blur_radius: i32) -> GrayImage {
    let mut random = Random::new(seed);
    let mut field: Vec<f64> = (0..width * height).map(|_| random.unit()).collect();
    for _ in 0..2 {
        field = box_blur(&field, width as i32, height as i32, blur_radius);
    }
    let (low, high) = field
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    GrayImage::from_fn(width, height, |x, y| {
        let value = (field[(y * width + x) as usize] - low) / (high - low) * 255.0;
        Luma([if value > f64::from(level) { 255 } else { 0 }])
    })
}

fn box_blur(field: &[f64], width: i32, height: i32, radius: i32) -> Vec<f64> {
    let mut out = vec![0.0; field.len()];
    for y in 0..height {
        for x in 0..width {
            let (mut sum, mut count) = (0.0, 0.0);
            for dy in -radius..=radius {
                for dx in -radius..=radius {
                    let (sx, sy) = (x + dx, y + dy);
                    if sx >= 0 && sy >= 0 && sx < width && sy < height {
                        sum += field[(sy * width + sx) as usize];
                        count += 1.0;
                    }
                }
            }
            out[(y * width + x) as usize] = sum / count;
        }
    }
    out
}

/// Writes a 16-bit grey PNG.
pub fn write_gray16_png(path: &Path, image: &Gray16Image) {
    image.save(path).unwrap();
}

/// The hand-drawn edge cases: single pixels (also in every corner), 1-pixel lines, diagonal
/// lines, rings, nested particles, a particle in a hole in a hole, particles touching each
/// border, a two-hole particle and shapes that touch only at corners.
pub const EDGE_CASES: [&str; 32] = [
    "#......#.........####..........#......#",
    "..............................##.......",
    "..#.......##########.......#..........#",
    ".....#...........................#.....",
    "..#.......#.......#####.....#.#.#......",
    "..#.......#.......#...#......#.#.......",
    "..#.......#.......#.#.#.....#.#.#......",
    "..#.......#.......#...#................",
    "..........#.......#####....#########...",
    "...#..............#........#.......#...",
    "....#...........###........#.#####.#..#",
    ".....#.........#...........#.#...#.#..#",
    "......#.......#............#.#.#.#.#..#",
    ".......#.....#.............#.#...#.#...",
    ".......##...#..............#.#####.#...",
    "..........#................#.......#...",
    "##........#.#..............#########...",
    "##.........#...........................",
    "..........#.#......###########.........",
    "..................#...........#........",
    "....######.......#..###...###..#.......",
    "....#....#.......#..#.#...#.#..#......#",
    "....#.##.#.......#..###...###..#.....##",
    "....#.##.#.......#.............#....###",
    "....#....#........#...........#....####",
    "....######.........###########....#####",
    ".................................######",
    "#.#.#.#.#.............................#",
    ".#.#.#.#..............##...##..........",
    "#.#.#.#.#.............##...##.....###..",
    "......................................#",
    "#.............####............#.....###",
];

/// A crop: left, top, width, height.
type Crop = (u32, u32, u32, u32);

/// Writes every golden input and `jobs.txt` into `dir`.
pub fn generate_inputs(dir: &Path) {
    let inputs = dir.join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    std::fs::create_dir_all(dir.join("expected")).unwrap();
    let mut jobs: Vec<String> = Vec::new();
    let mut add_jobs = |name: &str, mask: &str, gray: &str, modes: &[(&str, &str)], scale: &str| {
        for (suffix, extra) in modes {
            jobs.push(format!("{name}_{suffix};{mask};{gray};{extra};{scale}"));
        }
    };
    let three_modes: [(&str, &str); 3] = [
        ("default", ""),
        ("include", "include"),
        ("exclude", "exclude"),
    ];

    // Synthetic masks.
    let edge = mask_from_rows(&EDGE_CASES);
    write_gray_png(&inputs.join("edge_cases.png"), &edge).unwrap();
    let blobs: Vec<(String, GrayImage)> = vec![
        ("blobs_a.png".into(), blob_mask(200, 160, 1, 140, 2)),
        ("blobs_b.png".into(), blob_mask(200, 160, 2, 120, 1)),
        ("blobs_c.png".into(), blob_mask(160, 200, 3, 150, 3)),
        ("blobs_d.png".into(), blob_mask(256, 256, 4, 130, 2)),
    ];
    for (name, mask) in &blobs {
        write_gray_png(&inputs.join(name), mask).unwrap();
    }

    // Synthetic intensities matching each mask size.
    let sizes: Vec<(u32, u32)> = vec![
        (edge.width(), edge.height()),
        (200, 160),
        (160, 200),
        (256, 256),
    ];
    for (index, &(width, height)) in sizes.iter().enumerate() {
        let mut random = Random::new(100 + index as u64);
        let gray8 = GrayImage::from_fn(width, height, |x, y| {
            Luma([((x * 3 + y * 5) % 200) as u8 + random.below(56) as u8])
        });
        write_gray_png(&inputs.join(format!("gray8_{width}x{height}.png")), &gray8).unwrap();
        let gray16 = Gray16Image::from_fn(width, height, |x, y| {
            let base = (x * 97 + y * 31) % 40000;
            Luma([(base + random.below(25000) as u32) as u16])
        });
        write_gray16_png(
            &inputs.join(format!("gray16_{width}x{height}.png")),
            &gray16,
        );
        let float = FloatImage::from_fn(width, height, |x, y| {
            let value = (random.unit() - 0.3) * 2000.0 + f64::from(x) * 0.37 - f64::from(y) * 1.1;
            Luma([value as f32])
        });
        write_float_tiff(
            &inputs.join(format!("float32_{width}x{height}.tif")),
            &float,
        )
        .unwrap();
    }
    let zeros = GrayImage::new(edge.width(), edge.height());
    write_gray_png(&inputs.join("zeros8_edge.png"), &zeros).unwrap();
    let constant16 = Gray16Image::from_pixel(edge.width(), edge.height(), Luma([1000]));
    write_gray16_png(&inputs.join("constant16_edge.png"), &constant16);

    let edge_size = format!("{}x{}", edge.width(), edge.height());
    add_jobs("edge_self", "edge_cases.png", "", &three_modes, "");
    add_jobs(
        "edge_gray8",
        "edge_cases.png",
        &format!("gray8_{edge_size}.png"),
        &three_modes,
        "",
    );
    add_jobs(
        "edge_gray16",
        "edge_cases.png",
        &format!("gray16_{edge_size}.png"),
        &three_modes,
        "",
    );
    add_jobs(
        "edge_float32",
        "edge_cases.png",
        &format!("float32_{edge_size}.tif"),
        &three_modes,
        "",
    );
    add_jobs(
        "edge_zeros8",
        "edge_cases.png",
        "zeros8_edge.png",
        &[("default", "")],
        "",
    );
    add_jobs(
        "edge_constant16",
        "edge_cases.png",
        "constant16_edge.png",
        &[("default", "")],
        "",
    );
    add_jobs(
        "edge_calibrated",
        "edge_cases.png",
        &format!("gray8_{edge_size}.png"),
        &three_modes,
        "distance=4 known=1 pixel=1 unit=um",
    );
    add_jobs(
        "edge_anisotropic",
        "edge_cases.png",
        &format!("float32_{edge_size}.tif"),
        &[("default", ""), ("include", "include")],
        "distance=3 known=2 pixel=1.5 unit=um",
    );
    for (name, mask) in &blobs {
        let stem = name.trim_end_matches(".png");
        let size = format!("{}x{}", mask.width(), mask.height());
        add_jobs(
            &format!("{stem}_gray8"),
            name,
            &format!("gray8_{size}.png"),
            &three_modes,
            "",
        );
        add_jobs(
            &format!("{stem}_gray16"),
            name,
            &format!("gray16_{size}.png"),
            &three_modes,
            "",
        );
        add_jobs(
            &format!("{stem}_float32"),
            name,
            &format!("float32_{size}.tif"),
            &three_modes,
            "",
        );
    }
    add_jobs("blobs_a_self", "blobs_a.png", "", &three_modes, "");
    add_jobs(
        "blobs_b_filters",
        "blobs_b.png",
        "gray8_200x160.png",
        &[
            ("size_default", "size=5-200"),
            ("circ_default", "circularity=0.4-0.9"),
            (
                "both_include",
                "include size=20-Infinity circularity=0.3-1.00",
            ),
            ("size_exclude", "exclude size=0-50"),
        ],
        "",
    );
    add_jobs(
        "blobs_c_calibrated",
        "blobs_c.png",
        "gray16_160x200.png",
        &[
            ("default", ""),
            ("include", "include"),
            ("exclude", "exclude"),
            ("size_default", "size=1-20"),
            ("sizepixel_default", "size=10-400 pixel"),
        ],
        "distance=5 known=2 pixel=1 unit=um",
    );

    // Real images: colour channels decoded by hemato and saved as PNG, and a mask from a fixed
    // threshold of the green channel (stained cells are dark in green).
    let data = shared_data();
    let real: [(&str, &str, Crop); 6] = [
        (
            "smear1",
            "smears-sample/images/BloodImage_00003.jpg",
            (160, 120, 320, 240),
        ),
        (
            "smear2",
            "smears-sample/images/BloodImage_00006.jpg",
            (0, 0, 320, 240),
        ),
        (
            "pbc_neutrophil",
            "pbc/neutrophil/BNE_100878.jpg",
            (52, 53, 256, 256),
        ),
        ("pbc_lymphocyte", "", (52, 53, 256, 256)),
        ("aslan1", "", (0, 0, 256, 256)),
        ("aslan2", "", (0, 0, 256, 256)),
    ];
    for (name, relative, (x0, y0, width, height)) in real {
        let path = if relative.is_empty() {
            first_image_of(&data, name)
        } else {
            data.join(relative)
        };
        let rgb = read_rgb_image(&path).unwrap();
        let crop: RgbImage = image::imageops::crop_imm(&rgb, x0, y0, width, height).to_image();
        let channels = [0, 1, 2].map(|c| hemato::measure::rgb_channel(&crop, c));
        for (c, channel_name) in ["red", "green", "blue"].iter().enumerate() {
            write_gray_png(
                &inputs.join(format!("{name}_{channel_name}.png")),
                &channels[c],
            )
            .unwrap();
        }
        if ["smear1", "pbc_neutrophil"].contains(&name) {
            let rgb_file = format!("{name}_rgb.png");
            hemato::io::write_rgb_png(&inputs.join(&rgb_file), &crop).unwrap();
            add_jobs(
                &format!("{name}_rgb"),
                &format!("{name}_mask.png"),
                &rgb_file,
                &three_modes,
                "",
            );
        }
        let green = &channels[1];
        let mean = green.pixels().map(|p| f64::from(p[0])).sum::<f64>() / f64::from(width * height);
        let level = (mean * 0.85) as u8;
        let mask = GrayImage::from_fn(width, height, |x, y| {
            Luma([if green.get_pixel(x, y)[0] < level {
                255
            } else {
                0
            }])
        });
        write_gray_png(&inputs.join(format!("{name}_mask.png")), &mask).unwrap();
        println!(
            "{name}: {} ({x0},{y0} {width}x{height}), green < {level}",
            path.display()
        );
        let mask_file = format!("{name}_mask.png");
        for channel_name in ["red", "green", "blue"] {
            let modes: &[(&str, &str)] = &three_modes;
            add_jobs(
                &format!("{name}_{channel_name}"),
                &mask_file,
                &format!("{name}_{channel_name}.png"),
                modes,
                "",
            );
        }
    }
    let mut text =
        String::from("# name;mask;gray;extra;scale (written by generate_golden_inputs)\n");
    for job in jobs {
        text.push_str(&job);
        text.push('\n');
    }
    std::fs::write(dir.join("jobs.txt"), text).unwrap();
}

/// `shared/data` beside the repository (or beside one of its ancestors, for worktrees).
pub fn shared_data() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|folder| folder.join("shared/data"))
        .find(|candidate| candidate.is_dir())
        .expect("shared/data not found beside the repository")
}

/// The source image for the real-data inputs without a fixed path.
fn first_image_of(data: &Path, name: &str) -> std::path::PathBuf {
    let (folder, index) = match name {
        "pbc_lymphocyte" => ("pbc/lymphocyte", 0),
        "aslan1" => ("aslan-sample/images", 0),
        "aslan2" => ("aslan-sample/images", 7),
        other => panic!("no source for {other}"),
    };
    let mut files: Vec<_> = std::fs::read_dir(data.join(folder))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files[index].clone()
}
