//! Methods that read the level off the histogram's shape: Intermodes, Minimum (peaks of the
//! smoothed histogram) and Triangle.
//!
//! Literal ports of `ij/process/AutoThresholder.java` (ImageJ 1.53t).

/// How many smoothing rounds Intermodes and Minimum try before giving up (ImageJ: 10,000).
const MAX_SMOOTHING_ROUNDS: u32 = 10_000;

/// Whether `y` has exactly two strict local maxima (`bimodalTest`).
fn is_bimodal(y: &[f64]) -> bool {
    let mut modes = 0;
    for k in 1..y.len().saturating_sub(1) {
        if y[k - 1] < y[k] && y[k + 1] < y[k] {
            modes += 1;
            if modes > 2 {
                return false;
            }
        }
    }
    modes == 2
}

/// Prewitt & Mendelsohn's intermodes (`Intermodes`): smooth the occupied part of the histogram
/// with a 3-point running mean until it has two peaks; the level is their midpoint (rounded
/// down).
pub(super) fn intermodes(data: &[i32; 256]) -> i32 {
    let max_bin = (0..256).rev().find(|&value| data[value] > 0).unwrap_or(0);
    let min_bin = (0..256).find(|&value| data[value] > 0).unwrap_or(0);
    let mut hist: Vec<f64> = data[min_bin..=max_bin]
        .iter()
        .map(|&count| f64::from(count))
        .collect();
    let length = hist.len();
    let mut rounds = 0;
    while !is_bimodal(&hist) {
        // Running mean in place: `previous`, `current` and `next` carry the unsmoothed values,
        // and the bins beyond both ends count as 0, as in ImageJ.
        let (mut current, mut next) = (0.0, hist[0]);
        for i in 0..length - 1 {
            let previous = current;
            current = next;
            next = hist[i + 1];
            hist[i] = (previous + current + next) / 3.0;
        }
        hist[length - 1] = (current + next) / 3.0;
        rounds += 1;
        if rounds > MAX_SMOOTHING_ROUNDS {
            return -1;
        }
    }
    let mut peak_sum = 0;
    for i in 1..length - 1 {
        if hist[i - 1] < hist[i] && hist[i + 1] < hist[i] {
            peak_sum += i as i32;
        }
    }
    (f64::from(peak_sum) / 2.0).floor() as i32 + min_bin as i32
}

/// Prewitt & Mendelsohn's minimum (`Minimum`): smooth the whole histogram with a 3-point mean
/// until it has two peaks; the level is the first valley bottom between them.
pub(super) fn minimum(data: &[i32; 256]) -> i32 {
    let mut histogram = data.map(f64::from);
    let mut smoothed = [0.0; 256];
    let mut rounds = 0;
    while !is_bimodal(&histogram) {
        for i in 1..255 {
            smoothed[i] = (histogram[i - 1] + histogram[i] + histogram[i + 1]) / 3.0;
        }
        smoothed[0] = (histogram[0] + histogram[1]) / 3.0;
        smoothed[255] = (histogram[254] + histogram[255]) / 3.0;
        histogram = smoothed;
        rounds += 1;
        if rounds > MAX_SMOOTHING_ROUNDS {
            return -1;
        }
    }
    (1..255)
        .find(|&i| histogram[i - 1] > histogram[i] && histogram[i + 1] >= histogram[i])
        .map_or(-1, |i| i as i32)
}

/// Zack's triangle (`Triangle`): the level farthest from the line joining the histogram's peak
/// to the far end of its longer tail, minus one.
///
/// As in ImageJ, when the peak sits on the tail's end in the reversed histogram, the reversed
/// coordinate is returned as it is.
pub(super) fn triangle(data: &[i32; 256]) -> i32 {
    let mut counts = *data;
    let mut min = (0..256).find(|&i| counts[i] > 0).unwrap_or(0) as i32;
    if min > 0 {
        min -= 1;
    }
    let mut min2 = (1..256).rev().find(|&i| counts[i] > 0).unwrap_or(0) as i32;
    if min2 < 255 {
        min2 += 1;
    }
    let (mut max, mut dmax) = (0i32, 0);
    for (value, &count) in counts.iter().enumerate() {
        if count > dmax {
            max = value as i32;
            dmax = count;
        }
    }
    let mut inverted = false;
    if (max - min) < (min2 - max) {
        inverted = true;
        counts.reverse();
        min = 255 - min2;
        max = 255 - max;
    }
    if min == max {
        return min;
    }
    let mut nx = f64::from(counts[max as usize]);
    let mut ny = f64::from(min - max);
    let length = (nx * nx + ny * ny).sqrt();
    nx /= length;
    ny /= length;
    let d = nx * f64::from(min) + ny * f64::from(counts[min as usize]);
    let mut split = min;
    let mut split_distance = 0.0;
    for i in min + 1..=max {
        let distance = nx * f64::from(i) + ny * f64::from(counts[i as usize]) - d;
        if distance > split_distance {
            split = i;
            split_distance = distance;
        }
    }
    split -= 1;
    if inverted {
        255 - split
    } else {
        split
    }
}
