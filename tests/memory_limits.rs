//! The whole-image commands (`count`, `measure`, `segment`, `features`, `evaluate-detection`)
//! refuse an image whose run would not fit in memory, from its header and before decoding it,
//! and say what to do instead (`hemato slide`; for `features`, cropping the cells). The limit
//! is given with `--max-memory`, so the outcome does not depend on this machine's memory; the
//! estimate is `hemato::memory::Footprint` (128 MiB plus 28 bytes per pixel for `count`,
//! `evaluate-detection` and `features`, 18 for `segment` and `measure`). `hemato slide` checks a PNG slide, which it decodes whole, the
//! same way (384 MiB plus 7 bytes per pixel) and advises a tiled TIFF.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod png_support;
use png_support::png_header_only;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn hemato(arguments: &[&str]) -> Output {
    hemato_on_threads(arguments, None)
}

/// `hemato` with `RAYON_NUM_THREADS` set to `threads` when given.
fn hemato_on_threads(arguments: &[&str], threads: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hemato"));
    command.current_dir(root()).args(arguments);
    if let Some(threads) = threads {
        command.env("RAYON_NUM_THREADS", threads);
    }
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A folder with a real field (`a.png`) and the header of a 20,000² scan (`huge.png`).
fn folder_with_a_huge_image() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let field = folder.path().join("a.png");
    std::fs::copy(root().join("fixtures/aslan/image-1.png"), &field).unwrap();
    let huge = folder.path().join("huge.png");
    std::fs::write(&huge, png_header_only(20_000, 20_000)).unwrap();
    (folder, field, huge)
}

