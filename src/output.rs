//! Atomic output: every file hemato writes goes through [`write_atomically`].
//!
//! The bytes are written to a temporary file in the destination folder, flushed to disk and
//! then renamed over the destination. A run that dies part-way leaves at most a hidden
//! `.NAME.*.tmp` file behind, never a truncated file under the real name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writing an output file failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}")]
pub struct OutputError {
    /// The destination that was not written.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: std::io::Error,
}

/// Writes `path` atomically: `write` fills a buffered temporary file beside it, which is synced
/// and renamed to `path` only when `write` succeeds.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("hello.txt");
/// hemato::output::write_atomically(&path, |w| std::io::Write::write_all(w, b"hi")).unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"hi");
/// ```
pub fn write_atomically<F>(path: &Path, write: F) -> Result<(), OutputError>
where
    F: FnOnce(&mut BufWriter<&mut File>) -> std::io::Result<()>,
{
    let error = |source| OutputError {
        path: path.to_path_buf(),
        source,
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Said plainly here, rather than as the temporary file's "No such file" or "Is a
    // directory" further down.
    if !folder.is_dir() {
        return Err(error(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("the folder {} does not exist", folder.display()),
        )));
    }
    if path.is_dir() {
        return Err(error(std::io::Error::other(
            "it is a folder; give a file name",
        )));
    }
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(ordinary_file_permissions());
    let mut temporary = builder.tempfile_in(folder).map_err(error)?;
    {
        let mut writer = BufWriter::new(temporary.as_file_mut());
        write(&mut writer).map_err(error)?;
        writer.flush().map_err(error)?;
    }
    temporary.as_file().sync_all().map_err(error)?;
    temporary.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}

/// Outputs are for colleagues and other programs, so they get the usual `rw-r--r--` instead of
/// the temporary file's private `rw-------`.
#[cfg(unix)]
fn ordinary_file_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes_atomically(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_atomically(path, |writer| writer.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_no_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("table.csv");
        let result = write_atomically(&path, |writer| {
            writer.write_all(b"half a table")?;
            Err(std::io::Error::other("the run died"))
        });
        assert!(result.is_err());
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn replaces_an_existing_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("counts.csv");
        std::fs::write(&path, b"old contents that are longer").unwrap();
        write_bytes_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn outputs_are_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cells.csv");
        write_bytes_atomically(&path, b"x").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn missing_folder_is_an_error_naming_the_path() {
        let path = Path::new("/nonexistent-folder-hemato/x.csv");
        let error = write_bytes_atomically(path, b"x").unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("/nonexistent-folder-hemato/x.csv"),
            "{message}"
        );
        assert_eq!(
            error.source.to_string(),
            "the folder /nonexistent-folder-hemato does not exist"
        );
    }

    #[test]
    fn a_folder_as_output_is_an_error_and_stays_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let error = write_bytes_atomically(dir.path(), b"x").unwrap_err();
        assert_eq!(error.source.to_string(), "it is a folder; give a file name");
        assert!(dir.path().is_dir());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
