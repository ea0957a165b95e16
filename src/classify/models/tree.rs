//! What the random forest and gradient boosting share: features cut into at most 256 ordered
//! bins (so split search counts per bin instead of sorting), and a compact binary tree whose
//! splits are stored as real thresholds, so prediction reads raw standardised values.
//!
//! A bin `b` of a feature holds the values `v` with `cuts[b - 1] < v <= cuts[b]`; "bin <= b"
//! is therefore exactly "value <= cuts[b]", the test a fitted tree applies.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// Features of the training rows as bin indices.
#[derive(Debug, Clone)]
pub(crate) struct Binned {
    /// `bins[feature][row]`.
    pub bins: Vec<Vec<u8>>,
    /// `cuts[feature]`: ascending cut points; the feature has `cuts.len() + 1` bins.
    pub cuts: Vec<Vec<f64>>,
    /// The same bins row by row: `by_row[row * features + feature]`.
    pub by_row: Vec<u8>,
}

impl Binned {
    /// Bins every feature of `x` into at most `max_bins` (2..=256) bins holding about equal
    /// numbers of rows; a feature with few distinct values gets one bin per value.
    pub fn new(x: ArrayView2<f64>, max_bins: usize) -> Binned {
        let max_bins = max_bins.clamp(2, 256);
        let mut bins: Vec<Vec<u8>> = Vec::with_capacity(x.ncols());
        let mut cuts = Vec::with_capacity(x.ncols());
        for column in x.columns() {
            let values: Vec<f64> = column.to_vec();
            let feature_cuts = cut_points(&values, max_bins);
            bins.push(
                values
                    .iter()
                    .map(|&v| feature_cuts.partition_point(|&c| c < v) as u8)
                    .collect(),
            );
            cuts.push(feature_cuts);
        }
        let features = bins.len();
        let mut by_row = vec![0u8; x.nrows() * features];
        for (f, column) in bins.iter().enumerate() {
            for (r, &b) in column.iter().enumerate() {
                by_row[r * features + f] = b;
            }
        }
        Binned { bins, cuts, by_row }
    }

    /// Number of bins of `feature`.
    pub fn bin_count(&self, feature: usize) -> usize {
        self.cuts[feature].len() + 1
    }
}

/// Cut points between distinct values so that each of at most `max_bins` bins holds about
/// `n / max_bins` rows; each cut is the midpoint of the two distinct values it separates.
fn cut_points(values: &[f64], max_bins: usize) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for &v in &sorted {
        match distinct.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => distinct.push((v, 1)),
        }
    }
    if distinct.len() <= max_bins {
        return distinct
            .windows(2)
            .map(|w| midpoint(w[0].0, w[1].0))
            .collect();
    }
    let per_bin = sorted.len() as f64 / max_bins as f64;
    let mut cuts = Vec::with_capacity(max_bins - 1);
    let mut cumulative = 0usize;
    for j in 0..distinct.len() - 1 {
        cumulative += distinct[j].1;
        let target = per_bin * (cuts.len() + 1) as f64;
        if cumulative as f64 >= target && cuts.len() < max_bins - 1 {
            cuts.push(midpoint(distinct[j].0, distinct[j + 1].0));
        }
    }
    cuts
}

fn midpoint(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    // Keep a <= m < b, so "value <= m" separates the two values exactly.
    if m >= b {
        a
    } else {
        m
    }
}

/// A binary tree: node `i` is a leaf when `feature[i] < 0`, its values then being
/// `leaf_values[left[i] * width ..][..width]`; otherwise rows with
/// `x[feature[i]] <= threshold[i]` go to node `left[i]`, the others to `right[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Split feature of each node, -1 for leaves.
    pub feature: Vec<i32>,
    /// Split threshold of each node (0 for leaves).
    pub threshold: Vec<f64>,
    /// Left child of a split; leaf number of a leaf.
    pub left: Vec<u32>,
    /// Right child of a split (0 for leaves).
    pub right: Vec<u32>,
    /// Values of each leaf, `width` per leaf.
    pub leaf_values: Vec<f64>,
    /// Values per leaf.
    pub width: usize,
}

impl Tree {
    /// An empty tree with `width` values per leaf.
    pub(crate) fn new(width: usize) -> Tree {
        Tree {
            feature: Vec::new(),
            threshold: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
            leaf_values: Vec::new(),
            width,
        }
    }

