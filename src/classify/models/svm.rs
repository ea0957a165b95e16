//! Support vector machine with the RBF kernel `K(x, z) = exp(-gamma * |x - z|^2)`, as libsvm
//! (and scikit-learn's `SVC`) trains it:
//!
//! * one binary C-SVM per pair of classes (one-against-one), the class weight scaling `C` of
//!   each row;
//! * each dual problem solved by SMO with second-order working-set selection (Fan, Chen and
//!   Lin, JMLR 6, 2005) over kernel rows kept in a bounded cache;
//! * prediction by majority vote of the pairs (ties go to the lower class index);
//! * probabilities: a Platt sigmoid per pair (fitted by the Newton method of Lin, Lin and Weng,
//!   Machine Learning 68, 2007, on the training decision values), coupled into class
//!   probabilities by the second method of Wu, Lin and Weng (JMLR 5, 2004).
//!
//! The pairs are solved in parallel; each is a deterministic function of its rows, so the
//! model does not depend on the number of threads.

use std::collections::VecDeque;
use std::rc::Rc;

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{is_positive, map_rows, ClassWeight, TrainingData};

/// The kernel width.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Gamma {
    /// A fixed value.
    Value(f64),
    /// A rule: see [`GammaRule`].
    Rule(GammaRule),
}

/// Named rules for [`Gamma`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GammaRule {
    /// `1 / (features * variance of all standardised training values)` (scikit-learn's
    /// default, about `1 / features` after standardisation).
    Scale,
    /// `1 / features`.
    Auto,
}

/// Settings of the SVM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SvmParams {
    /// Penalty of margin violations.
    pub c: f64,
    /// Kernel width.
    pub gamma: Gamma,
    /// Class weighting (scales `c` per class).
    pub class_weight: ClassWeight,
    /// Stopping tolerance on the maximal KKT violation (libsvm's `eps`).
    pub tolerance: f64,
    /// Kernel cache per pair of classes, in MiB.
    pub cache_mb: usize,
    /// Most SMO iterations per pair.
    pub max_iterations: usize,
}

impl Default for SvmParams {
    fn default() -> Self {
        SvmParams {
            c: 10.0,
            gamma: Gamma::Rule(GammaRule::Scale),
            class_weight: ClassWeight::None,
            tolerance: 1e-3,
            cache_mb: 200,
            max_iterations: 10_000_000,
        }
    }
}

impl SvmParams {
    pub(crate) fn problem(&self) -> Option<String> {
        if !(self.c > 0.0 && self.c.is_finite()) {
            return Some(format!("c must be a positive number, not {}", self.c));
        }
        if let Gamma::Value(g) = self.gamma {
            if !(g > 0.0 && g.is_finite()) {
                return Some(format!("gamma must be positive, not {g}"));
            }
        }
        if !is_positive(self.tolerance) || self.max_iterations == 0 {
            return Some("tolerance > 0 and max_iterations >= 1".to_string());
        }
        None
    }
}

/// The binary machine separating `positive` from `negative`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairMachine {
    /// Class scored +1.
    pub positive: usize,
    /// Class scored -1.
    pub negative: usize,
    /// Indices into [`Svm::support_vectors`].
    pub support: Vec<u32>,
    /// `alpha_i * y_i` of each support vector.
    pub coefficients: Vec<f64>,
    /// Offset: decision = sum coefficient * K - rho.
    pub rho: f64,
    /// Platt sigmoid: P(positive) = 1 / (1 + exp(a * decision + b)).
    pub platt_a: f64,
    /// See `platt_a`.
    pub platt_b: f64,
}

/// A fitted SVM on standardised features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Svm {
    /// Kernel width used.
    pub gamma: f64,
    /// Number of classes.
    pub classes: usize,
    /// Support vectors of all pairs (standardised rows).
    pub support_vectors: Vec<Vec<f64>>,
    /// One machine per pair of classes.
    pub pairs: Vec<PairMachine>,
}

/// `|a - b|^2`, summed in four interleaved lanes so the compiler can vectorise it (the order
/// of additions is fixed, so the result is the same on every run).
fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let (a_chunks, b_chunks) = (a.chunks_exact(4), b.chunks_exact(4));
    let (a_rest, b_rest) = (a_chunks.remainder(), b_chunks.remainder());
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..4 {
            let d = x[lane] - y[lane];
            lanes[lane] += d * d;
        }
    }
    let mut sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (x, y) in a_rest.iter().zip(b_rest) {
        sum += (x - y) * (x - y);
    }
    sum
}

