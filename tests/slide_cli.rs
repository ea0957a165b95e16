//! The `hemato slide`, `hemato merge` and `hemato mosaic` commands: outputs and clear errors.

use std::path::Path;
use std::process::{Command, Output};

fn hemato(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn field() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/goldens/slide/source.png")
        .display()
        .to_string()
}

#[test]
fn a_field_gives_cells_counts_overview_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = hemato(&[
        "slide",
        &field(),
        "--tile",
        "128",
        "--overlap",
        "32",
        "--quiet",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    // --quiet and no terminal: nothing on stderr.
    assert_eq!(stderr(&output), "");
    let cells = std::fs::read_to_string(out.join("cells.csv")).unwrap();
    let header = cells.lines().next().unwrap();
    // The count analysis: hemato count's cells-table columns, then the white-cell features.
    assert!(
        header.starts_with(
            "slide,class,x,y,bx,by,width,height,probability,area,perimeter,circularity,\
             solidity,feret,min_feret,cells_in_region,nucleus_area,"
        ),
        "{header}"
    );
    let rows = cells.lines().count() - 1;
    // counts.csv: hemato count's counts table (one row per slide, then the total row).
    let counts = std::fs::read_to_string(out.join("counts.csv")).unwrap();
    let lines: Vec<&str> = counts.lines().collect();
    assert_eq!(
        lines[0],
        "image,rbc,platelet,neutrophil,lymphocyte,monocyte,eosinophil,basophil,ig,erythroblast,wbc_total"
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[1].starts_with("source,"));
    assert_eq!(lines[2], lines[1].replacen("source", "total", 1));
    let values: Vec<usize> = lines[1]
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    let classes: Vec<&str> = lines[0].split(',').skip(1).collect();
    let white_total = values[9];
    // Every row is counted once: the nine classes plus white cells without a subtype.
    let unclassified = cells
        .lines()
        .skip(1)
        .filter(|line| line.split(',').nth(1) == Some("wbc"))
        .count();
    assert_eq!(values[..9].iter().sum::<usize>() + unclassified, rows);
    assert_eq!(
        values[2..8].iter().sum::<usize>() + unclassified,
        white_total
    );
    assert!(rows > 0);
    for line in cells.lines().skip(1) {
        let class = line.split(',').nth(1).unwrap();
        assert!(classes[..9].contains(&class) || class == "wbc", "{line}");
    }
    let overview = image::open(out.join("overview.png")).unwrap();
    assert_eq!((overview.width(), overview.height()), (300, 200));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["slides"][0]["cells"], rows);
}

