//! Stain separation by colour deconvolution, and RGB to grey as ImageJ does it.
//!
//! A bright-field image of a stained smear is light that passed through a mix of dyes. By the
//! Beer-Lambert law each dye adds its own optical-density vector (how much it absorbs red, green
//! and blue) times its amount, so inverting the 3×3 matrix of stain vectors turns a pixel's
//! optical densities into the amount of each stain (Ruifrok & Johnston 2001). hemato follows
//! G. Landini's Colour Deconvolution 2 for Fiji (imagej-reference.md §7):
//!
//! - [`StainSet`]: every built-in vector set (Giemsa is the default), [`StainVectors`] for
//!   custom vectors (from JSON);
//! - [`StainMatrix`]: normalised vectors, the third colour by cross product or the legacy
//!   complement ([`ThirdStain`]), the inverse;
//! - [`deconvolve_transmittance`] (8-bit, as CD2's `8bit_Transmittance`),
//!   [`deconvolve_absorbance`] (32-bit, `32bit_Absorbance`), and the one-stain variants
//!   [`stain_transmittance`], [`stain_absorbance`] for pipelines that need one stain only;
//! - [`rgb_to_gray`]: ImageJ's RGB → 8-bit conversion.
//!
//! ```
//! use hemato::color::{deconvolve_transmittance, StainMatrix, StainSet, ThirdStain};
//! let giemsa = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct).unwrap();
//! // A white pixel and a blue-violet (methylene-blue-stained) one.
//! let image = image::RgbImage::from_raw(2, 1, vec![255, 255, 255, 60, 90, 170]).unwrap();
//! let [blue, eosin, _] = deconvolve_transmittance(&image, &giemsa);
//! assert_eq!(blue.get_pixel(0, 0).0, [255]); // no stain in white
//! assert!(blue.get_pixel(1, 0).0[0] < eosin.get_pixel(1, 0).0[0]); // mostly methylene blue
//! ```

mod deconvolve;
mod gray;
mod matrix;
mod stains;

use std::path::PathBuf;

pub use deconvolve::{
    absorbance, absorbance_of_pixel, deconvolve_absorbance, deconvolve_transmittance,
    optical_density, stain_absorbance, stain_transmittance, transmittance_8bit,
    transmittance_of_pixel, TransmittanceTables,
};
pub use gray::rgb_to_gray;

pub use matrix::{StainMatrix, ThirdStain};
pub use stains::{StainSet, StainVectors};

/// A pixel is unlit when every channel is below this level: no light reached it (the black
/// corners of a round field stop, black padding, a scanner's filler); no stain is that dark
/// (`count::view` gives the evidence). The first 4 of the 32 colour bins of 8 levels the
/// background is looked for in, so that slide statistics can leave unlit pixels out bin by
/// bin. A power of two, so that one test of the channels' bitwise OR decides.
pub const UNLIT_LEVEL: u8 = 32;

/// Whether a pixel (R, G, B) is unlit ([`UNLIT_LEVEL`]).
#[inline(always)]
pub fn is_unlit(rgb: &[u8]) -> bool {
    (rgb[0] | rgb[1] | rgb[2]) < UNLIT_LEVEL
}

/// Whether every pixel of `image` is grey (R = G = B): a monochrome picture, or one saved as
/// RGB. Stains cannot be told apart in it, so nothing that finds cells by their stain colour
/// (white cells, platelets, the features) can work on it; callers refuse it rather than
/// return counts without them.
///
/// ```
/// use image::{Rgb, RgbImage};
/// let mut image = RgbImage::from_pixel(3, 2, Rgb([120, 120, 120]));
/// assert!(hemato::color::is_grey(&image));
/// image.put_pixel(2, 1, Rgb([120, 121, 120]));
/// assert!(!hemato::color::is_grey(&image));
/// ```
pub fn is_grey(image: &image::RgbImage) -> bool {
    image.pixels().all(|image::Rgb([r, g, b])| r == g && g == b)
}

/// Why stain vectors or a stain matrix could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ColorError {
    /// The stain set name is not a built-in one.
    #[error("unknown stain set {name:?}; built-in sets: {valid}")]
    UnknownStainSet {
        /// The name that was given.
        name: String,
        /// The built-in names, comma-separated.
        valid: String,
    },
    /// The vectors file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A problem inside a vectors file.
    #[error("{path}: {source}")]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: Box<ColorError>,
    },
    /// The text is not valid JSON of the expected shape.
    #[error(
        "not valid JSON stain vectors ({reason}); expected {{\"name\": \"...\", \"vectors\": \
         [[r, g, b], [r, g, b]]}}"
    )]
    InvalidJson {
        /// The parser's message.
        reason: String,
    },
    /// `vectors` does not hold 1 to 3 rows.
    #[error("{count} stain vectors given; give 1 to 3 rows of [r, g, b]")]
    WrongVectorCount {
        /// How many rows were given.
        count: usize,
    },
    /// A row does not hold exactly three numbers.
    #[error("colour {colour} has {length} numbers; a stain vector is [r, g, b]")]
    WrongVectorLength {
        /// 1-based colour number.
        colour: usize,
        /// How many numbers it had.
        length: usize,
    },
    /// A component is NaN or infinite.
    #[error("colour {colour} has a component that is not a finite number")]
    NonFiniteVector {
        /// 1-based colour number.
        colour: usize,
    },
    /// Colour 1 is the zero vector.
    #[error("colour {colour} is zero; the first stain vector must have some optical density")]
    ZeroVector {
        /// 1-based colour number.
        colour: usize,
    },
    /// The stain vectors are (nearly) linearly dependent.
    #[error(
        "the stain matrix of {name:?} is singular: its vectors are (nearly) linearly dependent, \
         so the stains cannot be told apart"
    )]
    SingularMatrix {
        /// The stain set's name.
        name: String,
    },
    /// A stain index other than 0, 1, 2.
    #[error("there is no stain {stain}; stains are numbered 0, 1, 2")]
    NoSuchStain {
        /// The index that was given.
        stain: usize,
    },
}
