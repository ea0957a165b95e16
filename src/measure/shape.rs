//! Shape measurements of a particle: perimeter, fitted ellipse, convex hull, Feret diameters.
//!
//! Each formula follows ImageJ 1.53t and names its source: `ij/gui/PolygonRoi.java`
//! (getTracedPerimeter), `ij/process/EllipseFitter.java`, `ij/process/FloatPolygon.java`
//! (getConvexHull), `ij/gui/Roi.java` (getFeretValues), `ij/plugin/filter/Analyzer.java`
//! (saveResults: Circ., AR, Round, Solidity) and `ij/process/ImageStatistics.java` (fitEllipse,
//! calibration of bounds and centroid).

use super::particles::Particle;
use super::trace::Vertex;
use super::Calibration;

/// The intensity-independent columns of one particle.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ShapeMeasurements {
    /// Calibrated area: pixel count × pixel width × pixel height.
    pub area: f64,
    /// Centroid x (calibrated).
    pub x: f64,
    /// Centroid y (calibrated).
    pub y: f64,
    /// Traced perimeter of the outer boundary (calibrated).
    pub perimeter: f64,
    /// Bounding box left (calibrated).
    pub bx: f64,
    /// Bounding box top (calibrated).
    pub by: f64,
    /// Bounding box width (calibrated).
    pub width: f64,
    /// Bounding box height (calibrated).
    pub height: f64,
    /// Major axis of the fitted ellipse (calibrated; 0 when pixels are not square).
    pub major: f64,
    /// Minor axis of the fitted ellipse.
    pub minor: f64,
    /// Angle of the major axis in degrees, 0 ≤ angle < 180, counter-clockwise from +x on screen.
    pub angle: f64,
    /// Circularity 4π·area/perimeter², at most 1.
    pub circularity: f64,
    /// Largest distance between two hull vertices (calibrated).
    pub feret: f64,
    /// x of the Feret diameter's first endpoint (uncalibrated pixel corner).
    pub feret_x: f64,
    /// y of the Feret diameter's first endpoint (uncalibrated pixel corner).
    pub feret_y: f64,
    /// Angle of the Feret diameter, 0 ≤ angle < 180 degrees.
    pub feret_angle: f64,
    /// Minimum caliper width of the convex hull (calibrated).
    pub min_feret: f64,
    /// Aspect ratio Major/Minor.
    pub aspect_ratio: f64,
    /// Roundness 4·area/(π·Major²).
    pub roundness: f64,
    /// Pixel count / convex hull area.
    pub solidity: f64,
}

/// Measures the shape of a particle.
pub fn measure_shape(particle: &Particle, calibration: &Calibration) -> ShapeMeasurements {
    let (pw, ph) = (calibration.pixel_width, calibration.pixel_height);
    let pixel_count = particle.pixel_count() as f64;
    let area = pixel_count * pw * ph;
    let ellipse = fit_ellipse(particle);
    // ImageStatistics.fitEllipse: axes are only calibrated for (nearly) square pixels.
    let axis_scale = if ((pw - ph).abs() / pw) < 0.01 {
        pw
    } else {
        0.0
    };
    let major = ellipse.major * axis_scale;
    let minor = ellipse.minor * axis_scale;
    let perimeter: f64 = particle
        .outlines
        .iter()
        .map(|outline| traced_perimeter(outline, pw, ph))
        .sum();
    let mut circularity = if perimeter == 0.0 {
        0.0
    } else {
        4.0 * std::f64::consts::PI * (area / (perimeter * perimeter))
    };
    if circularity > 1.0 {
        circularity = 1.0;
    }
    let vertices: Vec<Vertex> = particle.outline_vertices().collect();
    let hull = convex_hull(&vertices);
    let feret = feret_values(&hull, pw, ph);
    let hull_area = polygon_area(&hull);
    let bounds = particle.bounds;
    ShapeMeasurements {
        area,
        x: ellipse.x_center * pw,
        y: ellipse.y_center * ph,
        perimeter,
        bx: f64::from(bounds.x) * pw,
        by: f64::from(bounds.y) * ph,
        width: f64::from(bounds.width) * pw,
        height: f64::from(bounds.height) * ph,
        major,
        minor,
        angle: ellipse.angle,
        circularity,
        feret: feret.diameter,
        feret_x: feret.x,
        feret_y: feret.y,
        feret_angle: feret.angle,
        min_feret: feret.min_diameter,
        aspect_ratio: major / minor,
        roundness: 4.0 * area / (std::f64::consts::PI * major * major),
        solidity: pixel_count / hull_area,
    }
}

