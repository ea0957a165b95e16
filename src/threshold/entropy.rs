//! Methods that optimise an entropy or information criterion over every candidate level:
//! Huang, MaxEntropy, RenyiEntropy, Shanbhag, Yen.
//!
//! Literal ports of `ij/process/AutoThresholder.java` (ImageJ 1.53t), which took them from
//! G. Landini's Auto_Threshold plugin (after M. E. Celebi's fourier_0.8). The order of every
//! floating-point operation follows the Java source, so ties break the same way.

use super::java::{self, DBL_EPSILON, DOUBLE_MIN_VALUE};

/// Cumulative normalised histogram `P1` and its complement `P2 = 1 − P1`.
fn cumulative(norm: &[f64; 256]) -> ([f64; 256], [f64; 256]) {
    let mut p1 = [0.0; 256];
    let mut p2 = [0.0; 256];
    p1[0] = norm[0];
    p2[0] = 1.0 - p1[0];
    for value in 1..256 {
        p1[value] = p1[value - 1] + norm[value];
        p2[value] = 1.0 - p1[value];
    }
    (p1, p2)
}

/// First and last candidate levels: where P1, resp. P2, is not (almost) zero.
///
/// The negated comparisons are ImageJ's; kept as written so that NaN behaves the same.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn candidate_bounds(p1: &[f64; 256], p2: &[f64; 256]) -> (usize, usize) {
    let first = (0..256)
        .find(|&value| !(p1[value].abs() < DBL_EPSILON))
        .unwrap_or(0);
    let last = (first..256)
        .rev()
        .find(|&value| !(p2[value].abs() < DBL_EPSILON))
        .unwrap_or(255);
    (first, last)
}

/// Huang & Wang's fuzzy thresholding with Shannon's entropy (`Huang`).
pub(super) fn huang(data: &[i32; 256]) -> i32 {
    let first = (0..256).find(|&value| data[value] != 0).unwrap_or(0);
    let last = (first..256)
        .rev()
        .find(|&value| data[value] != 0)
        .unwrap_or(255);
    let term = 1.0 / (last as f64 - first as f64);
    let mut mu_0 = [0.0; 256];
    let (mut sum_pix, mut num_pix) = (0.0, 0.0);
    for value in first..256 {
        sum_pix += value as f64 * f64::from(data[value]);
        num_pix += f64::from(data[value]);
        mu_0[value] = sum_pix / num_pix;
    }
    let mut mu_1 = [0.0; 256];
    let (mut sum_pix, mut num_pix) = (0.0, 0.0);
    for value in (1..=last).rev() {
        sum_pix += value as f64 * f64::from(data[value]);
        num_pix += f64::from(data[value]);
        mu_1[value - 1] = sum_pix / num_pix;
    }
    // Shannon's function of the membership of `value` in a class with mean `class_mean`,
    // weighted by the count; memberships within 1e-6 of 0 or 1 contribute nothing.
    let fuzziness = |value: usize, class_mean: f64| {
        let mu_x = 1.0 / (1.0 + term * (value as f64 - class_mean).abs());
        // ImageJ's test, kept literally so that NaN (one occupied value) counts as inside.
        #[allow(clippy::manual_range_contains)]
        let inside = !((mu_x < 1e-06) || (mu_x > 0.999999));
        if inside {
            f64::from(data[value]) * (-mu_x * mu_x.ln() - (1.0 - mu_x) * (1.0 - mu_x).ln())
        } else {
            0.0
        }
    };
    let mut threshold = -1;
    let mut min_ent = f64::MAX;
    for it in 0..256 {
        let mut ent = 0.0;
        for value in 0..=it {
            ent += fuzziness(value, mu_0[it]);
        }
        for value in it + 1..256 {
            ent += fuzziness(value, mu_1[it]);
        }
        if ent < min_ent {
            min_ent = ent;
            threshold = it as i32;
        }
    }
    threshold
}

/// Kapur, Sahoo & Wong's maximum entropy (`MaxEntropy`).
pub(super) fn max_entropy(data: &[i32; 256]) -> i32 {
    let norm = java::normalised(data);
    let (p1, p2) = cumulative(&norm);
    let (first, last) = candidate_bounds(&p1, &p2);
    let mut threshold = -1;
    let mut max_ent = DOUBLE_MIN_VALUE;
    for it in first..=last {
        let total = shannon_entropies(data, &norm, &p1, &p2, it);
        if max_ent < total {
            max_ent = total;
            threshold = it as i32;
        }
    }
    threshold
}

/// Background plus object Shannon entropy of the split at `it` (MaxEntropy's criterion).
fn shannon_entropies(
    data: &[i32; 256],
    norm: &[f64; 256],
    p1: &[f64; 256],
    p2: &[f64; 256],
    it: usize,
) -> f64 {
    let mut ent_back = 0.0;
    for value in 0..=it {
        if data[value] != 0 {
            ent_back -= (norm[value] / p1[it]) * (norm[value] / p1[it]).ln();
        }
    }
    let mut ent_obj = 0.0;
    for value in it + 1..256 {
        if data[value] != 0 {
            ent_obj -= (norm[value] / p2[it]) * (norm[value] / p2[it]).ln();
        }
    }
    ent_back + ent_obj
}

