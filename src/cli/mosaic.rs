//! `hemato mosaic FIELD... -o SLIDE.tif`: large test slides from real fields.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::ValueEnum;
use hemato::slide::mosaic::{
    count_field_counts, field_counts, fields_far_from_margin, median_colour, shared_red_cell_area,
    Mosaic, TiffCompression,
};
use hemato::slide::{Level, StainWatershed};
use hemato::threshold::Method;

/// Tile compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Compression {
    /// Uncompressed.
    None,
    /// Deflate.
    Deflate,
}

/// Write a mosaic of microscope fields as a tiled BigTIFF test slide, with each field's
/// single-image cell count.
///
/// Fields (all the same size) are laid out row by row, used in turn, each with a margin of
/// background colour (by default the fields' own) so that no two fields touch.
/// OUT.fields.csv lists every placed field and the cell count of that padded field analysed
/// alone: by `hemato count` (what `hemato slide` finds on the mosaic within about 2 % when both
/// are given the same --pixel-size), or with --level/--method by the stain-watershed stand-in
/// (what `hemato slide --analysis stain-watershed` finds, exactly with a fixed --level).
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  hemato mosaic ../shared/data/smears-sample/images/ --size 40000x40000 -o mosaic40k.tif")]
pub struct Args {
    /// Field images, or folders of them (sorted by name).
    #[arg(required = true, value_name = "FIELD|DIR")]
    fields: Vec<PathBuf>,
    /// Output TIFF.
    #[arg(short, long, value_name = "OUT.tif")]
    output: PathBuf,
    /// Smallest size WIDTHxHEIGHT; rounded up to whole fields.
    #[arg(long, value_name = "WxH", conflicts_with = "grid")]
    size: Option<String>,
    /// Fields across and down, COLUMNSxROWS.
    #[arg(long, value_name = "CxR")]
    grid: Option<String>,
    /// Background margin around each field, in pixels.
    #[arg(long, default_value_t = 16)]
    margin: u32,
    /// Margin colour R,G,B, or `fields`: the median of the fields' own background colours
    /// (the mosaic then looks like one smear).
    #[arg(long, default_value = "fields", value_name = "R,G,B|fields")]
    background: String,
    /// TIFF tile size (multiple of 16).
    #[arg(long, default_value_t = 512)]
    tile: u32,
    /// Tile compression.
    #[arg(long, value_enum, default_value = "deflate")]
    compression: Compression,
    /// Skip the per-field counts (OUT.fields.csv lists the layout only).
    #[arg(long)]
    no_counts: bool,
    /// Count the fields (with `hemato count`) at this known pixel size in µm, as `hemato slide
    /// --pixel-size` counts the mosaic; default: each field's own estimate.
    #[arg(long, value_name = "UM", conflicts_with_all = ["level", "method"])]
    pixel_size: Option<f64>,
    /// Count the fields at one pixel size estimated from the red cells of all of them together
    /// (as `hemato count --shared-scale` and as `hemato slide` measures it over the mosaic);
    /// default: each field's own estimate.
    #[arg(long, conflicts_with_all = ["pixel_size", "level", "method"])]
    shared_scale: bool,
    /// Count with the stain-watershed stand-in at this fixed threshold level (as `hemato slide
    /// --analysis stain-watershed --level`).
    #[arg(long, value_name = "0-255", conflicts_with = "method")]
    level: Option<u8>,
    /// Count with the stain-watershed stand-in and this threshold method (as `hemato slide
    /// --analysis stain-watershed --method`).
    #[arg(long)]
    method: Option<String>,
}

fn pair(text: &str, what: &str) -> anyhow::Result<(u32, u32)> {
    let Some((a, b)) = text.split_once(['x', 'X']) else {
        bail!("{what} {text:?}: expected AxB");
    };
    Ok((a.trim().parse()?, b.trim().parse()?))
}

