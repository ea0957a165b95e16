//! Stain vectors: the built-in sets of Colour Deconvolution 2 and custom ones from JSON.

use std::path::Path;

use super::ColorError;

/// The optical-density vectors (R, G, B) of up to three stains, as given: not yet normalised.
///
/// Colour 1 is required. Colour 2 and colour 3 may be left unspecified (`None`); the
/// [`super::StainMatrix`] then derives them as Colour Deconvolution 2 does.
#[derive(Debug, Clone, PartialEq)]
pub struct StainVectors {
    /// A name for messages and file headers ("Giemsa", or the custom file's `name`).
    pub name: String,
    /// Colour 1, 2 and 3; `None` = unspecified.
    pub colours: [Option<[f64; 3]>; 3],
}

/// A built-in stain set of Colour Deconvolution 2 (G. Landini), with its vectors.
///
/// Names are spelled as CD2's "Vectors" menu spells them; [`StainSet::parse`] ignores case,
/// spaces, `_`, `-` and `&`, so `"h&e"`, `"HE"`, `"hdab"` and `"Masson_Trichrome"` all work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StainSet {
    /// May-Grünwald-Giemsa / Giemsa: methylene blue, eosin (hemato's default).
    #[default]
    Giemsa,
    /// Haematoxylin and eosin.
    HAndE,
    /// Haematoxylin and eosin, second determination.
    HAndE2,
    /// Haematoxylin and DAB.
    HDab,
    /// Haematoxylin, eosin and DAB.
    HAndEDab,
    /// Feulgen and light green.
    FeulgenLightGreen,
    /// Fast red, fast blue and DAB.
    FastRedFastBlueDab,
    /// Methyl green and DAB.
    MethylGreenDab,
    /// Haematoxylin and AEC.
    HAec,
    /// Azan-Mallory: azocarmine, aniline blue, orange G.
    AzanMallory,
    /// Masson trichrome: ponceau fuchsin, methyl blue.
    MassonTrichrome,
    /// Alcian blue and haematoxylin.
    AlcianBlueAndH,
    /// Haematoxylin and periodic acid-Schiff.
    HPas,
    /// Brilliant blue (three stains).
    BrilliantBlue,
    /// Plain red, green and blue "stains".
    Rgb,
}

impl StainSet {
    /// Every built-in set, in the order of the table in the docs.
    pub const ALL: [StainSet; 15] = [
        StainSet::Giemsa,
        StainSet::HAndE,
        StainSet::HAndE2,
        StainSet::HDab,
        StainSet::HAndEDab,
        StainSet::FeulgenLightGreen,
        StainSet::FastRedFastBlueDab,
        StainSet::MethylGreenDab,
        StainSet::HAec,
        StainSet::AzanMallory,
        StainSet::MassonTrichrome,
        StainSet::AlcianBlueAndH,
        StainSet::HPas,
        StainSet::BrilliantBlue,
        StainSet::Rgb,
    ];

