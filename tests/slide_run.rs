//! Tiled slide runs against the single-image run of the same pixels.
//!
//! The reference is [`analyse_image`] on the whole image (one histogram, one Fill Holes, one
//! labelling of the whole mask): `cells.csv` of a tiled run must be byte for byte the table that
//! single run gives, for any tile size, overlap, thread count and sharding.
//!
//! - A mosaic of six real smear fields (BCCD, `../shared/data/smears-sample`) as a tiled BigTIFF,
//!   with the slide-wide automatic threshold: tiles of 512, 1024 and 4096 pixels and 1 or 2
//!   threads give identical files, equal to the single-image table.
//! - The mosaic's count is the sum of the fields' own single-image counts: exactly with a fixed
//!   level, within 2 % with the automatic threshold (each field alone has its own level).
//! - A synthetic slide of rings around holes, clumps and long shapes laid across tile borders,
//!   larger than the overlap and touching the slide's border, with tiny tiles: the ownership,
//!   grown-region and slide-wide Fill Holes rules against the whole-image run.
//! - Shards of one slide's tiles and of a list of slides, merged, equal the one-process run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hemato::slide::analysis::image_parameters;
use hemato::slide::mosaic::{field_counts, Mosaic, TiffCompression};
use hemato::slide::{
    merge_shards, run_slides, Analysis, Level, NoProgress, Shard, SlideOptions, StainWatershed,
};
use hemato::threshold::Method;
use image::{Rgb, RgbImage};

mod slide_support;
use slide_support::{single_image_table, smear_fields};

/// A 3 × 2 mosaic of six smear fields (2016 × 1024 pixels) written as a tiled BigTIFF.
fn smear_mosaic(dir: &Path) -> (Mosaic, PathBuf) {
    let mosaic = Mosaic::new(smear_fields(6), 3, 2, 16, [220, 220, 220]).unwrap();
    let path = dir.join("mosaic.tif");
    mosaic.write(&path, 256, TiffCompression::Deflate).unwrap();
    (mosaic, path)
}

fn run(
    analysis: &StainWatershed,
    slides: &[PathBuf],
    outdir: &Path,
    tile: u32,
    overlap: u32,
    threads: usize,
) -> String {
    let options = SlideOptions {
        tile,
        overlap,
        threads,
        batch: 3,
        ..SlideOptions::default()
    };
    run_slides(analysis, slides, outdir, &options, &NoProgress).unwrap();
    std::fs::read_to_string(outdir.join("cells.csv")).unwrap()
}

fn rows(table: &str) -> usize {
    table.lines().count() - 1
}

#[test]
fn tile_sizes_and_threads_give_the_single_image_table() {
    let dir = tempfile::tempdir().unwrap();
    let (mosaic, path) = smear_mosaic(dir.path());
    let analysis = StainWatershed::new(Level::Auto(Method::Default)).unwrap();
    let whole = mosaic.render(hemato::slide::tiles::Rect::new(
        0,
        0,
        mosaic.width(),
        mosaic.height(),
    ));
    let expected = single_image_table(&analysis, "mosaic", &whole, &BTreeSet::new());
    assert!(rows(&expected) > 150, "{} cells", rows(&expected));
    let mut overview = None;
    for (tile, overlap, threads) in [
        (512, 256, 1),
        (512, 256, 2),
        (1024, 256, 2),
        (4096, 256, 1),
        (4096, 256, 2),
        // Overlap far below a cell's size: most cells are read again from grown regions.
        (300, 8, 2),
    ] {
        let out = dir.path().join(format!("out-{tile}-{overlap}-{threads}"));
        let table = run(
            &analysis,
            std::slice::from_ref(&path),
            &out,
            tile,
            overlap,
            threads,
        );
        assert!(
            table == expected,
            "tile {tile}, overlap {overlap}, {threads} threads: {} rows, single image {}",
            rows(&table),
            rows(&expected)
        );
        let png = std::fs::read(out.join("overview.png")).unwrap();
        match &overview {
            None => overview = Some(png),
            Some(first) => assert!(*first == png, "overview differs for tile {tile}"),
        }
    }
}

