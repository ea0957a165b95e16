//! Checkpoints: what a run has finished, on disk, so a killed run resumes where it stopped and
//! shards can be merged.
//!
//! Each slide gets a folder `OUTDIR/parts/<slide id>/` with
//!
//! - `run.json`: the slide, the tiling and the analysis settings ([`RunInfo`]). A run resumes
//!   only into a folder made with the same ones;
//! - `stats-<first tile>.json`: the slide-wide statistics of one batch of tiles (first pass);
//! - `parameters.json`: the slide-wide parameters, once the first pass is complete;
//! - `overview-<first tile>.bin`: the overview blocks of one batch of tiles
//!   ([`OverviewBlock::values`], little-endian `u32`, tile after tile, each preceded by its length
//!   as a little-endian `u64`), written just before the batch file;
//! - `batch-<first tile>.part`: the results of one batch of tiles: a JSON line
//!   ([`BatchSummary`]: per tile its components, the background labels along its core's edges and
//!   its overview block's rectangle), then one line per cell.
//!
//! Every file is written atomically (temporary file, then rename), so a file that exists is
//! complete, and a run killed at any moment loses at most the batches in progress. A batch is
//! done once its `.part` file exists (its overview file is written first) beside its overview
//! file. A file damaged on disk is reported with the advice to delete it: a resumed run then
//! computes again what it held.
//!
//! The overview blocks are binary because they are the bulk of a batch on small and medium
//! slides (a number per overview pixel): as JSON numbers (then four per pixel), writing and
//! parsing them took a sixth of the CPU time of a 5-megapixel slide.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::analysis::Cell;
use super::components::Edges;
use super::overview::{OverviewBlock, OverviewGeometry};
use crate::output::{write_atomically, write_bytes_atomically, OutputError};

/// Version of the checkpoint layout (3: values that are not numbers are stored empty, as
/// `cells.csv` writes them; a run checkpointed by format 2 wrote `NaN`).
pub const FORMAT: u32 = 3;

/// What to do about a damaged checkpoint file: a run resumed without it computes again what it
/// held (checked for every kind of checkpoint file: the outputs are the same bytes).
pub(crate) const REDO_DELETED: &str = "delete the file and run the `hemato slide` command that \
     wrote it again with --resume (what the file held is computed again)";

/// Why a checkpoint could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// A checkpoint file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint file could not be written.
    #[error(transparent)]
    Write(#[from] OutputError),
    /// A checkpoint file is not what hemato wrote.
    #[error("{path}: damaged checkpoint: {reason}; {REDO_DELETED}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The folder holds a run that was not asked to be resumed.
    #[error(
        "{dir} already holds a run of this slide; add --resume to continue it, or remove the \
         folder to start again"
    )]
    Exists {
        /// The slide's checkpoint folder.
        dir: PathBuf,
    },
    /// The folder holds a run with other settings.
    #[error(
        "{dir} holds a run with different settings ({difference}); use the same settings to \
         resume, or another output folder"
    )]
    Mismatch {
        /// The slide's checkpoint folder.
        dir: PathBuf,
        /// What differs.
        difference: String,
    },
}

/// The identity of a slide file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlideIdentity {
    /// The path as given.
    pub path: String,
    /// The name used in outputs (file name without extension).
    pub id: String,
    /// Position in the list of slides of the run (orders the merged output).
    pub position: usize,
    /// Width of the full-resolution image.
    pub width: u32,
    /// Height of the full-resolution image.
    pub height: u32,
    /// File size in bytes.
    pub bytes: u64,
}

