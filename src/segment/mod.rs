//! The segmentation pipeline: image → stain channel → threshold → fill holes → watershed →
//! labelled particles.
//!
//! Each step calls the module that does it as ImageJ does ([`crate::color`],
//! [`crate::threshold`], [`crate::morphology`], [`crate::watershed`], [`crate::measure`]); this
//! module only composes them, as an ImageJ macro would:
//!
//! ```text
//! run("Colour Deconvolution", "vectors=Giemsa"); selectImage(stain 2);   // channel
//! setAutoThreshold("Otsu"); run("Convert to Mask");                      // threshold
//! run("Fill Holes"); run("Watershed");                                   // fill_holes, watershed
//! run("Analyze Particles...", "size=0-Infinity pixel show=Masks");       // particles
//! ```
//!
//! The settings form a [`PipelineConfig`] (JSON, with defaults for Giemsa-stained smears).
//! Particles are numbered in ImageJ's raster order ([`crate::measure::find_particles`]), so
//! label k of [`Segmented::labels`] is row k of the measurement table of the mask.
//!
//! The watershed is [`crate::watershed::watershed`] (ImageJ-exact, parallel flooding); every
//! step's output is the same for any number of threads.
//!
//! ```
//! use hemato::segment::{segment_gray, PipelineConfig};
//! // Two overlapping dark discs on a light background.
//! let image = image::GrayImage::from_fn(60, 30, |x, y| {
//!     let inside = |cx: i32| (x as i32 - cx).pow(2) + (y as i32 - 15).pow(2) <= 121;
//!     image::Luma([if inside(18) || inside(38) { 60 } else { 220 }])
//! });
//! let segmented = segment_gray(&image, &PipelineConfig::default()).unwrap();
//! assert_eq!(segmented.particles.len(), 2); // cut apart by the watershed
//! let labels = segmented.labels();
//! assert_eq!(labels.get_pixel(18, 15).0[0], 1);
//! assert_eq!(labels.get_pixel(38, 15).0[0], 2);
//! ```

mod config;

use image::{GrayImage, Luma, RgbImage};

use std::path::Path;

use crate::color::{
    rgb_to_gray, stain_transmittance, ColorError, StainMatrix, StainSet, ThirdStain,
    TransmittanceTables,
};
use crate::io::{read_image, read_image_with_plane, AnyImage, ImageReadError, LabelImage};
use crate::measure::particles::keeps;
use crate::measure::{find_particles, rgb_channel, Channel, Particle, ParticleOptions};
use crate::morphology::{fill_holes, OBJECT};
use crate::threshold::{self, Range, ThresholdError};
use crate::watershed::{watershed, WatershedError};

pub use config::{Objects, PipelineConfig, SourceChannel};

