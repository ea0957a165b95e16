//! Methods that read the level off a statistic of the whole histogram: Mean, Moments, Otsu,
//! Percentile.
//!
//! Literal ports of `ij/process/AutoThresholder.java` (ImageJ 1.53t).

use super::java;

/// Glasbey's mean (`Mean`): the integer part of the mean grey value.
pub(super) fn mean(data: &[i32; 256]) -> i32 {
    let (mut total, mut sum) = (0.0, 0.0);
    for (value, &count) in data.iter().enumerate() {
        total += f64::from(count);
        sum += value as f64 * f64::from(count);
    }
    (sum / total).floor() as i32
}

/// Tsai's moment-preserving level (`Moments`): the grey value at the p0-tile, where p0 is the
/// object fraction of the two-level image with the same first three moments.
pub(super) fn moments(data: &[i32; 256]) -> i32 {
    let histogram = java::normalised(data);
    let m0 = 1.0;
    let (mut m1, mut m2, mut m3) = (0.0, 0.0, 0.0);
    for (value, &fraction) in histogram.iter().enumerate() {
        let di = value as f64;
        m1 += di * fraction;
        m2 += di * di * fraction;
        m3 += di * di * di * fraction;
    }
    let cd = m0 * m2 - m1 * m1;
    let c0 = (-m2 * m2 + m1 * m3) / cd;
    let c1 = (m0 * -m3 + m2 * m1) / cd;
    let z0 = 0.5 * (-c1 - (c1 * c1 - 4.0 * c0).sqrt());
    let z1 = 0.5 * (-c1 + (c1 * c1 - 4.0 * c0).sqrt());
    let p0 = (z1 - m1) / (z1 - z0);
    let mut sum = 0.0;
    for (value, &fraction) in histogram.iter().enumerate() {
        sum += fraction;
        if sum > p0 {
            return value as i32;
        }
    }
    -1
}

/// Otsu's maximum between-class variance (`Otsu`), over levels 1..=254; the last of equal
/// maxima wins (`>=`).
pub(super) fn otsu(data: &[i32; 256]) -> i32 {
    let (mut s, mut n) = (0.0, 0.0);
    for (value, &count) in data.iter().enumerate() {
        s += value as f64 * f64::from(count);
        n += f64::from(count);
    }
    let mut sk = 0.0;
    let mut n1 = f64::from(data[0]);
    let mut bcv_max = 0.0;
    let mut k_star = 0;
    for (k, &count) in data.iter().enumerate().take(255).skip(1) {
        sk += k as f64 * f64::from(count);
        n1 += f64::from(count);
        let denom = n1 * (n - n1);
        let bcv = if denom != 0.0 {
            let num = (n1 / n) * s - sk;
            (num * num) / denom
        } else {
            0.0
        };
        if bcv >= bcv_max {
            bcv_max = bcv;
            k_star = k as i32;
        }
    }
    k_star
}

/// Doyle's percentile (`Percentile`): the first level whose cumulative fraction is closest
/// to 1/2.
pub(super) fn percentile(data: &[i32; 256]) -> i32 {
    let total = data.iter().fold(0.0, |sum, &count| sum + f64::from(count));
    let mut threshold = -1;
    let mut closest = 1.0;
    let mut partial_sum = 0.0;
    for (value, &count) in data.iter().enumerate() {
        partial_sum += f64::from(count);
        let distance = (partial_sum / total - 0.5).abs();
        if distance < closest {
            closest = distance;
            threshold = value as i32;
        }
    }
    threshold
}
