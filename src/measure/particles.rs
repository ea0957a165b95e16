//! Finding particles in a binary mask, as ImageJ's Analyze Particles finds them.
//!
//! Follows `ij/plugin/filter/ParticleAnalyzer.java` (ImageJ 1.53t, `analyze` and
//! `analyzeParticle`), with `ij/process/FloodFiller.java` (`particleAnalyzerFill`) and
//! `ij/process/PolygonFiller.java`:
//!
//! 1. Scan the mask in raster order. Each object pixel not yet taken starts a particle.
//! 2. Trace the particle's outer boundary with the wand ([`super::trace`]).
//! 3. The particle's pixels: by default an 8-connected flood fill from the start pixel, so holes
//!    are not part of it. With [`ParticleOptions::include_holes`], every pixel whose centre lies
//!    inside the traced polygon, which also swallows particles lying in its holes. A particle whose
//!    bounding box is 1 pixel wide or high is its whole bounding rectangle.
//! 4. Those pixels are taken (erased) whether or not the filters keep the particle, then the size,
//!    circularity and edge filters decide whether it is reported.
//!
//! The cost is linear in the number of pixels plus the total boundary length.
//!
//! ```
//! use hemato::measure::{find_particles, ParticleOptions};
//! use image::GrayImage;
//! // A 3x3 ring with a 1-pixel particle in its hole.
//! let mask = GrayImage::from_raw(5, 5, vec![
//!     0,   0,   0,   0, 0,
//!     0, 255, 255, 255, 0,
//!     0, 255, 255, 255, 0,
//!     0, 255, 255, 255, 0,
//!     0,   0,   0,   0, 0,
//! ]).unwrap();
//! let particles = find_particles(&mask, &ParticleOptions::default());
//! assert_eq!(particles.len(), 1);
//! assert_eq!(particles[0].pixel_count(), 9);
//! ```

use image::GrayImage;
use rayon::prelude::*;

use super::shape::traced_perimeter;
use super::trace::{trace_outer_boundary, Vertex};
use crate::morphology::Particles;

/// A horizontal run of particle pixels: row `y`, columns `x_start..x_end` (end exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Run {
    /// Row.
    pub y: u32,
    /// First column.
    pub x_start: u32,
    /// One past the last column.
    pub x_end: u32,
}

impl Run {
    /// Number of pixels in the run.
    pub fn len(&self) -> u32 {
        self.x_end - self.x_start
    }

    /// Whether the run has no pixels.
    pub fn is_empty(&self) -> bool {
        self.x_end == self.x_start
    }
}

/// An axis-aligned rectangle of pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Bounds {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// One particle: its pixels, its traced outline and its bounds, in the mask's pixel coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct Particle {
    /// The first pixel of the particle in raster order, where tracing started.
    pub start: (u32, u32),
    /// The label value, for particles read from a label image; `None` for mask particles.
    pub label: Option<u32>,
    /// Traced outer boundaries (pixel-corner vertices in wand order). A mask particle has exactly
    /// one; a label whose pixels form several separate pieces has one per piece, in raster order
    /// of the pieces' first pixels.
    pub outlines: Vec<Vec<Vertex>>,
    /// Bounding rectangle of the outlines.
    pub bounds: Bounds,
    /// The measured pixels, sorted in raster order (by row, then column), not overlapping.
    pub runs: Vec<Run>,
    /// True when ImageJ measures the particle without a mask, as its whole bounding rectangle
    /// (bounding box 1 pixel wide or high). The ellipse fit then uses the rectangle formula.
    pub is_rectangle: bool,
}

impl Particle {
    /// Number of measured pixels.
    pub fn pixel_count(&self) -> u64 {
        self.runs.iter().map(|run| u64::from(run.len())).sum()
    }

