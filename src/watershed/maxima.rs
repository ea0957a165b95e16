//! Maxima of a Euclidean distance map with a prominence ("noise tolerance") of 0.5, as ImageJ's
//! `MaximumFinder.findMaxima(edm, 0.5, NO_THRESHOLD, …, excludeOnEdges = false, isEDM = true)`
//! (`ij/plugin/filter/MaximumFinder.java`: `getSortedMaxPoints`, `analyzeAndMarkMaxima`,
//! `trueEdmHeight`).
//!
//! 1. Every pixel above the image minimum with no 8-neighbour that is higher both in EDM value
//!    and in interpolated ridge height ([`true_heights`]) is a local maximum.
//! 2. Local maxima are visited from the highest (sorted by a 32-bit integer image of the ridge
//!    height, ties in raster order). From each, a flood fill collects the connected object
//!    pixels within 0.5 below it. The maximum is accepted unless the flood reaches a pixel that
//!    an earlier maximum processed, or a clearly higher pixel. Its flood area is marked
//!    [`MAX_AREA`], and the pixel of the flood's top plateau nearest to the plateau's centroid
//!    is marked [`MAX_POINT`].

use std::ops::Range;

use rayon::prelude::*;

use super::frame::{step, Frame};

/// Local maximum (before the prominence test).
pub(crate) const MAXIMUM: u8 = 1;
/// In the list of the flood currently running.
pub(crate) const LISTED: u8 = 2;
/// Reached by the flood of an earlier maximum.
pub(crate) const PROCESSED: u8 = 4;
/// Within the prominence of an accepted maximum.
pub(crate) const MAX_AREA: u8 = 8;
/// As high as the maximum being flooded.
pub(crate) const EQUAL: u8 = 16;
/// The single point that stands for an accepted maximum.
pub(crate) const MAX_POINT: u8 = 32;
/// Lowered to its saddle level by `cleanupMaxima` (see [`super::levels`]).
pub(crate) const ELIMINATED: u8 = 64;

/// ImageJ's float constant `SQRT2 = 1.4142135624f`.
const SQRT2: f32 = std::f32::consts::SQRT_2;

/// The prominence ImageJ uses for EDMs (`EDM.MAXFINDER_TOLERANCE`).
pub(crate) const EDM_PROMINENCE: f64 = 0.5;

/// What the maxima search leaves for the watershed: pixel flags and the sorted local maxima.
pub(crate) struct Maxima {
    /// Flags per padded pixel. The padding frame carries [`LISTED`] for good: a pixel already in
    /// the list is skipped by every flood, exactly as ImageJ skips pixels outside the image.
    pub types: Vec<u8>,
    /// Padded indices of all local maxima, lowest first.
    #[cfg_attr(not(test), allow(dead_code))] // read by the whole-image reference of the tests
    pub sorted: Vec<u32>,
    /// Largest EDM value.
    #[cfg_attr(not(test), allow(dead_code))] // read by the whole-image reference of the tests
    pub global_max: f32,
}

/// Finds and analyses the maxima of the padded distance map `edm` (frame = 0).
pub(crate) fn find_edm_maxima(frame: &Frame, edm: &[f32]) -> Maxima {
    let mut types = vec![LISTED; frame.len()];
    for y in 0..frame.height {
        types[frame.row(y)].fill(0);
    }
    let (global_min, global_max) = value_range(frame, edm);
    // A maximum needs something lower (findMaxima: maximumPossible = globalMax > globalMin).
    let sorted = if global_max > global_min {
        let heights = true_heights(frame, edm);
        let sorted = sorted_local_maxima(frame, edm, &heights, &mut types, global_min, global_max);
        analyse_maxima(frame, edm, &heights, &mut types, &sorted);
        sorted
    } else {
        Vec::new()
    };
    if sorted.is_empty() {
        // No local maximum at all: ImageJ marks every pixel as within the prominence.
        for y in 0..frame.height {
            types[frame.row(y)].fill(PROCESSED | MAX_AREA);
        }
    }
    Maxima {
        types,
        sorted,
        global_max,
    }
}

/// Smallest and largest value of the image part of a padded buffer.
pub(crate) fn value_range(frame: &Frame, edm: &[f32]) -> (f32, f32) {
    (0..frame.height)
        .into_par_iter()
        .map(|y| {
            edm[frame.row(y)]
                .iter()
                .fold((f32::MAX, -f32::MAX), |(low, high), &v| {
                    (
                        if low > v { v } else { low },
                        if high < v { v } else { high },
                    )
                })
        })
        .reduce(
            || (f32::MAX, -f32::MAX),
            |(a, b), (c, d)| (a.min(c), b.max(d)),
        )
}