#[test]
fn unsupported_codecs_and_bad_options_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    // A classic little-endian TIFF whose Compression tag says JPEG 2000 (Aperio 33003).
    let path = dir.path().join("aperio.svs");
    let image = image::RgbImage::from_pixel(8, 8, image::Rgb([200, 100, 100]));
    image
        .save_with_format(&path, image::ImageFormat::Tiff)
        .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let ifd = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let count = u16::from_le_bytes(bytes[ifd..ifd + 2].try_into().unwrap()) as usize;
    let entry = (0..count)
        .map(|i| ifd + 2 + 12 * i)
        .find(|&e| u16::from_le_bytes(bytes[e..e + 2].try_into().unwrap()) == 259)
        .unwrap();
    bytes[entry + 8..entry + 10].copy_from_slice(&33003u16.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let output = hemato(&["slide", path.to_str().unwrap(), "-o", out]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("JPEG 2000 (Aperio, YCbCr)") && message.contains("33003"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");

    for (args, expected) in [
        (vec!["--shard", "3/3"], "below the count"),
        (vec!["--shard", "two"], "give I/N"),
        (vec!["--tile", "4"], "too small"),
        (
            vec!["--analysis", "stain-watershed", "--method", "Nonsense"],
            "Nonsense",
        ),
        (
            vec!["--method", "Otsu"],
            "belong to --analysis stain-watershed",
        ),
        (vec!["--pixel-size=0"], "positive"),
        (vec!["--scale-sample-mp", "0"], "at least 0.001"),
        (vec!["--analysis", "cellpose"], "unknown --analysis"),
    ] {
        let mut all = vec!["slide", "missing.tif"];
        all.extend(&args);
        all.extend(["-o", out]);
        let output = hemato(&all);
        assert!(!output.status.success(), "{args:?}");
        let message = stderr(&output);
        assert!(message.contains(expected), "{args:?}: {message}");
        assert!(!message.contains("panicked"), "{message}");
    }
    let output = hemato(&["slide", "no-such-slide.tif", "-o", out]);
    assert!(stderr(&output).contains("no-such-slide.tif"));

    let output = hemato(&["merge", dir.path().to_str().unwrap(), "-o", out]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("no checkpoints"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn mosaic_writes_a_tiled_bigtiff_with_field_counts() {
    let dir = tempfile::tempdir().unwrap();
    let slide = dir.path().join("mosaic.tif");
    let output = hemato(&[
        "mosaic",
        &field(),
        "--grid",
        "3x2",
        "--level",
        "215",
        "-o",
        slide.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let fields = std::fs::read_to_string(dir.path().join("mosaic.fields.csv")).unwrap();
    assert_eq!(fields.lines().count(), 7);
    let expected: usize = fields
        .lines()
        .skip(1)
        .map(|line| line.rsplit(',').next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert!(expected >= 6, "{expected} cells in the fields");
    let reader = hemato::slide::SlideReader::open(&slide).unwrap();
    assert_eq!(reader.dimensions(), (3 * 332, 2 * 232));
    assert!(reader
        .describe()
        .starts_with("BigTIFF, 512 x 512 tiles, Deflate"));
    let out = dir.path().join("out");
    let output = hemato(&[
        "slide",
        slide.to_str().unwrap(),
        "--analysis",
        "stain-watershed",
        "--level",
        "215",
        "--tile",
        "256",
        "--quiet",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let cells = std::fs::read_to_string(out.join("cells.csv")).unwrap();
    assert_eq!(cells.lines().count() - 1, expected);
}

/// Aslan's image-86 was photographed under other light: its background, (116, 170, 189), lies
/// 0.30 OD from the margins' colour, the median of the three fields' backgrounds; the fixtures'
/// two Aslan fields lie within 0.02 of it (docs/slides.md).
#[test]
fn mosaic_names_the_fields_whose_background_is_far_from_the_margins() {
    let dir = tempfile::tempdir().unwrap();
    let slide = dir.path().join("mosaic.tif");
    let slide = slide.to_str().unwrap();
    let far = "../shared/data/aslan-sample/images/image-86.png";
    let fields = ["fixtures/aslan/image-1.png", "fixtures/aslan/image-101.png"];
    let with_far = [
        &["mosaic"],
        &fields[..],
        &[far, "--grid", "3x1", "--no-counts", "-o", slide],
    ];
    let output = hemato(&with_far.concat());
    assert!(output.status.success(), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("the background of 1 of 3 fields"),
        "{message}"
    );
    assert!(message.contains("image-86.png (0.30 OD)"), "{message}");
    assert!(!message.contains("image-1.png ("), "{message}");
    let without = [
        &["mosaic"],
        &fields[..],
        &["--grid", "2x1", "--no-counts", "-o", slide],
    ];
    let output = hemato(&without.concat());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
}

#[test]
fn shard_auto_reads_slurm_and_kubernetes_variables() {
    let dir = tempfile::tempdir().unwrap();
    let field = field();
    let common = ["--tile", "64", "--overlap", "16", "--quiet"];
    let single = dir.path().join("single");
    let mut args = vec!["slide", field.as_str(), "-o", single.to_str().unwrap()];
    args.extend(common);
    assert!(hemato(&args).status.success());
    let mut shards = Vec::new();
    // Slurm array 1-2 (task ids 1 and 2, minimum 1), then a Kubernetes index with its count.
    for (index, variables) in [
        (
            0,
            vec![
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
            ],
        ),
        (
            1,
            vec![
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
            ],
        ),
        (
            2,
            vec![("JOB_COMPLETION_INDEX", "2"), ("HEMATO_SHARD_COUNT", "3")],
        ),
    ] {
        let out = dir.path().join(format!("shard-{index}"));
        let output = Command::new(env!("CARGO_BIN_EXE_hemato"))
            .args([
                "slide",
                &field,
                "--shard",
                "auto",
                "-o",
                out.to_str().unwrap(),
            ])
            .args(common)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .envs(variables)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        // A shard of one slide's tiles leaves the final files to `hemato merge`.
        assert!(!out.join("cells.csv").exists());
        shards.push(out.to_str().unwrap().to_string());
    }
    let merged = dir.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["-o", merged.to_str().unwrap()]);
    let output = hemato(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    for name in ["cells.csv", "counts.csv", "overview.png"] {
        assert!(
            std::fs::read(single.join(name)).unwrap() == std::fs::read(merged.join(name)).unwrap(),
            "{name}"
        );
    }
    // Without a task index, auto is an error that names the variables.
    let output = Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(["slide", &field, "--shard", "auto", "-o"])
        .arg(dir.path().join("none"))
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("SLURM_ARRAY_TASK_ID"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn model_and_trust_model_choose_the_white_cell_classes() {
    // PBC's ERB_102372 is an erythroblast (its folder is the label); the built-in model calls
    // it one with probability 0.851, under the class gate's 0.9 (as in tests/count_cli.rs).
    let image = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pbc/erythroblast/ERB_102372.jpg")
        .display()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let counts = |out: &Path| -> Vec<(String, String)> {
        let text = std::fs::read_to_string(out.join("counts.csv")).unwrap();
        let mut lines = text.lines();
        let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let row = lines.next().unwrap().split(',').map(String::from);
        header.into_iter().zip(row).collect()
    };
    let value = |counts: &[(String, String)], name: &str| {
        counts
            .iter()
            .find(|(column, _)| column == name)
            .unwrap()
            .1
            .clone()
    };
    let gated = dir.path().join("gated");
    let output = hemato(&["slide", &image, "--quiet", "-o", gated.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let gated_counts = counts(&gated);
    assert_eq!(value(&gated_counts, "erythroblast"), "0");
    assert_eq!(value(&gated_counts, "wbc_total"), "1");
    let trusted = dir.path().join("trusted");
    let output = hemato(&[
        "slide",
        &image,
        "--quiet",
        "--trust-model",
        "-o",
        trusted.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let trusted_counts = counts(&trusted);
    assert_eq!(value(&trusted_counts, "erythroblast"), "1");
    assert_eq!(value(&trusted_counts, "wbc_total"), "0");
    // A run is not resumed with another class choice.
    let output = hemato(&[
        "slide",
        &image,
        "--quiet",
        "--resume",
        "-o",
        gated.to_str().unwrap(),
        "--trust-model",
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("different settings"),
        "{}",
        stderr(&output)
    );
    // A model over other features is refused before any work, with the reason.
    let output = hemato(&[
        "slide",
        &image,
        "--quiet",
        "--model",
        "models/bloodcells.json",
        "-o",
        dir.path().join("other").to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("white-cell features"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("other").join("counts.csv").exists());
}
