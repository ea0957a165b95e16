//! Connected components of a window's masks, as runs.
//!
//! - [`foreground_components`]: the 8-connected particles of a binary mask (ImageJ's particle
//!   connectivity), each with its pixels as runs, its bounds, its first pixel in raster order and
//!   the window sides it touches.
//! - [`BackgroundLabels`]: the 4-connected background regions of a rectangle of a mask (the
//!   connectivity ImageJ's Fill Holes floods with), with the labels along the rectangle's four
//!   edges, so that regions can be joined across neighbouring tiles.
//!
//! Both label runs with a union-find over the runs of consecutive rows, so the cost is linear in
//! the number of pixels plus runs.

use image::GrayImage;

use super::tiles::{Rect, Sides};
use crate::measure::Run;

/// Union-find with path halving and union by index (the smaller index becomes the root, so roots
/// are the first element of each set in insertion order).
#[derive(Debug, Clone, Default)]
pub(crate) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `len` singleton sets.
    pub fn new(len: usize) -> UnionFind {
        UnionFind {
            parent: (0..len as u32).collect(),
        }
    }

    /// Adds a singleton set and returns its element.
    pub fn push(&mut self) -> u32 {
        let element = self.parent.len() as u32;
        self.parent.push(element);
        element
    }

    /// The root of `element`'s set.
    pub fn find(&mut self, mut element: u32) -> u32 {
        while self.parent[element as usize] != element {
            let grandparent = self.parent[self.parent[element as usize] as usize];
            self.parent[element as usize] = grandparent;
            element = grandparent;
        }
        element
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            self.parent[high as usize] = low;
        }
    }
}

/// One 8-connected particle of a mask, in the mask's pixel coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// First pixel in raster order (top row, then leftmost).
    pub first: (u32, u32),
    /// Bounding rectangle.
    pub bounds: Rect,
    /// The pixels, as runs in raster order.
    pub runs: Vec<Run>,
    /// Which borders of the mask the particle touches.
    pub touches: Sides<bool>,
}

impl Component {
    /// Number of pixels.
    pub fn pixel_count(&self) -> u64 {
        self.runs.iter().map(|run| u64::from(run.len())).sum()
    }

    /// Whether pixel `(x, y)` belongs to the particle.
    pub fn contains(&self, x: u32, y: u32) -> bool {
        let row = self.runs.partition_point(|run| run.y < y);
        self.runs[row..]
            .iter()
            .take_while(|run| run.y == y)
            .any(|run| run.x_start <= x && x < run.x_end)
    }
}

/// The runs of pixels of one row for which `is_set` holds.
fn row_runs(pixels: &[u8], y: u32, x_offset: u32, is_set: impl Fn(u8) -> bool, out: &mut Vec<Run>) {
    let mut x = 0;
    while x < pixels.len() {
        if !is_set(pixels[x]) {
            x += 1;
            continue;
        }
        let start = x;
        while x < pixels.len() && is_set(pixels[x]) {
            x += 1;
        }
        out.push(Run {
            y,
            x_start: x_offset + start as u32,
            x_end: x_offset + x as u32,
        });
    }
}

/// Unions the runs of two consecutive rows that touch: with 8-connectivity runs touch when their
/// column ranges overlap or meet diagonally, with 4-connectivity only when they overlap.
fn join_rows(
    runs: &[Run],
    previous: std::ops::Range<usize>,
    current: std::ops::Range<usize>,
    diagonal: bool,
    sets: &mut UnionFind,
) {
    let reach = u32::from(diagonal);
    let mut p = previous.start;
    for c in current {
        let run = runs[c];
        while p < previous.end && runs[p].x_end + reach <= run.x_start {
            p += 1;
        }
        let mut q = p;
        while q < previous.end && runs[q].x_start < run.x_end + reach {
            sets.union(c as u32, q as u32);
            q += 1;
        }
    }
}

