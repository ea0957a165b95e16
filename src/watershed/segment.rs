//! Watershed flooding of the 8-bit level image (`ij/plugin/filter/MaximumFinder.java`:
//! `watershedSegment`, `processLevel`, `makeFateTable`).
//!
//! From level 254 down to 1, the 255-regions (accepted maxima) grow into the pixels of the
//! level, one pixel per pass, with passes in the direction order 7, 3, 1, 5, 0, 4, 2, 6
//! (diagonals first). In a pass, every pixel of the level is tested against the 255-state of
//! its 8 neighbours *before* the pass: it is set when its neighbour opposite the pass direction
//! is set and setting it would not join two regions (fewer than 4 transitions around it).
//! Passes repeat until a full round of 8 directions changes nothing. Unreached pixels of the
//! level move to the next lower level if they touch background or the image border; the rest
//! stay unset and become the 1-pixel separating lines.
//!
//! Because every decision in a pass uses the state before the pass, the order of pixels within
//! a pass never matters; [`flood_levels`] exploits that: it files each pixel only for the next
//! pass that can set it, and updates neighbourhoods incrementally as pixels are set. That gives the same result as
//! testing every pixel of the level in every pass (checked against a literal transcription of
//! ImageJ's loop in the tests).

use std::ops::Range;
use std::sync::LazyLock;

use super::frame::{step, Frame};
use crate::morphology::Particles;
#[cfg(test)]
use crate::morphology::Regions;

/// Directions of the passes within a level: diagonals first (ImageJ's `directionSequence`).
const DIRECTION_SEQUENCE: [usize; 8] = [7, 3, 1, 5, 0, 4, 2, 6];

/// ImageJ's fate table: for each 8-neighbourhood (bit d set = neighbour in direction d is 255),
/// bit p is set when a pass in direction p may set the centre pixel.
fn fate_table() -> [u8; 256] {
    let mut table = [0u8; 256];
    for (neighbourhood, fate) in table.iter_mut().enumerate() {
        let mut set = [false; 8];
        for (direction, is_set) in set.iter_mut().enumerate() {
            *is_set = neighbourhood & (1 << direction) != 0;
        }
        // Grow in the direction away from the set neighbour.
        for direction in 0..8 {
            if set[(direction + 4) % 8] {
                *fate |= 1 << direction;
            }
        }
        // A set side neighbour counts as if its two adjacent corners were set too.
        for side in (0..8).step_by(2) {
            if set[side] {
                set[(side + 1) % 8] = true;
                set[(side + 7) % 8] = true;
            }
        }
        let transitions = (0..8).filter(|&i| set[i] != set[(i + 1) % 8]).count();
        if transitions >= 4 {
            // Two or more separate regions around: never join them.
            *fate = 0;
        }
    }
    table
}

/// Bits of the neighbours of padded `index` that are 255 (bit d = direction d).
#[inline]
fn neighbourhood(levels: &[u8], index: usize, offsets: &[isize; 8]) -> usize {
    let mut bits = 0;
    for (direction, &offset) in offsets.iter().enumerate() {
        if levels[step(index, offset)] == 255 {
            bits |= 1 << direction;
        }
    }
    bits
}

/// Groups the pixels of levels 1-254 by level, in raster order within a level.
#[cfg(test)]
fn pixels_by_level(frame: &Frame, levels: &[u8]) -> Vec<Vec<u32>> {
    let mut counts = [0usize; 256];
    for y in 0..frame.height {
        for &level in &levels[frame.row(y)] {
            counts[level as usize] += 1;
        }
    }
    counts[0] = 0;
    counts[255] = 0;
    let mut lists: Vec<Vec<u32>> = counts.iter().map(|&n| Vec::with_capacity(n)).collect();
    for y in 0..frame.height {
        let row = frame.row(y);
        let start = row.start;
        for (x, &level) in levels[row].iter().enumerate() {
            if level != 0 && level != 255 {
                lists[level as usize].push((start + x) as u32);
            }
        }
    }
    lists
}

/// For each position `slot` in the direction sequence and each fate, how many passes from
/// `slot` on until a pass whose direction the fate allows (8 = never).
fn passes_until_table() -> [[u8; 256]; 8] {
    let mut table = [[8u8; 256]; 8];
    for (slot, row) in table.iter_mut().enumerate() {
        for (fate, passes) in row.iter_mut().enumerate() {
            if let Some(k) = (0..8).find(|k| fate & (1 << DIRECTION_SEQUENCE[(slot + k) % 8]) != 0)
            {
                *passes = k as u8;
            }
        }
    }
    table
}

