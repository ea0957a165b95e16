//! Global thresholds of 8-bit images, exactly as ImageJ 1.53t computes them.
//!
//! The pipeline's second stage turns one 8-bit image (a stain channel, a grey conversion) into a
//! binary mask. ImageJ's `setAutoThreshold("METHOD")` and `setAutoThreshold("METHOD dark")` do
//! it in three steps, which this module mirrors:
//!
//! 1. [`histogram`]: count the pixels of each grey value (256 bins).
//! 2. [`level`]: one of the 17 methods of `ij/process/AutoThresholder.java` picks a level `t`
//!    from the histogram (a method that finds nothing gives −1, which ImageJ turns into 0).
//! 3. [`Range::for_level`]: `ij/process/ImageProcessor.java` `setAutoThreshold(Method, boolean,
//!    int)` turns the level into the selected range of grey values: with a dark background the
//!    objects are `t+1..=255` (lower end capped at 255), otherwise `0..=t`.
//!
//! [`apply`] then makes the mask (255 inside the range, 0 outside: ImageJ's black-background
//! convention). [`to_8bit`] brings RGB and 16-bit images to 8 bits first, the way ImageJ's
//! `run("8-bit")` does.
//!
//! ```
//! use hemato::threshold::{self, Background, Method, Range};
//! // A dark background (value 10) with two bright objects (200 and 220).
//! let image = image::GrayImage::from_raw(4, 2, vec![10, 10, 200, 10, 10, 220, 10, 10]).unwrap();
//! let histogram = threshold::histogram(&image);
//! // Otsu's between-class variance is largest, and equal, for every level from 10 to 199;
//! // ImageJ keeps the last of equal maxima.
//! assert_eq!(threshold::level(Method::Otsu, &histogram).unwrap(), 199);
//! let dark = threshold::range(Method::Otsu, &histogram, Background::Dark).unwrap();
//! assert_eq!(dark, Range { lower: 200, upper: 255 });
//! let mask = threshold::apply(&image, dark);
//! assert_eq!(mask.as_raw(), &vec![0, 0, 255, 0, 0, 255, 0, 0]);
//! ```
//!
//! Every method is a literal port of the ImageJ 1.53t source, down to its quirks: Java's integer
//! arithmetic where ImageJ uses `int` (IsoData's integer mean, MinError's `int` products that
//! wrap around on large images), the same order of floating-point operations, the same
//! comparisons (so NaN behaves the same), `Double.MIN_VALUE` as the smallest positive number.
//! The tests compare all 17 methods with ImageJ's own output on real and synthetic images.

mod entropy;
mod iterative;
mod java;
mod shape;
mod statistics;

use image::GrayImage;
use rayon::prelude::*;

use crate::io::AnyImage;

/// Pixel counts of the 256 grey values of an 8-bit image, as ImageJ's `getHistogram()`.
pub type Histogram = [u32; 256];

/// Why a threshold could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ThresholdError {
    /// The method name is not one of ImageJ's 17.
    #[error("unknown threshold method {name:?}; valid methods: {valid}")]
    UnknownMethod {
        /// The name that was given.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// The histogram counts no pixel at all.
    #[error("the histogram is empty: there are no pixels to threshold")]
    EmptyHistogram,
    /// The histogram counts more pixels than ImageJ's `int` can hold.
    #[error("the histogram counts {total} pixels, more than the 2147483647 ImageJ can threshold")]
    TooManyPixels {
        /// Total pixel count.
        total: u64,
    },
    /// The image's pixel type cannot be brought to 8 bits the way ImageJ does.
    #[error(
        "cannot threshold a {kind} image: hemato thresholds 8-bit grey, RGB (converted to grey) \
         and 16-bit images (scaled to 8 bits over min..max); convert 32-bit images first"
    )]
    UnsupportedPixelType {
        /// ImageJ's name of the pixel type.
        kind: &'static str,
    },
}

