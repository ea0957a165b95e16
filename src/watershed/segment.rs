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
//! a pass never matters; [`flood_levels`] exploits that by visiting only pixels whose
//! neighbourhood can let them be set (those next to a 255-region), which gives the same result
//! as testing every pixel of the level in every pass.

use super::frame::{step, Frame};

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

/// ImageJ's `watershedSegment` on the padded level image: afterwards, the particles are 255
/// and the separating lines and background keep their levels below 255.
pub(crate) fn flood_levels(frame: &Frame, levels: &mut [u8]) {
    let table = fate_table();
    let offsets = frame.neighbour_offsets();
    let mut lists = pixels_by_level(frame, levels);
    let highest = (1..255).rev().find(|&l| !lists[l].is_empty()).unwrap_or(0);
    let mut level_flood = LevelFlood::new(frame.len());
    for level in (1..=highest).rev() {
        let pixels = std::mem::take(&mut lists[level]);
        if pixels.is_empty() {
            continue;
        }
        let remaining = level_flood.run(levels, &pixels, &table, &offsets);
        if remaining.is_empty() || level == 1 {
            continue;
        }
        // ImageJ moves unreached pixels on only when they touch background (or the image
        // border, i.e. the zero frame); the others become separating lines.
        let mut next = level - 1;
        while next > 1 && lists[next].is_empty() {
            next -= 1;
        }
        for &index in &remaining {
            let touches_background = offsets
                .iter()
                .any(|&offset| levels[step(index as usize, offset)] == 0);
            if touches_background {
                lists[next].push(index);
            }
        }
    }
}

/// Work space for flooding one level.
struct LevelFlood {
    /// Fate bits of each pending pixel of the current level (0 = not pending or no fate).
    fate: Vec<u8>,
    /// Whether a pixel belongs to the pixels of the current level not yet set.
    pending: Vec<bool>,
    /// Pending pixels that may be set in some direction.
    candidates: Vec<u32>,
    /// Pixels set in the current pass.
    changed: Vec<u32>,
}

impl LevelFlood {
    fn new(len: usize) -> Self {
        Self {
            fate: vec![0; len],
            pending: vec![false; len],
            candidates: Vec::new(),
            changed: Vec::new(),
        }
    }

    /// Floods one level; returns the pixels left unset, in their original order.
    fn run(
        &mut self,
        levels: &mut [u8],
        pixels: &[u32],
        table: &[u8; 256],
        offsets: &[isize; 8],
    ) -> Vec<u32> {
        self.candidates.clear();
        for &index in pixels {
            self.pending[index as usize] = true;
        }
        for &index in pixels {
            let fate = table[neighbourhood(levels, index as usize, offsets)];
            self.fate[index as usize] = fate;
            if fate != 0 {
                self.candidates.push(index);
            }
        }
        // Passes go round the direction sequence until no pending pixel can be set in any
        // direction (ImageJ stops after 8 passes in a row that change nothing, which is the
        // same state).
        let mut direction_index = 0;
        while !self.candidates.is_empty() {
            let bit = 1u8 << DIRECTION_SEQUENCE[direction_index % 8];
            direction_index += 1;
            self.changed.clear();
            let (fate, changed) = (&self.fate, &mut self.changed);
            self.candidates.retain(|&index| {
                let fate = fate[index as usize];
                if fate & bit != 0 {
                    changed.push(index);
                    false
                } else {
                    fate != 0
                }
            });
            if self.changed.is_empty() {
                continue;
            }
            for &index in &self.changed {
                levels[index as usize] = 255;
                self.pending[index as usize] = false;
                self.fate[index as usize] = 0;
            }
            // Only neighbours of newly set pixels can change their fate.
            for position in 0..self.changed.len() {
                let index = self.changed[position] as usize;
                for &offset in offsets {
                    let neighbour = step(index, offset);
                    if !self.pending[neighbour] {
                        continue;
                    }
                    let old = self.fate[neighbour];
                    let new = table[neighbourhood(levels, neighbour, offsets)];
                    if new != old {
                        self.fate[neighbour] = new;
                        if old == 0 {
                            self.candidates.push(neighbour as u32);
                        }
                    }
                }
            }
        }
        let remaining: Vec<u32> = pixels
            .iter()
            .copied()
            .filter(|&index| self.pending[index as usize])
            .collect();
        for &index in &remaining {
            self.pending[index as usize] = false;
            self.fate[index as usize] = 0;
        }
        remaining
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
