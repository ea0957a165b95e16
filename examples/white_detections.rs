//! Every nucleated detection of `hemato count` with its sizes and the built-in model's raw call
//! (before the class-choice gate): the evidence for the gate's rules (docs/counting.md, step 7).
//!
//! ```sh
//! cargo run --release --example white_detections -- ../shared/data/pbc/platelet/*.jpg > platelets.tsv
//! ```
//!
//! One tab-separated row per nucleated detection: image, image width and height, the red-cell
//! diameter `d` in pixels, centroid,
//! the nucleus and the whole region in red-cell areas `A` (the detector's pixels), the features'
//! `nucleus_area` and `cell_area` (red-cell diameters²) and `nucleus_circularity`, the model's
//! most probable class and its probability, and the class `hemato count` reports.

use std::error::Error;

use hemato::count::{count_image, CellClass, CountOptions, Kind, WhiteCellClassifier};
use ndarray::Array2;

fn main() -> Result<(), Box<dyn Error>> {
    let classifier = WhiteCellClassifier::builtin();
    let WhiteCellClassifier::Model {
        model,
        classes,
        columns,
        ..
    } = &classifier
    else {
        return Err("the built-in classifier has a model".into());
    };
    println!(
        "image\twidth\theight\td\tx\ty\tnucleus_A\tregion_A\tnucleus_area\tcell_area\tnucleus_circularity\traw_class\traw_p\tclass"
    );
    for path in std::env::args().skip(1) {
        let image = hemato::io::read_rgb_image(path.as_ref())?;
        let count = count_image(&image, &CountOptions::default(), &classifier)?;
        let Some(area) = count.field.red_cell_area else {
            continue;
        };
        for (index, detection) in count.field.detections.iter().enumerate() {
            if detection.kind != Kind::WhiteCell {
                continue;
            }
            let Some(cell) = count.cells.iter().find(|cell| cell.detection == index) else {
                continue;
            };
            let feature = |name: &str| {
                cell.features
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(f64::NAN, |(_, v)| *v)
            };
            let nucleus_pixels: u32 = detection.nucleus.iter().map(|run| run.len()).sum();
            let region_pixels = detection.particle.pixel_count() as f64;
            let (raw_class, raw_p) = if cell.features.len() > 10 {
                let names = hemato::features::feature_names();
                let values: Vec<f64> = columns
                    .iter()
                    .map(|&column| feature(&names[column]))
                    .collect();
                let row = Array2::from_shape_vec((1, values.len()), values)?;
                let probabilities = model.predict_proba(row.view())?;
                let (best, p) = probabilities
                    .row(0)
                    .iter()
                    .copied()
                    .enumerate()
                    .fold((0, f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
                (classes[best].name(), p)
            } else {
                ("-", f64::NAN)
            };
            println!(
                "{}\t{}\t{}\t{:.1}\t{:.1}\t{:.1}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{}\t{:.3}\t{}",
                path,
                image.width(),
                image.height(),
                2.0 * (area / std::f64::consts::PI).sqrt(),
                cell.x,
                cell.y,
                f64::from(nucleus_pixels) / area,
                region_pixels / area,
                feature("nucleus_area"),
                feature("cell_area"),
                feature("nucleus_circularity"),
                raw_class,
                raw_p,
                cell.class.map_or("wbc", CellClass::name),
            );
        }
    }
    Ok(())
}
