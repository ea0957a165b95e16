//! Multi-layer perceptron with a softmax output, trained like scikit-learn's `MLPClassifier`
//! (`solver="adam"`): Glorot-uniform initial weights, mini-batches in a fresh random order each
//! epoch, Adam steps (Kingma and Ba 2015) on the weighted cross-entropy plus
//! `alpha / 2 * ||W||^2 / batch_rows`, and early stopping: a stratified validation split is
//! held out, and training stops when its loss has not improved by `tolerance` for `patience`
//! epochs; the weights of the best epoch are kept.
//!
//! Training is sequential (each step depends on the last), so it is deterministic by nature.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::{is_positive, softmax_rows, ClassWeight, TrainingData};
use crate::classify::rng::Rng;

/// Hidden-unit nonlinearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// Hyperbolic tangent.
    Tanh,
    /// 1 / (1 + e^-x).
    Logistic,
}

impl Activation {
    fn apply(self, values: &mut Array2<f64>) {
        match self {
            Activation::Relu => values.mapv_inplace(|v| v.max(0.0)),
            Activation::Tanh => values.mapv_inplace(f64::tanh),
            Activation::Logistic => values.mapv_inplace(|v| 1.0 / (1.0 + (-v).exp())),
        }
    }

    /// Multiplies `delta` by the derivative, given the activated values.
    fn backward(self, activated: &Array2<f64>, delta: &mut Array2<f64>) {
        ndarray::Zip::from(delta).and(activated).for_each(|d, &a| {
            *d *= match self {
                Activation::Relu => f64::from(u8::from(a > 0.0)),
                Activation::Tanh => 1.0 - a * a,
                Activation::Logistic => a * (1.0 - a),
            }
        });
    }
}

/// Settings of the perceptron.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpParams {
    /// Units of each hidden layer.
    pub hidden_layers: Vec<usize>,
    /// Hidden-unit nonlinearity.
    pub activation: Activation,
    /// Adam step size.
    pub learning_rate: f64,
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// L2 penalty on the weights.
    pub alpha: f64,
    /// Most passes over the training rows.
    pub epochs: usize,
    /// Fraction of rows held out (stratified) for early stopping; 0 trains on all rows for
    /// `epochs` passes.
    pub validation_fraction: f64,
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// Smallest validation-loss decrease that counts as improvement.
    pub tolerance: f64,
    /// Class weighting.
    pub class_weight: ClassWeight,
}

impl Default for MlpParams {
    fn default() -> Self {
        MlpParams {
            hidden_layers: vec![100],
            activation: Activation::Relu,
            learning_rate: 0.001,
            batch_size: 200,
            alpha: 0.0001,
            epochs: 500,
            validation_fraction: 0.1,
            patience: 20,
            tolerance: 1e-4,
            class_weight: ClassWeight::None,
        }
    }
}

impl MlpParams {
    pub(crate) fn problem(&self) -> Option<String> {
        if self.hidden_layers.contains(&0) {
            return Some("hidden layers need at least one unit".to_string());
        }
        if !is_positive(self.learning_rate)
            || self.alpha.is_nan()
            || self.alpha < 0.0
            || self.batch_size == 0
            || self.epochs == 0
        {
            return Some(
                "learning_rate > 0, alpha >= 0, batch_size >= 1 and epochs >= 1".to_string(),
            );
        }
        if !(0.0..0.5).contains(&self.validation_fraction) {
            return Some("validation_fraction must be in [0, 0.5)".to_string());
        }
        None
    }
}

/// One dense layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// `weights[input][output]`.
    pub weights: Vec<Vec<f64>>,
    /// Bias of each output.
    pub biases: Vec<f64>,
}

/// A fitted perceptron on standardised features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    /// Hidden-unit nonlinearity.
    pub activation: Activation,
    /// Layers from input to output.
    pub layers: Vec<Layer>,
    /// Epochs trained (including the ones after the best).
    pub epochs_run: usize,
}

/// Weights as matrices while training.
#[derive(Clone)]
struct Network {
    weights: Vec<Array2<f64>>,
    biases: Vec<Array1<f64>>,
}

impl Network {
    fn glorot(sizes: &[usize], activation: Activation, rng: &mut Rng) -> Network {
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for pair in sizes.windows(2) {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let factor = if activation == Activation::Logistic {
                2.0
            } else {
                6.0
            };
            let bound = (factor / (fan_in + fan_out) as f64).sqrt();
            weights.push(Array2::from_shape_simple_fn((fan_in, fan_out), || {
                rng.uniform(-bound, bound)
            }));
            biases.push(Array1::from_shape_simple_fn(fan_out, || {
                rng.uniform(-bound, bound)
            }));
        }
        Network { weights, biases }
    }

