//! Gradient-boosted trees for several classes (Friedman 2001, with the second-order leaf
//! values and histogram split search of LightGBM and scikit-learn's
//! `HistGradientBoostingClassifier`): each round fits one tree per class to the gradient and
//! hessian of the softmax cross-entropy, growing the leaf with the largest gain first up to
//! `max_leaf_nodes` leaves; a leaf's value is `-learning_rate * G / (H + l2)`.
//!
//! The trees of one round are grown in parallel, one per class; each depends only on the
//! round's gradients and on the random stream of `(seed, round, class)`.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::tree::{Binned, Tree};
use super::{in_unit_interval, map_rows, softmax_rows, ClassWeight, TrainingData};
use crate::classify::rng::Rng;

/// Settings of gradient boosting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BoostingParams {
    /// Boosting rounds (one tree per class each).
    pub rounds: usize,
    /// Shrinkage of every leaf value.
    pub learning_rate: f64,
    /// Most leaves per tree.
    pub max_leaf_nodes: usize,
    /// Deepest level of a tree (`null`: limited by `max_leaf_nodes` only).
    pub max_depth: Option<usize>,
    /// Fewest rows in a leaf.
    pub min_samples_leaf: usize,
    /// L2 penalty on leaf values.
    pub l2_regularization: f64,
    /// Fraction of rows drawn (without replacement) for each round.
    pub subsample: f64,
    /// Fraction of features each tree may split on.
    pub feature_fraction: f64,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// Bins per feature for split search (2..=256).
    pub max_bins: usize,
}

impl Default for BoostingParams {
    fn default() -> Self {
        BoostingParams {
            rounds: 200,
            learning_rate: 0.1,
            max_leaf_nodes: 31,
            max_depth: None,
            min_samples_leaf: 20,
            l2_regularization: 0.0,
            subsample: 1.0,
            feature_fraction: 1.0,
            class_weight: ClassWeight::None,
            max_bins: 256,
        }
    }
}

impl BoostingParams {
    pub(crate) fn problem(&self) -> Option<String> {
        if self.rounds == 0 || self.max_leaf_nodes < 2 || self.min_samples_leaf == 0 {
            return Some("rounds >= 1, max_leaf_nodes >= 2 and min_samples_leaf >= 1".to_string());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Some("learning_rate must be positive".to_string());
        }
        if self.l2_regularization.is_nan() || self.l2_regularization < 0.0 {
            return Some("l2_regularization must be >= 0".to_string());
        }
        if !in_unit_interval(self.subsample) || !in_unit_interval(self.feature_fraction) {
            return Some("subsample and feature_fraction must be in (0, 1]".to_string());
        }
        if !(2..=256).contains(&self.max_bins) {
            return Some("max_bins must be between 2 and 256".to_string());
        }
        None
    }
}

/// A fitted boosted ensemble on standardised features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Boosting {
    /// Starting score of each class (log of its weighted frequency).
    pub baseline: Vec<f64>,
    /// `trees[round][class]`, single-value leaves already multiplied by the learning rate.
    pub trees: Vec<Vec<Tree>>,
}

/// Gradient, hessian and row count per bin.
#[derive(Debug, Clone, Copy, Default)]
struct Bin {
    gradient: f64,
    hessian: f64,
    count: u32,
}

/// One histogram per feature, `max_bins` bins each.
type Histograms = Vec<Bin>;

struct Candidate {
    gain: f64,
    feature: usize,
    bin: usize,
}

/// A leaf that may still be split.
struct OpenLeaf {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    gradient: f64,
    hessian: f64,
    histograms: Histograms,
    split: Option<Candidate>,
}

struct TreeGrower<'a> {
    binned: &'a Binned,
    gradients: &'a [f64],
    hessians: &'a [f64],
    features: &'a [usize],
    params: &'a BoostingParams,
}

const MIN_HESSIAN: f64 = 1e-3;

