//! The watershed cuts the red-cell run hands to the count run.
//!
//! Both runs of `hemato slide` cut the same cell mask with ImageJ's watershed: the red-cell run
//! ([`crate::slide::count::PieceShapes`]) component by component, the count run
//! ([`crate::slide::count::CountAnalysis`]) cluster by cluster, and most clusters (a red cell
//! with no violet pixel near it) are one particle of that mask, the very component the red-cell
//! run cut. The red-cell run records each component's cut pixels here; the count run takes
//! them instead of running the watershed again when its cluster is that particle.
//!
//! **Why the cut is the same.** The watershed of a crop holding a single particle depends only
//! on the particle's pixels and on which of the crop's edges it touches: its distance map takes
//! every candidate from the background pixels next to the particle (a crop edge the particle
//! does not touch has background between, and pixels outside the crop are not background);
//! the map's minimum (0) and maximum, which set the maxima's sorting key and the level scale,
//! are the particle's own; and ties are broken in raster order, which no crop changes. A
//! [`ParticleKey`] holds exactly that: the particle's runs (as a 64-bit hash, with its first
//! pixel, pixel count and bounds in slide coordinates) and the touched edges. The tests check
//! the outputs of a count run with and without the cuts byte for byte.
//!
//! **Memory.** The cuts of the components of one slide (or of its sample,
//! [`crate::slide::run::Sampling`]) are a few bytes each (most red cells have no cut at all);
//! [`WatershedCuts::new`] caps the total, and what comes after the cap is not recorded (the
//! count run then cuts those clusters itself: the same result, at the old cost). The count run
//! removes each entry it takes.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use image::GrayImage;

use crate::morphology::{Particles, Regions};

/// Bytes counted for an entry besides its cut pixels (key, vector and map overhead).
const ENTRY_BYTES: usize = 128;

/// Default cap of [`WatershedCuts`]: 64 MiB, about half a million components.
pub const CUTS_BUDGET_BYTES: usize = 64 << 20;

/// What the watershed of a single-particle crop depends on (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParticleKey {
    /// First pixel in raster order, slide coordinates.
    first: (u32, u32),
    /// Bounding box in slide coordinates: x, y, width, height.
    bounds: (u32, u32, u32, u32),
    /// Pixel count.
    pixels: u64,
    /// The crop edges the particle touches: bits 0-3 left, top, right, bottom.
    touched_edges: u8,
    /// Hash of the runs (row, first column, end column) relative to the first pixel.
    runs: u64,
}

impl ParticleKey {
    /// The key of the particle of `mask` (non-zero = object, 8-connected), a crop whose
    /// top-left pixel is `origin` in the slide; `None` unless the mask holds exactly one.
    pub fn of_single_particle(mask: &GrayImage, origin: (u32, u32)) -> Option<ParticleKey> {
        let particles = Particles::of_mask(mask, Regions::Objects);
        if particles.sizes.len() != 1 {
            return None;
        }
        let width = mask.width() as usize;
        let rows: Vec<(u32, u32, u32)> = particles
            .runs
            .iter()
            .map(|run| {
                let (y, x) = (run.start / width, run.start % width);
                (y as u32, x as u32, (x + run.len()) as u32)
            })
            .collect();
        let (first_y, first_x, _) = rows[0];
        let (left, right) = rows
            .iter()
            .fold((u32::MAX, 0), |(left, right), &(_, start, end)| {
                (left.min(start), right.max(end))
            });
        let (top, bottom) = (first_y, rows[rows.len() - 1].0 + 1);
        let touched_edges = u8::from(left == 0)
            | u8::from(top == 0) << 1
            | u8::from(right == mask.width()) << 2
            | u8::from(bottom == mask.height()) << 3;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for &(y, start, end) in &rows {
            (
                y - first_y,
                start.wrapping_sub(first_x),
                end.wrapping_sub(first_x),
            )
                .hash(&mut hasher);
        }
        Some(ParticleKey {
            first: (origin.0 + first_x, origin.1 + first_y),
            bounds: (origin.0 + left, origin.1 + top, right - left, bottom - top),
            pixels: particles.sizes[0],
            touched_edges,
            runs: hasher.finish(),
        })
    }
}

