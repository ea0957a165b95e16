//! Particle analysis and measurement: mask or labels + intensity → one row per particle.
//!
//! This is ImageJ's Analyze Particles (1.53t) with every measurement switched on, ported so that
//! each column holds the number ImageJ prints (see `docs/measurements.md` for every column and the
//! goldens under `tests/goldens/measure/` for the check against ImageJ itself):
//!
//! | step | module |
//! | --- | --- |
//! | find particles in a mask (raster scan, wand outline, flood fill / include holes, filters) | [`particles`] |
//! | particles from a label image (one per label value) | [`labels`] |
//! | outer-boundary tracing | [`trace`] |
//! | perimeter, ellipse, convex hull, Feret | [`shape`] |
//! | intensity statistics by bit depth | [`intensity`] |
//! | ImageJ / bloodcells / JSON tables | [`table`] |
//!
//! Everything works in the pixel coordinates of the mask it is given; for tiles, measure in the
//! tile and move the particle with [`Particle::translated`] or the rows with
//! [`Measurements::translated`].
//!
//! ```
//! use hemato::measure::{find_particles, measure, Calibration, Intensity, ParticleOptions};
//! use image::GrayImage;
//! let mask = GrayImage::from_fn(8, 8, |x, y| image::Luma([if (2..6).contains(&x) && (3..5).contains(&y) { 255 } else { 0 }]));
//! let grey = GrayImage::from_fn(8, 8, |x, _| image::Luma([x as u8 * 10]));
//! let particles = find_particles(&mask, &ParticleOptions::default());
//! let row = measure(&particles[0], &Intensity::from(&grey), &Calibration::default());
//! assert_eq!(row.area, 8.0);
//! assert_eq!(row.mean, 35.0);
//! assert_eq!((row.bx, row.by, row.width, row.height), (2.0, 3.0, 4.0, 2.0));
//! ```

pub mod intensity;
pub mod labels;
pub mod particles;
pub mod shape;
pub mod table;
pub mod trace;

use image::{GrayImage, RgbImage};
use rayon::prelude::*;

pub use intensity::{measure_intensity, Intensity, IntensityImage, IntensityMeasurements};
pub use labels::particles_from_labels;
pub use particles::{find_particles, Bounds, Particle, ParticleOptions, Run};
pub use shape::{measure_shape, ShapeMeasurements};

/// Spatial calibration: the size of one pixel, as ImageJ's Set Scale sets it.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// Width of a pixel in `unit`s.
    pub pixel_width: f64,
    /// Height of a pixel in `unit`s.
    pub pixel_height: f64,
    /// Unit name ("pixel" when uncalibrated).
    pub unit: String,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            pixel_width: 1.0,
            pixel_height: 1.0,
            unit: "pixel".to_string(),
        }
    }
}

impl Calibration {
    /// Square pixels of `size` `unit`s.
    pub fn square(size: f64, unit: &str) -> Calibration {
        Calibration {
            pixel_width: size,
            pixel_height: size,
            unit: unit.to_string(),
        }
    }

    /// Area of one pixel in square units.
    pub fn pixel_area(&self) -> f64 {
        self.pixel_width * self.pixel_height
    }
}

/// All 33 columns of ImageJ's "all measurements" Results table for one particle and one
/// intensity image, in ImageJ's column order.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[allow(missing_docs)]
pub struct Measurements {
    pub area: f64,
    pub mean: f64,
    pub std_dev: f64,
    pub mode: f64,
    pub min: f64,
    pub max: f64,
    pub x: f64,
    pub y: f64,
    pub xm: f64,
    pub ym: f64,
    pub perimeter: f64,
    pub bx: f64,
    pub by: f64,
    pub width: f64,
    pub height: f64,
    pub major: f64,
    pub minor: f64,
    pub angle: f64,
    pub circularity: f64,
    pub feret: f64,
    pub integrated_density: f64,
    pub median: f64,
    pub skewness: f64,
    pub kurtosis: f64,
    pub area_fraction: f64,
    pub raw_integrated_density: f64,
    pub feret_x: f64,
    pub feret_y: f64,
    pub feret_angle: f64,
    pub min_feret: f64,
    pub aspect_ratio: f64,
    pub roundness: f64,
    pub solidity: f64,
}