    /// The set's name as Colour Deconvolution 2 spells it.
    pub fn name(self) -> &'static str {
        match self {
            StainSet::Giemsa => "Giemsa",
            StainSet::HAndE => "H&E",
            StainSet::HAndE2 => "H&E 2",
            StainSet::HDab => "H DAB",
            StainSet::HAndEDab => "H&E DAB",
            StainSet::FeulgenLightGreen => "Feulgen Light Green",
            StainSet::FastRedFastBlueDab => "FastRed FastBlue DAB",
            StainSet::MethylGreenDab => "Methyl Green DAB",
            StainSet::HAec => "H AEC",
            StainSet::AzanMallory => "Azan-Mallory",
            StainSet::MassonTrichrome => "Masson Trichrome",
            StainSet::AlcianBlueAndH => "Alcian Blue & H",
            StainSet::HPas => "H PAS",
            StainSet::BrilliantBlue => "Brilliant Blue",
            StainSet::Rgb => "RGB",
        }
    }

    /// The set named `name`: case, spaces, `_`, `-` and `&` are ignored.
    ///
    /// ```
    /// use hemato::color::StainSet;
    /// assert_eq!(StainSet::parse("h&e").unwrap(), StainSet::HAndE);
    /// assert_eq!(StainSet::parse("Brilliant_Blue").unwrap(), StainSet::BrilliantBlue);
    /// assert!(StainSet::parse("Gram").unwrap_err().to_string().contains("Giemsa, H&E, H&E 2"));
    /// ```
    pub fn parse(name: &str) -> Result<StainSet, ColorError> {
        let key = |text: &str| {
            text.chars()
                .filter(|c| !matches!(c, ' ' | '_' | '-' | '&'))
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        let wanted = key(name);
        StainSet::ALL
            .into_iter()
            .find(|set| key(set.name()) == wanted)
            .ok_or_else(|| ColorError::UnknownStainSet {
                name: name.to_string(),
                valid: StainSet::ALL.map(StainSet::name).join(", "),
            })
    }

    /// The set's vectors as Colour Deconvolution 2 lists them (rows R, G, B; an empty third
    /// colour is computed from the first two).
    pub fn vectors(self) -> StainVectors {
        let (first, second, third): ([f64; 3], [f64; 3], Option<[f64; 3]>) = match self {
            StainSet::Giemsa => (
                [0.834750233, 0.513556283, 0.196330403],
                [0.092789, 0.954111, 0.283111],
                None,
            ),
            StainSet::HAndE => (
                [0.644211, 0.716556, 0.266844],
                [0.092789, 0.954111, 0.283111],
                None,
            ),
            StainSet::HAndE2 => (
                [0.49015734, 0.76897085, 0.41040173],
                [0.04615336, 0.8420684, 0.5373925],
                None,
            ),
            StainSet::HDab => ([0.650, 0.704, 0.286], [0.268, 0.570, 0.776], None),
            StainSet::HAndEDab => (
                [0.650, 0.704, 0.286],
                [0.072, 0.990, 0.105],
                Some([0.268, 0.570, 0.776]),
            ),
            StainSet::FeulgenLightGreen => (
                [0.46420921, 0.83008335, 0.30827187],
                [0.94705542, 0.25373821, 0.19650764],
                None,
            ),
            StainSet::FastRedFastBlueDab => (
                [0.21393921, 0.85112669, 0.47794022],
                [0.74890292, 0.60624161, 0.26731082],
                Some([0.268, 0.570, 0.776]),
            ),
            StainSet::MethylGreenDab => {
                ([0.98003, 0.144316, 0.133146], [0.268, 0.570, 0.776], None)
            }
            StainSet::HAec => ([0.650, 0.704, 0.286], [0.2743, 0.6796, 0.6803], None),
            StainSet::AzanMallory => (
                [0.853033, 0.508733, 0.112656],
                [0.09289875, 0.8662008, 0.49098468],
                Some([0.10732849, 0.36765403, 0.9237484]),
            ),
            StainSet::MassonTrichrome => (
                [0.7995107, 0.5913521, 0.10528667],
                [0.09997159, 0.73738605, 0.6680326],
                None,
            ),
            StainSet::AlcianBlueAndH => (
                [0.874622, 0.457711, 0.158256],
                [0.552556, 0.7544, 0.353744],
                None,
            ),
            StainSet::HPas => (
                [0.644211, 0.716556, 0.266844],
                [0.175411, 0.972178, 0.154589],
                None,
            ),
            StainSet::BrilliantBlue => (
                [0.31465548, 0.6602395, 0.68196464],
                [0.383573, 0.5271141, 0.7583024],
                Some([0.7433543, 0.51731443, 0.4240403]),
            ),
            StainSet::Rgb => (
                [0.001, 1.0, 1.0],
                [1.0, 0.001, 1.0],
                Some([1.0, 1.0, 0.001]),
            ),
        };
        StainVectors {
            name: self.name().to_string(),
            colours: [Some(first), Some(second), third],
        }
    }
}

impl std::fmt::Display for StainSet {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

impl std::str::FromStr for StainSet {
    type Err = ColorError;

    fn from_str(name: &str) -> Result<StainSet, ColorError> {
        StainSet::parse(name)
    }
}

/// The JSON file format of custom vectors.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct VectorsFile {
    #[serde(default)]
    name: Option<String>,
    vectors: Vec<Vec<f64>>,
}

