//! Outer-boundary tracing, as ImageJ's wand traces a particle.
//!
//! Follows `ij/gui/Wand.java` (ImageJ 1.53t), `autoOutline` in legacy thresholded mode, which is
//! what Analyze Particles uses: tracing starts at the first particle pixel in raster order, walks
//! right to the end of its run and follows the boundary with 8-connected inside pixels. Vertices
//! are pixel corners (vertex `(x, y)` is the top-left corner of pixel `(x, y)`), listed only where
//! the boundary turns, in the order the wand visits them (that order matters: ImageJ's perimeter
//! and Feret endpoints depend on it).
//!
//! ```
//! use hemato::measure::trace::trace_outer_boundary;
//! // One pixel at (2, 1): its four corners, starting at the bottom-right one.
//! let outline = trace_outer_boundary(|x, y| x == 2 && y == 1, 2, 1);
//! assert_eq!(outline, vec![(3, 2), (2, 2), (2, 1), (3, 1)]);
//! ```

/// A polygon vertex at a pixel corner, `(x, y)` in pixel units.
pub type Vertex = (i32, i32);

/// Traces the outer boundary of the 8-connected particle whose first pixel in raster order is
/// `(start_x, start_y)`.
///
/// `inside(x, y)` tells whether a pixel belongs to the particle; it must return `false` outside
/// the image. `(start_x, start_y)` must be inside and must be the particle's first pixel in
/// raster order (no inside pixel above it or left of it in its row), as in a raster scan.
///
/// Cost: the length of the start pixel's run plus the number of boundary steps.
pub fn trace_outer_boundary(
    inside: impl Fn(i64, i64) -> bool,
    start_x: i64,
    start_y: i64,
) -> Vec<Vertex> {
    debug_assert!(inside(start_x, start_y), "trace must start inside");
    // Walk right to the first outside pixel: the boundary between (x-1, y) and (x, y).
    let mut x = start_x;
    while inside(x, start_y) {
        x += 1;
    }
    trace_edge(&inside, x, start_y)
}

/// The wand's `traceEdge` for a start where pixel `(x - 1, y)` is inside and `(x, y)` outside:
/// the walk begins going down (direction 3) along the vertical edge at `x` below `y`.
///
/// Directions: 0 = +x, 1 = −y (up), 2 = −x, 3 = +y (down); they are kept as unbounded integers and
/// read modulo 4, as in ImageJ.
fn trace_edge(inside: &impl Fn(i64, i64) -> bool, start_x: i64, start_y: i64) -> Vec<Vertex> {
    const START_DIRECTION: i64 = 3;
    let start_y = start_y + 1;
    let mut vertices: Vec<Vertex> = Vec::new();
    let (mut x, mut y) = (start_x, start_y);
    let mut direction = START_DIRECTION;
    loop {
        // 8-connected: prefer turning left (direction + 1), then straight, else turn right.
        let mut new_direction = direction + 1;
        loop {
            if inside_ahead(inside, x, y, new_direction) {
                break;
            }
            new_direction -= 1;
            if new_direction < direction {
                break;
            }
        }
        if new_direction != direction {
            vertices.push(vertex(x, y));
        }
        match new_direction & 3 {
            0 => x += 1,
            1 => y -= 1,
            2 => x -= 1,
            _ => y += 1,
        }
        direction = new_direction;
        if x == start_x && y == start_y && (direction & 3) == START_DIRECTION {
            break;
        }
    }
    // The wand compares only x here (Wand.traceEdge); the start is then a corner too.
    if vertices.first().map(|v| i64::from(v.0)) != Some(x) {
        vertices.push(vertex(x, y));
    }
    vertices
}

/// The pixel that lies ahead-left of corner `(x, y)` when moving in `direction`.
fn inside_ahead(inside: &impl Fn(i64, i64) -> bool, x: i64, y: i64, direction: i64) -> bool {
    match direction & 3 {
        0 => inside(x, y),
        1 => inside(x, y - 1),
        2 => inside(x - 1, y - 1),
        _ => inside(x - 1, y),
    }
}

fn vertex(x: i64, y: i64) -> Vertex {
    // Coordinates are within 0..=width/height of an image of at most 2^31 pixels a side.
    (x as i32, y as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_rows<'a>(rows: &'a [&'a str]) -> impl Fn(i64, i64) -> bool + 'a {
        move |x, y| {
            x >= 0
                && y >= 0
                && (y as usize) < rows.len()
                && rows[y as usize].as_bytes().get(x as usize) == Some(&b'#')
        }
    }

    #[test]
    fn rectangle_has_four_corners_starting_bottom_right() {
        let rows = ["....", ".##.", ".##.", "...."];
        assert_eq!(
            trace_outer_boundary(from_rows(&rows), 1, 1),
            vec![(3, 3), (1, 3), (1, 1), (3, 1)]
        );
    }

    #[test]
    fn diagonal_pixels_are_one_particle() {
        // Two pixels touching at a corner: 8-connected, one outline through the shared corner.
        let rows = ["#.", ".#"];
        let outline = trace_outer_boundary(from_rows(&rows), 0, 0);
        assert_eq!(
            outline,
            vec![
                (1, 1),
                (2, 1),
                (2, 2),
                (1, 2),
                (1, 1),
                (0, 1),
                (0, 0),
                (1, 0)
            ]
        );
    }

    #[test]
    fn ring_traces_only_the_outer_boundary() {
        let rows = ["###", "#.#", "###"];
        assert_eq!(
            trace_outer_boundary(from_rows(&rows), 0, 0),
            vec![(3, 3), (0, 3), (0, 0), (3, 0)]
        );
    }
}