/// Everything a run's results depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// [`FORMAT`].
    pub format: u32,
    /// The slide.
    pub slide: SlideIdentity,
    /// Core size of the tiles.
    pub tile: u32,
    /// Overlap of the windows.
    pub overlap: u32,
    /// Tiles per checkpoint batch.
    pub batch: usize,
    /// Largest component side analysed, in pixels.
    pub max_component: u32,
    /// The analysis and its settings.
    pub analysis: serde_json::Value,
    /// Class names.
    pub classes: Vec<String>,
    /// Cell value columns.
    pub columns: Vec<String>,
    /// The overview's size.
    pub overview: OverviewGeometry,
    /// The only tiles whose cells are found, when the run measures a sample of the slide
    /// ([`crate::slide::run::Sampling`]); `None`: every tile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<Vec<usize>>,
}

impl RunInfo {
    /// What differs between two runs, ignoring the slide's position in the list; `None` if
    /// they are the same run.
    pub fn difference(&self, other: &RunInfo) -> Option<String> {
        let mut a = self.clone();
        let mut b = other.clone();
        a.slide.position = 0;
        b.slide.position = 0;
        if a == b {
            return None;
        }
        let a = serde_json::to_value(&a).unwrap_or_default();
        let b = serde_json::to_value(&b).unwrap_or_default();
        let mut differences = Vec::new();
        if let (Some(a), Some(b)) = (a.as_object(), b.as_object()) {
            for (key, value) in a {
                if b.get(key) != Some(value) {
                    differences.push(format!(
                        "{key}: {value} now {}",
                        b.get(key).cloned().unwrap_or_default()
                    ));
                }
            }
        }
        Some(differences.join("; "))
    }
}

/// Where a background region continues: the node of the slide-wide union of background regions
/// that a component's outside belongs to (see `merge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegionQuery {
    /// Label `label` of the core of tile `tile`.
    Label {
        /// Tile index.
        tile: usize,
        /// Background label in that tile's core.
        label: u32,
    },
    /// The label at column `position` of the bottom edge of tile `tile`'s core.
    BottomEdge {
        /// Tile index.
        tile: usize,
        /// Position along the edge (from the core's left).
        position: u32,
    },
}

/// One component owned by a tile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentSummary {
    /// First pixel (slide coordinates).
    pub first: (u32, u32),
    /// The background region just above the first pixel, to tell whether the component lies in
    /// a hole of a larger one (`None` on the slide's top row, or without Fill Holes).
    pub outside: Option<RegionQuery>,
    /// Number of cells.
    pub cells: usize,
}

/// What one tile contributes besides its cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileSummary {
    /// Tile index.
    pub tile: usize,
    /// Owned components in order of their first pixel.
    pub components: Vec<ComponentSummary>,
    /// Number of background labels in the core (when holes are filled).
    pub labels: u32,
    /// Background labels along the core's edges (when holes are filled).
    pub edges: Option<Edges>,
    /// First pixels at which a component larger than the limit was skipped.
    pub oversized: Vec<(u32, u32)>,
    /// Owned components that were cut by the window and read again from a grown region.
    pub grown: usize,
    /// The core's overview block.
    pub overview: OverviewBlock,
}

impl TileSummary {
    /// A copy without the overview block's values (which go to the batch's overview file).
    fn without_overview_values(&self) -> TileSummary {
        TileSummary {
            tile: self.tile,
            components: self.components.clone(),
            labels: self.labels,
            edges: self.edges.clone(),
            oversized: self.oversized.clone(),
            grown: self.grown,
            overview: OverviewBlock {
                rect: self.overview.rect,
                values: Vec::new(),
            },
        }
    }
}

/// The first line of a batch file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    /// The batch's tiles, in order.
    pub tiles: Vec<TileSummary>,
}

/// Results of one tile: summary and cells per component.
#[derive(Debug, Clone, PartialEq)]
pub struct TileResult {
    /// The summary.
    pub summary: TileSummary,
    /// Cells of each component of `summary.components`, in the same order.
    pub cells: Vec<Vec<Cell>>,
}

/// One cell as stored in a batch file.
#[derive(Debug, Clone, PartialEq)]
pub struct CellLine {
    /// Tile index.
    pub tile: usize,
    /// Component index within the tile.
    pub component: usize,
    /// Class index.
    pub class: usize,
    /// Centroid x.
    pub x: f64,
    /// Centroid y.
    pub y: f64,
    /// Area in pixels.
    pub area: f64,
    /// The values, formatted for `cells.csv` (comma-separated).
    pub values: String,
}