/// The 8-connected particles of `mask` (non-zero = object), sorted by first pixel in raster
/// order.
///
/// ```
/// use hemato::slide::components::foreground_components;
/// let mask = image::GrayImage::from_raw(5, 3, vec![
///     255, 0,   0,   0, 255,
///     0, 255,   0,   0, 255,
///     0,   0,   0, 255,   0,
/// ]).unwrap();
/// let components = foreground_components(&mask);
/// assert_eq!(components.len(), 2);
/// assert_eq!(components[0].first, (0, 0));
/// assert_eq!(components[0].pixel_count(), 2); // diagonal neighbours are connected
/// assert_eq!(components[1].first, (4, 0));
/// assert!(components[1].touches.right && components[1].touches.bottom);
/// ```
pub fn foreground_components(mask: &GrayImage) -> Vec<Component> {
    let (width, height) = mask.dimensions();
    let mut runs: Vec<Run> = Vec::new();
    let mut sets = UnionFind::default();
    let mut previous = 0..0;
    for (y, row) in mask
        .as_raw()
        .chunks_exact(width.max(1) as usize)
        .enumerate()
    {
        let start = runs.len();
        row_runs(row, y as u32, 0, |value| value != 0, &mut runs);
        while sets.parent.len() < runs.len() {
            sets.push();
        }
        let current = start..runs.len();
        join_rows(&runs, previous, current.clone(), true, &mut sets);
        previous = current;
    }
    // Components numbered in order of their first run, which is their first pixel.
    let mut component_of_root = vec![u32::MAX; runs.len()];
    let mut components: Vec<Component> = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        let root = sets.find(index as u32) as usize;
        if component_of_root[root] == u32::MAX {
            component_of_root[root] = components.len() as u32;
            components.push(Component {
                first: (run.x_start, run.y),
                bounds: Rect::new(run.x_start, run.y, run.len(), 1),
                runs: Vec::new(),
                touches: Sides::default(),
            });
        }
        let component = &mut components[component_of_root[root] as usize];
        let bounds = &mut component.bounds;
        *bounds = bounds.union(&Rect::new(run.x_start, run.y, run.len(), 1));
        component.runs.push(*run);
    }
    for component in &mut components {
        let bounds = component.bounds;
        component.touches = Sides {
            left: bounds.x == 0,
            top: bounds.y == 0,
            right: bounds.right() == width,
            bottom: bounds.bottom() == height,
        };
    }
    components
}

/// A stretch of an edge with one label: positions `start..end` along the edge, label 0 for object
/// pixels, 1.. for background regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EdgeRun {
    /// First position along the edge (column for top and bottom, row for left and right,
    /// relative to the rectangle).
    pub start: u32,
    /// One past the last position.
    pub end: u32,
    /// Region label, 0 = object.
    pub label: u32,
}

/// The labels along the four edges of a rectangle, run-length encoded.
pub type Edges = Sides<Vec<EdgeRun>>;

/// The label at `position` along a run-length encoded edge.
pub fn edge_label(edge: &[EdgeRun], position: u32) -> u32 {
    let index = edge.partition_point(|run| run.end <= position);
    match edge.get(index) {
        Some(run) if run.start <= position => run.label,
        _ => 0,
    }
}

/// The 4-connected background regions of a rectangle of a mask (zero = background), numbered
/// 1.. in order of their first pixel.
#[derive(Debug, Clone)]
pub struct BackgroundLabels {
    region: Rect,
    runs: Vec<Run>,
    labels: Vec<u32>,
    row_starts: Vec<usize>,
    count: u32,
}