/// ImageJ's `watershedSegment` on the padded level image: afterwards, the particles are 255
/// and the separating lines and background are below 255 (the whole-image reference of the
/// tests; the watershed floods particle by particle with [`Flood::flood_runs`]).
#[cfg(test)]
pub(crate) fn flood_levels(frame: &Frame, levels: &mut [u8]) {
    let mut flood = Flood::new(frame.len());
    flood.lists = pixels_by_level(frame, levels);
    flood.flood_lists(frame, levels);
}

/// Work space of the level flooding, made once and reused for every particle of a share: the
/// pixels of each level and the per-level state (sized for the largest padded image seen).
#[derive(Default)]
pub(crate) struct Flood {
    /// `lists[level]`: padded indices of the pixels of `level` still to flood, raster order.
    lists: Vec<Vec<u32>>,
    level: LevelFlood,
}

impl Flood {
    /// Work space for padded images of `len` pixels.
    #[cfg(test)]
    fn new(len: usize) -> Self {
        let mut flood = Self::default();
        flood.fit(len);
        flood
    }

    /// Makes the work space fit padded images of `len` pixels.
    fn fit(&mut self, len: usize) {
        self.lists.resize(256, Vec::new());
        if self.level.neighbours.len() < len {
            self.level.neighbours.resize(len, 0);
        }
    }

    /// [`flood_levels`] for the pixels of `runs` only: whole particles (padded index ranges, in
    /// raster order). Pixels outside the runs are neither read nor written, except the
    /// background around the particles. Flooding one particle at a time keeps its pixels in
    /// cache from level to level (the result is the same: floods never leave a particle).
    pub(crate) fn flood_runs(&mut self, frame: &Frame, levels: &mut [u8], runs: &[Range<usize>]) {
        self.fit(levels.len());
        for run in runs {
            for index in run.clone() {
                let level = levels[index];
                if level != 255 {
                    self.lists[level as usize].push(index as u32);
                }
            }
        }
        self.flood_lists(frame, levels);
    }

    /// Floods the pixels of `self.lists` from the highest level down; leaves the lists empty
    /// (their capacity is kept for the next particle).
    fn flood_lists(&mut self, frame: &Frame, levels: &mut [u8]) {
        let offsets = frame.neighbour_offsets();
        let lists = &mut self.lists;
        let highest = (1..255).rev().find(|&l| !lists[l].is_empty()).unwrap_or(0);
        for level in (1..=highest).rev() {
            if lists[level].is_empty() {
                continue;
            }
            let pixels = std::mem::take(&mut lists[level]);
            let level_u8 = level as u8;
            self.level.run(levels, level_u8, &pixels, &offsets);
            if level > 1 {
                // ImageJ moves unreached pixels on only when they touch background (or the
                // image border, i.e. the zero frame); the others become separating lines.
                let mut next = level - 1;
                while next > 1 && lists[next].is_empty() {
                    next -= 1;
                }
                for &index in &pixels {
                    if levels[index as usize] != level_u8 {
                        continue;
                    }
                    let touches_background = offsets
                        .iter()
                        .any(|&offset| levels[step(index as usize, offset)] == 0);
                    if touches_background {
                        lists[next].push(index);
                        // Only 0, 255 and "pending at this level" matter from here on.
                        levels[index as usize] = next as u8;
                    }
                }
            }
            // Give the buffer back to its level (emptied) so its capacity is reused.
            let mut pixels = pixels;
            pixels.clear();
            lists[level] = pixels;
        }
        // Level 0 never holds pixels; 1 is emptied above.
        lists[0].clear();
    }
}

/// A share of the particles: their runs (padded index ranges), particle after particle, each
/// particle's runs in raster order.
pub(crate) struct Share {
    runs: Vec<Range<usize>>,
    /// End (in `runs`) of each particle's runs.
    ends: Vec<usize>,
}

impl Share {
    /// The runs of each particle of the share, one slice per particle.
    pub(crate) fn particles(&self) -> impl Iterator<Item = &[Range<usize>]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.runs[start..end])
    }
}