#[test]
fn mosaic_counts_are_the_sum_of_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (mosaic, path) = smear_mosaic(dir.path());
    for (level, tolerance) in [
        (Level::Fixed(215), 0.0),
        (Level::Auto(Method::Default), 0.02),
    ] {
        let analysis = StainWatershed::new(level).unwrap();
        let per_source = field_counts(&analysis, &mosaic).unwrap();
        let expected: usize = mosaic
            .placed()
            .iter()
            .map(|field| per_source[field.source])
            .sum();
        assert!(expected > 100, "{level:?}: {expected} cells in the fields");
        let out = dir.path().join(format!("{level:?}"));
        let found = rows(&run(
            &analysis,
            std::slice::from_ref(&path),
            &out,
            512,
            128,
            2,
        ));
        let error = (found as f64 - expected as f64).abs() / expected as f64;
        assert!(
            error <= tolerance,
            "{level:?}: {found} cells on the mosaic, {expected} in its fields alone"
        );
        if tolerance == 0.0 {
            assert_eq!(found, expected, "{level:?}");
        }
    }
}

/// Draws a filled disc.
fn disc(image: &mut RgbImage, (cx, cy): (i64, i64), radius: i64, colour: Rgb<u8>) {
    ring(image, (cx, cy), radius, 0, colour);
}

/// Draws a ring of outer radius `outer` and inner radius `inner` (0: a disc).
fn ring(image: &mut RgbImage, (cx, cy): (i64, i64), outer: i64, inner: i64, colour: Rgb<u8>) {
    for y in cy - outer..=cy + outer {
        for x in cx - outer..=cx + outer {
            let d = (x - cx).pow(2) + (y - cy).pow(2);
            let inside = d <= outer * outer && d >= inner * inner;
            if inside
                && x >= 0
                && y >= 0
                && (x as u32) < image.width()
                && (y as u32) < image.height()
            {
                image.put_pixel(x as u32, y as u32, colour);
            }
        }
    }
}

/// A slide whose shapes cross tile borders in every way the tiling rules must handle.
fn synthetic_slide() -> RgbImage {
    let background = Rgb([232, 228, 230]);
    let stain = Rgb([170, 70, 110]);
    let mut image = RgbImage::from_pixel(640, 420, background);
    // Rings with holes (Fill Holes makes them discs), one holding a separate small disc.
    ring(&mut image, (128, 128), 70, 55, stain);
    disc(&mut image, (128, 128), 12, stain);
    ring(&mut image, (400, 100), 40, 30, stain);
    // A large ring whose hole holds another ring with a disc inside.
    ring(&mut image, (330, 290), 110, 95, stain);
    ring(&mut image, (330, 290), 45, 35, stain);
    disc(&mut image, (330, 290), 8, stain);
    // Clumps of touching discs (watershed splits them).
    for (x, y) in [(540, 60), (570, 75), (555, 105)] {
        disc(&mut image, (x, y), 22, stain);
    }
    // A long diagonal chain of discs across many tiles.
    for step in 0..9 {
        disc(&mut image, (20 + step * 22, 290 + step * 13), 15, stain);
    }
    // Cells cut by the slide's borders, and a background region reaching the border through a
    // gap (not a hole).
    disc(&mut image, (0, 200), 25, stain);
    disc(&mut image, (639, 419), 30, stain);
    disc(&mut image, (600, 0), 18, stain);
    ring(&mut image, (560, 330), 50, 40, stain);
    for y in 325..336 {
        for x in 595..615 {
            image.put_pixel(x, y, background);
        }
    }
    // Scattered cells (at least `min_red_area` pixels).
    for k in 0..30u32 {
        let x = (k * 97 + 13) % 630;
        let y = (k * 53 + 29) % 410;
        if image.get_pixel(x, y) == &background {
            disc(&mut image, (i64::from(x), i64::from(y)), 15, stain);
        }
    }
    image
}