impl TreeGrower<'_> {
    fn histograms(&self, rows: &[u32]) -> Histograms {
        let features = self.binned.cuts.len();
        let mut histograms = vec![Bin::default(); features * 256];
        // Row by row over the row-major bins: each row's gradient and hessian are loaded once
        // for all features.
        for &r in rows {
            let r = r as usize;
            let (gradient, hessian) = (self.gradients[r], self.hessians[r]);
            let row_bins = &self.binned.by_row[r * features..(r + 1) * features];
            for &f in self.features {
                let bin = &mut histograms[f * 256 + row_bins[f] as usize];
                bin.gradient += gradient;
                bin.hessian += hessian;
                bin.count += 1;
            }
        }
        histograms
    }

    fn score(&self, gradient: f64, hessian: f64) -> f64 {
        gradient * gradient / (hessian + self.params.l2_regularization)
    }

    fn best_split(&self, leaf: &OpenLeaf) -> Option<Candidate> {
        let rows = (leaf.end - leaf.start) as u32;
        let min_leaf = self.params.min_samples_leaf as u32;
        if rows < 2 * min_leaf || self.params.max_depth.is_some_and(|d| leaf.depth >= d) {
            return None;
        }
        let parent = self.score(leaf.gradient, leaf.hessian);
        let mut best: Option<Candidate> = None;
        for &f in self.features {
            let histogram = &leaf.histograms[f * 256..f * 256 + self.binned.bin_count(f)];
            let (mut g, mut h, mut n) = (0.0, 0.0, 0u32);
            for (b, bin) in histogram[..histogram.len() - 1].iter().enumerate() {
                if bin.count == 0 {
                    // No row here: no new threshold (and no rounding residue from the
                    // histogram subtraction).
                    continue;
                }
                g += bin.gradient;
                h += bin.hessian;
                n += bin.count;
                if n < min_leaf {
                    continue;
                }
                if rows - n < min_leaf {
                    break;
                }
                let (gr, hr) = (leaf.gradient - g, leaf.hessian - h);
                if h < MIN_HESSIAN || hr < MIN_HESSIAN {
                    continue;
                }
                let gain = self.score(g, h) + self.score(gr, hr) - parent;
                if gain > 1e-12 && best.as_ref().map_or(true, |c| gain > c.gain) {
                    best = Some(Candidate {
                        gain,
                        feature: f,
                        bin: b,
                    });
                }
            }
        }
        best
    }

    fn leaf_value(&self, gradient: f64, hessian: f64) -> f64 {
        -self.params.learning_rate * gradient
            / (hessian + self.params.l2_regularization).max(MIN_HESSIAN)
    }

    fn open_leaf(
        &self,
        tree: &mut Tree,
        rows: &[u32],
        range: (usize, usize),
        depth: usize,
        histograms: Histograms,
    ) -> OpenLeaf {
        let (gradient, hessian) = rows[range.0..range.1]
            .iter()
            .fold((0.0, 0.0), |(g, h), &r| {
                (
                    g + self.gradients[r as usize],
                    h + self.hessians[r as usize],
                )
            });
        let node = tree.push_leaf(&[self.leaf_value(gradient, hessian)]);
        let mut leaf = OpenLeaf {
            node,
            start: range.0,
            end: range.1,
            depth,
            gradient,
            hessian,
            histograms,
            split: None,
        };
        leaf.split = self.best_split(&leaf);
        leaf
    }

    /// Grows one tree over `rows` (which it reorders), best leaf first.
    fn grow(&self, rows: &mut [u32]) -> Tree {
        let mut tree = Tree::new(1);
        let root_histograms = self.histograms(rows);
        let root = self.open_leaf(&mut tree, rows, (0, rows.len()), 0, root_histograms);
        let mut open = vec![root];
        let mut leaves = 1;
        while leaves < self.params.max_leaf_nodes {
            // The open leaf with the largest gain (the first on ties, for determinism).
            let mut pick: Option<usize> = None;
            for (i, leaf) in open.iter().enumerate() {
                if let Some(c) = &leaf.split {
                    if pick.map_or(true, |p| {
                        c.gain > open[p].split.as_ref().map_or(0.0, |s| s.gain)
                    }) {
                        pick = Some(i);
                    }
                }
            }
            let Some(pick) = pick else { break };
            let leaf = open.swap_remove(pick);
            let split = leaf.split.as_ref().expect("picked leaves have a split");
            let bins = &self.binned.bins[split.feature];
            let slice = &mut rows[leaf.start..leaf.end];
            let mut boundary = 0;
            for i in 0..slice.len() {
                if (bins[slice[i] as usize] as usize) <= split.bin {
                    slice.swap(i, boundary);
                    boundary += 1;
                }
            }
            let middle = leaf.start + boundary;
            // Turn the leaf node into a split: leaves are stored in push order, so replace the
            // node in place and append the two children.
            let threshold = self.binned.cuts[split.feature][split.bin];
            tree.feature[leaf.node] = split.feature as i32;
            tree.threshold[leaf.node] = threshold;
            // Histogram of the smaller child directly, the larger one by subtraction.
            let left_smaller = boundary <= slice.len() - boundary;
            let (small_range, large_range) = if left_smaller {
                ((leaf.start, middle), (middle, leaf.end))
            } else {
                ((middle, leaf.end), (leaf.start, middle))
            };
            let small_histograms = self.histograms(&rows[small_range.0..small_range.1]);
            let mut large_histograms = leaf.histograms;
            for (large, small) in large_histograms.iter_mut().zip(&small_histograms) {
                large.gradient -= small.gradient;
                large.hessian -= small.hessian;
                large.count -= small.count;
            }
            let small = self.open_leaf(
                &mut tree,
                rows,
                small_range,
                leaf.depth + 1,
                small_histograms,
            );
            let large = self.open_leaf(
                &mut tree,
                rows,
                large_range,
                leaf.depth + 1,
                large_histograms,
            );
            let (left, right) = if left_smaller {
                (&small, &large)
            } else {
                (&large, &small)
            };
            tree.set_children(leaf.node, left.node, right.node);
            open.push(small);
            open.push(large);
            leaves += 1;
        }
        compact(tree)
    }
}

