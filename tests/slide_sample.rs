//! The red-cell run on a sample of a slide (`hemato::slide::Sampling`).
//!
//! A 4 × 4 mosaic of real smear fields (BCCD, `../shared/data/smears-sample`; 2688 × 2048 =
//! 5,505,024 pixels) measured with a budget of 1.4 MP: k = ⌈5,505,024 / 1,400,000⌉ = 4, the
//! sample's grid of 1024-pixel cores is 3 × 2 tiles, whose diagonal order is 0 | 1 3 | 2 4 | 5,
//! so positions 0 and 4 are sampled: tiles 0 and 4 (cores (0, 0) and (1024, 1024), 1024 × 1024
//! each). The sampled area does not depend on `--tile` or the threads, and lies within 3 % of
//! the whole slide's; the count run after it takes the statistics of every pixel.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hemato::count::stain_maps::estimate_background;
use hemato::slide::count::measure_red_cell_areas;
use hemato::slide::cuts::WatershedCuts;
use hemato::slide::mosaic::{Mosaic, TiffCompression};
use hemato::slide::{
    run_slides, run_slides_handing_over, CountAnalysis, Handover, NoProgress, RedCellArea,
    SlideOptions,
};

mod slide_support;
use slide_support::smear_fields;

/// A 4 × 4 mosaic of the first `fields` smear fields (repeated in order), as a tiled TIFF.
fn mosaic(dir: &Path, fields: usize) -> PathBuf {
    let sources = smear_fields(fields);
    let background = estimate_background(&hemato::io::read_rgb_image(&sources[0]).unwrap());
    let colour = background.rgb.map(|c| c.round() as u8);
    let mosaic = Mosaic::new(sources, 4, 4, 16, colour).unwrap();
    assert_eq!((mosaic.width(), mosaic.height()), (2688, 2048));
    let path = dir.join("mosaic.tif");
    mosaic.write(&path, 256, TiffCompression::Deflate).unwrap();
    path
}

fn options(tile: u32, threads: usize) -> SlideOptions {
    SlideOptions {
        tile,
        overlap: 256,
        threads,
        batch: 2,
        ..SlideOptions::default()
    }
}

/// The red-cell area measured into `out` with a sample of `budget` pixels, and what the run
/// recorded of its tiles.
fn measure(
    slide: &Path,
    out: &Path,
    options: &SlideOptions,
    budget: u64,
) -> (f64, serde_json::Value) {
    let areas = measure_red_cell_areas(
        &[slide.to_path_buf()],
        out,
        options,
        budget,
        &NoProgress,
        &mut Handover::default(),
        None,
    )
    .unwrap();
    let run: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("scale/parts/mosaic/run.json")).unwrap(),
    )
    .unwrap();
    (areas["mosaic"].expect("red cells are found"), run)
}

#[test]
fn the_sampled_red_cell_area_is_the_whole_slides_within_3_percent() {
    let dir = tempfile::tempdir().unwrap();
    let slide = mosaic(dir.path(), 20);
    let (whole, run) = measure(
        &slide,
        &dir.path().join("whole"),
        &options(2048, 2),
        10_000_000,
    );
    // At or under the budget: the run's own tiles, every one.
    assert_eq!(run["tile"], 2048);
    assert!(run.get("sample").is_none());
    let mut sampled = Vec::new();
    for (tile, threads) in [(512, 2), (2048, 2), (2048, 1)] {
        let out = dir.path().join(format!("sample-{tile}-{threads}"));
        let (area, run) = measure(&slide, &out, &options(tile, threads), 1_400_000);
        assert_eq!(run["tile"], 1024, "the sample's own grid");
        assert_eq!(run["sample"], serde_json::json!([0, 4]));
        sampled.push((area, std::fs::read(out.join("scale/cells.csv")).unwrap()));
    }
    assert!(sampled.windows(2).all(|pair| pair[0] == pair[1]));
    // Resumed (the checkpoints of the finished run, its outputs removed): the same area.
    let out = dir.path().join("sample-2048-1");
    std::fs::remove_file(out.join("scale/cells.csv")).unwrap();
    let resume = SlideOptions {
        resume: true,
        ..options(2048, 1)
    };
    let (resumed, _) = measure(&slide, &out, &resume, 1_400_000);
    assert_eq!(resumed, sampled[0].0);
    assert_eq!(
        std::fs::read(out.join("scale/cells.csv")).unwrap(),
        sampled[0].1
    );
    let area = sampled[0].0;
    assert!(
        (area / whole - 1.0).abs() <= 0.03,
        "sampled {area}, whole {whole}"
    );
}

/// The count run's background colour and cell level (`parameters.json` of its checkpoint).
fn count_parameters(out: &Path) -> (serde_json::Value, serde_json::Value) {
    let parameters: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("parts/mosaic/parameters.json")).unwrap(),
    )
    .unwrap();
    (
        parameters["background"].clone(),
        parameters["level"].clone(),
    )
}

#[test]
fn the_count_run_after_a_sample_takes_the_statistics_of_every_pixel() {
    let dir = tempfile::tempdir().unwrap();
    let slide = mosaic(dir.path(), 6);
    let slides = [slide];
    // The red-cell run samples 2 of 6 tiles and hands its statistics and the watershed cuts
    // of the sampled components over.
    let sampled = dir.path().join("sampled");
    let mut handover = Handover::default();
    let cuts = Arc::new(WatershedCuts::default());
    let areas = measure_red_cell_areas(
        &slides,
        &sampled,
        &options(1024, 2),
        1_400_000,
        &NoProgress,
        &mut handover,
        Some(Arc::clone(&cuts)),
    )
    .unwrap();
    let area = areas["mosaic"].expect("red cells are found");
    let analysis = CountAnalysis::new(RedCellArea::Fixed(area), None);
    let recorded = cuts.len();
    assert!(recorded > 20, "{recorded} components recorded");
    let taking = CountAnalysis {
        cuts: Some(Arc::clone(&cuts)),
        ..analysis.clone()
    };
    run_slides_handing_over(
        &taking,
        &slides,
        &sampled,
        &options(2048, 2),
        &NoProgress,
        &mut handover,
    )
    .unwrap();
    assert!(cuts.len() < recorded, "some clusters take their cut");
    // The same count run alone, adding up every pixel itself with other tiles.
    let alone = dir.path().join("alone");
    run_slides(&analysis, &slides, &alone, &options(512, 1), &NoProgress).unwrap();
    assert_eq!(count_parameters(&sampled), count_parameters(&alone));
    assert_eq!(
        std::fs::read(sampled.join("cells.csv")).unwrap(),
        std::fs::read(alone.join("cells.csv")).unwrap()
    );
}