fn rbf(a: &[f64], b: &[f64], gamma: f64) -> f64 {
    (-gamma * squared_distance(a, b)).exp()
}

/// Kernel rows of one binary problem, computed on demand and kept up to a byte budget
/// (oldest evicted first).
struct KernelRows<'a> {
    rows: Vec<&'a [f64]>,
    gamma: f64,
    cached: Vec<Option<Rc<[f64]>>>,
    order: VecDeque<usize>,
    capacity: usize,
}

impl<'a> KernelRows<'a> {
    fn new(rows: Vec<&'a [f64]>, gamma: f64, cache_mb: usize) -> KernelRows<'a> {
        let n = rows.len();
        let capacity = ((cache_mb << 20) / (8 * n.max(1))).max(2);
        KernelRows {
            rows,
            gamma,
            cached: vec![None; n],
            order: VecDeque::new(),
            capacity,
        }
    }

    fn row(&mut self, i: usize) -> Rc<[f64]> {
        if let Some(row) = &self.cached[i] {
            return Rc::clone(row);
        }
        let xi = self.rows[i];
        let row: Rc<[f64]> = self.rows.iter().map(|xj| rbf(xi, xj, self.gamma)).collect();
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.cached[old] = None;
            }
        }
        self.cached[i] = Some(Rc::clone(&row));
        self.order.push_back(i);
        row
    }
}

/// The solved dual of one binary problem.
struct Solution {
    alpha: Vec<f64>,
    /// Decision value of every training row of the problem.
    decision: Vec<f64>,
    rho: f64,
}