/// Removes the leaf values orphaned when leaves became splits, renumbering leaves.
fn compact(tree: Tree) -> Tree {
    let mut out = tree.clone();
    out.leaf_values.clear();
    for node in 0..tree.feature.len() {
        if tree.feature[node] < 0 {
            let old = tree.left[node] as usize;
            out.left[node] = out.leaf_values.len() as u32;
            out.leaf_values.push(tree.leaf_values[old]);
        }
    }
    out
}

impl Boosting {
    /// Fits the ensemble.
    pub fn fit(params: &BoostingParams, data: TrainingData, seed: u64) -> Boosting {
        let (n, d) = data.x.dim();
        let k = data.classes;
        let binned = Binned::new(data.x, params.max_bins);
        let total_weight: f64 = data.weights.iter().sum();
        let mut class_weight = vec![0.0; k];
        for (&c, &w) in data.y.iter().zip(data.weights) {
            class_weight[c] += w;
        }
        let baseline: Vec<f64> = class_weight
            .iter()
            .map(|w| (w / total_weight).max(1e-12).ln())
            .collect();
        let mut raw = Array2::from_shape_fn((n, k), |(_, c)| baseline[c]);
        let mut trees = Vec::with_capacity(params.rounds);
        let subsample = ((params.subsample * n as f64).round() as usize).clamp(1, n);
        let feature_count = ((params.feature_fraction * d as f64).round() as usize).clamp(1, d);
        for round in 0..params.rounds {
            let mut probabilities = raw.clone();
            softmax_rows(&mut probabilities);
            let mut round_rows: Vec<u32> = (0..n as u32).collect();
            if subsample < n {
                let mut rng = Rng::derived(seed, round as u64);
                rng.shuffle(&mut round_rows);
                round_rows.truncate(subsample);
                round_rows.sort_unstable();
            }
            let round_trees: Vec<Tree> = (0..k)
                .into_par_iter()
                .map(|c| {
                    let mut gradients = vec![0.0; n];
                    let mut hessians = vec![0.0; n];
                    for i in 0..n {
                        let p = probabilities[[i, c]];
                        let target = if data.y[i] == c { 1.0 } else { 0.0 };
                        gradients[i] = data.weights[i] * (p - target);
                        hessians[i] = data.weights[i] * (p * (1.0 - p)).max(1e-16);
                    }
                    let mut features: Vec<usize> = (0..d).collect();
                    if feature_count < d {
                        let mut rng = Rng::derived(seed ^ 0x5EED_F00D, (round * k + c) as u64);
                        rng.shuffle(&mut features);
                        features.truncate(feature_count);
                        features.sort_unstable();
                    }
                    let grower = TreeGrower {
                        binned: &binned,
                        gradients: &gradients,
                        hessians: &hessians,
                        features: &features,
                        params,
                    };
                    let mut rows = round_rows.clone();
                    grower.grow(&mut rows)
                })
                .collect();
            for (c, tree) in round_trees.iter().enumerate() {
                for (i, row) in data.x.axis_iter(Axis(0)).enumerate() {
                    raw[[i, c]] += tree.leaf(row.as_slice().expect("standard layout"))[0];
                }
            }
            trees.push(round_trees);
        }
        Boosting { baseline, trees }
    }

    /// Raw class scores (before softmax) of standardised rows.
    fn raw_scores(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let k = self.baseline.len();
        map_rows(x, k, |row, scores| {
            for c in 0..k {
                scores[c] = self.baseline[c]
                    + self
                        .trees
                        .iter()
                        .map(|round| round[c].leaf(row)[0])
                        .sum::<f64>();
            }
        })
    }

    /// Class probabilities of standardised rows.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let mut scores = self.raw_scores(x);
        softmax_rows(&mut scores);
        scores
    }

    pub(crate) fn check_shape(&self, features: usize, classes: usize) -> Result<(), String> {
        if self.baseline.len() != classes || self.trees.iter().any(|round| round.len() != classes) {
            return Err(format!(
                "boosting rounds do not have one tree per class ({classes})"
            ));
        }
        self.trees
            .iter()
            .flatten()
            .try_for_each(|tree| tree.check(features, 1))
    }
}
