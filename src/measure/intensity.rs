//! Intensity statistics of a particle's pixels, by bit depth, as ImageJ computes them.
//!
//! Follows ImageJ 1.53t: `ij/process/ByteStatistics.java` (8-bit), `ShortStatistics.java`
//! (16-bit), `FloatStatistics.java` (32-bit) and `ImageStatistics.java` (standard deviation,
//! median, area fraction), with `ij/plugin/filter/Analyzer.java` for IntDen and RawIntDen.
//! Pixels are visited in raster order wherever ImageJ sums floating-point values in that order,
//! so rounding matches too.
//!
//! Differences between bit depths, all ImageJ's:
//! - Mode: 8- and 16-bit, the lowest value with the highest count; 32-bit, the centre of the
//!   fullest of 256 bins spanning the particle's min..max.
//! - Median: 8- and 16-bit, the first value whose cumulative count exceeds n/2; 32-bit, the
//!   sorted median, averaging the two middle values (in single precision) when n is even.
//! - XM, YM: 8- and 32-bit add the smallest double to each value, so an all-zero particle gets its
//!   centroid; 16-bit gives NaN then.
//! - 32-bit: NaN and infinite pixels are skipped by every statistic except %Area.

use image::{GrayImage, ImageBuffer, Luma, RgbImage};

use super::particles::Particle;
use super::Calibration;
use crate::io::{FloatImage, Gray16Image};

/// The grey image measured inside particles.
#[derive(Clone, Copy, Debug)]
pub enum IntensityImage<'a> {
    /// 8-bit grey.
    Gray8(&'a GrayImage),
    /// 16-bit grey.
    Gray16(&'a Gray16Image),
    /// 32-bit float grey.
    Float(&'a FloatImage),
    /// RGB, measured as ImageJ measures an RGB image (see [`measure_intensity`]).
    Rgb(&'a RgbImage),
}

impl IntensityImage<'_> {
    /// (width, height) in pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        match self {
            IntensityImage::Gray8(image) => image.dimensions(),
            IntensityImage::Gray16(image) => image.dimensions(),
            IntensityImage::Float(image) => image.dimensions(),
            IntensityImage::Rgb(image) => image.dimensions(),
        }
    }
}

/// An intensity image and the threshold ImageJ would have set on it.
///
/// The threshold only changes %Area: with one, %Area is the share of pixels inside it; without,
/// the share of non-zero pixels. ImageJ measuring the thresholded mask itself (no redirect image)
/// corresponds to the mask with threshold 255..255.
#[derive(Clone, Copy, Debug)]
pub struct Intensity<'a> {
    /// The pixels.
    pub image: IntensityImage<'a>,
    /// Lower and upper threshold, inclusive.
    pub threshold: Option<(f64, f64)>,
}

impl<'a> From<&'a GrayImage> for Intensity<'a> {
    fn from(image: &'a GrayImage) -> Self {
        Intensity {
            image: IntensityImage::Gray8(image),
            threshold: None,
        }
    }
}

impl<'a> From<&'a Gray16Image> for Intensity<'a> {
    fn from(image: &'a Gray16Image) -> Self {
        Intensity {
            image: IntensityImage::Gray16(image),
            threshold: None,
        }
    }
}

impl<'a> From<&'a FloatImage> for Intensity<'a> {
    fn from(image: &'a FloatImage) -> Self {
        Intensity {
            image: IntensityImage::Float(image),
            threshold: None,
        }
    }
}

/// The intensity columns of one particle in one image.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct IntensityMeasurements {
    /// Mean value.
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub std_dev: f64,
    /// Modal value (see the module notes per bit depth).
    pub mode: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Intensity-weighted centroid x (calibrated).
    pub xm: f64,
    /// Intensity-weighted centroid y (calibrated).
    pub ym: f64,
    /// Calibrated area × mean.
    pub integrated_density: f64,
    /// Median value.
    pub median: f64,
    /// Skewness (population moments); NaN when all values are equal.
    pub skewness: f64,
    /// Excess kurtosis (population moments, − 3); NaN when all values are equal.
    pub kurtosis: f64,
    /// Percentage of pixels inside the threshold, or non-zero without one.
    pub area_fraction: f64,
    /// Pixel count × mean (the sum of values).
    pub raw_integrated_density: f64,
}

