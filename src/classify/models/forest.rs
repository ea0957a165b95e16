//! Random forest (Breiman 2001): many CART trees, each grown on a bootstrap sample with a
//! random subset of features tried at every split, splitting on weighted Gini impurity;
//! probabilities are the mean of the trees' leaf class fractions (as scikit-learn's
//! `RandomForestClassifier`). Trees are grown in parallel; tree `t` draws its random numbers
//! from a stream seeded by `(seed, t)` only, so the forest is the same on any number of threads.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::tree::{Binned, Tree};
use super::{map_rows, ClassWeight, TrainingData};
use crate::classify::rng::Rng;

/// How many features each split tries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MaxFeatures {
    /// A fraction of the features (0, 1], or a name: see [`MaxFeaturesRule`].
    Fraction(f64),
    /// `"sqrt"`, `"log2"` or `"all"`.
    Rule(MaxFeaturesRule),
}

/// Named rules for [`MaxFeatures`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaxFeaturesRule {
    /// The square root of the number of features (scikit-learn's default).
    Sqrt,
    /// Log base 2 of the number of features.
    Log2,
    /// Every feature (bagged trees).
    All,
}

impl MaxFeatures {
    fn count(self, features: usize) -> usize {
        let n = match self {
            MaxFeatures::Fraction(f) => (f * features as f64).round() as usize,
            MaxFeatures::Rule(MaxFeaturesRule::Sqrt) => (features as f64).sqrt() as usize,
            MaxFeatures::Rule(MaxFeaturesRule::Log2) => (features as f64).log2() as usize,
            MaxFeatures::Rule(MaxFeaturesRule::All) => features,
        };
        n.clamp(1, features.max(1))
    }
}

/// Settings of the random forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForestParams {
    /// Number of trees.
    pub trees: usize,
    /// Deepest level of a tree (`null`: grow until leaves are pure or too small).
    pub max_depth: Option<usize>,
    /// Fewest rows in a node that may be split.
    pub min_samples_split: usize,
    /// Fewest rows in a leaf.
    pub min_samples_leaf: usize,
    /// Features tried at each split.
    pub max_features: MaxFeatures,
    /// Grow each tree on a bootstrap sample (otherwise on all rows).
    pub bootstrap: bool,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// Bins per feature for split search (2..=256).
    pub max_bins: usize,
}

impl Default for ForestParams {
    fn default() -> Self {
        ForestParams {
            trees: 200,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: MaxFeatures::Rule(MaxFeaturesRule::Sqrt),
            bootstrap: true,
            class_weight: ClassWeight::None,
            max_bins: 256,
        }
    }
}

impl ForestParams {
    pub(crate) fn problem(&self) -> Option<String> {
        if self.trees == 0 {
            return Some("trees must be at least 1".to_string());
        }
        if self.min_samples_leaf == 0 || self.min_samples_split < 2 {
            return Some("min_samples_leaf must be >= 1 and min_samples_split >= 2".to_string());
        }
        if let MaxFeatures::Fraction(f) = self.max_features {
            if !(f > 0.0 && f <= 1.0) {
                return Some(format!("max_features fraction must be in (0, 1], not {f}"));
            }
        }
        if !(2..=256).contains(&self.max_bins) {
            return Some("max_bins must be between 2 and 256".to_string());
        }
        None
    }
}

/// A fitted random forest on standardised features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    /// The trees; each leaf holds class fractions.
    pub trees: Vec<Tree>,
}

/// Scratch space and fixed inputs for growing one tree.
struct Grower<'a> {
    binned: &'a Binned,
    y: &'a [usize],
    /// Weight of each row in this tree (class weight times bootstrap multiplicity).
    weights: Vec<f64>,
    classes: usize,
    params: &'a ForestParams,
    tries: usize,
    rng: Rng,
    histogram: Vec<f64>,
    counts: Vec<u32>,
    feature_order: Vec<usize>,
}

struct Split {
    feature: usize,
    bin: usize,
    score: f64,
}

