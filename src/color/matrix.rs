//! The stain matrix: normalised stain vectors and their inverse.

use nalgebra::Matrix3;

use super::{ColorError, StainVectors};

/// How an unspecified third colour is derived from the first two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ThirdStain {
    /// Colour 1 × colour 2 (normalised): a stain orthogonal to both (Colour Deconvolution 2's
    /// "cross product for colour 3").
    #[default]
    CrossProduct,
    /// Colour Deconvolution 1's complement, component by component: `√(1 − a² − b²)` where
    /// `a`, `b` are that component of colours 1 and 2, or 0 when `a² + b² > 1`; then normalised.
    LegacyComplement,
}

/// Normalised stain vectors (rows: colour 1, 2, 3; columns: R, G, B) and the inverse matrix
/// that turns a pixel's optical densities into the amount of each stain.
///
/// Built as Colour Deconvolution 2 builds it:
/// 1. each given vector is divided by its length;
/// 2. an unspecified colour 2 becomes colour 1 with its components rotated, (B, R, G);
/// 3. an unspecified colour 3 is derived by [`ThirdStain`] and normalised;
/// 4. the matrix is inverted (nalgebra); nearly dependent rows are refused.
///
/// ```
/// use hemato::color::{StainMatrix, StainSet, ThirdStain};
/// let matrix = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
/// let third = matrix.rows()[2];
/// assert!((third[0] - -0.0536819).abs() < 1e-7);
/// assert!((third[2] - 0.95871482).abs() < 1e-7);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StainMatrix {
    name: String,
    rows: [[f64; 3]; 3],
    inverse: [[f64; 3]; 3],
}

/// Rows whose determinant is smaller than this (they are unit vectors, so |det| ≤ 1) are
/// treated as linearly dependent: the inverse would amplify noise by more than 10⁶.
const MIN_DETERMINANT: f64 = 1e-6;

impl StainMatrix {
    /// The matrix of `vectors`, deriving an unspecified third colour by `third`.
    ///
    /// Errors: colour 1 of length zero, a third colour that cannot be normalised (colours 1 and
    /// 2 parallel), or a (nearly) singular matrix.
    pub fn new(vectors: &StainVectors, third: ThirdStain) -> Result<StainMatrix, ColorError> {
        let first = vectors.colours[0]
            .map(normalised)
            .filter(|row| *row != [0.0; 3])
            .ok_or(ColorError::ZeroVector { colour: 1 })?;
        let second = match vectors.colours[1].map(normalised) {
            Some(row) if row != [0.0; 3] => row,
            _ => [first[2], first[0], first[1]],
        };
        let given_third = vectors.colours[2]
            .map(normalised)
            .filter(|row| *row != [0.0; 3]);
        let third = match given_third {
            Some(row) => row,
            None => {
                let derived = match third {
                    ThirdStain::CrossProduct => cross(first, second),
                    ThirdStain::LegacyComplement => complement(first, second),
                };
                let row = normalised(derived);
                if row == [0.0; 3] || row.iter().any(|component| !component.is_finite()) {
                    return Err(ColorError::SingularMatrix {
                        name: vectors.name.clone(),
                    });
                }
                row
            }
        };
        let rows = [first, second, third];
        let matrix = Matrix3::from_fn(|row, column| rows[row][column]);
        let inverse = matrix
            .try_inverse()
            .filter(|_| matrix.determinant().abs() >= MIN_DETERMINANT)
            .ok_or_else(|| ColorError::SingularMatrix {
                name: vectors.name.clone(),
            })?;
        Ok(StainMatrix {
            name: vectors.name.clone(),
            rows,
            inverse: std::array::from_fn(|row| {
                std::array::from_fn(|column| inverse[(row, column)])
            }),
        })
    }

    /// The name of the stain set the matrix was built from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The normalised stain vectors: row i = colour i+1, columns R, G, B.
    pub fn rows(&self) -> [[f64; 3]; 3] {
        self.rows
    }

    /// The inverse Q of [`StainMatrix::rows`]: stain i of a pixel with optical densities
    /// (OD_R, OD_G, OD_B) is `OD_R·Q[0][i] + OD_G·Q[1][i] + OD_B·Q[2][i]`.
    pub fn inverse(&self) -> [[f64; 3]; 3] {
        self.inverse
    }
}

/// `vector` divided by its length; the zero vector stays zero.
fn normalised(vector: [f64; 3]) -> [f64; 3] {
    let length = (vector[0] * vector[0] + vector[1] * vector[1] + vector[2] * vector[2]).sqrt();
    if length == 0.0 {
        return [0.0; 3];
    }
    vector.map(|component| component / length)
}