/// Sums shared by the three bit depths, in ImageJ's accumulation order.
struct Moments {
    sum1: f64,
    sum2: f64,
    sum3: f64,
    sum4: f64,
    x_sum: f64,
    y_sum: f64,
}

impl Moments {
    fn new() -> Self {
        Moments {
            sum1: 0.0,
            sum2: 0.0,
            sum3: 0.0,
            sum4: 0.0,
            x_sum: 0.0,
            y_sum: 0.0,
        }
    }

    fn add(&mut self, x: u32, y: u32, value: f64) {
        let value2 = value * value;
        self.sum1 += value;
        self.sum2 += value2;
        self.sum3 += value * value2;
        self.sum4 += value2 * value2;
        self.x_sum += f64::from(x) * value;
        self.y_sum += f64::from(y) * value;
    }

    /// Skewness and kurtosis from the sums and ImageJ's mean (ImageStatistics.calculateMoments).
    fn skewness_kurtosis(&self, mean: f64, pixel_count: f64) -> (f64, f64) {
        let mean2 = mean * mean;
        let variance = self.sum2 / pixel_count - mean2;
        let deviation = variance.sqrt();
        let skewness = ((self.sum3 - 3.0 * mean * self.sum2) / pixel_count + 2.0 * mean * mean2)
            / (variance * deviation);
        let kurtosis = (((self.sum4 - 4.0 * mean * self.sum3 + 6.0 * mean2 * self.sum2)
            / pixel_count
            - 3.0 * mean2 * mean2)
            / (variance * variance))
            - 3.0;
        (skewness, kurtosis)
    }
}

/// Sample standard deviation from n, Σv and Σv² (ImageStatistics.calculateStdDev).
fn standard_deviation(n: f64, sum: f64, sum2: f64) -> f64 {
    if n > 0.0 {
        let value = (n * sum2 - sum * sum) / n;
        if value > 0.0 {
            (value / (n - 1.0)).sqrt()
        } else {
            0.0
        }
    } else {
        0.0
    }
}

/// Measures the intensity of a particle's pixels. The image must cover the particle's bounds
/// (same coordinates as the mask it was found in).
///
/// An RGB image is measured as ImageJ measures one (ColorStatistics): Mean, StdDev, Mode, Min,
/// Max and Median of the grey value `(int)(r/3 + g/3 + b/3 + 0.5)`, XM, YM, Skew and Kurt of the
/// unrounded grey value, and %Area 0 (ImageJ does not compute it for RGB).
pub fn measure_intensity(
    particle: &Particle,
    intensity: &Intensity,
    calibration: &Calibration,
) -> IntensityMeasurements {
    match intensity.image {
        IntensityImage::Gray8(image) => {
            let (values, moments) = integer_values(particle, image, f64::from_bits(1));
            histogram_statistics(values, &moments, intensity.threshold, calibration, true)
        }
        IntensityImage::Gray16(image) => {
            let (values, moments) = integer_values(particle, image, 0.0);
            histogram_statistics(values, &moments, intensity.threshold, calibration, true)
        }
        IntensityImage::Rgb(image) => {
            let (values, moments) = rgb_values(particle, image);
            histogram_statistics(values, &moments, intensity.threshold, calibration, false)
        }
        IntensityImage::Float(image) => {
            float_statistics(particle, image, intensity.threshold, calibration)
        }
    }
}

/// Visits the particle's pixels of `image` in raster order.
fn for_each_pixel<P: image::Primitive>(
    particle: &Particle,
    image: &ImageBuffer<Luma<P>, Vec<P>>,
    mut visit: impl FnMut(u32, u32, P),
) {
    let width = image.width() as usize;
    let pixels = image.as_raw();
    for run in &particle.runs {
        let row = run.y as usize * width;
        for x in run.x_start..run.x_end {
            visit(x, run.y, pixels[row + x as usize]);
        }
    }
}

/// The values of an 8- or 16-bit image in raster order, and their moments. `tiny` is added to
/// each value in the moments (`Double.MIN_VALUE` for 8-bit, as ByteStatistics does).
fn integer_values<P>(
    particle: &Particle,
    image: &ImageBuffer<Luma<P>, Vec<P>>,
    tiny: f64,
) -> (Vec<u32>, Moments)
where
    P: image::Primitive + Into<u32>,
{
    let mut values: Vec<u32> = Vec::with_capacity(particle.pixel_count() as usize);
    let mut moments = Moments::new();
    for_each_pixel(particle, image, |x, y, value| {
        let value: u32 = value.into();
        values.push(value);
        moments.add(x, y, f64::from(value) + tiny);
    });
    (values, moments)
}