    /// Adds a leaf, returning its node index.
    pub(crate) fn push_leaf(&mut self, values: &[f64]) -> usize {
        debug_assert_eq!(values.len(), self.width);
        let leaf = self.leaf_values.len() / self.width;
        self.leaf_values.extend_from_slice(values);
        self.feature.push(-1);
        self.threshold.push(0.0);
        self.left.push(leaf as u32);
        self.right.push(0);
        self.feature.len() - 1
    }

    /// Adds a split whose children are filled in later by [`Tree::set_children`].
    pub(crate) fn push_split(&mut self, feature: usize, threshold: f64) -> usize {
        self.feature.push(feature as i32);
        self.threshold.push(threshold);
        self.left.push(0);
        self.right.push(0);
        self.feature.len() - 1
    }

    /// Sets the children of split `node`.
    pub(crate) fn set_children(&mut self, node: usize, left: usize, right: usize) {
        self.left[node] = left as u32;
        self.right[node] = right as u32;
    }

    /// The leaf values reached by `row`.
    pub fn leaf(&self, row: &[f64]) -> &[f64] {
        let mut node = 0usize;
        loop {
            let feature = self.feature[node];
            if feature < 0 {
                let start = self.left[node] as usize * self.width;
                return &self.leaf_values[start..start + self.width];
            }
            node = if row[feature as usize] <= self.threshold[node] {
                self.left[node] as usize
            } else {
                self.right[node] as usize
            };
        }
    }

    /// Number of leaves.
    pub fn leaf_count(&self) -> usize {
        self.feature.iter().filter(|&&f| f < 0).count()
    }

    /// Checks that indices stay inside the tree and children come after their parent (so
    /// prediction always ends), for trees read from a file.
    pub(crate) fn check(&self, features: usize, width: usize) -> Result<(), String> {
        let nodes = self.feature.len();
        let leaves = self.leaf_values.len() / width.max(1);
        let consistent = self.width == width
            && nodes > 0
            && self.threshold.len() == nodes
            && self.left.len() == nodes
            && self.right.len() == nodes
            && self.leaf_values.len() == leaves * width;
        if !consistent {
            return Err("a tree's arrays disagree in length".to_string());
        }
        for i in 0..nodes {
            let f = self.feature[i];
            let ok = if f < 0 {
                (self.left[i] as usize) < leaves
            } else {
                (f as usize) < features
                    && (self.left[i] as usize) > i
                    && (self.left[i] as usize) < nodes
                    && (self.right[i] as usize) > i
                    && (self.right[i] as usize) < nodes
            };
            if !ok {
                return Err(format!("tree node {i} points outside the tree"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn few_distinct_values_get_one_bin_each_with_midpoint_cuts() {
        let x = array![[1.0], [3.0], [3.0], [7.0]];
        let binned = Binned::new(x.view(), 256);
        assert_eq!(binned.cuts[0], vec![2.0, 5.0]);
        assert_eq!(binned.bins[0], vec![0, 1, 1, 2]);
    }

    #[test]
    fn many_values_are_cut_into_equal_count_bins() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let x = ndarray::Array2::from_shape_vec((1000, 1), values).unwrap();
        let binned = Binned::new(x.view(), 4);
        // 250 rows per bin: cuts between 249|250, 499|500, 749|750.
        assert_eq!(binned.cuts[0], vec![249.5, 499.5, 749.5]);
        let mut counts = [0; 4];
        for &b in &binned.bins[0] {
            counts[b as usize] += 1;
        }
        assert_eq!(counts, [250; 4]);
    }

    #[test]
    fn a_stump_sends_values_at_the_threshold_left() {
        let mut tree = Tree::new(1);
        let root = tree.push_split(0, 2.0);
        let left = tree.push_leaf(&[10.0]);
        let right = tree.push_leaf(&[20.0]);
        tree.set_children(root, left, right);
        assert_eq!(tree.leaf(&[2.0]), &[10.0]);
        assert_eq!(tree.leaf(&[2.5]), &[20.0]);
        assert!(tree.check(1, 1).is_ok());
        assert!(tree.check(0, 1).is_err());
    }
}