/// ImageJ's `trueEdmHeight` for every pixel: the sampled EDM value underestimates the height of
/// a ridge or peak that passes between pixel centres, so for ridge points the height is
/// interpolated from the two opposite neighbours in each of four directions (plus 1 or √2),
/// capped at v + √2/2. Edge pixels and background keep their value.
pub(crate) fn true_heights(frame: &Frame, edm: &[f32]) -> Vec<f32> {
    let offsets = frame.neighbour_offsets();
    let mut heights = vec![0f32; frame.len()];
    heights
        .par_chunks_mut(frame.stride)
        .enumerate()
        .skip(1)
        .take(frame.height)
        .for_each(|(padded_y, row)| {
            let y = padded_y - 1;
            for x in 0..frame.width {
                let index = frame.index(x, y);
                row[x + 1] = true_height(edm, index, frame.is_edge(x, y), &offsets);
            }
        });
    heights
}

/// [`true_heights`] of the pixels of `runs` in a particle's window `local` (`edm` and
/// `heights` in its layout), whether a pixel is on the edge being decided in `image`, the
/// whole image's frame.
pub(crate) fn true_heights_of_runs(
    local: &Frame,
    image: &Frame,
    edm: &[f32],
    heights: &mut [f32],
    runs: &[Range<usize>],
) {
    let offsets = local.neighbour_offsets();
    for run in runs {
        let (x0, y) = local.coordinates(run.start);
        for (x, index) in (x0..).zip(run.clone()) {
            heights[index] = true_height(edm, index, image.is_edge(x, y), &offsets);
        }
    }
}

/// The ridge height of padded pixel `index`: its own value on the image's edge and on the
/// background.
#[inline]
fn true_height(edm: &[f32], index: usize, on_edge: bool, offsets: &[isize; 8]) -> f32 {
    let v = edm[index];
    if on_edge || v == 0.0 {
        v
    } else {
        ridge_height(edm, index, v, offsets)
    }
}

fn ridge_height(edm: &[f32], index: usize, v: f32, offsets: &[isize; 8]) -> f32 {
    let mut height = v + 0.5 * SQRT2;
    let mut ridge_or_max = false;
    for direction in 0..4 {
        let v1 = edm[step(index, offsets[direction])];
        let v2 = edm[step(index, offsets[direction + 4])];
        let mut h = if v >= v1 && v >= v2 {
            ridge_or_max = true;
            (v1 + v2) / 2.0
        } else {
            v1.min(v2)
        };
        h += if direction % 2 == 0 { 1.0 } else { SQRT2 };
        if height > h {
            height = h;
        }
    }
    if ridge_or_max {
        height
    } else {
        v
    }
}

/// The factor of ImageJ's sorting key: `2e9 / (max − min)` as a float.
fn key_factor(global_min: f32, global_max: f32) -> f32 {
    (2e9 / (global_max - global_min) as f64) as f32
}

/// The sorting key of padded pixel `index` if it is a local maximum (`getSortedMaxPoints`):
/// above the image minimum and no 8-neighbour higher both in EDM value and in ridge height.
/// The key is `(int)((height − min) · factor)` in the high and the index in the low 32 bits, so
/// sorting keys sorts by height, ties in raster order.
#[inline]
fn local_maximum_key(
    edm: &[f32],
    heights: &[f32],
    index: usize,
    offsets: &[isize; 8],
    global_min: f32,
    value_factor: f32,
) -> Option<i64> {
    let v = edm[index];
    if v == global_min {
        return None;
    }
    let height = heights[index];
    // Neighbours outside the image are the zero frame, never higher than v.
    let is_max = offsets.iter().all(|&offset| {
        let neighbour = step(index, offset);
        !(edm[neighbour] > v && heights[neighbour] > height)
    });
    is_max.then(|| {
        let value = ((height - global_min) * value_factor) as i32;
        (value as i64) << 32 | index as i64
    })
}

/// ImageJ's `getSortedMaxPoints` for an EDM: marks local maxima as [`MAXIMUM`] and returns their
/// padded indices sorted by `(int)((height − min) · 2e9/(max − min))`, ties by position.
fn sorted_local_maxima(
    frame: &Frame,
    edm: &[f32],
    heights: &[f32],
    types: &mut [u8],
    global_min: f32,
    global_max: f32,
) -> Vec<u32> {
    let offsets = frame.neighbour_offsets();
    let value_factor = key_factor(global_min, global_max);
    let mut keys: Vec<i64> = types
        .par_chunks_mut(frame.stride)
        .enumerate()
        .skip(1)
        .take(frame.height)
        .flat_map_iter(|(padded_y, row)| {
            let y = padded_y - 1;
            let mut keys = Vec::new();
            for x in 0..frame.width {
                let index = frame.index(x, y);
                if let Some(key) =
                    local_maximum_key(edm, heights, index, &offsets, global_min, value_factor)
                {
                    row[x + 1] = MAXIMUM;
                    keys.push(key);
                }
            }
            keys
        })
        .collect();
    keys.par_sort_unstable();
    keys.iter().map(|&key| key as u32).collect()
}