/// Shares particles out among at most `groups` groups of similar pixel counts (largest
/// particle first, to the lightest group); returns each non-empty group.
pub(crate) fn share_out(particles: &Particles, groups: usize) -> Vec<Share> {
    let count = particles.sizes.len();
    let groups = groups.clamp(1, count.max(1));
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|&particle| (std::cmp::Reverse(particles.sizes[particle]), particle));
    let mut load = vec![0u64; groups];
    let mut group_of_particle = vec![0usize; count];
    for &particle in &order {
        let lightest = (0..groups).min_by_key(|&g| (load[g], g)).unwrap_or(0);
        load[lightest] += particles.sizes[particle];
        group_of_particle[particle] = lightest;
    }
    // The runs of each particle, in raster order, then particle after particle by group.
    let mut runs_of_particle: Vec<Vec<Range<usize>>> = vec![Vec::new(); count];
    for (run, &particle) in particles.runs.iter().zip(&particles.particle_of_run) {
        runs_of_particle[particle as usize].push(run.clone());
    }
    let mut shares: Vec<Share> = (0..groups)
        .map(|_| Share {
            runs: Vec::new(),
            ends: Vec::new(),
        })
        .collect();
    for (particle, runs) in runs_of_particle.into_iter().enumerate() {
        let share = &mut shares[group_of_particle[particle]];
        share.runs.extend(runs);
        share.ends.push(share.runs.len());
    }
    shares.retain(|share| !share.runs.is_empty());
    shares
}

/// Work space for flooding one level.
///
/// A pixel of the level is *pending* while its value equals the level. `neighbours` holds the
/// bits of a pending pixel's 255-neighbours; its fate is `fate_table[neighbours]`. Each pending
/// pixel with a fate waits in `slots[s]`, where s is the position in the direction sequence of
/// the first coming pass its fate allows. When its fate changes, it is filed again if that
/// first pass changes; the entry left behind fails the check of its pass.
struct LevelFlood {
    fate_table: [u8; 256],
    passes_until: [[u8; 256]; 8],
    neighbours: Vec<u8>,
    slots: [Vec<u32>; 8],
    drained: Vec<u32>,
    changed: Vec<u32>,
}

/// The fate and waiting tables, made once: they depend on nothing but the direction order.
static TABLES: LazyLock<([u8; 256], [[u8; 256]; 8])> =
    LazyLock::new(|| (fate_table(), passes_until_table()));

impl Default for LevelFlood {
    fn default() -> Self {
        Self {
            fate_table: TABLES.0,
            passes_until: TABLES.1,
            neighbours: Vec::new(),
            slots: Default::default(),
            drained: Vec::new(),
            changed: Vec::new(),
        }
    }
}

impl LevelFlood {
    /// Runs ImageJ's passes over the pixels of one level (direction sequence from its start)
    /// until no pending pixel can be set.
    fn run(&mut self, levels: &mut [u8], level: u8, pixels: &[u32], offsets: &[isize; 8]) {
        for &index in pixels {
            let bits = neighbourhood(levels, index as usize, offsets) as u8;
            self.neighbours[index as usize] = bits;
            let wait = self.passes_until[0][self.fate_table[bits as usize] as usize] as usize;
            if wait < 8 {
                self.slots[wait].push(index);
            }
        }
        let mut pass = 0;
        while self.slots.iter().any(|slot| !slot.is_empty()) {
            let slot = pass % 8;
            let bit = 1u8 << DIRECTION_SEQUENCE[slot];
            std::mem::swap(&mut self.drained, &mut self.slots[slot]);
            self.changed.clear();
            for &index in &self.drained {
                let i = index as usize;
                // Decisions use the neighbourhoods from before the pass (updated below).
                if levels[i] == level && self.fate_table[self.neighbours[i] as usize] & bit != 0 {
                    levels[i] = 255;
                    self.changed.push(index);
                }
            }
            self.drained.clear();
            pass += 1;
            let slot = pass % 8;
            // Newly set pixels change the neighbourhood of their pending neighbours.
            for position in 0..self.changed.len() {
                let index = self.changed[position] as usize;
                for (direction, &offset) in offsets.iter().enumerate() {
                    let neighbour = step(index, offset);
                    if levels[neighbour] != level {
                        continue;
                    }
                    let old_bits = self.neighbours[neighbour];
                    let new_bits = old_bits | 1 << ((direction + 4) % 8);
                    self.neighbours[neighbour] = new_bits;
                    let until = &self.passes_until[slot];
                    let old_wait = until[self.fate_table[old_bits as usize] as usize];
                    let new_wait = until[self.fate_table[new_bits as usize] as usize];
                    if new_wait != old_wait && new_wait < 8 {
                        self.slots[(slot + new_wait as usize) % 8].push(neighbour as u32);
                    }
                }
            }
        }
    }
}