/// One of ImageJ's 17 automatic threshold methods (`ij/process/AutoThresholder.java`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// ImageJ's default: IJ_IsoData after capping the mode's count (`defaultIsoData`).
    Default,
    /// Huang's fuzzy thresholding (Huang & Wang 1995).
    Huang,
    /// Midpoint of the two peaks of the smoothed histogram (Prewitt & Mendelsohn 1966).
    Intermodes,
    /// Iterative intermeans (Ridler & Calvard 1978), as in the Auto_Threshold plugin.
    IsoData,
    /// ImageJ's original IsoData variant.
    IjIsoData,
    /// Minimum cross entropy, iterative version (Li & Tam 1998).
    Li,
    /// Maximum entropy (Kapur, Sahoo & Wong 1985).
    MaxEntropy,
    /// Mean grey value (Glasbey 1993).
    Mean,
    /// Minimum error, iterative (Kittler & Illingworth 1986).
    MinError,
    /// Valley between the two peaks of the smoothed histogram (Prewitt & Mendelsohn 1966).
    Minimum,
    /// Moment preserving (Tsai 1985).
    Moments,
    /// Maximum between-class variance (Otsu 1979).
    Otsu,
    /// Half of the pixels on each side (Doyle 1962).
    Percentile,
    /// Rényi entropy (Kapur, Sahoo & Wong 1985).
    RenyiEntropy,
    /// Information measure (Shanbhag 1994).
    Shanbhag,
    /// Triangle (Zack, Rogers & Latt 1977).
    Triangle,
    /// Yen, Chang & Chang 1995.
    Yen,
}

impl Method {
    /// All 17 methods, in ImageJ's order (`getList("threshold.methods")`).
    pub const ALL: [Method; 17] = [
        Method::Default,
        Method::Huang,
        Method::Intermodes,
        Method::IsoData,
        Method::IjIsoData,
        Method::Li,
        Method::MaxEntropy,
        Method::Mean,
        Method::MinError,
        Method::Minimum,
        Method::Moments,
        Method::Otsu,
        Method::Percentile,
        Method::RenyiEntropy,
        Method::Shanbhag,
        Method::Triangle,
        Method::Yen,
    ];

    /// The method's name as ImageJ spells it ("IJ_IsoData", "MinError", ...).
    pub fn name(self) -> &'static str {
        match self {
            Method::Default => "Default",
            Method::Huang => "Huang",
            Method::Intermodes => "Intermodes",
            Method::IsoData => "IsoData",
            Method::IjIsoData => "IJ_IsoData",
            Method::Li => "Li",
            Method::MaxEntropy => "MaxEntropy",
            Method::Mean => "Mean",
            Method::MinError => "MinError",
            Method::Minimum => "Minimum",
            Method::Moments => "Moments",
            Method::Otsu => "Otsu",
            Method::Percentile => "Percentile",
            Method::RenyiEntropy => "RenyiEntropy",
            Method::Shanbhag => "Shanbhag",
            Method::Triangle => "Triangle",
            Method::Yen => "Yen",
        }
    }

    /// The method named `name`, ignoring case ("otsu", "IJ_ISODATA", "minerror").
    ///
    /// An unknown name gives [`ThresholdError::UnknownMethod`] listing the valid ones.
    pub fn parse(name: &str) -> Result<Method, ThresholdError> {
        let wanted = name.trim();
        Method::ALL
            .into_iter()
            .find(|method| method.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ThresholdError::UnknownMethod {
                name: name.to_string(),
                valid: Method::ALL.map(Method::name).join(", "),
            })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

impl std::str::FromStr for Method {
    type Err = ThresholdError;

    fn from_str(name: &str) -> Result<Method, ThresholdError> {
        Method::parse(name)
    }
}

/// Which side of the level the objects are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Background {
    /// Bright objects on a dark background (`setAutoThreshold("METHOD dark")`): above the level.
    Dark,
    /// Dark objects on a light background (`setAutoThreshold("METHOD")`): at or below the level.
    Light,
}

/// An inclusive range of grey values, `lower..=upper`, as ImageJ's `getThreshold(lower, upper)`
/// reports it.
///
/// The ends are `i32` because a method can return a level outside 0..=255 on degenerate
/// histograms (MinError does), and ImageJ then reports an empty light range such as `0..=-731`.
/// [`apply`] treats any range as the grey values it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Range {
    /// Lowest selected grey value.
    pub lower: i32,
    /// Highest selected grey value.
    pub upper: i32,
}

