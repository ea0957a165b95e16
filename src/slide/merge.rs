//! Final outputs from checkpoints: `cells.csv`, `counts.csv`, the overview and `summary.json`,
//! for one run or for the shards of a job array (`hemato merge`).
//!
//! # Components inside holes
//!
//! Fill Holes turns background that is not connected to the slide's border into foreground.
//! Whether a background region reaches the border is a property of the whole slide, so tiles
//! record it piecewise: the 4-connected background regions of each core, with their labels along
//! the core's four edges. Here the regions of neighbouring cores that touch across an edge are
//! joined (union-find); a joined region that touches the slide's border is outside, any other is
//! a hole. A component whose outside (the background just above its first pixel) is a hole lies
//! inside a larger component's hole: on the whole slide it is part of that component, which its
//! own tile analysed, so its cells are dropped here.
//!
//! # Order
//!
//! Cells are written slide by slide (in the order slides were given), then in raster order of
//! their component's first pixel, then in raster order of their own first pixel. The order, like
//! every value, does not depend on the tile size, the threads or the shards.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::checkpoint::{
    read_batch_cells, read_batch_overviews, read_batch_summary, Checkpoint, CheckpointError,
    RegionQuery, RunInfo, TileSummary,
};
use super::components::{edge_label, EdgeRun, UnionFind};
use super::overview::{class_colour, Overview};
use super::tiles::TileGrid;
use crate::output::{write_atomically, write_bytes_atomically, OutputError};

/// Why the final outputs could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FinalizeError {
    /// A checkpoint could not be read.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// An output could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Tiles have no results.
    #[error(
        "slide {slide}: {missing} of {total} tiles have no results (first: {first}); run the \
         missing shards (or resume the run) before merging"
    )]
    Missing {
        /// Slide name.
        slide: String,
        /// Number of tiles without results.
        missing: usize,
        /// Number of tiles.
        total: usize,
        /// The first missing tile.
        first: usize,
    },
    /// A tile has results in two places.
    #[error("slide {slide}: tile {tile} has results in both {first} and {second}")]
    Duplicate {
        /// Slide name.
        slide: String,
        /// The tile.
        tile: usize,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// Checkpoints that cannot be merged.
    #[error("{0}")]
    Inconsistent(String),
    /// A folder holds no checkpoints.
    #[error(
        "{0}: no checkpoints (parts/<slide>/run.json) found; give the output folders of the shards"
    )]
    NoParts(PathBuf),
    /// A folder could not be listed.
    #[error("cannot read {path}")]
    Read {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
}

/// The checkpoints of one slide: its run description and the folders holding its batches.
#[derive(Debug, Clone)]
pub struct SlideParts {
    /// The run.
    pub info: RunInfo,
    /// Checkpoint folders (one per shard that worked on the slide).
    pub dirs: Vec<PathBuf>,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinalSummary {
    /// Cells in `cells.csv`.
    pub cells: u64,
    /// Components skipped for their size.
    pub oversized: usize,
    /// Components dropped because they lie in a hole of a larger component.
    pub in_holes: usize,
}

/// One tile's summary and the batch file it came from.
struct TileEntry {
    summary: TileSummary,
    file: PathBuf,
}

/// Loads every tile summary of a slide, checking that each tile is present exactly once. Each
/// tile's overview block is added to `overview` as it is read and then dropped, so the blocks of
/// all tiles are never held at once.
fn load_tiles(
    parts: &SlideParts,
    grid: &TileGrid,
    overview: &mut Overview,
) -> Result<Vec<TileEntry>, FinalizeError> {
    let slide = &parts.info.slide.id;
    let expected: Vec<usize> = match &parts.info.sample {
        Some(sample) => sample.clone(),
        None => (0..grid.len()).collect(),
    };
    let mut found: BTreeMap<usize, TileEntry> = BTreeMap::new();
    for dir in &parts.dirs {
        let (checkpoint, _) = Checkpoint::open(dir)?;
        for file in checkpoint.batch_files()? {
            let summaries = read_batch_summary(&file)?.tiles;
            let overviews = read_batch_overviews(&file, summaries.len())?;
            for (mut summary, values) in summaries.into_iter().zip(overviews) {
                summary.overview.values = values;
                let tile = summary.tile;
                if expected.binary_search(&tile).is_err() {
                    return Err(FinalizeError::Inconsistent(format!(
                        "{}: tile {tile} does not exist in slide {slide} (or its sample)",
                        file.display()
                    )));
                }
                if let Some(previous) = found.get(&tile) {
                    return Err(FinalizeError::Duplicate {
                        slide: slide.clone(),
                        tile,
                        first: previous.file.clone(),
                        second: file.clone(),
                    });
                }
                if !overview.add(&summary.overview) {
                    return Err(FinalizeError::Inconsistent(format!(
                        "{}: damaged checkpoint: the overview block of tile {tile}; {}",
                        file.display(),
                        super::checkpoint::REDO_DELETED
                    )));
                }
                summary.overview.values = Vec::new();
                found.insert(
                    tile,
                    TileEntry {
                        summary,
                        file: file.clone(),
                    },
                );
            }
        }
    }
    if found.len() != expected.len() {
        let first = expected
            .iter()
            .copied()
            .find(|t| !found.contains_key(t))
            .unwrap_or(0);
        return Err(FinalizeError::Missing {
            slide: slide.clone(),
            missing: expected.len() - found.len(),
            total: expected.len(),
            first,
        });
    }
    Ok(found.into_values().collect())
}

/// Calls `join` for every position where both run-length encoded edges have a label.
fn for_each_shared(a: &[EdgeRun], b: &[EdgeRun], mut join: impl FnMut(u32, u32)) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        if x.start.max(y.start) < x.end.min(y.end) && x.label != 0 && y.label != 0 {
            join(x.label, y.label);
        }
        if x.end <= y.end {
            i += 1;
        } else {
            j += 1;
        }
    }
}

