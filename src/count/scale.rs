//! Pixel size: given by the user, or estimated from the red cells.
//!
//! A normal red blood cell is about 7.5 µm across on a dried, stained smear (the textbook
//! figure: 7-8 µm, mean ≈ 7.5 µm), so the median red-cell diameter in pixels gives the pixel
//! size when none is known. The estimate carries the spread of red-cell sizes (about ±10 %) and
//! fails on fields without normal red cells; `--pixel-size` overrides it.

/// Diameter of a normal red blood cell on a smear, µm.
pub const RED_CELL_DIAMETER_UM: f64 = 7.5;

/// The scale of an image.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Scale {
    /// Size of a pixel, µm.
    pub pixel_size: f64,
    /// Whether `pixel_size` was estimated from the red cells (else it was given).
    pub estimated: bool,
    /// The median red-cell diameter in pixels, when red cells were found.
    pub red_cell_diameter: Option<f64>,
}

impl Scale {
    /// The scale from a given pixel size, else from the red-cell diameter in pixels; `None` when
    /// neither is known.
    pub fn of(pixel_size: Option<f64>, red_cell_diameter: Option<f64>) -> Option<Scale> {
        match (pixel_size, red_cell_diameter) {
            (Some(size), diameter) => Some(Scale {
                pixel_size: size,
                estimated: false,
                red_cell_diameter: diameter,
            }),
            (None, Some(diameter)) if diameter > 0.0 => Some(Scale {
                pixel_size: RED_CELL_DIAMETER_UM / diameter,
                estimated: true,
                red_cell_diameter: Some(diameter),
            }),
            _ => None,
        }
    }

    /// The estimated scale of a red cell of `area` pixels (its diameter `2√(A/π)`); `None` for
    /// an area that is not a positive number.
    pub fn of_red_cell_area(area: f64) -> Option<Scale> {
        if !(area.is_finite() && area > 0.0) {
            return None;
        }
        Scale::of(None, Some(2.0 * (area / std::f64::consts::PI).sqrt()))
    }
}

/// The area in pixels of a normal red cell at `pixel_size` µm per pixel.
pub fn red_cell_area_pixels(pixel_size: f64) -> f64 {
    let radius = RED_CELL_DIAMETER_UM / 2.0 / pixel_size;
    std::f64::consts::PI * radius * radius
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimated_from_diameter() {
        // 100 px across → 7.5 µm / 100 px.
        let scale = Scale::of(None, Some(100.0)).unwrap();
        assert_eq!(scale.pixel_size, 0.075);
        assert!(scale.estimated);
        assert_eq!(Scale::of(Some(0.1), Some(100.0)).unwrap().pixel_size, 0.1);
        assert_eq!(Scale::of(None, None), None);
    }

    #[test]
    fn estimated_from_area() {
        // A disc of radius 50 px: 100 px across → 0.075 µm.
        let scale = Scale::of_red_cell_area(std::f64::consts::PI * 2500.0).unwrap();
        assert!((scale.pixel_size - 0.075).abs() < 1e-12);
        assert!((scale.red_cell_diameter.unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(Scale::of_red_cell_area(0.0), None);
        assert_eq!(Scale::of_red_cell_area(f64::NAN), None);
    }

    #[test]
    fn area_of_a_red_cell() {
        // 0.15 µm per pixel: 50 px across, radius 25 px.
        assert!((red_cell_area_pixels(0.15) - std::f64::consts::PI * 625.0).abs() < 1e-9);
    }
}