impl Range {
    /// The range ImageJ selects for `level` (`ImageProcessor.setAutoThreshold`): with a
    /// [`Background::Dark`] background `level+1..=255`, with a [`Background::Light`] one
    /// `0..=level`. This is also how a manual level is applied.
    ///
    /// The ends are then clipped as `ByteProcessor.setThreshold` clips them: a lower end below
    /// 0 becomes 0, an upper end above 255 becomes 255; a lower end above 255 becomes 255
    /// (`setAutoThreshold`). A light range of a negative level stays empty, e.g. `0..=-3`.
    ///
    /// ```
    /// use hemato::threshold::{Background, Range};
    /// assert_eq!(Range::for_level(100, Background::Dark), Range { lower: 101, upper: 255 });
    /// assert_eq!(Range::for_level(100, Background::Light), Range { lower: 0, upper: 100 });
    /// assert_eq!(Range::for_level(255, Background::Dark), Range { lower: 255, upper: 255 });
    /// ```
    pub fn for_level(level: i32, background: Background) -> Range {
        match background {
            Background::Dark => Range {
                lower: level.saturating_add(1).clamp(0, 255),
                upper: 255,
            },
            Background::Light => Range {
                lower: 0,
                upper: level.min(255),
            },
        }
    }

    /// Whether the grey value `value` is selected.
    pub fn contains(self, value: u8) -> bool {
        (self.lower..=self.upper).contains(&i32::from(value))
    }
}

/// Counts the pixels of each grey value.
///
/// ```
/// let image = image::GrayImage::from_raw(3, 1, vec![0, 7, 7]).unwrap();
/// let histogram = hemato::threshold::histogram(&image);
/// assert_eq!((histogram[0], histogram[7], histogram.iter().sum::<u32>()), (1, 2, 3));
/// ```
pub fn histogram(image: &GrayImage) -> Histogram {
    image
        .as_raw()
        .par_chunks(PIXELS_PER_TASK)
        .map(|pixels| {
            let mut counts = [0u32; 256];
            for &value in pixels {
                counts[usize::from(value)] += 1;
            }
            counts
        })
        .reduce(
            || [0u32; 256],
            |mut total, counts| {
                total
                    .iter_mut()
                    .zip(counts)
                    .for_each(|(sum, count)| *sum += count);
                total
            },
        )
}

/// Pixels per parallel task of [`histogram`] and [`apply`]: large enough that a task costs
/// far more than handing it to a thread, small enough to share a small image out.
const PIXELS_PER_TASK: usize = 1 << 16;

/// The level `method` picks on `histogram`, as ImageJ's `AutoThresholder.getThreshold(Method,
/// int[])` returns it (a method that finds no level gives 0).
///
/// Errors: an empty histogram, or one with more than 2³¹ − 1 pixels (ImageJ counts in `int`).
pub fn level(method: Method, histogram: &Histogram) -> Result<i32, ThresholdError> {
    let total: u64 = histogram.iter().map(|&count| u64::from(count)).sum();
    if total == 0 {
        return Err(ThresholdError::EmptyHistogram);
    }
    if total > i32::MAX as u64 {
        return Err(ThresholdError::TooManyPixels { total });
    }
    let data: [i32; 256] = histogram.map(|count| count as i32);
    let found = match method {
        Method::Default => iterative::default_isodata(&data),
        Method::Huang => entropy::huang(&data),
        Method::Intermodes => shape::intermodes(&data),
        Method::IsoData => iterative::isodata(&data),
        Method::IjIsoData => iterative::ij_isodata(&data),
        Method::Li => iterative::li(&data),
        Method::MaxEntropy => entropy::max_entropy(&data),
        Method::Mean => statistics::mean(&data),
        Method::MinError => iterative::min_error(&data),
        Method::Minimum => shape::minimum(&data),
        Method::Moments => statistics::moments(&data),
        Method::Otsu => statistics::otsu(&data),
        Method::Percentile => statistics::percentile(&data),
        Method::RenyiEntropy => entropy::renyi_entropy(&data),
        Method::Shanbhag => entropy::shanbhag(&data),
        Method::Triangle => shape::triangle(&data),
        Method::Yen => entropy::yen(&data),
    };
    Ok(if found == -1 { 0 } else { found })
}

