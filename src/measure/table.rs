//! Feature tables: ImageJ's Results CSV, the bloodcells dataset layout, and JSON.
//!
//! - [`write_imagej_csv`]: byte for byte what ImageJ 1.53t's `saveAs("Results", "x.csv")` writes
//!   (`ij/measure/ResultsTable.java`): a first heading of one space for the row numbers, an optional
//!   `Label` column, and per column ImageJ's choice of decimals: a column prints with N decimals
//!   once one of its first 24 values is not a whole number (Circ., AR, Round and Solidity always
//!   do); otherwise whole numbers print without decimals. Numbers below 10⁻ᴺ or above 10¹² switch
//!   to scientific notation, as `ResultsTable.d2s` does.
//! - [`write_bloodcells_csv`]: the layout of `bloodcells_train.csv` (35 `;`-separated columns,
//!   red/green/blue statistics, `Class`). That file was made by saving ImageJ tables at 3 decimals
//!   and re-writing them with pandas, so each value is ImageJ's 3-decimal text read back as a
//!   number and printed the way Python prints it (`0.95`, `125.0`, `0.000589`); columns whose
//!   values are all whole numbers print as integers.
//! - [`write_json`]: one object per particle, for programs.

use rayon::prelude::*;
use std::io::{self, Write};

use super::{IntensityMeasurements, ParticleMeasurements, ShapeMeasurements};

/// One table row: a particle of an image.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TableRow {
    /// The image's file name (no folder).
    pub image: String,
    /// The class name, for the bloodcells layout's `Class` column.
    pub class: Option<String>,
    /// The particle's measurements; `channels` follow [`Table::channels`].
    #[serde(flatten)]
    pub particle: ParticleMeasurements,
}

/// Rows of one or more images, all measured on the same channels.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Table {
    /// Names of the measured channels, in the order of each row's `channels`.
    pub channels: Vec<String>,
    /// The rows, in output order.
    pub rows: Vec<TableRow>,
}

/// Why a table cannot be written in a layout.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The bloodcells layout needs the red, green and blue channels.
    #[error("the bloodcells layout needs the channels red, green and blue (measured: {0})")]
    MissingColourChannels(String),
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

type ShapeColumn = fn(&ShapeMeasurements) -> f64;
type IntensityColumn = fn(&IntensityMeasurements) -> f64;

