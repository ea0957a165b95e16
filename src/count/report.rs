//! The outputs of `hemato count` as text: the counts table (one row per image and a total row),
//! the cells table (one row per cell with its features) and the human summary for the terminal.

use std::collections::BTreeSet;

use super::{CellClass, ImageCount, SMALLEST_RELIABLE_RED_CELL_PX};

/// The image column's value on the total row of the counts table.
pub const TOTAL_ROW: &str = "total";

/// Header of the counts table.
pub fn counts_header() -> Vec<String> {
    let mut header = vec!["image".to_string()];
    header.extend(CellClass::ALL.iter().map(|class| class.name().to_string()));
    header.push("wbc_total".to_string());
    header
}

/// Class counts (table order) and the white-cell total of one image.
fn count_row(count: &ImageCount) -> Vec<u64> {
    let mut row: Vec<u64> = CellClass::ALL
        .iter()
        .map(|&class| count.count(class))
        .collect();
    row.push(count.white_total());
    row
}

/// The counts table: `image`, the nine classes, `wbc_total`; one row per image in the order
/// given, then the total row.
pub fn counts_csv(images: &[(String, &ImageCount)]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(counts_header())
        .expect("writing to memory");
    let mut total = vec![0u64; CellClass::ALL.len() + 1];
    for (name, count) in images {
        let row = count_row(count);
        for (sum, value) in total.iter_mut().zip(&row) {
            *sum += value;
        }
        let mut record = vec![name.clone()];
        record.extend(row.iter().map(u64::to_string));
        writer.write_record(record).expect("writing to memory");
    }
    let mut record = vec![TOTAL_ROW.to_string()];
    record.extend(total.iter().map(u64::to_string));
    writer.write_record(record).expect("writing to memory");
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8 input")
}

/// The fixed columns of the cells table, before the features.
pub const CELL_COLUMNS: [&str; 10] = [
    "image",
    "cell",
    "x",
    "y",
    "bx",
    "by",
    "width",
    "height",
    "class",
    "probability",
];

/// The class column's value for a white cell that no model classified.
pub const UNCLASSIFIED_WHITE: &str = "wbc";

/// Feature columns of the cells table: every feature name of every cell, in order of first
/// appearance (images in the order given, cells in order). Red cells and platelets have only
/// the shape columns, so white-cell features come after them and stay empty on their rows.
pub fn feature_columns(images: &[(String, &ImageCount)]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut columns = Vec::new();
    for (_, count) in images {
        for cell in &count.cells {
            for (name, _) in &cell.features {
                if seen.insert(name.clone()) {
                    columns.push(name.clone());
                }
            }
        }
    }
    columns
}