impl BackgroundLabels {
    /// Labels the background of `region` (in the mask's coordinates) of `mask`.
    pub fn new(mask: &GrayImage, region: Rect) -> BackgroundLabels {
        let width = mask.width() as usize;
        let pixels = mask.as_raw();
        let mut runs: Vec<Run> = Vec::new();
        let mut row_starts = Vec::with_capacity(region.height as usize + 1);
        let mut sets = UnionFind::default();
        let mut previous = 0..0;
        for y in region.y..region.bottom() {
            let start = runs.len();
            row_starts.push(start);
            let row = &pixels[y as usize * width + region.x as usize..][..region.width as usize];
            row_runs(row, y - region.y, 0, |value| value == 0, &mut runs);
            while sets.parent.len() < runs.len() {
                sets.push();
            }
            let current = start..runs.len();
            join_rows(&runs, previous, current.clone(), false, &mut sets);
            previous = current;
        }
        row_starts.push(runs.len());
        let mut label_of_root = vec![0u32; runs.len()];
        let mut count = 0;
        let labels = (0..runs.len())
            .map(|index| {
                let root = sets.find(index as u32) as usize;
                if label_of_root[root] == 0 {
                    count += 1;
                    label_of_root[root] = count;
                }
                label_of_root[root]
            })
            .collect();
        BackgroundLabels {
            region,
            runs,
            labels,
            row_starts,
            count,
        }
    }

    /// Number of background regions.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The label of pixel `(x, y)` (mask coordinates, inside the region); 0 for object pixels.
    pub fn label_at(&self, x: u32, y: u32) -> u32 {
        let (x, y) = (x - self.region.x, (y - self.region.y) as usize);
        let row = self.row_starts[y]..self.row_starts[y + 1];
        let runs = &self.runs[row.clone()];
        let index = runs.partition_point(|run| run.x_end <= x);
        match runs.get(index) {
            Some(run) if run.x_start <= x => self.labels[row.start + index],
            _ => 0,
        }
    }

