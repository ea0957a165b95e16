//! Methods that iterate a level until it is consistent with the class means: IsoData (and
//! ImageJ's own variant, which the Default method uses), Li, MinError.
//!
//! Literal ports of `ij/process/AutoThresholder.java` (ImageJ 1.53t); each returns −1 when it
//! finds no level, as the Java methods do.

use super::java;

/// Default: IJ_IsoData after the mode's count is capped at 1.5 × the second-highest count when
/// it exceeds twice that count (`defaultIsoData`). This is what `setAutoThreshold("Default")`
/// and the Threshold dialog use.
pub(super) fn default_isodata(data: &[i32; 256]) -> i32 {
    let mut capped = *data;
    let (mut mode, mut max_count) = (0, 0);
    for (value, &count) in capped.iter().enumerate() {
        if count > max_count {
            max_count = count;
            mode = value;
        }
    }
    let mut second_count = 0;
    for (value, &count) in capped.iter().enumerate() {
        if count > second_count && value != mode {
            second_count = count;
        }
    }
    if max_count > second_count.wrapping_mul(2) && second_count != 0 {
        capped[mode] = (f64::from(second_count) * 1.5) as i32;
    }
    ij_isodata(&capped)
}

/// ImageJ's original IsoData (`IJIsoData`, also `ImageProcessor.getAutoThreshold`): ignoring the
/// end bins 0 and 255, move a split from the lowest occupied value upwards until it passes the
/// mean of the two class means; 128 when fewer than two values are occupied.
pub(super) fn ij_isodata(data: &[i32; 256]) -> i32 {
    let mut counts = *data;
    counts[0] = 0;
    counts[255] = 0;
    let mut min = 0;
    while counts[min] == 0 && min < 255 {
        min += 1;
    }
    let mut max = 255;
    while counts[max] == 0 && max > 0 {
        max -= 1;
    }
    if min >= max {
        return 128;
    }
    let mut moving_index = min;
    let mut result;
    loop {
        let (mut sum1, mut sum2, mut sum3, mut sum4) = (0.0, 0.0, 0.0, 0.0);
        for (value, &count) in counts.iter().enumerate().take(moving_index + 1).skip(min) {
            sum1 += value as f64 * f64::from(count);
            sum2 += f64::from(count);
        }
        for (value, &count) in counts
            .iter()
            .enumerate()
            .take(max + 1)
            .skip(moving_index + 1)
        {
            sum3 += value as f64 * f64::from(count);
            sum4 += f64::from(count);
        }
        result = (sum1 / sum2 + sum3 / sum4) / 2.0;
        moving_index += 1;
        if !((moving_index + 1) as f64 <= result && moving_index < max - 1) {
            break;
        }
    }
    java::round(result) as i32
}

/// IsoData of the Auto_Threshold plugin (`IsoData`): the first level g, from just above the
/// lowest occupied value, with g = round((mean below g + mean above g) / 2).
///
/// As in ImageJ, the lower class sum and mean are Java `int`s: the sum wraps around past 2³¹
/// and the mean is truncated to an integer.
pub(super) fn isodata(data: &[i32; 256]) -> i32 {
    let mut g = 0usize;
    for (value, &count) in data.iter().enumerate().skip(1) {
        if count > 0 {
            g = value + 1;
            break;
        }
    }
    loop {
        let mut lower_sum: i32 = 0;
        let mut lower_count: i32 = 0;
        for (value, &count) in data.iter().enumerate().take(g) {
            lower_count = lower_count.wrapping_add(count);
            lower_sum = lower_sum.wrapping_add(count.wrapping_mul(value as i32));
        }
        let mut upper_sum = 0.0;
        let mut upper_count = 0.0;
        for (value, &count) in data.iter().enumerate().skip(g + 1) {
            upper_count += f64::from(count);
            upper_sum += f64::from(count) * value as f64;
        }
        if lower_count > 0 && upper_count > 0.0 {
            let lower_mean = lower_sum / lower_count;
            let upper_mean = upper_sum / upper_count;
            if g as i64 == java::round((f64::from(lower_mean) + upper_mean) / 2.0) {
                break;
            }
        }
        g += 1;
        if g > 254 {
            return -1;
        }
    }
    g as i32
}