#[test]
fn count_refuses_an_image_too_large_for_the_limit_before_decoding_it() {
    let (folder, field, huge) = folder_with_a_huge_image();
    // 128 MiB + 28 B × 4·10⁸ pixels = 11.3 GB (10.6 GiB, printed as 11), over 4 GiB.
    let output = hemato(&["count", path(&huge), "--max-memory", "4G"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains(
            "huge.png: 20000 x 20000 pixels (400.0 MP) needs about 11 GiB of memory to count \
             as one image, more than the 4.0 GiB allowed by --max-memory"
        ),
        "{message}"
    );
    assert!(message.contains("hemato slide"), "{message}");
    // Refused from the header: the missing pixel data was never read.
    assert!(!message.contains("corrupt"), "{message}");
    // Without the limit on this machine the same file is read, and found truncated (unless
    // the machine lacks the memory, when it is refused the same way).
    let unlimited = stderr(&hemato(&["count", path(&huge)]));
    assert!(
        unlimited.contains("corrupt") || unlimited.contains("needs about 11 GiB"),
        "{unlimited}"
    );

    // A field well within the limit counts as without it; one over a small limit is refused.
    let within = hemato(&["count", path(&field), "-q", "--max-memory", "4G"]);
    let plain = hemato(&["count", path(&field), "-q"]);
    assert!(within.status.success(), "{}", stderr(&within));
    assert_eq!(within.stdout, plain.stdout);
    let tight = hemato(&["count", path(&field), "--max-memory", "100M"]);
    assert!(
        stderr(&tight).contains("allowed by --max-memory"),
        "{}",
        stderr(&tight)
    );

    // In a folder with --keep-going the huge image is skipped with the reason.
    let counts = folder.path().join("counts.csv");
    let kept = hemato(&[
        "count",
        path(folder.path()),
        "-q",
        "--keep-going",
        "--max-memory",
        "4G",
        "-o",
        path(&counts),
    ]);
    let message = stderr(&kept);
    assert!(
        message.contains("skipped: ") && message.contains("huge.png: 20000 x 20000 pixels"),
        "{message}"
    );
    let table = std::fs::read_to_string(&counts).unwrap();
    assert!(
        table.contains("a.png") && !table.contains("huge.png"),
        "{table}"
    );
}

#[test]
fn measure_and_segment_refuse_it_and_name_the_tiled_analysis() {
    let (folder, _field, huge) = folder_with_a_huge_image();
    let table = folder.path().join("cells.csv");
    let mask = folder.path().join("mask.png");
    // 128 MiB + 18 B × 4·10⁸ pixels = 7.3 GB (6.8 GiB), over 2 GiB.
    for arguments in [
        vec!["measure", path(&huge), "-o", path(&table)],
        vec!["segment", path(&huge), "-o", path(&mask)],
    ] {
        let mut arguments = arguments;
        arguments.extend(["--max-memory", "2G"]);
        let output = hemato(&arguments);
        assert!(!output.status.success());
        let message = stderr(&output);
        assert!(
            message.contains("needs about 6.8 GiB of memory to segment and measure"),
            "{message}"
        );
        assert!(
            message.contains("--analysis stain-watershed -o OUTDIR"),
            "{message}"
        );
    }
    assert!(!table.exists() && !mask.exists());
    let invalid = hemato(&[
        "segment",
        path(&huge),
        "-o",
        path(&mask),
        "--max-memory",
        "x",
    ]);
    assert!(
        stderr(&invalid).contains("is not a memory size"),
        "{}",
        stderr(&invalid)
    );
}

/// Two fields that each fit the limit but not together (2 threads; 256² pixels each, so
/// 128 MiB plus 28 B × 65,536, about 136 MiB, for `count`, 129 MiB for `measure`; 200 MiB
/// allowed) run one after the other, with a note, and give the tables of a run without a limit.
#[test]
fn a_batch_too_large_for_parallel_images_runs_them_one_at_a_time() {
    let folder = tempfile::tempdir().unwrap();
    for name in ["a.png", "b.png"] {
        std::fs::copy(
            root().join("fixtures/aslan/image-1.png"),
            folder.path().join(name),
        )
        .unwrap();
    }
    let run = |arguments: &[&str]| hemato_on_threads(arguments, Some("2"));
    let table = folder.path().join("cells.csv");
    for command in [
        vec!["count", path(folder.path()), "-q"],
        vec!["measure", path(folder.path()), "-o", path(&table)],
    ] {
        let plain = run(&command);
        let plain_table = std::fs::read(&table).ok();
        let mut limited_command = command.clone();
        limited_command.extend(["--max-memory", "200M"]);
        let limited = run(&limited_command);
        let message = stderr(&limited);
        assert!(limited.status.success(), "{message}");
        assert!(
            message.contains("2 at a time, would need more than the 200 MiB")
                && message.contains("processed one at a time"),
            "{message}"
        );
        assert_eq!(limited.stdout, plain.stdout);
        assert_eq!(std::fs::read(&table).ok(), plain_table);
        // Each alone fits: without the limit, or with room for two, no note.
        for output in [
            plain,
            run(&[&command[..], &["--max-memory", "400M"]].concat()),
        ] {
            assert!(
                !stderr(&output).contains("one at a time"),
                "{}",
                stderr(&output)
            );
        }
    }
}

#[test]
fn slide_refuses_a_png_too_large_to_decode_whole_within_the_limit() {
    let (folder, field, huge) = folder_with_a_huge_image();
    // A PNG slide is decoded whole: 384 MiB + 7 B × 4·10⁸ pixels = 3,202,653,184 bytes
    // (2.98 GiB, printed as 3.0), over 1 GiB. The advice is a tiled TIFF, not `hemato slide`,
    // which is the command being run.
    let out = folder.path().join("out");
    let output = hemato(&[
        "slide",
        path(&huge),
        "-q",
        "--max-memory",
        "1G",
        "-o",
        path(&out),
    ]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains(
            "huge.png: 20000 x 20000 pixels (400.0 MP) needs about 3.0 GiB of memory to decode \
             whole, as `hemato slide` reads a PNG, JPEG or BMP slide, more than the 1.0 GiB \
             allowed by --max-memory; a TIFF is read tile by tile: convert the slide to a tiled TIFF"
        ),
        "{message}"
    );
    assert!(!message.contains("hemato slide /"), "{message}");
    assert!(!message.contains("corrupt"), "{message}");
    // Refused before the run starts: nothing is written.
    assert!(!out.exists());
    // In a list, before the slide ahead of it is processed; a shard that does not hold it
    // (slide 0 of 2 in shard 0/2) runs.
    let listed = folder.path().join("listed");
    let both = [path(&field), path(&huge)];
    let arguments = |shard: &'static str| {
        let mut arguments = vec!["slide", both[0], both[1], "-q", "--max-memory", "1G"];
        if !shard.is_empty() {
            arguments.extend(["--shard", shard]);
        }
        arguments.extend(["-o", path(&listed)]);
        arguments
    };
    let output = hemato(&arguments(""));
    assert!(
        stderr(&output).contains("huge.png: 20000 x 20000"),
        "{}",
        stderr(&output)
    );
    assert!(!listed.exists());
    let shard = hemato(&arguments("0/2"));
    assert!(shard.status.success(), "{}", stderr(&shard));
    let other = hemato(&arguments("1/2"));
    assert!(!other.status.success());
    assert!(
        stderr(&other).contains("huge.png: 20000 x 20000"),
        "{}",
        stderr(&other)
    );

    // A field within the limit gives the counts of a run without one.
    let (within, plain) = (folder.path().join("within"), folder.path().join("plain"));
    for (output, limit) in [(&within, Some("1G")), (&plain, None)] {
        let mut arguments = vec!["slide", path(&field), "-q", "-o", path(output)];
        arguments.extend(
            limit
                .map(|limit| ["--max-memory", limit])
                .into_iter()
                .flatten(),
        );
        let run = hemato(&arguments);
        assert!(run.status.success(), "{}", stderr(&run));
    }
    assert_eq!(
        std::fs::read(within.join("cells.csv")).unwrap(),
        std::fs::read(plain.join("cells.csv")).unwrap()
    );
}