/// A column of ImageJ's Results table: shape columns exist once, intensity columns once per
/// channel.
#[derive(Clone, Copy)]
enum Column {
    Shape(&'static str, ShapeColumn),
    Intensity(&'static str, IntensityColumn),
}

/// ImageJ's "all measurements" columns in ImageJ's order.
const IMAGEJ_COLUMNS: [Column; 33] = [
    Column::Shape("Area", |s| s.area),
    Column::Intensity("Mean", |i| i.mean),
    Column::Intensity("StdDev", |i| i.std_dev),
    Column::Intensity("Mode", |i| i.mode),
    Column::Intensity("Min", |i| i.min),
    Column::Intensity("Max", |i| i.max),
    Column::Shape("X", |s| s.x),
    Column::Shape("Y", |s| s.y),
    Column::Intensity("XM", |i| i.xm),
    Column::Intensity("YM", |i| i.ym),
    Column::Shape("Perim.", |s| s.perimeter),
    Column::Shape("BX", |s| s.bx),
    Column::Shape("BY", |s| s.by),
    Column::Shape("Width", |s| s.width),
    Column::Shape("Height", |s| s.height),
    Column::Shape("Major", |s| s.major),
    Column::Shape("Minor", |s| s.minor),
    Column::Shape("Angle", |s| s.angle),
    Column::Shape("Circ.", |s| s.circularity),
    Column::Shape("Feret", |s| s.feret),
    Column::Intensity("IntDen", |i| i.integrated_density),
    Column::Intensity("Median", |i| i.median),
    Column::Intensity("Skew", |i| i.skewness),
    Column::Intensity("Kurt", |i| i.kurtosis),
    Column::Intensity("%Area", |i| i.area_fraction),
    Column::Intensity("RawIntDen", |i| i.raw_integrated_density),
    Column::Shape("FeretX", |s| s.feret_x),
    Column::Shape("FeretY", |s| s.feret_y),
    Column::Shape("FeretAngle", |s| s.feret_angle),
    Column::Shape("MinFeret", |s| s.min_feret),
    Column::Shape("AR", |s| s.aspect_ratio),
    Column::Shape("Round", |s| s.roundness),
    Column::Shape("Solidity", |s| s.solidity),
];

/// Columns that Analyzer.saveResults always prints with the chosen decimals.
const ALWAYS_DECIMAL: [&str; 4] = ["Circ.", "AR", "Round", "Solidity"];

/// The data columns of `table` in ImageJ's order: (heading, values). With several channels each
/// intensity column appears once per channel, headed `<column> <channel>`.
fn imagej_columns(table: &Table) -> Vec<(String, Vec<f64>)> {
    let mut columns = Vec::new();
    for column in IMAGEJ_COLUMNS {
        match column {
            Column::Shape(name, get) => columns.push((
                name.to_string(),
                table
                    .rows
                    .iter()
                    .map(|row| get(&row.particle.shape))
                    .collect(),
            )),
            Column::Intensity(name, get) => {
                for (index, channel) in table.channels.iter().enumerate() {
                    let heading = if table.channels.len() == 1 {
                        name.to_string()
                    } else {
                        format!("{name} {channel}")
                    };
                    let values = table
                        .rows
                        .iter()
                        .map(|row| get(&row.particle.channels[index]))
                        .collect();
                    columns.push((heading, values));
                }
            }
        }
    }
    columns
}

/// Whether `label_column` should be written: several images, or label-image particles.
fn needs_label_column(table: &Table) -> bool {
    let mut images = table.rows.iter().map(|row| &row.image);
    let first = images.next();
    images.any(|image| Some(image) != first)
        || table.rows.iter().any(|row| row.particle.label.is_some())
}

/// The `Label` cell: the image name, with `:label` for label-image particles. Commas become `;`
/// as ImageJ does in CSV.
fn row_label(row: &TableRow) -> String {
    let label = match row.particle.label {
        Some(value) => format!("{}:{value}", row.image),
        None => row.image.clone(),
    };
    label.replace(',', ";")
}

/// Writes the table as ImageJ saves a Results table to `.csv`.
///
/// A `Label` column (second, as ImageJ's "Display label") names the image when the table holds
/// several images, and `image:label` for label-image particles. An empty table writes an empty
/// file, as ImageJ does.
pub fn write_imagej_csv(writer: &mut impl Write, table: &Table, decimals: usize) -> io::Result<()> {
    if table.rows.is_empty() {
        return Ok(());
    }
    let columns = imagej_columns(table);
    let with_label = needs_label_column(table);
    let mut header = String::from(" ,");
    if with_label {
        header.push_str("Label,");
    }
    header.push_str(
        &columns
            .iter()
            .map(|(heading, _)| heading.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    writeln!(writer, "{header}")?;
    let fixed: Vec<bool> = columns
        .iter()
        .map(|(heading, values)| {
            ALWAYS_DECIMAL.contains(&heading.as_str())
                || values
                    .iter()
                    .take(24)
                    .any(|&value| !is_java_int(value) && !value.is_nan())
        })
        .collect();
    // Rows are formatted in parallel (each line depends only on its row), written in order.
    let lines: Vec<String> = table
        .rows
        .par_iter()
        .enumerate()
        .map(|(row_index, row)| {
            let mut line = format!("{},", row_index + 1);
            if with_label {
                line.push_str(&row_label(row));
                line.push(',');
            }
            let cells: Vec<String> = columns
                .iter()
                .zip(&fixed)
                .map(|((_, values), &fixed)| {
                    let value = values[row_index];
                    if fixed {
                        d2s(value, decimals as i32)
                    } else {
                        auto_format(value, decimals as i32)
                    }
                })
                .collect();
            line.push_str(&cells.join(","));
            line
        })
        .collect();
    for line in lines {
        writeln!(writer, "{line}")?;
    }
    Ok(())
}

/// Java's `(int) value == value`: a whole number within the `int` range.
fn is_java_int(value: f64) -> bool {
    value.is_finite()
        && value >= f64::from(i32::MIN)
        && value <= f64::from(i32::MAX)
        && value.trunc() == value
}

/// ResultsTable.n: whole numbers without decimals, others with `decimals`.
fn auto_format(value: f64, decimals: i32) -> String {
    if is_java_int(value) {
        d2s(value, 0)
    } else {
        d2s(value, decimals)
    }
}

/// ResultsTable.d2s: fixed decimals with Java's DecimalFormat (half-even rounding of the exact
/// binary value; half-up for 0 decimals), scientific notation with 3 decimals for tiny or huge
/// values, and Java's texts for NaN and infinities.
pub fn d2s(value: f64, decimals: i32) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if value == f64::from(f32::MAX) {
        return "3.4e38".to_string();
    }
    let magnitude = value.abs();
    let tiny = magnitude < 0.001 && magnitude != 0.0 && magnitude < 1.0 / 10f64.powi(decimals);
    if tiny || magnitude > 999_999_999_999.0 || decimals < 0 {
        let digits = if decimals < 0 { (-decimals).min(9) } else { 3 } as usize;
        return format!("{value:.digits$e}").replace('e', "E");
    }
    let decimals = decimals.min(9) as usize;
    if decimals == 0 {
        return format_half_up(value);
    }
    // Java's DecimalFormat starts from the shortest digits that read back as the value: when
    // those end before the requested decimals it pads with zeros; otherwise it rounds, and then
    // rounding the exact binary value (what `format!` does) gives the same digits.
    if shortest_fraction_digits(value) <= decimals {
        let shortest = format!("{value}");
        let fraction = shortest
            .split_once('.')
            .map_or(0, |(_, fraction)| fraction.len());
        let mut text = shortest;
        if fraction == 0 {
            text.push('.');
        }
        text.push_str(&"0".repeat(decimals - fraction));
        return text;
    }
    format!("{value:.decimals$}")
}

/// Number of digits after the decimal point in the shortest text that reads back as `value`.
fn shortest_fraction_digits(value: f64) -> usize {
    format!("{value}")
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len())
}

/// Java's DecimalFormat("0") with HALF_UP: nearest whole number, ties away from zero.
fn format_half_up(value: f64) -> String {
    let rounded = value.round(); // ties away from zero
    if rounded == 0.0 && value.is_sign_negative() {
        "-0".to_string()
    } else {
        format!("{rounded:.0}")
    }
}

/// The 35 columns of `bloodcells_train.csv`, in order, as the dataset spells them.
pub const BLOODCELLS_HEADER: &str = "image filename;Area;Mean red;StdDev red;Mode red;Min red;Max red;Perim.;Circ.;Feret;IntDen;Median red;Skew red;Kurt red;RawIntDen red;MinFeret;AR;Solidity;Mean blue;Mean green;StDev blue;StdDev green;Mode blue;Mode green;Min blue;Min green;Max blue;Max green;Median blue;Median green;Skew blue;Skew green;Kurt blue;Kurt green;Class";

/// A bloodcells column: where its number comes from (shape, or a colour channel's statistic).
enum BloodcellsColumn {
    Shape(ShapeColumn),
    Channel(usize, IntensityColumn),
}

/// Writes the table in the layout of `bloodcells_train.csv`. The table must have been measured
/// on the channels red, green and blue (any order).
pub fn write_bloodcells_csv(writer: &mut impl Write, table: &Table) -> Result<(), TableError> {
    let channel = |name: &str| {
        table
            .channels
            .iter()
            .position(|channel| channel == name)
            .ok_or_else(|| TableError::MissingColourChannels(table.channels.join(", ")))
    };
    let (red, green, blue) = (channel("red")?, channel("green")?, channel("blue")?);
    use BloodcellsColumn::{Channel, Shape};
    let columns: Vec<BloodcellsColumn> = vec![
        Shape(|s| s.area),
        Channel(red, |i| i.mean),
        Channel(red, |i| i.std_dev),
        Channel(red, |i| i.mode),
        Channel(red, |i| i.min),
        Channel(red, |i| i.max),
        Shape(|s| s.perimeter),
        Shape(|s| s.circularity),
        Shape(|s| s.feret),
        Channel(red, |i| i.integrated_density),
        Channel(red, |i| i.median),
        Channel(red, |i| i.skewness),
        Channel(red, |i| i.kurtosis),
        Channel(red, |i| i.raw_integrated_density),
        Shape(|s| s.min_feret),
        Shape(|s| s.aspect_ratio),
        Shape(|s| s.solidity),
        Channel(blue, |i| i.mean),
        Channel(green, |i| i.mean),
        Channel(blue, |i| i.std_dev),
        Channel(green, |i| i.std_dev),
        Channel(blue, |i| i.mode),
        Channel(green, |i| i.mode),
        Channel(blue, |i| i.min),
        Channel(green, |i| i.min),
        Channel(blue, |i| i.max),
        Channel(green, |i| i.max),
        Channel(blue, |i| i.median),
        Channel(green, |i| i.median),
        Channel(blue, |i| i.skewness),
        Channel(green, |i| i.skewness),
        Channel(blue, |i| i.kurtosis),
        Channel(green, |i| i.kurtosis),
    ];
    // ImageJ's 3-decimal text of every value, column by column.
    let texts: Vec<Vec<String>> = columns
        .iter()
        .map(|column| {
            table
                .rows
                .iter()
                .map(|row| {
                    let value = match column {
                        Shape(get) => get(&row.particle.shape),
                        Channel(index, get) => get(&row.particle.channels[*index]),
                    };
                    auto_format(value, 3)
                })
                .collect()
        })
        .collect();
    // pandas: a column of whole-number texts stays integer, any other becomes float. Circ., AR
    // and Solidity (positions 7, 15, 16) always have decimals in ImageJ's table.
    let integer_column: Vec<bool> = texts
        .iter()
        .enumerate()
        .map(|(index, column)| {
            ![7, 15, 16].contains(&index)
                && column.iter().all(|text| {
                    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                })
        })
        .collect();
    writeln!(writer, "{BLOODCELLS_HEADER}")?;
    for (row_index, row) in table.rows.iter().enumerate() {
        let mut cells = Vec::with_capacity(35);
        cells.push(format!("{} ", row.image));
        for (column, &integer) in texts.iter().zip(&integer_column) {
            let text = &column[row_index];
            cells.push(if integer {
                text.clone()
            } else if text == "NaN" {
                String::new() // pandas writes a missing value as an empty cell
            } else {
                python_float_repr(text.parse::<f64>().unwrap_or(f64::NAN))
            });
        }
        cells.push(row.class.clone().unwrap_or_default());
        writeln!(writer, "{}", cells.join(";"))?;
    }
    Ok(())
}

/// Python's `repr(float)`: the shortest text that reads back as the same number; positional
/// for exponents −4..15 (with `.0` for whole numbers), otherwise `d.ddde±XX`.
pub fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .to_string();
    }
    let scientific = format!("{value:e}"); // shortest round-trip digits, e.g. "-5.89e-4"
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        let point = exponent + 1; // digits before the decimal point
        let text = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{text}")
    } else {
        let mantissa = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exponent_sign}{:02}", exponent.abs())
    }
}