impl Measurements {
    /// Joins a particle's shape and one image's intensity columns.
    pub fn new(shape: &ShapeMeasurements, intensity: &IntensityMeasurements) -> Measurements {
        Measurements {
            area: shape.area,
            mean: intensity.mean,
            std_dev: intensity.std_dev,
            mode: intensity.mode,
            min: intensity.min,
            max: intensity.max,
            x: shape.x,
            y: shape.y,
            xm: intensity.xm,
            ym: intensity.ym,
            perimeter: shape.perimeter,
            bx: shape.bx,
            by: shape.by,
            width: shape.width,
            height: shape.height,
            major: shape.major,
            minor: shape.minor,
            angle: shape.angle,
            circularity: shape.circularity,
            feret: shape.feret,
            integrated_density: intensity.integrated_density,
            median: intensity.median,
            skewness: intensity.skewness,
            kurtosis: intensity.kurtosis,
            area_fraction: intensity.area_fraction,
            raw_integrated_density: intensity.raw_integrated_density,
            feret_x: shape.feret_x,
            feret_y: shape.feret_y,
            feret_angle: shape.feret_angle,
            min_feret: shape.min_feret,
            aspect_ratio: shape.aspect_ratio,
            roundness: shape.roundness,
            solidity: shape.solidity,
        }
    }

    /// The same row for a particle moved by `(dx, dy)` pixels (e.g. from a tile to its slide):
    /// positions shift, sizes and intensities stay.
    pub fn translated(&self, dx: f64, dy: f64, calibration: &Calibration) -> Measurements {
        let (sx, sy) = (dx * calibration.pixel_width, dy * calibration.pixel_height);
        Measurements {
            x: self.x + sx,
            y: self.y + sy,
            xm: self.xm + sx,
            ym: self.ym + sy,
            bx: self.bx + sx,
            by: self.by + sy,
            feret_x: self.feret_x + dx,
            feret_y: self.feret_y + dy,
            ..*self
        }
    }
}

/// Measures one particle on one intensity image: all 33 columns.
pub fn measure(
    particle: &Particle,
    intensity: &Intensity,
    calibration: &Calibration,
) -> Measurements {
    Measurements::new(
        &measure_shape(particle, calibration),
        &measure_intensity(particle, intensity, calibration),
    )
}

/// A particle's shape and its intensity columns for each of several images (channels).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ParticleMeasurements {
    /// The label value for label-image particles.
    pub label: Option<u32>,
    /// Intensity-independent columns.
    pub shape: ShapeMeasurements,
    /// One entry per intensity image, in the order given.
    pub channels: Vec<IntensityMeasurements>,
}

impl ParticleMeasurements {
    /// All 33 columns for channel `index`.
    pub fn measurements(&self, index: usize) -> Option<Measurements> {
        self.channels
            .get(index)
            .map(|intensity| Measurements::new(&self.shape, intensity))
    }
}

/// Measures every particle on every intensity image, in parallel. The output (order and values)
/// is the same for any number of threads: particles are measured independently.
pub fn measure_all(
    particles: &[Particle],
    intensities: &[Intensity],
    calibration: &Calibration,
) -> Vec<ParticleMeasurements> {
    particles
        .par_iter()
        .map(|particle| ParticleMeasurements {
            label: particle.label,
            shape: measure_shape(particle, calibration),
            channels: intensities
                .iter()
                .map(|intensity| measure_intensity(particle, intensity, calibration))
                .collect(),
        })
        .collect()
}