/// The cut pixels (slide coordinates) of single-particle crops, by [`ParticleKey`], within a
/// byte budget. Shared by the threads of both runs.
#[derive(Debug)]
pub struct WatershedCuts {
    budget: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    cuts: HashMap<ParticleKey, Vec<(u32, u32)>>,
    bytes: usize,
}

impl WatershedCuts {
    /// An empty store that records at most about `budget` bytes.
    pub fn new(budget: usize) -> WatershedCuts {
        WatershedCuts {
            budget,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the map half-updated: every change is one call.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the cut pixels of the particle of `key`; false (nothing recorded) when the
    /// budget is spent.
    pub fn record(&self, key: ParticleKey, cut: Vec<(u32, u32)>) -> bool {
        let bytes = ENTRY_BYTES + cut.len() * std::mem::size_of::<(u32, u32)>();
        let mut state = self.state();
        if state.bytes + bytes > self.budget {
            return false;
        }
        state.bytes += bytes;
        if let Some(old) = state.cuts.insert(key, cut) {
            state.bytes -= ENTRY_BYTES + old.len() * std::mem::size_of::<(u32, u32)>();
        }
        true
    }

    /// Takes (removes) the cut pixels recorded for `key`.
    pub fn take(&self, key: &ParticleKey) -> Option<Vec<(u32, u32)>> {
        let mut state = self.state();
        let cut = state.cuts.remove(key)?;
        state.bytes -= ENTRY_BYTES + cut.len() * std::mem::size_of::<(u32, u32)>();
        Some(cut)
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.state().cuts.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for WatershedCuts {
    fn default() -> Self {
        WatershedCuts::new(CUTS_BUDGET_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(rows: &[&str]) -> GrayImage {
        GrayImage::from_fn(rows[0].len() as u32, rows.len() as u32, |x, y| {
            let object = rows[y as usize].as_bytes()[x as usize] == b'#';
            image::Luma([if object { 255 } else { 0 }])
        })
    }

    #[test]
    fn the_key_follows_the_particle_not_the_crop() {
        // The same particle in a crop with a wider margin, placed so that slide positions agree.
        let small = mask(&["....", ".##.", ".#..", "...."]);
        let large = mask(&["......", "......", "..##..", "..#...", "......"]);
        let a = ParticleKey::of_single_particle(&small, (10, 20)).unwrap();
        let b = ParticleKey::of_single_particle(&large, (9, 19)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.first, (11, 21));
        assert_eq!(a.bounds, (11, 21, 2, 2));
        assert_eq!(a.pixels, 3);
        assert_eq!(a.touched_edges, 0);
        // Another shape with the same first pixel, count and bounds.
        let other = mask(&["....", ".##.", "..#.", "...."]);
        assert_ne!(
            ParticleKey::of_single_particle(&other, (10, 20)),
            Some(a.clone())
        );
        // Touching the crop's left and top edges is part of the key.
        let at_edge = mask(&["##.", "#..", "..."]);
        let key = ParticleKey::of_single_particle(&at_edge, (11, 21)).unwrap();
        assert_eq!(key.touched_edges, 0b0011);
        assert_ne!(key, a);
    }

    #[test]
    fn only_single_particles_have_a_key() {
        assert_eq!(
            ParticleKey::of_single_particle(&mask(&["...", "..."]), (0, 0)),
            None
        );
        // Diagonal contact joins: one particle.
        assert!(ParticleKey::of_single_particle(&mask(&["#..", ".#."]), (0, 0)).is_some());
        assert_eq!(
            ParticleKey::of_single_particle(&mask(&["#.#", "..."]), (0, 0)),
            None
        );
    }

    #[test]
    fn records_within_the_budget_and_takes_once() {
        let key = |x| ParticleKey::of_single_particle(&mask(&[".#."]), (x, 0)).unwrap();
        let cuts = WatershedCuts::new(2 * ENTRY_BYTES + 8);
        assert!(cuts.record(key(0), vec![(5, 5)]));
        assert!(cuts.record(key(1), Vec::new()));
        assert!(!cuts.record(key(2), Vec::new()), "over the budget");
        assert_eq!(cuts.len(), 2);
        assert_eq!(cuts.take(&key(0)), Some(vec![(5, 5)]));
        assert_eq!(cuts.take(&key(0)), None);
        assert!(cuts.record(key(2), Vec::new()), "room again after a take");
    }
}
