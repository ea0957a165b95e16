//! `hemato count` against independent annotations: the boxes drawn by the datasets' annotators
//! (BCCD Pascal VOC XML, the Aslan CSV), on the committed fixtures and on the whole
//! `../shared/data/aslan-sample` (50 images; the acceptance figure of issue 5).
//!
//! Tolerances (see docs/accuracy.md for the measured figures):
//! - every annotated white cell is found (but two Aslan border boxes without a nucleus), and
//!   nothing else is called a white cell;
//! - red cells: BCCD boxes are incomplete (the dataset README), so at least 80 % of the boxes
//!   must be matched; Aslan boxes are complete: at least 85 % matched on each fixture, and over
//!   the 50 Aslan images the count is within 10 % of the annotated count on average per image;
//! - platelets over the 20 BCCD images: recall ≥ 0.8 (28 of 33 measured; 25 before platelets
//!   beside white cells were kept apart), precision ≥ 0.65.

use std::path::{Path, PathBuf};

use hemato::count::evaluation::{
    csv_dataset, read_box_csv, read_voc, voc_dataset, AnnotatedImage, DatasetSummary, ImageScore,
};
use hemato::count::{count_image, CountOptions, WhiteCellClassifier};
use rayon::prelude::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn score(image: &AnnotatedImage) -> ImageScore {
    score_with(image, &WhiteCellClassifier::None)
}

fn score_with(image: &AnnotatedImage, classifier: &WhiteCellClassifier) -> ImageScore {
    let rgb = hemato::io::read_rgb_image(&image.path).unwrap();
    let count = count_image(&rgb, &CountOptions::default(), classifier).unwrap();
    ImageScore::of(image, &count.reported_detections())
}

fn smears_fixtures() -> Vec<AnnotatedImage> {
    ["BloodImage_00003", "BloodImage_00309"]
        .iter()
        .map(|name| {
            let folder = root().join("fixtures/smears");
            let (_, boxes) = read_voc(&folder.join(format!("{name}.xml"))).unwrap();
            AnnotatedImage {
                path: folder.join(format!("{name}.jpg")),
                boxes,
            }
        })
        .collect()
}

fn aslan_fixtures() -> Vec<AnnotatedImage> {
    let folder = root().join("fixtures/aslan");
    let mut boxes = read_box_csv(&folder.join("annotations.csv")).unwrap();
    ["image-1.png", "image-101.png"]
        .iter()
        .map(|name| AnnotatedImage {
            path: folder.join(name),
            boxes: boxes.remove(*name).unwrap(),
        })
        .collect()
}

#[test]
fn bccd_fixtures_white_cells_platelets_and_red_cell_recall() {
    let images = smears_fixtures();
    // The annotation files hold 1 WBC each, 15 and 12 RBC boxes, 1 platelet box in 00003.
    assert_eq!(images[0].boxes.len(), 17);
    assert_eq!(images[1].boxes.len(), 13);
    for image in &images {
        let score = score(image);
        let name = &score.image;
        assert_eq!(score.white.true_positives, 1, "{name}: {score:?}");
        assert_eq!(score.white.false_positives, 0, "{name}: {score:?}");
        assert_eq!(score.white.false_negatives, 0, "{name}: {score:?}");
        let recall = score.red.recall().unwrap();
        assert!(recall >= 0.8, "{name}: red-cell recall {recall}");
        // Boxes are a lower bound of the red cells present.
        assert!(score.red_counted >= score.red_boxes, "{name}: {score:?}");
    }
}

#[test]
fn aslan_fixtures_white_cells_and_red_cell_recall() {
    for image in &aslan_fixtures() {
        let score = score(image);
        let name = &score.image;
        assert_eq!(
            (score.white.true_positives, score.white.false_positives),
            (1, 0),
            "{name}: {score:?}"
        );
        let recall = score.red.recall().unwrap();
        assert!(recall >= 0.85, "{name}: red-cell recall {recall}");
        // These two are among the sample's hardest (sparse fields, over-split clumps): the
        // count stays within 40 % of the annotated count.
        let error = score.red_count_error().unwrap();
        assert!(error.abs() <= 40.0, "{name}: count error {error} %");
    }
}

fn shared_data(name: &str) -> PathBuf {
    root().join("../shared/data").join(name)
}

