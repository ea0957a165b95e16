//! Every red-cell detection of `hemato count` on box-annotated fields, with its shape and the
//! number of annotated red-cell boxes whose centre it holds: the evidence for the red-cell
//! counting rules (docs/accuracy.md, "Red-cell count error on Aslan").
//!
//! ```sh
//! cargo run --release --example red_pieces -- ../shared/data/aslan-sample > pieces.tsv
//! ```
//!
//! One tab-separated row per red-cell detection: image, the red-cell diameter d (pixels),
//! centroid, area (red-cell areas A), whether it touches the image border, its contact with
//! the border (d), Feret diameter and minimum Feret (d), solidity, the share of its pixels
//! whose density is above 1.5 times the field's median cell density (overlapping cells add
//! their densities), the cells counted, the boxes whose centre lies in it, and the number of
//! filled holes (pale centres of at least 0.02 A) it holds.

use std::error::Error;
use std::path::Path;

use hemato::count::evaluation::{csv_dataset, voc_dataset, TruthClass};
use hemato::count::fields::{self, Kind};
use hemato::measure::{measure_shape, Calibration};

fn main() -> Result<(), Box<dyn Error>> {
    println!("image\td\tx\ty\tarea_A\tborder\tcontact_d\tferet_d\tmin_feret_d\tsolidity\tdense\tcells\tboxes\tholes");
    for directory in std::env::args().skip(1) {
        let directory = Path::new(&directory);
        let images = if directory.join("annotations.csv").exists() {
            csv_dataset(directory)?
        } else {
            voc_dataset(directory)?
        };
        for annotated in images {
            let image = hemato::io::read_rgb_image(&annotated.path)?;
            let (width, height) = image.dimensions();
            let field = fields::detect(&image, None)?;
            let (Some(area), Some(diameter)) = (field.red_cell_area, field.red_cell_diameter())
            else {
                continue;
            };
            let settings = fields::Settings::default();
            let (_, maps, level) = fields::stains_and_level(&image, &settings);
            let unfilled = fields::cell_threshold(&maps, level);
            let filled = fields::cell_mask(&maps, level);
            let mut holes = image::GrayImage::new(width, height);
            for (index, (a, b)) in unfilled.as_raw().iter().zip(filled.as_raw()).enumerate() {
                if a != b {
                    holes.as_mut()[index] = 255;
                }
            }
            let hole_pieces = hemato::measure::find_particles(
                &holes,
                &hemato::measure::ParticleOptions::default(),
            );
            let mut hole_label = vec![0usize; (width * height) as usize];
            for (i, hole) in hole_pieces.iter().enumerate() {
                if (hole.pixel_count() as f64) < 0.02 * area {
                    continue;
                }
                for run in &hole.runs {
                    for x in run.x_start..run.x_end {
                        hole_label[(run.y * width + x) as usize] = i + 1;
                    }
                }
            }
            let name = annotated
                .path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy();
            for detection in &field.detections {
                if detection.kind != Kind::RedCell {
                    continue;
                }
                let particle = &detection.particle;
                let size = particle.pixel_count() as f64;
                let mut contact = 0u32;
                let mut dense = 0u32;
                let mut inside = std::collections::HashSet::new();
                let mut hole_set = std::collections::BTreeSet::new();
                for run in &particle.runs {
                    if run.y == 0 || run.y == height - 1 {
                        contact += run.len();
                    }
                    if run.x_start == 0 {
                        contact += 1;
                    }
                    if run.x_end == width {
                        contact += 1;
                    }
                    for x in run.x_start..run.x_end {
                        let label = hole_label[(run.y * width + x) as usize];
                        if label > 0 {
                            hole_set.insert(label);
                        }
                        inside.insert((x, run.y));
                        if maps.density[(run.y * width + x) as usize] > 1.5 * field.cell_density {
                            dense += 1;
                        }
                    }
                }
                let boxes = annotated
                    .boxes
                    .iter()
                    .filter(|t| t.class == TruthClass::Rbc)
                    .filter(|t| {
                        let (cx, cy) = ((t.xmin + t.xmax) / 2.0, (t.ymin + t.ymax) / 2.0);
                        inside.contains(&(cx.floor() as u32, cy.floor() as u32))
                    })
                    .count();
                let shape = measure_shape(particle, &Calibration::default());
                let border = particle.bounds.x == 0
                    || particle.bounds.y == 0
                    || particle.bounds.x + particle.bounds.width == width
                    || particle.bounds.y + particle.bounds.height == height;
                println!(
                    "{name}\t{diameter:.1}\t{:.0}\t{:.0}\t{:.3}\t{}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{}\t{boxes}\t{}",
                    shape.x,
                    shape.y,
                    size / area,
                    u8::from(border),
                    f64::from(contact) / diameter,
                    shape.feret / diameter,
                    shape.min_feret / diameter,
                    shape.solidity,
                    f64::from(dense) / size,
                    detection.cells,
                    hole_set.len(),
                );
            }
        }
    }
    Ok(())
}
