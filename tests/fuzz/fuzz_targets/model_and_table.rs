//! Any text as a model file and as a feature table: parsing gives a value or a typed error,
//! and a model that parses predicts two rows of its own width without a panic.
#![no_main]
use std::path::Path;

use hemato::classify::{Model, RawTable, TableOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz");
    if let Ok(model) = Model::from_json(path, text) {
        let columns = model.feature_names().len();
        if columns < 10_000 {
            let rows = ndarray::Array2::from_shape_fn((2, columns), |(row, column)| {
                (row * column) as f64 * 1e3
            });
            let _ = model.predict_proba(rows.view());
        }
    }
    if let Ok(table) = RawTable::parse(path, text) {
        let _ = table.to_feature_table(&TableOptions::default());
        let unlabelled = TableOptions {
            require_label: false,
            ..TableOptions::default()
        };
        let _ = table.to_feature_table(&unlabelled);
    }
});
