//! Shared helpers of the slide tests: the real smear fields that their mosaics are made of.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The BCCD smear fields of `../shared/data/smears-sample` (its README gives source and licence).
const FIELDS: &str = "../shared/data/smears-sample/images";

/// The first `count` smear fields, in `hemato count`'s order.
pub fn smear_fields(count: usize) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIELDS);
    let mut fields = hemato::count::list_images(&[dir]).unwrap();
    fields.truncate(count);
    fields
}