    /// Activations of every layer (the last one softmaxed).
    fn forward(&self, x: ArrayView2<f64>, activation: Activation) -> Vec<Array2<f64>> {
        let mut outputs: Vec<Array2<f64>> = Vec::with_capacity(self.weights.len());
        for (l, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let mut z = match outputs.last() {
                Some(previous) => previous.dot(w) + b,
                None => x.dot(w) + b,
            };
            if l + 1 < self.weights.len() {
                activation.apply(&mut z);
            } else {
                softmax_rows(&mut z);
            }
            outputs.push(z);
        }
        outputs
    }

    fn squared_norm(&self) -> f64 {
        self.weights
            .iter()
            .map(|w| w.iter().map(|v| v * v).sum::<f64>())
            .sum()
    }
}

/// Weighted mean cross-entropy of `probabilities` for classes `y`.
fn cross_entropy(probabilities: &Array2<f64>, y: &[usize], weights: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    let loss: f64 = y
        .iter()
        .zip(weights)
        .enumerate()
        .map(|(i, (&c, &w))| -w * probabilities[[i, c]].max(1e-300).ln())
        .sum();
    loss / total.max(f64::MIN_POSITIVE)
}

/// Adam's running moments for every parameter array.
struct Adam {
    step: i32,
    first: Network,
    second: Network,
}

impl Adam {
    fn new(shape: &Network) -> Adam {
        let zeros = Network {
            weights: shape
                .weights
                .iter()
                .map(|w| Array2::zeros(w.raw_dim()))
                .collect(),
            biases: shape
                .biases
                .iter()
                .map(|b| Array1::zeros(b.raw_dim()))
                .collect(),
        };
        Adam {
            step: 0,
            first: zeros.clone(),
            second: zeros,
        }
    }

    fn update(&mut self, network: &mut Network, gradient: &Network, learning_rate: f64) {
        const BETA1: f64 = 0.9;
        const BETA2: f64 = 0.999;
        const EPSILON: f64 = 1e-8;
        self.step += 1;
        let rate =
            learning_rate * (1.0 - BETA2.powi(self.step)).sqrt() / (1.0 - BETA1.powi(self.step));
        let step = |param: &mut f64, m: &mut f64, v: &mut f64, g: f64| {
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *v = BETA2 * *v + (1.0 - BETA2) * g * g;
            *param -= rate * *m / (v.sqrt() + EPSILON);
        };
        for l in 0..network.weights.len() {
            ndarray::Zip::from(&mut network.weights[l])
                .and(&mut self.first.weights[l])
                .and(&mut self.second.weights[l])
                .and(&gradient.weights[l])
                .for_each(|p, m, v, &g| step(p, m, v, g));
            ndarray::Zip::from(&mut network.biases[l])
                .and(&mut self.first.biases[l])
                .and(&mut self.second.biases[l])
                .and(&gradient.biases[l])
                .for_each(|p, m, v, &g| step(p, m, v, g));
        }
    }
}

/// Rows held out for validation: the same fraction of every class, chosen at random.
fn stratified_holdout(y: &[usize], classes: usize, fraction: f64, rng: &mut Rng) -> Vec<bool> {
    let mut held_out = vec![false; y.len()];
    if fraction <= 0.0 {
        return held_out;
    }
    for c in 0..classes {
        let mut members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        rng.shuffle(&mut members);
        let take = (fraction * members.len() as f64).round() as usize;
        // Keep at least one training row of every class.
        for &i in members
            .iter()
            .take(take.min(members.len().saturating_sub(1)))
        {
            held_out[i] = true;
        }
    }
    held_out
}