/// Runs `hemato mosaic`.
pub fn run(args: Args) -> anyhow::Result<()> {
    // Files as given, folders by their images (sorted, not recursive, hidden files skipped),
    // as `hemato count` lists them.
    let sources = hemato::count::list_images(&args.fields)?;
    if sources.is_empty() {
        bail!("no field images found in {:?}", args.fields);
    }
    let colour = if args.background == "fields" {
        None
    } else {
        let background: Vec<u8> = args
            .background
            .split(',')
            .map(|v| v.trim().parse::<u8>())
            .collect::<Result<_, _>>()
            .with_context(|| {
                format!(
                    "--background {:?}: expected R,G,B or fields",
                    args.background
                )
            })?;
        let [r, g, b] = background[..] else {
            bail!(
                "--background {:?}: expected R,G,B or fields",
                args.background
            );
        };
        Some([r, g, b])
    };
    let first = hemato::io::read_rgb_image(&sources[0])?;
    let (columns, rows) = match (&args.grid, &args.size) {
        (Some(grid), _) => pair(grid, "--grid")?,
        (None, Some(size)) => {
            let (width, height) = pair(size, "--size")?;
            Mosaic::grid_for(first.dimensions(), args.margin, width, height)
        }
        (None, None) => bail!("give --size WxH or --grid CxR"),
    };
    let mut mosaic = Mosaic::new(
        sources,
        columns,
        rows,
        args.margin,
        colour.unwrap_or([0; 3]),
    )?;
    if colour.is_none() {
        let backgrounds = mosaic.field_backgrounds();
        mosaic.background = median_colour(&backgrounds);
        warn_of_far_backgrounds(
            &mosaic,
            &fields_far_from_margin(&backgrounds, mosaic.background),
        );
    }
    let compression = match args.compression {
        Compression::None => TiffCompression::None,
        Compression::Deflate => TiffCompression::Deflate,
    };
    mosaic.write(&args.output, args.tile, compression)?;
    let counts = if args.no_counts {
        None
    } else {
        match (args.level, &args.method) {
            (Some(level), _) => Some(field_counts(
                &StainWatershed::new(Level::Fixed(level))?,
                &mosaic,
            )?),
            (None, Some(method)) => Some(field_counts(
                &StainWatershed::new(Level::Auto(Method::parse(method)?))?,
                &mosaic,
            )?),
            (None, None) => {
                let shared_red_cell_area = if args.shared_scale {
                    let area = shared_red_cell_area(&mosaic)?;
                    super::count::report_shared_scale(area, mosaic.placed().len(), "placed fields");
                    area
                } else {
                    None
                };
                Some(count_field_counts(
                    &mosaic,
                    &hemato::count::CountOptions {
                        pixel_size: args.pixel_size,
                        shared_red_cell_area,
                    },
                )?)
            }
        }
    };
    let mut table = String::from("column,row,x,y,width,height,source");
    table.push_str(if counts.is_some() { ",cells\n" } else { "\n" });
    let mut total = 0;
    for field in mosaic.placed() {
        let _ = write!(
            table,
            "{},{},{},{},{},{},{}",
            field.column,
            field.row,
            field.rect.x,
            field.rect.y,
            field.rect.width,
            field.rect.height,
            mosaic.sources[field.source].display()
        );
        if let Some(counts) = &counts {
            let _ = write!(table, ",{}", counts[field.source]);
            total += counts[field.source];
        }
        table.push('\n');
    }
    let manifest = args.output.with_extension("fields.csv");
    hemato::output::write_bytes_atomically(&manifest, table.as_bytes())?;
    eprintln!(
        "{} x {} pixels ({columns} x {rows} fields) → {}; fields in {}{}",
        mosaic.width(),
        mosaic.height(),
        args.output.display(),
        manifest.display(),
        if counts.is_some() {
            format!("; expected cells: {total}")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Names the fields whose own background is far from the margins' (the fields' median), `far`
/// ([`fields_far_from_margin`]), which a slide run over the mosaic cannot count as `hemato
/// count` does.
fn warn_of_far_backgrounds(mosaic: &Mosaic, far: &[(usize, f64)]) {
    if far.is_empty() {
        return;
    }
    let [red, green, blue] = mosaic.background;
    let names: Vec<String> = far
        .iter()
        .map(|&(source, distance)| {
            format!("{} ({distance:.2} OD)", mosaic.sources[source].display())
        })
        .collect();
    eprintln!(
        "warning: the background of {} of {} fields is far from the margins' ({red}, {green}, {blue}): {}; \
         hemato slide estimates one background for the whole mosaic and may take theirs for cells \
         (docs/slides.md)",
        far.len(),
        mosaic.sources.len(),
        names.join(", ")
    );
}