/// An intensity source taken from the image being measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The image as it is; an RGB image is measured as ImageJ measures RGB (the unweighted grey
    /// value, see [`measure_intensity`]).
    Image,
    /// The red channel of an RGB image, as an 8-bit image.
    Red,
    /// The green channel.
    Green,
    /// The blue channel.
    Blue,
    /// Stain 1 of Giemsa colour deconvolution (methylene blue), 8-bit transmittance
    /// ([`crate::color::stain_transmittance`]: 255 = no stain).
    Stain1,
    /// Stain 2 of Giemsa colour deconvolution (eosin), 8-bit transmittance.
    Stain2,
    /// Stain 3 of Giemsa colour deconvolution (the cross-product residual), 8-bit transmittance.
    Stain3,
}

impl Channel {
    /// The name used on the command line and in column names.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Image => "image",
            Channel::Red => "red",
            Channel::Green => "green",
            Channel::Blue => "blue",
            Channel::Stain1 => "stain1",
            Channel::Stain2 => "stain2",
            Channel::Stain3 => "stain3",
        }
    }

    /// Parses a channel name.
    pub fn from_name(name: &str) -> Option<Channel> {
        match name {
            "image" => Some(Channel::Image),
            "red" => Some(Channel::Red),
            "green" => Some(Channel::Green),
            "blue" => Some(Channel::Blue),
            "stain1" => Some(Channel::Stain1),
            "stain2" => Some(Channel::Stain2),
            "stain3" => Some(Channel::Stain3),
            _ => None,
        }
    }
}

/// Why an image cannot provide the channels asked for.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MeasureError {
    /// A colour channel was asked of a grey image.
    #[error("channel `{channel}` needs an RGB image, but the image is {kind}")]
    NotRgb {
        /// The channel asked for.
        channel: &'static str,
        /// The image's pixel type.
        kind: &'static str,
    },
    /// The intensity image and the mask or labels differ in size.
    #[error("the intensity image is {intensity_width}x{intensity_height} but the segmentation is {mask_width}x{mask_height}")]
    SizeMismatch {
        /// Intensity image width.
        intensity_width: u32,
        /// Intensity image height.
        intensity_height: u32,
        /// Mask or label image width.
        mask_width: u32,
        /// Mask or label image height.
        mask_height: u32,
    },
}

/// An owned grey image of one of the three measurable types.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelImage {
    /// 8-bit grey.
    Gray8(GrayImage),
    /// 16-bit grey.
    Gray16(crate::io::Gray16Image),
    /// 32-bit float grey.
    Float(crate::io::FloatImage),
    /// RGB, measured as ImageJ measures an RGB image.
    Rgb(RgbImage),
}

impl ChannelImage {
    /// Borrows the image as an intensity source without threshold.
    pub fn as_intensity(&self) -> Intensity<'_> {
        let image = match self {
            ChannelImage::Gray8(image) => IntensityImage::Gray8(image),
            ChannelImage::Gray16(image) => IntensityImage::Gray16(image),
            ChannelImage::Float(image) => IntensityImage::Float(image),
            ChannelImage::Rgb(image) => IntensityImage::Rgb(image),
        };
        Intensity {
            image,
            threshold: None,
        }
    }
}

/// Extracts a channel of an image as a grey image that can be measured.
pub fn channel_image(
    image: &crate::io::AnyImage,
    channel: Channel,
) -> Result<ChannelImage, MeasureError> {
    use crate::io::AnyImage;
    match (image, channel) {
        (AnyImage::Gray8(grey), Channel::Image) => Ok(ChannelImage::Gray8(grey.clone())),
        (AnyImage::Gray16(grey), Channel::Image) => Ok(ChannelImage::Gray16(grey.clone())),
        (AnyImage::Gray32(grey), Channel::Image) => Ok(ChannelImage::Float(grey.clone())),
        (AnyImage::Rgb8(rgb), Channel::Image) => Ok(ChannelImage::Rgb(rgb.clone())),
        (AnyImage::Rgb8(rgb), Channel::Red) => Ok(ChannelImage::Gray8(rgb_channel(rgb, 0))),
        (AnyImage::Rgb8(rgb), Channel::Green) => Ok(ChannelImage::Gray8(rgb_channel(rgb, 1))),
        (AnyImage::Rgb8(rgb), Channel::Blue) => Ok(ChannelImage::Gray8(rgb_channel(rgb, 2))),
        (AnyImage::Rgb8(rgb), Channel::Stain1) => Ok(ChannelImage::Gray8(giemsa_stain(rgb, 0))),
        (AnyImage::Rgb8(rgb), Channel::Stain2) => Ok(ChannelImage::Gray8(giemsa_stain(rgb, 1))),
        (AnyImage::Rgb8(rgb), Channel::Stain3) => Ok(ChannelImage::Gray8(giemsa_stain(rgb, 2))),
        (other, channel) => Err(MeasureError::NotRgb {
            channel: channel.name(),
            kind: other.kind(),
        }),
    }
}

