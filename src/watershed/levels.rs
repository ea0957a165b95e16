//! The 8-bit level image the watershed floods (`ij/plugin/filter/MaximumFinder.java`:
//! `make8bit` and `cleanupMaxima`).
//!
//! - EDM below 0.5 (background) → 0; accepted maximum areas → 255; everything else 1 to 254,
//!   one level per pixel of distance (or coarser when the EDM exceeds 254).
//! - Rejected local maxima would start watershed basins of their own, so each is lowered, with
//!   the plateau around it, to the level of the saddle where it meets an accepted maximum.

use super::frame::{step, Frame};
#[cfg(test)]
use super::maxima::Maxima;
use super::maxima::{ELIMINATED, LISTED, MAX_AREA};

/// Java's `Math.round(double)`: nearest integer, ties towards +∞ (for |value| < 2⁶²).
fn java_round(value: f64) -> f64 {
    // floor without a libm call: truncate, then step down for negative non-integers.
    let truncated = value as i64 as f64;
    let floor = if truncated > value {
        truncated - 1.0
    } else {
        truncated
    };
    if value - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

/// ImageJ's `make8bit` scale for an EDM (threshold 0.5, minimum value 1, at most one level per
/// unit of distance).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LevelScale {
    offset: f64,
    factor: f64,
}

impl LevelScale {
    /// The scale for an EDM whose largest value is `global_max`.
    pub fn new(global_max: f32) -> Self {
        let min_value = 1.0;
        let global_max = global_max as f64;
        let offset = min_value - (global_max - min_value) * (1.0 / 253.0 / 2.0 - 1e-6);
        let mut factor = 253.0 / (global_max - min_value);
        if factor > 1.0 {
            factor = 1.0;
        }
        Self { offset, factor }
    }

    /// The level of a pixel with EDM value `value` and maximum flags `kind`.
    #[inline]
    pub fn level(&self, value: f32, kind: u8) -> u8 {
        let raw = value as f64;
        if raw < 0.5 {
            0
        } else if kind & MAX_AREA != 0 {
            255
        } else {
            let level = 1.0 + java_round((raw - self.offset) * self.factor);
            level.clamp(1.0, 254.0) as u8
        }
    }
}

/// ImageJ's `make8bit` for an EDM (threshold 0.5, minimum value 1, at most one level per unit),
/// for the whole image (the reference of the tests).
#[cfg(test)]
pub(crate) fn level_image(frame: &Frame, edm: &[f32], maxima: &Maxima) -> Vec<u8> {
    use rayon::prelude::*;
    let scale = LevelScale::new(maxima.global_max);
    let mut levels = vec![0u8; frame.len()];
    levels
        .par_chunks_mut(frame.stride)
        .enumerate()
        .skip(1)
        .take(frame.height)
        .for_each(|(padded_y, row)| {
            let start = padded_y * frame.stride;
            for x in 1..=frame.width {
                row[x] = scale.level(edm[start + x], maxima.types[start + x]);
            }
        });
    levels
}

/// ImageJ's `cleanupMaxima`: every local maximum that was not accepted is flooded downwards,
/// level by level, until the flood touches an accepted maximum area (or an already lowered
/// plateau at least as high); everything flooded above that saddle level is set to it.
#[cfg(test)]
pub(crate) fn lower_rejected_maxima(frame: &Frame, levels: &mut [u8], maxima: &mut Maxima) {
    lower_rejected(frame, levels, &mut maxima.types, &maxima.sorted);
}

/// [`lower_rejected_maxima`] with the flags and the sorted local maxima (lowest first) given
/// apart: the maxima may be those of some particles only (floods never leave a particle).
pub(crate) fn lower_rejected(frame: &Frame, levels: &mut [u8], types: &mut [u8], sorted: &[u32]) {
    let offsets = frame.neighbour_offsets();
    let mut list: Vec<u32> = Vec::new();
    for &start in sorted.iter().rev() {
        let start = start as usize;
        if types[start] & (MAX_AREA | ELIMINATED) != 0 {
            continue;
        }
        let mut low_level = levels[start] as i32 + 1;
        list.clear();
        list.push(start as u32);
        types[start] |= LISTED;
        let mut last_length = 1;
        let mut saddle_found = false;
        while !saddle_found && low_level > 0 {
            low_level -= 1;
            last_length = list.len();
            let mut next = 0;
            loop {
                let index = list[next] as usize;
                for &offset in &offsets {
                    let neighbour = step(index, offset);
                    let kind = types[neighbour];
                    if kind & LISTED != 0 {
                        continue;
                    }
                    let level = levels[neighbour] as i32;
                    if kind & MAX_AREA != 0 || (kind & ELIMINATED != 0 && level >= low_level) {
                        saddle_found = true;
                        break;
                    } else if level >= low_level && kind & ELIMINATED == 0 {
                        list.push(neighbour as u32);
                        types[neighbour] |= LISTED;
                    }
                }
                if saddle_found {
                    break;
                }
                next += 1;
                if next >= list.len() {
                    break;
                }
            }
        }
        for &index in &list {
            types[index as usize] &= !LISTED;
        }
        for &index in &list[..last_length] {
            levels[index as usize] = low_level as u8;
            types[index as usize] |= ELIMINATED;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_round_ties_go_up() {
        assert_eq!(java_round(2.5), 3.0);
        assert_eq!(java_round(-2.5), -2.0);
        assert_eq!(java_round(-2.6), -3.0);
        assert_eq!(java_round(0.499_999_999_999_999_94), 0.0);
    }
}