impl Grower<'_> {
    fn class_totals(&self, rows: &[u32]) -> Vec<f64> {
        let mut totals = vec![0.0; self.classes];
        for &r in rows {
            totals[self.y[r as usize]] += self.weights[r as usize];
        }
        totals
    }

    fn grow(&mut self, tree: &mut Tree, rows: &mut [u32], depth: usize) -> usize {
        let totals = self.class_totals(rows);
        let total: f64 = totals.iter().sum();
        let pure = totals.iter().filter(|&&t| t > 0.0).count() <= 1;
        let deep_enough = self.params.max_depth.is_some_and(|d| depth >= d);
        let split = if pure
            || deep_enough
            || rows.len() < self.params.min_samples_split
            || rows.len() < 2 * self.params.min_samples_leaf
        {
            None
        } else {
            self.best_split(rows, &totals)
        };
        let Some(split) = split else {
            let fractions: Vec<f64> = totals
                .iter()
                .map(|t| t / total.max(f64::MIN_POSITIVE))
                .collect();
            return tree.push_leaf(&fractions);
        };
        let bins = &self.binned.bins[split.feature];
        let mut boundary = 0;
        for i in 0..rows.len() {
            if (bins[rows[i] as usize] as usize) <= split.bin {
                rows.swap(i, boundary);
                boundary += 1;
            }
        }
        let node = tree.push_split(split.feature, self.binned.cuts[split.feature][split.bin]);
        let (left_rows, right_rows) = rows.split_at_mut(boundary);
        let left = self.grow(tree, left_rows, depth + 1);
        let right = self.grow(tree, right_rows, depth + 1);
        tree.set_children(node, left, right);
        node
    }

    /// The split with the lowest weighted Gini impurity among `tries` randomly chosen
    /// features that vary in the node (more are drawn while the drawn ones are constant, as
    /// scikit-learn does).
    fn best_split(&mut self, rows: &[u32], totals: &[f64]) -> Option<Split> {
        let features = self.feature_order.len();
        let parent_score: f64 =
            totals.iter().map(|t| t * t).sum::<f64>() / totals.iter().sum::<f64>();
        let mut best: Option<Split> = None;
        let mut tried = 0;
        for drawn in 0..features {
            if tried >= self.tries {
                break;
            }
            let pick = drawn + self.rng.below(features - drawn);
            self.feature_order.swap(drawn, pick);
            let feature = self.feature_order[drawn];
            if let Some(split) = self.best_split_on(feature, rows, totals) {
                tried += 1;
                if split.score > parent_score + 1e-12
                    && best.as_ref().map_or(true, |b| split.score > b.score)
                {
                    best = Some(split);
                }
            }
        }
        best
    }

    /// Best threshold on one feature, scored by `sum_c L_c^2 / L + sum_c R_c^2 / R` (larger is
    /// purer); `None` when the feature is constant in the node.
    fn best_split_on(&mut self, feature: usize, rows: &[u32], totals: &[f64]) -> Option<Split> {
        let k = self.classes;
        let bins = &self.binned.bins[feature];
        let bin_count = self.binned.bin_count(feature);
        let (mut low, mut high) = (usize::MAX, 0);
        for &r in rows {
            let b = bins[r as usize] as usize;
            self.counts[b] += 1;
            self.histogram[b * k + self.y[r as usize]] += self.weights[r as usize];
            low = low.min(b);
            high = high.max(b);
        }
        let mut best: Option<Split> = None;
        if low < high {
            let min_leaf = self.params.min_samples_leaf as u32;
            let n = rows.len() as u32;
            let mut left = vec![0.0; k];
            let mut left_count = 0u32;
            for b in low..high.min(bin_count - 1) {
                if self.counts[b] == 0 {
                    continue;
                }
                left_count += self.counts[b];
                for (l, h) in left.iter_mut().zip(&self.histogram[b * k..(b + 1) * k]) {
                    *l += h;
                }
                if left_count < min_leaf || n - left_count < min_leaf {
                    continue;
                }
                let left_total: f64 = left.iter().sum();
                let right_total: f64 = totals.iter().sum::<f64>() - left_total;
                if left_total <= 0.0 || right_total <= 0.0 {
                    continue;
                }
                let left_sq: f64 = left.iter().map(|v| v * v).sum();
                let right_sq: f64 = (0..k).map(|c| (totals[c] - left[c]).powi(2)).sum();
                let score = left_sq / left_total + right_sq / right_total;
                if best.as_ref().map_or(true, |s| score > s.score) {
                    best = Some(Split {
                        feature,
                        bin: b,
                        score,
                    });
                }
            }
        }
        for &r in rows {
            let b = bins[r as usize] as usize;
            self.counts[b] = 0;
            self.histogram[b * k..(b + 1) * k].fill(0.0);
        }
        if low < high && best.is_none() {
            // The feature varies but no threshold leaves enough rows on both sides: it still
            // counts as tried.
            return Some(Split {
                feature,
                bin: 0,
                score: f64::NEG_INFINITY,
            });
        }
        best
    }
}

impl Forest {
    /// Fits the forest.
    pub fn fit(params: &ForestParams, data: TrainingData, seed: u64) -> Forest {
        let binned = Binned::new(data.x, params.max_bins);
        let n = data.x.nrows();
        let features = data.x.ncols();
        let trees = (0..params.trees)
            .into_par_iter()
            .map(|t| {
                let mut rng = Rng::derived(seed, t as u64);
                let mut multiplicity = vec![0u32; n];
                if params.bootstrap {
                    for _ in 0..n {
                        multiplicity[rng.below(n)] += 1;
                    }
                } else {
                    multiplicity.fill(1);
                }
                let mut rows: Vec<u32> = (0..n as u32)
                    .filter(|&r| multiplicity[r as usize] > 0)
                    .collect();
                let weights = (0..n)
                    .map(|r| data.weights[r] * multiplicity[r] as f64)
                    .collect();
                let mut grower = Grower {
                    binned: &binned,
                    y: data.y,
                    weights,
                    classes: data.classes,
                    params,
                    tries: params.max_features.count(features),
                    rng,
                    histogram: vec![0.0; 256 * data.classes],
                    counts: vec![0; 256],
                    feature_order: (0..features).collect(),
                };
                let mut tree = Tree::new(data.classes);
                grower.grow(&mut tree, &mut rows, 0);
                tree
            })
            .collect();
        Forest { trees }
    }

    /// Class probabilities of standardised rows: the mean of the trees' leaf fractions.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let k = self.trees[0].width;
        map_rows(x, k, |row, probabilities| {
            for tree in &self.trees {
                for (p, v) in probabilities.iter_mut().zip(tree.leaf(row)) {
                    *p += v;
                }
            }
            probabilities
                .iter_mut()
                .for_each(|p| *p /= self.trees.len() as f64);
        })
    }

    pub(crate) fn check_shape(&self, features: usize, classes: usize) -> Result<(), String> {
        if self.trees.is_empty() {
            return Err("the forest has no trees".to_string());
        }
        self.trees
            .iter()
            .try_for_each(|t| t.check(features, classes))
    }
}
