//! Shared helpers of the slide tests: the real smear fields that their mosaics are made of, and
//! the `cells.csv` a slide run must write.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hemato::slide::analysis::{analyse_image, image_parameters, Analysis};
use hemato::slide::checkpoint::format_value;
use image::RgbImage;

/// The BCCD smear fields of `../shared/data/smears-sample` (its README gives source and licence).
const FIELDS: &str = "../shared/data/smears-sample/images";

/// The first `count` smear fields, in `hemato count`'s order.
pub fn smear_fields(count: usize) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIELDS);
    let mut fields = hemato::count::list_images(&[dir]).unwrap();
    fields.truncate(count);
    fields
}

/// The `cells.csv` a slide run of `analysis` must write for the image `rgb` (slide `id`): the
/// analysis run on the whole image at once (one set of parameters, one labelling of the whole
/// foreground), leaving out the components whose first pixel is in `skipped`.
pub fn single_image_table<A: Analysis>(
    analysis: &A,
    id: &str,
    rgb: &RgbImage,
    skipped: &BTreeSet<(u32, u32)>,
) -> String {
    let parameters = image_parameters(analysis, rgb).unwrap();
    let classes = analysis.classes();
    let mut table = format!("slide,class,{}\n", analysis.columns().join(","));
    for component in analyse_image(analysis, rgb, &parameters).unwrap() {
        if skipped.contains(&component.first) {
            continue;
        }
        for cell in component.cells {
            let values: Vec<String> = cell.values.iter().map(|&v| format_value(v)).collect();
            table.push_str(&format!(
                "{id},{},{}\n",
                classes[cell.class],
                values.join(",")
            ));
        }
    }
    table
}
