//! The segmentation pipeline as a JSON document: every step's setting, with defaults for
//! Giemsa-stained (Romanowsky) blood smears.

use serde::{Deserialize, Serialize};

use crate::color::StainSet;
use crate::threshold::{Background, Method};

use super::SegmentError;

/// Which 8-bit image of an RGB input the threshold sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceChannel {
    /// Stain 1 of the stain set, 8-bit transmittance (Giemsa: methylene blue, which stains
    /// nuclei and white-cell cytoplasm).
    Stain1,
    /// Stain 2, 8-bit transmittance (Giemsa: eosin, which stains red cells).
    Stain2,
    /// Stain 3, 8-bit transmittance (Giemsa: the residual colour).
    Stain3,
    /// The red channel.
    Red,
    /// The green channel.
    Green,
    /// The blue channel.
    Blue,
    /// ImageJ's RGB → 8-bit conversion (unweighted mean of R, G and B).
    Gray,
}

impl SourceChannel {
    /// Every channel, in the order above.
    pub const ALL: [SourceChannel; 7] = [
        SourceChannel::Stain1,
        SourceChannel::Stain2,
        SourceChannel::Stain3,
        SourceChannel::Red,
        SourceChannel::Green,
        SourceChannel::Blue,
        SourceChannel::Gray,
    ];

    /// The name used in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SourceChannel::Stain1 => "stain1",
            SourceChannel::Stain2 => "stain2",
            SourceChannel::Stain3 => "stain3",
            SourceChannel::Red => "red",
            SourceChannel::Green => "green",
            SourceChannel::Blue => "blue",
            SourceChannel::Gray => "gray",
        }
    }

    /// Parses a channel name (case ignored).
    pub fn parse(name: &str) -> Result<SourceChannel, SegmentError> {
        SourceChannel::ALL
            .into_iter()
            .find(|channel| channel.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| SegmentError::UnknownChannel {
                name: name.to_string(),
            })
    }

    /// The stain index (0-2) of a stain channel.
    pub fn stain_index(self) -> Option<usize> {
        match self {
            SourceChannel::Stain1 => Some(0),
            SourceChannel::Stain2 => Some(1),
            SourceChannel::Stain3 => Some(2),
            _ => None,
        }
    }
}

/// Whether the objects are darker or brighter than the background in the thresholded image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objects {
    /// Dark objects on a light background (stained cells in transmittance or bright-field
    /// channels): ImageJ's `setAutoThreshold("METHOD")`, objects = 0..=level.
    Dark,
    /// Bright objects on a dark background (fluorescence, absorbance): ImageJ's
    /// `setAutoThreshold("METHOD dark")`, objects = level+1..=255.
    Bright,
}

impl Objects {
    /// The threshold module's name for the same choice (which side is background).
    pub fn background(self) -> Background {
        match self {
            Objects::Dark => Background::Light,
            Objects::Bright => Background::Dark,
        }
    }
}

/// The segmentation pipeline: stain channel → threshold → fill holes → watershed → particles.
///
/// Read from JSON with [`PipelineConfig::from_json`]; fields left out take their defaults
/// (shown by `hemato segment --print-config`), unknown fields are an error so that a typo never
/// goes unnoticed. The defaults segment the cells of a Giemsa-stained smear: the eosin channel
/// (red cells and the cytoplasm of white cells) thresholded with Otsu's method.
///
/// ```
/// use hemato::segment::{PipelineConfig, SourceChannel};
/// let config = PipelineConfig::from_json(r#"{"channel": "stain1", "min_size": 20}"#).unwrap();
/// assert_eq!(config.channel, SourceChannel::Stain1);
/// assert_eq!(config.min_size, 20.0);
/// assert!(config.watershed); // default
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// The 8-bit image thresholded, for RGB inputs. Grey inputs are thresholded as they are
    /// (16-bit ones scaled to 8 bits as ImageJ's `run("8-bit")`).
    pub channel: SourceChannel,
    /// The stain set of the colour deconvolution for the stain channels (a Colour
    /// Deconvolution 2 name: "Giemsa", "H&E", ...).
    #[serde(with = "stain_set_name")]
    pub stains: StainSet,
    /// ImageJ's auto-threshold method ("Otsu", "Default", "Li", ...).
    #[serde(with = "method_name")]
    pub threshold: Method,
    /// Whether objects are darker ("dark") or brighter ("bright") than the background.
    pub objects: Objects,
    /// Fill holes (Process > Binary > Fill Holes) after thresholding.
    pub fill_holes: bool,
    /// Cut touching particles apart (Process > Binary > Watershed).
    pub watershed: bool,
    /// Smallest particle kept, in pixels (inclusive).
    pub min_size: f64,
    /// Largest particle kept, in pixels (inclusive); `null` for no limit.
    pub max_size: Option<f64>,
    /// Drop particles touching the image border (Analyze Particles' "Exclude on edges").
    pub exclude_edges: bool,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            channel: SourceChannel::Stain2,
            stains: StainSet::Giemsa,
            threshold: Method::Otsu,
            objects: Objects::Dark,
            fill_holes: true,
            watershed: true,
            min_size: 0.0,
            max_size: None,
            exclude_edges: false,
        }
    }
}

impl PipelineConfig {
    /// Reads a configuration from JSON text and checks it.
    pub fn from_json(text: &str) -> Result<PipelineConfig, SegmentError> {
        let config: PipelineConfig =
            serde_json::from_str(text).map_err(|error| SegmentError::InvalidConfig {
                reason: error.to_string(),
            })?;
        config.check()?;
        Ok(config)
    }

    /// The configuration as pretty-printed JSON (every field, defaults included).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the configuration is plain data")
    }

    /// Checks the values serde cannot: the size range.
    pub fn check(&self) -> Result<(), SegmentError> {
        let max = self.max_size.unwrap_or(f64::INFINITY);
        if !(self.min_size >= 0.0 && self.min_size.is_finite())
            || max.is_nan()
            || max < self.min_size
        {
            return Err(SegmentError::InvalidConfig {
                reason: format!(
                    "the size range must satisfy 0 ≤ min_size ≤ max_size, got {} to {}",
                    self.min_size,
                    self.max_size
                        .map_or_else(|| "no limit".to_string(), |max| max.to_string())
                ),
            });
        }
        Ok(())
    }
}

/// Serialises a [`StainSet`] by its Colour Deconvolution 2 name.
mod stain_set_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::color::StainSet;

    pub fn serialize<S: Serializer>(set: &StainSet, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(set.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<StainSet, D::Error> {
        let name = String::deserialize(deserializer)?;
        StainSet::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// Serialises a threshold [`Method`] by ImageJ's name.
mod method_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::threshold::Method;

    pub fn serialize<S: Serializer>(method: &Method, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(method.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Method, D::Error> {
        let name = String::deserialize(deserializer)?;
        Method::parse(&name).map_err(serde::de::Error::custom)
    }
}