/// An RGB image as ImageJ measures it (ColorStatistics): the histogram statistics on the grey
/// value rounded to 8 bits, `(int)(r/3 + g/3 + b/3 + 0.5)`, but the moments (XM, YM, Skew, Kurt)
/// on the unrounded single-precision grey value (ColorProcessor.getPixelValue).
fn rgb_values(particle: &Particle, image: &RgbImage) -> (Vec<u32>, Moments) {
    let third = 1.0 / 3.0;
    let width = image.width() as usize;
    let pixels = image.as_raw();
    let mut values: Vec<u32> = Vec::with_capacity(particle.pixel_count() as usize);
    let mut moments = Moments::new();
    for run in &particle.runs {
        for x in run.x_start..run.x_end {
            let i = 3 * (run.y as usize * width + x as usize);
            let (r, g, b) = (
                f64::from(pixels[i]),
                f64::from(pixels[i + 1]),
                f64::from(pixels[i + 2]),
            );
            let grey = r * third + g * third + b * third;
            values.push((grey + 0.5) as u32);
            moments.add(x, run.y, f64::from(grey as f32));
        }
    }
    (values, moments)
}

/// The histogram of whole-number values in ascending value order, as (value, count) for the
/// values present: a counting pass for 8-bit values, a sort otherwise. Bins with a zero count add
/// nothing to ImageJ's sums, so skipping them keeps its results exactly.
fn sparse_histogram(values: &mut [u32]) -> Vec<(u32, u64)> {
    if values.iter().all(|&value| value < 256) {
        let mut counts = [0_u64; 256];
        for &value in values.iter() {
            counts[value as usize] += 1;
        }
        return (0..256_u32)
            .zip(counts)
            .filter(|&(_, count)| count > 0)
            .collect();
    }
    values.sort_unstable();
    let mut histogram: Vec<(u32, u64)> = Vec::new();
    for &value in values.iter() {
        match histogram.last_mut() {
            Some((last, count)) if *last == value => *count += 1,
            _ => histogram.push((value, 1)),
        }
    }
    histogram
}

/// Statistics from a particle's whole-number values (ByteStatistics, ShortStatistics,
/// ColorStatistics). `has_area_fraction`: ColorStatistics never computes %Area (ImageJ prints 0).
fn histogram_statistics(
    mut values: Vec<u32>,
    moments: &Moments,
    threshold: Option<(f64, f64)>,
    calibration: &Calibration,
    has_area_fraction: bool,
) -> IntensityMeasurements {
    let (pw, ph) = (calibration.pixel_width, calibration.pixel_height);
    let n = values.len();
    let histogram = sparse_histogram(&mut values);
    let (mut sum, mut sum2) = (0.0, 0.0);
    let (mut mode, mut max_count) = (0_u32, 0_u64);
    for &(value, count) in &histogram {
        let value_f = f64::from(value);
        sum += value_f * count as f64;
        sum2 += (value_f * value_f) * count as f64;
        if count > max_count {
            max_count = count;
            mode = value;
        }
    }
    let pixel_count = n as f64;
    let mean = sum / pixel_count;
    let std_dev = standard_deviation(pixel_count, sum, sum2);
    let (min, max) = match (histogram.first(), histogram.last()) {
        (Some(&(min, _)), Some(&(max, _))) => (f64::from(min), f64::from(max)),
        _ => (f64::NAN, f64::NAN),
    };
    // ImageStatistics.calculateMedian: first value whose cumulative count exceeds n/2.
    let half = n as f64 / 2.0;
    let mut cumulative = 0_u64;
    let median = histogram
        .iter()
        .find(|&&(_, count)| {
            cumulative += count;
            cumulative as f64 > half
        })
        .map_or(f64::NAN, |&(value, _)| f64::from(value));
    let (skewness, kurtosis) = moments.skewness_kurtosis(mean, pixel_count);
    let inside = match threshold {
        // ImageStatistics.calculateAreaFraction rounds the threshold to whole values.
        Some((lower, upper)) => {
            let (lower, upper) = (lower.round(), upper.round());
            histogram
                .iter()
                .filter(|&&(value, _)| f64::from(value) >= lower && f64::from(value) <= upper)
                .map(|&(_, count)| count)
                .sum::<u64>()
        }
        None => histogram
            .iter()
            .filter(|&&(value, _)| value != 0)
            .map(|&(_, count)| count)
            .sum::<u64>(),
    };
    let area = pixel_count * pw * ph;
    IntensityMeasurements {
        mean,
        std_dev,
        mode: f64::from(mode),
        min,
        max,
        xm: (moments.x_sum / moments.sum1 + 0.5) * pw,
        ym: (moments.y_sum / moments.sum1 + 0.5) * ph,
        integrated_density: area * mean,
        median,
        skewness,
        kurtosis,
        area_fraction: if has_area_fraction {
            inside as f64 * 100.0 / pixel_count
        } else {
            0.0
        },
        raw_integrated_density: pixel_count * mean,
    }
}

