//! `hemato threshold`: print the ranges ImageJ's auto threshold selects on an image.

use std::path::PathBuf;

use anyhow::Context;
use hemato::threshold::{self, Background, Method, Range};

/// Print, as CSV, the grey-value ranges that ImageJ 1.53t's `setAutoThreshold("METHOD dark")`
/// and `setAutoThreshold("METHOD")` select on an image.
///
/// RGB images are converted to 8-bit grey as ImageJ's "8-bit" does (unweighted mean of R, G, B);
/// 16-bit images are scaled to 8 bits over their min..max as ImageJ does; 32-bit images are refused.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image (PNG, TIFF, JPEG, BMP, .npy).
    image: PathBuf,
    /// Method as ImageJ names it (any case: Default, Huang, Otsu, IJ_IsoData, ...) or "all".
    /// Default: all, unless --level is given.
    #[arg(long, value_name = "NAME|all")]
    method: Option<String>,
    /// A manual level (0-255): adds a row "manual" with the ranges this level selects.
    #[arg(long, value_name = "0-255")]
    level: Option<u8>,
}

/// Runs `hemato threshold`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let methods = match (&args.method, args.level) {
        (Some(name), _) if name.eq_ignore_ascii_case("all") => Method::ALL.to_vec(),
        (Some(name), _) => vec![Method::parse(name)?],
        (None, Some(_)) => Vec::new(),
        (None, None) => Method::ALL.to_vec(),
    };
    let image = hemato::io::read_image(&args.image)?;
    let gray = threshold::to_8bit(&image)
        .with_context(|| format!("cannot threshold {}", args.image.display()))?;
    let histogram = threshold::histogram(&gray);
    let mut rows = Vec::new();
    for method in methods {
        let (dark, light) = threshold::ranges(method, &histogram)
            .with_context(|| format!("{}: {method}", args.image.display()))?;
        rows.push((method.name().to_string(), dark, light));
    }
    if let Some(level) = args.level {
        let level = i32::from(level);
        rows.push((
            "manual".to_string(),
            Range::for_level(level, Background::Dark),
            Range::for_level(level, Background::Light),
        ));
    }
    let mut writer = csv::Writer::from_writer(std::io::stdout().lock());
    writer.write_record([
        "method",
        "dark_lower",
        "dark_upper",
        "light_lower",
        "light_upper",
    ])?;
    for (name, dark, light) in rows {
        writer.write_record([
            name,
            dark.lower.to_string(),
            dark.upper.to_string(),
            light.lower.to_string(),
            light.upper.to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}