impl Mlp {
    /// Fits the perceptron.
    pub fn fit(params: &MlpParams, data: TrainingData, seed: u64) -> Mlp {
        let mut rng = Rng::new(seed);
        let d = data.x.ncols();
        let mut sizes = vec![d];
        sizes.extend(&params.hidden_layers);
        sizes.push(data.classes);
        let mut network = Network::glorot(&sizes, params.activation, &mut rng);

        let held_out =
            stratified_holdout(data.y, data.classes, params.validation_fraction, &mut rng);
        let train: Vec<usize> = (0..data.y.len()).filter(|&i| !held_out[i]).collect();
        let valid: Vec<usize> = (0..data.y.len()).filter(|&i| held_out[i]).collect();
        let valid_x = data.x.select(Axis(0), &valid);
        let valid_y: Vec<usize> = valid.iter().map(|&i| data.y[i]).collect();
        let valid_w: Vec<f64> = valid.iter().map(|&i| data.weights[i]).collect();

        let mut adam = Adam::new(&network);
        let mut order = train.clone();
        let batch_size = params.batch_size.min(train.len()).max(1);
        let mut best = (f64::INFINITY, network.clone());
        let mut stale = 0;
        let mut epochs_run = 0;
        for _ in 0..params.epochs {
            epochs_run += 1;
            rng.shuffle(&mut order);
            let mut epoch_loss = 0.0;
            for batch in order.chunks(batch_size) {
                epoch_loss += Mlp::step(params, &mut network, &mut adam, data, batch);
            }
            // The score that decides when to stop: validation loss, or the training loss
            // when nothing is held out.
            let score = if valid.is_empty() {
                epoch_loss / order.len().div_ceil(batch_size) as f64
            } else {
                let outputs = network.forward(valid_x.view(), params.activation);
                cross_entropy(outputs.last().expect("layers"), &valid_y, &valid_w)
            };
            if !score.is_finite() {
                break;
            }
            if score < best.0 - params.tolerance {
                stale = 0;
            } else {
                stale += 1;
            }
            if score < best.0 {
                best = (score, network.clone());
            }
            if stale >= params.patience {
                break;
            }
        }
        let network = if valid.is_empty() { network } else { best.1 };
        Mlp {
            activation: params.activation,
            layers: network
                .weights
                .iter()
                .zip(&network.biases)
                .map(|(w, b)| Layer {
                    weights: w.outer_iter().map(|row| row.to_vec()).collect(),
                    biases: b.to_vec(),
                })
                .collect(),
            epochs_run,
        }
    }

    /// One Adam step on `batch`; returns the batch loss.
    fn step(
        params: &MlpParams,
        network: &mut Network,
        adam: &mut Adam,
        data: TrainingData,
        batch: &[usize],
    ) -> f64 {
        let x = data.x.select(Axis(0), batch);
        let y: Vec<usize> = batch.iter().map(|&i| data.y[i]).collect();
        let w: Vec<f64> = batch.iter().map(|&i| data.weights[i]).collect();
        let rows = batch.len() as f64;
        let outputs = network.forward(x.view(), params.activation);
        let probabilities = outputs.last().expect("layers");
        let loss = y
            .iter()
            .zip(&w)
            .enumerate()
            .map(|(i, (&c, &wi))| -wi * probabilities[[i, c]].max(1e-300).ln())
            .sum::<f64>()
            / rows
            + 0.5 * params.alpha * network.squared_norm() / rows;
        // d(loss)/d(output scores) = w_i (p_i - onehot_i) / rows
        let mut delta = probabilities.clone();
        for (i, &c) in y.iter().enumerate() {
            delta[[i, c]] -= 1.0;
            delta.row_mut(i).mapv_inplace(|v| v * w[i] / rows);
        }
        let layers = network.weights.len();
        let mut gradient = Network {
            weights: Vec::with_capacity(layers),
            biases: Vec::with_capacity(layers),
        };
        for l in (0..layers).rev() {
            let input = if l == 0 {
                x.view()
            } else {
                outputs[l - 1].view()
            };
            let mut gw = input.t().dot(&delta);
            gw.scaled_add(params.alpha / rows, &network.weights[l]);
            gradient.weights.push(gw);
            gradient.biases.push(delta.sum_axis(Axis(0)));
            if l > 0 {
                let mut next = delta.dot(&network.weights[l].t());
                params.activation.backward(&outputs[l - 1], &mut next);
                delta = next;
            }
        }
        gradient.weights.reverse();
        gradient.biases.reverse();
        adam.update(network, &gradient, params.learning_rate);
        loss
    }

    /// Class probabilities of standardised rows.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let network = Network {
            weights: self
                .layers
                .iter()
                .map(|layer| {
                    let rows = layer.weights.len();
                    let cols = layer.biases.len();
                    Array2::from_shape_fn((rows, cols), |(i, j)| layer.weights[i][j])
                })
                .collect(),
            biases: self
                .layers
                .iter()
                .map(|l| Array1::from(l.biases.clone()))
                .collect(),
        };
        let mut outputs = network.forward(x, self.activation);
        outputs
            .pop()
            .unwrap_or_else(|| Array2::zeros((x.nrows(), 0)))
    }

    pub(crate) fn check_shape(&self, features: usize, classes: usize) -> Result<(), String> {
        let mut inputs = features;
        for layer in &self.layers {
            let outputs = layer.biases.len();
            if layer.weights.len() != inputs || layer.weights.iter().any(|r| r.len() != outputs) {
                return Err("perceptron layer sizes do not chain".to_string());
            }
            inputs = outputs;
        }
        if self.layers.is_empty() || inputs != classes {
            return Err(format!("the perceptron does not end in {classes} outputs"));
        }
        Ok(())
    }
}