/// Li's minimum cross entropy, iterative version (`Li`): starting from the mean, the new level
/// is the logarithmic mean of the two class means, until it moves by at most 0.5.
pub(super) fn li(data: &[i32; 256]) -> i32 {
    let tolerance = 0.5;
    let num_pixels = data.iter().fold(0.0, |sum, &count| sum + f64::from(count));
    let mut mean = 0.0;
    for (value, &count) in data.iter().enumerate().skip(1) {
        mean += value as f64 * f64::from(count);
    }
    mean /= num_pixels;
    let mut new_threshold = mean;
    let mut threshold;
    // ImageJ loops without a limit; a cycle would hang it. 10,000 rounds is far beyond any
    // convergence seen on real histograms.
    let mut rounds = 0;
    loop {
        let old_threshold = new_threshold;
        threshold = (old_threshold + 0.5) as i32;
        let split = (threshold.clamp(-1, 255) + 1) as usize;
        let (mut sum_back, mut num_back) = (0.0, 0.0);
        for (value, &count) in data.iter().enumerate().take(split) {
            sum_back += value as f64 * f64::from(count);
            num_back += f64::from(count);
        }
        let mean_back = if num_back == 0.0 {
            0.0
        } else {
            sum_back / num_back
        };
        let (mut sum_obj, mut num_obj) = (0.0, 0.0);
        for (value, &count) in data.iter().enumerate().skip(split) {
            sum_obj += value as f64 * f64::from(count);
            num_obj += f64::from(count);
        }
        let mean_obj = if num_obj == 0.0 {
            0.0
        } else {
            sum_obj / num_obj
        };
        let temp = (mean_back - mean_obj) / (mean_back.ln() - mean_obj.ln());
        new_threshold = if temp < -java::DBL_EPSILON {
            f64::from((temp - 0.5) as i32)
        } else {
            f64::from((temp + 0.5) as i32)
        };
        rounds += 1;
        let moved = (new_threshold - old_threshold).abs() > tolerance;
        if !moved || rounds >= 10_000 {
            break;
        }
    }
    threshold
}

/// Kittler & Illingworth's minimum error, iterative (`MinErrorI`): starting from the Mean level,
/// solve the quadratic of the two-Gaussian model until the level stops changing.
pub(super) fn min_error(data: &[i32; 256]) -> i32 {
    let mut threshold = super::statistics::mean(data);
    let mut previous = -2;
    let total_a = partial_count(data, 255);
    let total_b = partial_first_moment(data, 255);
    let total_c = partial_second_moment(data, 255);
    // ImageJ loops without a limit (see `li`).
    let mut rounds = 0;
    while threshold != previous && rounds < 10_000 {
        rounds += 1;
        let a = partial_count(data, threshold);
        let b = partial_first_moment(data, threshold);
        let c = partial_second_moment(data, threshold);
        let mu = b / a;
        let nu = (total_b - b) / (total_a - a);
        let p = a / total_a;
        let q = (total_a - a) / total_a;
        let sigma2 = c / a - mu * mu;
        let tau2 = (total_c - c) / (total_a - a) - nu * nu;
        let w0 = 1.0 / sigma2 - 1.0 / tau2;
        let w1 = mu / sigma2 - nu / tau2;
        let w2 =
            (mu * mu) / sigma2 - (nu * nu) / tau2 + ((sigma2 * (q * q)) / (tau2 * (p * p))).log10();
        let sqterm = (w1 * w1) - w0 * w2;
        if sqterm < 0.0 {
            // ImageJ logs "MinError(I): not converging." and keeps the current level.
            return threshold;
        }
        previous = threshold;
        let temp = (w1 + sqterm.sqrt()) / w0;
        threshold = if temp.is_nan() {
            previous
        } else {
            temp.floor() as i32
        };
    }
    threshold
}

/// Σ counts of values 0..=j (`A` in AutoThresholder; j above 255 means 255, below 0 nothing).
fn partial_count(data: &[i32; 256], j: i32) -> f64 {
    let end = j.min(255);
    (0..=end).fold(0.0, |sum, value| sum + f64::from(data[value as usize]))
}

/// Σ value · count over 0..=j (`B`): the product is a Java `int` and wraps around.
fn partial_first_moment(data: &[i32; 256], j: i32) -> f64 {
    let end = j.min(255);
    (0..=end).fold(0.0, |sum, value| {
        sum + f64::from(value.wrapping_mul(data[value as usize]))
    })
}

/// Σ value² · count over 0..=j (`C`): the product is a Java `int` and wraps around, which
/// happens as soon as a bin near 255 holds more than 33,025 pixels.
fn partial_second_moment(data: &[i32; 256], j: i32) -> f64 {
    let end = j.min(255);
    (0..=end).fold(0.0, |sum, value| {
        sum + f64::from((value * value).wrapping_mul(data[value as usize]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Second moment wraps like Java's int: 255² · 40,000 = 2,601,000,000 > 2³¹ − 1.
    #[test]
    fn second_moment_wraps_like_java_int() {
        let mut data = [0; 256];
        data[255] = 40_000;
        let wrapped = 2_601_000_000i64 - (1i64 << 32);
        assert_eq!(partial_second_moment(&data, 255), wrapped as f64);
    }

    // Hand-computed IJ_IsoData on one pixel each at 10, 20 and 200 (min 10, max 200): once the
    // split passes 20 the class means are 15 and 200, so result = 107.5, and the split keeps
    // moving while split + 1 <= 107.5; round(107.5) = 108.
    #[test]
    fn ij_isodata_three_values() {
        let mut data = [0; 256];
        data[10] = 1;
        data[20] = 1;
        data[200] = 1;
        assert_eq!(ij_isodata(&data), 108);
    }
}