    /// The labels along the region's four edges.
    pub fn edges(&self) -> Edges {
        let (width, height) = (self.region.width, self.region.height);
        let row_edge = |y: usize| -> Vec<EdgeRun> {
            (self.row_starts[y]..self.row_starts[y + 1])
                .map(|index| EdgeRun {
                    start: self.runs[index].x_start,
                    end: self.runs[index].x_end,
                    label: self.labels[index],
                })
                .collect()
        };
        let column_edge = |x: u32| -> Vec<EdgeRun> {
            let mut edge: Vec<EdgeRun> = Vec::new();
            for y in 0..height {
                let label = self.label_at(self.region.x + x, self.region.y + y);
                match edge.last_mut() {
                    Some(last) if last.label == label && last.end == y => last.end = y + 1,
                    _ if label == 0 => {}
                    _ => edge.push(EdgeRun {
                        start: y,
                        end: y + 1,
                        label,
                    }),
                }
            }
            edge
        };
        Sides {
            left: column_edge(0),
            top: row_edge(0),
            right: column_edge(width - 1),
            bottom: row_edge(height as usize - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(width: u32, rows: &[&str]) -> GrayImage {
        let pixels = rows
            .iter()
            .flat_map(|row| row.bytes().map(|b| if b == b'#' { 255 } else { 0 }))
            .collect();
        GrayImage::from_raw(width, rows.len() as u32, pixels).unwrap()
    }

    /// Flood fill by hand, for comparison.
    fn flood_count(mask: &GrayImage, object: bool, diagonal: bool) -> usize {
        let (w, h) = (mask.width() as i64, mask.height() as i64);
        let set = |x: i64, y: i64| (mask.get_pixel(x as u32, y as u32).0[0] != 0) == object;
        let mut seen = vec![false; (w * h) as usize];
        let mut count = 0;
        for start in 0..w * h {
            if seen[start as usize] || !set(start % w, start / w) {
                continue;
            }
            count += 1;
            let mut stack = vec![start];
            seen[start as usize] = true;
            while let Some(p) = stack.pop() {
                let (x, y) = (p % w, p / w);
                for (dx, dy) in [
                    (-1, -1),
                    (0, -1),
                    (1, -1),
                    (-1, 0),
                    (1, 0),
                    (-1, 1),
                    (0, 1),
                    (1, 1),
                ] {
                    if !diagonal && dx != 0 && dy != 0 {
                        continue;
                    }
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= w || ny >= h {
                        continue;
                    }
                    let n = ny * w + nx;
                    if !seen[n as usize] && set(nx, ny) {
                        seen[n as usize] = true;
                        stack.push(n);
                    }
                }
            }
        }
        count
    }

    #[test]
    fn components_match_flood_fill_on_random_masks() {
        let mut state = 12345u64;
        for _ in 0..50 {
            let (w, h) = (1 + (state % 23) as u32, 1 + (state / 7 % 19) as u32);
            let image = GrayImage::from_fn(w, h, |_, _| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                image::Luma([if state >> 62 == 0 { 0 } else { 255 }])
            });
            let components = foreground_components(&image);
            assert_eq!(components.len(), flood_count(&image, true, true));
            let total: u64 = components.iter().map(Component::pixel_count).sum();
            let set = image.pixels().filter(|p| p.0[0] != 0).count() as u64;
            assert_eq!(total, set);
            for pair in components.windows(2) {
                assert!((pair[0].first.1, pair[0].first.0) < (pair[1].first.1, pair[1].first.0));
            }
            let background = BackgroundLabels::new(&image, Rect::new(0, 0, w, h));
            assert_eq!(
                background.count() as usize,
                flood_count(&image, false, false)
            );
        }
    }

    #[test]
    fn background_regions_are_four_connected() {
        // Two background pixels that meet only diagonally are separate regions.
        let image = mask(3, &[".##", "#.#", "###"]);
        let labels = BackgroundLabels::new(&image, Rect::new(0, 0, 3, 3));
        assert_eq!(labels.count(), 2);
        assert_eq!(labels.label_at(0, 0), 1);
        assert_eq!(labels.label_at(1, 1), 2);
        assert_eq!(labels.label_at(2, 2), 0);
    }

    #[test]
    fn edges_list_labels_along_each_side() {
        let image = mask(4, &["..#.", "#.##", "...#"]);
        let labels = BackgroundLabels::new(&image, Rect::new(0, 0, 4, 3));
        // Regions: the big one from (0,0) and the single pixel (3,0).
        assert_eq!(labels.count(), 2);
        let edges = labels.edges();
        assert_eq!(
            edges.top,
            vec![
                EdgeRun {
                    start: 0,
                    end: 2,
                    label: 1
                },
                EdgeRun {
                    start: 3,
                    end: 4,
                    label: 2
                }
            ]
        );
        assert_eq!(
            edges.left,
            vec![
                EdgeRun {
                    start: 0,
                    end: 1,
                    label: 1
                },
                EdgeRun {
                    start: 2,
                    end: 3,
                    label: 1
                }
            ]
        );
        assert_eq!(
            edges.right,
            vec![EdgeRun {
                start: 0,
                end: 1,
                label: 2
            }]
        );
        assert_eq!(edge_label(&edges.bottom, 2), 1);
        assert_eq!(edge_label(&edges.bottom, 3), 0);
    }

    #[test]
    fn sub_rectangle_is_labelled_alone() {
        // The two halves of the background are joined outside the rectangle only.
        let image = mask(5, &[".....", ".###.", ".#.#.", ".###.", "....."]);
        let inner = BackgroundLabels::new(&image, Rect::new(1, 1, 3, 3));
        assert_eq!(inner.count(), 1);
        assert_eq!(inner.label_at(2, 2), 1);
        let whole = BackgroundLabels::new(&image, Rect::new(0, 0, 5, 5));
        assert_eq!(whole.count(), 2);
    }

    #[test]
    fn contains_finds_pixels_of_a_component() {
        let image = mask(4, &["##..", ".#..", "..##"]);
        let components = foreground_components(&image);
        assert_eq!(components.len(), 1);
        assert!(components[0].contains(1, 1));
        assert!(components[0].contains(3, 2));
        assert!(!components[0].contains(0, 1));
    }
}
