//! Feature tables: ImageJ Results, hemato's own measurement tables and the bloodcells layout.
//!
//! A table is text with one header line; the separator (`,`, `;` or tab) is detected from the
//! header. Cells and column names are trimmed (the bloodcells file names end in a space), and
//! the two spellings of ImageJ's standard-deviation columns, `StDev` and `StdDev`, are one
//! name ([`canonical_column_name`]). One column holds the class (`Class` unless told
//! otherwise); the features are the listed columns or, by default, every numeric column except
//! the label and the identifier columns (row numbers, file or image names), which are never
//! features: the bloodcells file names leak the Basophil label.
//!
//! Every problem is a [`TableError`] naming the file, the line and the column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::Array2;

use super::names;

/// How to read a feature table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableOptions {
    /// The column holding the class of each row.
    pub label: String,
    /// The feature columns, in this order; `None` takes every numeric column except the label
    /// and the identifier columns.
    pub features: Option<Vec<String>>,
    /// Whether the label column must be present (training, evaluation) or is optional
    /// (prediction).
    pub require_label: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            label: "Class".to_string(),
            features: None,
            require_label: true,
        }
    }
}

/// Rows of numeric features, with their classes when the table has them.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// Canonical feature names, one per column of `rows`.
    pub feature_names: Vec<String>,
    /// One row per table row, one column per feature; every value is finite.
    pub rows: Array2<f64>,
    /// The class of each row, when the table has a label column.
    pub labels: Option<Vec<String>>,
    /// A name for each row: the first identifier column's value, else the 1-based row number.
    pub ids: Vec<String>,
}

/// The text of a table as read: header and cells, trimmed, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTable {
    /// Where the table came from (for messages).
    pub path: PathBuf,
    /// The separator found in the header line.
    pub delimiter: u8,
    /// Column names as written (trimmed).
    pub header: Vec<String>,
    /// Cells of each data row (trimmed), as many as the header has columns.
    pub records: Vec<Vec<String>>,
    /// The 1-based file line of each data row (for messages).
    pub lines: Vec<usize>,
}

/// How many column names a message lists before "and N more".
pub const COLUMNS_LISTED: usize = 12;

/// The tail of [`TableError::MissingColumn`]'s message: the column it probably is, else the
/// columns there are.
fn missing_column_detail(similar: &Option<String>, available: &str) -> String {
    match similar {
        Some(name) => format!(" (the table has \"{name}\": renamed?)"),
        None => format!(" (the columns are: {available})"),
    }
}

