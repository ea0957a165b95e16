//! Every small violet piece (below the white-nucleus size) within the joining reach of a large
//! nucleus piece: the evidence for the rule that keeps platelets beside a white cell apart
//! (docs/counting.md, step 4).
//!
//! ```sh
//! cargo run --release --example nucleus_pieces -- ../shared/data/smears-sample ../shared/data/aslan-sample
//! ```
//!
//! One tab-separated row per small piece: image, centroid, its area (red-cell areas A), the gap
//! to the nearest large piece (outline to outline, red-cell diameters d), the share of the
//! ring within 0.1 d around it that is background (outside the cell mask), and the annotated
//! box its centroid lies in (platelet, wbc, rbc, or none).

use std::error::Error;
use std::path::Path;

use hemato::count::evaluation::{csv_dataset, voc_dataset, TruthClass};
use hemato::count::fields::{self, Settings};
use hemato::count::stain_maps::{estimate_background, StainMaps};
use hemato::measure::{find_particles, ParticleOptions};
use hemato::morphology::OBJECT;

fn main() -> Result<(), Box<dyn Error>> {
    let settings = Settings::default();
    println!("image\tx\ty\tarea_A\tgap_d\tring_background\tshared_piece\tgap_background\tbox");
    for directory in std::env::args().skip(1) {
        let directory = Path::new(&directory);
        let images = if directory.is_file() {
            vec![hemato::count::evaluation::AnnotatedImage {
                path: directory.to_path_buf(),
                boxes: Vec::new(),
            }]
        } else if directory.join("annotations.csv").exists() {
            csv_dataset(directory)?
        } else {
            voc_dataset(directory)?
        };
        for annotated in images {
            let image = hemato::io::read_rgb_image(&annotated.path)?;
            let field = fields::detect(&image, None)?;
            let (Some(area), Some(diameter)) = (field.red_cell_area, field.red_cell_diameter())
            else {
                continue;
            };
            let maps = StainMaps::new(&image, &estimate_background(&image));
            let level = fields::cell_level(&fields::density_histogram(&maps, &settings), &settings);
            let cells = fields::cell_mask(&maps, level);
            let nuclei = fields::nucleus_mask(&maps, &cells, &settings);
            let pieces = find_particles(&nuclei, &ParticleOptions::default());
            let sheds = hemato::segment::watershed_particles(&cells)?;
            let mut label = vec![0usize; (cells.width() * cells.height()) as usize];
            for (index, shed) in sheds.iter().enumerate() {
                for run in &shed.runs {
                    for x in run.x_start..run.x_end {
                        label[(run.y * cells.width() + x) as usize] = index + 1;
                    }
                }
            }
            let labels_of = |p: &hemato::measure::Particle| {
                let mut set = std::collections::BTreeMap::new();
                for run in &p.runs {
                    for x in run.x_start..run.x_end {
                        *set.entry(label[(run.y * cells.width() + x) as usize])
                            .or_insert(0u32) += 1;
                    }
                }
                set
            };
            let large: Vec<_> = pieces
                .iter()
                .filter(|p| p.pixel_count() as f64 >= settings.white_nucleus * area)
                .collect();
            let ring = (0.1 * diameter).ceil() as i64;
            for piece in &pieces {
                let size = piece.pixel_count() as f64;
                if size >= settings.white_nucleus * area || size < 0.0025 * area {
                    continue;
                }
                let gaps: Vec<(f64, usize, (i32, i32), (i32, i32))> = large
                    .iter()
                    .enumerate()
                    .map(|(li, l)| {
                        let mut best = (i64::MAX, (0, 0), (0, 0));
                        for (ax, ay) in piece.outline_vertices() {
                            for (bx, by) in l.outline_vertices() {
                                let (dx, dy) = (i64::from(ax - bx), i64::from(ay - by));
                                if dx * dx + dy * dy < best.0 {
                                    best = (dx * dx + dy * dy, (ax, ay), (bx, by));
                                }
                            }
                        }
                        ((best.0 as f64).sqrt(), li, best.1, best.2)
                    })
                    .collect();
                let Some(&(gap, nearest, from, to)) =
                    gaps.iter().min_by(|a, b| a.0.total_cmp(&b.0))
                else {
                    continue;
                };
                // The segment between the closest outline corners: share outside the cells.
                let steps = (gap.ceil() as i32).max(1) * 2;
                let mut outside = 0;
                for step in 0..=steps {
                    let t = f64::from(step) / f64::from(steps);
                    let x = f64::from(from.0) + t * f64::from(to.0 - from.0);
                    let y = f64::from(from.1) + t * f64::from(to.1 - from.1);
                    let (px, py) = (
                        (x - 0.5).round().max(0.0) as u32,
                        (y - 0.5).round().max(0.0) as u32,
                    );
                    if px < cells.width()
                        && py < cells.height()
                        && cells.get_pixel(px, py).0[0] != OBJECT
                    {
                        outside += 1;
                    }
                }
                let gap_background = f64::from(outside) / f64::from(steps + 1);
                let own_labels = labels_of(piece);
                let large_labels = labels_of(large[nearest]);
                let shared: u32 = own_labels
                    .iter()
                    .filter(|(l, _)| **l != 0 && large_labels.contains_key(l))
                    .map(|(_, n)| *n)
                    .sum();
                let shared = f64::from(shared) / size;
                if gap > settings.nucleus_reach * diameter {
                    continue;
                }
                // Ring: pixels within `ring` of the piece (square), not in the piece.
                let mut own = std::collections::HashSet::new();
                for run in &piece.runs {
                    for x in run.x_start..run.x_end {
                        own.insert((x as i64, run.y as i64));
                    }
                }
                let (mut total, mut background) = (0u32, 0u32);
                let b = &piece.bounds;
                for y in (b.y as i64 - ring)..(b.y as i64 + b.height as i64 + ring) {
                    for x in (b.x as i64 - ring)..(b.x as i64 + b.width as i64 + ring) {
                        if x < 0 || y < 0 || x >= cells.width() as i64 || y >= cells.height() as i64
                        {
                            continue;
                        }
                        if own.contains(&(x, y)) {
                            continue;
                        }
                        let near = own
                            .iter()
                            .any(|&(px, py)| (px - x).pow(2) + (py - y).pow(2) <= ring * ring);
                        if !near {
                            continue;
                        }
                        total += 1;
                        if cells.get_pixel(x as u32, y as u32).0[0] != OBJECT {
                            background += 1;
                        }
                    }
                }
                let (mut sx, mut sy) = (0.0, 0.0);
                for &(x, y) in &own {
                    sx += x as f64 + 0.5;
                    sy += y as f64 + 0.5;
                }
                let (cx, cy) = (sx / size, sy / size);
                let inside = |class: TruthClass| {
                    annotated.boxes.iter().any(|t| {
                        t.class == class
                            && cx >= t.xmin
                            && cx <= t.xmax
                            && cy >= t.ymin
                            && cy <= t.ymax
                    })
                };
                let label = if inside(TruthClass::Platelet) {
                    "platelet"
                } else if inside(TruthClass::Wbc) {
                    "wbc"
                } else if inside(TruthClass::Rbc) {
                    "rbc"
                } else {
                    "none"
                };
                println!(
                    "{}\t{cx:.0}\t{cy:.0}\t{:.3}\t{:.3}\t{:.2}\t{shared:.2}\t{gap_background:.2}\t{label}",
                    annotated.path.file_name().unwrap_or_default().to_string_lossy(),
                    size / area,
                    gap / diameter,
                    f64::from(background) / f64::from(total.max(1)),
                );
            }
        }
    }
    Ok(())
}