/// `a × b`.
fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Colour Deconvolution 1's third colour: per component √(1 − a² − b²), or 0 when a² + b² > 1.
fn complement(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|channel| {
        let (x, y) = (a[channel], b[channel]);
        if x * x + y * y > 1.0 {
            0.0
        } else {
            (1.0 - (x * x) - (y * y)).sqrt()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::StainSet;

    fn assert_close(actual: [f64; 3], expected: [f64; 3], tolerance: f64) {
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() < tolerance, "{actual:?} != {expected:?}");
        }
    }

    // The normalised Giemsa rows and cross-product third row of imagej-reference.md §7.
    #[test]
    fn giemsa_rows_match_the_reference() {
        let matrix =
            StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
        let rows = matrix.rows();
        assert_close(rows[0], [0.83512878, 0.51378918, 0.19641944], 5e-9);
        assert_close(rows[1], [0.09283127, 0.95454569, 0.28323998], 5e-9);
        assert_close(rows[2], [-0.0536819, -0.27925642, 0.95871482], 5e-8);
    }

    #[test]
    fn inverse_times_matrix_is_identity() {
        for set in StainSet::ALL {
            for third in [ThirdStain::CrossProduct, ThirdStain::LegacyComplement] {
                let matrix = StainMatrix::new(&set.vectors(), third).unwrap();
                let (m, q) = (matrix.rows(), matrix.inverse());
                let product = Matrix3::from_fn(|i, j| m[i][j]) * Matrix3::from_fn(|i, j| q[i][j]);
                let error = (product - Matrix3::identity()).abs().max();
                assert!(error < 1e-12, "{set} {third:?}: {error}");
            }
        }
    }

    // By hand: H&E rows h = (0.644211, 0.716556, 0.266844)/|h|, e = (0.092789, 0.954111,
    // 0.283111)/|e|; legacy R = √(1 − h_R² − e_R²), etc., then normalised.
    #[test]
    fn legacy_complement_of_h_and_e() {
        let matrix =
            StainMatrix::new(&StainSet::HAndE.vectors(), ThirdStain::LegacyComplement).unwrap();
        let h_length = (0.644211f64.powi(2) + 0.716556f64.powi(2) + 0.266844f64.powi(2)).sqrt();
        let e_length = (0.092789f64.powi(2) + 0.954111f64.powi(2) + 0.283111f64.powi(2)).sqrt();
        let h = [
            0.644211 / h_length,
            0.716556 / h_length,
            0.266844 / h_length,
        ];
        let e = [
            0.092789 / e_length,
            0.954111 / e_length,
            0.283111 / e_length,
        ];
        let raw: Vec<f64> = (0..3)
            .map(|c| {
                let rest = 1.0 - h[c] * h[c] - e[c] * e[c];
                if rest < 0.0 {
                    0.0
                } else {
                    rest.sqrt()
                }
            })
            .collect();
        // h_G² + e_G² = 0.55 + 0.90 > 1, so G is 0.
        assert_eq!(raw[1], 0.0);
        let length = (raw[0] * raw[0] + raw[2] * raw[2]).sqrt();
        assert_close(
            matrix.rows()[2],
            [raw[0] / length, 0.0, raw[2] / length],
            1e-15,
        );
    }

    #[test]
    fn unspecified_second_colour_is_the_rotated_first() {
        let vectors = StainVectors {
            name: "one".into(),
            colours: [Some([3.0, 4.0, 0.0]), None, None],
        };
        let matrix = StainMatrix::new(&vectors, ThirdStain::CrossProduct).unwrap();
        assert_eq!(matrix.rows()[1], [0.0, 0.6, 0.8]);
    }

    #[test]
    fn dependent_vectors_are_refused() {
        let parallel = StainVectors {
            name: "parallel".into(),
            colours: [Some([1.0, 2.0, 3.0]), Some([2.0, 4.0, 6.0]), None],
        };
        let error = StainMatrix::new(&parallel, ThirdStain::CrossProduct).unwrap_err();
        assert!(error.to_string().contains("singular"), "{error}");
        let planar = StainVectors {
            name: "planar".into(),
            colours: [
                Some([1.0, 0.0, 0.0]),
                Some([0.0, 1.0, 0.0]),
                Some([1.0, 1.0, 0.0]),
            ],
        };
        assert!(StainMatrix::new(&planar, ThirdStain::CrossProduct).is_err());
    }
}
