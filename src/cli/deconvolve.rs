//! `hemato deconvolve`: split an RGB image into one image per stain (colour deconvolution).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use hemato::color::{self, StainMatrix, StainSet, StainVectors, ThirdStain};

/// Separate the stains of an RGB image by colour deconvolution, as Colour Deconvolution 2 does.
///
/// Writes PREFIX-1.png, PREFIX-2.png, PREFIX-3.png: the 8-bit transmittance of colour 1, 2, 3
/// (255 = no stain). With --absorbance, writes 32-bit float TIFFs PREFIX-1.tif ... instead
/// (decadic absorbance, 0 = no stain).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The RGB image (a grey image is treated as R = G = B).
    image: PathBuf,
    /// Built-in stain set as Colour Deconvolution 2 names it (any case): Giemsa, "H&E", "H&E 2",
    /// "H DAB", "H&E DAB", "Feulgen Light Green", "FastRed FastBlue DAB", "Methyl Green DAB",
    /// "H AEC", Azan-Mallory, "Masson Trichrome", "Alcian Blue & H", "H PAS", "Brilliant Blue",
    /// RGB. Default: Giemsa.
    #[arg(long, value_name = "NAME", conflicts_with = "vectors")]
    stain: Option<String>,
    /// Custom stain vectors, JSON: {"name": "...", "vectors": [[r, g, b], [r, g, b]]}.
    #[arg(long, value_name = "FILE.json")]
    vectors: Option<PathBuf>,
    /// Derive an unspecified third colour by Colour Deconvolution 1's complement instead of the
    /// cross product of colours 1 and 2.
    #[arg(long)]
    legacy_third: bool,
    /// Write 32-bit float absorbance TIFFs instead of 8-bit transmittance PNGs.
    #[arg(long)]
    absorbance: bool,
    /// Output prefix: PREFIX-1.png, PREFIX-2.png, PREFIX-3.png (or .tif with --absorbance).
    #[arg(short, long, value_name = "PREFIX")]
    output: PathBuf,
}

/// Runs `hemato deconvolve`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let vectors = match (&args.vectors, &args.stain) {
        (Some(path), _) => StainVectors::from_json_file(path)?,
        (None, Some(name)) => StainSet::parse(name)?.vectors(),
        (None, None) => StainSet::default().vectors(),
    };
    let third = if args.legacy_third {
        ThirdStain::LegacyComplement
    } else {
        ThirdStain::CrossProduct
    };
    let matrix = StainMatrix::new(&vectors, third)?;
    let image = hemato::io::read_rgb_image(&args.image)?;
    if args.absorbance {
        let planes = color::deconvolve_absorbance(&image, &matrix);
        for (number, plane) in (1..).zip(&planes) {
            hemato::io::write_float_tiff(&output_path(&args.output, number, "tif"), plane)?;
        }
    } else {
        let planes = color::deconvolve_transmittance(&image, &matrix);
        for (number, plane) in (1..).zip(&planes) {
            hemato::io::write_gray_png(&output_path(&args.output, number, "png"), plane)?;
        }
    }
    Ok(())
}

/// `PREFIX-N.EXTENSION`.
fn output_path(prefix: &Path, number: u32, extension: &str) -> PathBuf {
    let mut name = OsString::from(prefix.as_os_str());
    name.push(format!("-{number}.{extension}"));
    PathBuf::from(name)
}
