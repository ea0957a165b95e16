//! `hemato count` end to end: the README command, output formats, overlays, bad input and
//! the same bytes for 1 and 2 threads.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn hemato_in(directory: &Path, arguments: &[&str], threads: Option<usize>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hemato"));
    command.current_dir(directory).args(arguments);
    if let Some(threads) = threads {
        command.env("RAYON_NUM_THREADS", threads.to_string());
    }
    command.output().unwrap()
}

fn hemato(arguments: &[&str]) -> Output {
    hemato_in(root(), arguments, None)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

const COUNTS_HEADER: &str =
    "image,rbc,platelet,neutrophil,lymphocyte,monocyte,eosinophil,basophil,ig,erythroblast,wbc_total";

/// The README's main command, exactly, from the repository root.
#[test]
fn readme_command_prints_the_counts() {
    let output = hemato(&["count", "fixtures/smears/BloodImage_00003.jpg"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], COUNTS_HEADER);
    assert!(lines[1].starts_with("fixtures/smears/BloodImage_00003.jpg,"));
    let values: Vec<u64> = lines[1]
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    // The annotation (fixtures/smears/BloodImage_00003.xml) has 15 red-cell boxes (a lower
    // bound: BCCD boxes are incomplete) and one white cell.
    assert!(values[0] >= 15, "{text}");
    assert_eq!(values[9], 1, "{text}");
    // The white-cell total is the sum of the white classes (and unclassified white cells).
    assert!(values[2..8].iter().sum::<u64>() <= values[9]);
    assert_eq!(
        lines[2].split_once(',').unwrap().1,
        lines[1].split_once(',').unwrap().1
    );
    // The summary goes to stderr: table, scale, differential.
    let summary = stderr(&output);
    assert!(summary.contains("White-cell differential"), "{summary}");
    assert!(summary.contains("µm/px"), "{summary}");
    // The built-in model typed the white cell.
    assert!(summary.contains("(1 of 1 white cells typed)"), "{summary}");
}

#[test]
fn tables_have_the_documented_columns_and_a_total_row() {
    let folder = tempfile::tempdir().unwrap();
    let counts = folder.path().join("counts.csv");
    let cells = folder.path().join("cells.csv");
    let output = hemato(&[
        "count",
        "fixtures/aslan",
        "-o",
        path(&counts),
        "--cells",
        path(&cells),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    // With -o nothing goes to stdout.
    assert!(output.stdout.is_empty());
    let counts = std::fs::read_to_string(&counts).unwrap();
    let rows: Vec<&str> = counts.lines().collect();
    assert_eq!(rows[0], COUNTS_HEADER);
    // The folder's two PNGs, sorted by name, then the total.
    assert!(rows[1].starts_with("fixtures/aslan/image-1.png,"));
    assert!(rows[2].starts_with("fixtures/aslan/image-101.png,"));
    assert!(rows[3].starts_with("total,"));
    let numbers =
        |row: &str| -> Vec<u64> { row.split(',').skip(1).map(|v| v.parse().unwrap()).collect() };
    let (a, b, total) = (numbers(rows[1]), numbers(rows[2]), numbers(rows[3]));
    for column in 0..10 {
        assert_eq!(a[column] + b[column], total[column]);
    }

    let cells = std::fs::read_to_string(&cells).unwrap();
    let mut lines = cells.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header[..10],
        [
            "image",
            "cell",
            "x",
            "y",
            "bx",
            "by",
            "width",
            "height",
            "class",
            "probability"
        ]
    );
    assert_eq!(
        header[10..17],
        [
            "area",
            "perimeter",
            "circularity",
            "solidity",
            "feret",
            "min_feret",
            "cells_in_region"
        ]
    );
    let rows: Vec<Vec<&str>> = lines.map(|line| line.split(',').collect()).collect();
    // One row per counted cell: as many rbc rows as the counts table says.
    let red_rows = rows.iter().filter(|row| row[8] == "rbc").count() as u64;
    assert_eq!(red_rows, total[0]);
    for row in &rows {
        assert_eq!(row.len(), header.len());
        let (x, y): (f64, f64) = (row[2].parse().unwrap(), row[3].parse().unwrap());
        let (bx, by, width, height): (f64, f64, f64, f64) = (
            row[4].parse().unwrap(),
            row[5].parse().unwrap(),
            row[6].parse().unwrap(),
            row[7].parse().unwrap(),
        );
        // The centroid lies inside the bounding box.
        assert!(
            x >= bx && x <= bx + width && y >= by && y <= by + height,
            "{row:?}"
        );
    }
}

#[test]
fn overlay_is_written_and_readable() {
    let folder = tempfile::tempdir().unwrap();
    let overlays = folder.path().join("overlays");
    let output = hemato(&[
        "count",
        "fixtures/aslan/image-1.png",
        "--overlay",
        path(&overlays),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let overlay = hemato::io::read_rgb_image(&overlays.join("image-1.png")).unwrap();
    let input = hemato::io::read_rgb_image(&root().join("fixtures/aslan/image-1.png")).unwrap();
    // The image, then the legend panel to its right.
    assert!(overlay.width() > input.width());
    assert!(overlay.height() >= input.height());
    // Red-cell outlines are drawn in the red-cell colour over the image part.
    let red = hemato::count::overlay::class_colour(Some(hemato::count::CellClass::Rbc));
    let outlined = (0..input.height())
        .flat_map(|y| (0..input.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| *overlay.get_pixel(x, y) == red)
        .count();
    assert!(outlined > 500, "{outlined} outline pixels");
    // No temporary files are left beside it.
    assert_eq!(std::fs::read_dir(&overlays).unwrap().count(), 1);
}

/// Counts, cells, overlays (by name) and the terminal summary of `hemato count INPUTS...` with
/// `threads` threads.
fn count_outputs(inputs: &[&str], threads: usize) -> (Vec<u8>, Vec<u8>, Vec<Vec<u8>>, Vec<u8>) {
    let folder = tempfile::tempdir().unwrap();
    let counts = folder.path().join("counts.csv");
    let cells = folder.path().join("cells.csv");
    let overlays = folder.path().join("overlays");
    let mut arguments = vec!["count"];
    arguments.extend(inputs);
    arguments.extend(["-o", path(&counts), "--cells", path(&cells)]);
    arguments.extend(["--overlay", path(&overlays)]);
    let output = hemato_in(root(), &arguments, Some(threads));
    assert!(output.status.success(), "{}", stderr(&output));
    let mut names: Vec<PathBuf> = std::fs::read_dir(&overlays)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();
    (
        std::fs::read(&counts).unwrap(),
        std::fs::read(&cells).unwrap(),
        names
            .iter()
            .map(|name| std::fs::read(name).unwrap())
            .collect(),
        output.stderr,
    )
}

#[test]
fn one_and_two_threads_give_the_same_bytes() {
    let inputs = ["fixtures/aslan", "fixtures/smears"];
    let one = count_outputs(&inputs, 1);
    assert!(one.2.len() >= 3, "{} overlays", one.2.len());
    assert_eq!(one, count_outputs(&inputs, 2));
}

/// A single image is counted outside the pool's image loop (its own steps then use every
/// thread): the same bytes for 1 and 3 threads.
#[test]
fn a_single_image_gives_the_same_bytes_on_any_number_of_threads() {
    let inputs = ["fixtures/smears/BloodImage_00003.jpg"];
    let one = count_outputs(&inputs, 1);
    assert!(one.1.len() > 1000, "cells table of {} bytes", one.1.len());
    assert_eq!(one, count_outputs(&inputs, 3));
}

fn write_png(path: &Path, image: image::DynamicImage) {
    image.save(path).unwrap();
}

#[test]
fn rgba_16_bit_and_12_bit_inputs_count_as_their_8_bit_rgb() {
    let folder = tempfile::tempdir().unwrap();
    let rgb =
        hemato::io::read_rgb_image(&root().join("fixtures/smears/BloodImage_00309.jpg")).unwrap();
    let plain = folder.path().join("plain.png");
    write_png(&plain, image::DynamicImage::ImageRgb8(rgb.clone()));
    let rgba = folder.path().join("rgba.png");
    write_png(
        &rgba,
        image::DynamicImage::ImageRgba8(image::DynamicImage::ImageRgb8(rgb.clone()).to_rgba8()),
    );
    // 16 bits: v * 257, which hemato scales back to v exactly.
    let wide = folder.path().join("wide.png");
    write_png(
        &wide,
        image::DynamicImage::ImageRgb16(image::DynamicImage::ImageRgb8(rgb.clone()).to_rgb16()),
    );
    // A camera's 12 bits in 16-bit samples: round(v · 4095 / 255), whose largest value is 12
    // bits long; hemato's round(w · 255 / 4095) gives v back (the 12-bit steps are 1/16 of
    // the 8-bit ones). Read as 16-bit data, the field would be 0-16 and hold no cell.
    let twelve = folder.path().join("twelve.png");
    let samples = rgb
        .as_raw()
        .iter()
        .map(|&value| ((u32::from(value) * 4095 + 127) / 255) as u16)
        .collect();
    let (width, height) = rgb.dimensions();
    write_png(
        &twelve,
        image::DynamicImage::ImageRgb16(
            image::ImageBuffer::from_raw(width, height, samples).unwrap(),
        ),
    );
    let counts = |file: &PathBuf| {
        let output = hemato(&["count", path(file)]);
        assert!(output.status.success(), "{}", stderr(&output));
        let text = stdout(&output);
        text.lines()
            .nth(1)
            .unwrap()
            .split_once(',')
            .unwrap()
            .1
            .to_string()
    };
    let expected = counts(&plain);
    assert_eq!(counts(&rgba), expected);
    assert_eq!(counts(&wide), expected);
    assert_eq!(counts(&twelve), expected);
}

#[test]
fn an_empty_field_counts_zero() {
    let folder = tempfile::tempdir().unwrap();
    let blank = folder.path().join("blank.png");
    write_png(
        &blank,
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            200,
            150,
            image::Rgb([210, 205, 200]),
        )),
    );
    let output = hemato(&["count", path(&blank)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(
        text.lines().nth(1).unwrap().split_once(',').unwrap().1,
        "0,0,0,0,0,0,0,0,0,0"
    );
    // The summary says why nothing was counted.
    assert!(
        stderr(&output).contains("1 image(s) without separate red cells"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_images_give_clear_errors() {
    let folder = tempfile::tempdir().unwrap();
    let empty = folder.path().join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let corrupt = folder.path().join("corrupt.png");
    let bytes = std::fs::read(root().join("fixtures/aslan/image-1.png")).unwrap();
    std::fs::write(&corrupt, &bytes[..bytes.len() / 2]).unwrap();
    let gray16 = folder.path().join("gray16.png");
    write_png(
        &gray16,
        image::DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(
            40,
            40,
            image::Luma([1000u16]),
        )),
    );
    // A real field saved as 8-bit grey: red cells could be found, white cells and platelets
    // not, so it is refused rather than counted without them (the reason printed once).
    let grey = folder.path().join("grey.png");
    let field = image::open(root().join("fixtures/aslan/image-1.png")).unwrap();
    write_png(&grey, image::DynamicImage::ImageLuma8(field.to_luma8()));
    for (file, expected) in [
        (&empty, "empty.png"),
        (&corrupt, "corrupt.png"),
        (&gray16, "RGB colour image is needed"),
        (&grey, "grey.png: the image has no colour"),
    ] {
        let output = hemato(&["count", path(file)]);
        assert!(!output.status.success());
        let message = stderr(&output);
        assert!(message.starts_with("error: "), "{message}");
        assert!(message.contains(expected), "{message}");
        assert!(!message.contains("panicked"), "{message}");
        assert_eq!(message.matches(expected).count(), 1, "{message}");
    }
    let output = hemato(&["count", "no/such/file.png"]);
    assert!(stderr(&output).contains("no such file or folder"));
    let output = hemato(&[
        "count",
        "fixtures/smears/BloodImage_00003.jpg",
        "--pixel-size=-1",
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("pixel size"),
        "{}",
        stderr(&output)
    );
}

/// One corrupt file in a folder: by default the run stops and writes nothing; with
/// --keep-going the others are counted as they are alone, the corrupt one is named, and the run
/// still fails.
#[test]
fn keep_going_counts_the_readable_images_and_names_the_others() {
    let folder = tempfile::tempdir().unwrap();
    let field = root().join("fixtures/aslan/image-1.png");
    std::fs::copy(&field, folder.path().join("a.png")).unwrap();
    let bytes = std::fs::read(&field).unwrap();
    std::fs::write(folder.path().join("b.png"), &bytes[..bytes.len() / 2]).unwrap();
    let counts = folder.path().join("counts.csv");
    let keep_going = || {
        hemato(&[
            "count",
            path(folder.path()),
            "-q",
            "--keep-going",
            "-o",
            path(&counts),
        ])
    };
    let stopped = hemato(&["count", path(folder.path()), "-q", "-o", path(&counts)]);
    assert!(!stopped.status.success());
    assert!(stderr(&stopped).contains("b.png"), "{}", stderr(&stopped));
    assert!(!counts.exists(), "no table after a stopped run");

    let kept = keep_going();
    let message = stderr(&kept);
    assert!(!kept.status.success(), "{message}");
    assert!(
        message.contains("skipped: ") && message.contains("b.png: corrupt or truncated"),
        "{message}"
    );
    assert!(
        message.contains("error: 1 of 2 image(s) could not be counted")
            && message.contains("the other 1"),
        "{message}"
    );
    let alone = hemato(&["count", path(&field), "-q"]);
    let table = std::fs::read_to_string(&counts).unwrap();
    assert_eq!(
        rows_without_names(&table),
        rows_without_names(&stdout(&alone))
    );
    assert!(!table.contains("b.png"), "{table}");

    // Nothing readable at all is an error without tables.
    std::fs::remove_file(folder.path().join("a.png")).unwrap();
    std::fs::remove_file(&counts).unwrap();
    let none = keep_going();
    assert!(
        stderr(&none).contains("none of the 1 image(s) could be counted"),
        "{}",
        stderr(&none)
    );
    assert!(!counts.exists());
}

#[test]
fn unusable_models_are_refused() {
    let folder = tempfile::tempdir().unwrap();
    let image = "fixtures/smears/BloodImage_00003.jpg";
    // Not a hemato model file.
    let other_schema = folder.path().join("other.json");
    std::fs::write(
        &other_schema,
        br#"{"schema": "something-else", "schema_version": 1}"#,
    )
    .unwrap();
    let output = hemato(&["count", image, "--model", path(&other_schema)]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("schema"), "{}", stderr(&output));
    // A valid model over other features (the shipped bloodcells model uses ImageJ's columns).
    let output = hemato(&["count", image, "--model", "models/bloodcells.json"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("white-cell features"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn trust_model_takes_the_models_call_over_the_gate() {
    // PBC's ERB_102372 is an erythroblast (its folder is the label). The built-in model calls
    // it one with probability 0.851, under the gate's 0.9: by default it is counted as the
    // most probable white class (ig); with --trust-model as an erythroblast, outside the
    // white-cell total.
    let image = "fixtures/pbc/erythroblast/ERB_102372.jpg";
    let column = |output: &Output, name: &str| -> String {
        let text = stdout(output);
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        let index = header.iter().position(|&column| column == name).unwrap();
        row[index].to_string()
    };
    let gated = hemato(&["count", image, "-q"]);
    assert!(gated.status.success(), "{}", stderr(&gated));
    assert_eq!(column(&gated, "erythroblast"), "0");
    assert_eq!(column(&gated, "wbc_total"), "1");
    let trusted = hemato(&["count", image, "-q", "--trust-model"]);
    assert!(trusted.status.success(), "{}", stderr(&trusted));
    assert_eq!(column(&trusted, "erythroblast"), "1");
    assert_eq!(column(&trusted, "wbc_total"), "0");
}

/// The counts table's rows without their image column.
fn rows_without_names(counts: &str) -> Vec<String> {
    counts
        .lines()
        .skip(1)
        .map(|line| line.split_once(',').unwrap().1.to_string())
        .collect()
}

/// Copies of one field have that field's red cells, so the pooled red-cell size is the field's
/// own (a median of repeated values is the value's median) and every copy counts as the field
/// counted alone.
#[test]
fn a_shared_scale_over_copies_of_one_field_is_the_fields_own() {
    let folder = tempfile::tempdir().unwrap();
    let field = root().join("fixtures/smears/BloodImage_00003.jpg");
    for name in ["a.jpg", "b.jpg", "c.jpg"] {
        std::fs::copy(&field, folder.path().join(name)).unwrap();
    }
    let alone = hemato(&["count", path(&field), "-q"]);
    assert!(alone.status.success(), "{}", stderr(&alone));
    let shared = hemato(&["count", path(folder.path()), "--shared-scale", "-q"]);
    assert!(shared.status.success(), "{}", stderr(&shared));
    let alone_row = rows_without_names(&stdout(&alone))[0].clone();
    let shared_rows = rows_without_names(&stdout(&shared));
    assert_eq!(shared_rows.len(), 4, "three images and the total");
    for row in &shared_rows[..3] {
        assert_eq!(row, &alone_row);
    }
    let message = stderr(&shared);
    assert!(
        message.contains("one pixel size for all 3 images"),
        "{message}"
    );
}

/// Two BCCD fields (one microscope): their own estimates differ (0.0896 and 0.0929 µm), the
/// shared one is a single size for both, the same on 1 and 2 threads.
#[test]
fn a_shared_scale_gives_every_image_one_pixel_size() {
    let arguments = ["count", "fixtures/smears", "--shared-scale"];
    let sizes = |output: &Output| -> Vec<String> {
        stderr(output)
            .lines()
            .filter(|line| line.starts_with("fixtures/"))
            .map(|line| line.split_whitespace().last().unwrap().to_string())
            .collect()
    };
    let own = hemato(&["count", "fixtures/smears"]);
    let own_sizes = sizes(&own);
    assert_eq!(own_sizes.len(), 2, "{}", stderr(&own));
    assert_ne!(own_sizes[0], own_sizes[1]);
    let one = hemato_in(root(), &arguments, Some(1));
    assert!(one.status.success(), "{}", stderr(&one));
    let shared_sizes = sizes(&one);
    assert_eq!(shared_sizes.len(), 2, "{}", stderr(&one));
    assert_eq!(shared_sizes[0], shared_sizes[1]);
    assert!(shared_sizes[0].ends_with('*'), "marked as estimated");
    let two = hemato_in(root(), &arguments, Some(2));
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(one.stderr, two.stderr);
}

#[test]
fn a_shared_scale_and_a_pixel_size_are_refused_together() {
    let output = hemato(&[
        "count",
        "fixtures/smears",
        "--shared-scale",
        "--pixel-size",
        "0.1",
    ]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("cannot be used with"), "{message}");
}

/// A folder copied from macOS holds `._NAME.png` resource forks and a `.DS_Store` beside the
/// images: `count` and `measure` skip hidden files in folders (they would otherwise stop the
/// run as unreadable images), and still read a hidden file named on the command line.
#[test]
fn folders_skip_hidden_files() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/aslan/image-1.png"),
        folder.path().join("image-1.png"),
    )
    .unwrap();
    let fork = folder.path().join("._image-1.png");
    std::fs::write(&fork, b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X").unwrap();
    std::fs::write(folder.path().join(".DS_Store"), b"junk").unwrap();

    let output = hemato(&["count", path(folder.path()), "-q"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    let images: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|line| line.split(',').next().unwrap())
        .collect();
    assert_eq!(images.len(), 2, "{table}"); // the image and the total row
    assert!(images[0].ends_with("/image-1.png"), "{table}");

    let measured = folder.path().join("measured.csv");
    let output = hemato(&["measure", path(folder.path()), "-o", path(&measured)]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("from 1 image(s)"),
        "{}",
        stderr(&output)
    );

    // Named explicitly, the hidden file is read (and is no image).
    let output = hemato(&["count", path(&fork), "-q"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("._image-1.png"),
        "{}",
        stderr(&output)
    );
}

/// Cellpose saves each image's masks beside it (`X_cp_masks.png` next to `X.png`). Pointed at
/// such a folder, `count` and `measure` take `X.png` as the image and `X_cp_masks.png` as its
/// labels (`--labels` the same folder), and without `--labels` the masks are not counted as
/// images (before, the masks were listed as images, and the image was its own labels file).
#[test]
fn cellpose_masks_beside_their_images() {
    let folder = tempfile::tempdir().unwrap();
    let image = folder.path().join("image-1.png");
    std::fs::copy(root().join("fixtures/aslan/image-1.png"), &image).unwrap();
    let (width, height) = image::image_dimensions(&image).unwrap();
    let labels = image::ImageBuffer::from_fn(width, height, |x, y| {
        // Two square cells, labels 1 and 2.
        image::Luma([match (x, y) {
            (10..40, 10..40) => 1u16,
            (60..100, 60..100) => 2,
            _ => 0,
        }])
    });
    labels
        .save(folder.path().join("image-1_cp_masks.png"))
        .unwrap();
    let folder_text = path(folder.path());

    let output = hemato(&["count", folder_text, "--labels", folder_text, "-q"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}"); // image-1.png and the total
    assert!(rows[0].contains("image-1.png"), "{table}");

    let measured = folder.path().join("measured.csv");
    let arguments = ["measure", folder_text, "--labels", folder_text];
    let output = hemato(&[&arguments[..], &["-o", path(&measured)]].concat());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("2 particles from 1 image(s)"),
        "{}",
        stderr(&output)
    );

    let output = hemato(&["count", folder_text, "-q"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), 3, "{}", stdout(&output));
}

/// A folder of subfolders (one per patient, say) holds no image itself: folders are not
/// searched recursively, and the error names the subfolders that hold images.
#[test]
fn a_folder_of_subfolders_names_them() {
    let folder = tempfile::tempdir().unwrap();
    for patient in ["patient-a", "patient-b"] {
        std::fs::create_dir(folder.path().join(patient)).unwrap();
        std::fs::copy(
            root().join("fixtures/aslan/image-1.png"),
            folder.path().join(patient).join("field.png"),
        )
        .unwrap();
    }
    std::fs::create_dir(folder.path().join("empty")).unwrap();
    let table = folder.path().join("t.csv");
    for arguments in [
        vec!["count", path(folder.path()), "-q"],
        vec!["measure", path(folder.path()), "-o", path(&table)],
    ] {
        let output = hemato(&arguments);
        assert!(!output.status.success());
        let message = stderr(&output);
        assert!(
            message.contains("not searched recursively")
                && message.contains("subfolders patient-a, patient-b (give them"),
            "{message}"
        );
    }
}

#[test]
fn images_with_small_red_cells_are_counted_enlarged() {
    // BCCD's red cells are about 100 px across (dataset README: box median 102 px); a fifth
    // of the field has them at about 20 px, under the 32 px below which the count is less
    // accurate (docs/accuracy.md, "Small red cells"), so it is counted enlarged and should
    // find what the field itself gives: its one white cell (the annotation has one WBC box)
    // and its red cells within 3.
    let folder = tempfile::tempdir().unwrap();
    let rgb =
        hemato::io::read_rgb_image(&root().join("fixtures/smears/BloodImage_00309.jpg")).unwrap();
    let plain = folder.path().join("plain.png");
    write_png(&plain, image::DynamicImage::ImageRgb8(rgb.clone()));
    let small = image::imageops::resize(
        &rgb,
        rgb.width() / 5,
        rgb.height() / 5,
        image::imageops::FilterType::Lanczos3,
    );
    let small_path = folder.path().join("small.png");
    write_png(&small_path, image::DynamicImage::ImageRgb8(small.clone()));
    // 7 x 7 copies of it: too large to enlarge within 1.5 · 2^20 pixels (2x would be 2.4 MP).
    let tiled = image::RgbImage::from_fn(small.width() * 7, small.height() * 7, |x, y| {
        *small.get_pixel(x % small.width(), y % small.height())
    });
    let tiled_path = folder.path().join("tiled.png");
    write_png(&tiled_path, image::DynamicImage::ImageRgb8(tiled));
    let run = |files: &[&PathBuf]| {
        let mut args = vec!["count"];
        args.extend(files.iter().map(|file| path(file)));
        let output = hemato(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        // Each image's row of the counts table: rbc and wbc_total.
        let rows: Vec<(u64, u64)> = stdout(&output)
            .lines()
            .skip(1)
            .take(files.len())
            .map(|line| {
                let values: Vec<u64> = line
                    .split(',')
                    .skip(1)
                    .map(|value| value.parse().unwrap())
                    .collect();
                (values[0], values[values.len() - 1])
            })
            .collect();
        (rows, stderr(&output))
    };
    let (rows, summary) = run(&[&plain, &small_path]);
    assert!(
        summary.contains("+ 1 image(s) with red cells under 32 px across counted enlarged"),
        "{summary}"
    );
    assert!(!summary.contains("counted as they are"), "{summary}");
    let ((plain_red, plain_white), (small_red, small_white)) = (rows[0], rows[1]);
    assert!(plain_red.abs_diff(small_red) <= 3, "{rows:?}");
    assert_eq!((plain_white, small_white), (1, 1), "{rows:?}");
    let (_, summary) = run(&[&tiled_path]);
    assert!(
        summary.contains(&format!(
            "! 1 image(s) whose red cells measure under 32 px across counted as they are (smallest: {},",
            tiled_path.display()
        )),
        "{summary}"
    );
    let (_, summary) = run(&[&plain]);
    assert!(!summary.contains("under 32 px"), "{summary}");
}