    /// All outline vertices of all pieces, in order.
    pub fn outline_vertices(&self) -> impl Iterator<Item = Vertex> + '_ {
        self.outlines.iter().flatten().copied()
    }

    /// The same particle moved by `(dx, dy)` pixels, e.g. from a tile's coordinates to a slide's.
    ///
    /// Returns `None` when a coordinate would leave the `u32` / `i32` range.
    pub fn translated(&self, dx: i64, dy: i64) -> Option<Particle> {
        let shift_u = |value: u32, delta: i64| u32::try_from(i64::from(value) + delta).ok();
        let shift_i = |value: i32, delta: i64| i32::try_from(i64::from(value) + delta).ok();
        let runs = self
            .runs
            .iter()
            .map(|run| {
                Some(Run {
                    y: shift_u(run.y, dy)?,
                    x_start: shift_u(run.x_start, dx)?,
                    x_end: shift_u(run.x_end, dx)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let outlines = self
            .outlines
            .iter()
            .map(|outline| {
                outline
                    .iter()
                    .map(|&(x, y)| Some((shift_i(x, dx)?, shift_i(y, dy)?)))
                    .collect::<Option<Vec<_>>>()
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Particle {
            start: (shift_u(self.start.0, dx)?, shift_u(self.start.1, dy)?),
            label: self.label,
            outlines,
            bounds: Bounds {
                x: shift_u(self.bounds.x, dx)?,
                y: shift_u(self.bounds.y, dy)?,
                ..self.bounds
            },
            runs,
            is_rectangle: self.is_rectangle,
        })
    }
}

/// Which particles to report, as in ImageJ's Analyze Particles dialog.
#[derive(Clone, Debug, PartialEq)]
pub struct ParticleOptions {
    /// "Include holes": a particle is everything inside its outer boundary.
    pub include_holes: bool,
    /// "Exclude on edges": drop particles whose bounding box touches the image border.
    pub exclude_edges: bool,
    /// Smallest pixel count kept (inclusive).
    pub min_size: f64,
    /// Largest pixel count kept (inclusive).
    pub max_size: f64,
    /// Smallest circularity kept (inclusive).
    pub min_circularity: f64,
    /// Largest circularity kept (inclusive).
    pub max_circularity: f64,
}

impl Default for ParticleOptions {
    fn default() -> Self {
        ParticleOptions {
            include_holes: false,
            exclude_edges: false,
            min_size: 0.0,
            max_size: f64::INFINITY,
            min_circularity: 0.0,
            max_circularity: 1.0,
        }
    }
}

impl ParticleOptions {
    /// Whether a particle with `pixel_count` pixels and the given uncalibrated traced perimeter
    /// passes the size and circularity filters (ParticleAnalyzer.analyzeParticle).
    pub fn keeps(&self, pixel_count: u64, uncalibrated_perimeter: f64) -> bool {
        let count = pixel_count as f64;
        if self.min_circularity > 0.0 || self.max_circularity != 1.0 {
            let mut circularity = if uncalibrated_perimeter == 0.0 {
                0.0
            } else {
                4.0 * std::f64::consts::PI
                    * (count / (uncalibrated_perimeter * uncalibrated_perimeter))
            };
            if circularity > 1.0 && self.max_circularity <= 1.0 {
                circularity = 1.0;
            }
            if circularity < self.min_circularity || circularity > self.max_circularity {
                return false;
            }
        }
        count >= self.min_size && count <= self.max_size
    }

    /// Whether bounds touch the border of a `width` x `height` image.
    pub fn touches_edge(bounds: &Bounds, width: u32, height: u32) -> bool {
        bounds.x == 0
            || bounds.y == 0
            || bounds.x + bounds.width == width
            || bounds.y + bounds.height == height
    }
}

/// Finds the particles of a mask (objects = 255, everything else background) in ImageJ's order:
/// raster order of each particle's first pixel.
///
/// Without "Include holes" a particle is an 8-connected component whatever the others are, so
/// the components are found first (run-length union-find) and then traced and filtered in
/// parallel; the output is the same for any number of threads and equals the one-by-one scan
/// that "Include holes" needs (tested).
pub fn find_particles(mask: &GrayImage, options: &ParticleOptions) -> Vec<Particle> {
    if options.include_holes {
        find_particles_one_by_one(mask, options)
    } else {
        find_components(mask, options)
    }
}

/// ImageJ's scan, one particle at a time: each particle's pixels are taken before the scan goes
/// on, so with "Include holes" a particle swallows the particles inside its holes.
fn find_particles_one_by_one(mask: &GrayImage, options: &ParticleOptions) -> Vec<Particle> {
    let (width, height) = mask.dimensions();
    let mut remaining: Vec<bool> = mask.as_raw().iter().map(|&value| value == 255).collect();
    let mut particles = Vec::new();
    for y in 0..height {
        for x in 0..width {
            if !remaining[index(width, x, y)] {
                continue;
            }
            let particle = take_particle(&mut remaining, width, height, x, y, options);
            if keeps(&particle, options, width, height) {
                particles.push(particle);
            }
        }
    }
    particles
}

/// The particles without "Include holes": the 8-connected components of the 255 pixels, in
/// raster order of their first pixels, each traced on the mask itself. Tracing a component
/// only ever looks at pixels 8-adjacent to it, which belong to it or are background, so the
/// pixels other particles took before it in ImageJ's scan make no difference.
fn find_components(mask: &GrayImage, options: &ParticleOptions) -> Vec<Particle> {
    let (width, height) = mask.dimensions();
    let row_length = width as usize;
    let rows = (0..height as usize).map(|y| y * row_length..(y + 1) * row_length);
    let components = Particles::find_where(mask.as_raw(), rows, row_length, |v| v == 255, true);
    // The runs of each component, in raster order (counting sort by component).
    let mut first_run = vec![0usize; components.sizes.len() + 1];
    for &component in &components.particle_of_run {
        first_run[component as usize + 1] += 1;
    }
    for component in 0..components.sizes.len() {
        first_run[component + 1] += first_run[component];
    }
    let mut next = first_run.clone();
    let mut runs = vec![
        Run {
            y: 0,
            x_start: 0,
            x_end: 0
        };
        components.runs.len()
    ];
    for (range, &component) in components.runs.iter().zip(&components.particle_of_run) {
        let y = range.start / row_length.max(1);
        let row_start = y * row_length;
        runs[next[component as usize]] = Run {
            y: y as u32,
            x_start: (range.start - row_start) as u32,
            x_end: (range.end - row_start) as u32,
        };
        next[component as usize] += 1;
    }
    let pixels = mask.as_raw();
    let inside = |px: i64, py: i64| {
        px >= 0
            && py >= 0
            && px < i64::from(width)
            && py < i64::from(height)
            && pixels[py as usize * row_length + px as usize] == 255
    };
    first_run
        .par_windows(2)
        .filter_map(|window| {
            let runs = &runs[window[0]..window[1]];
            let (x, y) = (runs[0].x_start, runs[0].y);
            let outline = trace_outer_boundary(inside, i64::from(x), i64::from(y));
            let bounds = outline_bounds(std::slice::from_ref(&outline));
            let is_rectangle = bounds.width <= 1 || bounds.height <= 1;
            let particle = Particle {
                start: (x, y),
                label: None,
                outlines: vec![outline],
                bounds,
                runs: if is_rectangle {
                    rectangle_runs(&bounds)
                } else {
                    runs.to_vec()
                },
                is_rectangle,
            };
            keeps(&particle, options, width, height).then_some(particle)
        })
        .collect()
}

/// Applies the filters of `options` to a traced particle of an image `width` x `height`
/// (size, circularity and edge filters, `ij/plugin/filter/ParticleAnalyzer.java`).
pub(crate) fn keeps(
    particle: &Particle,
    options: &ParticleOptions,
    width: u32,
    height: u32,
) -> bool {
    if options.exclude_edges && ParticleOptions::touches_edge(&particle.bounds, width, height) {
        return false;
    }
    let perimeter: f64 = particle
        .outlines
        .iter()
        .map(|outline| traced_perimeter(outline, 1.0, 1.0))
        .sum();
    options.keeps(particle.pixel_count(), perimeter)
}

/// Traces, collects and erases the particle starting at `(x, y)`.
fn take_particle(
    remaining: &mut [bool],
    width: u32,
    height: u32,
    x: u32,
    y: u32,
    options: &ParticleOptions,
) -> Particle {
    let outline = {
        let remaining = &*remaining;
        let inside = |px: i64, py: i64| {
            px >= 0
                && py >= 0
                && px < i64::from(width)
                && py < i64::from(height)
                && remaining[py as usize * width as usize + px as usize]
        };
        trace_outer_boundary(inside, i64::from(x), i64::from(y))
    };
    let bounds = outline_bounds(std::slice::from_ref(&outline));
    let is_rectangle = bounds.width <= 1 || bounds.height <= 1;
    let runs = if is_rectangle {
        rectangle_runs(&bounds)
    } else if options.include_holes {
        polygon_runs(std::slice::from_ref(&outline), &bounds)
    } else {
        let mut target = RemainingPixels { remaining, width };
        component_runs(&mut target, width, height, x, y)
    };
    for run in &runs {
        let row = index(width, 0, run.y);
        remaining[row + run.x_start as usize..row + run.x_end as usize].fill(false);
    }
    Particle {
        start: (x, y),
        label: None,
        outlines: vec![outline],
        bounds,
        runs,
        is_rectangle,
    }
}

fn index(width: u32, x: u32, y: u32) -> usize {
    y as usize * width as usize + x as usize
}

/// Bounding rectangle of polygons (PolygonRoi bounds): min..max of the vertex coordinates.
pub(crate) fn outline_bounds(outlines: &[Vec<Vertex>]) -> Bounds {
    let mut vertices = outlines.iter().flatten();
    let Some(&(first_x, first_y)) = vertices.next() else {
        return Bounds {
            x: 0,
            y: 0,
            width: 0,
            height: 0,
        };
    };
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (first_x, first_x, first_y, first_y);
    for &(x, y) in vertices {
        min_x = min_x.min(x);
        max_x = max_x.max(x);
        min_y = min_y.min(y);
        max_y = max_y.max(y);
    }
    // Traced vertices lie on pixel corners inside 0..=width/height, so they are never negative.
    Bounds {
        x: min_x as u32,
        y: min_y as u32,
        width: (max_x - min_x) as u32,
        height: (max_y - min_y) as u32,
    }
}

/// Every pixel of a rectangle, one run per row.
pub(crate) fn rectangle_runs(bounds: &Bounds) -> Vec<Run> {
    (bounds.y..bounds.y + bounds.height)
        .map(|y| Run {
            y,
            x_start: bounds.x,
            x_end: bounds.x + bounds.width,
        })
        .collect()
}

/// Pixels whose centres lie inside the polygons by the even-odd rule (PolygonFiller).
///
/// Traced polygons have only horizontal and vertical edges on integer coordinates, so a pixel
/// centre never lies on an edge: each row's crossings are the vertical edges spanning that row.
/// The work is proportional to the total vertical edge length plus the pixels filled.
pub(crate) fn polygon_runs(outlines: &[Vec<Vertex>], bounds: &Bounds) -> Vec<Run> {
    let mut crossings: Vec<Vec<i32>> = vec![Vec::new(); bounds.height as usize];
    let top = bounds.y as i32;
    for outline in outlines {
        for (i, &(x0, y0)) in outline.iter().enumerate() {
            let (x1, y1) = outline[(i + 1) % outline.len()];
            if x0 != x1 || y0 == y1 {
                continue;
            }
            for row in y0.min(y1)..y0.max(y1) {
                crossings[(row - top) as usize].push(x0);
            }
        }
    }
    let mut runs = Vec::new();
    for (row, xs) in crossings.iter_mut().enumerate() {
        xs.sort_unstable();
        for pair in xs.chunks_exact(2) {
            if pair[0] < pair[1] {
                runs.push(Run {
                    y: bounds.y + row as u32,
                    x_start: pair[0] as u32,
                    x_end: pair[1] as u32,
                });
            }
        }
    }
    merge_touching_runs(runs)
}

/// Joins runs of a row that end where the next one starts (from polygons that touch at a
/// vertical edge), so every pixel appears once and runs stay sorted.
pub(crate) fn merge_touching_runs(runs: Vec<Run>) -> Vec<Run> {
    let mut merged: Vec<Run> = Vec::with_capacity(runs.len());
    for run in runs {
        match merged.last_mut() {
            Some(last) if last.y == run.y && last.x_end >= run.x_start => {
                last.x_end = last.x_end.max(run.x_end);
            }
            _ => merged.push(run),
        }
    }
    merged
}

/// Pixels that a flood fill may take: it asks whether a pixel is still available and takes whole
/// runs, which must then no longer be available.
pub(crate) trait FillTarget {
    /// Whether pixel `(x, y)` belongs to the component and has not been taken yet.
    fn available(&self, x: u32, y: u32) -> bool;
    /// Takes a run of available pixels.
    fn take(&mut self, run: Run);
}

/// A mask whose remaining object pixels are `true`.
pub(crate) struct RemainingPixels<'a> {
    pub(crate) remaining: &'a mut [bool],
    pub(crate) width: u32,
}

impl FillTarget for RemainingPixels<'_> {
    fn available(&self, x: u32, y: u32) -> bool {
        self.remaining[index(self.width, x, y)]
    }

    fn take(&mut self, run: Run) {
        let row = index(self.width, 0, run.y);
        self.remaining[row + run.x_start as usize..row + run.x_end as usize].fill(false);
    }
}

/// Scan-line flood fill of the 8-connected component of available pixels containing `(x, y)`
/// (FloodFiller.particleAnalyzerFill); returns its runs in raster order. Each pixel is tested a
/// bounded number of times, so the cost is linear in the component's size.
pub(crate) fn component_runs(
    target: &mut impl FillTarget,
    width: u32,
    height: u32,
    x: u32,
    y: u32,
) -> Vec<Run> {
    let mut stack = vec![(x, y)];
    let mut runs = Vec::new();
    while let Some((px, py)) = stack.pop() {
        if !target.available(px, py) {
            continue;
        }
        let mut start = px;
        while start > 0 && target.available(start - 1, py) {
            start -= 1;
        }
        let mut end = px + 1;
        while end < width && target.available(end, py) {
            end += 1;
        }
        let run = Run {
            y: py,
            x_start: start,
            x_end: end,
        };
        target.take(run);
        runs.push(run);
        // 8-connected: the rows above and below are searched one pixel beyond both ends.
        let search_start = start.saturating_sub(1);
        let search_end = (end + 1).min(width);
        for neighbour_row in [py.checked_sub(1), Some(py + 1).filter(|&r| r < height)]
            .into_iter()
            .flatten()
        {
            let mut in_run = false;
            for column in search_start..search_end {
                let candidate = target.available(column, neighbour_row);
                if candidate && !in_run {
                    stack.push((column, neighbour_row));
                }
                in_run = candidate;
            }
        }
    }
    runs.sort_unstable();
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(rows: &[&str]) -> GrayImage {
        let width = rows[0].len() as u32;
        let pixels = rows
            .iter()
            .flat_map(|row| row.bytes().map(|b| if b == b'#' { 255 } else { 0 }))
            .collect();
        GrayImage::from_raw(width, rows.len() as u32, pixels).unwrap()
    }

    #[test]
    fn raster_order_of_first_pixels() {
        let m = mask(&["..#", "#..", "..."]);
        let particles = find_particles(&m, &ParticleOptions::default());
        let starts: Vec<_> = particles.iter().map(|p| p.start).collect();
        assert_eq!(starts, vec![(2, 0), (0, 1)]);
    }

    #[test]
    fn holes_are_excluded_unless_included() {
        let rows = [".....", ".###.", ".#.#.", ".###.", "....."];
        let default = find_particles(&mask(&rows), &ParticleOptions::default());
        assert_eq!(default[0].pixel_count(), 8);
        let include = ParticleOptions {
            include_holes: true,
            ..Default::default()
        };
        assert_eq!(find_particles(&mask(&rows), &include)[0].pixel_count(), 9);
    }

    #[test]
    fn particle_in_hole_is_swallowed_with_include_holes() {
        let rows = [
            ".......", ".#####.", ".#...#.", ".#.#.#.", ".#...#.", ".#####.", ".......",
        ];
        assert_eq!(
            find_particles(&mask(&rows), &ParticleOptions::default()).len(),
            2
        );
        let include = ParticleOptions {
            include_holes: true,
            ..Default::default()
        };
        let particles = find_particles(&mask(&rows), &include);
        assert_eq!(particles.len(), 1);
        assert_eq!(particles[0].pixel_count(), 25);
    }

    #[test]
    fn exclude_edges_drops_border_particles() {
        let rows = ["#....", ".....", "..#..", ".....", "....#"];
        let options = ParticleOptions {
            exclude_edges: true,
            ..Default::default()
        };
        let particles = find_particles(&mask(&rows), &options);
        assert_eq!(particles.len(), 1);
        assert_eq!(particles[0].start, (2, 2));
    }

    #[test]
    fn flood_fill_follows_diagonals() {
        let rows = ["#...", ".#..", "..#.", "...#"];
        let particles = find_particles(&mask(&rows), &ParticleOptions::default());
        assert_eq!(particles.len(), 1);
        assert_eq!(particles[0].pixel_count(), 4);
    }

    proptest::proptest! {
        #[test]
        fn components_equal_imagej_scan(
            width in 1u32..40,
            height in 1u32..40,
            cells in proptest::collection::vec(0u8..4, 1600),
            exclude_edges: bool,
            min_size in 0f64..6.0,
            min_circularity in 0f64..0.6,
        ) {
            // Values 0 and 128 are background, 255 objects; dense enough for many shapes.
            let mask = GrayImage::from_fn(width, height, |x, y| {
                image::Luma([[0, 255, 255, 128][cells[(y * 40 + x) as usize] as usize]])
            });
            let options = ParticleOptions {
                exclude_edges,
                min_size,
                min_circularity,
                ..Default::default()
            };
            proptest::prop_assert_eq!(
                find_components(&mask, &options),
                find_particles_one_by_one(&mask, &options)
            );
        }
    }

    #[test]
    fn same_particles_for_one_and_three_threads() {
        let mask = GrayImage::from_fn(300, 200, |x, y| {
            // A scatter of blobs, lines and specks.
            let hash = (x * x * 7 + y * y * 13 + x * y) % 17;
            image::Luma([if hash < 5 || (x / 20 + y / 15) % 7 == 0 {
                255
            } else {
                0
            }])
        });
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| find_particles(&mask, &ParticleOptions::default()))
        };
        let one = run(1);
        assert!(one.len() > 100);
        assert_eq!(one, run(3));
        assert_eq!(
            one,
            find_particles_one_by_one(&mask, &ParticleOptions::default())
        );
    }

    #[test]
    fn translated_moves_everything() {
        let particles = find_particles(&mask(&["#"]), &ParticleOptions::default());
        let moved = particles[0].translated(10, 20).unwrap();
        assert_eq!(moved.start, (10, 20));
        assert_eq!(moved.bounds.x, 10);
        assert_eq!(moved.runs[0].y, 20);
        assert!(particles[0].translated(-1, 0).is_none());
    }
}