/// Kapur, Sahoo & Wong's Rényi entropy (`RenyiEntropy`): the maximum-entropy levels for
/// α = 1, 0.5 and 2, combined with weights that depend on how close they are.
pub(super) fn renyi_entropy(data: &[i32; 256]) -> i32 {
    let norm = java::normalised(data);
    let (p1, p2) = cumulative(&norm);
    let (first, last) = candidate_bounds(&p1, &p2);

    // α = 1: maximum entropy, but starting from 0 (not Double.MIN_VALUE).
    let mut threshold = 0usize;
    let mut max_ent = 0.0;
    for it in first..=last {
        let total = shannon_entropies(data, &norm, &p1, &p2, it);
        if max_ent < total {
            max_ent = total;
            threshold = it;
        }
    }
    let mut t_star2 = threshold;

    // α = 0.5.
    threshold = 0;
    max_ent = 0.0;
    let term = 1.0 / (1.0 - 0.5);
    for it in first..=last {
        let mut ent_back = 0.0;
        for &fraction in &norm[..=it] {
            ent_back += (fraction / p1[it]).sqrt();
        }
        let mut ent_obj = 0.0;
        for &fraction in &norm[it + 1..] {
            ent_obj += (fraction / p2[it]).sqrt();
        }
        let product = ent_back * ent_obj;
        let total = term * if product > 0.0 { product.ln() } else { 0.0 };
        if total > max_ent {
            max_ent = total;
            threshold = it;
        }
    }
    let mut t_star1 = threshold;

    // α = 2.
    threshold = 0;
    max_ent = 0.0;
    let term = 1.0 / (1.0 - 2.0);
    for it in first..=last {
        let mut ent_back = 0.0;
        for &fraction in &norm[..=it] {
            ent_back += (fraction * fraction) / (p1[it] * p1[it]);
        }
        let mut ent_obj = 0.0;
        for &fraction in &norm[it + 1..] {
            ent_obj += (fraction * fraction) / (p2[it] * p2[it]);
        }
        let product = ent_back * ent_obj;
        let total = term * if product > 0.0 { product.ln() } else { 0.0 };
        if total > max_ent {
            max_ent = total;
            threshold = it;
        }
    }
    let mut t_star3 = threshold;

    // Sort the three levels.
    if t_star2 < t_star1 {
        std::mem::swap(&mut t_star1, &mut t_star2);
    }
    if t_star3 < t_star2 {
        std::mem::swap(&mut t_star2, &mut t_star3);
    }
    if t_star2 < t_star1 {
        std::mem::swap(&mut t_star1, &mut t_star2);
    }
    let close = |a: usize, b: usize| a.abs_diff(b) <= 5;
    let (beta1, beta2, beta3) = match (close(t_star1, t_star2), close(t_star2, t_star3)) {
        (true, true) => (1.0, 2.0, 1.0),
        (true, false) => (0.0, 1.0, 3.0),
        (false, true) => (3.0, 1.0, 0.0),
        (false, false) => (1.0, 2.0, 1.0),
    };
    let omega = p1[t_star3] - p1[t_star1];
    let (t1, t2, t3) = (t_star1 as f64, t_star2 as f64, t_star3 as f64);
    (t1 * (p1[t_star1] + 0.25 * omega * beta1)
        + 0.25 * t2 * omega * beta2
        + t3 * (p2[t_star3] + 0.25 * omega * beta3)) as i32
}

/// Shanbhag's information measure (`Shanbhag`).
pub(super) fn shanbhag(data: &[i32; 256]) -> i32 {
    let norm = java::normalised(data);
    let (p1, p2) = cumulative(&norm);
    let (first, last) = candidate_bounds(&p1, &p2);
    let mut threshold = -1;
    let mut min_ent = f64::MAX;
    for it in first..=last {
        let mut ent_back = 0.0;
        let term = 0.5 / p1[it];
        for value in 1..=it {
            ent_back -= norm[value] * (1.0 - term * p1[value - 1]).ln();
        }
        ent_back *= term;
        let mut ent_obj = 0.0;
        let term = 0.5 / p2[it];
        for value in it + 1..256 {
            ent_obj -= norm[value] * (1.0 - term * p2[value]).ln();
        }
        ent_obj *= term;
        let total = (ent_back - ent_obj).abs();
        if total < min_ent {
            min_ent = total;
            threshold = it as i32;
        }
    }
    threshold
}

/// Yen, Chang & Chang's maximum correlation criterion (`Yen`).
pub(super) fn yen(data: &[i32; 256]) -> i32 {
    let norm = java::normalised(data);
    let (p1, _) = cumulative(&norm);
    let mut p1_sq = [0.0; 256];
    p1_sq[0] = norm[0] * norm[0];
    for value in 1..256 {
        p1_sq[value] = p1_sq[value - 1] + norm[value] * norm[value];
    }
    let mut p2_sq = [0.0; 256];
    for value in (0..255).rev() {
        p2_sq[value] = p2_sq[value + 1] + norm[value + 1] * norm[value + 1];
    }
    let mut threshold = -1;
    let mut max_crit = DOUBLE_MIN_VALUE;
    for it in 0..256 {
        let squares = p1_sq[it] * p2_sq[it];
        let spread = p1[it] * (1.0 - p1[it]);
        // ImageJ writes −1.0 · (…), which is the same double as the negation.
        let crit = -(if squares > 0.0 { squares.ln() } else { 0.0 })
            + 2.0 * if spread > 0.0 { spread.ln() } else { 0.0 };
        if crit > max_crit {
            max_crit = crit;
            threshold = it as i32;
        }
    }
    threshold
}