/// Formats a value for `cells.csv`: the shortest decimal that reads back as the same `f64`;
/// NaN (not measured, e.g. the white-cell features of a red cell) is empty, as in
/// `hemato count`'s cells table.
pub fn format_value(value: f64) -> String {
    if value.is_nan() {
        String::new()
    } else {
        format!("{value}")
    }
}

impl CellLine {
    fn write(
        tile: usize,
        component: usize,
        cell: &Cell,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        write!(
            out,
            "{tile} {component} {} {} {} {} ",
            cell.class, cell.x, cell.y, cell.area
        )?;
        for (index, value) in cell.values.iter().enumerate() {
            if index > 0 {
                out.write_all(b",")?;
            }
            write!(out, "{}", format_value(*value))?;
        }
        out.write_all(b"\n")
    }

    fn parse(line: &str) -> Option<CellLine> {
        let mut fields = line.splitn(7, ' ');
        Some(CellLine {
            tile: fields.next()?.parse().ok()?,
            component: fields.next()?.parse().ok()?,
            class: fields.next()?.parse().ok()?,
            x: fields.next()?.parse().ok()?,
            y: fields.next()?.parse().ok()?,
            area: fields.next()?.parse().ok()?,
            values: fields.next()?.to_string(),
        })
    }
}

/// The checkpoint folder of one slide.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    dir: PathBuf,
}

