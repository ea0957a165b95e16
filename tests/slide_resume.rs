//! `hemato slide` killed with SIGKILL at several points and resumed gives the same files as an
//! uninterrupted run: no cell lost, none counted twice.
//!
//! The run is killed during the statistics pass, after a few checkpoints, in the middle of the
//! cells pass and at pseudo-random moments, each time resumed with `--resume` into the same
//! folder; the last resume runs to the end. `cells.csv`, `counts.csv` and `overview.png` must be
//! byte for byte those of a run that was never interrupted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hemato::slide::mosaic::{Mosaic, TiffCompression};

/// A 3 × 2 mosaic of real smear fields (BCCD, `../shared/data/smears-sample`).
fn smear_mosaic(dir: &Path) -> PathBuf {
    let fields = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/smears-sample/images");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&fields)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "jpg"))
        .collect();
    sources.sort();
    sources.truncate(6);
    let mosaic = Mosaic::new(sources, 3, 2, 16, [220, 220, 220]).unwrap();
    let path = dir.join("mosaic.tif");
    mosaic.write(&path, 256, TiffCompression::Deflate).unwrap();
    path
}

fn start(slide: &Path, outdir: &Path, resume: bool) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hemato"));
    command
        .arg("slide")
        .arg(slide)
        .args(["--analysis", "stain-watershed"])
        .args(["--tile", "128", "--overlap", "32", "--threads", "2"])
        .args(["--batch", "2", "--quiet", "-o"])
        .arg(outdir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if resume {
        command.arg("--resume");
    }
    command.spawn().unwrap()
}

/// A run that must end by itself, successfully.
fn run_to_end(slide: &Path, outdir: &Path, resume: bool) {
    let output = start(slide, outdir, resume).wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
}

/// The slide's checkpoint files whose names start with `prefix`, sorted (none before the run
/// made its folder).
fn checkpoint_files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("parts/mosaic"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.file_name().to_string_lossy().starts_with(prefix))
                .map(|entry| entry.path())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn count_files(dir: &Path, prefix: &str) -> usize {
    checkpoint_files(dir, prefix).len()
}

/// Asserts that `found` holds the final outputs of the run in `reference`, byte for byte.
fn assert_same_outputs(reference: &Path, found: &Path, after: &str) {
    for name in ["cells.csv", "counts.csv", "overview.png"] {
        let expected = std::fs::read(reference.join(name)).unwrap();
        let actual = std::fs::read(found.join(name)).unwrap();
        assert!(expected == actual, "{name} differs after {after}");
    }
}

/// When to kill a run.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    /// Once this many statistics checkpoints exist.
    Statistics(usize),
    /// Once this many cell checkpoints exist.
    Batches(usize),
    /// After this many milliseconds.
    After(u64),
}

/// Runs until `trigger`, then kills the process; returns whether it was still running.
fn run_until(slide: &Path, outdir: &Path, trigger: Trigger) -> bool {
    let mut child = start(slide, outdir, true);
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "{trigger:?}: {:?}",
                child.wait_with_output()
            );
            return false;
        }
        let fire = match trigger {
            Trigger::Statistics(count) => count_files(outdir, "stats-") >= count,
            Trigger::Batches(count) => count_files(outdir, "batch-") >= count,
            Trigger::After(milliseconds) => {
                started.elapsed() >= Duration::from_millis(milliseconds)
            }
        };
        if fire {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{trigger:?}");
        std::thread::sleep(Duration::from_micros(500));
    }
}

#[test]
fn runs_killed_at_any_point_resume_to_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let slide = smear_mosaic(dir.path());
    let reference = dir.path().join("reference");
    run_to_end(&slide, &reference, false);

    let interrupted = dir.path().join("interrupted");
    // A small linear congruential generator: the same "random" moments on every run.
    let mut seed = 0x2545_f491_u64;
    let mut random_ms = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        40 + (seed >> 33) % 400
    };
    let triggers = [
        Trigger::Statistics(1),
        Trigger::Statistics(5),
        Trigger::Batches(1),
        Trigger::After(random_ms()),
        Trigger::Batches(12),
        Trigger::After(random_ms()),
        Trigger::Batches(30),
        Trigger::After(random_ms()),
        Trigger::Batches(50),
    ];
    let mut killed = 0;
    for trigger in triggers {
        if run_until(&slide, &interrupted, trigger) {
            killed += 1;
        }
    }
    eprintln!(
        "{killed} of {} runs killed before they ended",
        triggers.len()
    );
    // Most kills must have hit a running process, or the test proves nothing.
    assert!(
        killed >= 5,
        "only {killed} runs were killed before they ended"
    );
    run_to_end(&slide, &interrupted, true);
    assert_same_outputs(&reference, &interrupted, &format!("{killed} kills"));
    // Without --resume, an existing run is not overwritten.
    let output = start(&slide, &interrupted, false)
        .wait_with_output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("--resume"), "{message}");
}

/// A checkpoint file damaged on disk (cut to half its length) stops a resumed run with an error
/// that names it and says what to do: delete it and resume. Done so, the run computes again
/// what the file held and ends with the files of an uninterrupted run. (Checkpoints are written
/// atomically, so a kill never leaves such a file; a disk or a copy can.)
#[test]
fn a_damaged_checkpoint_is_named_and_redone_once_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let slide = smear_mosaic(dir.path());
    let reference = dir.path().join("reference");
    run_to_end(&slide, &reference, false);
    let finals = ["cells.csv", "counts.csv", "overview.png", "summary.json"];
    for prefix in ["batch-", "overview-"] {
        let damaged = dir.path().join(prefix);
        run_to_end(&slide, &damaged, false);
        for name in finals {
            std::fs::remove_file(damaged.join(name)).unwrap();
        }
        let files = checkpoint_files(&damaged, prefix);
        let file = &files[files.len() / 2];
        let bytes = std::fs::read(file).unwrap();
        std::fs::write(file, &bytes[..bytes.len() / 2]).unwrap();

        let output = start(&slide, &damaged, true).wait_with_output().unwrap();
        assert!(!output.status.success());
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(
            message.contains(&format!("{}: damaged checkpoint", file.display()))
                && message.contains("delete the file")
                && message.contains("--resume"),
            "{message}"
        );
        assert!(!damaged.join("cells.csv").exists());

        std::fs::remove_file(file).unwrap();
        run_to_end(&slide, &damaged, true);
        assert_same_outputs(&reference, &damaged, &format!("redoing {}", file.display()));
    }
}