/// SMO for `min 1/2 a'Qa - e'a`, `0 <= a_i <= upper_i`, `y'a = 0`, with `Q_ij = y_i y_j K_ij`.
///
/// The loop keeps `v_t = -y_t G_t` (G the gradient) rather than G: selection compares `v`
/// directly, and an update of alpha_i and alpha_j changes every `v_t` by
/// `-(K_it y_i d_i + K_jt y_j d_j)`, a plain multiply-add over the kernel rows that is kept
/// exact for every row. Shrinking (Joachims 1999; libsvm's rule) restricts only the search for
/// the working pair to the active rows: every `min(n, 1000)` iterations, rows at a bound whose
/// `v` lies beyond the current extremes leave the search; when the active rows look optimal,
/// every row returns, so the stopping test always covers all rows.
fn solve(
    kernel: &mut KernelRows,
    y: &[f64],
    upper: &[f64],
    tolerance: f64,
    max_iterations: usize,
) -> Solution {
    let n = y.len();
    let mut alpha = vec![0.0; n];
    // G = -1 initially, so v = -y G = y.
    let mut v: Vec<f64> = y.to_vec();
    const TAU: f64 = 1e-12;
    // May alpha_t move so that y_t alpha_t grows (rises) or shrinks (falls)?
    let can_rise = |a: f64, t: usize| if y[t] > 0.0 { a < upper[t] } else { a > 0.0 };
    let can_fall = |a: f64, t: usize| if y[t] > 0.0 { a > 0.0 } else { a < upper[t] };
    let mut rises: Vec<bool> = (0..n).map(|t| can_rise(0.0, t)).collect();
    let mut falls: Vec<bool> = (0..n).map(|t| can_fall(0.0, t)).collect();
    let all: Vec<usize> = (0..n).collect();
    let mut active = all.clone();
    let shrink_interval = n.clamp(1, 1000);
    let mut countdown = shrink_interval;
    let mut unshrunk = false;
    // The working pair among `rows`: `None` when they satisfy the stopping test.
    let select =
        |rows: &[usize], v: &[f64], rises: &[bool], falls: &[bool], kernel: &mut KernelRows| {
            // First index: largest v among rows that may rise.
            let mut g_max = f64::NEG_INFINITY;
            let mut i = usize::MAX;
            for &t in rows {
                if rises[t] && v[t] >= g_max {
                    g_max = v[t];
                    i = t;
                }
            }
            if i == usize::MAX {
                return None;
            }
            let k_i = kernel.row(i);
            // Second index: largest decrease of the objective (second-order information).
            let mut g_max2 = f64::NEG_INFINITY;
            let mut j = usize::MAX;
            let mut best_decrease = f64::INFINITY;
            for &t in rows {
                if !falls[t] {
                    continue;
                }
                let value = v[t];
                g_max2 = g_max2.max(-value);
                let difference = g_max - value;
                if difference > 0.0 {
                    // K_ii + K_tt - 2 K_it with K_ii = K_tt = 1 for the RBF kernel.
                    let curvature = (2.0 - 2.0 * k_i[t]).max(TAU);
                    let decrease = -difference * difference / curvature;
                    if decrease <= best_decrease {
                        best_decrease = decrease;
                        j = t;
                    }
                }
            }
            if g_max + g_max2 < tolerance || j == usize::MAX {
                None
            } else {
                Some((i, j, k_i))
            }
        };
    for _ in 0..max_iterations {
        countdown -= 1;
        if countdown == 0 {
            countdown = shrink_interval;
            let g_max = active
                .iter()
                .filter(|&&t| rises[t])
                .map(|&t| v[t])
                .fold(f64::NEG_INFINITY, f64::max);
            let g_max2 = active
                .iter()
                .filter(|&&t| falls[t])
                .map(|&t| -v[t])
                .fold(f64::NEG_INFINITY, f64::max);
            if !unshrunk && g_max + g_max2 <= 10.0 * tolerance {
                unshrunk = true;
                active.clone_from(&all);
            }
            active.retain(|&t| {
                let stuck_high = falls[t] && !rises[t] && v[t] > g_max;
                let stuck_low = rises[t] && !falls[t] && v[t] < -g_max2;
                !(stuck_high || stuck_low)
            });
        }
        let pair = match select(&active, &v, &rises, &falls, kernel) {
            Some(pair) => pair,
            None if active.len() < n => {
                // Optimal on the active rows: the stopping test must hold for all of them.
                active.clone_from(&all);
                match select(&active, &v, &rises, &falls, kernel) {
                    Some(pair) => {
                        countdown = 1;
                        pair
                    }
                    None => break,
                }
            }
            None => break,
        };
        let (i, j, k_i) = pair;
        let k_j = kernel.row(j);
        let (old_i, old_j) = (alpha[i], alpha[j]);
        let q_ij = y[i] * y[j] * k_i[j];
        // Gradients of the pair: G = -y v.
        let (g_i, g_j) = (-y[i] * v[i], -y[j] * v[j]);
        if y[i] != y[j] {
            let curvature = (2.0 + 2.0 * q_ij).max(TAU);
            let delta = (-g_i - g_j) / curvature;
            let difference = alpha[i] - alpha[j];
            alpha[i] += delta;
            alpha[j] += delta;
            if difference > 0.0 {
                if alpha[j] < 0.0 {
                    alpha[j] = 0.0;
                    alpha[i] = difference;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = -difference;
            }
            if difference > upper[i] - upper[j] {
                if alpha[i] > upper[i] {
                    alpha[i] = upper[i];
                    alpha[j] = upper[i] - difference;
                }
            } else if alpha[j] > upper[j] {
                alpha[j] = upper[j];
                alpha[i] = upper[j] + difference;
            }
        } else {
            let curvature = (2.0 - 2.0 * q_ij).max(TAU);
            let delta = (g_i - g_j) / curvature;
            let sum = alpha[i] + alpha[j];
            alpha[i] -= delta;
            alpha[j] += delta;
            if sum > upper[i] {
                if alpha[i] > upper[i] {
                    alpha[i] = upper[i];
                    alpha[j] = sum - upper[i];
                }
            } else if alpha[j] < 0.0 {
                alpha[j] = 0.0;
                alpha[i] = sum;
            }
            if sum > upper[j] {
                if alpha[j] > upper[j] {
                    alpha[j] = upper[j];
                    alpha[i] = sum - upper[j];
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = sum;
            }
        }
        for t in [i, j] {
            rises[t] = can_rise(alpha[t], t);
            falls[t] = can_fall(alpha[t], t);
        }
        let step_i = y[i] * (alpha[i] - old_i);
        let step_j = y[j] * (alpha[j] - old_j);
        for ((value, &k_it), &k_jt) in v.iter_mut().zip(k_i.iter()).zip(k_j.iter()) {
            *value -= k_it * step_i + k_jt * step_j;
        }
    }
    let gradient: Vec<f64> = v.iter().zip(y).map(|(value, yt)| -yt * value).collect();
    let is_upper = |a: f64, t: usize| a >= upper[t];
    let is_lower = |a: f64| a <= 0.0;
    // Offset: mean of y G over free vectors, else the middle of the feasible interval.
    let (mut upper_bound, mut lower_bound) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut free, mut free_sum) = (0usize, 0.0);
    for t in 0..n {
        let yg = y[t] * gradient[t];
        if is_upper(alpha[t], t) {
            if y[t] < 0.0 {
                upper_bound = upper_bound.min(yg);
            } else {
                lower_bound = lower_bound.max(yg);
            }
        } else if is_lower(alpha[t]) {
            if y[t] > 0.0 {
                upper_bound = upper_bound.min(yg);
            } else {
                lower_bound = lower_bound.max(yg);
            }
        } else {
            free += 1;
            free_sum += yg;
        }
    }
    let rho = if free > 0 {
        free_sum / free as f64
    } else {
        (upper_bound + lower_bound) / 2.0
    };
    // Decision of training row t: sum_s alpha_s y_s K_ts - rho = y_t (G_t + 1) - rho.
    let decision = (0..n).map(|t| y[t] * (gradient[t] + 1.0) - rho).collect();
    Solution {
        alpha,
        decision,
        rho,
    }
}

/// A solved pair before support vectors are pooled: row indices of its support vectors and
/// their coefficients.
struct SolvedPair {
    support: Vec<usize>,
    coefficients: Vec<f64>,
    rho: f64,
    platt_a: f64,
    platt_b: f64,
}

/// Platt's sigmoid parameters (a, b) for decision values and ±1 labels.
fn platt(decision: &[f64], y: &[f64]) -> (f64, f64) {
    let positives = y.iter().filter(|&&v| v > 0.0).count() as f64;
    let negatives = y.len() as f64 - positives;
    let high = (positives + 1.0) / (positives + 2.0);
    let low = 1.0 / (negatives + 2.0);
    let targets: Vec<f64> = y
        .iter()
        .map(|&v| if v > 0.0 { high } else { low })
        .collect();
    let objective = |a: f64, b: f64| -> f64 {
        decision
            .iter()
            .zip(&targets)
            .map(|(&f, &t)| {
                let z = f * a + b;
                if z >= 0.0 {
                    t * z + (-z).exp().ln_1p()
                } else {
                    (t - 1.0) * z + z.exp().ln_1p()
                }
            })
            .sum()
    };
    let (mut a, mut b) = (0.0, ((negatives + 1.0) / (positives + 1.0)).ln());
    let mut value = objective(a, b);
    for _ in 0..100 {
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (1e-12, 1e-12, 0.0, 0.0, 0.0);
        for (&f, &t) in decision.iter().zip(&targets) {
            let z = f * a + b;
            let (p, q) = if z >= 0.0 {
                let e = (-z).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = z.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let d2 = p * q;
            h11 += f * f * d2;
            h22 += d2;
            h21 += f * d2;
            let d1 = t - p;
            g1 += f * d1;
            g2 += d1;
        }
        if g1.abs() < 1e-5 && g2.abs() < 1e-5 {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let slope = g1 * da + g2 * db;
        let mut step = 1.0;
        while step >= 1e-10 {
            let (new_a, new_b) = (a + step * da, b + step * db);
            let new_value = objective(new_a, new_b);
            if new_value < value + 1e-4 * step * slope {
                (a, b, value) = (new_a, new_b, new_value);
                break;
            }
            step /= 2.0;
        }
        if step < 1e-10 {
            break;
        }
    }
    (a, b)
}

fn sigmoid_probability(decision: f64, a: f64, b: f64) -> f64 {
    let z = decision * a + b;
    if z >= 0.0 {
        (-z).exp() / (1.0 + (-z).exp())
    } else {
        1.0 / (1.0 + z.exp())
    }
}

/// Class probabilities from pairwise ones: `r[i][j]` = P(i | i or j).
fn couple(r: &[Vec<f64>]) -> Vec<f64> {
    let k = r.len();
    let mut q = vec![vec![0.0; k]; k];
    for t in 0..k {
        for j in 0..k {
            if j != t {
                q[t][t] += r[j][t] * r[j][t];
                q[t][j] = -r[j][t] * r[t][j];
            }
        }
    }
    let mut p = vec![1.0 / k as f64; k];
    let mut qp = vec![0.0; k];
    let epsilon = 0.005 / k as f64;
    for _ in 0..100.max(k) {
        let mut pqp = 0.0;
        for t in 0..k {
            qp[t] = (0..k).map(|j| q[t][j] * p[j]).sum();
            pqp += p[t] * qp[t];
        }
        let max_error = qp.iter().map(|v| (v - pqp).abs()).fold(0.0, f64::max);
        if max_error < epsilon {
            break;
        }
        for t in 0..k {
            let difference = (-qp[t] + pqp) / q[t][t];
            p[t] += difference;
            pqp = (pqp + difference * (difference * q[t][t] + 2.0 * qp[t]))
                / (1.0 + difference)
                / (1.0 + difference);
            for j in 0..k {
                qp[j] = (qp[j] + difference * q[t][j]) / (1.0 + difference);
                p[j] /= 1.0 + difference;
            }
        }
    }
    p
}

impl Svm {
    /// Fits one machine per pair of classes.
    pub fn fit(params: &SvmParams, data: TrainingData) -> Svm {
        let (n, d) = data.x.dim();
        let k = data.classes;
        let gamma = match params.gamma {
            Gamma::Value(g) => g,
            Gamma::Rule(GammaRule::Auto) => 1.0 / d as f64,
            Gamma::Rule(GammaRule::Scale) => {
                let count = (n * d) as f64;
                let mean = data.x.iter().sum::<f64>() / count;
                let variance = data.x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / count;
                if variance > 0.0 {
                    1.0 / (d as f64 * variance)
                } else {
                    1.0
                }
            }
        };
        let x = data.x.as_standard_layout().into_owned();
        let members: Vec<Vec<usize>> = (0..k)
            .map(|c| (0..n).filter(|&i| data.y[i] == c).collect())
            .collect();
        let pairs: Vec<(usize, usize)> = (0..k)
            .flat_map(|a| (a + 1..k).map(move |b| (a, b)))
            .filter(|&(a, b)| !members[a].is_empty() && !members[b].is_empty())
            .collect();
        let solved: Vec<SolvedPair> = pairs
            .par_iter()
            .map(|&(a, b)| {
                let indices: Vec<usize> = members[a].iter().chain(&members[b]).copied().collect();
                let y: Vec<f64> = indices
                    .iter()
                    .map(|&i| if data.y[i] == a { 1.0 } else { -1.0 })
                    .collect();
                let upper: Vec<f64> = indices
                    .iter()
                    .map(|&i| params.c * data.weights[i])
                    .collect();
                let pair_rows: Vec<&[f64]> = indices
                    .iter()
                    .map(|&i| x.row(i).to_slice().expect("standard layout"))
                    .collect();
                let mut kernel = KernelRows::new(pair_rows, gamma, params.cache_mb);
                let solution = solve(
                    &mut kernel,
                    &y,
                    &upper,
                    params.tolerance,
                    params.max_iterations,
                );
                let (platt_a, platt_b) = platt(&solution.decision, &y);
                let (support, coefficients): (Vec<usize>, Vec<f64>) = indices
                    .iter()
                    .zip(&solution.alpha)
                    .zip(&y)
                    .filter(|((_, &alpha), _)| alpha > 0.0)
                    .map(|((&i, &alpha), &yi)| (i, alpha * yi))
                    .unzip();
                SolvedPair {
                    support,
                    coefficients,
                    rho: solution.rho,
                    platt_a,
                    platt_b,
                }
            })
            .collect();
        let mut used: Vec<usize> = solved
            .iter()
            .flat_map(|s| s.support.iter().copied())
            .collect();
        used.sort_unstable();
        used.dedup();
        let machines = pairs
            .iter()
            .zip(solved)
            .map(|(&(a, b), solved)| PairMachine {
                positive: a,
                negative: b,
                support: solved
                    .support
                    .iter()
                    .map(|i| used.binary_search(i).expect("support vector listed") as u32)
                    .collect(),
                coefficients: solved.coefficients,
                rho: solved.rho,
                platt_a: solved.platt_a,
                platt_b: solved.platt_b,
            })
            .collect();
        Svm {
            gamma,
            classes: k,
            support_vectors: used.iter().map(|&i| x.row(i).to_vec()).collect(),
            pairs: machines,
        }
    }

    /// Decision value of every pair for each row: `rows x pairs`.
    fn decisions(&self, x: ArrayView2<f64>) -> Array2<f64> {
        map_rows(x, self.pairs.len(), |row, decisions| {
            let kernel: Vec<f64> = self
                .support_vectors
                .iter()
                .map(|sv| rbf(row, sv, self.gamma))
                .collect();
            for (value, pair) in decisions.iter_mut().zip(&self.pairs) {
                let sum: f64 = pair
                    .support
                    .iter()
                    .zip(&pair.coefficients)
                    .map(|(&s, &c)| c * kernel[s as usize])
                    .sum();
                *value = sum - pair.rho;
            }
        })
    }

    /// Class of each standardised row by one-against-one vote.
    pub fn predict(&self, x: ArrayView2<f64>) -> Vec<usize> {
        let decisions = self.decisions(x);
        decisions
            .axis_iter(Axis(0))
            .map(|row| {
                let mut votes = vec![0u32; self.classes];
                for (value, pair) in row.iter().zip(&self.pairs) {
                    votes[if *value > 0.0 {
                        pair.positive
                    } else {
                        pair.negative
                    }] += 1;
                }
                let mut best = 0;
                for c in 1..self.classes {
                    if votes[c] > votes[best] {
                        best = c;
                    }
                }
                best
            })
            .collect()
    }

    /// Class probabilities of standardised rows.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let decisions = self.decisions(x);
        let k = self.classes;
        let mut out = Array2::zeros((x.nrows(), k));
        for (mut probabilities, row) in out.axis_iter_mut(Axis(0)).zip(decisions.axis_iter(Axis(0)))
        {
            let mut r = vec![vec![0.0; k]; k];
            for (value, pair) in row.iter().zip(&self.pairs) {
                let p =
                    sigmoid_probability(*value, pair.platt_a, pair.platt_b).clamp(1e-7, 1.0 - 1e-7);
                r[pair.positive][pair.negative] = p;
                r[pair.negative][pair.positive] = 1.0 - p;
            }
            let coupled = couple(&r);
            for (target, value) in probabilities.iter_mut().zip(coupled) {
                *target = value;
            }
        }
        out
    }

    pub(crate) fn check_shape(&self, features: usize, classes: usize) -> Result<(), String> {
        let svs = self.support_vectors.len();
        let ok = self.classes == classes
            && self.support_vectors.iter().all(|sv| sv.len() == features)
            && self.pairs.iter().all(|p| {
                p.positive < classes
                    && p.negative < classes
                    && p.support.len() == p.coefficients.len()
                    && p.support.iter().all(|&s| (s as usize) < svs)
            });
        if ok {
            Ok(())
        } else {
            Err(format!(
                "the SVM does not fit {features} features and {classes} classes"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coupling_recovers_consistent_pairwise_probabilities() {
        // True class probabilities p = (0.5, 0.3, 0.2) give r_ij = p_i / (p_i + p_j); the
        // coupling must return p (Wu, Lin and Weng 2004, their equation (4) is solved by it).
        let p = [0.5, 0.3, 0.2];
        let r: Vec<Vec<f64>> = (0..3)
            .map(|i| {
                (0..3)
                    .map(|j| if i == j { 0.0 } else { p[i] / (p[i] + p[j]) })
                    .collect()
            })
            .collect();
        let coupled = couple(&r);
        for (a, b) in coupled.iter().zip(p) {
            assert!((a - b).abs() < 1e-3, "{coupled:?}");
        }
    }

    #[test]
    fn two_points_have_the_textbook_solution() {
        // x = -1 (class +1) and x = +1 (class -1), gamma = 0.5: K12 = exp(-2). The dual
        // optimum is alpha = 2 / (2 - 2 K12) on both (hand-derived: minimise
        // a^2 (1 - K12) - 2a), rho = 0, decisions +1 and -1 at the points.
        let a = [-1.0];
        let b = [1.0];
        let mut kernel = KernelRows::new(vec![&a[..], &b[..]], 0.5, 1);
        let s = solve(&mut kernel, &[1.0, -1.0], &[100.0, 100.0], 1e-9, 1000);
        let expected = 1.0 / (1.0 - (-2.0f64).exp());
        assert!((s.alpha[0] - expected).abs() < 1e-9, "{:?}", s.alpha);
        assert!(s.rho.abs() < 1e-9);
        assert!((s.decision[0] - 1.0).abs() < 1e-9 && (s.decision[1] + 1.0).abs() < 1e-9);
    }
}