#[test]
fn aslan_sample_red_cell_count_within_ten_percent_and_white_cells_found() {
    let images = csv_dataset(&shared_data("aslan-sample")).unwrap();
    assert_eq!(images.len(), 50);
    let scores: Vec<ImageScore> = images.par_iter().map(score).collect();
    let summary = DatasetSummary::of(&scores);
    assert_eq!(summary.red_boxes, 1112);
    assert!(
        summary.red_mean_absolute_error < 10.0,
        "mean |error| {} %",
        summary.red_mean_absolute_error
    );
    assert!(summary.red_mean_error.abs() < 5.0, "{summary:?}");
    let white = summary.white;
    assert_eq!(white.true_positives + white.false_negatives, 55);
    assert!(white.recall().unwrap() >= 0.96, "{white:?}");
    assert!(white.precision().unwrap() >= 0.98, "{white:?}");
}

#[test]
fn smears_sample_white_cells_and_platelets() {
    let images = voc_dataset(&shared_data("smears-sample")).unwrap();
    assert_eq!(images.len(), 20);
    let scores: Vec<ImageScore> = images.par_iter().map(score).collect();
    let summary = DatasetSummary::of(&scores);
    let white = summary.white;
    assert_eq!(white.true_positives + white.false_negatives, 20);
    assert_eq!(white.recall(), Some(1.0), "{white:?}");
    // Nothing else: the eosinophil of BloodImage_00095, cut by the top border, whose two
    // nucleus lobes and granules span 2.55 red-cell diameters, is one cell (docs/counting.md,
    // step 4).
    assert_eq!(white.false_positives, 0, "{white:?}");
    // 33 platelet boxes (some on debris, some platelets unboxed: the dataset README).
    let platelets = summary.platelets;
    // Measured 28 of 33 (0.848): the platelets beside the white cells of 00052, 00206 and
    // 00278 are found (25 of 33, 0.758, when they joined the white cells' nuclei).
    assert!(platelets.recall().unwrap() >= 0.8, "{platelets:?}");
    assert!(platelets.precision().unwrap() >= 0.65, "{platelets:?}");
    assert!(summary.red.recall().unwrap() >= 0.8, "{:?}", summary.red);
}

/// The white-cell figure of issue 5 with the built-in model (its platelet calls remove cells
/// from the white count): over the 75 annotated white cells of both samples, the model may
/// lose only the two Aslan border boxes that hold no nucleus (image-104's corner box holds a
/// red cell, image-114's is a 42 x 10 px sliver of red-cell colour; docs/accuracy.md), and
/// find nothing else. Aslan image-110's small lymphocyte, which the
/// model calls a platelet (probability 0.97) but whose nucleus is larger than a red cell, is
/// one of the white cells found.
#[test]
fn white_cells_of_both_samples_with_the_builtin_model() {
    let classifier = WhiteCellClassifier::builtin();
    let mut images = csv_dataset(&shared_data("aslan-sample")).unwrap();
    images.extend(voc_dataset(&shared_data("smears-sample")).unwrap());
    let scores: Vec<ImageScore> = images
        .par_iter()
        .map(|image| score_with(image, &classifier))
        .collect();
    let white = DatasetSummary::of(&scores).white;
    assert_eq!(white.true_positives + white.false_negatives, 75);
    assert!(white.false_negatives <= 2, "{white:?}");
    assert_eq!(white.false_positives, 0, "{white:?}");
    let image_110 = scores.iter().find(|s| s.image == "image-110.png").unwrap();
    assert_eq!(
        (
            image_110.white.true_positives,
            image_110.white.false_negatives
        ),
        (2, 0),
        "{image_110:?}"
    );
}

/// The PBC fixtures (one centred cell each, its class = its folder) through the count path with
/// the built-in model: the centred cell is found as a nucleated cell in every image, and at
/// least five of the six white-cell images get their folder's class. (The model was trained on PBC images; this
/// checks the count path's plumbing, docs/accuracy.md has the figures.)
#[test]
fn pbc_fixtures_centred_cells_through_the_count_path() {
    let folders =
        hemato::count::evaluation::folder_dataset(&root().join("fixtures/pbc"), None).unwrap();
    assert_eq!(folders.len(), 8);
    let results =
        hemato::count::evaluation::centred_cells(&folders, &WhiteCellClassifier::builtin())
            .unwrap();
    let mut right = 0;
    for result in &results {
        assert_eq!(
            result.kind,
            Some(hemato::count::Kind::WhiteCell),
            "{result:?}"
        );
        let white = hemato::count::CellClass::from_name(&result.truth).unwrap();
        if white.is_white() && result.class == Some(white) {
            right += 1;
        }
    }
    // The shipped model uses only the columns that transfer between microscopes; through the
    // count path it gets 91% of 800 PBC images right (docs/accuracy.md), and calls the
    // band neutrophil fixture an immature granulocyte.
    assert!(right >= 5, "{results:?}");
}