#[test]
fn features_skip_an_image_too_large_for_the_limit_and_name_it() {
    let folder = tempfile::tempdir().unwrap();
    let class = folder.path().join("neutrophil");
    std::fs::create_dir(&class).unwrap();
    let source = std::fs::read_dir(root().join("fixtures/pbc/neutrophil"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|e| e == "jpg"))
        .unwrap();
    std::fs::copy(&source, class.join("a.jpg")).unwrap();
    std::fs::write(class.join("huge.png"), png_header_only(20_000, 20_000)).unwrap();
    let table = folder.path().join("table.csv");
    let arguments = |strict: bool| {
        let mut arguments = vec![
            "features",
            path(folder.path()),
            "--class-from-dir",
            "--max-memory",
            "4G",
            "-o",
            path(&table),
        ];
        if strict {
            arguments.push("--strict");
        }
        arguments
    };
    // 128 MiB + 28 B × 4·10⁸ pixels = 11 GiB, over 4 GiB: skipped from its header, the other
    // image described.
    let output = hemato(&arguments(false));
    let message = stderr(&output);
    assert!(output.status.success(), "{message}");
    assert!(
        message.contains("skipped neutrophil/huge.png: ")
            && message.contains("needs about 11 GiB of memory to describe as one image")
            && message.contains("crop the cells"),
        "{message}"
    );
    assert!(!message.contains("corrupt"), "{message}");
    let rows = std::fs::read_to_string(&table).unwrap();
    assert!(
        rows.contains("neutrophil/a.jpg") && !rows.contains("huge.png"),
        "{rows}"
    );
    // With --strict it ends the run, and no table is written.
    std::fs::remove_file(&table).unwrap();
    let output = hemato(&arguments(true));
    assert!(!output.status.success());
    assert!(stderr(&output).contains("huge.png"), "{}", stderr(&output));
    assert!(!table.exists());
}

