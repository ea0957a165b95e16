//! Multinomial logistic regression with an L2 penalty, as scikit-learn's
//! `LogisticRegression(multi_class="multinomial", penalty="l2", C=...)` defines it: minimise
//! `C * sum_i w_i * crossentropy_i + ||W||^2 / 2` (intercepts unpenalised), here divided by
//! `C * sum_i w_i` so that the tolerance does not depend on the number of rows. Solved with
//! L-BFGS.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::lbfgs::{minimise, LbfgsOptions};
use super::{is_positive, softmax_rows, ClassWeight, TrainingData};

/// Settings of logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticParams {
    /// Inverse L2 strength: larger fits the training data more closely.
    pub c: f64,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// Most L-BFGS iterations.
    pub max_iterations: usize,
    /// Stop when no gradient component exceeds this.
    pub tolerance: f64,
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams {
            c: 1.0,
            class_weight: ClassWeight::None,
            max_iterations: 1000,
            tolerance: 1e-4,
        }
    }
}

impl LogisticParams {
    pub(crate) fn problem(&self) -> Option<String> {
        if !(self.c > 0.0 && self.c.is_finite()) {
            return Some(format!("c must be a positive number, not {}", self.c));
        }
        if !is_positive(self.tolerance) {
            return Some("tolerance must be positive".to_string());
        }
        None
    }
}

/// A fitted multinomial logistic regression on standardised features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    /// Coefficients, one row per class, one column per feature.
    pub coefficients: Vec<Vec<f64>>,
    /// Intercept of each class.
    pub intercepts: Vec<f64>,
}

impl Logistic {
    /// Fits the model.
    pub fn fit(params: &LogisticParams, data: TrainingData) -> Logistic {
        let (n, d) = data.x.dim();
        let k = data.classes;
        let total_weight: f64 = data.weights.iter().sum();
        let penalty = 1.0 / (params.c * total_weight);
        let mut targets = Array2::<f64>::zeros((n, k));
        for (i, &c) in data.y.iter().enumerate() {
            targets[[i, c]] = 1.0;
        }
        let weights = Array1::from(data.weights.to_vec());
        let objective = |theta: &[f64], gradient: &mut [f64]| -> f64 {
            let w = ndarray::ArrayView2::from_shape((d, k), &theta[..d * k]).expect("shape");
            let b = ndarray::ArrayView1::from(&theta[d * k..]);
            let mut scores = data.x.dot(&w) + b;
            let mut loss = 0.0;
            for (i, row) in scores.axis_iter(Axis(0)).enumerate() {
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let log_sum = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                loss += weights[i] * (log_sum - row[data.y[i]]);
            }
            softmax_rows(&mut scores);
            // residual_i = w_i (p_i - t_i) / W
            let mut residual = scores - &targets;
            for (mut row, &wi) in residual.axis_iter_mut(Axis(0)).zip(weights.iter()) {
                row *= wi / total_weight;
            }
            let gradient_w = data.x.t().dot(&residual);
            let gradient_b = residual.sum_axis(Axis(0));
            let mut squared = 0.0;
            for j in 0..d * k {
                gradient[j] =
                    gradient_w.as_slice().expect("standard layout")[j] + penalty * theta[j];
                squared += theta[j] * theta[j];
            }
            for c in 0..k {
                gradient[d * k + c] = gradient_b[c];
            }
            loss / total_weight + 0.5 * penalty * squared
        };
        let options = LbfgsOptions {
            max_iterations: params.max_iterations,
            gradient_tolerance: params.tolerance,
            memory: 10,
        };
        let theta = minimise(vec![0.0; d * k + k], options, objective);
        let coefficients = (0..k)
            .map(|c| (0..d).map(|j| theta[j * k + c]).collect())
            .collect();
        Logistic {
            coefficients,
            intercepts: theta[d * k..].to_vec(),
        }
    }

    /// Class probabilities of standardised rows.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let k = self.intercepts.len();
        let d = x.ncols();
        let w = Array2::from_shape_fn((d, k), |(j, c)| self.coefficients[c][j]);
        let mut scores = x.dot(&w) + &Array1::from(self.intercepts.clone());
        softmax_rows(&mut scores);
        scores
    }

    pub(crate) fn check_shape(&self, features: usize, classes: usize) -> Result<(), String> {
        if self.intercepts.len() != classes
            || self.coefficients.len() != classes
            || self.coefficients.iter().any(|row| row.len() != features)
        {
            return Err(format!(
                "logistic coefficients are not {classes} classes x {features} features"
            ));
        }
        Ok(())
    }
}