fn read_error(path: &Path) -> impl Fn(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn damaged(path: &Path, reason: impl ToString) -> CheckpointError {
    CheckpointError::Damaged {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, CheckpointError> {
    let text = fs::read_to_string(path).map_err(read_error(path))?;
    serde_json::from_str(&text).map_err(|error| damaged(path, error))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), CheckpointError> {
    write_atomically(path, |writer| {
        serde_json::to_writer(&mut *writer, value).map_err(std::io::Error::other)?;
        writer.write_all(b"\n")
    })?;
    Ok(())
}

impl Checkpoint {
    /// Opens the folder `dir` for a run described by `info`: creates it for a new run; for an
    /// existing one, requires `resume` and the same settings. Leftover temporary files of a
    /// killed run are removed.
    pub fn prepare(
        dir: &Path,
        info: &RunInfo,
        resume: bool,
    ) -> Result<Checkpoint, CheckpointError> {
        let checkpoint = Checkpoint {
            dir: dir.to_path_buf(),
        };
        let run_path = dir.join("run.json");
        if run_path.exists() {
            if !resume {
                return Err(CheckpointError::Exists {
                    dir: dir.to_path_buf(),
                });
            }
            let existing: RunInfo = read_json(&run_path)?;
            if let Some(difference) = existing.difference(info) {
                return Err(CheckpointError::Mismatch {
                    dir: dir.to_path_buf(),
                    difference,
                });
            }
            checkpoint.remove_temporaries()?;
        } else {
            fs::create_dir_all(dir).map_err(read_error(dir))?;
        }
        write_json(&run_path, info)?;
        Ok(checkpoint)
    }

    /// Opens an existing folder for reading (merging).
    pub fn open(dir: &Path) -> Result<(Checkpoint, RunInfo), CheckpointError> {
        let info = read_json(&dir.join("run.json"))?;
        Ok((
            Checkpoint {
                dir: dir.to_path_buf(),
            },
            info,
        ))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn remove_temporaries(&self) -> Result<(), CheckpointError> {
        for entry in fs::read_dir(&self.dir).map_err(read_error(&self.dir))? {
            let path = entry.map_err(read_error(&self.dir))?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') && name.ends_with(".tmp") {
                fs::remove_file(&path).map_err(read_error(&path))?;
            }
        }
        Ok(())
    }

    fn files_with(&self, prefix: &str, suffix: &str) -> Result<Vec<PathBuf>, CheckpointError> {
        let mut files = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(read_error(&self.dir))? {
            let path = entry.map_err(read_error(&self.dir))?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with(prefix) && name.ends_with(suffix) {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }

    /// Saves the statistics of a batch of tiles (first pass).
    pub fn write_statistics(&self, tiles: &[usize], counts: &[u64]) -> Result<(), CheckpointError> {
        let path = self.dir.join(format!(
            "stats-{:08}.json",
            tiles.first().copied().unwrap_or(0)
        ));
        write_json(&path, &(tiles, counts))
    }

    /// The statistics saved so far: the tiles they cover and their sum.
    pub fn statistics(&self, len: usize) -> Result<(BTreeSet<usize>, Vec<u64>), CheckpointError> {
        let mut tiles = BTreeSet::new();
        let mut sum = vec![0u64; len];
        for path in self.files_with("stats-", ".json")? {
            let (batch, counts): (Vec<usize>, Vec<u64>) = read_json(&path)?;
            if counts.len() != len {
                return Err(damaged(
                    &path,
                    format!("{} counters, expected {len}", counts.len()),
                ));
            }
            for tile in batch {
                if !tiles.insert(tile) {
                    return Err(damaged(&path, format!("tile {tile} counted twice")));
                }
            }
            for (total, count) in sum.iter_mut().zip(counts) {
                *total += count;
            }
        }
        Ok((tiles, sum))
    }

    /// Saves the slide-wide parameters.
    pub fn write_parameters<P: Serialize>(&self, parameters: &P) -> Result<(), CheckpointError> {
        write_json(&self.dir.join("parameters.json"), parameters)
    }

    /// Whether the first pass is complete (the parameters are saved).
    pub fn has_parameters(&self) -> bool {
        self.dir.join("parameters.json").exists()
    }

    /// The slide-wide parameters, if the first pass is complete.
    pub fn parameters<P: for<'de> Deserialize<'de>>(&self) -> Result<Option<P>, CheckpointError> {
        let path = self.dir.join("parameters.json");
        if !path.exists() {
            return Ok(None);
        }
        read_json(&path).map(Some)
    }

    /// Saves the results of a batch of tiles: the overview blocks, then the batch file.
    pub fn write_batch(&self, results: &[TileResult]) -> Result<(), CheckpointError> {
        let first = results
            .first()
            .map(|result| result.summary.tile)
            .unwrap_or(0);
        let path = self.dir.join(format!("batch-{first:08}.part"));
        let blocks: Vec<&[u32]> = results
            .iter()
            .map(|result| result.summary.overview.values.as_slice())
            .collect();
        write_overview_values(&overview_path(&path), &blocks)?;
        let summary = BatchSummary {
            tiles: results
                .iter()
                .map(|result| result.summary.without_overview_values())
                .collect(),
        };
        write_atomically(&path, |writer| {
            serde_json::to_writer(&mut *writer, &summary).map_err(std::io::Error::other)?;
            writer.write_all(b"\n")?;
            for result in results {
                for (component, cells) in result.cells.iter().enumerate() {
                    for cell in cells {
                        CellLine::write(result.summary.tile, component, cell, writer)?;
                    }
                }
            }
            Ok(())
        })?;
        Ok(())
    }

    /// The batch files of the finished batches, sorted by name (first tile). A batch file
    /// whose overview file is missing (deleted because it was damaged) does not count: its
    /// tiles are processed again and the batch written anew.
    pub fn batch_files(&self) -> Result<Vec<PathBuf>, CheckpointError> {
        let mut files = self.files_with("batch-", ".part")?;
        files.retain(|batch| overview_path(batch).exists());
        Ok(files)
    }

    /// The tiles finished so far.
    pub fn finished_tiles(&self) -> Result<BTreeSet<usize>, CheckpointError> {
        let mut tiles = BTreeSet::new();
        for path in self.batch_files()? {
            for summary in read_batch_summary(&path)?.tiles {
                tiles.insert(summary.tile);
            }
        }
        Ok(tiles)
    }
}

/// Reads the summary line of a batch file (without the overview blocks' values: see
/// [`read_batch_overviews`]).
pub fn read_batch_summary(path: &Path) -> Result<BatchSummary, CheckpointError> {
    let file = fs::File::open(path).map_err(read_error(path))?;
    let mut line = String::new();
    BufReader::new(file)
        .read_line(&mut line)
        .map_err(read_error(path))?;
    serde_json::from_str(&line).map_err(|error| damaged(path, error))
}

/// The overview file of the batch file `batch`.
fn overview_path(batch: &Path) -> PathBuf {
    let name = batch
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_prefix("batch-")
        .and_then(|rest| rest.strip_suffix(".part"))
        .unwrap_or(&name);
    batch.with_file_name(format!("overview-{stem}.bin"))
}

fn write_overview_values(path: &Path, tiles: &[&[u32]]) -> Result<(), CheckpointError> {
    let length: usize = tiles.iter().map(|values| 8 + 4 * values.len()).sum();
    let mut bytes = Vec::with_capacity(length);
    for values in tiles {
        bytes.extend_from_slice(&(values.len() as u64).to_le_bytes());
        for value in *values {
            bytes.extend_from_slice(&value.to_le_bytes());
        }
    }
    write_bytes_atomically(path, &bytes)?;
    Ok(())
}

/// The overview block values of the tiles of batch file `batch` (one vector per tile of its summary,
/// in order), from the overview file beside it.
pub fn read_batch_overviews(batch: &Path, tiles: usize) -> Result<Vec<Vec<u32>>, CheckpointError> {
    let path = overview_path(batch);
    let bytes = fs::read(&path).map_err(read_error(&path))?;
    let mut rest = bytes.as_slice();
    let mut overviews = Vec::with_capacity(tiles);
    for tile in 0..tiles {
        let truncated = || damaged(&path, format!("ends within tile {tile} of {tiles}"));
        let (length, after) = rest.split_first_chunk::<8>().ok_or_else(truncated)?;
        let length = usize::try_from(u64::from_le_bytes(*length)).map_err(|_| truncated())?;
        let body = after
            .get(..length.checked_mul(4).ok_or_else(truncated)?)
            .ok_or_else(truncated)?;
        overviews.push(
            body.chunks_exact(4)
                .map(|value| u32::from_le_bytes([value[0], value[1], value[2], value[3]]))
                .collect(),
        );
        rest = &after[body.len()..];
    }
    if !rest.is_empty() {
        return Err(damaged(&path, format!("longer than its {tiles} tiles")));
    }
    Ok(overviews)
}

/// Reads the cell lines of a batch file.
pub fn read_batch_cells(path: &Path) -> Result<Vec<CellLine>, CheckpointError> {
    let file = fs::File::open(path).map_err(read_error(path))?;
    let mut cells = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate().skip(1) {
        let line = line.map_err(read_error(path))?;
        let cell = CellLine::parse(&line)
            .ok_or_else(|| damaged(path, format!("line {} is not a cell", number + 1)))?;
        cells.push(cell);
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slide::tiles::Rect;

    fn info() -> RunInfo {
        RunInfo {
            format: FORMAT,
            slide: SlideIdentity {
                path: "a.tif".into(),
                id: "a".into(),
                position: 0,
                width: 10,
                height: 10,
                bytes: 100,
            },
            tile: 4,
            overlap: 1,
            batch: 2,
            max_component: 100,
            analysis: serde_json::json!({"x": 1}),
            classes: vec!["red".into()],
            columns: vec!["Area".into()],
            overview: OverviewGeometry::new(10, 10),
            sample: None,
        }
    }

    #[test]
    fn batches_round_trip_and_values_keep_every_bit() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = Checkpoint::prepare(dir.path(), &info(), false).unwrap();
        let cell = Cell {
            first: (1, 2),
            class: 0,
            x: 1.5,
            y: 2.25,
            area: 7.0,
            values: vec![0.1 + 0.2, f64::NAN, 1e-300, -0.0],
        };
        let summary = TileSummary {
            tile: 3,
            components: vec![ComponentSummary {
                first: (1, 2),
                outside: Some(RegionQuery::Label { tile: 3, label: 1 }),
                cells: 1,
            }],
            labels: 1,
            edges: None,
            oversized: vec![],
            grown: 0,
            overview: OverviewBlock {
                rect: Rect::new(0, 0, 1, 1),
                values: vec![1, 2, 3, 1],
            },
        };
        checkpoint
            .write_batch(&[TileResult {
                summary: summary.clone(),
                cells: vec![vec![cell.clone()]],
            }])
            .unwrap();
        let files = checkpoint.batch_files().unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(
            read_batch_summary(&files[0]).unwrap().tiles,
            vec![summary.without_overview_values()]
        );
        assert_eq!(
            read_batch_overviews(&files[0], 1).unwrap(),
            vec![vec![1, 2, 3, 1]]
        );
        // A file cut short or too long is damaged, not misread.
        let overview_file = overview_path(&files[0]);
        let bytes = std::fs::read(&overview_file).unwrap();
        assert_eq!(bytes.len(), 8 + 4 * 4);
        std::fs::write(&overview_file, &bytes[..bytes.len() - 1]).unwrap();
        assert!(matches!(
            read_batch_overviews(&files[0], 1),
            Err(CheckpointError::Damaged { .. })
        ));
        std::fs::write(&overview_file, [bytes.as_slice(), &[0]].concat()).unwrap();
        assert!(matches!(
            read_batch_overviews(&files[0], 1),
            Err(CheckpointError::Damaged { .. })
        ));
        let lines = read_batch_cells(&files[0]).unwrap();
        assert_eq!(lines.len(), 1);
        let fields: Vec<&str> = lines[0].values.split(',').collect();
        // NaN is stored (and written to cells.csv) as an empty field.
        assert_eq!(fields[1], "");
        let values: Vec<f64> = fields
            .iter()
            .map(|v| {
                if v.is_empty() {
                    f64::NAN
                } else {
                    v.parse().unwrap()
                }
            })
            .collect();
        assert_eq!(values[0].to_bits(), (0.1f64 + 0.2).to_bits());
        assert_eq!(values[2], 1e-300);
        assert_eq!(values[3].to_bits(), (-0.0f64).to_bits());
        assert_eq!(
            checkpoint
                .finished_tiles()
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            vec![3]
        );
    }

    #[test]
    fn resuming_needs_the_flag_and_the_same_settings() {
        let dir = tempfile::tempdir().unwrap();
        Checkpoint::prepare(dir.path(), &info(), false).unwrap();
        assert!(matches!(
            Checkpoint::prepare(dir.path(), &info(), false),
            Err(CheckpointError::Exists { .. })
        ));
        let mut other = info();
        other.tile = 8;
        let error = Checkpoint::prepare(dir.path(), &other, true).unwrap_err();
        assert!(error.to_string().contains("tile"), "{error}");
        let mut moved = info();
        moved.slide.position = 5;
        Checkpoint::prepare(dir.path(), &moved, true).unwrap();
    }

    #[test]
    fn statistics_add_up_and_refuse_double_counting() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = Checkpoint::prepare(dir.path(), &info(), false).unwrap();
        checkpoint.write_statistics(&[0, 1], &[1, 2]).unwrap();
        checkpoint.write_statistics(&[2], &[10, 20]).unwrap();
        let (tiles, sum) = checkpoint.statistics(2).unwrap();
        assert_eq!(tiles.len(), 3);
        assert_eq!(sum, vec![11, 22]);
        checkpoint.write_statistics(&[1, 5], &[0, 0]).unwrap();
        assert!(checkpoint.statistics(2).is_err());
    }
}