/// For every owned component of every tile (in tile and component order): whether it lies in a
/// hole of the slide's background.
fn components_in_holes(
    tiles: &[TileEntry],
    grid: &TileGrid,
) -> Result<Vec<Vec<bool>>, FinalizeError> {
    let mut offsets = Vec::with_capacity(tiles.len() + 1);
    let mut total = 0u32;
    for entry in tiles {
        offsets.push(total);
        total += entry.summary.labels;
    }
    let node = |tile: usize, label: u32| offsets[tile] + label - 1;
    let mut sets = UnionFind::new(total as usize);
    let mut border = vec![false; total as usize];
    let damaged = |tile: usize| {
        FinalizeError::Inconsistent(format!(
            "tile {tile}: background labels are missing or damaged"
        ))
    };
    for (index, entry) in tiles.iter().enumerate() {
        let Some(edges) = &entry.summary.edges else {
            continue;
        };
        let tile = grid.tile(index);
        let on_border = tile.core.slide_edges(grid.width(), grid.height());
        for (is_border, edge) in [
            (on_border.left, &edges.left),
            (on_border.top, &edges.top),
            (on_border.right, &edges.right),
            (on_border.bottom, &edges.bottom),
        ] {
            for run in edge {
                if run.label > entry.summary.labels {
                    return Err(damaged(index));
                }
                if is_border && run.label != 0 {
                    border[node(index, run.label) as usize] = true;
                }
            }
        }
        let mut neighbour_edges = Vec::new();
        if tile.column + 1 < grid.columns() {
            let right = grid.index(tile.column + 1, tile.row);
            neighbour_edges.push((right, &edges.right, true));
        }
        if tile.row + 1 < grid.rows() {
            let below = grid.index(tile.column, tile.row + 1);
            neighbour_edges.push((below, &edges.bottom, false));
        }
        for (other, edge, is_right) in neighbour_edges {
            let other_edges = tiles[other]
                .summary
                .edges
                .as_ref()
                .ok_or_else(|| damaged(other))?;
            let other_edge = if is_right {
                &other_edges.left
            } else {
                &other_edges.top
            };
            for_each_shared(edge, other_edge, |a, b| {
                sets.union(node(index, a), node(other, b))
            });
        }
    }
    let mut border_root = vec![false; total as usize];
    for element in 0..total {
        if border[element as usize] {
            let root = sets.find(element);
            border_root[root as usize] = true;
        }
    }
    let mut result = Vec::with_capacity(tiles.len());
    for entry in tiles {
        let mut flags = Vec::with_capacity(entry.summary.components.len());
        for component in &entry.summary.components {
            let outside = match component.outside {
                None => None,
                Some(RegionQuery::Label { tile, label }) => Some((tile, label)),
                Some(RegionQuery::BottomEdge { tile, position }) => {
                    let edges = tiles
                        .get(tile)
                        .and_then(|t| t.summary.edges.as_ref())
                        .ok_or_else(|| damaged(tile))?;
                    Some((tile, edge_label(&edges.bottom, position)))
                }
            };
            let in_hole = match outside {
                None => false,
                Some((tile, label)) => {
                    if label == 0 || tile >= tiles.len() || label > tiles[tile].summary.labels {
                        return Err(damaged(tile));
                    }
                    !border_root[sets.find(node(tile, label)) as usize]
                }
            };
            flags.push(in_hole);
        }
        result.push(flags);
    }
    Ok(result)
}