/// The local maxima among the pixels of `runs` (padded index ranges), lowest first, as
/// [`sorted_local_maxima`] orders them: the maxima of some particles, in the order the whole
/// image's list has them.
pub(crate) fn sorted_local_maxima_of_runs(
    frame: &Frame,
    edm: &[f32],
    heights: &[f32],
    runs: &[Range<usize>],
    global_min: f32,
    global_max: f32,
) -> Vec<u32> {
    let offsets = frame.neighbour_offsets();
    let value_factor = key_factor(global_min, global_max);
    let mut keys: Vec<i64> = runs
        .iter()
        .flat_map(|run| run.clone())
        .filter_map(|index| {
            local_maximum_key(edm, heights, index, &offsets, global_min, value_factor)
        })
        .collect();
    keys.sort_unstable();
    keys.iter().map(|&key| key as u32).collect()
}

/// Makes `types` fresh pixel flags for [`analyse_maxima`] in `frame`, reusing its memory: 0 in
/// the image, [`LISTED`] on the frame.
pub(crate) fn reset_types(frame: &Frame, types: &mut Vec<u8>) {
    types.clear();
    types.resize(frame.len(), 0);
    let last_row = (frame.height + 1) * frame.stride;
    types[..frame.stride].fill(LISTED);
    types[last_row..].fill(LISTED);
    for y in 0..frame.height {
        let row = frame.row(y);
        types[row.start - 1] = LISTED;
        types[row.end] = LISTED;
    }
}

/// ImageJ's `analyzeAndMarkMaxima` for an EDM with prominence 0.5 (no threshold, edge maxima
/// kept): floods from each local maximum, highest first, and marks accepted maxima.
pub(crate) fn analyse_maxima(
    frame: &Frame,
    edm: &[f32],
    heights: &[f32],
    types: &mut [u8],
    sorted: &[u32],
) {
    let offsets = frame.neighbour_offsets();
    // The sorting key rounds heights to integers and ignores nothing else, so the order may be
    // off by this much (isEDM: 1.1 · √2/2).
    let max_sorting_error = 1.1f32 * (SQRT2 / 2.0);
    let tolerance = EDM_PROMINENCE as f32;
    let mut list: Vec<u32> = Vec::new();
    for &start in sorted.iter().rev() {
        let mut first = start as usize;
        if types[first] & PROCESSED != 0 {
            continue;
        }
        let mut v0 = heights[first];
        loop {
            list.clear();
            list.push(first as u32);
            types[first] |= EQUAL | LISTED;
            let mut sorting_error = false;
            let mut max_possible = true;
            let (x0, y0) = frame.coordinates(first);
            let (mut x_equal, mut y_equal, mut n_equal) = (x0 as f64, y0 as f64, 1u32);
            let mut next = 0;
            while next < list.len() {
                let index = list[next] as usize;
                for &offset in &offsets {
                    let neighbour = step(index, offset);
                    if types[neighbour] & LISTED != 0 || edm[neighbour] <= 0.0 {
                        continue;
                    }
                    if types[neighbour] & PROCESSED != 0 {
                        max_possible = false;
                        break;
                    }
                    let v2 = heights[neighbour];
                    if v2 > v0 + max_sorting_error {
                        max_possible = false;
                        break;
                    } else if v2 >= v0 - tolerance {
                        if v2 > v0 {
                            // A higher point: this flood started too low; restart from there.
                            sorting_error = true;
                            first = neighbour;
                            v0 = v2;
                        }
                        list.push(neighbour as u32);
                        types[neighbour] |= LISTED;
                        if v2 == v0 {
                            types[neighbour] |= EQUAL;
                            let (x2, y2) = frame.coordinates(neighbour);
                            x_equal += x2 as f64;
                            y_equal += y2 as f64;
                            n_equal += 1;
                        }
                    }
                }
                next += 1;
            }
            if sorting_error {
                for &index in &list {
                    types[index as usize] = 0;
                }
                continue;
            }
            let reset = !if max_possible { LISTED } else { LISTED | EQUAL };
            x_equal /= n_equal as f64;
            y_equal /= n_equal as f64;
            let mut nearest_distance = 1e20;
            let mut nearest = 0;
            for (position, &index) in list.iter().enumerate() {
                let index = index as usize;
                types[index] &= reset;
                types[index] |= PROCESSED;
                if max_possible {
                    types[index] |= MAX_AREA;
                    if types[index] & EQUAL != 0 {
                        let (x, y) = frame.coordinates(index);
                        let distance = (x_equal - x as f64).powi(2) + (y_equal - y as f64).powi(2);
                        if distance < nearest_distance {
                            nearest_distance = distance;
                            nearest = position;
                        }
                    }
                }
            }
            if max_possible {
                types[list[nearest] as usize] |= MAX_POINT;
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqrt2_is_imagej_constant() {
        // ImageJ writes the literal 1.4142135624f.
        assert_eq!(SQRT2, "1.4142135624".parse::<f32>().unwrap());
    }
}