/// A table that cannot be used, with the place of the problem.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file cannot be read.
    #[error("cannot read {path}")]
    Io {
        /// The table.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a delimited table.
    #[error("{path}: not a readable table: {message}")]
    Malformed {
        /// The table.
        path: PathBuf,
        /// What the CSV reader said.
        message: String,
    },
    /// The file has no header line.
    #[error("{path}: the table is empty (no header line)")]
    NoHeader {
        /// The table.
        path: PathBuf,
    },
    /// The header has no data rows under it.
    #[error("{path}: the table has a header but no data rows")]
    NoRows {
        /// The table.
        path: PathBuf,
    },
    /// A row has more or fewer cells than the header.
    #[error("{path}, line {line}: {found} cells, but the header has {expected} columns")]
    RaggedRow {
        /// The table.
        path: PathBuf,
        /// 1-based line in the file.
        line: usize,
        /// Columns in the header.
        expected: usize,
        /// Cells in this row.
        found: usize,
    },
    /// Two columns have the same (canonical) name.
    #[error("{path}: column \"{column}\" appears twice in the header")]
    DuplicateColumn {
        /// The table.
        path: PathBuf,
        /// The repeated name.
        column: String,
    },
    /// A column that was asked for is not in the header.
    #[error("{path}: no column \"{column}\"{}", missing_column_detail(.similar, .available))]
    MissingColumn {
        /// The table.
        path: PathBuf,
        /// The name asked for.
        column: String,
        /// The header's column of that name under another spelling
        /// ([`names::closest`]), if there is one.
        similar: Option<String>,
        /// The header, comma-separated, cut short after [`COLUMNS_LISTED`] names.
        available: String,
    },
    /// An identifier column (file name, row number) was listed as a feature.
    #[error("{path}: column \"{column}\" identifies rows (file name or row number) and is never a feature")]
    IdentifierAsFeature {
        /// The table.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// The label column was also listed as a feature.
    #[error("{path}: column \"{column}\" is the label and cannot also be a feature")]
    LabelAsFeature {
        /// The table.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// No feature columns remain.
    #[error("{path}: no numeric feature columns (label column \"{label}\")")]
    NoFeatures {
        /// The table.
        path: PathBuf,
        /// The label column.
        label: String,
    },
    /// A feature cell is not a number.
    #[error("{path}, line {line}, column \"{column}\": \"{value}\" is not a number")]
    NotANumber {
        /// The table.
        path: PathBuf,
        /// 1-based line in the file.
        line: usize,
        /// The column.
        column: String,
        /// The cell.
        value: String,
    },
    /// A feature cell is NaN or infinite.
    #[error("{path}, line {line}, column \"{column}\": \"{value}\" is not a finite number")]
    NotFinite {
        /// The table.
        path: PathBuf,
        /// 1-based line in the file.
        line: usize,
        /// The column.
        column: String,
        /// The cell.
        value: String,
    },
    /// A row has an empty label.
    #[error("{path}, line {line}: the label column \"{column}\" is empty")]
    EmptyLabel {
        /// The table.
        path: PathBuf,
        /// 1-based line in the file.
        line: usize,
        /// The label column.
        column: String,
    },
}

/// The name a column is known by: trimmed, with ImageJ's `StDev` spelling (used by some
/// tables for some channels) turned into `StdDev`.
///
/// ```
/// use hemato::classify::table::canonical_column_name;
/// assert_eq!(canonical_column_name(" StDev blue "), "StdDev blue");
/// assert_eq!(canonical_column_name("StdDev green"), "StdDev green");
/// ```
pub fn canonical_column_name(name: &str) -> String {
    let trimmed = name.trim().trim_start_matches('\u{feff}').trim();
    match trimmed.strip_prefix("StDev") {
        Some(rest) => format!("StdDev{rest}"),
        None => trimmed.to_string(),
    }
}

/// Whether a column identifies rows rather than measuring them: an empty or `#` header
/// (ImageJ's row-number column), `Label`, `Index`, `Row`, `Id`, or any name mentioning a file
/// or image name.
pub fn is_identifier_column(name: &str) -> bool {
    let lower = name.trim().to_lowercase();
    matches!(
        lower.as_str(),
        "" | "#" | " " | "label" | "index" | "row" | "id" | "name" | "slice" | "image"
    ) || lower.contains("file")
        || lower.contains("filename")
        || lower.ends_with(" name")
        || lower.starts_with("image ")
}

/// Parses one feature cell: a decimal number, also with a decimal comma in `;`-separated
/// tables (`1,5`).
fn parse_number(cell: &str, delimiter: u8) -> Option<f64> {
    if let Ok(value) = cell.parse::<f64>() {
        return Some(value);
    }
    if delimiter != b',' && cell.contains(',') && !cell.contains('.') {
        return cell.replace(',', ".").parse::<f64>().ok();
    }
    None
}

/// The separator of a table: whichever of `;`, tab and `,` occurs most often in the header.
fn detect_delimiter(header_line: &str) -> u8 {
    let count = |c: char| header_line.matches(c).count();
    let candidates = [(b';', count(';')), (b'\t', count('\t')), (b',', count(','))];
    candidates
        .iter()
        .copied()
        .max_by_key(|&(delimiter, n)| (n, delimiter == b','))
        .map(|(delimiter, _)| delimiter)
        .unwrap_or(b',')
}

impl RawTable {
    /// Reads the cells of a delimited table.
    pub fn read(path: &Path) -> Result<RawTable, TableError> {
        let text = std::fs::read_to_string(path).map_err(|source| TableError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        RawTable::parse(path, &text)
    }

    /// Parses table text; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<RawTable, TableError> {
        let path_buf = path.to_path_buf();
        let header_line = text.lines().find(|line| !line.trim().is_empty());
        let Some(header_line) = header_line else {
            return Err(TableError::NoHeader { path: path_buf });
        };
        let delimiter = detect_delimiter(header_line);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut header: Option<Vec<String>> = None;
        let mut records = Vec::new();
        for result in reader.records() {
            let record = result.map_err(|error| TableError::Malformed {
                path: path_buf.clone(),
                message: error.to_string(),
            })?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            if record.iter().all(|cell| cell.is_empty()) {
                continue;
            }
            let cells: Vec<String> = record.iter().map(str::to_string).collect();
            match &header {
                None => header = Some(cells),
                Some(names) => {
                    if cells.len() != names.len() {
                        return Err(TableError::RaggedRow {
                            path: path_buf,
                            line,
                            expected: names.len(),
                            found: cells.len(),
                        });
                    }
                    records.push((line, cells));
                }
            }
        }
        let header = header.ok_or_else(|| TableError::NoHeader {
            path: path_buf.clone(),
        })?;
        let mut seen = BTreeMap::new();
        for name in &header {
            let canonical = canonical_column_name(name);
            if !canonical.is_empty() && seen.insert(canonical.clone(), ()).is_some() {
                return Err(TableError::DuplicateColumn {
                    path: path_buf,
                    column: canonical,
                });
            }
        }
        let (lines, records) = records.into_iter().unzip();
        Ok(RawTable {
            path: path_buf,
            delimiter,
            header,
            records,
            lines,
        })
    }

    /// 1-based file line of data row `row` (0-based).
    fn line_of(&self, row: usize) -> usize {
        self.lines.get(row).copied().unwrap_or(row + 2)
    }

    /// Index of the column whose canonical name is `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        let wanted = canonical_column_name(name);
        self.header
            .iter()
            .position(|column| canonical_column_name(column) == wanted)
    }

    fn missing_column(&self, column: &str) -> TableError {
        TableError::MissingColumn {
            path: self.path.clone(),
            column: column.to_string(),
            similar: names::closest(column, &self.header).map(str::to_string),
            available: names::listed(&self.header, COLUMNS_LISTED),
        }
    }

    /// Picks the label, feature and identifier columns and parses the features.
    pub fn to_feature_table(&self, options: &TableOptions) -> Result<FeatureTable, TableError> {
        if self.records.is_empty() {
            return Err(TableError::NoRows {
                path: self.path.clone(),
            });
        }
        let label_index = self.column_index(&options.label);
        if label_index.is_none() && options.require_label {
            return Err(self.missing_column(&options.label));
        }
        let feature_indices = match &options.features {
            Some(names) => self.listed_features(names, label_index)?,
            None => self.default_features(label_index),
        };
        if feature_indices.is_empty() {
            return Err(TableError::NoFeatures {
                path: self.path.clone(),
                label: options.label.clone(),
            });
        }
        let mut rows = Array2::zeros((self.records.len(), feature_indices.len()));
        for (r, record) in self.records.iter().enumerate() {
            for (f, &column) in feature_indices.iter().enumerate() {
                rows[[r, f]] = self.number_at(r, column, &record[column])?;
            }
        }
        let labels = match label_index {
            Some(column) => Some(self.labels_in(column)?),
            None => None,
        };
        // Prefer a named identifier (a file name, ImageJ's Label) to a row-number column.
        let identifiers: Vec<usize> = (0..self.header.len())
            .filter(|&c| is_identifier_column(&self.header[c]) && Some(c) != label_index)
            .collect();
        let id_column = identifiers
            .iter()
            .copied()
            .find(|&c| parse_number(&self.records[0][c], self.delimiter).is_none())
            .or(identifiers.first().copied());
        let ids = self
            .records
            .iter()
            .enumerate()
            .map(|(r, record)| match id_column {
                Some(c) if !record[c].is_empty() => record[c].clone(),
                _ => (r + 1).to_string(),
            })
            .collect();
        Ok(FeatureTable {
            feature_names: feature_indices
                .iter()
                .map(|&c| canonical_column_name(&self.header[c]))
                .collect(),
            rows,
            labels,
            ids,
        })
    }

    fn listed_features(
        &self,
        names: &[String],
        label_index: Option<usize>,
    ) -> Result<Vec<usize>, TableError> {
        names
            .iter()
            .map(|name| {
                let index = self
                    .column_index(name)
                    .ok_or_else(|| self.missing_column(name))?;
                if Some(index) == label_index {
                    return Err(TableError::LabelAsFeature {
                        path: self.path.clone(),
                        column: name.clone(),
                    });
                }
                if is_identifier_column(&self.header[index]) {
                    return Err(TableError::IdentifierAsFeature {
                        path: self.path.clone(),
                        column: name.clone(),
                    });
                }
                Ok(index)
            })
            .collect()
    }

    /// Every column that is not the label, not an identifier and whose first non-empty cell is
    /// a number. A later cell that is not a number, or an empty cell (a missing measurement,
    /// e.g. the NaN skewness of a one-pixel particle), is then an error naming its line, not a
    /// reason to skip the column; columns with no value at all are skipped.
    fn default_features(&self, label_index: Option<usize>) -> Vec<usize> {
        (0..self.header.len())
            .filter(|&c| Some(c) != label_index && !is_identifier_column(&self.header[c]))
            .filter(|&c| {
                self.records
                    .iter()
                    .map(|record| record[c].trim())
                    .find(|cell| !cell.is_empty())
                    .is_some_and(|cell| parse_number(cell, self.delimiter).is_some())
            })
            .collect()
    }

    fn number_at(&self, row: usize, column: usize, cell: &str) -> Result<f64, TableError> {
        let value = parse_number(cell, self.delimiter).ok_or_else(|| TableError::NotANumber {
            path: self.path.clone(),
            line: self.line_of(row),
            column: canonical_column_name(&self.header[column]),
            value: cell.to_string(),
        })?;
        if !value.is_finite() {
            return Err(TableError::NotFinite {
                path: self.path.clone(),
                line: self.line_of(row),
                column: canonical_column_name(&self.header[column]),
                value: cell.to_string(),
            });
        }
        Ok(value)
    }

    fn labels_in(&self, column: usize) -> Result<Vec<String>, TableError> {
        self.records
            .iter()
            .enumerate()
            .map(|(r, record)| {
                if record[column].is_empty() {
                    Err(TableError::EmptyLabel {
                        path: self.path.clone(),
                        line: self.line_of(r),
                        column: self.header[column].clone(),
                    })
                } else {
                    Ok(record[column].clone())
                }
            })
            .collect()
    }
}

/// Reads a feature table from a file.
pub fn read_table(path: &Path, options: &TableOptions) -> Result<FeatureTable, TableError> {
    RawTable::read(path)?.to_feature_table(options)
}