/// Per-slide results for `counts.csv` and `summary.json`.
struct SlideTotals {
    id: String,
    counts: Vec<u64>,
    cells: u64,
    oversized: Vec<(u32, u32)>,
    in_holes: usize,
    grown: usize,
}

/// Writes `cells.csv`, `counts.csv`, the overview(s) and `summary.json` into `outdir` from the
/// checkpoints of `slides`.
pub fn finalize(slides: &[SlideParts], outdir: &Path) -> Result<FinalSummary, FinalizeError> {
    let mut slides: Vec<&SlideParts> = slides.iter().collect();
    slides.sort_by_key(|parts| parts.info.slide.position);
    let (classes, columns) = match slides.first() {
        Some(first) => (first.info.classes.clone(), first.info.columns.clone()),
        None => (Vec::new(), Vec::new()),
    };
    for parts in &slides {
        if parts.info.classes != classes || parts.info.columns != columns {
            return Err(FinalizeError::Inconsistent(format!(
                "slide {} was analysed with other classes or columns than slide {}",
                parts.info.slide.id, slides[0].info.slide.id
            )));
        }
    }
    let mut totals: Vec<SlideTotals> = Vec::new();
    let mut overviews: Vec<(String, Overview)> = Vec::new();
    let mut failure: Option<FinalizeError> = None;
    let cells_path = outdir.join("cells.csv");
    let written = write_atomically(&cells_path, |writer| {
        write!(writer, "slide,class")?;
        for column in &columns {
            write!(writer, ",{}", csv_field(column))?;
        }
        writeln!(writer)?;
        for parts in &slides {
            match write_slide_cells(parts, &classes, writer) {
                Ok((slide_totals, overview)) => {
                    overviews.push((slide_totals.id.clone(), overview));
                    totals.push(slide_totals);
                }
                Err(SlideCellsError::Finalize(error)) => {
                    failure = Some(error);
                    return Err(std::io::Error::other("checkpoint"));
                }
                Err(SlideCellsError::Io(error)) => return Err(error),
            }
        }
        Ok(())
    });
    if let Some(error) = failure {
        return Err(error);
    }
    written?;
    let count_columns = slides
        .first()
        .map(|parts| count_columns(&parts.info.analysis, &classes))
        .unwrap_or_default();
    let mut counts = String::from("image");
    for (name, _) in &count_columns {
        let _ = write!(counts, ",{}", csv_field(name));
    }
    counts.push('\n');
    let mut total = vec![0u64; count_columns.len()];
    for slide in &totals {
        counts.push_str(&csv_field(&slide.id));
        for ((_, members), sum) in count_columns.iter().zip(&mut total) {
            let value: u64 = members
                .iter()
                .filter_map(|&class| slide.counts.get(class))
                .sum();
            *sum += value;
            let _ = write!(counts, ",{value}");
        }
        counts.push('\n');
    }
    counts.push_str("total");
    for value in &total {
        let _ = write!(counts, ",{value}");
    }
    counts.push('\n');
    write_bytes_atomically(&outdir.join("counts.csv"), counts.as_bytes())?;
    let single = overviews.len() == 1;
    for (id, overview) in overviews {
        let name = if single {
            "overview.png".to_string()
        } else {
            format!("overview-{id}.png")
        };
        crate::io::write_rgb_png(&outdir.join(name), &overview.into_image())?;
    }
    let summary = serde_json::json!({
        "classes": classes,
        "slides": slides.iter().zip(&totals).map(|(parts, slide)| {
            let parameters: Option<serde_json::Value> = parts.dirs.first().and_then(|dir| {
                std::fs::read_to_string(dir.join("parameters.json")).ok()
                    .and_then(|text| serde_json::from_str(&text).ok())
            });
            serde_json::json!({
                "slide": slide.id,
                "path": parts.info.slide.path,
                "width": parts.info.slide.width,
                "height": parts.info.slide.height,
                "tile": parts.info.tile,
                "overlap": parts.info.overlap,
                "max_component": parts.info.max_component,
                "analysis": parts.info.analysis,
                "parameters": parameters,
                "cells": slide.cells,
                "counts": classes.iter().zip(&slide.counts).map(|(c, n)| (c.clone(), *n)).collect::<BTreeMap<String, u64>>(),
                "oversized_components": slide.oversized,
                "components_in_holes": slide.in_holes,
                "grown_components": slide.grown,
            })
        }).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n";
    write_bytes_atomically(&outdir.join("summary.json"), text.as_bytes())?;
    Ok(FinalSummary {
        cells: totals.iter().map(|slide| slide.cells).sum(),
        oversized: totals.iter().map(|slide| slide.oversized.len()).sum(),
        in_holes: totals.iter().map(|slide| slide.in_holes).sum(),
    })
}

/// The columns of `counts.csv` after `image`: each a name and the classes it adds up, from the
/// analysis settings' `"count_columns"` (see [`super::Analysis::settings`]), else one column
/// per class.
fn count_columns(settings: &serde_json::Value, classes: &[String]) -> Vec<(String, Vec<usize>)> {
    let given: Option<Vec<(String, Vec<usize>)>> = settings
        .get("count_columns")
        .and_then(|value| serde_json::from_value(value.clone()).ok());
    given.unwrap_or_else(|| {
        classes
            .iter()
            .enumerate()
            .map(|(index, name)| (name.clone(), vec![index]))
            .collect()
    })
}

/// Quotes a CSV field if it needs it.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

enum SlideCellsError {
    Finalize(FinalizeError),
    Io(std::io::Error),
}

impl From<FinalizeError> for SlideCellsError {
    fn from(error: FinalizeError) -> Self {
        SlideCellsError::Finalize(error)
    }
}

impl From<CheckpointError> for SlideCellsError {
    fn from(error: CheckpointError) -> Self {
        SlideCellsError::Finalize(error.into())
    }
}

impl From<std::io::Error> for SlideCellsError {
    fn from(error: std::io::Error) -> Self {
        SlideCellsError::Io(error)
    }
}

/// Writes one slide's cells, band of tiles by band of tiles, and returns its totals and overview.
fn write_slide_cells(
    parts: &SlideParts,
    classes: &[String],
    writer: &mut impl Write,
) -> Result<(SlideTotals, Overview), SlideCellsError> {
    let info = &parts.info;
    let grid = TileGrid::new(info.slide.width, info.slide.height, info.tile, info.overlap)
        .map_err(|error| FinalizeError::Inconsistent(error.to_string()))?;
    let mut overview = Overview::new(info.overview);
    let tiles = load_tiles(parts, &grid, &mut overview)?;
    // A sample of the tiles does not hold the slide's background, so whether a component lies
    // in a hole is not known there: every sampled component is kept.
    let in_holes = match info.sample {
        Some(_) => tiles
            .iter()
            .map(|entry| vec![false; entry.summary.components.len()])
            .collect(),
        None => components_in_holes(&tiles, &grid)?,
    };
    // Where each tile's entry is (every tile's, in order, unless the run took a sample).
    let entry_of: HashMap<usize, usize> = tiles
        .iter()
        .enumerate()
        .map(|(at, entry)| (entry.summary.tile, at))
        .collect();
    let id = csv_field(&info.slide.id);
    let class_names: Vec<String> = classes.iter().map(|c| csv_field(c)).collect();
    let colours: Vec<[u8; 3]> = classes.iter().map(|c| class_colour(c)).collect();
    let mut counts = vec![0u64; classes.len()];
    let mut cells_written = 0u64;
    let columns = grid.columns() as usize;
    for row in 0..grid.rows() as usize {
        let band = row * columns..(row + 1) * columns;
        let present: Vec<(usize, usize)> = band
            .clone()
            .filter_map(|tile| entry_of.get(&tile).map(|&at| (tile, at)))
            .collect();
        let files: BTreeSet<&PathBuf> = present.iter().map(|&(_, at)| &tiles[at].file).collect();
        // Cells of the band's components, keyed by (component first pixel, tile, component).
        let mut groups: HashMap<(usize, usize), Vec<super::checkpoint::CellLine>> = HashMap::new();
        for file in files {
            for line in read_batch_cells(file)? {
                if band.contains(&line.tile) {
                    groups
                        .entry((line.tile, line.component))
                        .or_default()
                        .push(line);
                }
            }
        }
        let mut order: Vec<((u32, u32), usize, usize)> = Vec::new();
        for &(tile, at) in &present {
            let summary = &tiles[at].summary;
            for (index, component) in summary.components.iter().enumerate() {
                let found = groups.get(&(tile, index)).map_or(0, Vec::len);
                if found != component.cells {
                    return Err(FinalizeError::Inconsistent(format!(
                        "{}: damaged checkpoint: component {index} of tile {tile} has {found} \
                         cells, its summary says {}; {}",
                        tiles[at].file.display(),
                        component.cells,
                        super::checkpoint::REDO_DELETED
                    ))
                    .into());
                }
                if !in_holes[at][index] {
                    order.push(((component.first.1, component.first.0), tile, index));
                }
            }
        }
        order.sort();
        for (_, tile, index) in order {
            for line in groups.remove(&(tile, index)).unwrap_or_default() {
                let class = class_names.get(line.class).ok_or_else(|| {
                    FinalizeError::Inconsistent(format!(
                        "tile {tile}: class {} does not exist",
                        line.class
                    ))
                })?;
                writeln!(writer, "{id},{class},{}", line.values)?;
                counts[line.class] += 1;
                cells_written += 1;
                overview.draw_cell(line.x, line.y, line.area, colours[line.class]);
            }
        }
    }
    let oversized = tiles
        .iter()
        .flat_map(|entry| entry.summary.oversized.iter().copied())
        .collect();
    let in_holes = in_holes.iter().flatten().filter(|&&flag| flag).count();
    let grown = tiles.iter().map(|entry| entry.summary.grown).sum();
    Ok((
        SlideTotals {
            id: info.slide.id.clone(),
            counts,
            cells: cells_written,
            oversized,
            in_holes,
            grown,
        },
        overview,
    ))
}

/// Finds the checkpoints in the output folders of shards and writes the merged outputs into
/// `outdir`. Every shard must have been run with the same slides and settings.
pub fn merge_shards(shard_dirs: &[PathBuf], outdir: &Path) -> Result<FinalSummary, FinalizeError> {
    let mut slides: BTreeMap<String, SlideParts> = BTreeMap::new();
    for shard in shard_dirs {
        let parts_root = shard.join("parts");
        let entries =
            std::fs::read_dir(&parts_root).map_err(|_| FinalizeError::NoParts(shard.clone()))?;
        let mut found = false;
        for entry in entries {
            let dir = entry
                .map_err(|source| FinalizeError::Read {
                    path: parts_root.clone(),
                    source,
                })?
                .path();
            if !dir.join("run.json").exists() {
                continue;
            }
            found = true;
            let (checkpoint, info) = Checkpoint::open(&dir)?;
            let id = info.slide.id.clone();
            match slides.get_mut(&id) {
                Some(parts) => {
                    if let Some(difference) = parts.info.difference(&info) {
                        return Err(FinalizeError::Inconsistent(format!(
                            "slide {id}: {} and {} were run with different settings ({difference})",
                            parts.dirs[0].display(),
                            dir.display()
                        )));
                    }
                    let ours: Option<serde_json::Value> =
                        Checkpoint::open(&parts.dirs[0])?.0.parameters()?;
                    let theirs: Option<serde_json::Value> = checkpoint.parameters()?;
                    if ours != theirs {
                        return Err(FinalizeError::Inconsistent(format!(
                            "slide {id}: {} and {} computed different slide-wide parameters",
                            parts.dirs[0].display(),
                            dir.display()
                        )));
                    }
                    parts.dirs.push(dir);
                }
                None => {
                    slides.insert(
                        id,
                        SlideParts {
                            info,
                            dirs: vec![dir],
                        },
                    );
                }
            }
        }
        if !found {
            return Err(FinalizeError::NoParts(shard.clone()));
        }
    }
    std::fs::create_dir_all(outdir).map_err(|source| FinalizeError::Read {
        path: outdir.to_path_buf(),
        source,
    })?;
    let slides: Vec<SlideParts> = slides.into_values().collect();
    finalize(&slides, outdir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_positions_join_labels() {
        let a = [
            EdgeRun {
                start: 0,
                end: 3,
                label: 1,
            },
            EdgeRun {
                start: 5,
                end: 8,
                label: 2,
            },
        ];
        let b = [
            EdgeRun {
                start: 2,
                end: 6,
                label: 7,
            },
            EdgeRun {
                start: 7,
                end: 9,
                label: 8,
            },
        ];
        let mut joined = Vec::new();
        for_each_shared(&a, &b, |x, y| joined.push((x, y)));
        assert_eq!(joined, vec![(1, 7), (2, 7), (2, 8)]);
    }

    #[test]
    fn fields_with_commas_are_quoted() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