/// ImageJ's `watershedSegment` transcribed step by step (every pixel of the level tested in
/// every pass): the reference that [`flood_levels`] must equal.
#[cfg(test)]
pub(crate) fn flood_levels_literally(frame: &Frame, levels: &mut [u8]) {
    let table = fate_table();
    let offsets = frame.neighbour_offsets();
    let mut lists = pixels_by_level(frame, levels);
    let highest = (1..255).rev().find(|&l| !lists[l].is_empty()).unwrap_or(0);
    let mut changed: Vec<u32> = Vec::new();
    for level in (1..=highest).rev() {
        let mut remaining = std::mem::take(&mut lists[level]);
        let mut idle = 0;
        let mut direction_index = 0;
        if !remaining.is_empty() {
            loop {
                let bit = 1u8 << DIRECTION_SEQUENCE[direction_index % 8];
                changed.clear();
                remaining.retain(|&index| {
                    if table[neighbourhood(levels, index as usize, &offsets)] & bit != 0 {
                        changed.push(index);
                        false
                    } else {
                        true
                    }
                });
                for &index in &changed {
                    levels[index as usize] = 255;
                }
                if !changed.is_empty() {
                    idle = 0;
                }
                direction_index += 1;
                let go_on = !remaining.is_empty() && idle < 8;
                idle += 1;
                if !go_on {
                    break;
                }
            }
        }
        if !remaining.is_empty() && level > 1 {
            let mut next = level - 1;
            while next > 1 && lists[next].is_empty() {
                next -= 1;
            }
            for &index in &remaining {
                if offsets
                    .iter()
                    .any(|&offset| levels[step(index as usize, offset)] == 0)
                {
                    lists[next].push(index);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn particles_are_8_connected_runs() {
        // Rows "##..#", "..#..", "#...#": (2,1) touches (1,0) diagonally; every other pixel
        // is 2 columns from its nearest one. Hand count: {(0,0),(1,0),(2,1)}, {(4,0)}, {(0,2)},
        // {(4,2)}.
        let frame = Frame::new(5, 3);
        let pixels: Vec<u8> = "##..#..#..#...#"
            .bytes()
            .map(|c| if c == b'#' { 3 } else { 0 })
            .collect();
        let levels = frame.pad(&pixels, 0);
        let rows = (0..frame.height).map(|y| frame.row(y));
        let particles = Particles::find(&levels, rows, frame.stride, Regions::Objects);
        assert_eq!(particles.sizes, vec![3, 1, 1, 1]);
        assert_eq!(particles.particle_of_run, vec![0, 1, 0, 2, 3]);
        // Shared out in two groups: the 3-pixel particle alone, the three others together.
        let groups = share_out(&particles, 2);
        let sizes: Vec<Vec<usize>> = groups
            .iter()
            .map(|share| {
                share
                    .particles()
                    .map(|runs| runs.iter().map(|run| run.len()).sum())
                    .collect()
            })
            .collect();
        assert_eq!(sizes, vec![vec![3], vec![1, 1, 1]]);
    }

    #[test]
    fn fate_table_matches_hand_cases() {
        let table = fate_table();
        // Only the south neighbour (bit 4) set: grow north (pass 0) only.
        assert_eq!(table[1 << 4], 1 << 0);
        // Only the west neighbour (bit 6) set: grow east (pass 2).
        assert_eq!(table[1 << 6], 1 << 2);
        // North and south set, east and west free: two regions, never join.
        assert_eq!(table[(1 << 0) | (1 << 4)], 0);
        // North-east and south-west corners: two regions.
        assert_eq!(table[(1 << 1) | (1 << 5)], 0);
        // North and north-east: one region; grow south and south-west.
        assert_eq!(table[(1 << 0) | (1 << 1)], (1 << 4) | (1 << 5));
        // Nothing set: no growth.
        assert_eq!(table[0], 0);
    }
}