/// Perimeter of a traced outline (PolygonRoi.getTracedPerimeter): the sum of edge lengths, less
/// `(pw + ph) − √(pw² + ph²)` for each corner that is cut diagonally. A corner is counted when
/// the edge arriving at it is longer than one pixel or the previous vertex was not counted.
pub fn traced_perimeter(outline: &[Vertex], pw: f64, ph: f64) -> f64 {
    let n = outline.len();
    if n < 4 {
        return 0.0;
    }
    let (mut sum_dx, mut sum_dy, mut corners) = (0_i64, 0_i64, 0_i64);
    let mut dx1 = i64::from(outline[0].0 - outline[n - 1].0);
    let mut dy1 = i64::from(outline[0].1 - outline[n - 1].1);
    let mut side1 = dx1.abs() + dy1.abs();
    let mut corner = false;
    for i in 0..n {
        let next = (i + 1) % n;
        let dx2 = i64::from(outline[next].0 - outline[i].0);
        let dy2 = i64::from(outline[next].1 - outline[i].1);
        sum_dx += dx1.abs();
        sum_dy += dy1.abs();
        let side2 = dx2.abs() + dy2.abs();
        if side1 > 1 || !corner {
            corner = true;
            corners += 1;
        } else {
            corner = false;
        }
        dx1 = dx2;
        dy1 = dy2;
        side1 = side2;
    }
    sum_dx as f64 * pw + sum_dy as f64 * ph
        - (corners as f64 * ((pw + ph) - (pw * pw + ph * ph).sqrt()))
}

/// The fitted ellipse, uncalibrated (EllipseFitter).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ellipse {
    /// Centre x in pixels (= centroid x).
    pub x_center: f64,
    /// Centre y in pixels.
    pub y_center: f64,
    /// Major axis in pixels.
    pub major: f64,
    /// Minor axis in pixels.
    pub minor: f64,
    /// Angle in degrees, 0 ≤ angle < 180.
    pub angle: f64,
}

/// Fits the ellipse with the particle's second moments and area (EllipseFitter.getEllipseParam).
///
/// Sums are taken relative to the bounding box, adding 1/12 per pixel to Σx² and Σy² (the
/// moment of a unit square); the axes are then scaled so that the ellipse's area equals the pixel
/// count. The branches for symmetric cases (`a12 == 0`, `sin θ == 0`) follow ImageJ literally, so
/// degenerate particles get ImageJ's angles. A particle measured as a rectangle (1 pixel wide or
/// high) gets the rectangle formula.
pub fn fit_ellipse(particle: &Particle) -> Ellipse {
    // ImageJ's own truncated constants, kept so that angles match ImageJ to the last digit.
    #[allow(clippy::approx_constant)]
    const HALF_PI: f64 = 1.5707963267949;
    const SQRT_PI: f64 = 1.772453851;
    let bounds = particle.bounds;
    let left = f64::from(bounds.x);
    let top = f64::from(bounds.y);
    if particle.is_rectangle {
        let width = f64::from(bounds.width);
        let height = f64::from(bounds.height);
        let mut major = (width * 2.0) / SQRT_PI;
        let mut minor = (height * 2.0) / SQRT_PI;
        let mut angle = 0.0;
        if major < minor {
            std::mem::swap(&mut major, &mut minor);
            angle = 90.0;
        }
        return Ellipse {
            x_center: left + width / 2.0,
            y_center: top + height / 2.0,
            major,
            minor,
            angle,
        };
    }
    // Integer sums, exact (ImageJ's doubles hold the same whole numbers exactly).
    let (mut count, mut x_sum, mut y_sum, mut x2_sum, mut y2_sum, mut xy_sum) =
        (0_i128, 0_i128, 0_i128, 0_i128, 0_i128, 0_i128);
    for run in &particle.runs {
        // Per run in i64 (exact for runs shorter than 2 million pixels), summed in i128.
        let y = i64::from(run.y - bounds.y);
        let a = i64::from(run.x_start - bounds.x);
        let b = i64::from(run.x_end - bounds.x); // exclusive
        let n = b - a;
        let sum_x = i128::from((a + b - 1) * n / 2);
        let sum_x2 = i128::from(sum_of_squares(b - 1) - sum_of_squares(a - 1));
        let (n, y) = (i128::from(n), i128::from(y));
        count += n;
        x_sum += sum_x;
        y_sum += n * y;
        x2_sum += sum_x2;
        y2_sum += y * y * n;
        xy_sum += sum_x * y;
    }
    let bit_count = count as f64;
    let x2_sum = x2_sum as f64 + 0.08333333 * bit_count;
    let y2_sum = y2_sum as f64 + 0.08333333 * bit_count;
    let n = bit_count;
    let x1 = x_sum as f64 / n;
    let y1 = y_sum as f64 / n;
    let x2 = x2_sum / n;
    let y2 = y2_sum / n;
    let xy = xy_sum as f64 / n;
    let u20 = x2 - (x1 * x1);
    let u02 = y2 - (y1 * y1);
    let u11 = xy - x1 * y1;

    let mut m4 = 4.0 * (u02 * u20 - u11 * u11).abs();
    if m4 < 0.000001 {
        m4 = 0.000001;
    }
    let mut a11 = u02 / m4;
    let a12 = u11 / m4;
    let mut a22 = u20 / m4;
    let mut tmp = a11 - a22;
    if tmp == 0.0 {
        tmp = 0.000001;
    }
    let mut theta = 0.5 * (2.0 * a12 / tmp).atan();
    if theta < 0.0 {
        theta += HALF_PI;
    }
    if a12 > 0.0 {
        theta += HALF_PI;
    } else if a12 == 0.0 {
        if a22 > a11 {
            theta = 0.0;
            std::mem::swap(&mut a11, &mut a22);
        } else if a11 != a22 {
            theta = HALF_PI;
        }
    }
    tmp = theta.sin();
    if tmp == 0.0 {
        tmp = 0.000001;
    }
    let z = a12 * theta.cos() / tmp;
    let mut major = (1.0 / (a22 + z).abs()).sqrt();
    let mut minor = (1.0 / (a11 - z).abs()).sqrt();
    let scale = (bit_count / (std::f64::consts::PI * major * minor)).sqrt();
    major = major * scale * 2.0;
    minor = minor * scale * 2.0;
    let mut angle = 180.0 * theta / std::f64::consts::PI;
    if angle == 180.0 {
        angle = 0.0;
    }
    if major < minor {
        std::mem::swap(&mut major, &mut minor);
    }
    Ellipse {
        x_center: left + x1 + 0.5,
        y_center: top + y1 + 0.5,
        major,
        minor,
        angle,
    }
}