/// One stain (0-2) of the Giemsa colour deconvolution, 8-bit transmittance.
fn giemsa_stain(rgb: &RgbImage, stain: usize) -> GrayImage {
    use crate::color::{stain_transmittance, StainMatrix, StainSet, ThirdStain};
    let matrix = StainMatrix::new(&StainSet::Giemsa.vectors(), ThirdStain::CrossProduct)
        .expect("the built-in Giemsa vectors are independent");
    stain_transmittance(rgb, &matrix, stain).expect("stains are numbered 0 to 2")
}

/// One channel of an RGB image.
pub fn rgb_channel(rgb: &RgbImage, channel: usize) -> GrayImage {
    GrayImage::from_fn(rgb.width(), rgb.height(), |x, y| {
        image::Luma([rgb.get_pixel(x, y)[channel]])
    })
}

/// Where the particles come from.
#[derive(Clone, Copy, Debug)]
pub enum Segmentation<'a> {
    /// A binary mask, objects = 255 (ImageJ's Analyze Particles).
    Mask(&'a GrayImage),
    /// A label image, one particle per non-zero value.
    Labels(&'a crate::io::LabelImage),
}

impl Segmentation<'_> {
    /// (width, height) in pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        match self {
            Segmentation::Mask(mask) => mask.dimensions(),
            Segmentation::Labels(labels) => labels.dimensions(),
        }
    }

    /// The particles, filtered by `options`.
    pub fn particles(&self, options: &ParticleOptions) -> Vec<Particle> {
        match self {
            Segmentation::Mask(mask) => find_particles(mask, options),
            Segmentation::Labels(labels) => particles_from_labels(labels, options),
        }
    }
}

/// Finds the particles of `segmentation` and measures them on the given channels of `image`.
pub fn measure_image(
    image: &crate::io::AnyImage,
    segmentation: Segmentation,
    channels: &[Channel],
    options: &ParticleOptions,
    calibration: &Calibration,
) -> Result<Vec<ParticleMeasurements>, MeasureError> {
    let (width, height) = image.dimensions();
    let (mask_width, mask_height) = segmentation.dimensions();
    if (width, height) != (mask_width, mask_height) {
        return Err(MeasureError::SizeMismatch {
            intensity_width: width,
            intensity_height: height,
            mask_width,
            mask_height,
        });
    }
    let channel_images = channels
        .iter()
        .map(|&channel| channel_image(image, channel))
        .collect::<Result<Vec<_>, _>>()?;
    let intensities: Vec<Intensity> = channel_images
        .iter()
        .map(ChannelImage::as_intensity)
        .collect();
    let particles = segmentation.particles(options);
    Ok(measure_all(&particles, &intensities, calibration))
}

impl ParticleOptions {
    /// Sets the size range from values in calibrated units (e.g. µm²), as ImageJ's dialog does
    /// when the image has a scale: pixel counts = value / pixel area.
    pub fn with_calibrated_size(self, min: f64, max: f64, calibration: &Calibration) -> Self {
        let unit_squared = calibration.pixel_area();
        ParticleOptions {
            min_size: min / unit_squared,
            max_size: max / unit_squared,
            ..self
        }
    }
}
