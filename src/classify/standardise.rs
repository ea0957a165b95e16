//! Feature standardisation, part of every model: each feature is centred on its training mean
//! and divided by its training standard deviation (population, as scikit-learn's
//! `StandardScaler`). A constant feature keeps scale 1, so it maps to 0 and never divides by 0.

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Per-feature mean and scale learned from training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    /// Training mean of each feature.
    pub mean: Vec<f64>,
    /// Training standard deviation of each feature (1 for a constant feature).
    pub scale: Vec<f64>,
}

impl Standardiser {
    /// Learns mean and scale from `rows` (one row per sample). Sums run in row order, so the
    /// result does not depend on threads.
    pub fn fit(rows: ArrayView2<f64>) -> Standardiser {
        let n = rows.nrows().max(1) as f64;
        let mean: Vec<f64> = rows
            .axis_iter(Axis(1))
            .map(|column| column.iter().sum::<f64>() / n)
            .collect();
        let scale = rows
            .axis_iter(Axis(1))
            .zip(&mean)
            .map(|(column, &m)| {
                let variance = column.iter().map(|&v| (v - m) * (v - m)).sum::<f64>() / n;
                let deviation = variance.sqrt();
                if deviation > 1e-12 * m.abs().max(1.0) {
                    deviation
                } else {
                    1.0
                }
            })
            .collect();
        Standardiser { mean, scale }
    }

    /// The standardised copy of `rows`.
    pub fn transform(&self, rows: ArrayView2<f64>) -> Array2<f64> {
        let mut out = rows.to_owned();
        for mut row in out.axis_iter_mut(Axis(0)) {
            for ((value, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *value = (*value - m) / s;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_computed_mean_and_population_deviation() {
        // Column 0: 1, 2, 3, 6 -> mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5.
        let rows = array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [6.0, 5.0]];
        let s = Standardiser::fit(rows.view());
        assert_eq!(s.mean, vec![3.0, 5.0]);
        assert!((s.scale[0] - 3.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(s.scale[1], 1.0, "a constant column keeps scale 1");
        let t = s.transform(rows.view());
        assert!((t[[3, 0]] - 3.0 / 3.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(t[[0, 1]], 0.0);
    }
}