/// 32-bit statistics (FloatStatistics).
fn float_statistics(
    particle: &Particle,
    image: &FloatImage,
    threshold: Option<(f64, f64)>,
    calibration: &Calibration,
) -> IntensityMeasurements {
    let (pw, ph) = (calibration.pixel_width, calibration.pixel_height);
    let lowest = -f64::from(f32::MAX);
    let highest = f64::from(f32::MAX);
    let valid = |value: f64| value >= lowest && value <= highest;

    let (mut min, mut max) = (f64::MAX, -f64::MAX);
    for_each_pixel(particle, image, |_, _, value| {
        let value = f64::from(value);
        if valid(value) {
            min = min.min(value);
            max = max.max(value);
        }
    });
    const BINS: usize = 256;
    let bin_size = (max - min) / BINS as f64;
    let scale = BINS as f64 / (max - min);
    let mut histogram = [0_u64; BINS];
    let (mut count, mut sum, mut sum2) = (0_u64, 0.0, 0.0);
    let mut moments = Moments::new();
    let mut sorted: Vec<f32> = Vec::with_capacity(particle.pixel_count() as usize);
    let (mut total, mut inside) = (0_u64, 0_u64);
    let threshold32 = threshold.map(|(lower, upper)| (lower as f32, upper as f32));
    for_each_pixel(particle, image, |x, y, value32| {
        let value = f64::from(value32);
        total += 1;
        let in_threshold = match threshold32 {
            Some((lower, upper)) => value32 >= lower && value32 <= upper,
            None => value32 != 0.0,
        };
        if in_threshold {
            inside += 1;
        }
        if valid(value) && value >= min && value <= max {
            count += 1;
            sum += value;
            sum2 += value * value;
            // Java's (int) cast: NaN → 0, saturating.
            let index = ((scale * (value - min)) as i64).clamp(0, BINS as i64 - 1) as usize;
            histogram[index] += 1;
        }
        let shifted = value + f64::from_bits(1);
        if valid(shifted) {
            moments.add(x, y, shifted);
        }
        if valid(value) {
            sorted.push(value32);
        }
    });
    let pixel_count = count as f64;
    let mean = sum / pixel_count;
    let std_dev = standard_deviation(pixel_count, sum, sum2);
    let mut mode_bin = 0;
    let mut max_count = 0;
    for (bin, &bin_count) in histogram.iter().enumerate() {
        if bin_count > max_count {
            max_count = bin_count;
            mode_bin = bin;
        }
    }
    let mut mode = min + mode_bin as f64 * bin_size;
    if bin_size != 1.0 {
        mode += bin_size / 2.0;
    }
    // Java's Arrays.sort(float[]) orders by value with −0.0 before 0.0, as total_cmp does.
    sorted.sort_unstable_by(f32::total_cmp);
    let median = match sorted.len() {
        0 => f64::NAN,
        length if length % 2 == 0 => {
            f64::from((sorted[length / 2 - 1] + sorted[length / 2]) / 2.0_f32)
        }
        length => f64::from(sorted[length / 2]),
    };
    let (skewness, kurtosis) = moments.skewness_kurtosis(mean, pixel_count);
    let area = pixel_count * pw * ph;
    IntensityMeasurements {
        mean,
        std_dev,
        mode,
        min,
        max,
        xm: (moments.x_sum / moments.sum1 + 0.5) * pw,
        ym: (moments.y_sum / moments.sum1 + 0.5) * ph,
        integrated_density: area * mean,
        median,
        skewness,
        kurtosis,
        area_fraction: inside as f64 * 100.0 / total as f64,
        raw_integrated_density: pixel_count * mean,
    }
}