/// The range `setAutoThreshold` selects for `method` on an image with this histogram.
pub fn range(
    method: Method,
    histogram: &Histogram,
    background: Background,
) -> Result<Range, ThresholdError> {
    Ok(Range::for_level(level(method, histogram)?, background))
}

/// The ranges of `setAutoThreshold("METHOD dark")` and `setAutoThreshold("METHOD")`: (dark, light).
pub fn ranges(method: Method, histogram: &Histogram) -> Result<(Range, Range), ThresholdError> {
    let level = level(method, histogram)?;
    Ok((
        Range::for_level(level, Background::Dark),
        Range::for_level(level, Background::Light),
    ))
}

/// The binary mask of `range`: 255 where the grey value is inside the range, 0 elsewhere.
pub fn apply(image: &GrayImage, range: Range) -> GrayImage {
    let table: [u8; 256] =
        std::array::from_fn(|value| if range.contains(value as u8) { 255 } else { 0 });
    let pixels = image
        .as_raw()
        .par_iter()
        .with_min_len(PIXELS_PER_TASK)
        .map(|&value| table[usize::from(value)])
        .collect();
    GrayImage::from_raw(image.width(), image.height(), pixels).expect("same dimensions")
}

/// The 8-bit image ImageJ thresholds for `image`, as `run("8-bit")` makes it.
///
/// - 8-bit grey: unchanged.
/// - RGB: [`crate::color::rgb_to_gray`] (unweighted mean of R, G and B, ImageJ's default).
/// - 16-bit: scaled over the image's own min..max (ImageJ's display range right after opening):
///   `v8 = min(255, (int)((v − min) · 256 / (max − min + 1) + 0.5))`
///   (`ij/process/TypeConverter.java` `convertShortToByte`).
/// - 32-bit float: refused ([`ThresholdError::UnsupportedPixelType`]).
pub fn to_8bit(image: &AnyImage) -> Result<GrayImage, ThresholdError> {
    match image {
        AnyImage::Gray8(gray) => Ok(gray.clone()),
        AnyImage::Rgb8(rgb) => Ok(crate::color::rgb_to_gray(rgb)),
        AnyImage::Gray16(gray) => Ok(scale_16bit_to_8bit(gray)),
        AnyImage::Gray32(_) => Err(ThresholdError::UnsupportedPixelType { kind: "32-bit" }),
    }
}