/// Writes the table as a JSON array: one object per particle with `image`, `label` (label value
/// or null), `class`, the shape columns and, under `channels`, each channel's intensity columns.
/// NaN values are written as `null`.
pub fn write_json(writer: &mut impl Write, table: &Table) -> io::Result<()> {
    let rows: Vec<serde_json::Value> = table
        .rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let channels: serde_json::Map<String, serde_json::Value> = table
                .channels
                .iter()
                .zip(&row.particle.channels)
                .map(|(name, values)| {
                    (
                        name.clone(),
                        serde_json::to_value(values).unwrap_or(serde_json::Value::Null),
                    )
                })
                .collect();
            serde_json::json!({
                "row": index + 1,
                "image": row.image,
                "label": row.particle.label,
                "class": row.class,
                "shape": row.particle.shape,
                "channels": channels,
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *writer, &rows)?;
    writeln!(writer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_matches_python() {
        assert_eq!(python_float_repr(101.964), "101.964");
        assert_eq!(python_float_repr(125.0), "125.0");
        assert_eq!(python_float_repr(0.000589), "0.000589");
        assert_eq!(python_float_repr(5.89e-5), "5.89e-05");
        assert_eq!(python_float_repr(-0.021), "-0.021");
        assert_eq!(python_float_repr(1e16), "1e+16");
        assert_eq!(python_float_repr(1234567.5), "1234567.5");
    }

    #[test]
    fn d2s_switches_to_scientific_for_tiny_values() {
        assert_eq!(d2s(0.000589, 3), "5.890E-4");
        assert_eq!(d2s(-0.000589, 3), "-5.890E-4");
        assert_eq!(d2s(0.000589, 9), "0.000589000");
        assert_eq!(d2s(2.5, 0), "3");
        assert_eq!(d2s(f64::NAN, 3), "NaN");
        assert_eq!(d2s(1.5e12, 3), "1.500E12");
    }
}