impl StainVectors {
    /// Custom vectors from JSON text:
    ///
    /// ```json
    /// { "name": "my Giemsa", "vectors": [[0.83, 0.51, 0.19], [0.09, 0.95, 0.28]] }
    /// ```
    ///
    /// `vectors` holds one to three rows of three finite numbers (the R, G, B optical densities
    /// of colour 1, 2, 3). Rows 2 and 3 may be left out or given as `[0, 0, 0]`, which means
    /// "unspecified", as in Colour Deconvolution 2's "User values". `name` is optional.
    ///
    /// ```
    /// let vectors = hemato::color::StainVectors::from_json(
    ///     r#"{"vectors": [[0.65, 0.70, 0.29], [0.27, 0.57, 0.78]]}"#).unwrap();
    /// assert_eq!(vectors.colours[1], Some([0.27, 0.57, 0.78]));
    /// assert_eq!(vectors.colours[2], None);
    /// ```
    pub fn from_json(text: &str) -> Result<StainVectors, ColorError> {
        let file: VectorsFile =
            serde_json::from_str(text).map_err(|error| ColorError::InvalidJson {
                reason: error.to_string(),
            })?;
        if file.vectors.is_empty() || file.vectors.len() > 3 {
            return Err(ColorError::WrongVectorCount {
                count: file.vectors.len(),
            });
        }
        let mut colours = [None; 3];
        for (index, row) in file.vectors.iter().enumerate() {
            let colour = index + 1;
            let vector: [f64; 3] =
                row.as_slice()
                    .try_into()
                    .map_err(|_| ColorError::WrongVectorLength {
                        colour,
                        length: row.len(),
                    })?;
            if vector.iter().any(|component| !component.is_finite()) {
                return Err(ColorError::NonFiniteVector { colour });
            }
            if vector != [0.0; 3] {
                colours[index] = Some(vector);
            }
        }
        if colours[0].is_none() {
            return Err(ColorError::ZeroVector { colour: 1 });
        }
        Ok(StainVectors {
            name: file.name.unwrap_or_else(|| "custom".to_string()),
            colours,
        })
    }

    /// Custom vectors from a JSON file (format: [`StainVectors::from_json`]).
    pub fn from_json_file(path: &Path) -> Result<StainVectors, ColorError> {
        let text = std::fs::read_to_string(path).map_err(|source| ColorError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        StainVectors::from_json(&text).map_err(|error| ColorError::InFile {
            path: path.to_path_buf(),
            source: Box::new(error),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back() {
        for set in StainSet::ALL {
            assert_eq!(StainSet::parse(set.name()).unwrap(), set);
            assert_eq!(StainSet::parse(&set.name().to_uppercase()).unwrap(), set);
        }
        assert_eq!(StainSet::parse("hdab").unwrap(), StainSet::HDab);
        assert_eq!(StainSet::parse("he2").unwrap(), StainSet::HAndE2);
        assert_eq!(StainSet::default(), StainSet::Giemsa);
    }

    #[test]
    fn bad_json_gives_clear_errors() {
        let error = |text: &str| StainVectors::from_json(text).unwrap_err().to_string();
        assert!(error("{").contains("not valid JSON"));
        assert!(error(r#"{"vectors": []}"#).contains("1 to 3"));
        assert!(error(r#"{"vectors": [[1,0,0],[0,1,0],[0,0,1],[1,1,1]]}"#).contains("1 to 3"));
        assert!(error(r#"{"vectors": [[1, 0]]}"#).contains("colour 1 has 2 numbers"));
        assert!(error(r#"{"vectors": [[1, 0, 0], [1, 2, 3, 4]]}"#).contains("colour 2 has 4"));
        assert!(error(r#"{"vectors": [[0, 0, 0], [1, 2, 3]]}"#).contains("colour 1 is zero"));
        assert!(error(r#"{"vectors": [[1, 0, 0]], "colour": 3}"#).contains("unknown field"));
        assert!(error(r#"{"vectors": [[1e999, 0, 0]]}"#).contains("JSON"));
    }

    #[test]
    fn zero_rows_after_the_first_mean_unspecified() {
        let vectors = StainVectors::from_json(r#"{"vectors": [[1, 2, 3], [0, 0, 0]]}"#).unwrap();
        assert_eq!(vectors.colours, [Some([1.0, 2.0, 3.0]), None, None]);
        assert_eq!(vectors.name, "custom");
    }
}