/// `evaluate-detection` counts every image of a dataset whole, as `count` does: images that do
/// not fit together are counted one at a time (the same report), and an image too large for
/// the limit stops the run before any image is counted (a report without it would not be the
/// dataset's), from its header, and no report is written.
#[test]
fn evaluate_detection_checks_every_image_against_the_limit_before_counting() {
    let (folder, field, huge) = folder_with_a_huge_image();
    let dataset = folder.path().join("boxes");
    std::fs::create_dir_all(dataset.join("images")).unwrap();
    std::fs::copy(&field, dataset.join("images/a.png")).unwrap();
    std::fs::write(
        dataset.join("annotations.csv"),
        "image,xmin_px,ymin_px,xmax_px,ymax_px,label\na.png,85.6,2.3,187.7,120.1,wbc\n",
    )
    .unwrap();
    let evaluate = |limit: Option<&str>, report: &Path| {
        let mut arguments = vec!["evaluate-detection", "--csv", path(&dataset)];
        arguments.extend(["-o", path(report)]);
        if let Some(limit) = limit {
            arguments.extend(["--max-memory", limit]);
        }
        hemato(&arguments)
    };
    // Within the limit the report is the one made without it.
    let (limited, plain) = (
        folder.path().join("limited.md"),
        folder.path().join("plain.md"),
    );
    let within = evaluate(Some("4G"), &limited);
    assert!(within.status.success(), "{}", stderr(&within));
    assert!(evaluate(None, &plain).status.success());
    assert_eq!(
        std::fs::read(&limited).unwrap(),
        std::fs::read(&plain).unwrap()
    );
    // The white cell of the box is found: the report is a real one.
    let text = std::fs::read_to_string(&plain).unwrap();
    assert!(text.contains("| white cells | 1 | 0 | 0 |"), "{text}");
    // Two 256² fields need 128 MiB + 28 B × 65,536 = 136 MB each: under 250 MiB (262 MB) one
    // at a time but not together, so they are counted one at a time, with the same report.
    std::fs::copy(
        root().join("fixtures/aslan/image-101.png"),
        dataset.join("images/b.png"),
    )
    .unwrap();
    let two = |limit: Option<&str>, report: &Path| {
        let output = evaluate(limit, report);
        assert!(output.status.success(), "{}", stderr(&output));
        (stderr(&output), std::fs::read(report).unwrap())
    };
    let (message, one_at_a_time) = two(Some("250M"), &limited);
    assert!(
        message.contains("2 at a time, would need more than the 250 MiB")
            && message.contains("one at a time"),
        "{message}"
    );
    assert_eq!(one_at_a_time, two(None, &plain).1);
    std::fs::remove_file(dataset.join("images/b.png")).unwrap();

    // With the 20,000² header in the dataset (11 GiB by the count's footprint, as above).
    std::fs::copy(&huge, dataset.join("images/huge.png")).unwrap();
    let mut table = std::fs::read_to_string(dataset.join("annotations.csv")).unwrap();
    table.push_str("huge.png,10,10,60,60,rbc\n");
    std::fs::write(dataset.join("annotations.csv"), table).unwrap();
    let refused_report = folder.path().join("refused.md");
    let refused = evaluate(Some("4G"), &refused_report);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(
        message.contains("huge.png: 20000 x 20000 pixels (400.0 MP) needs about 11 GiB")
            && message.contains("allowed by --max-memory"),
        "{message}"
    );
    assert!(!message.contains("corrupt"), "{message}");
    assert!(refused.stdout.is_empty());
    assert!(!refused_report.exists());

    // A class-folder dataset is checked the same way.
    let classes = folder.path().join("classes");
    std::fs::create_dir_all(classes.join("neutrophil")).unwrap();
    std::fs::copy(&huge, classes.join("neutrophil/huge.png")).unwrap();
    let output = hemato(&[
        "evaluate-detection",
        "--folders",
        path(&classes),
        "--max-memory",
        "4G",
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("huge.png: 20000 x 20000 pixels"),
        "{}",
        stderr(&output)
    );
}