/// 0² + 1² + … + k² (0 for k < 0).
fn sum_of_squares(k: i64) -> i64 {
    if k < 0 {
        0
    } else {
        k * (k + 1) * (2 * k + 1) / 6
    }
}

/// Convex hull by gift wrapping (FloatPolygon.getConvexHull): starts at the vertex with the
/// smallest y (then smallest x), drops collinear points, and lists the hull in ImageJ's order.
///
/// Only the leftmost and rightmost vertex of each row can be hull vertices, so the others are
/// dropped first; the hull is unique, so the result is the same as wrapping all vertices.
pub fn convex_hull(vertices: &[Vertex]) -> Vec<Vertex> {
    let points = row_extremes(vertices);
    let n = points.len();
    if n == 0 {
        return Vec::new();
    }
    let smallest_y = points.iter().map(|p| p.1).min().unwrap_or(0);
    let mut p1 = 0;
    let mut smallest_x = i32::MAX;
    for (i, &(x, y)) in points.iter().enumerate() {
        if y == smallest_y && x < smallest_x {
            smallest_x = x;
            p1 = i;
        }
    }
    let start = p1;
    let coordinate = |i: usize| (f64::from(points[i].0), f64::from(points[i].1));
    let mut hull: Vec<Vertex> = Vec::new();
    loop {
        let (x1, y1) = coordinate(p1);
        let mut p2 = p1;
        let (mut x2, mut y2) = (0.0, 0.0);
        loop {
            p2 = (p2 + 1) % n;
            if p2 == p1 {
                break;
            }
            (x2, y2) = coordinate(p2);
            if !(x2 == x1 && y2 == y1) {
                break;
            }
        }
        let mut p3 = (p2 + 1) % n;
        if p2 != p1 {
            loop {
                let (x3, y3) = coordinate(p3);
                let determinant = x1 * (y2 - y3) - y1 * (x2 - x3) + (y3 * x2 - y2 * x3);
                let mut collinear_and_further = false;
                if determinant == 0.0 && p3 != p2 {
                    let d2 = (x2 - x1).powi(2) + (y2 - y1).powi(2);
                    let d3 = (x3 - x1).powi(2) + (y3 - y1).powi(2);
                    collinear_and_further = d3 > d2;
                }
                if determinant > 0.0 || collinear_and_further {
                    (x2, y2, p2) = (x3, y3, p3);
                }
                p3 = (p3 + 1) % n;
                if p3 == p1 {
                    break;
                }
            }
        }
        hull.push(points[p1]);
        if p2 == p1 {
            break;
        }
        p1 = p2;
        if hull.len() > 1 && points[p1] == hull[0] {
            break;
        }
        if p1 == start {
            break;
        }
    }
    hull
}

