//! The few Java semantics the ImageJ threshold methods depend on, spelled out once.

/// Java's `Double.MIN_VALUE`: the smallest POSITIVE double (a subnormal), not the most negative
/// one. MaxEntropy and Yen start their search for a maximum from it, so a criterion that is
/// never positive leaves the level at −1.
pub(super) const DOUBLE_MIN_VALUE: f64 = 4.9e-324;

/// `DBL_EPSILON` as the ImageJ sources spell it (`2.220446049250313E-16`).
pub(super) const DBL_EPSILON: f64 = 2.220446049250313e-16;

/// Java's `Math.round(double)` as an `int` comparison operand: the closest integer, ties towards
/// positive infinity, NaN → 0, saturating at the `long` range.
pub(super) fn round(value: f64) -> i64 {
    if value.is_nan() {
        return 0;
    }
    let floor = value.floor();
    // value − floor is exact for every double, so the tie test is exact too.
    let rounded = if value - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    };
    rounded as i64
}

/// The grey values as doubles, `data[i] / total` (Java: `int / double`).
pub(super) fn normalised(data: &[i32; 256]) -> [f64; 256] {
    let total: f64 = data.iter().fold(0.0, |sum, &count| sum + f64::from(count));
    data.map(|count| f64::from(count) / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_matches_java() {
        assert_eq!(round(2.5), 3);
        assert_eq!(round(-2.5), -2);
        assert_eq!(round(0.49999999999999994), 0);
        assert_eq!(round(f64::NAN), 0);
        assert_eq!(round(-0.4), 0);
    }

    #[test]
    fn min_value_is_the_smallest_positive_double() {
        assert_eq!(DOUBLE_MIN_VALUE, f64::from_bits(1));
    }
}