#[test]
fn rings_holes_and_clumps_across_tiny_tiles_match_the_whole_image() {
    let dir = tempfile::tempdir().unwrap();
    let image = synthetic_slide();
    let path = dir.path().join("synthetic.png");
    image.save(&path).unwrap();
    let analysis = StainWatershed::new(Level::Fixed(200)).unwrap();
    // The stain colour is foreground, the background is not.
    let mask = analysis.foreground(
        &image,
        &hemato::slide::analysis::StainParameters { level: 200 },
    );
    assert_eq!(mask.get_pixel(128, 128)[0], 255);
    assert_eq!(mask.get_pixel(128, 20)[0], 0);
    let expected = single_image_table(&analysis, "synthetic", &image, &BTreeSet::new());
    // Rings filled into discs: the disc inside the first ring is not a cell of its own.
    assert!(rows(&expected) > 25, "{} cells", rows(&expected));
    for (tile, overlap, threads) in [
        (64, 8, 2),
        (100, 8, 1),
        (128, 40, 2),
        (50, 4, 2),
        (1000, 0, 1),
    ] {
        let out = dir.path().join(format!("out-{tile}-{overlap}-{threads}"));
        let table = run(
            &analysis,
            std::slice::from_ref(&path),
            &out,
            tile,
            overlap,
            threads,
        );
        assert!(
            table == expected,
            "tile {tile}, overlap {overlap}, {threads} threads:\n{table}\nsingle image:\n{expected}"
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        let slide = &summary["slides"][0];
        let (in_holes, grown) = (
            slide["components_in_holes"].as_u64().unwrap(),
            slide["grown_components"].as_u64().unwrap(),
        );
        if tile == 64 {
            // The rules were exercised: components inside holes that reach a window's border
            // were dropped at the merge, and components cut by their window were grown.
            assert!(
                in_holes > 0 && grown > 0,
                "{in_holes} in holes, {grown} grown"
            );
        }
    }
}

#[test]
fn shards_merge_into_the_one_process_run() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mosaic_path) = smear_mosaic(dir.path());
    let synthetic = dir.path().join("synthetic.png");
    synthetic_slide().save(&synthetic).unwrap();
    let analysis = StainWatershed::new(Level::Auto(Method::Default)).unwrap();
    let options = SlideOptions {
        tile: 512,
        overlap: 64,
        threads: 2,
        batch: 2,
        ..SlideOptions::default()
    };
    let outputs = ["cells.csv", "counts.csv"];
    // The tiles of one slide, in 3 shards.
    let single = dir.path().join("single");
    run_slides(
        &analysis,
        std::slice::from_ref(&mosaic_path),
        &single,
        &options,
        &NoProgress,
    )
    .unwrap();
    let mut shard_dirs = Vec::new();
    for index in 0..3 {
        let shard_dir = dir.path().join(format!("shard-{index}"));
        let options = SlideOptions {
            shard: Some(Shard::new(index, 3).unwrap()),
            ..options.clone()
        };
        let report = run_slides(
            &analysis,
            std::slice::from_ref(&mosaic_path),
            &shard_dir,
            &options,
            &NoProgress,
        )
        .unwrap();
        assert!(!report.finalized);
        shard_dirs.push(shard_dir);
    }
    // Two of three shards are not enough.
    let error = merge_shards(&shard_dirs[..2], &dir.path().join("partial")).unwrap_err();
    assert!(error.to_string().contains("have no results"), "{error}");
    let merged = dir.path().join("merged");
    merge_shards(&shard_dirs, &merged).unwrap();
    for name in outputs.iter().chain(&["overview.png"]) {
        assert!(
            std::fs::read(single.join(name)).unwrap() == std::fs::read(merged.join(name)).unwrap(),
            "{name}"
        );
    }
    // A list of slides, in 2 shards (each finishes its own slides).
    let slides = [mosaic_path, synthetic];
    let both = dir.path().join("both");
    run_slides(&analysis, &slides, &both, &options, &NoProgress).unwrap();
    let mut shard_dirs = Vec::new();
    for index in 0..2 {
        let shard_dir = dir.path().join(format!("list-shard-{index}"));
        let options = SlideOptions {
            shard: Some(Shard::new(index, 2).unwrap()),
            ..options.clone()
        };
        let report = run_slides(&analysis, &slides, &shard_dir, &options, &NoProgress).unwrap();
        assert_eq!(report.slides.len(), 1);
        shard_dirs.push(shard_dir);
    }
    let merged = dir.path().join("list-merged");
    merge_shards(&shard_dirs, &merged).unwrap();
    for name in outputs
        .iter()
        .chain(&["overview-mosaic.png", "overview-synthetic.png"])
    {
        assert!(
            std::fs::read(both.join(name)).unwrap() == std::fs::read(merged.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn thresholds_come_from_the_whole_slide() {
    // Two halves with different stain densities: the slide-wide level differs from what either
    // half alone would give, and the run records the whole slide's.
    let dir = tempfile::tempdir().unwrap();
    let (mosaic, path) = smear_mosaic(dir.path());
    let analysis = StainWatershed::new(Level::Auto(Method::Otsu)).unwrap();
    let whole = mosaic.render(hemato::slide::tiles::Rect::new(
        0,
        0,
        mosaic.width(),
        mosaic.height(),
    ));
    let expected = image_parameters(&analysis, &whole).unwrap();
    let out = dir.path().join("out");
    run(&analysis, &[path], &out, 512, 64, 2);
    let text = std::fs::read_to_string(out.join("parts/mosaic/parameters.json")).unwrap();
    let recorded: hemato::slide::analysis::StainParameters = serde_json::from_str(&text).unwrap();
    assert_eq!(recorded, expected);
    // Per-tile levels would vary: the level of the first 512-pixel tile differs from the slide's
    // for at least one tile (otherwise this test could not tell them apart).
    let tile_levels: Vec<i32> = (0..4)
        .map(|column| {
            let rect = hemato::slide::tiles::Rect::new(column * 504, 0, 504, 512);
            let part = mosaic.render(rect);
            image_parameters(&analysis, &part).unwrap().level
        })
        .collect();
    assert!(
        tile_levels.iter().any(|&level| level != expected.level),
        "{tile_levels:?} vs {}",
        expected.level
    );
}

#[test]
fn components_larger_than_max_component_are_skipped_whatever_the_tiling() {
    use hemato::measure::{find_particles, ParticleOptions};
    let dir = tempfile::tempdir().unwrap();
    let image = synthetic_slide();
    let path = dir.path().join("synthetic.png");
    image.save(&path).unwrap();
    let analysis = StainWatershed::new(Level::Fixed(200)).unwrap();
    let limit = 120;
    // The reference: Analyze Particles (8-connected, ImageJ's tracing) of the filled foreground
    // of the whole image; the particles wider or higher than the limit are skipped.
    let parameters = image_parameters(&analysis, &image).unwrap();
    let filled = hemato::morphology::fill_holes(&analysis.foreground(&image, &parameters));
    let large: BTreeSet<(u32, u32)> = find_particles(&filled, &ParticleOptions::default())
        .iter()
        .filter(|p| p.bounds.width > limit || p.bounds.height > limit)
        .map(|p| p.start)
        .collect();
    // The large ring, the ring around (128, 128) and the diagonal chain.
    assert_eq!(large.len(), 3, "{large:?}");
    let expected = single_image_table(&analysis, "synthetic", &image, &large);
    // Tiles of 1000: one window holds every component whole; of 64 and 100: the large ones are
    // cut by their windows and grown until they are seen to be too large.
    for (tile, overlap, threads) in [(64, 8, 2), (100, 8, 1), (1000, 0, 1)] {
        let out = dir.path().join(format!("out-{tile}"));
        let options = SlideOptions {
            tile,
            overlap,
            threads,
            batch: 3,
            max_component: limit,
            ..SlideOptions::default()
        };
        run_slides(
            &analysis,
            std::slice::from_ref(&path),
            &out,
            &options,
            &NoProgress,
        )
        .unwrap();
        let table = std::fs::read_to_string(out.join("cells.csv")).unwrap();
        assert!(
            table == expected,
            "tile {tile}:\n{table}\nexpected:\n{expected}"
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        let skipped: BTreeSet<(u32, u32)> =
            serde_json::from_value(summary["slides"][0]["oversized_components"].clone()).unwrap();
        assert_eq!(skipped, large, "tile {tile}");
    }
}