/// Why an image could not be segmented.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The JSON document or a value in it is not valid.
    #[error("invalid pipeline configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },
    /// A channel name that does not exist.
    #[error("unknown channel {name:?}; channels: stain1, stain2, stain3, red, green, blue, gray")]
    UnknownChannel {
        /// The name given.
        name: String,
    },
    /// The stain matrix could not be made.
    #[error(transparent)]
    Color(#[from] ColorError),
    /// The image cannot be thresholded (e.g. a 32-bit float image, an empty image).
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    /// The image is too large for the watershed.
    #[error(transparent)]
    Watershed(#[from] WatershedError),
    /// The image file cannot be read.
    #[error(transparent)]
    Read(#[from] ImageReadError),
}

/// What the pipeline found in one image.
#[derive(Clone, Debug, PartialEq)]
pub struct Segmented {
    /// The threshold level the method chose on the channel (objects are `0..=level` for dark
    /// objects, `level+1..=255` for bright ones).
    pub level: i32,
    /// The kept particles, 255 on 0.
    pub mask: GrayImage,
    /// The kept particles in ImageJ's raster order; label k is `particles[k - 1]`.
    pub particles: Vec<Particle>,
}

impl Segmented {
    /// The 32-bit label image: 0 = background, particle k (1-based, raster order) = k.
    pub fn labels(&self) -> LabelImage {
        let (width, height) = self.mask.dimensions();
        let mut labels = LabelImage::new(width, height);
        for (index, particle) in self.particles.iter().enumerate() {
            let label = index as u32 + 1;
            for run in &particle.runs {
                for x in run.x_start..run.x_end {
                    labels.put_pixel(x, run.y, Luma([label]));
                }
            }
        }
        labels
    }

    /// The particles that Analyze Particles with `options` finds in [`Segmented::mask`], as
    /// `find_particles(&self.mask, options)` returns them.
    ///
    /// Without "Include holes", a particle of a mask is an 8-connected component with its traced
    /// outer boundary, whatever the other components are; the pipeline's particles are exactly
    /// the components of the mask, in raster order, so they are filtered instead of being found
    /// again. With "Include holes" (a particle may swallow others) the mask is scanned.
    pub fn particles_with(&self, options: &ParticleOptions) -> Vec<Particle> {
        if options.include_holes {
            return find_particles(&self.mask, options);
        }
        let (width, height) = self.mask.dimensions();
        self.particles
            .iter()
            .filter(|particle| keeps(particle, options, width, height))
            .cloned()
            .collect()
    }
}

/// The measurement channel that is the very image the pipeline thresholds in an RGB image
/// (same stain matrix, same conversion), if there is one: measuring it can reuse the
/// segmentation's channel instead of making it again.
pub fn measured_channel(config: &PipelineConfig) -> Option<Channel> {
    let giemsa = config.stains == StainSet::Giemsa;
    match config.channel {
        SourceChannel::Stain1 if giemsa => Some(Channel::Stain1),
        SourceChannel::Stain2 if giemsa => Some(Channel::Stain2),
        SourceChannel::Stain3 if giemsa => Some(Channel::Stain3),
        SourceChannel::Red => Some(Channel::Red),
        SourceChannel::Green => Some(Channel::Green),
        SourceChannel::Blue => Some(Channel::Blue),
        _ => None,
    }
}

/// The 8-bit image the threshold sees: `config.channel` of an RGB image; a grey image as it is
/// (16-bit scaled as ImageJ's `run("8-bit")`; 32-bit refused).
pub fn source_channel(
    image: &AnyImage,
    config: &PipelineConfig,
) -> Result<GrayImage, SegmentError> {
    match image {
        AnyImage::Rgb8(rgb) => rgb_source_channel(rgb, config),
        other => Ok(threshold::to_8bit(other)?),
    }
}

/// `config.channel` of an RGB image as an 8-bit image.
pub fn rgb_source_channel(
    image: &RgbImage,
    config: &PipelineConfig,
) -> Result<GrayImage, SegmentError> {
    Ok(match config.channel {
        SourceChannel::Red => rgb_channel(image, 0),
        SourceChannel::Green => rgb_channel(image, 1),
        SourceChannel::Blue => rgb_channel(image, 2),
        SourceChannel::Gray => rgb_to_gray(image),
        stain => {
            let matrix = StainMatrix::new(&config.stains.vectors(), ThirdStain::CrossProduct)?;
            let index = stain
                .stain_index()
                .expect("the other channels are handled above");
            stain_transmittance(image, &matrix, index)?
        }
    })
}

/// Reads the image at `path` and makes the 8-bit image the threshold sees, as [`read_image`]
/// followed by [`source_channel`]. For a stain channel of an RGB PNG the channel is made band by
/// band while the file is decoded ([`read_image_with_plane`]); the result is the same.
pub fn read_with_source_channel(
    path: &Path,
    config: &PipelineConfig,
) -> Result<(AnyImage, GrayImage), SegmentError> {
    let stain = config.channel.stain_index();
    let matrix = StainMatrix::new(&config.stains.vectors(), ThirdStain::CrossProduct);
    let (image, plane) = match (stain, matrix) {
        (Some(stain), Ok(matrix)) => {
            let tables = TransmittanceTables::new(&matrix);
            read_image_with_plane(path, |rgb, out| {
                tables
                    .stain_of_pixels(rgb, stain, out)
                    .expect("stain_index is 0, 1 or 2")
            })?
        }
        _ => (read_image(path)?, None),
    };
    let source = match plane {
        Some(plane) => plane,
        None => source_channel(&image, config)?,
    };
    Ok((image, source))
}

/// Runs the whole pipeline on an image of any supported type.
pub fn segment(image: &AnyImage, config: &PipelineConfig) -> Result<Segmented, SegmentError> {
    segment_gray(&source_channel(image, config)?, config)
}

/// Runs the pipeline from the threshold on: `channel` is the 8-bit image to threshold.
pub fn segment_gray(
    channel: &GrayImage,
    config: &PipelineConfig,
) -> Result<Segmented, SegmentError> {
    config.check()?;
    let histogram = threshold::histogram(channel);
    let level = threshold::level(config.threshold, &histogram)?;
    let mut mask = threshold::apply(
        channel,
        Range::for_level(level, config.objects.background()),
    );
    if config.fill_holes {
        mask = fill_holes(&mask);
    }
    if config.watershed {
        mask = watershed(&mask)?;
    }
    let all = find_particles(&mask, &ParticleOptions::default());
    let found = all.len();
    let options = particle_options(config);
    let (width, height) = channel.dimensions();
    let particles: Vec<Particle> = all
        .into_iter()
        .filter(|particle| keeps(particle, &options, width, height))
        .collect();
    // Without Include holes, the particles of a mask are its 8-connected components and cover
    // its object pixels: when the filters keep every particle, the mask is already theirs.
    if particles.len() != found {
        mask = mask_of(&particles, width, height);
    }
    Ok(Segmented {
        level,
        mask,
        particles,
    })
}

/// The Analyze Particles options of the pipeline's size and edge filters.
pub fn particle_options(config: &PipelineConfig) -> ParticleOptions {
    ParticleOptions {
        exclude_edges: config.exclude_edges,
        min_size: config.min_size,
        max_size: config.max_size.unwrap_or(f64::INFINITY),
        ..ParticleOptions::default()
    }
}

/// The particles of the watershed-cut mask (non-zero = object), in ImageJ's raster order: the
/// rows Analyze Particles would give after Process > Binary > Watershed.
pub fn watershed_particles(mask: &GrayImage) -> Result<Vec<Particle>, WatershedError> {
    Ok(find_particles(
        &watershed(mask)?,
        &ParticleOptions::default(),
    ))
}

/// A mask (255 on 0) of the given particles.
pub fn mask_of(particles: &[Particle], width: u32, height: u32) -> GrayImage {
    let mut mask = GrayImage::new(width, height);
    for particle in particles {
        for run in &particle.runs {
            for x in run.x_start..run.x_end {
                mask.put_pixel(x, run.y, Luma([OBJECT]));
            }
        }
    }
    mask
}