/// The cells table: one row per cell (columns [`CELL_COLUMNS`], then [`feature_columns`]);
/// a feature a cell does not have is empty, as is the probability of an unclassified cell.
pub fn cells_csv(images: &[(String, &ImageCount)]) -> String {
    let features = feature_columns(images);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = CELL_COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(features.iter().cloned());
    writer.write_record(&header).expect("writing to memory");
    for (name, count) in images {
        for cell in &count.cells {
            let mut record = vec![
                name.clone(),
                cell.number.to_string(),
                format_number(cell.x),
                format_number(cell.y),
                cell.bx.to_string(),
                cell.by.to_string(),
                cell.width.to_string(),
                cell.height.to_string(),
                cell.class
                    .map_or(UNCLASSIFIED_WHITE, CellClass::name)
                    .to_string(),
                format_number(cell.probability),
            ];
            for feature in &features {
                let value = cell
                    .features
                    .iter()
                    .find(|(name, _)| name == feature)
                    .map_or(String::new(), |(_, value)| format_number(*value));
                record.push(value);
            }
            writer.write_record(record).expect("writing to memory");
        }
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8 input")
}

/// A number in shortest round-trip form; NaN (not measured) is written empty.
fn format_number(value: f64) -> String {
    if value.is_nan() {
        String::new()
    } else {
        value.to_string()
    }
}

/// At most this many images are listed one by one in the summary (the total always is).
pub const SUMMARY_IMAGE_ROWS: usize = 20;

/// The human summary: a table of counts (one row per image when there are at most
/// [`SUMMARY_IMAGE_ROWS`], then the total), the pixel size of each image (`*` = estimated from
/// the red cells), and the white-cell differential in % of the white cells with a subtype.
pub fn summary(images: &[(String, &ImageCount)]) -> String {
    let mut text = String::new();
    let name_width = images
        .iter()
        .take(SUMMARY_IMAGE_ROWS)
        .map(|(name, _)| name.chars().count())
        .chain([TOTAL_ROW.len(), 5])
        .max()
        .unwrap_or(5)
        .min(40);
    let header = counts_header();
    let column_width = |name: &str| name.len().max(5);
    text.push_str(&format!("{:<name_width$}", "image"));
    for name in &header[1..] {
        text.push_str(&format!(" {:>width$}", name, width = column_width(name)));
    }
    text.push_str("  µm/px\n");
    let mut total = vec![0u64; header.len() - 1];
    for (index, (name, count)) in images.iter().enumerate() {
        let row = count_row(count);
        for (sum, value) in total.iter_mut().zip(&row) {
            *sum += value;
        }
        if index >= SUMMARY_IMAGE_ROWS {
            continue;
        }
        text.push_str(&format!("{:<name_width$}", shorten(name, name_width)));
        for (value, column) in row.iter().zip(&header[1..]) {
            text.push_str(&format!(" {:>width$}", value, width = column_width(column)));
        }
        let scale = count.scale.map_or("–".to_string(), |scale| {
            format!(
                "{:.4}{}",
                scale.pixel_size,
                if scale.estimated { "*" } else { "" }
            )
        });
        text.push_str(&format!("  {scale}\n"));
    }
    if images.len() > SUMMARY_IMAGE_ROWS {
        text.push_str(&format!(
            "({} more images: see the counts table)\n",
            images.len() - SUMMARY_IMAGE_ROWS
        ));
    }
    text.push_str(&format!("{:<name_width$}", TOTAL_ROW));
    for (value, column) in total.iter().zip(&header[1..]) {
        text.push_str(&format!(" {:>width$}", value, width = column_width(column)));
    }
    text.push('\n');
    if images
        .iter()
        .any(|(_, count)| count.scale.is_some_and(|scale| scale.estimated))
    {
        text.push_str(
            "* pixel size estimated from the median red-cell diameter (7.5 µm); give --pixel-size if known\n",
        );
    }
    let unscaled = images
        .iter()
        .filter(|(_, count)| count.scale.is_none())
        .count();
    if unscaled > 0 {
        text.push_str(&format!(
            "– {unscaled} image(s) without separate red cells to measure the scale from: nothing was counted there; give --pixel-size if cells are present\n"
        ));
    }
    if let Some(note) = small_cells_note(images) {
        text.push_str(&note);
    }
    text.push('\n');
    text.push_str(&differential(&total));
    text
}

/// The summary's notes about images whose red cells are under
/// [`SMALLEST_RELIABLE_RED_CELL_PX`] across: how many were counted enlarged, and the ones
/// counted as they are (too large to enlarge, [`super::LARGEST_ENLARGED_PIXELS`], or whose
/// enlarged copy disagreed on the red-cell size), naming the one with the smallest.
fn small_cells_note(images: &[(String, &ImageCount)]) -> Option<String> {
    let enlarged = images
        .iter()
        .filter(|(_, count)| count.enlarged > 1)
        .count();
    let mut note = String::new();
    if enlarged > 0 {
        note.push_str(&format!(
            "+ {enlarged} image(s) with red cells under {SMALLEST_RELIABLE_RED_CELL_PX:.0} px across counted enlarged 2-16x (positions and sizes given in the image's own pixels)\n"
        ));
    }
    let small: Vec<(&str, f64)> = images
        .iter()
        .filter(|(_, count)| count.enlarged == 1)
        .filter_map(|(name, count)| Some((name.as_str(), count.field.red_cell_diameter()?)))
        .filter(|&(_, diameter)| diameter < SMALLEST_RELIABLE_RED_CELL_PX)
        .collect();
    if let Some((name, diameter)) = small.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)) {
        note.push_str(&format!(
            "! {} image(s) whose red cells measure under {SMALLEST_RELIABLE_RED_CELL_PX:.0} px across counted as they are (smallest: {name}, {diameter:.0} px): too large to enlarge, or an enlarged copy measured another red-cell size, which makes the size itself doubtful; their counts are less accurate: give --pixel-size if known, or enlarge them 2-3x before counting (docs/accuracy.md, \"Small red cells\")\n",
            small.len()
        ));
    }
    (!note.is_empty()).then_some(note)
}

/// The white-cell differential of summed counts (table order, `wbc_total` last).
fn differential(total: &[u64]) -> String {
    let classified: u64 = CellClass::ALL
        .iter()
        .zip(total)
        .filter(|(class, _)| class.is_white())
        .map(|(_, &count)| count)
        .sum();
    let white_total = total[total.len() - 1];
    let mut text =
        format!("White-cell differential ({classified} of {white_total} white cells typed):\n");
    if classified == 0 {
        text.push_str("  no white cell was typed\n");
        return text;
    }
    for (class, &count) in CellClass::ALL.iter().zip(total) {
        if class.is_white() {
            text.push_str(&format!(
                "  {:<11} {:>6.1} %  ({count})\n",
                class.name(),
                100.0 * count as f64 / classified as f64
            ));
        }
    }
    let erythroblasts = total[CellClass::ALL
        .iter()
        .position(|&class| class == CellClass::Erythroblast)
        .expect("erythroblast is a class")];
    if erythroblasts > 0 {
        text.push_str(&format!(
            "  erythroblasts (nucleated red cells): {erythroblasts} ({:.1} per 100 white cells)\n",
            100.0 * erythroblasts as f64 / classified as f64
        ));
    }
    text
}

/// `name` cut to `width` characters, keeping its end (the file name).
fn shorten(name: &str, width: usize) -> String {
    let length = name.chars().count();
    if length <= width {
        name.to_string()
    } else {
        let tail: String = name.chars().skip(length - (width - 1)).collect();
        format!("…{tail}")
    }
}