/// BCCD's per-image white-cell subtypes (`../shared/data/smears-sample/labels.csv`, column
/// `wbc_subtype_kaggle`), as the file gives them: 20 images, 7 NEUTROPHIL, 4 EOSINOPHIL,
/// 4 LYMPHOCYTE, 4 MONOCYTE, 1 BASOPHIL (BloodImage_00008); BloodImage_00003 a NEUTROPHIL.
#[test]
fn bccd_subtype_labels_are_read_in_count_class_names() {
    let labels = hemato::count::evaluation::read_subtype_labels(
        &shared_data("smears-sample").join("labels.csv"),
    )
    .unwrap();
    assert_eq!(labels.len(), 20);
    let count = |name: &str| labels.values().filter(|v| v.as_str() == name).count();
    assert_eq!(
        [
            count("neutrophil"),
            count("eosinophil"),
            count("lymphocyte"),
            count("monocyte"),
            count("basophil")
        ],
        [7, 4, 4, 4, 1]
    );
    assert_eq!(labels["BloodImage_00008.jpg"], "basophil");
    assert_eq!(labels["BloodImage_00003.jpg"], "neutrophil");
    // Every label is the name of a white-cell class of `hemato count`.
    for label in labels.values() {
        let class = hemato::count::CellClass::from_name(label).unwrap();
        assert!(class.is_white(), "{label}");
    }
}

/// The subtype evaluation finds the labelled white cell of each BCCD fixture (the cell inside
/// its annotated WBC box) and reports the class the built-in model gave it; without a model
/// the same cell is found, unclassified.
#[test]
fn subtype_call_of_the_bccd_fixtures() {
    use hemato::count::evaluation::{subtype_call, SubtypeCall};
    for image in smears_fixtures() {
        let rgb = hemato::io::read_rgb_image(&image.path).unwrap();
        let options = CountOptions::default();
        let with_model = count_image(&rgb, &options, &WhiteCellClassifier::builtin()).unwrap();
        let call = subtype_call(&image.boxes, &with_model);
        assert!(
            matches!(call, SubtypeCall::Class(class) if class.is_white()
                || class == hemato::count::CellClass::Erythroblast),
            "{call:?}"
        );
        let without = count_image(&rgb, &options, &WhiteCellClassifier::None).unwrap();
        assert_eq!(
            subtype_call(&image.boxes, &without),
            SubtypeCall::Unclassified
        );
        // No white-cell box: nothing to match.
        let no_boxes: Vec<_> = image
            .boxes
            .iter()
            .filter(|b| b.class != hemato::count::evaluation::TruthClass::Wbc)
            .copied()
            .collect();
        assert_eq!(subtype_call(&no_boxes, &without), SubtypeCall::NotFound);
    }
}

/// A dense PBC field whose pale red-cell centres fill one colour bin more than the cream
/// background does: the background is the brighter of the two large colour clouds
/// (`count::stain_maps::background_bin`). With the fullest bin as the background, the red cells
/// were taken for it and the eosinophil was found as two monocytes. The reference is PBC's
/// folder (the annotators' class) and the one white cell in the image.
#[test]
fn a_dense_field_keeps_its_background_and_its_one_eosinophil() {
    let path = shared_data("pbc/eosinophil/EO_641313.jpg");
    let rgb = hemato::io::read_rgb_image(&path).unwrap();
    let count = count_image(
        &rgb,
        &CountOptions::default(),
        &WhiteCellClassifier::builtin(),
    )
    .unwrap();
    let background = count.field.background.rgb;
    assert!(background.iter().sum::<f64>() > 650.0, "{background:?}");
    assert_eq!(count.white_total(), 1);
    assert_eq!(
        count.count(hemato::count::CellClass::Eosinophil),
        1,
        "{:?}",
        count
            .cells
            .iter()
            .map(|cell| cell.class)
            .collect::<Vec<_>>()
    );
}