/// ImageJ's 16-bit to 8-bit conversion with the display range set to the pixels' min..max.
fn scale_16bit_to_8bit(image: &crate::io::Gray16Image) -> GrayImage {
    let raw = image.as_raw();
    let min = raw.iter().copied().min().map_or(0, i32::from);
    let max = raw.iter().copied().max().map_or(0, i32::from);
    let scale = 256.0 / f64::from(max - min + 1);
    let pixels = raw
        .iter()
        .map(|&value| {
            let shifted = (i32::from(value) - min).max(0);
            ((f64::from(shifted) * scale + 0.5) as i32).min(255) as u8
        })
        .collect();
    GrayImage::from_raw(image.width(), image.height(), pixels).expect("same dimensions")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram_of(pairs: &[(usize, u32)]) -> Histogram {
        let mut histogram = [0u32; 256];
        for &(value, count) in pairs {
            histogram[value] = count;
        }
        histogram
    }

    #[test]
    fn names_round_trip_and_parse_ignores_case() {
        for method in Method::ALL {
            assert_eq!(Method::parse(method.name()).unwrap(), method);
            assert_eq!(
                Method::parse(&method.name().to_lowercase()).unwrap(),
                method
            );
        }
        assert_eq!(Method::parse("ij_isodata").unwrap(), Method::IjIsoData);
    }

    #[test]
    fn unknown_method_lists_the_valid_ones() {
        let message = Method::parse("Otsu2").unwrap_err().to_string();
        assert!(message.contains("\"Otsu2\""), "{message}");
        assert!(message.contains("Default, Huang, Intermodes"), "{message}");
        assert!(message.contains("Triangle, Yen"), "{message}");
    }

    #[test]
    fn empty_histogram_is_an_error() {
        assert!(matches!(
            level(Method::Otsu, &[0; 256]),
            Err(ThresholdError::EmptyHistogram)
        ));
    }

    #[test]
    fn huge_histogram_is_an_error() {
        let histogram = histogram_of(&[(0, u32::MAX), (1, 1)]);
        assert!(matches!(
            level(Method::Mean, &histogram),
            Err(ThresholdError::TooManyPixels { .. })
        ));
    }

    // Hand-computed: values 0 (×2) and 10 (×2) have mean 5, so Mean picks floor(5) = 5.
    #[test]
    fn mean_of_two_equal_classes_is_their_midpoint() {
        let histogram = histogram_of(&[(0, 2), (10, 2)]);
        assert_eq!(level(Method::Mean, &histogram).unwrap(), 5);
    }

    // Hand-computed: Percentile picks the first value where the cumulative fraction is
    // closest to 1/2: counts 1,1,1,1 at 0,1,2,3 reach exactly 0.5 at value 1.
    #[test]
    fn percentile_splits_pixels_in_half() {
        let histogram = histogram_of(&[(0, 1), (1, 1), (2, 1), (3, 1)]);
        assert_eq!(level(Method::Percentile, &histogram).unwrap(), 1);
    }

    // IJ_IsoData with all pixels in one bin has min >= max and returns 256/2 = 128.
    #[test]
    fn ij_isodata_of_a_constant_image_is_128() {
        let histogram = histogram_of(&[(40, 9)]);
        assert_eq!(level(Method::IjIsoData, &histogram).unwrap(), 128);
        assert_eq!(level(Method::Default, &histogram).unwrap(), 128);
    }

    #[test]
    fn dark_range_of_level_255_is_capped() {
        assert_eq!(
            Range::for_level(255, Background::Dark),
            Range {
                lower: 255,
                upper: 255
            }
        );
    }

    // ImageJ 1.53t reports MinError's level −731 on a two-valued 16-million-pixel image as
    // dark 0..255 and light 0..−731 (tests/goldens/threshold).
    #[test]
    fn ranges_of_levels_outside_0_255_are_clipped_like_imagej() {
        let (dark, light) = (
            Range::for_level(-731, Background::Dark),
            Range::for_level(-731, Background::Light),
        );
        assert_eq!((dark.lower, dark.upper), (0, 255));
        assert_eq!((light.lower, light.upper), (0, -731));
        assert_eq!(Range::for_level(300, Background::Light).upper, 255);
    }

    #[test]
    fn apply_handles_ranges_outside_0_255() {
        let image = GrayImage::from_raw(3, 1, vec![0, 128, 255]).unwrap();
        let everything = Range {
            lower: -4,
            upper: 300,
        };
        assert_eq!(apply(&image, everything).as_raw(), &vec![255, 255, 255]);
        let nothing = Range {
            lower: 0,
            upper: -5,
        };
        assert_eq!(apply(&image, nothing).as_raw(), &vec![0, 0, 0]);
    }

    // Hand-computed from TypeConverter: min 1000, max 1255 → scale 256/256 = 1.
    #[test]
    fn sixteen_bit_is_scaled_over_min_max() {
        let image = crate::io::Gray16Image::from_raw(3, 1, vec![1000, 1100, 1255]).unwrap();
        let eight = to_8bit(&AnyImage::Gray16(image)).unwrap();
        assert_eq!(eight.as_raw(), &vec![0, 100, 255]);
        // min 0, max 2: scale 256/3; 1 → (int)(85.33 + 0.5) = 85, 2 → 171.
        let image = crate::io::Gray16Image::from_raw(3, 1, vec![0, 1, 2]).unwrap();
        let eight = to_8bit(&AnyImage::Gray16(image)).unwrap();
        assert_eq!(eight.as_raw(), &vec![0, 85, 171]);
    }

    #[test]
    fn float_images_are_refused() {
        let image = crate::io::FloatImage::from_raw(1, 1, vec![0.5]).unwrap();
        let error = to_8bit(&AnyImage::Gray32(image)).unwrap_err();
        assert!(error.to_string().contains("32-bit"), "{error}");
    }
}
