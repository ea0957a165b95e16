//! Particles from a label image (Cellpose, StarDist, QuPath): one particle per label value.
//!
//! What each label becomes, chosen to be what an ImageJ user expects from measuring the label's
//! pixels as one selection:
//! - Label 0 is background. Every other value present is one particle; values need not be
//!   contiguous (gaps are simply absent) and rows come in ascending label order.
//! - The particle's pixels are exactly the pixels holding the label (holes, including other labels
//!   inside it, are not part of it). With `include_holes`, every pixel inside the label's traced
//!   outline counts, as Analyze Particles' "Include holes" would; other labels lying in the hole
//!   are still reported as particles of their own.
//! - Outline: the wand's 8-connected outer boundary of the label's pixels. A label made of several
//!   separate (8-connected) pieces gets one outline per piece: Perim. is the sum of the pieces'
//!   perimeters, the convex hull and Feret values span all pieces, and the bounds enclose them all.
//! - The size, circularity and edge filters apply as for masks.
//!
//! The cost is linear in the number of pixels plus the boundary length: one raster scan, one
//! trace and one flood fill per piece.

use std::collections::BTreeMap;

use super::particles::{
    component_runs, keeps, merge_touching_runs, outline_bounds, polygon_runs, FillTarget, Particle,
    ParticleOptions, Run,
};
use super::trace::{trace_outer_boundary, Vertex};
use crate::io::LabelImage;

/// Pixels of one label not yet visited.
struct LabelPixels<'a> {
    labels: &'a [u32],
    visited: &'a mut [bool],
    width: u32,
    label: u32,
}

impl FillTarget for LabelPixels<'_> {
    fn available(&self, x: u32, y: u32) -> bool {
        let i = y as usize * self.width as usize + x as usize;
        self.labels[i] == self.label && !self.visited[i]
    }

    fn take(&mut self, run: Run) {
        let row = run.y as usize * self.width as usize;
        self.visited[row + run.x_start as usize..row + run.x_end as usize].fill(true);
    }
}

/// The pieces found so far for one label.
#[derive(Default)]
struct Pieces {
    start: (u32, u32),
    outlines: Vec<Vec<Vertex>>,
    runs: Vec<Run>,
}

/// One particle per non-zero label, in ascending label order, filtered by `options`.
pub fn particles_from_labels(labels: &LabelImage, options: &ParticleOptions) -> Vec<Particle> {
    let (width, height) = labels.dimensions();
    let values = labels.as_raw();
    let mut visited = vec![false; values.len()];
    let mut by_label: BTreeMap<u32, Pieces> = BTreeMap::new();
    for y in 0..height {
        for x in 0..width {
            let i = y as usize * width as usize + x as usize;
            let label = values[i];
            if label == 0 || visited[i] {
                continue;
            }
            let inside = |px: i64, py: i64| {
                px >= 0
                    && py >= 0
                    && px < i64::from(width)
                    && py < i64::from(height)
                    && values[py as usize * width as usize + px as usize] == label
            };
            let outline = trace_outer_boundary(inside, i64::from(x), i64::from(y));
            let mut target = LabelPixels {
                labels: values,
                visited: &mut visited,
                width,
                label,
            };
            let runs = component_runs(&mut target, width, height, x, y);
            let pieces = by_label.entry(label).or_insert_with(|| Pieces {
                start: (x, y),
                ..Pieces::default()
            });
            pieces.outlines.push(outline);
            pieces.runs.extend(runs);
        }
    }
    by_label
        .into_iter()
        .map(|(label, pieces)| particle_of_label(label, pieces, options))
        .filter(|particle| keeps(particle, options, width, height))
        .collect()
}

fn particle_of_label(label: u32, pieces: Pieces, options: &ParticleOptions) -> Particle {
    let bounds = outline_bounds(&pieces.outlines);
    let runs = if options.include_holes {
        // Each piece filled on its own: a piece lying in another piece's hole stays filled.
        let mut runs: Vec<Run> = pieces
            .outlines
            .iter()
            .flat_map(|outline| polygon_runs(std::slice::from_ref(outline), &bounds))
            .collect();
        runs.sort_unstable();
        merge_touching_runs(runs)
    } else {
        let mut runs = pieces.runs;
        runs.sort_unstable();
        runs
    };
    let pixel_count: u64 = runs.iter().map(|run| u64::from(run.len())).sum();
    let is_rectangle = (bounds.width <= 1 || bounds.height <= 1)
        && pixel_count == u64::from(bounds.width) * u64::from(bounds.height);
    Particle {
        start: pieces.start,
        label: Some(label),
        outlines: pieces.outlines,
        bounds,
        runs,
        is_rectangle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(width: u32, values: &[u32]) -> LabelImage {
        LabelImage::from_raw(width, values.len() as u32 / width, values.to_vec()).unwrap()
    }

    #[test]
    fn one_particle_per_label_in_label_order() {
        let image = labels(4, &[0, 7, 7, 0, 3, 0, 0, 0, 3, 0, 9, 9]);
        let particles = particles_from_labels(&image, &ParticleOptions::default());
        let found: Vec<_> = particles
            .iter()
            .map(|p| (p.label, p.pixel_count()))
            .collect();
        assert_eq!(found, vec![(Some(3), 2), (Some(7), 2), (Some(9), 2)]);
    }

    #[test]
    fn touching_labels_stay_apart() {
        let image = labels(4, &[1, 1, 2, 2, 1, 1, 2, 2]);
        let particles = particles_from_labels(&image, &ParticleOptions::default());
        assert_eq!(particles.len(), 2);
        assert_eq!(particles[1].bounds.x, 2);
    }

    #[test]
    fn disconnected_label_has_one_outline_per_piece() {
        let image = labels(5, &[4, 0, 0, 0, 4]);
        let particles = particles_from_labels(&image, &ParticleOptions::default());
        assert_eq!(particles.len(), 1);
        assert_eq!(particles[0].outlines.len(), 2);
        assert_eq!(particles[0].pixel_count(), 2);
        assert_eq!(particles[0].bounds.width, 5);
        assert!(!particles[0].is_rectangle);
    }
}
