//! Every small violet piece (below the white-nucleus size) within the joining reach of a large
//! nucleus piece: the evidence for the rule that keeps platelets beside a white cell apart
//! (docs/counting.md step 4, docs/accuracy.md "The platelets beside white cells").
//!
//! ```sh
//! cargo run --release --example nucleus_pieces -- ../shared/data/smears-sample ../shared/data/aslan-sample
//! cargo run --release --example nucleus_pieces -- ../shared/data/pbc/eosinophil/EO_1*.jpg
//! ```
//!
//! Arguments are box datasets (BCCD-style or Aslan-style folders) or single images. One
//! tab-separated row per small piece: image, centroid, its area (red-cell areas A), the gap to
//! the nearest large piece (outline to outline, red-cell diameters d), the share of the
//! straight way between their closest outline corners that is background (outside the cell
//! mask), and the class of the annotated box its centroid lies in (platelet, wbc, rbc, or
//! none).

use std::error::Error;
use std::path::Path;

use hemato::count::evaluation::{csv_dataset, voc_dataset, AnnotatedImage, TruthClass};
use hemato::count::fields::{self, background_share, outline_distance, Settings};
use hemato::measure::{find_particles, ParticleOptions};

fn main() -> Result<(), Box<dyn Error>> {
    let settings = Settings::default();
    println!("image\tx\ty\tarea_A\tgap_d\tway_background\tbox");
    for argument in std::env::args().skip(1) {
        let path = Path::new(&argument);
        let images = if path.is_file() {
            vec![AnnotatedImage {
                path: path.to_path_buf(),
                boxes: Vec::new(),
            }]
        } else if path.join("annotations.csv").exists() {
            csv_dataset(path)?
        } else {
            voc_dataset(path)?
        };
        for annotated in images {
            print_pieces(&annotated, &settings)?;
        }
    }
    Ok(())
}

fn print_pieces(annotated: &AnnotatedImage, settings: &Settings) -> Result<(), Box<dyn Error>> {
    let image = hemato::io::read_rgb_image(&annotated.path)?;
    let field = fields::detect(&image, None)?;
    let (Some(area), Some(diameter)) = (field.red_cell_area, field.red_cell_diameter()) else {
        return Ok(());
    };
    let (_, maps, level) = fields::stains_and_level(&image, settings);
    let cells = fields::cell_mask(&maps, level);
    let nuclei = fields::nucleus_mask(&maps, &cells, settings);
    let pieces = find_particles(&nuclei, &ParticleOptions::default());
    let is_large = |size: f64| size >= settings.white_nucleus * area;
    let large: Vec<_> = pieces
        .iter()
        .filter(|piece| is_large(piece.pixel_count() as f64))
        .collect();
    let name = annotated
        .path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy();
    for piece in &pieces {
        let size = piece.pixel_count() as f64;
        // Below a quarter of the smallest platelet: noise, which the detector ignores.
        if is_large(size) || size < settings.platelet_min * area / 4.0 {
            continue;
        }
        let Some((gap, segment)) = large
            .iter()
            .map(|nucleus| outline_distance(piece, nucleus))
            .min_by(|a, b| a.0.total_cmp(&b.0))
        else {
            continue;
        };
        if gap > settings.nucleus_reach * diameter {
            continue;
        }
        let (mut sum_x, mut sum_y) = (0.0, 0.0);
        for run in &piece.runs {
            for x in run.x_start..run.x_end {
                sum_x += f64::from(x) + 0.5;
                sum_y += f64::from(run.y) + 0.5;
            }
        }
        let (x, y) = (sum_x / size, sum_y / size);
        let holds = |class: TruthClass| {
            annotated.boxes.iter().any(|truth| {
                truth.class == class
                    && (truth.xmin..=truth.xmax).contains(&x)
                    && (truth.ymin..=truth.ymax).contains(&y)
            })
        };
        let label = [
            (TruthClass::Platelet, "platelet"),
            (TruthClass::Wbc, "wbc"),
            (TruthClass::Rbc, "rbc"),
        ]
        .into_iter()
        .find(|&(class, _)| holds(class))
        .map_or("none", |(_, label)| label);
        println!(
            "{name}\t{x:.0}\t{y:.0}\t{:.3}\t{:.3}\t{:.2}\t{label}",
            size / area,
            gap / diameter,
            background_share(&cells, segment),
        );
    }
    Ok(())
}