/// The vertices that are leftmost or rightmost in their row, in their original order.
fn row_extremes(vertices: &[Vertex]) -> Vec<Vertex> {
    let Some(top) = vertices.iter().map(|v| v.1).min() else {
        return Vec::new();
    };
    let bottom = vertices.iter().map(|v| v.1).max().unwrap_or(top);
    let mut extremes = vec![(i32::MAX, i32::MIN); (bottom - top) as usize + 1];
    for &(x, y) in vertices {
        let entry = &mut extremes[(y - top) as usize];
        entry.0 = entry.0.min(x);
        entry.1 = entry.1.max(x);
    }
    vertices
        .iter()
        .copied()
        .filter(|&(x, y)| {
            let (min_x, max_x) = extremes[(y - top) as usize];
            x == min_x || x == max_x
        })
        .collect()
}

/// Absolute shoelace area of a polygon with integer vertices (Analyzer.getArea).
pub fn polygon_area(polygon: &[Vertex]) -> f64 {
    let n = polygon.len();
    let mut twice_area = 0_i64;
    for i in 0..n {
        let previous = if i == 0 { n - 1 } else { i - 1 };
        twice_area += i64::from(polygon[i].0 + polygon[previous].0)
            * i64::from(polygon[i].1 - polygon[previous].1);
    }
    (twice_area as f64 / 2.0).abs()
}

/// Feret values of a convex hull (Roi.getFeretValues).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Feret {
    /// Largest vertex-pair distance (calibrated).
    pub diameter: f64,
    /// Angle of that diameter in degrees, 0 ≤ angle < 180.
    pub angle: f64,
    /// Smallest caliper width (calibrated).
    pub min_diameter: f64,
    /// First endpoint (smaller x), uncalibrated.
    pub x: f64,
    /// First endpoint y, uncalibrated.
    pub y: f64,
}

/// Feret diameter, its angle and endpoint, and the minimum caliper width of a convex hull
/// listed as [`convex_hull`] lists it.
pub fn feret_values(hull: &[Vertex], pw: f64, ph: f64) -> Feret {
    let n = hull.len();
    if n == 0 {
        return Feret {
            diameter: 0.0,
            angle: 0.0,
            min_diameter: 0.0,
            x: 0.0,
            y: 0.0,
        };
    }
    let point = |i: usize| (f64::from(hull[i].0), f64::from(hull[i].1));
    let (mut p1, mut p2) = (0, 0);
    let mut diameter_squared = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            let dx = (point(i).0 - point(j).0) * pw;
            let dy = (point(i).1 - point(j).1) * ph;
            let d = dx * dx + dy * dy;
            if d > diameter_squared {
                diameter_squared = d;
                p1 = i;
                p2 = j;
            }
        }
    }
    if point(p1).0 > point(p2).0 {
        std::mem::swap(&mut p1, &mut p2);
    }
    let (xf1, yf1) = point(p1);
    let (xf2, yf2) = point(p2);
    let mut angle = (180.0 / std::f64::consts::PI) * ((yf1 - yf2) * ph).atan2((xf2 - xf1) * pw);
    if angle < 0.0 {
        angle += 180.0;
    }

    // Minimum caliper width: for each hull edge, the farthest vertex from its line.
    let (mut x0, mut y0) = point(n - 1);
    let mut min_feret = f64::MAX;
    for i in 0..n {
        let (x_previous, y_previous) = (x0, y0);
        (x0, y0) = point(i);
        let mut x_normal = (y0 - y_previous) * ph;
        let mut y_normal = (x_previous - x0) * pw;
        let normalization = 1.0 / (x_normal * x_normal + y_normal * y_normal).sqrt();
        x_normal *= normalization * pw;
        y_normal *= normalization * ph;
        let mut max_distance = 0.0;
        for j in 0..n {
            let (x1, y1) = point(j);
            let distance = (x1 - x0) * x_normal + (y1 - y0) * y_normal;
            if distance > max_distance {
                max_distance = distance;
            }
        }
        if max_distance < min_feret {
            min_feret = max_distance;
        }
    }
    Feret {
        diameter: diameter_squared.sqrt(),
        angle,
        min_diameter: min_feret,
        x: xf1,
        y: yf1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_pixel_perimeter_cuts_every_other_corner() {
        let outline = vec![(1, 1), (0, 1), (0, 0), (1, 0)];
        let expected = 4.0 - 2.0 * (2.0 - 2.0_f64.sqrt()); // 2.828427, as ImageJ prints
        assert!((traced_perimeter(&outline, 1.0, 1.0) - expected).abs() < 1e-12);
    }

    #[test]
    fn hull_of_square_starts_top_left() {
        let square = vec![(3, 3), (0, 3), (0, 0), (3, 0)];
        let hull = convex_hull(&square);
        assert_eq!(hull.len(), 4);
        assert_eq!(hull[0], (0, 0));
        assert_eq!(polygon_area(&hull), 9.0);
        let feret = feret_values(&hull, 1.0, 1.0);
        assert!((feret.diameter - 18.0_f64.sqrt()).abs() < 1e-12);
        assert_eq!(feret.min_diameter, 3.0);
    }
}
